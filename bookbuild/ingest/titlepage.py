"""What a book with no CIP record says of itself on its title pages: its title and
subtitle, its creators, every ISBN; and which script its Chinese is written in."""

from __future__ import annotations

import re

from bookbuild.book.model import Creator
from bookbuild.ingest.cip import ROLES as CN_ROLES
from bookbuild.ingest.cleanup import NUMBERED_HEADING_RE
from bookbuild.ingest.isbns import find_isbns
from bookbuild.ingest.text import heading_level, tidy_title
from bookbuild.ingest.tw import ROLES as TW_ROLES
from bookbuild.text import HAN, has_han, match_key, strip_heading

Lines = list[tuple[int, str]]

_BY_RE = re.compile(r"^(?:(?P<role>edited|translated|illustrated|written)\s+)?by\s+(?P<names>.+)$", re.I)
_EN_NAME_RE = re.compile(r"^(?:[A-Z][a-zA-Z'’-]+\.?\s+){1,3}[A-Z][a-zA-Z'’-]+$")
_CN_NAME_RE = re.compile(
    rf"^(?P<names>[{HAN}·．]{{2,12}}(?:[，,、\s]+[{HAN}·．]{{2,12}})*)\s*(?P<et_al>等)?\s*"
    r"(?P<role>编著|主编|著|编|译|繪|绘|撰|譯|編)$"
)
_NOT_A_PERSON_RE = re.compile(r"\b(?:Press|Books|Publish\w*|University|Inc|Ltd|Company|House|Group)\b|出版")
_EN_ROLES = {"edited": "editor", "translated": "translator", "illustrated": "illustrator", "written": "author"}


def creators_from_title_page(front, title: str, subtitle: str) -> list[Creator]:
    """No CIP record: the names the title page prints ("Jane Smith", "Edited by John Doe",
    "严加安 著", "王榮輝 譯")."""
    creators: list[Creator] = []
    seen_title = {match_key(title), match_key(subtitle)}
    for block in front:
        for _, raw in block:
            text = " ".join(strip_heading(raw).split())
            if not text or match_key(text) in seen_title or _NOT_A_PERSON_RE.search(text):
                continue
            by, cn = _BY_RE.match(text), _CN_NAME_RE.match(text)
            if by:
                role = _EN_ROLES.get((by.group("role") or "written").lower(), "author")
                names = re.split(r"\s*(?:,|\band\b|&)\s*", by.group("names"))
                if not all(_EN_NAME_RE.match(name.strip(" .")) for name in names if name.strip(" .")):
                    continue  # "by the end of this chapter" is a sentence, not a byline
            elif cn:
                role = {**CN_ROLES, **TW_ROLES}.get(cn.group("role"), "author")
                names = re.split(r"[，,、\s]+", cn.group("names"))
            elif _EN_NAME_RE.match(text):
                role, names = "author", [text]
            else:
                continue
            creators += [
                Creator(name=name.strip(" ."), role=role, et_al=bool(cn and cn.group("et_al")))
                for name in names
                if name.strip(" .")
            ]
    return creators


def all_isbns(parts) -> list:
    found: list = []
    for _, text in list(parts.cip) + list(parts.colophon) + [line for block in parts.front for line in block]:
        found += [e for e in find_isbns(text) if all(e.isbn != f.isbn for f in found)]
    return found


def title_from_headings(lines: Lines) -> tuple[str, str]:
    """No CIP record and no title page: the book's title is the first top-level heading
    near the start, its subtitle the second-level heading right below it. A title an
    extractor repeated (cover, then title page) is preferred."""
    opening = [(n, t) for n, t in lines[:80] if heading_level(t)]
    level_one = [
        tidy_title(strip_heading(t))
        for _, t in opening
        if heading_level(t) == 1 and not NUMBERED_HEADING_RE.match(strip_heading(t))
    ]  # "1. Introduction" is no book title
    repeated = next((t for t in level_one if level_one.count(t) > 1), None)
    title = repeated or (level_one[0] if level_one else "")
    if not title or len(title) > 120:
        return "", ""
    at = next(i for i, (_, t) in enumerate(opening) if tidy_title(strip_heading(t)) == title)
    below = opening[at + 1] if at + 1 < len(opening) else None
    subtitle = ""
    if below and heading_level(below[1]) == 2 and below[0] - opening[at][0] <= 3:
        subtitle = tidy_title(strip_heading(below[1]))
    return title, subtitle


# characters written one way in traditional and another in simplified Chinese, among the
# most frequent: which set a text uses tells its script
_TRADITIONAL_RE = re.compile("[們這個來為國書說學對時會與發經過動開問關長現處點見從應業實機後還讓體東認]")
_SIMPLIFIED_RE = re.compile("[们这个来为国书说学对时会与发经过动开问关长现处点见从应业实机后还让体东认]")


def language_of(text: str, cip_style: str) -> str:
    if not has_han(text):
        return "en"
    traditional, simplified = len(_TRADITIONAL_RE.findall(text)), len(_SIMPLIFIED_RE.findall(text))
    return "zh-Hant" if cip_style == "tw" or traditional > simplified else "zh-Hans"
