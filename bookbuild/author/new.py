"""`bookbuild new DIR`: a small book that builds and passes `check --strict`, whose files
show by example what a book can hold (parts, page markers, cross-references, a figure,
a table, a footnote, the book's own styles). The files are in templates/<language>/."""

from __future__ import annotations

from datetime import date
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from bookbuild.errors import UsageError
from bookbuild.fileio import write_bytes_atomic

LANGUAGES = ("zh-Hans", "en")


def new_book(folder: Path, language: str = "zh-Hans", today: date | None = None) -> list[Path]:
    """Write the starter book into `folder` (new, or empty) and return the files written."""
    if language not in LANGUAGES:
        raise UsageError(f"--language {language}: choose one of {', '.join(LANGUAGES)}")
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise UsageError(f"{folder} already exists and is not an empty folder; name a new one")
    template = resources.files("bookbuild").joinpath("author", "templates", language)
    month = (today or date.today()).isoformat()[:7]
    written = []
    for relative, source in _files(template):
        data = source.read_bytes()
        if relative == "metadata.yaml":
            data = data.replace(b"{today}", month.encode())
        target = folder.joinpath(*relative.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(target, data)
        written.append(target)
    return written


def _files(folder: Traversable, prefix: str = "") -> list[tuple[str, Traversable]]:
    found = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.is_dir():
            found += _files(entry, f"{prefix}{entry.name}/")
        elif not entry.name.startswith("."):
            found.append((f"{prefix}{entry.name}", entry))
    return found
