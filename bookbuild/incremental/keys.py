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
import pickle
from collections.abc import Iterator
from functools import lru_cache
from importlib import resources
from pathlib import Path

from bookbuild.book.model import (
    Heading,
    Image,
    Link,
    Metadata,
    Modelled,
    PageMarker,
    PageRef,
    ParsedUnit,
    ResolvedUnit,
    UnitSource,
)
from bookbuild.book.nav import unit_reading_order
from bookbuild.render.html_site import PrevNext, Site


@lru_cache(maxsize=1)
def code_version() -> str:
    """A digest of bookbuild's own code and assets: a new version invalidates everything."""
    digest = hashlib.blake2b(digest_size=16)
    package = resources.files("bookbuild")
    for path in sorted(_package_files(Path(str(package)))):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _package_files(root: Path) -> Iterator[Path]:
    for path in root.rglob("*"):
        if path.is_file() and path.suffix in (".py", ".css", ".js"):
            yield path


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


def generated_key(unit: ParsedUnit) -> str:
    """A page made from metadata (title page, copyright page) has no file: its key is
    what it was made into."""
    return key("generated", unit.source, unit.fragment)


def _fields_except(value: object, omits: dict[type, set[str]]) -> object:
    """`value` as nested tuples of its fields' values, less the fields `omits` names for
    each type; sets sorted, so the result is the same in every process."""
    if dataclasses.is_dataclass(value):
        return tuple(
            _fields_except(getattr(value, f.name), omits)
            for f in dataclasses.fields(value)
            if f.name not in omits.get(type(value), ())
        )
    if isinstance(value, (tuple, list)):
        return tuple(_fields_except(v, omits) for v in value)
    if isinstance(value, frozenset):
        return tuple(sorted(value))
    return value


# What of a unit the rest of the book never shows: its text (the body, and the fragment
# made from it) and the source lines of things, which only reach its own diagnostics.
# Everything else is part of its interface, field by field, so a new field is seen by
# default (and tests/test_keys.py makes sure each one was thought about).
INTERFACE_OMITS: dict[type, set[str]] = {
    UnitSource: {"body", "body_line", "title_line", "page_line"},
    ParsedUnit: {"fragment"},
    Heading: {"line"},
    PageMarker: {"line"},
    Link: {"line"},
    Image: {"line"},
}


def interface_key(unit: ParsedUnit) -> str:
    """What other units' outputs and the files made from the whole book (contents, page
    list, package, links' targets) can show of `unit`, as parsed (before automatic ids
    are renamed book-wide): every field but those INTERFACE_OMITS names and the line of
    each id, and the order of its headings and page markers."""
    seen = (
        _fields_except(dataclasses.replace(unit, ids=tuple((i, 0) for i, _ in unit.ids)), INTERFACE_OMITS),
        unit_reading_order(unit),
    )
    return key("interface", repr(seen).encode("utf-8"))


# --- render: one unit, and the files made from the whole book ----------------------------


def shared_render_key(meta: Metadata, css: tuple[str, ...]) -> str:
    """What every unit's outputs depend on: digested once, not per unit."""
    return key("render-shared", meta, css)


def sidebar_signature(site: Site, doc: str) -> tuple[object, ...]:
    """What the folded sidebar of `doc`'s page shows: the listed top-level entries and the
    children opened on the way to `doc`. A page needs rendering again only when this
    changes, not whenever any heading anywhere changes."""
    start, end = site.sidebar_window(doc)
    listed = tuple((p.label, p.href, p.page) for p in site.toc[start:end])
    opened = tuple(tuple((c.label, c.href, c.page) for c in p.children) for p in site.paths.get(doc, ()))
    return start, end, len(site.toc), listed, opened


def render_key(shared: str, unit_key: str, resolved: ResolvedUnit, site: Site, links: PrevNext) -> str:
    """A unit's key: its parsed content (`unit_key`: its parse key) and everything from the
    rest of the book that its outputs show (where its links lead, its sidebar, its
    neighbours' titles). A link to a whole unit becomes #<its title id> in book.html, so
    that title id is part of it."""
    unit = resolved.unit
    whole_unit_targets = tuple(site.title_ids.get(href) for _, href in resolved.hrefs if "#" not in href)
    # headings, hrefs and sidebars hold no sets, so their pickle is stable across processes
    return key(
        "render",
        shared,
        unit_key,
        pickle.dumps(
            (unit.headings, resolved.hrefs, whole_unit_targets, sidebar_signature(site, unit.doc_name), links),
            protocol=4,
        ),
    )


# What the files made from the whole book never show: where a page marker was written
# (it only reaches diagnostics), so an edit that moves one changes none of them.
BOOK_LEVEL_OMITS: dict[type, set[str]] = {PageRef: {"file", "line"}}


def book_level_key(modelled: Modelled, source_date_epoch: str | None) -> str:
    """What the files made from the whole book (package, NCX, nav, index pages, the frame
    of book.html) depend on: the whole navigation (but BOOK_LEVEL_OMITS), the metadata,
    the accessibility claims, each unit's document name, title and title id, the styles,
    the images and the timestamp. The navigation holds only strings, tuples, booleans and
    None, so its pickle is the same in every process and can be digested directly."""
    book = modelled.resolved.book
    return key(
        "book-level",
        book.metadata,
        pickle.dumps(_fields_except(modelled.nav, BOOK_LEVEL_OMITS), protocol=4),
        modelled.a11y,
        [u.doc_name for u in book.units],
        [u.source.title for u in book.units],
        [u.headings[0].id for u in book.units],
        book.stylesheets,
        [(name, key(data)) for name, data in book.images],
        source_date_epoch,
    )


def outputs_key(formats: tuple[str, ...], render_keys: tuple[str, ...], book_level: str) -> str:
    """Everything the outputs are made of: the units (their render keys), and what the
    package files add (metadata, navigation, styles, images, the timestamp)."""
    return key("outputs", formats, render_keys, book_level)
