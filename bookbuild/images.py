"""Read the images the book's units use (part of parse: the model holds their bytes)."""

from __future__ import annotations

from pathlib import Path

from bookbuild.diagnostics import Diagnostic
from bookbuild.model import ParsedUnit
from bookbuild.resolve import image_path

IMAGE_TYPES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp"}


def collect_images(root: Path, units: tuple[ParsedUnit, ...]) -> tuple[tuple[tuple[str, bytes], ...], list[Diagnostic]]:
    book_root = root.resolve()
    found: dict[str, bytes] = {}
    diags = []
    for unit in units:
        for image in unit.images:
            path = (root / "book" / image.src).resolve()
            where = (unit.source.path, image.line)
            if not path.is_relative_to(book_root):
                diags.append(Diagnostic("S007", f"image {image.src} lies outside the book folder",
                                        *where))
            elif not path.is_file():
                diags.append(Diagnostic("S007", f"image {image.src} does not exist", *where))
            elif path.suffix.lower() not in IMAGE_TYPES:
                diags.append(Diagnostic("S007", f"image {image.src}: use PNG, JPEG, GIF, SVG or WebP",
                                        *where))
            else:
                found[image_path(image.src)] = path.read_bytes()
    return tuple(sorted(found.items())), diags
