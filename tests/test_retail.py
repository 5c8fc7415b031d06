"""What a store or a shelf meets first: the e-book's identifier, its cover, images that
fit the screen (issue 14)."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from build_helpers import assert_same_as_clean
from conftest import FIXTURES, ROOT, write_book
from epub_helpers import EPUB_TYPE, NS, entries, read_xml
from lxml import etree
from PIL import Image

from bookbuild import validators
from bookbuild.book import cover as cover_module
from bookbuild.book.model import Cip, IsbnEntry, Metadata
from bookbuild.check import identifier_check, print_isbns
from bookbuild.cli import main
from bookbuild.errors import InputError
from bookbuild.pipeline import build
from bookbuild.validators import run_epubcheck


def _set_isbns(root: Path, isbn: str, print_isbn: str) -> None:
    meta = root / "metadata.yaml"
    lines = [line for line in meta.read_text("utf-8").splitlines() if not line.startswith(("isbn:", "print_isbn:"))]
    lines += [f"isbn: {isbn}"] if isbn else []
    lines += [f"print_isbn: {print_isbn}"] if print_isbn else []
    meta.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _identifiers(epub: Path) -> tuple[str, str]:
    md = read_xml(epub, "EPUB/package.opf").find("opf:metadata", NS)
    return md.find("dc:identifier[@id='pub-id']", NS).text, md.find("dc:source", NS).text


def test_the_e_book_isbn_is_the_identifier_and_the_print_one_the_source(sample_root, tmp_path):
    _set_isbns(sample_root, "978-1-4028-9462-6", "978-7-5086-5178-1")
    result = build(sample_root, tmp_path / "out")
    epub = tmp_path / "out" / "9781402894626.epub"
    assert _identifiers(epub) == ("urn:isbn:9781402894626", "urn:isbn:9787508651781")
    assert identifier_check(result.modelled, epub) == []


def test_check_warns_when_the_identifier_is_the_print_isbn(sample_root, tmp_path):
    # the CIP record's ISBN (a print book's) written as `isbn:`, as ingest did before
    _set_isbns(sample_root, "978-7-5086-5178-1", "")
    result = build(sample_root, tmp_path / "out")
    epub = tmp_path / "out" / "9787508651781.epub"
    assert _identifiers(epub)[0] == "urn:isbn:9787508651781"
    [warning] = identifier_check(result.modelled, epub)
    lines = (sample_root / "metadata.yaml").read_text("utf-8").splitlines()
    assert (warning.code, warning.file, warning.line) == (
        "M010",
        "metadata.yaml",
        lines.index("isbn: 978-7-5086-5178-1") + 1,
    )
    assert "print edition's ISBN" in warning.message and "`print_isbn:`" in warning.message


def test_without_an_e_book_isbn_the_identifier_is_a_stable_uuid(sample_root, tmp_path):
    first = build(sample_root, tmp_path / "a")
    identifier, source = _identifiers(tmp_path / "a" / "9787508651781.epub")
    assert identifier.startswith("urn:uuid:") and source == "urn:isbn:9787508651781"
    assert identifier_check(first.modelled, tmp_path / "a" / "9787508651781.epub") == []
    build(sample_root, tmp_path / "b")
    assert _identifiers(tmp_path / "b" / "9787508651781.epub")[0] == identifier


# --- the cover ------------------------------------------------------------------------


def _opf_cover(epub: Path) -> tuple[str, str]:
    """(the cover-image item's href, the content document the cover landmark names)."""
    opf = read_xml(epub, "EPUB/package.opf")
    [item] = [i for i in opf.findall("opf:manifest/opf:item", NS) if i.get("properties") == "cover-image"]
    assert opf.find("opf:metadata/opf:meta[@name='cover']", NS).get("content") == item.get("id")
    nav = read_xml(epub, "EPUB/nav.xhtml")
    [landmark] = [a for a in nav.iter(f"{{{NS['x']}}}a") if a.get(EPUB_TYPE) == "cover"]
    return item.get("href"), landmark.get("href")


def _jpeg(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


def test_a_drawn_cover_when_the_book_has_no_picture(sample_root, tmp_path):
    build(sample_root, tmp_path / "out")
    epub = tmp_path / "out" / "9787508651781.epub"
    assert _opf_cover(epub) == ("images/cover.jpg", "cover.xhtml")
    picture = Image.open(io.BytesIO(entries(epub)["EPUB/images/cover.jpg"]))
    assert (picture.format, picture.size) == ("JPEG", (1600, 2560))
    page = read_xml(epub, "EPUB/cover.xhtml")
    assert page.find(".//x:header", NS).get("hidden") == "hidden"  # no visible "封面" heading
    [img] = page.findall(".//x:p[@class='cover-picture']/x:img", NS)
    assert (img.get("src"), img.get("alt")) == ("images/cover.jpg", "封面：互联网+")
    # the book's printed cover (text) follows it, whole, with its heading
    text_cover = read_xml(epub, "EPUB/01-cover.xhtml")
    assert text_cover.find(".//x:header", NS).get("hidden") is None
    assert "腾讯官方唯一正版授权" in "".join(text_cover.itertext())
    # the HTML edition shows it on its index page
    index = (tmp_path / "out" / "html" / "index.html").read_text("utf-8")
    assert '<img class="cover-image" src="images/cover.jpg" alt="封面：互联网+">' in index
    assert (tmp_path / "out" / "html" / "images" / "cover.jpg").read_bytes() == entries(epub)["EPUB/images/cover.jpg"]


def test_the_picture_metadata_names_is_the_cover(sample_root, tmp_path):
    (sample_root / "book" / "images").mkdir()
    (sample_root / "book" / "images" / "front.jpg").write_bytes(_jpeg(600, 900))
    with (sample_root / "metadata.yaml").open("a", encoding="utf-8") as stream:
        stream.write("cover: book/images/front.jpg\n")
    build(sample_root, tmp_path / "out")
    epub = tmp_path / "out" / "9787508651781.epub"
    assert _opf_cover(epub) == ("images/front.jpg", "cover.xhtml")
    assert "EPUB/images/cover.jpg" not in entries(epub)  # nothing drawn
    assert entries(epub)["EPUB/images/front.jpg"] == (sample_root / "book" / "images" / "front.jpg").read_bytes()


def test_a_cover_unit_with_a_picture_is_the_cover_page(sample_root, tmp_path):
    (sample_root / "book" / "images").mkdir()
    (sample_root / "book" / "images" / "front.jpg").write_bytes(_jpeg(600, 900))
    (sample_root / "book" / "01-cover.md").write_text(
        "---\ntitle: 封面\nkind: cover\n---\n\n![互联网+ 的封面](images/front.jpg)\n", encoding="utf-8"
    )
    build(sample_root, tmp_path / "out")
    epub = tmp_path / "out" / "9787508651781.epub"
    assert _opf_cover(epub) == ("images/front.jpg", "01-cover.xhtml")
    assert "EPUB/cover.xhtml" not in entries(epub)
    page = read_xml(epub, "EPUB/01-cover.xhtml")
    assert page.find(".//x:header", NS).get("hidden") == "hidden"
    assert page.find(".//x:p[@class='cover-picture']/x:img", NS).get("alt") == "互联网+ 的封面"


def test_a_missing_cover_picture_is_an_error_at_its_line(sample_root, tmp_path):
    with (sample_root / "metadata.yaml").open("a", encoding="utf-8") as stream:
        stream.write("cover: book/images/nowhere.jpg\n")
    with pytest.raises(InputError) as raised:
        build(sample_root, tmp_path / "out")
    lines = (sample_root / "metadata.yaml").read_text("utf-8").splitlines()
    [error] = [d for d in raised.value.diagnostics if d.code == "S007"]
    assert (error.file, error.line) == ("metadata.yaml", len(lines))
    assert "images/nowhere.jpg does not exist" in error.message
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").glob("*.epub"))


def test_a_cover_picture_outside_the_book_folder_is_refused(sample_root, tmp_path):
    (tmp_path / "secret.jpg").write_bytes(_jpeg(10, 10))
    with (sample_root / "metadata.yaml").open("a", encoding="utf-8") as stream:
        stream.write("cover: ../secret.jpg\n")
    with pytest.raises(InputError) as raised:
        build(sample_root, tmp_path / "out")
    assert any(d.code == "S007" and "outside the book folder" in d.message for d in raised.value.diagnostics)
    meta = sample_root / "metadata.yaml"
    meta.write_text(meta.read_text("utf-8").replace("cover: ../secret.jpg", "cover: /etc/passwd"), encoding="utf-8")
    with pytest.raises(InputError) as raised:
        build(sample_root, tmp_path / "out")
    [refused] = [d for d in raised.value.diagnostics if d.code == "S007"]
    assert refused.message == "image /etc/passwd lies outside the book folder"  # as written, nothing read


def test_without_a_font_the_book_builds_without_a_cover_and_says_what_to_install(sample_root, tmp_path, monkeypatch):
    monkeypatch.setattr(cover_module, "find_cover_fonts", lambda language: None)
    result = build(sample_root, tmp_path / "out")
    [warning] = [d for d in result.diagnostics if d.code == "S024"]
    assert "apt-get install fonts-noto-cjk" in warning.message and warning.file == "metadata.yaml"
    epub = tmp_path / "out" / "9787508651781.epub"
    assert "EPUB/cover.xhtml" not in entries(epub)
    opf = read_xml(epub, "EPUB/package.opf")
    assert not [i for i in opf.findall("opf:manifest/opf:item", NS) if i.get("properties") == "cover-image"]


def test_an_english_book_gets_a_cover_in_its_own_words(tmp_path):
    out = tmp_path / "out"
    build(FIXTURES / "books" / "features-en", out)
    [epub] = out.glob("*.epub")
    page = read_xml(epub, "EPUB/cover.xhtml")
    assert page.find(".//x:img", NS).get("alt").startswith("Cover: ")
    assert page.find(".//x:h1", NS).text == "Cover"


def test_the_cover_is_drawn_once_and_the_same_every_time(sample_root, tmp_path):
    build(sample_root, tmp_path / "a")
    first = entries(tmp_path / "a" / "9787508651781.epub")["EPUB/images/cover.jpg"]
    build(sample_root, tmp_path / "b")
    assert entries(tmp_path / "b" / "9787508651781.epub")["EPUB/images/cover.jpg"] == first
    # a changed title is a changed cover, and a quick rebuild of it matches a clean build
    meta = sample_root / "metadata.yaml"
    meta.write_text(meta.read_text("utf-8").replace("title: 互联网+", "title: 互联网+ 第二版"), encoding="utf-8")
    build(sample_root, tmp_path / "a")
    assert entries(tmp_path / "a" / "9787508651781.epub")["EPUB/images/cover.jpg"] != first
    assert_same_as_clean(sample_root, tmp_path / "a", tmp_path)


# --- pictures fit the screen -------------------------------------------------------------


def test_a_paragraph_that_only_holds_a_picture_is_not_indented(sample_root, tmp_path):
    (sample_root / "book" / "images").mkdir()
    (sample_root / "book" / "images" / "wide.jpg").write_bytes(_jpeg(1200, 300))
    preface = sample_root / "book" / "03-preface.md"
    preface.write_text(
        preface.read_text("utf-8") + "\n![一张宽图](images/wide.jpg)\n\n文字里的 ![小图](images/wide.jpg) 图。\n"
    )
    build(sample_root, tmp_path / "out")
    doc = read_xml(tmp_path / "out" / "9787508651781.epub", "EPUB/03-preface.xhtml")
    pictures = [p for p in doc.iter(f"{{{NS['x']}}}p") if p.find("x:img", NS) is not None]
    assert [p.get("class") for p in pictures] == ["picture", None]  # an image inside text stays inline


def test_a_generated_copyright_page_names_both_editions(tmp_path):
    root = write_book(
        tmp_path / "book",
        {"01-chapter.md": "---\ntitle: 第一章\nkind: chapter\n---\n\n正文。\n"},
        "title: 书\nlanguage: zh-Hans\nisbn: 978-1-4028-9462-6\nprint_isbn: 978-7-5086-5178-1\n",
    )
    build(root, tmp_path / "out")
    page = "".join(read_xml(tmp_path / "out" / "9781402894626.epub", "EPUB/copyright.xhtml").itertext())
    assert "ISBN 978-1-4028-9462-6 (电子书)" in page and "ISBN 978-7-5086-5178-1 (纸书)" in page


# --- Kobo ---------------------------------------------------------------------------------


def _kepub_and_epub(root: Path, out: Path) -> tuple[Path, Path]:
    assert main(["build", "--root", str(root), "--out", str(out), "--to", "epub", "--to", "kepub", "-q"]) == 0
    [kepub] = out.glob("*.kepub.epub")
    [epub] = [p for p in out.glob("*.epub") if not p.name.endswith(".kepub.epub")]
    return kepub, epub


def test_the_kepub_marks_every_sentence_and_changes_no_text(sample_root, tmp_path):
    kepub, epub = _kepub_and_epub(sample_root, tmp_path / "out")
    assert kepub.name == "9787508651781.kepub.epub"
    marked, plain = entries(kepub), entries(epub)
    assert sorted(marked) == sorted(plain)
    for name in ("EPUB/package.opf", "EPUB/nav.xhtml", "EPUB/toc.ncx", "EPUB/images/cover.jpg"):
        assert marked[name] == plain[name]
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    for name in [n for n in plain if n.endswith(".xhtml") and n != "EPUB/nav.xhtml"]:
        kobo, original = etree.fromstring(marked[name], parser), etree.fromstring(plain[name], parser)
        assert "".join(kobo.itertext()) == "".join(original.itertext()), name
        spans = kobo.findall(".//x:span[@class='koboSpan']", NS)
        assert spans, name
        ids = [s.get("id") for s in spans]
        assert len(ids) == len(set(ids)) and all(i.startswith("kobo.") for i in ids)
        assert kobo.find("x:body/x:div[@id='book-columns']/x:div[@id='book-inner']", NS) is not None
    prologue = etree.fromstring(marked["EPUB/04-prologue.xhtml"], parser)
    first = prologue.find(".//x:section/x:p/x:span[@class='koboSpan']", NS)
    assert first.text == "“未来已经来临，只是尚未流行。”"
    cover = etree.fromstring(marked["EPUB/cover.xhtml"], parser)
    assert cover.find(".//x:span[@class='koboSpan']/x:img", NS) is not None  # images are marked too


def test_a_kepub_rebuilt_after_an_edit_is_the_clean_one(sample_root, tmp_path):
    _kepub_and_epub(sample_root, tmp_path / "a")
    preface = sample_root / "book" / "03-preface.md"
    preface.write_text(preface.read_text("utf-8").replace("再生的能力", "再生的力量"), encoding="utf-8")
    kepub, _ = _kepub_and_epub(sample_root, tmp_path / "a")
    clean, _ = _kepub_and_epub(sample_root, tmp_path / "b")
    assert kepub.read_bytes() == clean.read_bytes()
    assert "再生的力量".encode() in entries(kepub)["EPUB/03-preface.xhtml"]


KEPUB_BOOKS = {
    "sample": ROOT,
    "features": FIXTURES / "books" / "features",
    "features-en": FIXTURES / "books" / "features-en",
}


@pytest.fixture(scope="module")
def kepub_findings(tmp_path_factory) -> dict[str, list]:
    """Each book's kepub, then EPUBCheck over them two at a time (one per core)."""
    kepubs = {name: _kepub_and_epub(root, tmp_path_factory.mktemp(name))[0] for name, root in KEPUB_BOOKS.items()}
    with ThreadPoolExecutor(2) as pool:
        return dict(zip(kepubs, pool.map(run_epubcheck, kepubs.values())))


@pytest.mark.slow
@pytest.mark.parametrize("book", sorted(KEPUB_BOOKS))
def test_epubcheck_passes_the_kepub(book, kepub_findings):
    """(test_epub.test_epubcheck_reports_nothing checks each book's EPUB.)"""
    assert kepub_findings[book] == []


def test_without_calibre_the_kindle_check_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(validators.shutil, "which", lambda name: None)
    [note] = validators.run_kindle_check(tmp_path / "book.epub", [])
    assert (note.code, note.severity.value) == ("E008", "info") and "apt-get install calibre" in note.message


def test_the_print_isbns_come_from_every_place_the_book_names_one():
    meta = Metadata(
        title="书",
        language="zh-Hans",
        print_isbn="978-7-5086-5178-1",
        isbns=(IsbnEntry("978-0-306-40615-7", "paperback", "print"), IsbnEntry("978-1-4028-9462-6", "eBook", "ebook")),
        cip=Cip(raw="书名/作者.—北京：出版社，2015\nISBN：7 302 01968 1"),
    )
    assert print_isbns(meta) == {"9787508651781", "9780306406157", "7302019681"}  # never the e-book's
