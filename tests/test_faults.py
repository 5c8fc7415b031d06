"""Faults during a build: kill -9 at each point of the write phase, SIGTERM, the parent
dying under its workers. Every build runs in a process of its own, as a user runs it."""

import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from build_helpers import outputs
from conftest import ROOT, write_book

from bookbuild.fileio import CRASH_ENV, recover

pytestmark = pytest.mark.slow  # builds killed and waited for: not in `make test-fast`


def _chapters(count: int, title: str = "第{n}章") -> dict[str, str]:
    return {
        f"{n:03d}-ch.md": f"---\ntitle: {title.format(n=n)}\nkind: chapter\n"
        + (f"page: {n}\n" if n == 1 else "")
        + "---\n\n"
        + "这是正文，有*强调*和文字。" * 300
        + "\n"
        for n in range(1, count + 1)
    }


def start_build(root: Path, out: Path, **env) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(ROOT / "build.py"), "build", "--root", str(root), "--out", str(out), "-q"],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def visible(out: Path) -> dict[Path, bytes]:
    """The outputs, without staging files and folders (their names start with a dot)."""
    return {p: data for p, data in outputs(out).items() if not p.relative_to(out).parts[0].startswith(".")}


def run_build(root: Path, out: Path, **env) -> subprocess.CompletedProcess:
    process = start_build(root, out, **env)
    stdout, stderr = process.communicate(timeout=300)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def _retitle(root: Path, title: str) -> None:
    meta = root / "metadata.yaml"
    meta.write_text(meta.read_text("utf-8").replace("title: 测试之书", f"title: {title}", 1), encoding="utf-8")


@pytest.mark.parametrize("point", ["before-journal", "journal-written", "renamed-one"])
def test_a_kill_in_the_write_phase_leaves_all_old_or_all_new_and_the_next_build_is_clean(tmp_path, point):
    root = write_book(tmp_path / "book", _chapters(30))
    out = tmp_path / "out"
    assert run_build(root, out).returncode == 0
    old = visible(out)
    _retitle(root, "新书名")  # every output changes
    killed = run_build(root, out, **{CRASH_ENV: point})
    assert killed.returncode == -signal.SIGKILL
    clean = tmp_path / "clean"
    assert run_build(root, clean).returncode == 0
    new = {out / p.relative_to(clean): data for p, data in outputs(clean).items()}
    journal = out / ".bookbuild-cache" / "commit.journal"
    if point == "before-journal":
        assert not journal.exists() and visible(out) == old  # all old; staging left behind
        assert any(p.name.startswith(".html.new.") for p in out.iterdir())
    else:
        assert journal.exists()  # the next build finishes the renames before anything else
    assert run_build(root, out).returncode == 0
    assert outputs(out) == new
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in clean.iterdir())


def test_recovery_alone_makes_the_set_all_new(tmp_path):
    root = write_book(tmp_path / "book", _chapters(30))
    out = tmp_path / "out"
    assert run_build(root, out).returncode == 0
    _retitle(root, "新书名")
    assert run_build(root, out, **{CRASH_ENV: "renamed-one"}).returncode == -signal.SIGKILL

    def titles() -> tuple[bool, bool]:
        [epub] = out.glob("*.epub")
        with zipfile.ZipFile(epub) as archive:
            in_epub = "新书名" in archive.read("EPUB/package.opf").decode("utf-8")
        return in_epub, "新书名" in (out / "html" / "index.html").read_text("utf-8")

    assert titles() == (True, False)  # killed between the two renames
    recover(out / ".bookbuild-cache" / "commit.journal")
    assert titles() == (True, True)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _workers_of(process: subprocess.Popen, count: int = 1) -> list[int]:
    """The build's worker processes (Python ones: not fc-list, which the cover's font
    lookup runs), once it has started `count` of them."""
    workers: list[int] = []
    deadline = time.monotonic() + 60
    while len(workers) < count and time.monotonic() < deadline and process.poll() is None:
        workers = [pid for pid in _children(process.pid) if _is_python(pid)]
        time.sleep(0.02)
    assert len(workers) >= count, "the build never started its workers"
    return workers


def _is_python(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0] == sys.executable.encode()
    except OSError:
        return False


def _gone(pids: list[int], within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        alive = [
            p
            for p in pids
            if Path(f"/proc/{p}").exists()
            and (Path(f"/proc/{p}/stat").read_text().rpartition(")")[2].split()[0] != "Z")
        ]
        if not alive:
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_workers_die_with_the_build(tmp_path, how):
    root = write_book(tmp_path / "book", _chapters(600))
    out = tmp_path / "out"
    process = start_build(root, out)
    workers = _workers_of(process)
    process.send_signal(how)
    _, stderr = process.communicate(timeout=60)  # returns: no worker holds the pipe open
    assert process.returncode in (-how, 128 + how, 143), stderr
    assert _gone(workers), "a worker outlived the build"
    if how == signal.SIGTERM:
        assert "terminated; nothing was written" in stderr
    assert not list(out.glob("*.epub")) and not (out / "html").exists()
    assert run_build(root, out).returncode == 0
    assert sorted(p.name for p in out.iterdir()) == [".bookbuild-cache", "9787508651781.epub", "html"]


def test_a_worker_killed_from_outside_stops_the_build_with_a_message(tmp_path):
    root = write_book(tmp_path / "book", _chapters(600))
    out = tmp_path / "out"
    process = start_build(root, out)
    # two: one may be the process drawing the cover, whose death only means that render
    # draws it (parallel.in_background); the other is then a parse worker
    for worker in _workers_of(process, 2):
        os.kill(worker, signal.SIGKILL)  # as the kernel's out-of-memory killer would
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 2 and "a worker process died" in stderr, stderr
    assert "Traceback" not in stderr
    assert not list(out.glob("*.epub"))
