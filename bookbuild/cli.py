"""Command line: `ingest`, `build`, `check`. The only module that prints or exits."""

from __future__ import annotations

import argparse
import gc
import json
import signal
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from bookbuild import __version__
from bookbuild.diagnostics import Diagnostic, Severity
from bookbuild.errors import BookbuildError, UsageError, WriteError, write_error
from bookbuild.fileio import write_bytes_atomic

SHOWN_PER_CODE = 5
FORMATS = ("epub", "html", "kepub")
DEFAULT_FORMATS = ("epub", "html")  # the kepub on request: --to kepub
EDITIONS = ("vertical", "zh-Hant", "zh-Hant-TW", "zh-Hant-HK")  # book.editions.NAMES, without importing it


EXIT_CODES = """exit codes:
  0  done (check: no errors; with --strict, no warnings either)
  1  the book or source has errors: each is printed as file:line: CODE message
  2  the command line or the machine is wrong (a folder that does not exist, Java missing)
  3  a file could not be read or written; each output is replaced whole or not at all
  130, 143  interrupted; nothing was written"""

EXAMPLES = {
    None: """examples:
  bookbuild new mybook --language en     start a book that builds
  bookbuild serve --root mybook          preview it, rebuilt on every save
  bookbuild ingest extracted.md --out mybook
  bookbuild build --root mybook          write mybook/dist/<isbn>.epub and mybook/dist/html/
  bookbuild check --root mybook --strict""",
    "ingest": """examples:
  bookbuild ingest book.raw.md --out mybook            Markdown from a PDF extractor
  bookbuild ingest book.txt --out mybook --encoding gb18030
  bookbuild ingest book.raw.md --out mybook --proof proof.html   what ingest decided, line by line""",
    "build": """examples:
  bookbuild build                        the book in this folder, into ./dist
  bookbuild build --root mybook --out /tmp/out --to epub
  bookbuild build --to kepub             a Kobo kepub as well
  bookbuild build --edition zh-Hant --edition vertical   a Traditional vertical edition, in dist/zh-Hant-TW-vertical/""",
    "check": """examples:
  bookbuild check --root mybook --strict
  bookbuild check --format github        annotations on a pull request (GitHub Actions)
  bookbuild check --json > findings.json""",
    "new": """examples:
  bookbuild new mybook                   a Chinese book (zh-Hans)
  bookbuild new mybook --language en""",
    "serve": """examples:
  bookbuild serve                        http://127.0.0.1:8000/, rebuilt on every save
  bookbuild serve --root mybook --port 8080
  bookbuild serve --edition zh-Hant --edition vertical   preview the Traditional vertical edition""",
}


def _help(command: str | None) -> str:
    return f"{EXAMPLES[command]}\n\n{EXIT_CODES}"


def _command(sub, name: str, help: str) -> argparse.ArgumentParser:  # noqa: A002 (argparse's word)
    parser: argparse.ArgumentParser = sub.add_parser(
        name, help=help, epilog=_help(name), formatter_class=argparse.RawDescriptionHelpFormatter
    )
    return parser


def _book_folders(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", type=Path, default=Path("."), help="book folder (default: .)")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: ROOT/dist)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bookbuild",
        description="Raw print-book text -> structured Markdown -> EPUB 3 and HTML with print pages.",
        epilog=_help(None),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"bookbuild {__version__}")
    sub = parser.add_subparsers(dest="command")
    ingest = _command(sub, "ingest", "turn a raw extracted book into book/ + metadata.yaml")
    ingest.add_argument("source", type=Path)
    ingest.add_argument(
        "--out", type=Path, default=Path("."), help="folder to write book/ and metadata.yaml into (default: .)"
    )
    ingest.add_argument("--force", action="store_true", help="overwrite files edited since the last ingest")
    ingest.add_argument("--encoding", help="source encoding (default: detect UTF-8 / GB18030)")
    ingest.add_argument("--report", type=Path, help="write the full ingest report to this file")
    ingest.add_argument(
        "--proof",
        type=Path,
        help="write a proofing page (HTML): each source line, what ingest decided there, and the files written",
    )
    build = _command(sub, "build", "build the EPUB and the HTML edition")
    _book_folders(build)
    build.add_argument(
        "--to",
        choices=FORMATS,
        action="append",
        help="one output (repeatable): epub, html, kepub (Kobo); default: epub and html",
    )
    build.add_argument(
        "--edition",
        action="append",
        choices=EDITIONS,
        help="an edition made from the same book (repeatable, they combine): vertical (竖排), zh-Hant "
        "(Traditional, Taiwan: OpenCC s2twp), zh-Hant-HK (Hong Kong: s2hk); written to OUT/<edition>/",
    )
    build.add_argument("--jobs", type=int, default=None, help="worker processes (default: one per core)")
    build.add_argument("--quiet", "-q", action="store_true", help="print errors only")
    build.add_argument("--verbose", "-v", action="store_true", help="print each stage's time")
    check = _command(sub, "check", "build into a temp folder and validate everything")
    check.add_argument("--root", type=Path, default=Path("."), help="book folder (default: .)")
    check.add_argument(
        "--format",
        choices=("text", "json", "github"),
        default="text",
        help="text (default), json, or github: workflow annotation lines for GitHub Actions",
    )
    check.add_argument("--json", action="store_true", help="the same as --format json")
    check.add_argument(
        "--edition", action="append", choices=EDITIONS, help="check an edition (as build --edition; they combine)"
    )
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
    serve = _command(sub, "serve", "preview the HTML edition on 127.0.0.1, rebuilt on every save")
    _book_folders(serve)
    serve.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (default: 8000)")
    serve.add_argument(
        "--edition", action="append", choices=EDITIONS, help="preview an edition (as build --edition; they combine)"
    )
    new = _command(sub, "new", "start a book: a small one that builds, showing each feature by example")
    new.add_argument("folder", type=Path, help="a new (or empty) folder for the book")
    new.add_argument("--language", default="zh-Hans", choices=("zh-Hans", "en"), help="default: zh-Hans")
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
    for option, named in (("--report", args.report), ("--proof", args.proof)):
        if named and (named.is_dir() or not named.parent.is_dir()):
            raise WriteError(f"{option} {named}: name a file in an existing folder; nothing was written")
    result = ingest(args.source.read_bytes(), str(args.source), args.encoding)
    try:
        written = write_result(result, args.out, force=args.force)
        if args.report:
            write_bytes_atomic(args.report, result.report.encode("utf-8"))
        if args.proof:
            from bookbuild.ingest.proof import proof_page

            write_bytes_atomic(args.proof, proof_page(result, str(args.source)))
    except OSError as exc:
        raise write_error(exc, "book/ and metadata.yaml are replaced whole or not at all") from exc
    print("\n".join(line for line in result.report.splitlines() if not line.startswith("  line")), file=sys.stdout)
    print_diagnostics(result.diagnostics)
    print(f"wrote {len(written)} files under {args.out}/", file=sys.stdout)
    return 0


def _build(args) -> int:
    from bookbuild.book.editions import edition_from
    from bookbuild.pipeline import build
    from bookbuild.progress import Reporter

    out = args.out if args.out is not None else args.root / "dist"
    formats = tuple(args.to) if args.to else DEFAULT_FORMATS
    edition = edition_from(args.edition or ())
    if edition is not None:
        out = out / edition.name  # its own folder: its own outputs, cache and state
    reporter = Reporter(verbose=args.verbose, quiet=args.quiet)
    try:
        result = build(args.root, out, formats, progress=reporter, workers=args.jobs, edition=edition)
    finally:
        reporter.close()
    if not args.quiet:
        print_diagnostics(result.diagnostics)
        for path in result.written:
            print(f"wrote {path}")
        if not result.written:
            print(f"{out}: up to date, nothing written")
    return 0


def _new(args) -> int:
    from bookbuild.author.new import new_book

    try:
        written = new_book(args.folder, args.language)
    except OSError as exc:
        raise write_error(exc, "the book was not started") from exc
    print(f"wrote {len(written)} files under {args.folder}/")
    print(f"next: bookbuild serve --root {args.folder}   (or: bookbuild build --root {args.folder})")
    return 0


def _serve(args) -> int:
    from bookbuild.author.serve import PreviewState, rebuild, start_server, watch
    from bookbuild.book.editions import edition_from

    out = args.out if args.out is not None else args.root / "dist"
    edition = edition_from(args.edition or ())
    if edition is not None:
        out = out / edition.name  # as build --edition writes it
    state = PreviewState()

    def report(ok: bool, seconds: float, diagnostics) -> None:
        print_diagnostics(diagnostics, stream=sys.stdout)
        verdict = "built" if ok else "did not build (the pages stay as last built)"
        print(f"{time.strftime('%H:%M:%S')} {verdict} in {seconds:.2f} s", flush=True)

    report(*rebuild(args.root, out, state, edition))
    try:
        server = start_server(out / "html", state, args.port)
    except OSError as exc:
        raise UsageError(f"--port {args.port}: {exc.strerror or exc}; choose another port") from exc
    port = server.server_address[1]
    print(f"serving http://127.0.0.1:{port}/ (watching {args.root}; Ctrl-C stops)", flush=True)
    try:
        watch(args.root, threading.Event(), lambda changed: report(*rebuild(args.root, out, state, edition)))
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
    return 0


def _check(args) -> int:
    from bookbuild.book.editions import edition_from
    from bookbuild.check import run_check

    diagnostics = run_check(args.root, args.vnu_jar, tuple(args.target or ()), edition_from(args.edition or ()))
    output = "json" if args.json else args.format
    if output == "json":
        print(json.dumps([d.as_json() for d in diagnostics], ensure_ascii=False, indent=2))
    elif output == "github":
        for d in diagnostics:
            print(d.as_github())
    else:
        print_diagnostics(diagnostics, stream=sys.stdout, limit=False)
    counts = Counter(d.severity for d in diagnostics)
    if output != "json":
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


def run() -> None:
    """The command (bookbuild, python build.py, python -m bookbuild): main, then exit.
    The interpreter collects garbage once more as it exits, walking every object the
    process still holds: 40 ms after a quick rebuild of a long book (its state), more
    after a full build (its model), for memory the exit frees anyway. Frozen, they are
    not walked."""
    status = main()
    gc.freeze()
    sys.exit(status)


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
        root = getattr(args, "root", None)
        if root is not None and not root.is_dir():
            raise UsageError(
                f"--root {root}: no such folder; give the book's folder (the one holding metadata.yaml "
                "and book/), or start one with: bookbuild new DIR"
            )
        return {"ingest": _ingest, "build": _build, "check": _check, "new": _new, "serve": _serve}[command](args)
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
