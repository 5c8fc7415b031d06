"""The build pipeline: its stages in run order, in one place.

    ingest (raw text -> book/ + metadata.yaml)    bookbuild.ingest, run on its own
    load     root -> LoadedBook                   read metadata and styles, list the units
    parse    LoadedBook -> Book                   read each unit, Markdown -> model (per
                                                  unit: cached, parallel), front matter
                                                  generated
    resolve  Book -> ResolvedBook                 ids, links, page labels over the whole book
    nav      ResolvedBook -> Navigation           toc, landmarks, page-list
    render   -> cache                             per unit: XHTML, HTML page, book.html
                                                  section; per book: package, NCX, nav,
                                                  index pages (bookbuild.incremental.render_cache: cached,
                                                  parallel)
    write    -> EPUB / html/                      assembled from the cache, side by side
    check    -> Diagnostics                       bookbuild.check

Everything is read, modelled and resolved before anything is written; a build with an
error writes nothing. Work is keyed by content in OUT/.bookbuild-cache, so a rebuild
redoes only what an edit changed, and a build with nothing changed writes nothing. The
state of the last build (bookbuild.incremental.state) says what changed; when that is only the text
of a few units, bookbuild.incremental.quick re-renders them and splices them into the outputs
without modelling the rest of the book.
"""

from __future__ import annotations

import os
import shutil
import time
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from bookbuild.book.a11y import accessibility
from bookbuild.incremental.cache import Cache, CacheDamaged, key
from bookbuild.diagnostics import Diagnostic, Severity, suppressed
from bookbuild.errors import InputError, UsageError, write_error
from bookbuild.book.generated_pages import with_generated_front_matter
from bookbuild.book.images import collect_images
from bookbuild.book.load import LoadedBook, load
from bookbuild.book.model import Book, Modelled
from bookbuild.book.nav import build_nav
from bookbuild.parallel import no_gc, worker_count
from bookbuild.book.parse import parse_unit_files
from bookbuild.fileio import recover, remove_leftovers
from bookbuild.incremental.render_cache import live_entries, plan, quick_context, render, write_outputs
from bookbuild.incremental.quick import quick_rebuild
from bookbuild.book.resolve import resolve
from bookbuild.incremental.state import (JOURNAL_NAME, BuildState, compare_inputs, listings, outputs_state, read_state,
                             output_record,
                             record_inputs, write_state)

STAGES = ("load", "parse", "resolve", "nav", "render", "write")
CACHE_FOLDER = ".bookbuild-cache"
Progress = Callable[[str, int, int], None]  # (stage, done, total)


def _counter(progress: Progress | None, stage: str, total: int):
    done = 0

    def step(count: int) -> None:
        nonlocal done
        done += count
        progress(stage, done, total)
    return step if progress else None


def parse(loaded: LoadedBook, cache: Cache | None = None, workers: int = 1, progress: Progress | None = None
          ) -> tuple[Book, list[Diagnostic], tuple[tuple[str, bytes], ...]]:
    """The book modelled, its diagnostics (front matter, parsing, images), and the digests
    of the unit files read."""
    parsed = parse_unit_files(loaded.root, loaded.unit_files, cache, workers,
                              _counter(progress, "parse", len(loaded.unit_files)))
    units = with_generated_front_matter(loaded.metadata, parsed.units)
    images, found = collect_images(loaded.root, units)
    return (Book(loaded.metadata, units, loaded.stylesheets, images),
            parsed.read_diagnostics + parsed.diagnostics + found, parsed.digests)


def model(root: Path, cache: Cache | None = None, workers: int = 1,
          progress: Progress | None = None) -> Modelled:
    """load -> parse -> resolve -> nav. Raises InputError (with every diagnostic) on errors."""
    if progress:
        progress("load", 0, 0)
    loaded = load(root)
    diagnostics = list(loaded.diagnostics)
    book, found, unit_digests = parse(loaded, cache, workers, progress)
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
    return Modelled(resolved, nav, accessibility(resolved, nav), tuple(diagnostics),
                    tuple(sorted(loaded.digests + unit_digests)))


def output_slug(root: Path, modelled: Modelled) -> str:
    meta = modelled.resolved.book.metadata
    digits = "".join(ch for ch in meta.isbn if ch.isdigit() or ch in "Xx")
    if digits:
        return digits
    name = root.resolve().name
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_") else "-" for ch in name) or "book"


def _input_paths(root: Path, modelled: Modelled) -> list[str]:
    """The files a build reads: metadata, units, the book's styles, the images units use."""
    names = listings(root)
    files = {"metadata.yaml"} | {f"book/{name}" for name in names[0]} | {f"styles/{name}" for name in names[1]}
    files |= {f"book/{image.src}" for r in modelled.resolved.units for image in r.unit.images}
    return sorted(files)


def _reusable_pages(last: BuildState | None, pages: dict[str, str], html: Path) -> dict[str, Path]:
    """Unit pages in html/ that the last build made from the same render key and that
    nobody has touched since (their stat signature as recorded, ctime included): the new
    html/ links them instead of writing them again."""
    if last is None:
        return {}
    recorded = {record[0]: record for record in last.outputs}
    before = dict(last.pages)
    reuse = {}
    for rel, name in pages.items():
        path = html / rel
        was = recorded.get(f"{html.name}/{rel}")
        if before.get(rel) != name or was is None:
            continue
        try:
            stat = path.stat()
        except OSError:
            continue
        if output_record(was[0], stat) == was:
            reuse[rel] = path
    return reuse


@dataclass(frozen=True)
class BuildResult:
    written: list[Path]  # empty when nothing had changed
    diagnostics: tuple[Diagnostic, ...]  # warnings stay reported until they are fixed
    modelled: Modelled | None  # None when the inputs were unchanged and nothing was read


# what a zip entry's date can hold: up to 2107-12-31T23:59:59Z
_LAST_ZIP_SECOND = 4_354_819_199


def check_source_date_epoch() -> None:
    """SOURCE_DATE_EPOCH, when set, must be whole seconds since 1970 that a zip can date
    (the reproducible-builds convention); every later reader takes it as valid."""
    value = os.environ.get("SOURCE_DATE_EPOCH")
    if not value:
        return
    if not value.isdigit() or int(value) > _LAST_ZIP_SECOND:
        raise UsageError(f"SOURCE_DATE_EPOCH={value!r}: it must be whole seconds since "
                         f"1970-01-01 UTC, from 0 to {_LAST_ZIP_SECOND} (2107), e.g. "
                         "SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)")


def build(root: Path, out: Path, formats: tuple[str, ...] = ("epub", "html"),
          progress: Progress | None = None, workers: int | None = None) -> BuildResult:
    check_source_date_epoch()
    try:
        with no_gc():
            try:
                return _build(root, out, formats, progress, worker_count(workers))
            except CacheDamaged:
                # the cache only saves work: without it the build is the same, only slower
                shutil.rmtree(out / CACHE_FOLDER, ignore_errors=True)
                return _build(root, out, formats, progress, worker_count(workers))
    except OSError as exc:
        raise write_error(exc, "each output is replaced whole or not at all") from exc
    except BrokenProcessPool:
        raise UsageError("a worker process died (killed, or out of memory?); nothing was written: "
                         "build again, with --jobs 1 if memory is short") from None


def _build(root: Path, out: Path, formats: tuple[str, ...], progress: Progress | None,
           workers: int) -> BuildResult:
    started = time.time_ns()
    folder = out / CACHE_FOLDER
    if folder.is_symlink() or folder.exists() and not folder.is_dir():
        folder.unlink()  # not a cache this code made: start one afresh
    # a build killed while renaming its outputs into place: finish that first, then
    # clear what killed builds left half-written
    recover(folder / JOURNAL_NAME)
    remove_leftovers(out)
    remove_leftovers(folder)
    last = read_state(folder)
    if last and last.formats == formats and last.source_date_epoch == os.environ.get("SOURCE_DATE_EPOCH"):
        check = compare_inputs(root, last)
        if check is not None and outputs_state(out, last.targets) == last.outputs:
            if not check.changed:
                return BuildResult([], last.diagnostics, None)
            written = quick_rebuild(out, folder, last, check, started, progress)
            if written is not None:
                return BuildResult(written, last.diagnostics, None)
    with Cache(folder) as cache:  # its packs closed: a process may build many times
        modelled = model(root, cache, workers, progress)
        job = plan(modelled, cache)
        render(job, workers, _counter(progress, "render", job.task_count))
        slug = output_slug(root, modelled)
        targets = tuple((f, f"{slug}.epub" if f == "epub" else "html") for f in ("epub", "html") if f in formats)
        paths = {f: out / name for f, name in targets}
        # everything the outputs are made of: the units (their render keys), and what the
        # package files add (metadata, navigation, styles, images, the timestamp)
        fingerprint = key("outputs", formats, job.keys, job.book_level)
        pages = {f"{r.unit.source.name}.html": name for r, name in zip(modelled.resolved.units, job.keys)}
        if last and last.fingerprint == fingerprint and last.targets == targets \
                and outputs_state(out, targets) == last.outputs:
            return BuildResult([], modelled.diagnostics, modelled)
        if progress:
            progress("write", 0, len(targets))
        write_outputs(job, paths.get("epub"), paths.get("html"), workers,
                      _reusable_pages(last, pages, paths["html"]) if "html" in paths else {},
                      folder / JOURNAL_NAME)
        write_state(folder, BuildState(
            started, formats, os.environ.get("SOURCE_DATE_EPOCH"), listings(root),
            record_inputs(root, _input_paths(root, modelled), dict(modelled.input_digests)), targets,
            outputs_state(out, targets), fingerprint, tuple(sorted(pages.items())), modelled.diagnostics,
            quick_context(job)))
        cache.prune(live_entries(job))
        if progress:
            progress("write", len(targets), len(targets))
        return BuildResult(list(paths.values()), modelled.diagnostics, modelled)
