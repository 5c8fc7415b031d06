"""Page evidence in plain text as pdftotext writes it: a form feed at every page break,
page numbers and running heads at the edges of pages, a contents page whose numbering
column came out apart from its titles."""

from __future__ import annotations

import pytest

from bookbuild.ingest.pages import page_evidence
from bookbuild.ingest.run import ingest

TITLE_PAGE = "A Small Manual\nfor testing\n\nJane Writer\n"
CONTENTS = (
    "\fi\n\nTable of Contents\n1\n\nIntroduction . . . . . . . . . 1\n\n2\n\n"
    "Using it . . . . . . . . . 2\n2.1\n2.2\n2.3\n\nFirst steps . . . . . . . 2\n"
    "Next steps . . . . . . . 3\nLast steps . . . . . . . 3\n"
)
BODY = (
    "\f1\n\n1 Introduction\nThis manual says how to use <the tool> and *why*; it is\n"
    "short.\n\n\f2\n\n2 Using it\n2.1 First steps\nStart here. Then the text runs on to\n"
    "\fChapter 2: Using it\n\n3\n\nthe next page, where a sentence ends.\n"
    "2.2 Next steps\nMore.\n\n2.3 Last steps\nDone.\n\n"
    "\fChapter 2: Using it\n\n4\n\nThe end of the manual.\n"
)


def lines_of(text: str) -> list[tuple[int, str]]:
    return list(enumerate(text.replace("\f", "").split("\n"), 1))


def starts_of(text: str) -> list[int]:
    return [n for n, line in enumerate(text.split("\n"), 1) if "\f" in line]


def test_form_feeds_give_exact_breaks_and_edges_are_furniture():
    text = TITLE_PAGE + CONTENTS + BODY
    evidence = page_evidence(lines_of(text), starts_of(text))
    lines = dict(lines_of(text))
    assert sorted(lines[n] for n in evidence.furniture) == [
        "1",
        "2",
        "3",
        "4",
        "Chapter 2: Using it",
        "Chapter 2: Using it",
        "i",
    ]
    assert {lines[n]: label for n, (label, _) in evidence.breaks.items()} == {
        "Table of Contents": "i",
        "1 Introduction": "1",
        "2 Using it": "2",
        "the next page, where a sentence ends.": "3",
        "The end of the manual.": "4",
    }
    assert all(known for _, known in evidence.breaks.values())


def test_a_page_without_a_printed_number_is_counted_and_says_so():
    text = "Title\n\fOne\n1\n\fTwo, with no number\n\fThree\n3\n"
    evidence = page_evidence(lines_of(text), starts_of(text))
    assert sorted(evidence.breaks.values()) == [("1", True), ("2", False), ("3", True)]


def test_pdftotext_book_ingests_with_markers_at_the_page_breaks():
    text = TITLE_PAGE + CONTENTS + BODY
    result = ingest(text.encode(), "manual.txt")
    files = dict(result.files)
    chapter_two = files["book/03-chapter-2.md"]
    assert "page: 2" in chapter_two
    # the marker sits where page 3 begins, inside the sentence the page break cut
    assert "Then the text runs on to {{page 3}}the next page, where a sentence ends." in chapter_two
    assert "## 2.2 Next steps" in chapter_two and "{{page 4}}The end of the manual." in chapter_two
    assert "Chapter 2: Using it" not in chapter_two.split("---")[2]
    # plain text: what looks like markup is text
    chapter_one = files["book/02-chapter-1.md"]
    assert "use &lt;the tool&gt; and \\*why\\*; it is short." in chapter_one
    # the numbering column is put back with its titles
    titles = [(e.title, e.level, e.page) for e in result.metadata.contents]
    assert titles == [
        ("1 Introduction", 1, "1"),
        ("2 Using it", 1, "2"),
        ("2.1 First steps", 2, "2"),
        ("2.2 Next steps", 2, "3"),
        ("2.3 Last steps", 2, "3"),
    ]
    assert "line 7: running head" not in result.report
    assert "running head" in result.report and "page number" in result.report


def test_markdown_pages_from_separators_and_numbered_heads():
    """No form feeds: '---' between pages (most of what lies between them page-sized) are
    page separators; a line repeated with a page number beside it is a running head or
    foot even where the extractor made it a heading."""
    pages = [
        "# 前言\n\n第一页的文字。",
        "思维与拓展 2\n\n第二页的文字。",
        "# 思维与拓展 3\n\n第三页的文字。",
        "思维与拓展 4\n\n第四页的文字，完。",
    ]
    source = "# 书名\n\n作者\n\n---\n\n" + "\n\n---\n\n".join(pages) + "\n"
    result = ingest(source.encode(), "book.md")
    text = "".join(t for name, t in result.files if name.startswith("book/"))
    assert "思维与拓展" not in text
    assert text.count("{{page ") == 3 and "{{page 3}}第三页的文字。" in text
    assert result.report.count("page separator") == 4
    assert result.report.count("running head with page number") == 3
    # without the separators, the repeated numbered lines alone still mark the pages
    result = ingest(source.replace("---\n\n", "").encode(), "book.md")
    text = "".join(t for name, t in result.files if name.startswith("book/"))
    assert "思维与拓展" not in text and "{{page 3}}第三页的文字。" in text


def test_plain_text_with_numbered_headings_and_lone_bullets():
    source = (
        "A Short Spec\nSomebody\n\n1. Introduction\nThe text of the introduction.\n\n"
        "1.1. Scope\nWhat is in:\n•\n\nthe first thing.\n•\n\nthe second thing.\n\n"
        "2. Rules\nOnly two.\n"
    )
    result = ingest(source.encode(), "spec.txt")
    files = dict(result.files)
    assert result.metadata.title == "A Short Spec"
    assert [name for name in files if name.startswith("book/")] == [
        "book/01-titlepage.md",
        "book/02-chapter-1.md",
        "book/03-chapter-2.md",
    ]
    assert "## 1.1. Scope" in files["book/02-chapter-1.md"]
    assert "What is in:\n\n- the first thing.\n\n- the second thing." in files["book/02-chapter-1.md"]
    assert "title: 2. Rules" in files["book/03-chapter-2.md"]


@pytest.mark.slow
def test_a_book_of_front_matter_only_builds_and_checks(tmp_path):
    from conftest import write_book

    from bookbuild.cli import main

    root = write_book(tmp_path, {"01-titlepage.md": "---\ntitle: T\nkind: titlepage\n---\n\nText.\n"})
    assert main(["build", "--root", str(root), "-q"]) == 0
    assert main(["check", "--root", str(root)]) == 0


def test_alt_text_from_the_adjacent_caption(tmp_path):
    """An image with no alt text (or an extractor's "Image") gets the caption printed
    with it, below it or after its sub-figure labels."""
    import shutil

    from conftest import ROOT

    (tmp_path / "images").mkdir()
    for name in ("f1.png", "f2.png"):
        shutil.copy(
            ROOT / "tests" / "fixtures" / "broken" / "srcset-remote" / "book" / "a.png", tmp_path / "images" / name
        )
    source = tmp_path / "raw.md"
    source.write_text(
        "# 1. Chapter\n\nText.\n\n![](images/f1.png)\nFig. 1. Annual flow curves.\n\n"
        '<div><img src="images/f2.png" alt="Image" width="22%" /></div>\n\n<div>(a)</div>\n\n'
        "<div>图 1-1-1 一个实际的电路</div>\n",
        encoding="utf-8",
    )
    text = dict(ingest(source.read_bytes(), str(source)).files)["book/01-chapter-1.md"]
    assert "![Fig. 1. Annual flow curves.](images/f1.png)" in text
    assert '<img alt="图 1-1-1 一个实际的电路" src="images/f2.png" width="22%" />' in text


def test_contents_variants():
    """A brief contents the full one supersedes; the full one as a pipe table; pages in
    parentheses on entries an extractor made headings; section numbers and no pages."""
    table = (
        "# A Book\n\nJane Doe\n\nCopyright © 2020 Jane Doe\n\n# Brief Contents\n\n1 Start 1\n2 End 9\n\n"
        "# Contents\n\n| Chapter | Page |\n|---|---|\n| 1 Start | 1 |\n| 1.1 First steps | 2 |\n"
        "| 2 End | 9 |\n\n# 1 Start\n\nText.\n\n## 1.1 First steps\n\nSteps.\n\n# 2 End\n\nThe end.\n"
    )
    result = ingest(table.encode(), "b.md")
    assert [(e.title, e.level, e.page) for e in result.metadata.contents] == [
        ("1 Start", 1, "1"),
        ("1.1 First steps", 2, "2"),
        ("2 End", 1, "9"),
    ]
    assert "brief contents (the full contents follows)" in result.report
    assert "missing from the source: 0" in result.report
    headings = (
        "# 书\n\n图书在版编目(CIP)数据\n\n书/某著.—北京：某出版社，2020.1\n\nISBN 978-7-5086-5178-1\n\n"
        "中国版本图书馆CIP数据核字(2020)第000001号\n\n# 目 录\n\n# 医家小传 (1)\n\n# 专病论治 (9)\n\n"
        "年谱（405）\n\n# 医家小传\n\n正文段落。\n\n# 专病论治\n\n正文。\n"
    )
    result = ingest(headings.encode(), "c.md")
    assert [(e.title, e.page) for e in result.metadata.contents] == [
        ("医家小传", "1"),
        ("专病论治", "9"),
        ("年谱", "405"),
    ]
    html_table = headings.replace(
        "# 医家小传 (1)\n\n# 专病论治 (9)\n\n年谱（405）",
        "<table><tr><td>医家小传</td><td>1</td></tr><tr><td>专病论治</td><td>9</td></tr></table>",
    )
    result = ingest(html_table.encode(), "t.md")
    assert [(e.title, e.page) for e in result.metadata.contents] == [("医家小传", "1"), ("专病论治", "9")]
    assert "missing from the source: 0" in result.report
    numbered = (
        "# Notes\n\nCopyright © 2021\n\n# Contents\n\n1.1 Sets\n1.2 Maps\n1.2.1 Kernels\n2.1 Groups\n\n"
        "# 1.1 Sets\n\nSets.\n\n# 1.2 Maps\n\nMaps.\n\n## 1.2.1 Kernels\n\nKernels.\n\n# 2.1 Groups\n\nGroups.\n"
    )
    result = ingest(numbered.encode(), "d.md")
    assert [(e.title, e.level) for e in result.metadata.contents] == [
        ("1.1 Sets", 1),
        ("1.2 Maps", 1),
        ("1.2.1 Kernels", 2),
        ("2.1 Groups", 1),
    ]
    assert "missing from the source: 0" in result.report


def test_what_an_ocr_model_wrote_that_is_not_the_book():
    """Nougat's [MISSING_PAGE_…] becomes a visible placeholder; a line a model repeated
    three or more times running is kept once; both are reported with their lines."""
    source = (
        "# A Title\n\nJane Smith\n\n# 1 One\n\nText one.\n\n[MISSING_PAGE_EMPTY:3]\n\n"
        "The cat sat.\nThe cat sat.\nThe cat sat.\nThe cat sat.\n\nA refrain.\n\nA refrain.\n\nEnd.\n"
    )
    result = ingest(source.encode(), "e.md")
    text = dict(result.files)["book/02-chapter-1.md"]
    assert "Text one.\n\n［page 3 missing from the extraction］\n\nThe cat sat.\n\nA refrain.\n\nA refrain." in text
    assert text.count("The cat sat.") == 1
    assert "line 9: the extractor lost page 3" in result.report
    assert "line 11: the same line 4 times running" in result.report


def test_creators_from_the_title_page_when_there_is_no_record():
    source = (
        "# A Title\n\nEdited by Jane Smith and John Doe\n\nTranslated by Ann Lee\n\nRiver Press\n\n"
        "Copyright © 2020\n\n# Contents\n\n1 One 1\n\n# 1 One\n\nBy the end of it, nothing.\n"
    )
    meta = ingest(source.encode(), "e.md").metadata
    assert [(c.name, c.role) for c in meta.creators] == [
        ("Jane Smith", "editor"),
        ("John Doe", "editor"),
        ("Ann Lee", "translator"),
    ]
    source = "# 测度论讲义\n\n严加安 著\n\n王五、赵六 等译\n\n科学出版社\n\n版权所有\n\n# 目录\n\n第一章 集类 1\n\n# 第一章 集类\n\n正文。\n"
    meta = ingest(source.encode(), "c.md").metadata
    assert [(c.name, c.role, c.et_al) for c in meta.creators] == [
        ("严加安", "author", False),
        ("王五", "translator", True),
        ("赵六", "translator", True),
    ]


def test_pages_after_the_copyright_page_are_read_once(tmp_path):
    """Found by fuzzing: with no contents page, what follows the copyright page is the
    body, parsed once (it was also parsed as pages before a contents, marking a page twice)."""
    from bookbuild.cli import main
    from bookbuild.ingest.write import write_result

    source = "图书在版编目（CIP）数据\n定价：68.00元\n\fii\n图书在版编目（CIP）数据\n\fii"
    result = ingest(source.encode(), "raw.md")
    write_result(result, tmp_path)
    assert main(["build", "--root", str(tmp_path), "-q"]) == 0


def test_numbered_chapter_headings_are_not_running_heads():
    """'Chapter 1', 'Chapter 2', 'Chapter 3' repeat a word with a number, like a running
    head with its page: they number the book's parts, and stay headings."""
    markdown = "# A Book\n\nJane Smith\n\n# Chapter 1\n\nOne.\n\n# Chapter 2\n\nTwo.\n\n# Chapter 3\n\nThree.\n"
    plain = "Title\n\fChapter 1\n\nText one.\n\fChapter 2\n\nText two.\n\fChapter 3\n\nText three.\n"
    for source, name in ((markdown, "b.md"), (plain, "b.txt")):
        result = ingest(source.encode(), name)
        assert [n for n, _ in result.files if "chapter-" in n] == [
            "book/02-chapter-1.md",
            "book/03-chapter-2.md",
            "book/04-chapter-3.md",
        ], name
        assert "running head with page number" not in result.report
