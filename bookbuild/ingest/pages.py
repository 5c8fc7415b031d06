"""Print pages from the source's own evidence: form feeds, and on each page its number and
running head or foot.

pdftotext ends every page with a form feed, so where a source has them the page breaks
are exact. What stands at the top or the bottom of a page is furniture, not text, when it
is a page number alone ("17", "xii"), or a line repeated at the top or bottom of other
pages ("Chapter 2: ASN.1 structure handling", "Shared MIME-info Database"), with or
without a page number beside it ("12 Chapter 1. Title", "Preface xi"). A page whose number
is not printed is counted from its neighbours, and says so (known=False).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from bookbuild.book.pages import next_label, page_label, page_order, roman_value
from bookbuild.ingest.text import HEAD_WITH_PAGE_RE, has_leaders
from bookbuild.text import match_key

Lines = list[tuple[int, str]]
_EDGE_LINES = 3  # how far into a page from the top and from the bottom furniture is looked for
_MAX_FURNITURE_CHARS = 90


# "Chapter 2", "Part 3", "Step 4": a word and a number that number the book's own parts,
# repeated with other numbers but never a running head with a page number
NUMBERING_WORDS = {
    "chapter",
    "part",
    "section",
    "lesson",
    "unit",
    "step",
    "figure",
    "fig",
    "table",
    "appendix",
    "exercise",
    "example",
    "book",
    "volume",
    "vol",
    "act",
    "scene",
    "question",
    "problem",
    "lecture",
    "session",
    "day",
    "week",
    "plate",
    "map",
    "note",
}


@dataclass(frozen=True)
class PageEvidence:
    # line number where a printed page begins -> (label, known): known when the page
    # printed its number, not known when it was counted from the pages around it
    breaks: dict[int, tuple[str, bool]] = field(default_factory=dict)
    furniture: dict[int, str] = field(default_factory=dict)  # line number -> why it goes


def page_separators(lines: Lines) -> list[int]:
    """Lines that are '---' alone, where an extractor put one between every two pages:
    at least three, and most of what lies between them page-sized (2 to 150 lines with
    text). A Markdown thematic break now and then is not that."""
    at = [n for n, t in lines if t.strip() == "---" and n > 1]
    if len(at) < 3:
        return []
    filled = {n for n, t in lines if t.strip()}
    bounds = [0] + at + [lines[-1][0] + 1]
    sizes = [sum(1 for n in range(a + 1, b) if n in filled) for a, b in zip(bounds, bounds[1:])]
    page_sized = sum(1 for size in sizes if 2 <= size <= 150)
    return at if page_sized >= 0.8 * len(sizes) else []


def numbered_heads(lines: Lines) -> set[str]:
    """Keys of lines printed again and again with a page number beside them ("思维与拓展 17",
    "# Chapter 2: Title 31"), even where an extractor made them headings: running heads or
    feet, found by their repetition when no form feed marks the pages."""
    numbers: dict[str, set[str]] = {}
    for _, text in lines:
        stripped = text.strip().lstrip("#").strip()
        if not stripped or len(stripped) > _MAX_FURNITURE_CHARS:
            continue
        for pattern in HEAD_WITH_PAGE_RE:
            m = pattern.match(stripped)
            if m and page_label(m.group("page")) and match_key(m.group("text")):
                numbers.setdefault(match_key(m.group("text")), set()).add(m.group("page"))
                break
    return {key for key, found in numbers.items() if len(found) >= 3 and key not in NUMBERING_WORDS}


def page_evidence(lines: Lines, page_starts: list[int], separators: list[int] = ()) -> PageEvidence:
    """`page_starts`: the line numbers that began after a form feed, or after a page
    separator (`separators`, which go as furniture)."""
    if separators:
        page_starts = [n + 1 for n in separators]
    if len(page_starts) < 2:
        return PageEvidence()
    pages = _split(lines, page_starts)
    repeated = _repeated_edges(pages)
    furniture: dict[int, str] = {}
    printed: list[str | None] = []
    seen: set[str] = set()
    title_keys = {_text_key(t) for _, t in pages[0]}  # the book's title is a head, not a heading
    for index, page in enumerate(pages):
        label = None
        for end in _from_each_end(page):
            for position, (number, text) in enumerate(end):  # from the edge inwards, up to the first line of text
                why, found = _furniture(text, repeated, index)
                key = _text_key(text)
                inward = end[position + 1][1] if position + 1 < len(end) else ""
                if (
                    why == "running head"
                    and key not in seen
                    and key not in title_keys
                    and not page_label(inward.strip())
                ):
                    # the first time a chapter's title stands at the top of a page, with
                    # no page number next to it, it is the chapter's heading (an opening
                    # page prints no running head); after that it is the running head
                    seen.add(key)
                    break
                if not why or number in furniture:
                    break
                furniture[number] = why
                label = label or found
        printed.append(label)
    labels = _count_missing(printed)
    breaks: dict[int, tuple[str, bool]] = {}
    for index, page in enumerate(pages):
        if index == 0 or labels[index] is None:
            continue
        first = next((n for n, t in page if t.strip() and n not in furniture), None)
        if first is not None:
            breaks[first] = (labels[index], printed[index] == labels[index])
    furniture.update({n: "page separator" for n in separators})
    return PageEvidence(breaks=breaks, furniture=furniture)


def _split(lines: Lines, page_starts: list[int]) -> list[Lines]:
    starts = sorted(set(page_starts) | {lines[0][0]})
    pages: list[Lines] = []
    bounds = starts + [lines[-1][0] + 1]
    position = 0
    for begin, end in zip(bounds, bounds[1:]):
        page = []
        while position < len(lines) and lines[position][0] < end:
            if lines[position][0] >= begin:
                page.append(lines[position])
            position += 1
        pages.append(page)
    return pages


def _edges(page: Lines) -> Lines:
    """The lines where furniture can stand: the first and the last few with text."""
    filled = [(n, t) for n, t in page if t.strip()]
    if len(filled) <= 2 * _EDGE_LINES:
        return filled
    return filled[:_EDGE_LINES] + filled[-_EDGE_LINES:]


def _from_each_end(page: Lines) -> tuple[Lines, Lines]:
    filled = [(n, t) for n, t in page if t.strip()]
    return filled[:_EDGE_LINES], list(reversed(filled[-_EDGE_LINES:]))


def _text_key(text: str) -> str:
    """The key of a head or foot without its page number."""
    stripped = text.strip()
    for pattern in HEAD_WITH_PAGE_RE:
        m = pattern.match(stripped)
        if m and page_label(m.group("page")):
            stripped = m.group("text")
            break
    return match_key(stripped)


def _repeated_edges(pages: list[Lines]) -> set[str]:
    """Keys of lines that stand at the top or bottom of two or more pages (the first
    page, a title page, never counts: its lines are the title, not a running head)."""
    seen: Counter[str] = Counter()
    for page in pages[1:]:
        keys = {
            _text_key(t) for _, t in _edges(page) if len(t.strip()) <= _MAX_FURNITURE_CHARS and not has_leaders(t)
        }  # not a contents line
        seen.update(k for k in keys if k and not k.isdigit() and k not in NUMBERING_WORDS)
    return {key for key, count in seen.items() if count >= 2}


def _furniture(text: str, repeated: set[str], index: int) -> tuple[str | None, str | None]:
    stripped = text.strip()
    if index > 0 and page_label(stripped) and _plausible(page_label(stripped)):
        return "page number", page_label(stripped)
    if index == 0 or len(stripped) > _MAX_FURNITURE_CHARS:
        return None, None
    if _text_key(stripped) in repeated:
        for pattern in HEAD_WITH_PAGE_RE:
            m = pattern.match(stripped)
            if m and page_label(m.group("page")):
                return "running head with page number", page_label(m.group("page"))
        return "running head", None
    return None, None


def _plausible(label: str) -> bool:
    return label.isdigit() or (roman_value(label) or 0) <= 60


def _count_missing(printed: list[str | None]) -> list[str | None]:
    """Fill pages that print no number from the page before (the title page and pages
    before the first printed number stay unnumbered)."""
    labels: list[str | None] = []
    for label in printed:
        previous = labels[-1] if labels else None
        if label is None and previous is not None:
            label = next_label(previous)
        elif (
            label is not None
            and previous is not None
            and page_order(label)[0] == page_order(previous)[0]
            and page_order(label) <= page_order(previous)
        ):
            label = next_label(previous)  # a number read twice or out of order: count on
        labels.append(label)
    return labels
