"""HTML edition: structure, the same ids as the EPUB, Nu checker clean, self-contained."""

import re
from pathlib import Path
from urllib.parse import unquote

import lxml.html
import pytest
from conftest import FIXTURES, ROOT, write_book
from epub_helpers import entries
from golden_files import compare_or_update

from bookbuild.cli import main
from bookbuild.validators import run_vnu


def build_html(root: Path, out: Path) -> Path:
    assert main(["build", "--root", str(root), "--out", str(out), "--to", "html"]) == 0
    return out / "html"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    return build_html(ROOT, tmp_path_factory.mktemp("site"))


def doc(site: Path, name: str):
    return lxml.html.fromstring((site / name).read_bytes())


def test_files(site):
    names = sorted(str(p.relative_to(site)) for p in site.rglob("*") if p.is_file())
    assert names == [
        "01-cover.html",
        "02-titlepage.html",
        "03-preface.html",
        "04-prologue.html",
        "book.html",
        "copyright.html",
        "cover.html",
        "css/book-book.css",
        "css/default.css",
        "css/site.css",
        "images/cover.jpg",
        "index.html",
        "js/goto.js",
        "js/notes.js",
        "js/pages.js",
        "js/search.js",
        "js/search/index-0.js",
        "js/search/index.js",
        "js/search/text/01-cover.js",
        "js/search/text/02-titlepage.js",
        "js/search/text/03-preface.js",
        "js/search/text/04-prologue.js",
        "js/search/text/copyright.js",
        "js/search/text/cover.js",
        "pages.html",
        "search.html",
    ]


def test_index_has_title_creators_and_contents_with_pages(site):
    index = doc(site, "index.html")
    assert index.get("lang") == "zh-Hans"
    cover = index.find_class("book-cover")[0]
    picture = cover.find("img")
    assert (picture.get("src"), picture.get("alt")) == ("images/cover.jpg", "封面：互联网+")
    assert [e.text_content() for e in cover if e.tag != "img"] == [
        "互联网+",
        "国家战略行动路线图",
        "马化腾 等著",
        "张晓峰 杜军 编",
        "中信出版社 2015-07",
    ]
    entries_ = [
        (
            e.find("a").text_content(),
            unquote(e.find("a").get("href")),
            (e.find_class("page") or [None])[0] is not None and e.find_class("page")[0].text,
        )
        for e in index.find_class("entry")
    ]
    assert entries_ == [
        ("前言", "03-preface.html#互联网连接普惠经济", False),
        ("“互联网+”：连接普惠经济", "03-preface.html#互联网连接普惠经济", "1"),
        ("序章", "04-prologue.html#跨界融合连接一切", False),
        ("跨界·融合·连接一切", "04-prologue.html#跨界融合连接一切", "8"),
    ]


def test_unit_page_sidebar_pager_and_margin_page_numbers(site):
    page = doc(site, "03-preface.html")
    current = page.xpath("//nav[@class='sidebar']//a[@aria-current='page']")
    assert [a.text_content() for a in current] == ["“互联网+”：连接普惠经济"]
    assert page.xpath("//head/link[@rel='prev']/@href") == ["copyright.html"]
    assert page.xpath("//head/link[@rel='next']/@href") == ["04-prologue.html"]
    assert page.xpath("//nav[@class='pager']/a/@rel") == ["prev", "next"]
    numbers = [(a.text, a.get("href")) for a in page.find_class("pagenum")]
    assert "新的力量和<a" in (site / "03-preface.html").read_text("utf-8")  # at the exact break
    assert numbers == [("1", "#page-1"), ("2", "#page-2"), ("3", "#page-3")]
    for label in ("1", "2", "3"):
        [anchor] = page.xpath(f"//*[@id='page-{label}']")
        assert anchor.get("class") == "pagenum" and anchor.get("aria-label") == f"第 {label} 页"
    assert page.xpath("//a[@class='skip-link']/@href") == ["#main"]
    assert page.xpath("//main/@id") == ["main"]
    assert page.xpath("//@*[starts-with(name(), 'epub:')]") == []


def test_same_ids_as_the_epub(site, tmp_path):
    epub_dir = tmp_path / "epub"
    assert main(["build", "--root", str(ROOT), "--out", str(epub_dir), "--to", "epub"]) == 0
    [epub] = epub_dir.glob("*.epub")
    epub_ids = set(re.findall(r'id="([^"]+)"', entries(epub)["EPUB/03-preface.xhtml"].decode()))
    html_ids = set(doc(site, "03-preface.html").xpath("//main//@id"))
    assert epub_ids <= html_ids


def test_pages_index_lists_every_print_page(site):
    pages = doc(site, "pages.html")
    links = [(a.text, a.get("href")) for a in pages.xpath("//div[@class='page-index']//li/a")]
    assert links == [
        ("1", "03-preface.html#page-1"),
        ("2", "03-preface.html#page-2"),
        ("3", "03-preface.html#page-3"),
        ("8", "04-prologue.html#page-8"),
    ]
    assert pages.xpath("//li[@class='inferred']/a/text()") == ["2", "3"]
    assert 'window.BOOKBUILD_PAGES = {"1": "03-preface.html#page-1"' in (site / "js/pages.js").read_text()
    form = pages.xpath("//form[@class='goto']")[0]
    assert form.get("action") == "pages.html" and form.get("method") == "get"


def test_single_page_edition(site):
    book = doc(site, "book.html")
    assert len(book.xpath("//h1")) == 1
    assert [s.get("aria-labelledby") for s in book.xpath("//section[contains(@class,'unit')]")] == [
        "cover-title",
        "互联网",
        "互联网-2",
        "copyright-title",
        "互联网连接普惠经济",
        "跨界融合连接一切",
    ]
    hrefs = book.xpath("//nav[@class='contents']//a/@href")
    assert all(h.startswith("#") for h in hrefs)
    ids = book.xpath("//@id")
    assert len(ids) == len(set(ids))
    assert "@media print" in (site / "css/site.css").read_text()


def test_self_contained_and_relative(site):
    for page in site.glob("*.html"):
        tree = doc(site, page.name)
        for url in tree.xpath("//@href | //@src | //@action"):
            assert not re.match(r"^(https?:)?//|^/", url), f"{page.name}: {url}"


def test_reproducible(tmp_path):
    first = build_html(ROOT, tmp_path / "a")
    second = build_html(ROOT, tmp_path / "b")
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    for rel in files:
        assert (first / rel).read_bytes() == (second / rel).read_bytes(), rel


@pytest.mark.slow
@pytest.mark.parametrize(
    "root",
    [ROOT, FIXTURES / "books" / "features", FIXTURES / "books" / "features-en"],
    ids=["sample", "features", "features-en"],
)
def test_nu_checker_reports_nothing(root, tmp_path):
    site = build_html(root, tmp_path)
    findings = run_vnu(sorted(site.glob("*.html")) + sorted((site / "css").glob("*.css")))
    assert findings == [], "\n".join(map(str, findings))


def test_bad_input_keeps_the_previous_site(tmp_path, capsys):
    root = write_book(tmp_path / "book", {"01-a.md": "---\ntitle: 甲\nkind: chapter\n---\n\n正文。\n"})
    site = build_html(root, tmp_path / "out")
    before = {p: p.read_bytes() for p in site.rglob("*") if p.is_file()}
    (root / "book" / "02-b.md").write_text("---\ntitle: 乙\nkind: chapter\n---\n\n[坏](#nowhere)\n", "utf-8")
    assert main(["build", "--root", str(root), "--out", str(tmp_path / "out"), "--to", "html"]) == 1
    assert "book/02-b.md:6: X001" in capsys.readouterr().err
    assert {p: p.read_bytes() for p in site.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [".bookbuild-cache", "html"]


@pytest.mark.slow
def test_long_book_sidebar_is_a_window_around_the_page(tmp_path):

    from build_helpers import generate_book

    generate_book((100, 30_000), tmp_path / "long")
    site = build_html(tmp_path / "long", tmp_path / "out")
    page = doc(site, "0050-chapter-50.html")
    listed = page.xpath("//nav[@class='sidebar']/ol/li/a")
    assert len(listed) == 31 + 2  # 15 either side of the current chapter, and two "目录 …"
    assert [a.get("href") for a in (listed[0], listed[-1])] == ["index.html", "index.html"]
    assert page.xpath("//nav[@class='sidebar']//a[@aria-current='page']/@href")[0].startswith("0050-chapter-50.html#")
    first = doc(site, "0001-chapter-1.html").xpath("//nav[@class='sidebar']/ol/li/a")
    assert len(first) == 31 + 1 and first[-1].get("href") == "index.html"
    assert run_vnu([site / "0050-chapter-50.html"]) == []


def test_plain_html_drops_namespaces_and_epub_attributes_and_keeps_the_rest():
    from types import SimpleNamespace

    from lxml import etree

    from bookbuild.render.html_site import plain_section

    section = etree.XML(
        '<section xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" '
        'epub:type="chapter" role="doc-chapter" class="unit"><p xml:lang="en" id="p1">English '
        '<span epub:type="pagebreak" role="doc-pagebreak" id="page-7" aria-label="7"/>text</p>'
        '<!-- a note --><a epub:type="noteref" href="#fn-1">1</a></section>'
    )
    site = SimpleNamespace(words={"page": "第 {} 页"})
    html = etree.tostring(plain_section(section, site), method="html", encoding="utf-8").decode()
    assert html == (
        '<section role="doc-chapter" class="unit"><p id="p1" lang="en">English '
        '<a href="#page-7" class="pagenum" id="page-7" aria-label="第 7 页">7</a>text</p>'
        '<!-- a note --><a href="#fn-1">1</a></section>'
    )


def test_plain_section_drops_epub_markup_and_keeps_languages():
    from lxml import etree

    from bookbuild.book.metadata import parse_metadata
    from bookbuild.render.html_site import make_site, plain_section

    xhtml, epub = "http://www.w3.org/1999/xhtml", "http://www.idpf.org/2007/ops"
    section = etree.fromstring(
        f'<section xmlns="{xhtml}" xmlns:epub="{epub}" epub:type="chapter" class="unit">'
        f'<p xml:lang="en" id="a" epub:prefix="x">Hi<!-- note --></p>'
        f'<p lang="fr" xml:lang="de">Hallo</p>'
        f'<span id="page-3" epub:type="pagebreak" role="doc-pagebreak" aria-label="3"/>'
        f'<svg xmlns="http://www.w3.org/2000/svg" epub:type="x"><g/></svg></section>'
    )
    meta, _ = parse_metadata("title: 书\nlanguage: zh-CN\n", "metadata.yaml")
    plain = plain_section(section, make_site(meta, (), (), [], ()))
    assert etree.tostring(plain, encoding="unicode") == (
        '<section class="unit"><p id="a" lang="en">Hi<!-- note --></p><p lang="de">Hallo</p>'
        '<a href="#page-3" class="pagenum" id="page-3" aria-label="第 3 页">3</a>'
        "<svg><g/></svg></section>"
    )


def test_golden_html(tmp_path, update_golden):
    """The features book's HTML edition, page by page (styles and scripts are assets)."""
    html = build_html(FIXTURES / "books" / "features", tmp_path / "out")
    produced = {str(p.relative_to(html)): p.read_bytes() for p in html.rglob("*.html")}
    compare_or_update(Path(__file__).parent / "golden" / "html" / "features", produced, update_golden)
    if update_golden:
        pytest.skip("golden files rewritten")
