"""Stage `resolve`: over the whole book, index every id, resolve every link to the document
that holds its target, and list the print pages in reading order."""

from __future__ import annotations

import dataclasses
import difflib
import posixpath
import re
from collections import ChainMap
from collections.abc import Mapping, MutableMapping
from collections.abc import Set as AbstractSet
from typing import cast

from bookbuild.book.captions import caption_id, number_captions
from bookbuild.book.model import (
    Book,
    Heading,
    LinkTargets,
    Metadata,
    PageRef,
    ParsedUnit,
    ResolvedBook,
    ResolvedUnit,
)
from bookbuild.book.pages import page_order
from bookbuild.book.words import is_chinese
from bookbuild.diagnostics import Diagnostic

_EXTERNAL_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:|^//")
_NOTE_ID_RE = re.compile(r"^fn(ref)?-")  # made by the footnote extension


def is_external(href: str) -> bool:
    """A link out of the book: a URL with a scheme, or scheme-relative (//host/...)."""
    return _EXTERNAL_RE.match(href) is not None


def is_note_id(ident: str) -> bool:
    """A footnote's id or its reference's: these repeat in every unit by design."""
    return _NOTE_ID_RE.match(ident) is not None


def image_path(src: str) -> str:
    """Where an image written as `src` (relative to book/) lives inside the outputs."""
    normal = posixpath.normpath(posixpath.join("book", src))
    return "images/" + (normal[5:] if normal.startswith("book/") else normal).removeprefix("images/")


def resolve(book: Book) -> tuple[ResolvedBook, list[Diagnostic]]:
    ids, local_ids, pages, diags = _index(book)
    diags += page_sequence(pages)
    numbers = number_captions(book.units, book.metadata.figure_numbering, is_chinese(book.metadata.language))
    for unit, mine in zip(book.units, numbers):
        for number in mine:
            ident = caption_id(number.kind, number.number)
            if number.number and ident not in local_ids[unit.doc_name] and ident not in ids:
                local_ids[unit.doc_name].add(ident)
                ids[ident] = (unit.doc_name, number.kind)
    targets = LinkTargets(
        ids,
        local_ids,
        {number.kind for mine in numbers for number in mine if number.number},
        {name.removesuffix(".md") + ".xhtml" for name in book.unread},
    )
    resolved = []
    for unit, mine in zip(book.units, numbers):
        hrefs, found = resolve_unit_links(unit, targets, book.metadata)
        diags += found
        resolved.append(ResolvedUnit(unit, hrefs, mine))
    return ResolvedBook(book, tuple(resolved), tuple(pages), targets), diags


def resolve_unit_links(
    unit: ParsedUnit, targets: LinkTargets, meta: Metadata
) -> tuple[tuple[tuple[str, str], ...], list[Diagnostic]]:
    """Where each of the unit's links, page references, caption references and images
    leads (ResolvedUnit.hrefs), and the links that found no target. A quick rebuild
    calls it with the targets of the last build (incremental.quick): for a unit whose
    own ids, pages and captions are as they were then."""
    diags = []
    hrefs: dict[str, str] = {}
    for link in unit.links:
        href = _resolve_href(link.href, unit.doc_name, targets)
        if href is not None:
            hrefs[link.href] = href
        elif not _may_be_in(link.href, targets.unread):
            message = f"link to {link.href} has no target{_did_you_mean(link.href, unit.doc_name, targets.local_ids)}"
            diags.append(Diagnostic("X001", message, unit.source.path, link.line))
    # with a file unread, a page or a number may well be in it (and chapters are
    # counted without it): what is missing is not reported until it is read
    found = _link_page_references(unit, targets, hrefs) if meta.page_references else []
    found += _link_caption_references(unit, targets, meta.figure_numbering == "book", hrefs)
    diags += [] if targets.unread else found
    for image in unit.images:
        hrefs[image.src] = image_path(image.src)
    return tuple(sorted(hrefs.items())), diags


def with_sections(targets: LinkTargets, unit: ParsedUnit) -> LinkTargets:
    """`targets` with `unit`'s section headings (all but its title) as they are now: after
    an edit of those alone, whose new ids no other unit has (incremental.quick makes sure)."""
    doc, title = unit.doc_name, unit.headings[0].id
    old = _own_targets(targets, doc, _HEADING_KINDS)
    old.discard(title)
    new = {heading.id: (doc, _heading_kind(heading)) for heading in unit.headings[1:]}
    return _with_own_targets(targets, doc, old, new)


def with_pages(targets: LinkTargets, unit: ParsedUnit) -> LinkTargets:
    """`targets` with `unit`'s page markers as they are now: after an edit of those alone,
    whose new ids no other part of the book has (incremental.quick makes sure)."""
    doc = unit.doc_name
    new = {marker.id: (doc, "page") for marker in unit.markers}
    return _with_own_targets(targets, doc, _own_targets(targets, doc, ("page",)), new)


def _own_targets(targets: LinkTargets, doc: str, kinds: tuple[str, ...]) -> set[str]:
    """The ids of `doc`'s targets of these kinds (each is among its local ids: the index
    adds both together)."""
    found = set()
    for ident in targets.local_ids.get(doc, ()):
        target = targets.targets.get(ident)
        if target is not None and target[0] == doc and target[1] in kinds:
            found.add(ident)
    return found


def _with_own_targets(targets: LinkTargets, doc: str, old: set[str], new: dict[str, tuple[str, str]]) -> LinkTargets:
    """`targets` with `doc`'s `old` targets replaced by `new`."""
    kept = dict(targets.targets)
    for ident in old:
        del kept[ident]
    kept.update(new)
    # over the others' local ids, not a copy of them: a quick rebuild's are unpickled
    # only when asked for (incremental.kept.KeptTargets)
    others = cast("MutableMapping[str, AbstractSet[str]]", targets.local_ids)  # (a ChainMap writes to its first)
    local_ids = ChainMap[str, AbstractSet[str]]({doc: (set(targets.local_ids[doc]) - old) | new.keys()}, others)
    return dataclasses.replace(targets, targets=kept, local_ids=local_ids)


_HEADING_KINDS = ("unit", "heading")


def _heading_kind(heading: Heading) -> str:
    return "unit" if heading.level == 1 else "heading"


def _index(
    book: Book,
) -> tuple[dict[str, tuple[str, str]], dict[str, set[str]], list[PageRef], list[Diagnostic]]:
    """Every id and page marker of the book (LinkTargets.targets and .local_ids), and
    the clashes between them."""
    diags: list[Diagnostic] = []
    targets: dict[str, tuple[str, str]] = {}
    local_ids: dict[str, set[str]] = {}
    where: dict[str, tuple[str, int]] = {}
    pages: list[PageRef] = []
    seen_pages: dict[str, PageRef] = {}
    for unit in book.units:
        doc = unit.doc_name
        local_ids[doc] = set()
        path = unit.source.path
        entries = [(h.id, h.line, _heading_kind(h)) for h in unit.headings]
        heading_ids = {h.id for h in unit.headings}
        entries += [(i, line, "note" if is_note_id(i) else "other") for i, line in unit.ids if i not in heading_ids]
        for ident, line, kind in entries:
            if ident in local_ids[doc] or (kind != "note" and ident in targets):
                first = where.get(ident, (path, line))
                diags.append(
                    Diagnostic(
                        "X002",
                        f"id {ident!r} is already used at {first[0]}:{first[1]}",
                        path,
                        line,
                        related=(first[0],),
                    )
                )
                continue
            local_ids[doc].add(ident)
            if kind != "note":
                targets[ident] = (doc, kind)
                where[ident] = (path, line)
        for marker in unit.markers:
            ref = PageRef(marker.label, doc, marker.id, marker.known, path, marker.line)
            if marker.label in seen_pages:
                earlier = seen_pages[marker.label]
                diags.append(
                    Diagnostic(
                        "P002",
                        f"print page {marker.label} is marked twice (first at {earlier.file}:{earlier.line})",
                        path,
                        marker.line,
                        related=(earlier.file,),
                    )
                )
                continue
            seen_pages[marker.label] = ref
            local_ids[doc].add(marker.id)
            targets[marker.id] = (doc, "page")
            pages.append(ref)
    return targets, local_ids, pages, diags


def _link_page_references(unit: ParsedUnit, targets: LinkTargets, hrefs: dict[str, str]) -> list[Diagnostic]:
    """Each print-page reference linked to its page's marker (in `hrefs`), or reported:
    left unlinked, its text stays as written."""
    diags = []
    for ref in unit.page_refs:
        ident = f"page-{ref.first}"
        doc, kind = targets.targets.get(ident, ("", ""))
        if kind == "page":
            hrefs[f"#{ident}"] = f"{doc}#{ident}"
            continue
        diags.append(
            Diagnostic(
                "P007",
                f"print page {ref.first} is referred to here, but the book has no marker for it: the "
                "reference stays text (add {{page " + ref.first + "}} where that page begins, or mark a "
                "citation of another book {.no-page-refs})",
                unit.source.path,
                ref.line,
            )
        )
    return diags


def _link_caption_references(
    unit: ParsedUnit, targets: LinkTargets, shaped: bool, hrefs: dict[str, str]
) -> list[Diagnostic]:
    """Each 图 2-3 / Table 4.1 linked to its figure or table. One the book does not have
    stays text, and is reported only when it looks like the book's own numbering: the
    book numbers that kind at all, and the number is chapter-numbered (2-3) or the book
    numbers straight through (`shaped`); 表 1 in a book of 表 2-1, 表 2-2 … may well be
    something else."""
    diags = []
    for ref in unit.caption_refs:
        ident = caption_id(ref.kind, ref.number)
        doc, kind = targets.targets.get(ident, ("", ""))
        if kind == ref.kind:
            hrefs[f"#{ident}"] = f"{doc}#{ident}"
        elif ref.kind in targets.numbered_kinds and (shaped or "-" in ref.number):
            diags.append(
                Diagnostic(
                    "X004",
                    f"the text refers to {ref.kind} {ref.number}, which the book does not have: the "
                    "reference stays text (check the number, or mark it {.no-page-refs})",
                    unit.source.path,
                    ref.line,
                )
            )
    return diags


def _resolve_href(href: str, doc: str, targets: LinkTargets) -> str | None:
    if is_external(href):
        return href
    path, _, fragment = href.partition("#")
    if path:
        name = posixpath.basename(path)
        target_doc = name[:-3] + ".xhtml" if name.endswith(".md") else name
        if target_doc not in targets.local_ids or posixpath.dirname(path) not in ("", "."):
            return None
        if fragment and fragment not in targets.local_ids[target_doc]:
            return None
        return f"{target_doc}#{fragment}" if fragment else target_doc
    if fragment in targets.local_ids[doc]:
        return f"{doc}#{fragment}"
    target = targets.targets.get(fragment)
    return f"{target[0]}#{fragment}" if target else None


def _may_be_in(href: str, unread: AbstractSet[str]) -> bool:
    """Whether the link's target may be in a file that could not be read: one mistake
    is reported once, not again as every link into the file it broke."""
    if not unread:
        return False
    path, _, _ = href.partition("#")
    return not path or _doc_name(path) in unread


def _doc_name(path: str) -> str:
    name = posixpath.basename(path)
    return name[:-3] + ".xhtml" if name.endswith(".md") else name


def _did_you_mean(href: str, doc: str, local_ids: Mapping[str, AbstractSet[str]]) -> str:
    """'; did you mean …?' with the nearest file and id the book has, or nothing."""
    if is_external(href):
        return ""
    path, _, fragment = href.partition("#")
    target_doc = _doc_name(path) if path else doc
    if path and target_doc not in local_ids:
        if not path.endswith(".md"):
            return ""  # a link to some other file: nothing of the book's to suggest
        names = {d.removesuffix(".xhtml") + ".md": d for d in local_ids}
        close = _nearest(posixpath.basename(path), list(names))
        if close is None:
            return f" (no file book/{posixpath.basename(path)})"
        target_doc = names[close]
        path = posixpath.join(posixpath.dirname(path), close) if posixpath.dirname(path) not in ("", ".") else close
    # what an author names: headings and {#ids}, not notes, pages or index anchors
    named = [i for i in local_ids[target_doc] if not is_note_id(i) and not i.startswith(("page-", "ix-"))]
    if not path:  # a bare #id may point into any file
        named = [
            i for found in local_ids.values() for i in found if not is_note_id(i) and not i.startswith(("page-", "ix-"))
        ]
    ids = sorted(set(named))
    if fragment and fragment not in ids:
        if fragment.startswith("page-"):
            return ""  # page-70 for page-7 is a guess, not a suggestion
        close = _nearest(fragment, ids)
        if close is None:
            return ""
        fragment = close
    suggestion = f"{path}#{fragment}" if path and fragment else (path or f"#{fragment}")
    return "" if suggestion == href else f"; did you mean {suggestion}?"


def _nearest(wanted: str, candidates: list[str]) -> str | None:
    """The candidate equal to `wanted` but for case, else the closest by difflib."""
    folded = {c.casefold(): c for c in candidates}
    if wanted.casefold() in folded:
        return folded[wanted.casefold()]
    # a short id (a CJK heading of two to four characters) differs by a character
    close = difflib.get_close_matches(wanted, candidates, n=1, cutoff=0.5 if len(wanted) <= 4 else 0.75)
    return close[0] if close else None


def page_sequence(pages: list[PageRef]) -> list[Diagnostic]:
    """A page that does not come after the one before it (a quick rebuild checks the
    pages around an edit with it)."""
    diags = []
    for before, after in zip(pages, pages[1:]):
        if page_order(after.label) <= page_order(before.label):
            diags.append(
                Diagnostic(
                    "P003",
                    f"print page {after.label} comes after page {before.label} ({before.file}:{before.line})",
                    after.file,
                    after.line,
                    related=(before.file,),
                )
            )
    return diags
