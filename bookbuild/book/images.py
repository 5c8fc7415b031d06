"""Read the images the book's units use (part of parse: the model holds their bytes)."""

from __future__ import annotations

import os
import posixpath
import unicodedata
from pathlib import Path

from bookbuild.book.active import svg_findings
from bookbuild.book.model import ParsedUnit
from bookbuild.book.resolve import image_path
from bookbuild.diagnostics import Diagnostic

IMAGE_TYPES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp"}
# how each raster type's file starts: a reading system shows nothing (or fails) for a
# file that is not what its name says
_SIGNATURES = {
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".gif": (b"GIF87a", b"GIF89a"),
    ".webp": (b"RIFF",),
}


def image_findings(suffix: str, data: bytes) -> list[tuple[str, str]]:
    """(code, message) for what is wrong with an image file's bytes."""
    signatures = _SIGNATURES.get(suffix)
    if signatures and not data.startswith(signatures):
        return [("S007", f"not a {suffix[1:].upper()} file (empty, or another format under this name)")]
    return svg_findings(data) if suffix == ".svg" else []


def image_problem(suffix: str, data: bytes) -> str | None:
    found = image_findings(suffix, data)
    return found[0][1] if found else None


def collect_images(
    root: Path, units: tuple[ParsedUnit, ...], drawn: str | None = None
) -> tuple[tuple[tuple[str, bytes], ...], list[Diagnostic]]:
    """Every picture the units show, read from the book folder; `drawn` names one the
    render stage draws (a generated cover), which is not a file."""
    book_root = root.resolve()
    found: dict[str, bytes] = {}
    # package name folded as reading systems and file systems may fold it (case, Unicode
    # normalisation) -> the file that took it, and where it was first used
    taken: dict[str, tuple[Path, str, str, int]] = {}
    diags = []
    for unit in units:
        for image in unit.images:
            if unit.source.generated and image.src == drawn:
                continue
            path = (root / "book" / image.src).resolve()
            where = (unit.source.path, image.line)
            if not path.is_relative_to(book_root):
                diags.append(Diagnostic("S007", f"image {image.src} lies outside the book folder", *where))
            elif not path.is_file():
                diags.append(Diagnostic("S007", _missing(root, image.src), *where))
            elif path.suffix.lower() not in IMAGE_TYPES:
                diags.append(Diagnostic("S007", f"image {image.src}: use PNG, JPEG, GIF, SVG or WebP", *where))
            else:
                name = image_path(image.src)
                folded = unicodedata.normalize("NFC", name).casefold()
                first = taken.setdefault(folded, (path, image.src, *where))
                if first[0] != path:
                    diags.append(
                        Diagnostic(
                            "S019",
                            f"images {first[1]} ({first[2]}:{first[3]}) and "
                            f"{image.src} would both be {name} in the outputs: "
                            "rename one of them",
                            *where,
                        )
                    )
                    continue
                if name in found:
                    continue
                data = path.read_bytes()
                problems = image_findings(path.suffix.lower(), data)
                diags += [Diagnostic(code, f"image {image.src}: {message}", *where) for code, message in problems]
                if not problems:
                    found[name] = data
    return tuple(sorted(found.items())), diags


def _missing(root: Path, src: str) -> str:
    """Where the picture was looked for, and where one of that name is, if elsewhere in
    the book folder: image paths are relative to the chapter files, in book/."""
    looked = posixpath.normpath(posixpath.join("book", src))
    message = f"image {src} does not exist: looked for {looked} (image paths are relative to the book/ folder)"
    elsewhere = _find_file(root, posixpath.basename(src))
    if elsewhere and elsewhere.startswith("book/"):
        message += f"; there is one at {elsewhere}: write it as ({elsewhere.removeprefix('book/')})"
    elif elsewhere:
        message += f"; there is one at {elsewhere}: move it into book/ (book/{elsewhere})"
    return message


def _find_file(root: Path, name: str) -> str | None:
    """The first file called `name` under the book folder, in name order; links are not
    followed (nothing outside the book folder is read) and outputs are not searched."""
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = sorted(d for d in subfolders if not d.startswith(".") and d not in ("dist", "node_modules"))
        if name in files:
            return (Path(folder) / name).relative_to(root).as_posix()
    return None
