"""Turn the body of the source into units: match headings to the printed contents,
drop running headers (a page break at that exact point), join cut paragraphs,
find bylines, and count print pages from the contents' start pages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bookbuild.book.model import ContentsEntry
from bookbuild.book.pages import next_label, page_label, page_order
from bookbuild.diagnostics import Diagnostic
from bookbuild.ingest.contents import label_kind
from bookbuild.ingest.index import index_entry
from bookbuild.ingest.text import HEAD_WITH_PAGE_RE, escape_plain, heading_level, is_closed, join_text, tidy_title
from bookbuild.text import HAN, match_key, strip_heading

_LIST_OR_QUOTE_RE = re.compile(r"^\s*(?:[-*+•●▪]\s|\d+[.)]\s|>)")
# "2.1 Title": a section by its number, whatever '#' an extractor gave it
_SUBSECTION_RE = re.compile(r"^\d{1,2}\.\d{1,2}\b")
_BULLET_RE = re.compile(r"^\s*[-*+•●▪]\s")
_PRINTED_BULLET_RE = re.compile(r"^(\s*)[•●▪]\s*")
_MARKER_START_RE = re.compile(r"\{\{page [^}]*\}\}")
# blocks that are not prose (raw HTML, an image, a pipe table, display math): never joined
# with the paragraph before or after them, their lines kept as they are
_NOT_PROSE_RE = re.compile(r"^\s*(?:<|!\[|\||\$\$)")
_BYLINE_RE = re.compile(rf"^(?P<name>[{HAN}]{{2,4}}|[{HAN}]+·[{HAN}]+)\s+(?P<note>\S.{{0,120}})$")
_MAX_TITLE_CHARS = 40
_MAX_HEAD_CHARS = 90


@dataclass
class Block:
    text: str
    line: int
    heading: int = 0  # 0 = paragraph; 2 = '##', 3 = '###'


@dataclass
class DraftUnit:
    title: str
    kind: str
    line: int
    page: str | None = None
    group: str | None = None
    entry: ContentsEntry | None = None
    author: str | None = None
    author_note: str | None = None
    blocks: list[Block] = field(default_factory=list)
    inferred_pages: list[str] = field(default_factory=list)
    known_pages: list[str] = field(default_factory=list)


@dataclass
class BodyResult:
    units: list[DraftUnit] = field(default_factory=list)
    matched: set[int] = field(default_factory=set)  # indexes of contents entries found
    removed: list[tuple[int, str]] = field(default_factory=list)
    to_front_matter: list[tuple[int, str]] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # (source line, what was decided there): page breaks, joins, unit starts, contents
    # entries found; for the proofing page (ingest --proof), not for the files
    decisions: list[tuple[int, str, str]] = field(default_factory=list)


def split_blocks(lines: list[tuple[int, str]]) -> list[list[tuple[int, str]]]:
    """Runs of non-blank lines; a Markdown heading is always a block of its own."""
    blocks: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    for number, text in lines:
        if not text.strip() or heading_level(text):
            if current:
                blocks.append(current)
                current = []
            if text.strip():
                blocks.append([(number, text)])
            continue
        current.append((number, text))
    if current:
        blocks.append(current)
    return blocks


class _BodyParser:
    def __init__(
        self,
        entries: list[ContentsEntry],
        book_title: str,
        path: str,
        breaks: dict[int, tuple[str, bool]] | None = None,
        plain: bool = False,
        heads: set[str] | None = None,
    ):
        self.entries = entries
        self.heads = heads or set()  # lines repeated with page numbers: running heads or feet
        self.entry_keys = [match_key(e.title) for e in entries]
        self.plain = plain  # plain text, not Markdown: what looks like markup is escaped
        # exact page breaks from the source's evidence (form feeds): line -> (label, known)
        self.breaks = sorted((breaks or {}).items())
        self.exact_pages = bool(self.breaks)
        self.path = path
        self.book_key = match_key(book_title)
        self.groups = _group_of_each_entry(entries)
        self.pointer = 0
        self.result = BodyResult()
        self.unit: DraftUnit | None = None
        self.page: str | None = None
        self.pending_marker: str | None = None
        self.cached_keys: tuple[DraftUnit | None, set[str], int] = (None, set(), 0)
        self.marked: set[str] = set()  # page labels given a marker (or a unit's start page)

    # -- entry points ---------------------------------------------------------------
    def run(self, lines: list[tuple[int, str]]) -> BodyResult:
        for block in split_blocks(lines):
            self.block(block)
        if self.unit and self.pending_marker:
            self.unit.blocks.append(Block(self.pending_marker, self.unit.line))
            self.pending_marker = None
        return self.result

    def block(self, block: list[tuple[int, str]]) -> None:
        # plain text sets a heading on the line above its first paragraph, with no blank
        # line between: a first line that matches the contents is a heading of its own
        while len(block) > 1 and self.is_entry(block[0][1]):
            self.single_line(*block[0])
            block = block[1:]
        # ... or below the last line of the paragraph before it
        inner = next((i for i in range(1, len(block)) if self.is_entry(block[i][1])), None)
        if inner is not None:
            self.block(block[:inner])
            self.block(block[inner:])
            return
        number, first = block[0]
        if len(block) == 1 and self.single_line(number, first):
            return
        # a list needs a blank line before it to be a list: the lines above it are a
        # paragraph of their own
        start = next((i for i, (_, t) in enumerate(block) if i and _BULLET_RE.match(t)), None)
        if start and not any(_BULLET_RE.match(t) for _, t in block[:start]):
            self.paragraph(block[:start])
            block = block[start:]
        self.paragraph(block)

    # -- one-line blocks: headings, running headers, page numbers -------------------
    def single_line(self, number: int, text: str) -> bool:
        title = strip_heading(text)
        if self.unit and self.running_header(number, title):
            return True
        if self.unit and page_label(title) and title.isdigit():
            self.result.removed.append((number, "page number"))
            self.break_page(number, next_label(page_label(title)), known=True)
            return True
        if len(title) > _MAX_TITLE_CHARS and not heading_level(text):
            return False
        index = self.find_entry(title)
        if index is not None:
            self.enter(index, number, title)
            return True
        if heading_level(text):
            # a new unit at a top-level heading when there is no contents to say where
            # units begin (or after a title page); else a section of the current one
            if (
                not self.unit
                or heading_level(text) == 1
                and (not self.entries and not _SUBSECTION_RE.match(title) or self.unit.kind in ("titlepage", "cover"))
            ):
                self.start_unit(tidy_title(title), label_kind(title) or "chapter", number, None)
                self.result.to_front_matter.append((number, "unit title"))
            else:
                self.marker_before(number)
                self.unit.blocks.append(Block(self.as_text(tidy_title(title)), number, heading=2))
            return True
        return False

    def running_header(self, number: int, text: str) -> bool:
        if len(text) > _MAX_HEAD_CHARS:
            return False  # a line of prose, not a head
        keys = self.head_keys()
        if len(text) > 3 * self.cached_keys[2] + 12:
            return False  # longer than any head of this unit could print (spaced letters, a number)
        page = None
        if match_key(text) not in keys:
            for pattern in HEAD_WITH_PAGE_RE:
                m = pattern.match(text)
                if m and match_key(m.group("text")) in keys and page_label(m.group("page")):
                    page = page_label(m.group("page"))
                    break
            else:
                return False
        self.result.removed.append((number, "running header"))
        if self.exact_pages:
            return True  # form feeds gave the page breaks: a head is not a second one
        if page:
            self.break_page(number, page, known=True)
        elif self.page:
            self.break_page(number, next_label(self.page), known=False)
        return True

    def take_breaks(self, number: int, before_only: bool = False) -> tuple[str, bool] | None:
        """Put in the page breaks the source's evidence places at or before this line;
        one at exactly this line is returned instead when `before_only` (a unit starts
        here, and the page is its start page)."""
        while self.breaks and self.breaks[0][0] <= number:
            line, (label, known) = self.breaks.pop(0)
            if before_only and line == number:
                return label, known
            if self.unit:
                self.break_page(line, label, known)
        return None

    def marker_before(self, number: int) -> None:
        """A page that begins with a heading: its marker goes before the heading."""
        self.take_breaks(number)
        if self.pending_marker:
            self.unit.blocks.append(Block(self.take_marker(), number))

    def head_keys(self) -> set[str]:
        """What a running head of the current unit says: the book's title, the unit's, its group's."""
        unit = self.unit
        if self.cached_keys[0] is not unit:
            keys = {self.book_key, match_key(unit.title)} | ({match_key(unit.group)} if unit.group else set())
            keys |= self.heads
            self.cached_keys = (unit, keys, max(len(k) for k in keys))
        return self.cached_keys[1]

    def break_page(self, number: int, label: str, known: bool) -> None:
        if label in self.marked:
            # a page already marked: the evidence (a number beside a repeated line) was not
            # a page break after all; the line is still removed, and no marker goes in
            self.result.diagnostics.append(
                Diagnostic("P004", f"page {label} is marked already: no second marker put here", self.path, number)
            )
            return
        self.marked.add(label)
        self.page = label
        how = "its printed number" if known else "counted from the pages around it"
        self.result.decisions.append((number, "page", f"page {label} begins here ({how})"))
        (self.unit.known_pages if known else self.unit.inferred_pages).append(label)
        self.pending_marker = f"{{{{page {label}}}}}"
        upcoming = next((e for e in self.entries[self.pointer :] if e.page), None)
        if upcoming and page_order(label) > page_order(upcoming.page):
            self.result.diagnostics.append(
                Diagnostic(
                    "P004",
                    f"counted page {label} is past page {upcoming.page}, where the contents "
                    f"start {upcoming.title!r}: a running header was counted twice or the "
                    f"contents page number is wrong",
                    self.path,
                    number,
                )
            )

    # -- contents entries ---------------------------------------------------------------
    def is_entry(self, line: str) -> bool:
        title = strip_heading(line)
        return len(title) <= _MAX_TITLE_CHARS and self.find_entry(title) is not None

    def find_entry(self, text: str) -> int | None:
        key = match_key(text)
        if not key:
            return None
        for index in range(self.pointer, len(self.entries)):
            if self.entry_keys[index] == key:
                return index
        return None

    def enter(self, index: int, number: int, text: str) -> None:
        entry = self.entries[index]
        self.pointer = index + 1
        self.result.matched.add(index)
        where = f" (p. {entry.page})" if entry.page else ""
        self.result.decisions.append((number, "entry", f"contents entry “{entry.title}”{where} found here"))
        if entry.kind == "group":
            self.result.to_front_matter.append((number, "group label"))
            return
        if entry.kind == "section" and self.unit:
            level = max(2, min(3, entry.level - (self.unit.entry.level if self.unit.entry else 1) + 1))
            self.marker_before(number)
            self.unit.blocks.append(Block(self.as_text(tidy_title(text)), number, heading=level))
            if entry.page and self.page and page_order(entry.page) > page_order(self.page):
                self.page = entry.page  # the contents knows better than a lost header
            return
        kind = "chapter" if entry.kind == "section" else entry.kind
        self.start_unit(entry.title, kind, number, entry)
        self.result.to_front_matter.append((number, "unit title"))

    def start_unit(self, title: str, kind: str, number: int, entry: ContentsEntry | None) -> None:
        if self.unit and self.pending_marker:
            self.unit.blocks.append(Block(self.pending_marker, number))
        self.pending_marker = None
        start = self.take_breaks(number, before_only=True)
        if self.unit and self.pending_marker:
            self.unit.blocks.append(Block(self.take_marker(), number))
        group = self.groups.get(self.entries.index(entry)) if entry else None
        page = start[0] if start else (entry.page if entry else None)  # the page's own number first
        self.unit = DraftUnit(title=title, kind=kind, line=number, page=page, group=group, entry=entry)
        self.result.decisions.append((number, "unit", f"a new unit begins: {kind} “{title}”"))
        if self.unit.page in self.marked:
            if not self.exact_pages:  # with form feeds, a unit that begins mid-page is normal
                self.result.diagnostics.append(
                    Diagnostic(
                        "P004",
                        f"{title!r} starts on page {self.unit.page} by the contents, but a page "
                        "break counted before it was marked so: no second marker put here",
                        self.path,
                        number,
                    )
                )
            self.unit.page = None
        if self.unit.page or not self.exact_pages:
            self.page = self.unit.page
        if self.page:
            self.marked.add(self.page)
        self.result.units.append(self.unit)

    # -- paragraphs -------------------------------------------------------------------
    def paragraph(self, block: list[tuple[int, str]]) -> None:
        number = block[0][0]
        if not self.unit:
            self.result.diagnostics.append(
                Diagnostic(
                    "S016",
                    "text before the first heading that matches the printed contents; kept in a unit of its own",
                    self.path,
                    number,
                )
            )
            first = strip_heading(block[0][1])
            if match_key(first) == self.book_key:  # the book's title on its first page
                self.start_unit(first, "titlepage", number, None)
            else:
                self.start_unit(first[:20], "chapter", number, None)
        pieces: list[str] = []
        prose = not _NOT_PROSE_RE.match(block[0][1])
        keep_lines = not prose or any(_LIST_OR_QUOTE_RE.match(t) or t.endswith("  ") for _, t in block)
        if self.unit.kind == "index":  # a printed index: an entry a line (ingest.index links its pages)
            block = [(n, index_entry(t)) for n, t in block if t.strip()]
            keep_lines = True
        for line_number, text in block:
            self.take_breaks(line_number)
            if self.running_header(line_number, strip_heading(text)):
                continue  # a running head cut into the paragraph: the marker goes at the seam
            text = self.as_text(text)
            if keep_lines:
                text = _PRINTED_BULLET_RE.sub(r"\1- ", text).rstrip("\n")  # a printed bullet is a list item
                if (
                    pieces
                    and _ends_list(pieces)
                    and not _BULLET_RE.match(text)
                    and text[:1].isupper()
                    and is_closed(pieces[-1])
                ):
                    pieces.append("")  # a sentence after the last item: a paragraph again
                item = _LIST_OR_QUOTE_RE.match(text)
                cut = item.end() if item else 0  # a page marker goes inside the item
                pieces.append(text[:cut] + self.take_marker() + text[cut:])
            else:
                marker = self.take_marker()
                if marker and pieces:
                    self.result.decisions.append(
                        (line_number, "join", f"joined to the line above across the page break: {marker} between")
                    )
                pieces = [join_text(pieces[0], text.strip(), marker)] if pieces else [marker + text.strip()]
        if not pieces:
            return
        text = "\n".join(pieces)
        if self.byline(number, text):
            return
        previous = self.unit.blocks[-1] if self.unit.blocks else None
        if (
            previous
            and not previous.heading
            and not keep_lines
            and self.unit.kind != "index"
            and not is_closed(previous.text)
            and not previous.text.startswith("{{page")
            and not _NOT_PROSE_RE.match(previous.text)
        ):
            marker = _MARKER_START_RE.match(text)
            why = f"across the page break: {marker.group()} between" if marker else "it did not end a sentence"
            self.result.decisions.append((number, "join", f"joined to the paragraph above ({why})"))
            previous.text = join_text(previous.text, text)
        else:
            self.unit.blocks.append(Block(text, number))

    def as_text(self, text: str) -> str:
        return escape_plain(text) if self.plain else text

    def take_marker(self) -> str:
        marker, self.pending_marker = self.pending_marker or "", None
        return marker

    def byline(self, number: int, text: str) -> bool:
        unit = self.unit
        if unit.blocks or unit.author or "\n" in text or "{{page" in text:
            return False
        author = unit.entry.author if unit.entry else None
        if author and (text == author or re.match(rf"^{re.escape(author)}\s+\S", text)):
            note = text[len(author) :].strip()
        elif not author and unit.group and (m := _BYLINE_RE.match(text)) and not is_closed(text):
            author, note = m.group("name"), m.group("note")
        else:
            return False
        unit.author, unit.author_note = author, note or None
        self.result.to_front_matter.append((number, "byline"))
        return True


def _ends_list(pieces: list[str]) -> bool:
    """True when the lines so far end inside a list (its last item may run over lines)."""
    for piece in reversed(pieces):
        if not piece:
            return False
        if _BULLET_RE.match(piece):
            return True
    return False


def _group_of_each_entry(entries: list[ContentsEntry]) -> dict[int, str]:
    """Entry index -> the label of the front/back-matter group it is printed under."""
    out: dict[int, str] = {}
    group: str | None = None
    for index, entry in enumerate(entries):
        if entry.kind == "group":
            group = entry.title
        elif entry.level == 1:
            group = None
        elif group:
            out[index] = group
    return out


def parse_body(
    lines: list[tuple[int, str]],
    entries: list[ContentsEntry],
    book_title: str,
    path: str,
    breaks: dict[int, tuple[str, bool]] | None = None,
    plain: bool = False,
    heads: set[str] | None = None,
) -> BodyResult:
    return _BodyParser(entries, book_title, path, breaks, plain, heads).run(lines)
