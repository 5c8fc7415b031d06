"""Search in the HTML edition, driven in Debian's Chromium from file:// with no network:
the box on every page, the search page's live results, keyboard use, axe, dark mode,
a phone's width, more results on demand (issue 17)."""

import pytest
from conftest import ROOT, write_book
from test_browser import (  # noqa: F401 (the browser settings)
    ARTIFACTS,
    AXE,
    browser,  # noqa: F401 (a fixture)
)
from test_search import unit

from bookbuild.cli import main

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("search")
    assert main(["build", "--root", str(ROOT), "--out", str(out), "--to", "html", "--quiet"]) == 0
    return out / "html"


def _offline_page(browser, **settings):  # noqa: F811
    context = browser.new_context(offline=True, **settings)
    page = context.new_page()
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    return context, page, requests


def _serious(page) -> list:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document)")
    return [
        (v["id"], [n["target"] for n in v["nodes"]][:3])
        for v in result["violations"]
        if v["impact"] in ("critical", "serious")
    ]


def test_the_box_on_a_page_finds_chinese_and_links_the_print_page(browser, site):  # noqa: F811
    context, page, requests = _offline_page(browser, viewport={"width": 1200, "height": 900})
    page.goto((site / "04-prologue.html").as_uri())
    page.fill("#search-box", "互联网")
    page.press("#search-box", "Enter")
    page.wait_for_url("**/search.html?q=*")
    page.wait_for_selector(".search-results > li")
    page.wait_for_function("() => window.BOOKBUILD_SEARCH.timing")
    assert page.input_value("#search-query") == "互联网"
    titles = page.locator(".search-results h2").all_inner_texts()
    assert "“互联网+”：连接普惠经济" in titles
    marks = set(page.locator(".search-results mark").all_inner_texts())
    assert marks == {"互联网"}
    status = page.locator(".search-status").inner_text()
    assert status.startswith(f"{len(titles)} 篇中找到")
    preface = page.locator(".search-results > li", has_text="连接普惠经济").first
    first_page = preface.locator("a.hit-page").first
    assert first_page.inner_text() == "第 1 页"
    first_page.click()
    page.wait_for_url("**/03-preface.html#page-1")
    ARTIFACTS.mkdir(exist_ok=True)
    assert all(url.startswith("file:") for url in requests)  # the index is scripts beside the page
    context.close()


def test_live_results_by_keyboard_phone_dark_and_axe(browser, site):  # noqa: F811
    context, page, requests = _offline_page(browser, viewport={"width": 360, "height": 740}, color_scheme="dark")
    page.goto((site / "search.html").as_uri())
    page.wait_for_function("() => document.querySelector('.search-status').textContent === ''")
    page.focus("#search-query")
    page.keyboard.type("吉布森")  # no Enter: results come as one types
    page.wait_for_selector(".search-results mark")
    assert page.locator(".search-results mark").first.inner_text() == "吉布森"
    hit = page.locator(".search-results .hit").first.inner_text()
    assert "William Gibson" in hit and hit.endswith("第 8 页")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert _serious(page) == []
    page.screenshot(path=str(ARTIFACTS / "search-phone-dark.png"), full_page=True)
    # Tab from the box: the button, then the first result's title
    page.focus("#search-query")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('h2') !== null")
    page.keyboard.press("Enter")
    page.wait_for_url("**/04-prologue.html#*")
    assert all(url.startswith("file:") for url in requests)
    context.close()


def test_light_mode_axe_and_nothing_found(browser, site):  # noqa: F811
    context, page, _ = _offline_page(browser, viewport={"width": 1000, "height": 700})
    page.goto((site / "search.html").as_uri() + "?q=%E5%90%89%E5%B8%83%E6%A3%AE%20william")  # 吉布森 william
    page.wait_for_function("() => window.BOOKBUILD_SEARCH.timing")  # the search is done
    # a mixed query: the unit that holds both, a snippet where both are, both marked
    assert page.locator(".search-results h2").all_inner_texts() == ["跨界·融合·连接一切"]
    assert set(page.locator(".search-results mark").all_inner_texts()) == {"吉布森", "William"}
    assert _serious(page) == []
    page.screenshot(path=str(ARTIFACTS / "search-results.png"), full_page=True)
    page.fill("#search-query", "火星殖民")
    page.press("#search-query", "Enter")
    page.wait_for_function("() => document.querySelector('.search-status').textContent.startsWith('没有找到')")
    assert page.locator(".search-results > li").count() == 0
    context.close()


def test_more_results_on_demand(browser, tmp_path):  # noqa: F811
    units = {f"{n:02d}-c.md": unit(f"第{n}章", f"第{n}章的正文提到同一个词：连接。") for n in range(1, 26)}
    book = write_book(tmp_path / "book", units)
    assert main(["build", "--root", str(book), "--out", str(tmp_path / "out"), "--to", "html", "--quiet"]) == 0
    context, page, _ = _offline_page(browser)
    page.goto((tmp_path / "out" / "html" / "search.html").as_uri() + "?q=%E8%BF%9E%E6%8E%A5")
    page.wait_for_selector(".search-more")
    assert page.locator(".search-results > li").count() == 20
    page.click(".search-more")
    page.wait_for_function("() => document.querySelectorAll('.search-results > li').length === 25")
    assert page.locator(".search-more").count() == 0
    context.close()
