"""The render stage, through the build cache: each unit is rendered once for both
writers (render.unit), and the files made from the whole book (package document and
NCX, the EPUB's reading order, the HTML edition's index pages, the frame of book.html)
alongside, in the same worker processes. Everything goes into the cache under keys from
incremental.keys, so a rebuild renders only what changed; the writers then assemble the
outputs from it.
"""

from __future__ import annotations

import dataclasses
import pickle
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import BinaryIO

from bookbuild.book.cover import cover_design
from bookbuild.book.model import CoverDesign, Document, Metadata, Modelled, ResolvedUnit
from bookbuild.book.words import labels
from bookbuild.fileio import FileContent
from bookbuild.incremental.cache import Cache
from bookbuild.incremental.kept import KeptTargets, PageTable, SideBytes, TocParts
from bookbuild.incremental.keys import book_level_key, cover_key, render_key, shared_render_key
from bookbuild.incremental.parse_cache import ParseCache
from bookbuild.incremental.state import QuickContext, UnitRecord, resolution
from bookbuild.parallel import in_background, map_units
from bookbuild.render.cover_art import draw_cover
from bookbuild.render.epub_package import package_files
from bookbuild.render.html_site import (
    PrevNext,
    Site,
    html_name,
    last_pages,
    make_site,
    prev_next,
    search_starts,
    single_page_frame,
    site_files,
)
from bookbuild.render.kepub import kobo_document
from bookbuild.render.search_index import INDEX_NAME, UNITS_PER_PART, index_file, part_head, part_name, shard_name
from bookbuild.render.unit import epub_spine, render_unit
from bookbuild.write.epub import write_epub
from bookbuild.write.zipwriter import ZipEntry, deflate

# the parts of a unit's "render" entry
EPUB_PART, PAGE_PART, SINGLE_PART, SEARCH_SHARD_PART, SEARCH_LINE_PART = range(5)


def unit_parts(
    resolved: ResolvedUnit,
    meta: Metadata,
    css: tuple[str, ...],
    site: Site,
    links: PrevNext,
    fragment: str,
    html: bool,
) -> list[bytes]:
    """A unit's "render" entry: its EPUB entry (deflated, pickled: the EPUB's writer only
    copies it), its HTML page, its section of book.html, its search shard and line (the
    last four empty when the build makes no HTML edition: keys.shared_render_key)."""
    made = render_unit(resolved, meta, css, site, links, fragment, html)
    epub_entry = pickle.dumps(deflate(f"EPUB/{resolved.unit.doc_name}", made.xhtml))
    return [epub_entry, made.page, made.single, made.search_shard, made.search_line]


@dataclass(frozen=True)
class RenderPlan:
    """A modelled book and where its pieces go in the cache: one render key per unit in
    reading order, and one key for the files made from the whole book. Read-only: the
    forked workers share it."""

    modelled: Modelled
    cache: Cache
    parsed: ParseCache  # where the units' fragments are
    site: Site
    css: tuple[str, ...]
    links: tuple[PrevNext, ...]  # of each unit
    keys: tuple[str, ...]
    book_level: str
    shared: str  # keys.shared_render_key
    html: bool  # whether the HTML edition is made
    source_date_epoch: str | None

    @property
    def task_count(self) -> int:
        cover = self.modelled.resolved.book.cover
        return len(self.keys) + len(book_files_needed(self)) + bool(cover and cover.design)


def render_plan(
    modelled: Modelled, cache: Cache, parsed: ParseCache, source_date_epoch: str | None, html: bool = True
) -> RenderPlan:
    """`html`: whether the HTML edition is made (else only what the EPUB needs is rendered)."""
    book = modelled.resolved.book
    units = [r.unit for r in modelled.resolved.units]
    site = make_site(
        book.metadata,
        modelled.nav.toc,
        modelled.nav.page_list,
        [(u.doc_name, u.source.title, u.headings[0].id) for u in units],
        book.stylesheets,
        book.cover,
    )
    pairs = [(u.doc_name, u.source.title) for u in units]
    links = tuple(prev_next(pairs, i, labels(book.metadata.language)) for i in range(len(units)))
    css = tuple(name for name, _ in book.stylesheets)
    shared = shared_render_key(book.metadata, css, html)
    keys = tuple(
        render_key(shared, parsed.unit_key(r.unit), r, site, links[i]) for i, r in enumerate(modelled.resolved.units)
    )
    return RenderPlan(
        modelled,
        cache,
        parsed,
        site,
        css,
        links,
        keys,
        book_level_key(modelled, source_date_epoch),
        shared,
        html,
        source_date_epoch,
    )


# --- the files made from the whole book, each an entry of its own kind --------------------


def _spine(job: RenderPlan) -> list[Document]:
    return epub_spine(job.modelled)


def cover_picture(cache: Cache, design: CoverDesign) -> bytes:
    """The drawn cover (JPEG), from the cache or drawn and cached."""
    name = cover_key(design)
    data = cache.get("cover", name)
    if data is None:
        data = draw_cover(design)
        cache.put("cover", name, data)
    return data


@contextmanager
def cover_in_background(meta: Metadata, cache: Cache, workers: int) -> Iterator[None]:
    """While the block runs (the book being parsed): the cover drawn in a process of its
    own, when the book may need one drawn and the cache has none. Drawing takes about
    40 MiB; forked now it starts small, forked with the render workers it would start
    with the whole model. The block's end waits for it; render draws it if it failed."""
    design = None if meta.cover else cover_design(meta)
    if design is None or cache.has("cover", cover_key(design)):
        yield
        return
    with in_background(partial(cover_picture, cache, design), workers):
        yield
    cache.refresh()  # the entry the process wrote


def _drawn_cover(job: RenderPlan) -> tuple[tuple[str, bytes], ...]:
    """The generated cover, drawn (none when the book has a picture of its own)."""
    cover = job.modelled.resolved.book.cover
    return ((cover.name, cover_picture(job.cache, cover.design)),) if cover and cover.design else ()


def images(job: RenderPlan) -> tuple[tuple[str, bytes], ...]:
    """Every picture in the outputs: the book's, and the cover drawn for it."""
    return tuple(sorted(job.modelled.resolved.book.images + _drawn_cover(job)))


def _package(job: RenderPlan) -> dict[str, bytes]:
    book, nav = job.modelled.resolved.book, job.modelled.nav
    return package_files(
        book.metadata,
        nav,
        job.modelled.a11y,
        book_file(job, "spine"),
        book.stylesheets,
        # the drawn cover's name, known without drawing it (another task draws it)
        tuple(name for name, _ in book.images) + ((book.cover.name,) if book.cover and book.cover.design else ()),
        book.cover,
        labels(book.metadata.language)["pages"],
        job.source_date_epoch,
    )


def _site(job: RenderPlan) -> dict[str, bytes]:
    book = job.modelled.resolved.book
    return site_files(job.site, book.stylesheets)


def _frame(job: RenderPlan) -> tuple[bytes, bytes]:
    return single_page_frame(job.site)


def _search_index(job: RenderPlan) -> bytes:
    return index_file(search_starts(job.site.units, last_pages(job.site.pages)), len(job.keys))


# in this order: the package lists the spine, so a task making the package makes the
# spine first
_BOOK_FILES: dict[str, Callable[[RenderPlan], object]] = {
    "spine": _spine,
    "package": _package,
    "site": _site,
    "frame": _frame,
    "search": _search_index,
}


_HTML_ONLY = frozenset({"site", "frame", "search"})


def book_files_needed(job: RenderPlan) -> list[str]:
    """The kinds of book-level file the build's outputs are made from."""
    return [kind for kind in _BOOK_FILES if job.html or kind not in _HTML_ONLY]


def book_file(job: RenderPlan, kind: str):
    data = job.cache.get(kind, job.book_level)
    if data is not None:
        return pickle.loads(data)
    value = _BOOK_FILES[kind](job)
    job.cache.put(kind, job.book_level, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    return value


# --- render ------------------------------------------------------------------------------

_COVER = "cover"  # the render task drawing the cover (when cover_in_background did not)
_JOB: RenderPlan | None = None  # what forked workers share: only task names are sent


def _render_task(task: int | str) -> None:
    """A unit (its index) or a file made from the whole book (its kind)."""
    job = _JOB
    if task == _COVER:
        _drawn_cover(job)
        return
    if isinstance(task, str):
        book_file(job, task)
        return
    resolved = job.modelled.resolved.units[task]
    job.cache.put_parts(
        "render",
        job.keys[task],
        unit_parts(
            resolved,
            job.modelled.resolved.book.metadata,
            job.css,
            job.site,
            job.links[task],
            job.parsed.fragment(resolved.unit),
            job.html,
        ),
    )


def render(job: RenderPlan, workers: int, progress: Callable[[int], None] | None = None) -> None:
    """Render every unit whose inputs changed, and the book-level files if the book's
    structure changed, in the same worker pool."""
    global _JOB
    todo: list[int | str] = [kind for kind in book_files_needed(job) if not job.cache.has(kind, job.book_level)]
    if "package" in todo and "spine" in todo:
        todo.remove("spine")  # made by the package's task
    cover = job.modelled.resolved.book.cover
    if cover and cover.design and not job.cache.has("cover", cover_key(cover.design)):
        todo.insert(0, _COVER)  # first: the longest of the tasks
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
    return (
        {("parse", job.parsed.unit_key(r.unit)) for r in units}
        | {("render", name) for name in job.keys}
        | {(kind, job.book_level) for kind in book_files_needed(job)}
        | {("cover", cover_key(design)) for design in _cover_designs(job)}
    )


def _cover_designs(job: RenderPlan) -> set[CoverDesign]:
    """The drawn cover the outputs show, and the one cover_in_background draws on the
    next build (kept even when a cover page of the book's own makes it unneeded, or it
    would be drawn again on every build)."""
    book = job.modelled.resolved.book
    designs = {book.cover.design} if book.cover and book.cover.design else set()
    early = None if book.metadata.cover else cover_design(book.metadata)
    return designs | ({early} if early else set())


# --- what the writers assemble the outputs from ------------------------------------------


def epub_writer(job: RenderPlan, for_kobo: bool = False) -> Callable[[BinaryIO], None]:
    """The EPUB; `for_kobo`: the kepub, the EPUB with each unit's document marked for Kobo
    (render.kepub), whose package, navigation and pictures are the EPUB's."""
    book = job.modelled.resolved.book
    by_doc = {r.unit.doc_name: name for r, name in zip(job.modelled.resolved.units, job.keys)}

    def unit_entry(doc: str) -> ZipEntry:
        entry: ZipEntry = pickle.loads(job.cache.need_part("render", by_doc[doc], EPUB_PART))
        if for_kobo:
            return deflate(entry.name, kobo_document(zlib.decompress(entry.data, -15)))
        return entry

    def write(stream: BinaryIO) -> None:
        write_epub(
            stream,
            book.metadata,
            book_file(job, "package"),
            book_file(job, "spine"),
            unit_entry,
            book.stylesheets,
            images(job),
            job.source_date_epoch,
        )

    return write


def kepub_writer(job: RenderPlan) -> Callable[[BinaryIO], None]:
    return epub_writer(job, for_kobo=True)


def _copy_part(cache: Cache, name: str, part: int, stream: BinaryIO) -> None:
    stream.write(cache.need_part("render", name, part))


def unit_files(job: RenderPlan) -> dict[str, tuple[str, int]]:
    """The files in html/ each unit makes on its own: html/ name -> (render key, part)."""
    files = {}
    for resolved, name in zip(job.modelled.resolved.units, job.keys):
        files[html_name(resolved.unit.doc_name)] = (name, PAGE_PART)
        files[shard_name(resolved.unit.doc_name)] = (name, SEARCH_SHARD_PART)
    return files


def html_files(job: RenderPlan, reuse: dict[str, Path]) -> tuple[dict[str, FileContent], list[str]]:
    """Everything in html/ (the book-level files, the unit pages and search shards,
    book.html, the search index), and the names of the unit files copied from the cache.
    `reuse`: unit files (html/ name -> file) known to hold what the cache holds for them,
    to link rather than write."""
    files: dict[str, FileContent] = dict(book_file(job, "site"))
    files.update(images(job))
    from_cache = []
    for rel, (name, part) in unit_files(job).items():
        files[rel] = reuse.get(rel) or partial(_copy_part, job.cache, name, part)
        if rel not in reuse:
            from_cache.append(rel)
    files[INDEX_NAME] = book_file(job, "search")
    for part in range(-(-len(job.keys) // UNITS_PER_PART)):
        files[part_name(part)] = partial(_search_part, job, part)
    head, tail = book_file(job, "frame")

    def single_page(stream: BinaryIO) -> None:
        stream.write(head)
        for name in job.keys:
            stream.write(job.cache.need_part("render", name, SINGLE_PART))
        stream.write(tail)

    files["book.html"] = single_page
    return files, from_cache


def _search_part(job: RenderPlan, part: int, stream: BinaryIO) -> None:
    """index-PART.js: its first line, then the lines of its units."""
    stream.write(part_head(part))
    for name in job.keys[part * UNITS_PER_PART : (part + 1) * UNITS_PER_PART]:
        stream.write(job.cache.need_part("render", name, SEARCH_LINE_PART))


def quick_context(job: RenderPlan) -> QuickContext | None:
    """What a later quick rebuild needs from this build (see incremental.quick); None when
    some unit's render entry is missing (a cache that could not be written)."""
    units = []
    for resolved, name in zip(job.modelled.resolved.units, job.keys):
        unit = resolved.unit
        sizes = job.cache.part_sizes("render", name)
        if sizes is None:
            return None
        keys = job.parsed.keys.get(unit.source.name)
        units.append(
            UnitRecord(
                path=unit.source.path,
                doc_name=unit.doc_name,
                interface=keys.interface if keys else None,
                renamed_ids=unit.renamed_ids,
                resolved=resolution(resolved),
                render_key=name,
                single_size=sizes[SINGLE_PART],
            )
        )
    book = job.modelled.resolved.book
    return QuickContext(
        metadata=book.metadata,
        css=job.css,
        toc=TocParts.of(job.modelled.nav.toc),
        tops=tuple(job.site.top_of(resolved.unit.doc_name) for resolved in job.modelled.resolved.units),
        nav=SideBytes.dumps(dataclasses.replace(job.modelled.nav, toc=(), page_list=())),
        pages=SideBytes.dumps(PageTable.of(job.modelled.nav.page_list)),
        cover=book.cover,
        link_targets=KeptTargets.of(job.modelled.resolved.link_targets),
        linked=SideBytes.dumps(
            Counter(href for resolved in job.modelled.resolved.units for href in {h for _, h in resolved.hrefs})
        ),
        site_units=tuple(job.site.units),
        links=job.links,
        shared=job.shared,
        book_level=job.book_level,
        frame_head=len(book_file(job, "frame")[0]) if job.html else 0,
        units=tuple(units),
    )
