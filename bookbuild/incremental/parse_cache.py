"""The parse stage, through the build cache: a unit whose file is unchanged is not parsed
again, and a unit's XHTML fragment stays in the cache, not in memory, until it is
rendered (a large book would otherwise be held whole in the parent process).

ParseCache is the book.parse.Outlines the pipeline hands to the parse stage. It also
records, beside the model, each unit's keys: its parse key (where its fragment is, and
what its render key starts from) and its interface keys (what a quick rebuild
compares).
"""

from __future__ import annotations

import dataclasses
import pickle

from bookbuild.book.model import ParsedUnit, UnitSource
from bookbuild.book.parse import parse_unit
from bookbuild.diagnostics import Diagnostic
from bookbuild.incremental.cache import Cache
from bookbuild.incremental.keys import InterfaceKeys, generated_key, parse_key

OUTLINE_PART, FRAGMENT_PART = 0, 1  # the parts of a unit's "parse" entry


@dataclasses.dataclass(frozen=True)
class UnitKeys:
    parse: str  # keys.parse_key of its source
    interface: InterfaceKeys  # as parsed


@dataclasses.dataclass(frozen=True)
class Outline:
    """What a worker sends back for one unit: the cached bytes of (unit without its
    fragment, interface keys, diagnostics), or those three parsed now."""

    parse_key: str
    cached: bytes | None
    parsed: tuple[ParsedUnit | None, InterfaceKeys | None, list[Diagnostic]] | None = None


class ParseCache:
    def __init__(self, cache: Cache):
        self.cache = cache
        self.keys: dict[str, UnitKeys] = {}  # unit name -> its keys, filled in by unpack

    # --- book.parse.Outlines --------------------------------------------------------------

    def outline(self, source: UnitSource) -> Outline:
        """In a worker: only the structure travels back to the parent, which never
        needs the text."""
        name = parse_key(source)
        data = self.cache.get_part("parse", name, OUTLINE_PART)
        if data is not None:
            return Outline(name, data)
        unit, found = parse_unit(source)
        interface = InterfaceKeys.of(unit, source) if unit else None
        if any(d.code == "S020" for d in found):  # a time limit depends on the machine: not cached
            return Outline(name, None, (unit, interface, found))
        outline = (dataclasses.replace(unit, fragment="") if unit else None, interface, found)
        fragment = unit.fragment.encode("utf-8") if unit else b""
        self.cache.put_parts("parse", name, [pickle.dumps(outline, protocol=pickle.HIGHEST_PROTOCOL), fragment])
        return Outline(name, None, outline)

    def unpack(self, outline: object) -> tuple[ParsedUnit | None, list[Diagnostic]]:
        assert isinstance(outline, Outline)
        if outline.cached is not None:
            unit, interface, found = pickle.loads(outline.cached)
        else:
            assert outline.parsed is not None  # an Outline holds one or the other
            unit, interface, found = outline.parsed
        if unit:
            self.keys[unit.source.name] = UnitKeys(outline.parse_key, interface)
        return unit, found

    def workers_done(self) -> None:
        self.cache.refresh()  # the entries the workers wrote

    # --- for render and the quick path ----------------------------------------------------

    def parse_one(self, source: UnitSource) -> tuple[ParsedUnit | None, list[Diagnostic]]:
        """One unit, from the cache or parsed (and cached), in this process, as the parse
        stage gives it but before automatic ids are made unique across the book."""
        return self.unpack(self.outline(source))

    def unit_key(self, unit: ParsedUnit) -> str:
        """What later work on the unit is keyed on: its parse key, or for a page made
        from metadata, what it was made into."""
        keys = self.keys.get(unit.source.name)
        return keys.parse if keys else generated_key(unit)

    def fragment(self, unit: ParsedUnit) -> str:
        """The unit's fragment, from memory or from the parse cache."""
        if unit.fragment:
            return unit.fragment
        return self.cache.need_part("parse", self.keys[unit.source.name].parse, FRAGMENT_PART).decode("utf-8")
