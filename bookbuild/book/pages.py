"""Print-page labels: arabic numbers for the body, lower-case roman numerals for the
front matter (the only two numberings a page marker may use), their order and arithmetic.
Used by ingest (reading printed page numbers), load and parse (checking labels), resolve
and check (the order of the page-list)."""

from __future__ import annotations

import re

# a label as a page marker or front matter may write it: {{page 12}}, page: xii
LABEL_RE = re.compile(r"\d+|[ivxlcdm]+")
_ROMAN = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100, "d": 500, "m": 1000}


def is_label(text: str) -> bool:
    return LABEL_RE.fullmatch(text) is not None


def roman_value(text: str) -> int | None:
    text = text.lower()
    if not text or any(ch not in _ROMAN for ch in text):
        return None
    total = 0
    for i, ch in enumerate(text):
        value = _ROMAN[ch]
        if i + 1 < len(text) and _ROMAN[text[i + 1]] > value:
            total -= value
        else:
            total += value
    return total


def page_label(text: str) -> str | None:
    """A page number as printed -> its label: '001' -> '1', '/ 30' -> '30', 'xii' ->
    'xii'; None if it is not a page number."""
    text = text.strip().lstrip("/").strip()
    if text.isdigit() and len(text) <= 4:
        return str(int(text))
    if re.fullmatch(r"[ivxlcdm]{1,7}", text) and roman_value(text):
        return text
    return None


def next_label(label: str) -> str:
    """The page after `label`, in the same numbering (arabic or lower roman)."""
    if label.isdigit():
        return str(int(label) + 1)
    value = (roman_value(label) or 0) + 1
    out = ""
    for number, numeral in (
        (1000, "m"),
        (900, "cm"),
        (500, "d"),
        (400, "cd"),
        (100, "c"),
        (90, "xc"),
        (50, "l"),
        (40, "xl"),
        (10, "x"),
        (9, "ix"),
        (5, "v"),
        (4, "iv"),
        (1, "i"),
    ):
        while value >= number:
            out += numeral
            value -= number
    return out


def page_order(label: str) -> tuple[int, int]:
    """Sort key: roman front-matter pages before arabic ones."""
    if label.isdigit():
        return (1, int(label))
    return (0, roman_value(label) or 0)
