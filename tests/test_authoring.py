"""Writing and proofing a book (issue 16): `new`, `serve`, `ingest --proof`, and messages
that say the fix. Each message is tested by its text and the exit code."""

import json
import os
import re
import shutil
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT, write_book

from bookbuild.author.serve import PreviewState, rebuild, start_server, watched
from bookbuild.check import typography_lints
from bookbuild.cli import main
from bookbuild.diagnostics import Diagnostic, Severity
from bookbuild.ingest.run import ingest
from bookbuild.pipeline import model

CHAPTER = "---\ntitle: 第一章 开始\nkind: chapter\npage: 1\n---\n\n正文。{{page 2}}续。\n\n## 小结\n\n完。\n"
LINKING = "---\ntitle: 第二章 引用\nkind: chapter\n---\n\n见[小结](01-a.md#小结)和[第 2 页](#page-2)。\n"


def _run(capsys, *args: str) -> tuple[int, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


# --- new -------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["zh-Hans", "en"])
def test_new_book_builds_with_no_finding(tmp_path, capsys, language):
    folder = tmp_path / "mybook"
    code, out = _run(capsys, "new", str(folder), "--language", language)
    assert code == 0 and "bookbuild serve --root" in out
    assert (folder / "styles" / "book.css").is_file() and (folder / "book" / "images" / "figure-1.svg").is_file()
    code, out = _run(capsys, "build", "--root", str(folder))
    assert code == 0, out
    assert " P0" not in out and " X0" not in out and " S0" not in out, out  # no finding at all
    html = folder / "dist" / "html"
    chapter = (html / "03-chapter-1.html").read_text("utf-8")
    # each feature is shown by example: a part, page markers, links across files, a
    # captioned figure linked from the text, a footnote, the book's own styles
    assert 'class="caption-ref"' in chapter and "figure-1-1" in chapter and 'role="doc-noteref"' in chapter
    assert 'id="page-4"' in chapter and "04-chapter-2.html#" in chapter
    assert 'class="note"' in (html / "04-chapter-2.html").read_text("utf-8")
    assert "kind-part" in (html / "02-part-1.html").read_text("utf-8")
    assert (html / "css" / "book-book.css").is_file()
    # what check adds to the build's own findings for a Chinese book: its lints
    assert typography_lints(folder, model(folder)) == []


def test_new_refuses_a_folder_that_is_not_empty(tmp_path, capsys):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine")
    code, out = _run(capsys, "new", str(tmp_path / "taken"))
    assert code == 2 and "already exists and is not an empty folder" in out
    assert (tmp_path / "taken" / "notes.txt").read_text() == "mine"


# --- messages --------------------------------------------------------------------


def test_root_that_does_not_exist_is_a_usage_error(tmp_path, capsys):
    code, out = _run(capsys, "build", "--root", str(tmp_path / "nowhere"))
    assert code == 2 and "no such folder" in out and "bookbuild new DIR" in out


def test_help_shows_examples_and_exit_codes(capsys):
    for command in ([], ["build"], ["check"], ["ingest"], ["new"], ["serve"]):
        with pytest.raises(SystemExit) as exited:
            main([*command, "--help"])
        assert exited.value.code == 0
        out = capsys.readouterr().out
        assert "examples:" in out and "exit codes:" in out and "  2  the command line" in out, command


@pytest.mark.parametrize(
    ("title", "fix"),
    [
        ("title: Chapter 1: The Climb", 'text with a colon in it needs quotes: title: "A: B"'),
        ("title: 一\n\tkind: chapter", "indent with spaces, not tabs"),
    ],
)
def test_yaml_mistakes_say_the_usual_fix(tmp_path, capsys, title, fix):
    root = write_book(tmp_path, {"01-a.md": f"---\n{title}\n---\n\n正文。\n"})
    code, out = _run(capsys, "build", "--root", str(root), "-q")
    assert code == 1 and "book/01-a.md:" in out and fix in out


def test_a_unit_that_cannot_be_read_is_reported_once(tmp_path, capsys):
    """The review's cascade: a broken front matter also gave 'no target' for every link
    into the file (and page references to its pages)."""
    root = write_book(
        tmp_path,
        {
            "01-a.md": CHAPTER.replace("title: 第一章 开始", "title: 第一章: 开始"),
            "02-b.md": LINKING + "\n正文引用第 2 页。\n",
        },
    )
    code, out = _run(capsys, "build", "--root", str(root), "-q")
    assert code == 1
    assert "book/01-a.md:2: S001" in out
    assert "X001" not in out and "P007" not in out, out


def test_links_say_what_they_may_have_meant(tmp_path, capsys):
    wrong = LINKING.replace("01-a.md#小结", "01-a.md#小节") + "\n[一](01-A.md) [二](02-c.md) [三](#XiaoJie)\n"
    root = write_book(tmp_path, {"01-a.md": CHAPTER.replace("## 小结", "## 小结 {#xiaojie}"), "02-b.md": wrong})
    code, out = _run(capsys, "build", "--root", str(root), "-q")
    assert code == 1
    assert "link to 01-a.md#小节 has no target\n" in out  # nothing near enough among that file's ids
    assert "link to 01-A.md has no target; did you mean 01-a.md?" in out
    assert "link to 02-c.md has no target; did you mean 02-b.md?" in out
    assert "link to #XiaoJie has no target; did you mean #xiaojie?" in out


def test_a_heading_id_typo_gets_the_nearest_heading(tmp_path, capsys):
    root = write_book(tmp_path, {"01-a.md": CHAPTER, "02-b.md": LINKING.replace("#小结", "#小节")})
    code, out = _run(capsys, "build", "--root", str(root), "-q")
    assert code == 1 and "link to 01-a.md#小节 has no target; did you mean 01-a.md#小结?" in out


def test_a_missing_image_says_where_it_was_looked_for(tmp_path, capsys):
    root = write_book(tmp_path, {"01-a.md": CHAPTER + "\n![图](images/fig1.png)\n"})
    (root / "images").mkdir()
    shutil.copy(FIXTURES / "books" / "features" / "book" / "images" / "diagram.png", root / "images" / "fig1.png")
    code, out = _run(capsys, "build", "--root", str(root), "-q")
    assert code == 1
    assert (
        "image images/fig1.png does not exist: looked for book/images/fig1.png (image paths are relative to the "
        "book/ folder); there is one at images/fig1.png: move it into book/ (book/images/fig1.png)"
    ) in out
    assert "book/images/" in (ROOT / "README.md").read_text("utf-8")


def test_an_editors_lock_file_is_not_part_of_the_book(tmp_path, capsys):
    """Emacs keeps `.#name` beside a file being edited, a link to nowhere: it used to stop
    the build with exit 3 and a disk error."""
    root = write_book(tmp_path, {"01-a.md": CHAPTER})
    os.symlink("user@host.1234:1700000000", root / "book" / ".#01-a.md")
    (root / "book" / ".01-a.md.swp").write_bytes(b"\0vim")
    (root / "styles").mkdir()
    os.symlink("nowhere", root / "styles" / ".#book.css")
    code, out = _run(capsys, "build", "--root", str(root), "-q")
    assert code == 0, out


def test_a_note_reference_with_no_note_is_reported(tmp_path, capsys):
    text = CHAPTER + "\n正文[^zz]和[^nite]，`[^code]` 与 \\[^esc]。[^note]\n\n[^note]: 注。\n"
    root = write_book(tmp_path, {"01-a.md": text})
    code, out = _run(capsys, "build", "--root", str(root))
    assert code == 0  # a warning: the text stays as written
    assert "book/01-a.md:13: X005 (warning) note reference [^zz] names no note in this file" in out
    assert "did you mean [^note]?" in out and "[^code]" not in out and "[^esc]" not in out


def test_github_annotations_escape_what_the_format_reserves():
    d = Diagnostic("X001", "link to a,b has no target: 100%\nnext", "book/01-a.md", 7)
    assert d.as_github() == "::error file=book/01-a.md,line=7,title=X001::link to a,b has no target: 100%25%0Anext"
    warning = Diagnostic("S008", "no alt", "book/0,1.md", 3, severity=Severity.WARNING)
    assert warning.as_github().startswith("::warning file=book/0%2C1.md,line=3,")


# --- ingest --proof --------------------------------------------------------------


def test_proof_page_of_the_sample_shows_every_decision(tmp_path, capsys):
    proof = tmp_path / "proof.html"
    source = ROOT / "source" / "internet-plus.raw.md"
    code, _ = _run(capsys, "ingest", str(source), "--out", str(tmp_path / "book"), "--proof", str(proof))
    assert code == 0
    page = proof.read_text("utf-8")
    result = ingest(source.read_bytes(), str(source))
    assert page.count('<li class="k-join">') == 3  # two across page breaks, one unfinished sentence
    # each in its row and in the list of joins at the top
    assert page.count("across the page break: {{page 2}}") == 2 and page.count("{{page 3}} between") == 2
    report = result.report.splitlines()
    at = next(i for i, line in enumerate(report) if line.startswith("removed: "))
    removed = []
    for line in report[at + 1 :]:
        if not line.startswith("  line "):
            break
        removed.append(line.split(":", 1)[0].split()[-1])
    assert removed  # every line the report says was removed is a struck-through row
    for number in removed:
        assert re.search(rf'<tr id="L{number}" class="[^"]*\bremoved\b', page), number
    assert page.count("removed: running header") == 2 * 2 and page.count("removed: contents running header") == 3 * 2
    assert "CIP record → metadata.yaml (" in page and "book/03-preface.md" in page
    # every source line is there, with its number
    assert all(f'id="L{n}"' in page for n in range(1, len(result.source_lines) + 1))


# --- serve (the server and the watch filter; the browser test is in test_browser_authoring.py) ---


@pytest.fixture
def served(tmp_path):
    root = write_book(tmp_path / "book", {"01-a.md": CHAPTER})
    (tmp_path / "secret.txt").write_text("outside")
    state = PreviewState()
    out = tmp_path / "book" / "dist"
    ok, _, _ = rebuild(root, out, state)
    assert ok
    server = start_server(out / "html", state, 0)
    yield root, out, state, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""


def test_serve_adds_its_script_and_serves_only_the_site(served):
    root, out, state, base = served
    status, page = _get(f"{base}/01-a.html")
    assert status == 200 and page.count(b'<script src="/__bookbuild/live.js"></script></body>') == 1
    assert b"live.js" not in (out / "html" / "01-a.html").read_bytes()  # the built file is untouched
    assert _get(f"{base}/")[0] == 200
    for path in ("/../secret.txt", "/%2e%2e/%2e%2e/secret.txt", "/..%2f..%2fsecret.txt", "/../metadata.yaml"):
        request = urllib.request.Request(base + path)
        request.selector = path  # as sent, not normalised by the client
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        assert status == 404, path
    os.symlink(root / "metadata.yaml", out / "html" / "linked.yaml")
    assert _get(f"{base}/linked.yaml")[0] == 404


def test_serve_tells_the_page_what_a_broken_save_found_and_recovers(served):
    root, out, state, base = served
    good = json.loads(_get(f"{base}/__bookbuild/state")[1])
    assert good["ok"] and good["generation"] == 1
    (root / "book" / "01-a.md").write_text(CHAPTER.replace("title: 第一章 开始", "title: 第一章: 开始"), "utf-8")
    assert rebuild(root, out, state)[0] is False
    broken = json.loads(_get(f"{base}/__bookbuild/state")[1])
    assert not broken["ok"] and broken["generation"] == 2
    [finding] = broken["diagnostics"]
    assert (finding["file"], finding["line"], finding["code"]) == ("book/01-a.md", 2, "S001")
    assert _get(f"{base}/01-a.html")[0] == 200  # the last good pages stay
    (root / "book" / "01-a.md").write_text(CHAPTER.replace("续。", "续写。"), "utf-8")
    assert rebuild(root, out, state)[0] is True
    mended = json.loads(_get(f"{base}/__bookbuild/state")[1])
    assert mended["ok"] and mended["diagnostics"] == [] and "续写".encode() in _get(f"{base}/01-a.html")[1]


def test_serve_watches_what_the_build_reads_and_nothing_else(tmp_path):
    root = tmp_path
    assert watched(root, None, str(root / "book" / "01-a.md"))
    assert watched(root, None, str(root / "metadata.yaml"))
    assert watched(root, None, str(root / "styles" / "book.css"))
    assert not watched(root, None, str(root / "dist" / "html" / "01-a.html"))  # its own output
    assert not watched(root, None, str(root / "book" / ".#01-a.md"))
    assert not watched(root, None, str(root / "notes.txt"))


def test_serve_rebuilds_on_save(tmp_path):
    """The watcher calls back after a save (watchfiles, inotify)."""
    from bookbuild.author.serve import watch

    root = write_book(tmp_path, {"01-a.md": CHAPTER})
    stop, seen = threading.Event(), []

    def changed(paths):
        seen.append(paths)
        stop.set()

    thread = threading.Thread(target=watch, args=(root, stop, changed), daemon=True)
    thread.start()
    for _ in range(50):
        (root / "book" / "01-a.md").write_text(CHAPTER + "\n改。\n", "utf-8")
        (root / "dist").mkdir(exist_ok=True)
        (root / "dist" / "x.html").write_text("ignored")
        if stop.wait(0.2):
            break
    thread.join(10)
    assert seen and all(Path(p).name == "01-a.md" for p in seen[0])


def test_serve_previews_an_edition(tmp_path):
    from bookbuild.book.editions import edition_from

    root = write_book(tmp_path / "book", {"01-a.md": CHAPTER.replace("正文。", "“连接”正文。")})
    state, edition = PreviewState(), edition_from(["zh-Hant", "vertical"])
    out = tmp_path / "book" / "dist" / edition.name
    assert rebuild(root, out, state, edition)[0]
    server = start_server(out / "html", state, 0)
    try:
        status, page = _get(f"http://127.0.0.1:{server.server_address[1]}/01-a.html")
    finally:
        server.shutdown()
    assert status == 200 and "「連線」正文".encode() in page and b"css/edition-vertical.css" in page
