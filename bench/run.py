"""Benchmark: bookbuild against pandoc on synthetic books, in one run on one machine.

    python bench/run.py [--sizes S,M,L] [--profiles plain,realistic] [--runs 3] [--rebuild-runs 9]
                        [--work DIR] [--write-readme]

Profiles (bench/generate.py): `plain` books have no inline markup, the text Markdown's
fast paths skip; `realistic` ones carry emphasis, strong, code, links and notes as books do.

For each size it alternates a clean bookbuild build (EPUB + HTML) with pandoc producing
EPUB + HTML from the same files, and reports the median wall time, the peak resident
memory (of the largest process: a build's worker processes are counted on their own, not
added up) and the ratio. For the largest size (the realistic book when measured) it then
times incremental rebuilds after editing the text of one chapter, one of its headings,
a link and a page marker, and a rebuild with nothing changed (checking that nothing was
written), each against the interpreter start-up measured just before it (--rebuild-runs
of each: a single rebuild's work moves by tens of milliseconds with the machine's load).
It also times ingesting a raw 1,000-page book. bookbuild's bytecode is compiled first,
as an installed package has it (with PYTHONDONTWRITEBYTECODE set, every command would
compile the modules it imports). Needs `pip install pypandoc-binary` for pandoc.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from generate import SIZES, generate_book, generate_pdftotext, generate_raw  # noqa: E402

PY = sys.executable


def measure(command: list[str], cwd: Path | None = None) -> tuple[float, int]:
    """(wall seconds, peak RSS in MiB of the largest process in the command's tree)."""
    wall, rss, _ = measure_usage(command, cwd)
    return wall, rss


def measure_usage(command: list[str], cwd: Path | None = None) -> tuple[float, int, float]:
    """measure's figures and the CPU seconds (user and system) of the command's tree."""
    # stderr goes to a file: pandoc warns thousands of times on a big book, and a pipe
    # nobody reads until the end would fill up and stop it
    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        proc = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status) != 0:
            errors.seek(0)
            raise SystemExit(f"failed: {command[0]} …\n{errors.read().decode()[-2000:]}")
    return wall, usage.ru_maxrss // 1024, usage.ru_utime + usage.ru_stime


def pandoc_path() -> str:
    try:
        import pypandoc
    except ImportError:
        raise SystemExit("pandoc is needed: pip install pypandoc-binary") from None
    return pypandoc.get_pandoc_path()


def ours(book: Path, out: Path) -> tuple[float, int]:
    shutil.rmtree(out, ignore_errors=True)  # a clean build: no cache
    return measure([PY, str(ROOT / "build.py"), "build", "--root", str(book), "--out", str(out), "-q"])


def pandoc(book: Path, out: Path) -> tuple[float, int]:
    out.mkdir(parents=True, exist_ok=True)
    files = [str(p) for p in sorted((book / "book").glob("*.md"))]
    meta = ["--metadata-file", str(book / "metadata.yaml")]
    epub = measure([pandoc_path(), "-f", "markdown", "-t", "epub3", *meta, "-o", str(out / "book.epub"), *files])
    html = measure([pandoc_path(), "-f", "markdown", "-t", "html5", "-s", *meta, "-o", str(out / "book.html"), *files])
    return epub[0] + html[0], max(epub[1], html[1])


# a process that imports what a build does and exits as the command does (cli.run: the
# objects frozen, no last collection). Exiting plainly tears the modules down, 53-62 ms
# more than the command's own exit: counted into start-up, that made a rebuild's "work"
# look 50 ms smaller than it is (so it did from the exit change of the sixth round)
_STARTUP = "import gc, sys; import bookbuild.cli, bookbuild.pipeline; gc.freeze(); sys.exit(0)"


def startup(runs: int = 5) -> float:
    """Interpreter start-up with bookbuild's imports and the command's exit: the floor
    of any rebuild."""
    return statistics.median(measure([PY, "-c", _STARTUP])[0] for _ in range(runs))


def snapshot(out: Path) -> dict[str, int]:
    return {str(p): p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}


def _edit_text(text: str, run: int) -> str:
    return text + f"\n编辑第 {run + 1} 次。\n"


def _edit_heading(text: str, run: int) -> str:
    """The first section heading gets a word more: its id, the contents and the links
    to it change with it."""
    return re.sub(r"^(## .*)$", lambda m: f"{m.group(1)}改{run + 1}", text, count=1, flags=re.M)


def _edit_link(text: str, run: int) -> str:
    """A link to a print page in another part of the book: where the chapter's links
    lead changes, and nothing that other chapters or the contents show."""
    return text + f"\n参见[第 {run + 2} 页](#page-{run + 2})。\n"


def _edit_page(text: str, run: int) -> str:
    """The chapter's last page marker taken out (the page break was not there): the
    page list, the NCX's numbers after it, the page index and the pages its headings
    stand on change, and the package's count of pages."""
    markers = list(re.finditer(r"\{\{page \d+\}\}", text))
    return text[: markers[-1].start()] + text[markers[-1].end() :] if markers else text


EDITS = {"text": _edit_text, "heading": _edit_heading, "link": _edit_link, "page": _edit_page}


def incremental(book: Path, out: Path, runs: int) -> dict[str, float]:
    """Each rebuild is paired with a start-up measured just before it, and its work is
    the difference: the machine's load changes from minute to minute. `runs` of each
    kind, each on another chapter; the median and the spread of the work."""
    ours(book, out)
    chapters = sorted((book / "book").glob("*.md"))
    command = [PY, str(ROOT / "build.py"), "build", "--root", str(book), "--out", str(out), "-q"]
    result: dict[str, float] = {}
    for kind, edit in EDITS.items():
        edits, edit_work = [], []
        for run in range(runs):
            chapter = chapters[(run * 7919) % len(chapters)]
            text = chapter.read_text("utf-8")
            chapter.write_text(edit(text, run), "utf-8")
            base = startup(1)
            edits.append(measure(command)[0])
            edit_work.append(edits[-1] - base)
            chapter.write_text(text, "utf-8")
            measure(command)
        result[f"{kind}_edit"] = statistics.median(edits)
        result[f"{kind}_edit_work"] = statistics.median(edit_work)
        result[f"{kind}_edit_low"], result[f"{kind}_edit_high"] = _quartiles(edit_work)
    before = snapshot(out)
    unchanged, unchanged_work = [], []
    for _ in range(runs):
        base = startup(1)
        unchanged.append(measure(command)[0])
        unchanged_work.append(unchanged[-1] - base)
    return {
        **result,
        "unchanged": statistics.median(unchanged),
        "unchanged_work": statistics.median(unchanged_work),
        "unchanged_low": _quartiles(unchanged_work)[0],
        "unchanged_high": _quartiles(unchanged_work)[1],
        "wrote_nothing": float(snapshot(out) == before),
    }


def ingest_bench(work: Path, runs: int, kind: str = "raw") -> float:
    """Median time to ingest a 1,000-page book: `raw` is Markdown like the sample's,
    `pdftotext` plain text with a form feed, page number and running head on every page."""
    raw = work / ("raw-1000-pages.md" if kind == "raw" else "pdftotext-1000-pages.txt")
    if not raw.exists():
        (generate_raw if kind == "raw" else generate_pdftotext)(1000, raw)
    times = []
    for _ in range(runs):
        out = work / "ingest-out"
        shutil.rmtree(out, ignore_errors=True)
        times.append(measure([PY, str(ROOT / "build.py"), "ingest", str(raw), "--out", str(out)])[0])
    return statistics.median(times)


def _quartiles(values: list[float]) -> tuple[float, float]:
    """The first and third quartiles: where the middle half of the runs lie."""
    if len(values) < 2:
        return values[0], values[0]
    low, _, high = statistics.quantiles(values, n=4)
    return low, high


def _work(inc: dict[str, float], kind: str) -> str:
    return f"{inc[kind + '_work']:.2f} s of work [{inc[kind + '_low']:.2f}–{inc[kind + '_high']:.2f}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="S,M,L")
    parser.add_argument("--profiles", default="plain,realistic", help="plain, realistic or both")
    parser.add_argument("--runs", type=int, default=3, help="clean builds of each book, pandoc's too")
    parser.add_argument(
        "--rebuild-runs", type=int, default=9, help="rebuilds after each kind of edit (quick: no pandoc)"
    )
    parser.add_argument("--work", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "bookbuild-bench")
    parser.add_argument("--write-readme", action="store_true", help="put the results in bench/README.md")
    args = parser.parse_args()
    subprocess.run([PY, "-m", "compileall", "-q", str(ROOT / "bookbuild")], check=True)
    sizes = [s for s in args.sizes.split(",") if s in SIZES]
    args.work.mkdir(parents=True, exist_ok=True)
    rows, per_million = [], {}
    profiles = [p for p in args.profiles.split(",") if p in ("plain", "realistic")]
    for size, profile in [(s, p) for p in profiles for s in sizes]:
        realistic = profile == "realistic"
        book = args.work / (f"{size}-realistic" if realistic else size)
        if not (book / "metadata.yaml").exists():
            generate_book(size, book, realistic)
        chars = sum(len(p.read_text("utf-8")) for p in (book / "book").glob("*.md"))
        ours_runs, pandoc_runs = [], []
        for _ in range(args.runs):  # alternated, so both see the same machine load
            ours_runs.append(ours(book, args.work / f"{book.name}-ours"))
            pandoc_runs.append(pandoc(book, args.work / f"{book.name}-pandoc"))
        ours_time = statistics.median(t for t, _ in ours_runs)
        pandoc_time = statistics.median(t for t, _ in pandoc_runs)
        per_million[book.name] = ours_time / (chars / 1e6)
        rows.append(
            f"| {size} | {profile} | {len(list((book / 'book').glob('*.md')))} | {chars / 1e6:.1f}M "
            f"| {ours_time:.2f} s | {max(m for _, m in ours_runs)} MiB "
            f"| {pandoc_time:.2f} s | {max(m for _, m in pandoc_runs)} MiB "
            f"| {pandoc_time / ours_time:.1f}× |"
        )
        print(rows[-1], flush=True)
    largest = sizes[-1]
    # rebuilds are timed on the realistic book when it was measured: issue 19's targets
    rebuilt = f"{largest}-realistic" if "realistic" in profiles else largest
    base = startup()
    inc = incremental(args.work / rebuilt, args.work / f"{rebuilt}-inc", max(args.rebuild_runs, 1))
    ingest_time = ingest_bench(args.work, args.runs)
    ingest_text_time = ingest_bench(args.work, args.runs, "pdftotext")
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    report = [
        f"Measured on {date.today().isoformat()}: {os.cpu_count()} cores ({cpu}), "
        f"{round(os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30)} GiB, "
        f"Python {platform.python_version()}, pandoc {pandoc_version()}; "
        f"median of {args.runs} alternated runs.",
        "",
        "| size | profile | chapters | characters | bookbuild | peak RSS | pandoc | peak RSS | pandoc / bookbuild |",
        "|---|---|---|---|---|---|---|---|---|",
        *rows,
        "",
        "Time per million characters (linearity): " + ", ".join(f"{s} {v:.2f} s" for s, v in per_million.items()) + ".",
        "",
        f"Rebuilds of {rebuilt} (median of {max(args.rebuild_runs, 1)}, each paired with a start-up "
        f"measured just before it; the work's middle half in brackets): interpreter start-up with "
        f"bookbuild's imports {base:.2f} s; "
        f"after editing the text of one chapter {inc['text_edit']:.2f} s ({_work(inc, 'text_edit')}); "
        f"after editing a heading {inc['heading_edit']:.2f} s ({_work(inc, 'heading_edit')}); "
        f"after adding a link {inc['link_edit']:.2f} s ({_work(inc, 'link_edit')}); "
        f"after removing a page marker {inc['page_edit']:.2f} s ({_work(inc, 'page_edit')}); "
        f"with nothing changed {inc['unchanged']:.2f} s ({_work(inc, 'unchanged')}), "
        f"{'nothing written' if inc['wrote_nothing'] else 'FILES WERE WRITTEN'}.",
        "",
        f"Ingest of a raw 1,000-page book: {ingest_time:.2f} s as Markdown like the sample's, "
        f"{ingest_text_time:.2f} s as pdftotext plain text (start-up {base:.2f} s included).",
    ]
    text = "\n".join(report)
    print(text)
    if args.write_readme:
        readme = HERE / "README.md"
        current = readme.read_text("utf-8")
        new = re.sub(
            r"(<!-- results -->\n).*?(\n<!-- /results -->)",
            lambda m: m.group(1) + text + m.group(2),
            current,
            flags=re.S,
        )
        readme.write_text(new, "utf-8")


def pandoc_version() -> str:
    out = subprocess.run([pandoc_path(), "--version"], capture_output=True, text=True).stdout
    return out.split()[1] if out else "?"


if __name__ == "__main__":
    main()
