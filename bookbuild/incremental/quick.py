"""A quick rebuild: when only the text of a few units changed, re-parse and re-render
just those units and splice them into the EPUB and html/ the last build wrote, without
modelling the rest of the book.

It applies when every changed input is a unit file (book/*.md) whose interface is as
before (keys.interface_key: title, front matter, headings and their ids, page markers,
ids, images and the links as written; not its text, not the source lines of things),
and whose diagnostics are exactly those the last build reported for it. Then no other
unit's outputs and none of the files made from the whole book can change: the unit's
links resolve as before, its ids are renamed as before, and its neighbours' sidebars and
pages are the same. The outputs are byte-identical to a full build's
(tests/test_quick.py). When any condition fails it declines, and the full build runs.
The conditions are all in two places: why_not_quick (before parsing) and _reparse (each
changed unit as parsed).
"""

from __future__ import annotations

import dataclasses
import os
import pickle
from concurrent.futures import Future
from pathlib import Path

from bookbuild.book.load import read_unit_bytes
from bookbuild.book.model import ResolvedUnit
from bookbuild.book.parse import with_renamed_ids
from bookbuild.diagnostics import suppressed
from bookbuild.fileio import StagedFiles, copy_range
from bookbuild.incremental.cache import Cache
from bookbuild.incremental.keys import outputs_key, render_key
from bookbuild.incremental.parse_cache import ParseCache
from bookbuild.incremental.render_cache import (
    EPUB_PART,
    PAGE_PART,
    SEARCH_LINE_PART,
    SEARCH_SHARD_PART,
    SINGLE_PART,
    unit_parts,
)
from bookbuild.incremental.state import (
    JOURNAL_NAME,
    BuildState,
    InputCheck,
    QuickContext,
    UnitRecord,
    output_record,
    write_state,
)
from bookbuild.render.html_site import html_name, make_site
from bookbuild.render.search_index import UNITS_PER_PART, part_name, shard_name
from bookbuild.write.zipwriter import replace_entries

# more changed units than this, and the full build (with a worker per core) is as quick
QUICK_LIMIT = 8


class _Declined(Exception):
    """A condition for a quick rebuild does not hold: the full build runs instead."""


def why_not_quick(context: QuickContext, check: InputCheck) -> str | None:
    """Why the changes cannot be spliced into the outputs, as far as can be told before
    anything is parsed; None when they may be (each changed unit is then checked as it is
    parsed: its interface and its diagnostics, see _reparse)."""
    if not check.changed:
        return "nothing changed"
    if len(check.changed) > QUICK_LIMIT:
        return f"more than {QUICK_LIMIT} files changed: the full build, a worker per core, is as quick"
    # units made from metadata.yaml (title page, copyright page) are not files of their own
    units = {record.path for record in context.units if record.path.startswith("book/")}
    for path, data in sorted(check.changed.items()):
        if path not in units:
            return f"{path} is not the text of a unit"
        if data is None:
            return f"{path} is gone"
    return None


def quick_rebuild(
    out: Path, cache_folder: Path, last: BuildState, check: InputCheck, started: int, progress=None
) -> list[Path] | None:
    """Do a quick rebuild and return the outputs written; None when one does not apply
    (nothing has been written then)."""
    context = last.quick
    if context is None or why_not_quick(context, check) is not None:
        return None
    if any(kind == "kepub" for kind, _ in last.targets):
        return None  # the kepub's documents are not spliced: it is rebuilt whole
    if any(kind.startswith("edition:") for kind in last.formats):
        return None  # a unit re-read here would miss the edition's conversion: modelled whole
    where = {record.path: index for index, record in enumerate(context.units)}
    changed = {where[path]: data for path, data in check.changed.items() if data is not None}
    rendered: dict[int, Future] = {index: Future() for index in changed}  # -> render_cache.unit_parts
    # the EPUB and book.html are copied up to the first changed unit while it is parsed
    targets = dict(last.targets)
    big = []
    if "epub" in targets:
        big.append((out / targets["epub"], _epub_splice(out / targets["epub"], context, rendered)))
    if "html" in targets:
        book = out / targets["html"] / "book.html"
        big.append((book, _single_page_splice(book, context, rendered)))
    staged = StagedFiles(big)
    try:
        # the changed units are new text: looking them up in the cache would only miss
        with Cache(cache_folder, read_existing=False) as cache:
            records = _rerender(changed, context, last, cache, rendered, progress)
        if progress:
            progress("write", 0, len(last.targets))
        pages = _unit_files(out / targets["html"], context, rendered) if "html" in targets else []
        written = staged.commit(pages, journal=cache_folder / JOURNAL_NAME)
    except BaseException as exc:
        for future in rendered.values():
            if not future.done():
                future.set_exception(_Declined())
        staged.abort()
        if isinstance(exc, _Declined):
            return None
        raise
    pages_now = dict(last.pages)
    for record in records.values():
        pages_now[html_name(record.doc_name)] = record.render_key
        pages_now[shard_name(record.doc_name)] = record.render_key
    units = tuple(records.get(index, record) for index, record in enumerate(context.units))
    staged.wait()
    # stat after the renames: a rename moves a file's ctime
    outputs = {record.path: record for record in last.outputs}
    outputs.update(
        (name, output_record(name, (out / name).stat())) for name in (str(path.relative_to(out)) for path in written)
    )
    write_state(
        cache_folder,
        dataclasses.replace(
            last,
            started_ns=started,
            inputs=check.inputs,
            outputs=tuple(sorted(outputs.values())),
            fingerprint=outputs_key(last.formats, tuple(r.render_key for r in units), context.book_level),
            pages=tuple(sorted(pages_now.items())),
            quick=dataclasses.replace(context, units=units),
        ),
    )
    if progress:
        progress("write", len(last.targets), len(last.targets))
    return [out / name for _, name in last.targets]


def _rerender(
    changed: dict[int, bytes],
    context: QuickContext,
    last: BuildState,
    cache: Cache,
    rendered: dict[int, Future],
    progress,
) -> dict[int, UnitRecord]:
    """Parse the changed units (raising _Declined if the quick rebuild does not apply),
    then render them into `rendered`; their new records."""
    if progress:
        progress("parse", 0, len(changed))
    parsed = ParseCache(cache)
    units = {index: _reparse(index, data, context, last, parsed) for index, data in sorted(changed.items())}
    if progress:
        progress("render", 0, len(units))
    site = make_site(
        context.metadata,
        pickle.loads(context.toc),
        (),
        list(context.site_units),
        tuple((name, "") for name in context.css),
    )
    records = {}
    for index, resolved in units.items():
        name = render_key(context.shared, parsed.unit_key(resolved.unit), resolved, site, context.links[index])
        parts = [cache.get_part("render", name, part) for part in range(SEARCH_LINE_PART + 1)]
        if any(part is None for part in parts):
            parts = unit_parts(
                resolved,
                context.metadata,
                context.css,
                site,
                context.links[index],
                parsed.fragment(resolved.unit),
                html=any(kind == "html" for kind, _ in last.targets),
            )
            cache.put_parts("render", name, parts)
        rendered[index].set_result(parts)
        records[index] = dataclasses.replace(context.units[index], render_key=name, single_size=len(parts[SINGLE_PART]))
    return records


def _reparse(index: int, data: bytes, context: QuickContext, last: BuildState, parsed: ParseCache) -> ResolvedUnit:
    """The changed unit, resolved as the last build resolved it, if that still holds."""
    record = context.units[index]
    source, found = read_unit_bytes(data, record.path, Path(record.path).stem)
    if source is None:
        raise _Declined()
    unit, found_parsing = parsed.parse_one(source)
    if unit is None or parsed.keys[unit.source.name].interface != record.interface:
        raise _Declined()
    mine = list(suppressed(found + found_parsing, context.metadata.suppress))
    before = [d for d in last.diagnostics if d.file == record.path]
    if mine != before or any(record.path in d.related for d in last.diagnostics):
        raise _Declined()  # its diagnostics would change, or another's names one of its lines
    fields = dict(pickle.loads(record.resolved))
    return ResolvedUnit(unit=with_renamed_ids(unit, record.renamed_ids), **fields)


def _unit_files(html: Path, context: QuickContext, rendered: dict[int, Future]) -> list[tuple[Path, bytes]]:
    """The changed units' pages and search shards, and the parts of the search index that
    hold their lines, those lines replaced (a part's first line is its own, then one
    line a unit in reading order)."""
    files = []
    parts: dict[int, list[bytes]] = {}
    for index, future in sorted(rendered.items()):
        made = future.result()
        doc = context.units[index].doc_name
        files.append((html / html_name(doc), made[PAGE_PART]))
        files.append((html / shard_name(doc), made[SEARCH_SHARD_PART]))
        part, line = divmod(index, UNITS_PER_PART)
        if part not in parts:
            try:
                parts[part] = (html / part_name(part)).read_bytes().split(b"\n")
            except OSError:
                raise _Declined() from None  # removed since: the full build makes it again
            in_part = min(UNITS_PER_PART, len(context.units) - part * UNITS_PER_PART)
            if len(parts[part]) != in_part + 2:  # its own line first, an empty one last
                raise _Declined()  # not the part the last build wrote
        parts[part][1 + line] = made[SEARCH_LINE_PART].rstrip(b"\n")
    files += [(html / part_name(part), b"\n".join(lines)) for part, lines in parts.items()]
    return files


def _epub_splice(path: Path, context: QuickContext, rendered: dict[int, Future]):
    """The EPUB with the re-rendered units' entries in place of the old ones."""
    entries = {
        f"EPUB/{context.units[index].doc_name}": (lambda future=future: pickle.loads(future.result()[EPUB_PART]))
        for index, future in rendered.items()
    }

    def write(stream) -> None:
        with path.open("rb") as source:
            replace_entries(source, stream, entries, copy_range)

    return write


def _single_page_splice(path: Path, context: QuickContext, rendered: dict[int, Future]):
    """book.html with the re-rendered units' sections in place of the old ones."""
    starts, offset = [], context.frame_head
    for record in context.units:
        starts.append(offset)
        offset += record.single_size

    def write(stream) -> None:
        with path.open("rb") as source:
            size, position = os.fstat(source.fileno()).st_size, 0
            for index in sorted(rendered):
                copy_range(source, stream, position, starts[index] - position)
                stream.write(rendered[index].result()[SINGLE_PART])
                position = starts[index] + context.units[index].single_size
            copy_range(source, stream, position, size - position)

    return write
