"""`serve` and `ingest --proof` in Debian's Chromium, and `check`'s report formats with the
real validators (issue 16)."""

import json
import socket
import subprocess
import sys
import time

import pytest
from conftest import ROOT, write_book
from test_browser import (  # noqa: F401 (the browser settings)
    ARGS,
    ARTIFACTS,
    CHROMIUM,
    browser,  # noqa: F401 (a fixture)
)

from bookbuild.cli import main
from bookbuild.diagnostics import Diagnostic, Severity

pytestmark = pytest.mark.slow

CHAPTER = "---\ntitle: 第一章 开始\nkind: chapter\npage: 1\n---\n\n第一稿的正文。{{page 2}}续。\n"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def serving(tmp_path):
    root = write_book(tmp_path / "book", {"01-a.md": CHAPTER})
    port = _free_port()
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "build.py"), "serve", "--root", str(root), "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    yield root, f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(10)
    log.close()


def _wait_for(page, script: str, seconds: float = 20) -> None:
    page.wait_for_function(script, timeout=seconds * 1000)


def test_serve_reloads_the_page_after_a_save_and_shows_a_broken_one(serving, browser):  # noqa: F811
    root, base = serving
    page = browser.new_page(viewport={"width": 1000, "height": 700})
    page.goto(f"{base}/01-a.html")
    assert "第一稿的正文" in page.inner_text("main")
    page.evaluate("window.__notReloaded = true")
    chapter = root / "book" / "01-a.md"
    time.sleep(0.5)  # the watcher is up once the first build is served
    chapter.write_text(CHAPTER.replace("第一稿", "第二稿"), "utf-8")
    _wait_for(page, "() => document.body.innerText.includes('第二稿的正文')")
    assert page.evaluate("window.__notReloaded") is None  # a reload, not a patch of the page
    # a broken save: the page stays, and says what is wrong and where
    chapter.write_text(CHAPTER.replace("title: 第一章 开始", "title: 第一章: 开始"), "utf-8")
    _wait_for(page, "() => !!document.getElementById('bookbuild-diagnostics')")
    panel = page.inner_text("#bookbuild-diagnostics")
    assert "book/01-a.md:2: S001" in panel and "needs quotes" in panel
    assert "第二稿的正文" in page.inner_text("main")
    page.screenshot(path=str(ARTIFACTS / "serve-broken-save.png"))
    # mended: the panel goes with the reload
    chapter.write_text(CHAPTER.replace("第一稿", "第三稿"), "utf-8")
    _wait_for(page, "() => document.body.innerText.includes('第三稿的正文')")
    _wait_for(page, "() => !document.getElementById('bookbuild-diagnostics')")
    page.close()


def test_proof_page_reads_in_a_browser_offline(tmp_path, browser):  # noqa: F811
    proof = tmp_path / "proof.html"
    source = ROOT / "source" / "internet-plus.raw.md"
    assert main(["ingest", str(source), "--out", str(tmp_path / "book"), "--proof", str(proof)]) == 0
    context = browser.new_context(viewport={"width": 1400, "height": 900}, offline=True)
    page = context.new_page()
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(proof.as_uri())
    assert all(url.startswith("file:") for url in requests)  # nothing fetched from elsewhere
    struck = page.evaluate("() => getComputedStyle(document.querySelector('tr.removed td.text')).textDecorationLine")
    assert struck == "line-through"
    joins = page.locator("td.what li.k-join")
    assert joins.count() == 3
    page.click("summary:has-text('paragraphs joined')")
    page.click("a[href='#L286']")
    assert page.evaluate("() => location.hash") == "#L286"
    assert page.locator("#L286").is_visible()
    page.screenshot(path=str(ARTIFACTS / "ingest-proof.png"))
    rows = "() => [...document.querySelectorAll('tbody tr')].filter(r => r.offsetParent !== null).length"
    every = page.evaluate(rows)
    page.click("label[for='only-decisions']")
    decided = page.evaluate(rows)
    assert decided == page.locator("tbody tr[class]").count() and 0 < decided < every
    context.close()


def test_check_reports_on_sources_and_as_github_annotations(tmp_path, capsys, monkeypatch):
    """`language: english` makes the Nu checker complain about generated pages: they are
    reported on metadata.yaml, never on the deleted temporary folder."""
    from bookbuild import check as check_module

    root = write_book(
        tmp_path,
        {"01-a.md": CHAPTER},
        "title: Book\nlanguage: english\ncreators:\n- name: A\n  role: author\npublisher: P\ndate: 2020\n",
    )
    code = main(["check", "--root", str(root), "--json"])
    findings = json.loads(capsys.readouterr().out)
    assert code == 1 and findings
    assert not any("bookbuild-check-" in (f["file"] or "") + f["message"] for f in findings)
    assert any(f["file"] == "metadata.yaml" and "html/index.html" in f["message"] for f in findings)
    # the same findings as annotations (the validators are not run twice)
    found = [
        Diagnostic(f["code"], f["message"], f["file"], f["line"], severity=Severity(f["severity"])) for f in findings
    ]
    monkeypatch.setattr(check_module, "run_check", lambda *args, **kwargs: found)
    code = main(["check", "--root", str(root), "--format", "github"])
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("::")]
    assert code == 1 and len(lines) == len(findings)
    assert all(line.startswith(("::error ", "::warning ", "::notice ")) for line in lines)
    assert any(line.startswith("::error file=metadata.yaml,") for line in lines)


def test_a_new_book_passes_check_strict_with_no_finding(tmp_path, capsys):
    """The English one with every validator; the Chinese one's own checks (its lints
    included) are in test_authoring.py, and the two books are built alike."""
    folder = tmp_path / "mybook"
    assert main(["new", str(folder), "--language", "en"]) == 0
    capsys.readouterr()
    assert main(["check", "--root", str(folder), "--strict"]) == 0
    assert capsys.readouterr().out.strip().endswith("check: 0 error(s), 0 warning(s), 0 note(s)")
