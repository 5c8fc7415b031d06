"""The build pipeline: its stages in run order, in one place.

    ingest (raw text -> book/ + metadata.yaml)    bookbuild.ingest, run on its own
    load     root -> LoadedBook                   read metadata, units, styles
    parse    LoadedBook -> Book                   Markdown -> model (per unit: cached,
                                                  parallel), front matter generated
    resolve  Book -> ResolvedBook                 ids, links, page labels over the whole book
    nav      ResolvedBook -> Navigation           toc, landmarks, page-list
    render   -> cache                             per unit: XHTML, HTML page, book.html
                                                  section; per book: package, NCX, nav,
                                                  index pages (bookbuild.products: cached,
                                                  parallel)
    write    -> EPUB / html/                      assembled from the cache, side by side
    check    -> Diagnostics                       bookbuild.check

Everything is read, modelled and resolved before anything is written; a build with an
error writes nothing. Work is keyed by content in OUT/.bookbuild-cache, so a rebuild
redoes only what an edit changed, and a build with nothing changed writes nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from bookbuild.a11y import accessibility
from bookbuild.cache import Cache, key
from bookbuild.diagnostics import Diagnostic, Severity, suppressed
from bookbuild.errors import InputError, write_error
from bookbuild.fileio import file_digest
from bookbuild.frontmatter import with_generated_front_matter
from bookbuild.images import collect_images
from bookbuild.load import LoadedBook, load
from bookbuild.model import Book, Modelled
from bookbuild.nav import build_nav
from bookbuild.parallel import worker_count
from bookbuild.parse import parse_units
from bookbuild.products import live_entries, plan, render, write_outputs
from bookbuild.resolve import resolve

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


def parse(loaded: LoadedBook, cache: Cache | None = None, workers: int = 1,
          progress: Progress | None = None) -> tuple[Book, list[Diagnostic]]:
    units, diags = parse_units(loaded.units, cache, workers,
                               _counter(progress, "parse", len(loaded.units)))
    units = with_generated_front_matter(loaded.metadata, units)
    images, found = collect_images(loaded.root, units)
    return Book(loaded.metadata, units, loaded.stylesheets, images), diags + found


def model(root: Path, cache: Cache | None = None, workers: int = 1,
          progress: Progress | None = None) -> Modelled:
    """load -> parse -> resolve -> nav. Raises InputError (with every diagnostic) on errors."""
    if progress:
        progress("load", 0, 0)
    loaded = load(root)
    diagnostics = list(loaded.diagnostics)
    book, found = parse(loaded, cache, workers, progress)
    suppress, digests = loaded.metadata.suppress, loaded.digests
    del loaded  # the sources' text: the parsed fragments stand for it from here on
    diagnostics += found
    if progress:
        progress("resolve", 0, 0)
    resolved, found = resolve(book)
    diagnostics += found
    diagnostics = list(suppressed(diagnostics, suppress))
    errors = [d for d in diagnostics if d.severity is Severity.ERROR]
    if errors:
        raise InputError(f"{len(errors)} error(s) in {root}; nothing was written", tuple(diagnostics))
    nav = build_nav(resolved)
    return Modelled(resolved, nav, accessibility(resolved, nav), tuple(diagnostics), digests)


def output_slug(root: Path, modelled: Modelled) -> str:
    meta = modelled.resolved.book.metadata
    digits = "".join(ch for ch in meta.isbn if ch.isdigit() or ch in "Xx")
    if digits:
        return digits
    name = root.resolve().name
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_") else "-" for ch in name) or "book"


def _outputs_state(paths: list[Path]) -> list:
    """Size and mtime of every output file, as JSON gives it back (lists, not tuples)."""
    state = []
    for path in paths:
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file()) \
            if path.is_dir() else []
        state.append([str(path), [[str(f), f.stat().st_size, f.stat().st_mtime_ns] for f in files]])
    return state


def _input_files(root: Path, modelled: Modelled | None) -> list[str]:
    """What a build reads: the folder listings that decide which files are read, and the
    files themselves (units, metadata, the book's styles, the images the units use)."""
    names = [f"list:book:{','.join(sorted(p.name for p in (root / 'book').glob('*.md')))}",
             f"list:styles:{','.join(sorted(p.name for p in (root / 'styles').glob('*.css')))}"]
    if modelled is None:
        return names
    files = {"metadata.yaml"} | {f"book/{p.name}" for p in (root / "book").glob("*.md")}
    files |= {f"styles/{p.name}" for p in (root / "styles").glob("*.css")}
    files |= {f"book/{image.src}" for r in modelled.resolved.units for image in r.unit.images}
    return names + sorted(files)


def _inputs_digest(root: Path, entries: list[str], formats,
                   known: dict[str, bytes] | None = None) -> str:
    """`known`: digests of the files this build has read already (see load)."""
    known = known or {}
    digest = hashlib.blake2b(digest_size=20)
    for entry in entries:
        path = root / entry
        digest.update(entry.encode("utf-8") + b"\0")
        if entry in known:
            digest.update(known[entry])
        elif not entry.startswith("list:") and path.is_file():
            digest.update(file_digest(path.read_bytes()))
    return key("inputs", formats, os.environ.get("SOURCE_DATE_EPOCH"), digest.hexdigest())


def _unchanged(root: Path, formats, wanted: list[Path], last: dict) -> tuple[bool, str | None]:
    """Whether the inputs the last build read, and the outputs it wrote, are as they
    were; and the digest of those inputs as they are now, when it was computed."""
    if not wanted or not all(p.exists() for p in wanted):
        return False, None
    entries = last.get("inputs", [])
    if entries[:2] != _input_files(root, None):
        return False, None
    digest = _inputs_digest(root, entries, formats)
    return last.get("inputs_digest") == digest and last.get("outputs") == _outputs_state(wanted), digest


def _reusable_pages(last: dict, pages: dict[str, str], html: Path) -> dict[str, Path]:
    """Unit pages in html/ that the last build made from the same render key and that
    nobody has touched since (size and mtime as recorded): the new html/ links them
    instead of writing them again."""
    recorded = {name: (size, mtime) for target, files in last.get("outputs", []) if target == str(html)
                for name, size, mtime in files}
    before = last.get("pages", {})
    reuse = {}
    for rel, name in pages.items():
        path = html / rel
        if before.get(rel) != name or str(path) not in recorded:
            continue
        try:
            stat = path.stat()
        except OSError:
            continue
        if (stat.st_size, stat.st_mtime_ns) == recorded[str(path)]:
            reuse[rel] = path
    return reuse


@dataclass(frozen=True)
class BuildResult:
    written: list[Path]  # empty when nothing had changed
    diagnostics: tuple[Diagnostic, ...]  # warnings stay reported until they are fixed
    modelled: Modelled | None  # None when the inputs were unchanged and nothing was read


def build(root: Path, out: Path, formats: tuple[str, ...] = ("epub", "html"),
          progress: Progress | None = None, workers: int | None = None) -> BuildResult:
    try:
        return _build(root, out, formats, progress, worker_count(workers))
    except OSError as exc:
        raise write_error(exc, "each output is replaced whole or not at all") from exc


def _build(root: Path, out: Path, formats: tuple[str, ...], progress: Progress | None,
           workers: int) -> BuildResult:
    cache = Cache(out / CACHE_FOLDER)
    state_file = cache.folder / "last-build.json"
    last = json.loads(state_file.read_text("utf-8")) if state_file.exists() else {}
    digest_now = None
    if last:
        unchanged, digest_now = _unchanged(root, formats, [out / name for name in last.get("targets", [])],
                                           last)
        if unchanged:
            return BuildResult([], tuple(Diagnostic(**d) for d in last.get("diagnostics", [])), None)
    modelled = model(root, cache, workers, progress)
    job = plan(modelled, cache)
    render(job, workers, _counter(progress, "render", job.task_count))
    targets = {"epub": out / f"{output_slug(root, modelled)}.epub", "html": out / "html"}
    wanted = [targets[f] for f in ("epub", "html") if f in formats]
    # everything the outputs are made of: the units (their render keys), and what the
    # package files add (metadata, navigation, styles, images, the timestamp)
    fingerprint = key("outputs", formats, job.keys, job.book_level)
    inputs = _input_files(root, modelled)
    pages = {f"{r.unit.source.name}.html": name for r, name in zip(modelled.resolved.units, job.keys)}
    record = {"fingerprint": fingerprint, "inputs": inputs, "pages": pages,
              "inputs_digest": digest_now if digest_now and inputs == last.get("inputs")
              else _inputs_digest(root, inputs, formats, dict(modelled.input_digests)),
              "targets": [p.name for p in wanted]}
    if last and all(p.exists() for p in wanted):
        if last.get("fingerprint") == fingerprint and last.get("outputs") == _outputs_state(wanted):
            return BuildResult([], modelled.diagnostics, modelled)
    if progress:
        progress("write", 0, len(wanted))
    write_outputs(job, targets["epub"] if "epub" in formats else None,
                  targets["html"] if "html" in formats else None, workers,
                  _reusable_pages(last, pages, targets["html"]))
    state_file.parent.mkdir(parents=True, exist_ok=True)
    diagnostics = [{"code": d.code, "message": d.message, "file": d.file, "line": d.line,
                    "severity": d.severity} for d in modelled.diagnostics]
    state_file.write_text(json.dumps({**record, "outputs": _outputs_state(wanted),
                                      "diagnostics": diagnostics}), "utf-8")
    cache.prune(live_entries(job))
    if progress:
        progress("write", len(wanted), len(wanted))
    return BuildResult(wanted, modelled.diagnostics, modelled)
