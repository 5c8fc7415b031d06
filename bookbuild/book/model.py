"""The book model: frozen dataclasses, no I/O. Every stage takes and returns these."""

from __future__ import annotations

import typing
from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, fields
from operator import attrgetter
from typing import Any, TypeVar, dataclass_transform

from bookbuild.diagnostics import Diagnostic

_Record = TypeVar("_Record", bound=type)


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def record(cls: _Record) -> _Record:
    """A model type: a frozen dataclass with slots, pickled as the tuple of its fields.

    A long book's model holds over a hundred thousand of these (page markers, links,
    link targets), and a build gets most of them by unpickling (the parse cache, the
    workers' results). A plain frozen dataclass comes out of pickle with a dict of its
    own, about 250 bytes where slots take 80 (some 20 MiB at 1,000 chapters); and
    pickle's default for a slotted one is twice as slow both ways, where the tuple of
    fields is as quick as the plain one."""
    made: Any = dataclass(frozen=True, slots=True)(cls)
    names = tuple(f.name for f in fields(made))
    values: Callable[[object], tuple[object, ...]] = (
        attrgetter(*names) if len(names) > 1 else lambda value: (getattr(value, names[0]),)
    )

    def __reduce__(self: object) -> tuple[type, tuple[object, ...]]:
        return made, values(self)

    made.__reduce__ = __reduce__
    return typing.cast(_Record, made)


# --- metadata -----------------------------------------------------------------


@record
class Creator:
    name: str
    role: str  # author | editor | translator | illustrator | contributor
    file_as: str = ""
    et_al: bool = False  # the source said 等 / "et al."


@record
class IsbnEntry:
    """An ISBN as the copyright page prints it, with its qualifier ("paperback", "eBook",
    "平装"); medium says which edition it names: "print", "ebook" or "" (not said)."""

    isbn: str
    qualifier: str = ""
    medium: str = ""


@record
class PrintLine:
    """One line of the colophon (版权页) in print order; label None is a free note."""

    value: str
    label: str | None = None
    key: str | None = None


@record
class ContentsEntry:
    """One entry of the printed contents page, as printed."""

    title: str
    kind: str  # group | part | chapter | section | a unit kind such as preface
    level: int  # 1 = top
    page: str | None
    author: str | None = None
    line: int = 0


@record
class Cip:
    raw: str = ""
    number: str = ""
    agency: str = ""
    access_points: tuple[tuple[str, tuple[str, ...]], ...] = ()  # ("I", ("互…",)), …


@record
class Metadata:
    title: str
    language: str
    subtitle: str = ""
    creators: tuple[Creator, ...] = ()
    publisher: str = ""
    place: str = ""
    date: str = ""  # YYYY, YYYY-MM or YYYY-MM-DD
    edition: str = ""
    isbn: str = ""  # the e-book's own ISBN: the EPUB's identifier (never a print ISBN)
    print_isbn: str = ""  # the print edition's ISBN: dc:source, which the page markers follow
    isbns: tuple[IsbnEntry, ...] = ()  # every ISBN the book prints, as printed
    subjects: tuple[str, ...] = ()
    classification: tuple[str, ...] = ()
    cip: Cip = field(default_factory=Cip)
    print_lines: tuple[PrintLine, ...] = ()
    contents: tuple[ContentsEntry, ...] = ()
    modified: str = ""  # ISO 8601 UTC; else derived from SOURCE_DATE_EPOCH or date
    suppress: frozenset[str] = frozenset()
    page_references: bool = True  # link 第 37 页 / p. 37 in the text to the page's marker
    figure_numbering: str = "chapter"  # chapter (图 2-3) | book (图 7) | none
    lists_of: tuple[str, ...] = ()  # figures, tables: lists the navigation document adds
    index_order: str = "pinyin"  # pinyin | strokes: the order of a Chinese index
    cover: str = ""  # the cover picture, a path inside the book folder (book/images/cover.jpg)
    # Simplified phrase -> the Traditional one a Traditional edition prints, where OpenCC's
    # phrase tables choose otherwise (`traditional:` in metadata.yaml)
    traditional: tuple[tuple[str, str], ...] = ()
    # set by an edition (book.editions), not in metadata.yaml
    variant: str = ""  # the edition's name (vertical, zh-Hant-TW …); part of its identifier
    writing_mode: str = "horizontal-tb"  # vertical-rl: the spine goes right to left
    path: str = "metadata.yaml"
    lines: tuple[tuple[str, int], ...] = ()  # top-level key -> line, for diagnostics

    def line_of(self, key: str) -> int | None:
        return dict(self.lines).get(key)


# --- units as read and parsed ---------------------------------------------------


@record
class UnitSource:
    """One book/NN-slug.md file: front matter fields and the Markdown body."""

    path: str  # as shown in diagnostics, e.g. book/03-preface.md
    name: str  # file stem, e.g. 03-preface
    title: str
    kind: str
    body: str
    body_line: int  # source line of the body's first line
    page: str | None = None
    author: str | None = None
    author_note: str | None = None
    group: str | None = None
    inferred_pages: frozenset[str] = frozenset()
    generated: bool = False  # made from metadata (title page, copyright page)
    title_line: int = 1  # front-matter lines, for diagnostics
    page_line: int = 1


@record
class Heading:
    level: int  # 1 = the unit title, 2 = ## section, 3 = ### subsection …
    text: str
    id: str
    line: int
    page: str | None = None  # the print page this heading stands on
    auto: bool = True  # id made from the text (renamed if another unit has it), not {#id}


@record
class PageMarker:
    label: str
    id: str
    line: int
    known: bool  # from the printed contents or a running head, not counted


@record
class Link:
    href: str
    line: int


@record
class PageReference:
    """A print-page reference in the text (第 37 页, pp. 12–15), marked in the fragment as
    <a class="page-ref" href="#page-FIRST">; resolve links it or reports it."""

    first: str  # the page label it names (a range links to its first page)
    last: str | None  # a range's last page
    line: int


@record
class Caption:
    """A figure or a captioned table, in the order the unit holds them (book.captions)."""

    kind: str  # figure | table
    line: int
    text: str = ""  # the caption as plain text, for the lists of figures and tables


@record
class CaptionReference:
    """图 2-3 / Table 4.1 in the text, marked <a class="caption-ref" href="#KIND-NUMBER">."""

    kind: str  # figure | table
    number: str  # as book.captions.normal_number gives it: "2-3", "A-1", "7"
    line: int


@record
class IndexMark:
    """`{{index term!sub|see other}}` in the text: where the generated index points."""

    term: str
    sub: str  # "" for the term itself
    see: str  # "see" or "see also" target term, "" for none
    also: bool  # see also (else see)
    id: str  # the anchor in the unit
    page: str | None  # the print page it stands on
    line: int


@record
class Image:
    src: str
    alt: str
    line: int


@record
class ParsedUnit:
    source: UnitSource
    # the unit's content as one XHTML <body> element, ids assigned; "" when the build keeps
    # it in its cache instead of in memory (see incremental.parse_cache)
    fragment: str
    headings: tuple[Heading, ...]
    markers: tuple[PageMarker, ...]
    links: tuple[Link, ...]
    images: tuple[Image, ...]
    ids: tuple[tuple[str, int], ...]  # every id in the fragment with its line
    page_refs: tuple[PageReference, ...] = ()  # print-page references in the text
    mathml: bool = False  # holds a formula as MathML (the EPUB item says so)
    captions: tuple[Caption, ...] = ()  # figures and captioned tables, in order
    caption_refs: tuple[CaptionReference, ...] = ()  # 图 2-3 / Table 4.1 in the text
    index_marks: tuple[IndexMark, ...] = ()  # {{index …}} in the text, in order
    renamed_ids: tuple[tuple[str, str], ...] = ()  # automatic ids renamed book-wide (old, new)

    @property
    def doc_name(self) -> str:
        return f"{self.source.name}.xhtml"


@record
class CoverFont:
    """A font file on this system that a generated cover is drawn with: `index` picks the
    face in a collection (.ttc); `stamp` (size and modification time) tells a cached
    drawing made with another version of the file."""

    path: str
    index: int
    family: str
    stamp: str


@record
class CoverDesign:
    """What a generated (typographic) cover shows: the render stage draws it."""

    title: str
    subtitle: str
    creators: tuple[str, ...]  # one line per role, as the title page has them
    publisher: str
    language: str
    font: CoverFont
    bold: CoverFont  # the title's face (the regular one when there is no bold)


@record
class Cover:
    """The book's cover picture: `name` is its path in the outputs (the EPUB item with
    properties="cover-image"); its bytes are in Book.images, or drawn from `design`."""

    name: str
    alt: str
    page: str  # the content document that shows it (the cover landmark)
    design: CoverDesign | None = None


@record
class Book:
    metadata: Metadata
    units: tuple[ParsedUnit, ...]
    stylesheets: tuple[tuple[str, str], ...]  # (file name, css text)
    images: tuple[tuple[str, bytes], ...]  # (path inside the book folder, data)
    cover: Cover | None = None  # None: no picture given and no font to draw one (S024)
    # book/*.md files that could not be read (their errors are reported): links into
    # them cannot be checked until they are mended
    unread: tuple[str, ...] = ()


# --- resolved ---------------------------------------------------------------------


@record
class PageRef:
    label: str
    doc: str
    id: str
    known: bool
    file: str
    line: int


@record
class ResolvedUnit:
    unit: ParsedUnit
    hrefs: tuple[tuple[str, str], ...]  # link as written -> resolved "doc#id"
    captions: tuple[CaptionNumber, ...] = ()  # the number of each of unit.captions


@record
class CaptionNumber:
    kind: str  # figure | table
    number: str  # "2-3"; "" when the book numbers none (figure_numbering: none)
    label: str  # what the caption shows before its text: 图 2-3, Figure 2.3


@record
class LinkTargets:
    """Where a link can lead, as resolve indexed the whole book: all that resolving one
    unit's links takes from the others (a quick rebuild keeps it, see incremental.quick).
    Read-only once resolve has made it (the build keeps it, so it is not copied)."""

    # id -> (the document that holds it, its kind: unit, heading, page, figure, table,
    # other): every id but notes', book-wide
    targets: Mapping[str, tuple[str, str]]
    local_ids: Mapping[str, AbstractSet[str]]  # document (in reading order) -> its ids, notes' too
    numbered_kinds: AbstractSet[str]  # the kinds of caption the book numbers
    unread: AbstractSet[str]  # the documents of book/*.md files that could not be read


@record
class ResolvedBook:
    book: Book
    units: tuple[ResolvedUnit, ...]
    pages: tuple[PageRef, ...]
    link_targets: LinkTargets


# --- navigation -------------------------------------------------------------------


@record
class NavPoint:
    label: str
    href: str | None  # None: a grouping label such as 前言 with entries below
    page: str | None
    children: tuple[NavPoint, ...] = ()


@record
class Landmark:
    type: str  # epub:type value
    label: str
    href: str


@record
class Navigation:
    toc: tuple[NavPoint, ...]
    landmarks: tuple[Landmark, ...]
    page_list: tuple[PageRef, ...]
    reading_order: tuple[str, ...]  # every toc and page target "doc#id", in reading order
    figures: tuple[NavPoint, ...] = ()  # the list of figures, when the book asks for it
    tables: tuple[NavPoint, ...] = ()  # the list of tables, likewise


# --- rendered ---------------------------------------------------------------------


@record
class Document:
    name: str  # file name inside the output, e.g. 03-preface.xhtml
    title: str
    body: bytes
    media_type: str = "application/xhtml+xml"
    properties: tuple[str, ...] = ()
    in_spine: bool = True


@record
class Accessibility:
    """schema.org accessibility claims, each derived from the book (see a11y)."""

    access_modes: tuple[str, ...]
    sufficient: tuple[str, ...]  # each entry a comma-separated set, as schema.org wants
    features: tuple[str, ...]
    hazards: tuple[str, ...]
    summary: str


@record
class Modelled:
    """The whole book read, parsed, resolved and navigated: all a writer needs."""

    resolved: ResolvedBook
    nav: Navigation
    a11y: Accessibility
    diagnostics: tuple[Diagnostic, ...]
    input_digests: tuple[tuple[str, bytes], ...] = ()  # the files read, for the build state
