"""Parser fixtures (tests/fixtures/markdown/NAME.md -> NAME.html) and parse-stage facts."""

import re
from pathlib import Path

import pytest

from bookbuild.book.load import read_unit
from bookbuild.book.parse import parse_units

CASES = sorted((Path(__file__).parent / "fixtures" / "markdown").glob("*.md"))


def _parse(body: str, front: str = "title: 标题\nkind: chapter\n"):
    source, diags = read_unit(f"---\n{front}---\n\n{body}", "book/01-x.md", "01-x")
    assert source is not None, diags
    units, diags = parse_units((source,))
    return (units[0] if units else None), diags


def _inner(fragment: str) -> str:
    inner = re.sub(r"^<body[^>]*>|</body>$", "", fragment)
    return inner.strip()


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_markdown_fixture(case):
    unit, diags = _parse(case.read_text("utf-8"))
    assert [d for d in diags if d.severity.value == "error"] == []
    assert _inner(unit.fragment) == case.with_suffix(".html").read_text("utf-8").strip()


def test_emphasis_next_to_fullwidth_punctuation_stays_bold():
    """Why we keep Python-Markdown: CommonMark's flanking rules drop this bold."""
    unit, _ = _parse("这是**“互联网+”**的\n")
    assert "<strong>“互联网+”</strong>" in unit.fragment


def test_markers_headings_and_links_carry_source_lines():
    unit, _ = _parse(
        "第一段。\n\n## 小节\n\n第二段{{page 7}}续。见[此](#page-7)。\n",
        "title: 标题\nkind: chapter\npage: 6\ninferred_pages: [7]\n",
    )
    assert [(m.label, m.line, m.known) for m in unit.markers] == [("6", 4, True), ("7", 12, False)]
    assert [(h.level, h.text, h.line, h.page) for h in unit.headings] == [(1, "标题", 2, "6"), (2, "小节", 10, "6")]
    assert [(link.href, link.line) for link in unit.links] == [("#page-7", 12)]


def test_a_marker_after_a_backslash_is_its_text():
    """\\{{page 5}} and \\{{index 词}} write the text itself: no page, no index entry, and
    not a print-page reference either."""
    unit, diags = _parse("模板写作 \\{{page 5}}，索引写作 \\{{index 词}}。\n\n后一段{{page 2}}。\n")
    assert [m.label for m in unit.markers] == ["2"]
    assert unit.index_marks == () and unit.page_refs == ()
    assert "模板写作 {{page 5}}，索引写作 {{index" in unit.fragment
    assert diags == []


def test_text_that_looks_like_a_page_marker_is_kept_and_reported():
    """{{page 1 42}}, {{ page 5}} and {{page}} are not markers: they stay in the text as
    written, and a warning with its line says so. An escaped one, one in code (an
    example of the syntax), and template syntax such as {{page.title}} are left alone."""
    body = (
        "一段{{page 1 42}}。\n\n"  # line 6 (the front matter takes lines 1 to 4)
        "又一段{{ page 5}}和{{page}}。\n\n"  # line 8
        "\\{{page 1 42}}、`{{ page 5 }}`、{{page.title}}、{{page 3}}。\n\n"
        "```\n{{page 1 42}}\n```\n"
    )
    unit, diags = _parse(body)
    assert [m.label for m in unit.markers] == ["3"]
    assert [(d.code, d.line, d.severity.value) for d in diags] == [
        ("P008", 6, "warning"),
        ("P008", 8, "warning"),
        ("P008", 8, "warning"),
    ]
    assert "{{page 1 42}}" in diags[0].message and "\\{{" in diags[0].message
    assert "一段{{page 1 42}}。" in unit.fragment and "和{{page}}。" in unit.fragment


def test_automatic_ids_are_unique_across_the_book():
    first, _ = read_unit("---\ntitle: 甲\nkind: chapter\n---\n\n## 小结\n", "book/01-a.md", "01-a")
    second, _ = read_unit("---\ntitle: 乙\nkind: chapter\n---\n\n## 小结\n", "book/02-b.md", "02-b")
    units, _ = parse_units((first, second))
    assert [h.id for u in units for h in u.headings] == ["甲", "小结", "乙", "小结-2"]


def test_renamed_ids_reach_the_output_and_links_follow(tmp_path):
    from conftest import write_book

    from bookbuild.pipeline import build

    root = write_book(
        tmp_path / "book",
        {
            "01-a.md": "---\ntitle: 甲\nkind: chapter\n---\n\n## 小结\n\n见[乙的小结](#小结-2)。\n",
            "02-b.md": "---\ntitle: 乙\nkind: chapter\n---\n\n## 小结\n\n完。\n",
        },
    )
    build(root, tmp_path / "out", ("html",))
    second = (tmp_path / "out" / "html" / "02-b.html").read_text("utf-8")
    first = (tmp_path / "out" / "html" / "01-a.html").read_text("utf-8")
    assert 'id="小结-2"' in second and 'id="小结"' not in second
    assert "02-b.html#%E5%B0%8F%E7%BB%93-2" in first  # the link lands on the renamed heading
