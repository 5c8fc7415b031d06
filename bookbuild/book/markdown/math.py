r"""TeX math in the text: `$…$` inline, `$$…$$` displayed. The inline pattern only takes
the TeX out of Markdown's way (no emphasis or escapes inside it) into an empty
<span class="math" data-tex="…">; the parse stage turns that into MathML
(book.mathml). A `$` after a digit does not open a formula and one before a digit does
not close it ($5 and $10); `\$` is a dollar sign."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import markdown

# no formula holds a stash placeholder (\x02…\x03: code, raw HTML) or an escaped \$
MATH_RE = (  # each branch starts with its `$`, so the search skips to dollars at C speed
    r"\$\$(?<!\\\$\$)(?P<display>[^\x02\x03]+?)(?<!\\)\$\$"
    r"|\$(?<![\\$\d]\$)(?=\S)(?P<inline>[^$\x02\x03]+?)(?<=[^\s\\])\$(?!\d)"
)


class MathPattern(markdown.inlinepatterns.InlineProcessor):
    def handleMatch(self, m, data):  # noqa: N802 (Python-Markdown's API name)
        span = ET.Element("span")
        span.set("class", "math")
        display = m.group("display") is not None
        span.set("data-tex", (m.group("display") if display else m.group("inline")).strip())
        span.set("data-display", "block" if display else "inline")
        return span, m.start(0), m.end(0)
