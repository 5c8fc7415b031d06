"""A printed index (索引, Index) in the source: an entry a line, sub-entries indented, page
numbers and ranges after the term ("互联网+，3，17，37–39", "Geometry, differential, 12,
37–39"), "see" and "see also" kept as text. Ingest writes it as a Markdown list in a unit
of kind index, and links each page number to the page's marker when the book has that
page; a page it lacks stays a number, and the report counts it."""

from __future__ import annotations

import re

_INDENT_RE = re.compile(r"^(?:[ \t]{2,}|\u3000+)")
# a page number or range at the end of the entry or before the next one
_PAGES_RE = re.compile(
    r"(?<=[，,、;；\s])(\d{1,4}|[ivxlcdm]{1,7})(?:\s*[-–—~～]\s*(\d{1,4}|[ivxlcdm]{1,7}))?(?=\s*(?:[，,、;；]|$))"
)


def index_entry(line: str) -> str:
    """A source line of a printed index as a list item: "- term, 12", or "    - sub, 3"
    for an indented sub-entry."""
    text = line.strip()
    if text.startswith("- "):
        text = text[2:]
    return ("    - " if _INDENT_RE.match(line) else "- ") + text


def link_pages(text: str, pages: set[str]) -> tuple[str, int, int]:
    """The entries' page numbers linked to the book's page markers: (text, linked,
    left as numbers because the book has no such page)."""
    linked = lacking = 0

    def link(match: re.Match[str]) -> str:
        nonlocal linked, lacking
        if match.group(1) not in pages:
            lacking += 1
            return match.group(0)
        linked += 1
        return f"[{match.group(0)}](#page-{match.group(1)})"

    lines = [_PAGES_RE.sub(link, line) if line.lstrip().startswith("- ") else line for line in text.split("\n")]
    return "\n".join(lines), linked, lacking
