"""The build pipeline: its stages in run order, in one place.

    ingest (raw text -> book/ + metadata.yaml)    bookbuild.ingest, run on its own
    load     root -> LoadedBook                   read metadata, units, styles
    parse    LoadedBook -> Book                   Markdown -> model, front matter generated
    resolve  Book -> ResolvedBook                 ids, links, page labels over the whole book
    nav      ResolvedBook -> Navigation           toc, landmarks, page-list
    render   -> Documents                         XHTML per unit, nav document
    write    -> EPUB bytes / HTML files           write_epub, write_html
    check    -> Diagnostics                       bookbuild.check

Everything is read, modelled and resolved before anything is written; a build with an
error writes nothing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from bookbuild.a11y import Accessibility, accessibility
from bookbuild.diagnostics import Diagnostic, Severity, suppressed
from bookbuild.errors import InputError
from bookbuild.fileio import replace_tree, write_bytes_atomic
from bookbuild.frontmatter import with_generated_front_matter
from bookbuild.labels import labels
from bookbuild.load import LoadedBook, load
from bookbuild.model import Book, Document, Navigation, ResolvedBook
from bookbuild.nav import build_nav
from bookbuild.parse import parse_units
from bookbuild.render import RenderedSection, epub_content_documents, render_nav, render_sections
from bookbuild.resolve import resolve
from bookbuild.images import collect_images
from bookbuild.write_epub import write_epub
from bookbuild.write_html import html_files

STAGES = ("load", "parse", "resolve", "nav", "render", "write")


@dataclass(frozen=True)
class Modelled:
    """The whole book read, parsed, resolved and navigated: all a writer needs."""

    resolved: ResolvedBook
    nav: Navigation
    a11y: Accessibility
    diagnostics: tuple[Diagnostic, ...]


def parse(loaded: LoadedBook) -> tuple[Book, list[Diagnostic]]:
    units, diags = parse_units(loaded.units)
    units = with_generated_front_matter(loaded.metadata, units)
    images, found = collect_images(loaded.root, units)
    return Book(loaded.metadata, units, loaded.stylesheets, images), diags + found


def model(root: Path) -> Modelled:
    """load -> parse -> resolve -> nav. Raises InputError (with every diagnostic) on errors."""
    loaded = load(root)
    diagnostics = list(loaded.diagnostics)
    book, found = parse(loaded)
    diagnostics += found
    resolved, found = resolve(book)
    diagnostics += found
    diagnostics = list(suppressed(diagnostics, loaded.metadata.suppress))
    errors = [d for d in diagnostics if d.severity is Severity.ERROR]
    if errors:
        raise InputError(f"{len(errors)} error(s) in {root}; nothing was written", tuple(diagnostics))
    nav = build_nav(resolved)
    return Modelled(resolved, nav, accessibility(resolved, nav), tuple(diagnostics))


def epub_documents(modelled: Modelled, sections: tuple[RenderedSection, ...]) -> list[Document]:
    """Spine order: cover, title page, copyright page, contents, then the book."""
    book = modelled.resolved.book
    css = tuple(name for name, _ in book.stylesheets)
    units = list(epub_content_documents(sections, book.metadata.language, css))
    nav_doc = render_nav(modelled.nav, book.metadata, css)
    split = 0
    while split < len(book.units) and book.units[split].source.kind in (
            "cover", "titlepage", "copyright-page"):
        split += 1
    return units[:split] + [nav_doc] + units[split:]


def epub_bytes(modelled: Modelled, sections: tuple[RenderedSection, ...]) -> bytes:
    book = modelled.resolved.book
    return write_epub(book.metadata, modelled.nav, modelled.a11y, epub_documents(modelled, sections),
                      book.stylesheets, book.images, labels(book.metadata.language)["pages"],
                      os.environ.get("SOURCE_DATE_EPOCH"))


def html_tree(modelled: Modelled, sections: tuple[RenderedSection, ...]) -> dict[str, bytes]:
    book = modelled.resolved.book
    return html_files(book.metadata, modelled.nav.toc, modelled.nav.page_list,
                      [(s.doc, s.title, s.title_id, s.section) for s in sections],
                      book.stylesheets, book.images)


def output_slug(root: Path, modelled: Modelled) -> str:
    meta = modelled.resolved.book.metadata
    digits = "".join(ch for ch in meta.isbn if ch.isdigit() or ch in "Xx")
    if digits:
        return digits
    name = root.resolve().name
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_") else "-" for ch in name) or "book"


def build(root: Path, out: Path, formats: tuple[str, ...] = ("epub", "html")) -> tuple[list[Path], Modelled]:
    modelled = model(root)
    slug = output_slug(root, modelled)
    sections = render_sections(modelled.resolved)
    outputs: dict[str, object] = {}
    if "epub" in formats:
        outputs["epub"] = epub_bytes(modelled, sections)
    if "html" in formats:
        outputs["html"] = html_tree(modelled, sections)
    written = []
    if "epub" in outputs:
        target = out / f"{slug}.epub"
        write_bytes_atomic(target, outputs["epub"])
        written.append(target)
    if "html" in outputs:
        replace_tree(out / "html", outputs["html"])
        written.append(out / "html")
    return written, modelled
