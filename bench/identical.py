"""Proof that a change left the outputs alone: build and ingest with one checkout of
bookbuild and list a SHA-256 for every file made.

    python bench/identical.py [--checkout DIR] [--work DIR] > after.txt
    git worktree add /tmp/before HEAD~1
    python bench/identical.py --checkout /tmp/before > before.txt
    diff before.txt after.txt    # nothing: the same bytes

It builds the sample book, the features book and the bench's L book (EPUB and HTML, with
a fixed SOURCE_DATE_EPOCH), and ingests the sample's raw text and every source of the
real-extraction corpus (tests/corpus) and builds what ingest made. A refactoring that changes no behaviour changes
no line of the list.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from generate import generate_book  # noqa: E402


def digests(folder: Path) -> list[str]:
    return [
        f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.relative_to(folder)}"
        for path in sorted(folder.rglob("*"))
        if path.is_file() and ".bookbuild-cache" not in path.parts
    ]


def run(checkout: Path, *args: str) -> int:
    env = dict(os.environ, SOURCE_DATE_EPOCH="1700000000")
    return subprocess.run(
        [sys.executable, str(checkout / "build.py"), *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    ).returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkout", type=Path, default=ROOT, help="the bookbuild to run (its build.py)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/bookbuild-identical"))
    args = parser.parse_args()
    work = args.work
    large = work / "L-book"
    if not large.exists():
        generate_book("L", large)
    books = {"sample": ROOT, "features": ROOT / "tests/fixtures/books/features", "L": large}
    lines = []
    for name, book in books.items():
        out = work / "out" / name
        shutil.rmtree(out, ignore_errors=True)
        if run(args.checkout, "build", "--root", str(book), "--out", str(out), "-q"):
            raise SystemExit(f"{name}: the build failed")
        lines += [f"{name}/{line}" for line in digests(out)]
    sources = [ROOT / "source/internet-plus.raw.md"]
    sources += sorted((ROOT / "tests/corpus/sources").iterdir())
    for source in sources:
        out = work / "ingest" / source.name
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        status = run(args.checkout, "ingest", str(source), "--out", str(out / "book"), "--report", str(out / "report"))
        if status == 0:  # and what ingest made builds
            status = run(args.checkout, "build", "--root", str(out / "book"), "--out", str(out / "dist"), "-q")
        lines += [f"ingest/{source.name}: exit {status}"]
        lines += [f"ingest/{source.name}/{line}" for line in digests(out)]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
