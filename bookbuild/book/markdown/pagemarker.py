"""The `{{page N}}` marker: a print page break written in the text, which becomes an empty
<span data-page="N"> for the parse stage to turn into the page-break anchor."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import markdown

PAGE_MARKER_RE = r"\{\{page\s+([^}\s]+)\s*\}\}"
PAGE_MARKER = re.compile(PAGE_MARKER_RE)


class PageMarkerPattern(markdown.inlinepatterns.InlineProcessor):
    def handleMatch(self, m, data):  # noqa: N802 (Python-Markdown's API name)
        span = ET.Element("span")
        span.set("data-page", m.group(1))
        return span, m.start(0), m.end(0)
