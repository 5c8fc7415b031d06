"""Stage `parse`: each unit's Markdown -> a well-formed XHTML fragment plus its headings,
page markers, links, images and ids, each with the source line it came from."""

from __future__ import annotations

import bisect
import dataclasses
import difflib
import html.entities
import re
import signal
import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Protocol

import markdown
from lxml import etree

from bookbuild.book.active import tree_findings
from bookbuild.book.captions import FoundReference, caption_id, find_caption_references, make_captions
from bookbuild.book.highlight import highlight_code
from bookbuild.book.lints import FENCE
from bookbuild.book.load import read_unit_file
from bookbuild.book.markdown import new_converter
from bookbuild.book.markdown.pagemarker import LOOKS_LIKE_A_MARKER, PAGE_MARKER
from bookbuild.book.mathml import convert_math
from bookbuild.book.model import (
    CaptionReference,
    Heading,
    Image,
    IndexMark,
    Link,
    PageMarker,
    PageReference,
    ParsedUnit,
    UnitSource,
)
from bookbuild.book.pagerefs import Found, find_references
from bookbuild.book.pages import is_label
from bookbuild.book.xml import EPUB, LITERAL_TAGS, MATHML, XHTML, safe_parser
from bookbuild.diagnostics import Diagnostic, Severity
from bookbuild.parallel import map_units
from bookbuild.text import unique_name

_NAMED_ENTITY_RE = re.compile(r"&([A-Za-z][A-Za-z0-9]*);")
_XML_ENTITIES = {"amp", "lt", "gt", "quot", "apos"}


_CONVERTER: markdown.Markdown | None = None


def markdown_converter() -> markdown.Markdown:
    """One converter per process, reset between units: building one costs more than
    converting a chapter."""
    global _CONVERTER
    if _CONVERTER is None:
        _CONVERTER = new_converter()
    return _CONVERTER.reset()


def to_xml_text(html_text: str) -> str:
    """HTML named entities (&nbsp;) are not XML: write them as characters."""

    def replace(m: re.Match[str]) -> str:
        name = m.group(1)
        if name in _XML_ENTITIES:
            return m.group(0)
        char = html.entities.html5.get(f"{name};")
        return char if char else m.group(0)

    return _NAMED_ENTITY_RE.sub(replace, html_text)


def parse_fragment(xhtml: str) -> etree._Element:
    return etree.fromstring(f'<body xmlns="{XHTML}" xmlns:epub="{EPUB}">{to_xml_text(xhtml)}</body>', safe_parser())


class _Locator:
    """Finds the source line of the next occurrence of a piece of text in a unit's body.
    Each needle resumes after its previous occurrence, so a unit is scanned once per
    needle, not once per occurrence."""

    def __init__(self, source: UnitSource):
        self.body = source.body
        self.first = source.body_line
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", source.body)]
        self.resume: dict[str, int] = {}  # needle -> offset after its last occurrence

    def line_of(self, needle: str, fallback: int | None = None) -> int:
        found = self.body.find(needle, self.resume.get(needle, 0)) if needle else -1
        if found < 0:
            self.resume[needle] = len(self.body) + 1
            return fallback if fallback is not None else self.first
        self.resume[needle] = found + len(needle)
        return self.first + bisect.bisect_right(self.line_starts, found) - 1


def slugify(text: str) -> str:
    """A stable id from heading text; CJK kept, so `#什么是互联网` works as written."""
    slug = re.sub(r"[\s_-]+", "-", re.sub(r"[^\w\s-]", "", text.lower())).strip("-")
    if not slug or not slug[0].isalpha():
        slug = f"h-{slug}" if slug else "h"
    return slug


# Python-Markdown is superlinear on some inputs (50,000 nested '[' take hours): a unit
# that takes longer than this is an error, not a hung build. A real chapter takes well
# under a second.
MARKDOWN_SECONDS = 30.0


class _TooSlow(Exception):
    pass


def _time_up(signum: int, frame: object) -> None:
    raise _TooSlow()


def convert_markdown(body: str) -> str | None:
    """The body as XHTML text, or None when the conversion ran out of time. The limit is
    kept with a timer signal, so only in a main thread (where every build runs it)."""
    global _CONVERTER
    if threading.current_thread() is not threading.main_thread():
        return str(markdown_converter().convert(body))
    previous = signal.signal(signal.SIGALRM, _time_up)
    signal.setitimer(signal.ITIMER_REAL, MARKDOWN_SECONDS)
    try:
        return str(markdown_converter().convert(body))
    except _TooSlow:
        _CONVERTER = None  # stopped half-way: its state is not to be trusted
        return None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def parse_unit(source: UnitSource) -> tuple[ParsedUnit | None, list[Diagnostic]]:
    """One unit on its own: its result depends only on its file, so it can be cached."""
    used_ids: set[str] = set()
    diags: list[Diagnostic] = []
    xhtml = convert_markdown(source.body)
    if xhtml is None:
        return None, [
            Diagnostic(
                "S020",
                f"converting this unit's Markdown took over "
                f"{MARKDOWN_SECONDS:g} s, so it was stopped; look for long runs of "
                "nested brackets [ ( or emphasis marks, and split or escape them (\\[)",
                source.path,
                source.body_line,
            )
        ]
    try:
        root = parse_fragment(xhtml)
    except etree.XMLSyntaxError as exc:
        line = _first_bad_html_line(source)
        return None, [Diagnostic("S004", f"raw HTML is not well-formed: {exc.msg}", source.path, line)]
    locate = _Locator(source)
    diags += _unsafe_content(root, source, locate)
    markers = _page_markers(root, source, locate, diags)
    diags += _not_quite_markers(source)
    headings = _headings(root, source, locate, used_ids, diags)
    index_marks = _index_marks(root, source, locate)
    ids: list[tuple[str, int]] = []
    heading_lines = {h.id: h.line for h in headings}
    for element in root.iter():
        ident = element.get("id")
        if not ident or ident.startswith("page-"):
            continue
        if ident in heading_lines:
            line = heading_lines[ident]
        elif ident.startswith(("fn-", "fnref-")):  # made by the footnote extension
            line = locate.line_of(f"[^{ident.split('-', 1)[1]}]", source.body_line)
        else:
            line = locate.line_of(ident, source.body_line)
        ids.append((ident, line))
    links = [Link(href, locate.line_of(href)) for a in root.iter(f"{{{XHTML}}}a") if (href := a.get("href"))]
    # (print-page references are marked after this: they are page_refs, not links)
    images = [
        Image(img.get("src", ""), img.get("alt") or "", locate.line_of(img.get("src", "")))
        for img in root.iter(f"{{{XHTML}}}img")
    ]
    for image in images:
        if not image.alt.strip():
            diags.append(
                Diagnostic(
                    "S008",
                    f"image {image.src} has no alt text: describe it between the brackets, ![like this](…)",
                    source.path,
                    image.line,
                )
            )
    highlight_code(root)
    for tex, problem in convert_math(root):
        diags.append(
            Diagnostic(
                "S023",
                f"formula ${tex}$ could not be made MathML ({problem}): it is shown as TeX; check its "
                "braces and commands",
                source.path,
                locate.line_of(tex, source.body_line),
            )
        )
    # both look at few units: each is tried only when the unit could hold what it makes
    # (substring tests, C speed: one regular expression of alternatives scans far slower)
    may_caption = ("<img" in xhtml and ' title="' in xhtml) or (
        "<table" in xhtml and ("Table" in xhtml or "表" in xhtml)
    )
    captions = make_captions(root, lambda t: locate.line_of(t, source.body_line)) if may_caption else []
    text = etree.tostring(root, method="text", encoding=str)
    may_refer = any(start in text for start in _REFERENCE_STARTS)
    page_refs, caption_refs = mark_references(root, source, locate) if may_refer else ([], [])
    if "[^" in text:
        diags += _dangling_notes(root, source, locate, ids)
    fragment = etree.tostring(root, encoding="unicode")
    if any(d.severity is Severity.ERROR for d in diags):
        return None, diags
    # the fragment now stands for the body; keeping both would hold the book twice
    unit = ParsedUnit(
        source=dataclasses.replace(source, body=""),
        fragment=fragment,
        headings=tuple(headings),
        markers=tuple(markers),
        links=tuple(links),
        images=tuple(images),
        ids=tuple(ids),
        page_refs=tuple(page_refs),
        captions=tuple(captions),
        caption_refs=tuple(caption_refs),
        index_marks=tuple(index_marks),
        mathml=root.find(f".//{{{MATHML}}}math") is not None,
    )
    return unit, diags


# what every reference starts with or holds (book.pagerefs, book.captions)
_REFERENCE_STARTS = ("页", "p.", "P.", "age", "图", "表", "Fig", "Table")


def _reference_texts(root: etree._Element) -> list[tuple[etree._Element, bool, str]]:
    """Each text or tail that could hold a reference, in reading order: (its element,
    whether it is the element's text rather than its tail, the text). A walk with
    substring tests: an XPath of contains() tests made lxml copy each text eight times,
    twice as slow."""
    found: list[tuple[etree._Element, bool, str]] = []
    for event, element in etree.iterwalk(root, events=("start", "end", "comment", "pi")):
        if event == "start":
            text = element.text
            if text and any(start in text for start in _REFERENCE_STARTS):
                found.append((element, True, text))
        elif element is not root:  # a tail ("comment" and "pi" come once, for their tails)
            text = element.tail
            if text and any(start in text for start in _REFERENCE_STARTS):
                found.append((element, False, text))
    return found


# where a reference is never looked for: links and code already say what they mean,
# headings become the contents' labels
_NO_PAGE_REFS = {f"{{{XHTML}}}{tag}" for tag in ("a", "code", "pre", "kbd", "samp", "script", "style", "math")} | {
    f"{{{XHTML}}}h{n}" for n in range(1, 7)
}


def mark_references(
    root: etree._Element, source: UnitSource, locate: _Locator
) -> tuple[list[PageReference], list[CaptionReference]]:
    """Mark every print-page reference (book.pagerefs) and every reference to a figure or
    table (book.captions) in the text, in place, as <a class="page-ref" href="#page-N">
    and <a class="caption-ref" href="#figure-2-3">; list them in reading order."""
    pages: list[PageReference] = []
    captions: list[CaptionReference] = []

    def mark(text: str, before: str | Callable[[], str]) -> tuple[str, list[etree._Element]]:
        """`text` as the text before the first reference and a link for each reference,
        whose tail is the text up to the next."""
        refs: list[tuple[int, int, str, str, object]] = [
            (ref.start, ref.end, "page-ref", f"#page-{ref.first}", ref) for ref in find_references(text, before)
        ]
        refs += [
            (ref.start, ref.end, "caption-ref", f"#{caption_id(ref.kind, ref.number)}", ref)
            for ref in find_caption_references(text)
        ]
        kept: list[tuple[int, int, str, str, object]] = []
        for ref in sorted(refs, key=lambda ref: ref[0]):
            if not kept or ref[0] >= kept[-1][1]:  # the first of two that overlap wins
                kept.append(ref)
        refs = kept
        if not refs:
            return text, []
        links = []
        ends = [ref[0] for ref in refs[1:]] + [len(text)]
        for (start, stop, kind, href, found), end in zip(refs, ends):
            link = etree.Element(f"{{{XHTML}}}a", {"class": kind, "href": href})
            link.text, link.tail = text[start:stop], text[stop:end]
            links.append(link)
            line = locate.line_of(link.text, source.body_line)
            if isinstance(found, FoundReference):
                captions.append(CaptionReference(found.kind, found.number, line))
            else:
                assert isinstance(found, Found)
                pages.append(PageReference(found.first, found.last, line))
        return text[: refs[0][0]], links

    for owner, is_text, text in _reference_texts(root):
        if is_text:
            if _never_searched(owner):
                continue
            owner.text, links = mark(text, "")
            for index, link in enumerate(links):
                owner.insert(index, link)
        else:
            if _never_searched(owner.getparent()):
                continue
            owner.tail, links = mark(text, partial(_all_text, owner))
            anchor = owner
            for link in links:
                anchor.addnext(link)
                anchor = link
    return pages, captions


_NOTE_REFERENCE_RE = re.compile(r"\[\^([^\]\s]+)\]")


def _dangling_notes(
    root: etree._Element, source: UnitSource, locate: _Locator, ids: list[tuple[str, int]]
) -> list[Diagnostic]:
    """`[^zz]` left in the text as written: a reference to a note the unit does not
    define (a note is defined in the file that refers to it)."""
    defined = sorted(ident.removeprefix("fn-") for ident, _ in ids if ident.startswith("fn-"))
    diags = []
    for element in root.iter():
        in_literal = any(a.tag in LITERAL_TAGS for a in element.iterancestors())
        texts = [] if in_literal or element.tag in LITERAL_TAGS else [element.text]
        texts += [] if in_literal or element is root else [element.tail]  # a tail is its parent's text
        for text in texts:
            if text:
                for m in _NOTE_REFERENCE_RE.finditer(text):
                    if re.search(r"(?<!\\)" + re.escape(m.group()), source.body) is None:
                        continue  # written \[^x]: meant as text
                    close = difflib.get_close_matches(m.group(1), defined, n=1, cutoff=0.5)
                    hint = f"did you mean [^{close[0]}]? or " if close else ""
                    diags.append(
                        Diagnostic(
                            "X005",
                            f"note reference {m.group()} names no note in this file: it is shown as written "
                            f"({hint}define it on a line of its own: {m.group()}: the note's text)",
                            source.path,
                            locate.line_of(m.group(), source.body_line),
                        )
                    )
    return diags


def _all_text(element: etree._Element) -> str:
    return "".join(str(text) for text in element.itertext())


def _never_searched(element: etree._Element | None) -> bool:
    """Inside a link, code or a heading, or a passage marked no-page-refs."""
    while element is not None:
        if element.tag in _NO_PAGE_REFS or "no-page-refs" in (element.get("class") or "").split():
            return True
        element = element.getparent()
    return False


def _first_bad_html_line(source: UnitSource) -> int:
    line = source.body_line
    for block in re.split(r"\n\s*\n", source.body):
        start = source.body.find(block)
        if "<" in block:
            try:
                parse_fragment(markdown_converter().convert(block))
            except etree.XMLSyntaxError:
                return source.body_line + source.body[:start].count("\n")
    return line


def _unsafe_content(root: etree._Element, source: UnitSource, locate: _Locator) -> list[Diagnostic]:
    return [
        Diagnostic(code, message, source.path, locate.line_of(needle)) for code, message, needle in tree_findings(root)
    ]


def _not_quite_markers(source: UnitSource) -> list[Diagnostic]:
    """Text written like a page marker that is not one ({{page 1 42}}, {{ page 5}},
    {{page}}): it stays in the text as written, and the writer is told. Code is left
    alone (a marker inside code is still one, but an example of the syntax may not be)."""
    if all(PAGE_MARKER.fullmatch(m[0]) for m in LOOKS_LIKE_A_MARKER.finditer(source.body)):
        return []  # (most books: each is a marker) the lines are looked at only otherwise
    found, fenced = [], False
    for number, line in enumerate(source.body.split("\n")):
        if FENCE.match(line):
            fenced = not fenced
        if fenced or "{{" not in line:
            continue
        for match in LOOKS_LIKE_A_MARKER.finditer(_INLINE_CODE.sub(lambda m: " " * len(m[0]), line)):
            escaped = match.start() and line[match.start() - 1] == "\\"
            if not escaped and not PAGE_MARKER.fullmatch(match[0]):
                found.append(
                    Diagnostic(
                        "P008",
                        f"{match[0]} is not a page marker, and stays text: write {{{{page N}}}} with one label "
                        "(an arabic or lower-case roman numeral), or \\{{ before it if it is meant as text",
                        source.path,
                        source.body_line + number,
                    )
                )
    return found


_INLINE_CODE = re.compile(r"`[^`\n]*`")


def _page_markers(
    root: etree._Element, source: UnitSource, locate: _Locator, diags: list[Diagnostic]
) -> list[PageMarker]:
    markers = []
    if source.page:
        markers.append(
            PageMarker(source.page, f"page-{source.page}", source.page_line, source.page not in source.inferred_pages)
        )
    for span in list(root.iter(f"{{{XHTML}}}span")):
        label = span.get("data-page")
        if label is None:
            continue
        line = locate.line_of(f"{{{{page {label}}}}}")
        if not is_label(label):
            diags.append(
                Diagnostic(
                    "P001",
                    f"page marker {{{{page {label}}}}}: the label must be an arabic or lower-case roman numeral",
                    source.path,
                    line,
                )
            )
            continue
        del span.attrib["data-page"]
        span.set("id", f"page-{label}")
        markers.append(PageMarker(label, f"page-{label}", line, label not in source.inferred_pages))
        parent = span.getparent()
        assert parent is not None  # a span is inside the <body> at least
        if (
            etree.QName(parent).localname == "p"
            and len(parent) == 1
            and not (parent.text or "").strip()
            and not (span.tail or "").strip()
        ):
            parent.addprevious(span)  # a marker alone on its line is not a paragraph
            grandparent = parent.getparent()
            assert grandparent is not None  # a <p> is inside the <body> at least
            grandparent.remove(parent)
    return markers


_SEE_RE = re.compile(r"\|\s*see(\s+also)?\s+(.+)$", re.I)


def _index_marks(root: etree._Element, source: UnitSource, locate: _Locator) -> list[IndexMark]:
    """Each {{index term!sub|see other}} made an empty anchor (ix-UNIT-N) and listed with
    the print page it stands on."""
    marks: list[IndexMark] = []
    page = source.page
    for element in root.iter(f"{{{XHTML}}}span"):
        ident = element.get("id") or ""
        if ident.startswith("page-"):
            page = ident[5:]
            continue
        written = element.get("data-index")
        if written is None:
            continue
        del element.attrib["data-index"]
        see = _SEE_RE.search(written)
        entry = written[: see.start()] if see else written
        term, _, sub = entry.partition("!")
        anchor = f"ix-{source.name}-{len(marks) + 1}"
        element.set("id", anchor)
        element.set("class", "index-mark")
        marks.append(
            IndexMark(
                term=" ".join(term.split()),
                sub=" ".join(sub.split()),
                see=" ".join(see.group(2).split()) if see else "",
                also=bool(see and see.group(1)),
                id=anchor,
                page=page,
                line=locate.line_of(f"{{{{index {written}", source.body_line),
            )
        )
    return marks


_HEADING_TAGS = {f"{{{XHTML}}}h{n}" for n in range(1, 7)}


def _headings(
    root: etree._Element, source: UnitSource, locate: _Locator, used: set[str], diags: list[Diagnostic]
) -> list[Heading]:
    headings = [Heading(1, source.title, "", source.title_line, source.page)]
    page = source.page
    for element in root.iter():
        ident = element.get("id") or ""
        if element.tag == f"{{{XHTML}}}span" and ident.startswith("page-"):
            page = ident[5:]
        if element.tag not in _HEADING_TAGS:
            continue
        level = int(etree.QName(element).localname[1])
        text = "".join(str(piece) for piece in element.itertext()).strip()
        line = locate.line_of(text, source.body_line)
        if level == 1:
            diags.append(
                Diagnostic(
                    "S010",
                    "a body heading uses '#': the unit title lives in front matter, sections start at '##'",
                    source.path,
                    line,
                )
            )
        explicit = element.get("id")
        ident = explicit or unique_name(slugify(text), used)
        if explicit:
            used.add(explicit)
        element.set("id", ident)
        headings.append(Heading(level, text, ident, line, page, auto=not explicit))
    title_id = unique_name(slugify(source.title), used)
    headings[0] = Heading(1, source.title, title_id, source.title_line, source.page)
    return headings


class Outlines(Protocol):
    """How a unit becomes its outline (the ParsedUnit and its diagnostics) in a worker
    process, and how the parent unpacks what the worker sent back. The plain way parses
    (InMemory); the build cache (incremental.parse_cache) looks it up first and keeps the
    fragment out of memory."""

    def outline(self, source: UnitSource) -> object: ...

    def unpack(self, outline: object) -> tuple[ParsedUnit | None, list[Diagnostic]]: ...

    def workers_done(self) -> None: ...

    def fragment(self, unit: ParsedUnit) -> str:
        """The unit's fragment, wherever it is kept (an edition changes it)."""
        ...


class InMemory:
    """Parse every unit, keep everything in memory."""

    def outline(self, source: UnitSource) -> object:
        return parse_unit(source)

    def unpack(self, outline: object) -> tuple[ParsedUnit | None, list[Diagnostic]]:
        return outline  # type: ignore[return-value]

    def workers_done(self) -> None:
        pass

    def fragment(self, unit: ParsedUnit) -> str:
        return unit.fragment


@dataclasses.dataclass(frozen=True)
class ParsedFiles:
    units: tuple[ParsedUnit, ...]  # in reading order, automatic ids unique across the book
    read_diagnostics: list[Diagnostic]  # from each file's front matter (load.read_unit)
    diagnostics: list[Diagnostic]  # from parsing
    digests: tuple[tuple[str, bytes], ...]  # (book/NAME, fileio.file_digest) of each file


def parse_units(sources: tuple[UnitSource, ...]) -> tuple[tuple[ParsedUnit, ...], list[Diagnostic]]:
    """Units already read, in reading order, in this process."""
    parsed = _parse_all(len(sources), lambda index: (sources[index], [], b""), InMemory(), 1, None)
    return parsed.units, parsed.diagnostics


def parse_unit_files(
    root: Path,
    names: tuple[str, ...],
    outlines: Outlines | None = None,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
) -> ParsedFiles:
    """Read and parse book/NAME for each name, in parallel; then automatic heading ids
    made unique across the book. The workers read the files too, so a cold build does
    not read the whole book in one process first."""
    return _parse_all(
        len(names),
        lambda index: read_unit_file(root, names[index]),
        outlines or InMemory(),
        workers,
        progress,
        [f"book/{name}" for name in names],
    )


ReadUnit = Callable[[int], tuple[UnitSource | None, list[Diagnostic], bytes]]  # index -> (source, diagnostics, digest)
WorkerResult = tuple[object | None, list[Diagnostic], bytes]  # (outline, diagnostics, digest)
_JOB: tuple[ReadUnit, Outlines] | None = None  # what forked workers share: only indices are sent


def _parse_all(
    count: int,
    read: ReadUnit,
    outlines: Outlines,
    workers: int,
    progress: Callable[[int], None] | None,
    paths: list[str] | None = None,
) -> ParsedFiles:
    global _JOB
    _JOB = (read, outlines)
    try:
        results = map_units(_read_and_parse, list(range(count)), workers, progress)
    finally:
        _JOB = None
    outlines.workers_done()
    units: list[ParsedUnit] = []
    read_diags: list[Diagnostic] = []
    parse_diags: list[Diagnostic] = []
    digests: list[tuple[str, bytes]] = []
    for outline, found_reading, digest in results:
        unit, found = outlines.unpack(outline) if outline is not None else (None, [])
        read_diags += found_reading
        parse_diags += found
        if unit:
            units.append(unit)
        if paths:
            digests.append((paths[len(digests)], digest))
    return ParsedFiles(dedupe_auto_ids(tuple(units)), read_diags, parse_diags, tuple(digests))


def _read_and_parse(index: int) -> WorkerResult:
    """In a worker: read one unit and take its outline."""
    assert _JOB is not None
    read, outlines = _JOB
    source, found_reading, digest = read(index)
    return (None if source is None else outlines.outline(source)), found_reading, digest


def dedupe_auto_ids(units: tuple[ParsedUnit, ...]) -> tuple[ParsedUnit, ...]:
    """An automatic heading id already used elsewhere gets a -2, -3 … suffix, in reading
    order; ids written as {#id} keep theirs (a clash between two of those is X002).
    The renames are recorded on the unit and applied to its fragment when it is rendered."""
    used = {h.id for u in units for h in u.headings if not h.auto}
    out = []
    for unit in units:
        renames: dict[str, str] = {}
        for heading in unit.headings:
            if heading.auto:
                new = unique_name(heading.id, used)
                if new != heading.id:
                    renames[heading.id] = new
        out.append(with_renamed_ids(unit, tuple(sorted(renames.items()))))
    return tuple(out)


def with_renamed_ids(unit: ParsedUnit, renamed: tuple[tuple[str, str], ...]) -> ParsedUnit:
    """`unit` with automatic heading ids renamed (old, new), as dedupe_auto_ids decided."""
    if not renamed:
        return unit
    renames = dict(renamed)
    headings = tuple(dataclasses.replace(h, id=renames.get(h.id, h.id)) if h.auto else h for h in unit.headings)
    ids = tuple((renames.get(i, i), line) for i, line in unit.ids)
    return dataclasses.replace(unit, headings=headings, ids=ids, renamed_ids=renamed)
