"""Every key the build cache and the build state use, in one place, each derived from
what it depends on.

A key is a digest of bookbuild's code and of the inputs of one piece of work, so the
cache can never serve a stale result: a changed input simply misses. That holds only if
each key covers every input, so the keys are built from the model's fields themselves
(`canonical`, or every field but the ones named as left out), not from hand-kept lists;
tests/test_keys.py fails when a field is added to the model and no key says whether it
depends on it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import pickle
import re
import sys
import typing
from functools import cache, lru_cache
from importlib import metadata, resources
from operator import attrgetter

from bookbuild.book.model import (
    Caption,
    CaptionReference,
    CoverDesign,
    Heading,
    Image,
    IndexMark,
    Link,
    Metadata,
    Modelled,
    PageMarker,
    PageRef,
    PageReference,
    ParsedUnit,
    ResolvedUnit,
    UnitSource,
    record,
)
from bookbuild.book.nav import unit_reading_order
from bookbuild.render.html_site import PrevNext, Site


@lru_cache(maxsize=1)
def code_version() -> str:
    """A digest of bookbuild's own code and assets and of the versions of the libraries
    whose output goes into the book: a new version of either invalidates everything.
    Every build reads it (the state's header), so it is kept cheap: 16 ms with pathlib's
    rglob and importlib.metadata, which parses each library's METADATA for its version,
    about 4 ms as it is."""
    digest = hashlib.blake2b(digest_size=16)
    package = str(resources.files("bookbuild"))
    for name in _package_files(package):
        digest.update(name.encode() + b"\0")
        with open(os.path.join(package, name), "rb") as handle:
            digest.update(handle.read())
    versions = _installed_versions(_OUTPUT_LIBRARIES)
    for library in _OUTPUT_LIBRARIES:
        version = versions.get(library) or _metadata_version(library)
        digest.update(f"{library} {version}\n".encode())
    return digest.hexdigest()


# what turns the book's text into output: Markdown to XHTML, code colours, MathML, the
# index's order, the XML serialiser
_OUTPUT_LIBRARIES = ("markdown", "pygments", "latex2mathml", "pypinyin", "lxml")
_PACKAGE_SUFFIXES = (".py", ".css", ".js", ".txt")


def _package_files(root: str) -> list[str]:
    """The package's code and assets, as sorted paths under `root` ("/"-separated)."""
    found = []
    for folder, folders, files in os.walk(root):
        folders[:] = [name for name in folders if name != "__pycache__"]
        inside = os.path.relpath(folder, root).replace(os.sep, "/")
        prefix = "" if inside == "." else inside + "/"
        found += [prefix + name for name in files if name.endswith(_PACKAGE_SUFFIXES)]
    return sorted(found)


# a wheel installs its metadata as NAME-VERSION.dist-info, NAME normalised (PEP 427/503);
# distutils and Debian's packages as NAME-VERSION[-pyX.Y].egg-info
_METADATA_FOLDER = re.compile(r"^([A-Za-z0-9._]+?)-([^-]+?)(?:-py\d[\d.]*)?\.(?:dist|egg)-info$")


def _installed_versions(libraries: tuple[str, ...]) -> dict[str, str]:
    """The version of each library found on the import path, read from its metadata
    folder's name as importlib.metadata would find it (the first on sys.path wins)."""
    wanted = {_normalised(name): name for name in libraries}
    versions: dict[str, str] = {}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            match = _METADATA_FOLDER.match(name)
            library = wanted.get(_normalised(match.group(1))) if match else None
            if match and library and library not in versions:
                versions[library] = match.group(2)
        if len(versions) == len(wanted):
            break
    return versions


def _normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _metadata_version(library: str) -> str:
    """importlib.metadata's answer, for a library installed some other way."""
    try:
        return metadata.version(library)
    except metadata.PackageNotFoundError:
        return "-"


def canonical(value: object) -> str:
    """A stable text form of model values (sets sorted, dataclasses by field), because
    pickle and hash() of sets differ between processes."""
    if dataclasses.is_dataclass(value):
        fields = ",".join(f"{f.name}={canonical(getattr(value, f.name))}" for f in dataclasses.fields(value))
        return f"{type(value).__name__}({fields})"
    if isinstance(value, (set, frozenset)):
        return "{" + ",".join(sorted(canonical(v) for v in value)) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(canonical(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{canonical(k)}:{canonical(v)}" for k, v in sorted(value.items())) + "}"
    if isinstance(value, str) and len(value) > 256:  # a chapter's text: digest, don't copy
        return "s:" + hashlib.blake2b(value.encode("utf-8"), digest_size=20).hexdigest()
    return repr(value)


def key(*parts: object) -> str:
    digest = hashlib.blake2b(digest_size=20)
    digest.update(code_version().encode())
    for part in parts:
        digest.update(part if isinstance(part, bytes) else canonical(part).encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()


# --- parse: one unit file ----------------------------------------------------------------

_SOURCE_FIELDS = tuple(f.name for f in dataclasses.fields(UnitSource) if f.name != "body")


def parse_key(source: UnitSource) -> str:
    """Every field of the source (the generic `canonical` form costs ten times more,
    and a rebuild computes a key for every unit)."""
    fields = tuple(
        sorted(value) if isinstance(value, frozenset) else value
        for value in (getattr(source, name) for name in _SOURCE_FIELDS)
    )
    return key("parse", repr(fields).encode("utf-8"), source.body.encode("utf-8"))


# the fields of a unit's front matter, less the source lines (only its diagnostics show them)
_FRONT_FIELDS = tuple(name for name in _SOURCE_FIELDS if not name.endswith("_line"))
# the start of a line that can make or unmake a section heading: an ATX heading, raw
# HTML, a fence, a setext underline (after up to three spaces)
_STRUCTURE_LINE = re.compile(r"(?:[#<]|```|~~~|[=-]+[ \t]*$)")
_STRUCTURE_MARKS = frozenset("#<`~=-")
_DIRECTIVE = re.compile(r"\{\{[^}\n]*\}\}")  # {{page N}}, and any other {{…}}


def skeleton_key(source: UnitSource) -> str:
    """A guess from the text alone at the unit's section headings and print pages: its
    front matter, the lines of its body that can make or unmake a heading (above), and
    every {{…}} directive, in order. When an edit leaves it as it was, a quick rebuild
    starts copying the outputs before it parses the unit: the contents will not change.
    Only a guess (a setext heading's text, a heading inside a quote are not in it): the
    parse finds what it missed (InterfaceKeys) and the copies are started again. About
    0.07 ms for a chapter of 15,000 characters, a line at a time: a regular expression
    over the whole body tries each character (0.2 ms)."""
    found = []
    for line in source.body.split("\n"):
        head = line.lstrip(" ")
        if head and head[0] in _STRUCTURE_MARKS and len(line) - len(head) <= 3 and _STRUCTURE_LINE.match(head):
            found.append(line)
        elif "{{" in line:
            found += _DIRECTIVE.findall(line)
    front = tuple(
        sorted(value) if isinstance(value, frozenset) else value
        for value in (getattr(source, name) for name in _FRONT_FIELDS)
    )
    return key("skeleton", repr(front).encode("utf-8"), "\n".join(found).encode("utf-8"))


def generated_key(unit: ParsedUnit) -> str:
    """A page made from metadata (title page, copyright page) has no file: its key is
    what it was made into."""
    return key("generated", unit.source, unit.fragment)


class _Fields:
    """Model values as their fields' values less the fields `omits` names for each type,
    as nested tuples, with sets sorted, so the result is the same in every process.

    Fast because most of the model needs no taking apart: a record whose type leaves
    nothing out and holds no set, directly or in its fields' types, is kept whole (pickle
    and repr take it at C speed); only the others are walked."""

    def __init__(self, omits: dict[type, set[str]]):
        self.omits = omits
        self._kept: dict[type, tuple[tuple[str, ...], bool] | None] = {}

    def __call__(self, value: object) -> object:
        kind = type(value)
        if kind in _SCALARS:
            return value
        if kind is tuple:
            assert isinstance(value, tuple)
            kinds = set(map(type, value))
            if kinds <= _SCALARS:
                return value
            if len(kinds) == 1:  # a model tuple holds one type: each record the same way, in C
                [item_kind] = kinds
                kept = self._kept_fields(item_kind) if dataclasses.is_dataclass(item_kind) else None
                if kept is None and item_kind is not tuple and item_kind is not frozenset:
                    return value
                if kept is not None and kept[1]:
                    return tuple(map(_getter(kept[0]), value))
            return tuple(map(self, value))
        if kind is frozenset:
            assert isinstance(value, frozenset)
            return tuple(sorted(value))
        kept = self._kept_fields(kind) if dataclasses.is_dataclass(value) else None
        if kept is None:
            return value
        names, flat = kept
        if flat:  # the kept fields hold only scalars and whole records: one C call
            return _getter(names)(value)
        return tuple(self(getattr(value, name)) for name in names)

    def _kept_fields(self, kind: type) -> tuple[tuple[str, ...], bool] | None:
        """The fields of `kind` to keep and whether none of them needs walking, or None
        when a record of `kind` can be kept whole."""
        if kind not in self._kept:
            self._kept[kind] = None  # while deciding: a type that holds itself (NavPoint)
            hints = typing.get_type_hints(kind)
            walked = {name for name, hint in hints.items() if _holds(hint, self)}
            if kind in self.omits or walked:
                omitted = self.omits.get(kind, set())
                names = tuple(f.name for f in dataclasses.fields(kind) if f.name not in omitted)
                self._kept[kind] = (names, not walked & set(names))
        return self._kept[kind]


_SCALARS = frozenset({str, int, bool, type(None)})


@cache
def _getter(names: tuple[str, ...]) -> typing.Callable[[object], tuple[object, ...]]:
    """The named fields of a record, as a tuple."""
    if len(names) == 1:
        only = attrgetter(names[0])
        return lambda record: (only(record),)
    return attrgetter(*names)


def _holds(hint: object, fields: _Fields) -> bool:
    """Whether a field of this type can hold a set or a record that must be walked."""
    origin = typing.get_origin(hint)
    if origin in (frozenset, set) or hint in (frozenset, set):
        return True
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return fields._kept_fields(hint) is not None
    return any(_holds(arg, fields) for arg in typing.get_args(hint) if arg is not Ellipsis)


# What of a unit the rest of the book never shows: its text (the body, and the fragment
# made from it) and the source lines of things, which only reach its own diagnostics.
# Everything else is part of its interface, field by field, so a new field is seen by
# default (and tests/test_keys.py makes sure each one was thought about).
INTERFACE_OMITS: dict[type, set[str]] = {
    UnitSource: {"body", "body_line", "title_line", "page_line"},
    ParsedUnit: {"fragment", "ids"},  # ids: their names are added apart, without their lines
    Heading: {"line"},
    PageMarker: {"line"},
    Link: {"line"},
    Image: {"line"},
    PageReference: {"line"},
    Caption: {"line"},
    CaptionReference: {"line"},
    IndexMark: {"line"},
}
_INTERFACE = _Fields(INTERFACE_OMITS)


def interface_key(unit: ParsedUnit) -> str:
    """What other units' outputs and the files made from the whole book (contents, page
    list, package, links' targets) can show of `unit`, as parsed (before automatic ids
    are renamed book-wide): every field but those INTERFACE_OMITS names and the line of
    each id, and the order of its headings and page markers."""
    return _digest(_interface_parts(unit))


def outline_key(unit: ParsedUnit) -> str:
    """The interface less the unit's section headings (all but its title) and their ids.
    When only those change, what other units show of it stays the same unless they link
    to one of them (incremental.quick checks): the contents and the unit's own outputs
    change, and the quick rebuild redoes just those."""
    return _digest(_less(_interface_parts(unit), *_outline(unit)))


def anchors_key(unit: ParsedUnit) -> str:
    """The interface less where the unit's own links lead: its links, print-page references
    and caption references as written. What is left is what it offers the others (its
    ids, pages, figures, titles). When only those change, no other unit's outputs change
    and nor do the files made from the whole book: the quick rebuild resolves the unit's
    links again against the targets the last build indexed (model.LinkTargets)."""
    return _digest(_less(_interface_parts(unit), *_anchors(unit)))


def pages_key(unit: ParsedUnit) -> str:
    """The interface less the unit's page markers and the pages its headings stand on.
    When only those change, the page list changes (the EPUB's page-list and NCX, the
    HTML edition's page index), so do the pages in the unit's contents entry, and no
    other unit's outputs unless one links to a page that is gone (incremental.quick
    checks). The start page of its front matter and the pages of its index entries stay
    in: the first is in every neighbour's sidebar, the second in the generated index."""
    return _digest(_less(_interface_parts(unit), *_pages(unit)))


# Each key above is the interface of the unit with some fields replaced. The interface is
# written out field by field (repr, the costly part: four times 0.07 ms a chapter), so
# that the four keys of a unit share the fields they have in common.
_READING_ORDER = "reading order"  # of the unit's headings and page markers
_IDS = "ids"  # their names, without their lines


def _interface_parts(unit: ParsedUnit) -> dict[str, str]:
    kept = _INTERFACE._kept_fields(ParsedUnit)
    assert kept is not None  # ParsedUnit leaves fields out (INTERFACE_OMITS)
    parts = {name: repr(_INTERFACE(getattr(unit, name))) for name in kept[0]}
    parts[_IDS] = repr(tuple(ident for ident, _ in unit.ids))
    parts[_READING_ORDER] = repr(unit_reading_order(unit))
    return parts


def _less(parts: dict[str, str], changed: ParsedUnit, names: tuple[str, ...]) -> dict[str, str]:
    """The `parts` of a unit, with those of the fields `names` as `changed` has them."""
    now = dict(parts)
    for name in names:
        now[name] = repr(_INTERFACE(getattr(changed, name))) if name != _IDS else repr(tuple(i for i, _ in changed.ids))
    if "headings" in names or "markers" in names:
        now[_READING_ORDER] = repr(unit_reading_order(changed))
    return now


def _digest(parts: dict[str, str]) -> str:
    return key("interface", "\0".join(parts.values()).encode("utf-8"))  # repr writes no NUL


def _outline(unit: ParsedUnit) -> tuple[ParsedUnit, tuple[str, ...]]:
    sections = {heading.id for heading in unit.headings[1:]}
    ids = tuple((i, line) for i, line in unit.ids if i not in sections)
    return dataclasses.replace(unit, headings=unit.headings[:1], ids=ids), ("headings", _IDS)


def _anchors(unit: ParsedUnit) -> tuple[ParsedUnit, tuple[str, ...]]:
    return dataclasses.replace(unit, links=(), page_refs=(), caption_refs=()), ("links", "page_refs", "caption_refs")


def _pages(unit: ParsedUnit) -> tuple[ParsedUnit, tuple[str, ...]]:
    headings = tuple(dataclasses.replace(heading, page=None) for heading in unit.headings)
    return dataclasses.replace(unit, markers=(), headings=headings), ("markers", "headings")


@record
class InterfaceKeys:
    """A unit's interface key, and the keys of three parts of it that tell a quick
    rebuild which kind of change an edit made; and skeleton_key, which guesses one
    before the unit is parsed."""

    whole: str  # interface_key
    outline: str  # outline_key: all but the section headings
    anchors: str  # anchors_key: all but the links
    pages: str  # pages_key: all but the page markers
    skeleton: str  # skeleton_key: a guess from its text at its headings and pages

    @classmethod
    def of(cls, unit: ParsedUnit, source: UnitSource | None = None) -> InterfaceKeys:
        """The four keys, the fields they share written out once, and the guess, made
        from `source`: the unit's file as read, before parse_unit changed its body (the
        quick rebuild guesses from what it reads); the unit's own by default."""
        parts = _interface_parts(unit)
        return cls(
            _digest(parts),
            _digest(_less(parts, *_outline(unit))),
            _digest(_less(parts, *_anchors(unit))),
            _digest(_less(parts, *_pages(unit))),
            skeleton_key(source or unit.source),
        )


# --- render: one unit, and the files made from the whole book ----------------------------


def shared_render_key(meta: Metadata, css: tuple[str, ...], html: bool) -> str:
    """What every unit's outputs depend on: digested once, not per unit. `html`: whether
    the HTML edition is made (a build without it renders only the EPUB's documents)."""
    return key("render-shared", meta, css, html)


def sidebar_signature(site: Site, doc: str) -> tuple[object, ...]:
    """What the folded sidebar of `doc`'s page shows: the listed top-level entries and the
    children opened on the way to `doc`. A page needs rendering again only when this
    changes, not whenever any heading anywhere changes."""
    start, end = site.sidebar_window(doc)
    listed = tuple((p.label, p.href, p.page) for p in site.top_entries(start, end))
    opened = tuple(tuple((c.label, c.href, c.page) for c in p.children) for p in site.paths.get(doc, ()))
    return start, end, site.toc_length, listed, opened


# What resolve adds to a unit, all of it part of the unit's render key but the unit itself
# (which `unit_key` stands for): where its links lead, the numbers of its figures …
RENDER_OMITS: dict[type, set[str]] = {ResolvedUnit: {"unit"}}
_RESOLVED = _Fields(RENDER_OMITS)


def render_key(shared: str, unit_key: str, resolved: ResolvedUnit, site: Site, links: PrevNext) -> str:
    """A unit's key: its parsed content (`unit_key`: its parse key) and everything from the
    rest of the book that its outputs show: every field resolve gave it (RENDER_OMITS),
    its sidebar, its neighbours' titles. A link to a whole unit becomes #<its title id> in
    book.html, so that title id is part of it."""
    unit = resolved.unit
    whole_unit_targets = tuple(site.title_ids.get(href) for _, href in resolved.hrefs if "#" not in href)
    # headings, hrefs and sidebars hold no sets, so their pickle is stable across processes
    return key(
        "render",
        shared,
        unit_key,
        pickle.dumps(
            (unit.headings, _RESOLVED(resolved), whole_unit_targets, sidebar_signature(site, unit.doc_name), links),
            protocol=4,
        ),
    )


# What the files made from the whole book never show: where a page marker was written
# (it only reaches diagnostics), so an edit that moves one changes none of them.
BOOK_LEVEL_OMITS: dict[type, set[str]] = {PageRef: {"file", "line"}}
_BOOK_LEVEL = _Fields(BOOK_LEVEL_OMITS)


def cover_key(design: CoverDesign) -> str:
    """A drawn cover depends on its design alone (the font file's stamp included)."""
    return key("cover", design)


def book_level_key(modelled: Modelled, source_date_epoch: str | None) -> str:
    """What the files made from the whole book (package, NCX, nav, index pages, the frame
    of book.html) depend on: the whole navigation (but BOOK_LEVEL_OMITS), the metadata,
    the accessibility claims, each unit's document name, title, title id and whether it
    holds MathML, the styles,
    the images and the timestamp. The navigation holds only strings, tuples, booleans and
    None, so its pickle is the same in every process and can be digested directly."""
    book = modelled.resolved.book
    return key(
        "book-level",
        book.metadata,
        pickle.dumps(_BOOK_LEVEL(modelled.nav), protocol=4),
        modelled.a11y,
        [u.doc_name for u in book.units],
        [u.source.title for u in book.units],
        [u.headings[0].id for u in book.units],
        [u.mathml for u in book.units],  # the package marks the documents with MathML
        book.stylesheets,
        [(name, key(data)) for name, data in book.images],
        source_date_epoch,
    )


def outputs_key(formats: tuple[str, ...], render_keys: tuple[str, ...], book_level: str) -> str:
    """Everything the outputs are made of: the units (their render keys), and what the
    package files add (metadata, navigation, styles, images, the timestamp)."""
    return key("outputs", formats, render_keys, book_level)
