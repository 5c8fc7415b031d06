"""Python-Markdown as bookbuild uses it: the extensions of "extra", sane lists, the
`{{page N}}` marker (pagemarker.py), and fast paths past work that could not change the
result (fastpath.py)."""

from __future__ import annotations

import markdown
from markdown.extensions.abbr import AbbrExtension
from markdown.extensions.attr_list import AttrListExtension
from markdown.extensions.def_list import DefListExtension
from markdown.extensions.fenced_code import FencedCodeExtension
from markdown.extensions.footnotes import FootnoteExtension
from markdown.extensions.md_in_html import MarkdownInHtmlExtension
from markdown.extensions.sane_lists import SaneListExtension
from markdown.extensions.tables import TableExtension

from bookbuild.book.markdown.fastpath import FastPathExtension
from bookbuild.book.markdown.math import MATH_RE, MathPattern
from bookbuild.book.markdown.pagemarker import INDEX_MARK_RE, PAGE_MARKER_RE, IndexMarkPattern, PageMarkerPattern

# before 'backtick' (190), the first inline pattern: a marker is never taken apart as
# emphasis or a link
PAGE_MARKER_PRIORITY = 195


# after 'backtick' (190), so `$x$` stays code; before 'escape' (180) and emphasis, so
# TeX keeps its backslashes, stars and underscores
MATH_PRIORITY = 185


class PageMarkerExtension(markdown.extensions.Extension):
    """`{{page N}}` markers, `{{index …}}` marks and TeX math."""

    def extendMarkdown(self, md):  # noqa: N802 (Python-Markdown's API name)
        md.inlinePatterns.register(PageMarkerPattern(PAGE_MARKER_RE, md), "page_marker", PAGE_MARKER_PRIORITY)
        md.inlinePatterns.register(MathPattern(MATH_RE, md), "math", MATH_PRIORITY)
        md.inlinePatterns.register(IndexMarkPattern(INDEX_MARK_RE, md), "index_mark", PAGE_MARKER_PRIORITY - 1)
        if "$" not in md.ESCAPED_CHARS:
            md.ESCAPED_CHARS.append("$")  # \$ writes a dollar sign


def new_converter(fast: bool = True) -> markdown.Markdown:
    # The extensions of "extra", in its order, then sane_lists. Given as instances: by
    # name, Python-Markdown looks each one up among every installed package's entry
    # points, which took longer than building the converter.
    return markdown.Markdown(
        extensions=[
            FencedCodeExtension(),
            # footnote ids without ':' so they stay valid XML names in every reading system
            FootnoteExtension(SEPARATOR="-", BACKLINK_TITLE="↩ %d"),
            AttrListExtension(),
            DefListExtension(),
            TableExtension(),
            AbbrExtension(),
            MarkdownInHtmlExtension(),
            SaneListExtension(),
            PageMarkerExtension(),
            *([FastPathExtension()] if fast else []),
        ],
        output_format="xhtml",
    )
