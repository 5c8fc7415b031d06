"""The back-of-book index generated from the terms marked in the text ({{index …}}).

Each entry lists where its term is marked: the print page it stands on when the book
has page markers, else the title of its unit. Sub-entries come under their term, "see"
and "see also" after it. Structure and semantics follow the EPUB Indexes vocabulary
(index-entry-list, index-entry, index-term, index-locator, index-xref-preferred and
-related). Chinese terms are ordered by their pinyin (pypinyin), or by stroke count with
`index_order: strokes` (grouped 1 画, 2 画 …); others alphabetically ignoring case, and
entries are grouped under their first letter. A book that has its own
index unit (kind: index) keeps it and gets none generated.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from lxml import etree
from lxml.builder import ElementMaker

from bookbuild.book.model import Heading, Link, Metadata, ParsedUnit, UnitSource
from bookbuild.book.words import is_chinese, labels
from bookbuild.book.xml import EPUB, EPUB_TYPE, XHTML

E = ElementMaker(namespace=XHTML, nsmap={None: XHTML, "epub": EPUB})
NAME = "index"  # the unit's name: index.xhtml, index.html would collide with the HTML edition's home
UNIT_NAME = "book-index"


@dataclass
class _Entry:
    term: str
    locators: list[tuple[str, str]] = field(default_factory=list)  # (label, href)
    subs: dict[str, _Entry] = field(default_factory=dict)
    see: list[str] = field(default_factory=list)
    also: list[str] = field(default_factory=list)


def with_generated_index(meta: Metadata, units: tuple[ParsedUnit, ...]) -> tuple[ParsedUnit, ...]:
    """`units` and, when terms are marked and the book has no index of its own, an index
    unit at the end."""
    if not any(unit.index_marks for unit in units) or any(unit.source.kind == "index" for unit in units):
        return units
    return units + (_index_unit(meta, units),)


def _index_unit(meta: Metadata, units: tuple[ParsedUnit, ...]) -> ParsedUnit:
    words = labels(meta.language)
    entries: dict[str, _Entry] = {}
    for unit in units:
        for mark in unit.index_marks:
            entry = entries.setdefault(mark.term, _Entry(mark.term))
            if mark.see:
                (entry.also if mark.also else entry.see).append(mark.see)
                continue
            target = entry.subs.setdefault(mark.sub, _Entry(mark.sub)) if mark.sub else entry
            locator = (mark.page or unit.source.title, f"{unit.doc_name}#{mark.id}")
            if not target.locators or target.locators[-1][0] != locator[0]:  # one link per page
                target.locators.append(locator)
    chinese = is_chinese(meta.language)
    by_strokes = chinese and meta.index_order == "strokes"
    body = E.body()
    groups: dict[str, list[_Entry]] = {}
    if by_strokes:
        for entry in sorted(entries.values(), key=lambda e: _stroke_order(e.term)):
            count = strokes(entry.term[0]) if entry.term else 0
            groups.setdefault(f"{count} 画" if count else "#", []).append(entry)
    else:
        for entry in sorted(entries.values(), key=lambda e: _order(e.term, chinese)):
            groups.setdefault(_initial(entry.term, chinese), []).append(entry)
    links = []
    for initial, members in groups.items():
        group = E.div({"class": "index-group"}, E.h2(initial))
        group.set(EPUB_TYPE, "index-group")
        group.append(
            _entry_list(members, chinese, words, links, _stroke_order if by_strokes else lambda t: _order(t, chinese))
        )
        body.append(group)
    title = words["index"]
    source = UnitSource(
        path="book/*.md", name=UNIT_NAME, title=title, kind="index", body="", body_line=1, generated=True
    )
    return ParsedUnit(
        source=source,
        fragment=etree.tostring(body, encoding="unicode"),
        headings=(Heading(1, title, f"{UNIT_NAME}-title", 1),),
        markers=(),
        links=tuple(Link(href, 1) for href in links),
        images=(),
        ids=(),
    )


def _entry_list(
    entries: list[_Entry], chinese: bool, words: dict[str, str], links: list[str], order: Callable[[str], object]
) -> etree._Element:
    listed = E.ul({"class": "index-entries"})
    listed.set(EPUB_TYPE, "index-entry-list")
    for entry in entries:
        item = E.li()
        item.set(EPUB_TYPE, "index-entry")
        term = E.span(entry.term)
        term.set(EPUB_TYPE, "index-term")
        item.append(term)
        for index, (label, href) in enumerate(entry.locators):
            link = E.a(label, href=href)
            link.set(EPUB_TYPE, "index-locator")
            item[-1].tail = ("，" if chinese else ", ") if index else " "
            item.append(link)
            links.append(href)
        for kind, names in (("index-xref-preferred", entry.see), ("index-xref-related", entry.also)):
            if names:
                xref = E.span(
                    f"{words['see_also' if kind.endswith('related') else 'see']} {'；'.join(names) if chinese else '; '.join(names)}"
                )
                xref.set(EPUB_TYPE, kind)
                item[-1].tail = (item[-1].tail or "") + (" " if chinese else ". ")
                item.append(xref)
        if entry.subs:
            subs = sorted(entry.subs.values(), key=lambda e: order(e.term))
            item.append(_entry_list(subs, chinese, words, links, order))
        listed.append(item)
    return listed


_STROKE_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))


@lru_cache(maxsize=1)
def _stroke_table() -> list[str]:
    """data/strokes.txt (made by scripts/stroke-counts.py from Unihan): a row per range."""
    return resources.files("bookbuild").joinpath("book/data/strokes.txt").read_text("utf-8").split("\n")


def strokes(char: str) -> int:
    """The stroke count of a Han character (Unihan kTotalStrokes); 0 for anything else."""
    code = ord(char)
    for row, (start, end) in zip(_stroke_table(), _STROKE_RANGES):
        if start <= code <= end:
            return ord(row[code - start]) - 32
    return 0


def _stroke_order(term: str) -> tuple[tuple[int, ...], str]:
    """Sort key in stroke order: the stroke counts of the term's characters in turn (Latin
    letters and digits, 0 strokes, first), then the term."""
    return tuple(strokes(char) for char in term), term


def _order(term: str, chinese: bool) -> tuple[str, str]:
    """Sort key: pinyin for Chinese terms (letters of Latin terms as they are), case and
    accents ignored."""
    key = term
    if chinese:
        from pypinyin import lazy_pinyin  # imported here: only a book with an index needs it

        key = " ".join(lazy_pinyin(term))
    plain = unicodedata.normalize("NFKD", key).encode("ascii", "ignore").decode().casefold()
    return plain or key.casefold(), term


def _initial(term: str, chinese: bool) -> str:
    first = _order(term, chinese)[0][:1].upper()
    return first if first.isalpha() else "#"
