"""Stage `load`: read metadata.yaml, book/*.md (front matter + body), styles and images."""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import cast

from bookbuild.book.active import css_findings
from bookbuild.book.kinds import KINDS
from bookbuild.book.metadata import parse_metadata
from bookbuild.book.model import Metadata, UnitSource
from bookbuild.book.pages import is_label
from bookbuild.book.textfile import decode_utf8, key_lines, load_yaml
from bookbuild.diagnostics import Diagnostic
from bookbuild.fileio import file_digest

_NAME_RE = re.compile(r"^\d{2,4}-[a-z0-9][a-z0-9-]*$")
FRONT_KEYS = ("title", "kind", "page", "author", "author_note", "group", "inferred_pages")


@dataclass(frozen=True)
class LoadedBook:
    root: Path
    metadata: Metadata
    # book/*.md names in reading order; parse reads them (in its workers, see
    # parse.parse_unit_files) with read_unit
    unit_files: tuple[str, ...]
    stylesheets: tuple[tuple[str, str], ...]
    diagnostics: tuple[Diagnostic, ...]
    digests: tuple[tuple[str, bytes], ...]  # (path under root, fileio.file_digest) of each file read


def listed(folder: Path, suffix: str) -> tuple[str, ...]:
    """The book's files in `folder` ending in `suffix`, in name order. Hidden names are
    an editor's, not the book's: Emacs keeps `.#01-a.md` (a link to nowhere) beside a
    file being edited, vim `.01-a.md.swp`."""
    if not folder.is_dir():
        return ()
    return tuple(sorted(e.name for e in os.scandir(folder) if e.name.endswith(suffix) and not e.name.startswith(".")))


def load(root: Path) -> LoadedBook:
    diagnostics: list[Diagnostic] = []
    digests: dict[str, bytes] = {}

    def read_text(path: Path) -> str | None:
        rel = path.relative_to(root).as_posix()
        refused = outside_root(root, path, rel)
        if refused:
            diagnostics.append(refused)
            return None
        data = path.read_bytes()
        digests[rel] = file_digest(data)
        text, found = decode_utf8(data, rel)
        diagnostics.extend(found)
        return text

    meta_path = root / "metadata.yaml"
    if meta_path.exists():
        text = read_text(meta_path)
        metadata, found = parse_metadata("{}" if text is None else text, "metadata.yaml")
        diagnostics += found if text is not None else []
    else:
        metadata, _ = parse_metadata("{}", "metadata.yaml")
        diagnostics.append(Diagnostic("M001", f"no metadata.yaml in {root}", "metadata.yaml"))
    book = root / "book"
    files = listed(book, ".md")
    if not files:
        diagnostics.append(Diagnostic("S009", f"no chapter files (book/NN-slug.md) in {root}", "book/"))
    stylesheets = _stylesheets(root, read_text)
    for name, css in stylesheets[1:]:
        path = f"styles/{name.removeprefix('book-')}"
        diagnostics += [
            Diagnostic(code, message, path, css.count("\n", 0, offset) + 1)
            for code, message, offset in css_findings(css)
        ]
    return LoadedBook(root, metadata, files, stylesheets, tuple(diagnostics), tuple(sorted(digests.items())))


def outside_root(root: Path, path: Path, rel: str) -> Diagnostic | None:
    """S018 when `path` (a symbolic link, or in a linked folder) leads out of the book
    folder: a build reads nothing from outside the book."""
    if path.resolve().is_relative_to(root.resolve()):
        return None
    return Diagnostic(
        "S018",
        f"{rel} leads to {path.resolve()}, outside the book folder: copy the file into the book instead of linking it",
        rel,
        1,
    )


def read_unit_file(root: Path, name: str) -> tuple[UnitSource | None, list[Diagnostic], bytes]:
    """book/NAME read: its source, the diagnostics of its front matter, the file's digest."""
    path, rel = root / "book" / name, f"book/{name}"
    refused = outside_root(root, path, rel)
    if refused:
        return None, [refused], b""
    data = path.read_bytes()
    source, found = read_unit_bytes(data, rel, name[:-3])
    return source, found, file_digest(data)


def read_unit_bytes(data: bytes, path: str, name: str) -> tuple[UnitSource | None, list[Diagnostic]]:
    text, found = decode_utf8(data, path)
    return read_unit(text, path, name) if text is not None else (None, found)


def read_unit(text: str, path: str, name: str) -> tuple[UnitSource | None, list[Diagnostic]]:
    diags: list[Diagnostic] = []
    if not _NAME_RE.match(name):
        diags.append(
            Diagnostic("S013", f"file name {name}.md is not NN-slug.md (ASCII lower case, digits and hyphens)", path, 1)
        )
    if not text.startswith("---\n"):
        return None, diags + [
            Diagnostic(
                "S001",
                "no front matter: the file must start with a '---' line, YAML fields, and a closing '---'",
                path,
                1,
            )
        ]
    end = text.find("\n---\n", 3)
    if end < 0 and text.endswith("\n---"):
        end = len(text) - 4
    if end < 0:
        return None, diags + [Diagnostic("S001", "front matter is not closed by a '---' line", path, 1)]
    front, node, found = load_yaml(text[4 : end + 1], path, "S001", "S003", first_line=2)
    if found:
        return None, diags + [dataclasses.replace(d, message=f"front matter: {d.message}") for d in found]
    front = front or {}
    if not isinstance(front, dict):
        return None, diags + [Diagnostic("S001", "front matter must be YAML fields", path, 2)]
    written = key_lines(node, first_line=2) if node is not None else {}
    lines = {key: written.get(str(key), 2) for key in front}
    for key in front:
        if key not in FRONT_KEYS:
            diags.append(
                Diagnostic(
                    "S015", f"unknown front-matter field `{key}` (known: {', '.join(FRONT_KEYS)})", path, lines[key]
                )
            )
    title, kind = front.get("title"), front.get("kind")
    if not isinstance(title, str) or not title.strip():
        diags.append(Diagnostic("S003", "front matter needs a `title`", path, lines.get("title", 2)))
    if "kind" not in front:
        # the usual slip: say what to add, not "unknown kind None"
        diags.append(
            Diagnostic(
                "S002", f"front matter needs a `kind` (e.g. `kind: chapter`; one of {', '.join(KINDS)})", path, 2
            )
        )
    elif not isinstance(kind, str) or kind not in KINDS:
        diags.append(
            Diagnostic("S002", f"unknown kind {kind!r}; use one of {', '.join(KINDS)}", path, lines.get("kind", 2))
        )
    for key in ("author", "author_note", "group"):
        if key in front and not isinstance(front[key], (str, type(None))):
            diags.append(Diagnostic("S003", f"`{key}` must be text", path, lines[key]))
    page = front.get("page")
    if page is not None and not is_label(str(page)):
        diags.append(
            Diagnostic("P001", f"page {page!r} is not an arabic or lower-case roman numeral", path, lines["page"])
        )
    inferred = front.get("inferred_pages") or []
    if not isinstance(inferred, list):
        diags.append(Diagnostic("S003", "`inferred_pages` must be a list", path, lines["inferred_pages"]))
        inferred = []
    if any(d.severity.value == "error" for d in diags):
        return None, diags
    body_line = text[: end + 5].count("\n") + 1
    return (
        UnitSource(
            path=path,
            name=name,
            title=cast(str, title).strip(),  # checked above: text
            kind=cast(str, kind),  # checked above: one of KINDS
            body=text[end + 5 :],
            body_line=body_line,
            page=None if page is None else str(page),
            author=front.get("author"),
            author_note=front.get("author_note"),
            group=front.get("group"),
            inferred_pages=frozenset(str(p) for p in inferred),
            title_line=lines.get("title", 1),
            page_line=lines.get("page", 1),
        ),
        diags,
    )


def _stylesheets(root: Path, read_text: Callable[[Path], str | None]) -> tuple[tuple[str, str], ...]:
    """The package's CJK-first stylesheet, then the book's own styles/*.css, in name order."""
    default = resources.files("bookbuild").joinpath("styles/default.css").read_text("utf-8")
    own = [root / "styles" / name for name in listed(root / "styles", ".css")]
    read = [(f"book-{p.name}", read_text(p)) for p in own]
    return (("default.css", default),) + tuple((name, text) for name, text in read if text is not None)
