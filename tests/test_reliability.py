"""The reliability review's findings (../shared/reviews/reliability.md), one test each where
tests/fixtures/broken/ (run by test_bad_input.py and test_check.py) cannot hold the case:
nothing from the book runs, nothing outside it is read, nothing is lost silently, bad
input gets a coded message and an exit status, never a traceback or a hang."""

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from build_helpers import outputs
from conftest import ROOT, write_book

from bookbuild.book import parse as parse_module
from bookbuild.cli import main
from bookbuild.validators import vnu_jar

GOOD = "---\ntitle: 第一章\nkind: chapter\npage: 1\n---\n\n正文。\n"


def build(root: Path, out: Path | None = None, quiet: bool = True) -> int:
    return main(["build", "--root", str(root), "--out", str(out or root / "dist")] + ["-q"] * quiet)


# --- nothing from the book runs --------------------------------------------------------


def _plant_jar(folder: Path) -> Path:
    jar = folder / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
    jar.parent.mkdir(parents=True)
    jar.write_bytes(b"not a jar: had check run it, java would have failed")
    return jar


@pytest.mark.slow
def test_check_never_runs_a_validator_from_the_book_or_above_it(tmp_path, capsys):
    root = write_book(tmp_path / "shared" / "book-repo", {"01-a.md": GOOD})
    planted = [_plant_jar(root), _plant_jar(tmp_path / "shared"), _plant_jar(tmp_path)]
    assert vnu_jar() not in planted and vnu_jar().is_relative_to(ROOT)
    assert main(["check", "--root", str(root)]) == 0, capsys.readouterr()
    assert "0 error(s)" in capsys.readouterr().out


@pytest.mark.slow
def test_check_runs_the_jar_named_on_the_command_line(tmp_path, capsys):
    root = write_book(tmp_path / "book", {"01-a.md": GOOD})
    jar = _plant_jar(tmp_path / "elsewhere")
    assert main(["check", "--root", str(root), "--vnu-jar", str(jar)]) == 2
    assert "Nu HTML checker did not run" in capsys.readouterr().err
    assert main(["check", "--root", str(root), "--vnu-jar", str(tmp_path / "none.jar")]) == 2


# --- nothing outside the book is read ---------------------------------------------------


@pytest.mark.parametrize("link", ["styles/leak.css", "metadata.yaml", "book/02-leak.md", "book"])
def test_files_linked_from_outside_the_book_are_refused(tmp_path, capsys, link):
    outside = tmp_path / "outside"
    write_book(outside, {"02-leak.md": "---\ntitle: 泄露\nkind: chapter\n---\n\nSECRET-TOKEN\n"})
    (outside / "leak.css").write_text("p { color: red } /* SECRET-TOKEN */\n")
    root = write_book(tmp_path / "book", {"01-a.md": GOOD})
    (root / "styles").mkdir()
    target = {
        "styles/leak.css": outside / "leak.css",
        "metadata.yaml": outside / "metadata.yaml",
        "book/02-leak.md": outside / "book" / "02-leak.md",
        "book": outside / "book",
    }[link]
    if (root / link).is_dir():
        shutil.rmtree(root / link)
    else:
        (root / link).unlink(missing_ok=True)
    (root / link).symlink_to(target)
    assert build(root) == 1
    err = capsys.readouterr().err
    assert " S018 " in err and "outside the book folder" in err and "Traceback" not in err
    assert outputs(root / "dist") == {}


def test_an_edit_that_links_a_unit_out_of_the_book_is_refused_by_a_rebuild(tmp_path, capsys):
    root = write_book(tmp_path / "book", {"01-a.md": GOOD, "02-b.md": GOOD.replace("page: 1\n", "")})
    assert build(root) == 0
    (tmp_path / "leak.md").write_text(GOOD.replace("正文", "SECRET-TOKEN").replace("page: 1\n", ""))
    (root / "book" / "02-b.md").unlink()
    (root / "book" / "02-b.md").symlink_to(tmp_path / "leak.md")
    assert build(root) == 1 and " S018 " in capsys.readouterr().err


# --- nothing is lost silently -------------------------------------------------------------


def test_suppress_silences_warnings_only_and_names_what_it_cannot(tmp_path, capsys):
    root = write_book(tmp_path / "book", {"01-a.md": GOOD + "\n![](a.png)\n"})
    shutil.copy(ROOT / "tests" / "fixtures" / "broken" / "srcset-remote" / "book" / "a.png", root / "book")
    with (root / "metadata.yaml").open("a") as meta:
        meta.write("suppress: [S008, S005, S999]\n")
    assert build(root, quiet=False) == 0
    err = capsys.readouterr().err
    assert "S008" not in err  # the missing alt text, silenced
    assert "M009 (warning) `suppress:` names S005, an error" in err
    assert "M009 (warning) `suppress:` names S999, which is not a diagnostic code" in err


def test_a_documented_unquoted_timestamp_is_read_as_one(tmp_path):
    root = write_book(tmp_path / "book", {"01-a.md": GOOD})
    with (root / "metadata.yaml").open("a") as meta:
        meta.write("modified: 2015-07-01T08:00:00+08:00\n")
    assert build(root) == 0
    with zipfile.ZipFile(next((root / "dist").glob("*.epub"))) as epub:
        assert b'<meta property="dcterms:modified">2015-07-01T00:00:00Z</meta>' in epub.read("EPUB/package.opf")


@pytest.mark.parametrize("value", ["2200-01-01T00:00:00Z", "'2015-07-01 25:00'", "[2015]"])
def test_a_timestamp_that_cannot_be_used_is_an_error(tmp_path, capsys, value):
    root = write_book(tmp_path / "book", {"01-a.md": GOOD})
    with (root / "metadata.yaml").open("a") as meta:
        meta.write(f"modified: {value}\n")
    assert build(root) == 1
    assert "metadata.yaml:9: M005 `modified` must" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["abc", "1e9", "-1", " 1700000000", "5000000000"])
def test_a_malformed_source_date_epoch_is_a_usage_error(tmp_path, capsys, monkeypatch, value):
    root = write_book(tmp_path / "book", {"01-a.md": GOOD})
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    assert build(root) == 2
    assert "SOURCE_DATE_EPOCH" in capsys.readouterr().err and not (root / "dist").exists()


def test_source_date_epoch_at_both_ends_of_the_zip_range(tmp_path, monkeypatch):
    root = write_book(tmp_path / "book", {"01-a.md": GOOD})
    for value, year in (("0", 1980), ("4354819199", 2107)):
        monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
        assert build(root, tmp_path / value) == 0
        with zipfile.ZipFile(next((tmp_path / value).glob("*.epub"))) as epub:
            assert epub.infolist()[0].date_time[0] == year


# --- no hang ------------------------------------------------------------------------------


def test_markdown_that_would_take_hours_is_stopped_with_a_diagnostic(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(parse_module, "MARKDOWN_SECONDS", 1.0)
    root = write_book(
        tmp_path / "book",
        {"01-a.md": GOOD, "02-b.md": GOOD.replace("page: 1\n", "") + "\n" + "[" * 50_000 + "x" + "]" * 50_000 + "\n"},
    )
    assert build(root) == 1
    err = capsys.readouterr().err
    assert "book/02-b.md:5: S020 converting this unit's Markdown took over 1 s" in err
    # not cached: on a faster machine, or with a longer limit, the same text may convert
    monkeypatch.setattr(parse_module, "MARKDOWN_SECONDS", 1.5)
    assert build(root) == 1 and "took over 1.5 s" in capsys.readouterr().err


# --- ingest ---------------------------------------------------------------------------------


def run_cli(*args, cwd=ROOT):
    return subprocess.run(
        [sys.executable, str(ROOT / "build.py"), *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def test_ingest_reads_utf16_when_told(tmp_path):
    source = tmp_path / "book.txt"
    source.write_bytes((ROOT / "source" / "internet-plus.raw.md").read_text("utf-8").encode("utf-16"))
    result = run_cli("ingest", str(source), "--out", str(tmp_path / "out"), "--encoding", "utf-16")
    assert result.returncode == 0, result.stderr
    assert "互联网+" in (tmp_path / "out" / "metadata.yaml").read_text("utf-8")
    result = run_cli("ingest", str(source), "--out", str(tmp_path / "auto"))
    assert result.returncode == 1 and "--encoding (utf-16?)" in result.stderr


def test_ingest_with_a_report_it_cannot_write_writes_nothing(tmp_path):
    (tmp_path / "report").mkdir()
    result = run_cli(
        "ingest",
        str(ROOT / "source" / "internet-plus.raw.md"),
        "--out",
        str(tmp_path / "out"),
        "--report",
        str(tmp_path / "report"),
    )
    assert result.returncode == 3 and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_ingest_keeps_characters_xml_cannot_carry_visible_and_the_result_builds(tmp_path):
    source = tmp_path / "s.txt"
    source.write_bytes(("目录\n\ufffe第一章\n\x05\n第一章\n正文\x01。\n" + "更多的正文。" * 50).encode("utf-8"))
    result = run_cli("ingest", str(source), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert "s.txt:2: S021 (warning) U+FFFE cannot be carried" in result.stderr
    assert "s.txt:5: S021 (warning) U+0001" in result.stderr
    written = "".join(p.read_text("utf-8") for p in (tmp_path / "out" / "book").glob("*.md"))
    assert "正文\ufffd。" in written
    result = run_cli("build", "--root", str(tmp_path / "out"), "-q")
    assert result.returncode == 0, result.stderr


def test_a_failed_build_leaves_the_outputs_as_they_were(tmp_path):
    root = write_book(tmp_path / "book", {"01-a.md": GOOD})
    assert build(root) == 0
    before = outputs(root / "dist")
    (root / "book" / "01-a.md").write_bytes(GOOD.encode() + b"\xff\n")
    assert build(root) == 1
    assert outputs(root / "dist") == before
    os.utime(root / "book" / "01-a.md")


# --- the cache and the last outputs can be damaged without harm -------------------------


def _chapters(count: int = 12) -> dict[str, str]:
    return {
        f"{n:02d}-ch.md": f"---\ntitle: 第{n}章\nkind: chapter\n"
        + (f"page: {n}\n" if n == 1 else "")
        + "---\n\n"
        + "的确是这样的目的。" * 40
        + f"\n\n## 第{n}节\n\n"
        + "他的书。" * 30
        + "\n"
        for n in range(1, count + 1)
    }


def _same_as_a_clean_build(root: Path, out: Path, tmp_path: Path) -> None:
    clean = tmp_path / "clean"
    shutil.rmtree(clean, ignore_errors=True)
    assert build(root, clean) == 0
    assert outputs(out).keys() == {out / p.relative_to(clean) for p in outputs(clean)}
    for path, data in outputs(clean).items():
        assert outputs(out)[out / path.relative_to(clean)] == data, path


def _edit(root: Path, name: str, old: str, new: str) -> None:
    path = root / name
    path.write_text(path.read_text("utf-8").replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data.replace("的".encode(), "地".encode()),
        lambda data: data[: len(data) // 2],
        lambda data: bytes(b ^ 0x5A for b in data),
        lambda data: b"",
    ],
    ids=["same-length-swap", "truncated", "garbled", "emptied"],
)
def test_a_damaged_cache_never_gives_wrong_outputs_or_a_traceback(tmp_path, damage):
    root = write_book(tmp_path / "book", _chapters())
    out = tmp_path / "out"
    assert build(root, out) == 0
    for pack in (out / ".bookbuild-cache" / "packs").glob("*.pack"):
        pack.write_bytes(damage(pack.read_bytes()))
    assert build(root, out) == 0  # unchanged: nothing to read from the cache
    _edit(root, "book/03-ch.md", "他的书", "她的书")  # a text edit: the quick path
    assert build(root, out) == 0
    _same_as_a_clean_build(root, out, tmp_path)
    _edit(root, "metadata.yaml", "title: 测试之书", "title: 测试之书 第二版")  # everything again
    assert build(root, out) == 0
    _same_as_a_clean_build(root, out, tmp_path)
    assert build(root, out) == 0
    _same_as_a_clean_build(root, out, tmp_path)


def test_a_cache_folder_that_is_a_file_is_replaced(tmp_path):
    root = write_book(tmp_path / "book", _chapters(2))
    out = tmp_path / "out"
    out.mkdir()
    (out / ".bookbuild-cache").write_text("not a folder")
    assert build(root, out) == 0 and build(root, out) == 0
    _same_as_a_clean_build(root, out, tmp_path)


@pytest.mark.parametrize("target", ["epub", "html/book.html", "html/05-ch.html"])
def test_a_damaged_previous_output_of_the_same_size_and_mtime_is_never_copied(tmp_path, target):
    root = write_book(tmp_path / "book", _chapters())
    out = tmp_path / "out"
    assert build(root, out) == 0
    path = next(out.glob("*.epub")) if target == "epub" else out / target
    stat = path.stat()
    data = bytearray(path.read_bytes())
    for i in range(len(data) // 3, len(data) // 3 + 64):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    _edit(root, "book/03-ch.md", "他的书", "她的书")  # a text edit: the quick path would splice
    assert build(root, out) == 0
    if target == "html/05-ch.html":  # a full build (a heading edit) would carry the page over
        _edit(root, "book/03-ch.md", "## 第3节", "## 第三节")
        assert build(root, out) == 0
    with zipfile.ZipFile(next(out.glob("*.epub"))) as epub:
        assert epub.testzip() is None
    _same_as_a_clean_build(root, out, tmp_path)


def test_builds_in_one_process_leave_no_file_open(tmp_path):
    """A long-lived process (a test run, a fuzzer, a watcher) builds many times: each build
    closes the cache packs it opened (the fuzzer ran out of descriptors before)."""

    def open_files() -> int:
        return len(os.listdir("/proc/self/fd"))

    root = write_book(tmp_path / "book", _chapters(3))
    assert build(root) == 0
    before = open_files()
    for n in range(5):
        _edit(root, "book/02-ch.md", "他的书", f"他的书{n}")  # the quick path
        assert build(root) == 0
        _edit(root, "metadata.yaml", "title: 测试之书", f"title: 测试之书{n}")  # the full build
        assert build(root) == 0
    assert open_files() == before
