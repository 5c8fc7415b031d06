"""The book's cover (part of parse): the picture `cover:` in metadata.yaml names, else
the first picture of a `kind: cover` unit, else a typographic cover drawn from the
metadata (render.cover_art) with a font found on this system. A picture that no cover
unit shows gets a cover page of its own, first in the book."""

from __future__ import annotations

import posixpath

from lxml import etree
from lxml.builder import ElementMaker

from bookbuild.book.fonts import INSTALL_HINT, find_cover_fonts
from bookbuild.book.model import Cover, CoverDesign, Heading, Image, Metadata, ParsedUnit, UnitSource
from bookbuild.book.resolve import image_path
from bookbuild.book.words import creators_line, is_chinese, labels
from bookbuild.book.xml import EPUB, XHTML
from bookbuild.diagnostics import Diagnostic

E = ElementMaker(namespace=XHTML, nsmap={None: XHTML, "epub": EPUB})
DRAWN_NAME = "images/cover.jpg"
COVER_SIZE = (1600, 2560)  # the 1:1.6 portrait stores ask for (Apple, Kobo, KDP)


def cover_alt(meta: Metadata) -> str:
    words = labels(meta.language)
    return f"{words['cover']}：{meta.title}" if is_chinese(meta.language) else f"{words['cover']}: {meta.title}"


def _cover_page(meta: Metadata, src: str, line: int, taken: set[str]) -> ParsedUnit:
    """A page that shows only the cover picture (`src` relative to book/, as a unit's)."""
    name = next(n for n in ("cover", "cover-page", "cover-picture") if n not in taken)
    title = labels(meta.language)["cover"]
    alt = cover_alt(meta)
    body = E.body(E.p({"class": "cover-picture"}, E.img(src=src, alt=alt)))
    source = UnitSource(
        path=meta.path, name=name, title=title, kind="cover", body="", body_line=line, generated=True, title_line=line
    )
    return ParsedUnit(
        source=source,
        fragment=etree.tostring(body, encoding="unicode"),
        headings=(Heading(1, title, f"{name}-title", line),),
        markers=(),
        links=(),
        images=(Image(src, alt, line),),
        ids=(),
    )


def cover_design(meta: Metadata) -> CoverDesign | None:
    """What a cover drawn for the book would show, or None without a font to draw it."""
    fonts = find_cover_fonts(meta.language)
    if fonts is None:
        return None
    lines = [creators_line(meta.creators, role, meta.language) for role in ("author", "editor", "translator")]
    return CoverDesign(
        title=meta.title,
        subtitle=meta.subtitle,
        creators=tuple(line for line in lines if line),
        publisher=meta.publisher,
        language=meta.language,
        font=fonts[0],
        bold=fonts[1],
    )


def with_cover(
    meta: Metadata, units: tuple[ParsedUnit, ...]
) -> tuple[tuple[ParsedUnit, ...], Cover | None, list[Diagnostic]]:
    """The units (with a cover page added when no unit shows the picture), the cover, and
    a warning when the book has no picture and none can be drawn."""
    taken = {u.source.name for u in units}
    line = meta.line_of("cover") or 1
    if meta.cover:
        # a path inside the book folder, written from the book root; units write theirs from
        # book/ (an absolute path stays as written: images.collect_images refuses it)
        cover = posixpath.normpath(meta.cover)
        src = cover if posixpath.isabs(cover) else posixpath.relpath(cover, "book")
        name = image_path(src)
        shown = next(
            (u for u in units if u.source.kind == "cover" and any(image_path(i.src) == name for i in u.images)), None
        )
        if shown:
            return units, Cover(name, cover_alt(meta), shown.doc_name), []
        page = _cover_page(meta, src, line, taken)
        return (page, *units), Cover(name, cover_alt(meta), page.doc_name), []
    for unit in units:
        if unit.source.kind == "cover" and unit.images:
            image = unit.images[0]
            return units, Cover(image_path(image.src), image.alt or cover_alt(meta), unit.doc_name), []
    design = cover_design(meta)
    if design is None:
        message = f"no cover picture (`cover:` in metadata.yaml) and no font to draw one: {INSTALL_HINT}"
        return units, None, [Diagnostic("S024", message, meta.path, line)]
    used = {image_path(i.src) for u in units for i in u.images}
    name = DRAWN_NAME if DRAWN_NAME not in used else "images/cover-drawn.jpg"
    page = _cover_page(meta, name, line, taken)  # images/… from book/ is images/… in the outputs
    return (page, *units), Cover(name, cover_alt(meta), page.doc_name, design), []
