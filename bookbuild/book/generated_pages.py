"""Title page and copyright page made from metadata when the book has none of its own."""

from __future__ import annotations

from lxml import etree
from lxml.builder import ElementMaker

from bookbuild.book.model import Heading, Metadata, ParsedUnit, UnitSource
from bookbuild.book.words import creators_line, is_chinese, labels
from bookbuild.book.xml import EPUB, XHTML

E = ElementMaker(namespace=XHTML, nsmap={None: XHTML, "epub": EPUB})


def _unit(name: str, kind: str, title: str, body: etree._Element) -> ParsedUnit:
    source = UnitSource(path="metadata.yaml", name=name, title=title, kind=kind, body="", body_line=1, generated=True)
    fragment = etree.tostring(body, encoding="unicode")
    return ParsedUnit(
        source=source,
        fragment=fragment,
        headings=(Heading(1, title, f"{name}-title", 1),),
        markers=(),
        links=(),
        images=(),
        ids=(),
    )


def titlepage(meta: Metadata) -> ParsedUnit:
    body = E.body()
    if meta.subtitle:
        body.append(E.p(meta.subtitle, {"class": "subtitle"}))
    for role in ("author", "editor", "translator", "illustrator"):
        line = creators_line(meta.creators, role, meta.language)
        if line:
            body.append(E.p(line, {"class": f"creators {role}"}))
    if meta.publisher:
        body.append(E.p(meta.publisher, {"class": "publisher"}))
    return _unit("titlepage", "titlepage", meta.title, body)


def copyright_page(meta: Metadata) -> ParsedUnit:
    words = labels(meta.language)
    body = E.body()
    if meta.cip.raw:
        heading = (
            words["cip"]
            if is_chinese(meta.language) or not meta.cip.agency.startswith("Library")
            else "Library of Congress Cataloging-in-Publication Data"
        )
        record = E.div({"class": "cip"}, E.p(heading, {"class": "cip-heading"}))
        for line in meta.cip.raw.splitlines():
            record.append(E.p(line))
        body.append(record)
    if meta.print_lines:
        colophon = E.div({"class": "colophon"})
        fields = None
        for printed in meta.print_lines:
            if printed.label:
                if fields is None:
                    fields = E.dl()
                    colophon.append(fields)
                fields.append(E.div(E.dt(printed.label), E.dd(printed.value)))
            else:
                fields = None
                colophon.append(E.p(printed.value))
        body.append(colophon)
    else:
        # the e-book's own ISBN, and the print edition's it was made from
        for isbn, edition in ((meta.isbn, "ebook"), (meta.print_isbn, "print")):
            if isbn:
                body.append(E.p(f"ISBN {isbn}" + (f" ({words[edition]})" if meta.isbn and meta.print_isbn else "")))
    return _unit("copyright", "copyright-page", words["copyright"], body)


def with_generated_front_matter(meta: Metadata, units: tuple[ParsedUnit, ...]) -> tuple[ParsedUnit, ...]:
    kinds = {u.source.kind for u in units}
    front = []
    if "titlepage" not in kinds:
        front.append(titlepage(meta))
    if "copyright-page" not in kinds and (meta.cip.raw or meta.print_lines or meta.isbn or meta.print_isbn):
        front.append(copyright_page(meta))
    if not front:
        return units
    # after the cover and the book's own title page, before everything else
    split = 0
    while split < len(units) and units[split].source.kind in ("cover", "titlepage"):
        split += 1
    return units[:split] + tuple(front) + units[split:]
