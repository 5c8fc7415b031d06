"""A quick rebuild: when only the text, the section headings, the links or the print
pages of a few units changed, re-parse and re-render just those units (and what shows
the contents or the pages, when those changed) and splice them into the EPUB and html/
the last build wrote, without modelling the rest of the book.

It applies when every changed input is a unit file (book/*.md) whose interface is as
before (keys.interface_key: title, front matter, headings and their ids, page markers,
ids, images and the links as written; not its text, not the source lines of things),
and whose diagnostics are exactly those the last build reported for it. Then no other
unit's outputs and none of the files made from the whole book can change: the unit's
links resolve as before, its ids are renamed as before, and its neighbours' sidebars and
pages are the same.

It applies too when the interface changed only in the unit's section headings (their
text, level, ids; keys.outline_key) and nothing else can see them: no link in the book
leads to a heading that is gone, no new id is one the book already has, no
link lacked a target and no id was renamed across units. Then the contents changes
(the navigation document, the NCX, index.html, the head of book.html) and so does the
unit's own sidebar, and nothing else. In each the unit's entry is rendered before and
after and swapped in the file the last build wrote (_new_contents); in the NCX, which
numbers its entries through the book, the numbers after it move on (_ncx_renumbered).

And it applies when the interface changed only in where the unit's links lead (its
links, print-page and caption references as written; keys.anchors_key): they are
resolved again against the targets the last build indexed (model.LinkTargets, kept in
the state), and only the unit's own outputs change.

And it applies when the interface changed only in the unit's print pages (its page
markers and the pages its headings stand on; keys.pages_key), in a book whose pages were
in order and each marked once: when no link leads to a page that is gone, no new page is
one the book has, and the pages around the unit stay in order (_new_pages). Then the page
list changes with the contents entry: the EPUB's page-list, NCX (its numbers after the
unit move on) and the count of pages in the package's accessibility summary; the HTML
edition's page index, the script that finds pages and, when the unit's last page
changed, the search index's list of where units begin. Each is the last build's with the
unit's part swapped.

The EPUB and book.html are written beside the old ones in threads, copied in the kernel
up to each changed unit, which is spliced in when rendered (_Splices). When the text of
each changed unit says its headings and print pages are as they were (keys.skeleton_key)
the copies start before the units are parsed; a guess the parse proves wrong throws
them away, and they start again with the contents.

The outputs are byte-identical to a full build's (tests/test_quick.py). When any
condition fails it declines, and the full build runs. The conditions are all in four
places: why_not_quick (before parsing), _reparse (each changed unit as parsed),
_new_contents (section headings) and _new_pages (print pages).
"""

from __future__ import annotations

import dataclasses
import os
import pickle
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from functools import cache as cache_once
from functools import partial
from pathlib import Path
from typing import NamedTuple

from bookbuild.book.a11y import page_count_phrase
from bookbuild.book.load import read_unit_bytes
from bookbuild.book.model import LinkTargets, Navigation, NavPoint, PageRef, ParsedUnit, ResolvedUnit, UnitSource
from bookbuild.book.nav import unit_point, unit_reading_order
from bookbuild.book.parse import with_renamed_ids
from bookbuild.book.resolve import page_sequence, resolve_unit_links, with_pages, with_sections
from bookbuild.book.words import is_chinese, labels
from bookbuild.diagnostics import Diagnostic, suppressed
from bookbuild.fileio import StagedFiles, copy_range
from bookbuild.incremental.cache import Cache
from bookbuild.incremental.kept import PageTable, SideBytes, StateDamaged, TocParts, entry_count
from bookbuild.incremental.keys import InterfaceKeys, outputs_key, render_key, skeleton_key
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
    pickled_context,
    resolution,
    stat_signature,
    write_state,
)
from bookbuild.parallel import forked
from bookbuild.render.epub_package import (
    ncx_document,
    ncx_entry,
    ncx_meta,
    ncx_meta_value,
    ncx_nav_point_order,
    ncx_nav_points_moved,
    ncx_page_counts,
    ncx_page_targets,
    ncx_page_targets_moved,
    page_hrefs,
    play_order,
)
from bookbuild.render.html_site import (
    Site,
    html_name,
    make_site,
    page_index_group,
    page_map_entries,
    search_starts,
    sidebar_window,
)
from bookbuild.render.search_index import INDEX_NAME, UNITS_PER_PART, index_file, part_name, shard_name
from bookbuild.render.xhtml import nav_entry, page_list_entries
from bookbuild.write.zipwriter import ZipEntry, deflate, read_entries, replace_entries

# more changed units than this, and the full build (with a worker per core) is as quick
QUICK_LIMIT = 8
# in the cache folder: the EPUB's and book.html's old versions, which the next quick
# rebuild writes its own over (fileio.StagedFiles)
SPARE_EPUB, SPARE_SINGLE_PAGE = "spare.epub", "spare.book.html"


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
    out: Path, cache_folder: Path, last: BuildState, check: InputCheck, started: int, progress=None, workers: int = 1
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
    targets = dict(last.targets)
    read = {index: _read_source(context, index, data) for index, data in sorted(changed.items())}
    # the EPUB and book.html are copied up to the first changed unit while it is parsed and
    # rendered, when the text says the contents stays as it was (started again if not)
    early = _Splices.start(out, targets, context, read, None, cache_folder) if _contents_stays(context, read) else None
    # the changed units are new text: looking them up in the cache would only miss
    try:
        with Cache(cache_folder, read_existing=False) as cache:
            parsed = ParseCache(cache)
            if progress:
                progress("parse", 0, len(changed))
            kept = cache_once(context.link_targets.load)
            try:
                reparsed = {index: _reparse(index, found, context, last, parsed, kept) for index, found in read.items()}
                linked = cache_once(partial(_linked, context, reparsed))  # asked for twice, made once
                moved = _new_contents(context, reparsed, kept, linked, last)
            except (_Declined, StateDamaged):  # (a side file of the state gone: as with no state)
                if early:
                    early.abandon()
                return None
            if early and moved:  # the guess missed a change of the contents
                early.abandon()
                early = None
            # the EPUB's NCX is made in a process of its own meanwhile, forked before the threads
            # that copy the outputs start
            epub_side = partial(_ncx, out / targets["epub"], context, moved) if moved and "epub" in targets else None
            with forked(epub_side or dict, workers if epub_side else 1) as ncx:
                splices = early or _Splices.start(out, targets, context, reparsed, moved, cache_folder)
                rendered, frame, contents = splices.rendered, splices.frame, splices.contents
                try:
                    toc = moved.toc if moved else context.toc
                    start, end = _sidebar_tops(context, reparsed, toc)
                    site = make_site(
                        context.metadata,
                        toc.load(start, end),
                        (),  # the units' pages never show the page list
                        list(context.site_units),
                        tuple((name, "") for name in context.css),
                        context.cover,
                        start,
                        len(toc.parts),
                    )
                    made = _html_contents(out / targets["html"], site, context, moved) if frame else {}
                    if frame:  # book.html is copied on while the rest is made
                        frame.set_result(made["frame"])
                    if progress:
                        progress("render", 0, len(reparsed))
                    records = _rerender(reparsed, context, last, cache, parsed, site, rendered)
                    zipped = _epub_documents(out / targets["epub"], context, moved) if contents else {}
                    following = _following_context(context, reparsed, moved, made, linked)  # while the NCX is made
                    if contents:
                        contents.set_result(zipped | ncx())
                    if progress:
                        progress("write", 0, len(last.targets))
                    pages = _unit_files(out / targets["html"], context, rendered) if "html" in targets else []
                    if "html" in targets and moved:
                        pages += [
                            (out / targets["html"] / name, data) for name, data in made.items() if name != "frame"
                        ]
                    units = tuple(records.get(index, record) for index, record in enumerate(following.units))
                    # most of the state, pickled while the threads finish copying the big outputs
                    pickled = pickled_context(cache_folder, dataclasses.replace(following, units=units))
                    written = splices.staged.commit(pages, journal=cache_folder / JOURNAL_NAME)
                except BaseException as exc:
                    splices.abandon()
                    if isinstance(exc, _Declined | StateDamaged):
                        return None
                    raise
    except BaseException:
        if early:  # (writers waiting for parts that will never come would keep the process)
            early.abandon()
        raise
    staged = splices.staged
    pages_now = dict(last.pages)
    for record in records.values():
        pages_now[html_name(record.doc_name)] = record.render_key
        pages_now[shard_name(record.doc_name)] = record.render_key
    staged.wait()  # the old outputs are kept as spares or deleted in threads meanwhile, until close
    try:
        # stat after the renames: a rename moves a file's ctime
        outputs = dict(last.outputs)
        outputs.update((str(path.relative_to(out)), stat_signature(path.stat())) for path in written)
        write_state(
            cache_folder,
            dataclasses.replace(
                last,
                started_ns=started,
                inputs=check.inputs,
                outputs=tuple(sorted(outputs.items())),
                fingerprint=outputs_key(last.formats, tuple(r.render_key for r in units), following.book_level),
                pages=tuple(sorted(pages_now.items())),
                quick=None,
            ),
            pickled,
        )
    finally:
        staged.close()
    if progress:
        progress("write", len(last.targets), len(last.targets))
    return [out / name for _, name in last.targets]


def _following_context(
    context: QuickContext,
    reparsed: dict[int, _Reparsed],
    moved: _Contents | None,
    made: dict[str, bytes],
    linked: Callable[[], Counter[str]],
) -> QuickContext:
    """What the next quick rebuild takes from this one: where the links lead now, and
    the contents, page list and link targets when they changed (the units' records are
    added when they are rendered)."""
    if any(unit.links for unit in reparsed.values()):
        context = dataclasses.replace(context, linked=SideBytes.dumps(linked()))
    if moved:
        context = dataclasses.replace(
            context,
            toc=moved.toc,
            nav=SideBytes.dumps(moved.nav),
            link_targets=context.link_targets.with_docs(moved.link_targets, moved.docs),
            pages=SideBytes.dumps(moved.pages.table) if moved.pages else context.pages,
            frame_head=len(made["frame"]) if "frame" in made else context.frame_head,
            # not a full build's key: the next full build's fingerprint never matches
            # this one's, so it writes its outputs rather than trusting these
            book_level=f"quick {context.book_level}",
        )
    return context


def _sidebar_tops(context: QuickContext, units: dict[int, _Reparsed], toc: TocParts) -> tuple[int, int]:
    """The top-level entries of the contents that the sidebars of the units' pages list:
    from the first to the last (a window around each unit's, html_site.sidebar_window)."""
    windows = [sidebar_window(len(toc.parts), max(context.tops[index], 0)) for index in units]
    return min(start for start, _ in windows), max(end for _, end in windows)


def _rerender(
    reparsed: dict[int, _Reparsed],
    context: QuickContext,
    last: BuildState,
    cache: Cache,
    parsed: ParseCache,
    site: Site,
    rendered: dict[int, Future],
) -> dict[int, UnitRecord]:
    """Render the changed units into `rendered`; their new records."""
    html = any(kind == "html" for kind, _ in last.targets)
    records = {}
    for index, (resolved, interface, _, links, *_) in reparsed.items():
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
                html,
            )
            cache.put_parts("render", name, parts)
        rendered[index].set_result(parts)
        records[index] = dataclasses.replace(
            context.units[index],
            interface=interface,
            resolved=resolution(resolved) if links else context.units[index].resolved,
            render_key=name,
            single_size=len(parts[SINGLE_PART]),
        )
    return records


class _Reparsed(NamedTuple):
    resolved: ResolvedUnit
    interface: InterfaceKeys
    sections: bool  # its section headings changed: the contents changes with them
    links: bool  # where its links lead changed: its resolved fields are new
    pages: bool  # its page markers changed: the page list and its contents entry change
    targets: LinkTargets | None = None  # the book's link targets with its pages as they are now, when they changed


def _read_source(context: QuickContext, index: int, data: bytes) -> tuple[UnitSource | None, list[Diagnostic]]:
    """The changed unit's file as load reads it."""
    path = context.units[index].path
    return read_unit_bytes(data, path, Path(path).stem)


def _contents_stays(context: QuickContext, read: dict[int, tuple[UnitSource | None, list[Diagnostic]]]) -> bool:
    """Whether the text of each changed unit says its section headings and print pages
    are as they were (keys.skeleton_key): a guess, which the parse checks."""
    for index, (source, _) in read.items():
        interface = context.units[index].interface
        if source is None or interface is None or skeleton_key(source) != interface.skeleton:
            return False
    return True


def _reparse(
    index: int,
    read: tuple[UnitSource | None, list[Diagnostic]],
    context: QuickContext,
    last: BuildState,
    parsed: ParseCache,
    kept: Callable[[], LinkTargets],
) -> _Reparsed:
    """The changed unit, resolved as the last build resolved it, if that still holds.
    Its interface may differ from the last build's in its section headings alone
    (keys.outline_key; _new_contents then checks what that reaches), or in its links
    alone (keys.anchors_key: they are resolved again, against the targets the last
    build indexed, `kept`)."""
    record = context.units[index]
    source, found = read
    if source is None or record.interface is None:
        raise _Declined()
    unit, found_parsing = parsed.parse_one(source)
    if unit is None:
        raise _Declined()
    now, before = parsed.keys[unit.source.name].interface, record.interface
    sections = now.whole != before.whole and now.outline == before.outline
    links = now.whole != before.whole and now.anchors == before.anchors
    pages = now.whole != before.whole and now.pages == before.pages
    if now.whole != before.whole and not (sections or links or pages):
        raise _Declined()
    unit = with_renamed_ids(unit, record.renamed_ids)
    fields = dict(pickle.loads(record.resolved))
    mine = list(suppressed(found + found_parsing, context.metadata.suppress))
    said = [d for d in last.diagnostics if d.file == record.path]
    paged = with_pages(kept(), unit) if pages else None  # a link of its own may lead to one
    if links or pages or mine != said:  # what resolve said of its links is part of it
        fields["hrefs"], found_resolving = resolve_unit_links(unit, paged or kept(), context.metadata)
        mine += suppressed(found_resolving, context.metadata.suppress)
    if mine != said or any(record.path in d.related for d in last.diagnostics):
        raise _Declined()  # its diagnostics would change, or another's names one of its lines
    return _Reparsed(ResolvedUnit(unit=unit, **fields), now, sections, links or pages, pages, paged)


class _Contents(NamedTuple):
    before: Navigation  # as the last build made it (without the contents and page list, as nav)
    nav: Navigation
    toc_before: TocParts
    toc: TocParts
    link_targets: LinkTargets
    docs: tuple[str, ...]  # the units whose own link targets changed (their headings or pages)
    entries: tuple[tuple[NavPoint, NavPoint], ...]  # each changed unit's entry: (before, after)
    # and the top-level entry of the contents that holds it: (its index, before, after)
    tops: tuple[tuple[int, NavPoint, NavPoint], ...]
    pages: _Pages | None  # when a unit's page markers changed


class _Pages(NamedTuple):
    table: PageTable  # the book's page list, as it is now
    doc: str  # the unit whose pages changed
    start: int  # where its pages are in the list
    before: tuple[PageRef, ...]  # its pages, as the last build listed them
    after: tuple[PageRef, ...]


def _epub_names(moved: _Contents) -> tuple[str, ...]:
    """The EPUB's files that change with the contents: the package too when the number
    of print pages changed (its accessibility summary counts them)."""
    recounted = moved.pages is not None and len(moved.pages.before) != len(moved.pages.after)
    return ("EPUB/nav.xhtml", "EPUB/toc.ncx") + (("EPUB/package.opf",) if recounted else ())


def _new_contents(
    context: QuickContext,
    reparsed: dict[int, _Reparsed],
    kept: Callable[[], LinkTargets],
    linked: Callable[[], Counter[str]],
    last: BuildState,
) -> _Contents | None:
    """The book's navigation with the changed units' section headings as they are now,
    the book's link targets with their new ids, and the units' entries in the contents
    before and after; None when none of them changed.
    Raises _Declined when the change could reach other units: a link to a heading that
    is gone, a new id some other part of the book has (it would be renamed, or clash), a
    book with ids renamed across units or with links that found no target (a new id
    might be one). A heading whose text changes under the same id changes no link to
    it: a link shows its own text."""
    moved = {index: r.resolved.unit for index, r in reparsed.items() if r.sections or r.pages}
    if not moved:
        return None
    if len(context.units) < 2 or any(record.renamed_ids for record in context.units):
        raise _Declined()
    if any(d.code in ("X001", "X002") for d in last.diagnostics):
        raise _Declined()
    nav: Navigation = context.nav.loads()
    targets = kept()
    paged = [r for r in reparsed.values() if r.pages]
    pages = None
    if paged:
        # the other changed units' links were resolved against the pages as they were
        if len(reparsed) > 1 or paged[0].targets is None:
            raise _Declined()
        pages = _new_pages(context, paged[0].resolved.unit, targets, last)
        targets = paged[0].targets
    toc = context.toc
    entries: dict[int, tuple[NavPoint, NavPoint]] = {}
    tops: dict[int, tuple[int, NavPoint, NavPoint]] = {}
    removed: set[str] = set()  # "doc#id" of the headings that are gone
    order = list(nav.reading_order)
    for index, unit in moved.items():
        doc = unit.doc_name
        headings = [heading.id for heading in unit.headings]
        ids = [ident for ident, _ in unit.ids]
        if len(set(headings)) != len(headings) or len(set(ids)) != len(ids):
            raise _Declined()  # a clash resolve reports
        title = f"{doc}#{unit.headings[0].id}"
        top = context.tops[index]
        if top < 0:
            raise _Declined()  # not in the contents
        [top_point] = toc.load(top, top + 1)
        path = _unit_path((top_point,), title)
        new = unit_point(unit)
        if path is None or any(not href.startswith(f"{doc}#") for href in _entries(path[-1])):
            raise _Declined()  # not in the contents, or a part with its chapters below it
        old = path[-1]
        before, after = _entries(old), _entries(new)
        removed |= before.keys() - after.keys()
        if pages is not None:
            removed |= {f"{doc}#{page.id}" for page in pages.before} - {f"{doc}#{page.id}" for page in pages.after}
        added = {href.partition("#")[2] for href in after.keys() - before.keys()}
        if not added.isdisjoint(targets.targets):
            raise _Declined()
        targets = with_sections(targets, unit)
        [top_now] = _replaced((top_point,), path, new)
        toc = toc.replaced(top, top_now)
        entries[id(old)] = (old, new)
        tops[id(old)] = (top, top_point, top_now)
        span = _unit_span(order, title)
        if span is None:
            raise _Declined()
        order[slice(*span)] = [f"{doc}#{ident}" for _, ident in unit_reading_order(unit)]
    if removed and any(linked().get(href) for href in removed):
        raise _Declined()  # a link lost its target (a link shows only its own text)
    return _Contents(
        nav,
        dataclasses.replace(nav, reading_order=tuple(order)),
        context.toc,
        toc,
        targets,
        tuple(unit.doc_name for unit in moved.values()),
        tuple(entries.values()),
        tuple(tops.values()),
        pages,
    )


def _new_pages(context: QuickContext, unit: ParsedUnit, targets: LinkTargets, last: BuildState) -> _Pages:
    """The book's page list with `unit`'s pages as they are now. Raises _Declined when
    that changes more than the list: a page label the book has twice (which one is
    listed depends on the others), pages out of order around the unit, a new page id
    something else has (a page's id is its label's: a label another unit has is one), a
    page reference that found no page (it may be a new one), the book left with no
    pages (the package says whether it has them). A page that is gone must not be linked
    to (_new_contents checks that with the headings)."""
    if any(d.code == "P002" or d.code == "P007" for d in last.diagnostics) or "P007" in context.metadata.suppress:
        raise _Declined()
    table: PageTable = context.pages.loads()
    doc = unit.doc_name
    if doc not in table.docs:
        raise _Declined()  # a unit without pages: nothing to find its new ones' place by
    start = end = table.docs.index(doc)
    while end < len(table.docs) and table.docs[end] == doc:
        end += 1
    if doc in table.docs[end:]:
        raise _Declined()
    after = tuple(PageRef(m.label, doc, m.id, m.known, unit.source.path, m.line) for m in unit.markers)
    ids_now = [page.id for page in after]
    if len(set(ids_now)) != len(ids_now) or not after and end - start == len(table.docs):
        raise _Declined()
    if page_sequence([*table.refs(max(start - 1, 0), start), *after, *table.refs(end, end + 1)]):
        raise _Declined()
    fresh = set(ids_now).difference(table.ids[start:end])
    if not fresh.isdisjoint(targets.targets) or not fresh.isdisjoint(targets.local_ids.get(doc, ())):
        raise _Declined()
    return _Pages(table.replaced(start, end, after), doc, start, table.refs(start, end), after)


def _linked(context: QuickContext, reparsed: dict[int, _Reparsed]) -> Counter[str]:
    """Where the book's links lead, each with the number of units that link there, the
    changed units' links as they are now."""
    linked: Counter[str] = context.linked.loads()
    for index, unit in reparsed.items():
        if unit.links:
            linked.subtract({href for _, href in dict(pickle.loads(context.units[index].resolved))["hrefs"]})
            linked.update({href for _, href in unit.resolved.hrefs})
    return +linked  # without the counts that fell to nothing


def _unit_path(points: tuple[NavPoint, ...], href: str) -> tuple[NavPoint, ...] | None:
    """The entries down to the deepest one with `href`: a unit's own (a group of units
    has its first unit's href too)."""
    for point in points:
        below = _unit_path(point.children, href)
        if below:
            return (point, *below)
        if point.href == href:
            return (point,)
    return None


def _entries(point: NavPoint) -> dict[str, tuple[str, str | None, tuple[str | None, ...]]]:
    """The entries below `point`: href -> (label, page, the hrefs of its children)."""
    found = {}
    for child in point.children:
        if child.href:
            found[child.href] = (child.label, child.page, tuple(c.href for c in child.children))
        found.update(_entries(child))
    return found


def _replaced(points: tuple[NavPoint, ...], path: tuple[NavPoint, ...], new: NavPoint) -> tuple[NavPoint, ...]:
    """`points` with the entry at the end of `path` (_unit_path) replaced by `new`, and
    the entries above it by ones with the new children."""
    at = next(index for index, point in enumerate(points) if point is path[0])
    head = new if len(path) == 1 else dataclasses.replace(path[0], children=_replaced(path[0].children, path[1:], new))
    return points[:at] + (head,) + points[at + 1 :]


def _epub_documents(epub: Path, context: QuickContext, moved: _Contents) -> dict[str, ZipEntry]:
    """The EPUB's nav document with the units' entries (and their pages in the page-list)
    swapped in the last build's; the package with the number of pages its summary gives
    swapped, when that changed (the NCX is made meanwhile in a process of its own)."""
    names = [name for name in _epub_names(moved) if name != "EPUB/toc.ncx"]
    old_files = _old_entries(epub, *names)
    document = old_files["EPUB/nav.xhtml"]
    for before, after in moved.entries:
        document = _swap_entry(document, nav_entry(before), nav_entry(after))
    made = {}
    if moved.pages:
        document = _swap_entry(document, page_list_entries(moved.pages.before), page_list_entries(moved.pages.after))
        if "EPUB/package.opf" in old_files:
            now = len(moved.pages.table.labels)
            chinese = is_chinese(context.metadata.language)
            old, new = (
                page_count_phrase(chinese, count).encode()
                for count in (now - len(moved.pages.after) + len(moved.pages.before), now)
            )
            package = _swap_entry(old_files["EPUB/package.opf"], old, new)
            made["EPUB/package.opf"] = deflate("EPUB/package.opf", package)
    return {"EPUB/nav.xhtml": deflate("EPUB/nav.xhtml", document), **made}


def _ncx(epub: Path, context: QuickContext, moved: _Contents) -> dict[str, ZipEntry]:
    """The EPUB's NCX with the unit's entry and pages swapped in the last build's and the
    numbers after them moved on (_ncx_renumbered), or made again when that cannot be
    done. Compressed here: this runs in a process of its own."""
    [old] = _old_entries(epub, "EPUB/toc.ncx").values()
    ncx = _ncx_renumbered(old, context, moved)
    if ncx is None:
        table = moved.pages.table if moved.pages else context.pages.loads()
        nav = dataclasses.replace(moved.nav, toc=moved.toc.load(), page_list=table.refs())
        ncx = ncx_document(context.metadata, nav, labels(context.metadata.language)["pages"])
    return {"EPUB/toc.ncx": deflate("EPUB/toc.ncx", ncx)}


def _old_entries(epub: Path, *names: str) -> dict[str, bytes]:
    """The named files of the EPUB the last build wrote."""
    try:
        with epub.open("rb") as old:
            found = read_entries(old, names)
    except (OSError, ValueError):
        raise _Declined() from None
    if len(found) != len(names):
        raise _Declined()
    return found


def _ncx_renumbered(ncx: bytes, context: QuickContext, moved: _Contents) -> bytes | None:
    """The NCX after an edit of one unit's section headings or pages: its navPoint and
    pageTargets made again, and the numbers of what follows moved on by as many entries
    and targets as it gained or lost. None when anything else would change (several
    units edited at once: the whole NCX is made again).

    The NCX numbers its navPoints in contents order (np-N) and its targets in reading
    order (playOrder, play_order), where the unit's lie together (the reading order is
    each unit's in turn); so the numbers before them stay, those after move on, and the
    unit's own start where its entry's did in the last build. The numbers given here to
    the unit's old navPoint and pageTargets are checked against the NCX: they are found
    there as written, or nothing is swapped."""
    if len(moved.entries) != 1:
        return None
    [(old_entry, new_entry)] = moved.entries
    [(top, top_before, top_after)] = moved.tops
    title = old_entry.href or ""
    doc = title.partition("#")[0]
    if moved.pages:
        start, before, after = moved.pages.start, moved.pages.before, moved.pages.after
    else:
        table: PageTable = context.pages.loads()
        start = table.docs.index(doc) if doc in table.docs else len(table.docs)
        before = after = table.refs(start, start + table.docs.count(doc))
    old_mine = _unit_play_order(moved.before.reading_order, old_entry, before, title)
    new_mine = _unit_play_order(moved.nav.reading_order, new_entry, after, title)
    within = _preorder_number((top_before,), old_entry)
    if old_mine is None or new_mine is None or within is None or within != _preorder_number((top_after,), new_entry):
        return None
    first = moved.toc_before.entries_before(top) + within  # (those before are as they were)
    entry_order = ncx_nav_point_order(ncx, first)
    if entry_order is None or new_entry.href != title or new_mine.index(title) != old_mine.index(title):
        return None  # (a group entry with the unit's href is numbered as its title)
    low = entry_order - old_mine.index(title)
    old = {href: number for number, href in enumerate(old_mine, low)}
    new = {href: number for number, href in enumerate(new_mine, low)}
    high, shift = low + len(old_mine) - 1, len(new_mine) - len(old_mine)
    last, grown = first + entry_count(old_entry) - 1, entry_count(new_entry) - entry_count(old_entry)
    at = ncx.find(b"</navMap>")
    if at < 0:
        return None
    navigation = ncx_nav_points_moved(ncx[:at], last, grown, high, shift) if shift or grown else ncx[:at]
    navigation = _swap_entry(navigation, ncx_entry(old_entry, first, old), ncx_entry(new_entry, first, new))
    counts = ncx_page_counts(moved.pages.table.labels) if moved.pages else ()
    for name, now in (*counts, ("dtb:depth", str(moved.toc.depth()))):
        was = ncx_meta_value(navigation, name)
        if was is None:
            return None
        navigation = _swap_entry(navigation, ncx_meta(name, was), ncx_meta(name, now))
    page_list, rest = ncx[at:], b""
    if before:
        old_targets = ncx_page_targets(before, start + 1, old)
        found = page_list.find(old_targets)
        if found < 0:
            return None
        page_list, rest = (
            page_list[:found] + ncx_page_targets(after, start + 1, new),
            page_list[found + len(old_targets) :],
        )
    elif after:
        return None  # (a unit without pages has none now: _new_pages)
    else:
        page_list, rest = b"", page_list
    gained = len(after) - len(before)
    return navigation + page_list + (ncx_page_targets_moved(rest, gained, high, shift) if gained or shift else rest)


def _unit_span(reading_order: list[str] | tuple[str, ...], title: str) -> tuple[int, int] | None:
    """Where the unit whose title is at `title` ("doc#id") lies in the reading order,
    which is each unit's in turn (nav._reading_order): around its title. None: its title
    is not in it."""
    doc = title.partition("#")[0] + "#"
    try:
        start = end = reading_order.index(title)
    except ValueError:
        return None
    while start and reading_order[start - 1].startswith(doc):
        start -= 1
    while end < len(reading_order) and reading_order[end].startswith(doc):
        end += 1
    return start, end


def _unit_play_order(
    reading_order: tuple[str, ...], entry: NavPoint, unit_pages: tuple[PageRef, ...], title: str
) -> list[str] | None:
    """The unit's targets in the NCX (its entry's and its pages', all "doc#id") in the
    order play_order numbers them, given the unit's part of the reading order (the unit's
    title at `title`). None when one of them is not in it (play_order numbers those after
    the whole reading order)."""
    span = _unit_span(reading_order, title)
    if span is None:
        return None
    segment = reading_order[slice(*span)]
    order = play_order((entry,), segment, page_hrefs(unit_pages))
    if not set(segment).issuperset(order):
        return None
    return sorted(order, key=order.__getitem__)


def _preorder_number(points: tuple[NavPoint, ...], wanted: NavPoint) -> int | None:
    """`wanted`'s place among the entries, counted from 1 as the NCX numbers them."""
    number = 0
    stack = list(reversed(points))
    while stack:
        point = stack.pop()
        number += 1
        if point is wanted:
            return number
        stack.extend(reversed(point.children))
    return None


def _html_contents(html: Path, site: Site, context: QuickContext, moved: _Contents) -> dict[str, bytes]:
    """index.html and the head of book.html ("frame"), with the units' entries in their
    contents swapped in the last build's; when pages changed, what shows them too
    (_html_pages)."""
    try:
        index = (html / "index.html").read_bytes()
        with (html / "book.html").open("rb") as book:
            frame = book.read(context.frame_head)
    except OSError:
        raise _Declined() from None
    for before, after in moved.entries:
        index = _swap_entry(index, site.contents_entry(before, False), site.contents_entry(after, False))
        frame = _swap_entry(frame, site.contents_entry(before, True), site.contents_entry(after, True))
    made = {"index.html": index, "frame": frame}
    if moved.pages:
        made |= _html_pages(html, site, context, moved.pages)
    return made


def _html_pages(html: Path, site: Site, context: QuickContext, pages: _Pages) -> dict[str, bytes]:
    """The page index and the script that finds pages with the unit's entries swapped in
    the last build's; the search index's list of where units begin, when the unit's last
    page changed (the units after it may begin on it)."""
    try:
        page_index, script = (html / "pages.html").read_bytes(), (html / "js/pages.js").read_bytes()
    except OSError:
        raise _Declined() from None
    title = next((title for doc, title, _ in site.units if doc == pages.doc), pages.doc)  # as _page_index_groups
    old, new = (page_index_group(site, title, block) for block in (pages.before, pages.after))
    made = {"pages.html": _swap_entry(page_index, old, new)}
    old, new = page_map_entries(pages.before), page_map_entries(pages.after)
    if new:
        made["js/pages.js"] = _swap_entry(script, old, new)
    else:  # and the comma that parted them from the next or the last
        made["js/pages.js"] = (
            _swap_entry(script, b", " + old, b"") if b", " + old in script else _swap_entry(script, old + b", ", b"")
        )
    if pages.before[-1:] != pages.after[-1:]:
        last = dict(zip(pages.table.docs, zip(pages.table.labels, pages.table.ids, strict=True), strict=True))
        made[INDEX_NAME] = index_file(search_starts(site.units, last), len(context.units))
    return made


def _swap_entry(document: bytes, before: bytes, after: bytes) -> bytes:
    """`document` with the one place that holds `before` holding `after`."""
    at = document.find(before)
    if at < 0 or document.find(before, at + 1) >= 0:
        raise _Declined()  # not the document the last build wrote
    return document[:at] + after + document[at + len(before) :]


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


class _Splices(NamedTuple):
    """The EPUB and book.html being written beside the old ones, each in a thread: the
    old copied up to the first changed unit, which waits for its parts to be rendered,
    and so on (`rendered`); and when the contents changed, for the head of book.html
    (`frame`) and the EPUB's files that hold the contents (`contents`)."""

    staged: StagedFiles
    rendered: dict[int, Future]  # -> render_cache.unit_parts
    frame: Future | None  # -> bytes
    contents: Future | None  # -> _epub_documents | _ncx

    @classmethod
    def start(
        cls,
        out: Path,
        targets: dict[str, str],
        context: QuickContext,
        units: Iterable[int],
        moved: _Contents | None,
        spares: Path,
    ) -> _Splices:
        """The writers started; `spares`: the folder where each file's old version is
        kept to be written over next time (StagedFiles)."""
        rendered: dict[int, Future] = {index: Future() for index in units}
        frame = Future() if moved and "html" in targets else None
        contents = Future() if moved and "epub" in targets else None
        big, kept = [], []
        if "epub" in targets:
            epub = out / targets["epub"]
            big.append((epub, _epub_splice(epub, context, rendered, contents, _epub_names(moved) if moved else ())))
            kept.append(spares / SPARE_EPUB)
        if "html" in targets:
            book = out / targets["html"] / "book.html"
            big.append((book, _single_page_splice(book, context, rendered, frame)))
            kept.append(spares / SPARE_SINGLE_PAGE)
        return cls(StagedFiles(big, kept), rendered, frame, contents)

    def abandon(self) -> None:
        """Stop the writers (they wait for nothing more) and delete what they wrote."""
        for future in [*self.rendered.values(), *(future for future in (self.frame, self.contents) if future)]:
            if not future.done():
                future.set_exception(_Declined())
        self.staged.abort()


def _epub_splice(
    path: Path, context: QuickContext, rendered: dict[int, Future], contents: Future | None, names: tuple[str, ...]
):
    """The EPUB with the re-rendered units' entries in place of the old ones, and the
    contents' `names` (nav document, NCX, package) when it changed."""
    entries = {
        f"EPUB/{context.units[index].doc_name}": (lambda future=future: pickle.loads(future.result()[EPUB_PART]))
        for index, future in rendered.items()
    }
    if contents is not None:
        for name in names:
            entries[name] = lambda name=name: contents.result()[name]

    def write(stream) -> None:
        with path.open("rb") as source:
            replace_entries(source, stream, entries, copy_range)

    return write


def _single_page_splice(path: Path, context: QuickContext, rendered: dict[int, Future], frame: Future | None):
    """book.html with the re-rendered units' sections in place of the old ones, and its
    head (which holds the contents; `frame`) made again when the contents changed."""
    starts, offset = [], context.frame_head
    for record in context.units:
        starts.append(offset)
        offset += record.single_size

    def write(stream) -> None:
        with path.open("rb") as source:
            size, position = os.fstat(source.fileno()).st_size, 0
            if frame is not None:
                stream.write(frame.result())
                position = context.frame_head
            for index in sorted(rendered):
                copy_range(source, stream, position, starts[index] - position)
                stream.write(rendered[index].result()[SINGLE_PART])
                position = starts[index] + context.units[index].single_size
            copy_range(source, stream, position, size - position)

    return write
