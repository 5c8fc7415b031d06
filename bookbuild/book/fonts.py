"""Find a font on this system to draw a generated cover with: an OFL-licensed face
(Noto, Source Han, Liberation …) that covers the book's script, located through
fontconfig. Nothing is downloaded; with none found the build warns and goes on."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from dataclasses import dataclass

from bookbuild.book.model import CoverFont

# Families under the SIL Open Font License, best first. The CJK faces also cover Latin,
# so a Latin book falls back on them.
_CJK_FAMILIES = ("Noto Serif CJK", "Source Han Serif", "Noto Sans CJK", "Source Han Sans")
_LATIN_FAMILIES = (
    "Noto Serif",
    "Source Serif 4",
    "Source Serif Pro",
    "Liberation Serif",
    "EB Garamond",
    "Libertinus Serif",
)
# the face of a CJK collection for each Chinese/Japanese/Korean locale
_REGION = {"zh-hant": "TC", "zh-tw": "TC", "zh-hk": "HK", "zh-mo": "HK", "ja": "JP", "ko": "KR"}
INSTALL_HINT = "install an OFL font for the book's script, e.g. `apt-get install fonts-noto-cjk` (Debian, Ubuntu)"


@dataclass(frozen=True)
class _Face:
    path: str
    index: int
    family: str
    style: str


def _region(language: str) -> str:
    tag = language.lower()
    for prefix, region in _REGION.items():
        if tag == prefix or tag.startswith(prefix + "-"):
            return region
    return "SC"


def _fontconfig_faces(lang: str) -> list[_Face]:
    """Every face fontconfig says covers `lang` (fc-list; empty without fontconfig)."""
    fc_list = shutil.which("fc-list")
    if not fc_list:
        return []
    try:
        listed = subprocess.run(
            [fc_list, "--format", "%{file}\t%{index}\t%{family[0]}\t%{style[0]}\n", f":lang={lang}"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    faces = []
    for line in listed.splitlines():
        parts = line.split("\t")
        if len(parts) == 4 and parts[1].isdigit() and os.path.isfile(parts[0]):
            faces.append(_Face(parts[0], int(parts[1]), parts[2], parts[3]))
    return sorted(faces, key=lambda f: (f.family, f.style, f.path, f.index))


def _choose(faces: list[_Face], families: tuple[str, ...], region: str) -> tuple[_Face, _Face] | None:
    """(regular, bold) of the first family present; for CJK collections the face of the
    book's region (Noto Serif CJK SC for zh-Hans)."""
    for family in families:
        matching = [f for f in faces if f.family == family or f.family == f"{family} {region}"]
        regional = [f for f in matching if f.family.endswith(f" {region}")] or matching
        regular = next((f for f in regional if f.style in ("Regular", "Book")), None)
        if regular:
            bold = next((f for f in regional if f.style == "Bold"), regular)
            return regular, bold
    return None


def _cover_font(face: _Face) -> CoverFont:
    status = os.stat(face.path)
    return CoverFont(face.path, face.index, face.family, f"{status.st_size}:{status.st_mtime_ns}")


@functools.lru_cache(maxsize=8)
def find_cover_fonts(language: str) -> tuple[CoverFont, CoverFont] | None:
    """(regular, bold) for a cover in `language`, or None when this system has none."""
    primary = language.split("-")[0].lower()
    cjk = primary in ("zh", "ja", "ko")
    faces = _fontconfig_faces(primary if cjk else "en")
    families: tuple[str, ...] = _CJK_FAMILIES if cjk else _LATIN_FAMILIES + _CJK_FAMILIES
    found = _choose(faces, families, _region(language))
    return (_cover_font(found[0]), _cover_font(found[1])) if found else None
