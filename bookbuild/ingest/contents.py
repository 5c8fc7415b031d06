"""Parse a printed contents page (目录 / CONTENTS) into entries with levels and pages.

Levels come from the numbering (前言/序章 groups, 第X篇 parts, 第X章 chapters,
sections, 结语/后记/附录 back matter), never from the extraction's '#' marks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bookbuild.book.kinds import CJK_LABEL_KINDS, EN_LABEL_KINDS
from bookbuild.book.model import ContentsEntry
from bookbuild.book.pages import page_label
from bookbuild.ingest.text import has_leaders, heading_level, strip_leaders, tidy_title
from bookbuild.text import HAN, match_key, strip_heading

CONTENTS_KEYS = {
    "目录",
    "目錄",
    "contents",
    "tableofcontents",
    "目次",
    "briefcontents",
    "contentsinbrief",
    "简明目录",
    "简目",
    "簡明目錄",
}
_BRIEF_KEYS = {"briefcontents", "contentsinbrief", "简明目录", "简目", "簡明目錄"}
_PAREN_PAGE_RE = re.compile(r"^(.*\S)\s*[(（]\s*(\d{1,4}|[ivxlcdm]{1,7})\s*[)）]$")
_TABLE_RULE_RE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")
_NUMBERED_ENTRY_RE = re.compile(r"^(?:\d{1,2}(?:\.\d{1,2})+|第.{1,4}[章节篇])\s*\S")
_NUM = r"[一二三四五六七八九十百零〇两\d]+"
_PART_RE = re.compile(rf"^(?:第{_NUM}(?:篇|部分|部|卷|编)|Part\s+(?:[IVXLC]+|\d+|[A-Z][a-z]+)\b)")
_CHAPTER_RE = re.compile(rf"^(?:第{_NUM}章|Chapter\s+\w+|\d{{1,2}}\.?(?=\s))")
_PAGE_RE = re.compile(r"^(?P<title>.*?\S)\s*(?:\s|/)\s*(?P<page>\d{1,4}|[ivxlcdm]{1,7})\s*$")
# a numbering label printed in a column of its own ("2.1", "A.1", "3", "Appendix A")
_NUMBER_ONLY_RE = re.compile(r"^(?:\d{1,2}(?:\.\d{1,2})*|[A-Z](?:\.\d{1,2})+|Appendix\s+[A-Z])$")
_NUMBERED_HEADING_RE = re.compile(
    r"^(?P<number>\d{1,2}(?:\.\d{1,2})*|[A-Z](?:\.\d{1,2})*|Appendix\s+[A-Z])\s+(?P<title>\S.{0,80})$"
)
_AUTHOR_RE = re.compile(rf"^(?P<title>.+\S)\s+(?P<author>[{HAN}]{{2,4}}|[{HAN}]+·[{HAN}]+)$")


@dataclass
class ContentsResult:
    entries: list[ContentsEntry] = field(default_factory=list)
    end: int = 0  # index into the source lines where the body starts
    removed: list[tuple[int, str]] = field(default_factory=list)  # (line, why)


def label_kind(text: str) -> str | None:
    """'前言' -> 'preface', '重刊序言' -> 'foreword', 'Afterword' -> 'afterword';
    None for other titles."""
    key = match_key(text)
    if key in CJK_LABEL_KINDS or key in EN_LABEL_KINDS:
        return CJK_LABEL_KINDS.get(key) or EN_LABEL_KINDS.get(key)
    if len(key) <= 6:  # a qualified label: 重刊序言, 再版后记, 译后记
        for label in sorted(CJK_LABEL_KINDS, key=len, reverse=True):
            if len(label) >= 2 and key.endswith(label):
                return CJK_LABEL_KINDS[label]
    return None


def is_contents_heading(line: str) -> bool:
    return match_key(line) in CONTENTS_KEYS


def parse_contents(lines: list[tuple[int, str]], start: int) -> ContentsResult:
    """`lines[start]` is the first line after the contents heading."""
    source = lines
    lines = lines[:start] + _html_table_rows(_rejoin_number_column(lines[start:]))
    brief = start > 0 and _is_brief(lines[start - 1][1])  # a "Brief Contents" a full one follows
    result = _parse(lines, start, brief)
    if len(lines) != len(source) and result.end < len(lines):
        # a table's rows were lines of their own here: the body starts at the same line there
        result.end = next(i for i, (n, _) in enumerate(source) if n == lines[result.end][0])
    elif len(lines) != len(source):
        result.end = len(source)
    return result


def _parse(lines: list[tuple[int, str]], start: int, brief: bool) -> ContentsResult:
    result = ContentsResult(end=len(lines))
    state = _State()
    pending: tuple[int, str] | None = None
    for index in range(start, len(lines)):
        number, raw = lines[index]
        if index + 1 < len(lines) and _TABLE_RULE_RE.match(lines[index + 1][1]) and "|" in raw:
            result.removed.append((number, "contents table header"))
            continue
        text = " ".join(strip_leaders(strip_heading(_table_row(raw))).split())
        text = _PAREN_PAGE_RE.sub(r"\1 \2", text)  # "医家小传 (1)", "年谱（405）"
        if not text or _TABLE_RULE_RE.match(raw):
            continue
        if is_contents_heading(text):
            if not (result.entries and brief):
                result.removed.append((number, "contents running header"))
            else:
                brief = False
                # the full contents after a brief one: it supersedes the brief list
                result.removed += [(e.line, "brief contents (the full contents follows)") for e in result.entries]
                result.entries.clear()
                state = _State()
            continue
        if result.entries and (
            pending is None
            and _starts_body(text, result.entries)
            or (heading_level(raw) and any(match_key(text) == match_key(e.title) for e in result.entries))
        ):
            # the first entry's heading, or a heading that repeats an entry (the first
            # entries, a preface say, were printed before the contents)
            if pending:
                state.add(result, pending[0], pending[1], None)
                pending = None
            result.end = index
            break
        page_only = page_label(text)
        if page_only and (
            pending or (result.entries and result.entries[-1].page is None and result.entries[-1].kind != "group")
        ):
            if pending:
                state.add(result, pending[0], pending[1], page_only)
                pending = None
            else:
                last = result.entries.pop()
                result.entries.append(
                    ContentsEntry(last.title, last.kind, last.level, page_only, last.author, last.line)
                )
            continue
        m = _PAGE_RE.match(text)
        if not (m and page_label(m.group("page"))) and pending is None and has_leaders(raw) and len(text) <= 80:
            state.add(result, number, text, None)  # dot leaders to a page number that was lost
            continue
        if m and page_label(m.group("page")):
            title = m.group("title")
            if pending:
                title = _join_entry(pending[1], title)
                number = pending[0]
                pending = None
            state.add(result, number, title, page_label(m.group("page")))
            continue
        if pending is None and label_kind(text) and len(text) <= 12:
            state.open_group(result, number, text)
            continue
        if pending is None and len(text) <= 40 and not text.endswith("。"):
            pending = (number, text)  # a numbering label or a title wrapped onto two lines
            continue
        if pending and _NUMBERED_ENTRY_RE.match(pending[1]) and _NUMBERED_ENTRY_RE.match(text):
            # contents that print section numbers and no pages ("1.2.1 Title")
            state.add(result, pending[0], pending[1], None)
            pending = (number, text)
            continue
        result.end = index
        break
    if pending:
        state.add(result, pending[0], pending[1], None)
    _levels_from_numbering(result)
    return result


def _levels_from_numbering(result: ContentsResult) -> None:
    """Entries numbered "1.1", "1.2.1" and nothing else: their depth is their level."""
    depths = [
        len(m.group(1).split(".")) if (m := re.match(r"^(\d{1,2}(?:\.\d{1,2})+)\s", e.title)) else None
        for e in result.entries
    ]
    if not result.entries or None in depths or any(e.kind not in ("chapter", "section") for e in result.entries):
        return
    top = min(depths)
    result.entries[:] = [
        ContentsEntry(e.title, "chapter" if d == top else "section", d - top + 1, e.page, e.author, e.line)
        for e, d in zip(result.entries, depths)
    ]


def _html_table_rows(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """A contents set as an HTML table (MinerU, PaddleOCR write one on a single line):
    each row becomes a line of its own ("title page"), numbered as the table's line."""
    out: list[tuple[int, str]] = []
    for number, raw in lines:
        if "<table" not in raw.lower() or "</t" not in raw.lower():
            out.append((number, raw))
            continue
        from lxml import html as lxml_html

        try:
            table = lxml_html.fragment_fromstring(raw, create_parent="div")
        except Exception:  # lxml's HTML parser refuses little; a table it cannot read stays a line
            out.append((number, raw))
            continue
        rows = [
            " ".join(" ".join("".join(cell.itertext()).split()) for cell in row.xpath("./td|./th"))
            for row in table.iter("tr")
        ]
        out += [(number, row) for row in rows if row] or [(number, raw)]
    return out


def _is_brief(heading: str) -> bool:
    return match_key(heading) in _BRIEF_KEYS


def _table_row(raw: str) -> str:
    """A contents set as a pipe table: "| 第一章 时代 | 3 |" -> "第一章 时代 3"."""
    stripped = raw.strip()
    if stripped.startswith("|") and stripped.endswith("|") and stripped.count("|") >= 3:
        return " ".join(cell.strip() for cell in stripped.strip("|").split("|"))
    return raw


def _rejoin_number_column(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """pdftotext can print a contents page's numbering column apart from its titles
    ("2.1 / 2.2 / … / Utilities . . . 5 / ASN.1 syntax . . . 2"), in an order that does not
    pair them. The body prints each heading with its number ("2.1 ASN.1 syntax"): each
    title gets its number back from there, and the number column goes."""
    region = []
    for index, (_number, raw) in enumerate(lines):
        text = " ".join(strip_heading(raw).split())
        if text and not (_NUMBER_ONLY_RE.match(text) or has_leaders(text) or len(text) <= 60):
            break
        region.append(index)
    bare = [i for i in region if _NUMBER_ONLY_RE.match(lines[i][1].strip())]
    if sum(1 for i in bare if "." in lines[i][1]) < 3:
        return lines
    numbered: dict[str, str] = {}
    for _, raw in lines:
        m = not has_leaders(raw) and _NUMBERED_HEADING_RE.match(" ".join(strip_heading(raw).split()))
        if m:
            numbered.setdefault(match_key(m.group("title")), m.group("number"))
    out = list(lines)
    for i in bare:
        out[i] = (lines[i][0], "")
    for i in region:
        number, raw = lines[i]
        text = " ".join(strip_heading(raw).split())
        if not text or i in bare or not has_leaders(text):
            continue
        plain = " ".join(strip_leaders(text).split())
        m = _PAGE_RE.match(plain)
        label = numbered.get(match_key(m.group("title") if m else plain))
        if label:
            out[i] = (number, f"{label} {text}")
    return out


def _join_entry(first: str, second: str) -> str:
    if _PART_RE.match(first) or _CHAPTER_RE.match(first) or first.isascii():
        return f"{first} {second}"
    return first + second


def _starts_body(text: str, entries: list[ContentsEntry]) -> bool:
    """The body begins where the first contents entry (or its group label) reappears."""
    first = entries[0]
    return match_key(text) == match_key(first.title) and not _PAGE_RE.match(text)


@dataclass
class _State:
    group_kind: str | None = None
    in_part: bool = False
    chapter_level: int | None = None

    def open_group(self, result: ContentsResult, line: int, text: str) -> None:
        self.group_kind = label_kind(text)
        self.chapter_level = None
        result.entries.append(ContentsEntry(tidy_title(text), "group", 1, None, None, line))

    def add(self, result: ContentsResult, line: int, text: str, page: str | None) -> None:
        title = tidy_title(text)
        author = None
        if _PART_RE.match(title):
            kind, level = "part", 1
            self.group_kind, self.in_part, self.chapter_level = None, True, None
        elif _CHAPTER_RE.match(title):
            kind, level = "chapter", 2 if self.in_part else 1
            self.group_kind, self.chapter_level = None, level
        elif label_kind(title) and len(title) <= 12:
            kind, level = label_kind(title), 1
            self.group_kind, self.in_part, self.chapter_level = None, False, None
        elif self.group_kind:
            kind, level = self.group_kind, 2
            m = _AUTHOR_RE.match(title)
            if m:
                title, author = m.group("title"), m.group("author")
        elif self.chapter_level is not None:
            kind, level = "section", self.chapter_level + 1
        else:
            kind, level = "chapter", 2 if self.in_part else 1
        result.entries.append(ContentsEntry(title, kind, level, page, author, line))
