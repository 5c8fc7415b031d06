"""Kobo's variant of the EPUB (a kepub, `.kepub.epub`): Kobo readers open a book in their
modern renderer, with its page turns, reading statistics and highlights, only when each
content document marks its text in koboSpans. The marking follows what Kobo's own
conversion does (and kepubify, which documents it): every sentence of every block of
text, and every image, in a <span class="koboSpan" id="kobo.P.S"> (P counts the blocks
of the document, S the pieces within one), and the body's content inside
<div id="book-columns"><div id="book-inner">. The text itself is not changed.
"""

from __future__ import annotations

import re

from lxml import etree

from bookbuild.book.xml import XHTML, safe_parser

_BLOCKS = {f"{{{XHTML}}}{name}" for name in ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "dt", "dd", "td", "th")}
_BLOCKS |= {f"{{{XHTML}}}{name}" for name in ("figcaption", "caption", "blockquote", "div", "aside", "pre", "header")}
_BLOCKS |= {f"{{{XHTML}}}{name}" for name in ("section", "figure", "nav", "footer", "table", "ul", "ol", "dl")}
# never entered: their text is not reading text, or spans are not allowed in them
_SKIP = {f"{{{XHTML}}}{name}" for name in ("script", "style", "title")} | {
    "{http://www.w3.org/1998/Math/MathML}math",
    "{http://www.w3.org/2000/svg}svg",
}
_IMG = f"{{{XHTML}}}img"
# a sentence ends after its stop and any closing quotes or brackets, and the spaces after
_SENTENCE = re.compile(r"[^。！？!?.…]*(?:[。！？!?.…]+[”’」』）)\]\"']*\s*|$)")


def _sentences(text: str) -> list[str]:
    pieces = [piece for piece in _SENTENCE.findall(text) if piece]
    return pieces or [text]


class _Marker:
    def __init__(self) -> None:
        self.block = 0
        self.piece = 0

    def span(self, text: str | None = None) -> etree._Element:
        self.piece += 1
        element = etree.Element(f"{{{XHTML}}}span", {"class": "koboSpan", "id": f"kobo.{self.block}.{self.piece}"})
        element.text = text
        return element

    def new_block(self) -> None:
        self.block += 1
        self.piece = 0

    def mark(self, element: etree._Element) -> None:
        """Marks the text directly in `element` and in its inline children; a child block
        starts a block of its own."""
        if element.tag in _SKIP or not isinstance(element.tag, str):
            return
        if element.tag in _BLOCKS:
            self.new_block()
        if element.text and element.text.strip():
            spans = [self.span(piece) for piece in _sentences(element.text)]
            element.text = None
            for index, span in enumerate(spans):
                element.insert(index, span)
            children = list(element)[len(spans) :]
        else:
            children = list(element)
        for child in children:
            if child.tag == _IMG:
                wrapper = self.span()
                child.addprevious(wrapper)
                tail, child.tail = child.tail, None
                wrapper.append(child)
                wrapper.tail = tail
                child = wrapper
            else:
                self.mark(child)
            if child.tail and child.tail.strip():
                if child.tag in _BLOCKS:
                    self.new_block()
                spans = [self.span(piece) for piece in _sentences(child.tail)]
                child.tail = None
                anchor = child
                for span in spans:
                    anchor.addnext(span)
                    anchor = span


def kobo_document(xhtml: bytes) -> bytes:
    """A content document marked for Kobo; the same bytes for the same document."""
    root = etree.fromstring(xhtml, safe_parser())
    body = root.find(f"{{{XHTML}}}body")
    if body is None:
        return xhtml
    _Marker().mark(body)
    inner = etree.Element(f"{{{XHTML}}}div", {"id": "book-inner"})
    inner.text, body.text = body.text, None
    for child in list(body):
        inner.append(child)
    columns = etree.SubElement(body, f"{{{XHTML}}}div", {"id": "book-columns"})
    columns.append(inner)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", doctype="<!DOCTYPE html>")
