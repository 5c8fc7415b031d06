"""The build pipeline: its stages in run order, in one place.

    ingest (raw text -> book/ + metadata.yaml)    bookbuild.ingest, run on its own
    load     root -> LoadedBook                   book.load: metadata, styles, the unit files
    parse    LoadedBook -> Book                   book.parse: each unit's Markdown -> model
                                                  (in parallel); book.generated_pages;
                                                  book.cover; book.images
    resolve  Book -> ResolvedBook                 book.resolve: ids, links, page labels over
                                                  the whole book
    nav      ResolvedBook -> Navigation           book.nav: toc, landmarks, page-list
    render   Modelled -> bytes                    render/: per unit an XHTML document, an
                                                  HTML page and a book.html section; per
                                                  book the package, NCX, nav, index pages
    write    bytes -> EPUB, html/                 write/: assembled side by side, renamed
                                                  into place together
    check    -> Diagnostics                       bookbuild.check

Everything is read, modelled and resolved before anything is written; a build with an
error writes nothing.

The incremental layer (incremental/) wraps the stages without reaching into them: parse
and render go through the content-keyed cache in OUT/.bookbuild-cache (parse_cache,
render_cache), and incremental.plan decides, from the state of the last build, whether
the book needs modelling at all: with nothing changed nothing is written, and when only
the text of a few units changed incremental.quick splices them into the outputs.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import time
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from bookbuild.book.a11y import accessibility
from bookbuild.book.cover import with_cover
from bookbuild.book.editions import Edition, apply_edition, with_edition_styles
from bookbuild.book.generated_pages import with_generated_front_matter
from bookbuild.book.images import collect_images
from bookbuild.book.index import with_generated_index
from bookbuild.book.load import LoadedBook, load
from bookbuild.book.model import Book, Modelled
from bookbuild.book.nav import build_nav
from bookbuild.book.parse import InMemory, Outlines, parse_unit_files
from bookbuild.book.resolve import resolve
from bookbuild.diagnostics import Diagnostic, Severity, suppressed
from bookbuild.errors import InputError, UsageError, write_error
from bookbuild.fileio import discard_all
from bookbuild.incremental import plan
from bookbuild.incremental.cache import Cache, CacheDamaged
from bookbuild.incremental.keys import outputs_key
from bookbuild.incremental.parse_cache import ParseCache
from bookbuild.incremental.plan import CACHE_FOLDER
from bookbuild.incremental.render_cache import (
    cover_in_background,
    epub_writer,
    html_files,
    kepub_writer,
    live_entries,
    render,
    render_plan,
)
from bookbuild.incremental.state import JOURNAL_NAME
from bookbuild.parallel import no_gc, worker_count
from bookbuild.write.assemble import write_outputs

__all__ = ["CACHE_FOLDER", "BuildResult", "Modelled", "build", "model"]
Progress = Callable[[str, int, int], None]  # (stage, done, total)


def _counter(progress: Progress | None, stage: str, total: int) -> Callable[[int], None] | None:
    """A stage's progress as counts of finished tasks (map_units reports those). The
    stage is reported begun now: its first report would otherwise come with its first
    finished task, and --verbose would count the wait for it (the workers forking, a
    chunk of units) to the stage before."""
    if progress is None:
        return None
    progress(stage, 0, total)
    done = 0

    def step(count: int) -> None:
        nonlocal done
        done += count
        progress(stage, done, total)

    return step


def parse(
    loaded: LoadedBook,
    outlines: Outlines | None = None,
    workers: int = 1,
    progress: Progress | None = None,
    edition: Edition | None = None,
) -> tuple[Book, list[Diagnostic], tuple[tuple[str, bytes], ...]]:
    """The book modelled, its diagnostics (front matter, parsing, images), and the digests
    of the unit files read. An edition changes the parsed units and the metadata before
    the generated pages, the cover and the index are made from them."""
    parsed = parse_unit_files(
        loaded.root, loaded.unit_files, outlines, workers, _counter(progress, "parse", len(loaded.unit_files))
    )
    meta, parsed_units = loaded.metadata, parsed.units
    if edition is not None:
        # the parse cache keeps fragments out of memory: the edition needs them in hand
        keeper = outlines or InMemory()
        whole = tuple(dataclasses.replace(u, fragment=keeper.fragment(u)) for u in parsed_units)
        meta, parsed_units = apply_edition(meta, whole, edition)
    units = with_generated_index(meta, with_generated_front_matter(meta, parsed_units))
    units, cover, no_cover = with_cover(meta, units)
    images, found = collect_images(loaded.root, units, cover.name if cover and cover.design else None)
    read = {unit.source.name for unit in parsed.units}
    unread = tuple(name for name in loaded.unit_files if name.removesuffix(".md") not in read)
    book = with_edition_styles(Book(meta, units, loaded.stylesheets, images, cover, unread), edition)
    return (
        book,
        parsed.read_diagnostics + parsed.diagnostics + no_cover + found,
        parsed.digests,
    )


def model(
    root: Path,
    outlines: Outlines | None = None,
    workers: int = 1,
    progress: Progress | None = None,
    edition: Edition | None = None,
    loaded: LoadedBook | None = None,
) -> Modelled:
    """load -> parse (-> edition) -> resolve -> nav. Raises InputError (with every
    diagnostic) on errors. `loaded`: the load stage's result, when the caller has it."""
    if loaded is None:
        if progress:
            progress("load", 0, 0)
        loaded = load(root)
    diagnostics = list(loaded.diagnostics)
    book, found, unit_digests = parse(loaded, outlines, workers, progress, edition)
    diagnostics += found
    if progress:
        progress("resolve", 0, 0)
    resolved, found = resolve(book)
    diagnostics += found
    diagnostics = list(suppressed(diagnostics, loaded.metadata.suppress))
    errors = [d for d in diagnostics if d.severity is Severity.ERROR]
    if errors:
        raise InputError(f"{len(errors)} error(s) in {root}; nothing was written", tuple(diagnostics))
    nav = build_nav(resolved)
    return Modelled(
        resolved, nav, accessibility(resolved, nav), tuple(diagnostics), tuple(sorted(loaded.digests + unit_digests))
    )


def output_slug(root: Path, modelled: Modelled) -> str:
    """The e-book's ISBN, else the print edition's (how production files are named),
    else the book folder's name."""
    meta = modelled.resolved.book.metadata
    digits = "".join(ch for ch in meta.isbn or meta.print_isbn if ch.isdigit() or ch in "Xx")
    variant = f"-{meta.variant}" if meta.variant else ""  # an edition's outputs are named for it
    if digits:
        return digits + variant
    name = root.resolve().name
    return ("".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_") else "-" for ch in name) or "book") + variant


@dataclass(frozen=True)
class BuildResult:
    written: list[Path]  # empty when nothing had changed
    diagnostics: tuple[Diagnostic, ...]  # warnings stay reported until they are fixed
    modelled: Modelled | None  # None when the inputs were unchanged and nothing was read


# what a zip entry's date can hold: up to 2107-12-31T23:59:59Z
_LAST_ZIP_SECOND = 4_354_819_199


def source_date_epoch() -> str | None:
    """SOURCE_DATE_EPOCH, when set, must be whole seconds since 1970 that a zip can date
    (the reproducible-builds convention). Read once per build, here."""
    value = os.environ.get("SOURCE_DATE_EPOCH")
    if not value:
        return value
    if not value.isdigit() or int(value) > _LAST_ZIP_SECOND:
        raise UsageError(
            f"SOURCE_DATE_EPOCH={value!r}: it must be whole seconds since "
            f"1970-01-01 UTC, from 0 to {_LAST_ZIP_SECOND} (2107), e.g. "
            "SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)"
        )
    return value


def build(
    root: Path,
    out: Path,
    formats: tuple[str, ...] = ("epub", "html"),
    progress: Progress | None = None,
    workers: int | None = None,
    edition: Edition | None = None,
) -> BuildResult:
    """`edition`: a vertical or Traditional edition (book.editions); its outputs are named
    for it, and the state of the last build records it, so that a build of another
    edition into the same folder never takes that one's outputs for its own."""
    epoch = source_date_epoch()
    if edition is not None:
        formats = (*formats, f"edition:{edition.name}")
    try:
        with no_gc():
            try:
                return _build(root, out, formats, progress, worker_count(workers), epoch, edition)
            except CacheDamaged:
                # the cache only saves work: without it the build is the same, only slower
                shutil.rmtree(out / CACHE_FOLDER, ignore_errors=True)
                return _build(root, out, formats, progress, worker_count(workers), epoch, edition)
    except OSError as exc:
        raise write_error(exc, "each output is replaced whole or not at all") from exc
    except BrokenProcessPool:
        raise UsageError(
            "a worker process died (killed, or out of memory?); nothing was written: "
            "build again, with --jobs 1 if memory is short"
        ) from None


def _build(
    root: Path,
    out: Path,
    formats: tuple[str, ...],
    progress: Progress | None,
    workers: int,
    epoch: str | None,
    edition: Edition | None = None,
) -> BuildResult:
    started = time.time_ns()
    folder, last = plan.prepare(out)
    written = plan.without_modelling(root, out, folder, last, formats, epoch, started, progress, workers)
    if written is not None:
        assert last is not None  # there is nothing to reuse without a last build
        return BuildResult(written, last.diagnostics, None)
    # what a quick rebuild would have needed (megabytes at L) is not kept through the build
    last = dataclasses.replace(last, quick=None) if last else None
    with Cache(folder) as cache:  # its packs closed: a process may build many times
        parsed = ParseCache(cache)
        if progress:
            progress("load", 0, 0)
        loaded = load(root)
        # an edition's cover shows its own title: drawn by render
        early: AbstractContextManager[None] = (
            nullcontext() if edition else cover_in_background(loaded.metadata, cache, workers)
        )
        with early:
            modelled = model(root, parsed, workers, progress, edition, loaded)  # parse, resolve, nav
        job = render_plan(modelled, cache, parsed, epoch, html="html" in formats)
        render(job, workers, _counter(progress, "render", job.task_count))
        slug = output_slug(root, modelled)
        names = {"epub": f"{slug}.epub", "kepub": f"{slug}.kepub.epub", "html": "html"}
        targets = tuple((f, names[f]) for f in ("epub", "kepub", "html") if f in formats)
        paths = {f: out / name for f, name in targets}
        fingerprint = outputs_key(formats, job.keys, job.book_level)
        if plan.outputs_current(out, last, fingerprint, targets):
            return BuildResult([], modelled.diagnostics, modelled)
        if progress:
            progress("write", 0, len(targets))
        html = None
        if "html" in paths:
            reuse = plan.reusable_pages(last, plan.unit_pages(job), paths["html"])
            html = (paths["html"], *html_files(job, reuse))
        zips = [(paths[f], writer(job)) for f, writer in (("epub", epub_writer), ("kepub", kepub_writer)) if f in paths]
        # the old outputs deleted here, not in a thread while the state is recorded: that
        # holds the interpreter, and a folder of a file per unit is deleted file by file
        discard_all(write_outputs(zips, html, workers, folder / JOURNAL_NAME))
        del zips, html  # the site's files, among others: megabytes the state's recording can use
        plan.record_full_build(root, out, folder, job, started, formats, epoch, targets, fingerprint)
        cache.prune(live_entries(job))
        if progress:
            progress("write", len(targets), len(targets))
        return BuildResult(list(paths.values()), modelled.diagnostics, modelled)
