"""One unit rendered for both outputs, and the EPUB's reading order."""

from __future__ import annotations

from dataclasses import dataclass

from bookbuild.book.kinds import leads_book
from bookbuild.book.model import Document, Metadata, Modelled, ResolvedUnit
from bookbuild.render.html_site import PrevNext, Site, html_name, plain_section, single_page_section, unit_page
from bookbuild.render.search_index import unit_line, unit_shard, unit_text
from bookbuild.render.xhtml import render_nav, render_section, xhtml_document


@dataclass(frozen=True)
class RenderedUnit:
    """A unit's outputs: its EPUB content document, its HTML page, its section of
    book.html, its search shard (js/search/NAME.js) and its line of js/search/index.js."""

    xhtml: bytes
    page: bytes
    single: bytes
    search_shard: bytes
    search_line: bytes


def render_unit(
    resolved: ResolvedUnit,
    meta: Metadata,
    css: tuple[str, ...],
    site: Site,
    links: PrevNext,
    fragment: str,
    html: bool = True,
) -> RenderedUnit:
    """`fragment`: the unit's XHTML, wherever it was kept. `html`: whether the HTML
    edition is made; without it the HTML parts (two thirds of the work) stay empty."""
    source = resolved.unit.source
    doc = resolved.unit.doc_name
    section = render_section(resolved, meta, fragment)
    xhtml = xhtml_document(source.title, meta.language, css, [section], f"kind-{source.kind}")
    if not html:
        return RenderedUnit(xhtml, b"", b"", b"", b"")
    page_section = plain_section(section, site)  # the same tree, now the EPUB's is written
    searched = unit_text(page_section)
    name = doc[:-6]
    # the page first, then book.html's section from the same tree (a copy of the tree cost
    # a quarter of a millisecond a chapter): the page changes only where links lead, and
    # they are set back before book.html's are set
    links_as_written = [(a, href) for a in page_section.iter("a") if (href := a.get("href"))]
    prev_link, next_link = links
    page = unit_page(site, doc, source.title, source.kind, page_section, prev_link, next_link)
    for a, href in links_as_written:
        a.set("href", href)
    single = single_page_section(site, doc, page_section)
    return RenderedUnit(
        xhtml, page, single, unit_shard(name, searched), unit_line(name, html_name(doc), source.title, searched)
    )


def epub_spine(modelled: Modelled) -> list[Document]:
    """Reading order: the units that lead the book (cover, title page, copyright page),
    the contents, then the rest. Unit documents come without a body: render_unit makes
    them."""
    book = modelled.resolved.book
    css = tuple(name for name, _ in book.stylesheets)
    docs = [
        Document(name=u.doc_name, title=u.source.title, body=b"", properties=("mathml",) if u.mathml else ())
        for u in book.units
    ]
    nav_doc = render_nav(modelled.nav, book.metadata, css)
    split = 0
    while split < len(book.units) and leads_book(book.units[split].source.kind):
        split += 1
    return docs[:split] + [nav_doc] + docs[split:]
