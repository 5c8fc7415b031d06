"""Source lines made readable before the parsers see them: what an OCR model wrote that
is not the book, pdftotext's lone bullets, and numbered lines that are headings in plain
text that marks none. Each keeps every line where it was (a line moved or dropped leaves
a blank), so diagnostics and the lost-line check keep their line numbers."""

from __future__ import annotations

import re

from bookbuild.diagnostics import Diagnostic
from bookbuild.ingest.text import heading_level

Lines = list[tuple[int, str]]

NUMBERED_HEADING_RE = re.compile(
    r"^(?:(?P<chapter>(?:Chapter|CHAPTER|Part|PART)\s+(?:\d{1,3}|[IVXLC]{1,6}))|(?P<number>\d{1,2}(?:\.\d{1,2}){0,3})\.?"
    r"\s+(?P<title>[A-Z\u4e00-\u9fff][^.!。]{0,60}))$"
)


_MISSING_PAGE_RE = re.compile(r"^\s*\[MISSING_PAGE_(?:EMPTY|FAIL|POST)(?::(?P<page>\d+))?\]\s*$")
_REPEATS = 3  # a line said this many times running is a model's loop, not the book


def extraction_artefacts(lines: Lines, found: list[Diagnostic], path: str, chinese: bool) -> Lines:
    """What an OCR model wrote that is not the book: Nougat's [MISSING_PAGE_…] notes become
    a visible placeholder (the page's text is lost: the reader should see that it is),
    and a line repeated three or more times running (a generation loop) is kept once."""
    out = list(lines)
    previous, run = None, []
    for index, (number, text) in enumerate(lines + [(0, "\0")]):
        missing = _MISSING_PAGE_RE.match(text)
        if missing:
            page = missing.group("page") or "?"
            placeholder = f"［提取时缺页：{page}］" if chinese else f"［page {page} missing from the extraction］"
            out[index] = (number, placeholder)
            found.append(
                Diagnostic(
                    "S022",
                    f"the extractor lost page {page} ({text.strip()}): a visible placeholder stands in its place",
                    path,
                    number,
                )
            )
            continue
        if not text.strip():
            continue
        if text.strip() == previous:
            run.append(index)
            continue
        if len(run) >= _REPEATS:
            for i in run[1:]:
                out[i] = (lines[i][0], "")
            found.append(
                Diagnostic(
                    "S022",
                    f"the same line {len(run)} times running (an OCR model repeating itself): kept once",
                    path,
                    lines[run[0]][0],
                )
            )
        previous, run = text.strip(), [index]
    return out


def lone_bullets(lines: Lines) -> Lines:
    """pdftotext sets a bullet on a line of its own, the item's text a blank line below:
    the bullet goes to the text's line (its own line left blank, so numbers stay)."""
    out = list(lines)
    for index, (number, text) in enumerate(lines):
        if text.strip() in ("•", "●", "▪", "◦"):
            below = next((i for i in range(index + 1, min(index + 3, len(lines))) if lines[i][1].strip()), None)
            if below is not None and out[below][1].strip() not in ("•", "●", "▪", "◦"):
                out[index] = (number, "")
                out[below] = (lines[below][0], f"{text.strip()} {lines[below][1].lstrip()}")
    return out


def numbered_headings(lines: Lines, diagnostics: list[Diagnostic], path: str) -> Lines:
    """Plain text with no Markdown heading at all: its numbered headings ("Chapter 2",
    "2.1 Introduction", "1. Introduction") are headings, by their numbering. Made so
    only when there are at least two, so that a numbered sentence stays a sentence."""
    if any(heading_level(t) for _, t in lines):
        return lines
    found = {n: m for n, t in lines if len(t.strip()) <= 70 and (m := NUMBERED_HEADING_RE.match(t.strip()))}
    if len(found) < 2:
        return lines
    out = []
    for n, t in lines:
        m = found.get(n)
        if m:
            level = 1 if m.group("chapter") else min(3, m.group("number").count(".") + 1)
            t = "#" * level + " " + t.strip()
        out.append((n, t))
    diagnostics.append(
        Diagnostic(
            "S012",
            f"no headings marked in the source: {len(found)} numbered "
            'lines ("2.1 Title", "Chapter 2") taken as headings',
            path,
            min(found),
        )
    )
    return out
