"""Figures and tables with captions (book/captions.py): numbered per chapter or through the
book, ids to link to, references in the text linked across units, the quick path."""

from __future__ import annotations

import zipfile

import pytest
from build_helpers import assert_same_as_clean
from conftest import write_book

from bookbuild.book.captions import find_caption_references
from bookbuild.pipeline import build

ENGLISH = "title: Test\nlanguage: en\ncreators:\n- name: A. Writer\n  role: author\npublisher: P\ndate: 2020\n"


def _unit(title: str, kind: str, body: str, page: int) -> str:
    return f"---\ntitle: {title}\nkind: {kind}\npage: {page}\n---\n\n{body}\n"


def _book(tmp_path, numbering: str = "", language: str = "zh"):
    units = {
        "01-preface.md": _unit("前言", "preface", '![前言的图](images/a.png "前言里的图")', 1),
        "02-chapter-1.md": _unit(
            "第一章",
            "chapter",
            '![第一幅](images/a.png "第一幅图")\n\n表：数量\n\n| 甲 | 乙 |\n|---|---|\n| 1 | 2 |\n\n'
            '![第二幅](images/a.png "第二幅图")\n\n见图 2-1 与表 2-1。',
            3,
        ),
        "03-chapter-2.md": _unit(
            "第二章",
            "chapter",
            '| 丙 |\n|---|\n| 3 |\n\nTable: 第二章的表\n\n![](images/a.png "无替代文字也有标题")\n\n'
            "回看图 1-2、表 1-1，发表 3 篇，地图 2 张，还有不存在的图 9-9。",
            5,
        ),
    }
    metadata = None
    if language == "en":
        metadata = ENGLISH
    root = write_book(tmp_path / "book", units, metadata)
    (root / "book" / "images").mkdir()
    (root / "book" / "images" / "a.png").write_bytes(
        bytes.fromhex(
            "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
            "1f15c4890000000d49444154789c6360000002000105e2d7f90000000049454e44ae426082"
        )
    )
    if numbering:
        with (root / "metadata.yaml").open("a", encoding="utf-8") as stream:
            stream.write(f"figure_numbering: {numbering}\n")
    return root


def _documents(out) -> dict[str, str]:
    [epub] = out.glob("*.epub")
    with zipfile.ZipFile(epub) as archive:
        return {name[5:]: archive.read(name).decode("utf-8") for name in archive.namelist() if name.endswith(".xhtml")}


def test_figures_and_tables_are_numbered_per_chapter_and_linked_across_units(tmp_path):
    result = build(_book(tmp_path), tmp_path / "out")
    docs = _documents(tmp_path / "out")
    one, two = docs["02-chapter-1.xhtml"], docs["03-chapter-2.xhtml"]
    assert (
        '<figure id="figure-1-1"><img alt="第一幅" src="images/a.png"/><figcaption><span class="caption-label">图1-1</span>\u3000第一幅图</figcaption></figure>'
        in one
    )
    assert '<table id="table-1-1">\n<caption><span class="caption-label">表1-1</span>\u3000数量</caption>' in one
    assert 'id="figure-1-2"' in one and 'id="table-2-1"' in two and 'id="figure-2-1"' in two
    assert '<figure id="figure-1">' in docs["01-preface.xhtml"]  # outside chapters: through the book
    assert '<a class="caption-ref" href="03-chapter-2.xhtml#figure-2-1">图2-1</a>' in one
    assert '<a class="caption-ref" href="02-chapter-1.xhtml#figure-1-2">图1-2</a>' in two
    assert "发表3篇，地图2张" in two  # words ending in 图 or 表 are not references
    assert "不存在的图9-9。" in two and 'href="#figure-9-9"' not in two
    assert [(d.code, d.line) for d in result.diagnostics if d.code == "X004"] == [("X004", 15)]
    page = (tmp_path / "out" / "html" / "03-chapter-2.html").read_text("utf-8")
    assert 'href="02-chapter-1.html#figure-1-2"' in page


def test_english_labels_and_numbering_through_the_book_or_none(tmp_path):
    build(_book(tmp_path / "en", "book", "en"), tmp_path / "en-out")
    docs = _documents(tmp_path / "en-out")
    assert '<span class="caption-label">Figure 3</span> 第二幅图' in docs["02-chapter-1.xhtml"]
    assert '<span class="caption-label">Table 2</span> 第二章的表' in docs["03-chapter-2.xhtml"]
    build(_book(tmp_path / "none", "none"), tmp_path / "none-out")
    docs = _documents(tmp_path / "none-out")
    assert (
        "caption-label" not in docs["02-chapter-1.xhtml"]
        and "<figcaption>第一幅图</figcaption>" in docs["02-chapter-1.xhtml"]
    )
    assert "caption-ref" not in docs["03-chapter-2.xhtml"]


@pytest.mark.parametrize(
    "text,found",
    [
        ("如图 2-3 所示", [("figure", "2-3")]),
        ("见表4－1和图 A.2", [("table", "4-1"), ("figure", "A-2")]),
        ("see Figure 2.3 and Table 4.1, Fig. 7", [("figure", "2-3"), ("table", "4-1"), ("figure", "7")]),
        ("代表 2 人发表 3 篇，地图 1 张，企图 4 次", []),
        ("图表 3", []),
    ],
)
def test_what_is_a_reference_to_a_figure_or_table(text, found):
    assert [(f.kind, f.number) for f in find_caption_references(text)] == found


def test_a_text_edit_beside_a_figure_is_spliced_in_and_matches_a_clean_build(tmp_path, models):
    root = _book(tmp_path)
    out = tmp_path / "out"
    build(root, out)
    models.clear()
    chapter = root / "book" / "02-chapter-1.md"
    chapter.write_text(chapter.read_text("utf-8").replace("见图 2-1", "新加的一句。见图 2-1"), "utf-8")
    build(root, out)
    assert models == []  # quick: the figures kept their numbers
    assert_same_as_clean(root, out, tmp_path)


def test_the_book_can_ask_for_lists_of_figures_and_tables_in_its_navigation(tmp_path):
    root = _book(tmp_path)
    with (root / "metadata.yaml").open("a", encoding="utf-8") as stream:
        stream.write("lists_of: [figures, tables]\n")
    build(root, tmp_path / "out")
    nav = _documents(tmp_path / "out")["nav.xhtml"]
    assert (
        '<nav id="loi" aria-label="图目录" epub:type="loi"><h2>图目录</h2><ol><li><a href="01-preface.xhtml#figure-1">图1 前言里的图</a>'
        in nav
    )
    assert '<li><a href="03-chapter-2.xhtml#table-2-1">表2-1 第二章的表</a></li></ol></nav>' in nav
    build(_book(tmp_path / "plain"), tmp_path / "plain-out")
    assert 'epub:type="loi"' not in _documents(tmp_path / "plain-out")["nav.xhtml"]  # only when asked
