"""Stages `render` and `write`: what the pipeline makes from a modelled book.

Each unit is rendered once, for both writers (its EPUB entry deflated, its HTML page, its
section of book.html), and the files made from the whole book (package document and NCX,
nav document, index and page index, the frame of book.html) are made alongside, in the
same worker processes. Everything goes into the content-keyed cache; the writers then
only assemble the EPUB and the html/ folder from it, side by side.
"""

from __future__ import annotations

import copy
import os
import pickle
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Callable

from bookbuild.incremental.cache import Cache, key
from bookbuild.fileio import commit_together, discard, fill_folder, new_staged_file, new_staged_folder
from bookbuild.book.words import labels
from bookbuild.book.model import Document, Metadata, Modelled, ResolvedUnit
from bookbuild.parallel import map_units, side_by_side
from bookbuild.book.parse import fragment_of
from bookbuild.render.xhtml import render_nav, render_section, xhtml_document
from bookbuild.incremental.state import QuickContext, UnitRecord
from bookbuild.render.epub_package import package_files, write_epub
from bookbuild.render.html_site import (make_site, plain_section, prev_next, sidebar_signature,
                                  single_page_frame, single_page_section, site_files, unit_page)
from bookbuild.write.zipwriter import deflate

EPUB_PART, PAGE_PART, SINGLE_PART = 0, 1, 2  # the parts of a unit's "render" entry
_EPUB_WRITER_SHARE = 3  # the EPUB's writer also writes every third unit page


@dataclass(frozen=True)
class RenderPlan:
    """A modelled book and where its pieces go in the cache: one render key per unit in
    reading order, and one key for the files made from the whole book. Read-only: the
    forked workers share it."""

    modelled: Modelled
    cache: Cache
    site: object
    css: tuple[str, ...]
    links: tuple[tuple, ...]  # (previous, next) page of each unit
    keys: tuple[str, ...]
    book_level: str
    shared: str  # see shared_render_key

    @property
    def task_count(self) -> int:
        return len(self.keys) + len(_BOOK_FILES)


_JOB: RenderPlan | None = None


def _render_unit(index: int) -> None:
    job = _JOB
    resolved = job.modelled.resolved.units[index]
    job.cache.put_parts("render", job.keys[index], render_unit(
        resolved, job.modelled.resolved.book.metadata, job.css, job.site, job.links[index],
        fragment_of(resolved.unit, job.cache)))


def render_unit(resolved: ResolvedUnit, meta: Metadata, css: tuple[str, ...], site, links: tuple,
                fragment: str) -> list[bytes]:
    """A unit's parts of the "render" cache entry: its EPUB entry (deflated, pickled),
    its HTML page, its section of book.html."""
    source = resolved.unit.source
    doc = resolved.unit.doc_name
    section = render_section(resolved, meta, fragment)
    xhtml = xhtml_document(source.title, meta.language, css, [section], f"kind-{source.kind}")
    page_section = plain_section(section, site)  # the same tree, now the EPUB's is written
    single = single_page_section(site, doc, copy.deepcopy(page_section))
    prev_link, next_link = links
    page = unit_page(site, doc, source.title, source.kind, page_section, prev_link, next_link)
    return [pickle.dumps(deflate(f"EPUB/{doc}", xhtml)), page, single]


# --- the files made from the whole book ------------------------------------------------


def epub_spine(modelled: Modelled) -> list[Document]:
    """Reading order: cover, title page, copyright page, contents, then the book. Unit
    documents come without a body: their deflated bytes are in the render cache."""
    book = modelled.resolved.book
    css = tuple(name for name, _ in book.stylesheets)
    docs = [Document(name=u.doc_name, title=u.source.title, body=b"") for u in book.units]
    nav_doc = render_nav(modelled.nav, book.metadata, css)
    split = 0
    while split < len(book.units) and book.units[split].source.kind in (
            "cover", "titlepage", "copyright-page"):
        split += 1
    return docs[:split] + [nav_doc] + docs[split:]


def _epub_package(job: RenderPlan) -> dict[str, bytes]:
    book, nav = job.modelled.resolved.book, job.modelled.nav
    return package_files(book.metadata, nav, job.modelled.a11y, _book_file(job, "spine"),
                         book.stylesheets, book.images, labels(book.metadata.language)["pages"],
                         os.environ.get("SOURCE_DATE_EPOCH"))


_BOOK_FILES: dict[str, Callable[[RenderPlan], object]] = {
    "spine": lambda job: epub_spine(job.modelled),
    "package": _epub_package,
    "site": lambda job: site_files(job.site, job.modelled.resolved.book.stylesheets,
                                   job.modelled.resolved.book.images),
    "frame": lambda job: single_page_frame(job.site),
}


def _book_file(job: RenderPlan, kind: str):
    data = job.cache.get(kind, job.book_level)
    if data is not None:
        return pickle.loads(data)
    value = _BOOK_FILES[kind](job)
    job.cache.put(kind, job.book_level, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    return value


def _book_level_key(modelled: Modelled) -> str:
    """What the files made from the whole book depend on. The navigation holds only
    strings, tuples and booleans, so its pickle is the same in every process and can be
    digested directly. The source lines of page markers are left out: they only reach
    diagnostics, and an edit that moves them changes none of these files."""
    book, nav = modelled.resolved.book, modelled.nav
    pages = [(page.label, page.doc, page.id, page.known) for page in nav.page_list]
    return key("book-level", book.metadata,
               pickle.dumps((nav.toc, nav.landmarks, pages, nav.reading_order), protocol=4),
               modelled.a11y, [u.doc_name for u in book.units], [u.source.title for u in book.units],
               [u.headings[0].id for u in book.units], book.stylesheets,
               [(name, key(data)) for name, data in book.images],
               os.environ.get("SOURCE_DATE_EPOCH"))


# --- render ------------------------------------------------------------------------------


def _render_task(task: int | str) -> None:
    if isinstance(task, int):
        _render_unit(task)
    else:
        _book_file(_JOB, task)


def plan(modelled: Modelled, cache: Cache) -> RenderPlan:
    book = modelled.resolved.book
    units = [r.unit for r in modelled.resolved.units]
    site = make_site(book.metadata, modelled.nav.toc, modelled.nav.page_list,
                     [(u.doc_name, u.source.title, u.headings[0].id) for u in units],
                     book.stylesheets)
    pairs = [(u.doc_name, u.source.title) for u in units]
    links = tuple(prev_next(pairs, i, labels(book.metadata.language)) for i in range(len(units)))
    css = tuple(name for name, _ in book.stylesheets)
    shared = shared_render_key(book.metadata, css)
    keys = tuple(render_key(shared, r, site, links[i]) for i, r in enumerate(modelled.resolved.units))
    return RenderPlan(modelled, cache, site, css, links, keys, _book_level_key(modelled), shared)


def shared_render_key(meta: Metadata, css: tuple[str, ...]) -> str:
    """What every unit's outputs depend on: digested once, not per unit."""
    return key("render-shared", meta, css)


def render_key(shared: str, resolved: ResolvedUnit, site, links: tuple) -> str:
    """A unit's key: its parsed content and everything from the rest of the book that its
    outputs show (where its links lead, its sidebar, its neighbours' titles). A link to a
    whole unit becomes #<its title id> in book.html, so that title id is part of it."""
    unit = resolved.unit
    whole_unit_targets = tuple(site.title_ids.get(href) for _, href in resolved.hrefs if "#" not in href)
    # headings, hrefs and sidebars hold no sets, so their pickle is stable across processes
    return key("render", shared, unit.digest, pickle.dumps(
        (unit.headings, resolved.hrefs, whole_unit_targets, sidebar_signature(site, unit.doc_name),
         links), protocol=4))


def render(job: RenderPlan, workers: int, progress: Callable[[int], None] | None = None) -> None:
    """Render every unit whose inputs changed, and the book-level files if the book's
    structure changed, in the same worker pool."""
    global _JOB
    todo: list[int | str] = [kind for kind in _BOOK_FILES
                             if not job.cache.has(kind, job.book_level)]
    # the package needs the spine: one task makes both, in that order
    if "package" in todo and "spine" in todo:
        todo.remove("spine")
    todo += [i for i, name in enumerate(job.keys) if not job.cache.has("render", name)]
    if progress and job.task_count > len(todo):
        progress(job.task_count - len(todo))
    _JOB = job
    try:
        map_units(_render_task, todo, workers, progress)
    finally:
        _JOB = None
    if todo:
        job.cache.refresh()  # the entries the workers wrote


def live_entries(job: RenderPlan) -> set[tuple[str, str]]:
    """The cache entries this build's outputs are made of."""
    units = job.modelled.resolved.units
    return ({("parse", r.unit.digest) for r in units} | {("render", name) for name in job.keys}
            | {(kind, job.book_level) for kind in _BOOK_FILES})


# --- write: assemble from the cache ----------------------------------------------------


def _write_epub(job: RenderPlan, target: Path) -> None:
    """The EPUB written to `target` (a staged file: see write_outputs)."""
    book = job.modelled.resolved.book
    by_doc = {r.unit.doc_name: name for r, name in zip(job.modelled.resolved.units, job.keys)}
    with target.open("wb") as stream:
        write_epub(stream, book.metadata, _book_file(job, "package"), _book_file(job, "spine"),
                   lambda doc: pickle.loads(job.cache.need_part("render", by_doc[doc], EPUB_PART)),
                   book.stylesheets, book.images, os.environ.get("SOURCE_DATE_EPOCH"))


def _copy_part(cache: Cache, name: str, part: int, stream) -> None:
    stream.write(cache.need_part("render", name, part))


def _html_files(job: RenderPlan, reuse: dict[str, Path]) -> dict[str, object]:
    """Everything in html/: the book-level files, the unit pages, book.html."""
    files: dict[str, object] = dict(_book_file(job, "site"))
    for resolved, name in zip(job.modelled.resolved.units, job.keys):
        rel = f"{resolved.unit.source.name}.html"
        files[rel] = reuse.get(rel) or partial(_copy_part, job.cache, name, PAGE_PART)
    head, tail = _book_file(job, "frame")

    def single_page(stream) -> None:
        stream.write(head)
        for name in job.keys:
            stream.write(job.cache.need_part("render", name, SINGLE_PART))
        stream.write(tail)
    files["book.html"] = single_page
    return files


def write_outputs(job: RenderPlan, epub: Path | None, html: Path | None, workers: int,
                  reuse: dict[str, Path] | None, journal: Path) -> None:
    """Assemble the EPUB and the html/ folder from the cache beside their targets, side
    by side when there are cores for both: the EPUB (quick: its entries are deflated
    already) in one process along with a share of the unit pages, the rest of html/ in
    the other. Then rename both into place together (fileio.commit_together, through
    `journal`). `reuse`: unit pages (html/ name -> file) known to hold what the cache
    holds for them, to link rather than write."""
    staged: list[tuple[Path, Path]] = []
    try:
        epub_file = new_staged_file(epub) if epub else None
        if epub_file:
            staged.append((epub_file, epub))
        if not html:
            _write_epub(job, epub_file)
        else:
            staging = new_staged_folder(html)
            staged.append((staging, html))
            files = _html_files(job, reuse or {})
            from_cache = sorted(name for name, content in files.items() if isinstance(content, partial))
            with_epub = set(from_cache[::_EPUB_WRITER_SHARE]) if epub and workers > 1 else set()

            def epub_side() -> None:
                _write_epub(job, epub_file)
                fill_folder(staging, {name: files[name] for name in with_epub})

            def html_side() -> None:
                fill_folder(staging, {name: content for name, content in files.items()
                                      if name not in with_epub})
            side_by_side([epub_side, html_side] if epub else [html_side], workers)
    except BaseException:
        for path, _ in staged:
            discard(path)
        raise
    commit_together(journal, staged)


def quick_context(job: RenderPlan) -> QuickContext | None:
    """What a later quick rebuild needs from this build (see bookbuild.incremental.quick); None when
    some unit's render entry is missing (a cache that could not be written)."""
    units = []
    for resolved, name in zip(job.modelled.resolved.units, job.keys):
        unit = resolved.unit
        sizes = job.cache.part_sizes("render", name)
        if sizes is None:
            return None
        units.append(UnitRecord(unit.source.path, unit.doc_name, unit.interface, unit.renamed_ids,
                                resolved.hrefs, name, sizes[SINGLE_PART]))
    book = job.modelled.resolved.book
    toc = pickle.dumps(job.modelled.nav.toc, protocol=pickle.HIGHEST_PROTOCOL)
    return QuickContext(book.metadata, job.css, toc, tuple(job.site.units), job.links,
                        job.shared, job.book_level, len(_book_file(job, "frame")[0]), tuple(units))
