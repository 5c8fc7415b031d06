"""EPUB: EPUBCheck clean, package metadata, navigation, read-back, reproducibility, golden."""

import shutil
import uuid
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT
from ebooklib import epub as ebooklib_epub
from epub_helpers import EPUB_TYPE, NS, entries, read_xml
from golden_files import compare_or_update

from bookbuild.cli import main
from bookbuild.ingest import ingest
from bookbuild.ingest.write import write_result
from bookbuild.validators import run_epubcheck

GOLDEN = Path(__file__).parent / "golden" / "epub"


def build_epub(root: Path, out: Path) -> Path:
    assert main(["build", "--root", str(root), "--out", str(out), "--to", "epub"]) == 0
    [epub] = out.glob("*.epub")
    return epub


@pytest.fixture(scope="module")
def sample_epub(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("sample")
    for name in ("book", "styles"):
        shutil.copytree(ROOT / name, root / name)
    shutil.copy(ROOT / "metadata.yaml", root)
    return build_epub(root, root / "dist")


def _ingested_fixture(tmp_path: Path, name: str) -> Path:
    source = FIXTURES / "books" / f"{name}.raw.md"
    write_result(ingest(source.read_bytes(), source.name), tmp_path)
    return tmp_path


BOOKS = {
    "sample": lambda tmp: ROOT,
    "features": lambda tmp: FIXTURES / "books" / "features",
    "features-en": lambda tmp: FIXTURES / "books" / "features-en",
    "english-loc": lambda tmp: _ingested_fixture(tmp, "english-loc"),
    "xiangtu-dots": lambda tmp: _ingested_fixture(tmp, "xiangtu-dots"),
}


@pytest.fixture(scope="module")
def epubcheck_findings(tmp_path_factory) -> dict[str, list]:
    """Each book built, then EPUBCheck over them two at a time (one per core: a run is
    mostly the JVM starting)."""
    epubs = {}
    for name, root in BOOKS.items():
        work = tmp_path_factory.mktemp(name)
        epubs[name] = build_epub(root(work), work / "out")
    with ThreadPoolExecutor(2) as pool:
        return dict(zip(epubs, pool.map(run_epubcheck, epubs.values())))


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(BOOKS))
def test_epubcheck_reports_nothing(name, epubcheck_findings):
    findings = epubcheck_findings[name]
    assert findings == [], "\n".join(map(str, findings))


def test_package_metadata(sample_epub):
    opf = read_xml(sample_epub, "EPUB/package.opf")
    md = opf.find("opf:metadata", NS)
    assert opf.get("unique-identifier") == "pub-id"
    # the sample prints only its print ISBN (the CIP record's): that is the source, and the
    # e-book gets a UUID of its own, stable because it is made from the title and creators
    assert md.find("dc:identifier[@id='pub-id']", NS).text == "urn:uuid:" + str(
        uuid.uuid5(uuid.NAMESPACE_URL, "bookbuild:互联网+|国家战略行动路线图|马化腾|张晓峰|杜军")
    )
    assert len(md.findall("dc:identifier", NS)) == 1

    def refined(ident, prop):
        return [m.text for m in md.findall(f"opf:meta[@refines='#{ident}'][@property='{prop}']", NS)]

    titles = md.findall("dc:title", NS)
    assert [(t.text, refined(t.get("id"), "title-type")) for t in titles] == [
        ("互联网+", ["main"]),
        ("国家战略行动路线图", ["subtitle"]),
    ]
    people = md.findall("dc:creator", NS) + md.findall("dc:contributor", NS)
    assert [(p.tag.split("}")[1], p.text, refined(p.get("id"), "role")) for p in people] == [
        ("creator", "马化腾", ["aut"]),
        ("contributor", "张晓峰", ["edt"]),
        ("contributor", "杜军", ["edt"]),
    ]
    assert refined("creator-1", "file-as") == ["马化腾"]
    assert md.find("dc:language", NS).text == "zh-Hans"
    assert md.find("dc:publisher", NS).text == "中信出版社"
    assert md.find("dc:date", NS).text == "2015-07"
    assert [s.text for s in md.findall("dc:subject", NS)] == ["互联网络－战略－研究－中国", "TP393.4"]
    source = md.find("dc:source", NS)
    assert source.text == "urn:isbn:9787508651781"
    assert refined(source.get("id"), "source-of") == ["pagination"]
    modified = md.find("opf:meta[@property='dcterms:modified']", NS).text
    assert modified == "2015-07-01T00:00:00Z"

    def values(prop):
        return sorted(m.text for m in md.findall(f"opf:meta[@property='schema:{prop}']", NS))

    assert values("accessMode") == ["textual", "visual"]  # the cover picture, with its alt text
    assert values("accessModeSufficient") == ["textual", "textual,visual"]
    assert values("accessibilityFeature") == [
        "alternativeText",
        "pageNavigation",
        "printPageNumbers",
        "readingOrder",
        "structuralNavigation",
        "tableOfContents",
    ]
    assert values("accessibilityHazard") == ["none"]
    assert "页码" in values("accessibilitySummary")[0]


def test_spine_and_manifest(sample_epub):
    opf = read_xml(sample_epub, "EPUB/package.opf")
    items = {i.get("id"): i for i in opf.findall("opf:manifest/opf:item", NS)}
    spine = [items[r.get("idref")].get("href") for r in opf.findall("opf:spine/opf:itemref", NS)]
    assert spine == [
        "cover.xhtml",  # the drawn cover: the sample's printed cover is text only
        "01-cover.xhtml",
        "02-titlepage.xhtml",
        "copyright.xhtml",
        "nav.xhtml",
        "03-preface.xhtml",
        "04-prologue.xhtml",
    ]
    assert [i.get("href") for i in items.values() if "nav" in (i.get("properties") or "")] == ["nav.xhtml"]
    assert opf.find("opf:spine", NS).get("toc") == "ncx"
    assert opf.find("opf:spine", NS).get("page-progression-direction") == "ltr"
    [cover] = [i for i in items.values() if i.get("properties") == "cover-image"]
    assert (cover.get("href"), cover.get("media-type")) == ("images/cover.jpg", "image/jpeg")
    assert opf.find("opf:metadata/opf:meta[@name='cover']", NS).get("content") == cover.get("id")


def test_nav_toc_landmarks_and_page_list(sample_epub):
    nav = read_xml(sample_epub, "EPUB/nav.xhtml")
    toc = nav.find(".//x:nav[@id='toc']", NS)
    assert toc.get(EPUB_TYPE) == "toc"
    top = toc.findall("x:ol/x:li", NS)
    assert [li.find("x:a", NS).text for li in top] == ["前言", "序章"]
    assert [a.text for a in top[0].findall("x:ol/x:li/x:a", NS)] == ["“互联网+”：连接普惠经济"]
    assert top[1].find("x:ol/x:li/x:a", NS).get("data-page") == "8"
    landmarks = nav.find(".//x:nav[@id='landmarks']", NS)
    assert [a.get(EPUB_TYPE) for a in landmarks.iter(f"{{{NS['x']}}}a")] == [
        "cover",
        "titlepage",
        "toc",
        "frontmatter",
        "bodymatter",
    ]
    pages = nav.find(".//x:nav[@id='page-list']", NS)
    assert pages.get(EPUB_TYPE) == "page-list" and pages.get("role") == "doc-pagelist"
    links = [(a.text, a.get("href")) for a in pages.iter(f"{{{NS['x']}}}a")]
    assert links == [
        ("1", "03-preface.xhtml#page-1"),
        ("2", "03-preface.xhtml#page-2"),
        ("3", "03-preface.xhtml#page-3"),
        ("8", "04-prologue.xhtml#page-8"),
    ]


def test_every_nav_target_exists_and_has_the_right_kind(sample_epub):
    nav = read_xml(sample_epub, "EPUB/nav.xhtml")
    for a in nav.iter(f"{{{NS['x']}}}a"):
        doc, _, frag = a.get("href").partition("#")
        target = read_xml(sample_epub, f"EPUB/{doc}")
        if frag:
            [element] = target.xpath(f"//*[@id='{frag}']")
            if frag.startswith("page-"):
                assert element.get(EPUB_TYPE) == "pagebreak" and element.get("aria-label") == frag[5:]
            elif a.getparent().getparent().getparent().get("id") == "toc":
                assert element.tag.split("}")[1] in {"h1", "h2", "h3", "h4", "h5", "h6"}


def test_page_marker_sits_at_the_exact_break(sample_epub):
    doc = entries(sample_epub)["EPUB/03-preface.xhtml"].decode()
    assert ('新的力量和<span id="page-2" epub:type="pagebreak" role="doc-pagebreak" aria-label="2"/>再生的能力') in doc


def test_content_document_semantics(sample_epub):
    doc = read_xml(sample_epub, "EPUB/03-preface.xhtml")
    assert doc.get("lang") == "zh-Hans" and doc.get("{http://www.w3.org/XML/1998/namespace}lang") == "zh-Hans"
    section = doc.find(".//x:section", NS)
    assert section.get(EPUB_TYPE) == "preface" and section.get("role") == "doc-preface"
    assert section.find("x:header/x:h1", NS).text == "“互联网+”：连接普惠经济"
    byline = section.find("x:header/x:p[@class='byline']", NS)
    assert byline.find("x:span[@class='author']", NS).text == "马化腾"


def test_copyright_page_is_generated_from_metadata(sample_epub):
    doc = entries(sample_epub)["EPUB/copyright.xhtml"].decode()
    assert "图书在版编目(CIP)数据" in doc and "中国版本图书馆CIP数据核字(2015)第089832号" in doc
    assert (
        "<dt>开本</dt><dd>880mm×1032mm 1/32</dd>" in doc and "版权所有\u2060·\u2060侵权必究" in doc
    )  # the interpunct kept off a line start


def test_ncx_mirrors_the_nav(sample_epub):
    ncx = read_xml(sample_epub, "EPUB/toc.ncx")
    labels = [p.find("ncx:navLabel/ncx:text", NS).text for p in ncx.iter(f"{{{NS['ncx']}}}navPoint")]
    assert labels == ["前言", "“互联网+”：连接普惠经济", "序章", "跨界·融合·连接一切"]
    targets = ncx.findall(".//ncx:pageTarget", NS)
    assert [t.get("value") for t in targets] == ["1", "2", "3", "8"]
    orders = sorted({int(p.get("playOrder")) for p in ncx.iter() if p.get("playOrder")})
    assert orders == list(range(1, len(orders) + 1))


def test_ebooklib_reads_back_toc_and_page_list(sample_epub):
    book = ebooklib_epub.read_epub(str(sample_epub))
    assert [section.title for section, _ in book.toc] == ["前言", "序章"]
    assert [link.title for _, links in book.toc for link in links] == ["“互联网+”：连接普惠经济", "跨界·融合·连接一切"]
    assert [(p.title, p.href) for p in book.pages] == [
        ("1", "03-preface.xhtml#page-1"),
        ("2", "03-preface.xhtml#page-2"),
        ("3", "03-preface.xhtml#page-3"),
        ("8", "04-prologue.xhtml#page-8"),
    ]
    assert book.get_metadata("DC", "identifier")[0][0].startswith("urn:uuid:")


def test_zip_layout_is_reproducible(sample_root, tmp_path, monkeypatch):
    first = build_epub(sample_root, tmp_path / "a").read_bytes()
    second = build_epub(sample_root, tmp_path / "b").read_bytes()
    assert first == second
    with zipfile.ZipFile(tmp_path / "a" / "9787508651781.epub") as archive:
        infos = archive.infolist()
    assert infos[0].filename == "mimetype" and infos[0].compress_type == zipfile.ZIP_STORED
    assert [i.filename for i in infos[1:]] == sorted(i.filename for i in infos[1:])
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    third = build_epub(sample_root, tmp_path / "c")
    modified = read_xml(third, "EPUB/package.opf").find("opf:metadata/opf:meta[@property='dcterms:modified']", NS).text
    assert modified == "2023-11-14T22:13:20Z"


def test_features_book_links_images_and_notes(tmp_path):
    epub = build_epub(FIXTURES / "books" / "features", tmp_path)
    files = entries(epub)
    chapter2 = files["EPUB/04-chapter-2.xhtml"].decode()
    assert 'href="03-chapter-1.xhtml#page-4"' in chapter2
    assert 'href="03-chapter-1.xhtml#lists"' in chapter2 and 'href="01-foreword.xhtml"' in chapter2
    assert files["EPUB/images/diagram.png"].startswith(b"\x89PNG")
    opf = read_xml(epub, "EPUB/package.opf")
    features = [m.text for m in opf.findall("opf:metadata/opf:meta[@property='schema:accessibilityFeature']", NS)]
    assert "alternativeText" in features
    modes = sorted(m.text for m in opf.findall("opf:metadata/opf:meta[@property='schema:accessMode']", NS))
    assert modes == ["textual", "visual"]
    nav = read_xml(epub, "EPUB/nav.xhtml")
    part = nav.find(".//x:nav[@id='toc']/x:ol/x:li[2]", NS)
    assert part.find("x:a", NS).text == "第一篇 基础"
    chapter = part.find("x:ol/x:li", NS)
    assert [a.text for a in chapter.iter(f"{{{NS['x']}}}a")] == [
        "第一章 段落与强调",
        "列表与引文",
        "更深的一层",
        "表格",
    ]  # three levels below the part


@pytest.mark.parametrize("name", ["sample", "features", "features-en"])
def test_golden_epub(name, tmp_path, update_golden):
    epub = build_epub(BOOKS[name](tmp_path), tmp_path / "out")
    # pictures are not golden: the drawn cover depends on this system's fonts (test_retail)
    produced = {n: d for n, d in entries(epub).items() if not n.endswith((".png", ".jpg", ".css"))}
    compare_or_update(GOLDEN / name, produced, update_golden)
    if update_golden:
        pytest.skip("golden files rewritten")


def test_footnotes_are_asides_a_reader_can_pop_up(tmp_path):
    """Apple Books, Kobo and Readium open a note where it is referred to when the note is
    an aside typed footnote and the reference is a noteref."""
    epub = build_epub(FIXTURES / "books" / "features", tmp_path / "out")
    chapter = read_xml(epub, "EPUB/04-chapter-2.xhtml")
    [ref] = chapter.findall(".//x:a[@class='footnote-ref']", NS)
    assert ref.get(EPUB_TYPE) == "noteref" and ref.get("href") == "04-chapter-2.xhtml#fn-1"
    [notes] = chapter.findall(".//x:div[@class='footnotes']", NS)
    assert notes.get(EPUB_TYPE) == "footnotes"
    [aside] = notes.findall("x:aside", NS)
    assert (aside.get("id"), aside.get(EPUB_TYPE), aside.get("role")) == ("fn-1", "footnote", "doc-footnote")
    assert aside.find("x:p/x:span[@class='note-number']", NS).text == "1"
    assert aside.find("x:p/x:a[@class='footnote-backref']", NS).get("href") == "04-chapter-2.xhtml#fnref-1"


def test_the_english_book_links_its_references_and_numbers_its_captions(tmp_path):
    """Every apparatus feature in an English book: print-page references (roman and
    arabic, ranges), citations and opted-out passages left alone, Figure 1.1 / Table 1.1
    and an appendix's Table A.1, lists of figures and tables, MathML, code, a footnote."""
    epub = build_epub(FIXTURES / "books" / "features-en", tmp_path / "out")
    docs = entries(epub)
    chapter = docs["EPUB/02-chapter-1.xhtml"].decode("utf-8")
    assert '<a class="page-ref" href="01-preface.xhtml#page-vii">' not in chapter  # opted out
    assert "(Smith 2001, p. 45)" in chapter and "Jones, p. 12." in chapter
    assert '<a class="page-ref" href="02-chapter-1.xhtml#page-2">pages 2 to 3</a>' in chapter
    assert '<span class="caption-label">Figure 1.1</span> Three boxes joined in a row' in chapter
    assert '<span class="caption-label">Table 1.1</span> Counts of things' in chapter
    assert 'alttext="E = mc^2"' in chapter and '<span class="hl-k">def</span>' in chapter
    assert 'epub:type="footnote"' in chapter
    appendix = docs["EPUB/03-appendix.xhtml"].decode("utf-8")
    assert '<table id="table-A-1">' in appendix
    assert '<a class="caption-ref" href="02-chapter-1.xhtml#figure-1-1">Figure 1.1</a>' in appendix
    nav = docs["EPUB/nav.xhtml"].decode("utf-8")
    assert '<a href="03-appendix.xhtml#table-A-1">Table A.1 The appendix table</a>' in nav
    assert 'aria-label="List of Figures" epub:type="loi"' in nav
