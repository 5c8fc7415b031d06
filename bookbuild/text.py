"""Text keys shared by `ingest` and `check`: matching a printed title with a heading
however it was spaced, widened or punctuated (CJK-aware)."""

from __future__ import annotations

import re
import unicodedata

HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAN_RE = re.compile(f"[{HAN}]")
# one ASCII space between a Han character and a Latin letter or digit: the outputs drop it
# (render.typeset), since text-autospace gives that gap; check reports it (book.lints, S029)
HAN_LATIN_SPACE = re.compile(rf" (?:(?<=[{HAN}] )(?=[A-Za-z0-9])|(?<=[A-Za-z0-9] )(?=[{HAN}]))")
_HEADING_RE = re.compile(r"^\s{0,3}#{1,6}\s*")
_TAG_RE = re.compile(r"</?(?:b|strong|i|em|u|span|font)\b[^>]*>", re.I)
_KEY_DROP_RE = re.compile(r"[^\w+]|_")


def has_han(text: str) -> bool:
    return bool(_HAN_RE.search(text))


def strip_heading(line: str) -> str:
    """'## 前 言' -> '前 言'; also drops <b> tags and trailing spaces."""
    if "<" not in line and "#" not in line[:10]:
        return line.strip()  # most lines: nothing to strip but spaces
    return _TAG_RE.sub("", _HEADING_RE.sub("", line)).strip()


def match_key(text: str) -> str:
    """A key that ignores spacing, width and punctuation: for matching titles."""
    text = unicodedata.normalize("NFKC", strip_heading(text))
    return _KEY_DROP_RE.sub("", text).lower()


def unique_name(base: str, used: set[str]) -> str:
    """`base`, or base-2, base-3 … the first not in `used`; added to `used`."""
    candidate, n = base, 2
    while candidate in used:
        candidate, n = f"{base}-{n}", n + 1
    used.add(candidate)
    return candidate
