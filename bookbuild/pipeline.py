"""The build pipeline: its stages in run order, in one place.

    ingest (raw text -> book/ + metadata.yaml)    bookbuild.ingest, run on its own
    load     root -> LoadedBook                   read metadata, units, styles
    parse    LoadedBook -> Book                   Markdown -> model (per unit: cached,
                                                  parallel), front matter generated
    resolve  Book -> ResolvedBook                 ids, links, page labels over the whole book
    nav      ResolvedBook -> Navigation           toc, landmarks, page-list
    render   -> per-unit outputs                  XHTML, HTML page, single-page section
                                                  (per unit: cached, parallel)
    write    -> EPUB / html/                      write_epub, write_html assemble
    check    -> Diagnostics                       bookbuild.check

Everything is read, modelled and resolved before anything is written; a build with an
error writes nothing. Work is keyed by content in OUT/.bookbuild-cache, so a rebuild
redoes only what an edit changed, and a build with nothing changed writes nothing.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import pickle
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Callable

from bookbuild.a11y import Accessibility, accessibility
from bookbuild.cache import Cache, key
from bookbuild.diagnostics import Diagnostic, Severity, suppressed
from bookbuild.errors import InputError
from bookbuild.fileio import replace_tree, write_bytes_atomic
from bookbuild.frontmatter import with_generated_front_matter
from bookbuild.images import collect_images
from bookbuild.labels import labels
from bookbuild.load import LoadedBook, load
from bookbuild.model import Book, Document, Navigation, ResolvedBook
from bookbuild.nav import build_nav
from bookbuild.parallel import map_units, worker_count
from bookbuild.parse import fragment_of, parse_units
from bookbuild.render import render_nav, render_section, xhtml_document
from bookbuild.resolve import resolve
from bookbuild.write_epub import write_epub
from bookbuild.write_html import (make_site, plain_section, prev_next, sidebar_signature,
                                  single_page_frame, single_page_section, site_files, unit_page)
from bookbuild.zipwriter import deflate

STAGES = ("load", "parse", "resolve", "nav", "render", "write")
CACHE_FOLDER = ".bookbuild-cache"
Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass(frozen=True)
class Modelled:
    """The whole book read, parsed, resolved and navigated: all a writer needs."""

    resolved: ResolvedBook
    nav: Navigation
    a11y: Accessibility
    diagnostics: tuple[Diagnostic, ...]


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
    suppress = loaded.metadata.suppress
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
    return Modelled(resolved, nav, accessibility(resolved, nav), tuple(diagnostics))


# --- render: each unit once, for both writers ------------------------------------------


@dataclass(frozen=True)
class _RenderJob:
    """Read-only state the forked render workers share."""

    modelled: Modelled
    site: object
    css: tuple[str, ...]
    links: tuple[tuple, ...]
    keys: tuple[str, ...]
    cache: Cache


_JOB: _RenderJob | None = None


def _render_unit(index: int) -> None:
    job = _JOB
    resolved = job.modelled.resolved.units[index]
    meta = job.modelled.resolved.book.metadata
    source = resolved.unit.source
    doc = resolved.unit.doc_name
    section = render_section(resolved, meta, fragment_of(resolved.unit, job.cache))
    page_section = plain_section(section, job.site)
    single = single_page_section(job.site, doc, copy.deepcopy(page_section))
    prev_link, next_link = job.links[index]
    page = unit_page(job.site, doc, source.title, source.kind, page_section, prev_link, next_link)
    xhtml = xhtml_document(source.title, meta.language, job.css, [section], f"kind-{source.kind}")
    job.cache.put_parts("render", job.keys[index], [
        pickle.dumps(deflate(f"EPUB/{doc}", xhtml)), page, single])


def render_units(modelled: Modelled, cache: Cache, workers: int,
                 progress: Progress | None = None) -> tuple[str, ...]:
    """Render every unit whose inputs changed; returns each unit's cache key."""
    global _JOB
    book = modelled.resolved.book
    units = [r.unit for r in modelled.resolved.units]
    site = make_site(book.metadata, modelled.nav.toc, modelled.nav.page_list,
                     [(u.doc_name, u.source.title, u.headings[0].id) for u in units],
                     book.stylesheets)
    css = tuple(name for name, _ in book.stylesheets)
    pairs = [(u.doc_name, u.source.title) for u in units]
    links = tuple(prev_next(pairs, i, labels(book.metadata.language)) for i in range(len(units)))
    shared = key("render-shared", book.metadata, css)  # digested once, not per unit
    title_ids = {u.doc_name: u.headings[0].id for u in units}

    def whole_unit_targets(hrefs) -> tuple:
        """A link to a whole unit becomes #<its title id> in book.html: a dependency."""
        return tuple(title_ids.get(href) for _, href in hrefs if "#" not in href)
    # headings, hrefs and sidebars hold no sets, so their pickle is stable across processes
    keys = tuple(key("render", shared, r.unit.digest, pickle.dumps(
                     (r.unit.headings, r.hrefs, whole_unit_targets(r.hrefs),
                      sidebar_signature(site, r.unit.doc_name), links[i]), protocol=4))
                 for i, r in enumerate(modelled.resolved.units))
    todo = [i for i, name in enumerate(keys) if cache.path_if_present("render", name) is None]
    step = _counter(progress, "render", len(keys))
    if step and len(keys) > len(todo):
        step(len(keys) - len(todo))
    _JOB = _RenderJob(modelled, site, css, links, keys, cache)
    try:
        map_units(_render_unit, todo, workers, step)
    finally:
        _JOB = None
    return keys


# --- write: assemble from the cache --------------------------------------------------


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


def _book_level_key(modelled: Modelled) -> str:
    """What the files made from the whole book (package, NCX, nav, index, pages index)
    depend on. The navigation holds only strings, tuples and booleans, so its pickle is
    the same in every process and can be digested directly."""
    book = modelled.resolved.book
    return key("book-level", book.metadata, pickle.dumps(modelled.nav, protocol=4), modelled.a11y,
               [u.doc_name for u in book.units], [u.source.title for u in book.units],
               [u.headings[0].id for u in book.units], book.stylesheets,
               [(name, key(data)) for name, data in book.images],
               os.environ.get("SOURCE_DATE_EPOCH"))


def _cached(cache: Cache, kind: str, name: str, make: Callable[[], object]):
    data = cache.get(kind, name)
    if data is not None:
        return pickle.loads(data)
    value = make()
    cache.put(kind, name, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    return value


def _write_epub(modelled: Modelled, keys: tuple[str, ...], cache: Cache, target: Path,
                book_level: str) -> None:
    book = modelled.resolved.book
    by_doc = {r.unit.doc_name: name for r, name in zip(modelled.resolved.units, keys)}
    spine = _cached(cache, "spine", book_level, lambda: epub_spine(modelled))
    write_bytes_atomic(target, lambda stream: write_epub(
        stream, book.metadata, modelled.nav, modelled.a11y, spine,
        lambda doc: pickle.loads(cache.get_part("render", by_doc[doc], 0)), book.stylesheets, book.images,
        labels(book.metadata.language)["pages"], os.environ.get("SOURCE_DATE_EPOCH"),
        package=lambda make: _cached(cache, "package", book_level, make)))


def _write_html(modelled: Modelled, keys: tuple[str, ...], cache: Cache, target: Path,
                book_level: str) -> None:
    book = modelled.resolved.book
    units = [r.unit for r in modelled.resolved.units]
    site = make_site(book.metadata, modelled.nav.toc, modelled.nav.page_list,
                     [(u.doc_name, u.source.title, u.headings[0].id) for u in units],
                     book.stylesheets)
    files: dict[str, object] = dict(_cached(cache, "site", book_level,
                                            lambda: site_files(site, book.stylesheets, book.images)))
    for unit, name in zip(units, keys):
        files[f"{unit.source.name}.html"] = partial(_copy_part, cache, name, 1)
    head, tail = _cached(cache, "frame", book_level, lambda: single_page_frame(site))

    def single_page(stream) -> None:
        stream.write(head)
        for name in keys:
            stream.write(cache.get_part("render", name, 2))
        stream.write(tail)
    files["book.html"] = single_page
    replace_tree(target, files)


def _copy_part(cache: Cache, name: str, part: int, stream) -> None:
    stream.write(cache.get_part("render", name, part))


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


def _inputs_digest(root: Path, entries: list[str], formats) -> str:
    digest = hashlib.blake2b(digest_size=20)
    for entry in entries:
        path = root / entry
        digest.update(entry.encode("utf-8") + b"\0")
        if not entry.startswith("list:") and path.is_file():
            digest.update(hashlib.blake2b(path.read_bytes(), digest_size=20).digest())
    return key("inputs", formats, os.environ.get("SOURCE_DATE_EPOCH"), digest.hexdigest())


def _unchanged(root: Path, formats, wanted: list[Path], state_file: Path) -> bool:
    """True when the inputs the last build read, and the outputs it wrote, are as they were."""
    if not state_file.exists() or not all(p.exists() for p in wanted):
        return False
    last = json.loads(state_file.read_text("utf-8"))
    entries = last.get("inputs", [])
    if entries[:2] != _input_files(root, None):
        return False
    return last.get("inputs_digest") == _inputs_digest(root, entries, formats) \
        and last.get("outputs") == _outputs_state(wanted)


@dataclass(frozen=True)
class BuildResult:
    written: list[Path]  # empty when nothing had changed
    diagnostics: tuple[Diagnostic, ...]  # warnings stay reported until they are fixed
    modelled: Modelled | None  # None when the inputs were unchanged and nothing was read


def build(root: Path, out: Path, formats: tuple[str, ...] = ("epub", "html"),
          progress: Progress | None = None, workers: int | None = None) -> BuildResult:
    workers = worker_count(workers)
    cache = Cache(out / CACHE_FOLDER)
    state_file = cache.folder / "last-build.json"
    if state_file.exists():
        last = json.loads(state_file.read_text("utf-8"))
        wanted = [out / name for name in last.get("targets", [])]
        if wanted and _unchanged(root, formats, wanted, state_file):
            return BuildResult([], tuple(Diagnostic(**d) for d in last.get("diagnostics", [])), None)
    modelled = model(root, cache, workers, progress)
    keys = render_units(modelled, cache, workers, progress)
    targets = {"epub": out / f"{output_slug(root, modelled)}.epub", "html": out / "html"}
    wanted = [targets[f] for f in ("epub", "html") if f in formats]
    # everything the outputs are made of: the units (their render keys), and what the
    # package files add (metadata, navigation, styles, images, the timestamp)
    book_level = _book_level_key(modelled)
    fingerprint = key("outputs", formats, keys, book_level)
    inputs = _input_files(root, modelled)
    record = {"fingerprint": fingerprint, "inputs": inputs,
              "inputs_digest": _inputs_digest(root, inputs, formats),
              "targets": [p.name for p in wanted]}
    if state_file.exists() and all(p.exists() for p in wanted):
        last = json.loads(state_file.read_text("utf-8"))
        if last.get("fingerprint") == fingerprint and last.get("outputs") == _outputs_state(wanted):
            return BuildResult([], modelled.diagnostics, modelled)
    if progress:
        progress("write", 0, len(wanted))
    if "epub" in formats:
        _write_epub(modelled, keys, cache, targets["epub"], book_level)
    if "html" in formats:
        _write_html(modelled, keys, cache, targets["html"], book_level)
    state_file.parent.mkdir(parents=True, exist_ok=True)
    diagnostics = [{"code": d.code, "message": d.message, "file": d.file, "line": d.line,
                    "severity": d.severity} for d in modelled.diagnostics]
    state_file.write_text(json.dumps({**record, "outputs": _outputs_state(wanted),
                                      "diagnostics": diagnostics}), "utf-8")
    if progress:
        progress("write", len(wanted), len(wanted))
    return BuildResult(wanted, modelled.diagnostics, modelled)
