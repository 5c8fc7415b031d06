"""The EPUB (and the kepub) as real consumers take it (issue 14): DAISY Ace, calibre's
ebook-meta and ebook-convert (Kindle's AZW3), and epub.js in Debian's Chromium, with
screenshots of the cover, the contents and a chapter at phone size in tests/artifacts/.
Nothing here downloads a browser: Ace's puppeteer and Playwright both start Debian's
chromium."""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import subprocess
import threading
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT
from PIL import Image

from bookbuild.check import _documents as check_documents
from bookbuild.cli import main
from bookbuild.pipeline import build
from bookbuild.validators import run_kindle_check

pytestmark = pytest.mark.slow  # a browser, Ace and calibre: not in `make test-fast`

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ACE = ROOT / "node_modules" / ".bin" / "ace-cli"
ARTIFACTS = Path(__file__).parent / "artifacts"
BOOKS = {"sample": ROOT, "features": FIXTURES / "books" / "features", "features-en": FIXTURES / "books" / "features-en"}


def _need(tool: str, install: str) -> str:
    found = shutil.which(tool)
    if not found:
        pytest.fail(f"{tool} is needed here: {install} (make test installs it when run as root)")
    return found


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[str, tuple[Path, Path]]:
    """Each book's EPUB and kepub."""
    made = {}
    for name, root in BOOKS.items():
        out = tmp_path_factory.mktemp(name)
        assert main(["build", "--root", str(root), "--out", str(out), "--to", "epub", "--to", "kepub", "-q"]) == 0
        [kepub] = out.glob("*.kepub.epub")
        made[name] = (kepub.with_name(kepub.name.replace(".kepub.epub", ".epub")), kepub)
    return made


# --- DAISY Ace ------------------------------------------------------------------------------


def _ace(epub: Path, report: Path) -> list[tuple[str, str, str]]:
    """Ace's critical and serious findings: (document, impact, rule)."""
    assert ACE.exists(), "Ace is installed by `npm ci` (make test-deps)"
    env = {**os.environ, "PUPPETEER_EXECUTABLE_PATH": CHROMIUM, "PUPPETEER_SKIP_DOWNLOAD": "1"}
    proc = subprocess.run(
        [str(ACE), "--silent", "--force", "--outdir", str(report), str(epub)],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads((report / "report.json").read_text("utf-8"))
    return [
        (subject["earl:testSubject"]["url"], found["earl:test"]["earl:impact"], found["earl:test"]["dct:title"])
        for subject in data.get("assertions", [])
        for found in subject.get("assertions", [])
        if found["earl:test"]["earl:impact"] in ("critical", "serious")
    ]


ACE_RUNS = [("sample", 0), ("sample", 1), ("features", 0), ("features", 1), ("features-en", 0), ("features-en", 1)]


@pytest.fixture(scope="module")
def ace_findings(outputs, tmp_path_factory) -> dict[tuple[str, int], list[tuple[str, str, str]]]:
    """Ace over each EPUB and kepub, two at a time (one per core: a run is mostly
    Chromium starting and Ace's own start-up)."""
    reports = tmp_path_factory.mktemp("ace")
    with ThreadPoolExecutor(2) as pool:
        found = pool.map(lambda run: _ace(outputs[run[0]][run[1]], reports / f"{run[0]}-{run[1]}"), ACE_RUNS)
        return dict(zip(ACE_RUNS, found))


@pytest.mark.parametrize("book,variant", ACE_RUNS)
def test_ace_finds_nothing_critical_or_serious(ace_findings, book, variant):
    assert ace_findings[(book, variant)] == []


# --- calibre ---------------------------------------------------------------------------------


def _metadata(ebook_meta: str, epub: Path, cover: Path) -> dict[str, str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run(
        [ebook_meta, str(epub), f"--get-cover={cover}"], capture_output=True, text=True, timeout=300, env=env
    )
    assert proc.returncode == 0, proc.stderr
    return {
        key.strip(): value.strip()
        for key, _, value in (line.partition(":") for line in proc.stdout.splitlines())
        if value
    }


@pytest.mark.parametrize("variant", [0, 1])
def test_calibre_reads_title_authors_isbn_and_cover(outputs, variant, tmp_path):
    ebook_meta = _need("ebook-meta", "apt-get install calibre")
    cover = tmp_path / "cover.jpg"
    found = _metadata(ebook_meta, outputs["features-en"][variant], cover)
    assert found["Title"].startswith("The Apparatus Book")
    assert found["Author(s)"].startswith("Ada Writer")
    assert "isbn:9780306406157" in found["Identifiers"]
    assert found["Languages"] == "eng"
    with zipfile.ZipFile(outputs["features-en"][variant]) as archive:
        assert cover.read_bytes() == archive.read("EPUB/images/cover.jpg")
    # the sample: its only ISBN is the print one, which calibre does not take for the e-book's
    sample = _metadata(ebook_meta, outputs["sample"][variant], tmp_path / "sample.jpg")
    assert sample["Title"].startswith("互联网+") and sample["Author(s)"].startswith("马化腾")
    assert (tmp_path / "sample.jpg").stat().st_size > 10_000


@pytest.mark.parametrize("book", ["sample", "features", "features-en"])
def test_the_kindle_conversion_loses_nothing(book, tmp_path):
    """What `check --target kindle` runs after its other checks (test_check covers the
    option): calibre converts without a warning, and every unit's text arrives."""
    _need("ebook-convert", "apt-get install calibre")
    result = build(BOOKS[book], tmp_path / "out", ("epub",))
    [epub] = (tmp_path / "out").glob("*.epub")
    documents = check_documents(result.modelled, epub)
    assert len(documents) == len(result.modelled.resolved.units)
    assert sum(1 for _, _, texts in documents if any(texts)) > len(documents) // 2  # something to look for
    assert run_kindle_check(epub, documents) == []


def test_the_kindle_check_says_what_was_lost(outputs):
    _need("ebook-convert", "apt-get install calibre")
    epub = outputs["features-en"][0]
    found = run_kindle_check(epub, [("99-gone.xhtml", "book/99-gone.md", ("A paragraph no book has in it.",))])
    assert [(d.code, d.file) for d in found] == [("E007", "book/99-gone.md")]
    assert "99-gone.xhtml is missing" in found[0].message and "Aparagraphnobookhasinit" in found[0].message


# --- epub.js in Chromium -----------------------------------------------------------------------

_HARNESS = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>epub.js</title>
<script src="jszip.min.js"></script><script src="epub.min.js"></script></head>
<body style="margin:0"><div id="viewer" style="width:360px;height:640px"></div>
<script>
window.readBook = async () => {
  const book = ePub("book.epub", {openAs: "epub"});
  await book.ready;
  const navigation = await book.loaded.navigation;
  const pageList = book.pageList;  // read with the navigation (book.loaded.pageList resolves too early)
  const rendition = book.renderTo("viewer", {width: 360, height: 640, flow: "paginated"});
  const shown = [];
  for (const item of book.spine.spineItems) {
    await rendition.display(item.href);
    const doc = rendition.getContents()[0].document;
    await Promise.all([...doc.images].map(i => i.decode().catch(() => null)));
    shown.push({href: item.href, text: doc.body.innerText.trim().length,
                images: [...doc.images].map(i => i.naturalWidth)});
  }
  const pages = (pageList.pageList || []).map(p => [p.page, p.href]);
  let landed = null;
  if (pages.length) {
    await rendition.display(pages[pages.length - 1][1]);
    landed = rendition.currentLocation().start.href;
  }
  return {toc: navigation.toc.map(t => t.label.trim()), pages, shown, landed};
};
</script></body></html>
"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is needed: apt-get install chromium (make test installs it as root)")
    with playwright.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield instance
        instance.close()


def _served(folder: Path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.mark.parametrize("book,variant", [("sample", 0), ("sample", 1), ("features", 0), ("features-en", 1)])
def test_epubjs_renders_every_spine_item_the_contents_and_the_page_list(outputs, browser, book, variant, tmp_path):
    for script in ("epubjs/dist/epub.min.js", "jszip/dist/jszip.min.js"):
        shutil.copy(ROOT / "node_modules" / script, tmp_path)
    shutil.copy(outputs[book][variant], tmp_path / "book.epub")
    (tmp_path / "index.html").write_text(_HARNESS, encoding="utf-8")
    server = _served(tmp_path)
    try:
        page = browser.new_page(viewport={"width": 360, "height": 640})
        page.goto(f"http://127.0.0.1:{server.server_address[1]}/index.html")
        result = page.evaluate("window.readBook()")
        page.close()
    finally:
        server.shutdown()
    with zipfile.ZipFile(outputs[book][variant]) as archive:
        opf = archive.read("EPUB/package.opf").decode()
    spine_count = opf.count("<itemref ")
    assert len(result["shown"]) == spine_count
    for item in result["shown"]:
        assert item["text"] > 0 or item["images"], item  # every document shows something
        assert all(width > 0 for width in item["images"]), item  # every picture loaded
    assert result["toc"] and result["pages"]
    if book == "sample":
        assert result["toc"] == ["前言", "序章"]
        assert [str(label) for label, _ in result["pages"]] == ["1", "2", "3", "8"]
        assert result["landed"].endswith("04-prologue.xhtml")  # a page-list entry leads to its page


# --- phone-size screenshots ----------------------------------------------------------------


def test_the_cover_contents_and_a_chapter_at_phone_size(outputs, browser, tmp_path):
    """The EPUB's own documents, as a reading system lays them out at 360 px: the cover
    fits the screen whole, nothing is wider than the screen."""
    with zipfile.ZipFile(outputs["sample"][0]) as archive:
        archive.extractall(tmp_path / "sample")
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 360, "height": 640}, device_scale_factor=2)
    for name, shot in (
        ("cover.xhtml", "epub-cover-360"),
        ("nav.xhtml", "epub-contents-360"),
        ("04-prologue.xhtml", "epub-chapter-360"),
    ):
        page.goto((tmp_path / "sample" / "EPUB" / name).as_uri())
        page.evaluate("document.fonts.ready")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, name
        page.screenshot(path=str(ARTIFACTS / f"{shot}.png"))
    page.goto((tmp_path / "sample" / "EPUB" / "cover.xhtml").as_uri())
    box = page.evaluate("""() => { const i = document.querySelector('img');
        const r = i.getBoundingClientRect();
        return {left: r.left, top: r.top, right: r.right, bottom: r.bottom, loaded: i.naturalWidth,
                scroll: document.documentElement.scrollHeight}; }""")
    assert box["loaded"] == 1600 and box["left"] >= 0 and box["top"] >= 0
    assert box["right"] <= 360 and box["bottom"] <= 640 and box["scroll"] <= 640
    page.close()


def test_a_wide_picture_fits_a_phone_in_both_outputs(browser, tmp_path):
    """The newcomer review's F3: a picture wider than the screen in a paragraph of its own
    overflowed a 360 px screen by its paragraph indent."""
    root = tmp_path / "book"
    shutil.copytree(ROOT / "book", root / "book")
    shutil.copy(ROOT / "metadata.yaml", root / "metadata.yaml")
    (root / "book" / "images").mkdir()
    Image.new("RGB", (1400, 500), (30, 90, 160)).save(root / "book" / "images" / "wide.png")
    preface = root / "book" / "03-preface.md"
    preface.write_text(preface.read_text("utf-8") + "\n![一张宽图](images/wide.png)\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["build", "--root", str(root), "--out", str(out), "-q"]) == 0
    [epub] = out.glob("*.epub")
    with zipfile.ZipFile(epub) as archive:
        archive.extractall(tmp_path / "epub")
    page = browser.new_page(viewport={"width": 360, "height": 640})
    for url in (
        (tmp_path / "epub" / "EPUB" / "03-preface.xhtml").as_uri(),
        (out / "html" / "03-preface.html").as_uri(),
    ):
        page.goto(url)
        found = page.evaluate("""() => { const i = document.querySelector('img[src$="wide.png"]');
            const r = i.getBoundingClientRect();
            return {scroll: document.documentElement.scrollWidth, left: r.left, right: r.right,
                    indent: getComputedStyle(i.parentElement).textIndent}; }""")
        assert found["scroll"] <= 360 and found["left"] >= 0 and found["right"] <= 360, (url, found)
        assert found["indent"] == "0px", url
    page.close()


def test_typography_follows_the_language(outputs, browser, tmp_path):
    """A Latin book: serif text, hyphenation, italic emphasis, no indent after a heading.
    A Chinese book: emphasis dots under Han emphasis only, 2em indent everywhere."""
    for book in ("features-en", "features"):
        with zipfile.ZipFile(outputs[book][0]) as archive:
            archive.extractall(tmp_path / book)
    page = browser.new_page(viewport={"width": 360, "height": 640})
    style = """([selector, prop]) => { const e = document.querySelector(selector);
        return e ? getComputedStyle(e)[prop] : null; }"""
    page.goto((tmp_path / "features-en" / "EPUB" / "02-chapter-1.xhtml").as_uri())
    english = {
        key: page.evaluate(style, [selector, prop])
        for key, selector, prop in (
            ("family", "p", "fontFamily"),
            ("hyphens", "section > p", "hyphens"),
            ("after_heading", "h2 + p", "textIndent"),
            ("indent", "p + p", "textIndent"),
        )
    }
    page.goto((tmp_path / "features-en" / "EPUB" / "01-preface.xhtml").as_uri())
    english["em"] = page.evaluate(style, ["em", "fontStyle"])
    english["dots"] = page.evaluate(style, ["em", "textEmphasisStyle"])
    english["url"] = page.evaluate(style, ["a.url", "wordBreak"])
    assert english["family"].startswith('"Iowan Old Style"')
    assert english["hyphens"] == "auto" and english["after_heading"] == "0px" and english["indent"] == "16px"
    assert (english["em"], english["dots"], english["url"]) == ("italic", "none", "break-all")
    page.goto((tmp_path / "features" / "EPUB" / "03-chapter-1.xhtml").as_uri())
    assert page.evaluate(style, ["em", "textEmphasisStyle"]) == "circle"
    assert page.evaluate(style, ["em", "fontStyle"]) == "normal"
    assert page.evaluate(style, ["h2 + p", "textIndent"]) == "32px"
    page.close()
