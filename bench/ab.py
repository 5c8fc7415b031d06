"""Before and after: two versions of bookbuild on the same book, alternated in one run.

    python bench/ab.py BASE [--head REV] [--kinds cold,text,heading,link,page] [--runs 7]
                            [--size L] [--profile realistic] [--work DIR]

BASE and --head are git revisions (--head defaults to the working tree as it is); each
revision other than the working tree is checked out in a temporary worktree. For each
kind the two versions run in turn, run after run, in an order that swaps each time, each
building into its own folder, so both see the same minutes of the machine's load.

It prints each version's median and the median of the paired differences (head - base),
then every run's time. Trust the paired figure: on a shared machine one build's time
varies by a tenth from minute to minute, and a pair shares its minute. For `cold` the
CPU time (user and system, of the build and its workers) is compared too, a second view
of the same runs; on these machines it moved with the load as much as wall time did.

Kinds: `cold`, a clean build (EPUB + HTML), with the peak RSS of its largest process;
`text`, `heading`, `link`, `page`, the rebuild after bench/run.py's edit of that kind
(wall time of the command, start-up included: both versions pay it), each run on another
chapter, the chapter restored and rebuilt after each.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from generate import generate_book  # noqa: E402
from run import EDITS, PY, measure_usage  # noqa: E402


def _checkout(revision: str | None, into: Path) -> Path:
    """The folder holding `revision` (None: the working tree)."""
    if revision is None:
        return ROOT
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(into), revision], check=True)
    return into


def _build(tree: Path, book: Path, out: Path) -> tuple[float, int, float]:
    return measure_usage([PY, str(tree / "build.py"), "build", "--root", str(book), "--out", str(out), "-q"])


class Runs:
    """One kind's figures for each version, in run order: wall seconds, and for `cold`
    CPU seconds and peak MiB."""

    def __init__(self, names: list[str]):
        self.wall: dict[str, list[float]] = {name: [] for name in names}
        self.cpu: dict[str, list[float]] = {name: [] for name in names}
        self.peak: dict[str, list[int]] = {name: [] for name in names}


def compare(trees: dict[str, Path], book: Path, work: Path, kind: str, runs: int) -> Runs:
    """Each version's figures for one kind, the versions alternated."""
    found = Runs(list(trees))
    outs = {name: work / f"out-{name}" for name in trees}
    chapters = sorted((book / "book").glob("*.md"))
    if kind != "cold":
        for name, tree in trees.items():  # the last build of each, to rebuild from
            shutil.rmtree(outs[name], ignore_errors=True)
            _build(tree, book, outs[name])
    for run in range(runs):
        order = list(trees) if run % 2 == 0 else list(reversed(trees))
        for name in order:
            if kind == "cold":
                shutil.rmtree(outs[name], ignore_errors=True)
                wall, peak, seconds = _build(trees[name], book, outs[name])
                found.wall[name].append(wall)
                found.cpu[name].append(seconds)
                found.peak[name].append(peak)
                continue
            chapter = chapters[(run * 7919) % len(chapters)]
            text = chapter.read_text("utf-8")
            chapter.write_text(EDITS[kind](text, run), "utf-8")
            try:
                found.wall[name].append(_build(trees[name], book, outs[name])[0])
            finally:
                chapter.write_text(text, "utf-8")
            _build(trees[name], book, outs[name])
    return found


def paired(label: str, figures: dict[str, list[float]]) -> str:
    base, head = figures["base"], figures["head"]
    difference = statistics.median(h - b for h, b in zip(head, base))
    return (
        f"{label:8} base {statistics.median(base):.3f} s  head {statistics.median(head):.3f} s"
        f"  paired head - base {difference:+.3f} s ({difference / statistics.median(base):+.1%})"
    )


def report(kind: str, found: Runs) -> str:
    lines = [paired(kind, found.wall)]
    if kind == "cold":
        lines[0] += f"  peak {max(found.peak['base'])} / {max(found.peak['head'])} MiB"
        lines.append(paired("cold cpu", found.cpu))
    every = {name: " ".join(f"{t:.2f}" for t in found.wall[name]) for name in ("base", "head")}
    lines.append(f"{'':8} runs: base {every['base']}; head {every['head']}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", help="the git revision to compare against")
    parser.add_argument("--head", default=None, help="a git revision (default: the working tree)")
    parser.add_argument("--kinds", default="cold,text,heading")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--size", default="L")
    parser.add_argument("--profile", default="realistic", choices=["plain", "realistic"])
    parser.add_argument("--work", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "bookbuild-ab")
    args = parser.parse_args()
    kinds = args.kinds.split(",")
    unknown = [kind for kind in kinds if kind != "cold" and kind not in EDITS]
    if unknown:
        raise SystemExit(f"unknown kind {unknown[0]!r}: cold, {', '.join(EDITS)}")
    args.work.mkdir(parents=True, exist_ok=True)
    book = args.work / f"{args.size}-{args.profile}"
    if not (book / "metadata.yaml").exists():
        generate_book(args.size, book, args.profile == "realistic")
    with tempfile.TemporaryDirectory(dir=args.work) as checkouts:
        trees = {
            "base": _checkout(args.base, Path(checkouts) / "base"),
            "head": _checkout(args.head, Path(checkouts) / "head"),
        }
        try:
            head = args.head or "the working tree"
            print(f"{book.name}, {args.runs} runs each, alternated; base {args.base}, head {head}", flush=True)
            for kind in kinds:
                print(report(kind, compare(trees, book, args.work, kind, args.runs)), flush=True)
        finally:
            for tree in trees.values():
                if tree != ROOT:
                    subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False)


if __name__ == "__main__":
    main()
