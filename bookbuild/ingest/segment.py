"""Find the parts of a raw extraction: cover and title page, CIP record, colophon,
printed contents, body."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bookbuild.ingest.cip import CIP_HEADING_RE, CIP_NUMBER_RE
from bookbuild.ingest.contents import is_contents_heading
from bookbuild.ingest.loc import LOC_HEADING_RE
from bookbuild.ingest.text import heading_level
from bookbuild.ingest.tw import TW_END_RE, TW_HEADING_RE
from bookbuild.text import strip_heading

Lines = list[tuple[int, str]]
_COPYRIGHT_RE = re.compile(r"©|Copyright|版权所有|All rights reserved", re.I)


@dataclass(frozen=True)
class Segments:
    front: tuple[Lines, ...]  # cover / title page blocks, in order
    cip_style: str  # "cn" | "loc" | "tw" | ""
    cip: Lines
    colophon: Lines
    before_contents: Lines  # pages between the copyright page and the contents: text
    contents_heading: int | None  # index into lines
    cip_heading: int | None  # line number of the CIP heading
    lines: Lines


def segment(lines: Lines, page_starts: list[int] | tuple[int, ...] = ()) -> Segments:
    cip_at, style = _find_cip(lines)
    contents_at = next(
        (
            i
            for i, (_, t) in enumerate(lines)
            if (heading_level(t) or len(t.strip()) <= 20)
            and t.strip()
            and is_contents_heading(t)
            and (cip_at is None or i > cip_at)
        ),
        None,
    )
    front_end = cip_at if cip_at is not None else (contents_at if contents_at is not None else 0)
    front: list[Lines] = []
    colophon: Lines = []
    for block in _blocks_split_by_gaps(lines[:front_end], set(page_starts)):
        if any(_COPYRIGHT_RE.search(t) for _, t in block):
            colophon.extend((n, t) for n, t in block if t.strip())  # a copyright notice printed before the CIP record
        else:
            front.append(block)
    cip: Lines = []
    if cip_at is not None:
        stop = contents_at if contents_at is not None else len(lines)
        heading_rest = _after_heading(lines[cip_at][1], style)
        if heading_rest:
            cip.append((lines[cip_at][0], heading_rest))
        cip_end = _cip_end(lines, cip_at + 1, stop, style)
        cip.extend(lines[cip_at + 1 : cip_end])
        # the copyright page ends where the next page begins (when the source marks its
        # pages): what follows before the contents is text (a preface, a series page)
        next_page = next((i for i in range(cip_end, stop) if lines[i][0] in set(page_starts)), stop)
        colophon.extend(lines[cip_end:next_page])
        before_contents = lines[next_page:stop]
    return Segments(
        front=tuple(front),
        cip_style=style,
        cip=cip,
        colophon=colophon,
        before_contents=before_contents if cip_at is not None else [],
        contents_heading=contents_at,
        lines=lines,
        cip_heading=lines[cip_at][0] if cip_at is not None else None,
    )


def _find_cip(lines: Lines) -> tuple[int | None, str]:
    for index, (_, text) in enumerate(lines):
        if CIP_HEADING_RE.search(text):
            return index, "cn"
        if LOC_HEADING_RE.search(text):
            return index, "loc"
        if TW_HEADING_RE.search(text):
            return index, "tw"
    return None, ""


def _after_heading(text: str, style: str) -> str:
    pattern = {"cn": CIP_HEADING_RE, "tw": TW_HEADING_RE}.get(style, LOC_HEADING_RE)
    return strip_heading(pattern.split(strip_heading(text), maxsplit=1)[-1]).strip()


def _cip_end(lines: Lines, start: int, stop: int, style: str) -> int:
    """Index just past the record: the CIP number line, or the 'LC record' line."""
    for index in range(start, stop):
        text = lines[index][1]
        if style == "cn" and CIP_NUMBER_RE.search(text):
            return index + 1
        if style == "tw" and TW_END_RE.match(text):
            return index + 1
        if style == "loc" and re.match(r"\s*LC (record|ebook record)", text):
            return index + 1
        if (
            style == "loc"
            and re.search(r"(?:^|\s)(?:19|20)\d{2}-?\d{5,6}\s*$", text)
            and not any(re.match(r"\s*LC (record|ebook record)", t) for _, t in lines[index + 1 : stop])
        ):
            return index + 1  # the classic card ends with its LCCN
    # no closing line: the record runs to the first colophon-like line or blank gap
    for index in range(start, stop):
        if re.match(r"^[\u4e00-\u9fff](\s?[\u4e00-\u9fff]){1,5}\s*[：:]", lines[index][1]):
            return index
    return stop


def _blocks_split_by_gaps(lines: Lines, page_starts: set[int] = frozenset()) -> list[Lines]:
    """Blocks separated by a form feed, or by two or more blank lines (how extraction
    separates pages); single blank lines stay inside a block, where they separate
    paragraphs."""
    blocks: list[Lines] = []
    current: Lines = []
    blank_run = 0
    new_page = False  # a form feed since the last line with text (its own line may be blank)
    for number, text in lines:
        new_page = new_page or number in page_starts
        if not text.strip():
            blank_run += 1
            if current:
                current.append((number, text))
            continue
        if (blank_run >= 2 or new_page) and current:
            blocks.append(current)
            current = []
        blank_run, new_page = 0, False
        current.append((number, text))
    if current:
        blocks.append(current)
    return [[(n, t) for n, t in block] for block in blocks]
