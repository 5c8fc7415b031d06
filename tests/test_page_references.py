"""Print-page references in the text become links to the page's marker (bookbuild/book/pagerefs.py,
parse, resolve, render): each form, citations of other books left alone, opting out, a
page the book lacks reported as P007."""

from __future__ import annotations

import zipfile

import pytest
from conftest import write_book
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from bookbuild.book import parse
from bookbuild.book.pagerefs import find_references
from bookbuild.pipeline import build


@pytest.mark.parametrize(
    "text,references",
    [
        ("详见第 37 页。", [("第 37 页", "37", None)]),
        ("见第12–15页的表", [("第12–15页", "12", "15")]),
        ("第12页至第15页", [("第12页至第15页", "12", "15")]),
        ("第 12~15 页", [("第 12~15 页", "12", "15")]),
        ("见 37 页", [("见 37 页", "37", None)]),
        ("序言在第 iii 页", [("第 iii 页", "iii", None)]),
        ("see p. 37.", [("p. 37", "37", None)]),
        ("see pp. 12–15", [("pp. 12–15", "12", "15")]),
        ("as shown on page 37, we", [("page 37", "37", None)]),
        ("pages 12 to 15", [("pages 12 to 15", "12", "15")]),
        ("Pages 3 and 4", [("Pages 3 and 4", "3", "4")]),
        ("the preface (page xii)", [("page xii", "xii", None)]),
        ("the paper (p. 5) and p. 7", [("p. 5", "5", None), ("p. 7", "7", None)]),
        # citations of another book: left alone
        ("《互联网+》第 37 页提到", []),
        ("同上，第 5 页", []),
        ("Smith, p. 45", []),
        ("(Smith 2001, p. 45)", []),
        ("Ibid., p. 4", []),
        ("in vol. 2, page 30", []),
        # not references at all
        ("共 300 页", []),
        ("第一页", []),
        ("app. 3 and map 3", []),
        ("step 5 pages", []),
        # a marker written out as text, or written wrong (P008 reports it): not a reference
        ("\\{{page 5}} 是标记的写法", []),
        ("坏标记 {{ page 5}} 在这里", []),
        ("{{\tpages 5}}", []),
        ("{ page 5}", [("page 5", "5", None)]),
    ],
)
def test_what_is_a_print_page_reference(text, references):
    found = find_references(text)
    assert [(text[f.start : f.end], f.first, f.last) for f in found] == references


UNIT = "---\ntitle: 第一章\nkind: chapter\npage: 1\n---\n\n{body}\n"


def _book(tmp_path, body: str, metadata_extra: str = ""):
    root = write_book(
        tmp_path / "book",
        {
            "01-chapter-1.md": UNIT.format(body=body),
            "02-chapter-2.md": "---\ntitle: 第二章\nkind: chapter\npage: 3\n---\n\n正文。{{page 4}}又一页。\n",
        },
    )
    if metadata_extra:
        with (root / "metadata.yaml").open("a", encoding="utf-8") as stream:
            stream.write(metadata_extra)
    return root


def _chapter_1(out) -> str:
    [epub] = out.glob("*.epub")
    with zipfile.ZipFile(epub) as archive:
        return archive.read("EPUB/01-chapter-1.xhtml").decode("utf-8")


def test_a_reference_links_to_the_page_marker_in_whichever_unit_it_is(tmp_path):
    root = _book(tmp_path, "后文第 4 页有答案，第 3—4 页是全章。")
    result = build(root, tmp_path / "out")
    xhtml = _chapter_1(tmp_path / "out")
    assert '<a class="page-ref" href="02-chapter-2.xhtml#page-4">第4页</a>' in xhtml
    assert '<a class="page-ref" href="02-chapter-2.xhtml#page-3">第3—4页</a>' in xhtml
    assert not [d for d in result.diagnostics if d.code == "P007"]
    page = (tmp_path / "out" / "html" / "01-chapter-1.html").read_text("utf-8")
    assert 'href="02-chapter-2.html#page-4"' in page  # the HTML edition links across files too


def test_a_page_the_book_lacks_stays_text_and_is_reported_with_its_line(tmp_path):
    root = _book(tmp_path, "第一段。\n\n见第 99 页。")
    result = build(root, tmp_path / "out")
    [warning] = [d for d in result.diagnostics if d.code == "P007"]
    assert (warning.file, warning.line) == ("book/01-chapter-1.md", 9)
    xhtml = _chapter_1(tmp_path / "out")
    assert "<p>见第99页。</p>" in xhtml and "page-ref" not in xhtml


def test_an_author_opts_a_passage_or_the_book_out(tmp_path):
    root = _book(
        tmp_path, '引自原书第 4 页。\n{: .no-page-refs }\n\n本书<span class="no-page-refs">第 3 页</span>和第 4 页。'
    )
    build(root, tmp_path / "out")
    xhtml = _chapter_1(tmp_path / "out")
    assert xhtml.count('class="page-ref"') == 1 and ">第4页</a>和" not in xhtml
    assert '和<a class="page-ref" href="02-chapter-2.xhtml#page-4">第4页</a>。' in xhtml
    off = _book(tmp_path / "off", "第 4 页和第 99 页。", "page_references: false\n")
    result = build(off, tmp_path / "off-out")
    assert "page-ref" not in _chapter_1(tmp_path / "off-out")
    assert not [d for d in result.diagnostics if d.code == "P007"]


def test_links_code_and_headings_are_never_searched(tmp_path):
    root = _book(tmp_path, "## 第 4 页的标题\n\n`第 4 页` 与 [第 4 页](#page-3)。")
    build(root, tmp_path / "out")
    xhtml = _chapter_1(tmp_path / "out")
    assert 'class="page-ref"' not in xhtml
    assert '<a href="02-chapter-2.xhtml#page-3">第4页</a>' in xhtml
    assert "<code>第 4 页</code>" in xhtml  # code is never typeset


# pieces of an XHTML fragment: nesting, comments and processing instructions (whose tails
# are text of the book and whose own text is not), and text with and without a reference
_TEXT = st.sampled_from(["", "见第 5 页", "p. 7", "正文", "Fig. 2", "表 3", "age", "图", "x"])
_NODE = st.recursive(
    _TEXT.map(lambda text: ("text", text)),
    lambda inner: st.one_of(
        st.tuples(st.just("element"), st.sampled_from(["p", "em", "a", "code", "span"]), st.lists(inner, max_size=4)),
        st.tuples(st.just("comment"), _TEXT),
        st.tuples(st.just("pi"), _TEXT),
    ),
    max_leaves=12,
)


def _markup(node) -> str:
    kind = node[0]
    if kind == "text":
        return node[1]
    if kind == "comment":
        return f"<!--{node[1]}-->"
    if kind == "pi":
        return f"<?x {node[1]}?>"
    return f"<{node[1]}>{''.join(map(_markup, node[2]))}</{node[1]}>"


@settings(max_examples=300, deadline=None, database=None)
@given(nodes=st.lists(_NODE, max_size=5))
def test_the_texts_searched_for_references_are_those_an_xpath_finds_in_reading_order(nodes):
    """parse._reference_texts walks the tree with substring tests; the XPath it replaced
    says what it must find: every text node holding a start, in document order."""
    root = etree.fromstring(f"<div>{''.join(map(_markup, nodes))}</div>")
    starts = " or ".join(f"contains(., '{start}')" for start in parse._REFERENCE_STARTS)
    expected = [(text.getparent(), bool(text.is_text), str(text)) for text in root.xpath(f"//text()[{starts}]")]
    assert parse._reference_texts(root) == expected
