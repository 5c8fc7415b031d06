"""resolve and nav on their own, table by table: where a link as written leads, and how
units group into the contents (groups, parts, back matter)."""

from __future__ import annotations

import pytest

from bookbuild.book.model import Book, Metadata, UnitSource
from bookbuild.book.nav import build_nav
from bookbuild.book.parse import parse_units
from bookbuild.book.resolve import resolve

UNITS = {
    "01-preface": ("前言", "preface", "## 缘起 {#origin}\n\n见[第一章](02-chapter-1.md)。"),
    "02-chapter-1": ("第一章", "chapter", "## 一节 {#one}\n\n正文[^n]。\n\n[^n]: 注。"),
    "03-chapter-2": ("第二章", "chapter", "正文。"),
}


def _book(units: dict[str, tuple[str, str, str]], groups: dict[str, str] | None = None) -> Book:
    sources = tuple(
        UnitSource(
            path=f"book/{name}.md",
            name=name,
            title=title,
            kind=kind,
            body=body,
            body_line=5,
            group=(groups or {}).get(name),
        )
        for name, (title, kind, body) in units.items()
    )
    parsed, diagnostics = parse_units(sources)
    assert not diagnostics
    return Book(Metadata(title="书", language="zh-Hans"), parsed, (), ())


def _href(link: str, in_unit: str = "01-preface") -> str | None:
    """Where `link`, written in `in_unit`, resolves (None: reported as X001)."""
    units = dict(UNITS)
    title, kind, body = units[in_unit]
    units[in_unit] = (title, kind, f"{body}\n\n[链接]({link})")
    resolved, diagnostics = resolve(_book(units))
    [unit] = [r for r in resolved.units if r.unit.source.name == in_unit]
    found = dict(unit.hrefs).get(link)
    assert (found is None) == any(d.code == "X001" for d in diagnostics)
    return found


@pytest.mark.parametrize(
    "link,target",
    [
        ("#origin", "01-preface.xhtml#origin"),  # an id in the same unit
        ("#one", "02-chapter-1.xhtml#one"),  # an id anywhere in the book
        ("02-chapter-1.md", "02-chapter-1.xhtml"),  # a whole unit, by its file
        ("./02-chapter-1.md#one", "02-chapter-1.xhtml#one"),  # ./ is the same folder
        ("02-chapter-1.xhtml#one", "02-chapter-1.xhtml#one"),  # the output's name works too
        ("../02-chapter-1.md", None),  # outside book/: no such unit
        ("02-chapter-1.md#nowhere", None),  # an id the unit does not have
        ("#nowhere", None),
        ("04-missing.md", None),
        ("https://example.com/a#b", "https://example.com/a#b"),  # external links stay as written
        ("//example.com/a", "//example.com/a"),
        ("mailto:someone@example.com", "mailto:someone@example.com"),
    ],
)
def test_where_a_link_leads(link, target):
    assert _href(link) == target


def test_a_note_id_resolves_within_its_own_unit_only():
    assert _href("#fn-n", "02-chapter-1") == "02-chapter-1.xhtml#fn-n"
    assert _href("#fn-n", "03-chapter-2") is None  # notes repeat per unit: not a book-wide id


def _contents(units: dict[str, tuple[str, str, str]], groups: dict[str, str] | None = None):
    resolved, _ = resolve(_book(units, groups))
    return [(p.label, [c.label for c in p.children]) for p in build_nav(resolved).toc]


def test_chapters_after_a_part_go_under_it_until_the_back_matter():
    units = {
        "01-preface": ("前言", "preface", "正文。"),
        "02-part-1": ("第一篇", "part", "正文。"),
        "03-chapter-1": ("第一章", "chapter", "## 一节\n\n正文。"),
        "04-chapter-2": ("第二章", "chapter", "正文。"),
        "05-part-2": ("第二篇", "part", "正文。"),
        "06-chapter-3": ("第三章", "chapter", "正文。"),
        "07-afterword": ("后记", "afterword", "正文。"),
    }
    assert _contents(units) == [
        ("前言", []),
        ("第一篇", ["第一章", "第二章"]),
        ("第二篇", ["第三章"]),
        ("后记", []),
    ]


def test_a_group_gathers_its_units_and_ends_a_part():
    units = {
        "01-part-1": ("第一篇", "part", "正文。"),
        "02-chapter-1": ("第一章", "chapter", "正文。"),
        "03-preface-a": ("序一", "foreword", "正文。"),
        "04-preface-b": ("序二", "foreword", "正文。"),
        "05-chapter-2": ("第二章", "chapter", "正文。"),
    }
    groups = {"03-preface-a": "推荐序", "04-preface-b": "推荐序"}
    assert _contents(units, groups) == [
        ("第一篇", ["第一章"]),
        ("推荐序", ["序一", "序二"]),
        ("第二章", []),
    ]


def test_the_leading_pages_stay_out_of_the_contents_unless_they_are_all_there_is():
    leading = {"01-cover": ("封面", "cover", "正文。"), "02-titlepage": ("书名", "titlepage", "正文。")}
    assert _contents({**leading, "03-chapter-1": ("第一章", "chapter", "正文。")}) == [("第一章", [])]
    assert _contents(leading) == [("封面", []), ("书名", [])]
