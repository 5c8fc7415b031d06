"""Command line: `ingest`, `build`, `check`. The only module that prints or exits."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections import Counter
from pathlib import Path

from bookbuild import __version__
from bookbuild.diagnostics import Diagnostic, Severity
from bookbuild.errors import BookbuildError, UsageError, WriteError, write_error
from bookbuild.fileio import write_bytes_atomic

SHOWN_PER_CODE = 5
FORMATS = ("epub", "html", "kepub")
DEFAULT_FORMATS = ("epub", "html")  # the kepub on request: --to kepub


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bookbuild", description="Raw print-book text -> structured Markdown -> EPUB 3 and HTML with print pages."
    )
    parser.add_argument("--version", action="version", version=f"bookbuild {__version__}")
    sub = parser.add_subparsers(dest="command")
    ingest = sub.add_parser("ingest", help="turn a raw extracted book into book/ + metadata.yaml")
    ingest.add_argument("source", type=Path)
    ingest.add_argument(
        "--out", type=Path, default=Path("."), help="folder to write book/ and metadata.yaml into (default: .)"
    )
    ingest.add_argument("--force", action="store_true", help="overwrite files edited since the last ingest")
    ingest.add_argument("--encoding", help="source encoding (default: detect UTF-8 / GB18030)")
    ingest.add_argument("--report", type=Path, help="write the full ingest report to this file")
    build = sub.add_parser("build", help="build the EPUB and the HTML edition")
    build.add_argument("--root", type=Path, default=Path("."), help="book folder (default: .)")
    build.add_argument("--out", type=Path, default=None, help="output folder (default: ROOT/dist)")
    build.add_argument(
        "--to",
        choices=FORMATS,
        action="append",
        help="one output (repeatable): epub, html, kepub (Kobo); default: epub and html",
    )
    build.add_argument("--jobs", type=int, default=None, help="worker processes (default: one per core)")
    build.add_argument("--quiet", "-q", action="store_true", help="print errors only")
    build.add_argument("--verbose", "-v", action="store_true", help="print each stage's time")
    check = sub.add_parser("check", help="build into a temp folder and validate everything")
    check.add_argument("--root", type=Path, default=Path("."), help="book folder (default: .)")
    check.add_argument("--json", action="store_true", help="diagnostics as JSON on stdout")
    check.add_argument("--strict", action="store_true", help="warnings fail too")
    check.add_argument(
        "--target",
        choices=("kindle",),
        action="append",
        help="also check for a reading system: kindle (converts to AZW3 with calibre's ebook-convert "
        "and reports what the conversion refused or lost)",
    )
    check.add_argument(
        "--vnu-jar",
        type=Path,
        default=None,
        help="the Nu HTML checker's jar "
        "(default: the one `npm ci` installed in this project; never one from "
        "the book's folder)",
    )
    return parser


def format_diagnostic(d: Diagnostic) -> str:
    """As str(d) for an error; a warning or note also says which it is."""
    text = str(d)
    if d.severity is not Severity.ERROR:
        where = f"{d.location}: " if d.location else ""
        text = f"{where}{d.code} ({d.severity.value}) {d.message}"
    return text


def print_diagnostics(diagnostics, stream=None, limit: bool = True) -> None:
    stream = stream or sys.stderr
    shown: Counter[str] = Counter()
    for d in diagnostics:
        shown[d.code] += 1
        if not limit or shown[d.code] <= SHOWN_PER_CODE or d.severity is Severity.ERROR:
            print(format_diagnostic(d), file=stream)
    for code, count in sorted(shown.items()):
        if limit and count > SHOWN_PER_CODE:
            extra = [d for d in diagnostics if d.code == code and d.severity is not Severity.ERROR]
            if len(extra) > SHOWN_PER_CODE:
                print(f"(+{len(extra) - SHOWN_PER_CODE} more {code})", file=stream)


def _ingest(args) -> int:
    from bookbuild.ingest import ingest
    from bookbuild.ingest.write import write_result

    if not args.source.is_file():
        raise UsageError(
            f"{args.source}: " + ("a folder; give the extracted text file" if args.source.is_dir() else "no such file")
        )
    if args.report and (args.report.is_dir() or not args.report.parent.is_dir()):
        raise WriteError(f"--report {args.report}: name a file in an existing folder; nothing was written")
    result = ingest(args.source.read_bytes(), str(args.source), args.encoding)
    try:
        written = write_result(result, args.out, force=args.force)
        if args.report:
            write_bytes_atomic(args.report, result.report.encode("utf-8"))
    except OSError as exc:
        raise write_error(exc, "book/ and metadata.yaml are replaced whole or not at all") from exc
    print("\n".join(line for line in result.report.splitlines() if not line.startswith("  line")), file=sys.stdout)
    print_diagnostics(result.diagnostics)
    print(f"wrote {len(written)} files under {args.out}/", file=sys.stdout)
    return 0


def _build(args) -> int:
    from bookbuild.pipeline import build
    from bookbuild.progress import Reporter

    out = args.out if args.out is not None else args.root / "dist"
    formats = tuple(args.to) if args.to else DEFAULT_FORMATS
    reporter = Reporter(verbose=args.verbose, quiet=args.quiet)
    try:
        result = build(args.root, out, formats, progress=reporter, workers=args.jobs)
    finally:
        reporter.close()
    if not args.quiet:
        print_diagnostics(result.diagnostics)
        for path in result.written:
            print(f"wrote {path}")
        if not result.written:
            print(f"{out}: up to date, nothing written")
    return 0


def _check(args) -> int:
    from bookbuild.check import run_check

    diagnostics = run_check(args.root, args.vnu_jar, tuple(args.target or ()))
    if args.json:
        print(json.dumps([d.as_json() for d in diagnostics], ensure_ascii=False, indent=2))
    else:
        print_diagnostics(diagnostics, stream=sys.stdout, limit=False)
    counts = Counter(d.severity for d in diagnostics)
    if not args.json:
        print(
            f"check: {counts[Severity.ERROR]} error(s), {counts[Severity.WARNING]} warning(s), "
            f"{counts[Severity.INFO]} note(s)"
        )
    failed = counts[Severity.ERROR] or (args.strict and counts[Severity.WARNING])
    return 1 if failed else 0


class _Terminated(BaseException):
    """SIGTERM, turned into an exception so the build stops as on Ctrl-C: staged files
    removed, workers killed, outputs left as they were."""


def _terminate(signum, frame) -> None:
    raise _Terminated()


def main(argv: list[str] | None = None) -> int:
    on_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if on_main_thread else None
    try:
        return _main(argv)
    finally:
        if on_main_thread:
            signal.signal(signal.SIGTERM, previous)


def _main(argv: list[str] | None) -> int:
    args = _parser().parse_args(argv)
    command = args.command or "build"
    if args.command is None:
        args = _parser().parse_args(["build"])
    try:
        return {"ingest": _ingest, "build": _build, "check": _check}[command](args)
    except BookbuildError as exc:
        if exc.diagnostics:
            print_diagnostics(exc.diagnostics, limit=False)
        print(f"error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted; nothing was written", file=sys.stderr)
        return 130
    except _Terminated:
        print("terminated; nothing was written", file=sys.stderr)
        return 143
