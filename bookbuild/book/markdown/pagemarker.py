"""The `{{page N}}` marker: a print page break written in the text, which becomes an empty
<span data-page="N"> for the parse stage to turn into the page-break anchor; and the
`{{index …}}` mark of an index term."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import markdown

# not after a backslash: \{{page 5}} writes the text itself (the escape pattern, which
# runs later, takes the backslash off)
PAGE_MARKER_RE = r"(?<!\\)\{\{page\s+([^}\s]+)\s*\}\}"
PAGE_MARKER = re.compile(PAGE_MARKER_RE)
# what a writer may have meant as a marker and is not one (a space inside the label, none,
# a space before "page"): it stays text, and the parse stage says so. Without the
# backslash's lookbehind, which makes re try every position of the text (ten times slower
# over a book): the caller looks at the character before.
LOOKS_LIKE_A_MARKER = re.compile(r"\{\{\s*page(?:\s[^{}\n]*)?\}\}")


class PageMarkerPattern(markdown.inlinepatterns.InlineProcessor):
    def handleMatch(self, m, data):  # noqa: N802 (Python-Markdown's API name)
        span = ET.Element("span")
        span.set("data-page", m.group(1))
        return span, m.start(0), m.end(0)


# {{index 术语}}, {{index 术语!子条目}}, {{index 术语|see 另一术语}}, {{index Term|see also Other}}
INDEX_MARK_RE = r"(?<!\\)\{\{index\s+([^}]+?)\s*\}\}"


class IndexMarkPattern(markdown.inlinepatterns.InlineProcessor):
    """An index term marked in the text: an empty <span data-index="…"> the parse stage
    turns into an anchor the generated index links to (book.index)."""

    def handleMatch(self, m, data):  # noqa: N802 (Python-Markdown's API name)
        span = ET.Element("span")
        span.set("data-index", m.group(1))
        return span, m.start(0), m.end(0)
