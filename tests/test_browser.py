"""The HTML edition in a real browser: Debian's Chromium driven by Playwright (never a
downloaded browser), axe-core for accessibility, screenshots in tests/artifacts/."""

import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT

from bookbuild.cli import main

pytestmark = pytest.mark.slow  # Java (EPUBCheck, the Nu checker) or a browser: not in `make test-fast`

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = Path(__file__).parent / "artifacts"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-sync",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(
            "Debian's chromium is needed for the browser tests: apt-get install chromium "
            "(make test installs it when run as root)"
        )
    with playwright.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("browser")
    assert main(["build", "--root", str(ROOT), "--out", str(out), "--to", "html"]) == 0
    return out / "html"


def _url(site: Path, name: str) -> str:
    return (site / name).as_uri()


def _in_viewport(page, selector: str) -> bool:
    return page.evaluate(f"""() => {{
        const r = document.querySelector({selector!r}).getBoundingClientRect();
        return r.top >= -1 && r.top < window.innerHeight; }}""")


def test_reader_follows_contents_page_link_and_goto_box(browser, site):
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    page.goto(_url(site, "index.html"))
    assert page.locator("h1").first.inner_text() == "互联网+"
    page.get_by_role("link", name="“互联网+”：连接普惠经济").first.click()
    assert page.url.endswith(
        "03-preface.html#%E4%BA%92%E8%81%94%E7%BD%91%E8%BF%9E%E6%8E%A5%E6%99%AE%E6%83%A0%E7%BB%8F%E6%B5%8E"
    )
    assert page.locator("main h1").inner_text() == "“互联网+”：连接普惠经济"
    assert page.locator(".byline .author").inner_text() == "马化腾"

    page.locator("a.pagenum", has_text="2").click()
    assert page.url.endswith("#page-2")
    assert _in_viewport(page, "#page-2")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "browser-page-2.png"))

    page.fill("#goto-page", "8")
    page.press("#goto-page", "Enter")
    page.wait_for_url("**/04-prologue.html#page-8")
    # the interpuncts are held by word joiners (render.typeset), which a reader does not see
    assert page.locator("main h1").inner_text() == "跨界\u2060·\u2060融合\u2060·\u2060连接一切"
    assert _in_viewport(page, "#page-8")

    page.fill("#goto-page", "999")
    page.press("#goto-page", "Enter")
    assert page.locator(".goto-status").inner_text() == "没有第 999 页"
    assert page.url.endswith("#page-8")
    page.screenshot(path=str(ARTIFACTS / "browser-goto.png"))
    page.close()


def test_goto_without_javascript_lands_on_the_pages_index(browser, site):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(_url(site, "03-preface.html"))
    page.fill("#goto-page", "8")
    page.press("#goto-page", "Enter")
    page.wait_for_url("**/pages.html?page=8")
    page.get_by_role("link", name="8", exact=True).click()
    assert page.url.endswith("04-prologue.html#page-8")
    context.close()


def test_keyboard_phone_and_dark_mode(browser, site):
    page = browser.new_page(viewport={"width": 360, "height": 740})
    page.goto(_url(site, "03-preface.html"))
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    assert page.evaluate("document.activeElement.getBoundingClientRect().left >= 0")
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(ARTIFACTS / "browser-phone.png"))
    light = page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
    page.emulate_media(color_scheme="dark")
    dark = page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
    assert light != dark
    page.close()


@pytest.mark.parametrize("name", ["index.html", "03-preface.html", "copyright.html", "pages.html", "book.html"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_serious_violations(browser, site, name, scheme):
    page = browser.new_page(color_scheme=scheme)
    page.goto(_url(site, name))
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document)")
    serious = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in result["violations"]
        if v["impact"] in ("critical", "serious")
    ]
    assert serious == []
    page.close()


@pytest.mark.parametrize(
    "book,names",
    [
        ("features", ("03-chapter-1.html", "04-chapter-2.html", "book.html")),
        ("features-en", ("02-chapter-1.html", "book.html")),
    ],
)
def test_axe_on_the_features_books(browser, tmp_path, book, names):
    assert main(["build", "--root", str(FIXTURES / "books" / book), "--out", str(tmp_path), "--to", "html"]) == 0
    page = browser.new_page()
    for name in names:
        page.goto((tmp_path / "html" / name).as_uri())
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("async () => await axe.run(document)")
        assert [v["id"] for v in result["violations"] if v["impact"] in ("critical", "serious")] == []
    page.close()


def test_math_renders_as_mathml_and_code_is_coloured(browser, tmp_path):
    """MathML Core in Chromium: the fraction is laid out (numerator above denominator),
    not shown as TeX; the highlighted code has colours from the stylesheet, light and dark."""
    assert main(["build", "--root", str(FIXTURES / "books" / "features"), "--out", str(tmp_path), "--to", "html"]) == 0
    page = browser.new_page(viewport={"width": 900, "height": 700})
    page.goto((tmp_path / "html" / "04-chapter-2.html").as_uri())
    layout = page.evaluate("""() => {
        const math = document.querySelector('math[display="block"]');
        const [top, bottom] = math.querySelector('mfrac').children;
        return {tag: math.namespaceURI, shown: math.getBoundingClientRect().height,
                stacked: top.getBoundingClientRect().bottom <= bottom.getBoundingClientRect().top + 1,
                tex: document.body.innerText.includes('\\\\frac')}; }""")
    assert layout == {
        "tag": "http://www.w3.org/1998/Math/MathML",
        "shown": layout["shown"],
        "stacked": True,
        "tex": False,
    }
    assert layout["shown"] > 20
    page.locator('math[display="block"]').scroll_into_view_if_needed()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "math-and-code.png"))
    colours = {}
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        page.goto((tmp_path / "html" / "03-chapter-1.html").as_uri())
        colours[scheme] = page.evaluate("() => getComputedStyle(document.querySelector('pre.highlight .hl-k')).color")
    assert colours["light"] != colours["dark"] and "rgb(0, 0, 0)" not in colours.values()
    page.close()


def test_a_footnote_opens_in_place_and_closes_again(browser, tmp_path):
    assert main(["build", "--root", str(FIXTURES / "books" / "features"), "--out", str(tmp_path), "--to", "html"]) == 0
    page = browser.new_page(viewport={"width": 900, "height": 700})
    url = (tmp_path / "html" / "04-chapter-2.html").as_uri()
    page.goto(url)
    ref = page.locator("a.footnote-ref").first
    ref.click()
    box = page.locator(".note-inline")
    assert box.is_visible() and "第二章的脚注" in box.inner_text() and "↩" not in box.inner_text()
    assert page.url == url and ref.get_attribute("aria-expanded") == "true"  # stayed where the reader is
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "footnote-in-place.png"))
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document)")
    assert [v["id"] for v in result["violations"] if v["impact"] in ("critical", "serious")] == []
    page.keyboard.press("Escape")
    assert page.locator(".note-inline").count() == 0 and ref.get_attribute("aria-expanded") == "false"
    ref.focus()
    page.keyboard.press("Enter")  # the keyboard opens it too
    assert page.locator(".note-inline").count() == 1
    page.close()
