"""The README's commands in a fresh interpreter, as a user runs them (in-process tests
share imports and can hide import-order bugs)."""

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT


def run(*args, cwd=ROOT):
    return subprocess.run(
        [sys.executable, str(ROOT / "build.py"), *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def test_build_with_no_arguments_builds_both_outputs(sample_root):
    result = run(cwd=sample_root)  # `python build.py` alone, in the book's folder
    assert result.returncode == 0, result.stderr
    dist = sample_root / "dist"
    assert (dist / "9787508651781.epub").is_file() and (dist / "html" / "index.html").is_file()


@pytest.mark.slow
def test_each_command_starts_in_a_fresh_interpreter(tmp_path):
    for args in (["--version"], ["ingest", "--help"], ["build", "--help"], ["check", "--help"]):
        result = run(*args)
        assert result.returncode == 0, (args, result.stderr)
    result = run("ingest", str(ROOT / "source" / "internet-plus.raw.md"), "--out", str(tmp_path))
    assert result.returncode == 0 and "matched in the body: 2" in result.stdout, result.stderr


def test_console_script_is_installed():
    bookbuild = Path(sys.executable).parent / "bookbuild"  # next to the interpreter pip used
    assert bookbuild.exists(), "the bookbuild console script is not installed"
    result = subprocess.run([str(bookbuild), "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.startswith("bookbuild ")


def test_usage_error_exits_2():
    result = run("build", "--to", "pdf")
    assert result.returncode == 2 and "invalid choice" in result.stderr


class _Terminal:
    def __init__(self, tty: bool):
        self.tty, self.text = tty, ""

    def isatty(self):
        return self.tty

    def write(self, text):
        self.text += text

    def flush(self):
        pass


def test_progress_bar_on_a_terminal_only(monkeypatch):
    from bookbuild.progress import Reporter

    monkeypatch.delenv("CI", raising=False)
    terminal = _Terminal(tty=True)
    reporter = Reporter(terminal)
    reporter("parse", 5, 10)
    reporter.close()
    assert "parse   [###############...............] 5/10" in terminal.text
    pipe = _Terminal(tty=False)
    Reporter(pipe)("parse", 5, 10)
    assert pipe.text == ""
    monkeypatch.setenv("CI", "true")
    ci = _Terminal(tty=True)
    Reporter(ci)("parse", 5, 10)
    assert ci.text == ""


def test_verbose_and_quiet(monkeypatch):
    from bookbuild.progress import Reporter

    monkeypatch.delenv("CI", raising=False)
    verbose = _Terminal(tty=False)
    reporter = Reporter(verbose, verbose=True)
    reporter("parse", 1, 1)
    reporter("render", 1, 1)
    reporter.close()
    assert [line.split(":")[0] for line in verbose.text.splitlines()] == ["parse", "render", "total"]
    quiet = _Terminal(tty=True)
    reporter = Reporter(quiet, verbose=True, quiet=True)
    reporter("parse", 1, 1)
    reporter.close()
    assert quiet.text == ""


def test_each_stage_is_reported_begun_before_its_first_task_ends(tmp_path):
    """--verbose times a stage from its first report: a stage first reported with a
    finished task would have the wait for it (workers forking, the first units) counted
    to the stage before."""
    from conftest import write_book

    from bookbuild.pipeline import build

    chapters = {f"{n:02d}-c.md": f"---\ntitle: 第{n}章\nkind: chapter\n---\n\n正文。\n" for n in range(1, 13)}
    calls: list[tuple[str, int, int]] = []
    build(
        write_book(tmp_path / "book", chapters), tmp_path / "out", progress=lambda *call: calls.append(call), workers=2
    )
    first: dict[str, int] = {}
    for stage, done, _ in calls:
        first.setdefault(stage, done)
    assert first["parse"] == 0 and first["render"] == 0


def test_build_reports_up_to_date(tmp_path):
    assert run("build", "--out", str(tmp_path)).returncode == 0
    second = run("build", "--out", str(tmp_path))
    assert second.returncode == 0 and "up to date, nothing written" in second.stdout
    assert run("build", "--out", str(tmp_path), "-q").stdout == ""


def test_an_unwritable_output_is_a_message_not_a_traceback(sample_root, tmp_path):
    blocked = tmp_path / "out"
    blocked.write_text("a file where the output folder should be")
    result = run("build", "--out", str(blocked), cwd=sample_root)
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr and str(blocked) in result.stderr
    assert blocked.read_text() == "a file where the output folder should be"


def test_ingest_into_an_unwritable_place_is_a_message_not_a_traceback(tmp_path):
    blocked = tmp_path / "out"
    blocked.write_text("a file where the book folder should go")
    result = run("ingest", str(ROOT / "source" / "internet-plus.raw.md"), "--out", str(blocked))
    assert result.returncode == 3 and "Traceback" not in result.stderr, result.stderr
    assert str(blocked) in result.stderr


def test_system_deps_sees_the_font_every_time_however_much_fc_list_prints(tmp_path):
    """fc-list | grep -q under pipefail failed at random (grep stops at its first match,
    fc-list dies of SIGPIPE): the font then looked missing and CI tried to install it."""
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "fc-list").write_text(
        "#!/bin/sh\necho '/usr/share/fonts/x.ttc: Noto Serif CJK SC:style=Regular'\nseq 1 200000\n"
    )
    for tool in ("java", "npm", "ebook-convert"):
        (fake / tool).write_text("#!/bin/sh\nexit 0\n")
    (fake / "id").write_text("#!/bin/sh\necho 1000\n")  # as a user: a miss is reported, not installed
    (fake / "apt-get").write_text("#!/bin/sh\nexit 1\n")
    for path in fake.iterdir():
        path.chmod(0o755)
    env = {"PATH": f"{fake}:/usr/bin:/bin"}
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("chromium is not installed here, so the script would want to install it")
    for _ in range(10):
        result = subprocess.run(
            ["bash", str(ROOT / "scripts" / "system-deps.sh")], env=env, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0 and not result.stderr, result.stderr
