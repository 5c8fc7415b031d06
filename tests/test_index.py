"""The index generated from {{index …}} marks (book/index.py): entries in pinyin or
alphabetical order under their initials, locators that are print pages, sub-entries,
see and see also, the EPUB Indexes semantics, the landmark, and incremental builds."""

from __future__ import annotations

import zipfile

import pytest
from build_helpers import assert_same_as_clean
from conftest import write_book
from lxml import etree

from bookbuild.pipeline import build
from bookbuild.validators import run_epubcheck

X = "{http://www.w3.org/1999/xhtml}"
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"


def _unit(title: str, page: int, body: str) -> str:
    return f"---\ntitle: {title}\nkind: chapter\npage: {page}\n---\n\n{body}\n"


def _book(tmp_path):
    return write_book(
        tmp_path / "book",
        {
            "01-chapter-1.md": _unit(
                "第一章",
                1,
                "银行{{index 银行}}与重庆{{index 重庆}}。{{page 2}}又说银行{{index 银行}}和{{index 银行!贷款}}贷款。",
            ),
            "02-chapter-2.md": _unit(
                "第二章",
                3,
                "阿里巴巴{{index 阿里巴巴}}，银行{{index 银行}}。{{index 金融|see 银行}}{{index 钱|see also 银行}}",
            ),
        },
    )


def _index(out):
    [epub] = out.glob("*.epub")
    with zipfile.ZipFile(epub) as archive:
        return (
            etree.fromstring(archive.read("EPUB/book-index.xhtml")),
            archive.read("EPUB/nav.xhtml").decode("utf-8"),
            archive.read("EPUB/package.opf").decode("utf-8"),
        )


def _entries(tree):
    out = []
    for item in tree.iter(f"{X}li"):
        term = item.find(f"{X}span").text
        pages = [a.text for a in item.findall(f"{X}a")]
        xrefs = [s.text for s in item.findall(f"{X}span")[1:]]
        out.append((term, pages, xrefs))
    return out


def test_entries_in_pinyin_order_with_their_print_pages(tmp_path):
    build(_book(tmp_path), tmp_path / "out")
    tree, nav, opf = _index(tmp_path / "out")
    assert [h.text for h in tree.iter(f"{X}h2")] == ["A", "C", "J", "Q", "Y"]  # 阿 重(chóng) 金 钱 银(yín)
    assert _entries(tree) == [
        ("阿里巴巴", ["3"], []),
        ("重庆", ["1"], []),
        ("金融", [], ["见 银行"]),
        ("钱", [], ["另见 银行"]),
        ("银行", ["1", "2", "3"], []),  # one locator per page
        ("贷款", ["2"], []),  # a sub-entry, under 银行
    ]
    [section] = tree.iter(f"{X}section")
    assert (section.get(EPUB_TYPE), section.get("role")) == ("index", "doc-index")
    link = next(a for a in tree.iter(f"{X}a") if a.text == "3")
    assert link.get(EPUB_TYPE) == "index-locator" and link.get("href") == "02-chapter-2.xhtml#ix-02-chapter-2-1"
    assert '<a href="book-index.xhtml" epub:type="index">索引</a>' in nav  # the landmark
    assert 'href="book-index.xhtml"' in opf
    chapter = (tmp_path / "out" / "html" / "book-index.html").read_text("utf-8")
    assert 'href="02-chapter-2.html#ix-02-chapter-2-1"' in chapter  # the HTML edition has it too


def test_english_order_and_a_book_with_its_own_index(tmp_path):
    root = write_book(
        tmp_path / "en",
        {"01-one.md": _unit("One", 1, "zeta{{index zeta}} Alpha{{index Alpha}} éclair{{index éclair}}")},
        "title: T\nlanguage: en\n",
    )
    build(root, tmp_path / "en-out")
    tree, _, _ = _index(tmp_path / "en-out")
    assert [term for term, _, _ in _entries(tree)] == ["Alpha", "éclair", "zeta"]
    (root / "book" / "02-index.md").write_text("---\ntitle: Index\nkind: index\n---\n\nOur own.\n", "utf-8")
    build(root, tmp_path / "own-out")
    [epub] = (tmp_path / "own-out").glob("*.epub")
    names = zipfile.ZipFile(epub).namelist()
    assert "EPUB/02-index.xhtml" in names and "EPUB/book-index.xhtml" not in names


def test_edits_keep_the_index_true(tmp_path, models):
    root = _book(tmp_path)
    out = tmp_path / "out"
    build(root, out)
    models.clear()
    chapter = root / "book" / "02-chapter-2.md"
    chapter.write_text(chapter.read_text("utf-8").replace("阿里巴巴{{", "新加的字。阿里巴巴{{"), "utf-8")
    build(root, out)
    assert models == []  # text only: spliced in
    assert_same_as_clean(root, out, tmp_path)
    models.clear()  # (the clean build counted)
    first = root / "book" / "01-chapter-1.md"
    first.write_text(
        first.read_text("utf-8").replace("{{page 2}}又说银行{{index 银行}}", "又说银行{{index 银行}}{{page 2}}"),
        "utf-8",
    )
    build(root, out)
    assert models == [root]  # a term moved to another page: the index changes
    tree, _, _ = _index(out)
    assert ("银行", ["1", "3"], []) in _entries(tree)
    assert_same_as_clean(root, out, tmp_path)


@pytest.mark.slow
def test_ingest_turns_a_printed_index_into_an_index_unit_with_page_links(tmp_path):
    from conftest import FIXTURES

    from bookbuild.cli import main

    out = tmp_path / "book"
    report = tmp_path / "report.txt"
    source = FIXTURES / "books" / "english-index.raw.md"
    assert main(["ingest", str(source), "--out", str(out), "--report", str(report)]) == 0
    [index] = (out / "book").glob("*-index.md")
    assert index.read_text("utf-8") == (
        "---\ntitle: Index\nkind: index\npage: 5\n---\n\n"
        "- delta, [3](#page-3), 4\n- rain, [1–2](#page-1)\n    - and stone, [1](#page-1)\n"
        "- river, [1](#page-1), [3–4](#page-3), 99\n- sea, see ocean\n- stone, [1](#page-1)\n"
    )
    assert "printed index: 6 entries, 6 page numbers linked to their pages, 2 left as numbers" in report.read_text()
    assert main(["build", "--root", str(out), "--out", str(tmp_path / "dist")]) == 0
    [epub] = (tmp_path / "dist").glob("*.epub")
    names = zipfile.ZipFile(epub).namelist()
    assert "EPUB/04-index.xhtml" in names and "EPUB/book-index.xhtml" not in names  # the book's own
    nav = zipfile.ZipFile(epub).read("EPUB/nav.xhtml").decode("utf-8")
    assert '<a href="04-index.xhtml" epub:type="index">' in nav
    index_doc = zipfile.ZipFile(epub).read("EPUB/04-index.xhtml").decode("utf-8")
    assert (
        '<li epub:type="index-entry"><span epub:type="index-term">delta</span>, '
        '<a href="03-chapter-2.xhtml#page-3" epub:type="index-locator">3</a>, 4</li>'
    ) in index_doc  # the printed index gets the EPUB Indexes semantics too
    assert run_epubcheck(epub) == []


def test_a_chinese_index_in_stroke_order(tmp_path):
    root = _book(tmp_path)
    with (root / "metadata.yaml").open("a", encoding="utf-8") as stream:
        stream.write("index_order: strokes\n")
    build(root, tmp_path / "out")
    tree, _, _ = _index(tmp_path / "out")
    # 阿 7 strokes, 金 8, 重 9, 钱 10, 银 11 (Unihan kTotalStrokes)
    assert [h.text for h in tree.iter(f"{X}h2")] == ["7画", "8画", "9画", "10画", "11画"]
    assert [term for term, _, _ in _entries(tree)][:5] == ["阿里巴巴", "金融", "重庆", "钱", "银行"]
