"""Stage `nav`: the table of contents (groups -> parts -> chapters -> sections), the
landmarks and the page-list, computed from the resolved model."""

from __future__ import annotations

from bookbuild.book.captions import caption_id
from bookbuild.book.kinds import KINDS, leads_book
from bookbuild.book.model import Heading, Landmark, Navigation, NavPoint, ParsedUnit, ResolvedBook
from bookbuild.book.words import labels

NAV_DOC = "nav.xhtml"


def build_nav(book: ResolvedBook) -> Navigation:
    units = [r.unit for r in book.units]
    lists = book.book.metadata.lists_of
    return Navigation(
        toc=_toc(units),
        landmarks=_landmarks(units, book.book.metadata.language),
        page_list=book.pages,
        reading_order=_reading_order(units),
        figures=_caption_list(book, "figure") if "figures" in lists else (),
        tables=_caption_list(book, "table") if "tables" in lists else (),
    )


def _caption_list(book: ResolvedBook, kind: str) -> tuple[NavPoint, ...]:
    """The figures (or tables) of the book, in reading order: number and caption."""
    points = []
    for resolved in book.units:
        for caption, number in zip(resolved.unit.captions, resolved.captions):
            if caption.kind == kind and number.number:
                href = f"{resolved.unit.doc_name}#{caption_id(kind, number.number)}"
                points.append(NavPoint(f"{number.label} {caption.text}".strip(), href, None))
    return tuple(points)


def _reading_order(units: list[ParsedUnit]) -> tuple[str, ...]:
    return tuple(f"{unit.doc_name}#{ident}" for unit in units for _, ident in unit_reading_order(unit))


def unit_reading_order(unit: ParsedUnit) -> list[tuple[str, str]]:
    """The unit's page markers ("page", id) and headings ("heading", id) by body line;
    the start-page marker and the title come first, in that order (their lines are
    front-matter lines), and things on one line keep their order in the text."""
    start = unit.markers[0].id if unit.source.page and unit.markers else None
    places = [
        (0 if marker.id == start else marker.line, 0, position, "page", marker.id)
        for position, marker in enumerate(unit.markers)
    ]
    places += [
        (0 if position == 0 else heading.line, 1, position, "heading", heading.id)
        for position, heading in enumerate(unit.headings)
    ]
    return [(kind, ident) for *_, kind, ident in sorted(places)]


def unit_point(unit: ParsedUnit) -> NavPoint:
    title = unit.headings[0]
    return NavPoint(
        unit.source.title,
        f"{unit.doc_name}#{title.id}",
        unit.source.page,
        _section_points(unit.doc_name, unit.headings[1:]),
    )


def _section_points(doc: str, headings: tuple[Heading, ...]) -> tuple[NavPoint, ...]:
    """Nest headings by level; a skipped level nests under the nearest shallower one."""
    points: list[NavPoint] = []
    index = 0
    while index < len(headings):
        head = headings[index]
        end = index + 1
        while end < len(headings) and headings[end].level > head.level:
            end += 1
        points.append(
            NavPoint(head.text, f"{doc}#{head.id}", head.page, _section_points(doc, headings[index + 1 : end]))
        )
        index = end
    return tuple(points)


def _toc(units: list[ParsedUnit]) -> tuple[NavPoint, ...]:
    top: list[NavPoint] = []
    part: NavPoint | None = None
    part_children: list[NavPoint] = []
    group_label: str | None = None
    group_children: list[NavPoint] = []

    def close_group() -> None:
        nonlocal group_label, group_children
        if group_label:
            first = group_children[0]
            top.append(NavPoint(group_label, first.href, None, tuple(group_children)))
        group_label, group_children = None, []

    def close_part() -> None:
        nonlocal part, part_children
        if part:
            top.append(NavPoint(part.label, part.href, part.page, part.children + tuple(part_children)))
        part, part_children = None, []

    # a book of front matter only (a title page and its text) still lists its units: a
    # contents with no entry is not a valid navigation document
    everything = all(leads_book(unit.source.kind) for unit in units)
    for unit in units:
        kind = unit.source.kind
        if leads_book(kind) and not everything:
            continue
        point = unit_point(unit)
        if unit.source.group:
            close_part()
            if unit.source.group != group_label:
                close_group()
                group_label = unit.source.group
            group_children.append(point)
            continue
        close_group()
        if kind == "part":
            close_part()
            part = point
        elif part and KINDS[kind].matter == "body":
            part_children.append(point)
        else:
            close_part()
            top.append(point)
    close_group()
    close_part()
    return tuple(top)


def _landmarks(units: list[ParsedUnit], language: str) -> tuple[Landmark, ...]:
    words = labels(language)
    marks: list[Landmark] = []

    for kind in ("cover", "titlepage"):
        unit = next((u for u in units if u.source.kind == kind), None)
        if unit:
            marks.append(Landmark(kind, words[kind], unit.doc_name))
    marks.append(Landmark("toc", words["contents"], f"{NAV_DOC}#toc"))
    index = next((u for u in units if u.source.kind == "index"), None)
    for matter in ("front", "body", "back"):
        unit = next((u for u in units if KINDS[u.source.kind].matter == matter and not leads_book(u.source.kind)), None)
        if unit:
            marks.append(Landmark(f"{matter}matter", words[f"{matter}matter"], unit.doc_name))
    if index:
        marks.append(Landmark("index", words["index"], index.doc_name))
    return tuple(marks)
