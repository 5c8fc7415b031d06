"""Chinese editions from one source (issue 15): Traditional (OpenCC s2twp / s2hk), vertical,
and the two combined; built from the sample and checked in the package, the text and a
browser."""

import re
import zipfile
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT, write_book
from lxml import etree

from bookbuild.book.editions import Edition, edition_from
from bookbuild.cli import main
from bookbuild.errors import UsageError

XHTML = "{http://www.w3.org/1999/xhtml}"
OPF = "{http://www.idpf.org/2007/opf}"
DC = "{http://purl.org/dc/elements/1.1/}"


def _build(root: Path, out: Path, *editions: str) -> Path:
    args = ["build", "--root", str(root), "--out", str(out), "-q"]
    for edition in editions:
        args += ["--edition", edition]
    assert main(args) == 0
    name = edition_from(list(editions)).name if editions else ""
    [epub] = (out / name if name else out).glob("*.epub")
    return epub


def _documents(epub: Path) -> dict[str, etree._Element]:
    with zipfile.ZipFile(epub) as z:
        return {n: etree.fromstring(z.read(n)) for n in z.namelist() if n.endswith((".xhtml", ".opf"))}


def _body_text(docs: dict[str, etree._Element]) -> str:
    return "\n".join("".join(d.itertext()) for n, d in sorted(docs.items()) if n.endswith(".xhtml"))


def test_edition_names_combine_and_unknown_ones_are_refused():
    assert edition_from([]) is None
    assert edition_from(["zh-Hant"]).name == "zh-Hant-TW"
    assert edition_from(["vertical", "zh-Hant-HK"]) == Edition(vertical=True, script="zh-Hant-HK")
    assert edition_from(["zh-Hant", "vertical"]).name == "zh-Hant-TW-vertical"
    with pytest.raises(UsageError):
        edition_from(["zh-Hant-TW", "zh-Hant-HK"])


@pytest.fixture(scope="module")
def editions(tmp_path_factory):
    out = tmp_path_factory.mktemp("editions")
    built = {
        name: _build(ROOT, out, *name.split("+")) for name in ("zh-Hant", "vertical", "zh-Hant+vertical", "zh-Hant-HK")
    }
    built["as written"] = _build(ROOT, out)
    return built


def test_each_edition_has_its_own_name_identifier_and_language(editions):
    names = {key: epub.name for key, epub in editions.items()}
    assert names["zh-Hant"] == "9787508651781-zh-Hant-TW.epub"
    assert names["zh-Hant+vertical"] == "9787508651781-zh-Hant-TW-vertical.epub"
    assert editions["zh-Hant"].parent.name == "zh-Hant-TW"  # its own folder: its own cache and state
    identifiers, languages = set(), {}
    for key, epub in editions.items():
        opf = _documents(epub)["EPUB/package.opf"]
        identifiers.add(opf.findtext(f".//{DC}identifier"))
        languages[key] = opf.findtext(f".//{DC}language")
        spine = opf.find(f"{OPF}spine")
        assert spine.get("page-progression-direction") == ("rtl" if "vertical" in key else "ltr"), key
    assert len(identifiers) == len(editions)
    assert languages == {
        "zh-Hant": "zh-Hant-TW",
        "vertical": "zh-Hans",
        "zh-Hant+vertical": "zh-Hant-TW",
        "zh-Hant-HK": "zh-Hant-HK",
        "as written": "zh-Hans",
    }


@pytest.mark.parametrize(
    ("key", "profile"), [("zh-Hant", "s2twp"), ("zh-Hant+vertical", "s2twp"), ("zh-Hant-HK", "s2hk")]
)
def test_no_simplified_character_is_left_in_a_traditional_edition(editions, key, profile):
    """OpenCC's own judgement, run again: converting the edition's text once more changes
    nothing (a Simplified character left anywhere would be changed), while the reverse
    conversion, Traditional to Simplified, changes a great deal."""
    opencc = pytest.importorskip("opencc")
    docs = _documents(editions[key])
    text = _body_text(docs)
    assert opencc.OpenCC(profile).convert(text) == text
    simplified = opencc.OpenCC("t2s").convert(text)
    assert sum(a != b for a, b in zip(text, simplified)) > 500
    chapter = _body_text({k: v for k, v in docs.items() if k.endswith("04-prologue.xhtml")})
    assert "「未來已經來臨，只是尚未流行。」" in chapter  # text, quotes in corner brackets
    nav = docs["EPUB/nav.xhtml"]
    assert nav.findtext(f".//{XHTML}h1") == "目錄" and "頁碼" in "".join(nav.itertext())
    assert nav.find(f".//{XHTML}a").get("href").startswith("03-preface.xhtml#互联网")  # ids as written


def test_code_links_and_ids_are_never_converted(tmp_path):
    root = FIXTURES / "books" / "features"
    epub = _build(root, tmp_path, "zh-Hant")
    chapter = _documents(epub)["EPUB/03-chapter-1.xhtml"]
    code = "".join(chapter.find(f".//{XHTML}pre").itertext())
    assert "第 4 页的代码：不链接页码。" in code  # Simplified inside code, as written
    hrefs = [a.get("href") for a in chapter.iter(f"{XHTML}a")]
    assert "#表格" in " ".join(hrefs) or any("表格" in h for h in hrefs)
    assert chapter.find(f".//{XHTML}h2").get("id") == "lists"
    assert "列表與引文" in "".join(chapter.itertext())


def test_the_books_own_choices_come_before_openccs(tmp_path):
    meta = "title: 连接之书\nlanguage: zh-Hans\ntraditional:\n  连接: 連接\n"
    root = write_book(
        tmp_path, {"01-a.md": "---\ntitle: 第一章 连接\nkind: chapter\n---\n\n连接一切的互联网。\n"}, meta
    )
    text = _body_text(_documents(_build(root, tmp_path / "out", "zh-Hant")))
    assert "連接一切的網際網路" in text and "連線" not in text
    plain = _body_text(_documents(_build(root, tmp_path / "plain", "zh-Hant")))
    assert "連接" in plain  # the same book: the choice is the book's, in metadata.yaml


def test_vertical_edition_sets_every_document_vertical(editions):
    docs = _documents(editions["vertical"])
    content = [d for n, d in docs.items() if n.endswith(".xhtml") and n != "EPUB/nav.xhtml"]
    for doc in content:
        links = [link.get("href") for link in doc.iter(f"{XHTML}link")]
        assert "css/edition-vertical.css" in links
    with zipfile.ZipFile(editions["vertical"]) as z:
        css = z.read("EPUB/css/edition-vertical.css").decode()
    for prefix in ("-epub-writing-mode: vertical-rl", "-webkit-writing-mode: vertical-rl", "writing-mode: vertical-rl"):
        assert prefix in css
    preface = docs["EPUB/03-preface.xhtml"]
    upright = [span.text for span in preface.iter(f"{XHTML}span") if span.get("class") == "tcy"]
    text = "".join(preface.itertext())
    assert upright and all(re.fullmatch(r"[0-9]{1,3}", t) for t in upright)
    assert "2015" in text and "2015" not in upright  # a year runs sideways
    assert "「" in text and "“" not in text


def test_editions_are_reproducible(tmp_path, editions):
    again = _build(ROOT, tmp_path, "zh-Hant", "vertical")
    assert again.read_bytes() == editions["zh-Hant+vertical"].read_bytes()


@pytest.mark.slow
def test_epubcheck_passes_each_edition(editions):
    """Each edition and the combination, two EPUBChecks at a time (one per core)."""
    from concurrent.futures import ThreadPoolExecutor

    from bookbuild.validators import run_epubcheck

    keys = ["zh-Hant", "vertical", "zh-Hant+vertical", "zh-Hant-HK"]
    with ThreadPoolExecutor(2) as pool:
        results = dict(zip(keys, pool.map(lambda key: run_epubcheck(editions[key]), keys)))
    assert results == {key: [] for key in keys}


@pytest.mark.slow
def test_vertical_pages_read_in_a_browser_at_phone_size(editions, tmp_path):
    playwright = pytest.importorskip("playwright.sync_api")
    from test_browser import ARGS, ARTIFACTS, CHROMIUM

    epub = editions["zh-Hant+vertical"]
    with zipfile.ZipFile(epub) as z:
        z.extractall(tmp_path / "epub")
    html = epub.parent / "html" / "03-preface.html"
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 360, "height": 640})
        page.goto((tmp_path / "epub" / "EPUB" / "03-preface.xhtml").as_uri())
        mode = page.evaluate("() => getComputedStyle(document.documentElement).writingMode")
        first = page.evaluate("() => document.querySelector('h1').getBoundingClientRect().right")
        assert mode == "vertical-rl" and 0 < first <= 360  # the title is the first line, on the right
        # a vertical-rl page scrolls from the right: the whole page, cropped to what a reader sees first
        page.screenshot(path=str(tmp_path / "full.png"), full_page=True)
        from PIL import Image

        with Image.open(tmp_path / "full.png") as full:
            full.crop((full.width - 360, 0, full.width, 640)).save(ARTIFACTS / "vertical-epub-360.png")
        page.goto(html.as_uri())
        modes = page.evaluate(
            "() => [getComputedStyle(document.documentElement).writingMode,"
            " getComputedStyle(document.querySelector('section.unit')).writingMode,"
            " document.documentElement.scrollWidth]"
        )
        assert modes[0] == "horizontal-tb" and modes[1] == "vertical-rl" and modes[2] <= 360
        page.screenshot(path=str(ARTIFACTS / "vertical-html-360.png"))
        browser.close()


def test_the_cli_knows_every_edition():
    from bookbuild.book.editions import NAMES
    from bookbuild.cli import EDITIONS

    assert tuple(EDITIONS) == tuple(NAMES)


def test_a_books_own_vertical_stylesheet_does_not_clash_with_the_editions(tmp_path):
    root = write_book(tmp_path, {"01-a.md": "---\ntitle: 第一章\nkind: chapter\n---\n\n共 12 人。\n"})
    (root / "styles").mkdir()
    (root / "styles" / "vertical.css").write_text("p { color: #333; }\n")
    epub = _build(root, tmp_path / "out", "vertical")
    links = [link.get("href") for link in _documents(epub)["EPUB/01-a.xhtml"].iter(f"{XHTML}link")]
    assert links[-2:] == ["css/book-vertical.css", "css/edition-vertical.css"]  # the edition's last
    chapter = _documents(epub)["EPUB/01-a.xhtml"]
    assert [s.text for s in chapter.iter(f"{XHTML}span") if s.get("class") == "tcy"] == ["12"]


def test_private_use_characters_in_the_text_are_kept_where_they_are(tmp_path):
    """The conversion joins a unit's texts with U+F8FF and holds override phrases with
    plane-15 characters: text that has those characters itself loses nothing."""
    body = "苹果\uf8ff标志。\n\n*强调*里有\uf8ff和\U000f0000。连接\n"
    meta = "title: 书\nlanguage: zh-Hans\ntraditional:\n  连接: 連接\n"
    root = write_book(tmp_path, {"01-a.md": f"---\ntitle: 第一章\nkind: chapter\n---\n\n{body}"}, meta)
    chapter = _documents(_build(root, tmp_path / "out", "zh-Hant"))["EPUB/01-a.xhtml"]
    text = "".join(chapter.itertext())
    assert "蘋果\uf8ff標誌。" in text and "強調" in text
    # kept, each where it was; in that one text the book's own choice gives way to OpenCC's
    assert "\uf8ff和\U000f0000。連線" in text
