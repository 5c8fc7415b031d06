"""Text normalisation shared by the ingest parsers (CJK-aware)."""

from __future__ import annotations

import re
import unicodedata

HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAN_RE = re.compile(f"[{HAN}]")
_HEADING_RE = re.compile(r"^\s{0,3}#{1,6}\s*")
_TAG_RE = re.compile(r"</?(?:b|strong|i|em|u|span|font)\b[^>]*>", re.I)
# dot leaders, also as pdftotext spaces them (". . . .")
_LEADER_RE = re.compile(r"(?:…{2,}|…|·{3,}|\.{3,}|(?:\s?\.){3,}|．{2,}|-{3,}|_{3,})")
_LINE_END_HYPHEN_RE = re.compile(r"(?<![A-Za-z])[a-z]{2,}-$|[A-Za-z][a-z]+-$")
# A sentence (or block) is complete when it ends with one of these, optionally followed
# by closing quotes/brackets.
_CLOSED_RE = re.compile(r"[。！？!?…；;.:：][”’」』）)》〉\]\"']*$|[”」』］]$")  # ］ ends a placeholder

CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
             "六": 6, "七": 7, "八": 8, "九": 9}
CN_UNITS = {"十": 10, "百": 100, "千": 1000}


# a running head or foot with its page number on one side: "12 Chapter 1. Title", "Preface xi"
HEAD_WITH_PAGE_RE = (re.compile(r"^(?P<page>\d{1,4}|[ivxlcdm]{1,7})\s+(?P<text>\S.*)$"),
                     re.compile(r"^(?P<text>.*\S)\s+(?P<page>\d{1,4}|[ivxlcdm]{1,7})$"))


def is_han(ch: str) -> bool:
    return bool(_HAN_RE.match(ch))


def has_han(text: str) -> bool:
    return bool(_HAN_RE.search(text))


def strip_heading(line: str) -> str:
    """'## 前 言' -> '前 言'; also drops <b> tags and trailing spaces."""
    if "<" not in line and "#" not in line[:10]:
        return line.strip()  # most lines: nothing to strip but spaces
    return _TAG_RE.sub("", _HEADING_RE.sub("", line)).strip()


def heading_level(line: str) -> int:
    m = re.match(r"^\s{0,3}(#{1,6})\s", line)
    return len(m.group(1)) if m else 0


def collapse_letter_spacing(text: str) -> str:
    """'连 接 一 切' -> '连接一切', '互 联 网 +' -> '互联网+'; '工业 4.0' stays.

    Only when every space-separated token is one CJK character (or one symbol), which
    is what letter-spaced titles look like; ordinary CJK/Latin spacing is left alone.
    """
    tokens = text.split()
    if len(tokens) >= 2 and all(len(t) == 1 and not t.isascii() or t in "+＋·" for t in tokens):
        return "".join(tokens)
    return text


_HALF_TO_FULL = {",": "，", ":": "：", ";": "；", "?": "？", "!": "！"}


def tidy_title(text: str) -> str:
    """A title as a book prints it: letter spacing collapsed, no spaces around '·',
    and the half-width punctuation OCR leaves between Han characters made full-width."""
    text = collapse_letter_spacing(" ".join(text.split()))
    text = re.sub(rf"(?<=[{HAN}”“])\s*([·・•])\s*(?=[{HAN}“”])", "·", text)
    return re.sub(rf"(?<=[{HAN}”“])([,:;?!])(?=[{HAN}“”]|$)",
                  lambda m: _HALF_TO_FULL[m.group(1)], text)


# what a key leaves out: all but letters, digits (\w less '_', as str.isalnum()) and '+'
_KEY_DROP_RE = re.compile(r"[^\w+]|_")


def match_key(text: str) -> str:
    """A key that ignores spacing, width and punctuation: for matching titles."""
    text = unicodedata.normalize("NFKC", strip_heading(text))
    return _KEY_DROP_RE.sub("", text).lower()


def has_leaders(text: str) -> bool:
    return _LEADER_RE.search(text) is not None


def strip_leaders(text: str) -> str:
    return _LEADER_RE.sub(" ", text.replace("\t", " "))


def is_closed(text: str) -> bool:
    """True when the text ends a sentence, so a following block is a new paragraph."""
    return bool(_CLOSED_RE.search(text.rstrip()))


def cn_number(text: str) -> int | None:
    """Chinese or arabic numeral -> int: '十八' -> 18, '二十一' -> 21, '3' -> 3."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    if not text or any(ch not in CN_DIGITS and ch not in CN_UNITS for ch in text):
        return None
    total, digit = 0, 0
    for ch in text:
        if ch in CN_DIGITS:
            digit = CN_DIGITS[ch]
        else:
            total += (digit or 1) * CN_UNITS[ch]
            digit = 0
    return total + digit


_ROMAN = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100, "d": 500, "m": 1000}


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
    """'001' -> '1', '/ 30' -> '30', 'xii' -> 'xii'; None if not a page number."""
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
    for number, numeral in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"),
                            (90, "xc"), (50, "l"), (40, "xl"), (10, "x"), (9, "ix"),
                            (5, "v"), (4, "iv"), (1, "i")):
        while value >= number:
            out += numeral
            value -= number
    return out


def page_order(label: str) -> tuple[int, int]:
    """Sort key: roman front-matter pages before arabic ones."""
    if label.isdigit():
        return (1, int(label))
    return (0, roman_value(label) or 0)


_PLAIN_SPECIAL_RE = re.compile(r"[\\`*_\[\]{}#|]")


def escape_plain(text: str) -> str:
    """Plain text (pdftotext's) as Markdown that says exactly that text: the characters
    Markdown would read as markup are escaped ("<object definition>" is text, not a tag)."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _PLAIN_SPECIAL_RE.sub(lambda m: "\\" + m.group(), text)


def join_text(left: str, right: str, marker: str = "") -> str:
    """Join two pieces of one paragraph, `marker` at the seam: no space between CJK,
    one space between Latin words (before the marker, so no word is glued), and a word
    hyphenated at the end of a line made whole again ("manip-" + "ulation")."""
    left, right = left.rstrip(), right.lstrip()
    if left.endswith("-") and right[:1].islower() and _LINE_END_HYPHEN_RE.search(left[-40:]):
        return f"{left[:-1]}{marker}{right}"
    # a space between two pieces of Latin text; none where either side is CJK
    space = " " if left and right and not _is_cjk(left[-1]) and not _is_cjk(right[0]) else ""
    return f"{left}{space}{marker}{right}"


def _is_cjk(ch: str) -> bool:
    return ord(ch) >= 0x2E80 and ch not in "“”‘’"
