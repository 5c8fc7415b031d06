"""Text normalisation shared by the ingest parsers (CJK-aware). What the build needs as
well lives in bookbuild.text (title keys) and bookbuild.book.pages (page labels)."""

from __future__ import annotations

import re

from bookbuild.text import HAN

# dot leaders, also as pdftotext spaces them (". . . .")
_LEADER_RE = re.compile(r"(?:…{2,}|…|·{3,}|\.{3,}|(?:\s?\.){3,}|．{2,}|-{3,}|_{3,})")
_LINE_END_HYPHEN_RE = re.compile(r"(?<![A-Za-z])[a-z]{2,}-$|[A-Za-z][a-z]+-$")
# A sentence (or block) is complete when it ends with one of these, optionally followed
# by closing quotes/brackets.
_CLOSED_RE = re.compile(r"[。！？!?…；;.:：][”’」』）)》〉\]\"']*$|[”」』］]$")  # ］ ends a placeholder

CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
CN_UNITS = {"十": 10, "百": 100, "千": 1000}


# a running head or foot with its page number on one side: "12 Chapter 1. Title", "Preface xi"
HEAD_WITH_PAGE_RE = (
    re.compile(r"^(?P<page>\d{1,4}|[ivxlcdm]{1,7})\s+(?P<text>\S.*)$"),
    re.compile(r"^(?P<text>.*\S)\s+(?P<page>\d{1,4}|[ivxlcdm]{1,7})$"),
)


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
    return re.sub(rf"(?<=[{HAN}”“])([,:;?!])(?=[{HAN}“”]|$)", lambda m: _HALF_TO_FULL[m.group(1)], text)


# what a key leaves out: all but letters, digits (\w less '_', as str.isalnum()) and '+'
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
