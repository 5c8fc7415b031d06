"""One Diagnostic type, the catalogue of every code, and the book's `suppress:` filter.

Codes are stable: a letter per area (M metadata, S structure, X cross-reference,
P pages, E epub/html validity) and a number. Never renumber; retire a code instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import cast


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class CodeInfo:
    code: str
    severity: Severity
    summary: str


_E, _W, _I = Severity.ERROR, Severity.WARNING, Severity.INFO

CATALOGUE: dict[str, CodeInfo] = {
    info.code: info
    for info in (
        # metadata
        CodeInfo("M001", _E, "metadata.yaml is missing or is not valid YAML"),
        CodeInfo("M002", _E, "a required metadata field is missing"),
        CodeInfo("M003", _E, "the ISBN's check digit is wrong"),
        CodeInfo("M004", _W, "a CIP record field could not be parsed"),
        CodeInfo("M005", _E, "a metadata field has the wrong type or an unknown value"),
        CodeInfo("M006", _W, "no CIP record found in the source"),
        CodeInfo("M007", _W, "an unknown key in metadata.yaml"),
        CodeInfo("M008", _W, "recommended metadata is missing (creators, publisher, date, ISBN)"),
        CodeInfo("M009", _W, "`suppress:` names an unknown code or an error (errors cannot be suppressed)"),
        CodeInfo("M010", _W, "the EPUB's identifier is a print edition's ISBN"),
        # structure
        CodeInfo("S001", _E, "front matter is missing or is not valid YAML"),
        CodeInfo("S002", _E, "unknown unit kind"),
        CodeInfo("S003", _E, "a required front-matter field is missing or has the wrong type"),
        CodeInfo("S004", _E, "raw HTML is not well-formed"),
        CodeInfo(
            "S005",
            _E,
            "raw HTML, inline SVG or an SVG image carries script, an event handler, a javascript: URL, link-changing animation, a refresh or entity declarations",
        ),
        CodeInfo("S006", _E, "a remote resource (image, stylesheet, media, CSS url()) is referenced"),
        CodeInfo("S007", _E, "an image is missing, lies outside the book folder, or is not what its name says"),
        CodeInfo("S008", _W, "an image has no alt text"),
        CodeInfo("S009", _E, "no chapter files in book/"),
        CodeInfo("S010", _W, "a heading level is skipped or a body heading uses #"),
        CodeInfo("S011", _W, "a contents entry is missing from the source (excerpt?)"),
        CodeInfo("S012", _W, "the printed contents could not be found"),
        CodeInfo("S013", _E, "a book file name is not ASCII NN-slug.md"),
        CodeInfo("S014", _W, "a print-contents entry present in the body is not in the navigation"),
        CodeInfo("S015", _W, "an unknown front-matter field"),
        CodeInfo("S016", _W, "text before the first heading that matches the printed contents"),
        CodeInfo("S017", _E, "a file of the book is not UTF-8 text"),
        CodeInfo("S018", _E, "a file of the book lies outside the book folder (a symbolic link)"),
        CodeInfo("S019", _E, "two different images would share one name in the outputs"),
        CodeInfo("S020", _E, "a unit's Markdown took too long to convert"),
        CodeInfo("S021", _W, "ingest replaced a character the outputs cannot carry"),
        CodeInfo(
            "S022",
            _W,
            "ingest changed what the build would refuse or what is not the book (raw HTML, an image, a title, a lost page, a repeated line) and says how",
        ),
        CodeInfo("S023", _W, "a TeX formula could not be made MathML: it is shown as TeX"),
        CodeInfo("S024", _W, "the book has no cover picture and none could be drawn (no font for its script)"),
        CodeInfo("S025", _W, "Chinese text has an ellipsis other than …… (one …, '...', '。。。')"),
        CodeInfo("S026", _W, "Chinese text has a dash other than —— (one —, '－－', '--')"),
        CodeInfo("S027", _W, "an interpunct between Han names is not U+00B7"),
        CodeInfo("S028", _W, "a half-width mark (, ; : ? !) between Han characters"),
        CodeInfo("S029", _W, "a space between Han and Latin text, where the stylesheet puts the gap"),
        CodeInfo("S030", _W, "a vertical presentation form (U+FE10–FE4F) in the text"),
        CodeInfo("S031", _W, "a quote or bracket is not closed in its paragraph"),
        # cross-references
        CodeInfo("X001", _E, "a link has no target"),
        CodeInfo("X002", _E, "an id is defined twice"),
        CodeInfo("X003", _E, "a navigation target is missing or of the wrong kind"),
        CodeInfo("X004", _W, "the text refers to a figure or table the book does not number"),
        CodeInfo("X005", _W, "a footnote reference names no note"),
        # pages
        CodeInfo("P001", _E, "a page marker is malformed"),
        CodeInfo("P002", _E, "a print page label appears twice"),
        CodeInfo("P003", _W, "print page labels are not ascending"),
        CodeInfo("P004", _W, "counted page breaks overrun the next contents entry's start page"),
        CodeInfo("P005", _I, "print pages missing between two markers (gap)"),
        CodeInfo("P006", _W, "a unit's start page disagrees with the printed contents"),
        CodeInfo("P007", _W, "a print-page reference in the text names a page the book has no marker for"),
        CodeInfo("P008", _W, "text that looks like a page marker is not one: it stays text"),
        # validity of the outputs
        CodeInfo("E001", _E, "EPUBCheck reported an error"),
        CodeInfo("E002", _W, "EPUBCheck reported a warning"),
        CodeInfo("E003", _E, "the Nu HTML checker reported an error"),
        CodeInfo("E004", _W, "the Nu HTML checker reported a warning"),
        CodeInfo("E005", _E, "an accessibility claim is not true for this book"),
        CodeInfo("E006", _E, "calibre could not convert the book to AZW3 for Kindle (check --target kindle)"),
        CodeInfo("E007", _W, "the conversion to AZW3 for Kindle warned, or lost a unit's text"),
        CodeInfo("E008", _I, "the Kindle check was skipped: calibre is not installed"),
    )
}


@dataclass(frozen=True)
class Diagnostic:
    code: str
    message: str
    file: str | None = None
    line: int | None = None
    # left out: the catalogue's severity (set by __post_init__, so never None after it)
    severity: Severity = cast(Severity, None)
    column: int | None = None  # 1-based, where a line alone is not precise enough
    # other files the finding depends on (the first use of an id, the page before): an
    # edit there can change it, so a quick rebuild of one of them is declined
    related: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.code not in CATALOGUE:
            raise ValueError(f"unknown diagnostic code {self.code}")
        if isinstance(self.severity, str):  # read back from JSON
            object.__setattr__(self, "severity", Severity(self.severity))
        if self.severity is None:
            object.__setattr__(self, "severity", CATALOGUE[self.code].severity)

    @property
    def location(self) -> str:
        if self.file and self.line:
            return f"{self.file}:{self.line}" + (f":{self.column}" if self.column else "")
        return self.file or ""

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        return f"{where}{self.code} {self.message}"

    def as_github(self) -> str:
        """A GitHub Actions workflow command: the finding shows on the file and line of
        the pull request's diff."""
        command = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}[self.severity]
        fields = [("file", self.file), ("line", self.line), ("col", self.column), ("title", self.code)]
        given = ",".join(f"{name}={_github_escape(str(value), True)}" for name, value in fields if value)
        return f"::{command} {given}::{_github_escape(self.message, False)}"

    def as_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "column": self.column,
        }


def _github_escape(text: str, in_property: bool) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if in_property else text


def suppressed(diagnostics: Iterable[Diagnostic], codes: frozenset[str]) -> tuple[Diagnostic, ...]:
    """Drop the warnings and notes whose codes the book silences in metadata.yaml
    `suppress:`. Errors are never dropped: a build that goes on past one would leave out
    what it could not read (see metadata.suppress_codes for what is accepted there)."""
    return tuple(d for d in diagnostics if d.code not in codes or d.severity is Severity.ERROR)
