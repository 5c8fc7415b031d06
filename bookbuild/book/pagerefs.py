"""Print-page references in running text: 第 37 页, 第 12–15 页, 见 37 页, p. 37, pp. 12–15,
page 37, pages 12 to 15. The parse stage marks each one; resolve links it to the page's
marker when the book has that page, and reports it (P007) when it has not.

A reference to a page of *another* book is a citation, not a cross-reference, and is left
alone: in Chinese, a reference after a book title 《…》 in the same clause (《某书》第 37
页); in English, a p./pp. reference after a comma or with a year, "ed.", "vol.", "ibid."
or "op. cit." earlier in its sentence ("Smith, p. 45", "(Smith 2001, 45–47)"). An author
opts a passage out with the class `no-page-refs` (`{.no-page-refs}` after a paragraph,
or `<span class="no-page-refs">…</span>`), and a whole book with `page_references: false`
in metadata.yaml.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_NUMBER = r"(\d{1,4})"
_LABEL = r"(\d{1,4}|[ivxlcdm]{1,7})"
_DASH = r"\s*(?:[-‐‑–—~～至到]|to|and)\s*"
_ZH_DASH = r"\s*[-‐‑–—~～至到]\s*"

# 第 37 页, 第 12–15 页, 第12页至第15页 … and 见 37 页 (见第 37 页 is the first form)
_ZH = (
    rf"第\s*{_LABEL}\s*(?:页\s*)?(?:{_ZH_DASH}(?:第\s*)?{_LABEL}\s*)?页"
    rf"|见\s*{_NUMBER}\s*(?:{_ZH_DASH}{_NUMBER}\s*)?页"
)
# p. 37, pp. 12–15, page 37, pages 12 to 15, page xii
_EN = rf"\b(?:[Pp]ages?|[Pp]p?\.)\s?{_LABEL}(?:{_DASH}{_LABEL})?\b"
REFERENCE_RE = re.compile(f"{_ZH}|{_EN}")

_CLAUSE_END = re.compile(r"[。！？；\n]")
_SENTENCE_END = re.compile(r"[.!?]\s+(?=[A-Z“\"(])|\n")  # not after "vol. 2" or "p. 4"
_CITATION_WORDS = re.compile(r"\b(?:1[5-9]\d\d|20\d\d|eds?\.|[Vv]ol\.|[Ii]bid\b|op\. cit\.|trans\.)")


@dataclass(frozen=True)
class Found:
    start: int
    end: int
    first: str  # the page label referred to (a range links to its first page)
    last: str | None  # the range's last page, if a range


def _could_hold_one(text: str) -> bool:
    """A quick test before the regular expression, which would try every position of a
    book's text: a reference needs 页, "p." or "age" (page, pages, Page)."""
    return "页" in text or "p." in text or "age" in text or "P." in text


def find_references(text: str, before: str | Callable[[], str] = "") -> list[Found]:
    """The print-page references in `text`, citations of other books left out. `before`:
    the text just before it in the same block (where a citation's title or year may be),
    or a function giving it, asked only when a reference is found."""
    if not _could_hold_one(text):
        return []
    found = []
    for match in REFERENCE_RE.finditer(text):
        groups = [g for g in match.groups() if g is not None]
        if not groups:
            continue
        if _after_braces(text, match.start()):
            # a page marker written out as text (\{{page 5}}), or one written wrong and
            # reported as such ({{ page 5}}, P008): not a reference
            continue
        if callable(before):
            before = before()
        if _is_citation(before + text[: match.start()], match.group(0)):
            continue
        first, last = groups[0], groups[1] if len(groups) > 1 else None
        if last is not None and (first.isdigit() != last.isdigit()):
            last = None  # "pages 12 and iv": not one range
        found.append(Found(match.start(), match.end(), first, last))
    return found


def _after_braces(text: str, start: int) -> bool:
    """Whether `{{` and nothing but white space come just before `start`."""
    while start > 0 and text[start - 1].isspace():
        start -= 1
    return text.endswith("{{", 0, start)


def _is_citation(preceding: str, reference: str) -> bool:
    if "页" in reference:
        clause = _CLAUSE_END.split(preceding)[-1]
        return "》" in clause or "同上" in clause
    sentence = _SENTENCE_END.split(preceding)[-1]
    if reference[0] in "Pp" and reference[:2].lower() in ("p.", "pp") and preceding.rstrip().endswith(","):
        return True
    return _CITATION_WORDS.search(sentence) is not None
