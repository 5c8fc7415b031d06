"""What the build state keeps of the structures made from the whole book, in a form a
quick rebuild (bookbuild.incremental.quick) reads and changes a unit's share of cheaply:
the contents a top-level entry each (TocParts), the link targets as the full build's
and the documents changed since (KeptTargets), the page list as columns (PageTable).
Pickled whole, each took 10-40 ms at L to load and as long to pickle again, in a
rebuild of 0.2 s that needs a few units' part of them. What most rebuilds neither read
nor change is kept in files of its own beside the state (SideBytes).
"""

from __future__ import annotations

import dataclasses
import pickle
from collections.abc import Iterable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from operator import attrgetter
from pathlib import Path
from typing import Any, NamedTuple

from isal.isal_zlib import crc32

from bookbuild.book.model import LinkTargets, NavPoint, PageRef, record


class StateDamaged(Exception):
    """A file of the build state is gone or not as it was written: the build starts
    afresh (a full build), as with no state."""


class SideFile(NamedTuple):
    path: Path
    size: int
    crc: int  # CRC-32 of its bytes: a file a crash left torn is noticed

    def read(self) -> bytes:
        try:
            data = self.path.read_bytes()
        except OSError as exc:
            raise StateDamaged(f"{self.path}: {exc}") from None
        if len(data) != self.size or crc32(data) != self.crc:
            raise StateDamaged(f"{self.path}: not as the state recorded it")
        return data


class SideBytes:
    """Bytes the build state keeps in a file of their own beside the state file, for
    what a quick rebuild seldom reads and more seldom changes (the navigation, the page
    list, the link targets, where links lead: 4.3 of the 6.9 MB at L). After an edit of
    text the state is read and written without them: reading it took 19-22 ms with them
    and 9 without, pickling the context 11 and 3, writing the state 9 and 4.5.

    Either in memory (made by this build) or in a file (as read_state found it: read
    when first asked for, and checked against the size and CRC-32 recorded). Pickled by
    value, except into the state file, which refers to the file (state.write_state)."""

    __slots__ = ("_data", "file")

    def __init__(self, data: bytes | None = None, file: SideFile | None = None):
        if (data is None) == (file is None):
            raise ValueError("SideBytes holds either the bytes or the file they are in")
        self._data, self.file = data, file

    def data(self) -> bytes:
        """The bytes (raises StateDamaged when their file is not as recorded)."""
        if self._data is None:
            assert self.file is not None
            self._data = self.file.read()
        return self._data

    def loads(self) -> Any:
        """The bytes unpickled."""
        return pickle.loads(self.data())

    @classmethod
    def dumps(cls, value: object) -> SideBytes:
        """`value` pickled."""
        return cls(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SideBytes) and self.data() == other.data()

    def __hash__(self) -> int:
        return hash(self.data())

    def __reduce__(self) -> tuple[type, tuple[bytes]]:
        return SideBytes, (self.data(),)

    def __repr__(self) -> str:
        where = self.file.path.name if self.file else f"{len(self._data or b'')} bytes"
        return f"SideBytes({where})"


@record
class KeptTargets:
    """The book's link targets (model.LinkTargets): as the last full build indexed them,
    and the documents whose own targets quick rebuilds changed since (an edit of
    headings or pages), each with its own as they are now. A heading edit pickles one
    document's targets, not the book's (31,589 at L: 15 ms); each document's local ids
    are pickled apart, and unpickled when asked for (_PickledSets)."""

    base: SideBytes  # the full build's LinkTargets, pickled without its local ids
    # the full build's local ids: ((doc, its pickled ids), ...) in reading order, pickled
    local_ids: SideBytes
    changed: tuple[tuple[str, bytes], ...] = ()  # (doc, its pickled _own_targets), by doc

    @classmethod
    def of(cls, targets: LinkTargets) -> KeptTargets:
        return cls(
            SideBytes.dumps(dataclasses.replace(targets, local_ids={})),
            SideBytes.dumps(
                tuple(
                    (doc, pickle.dumps(frozenset(ids), protocol=pickle.HIGHEST_PROTOCOL))
                    for doc, ids in targets.local_ids.items()
                )
            ),
        )

    def load(self) -> LinkTargets:
        targets: LinkTargets = self.base.loads()
        pickled = dict(self.local_ids.loads())
        if not self.changed:
            return dataclasses.replace(targets, local_ids=_PickledSets(pickled, {}))
        everywhere, now = dict(targets.targets), {}
        for doc, data in self.changed:
            ids, own = pickle.loads(data)
            for ident in pickle.loads(pickled[doc]) if doc in pickled else ():  # its own were among them
                if everywhere.get(ident, ("",))[0] == doc:
                    del everywhere[ident]
            everywhere.update(own)
            now[doc] = ids
        return dataclasses.replace(targets, targets=everywhere, local_ids=_PickledSets(pickled, now))

    def with_docs(self, targets: LinkTargets, docs: Iterable[str]) -> KeptTargets:
        """Kept with `docs`' own targets as `targets` has them (only theirs changed)."""
        changed = dict(self.changed)
        for doc in docs:
            changed[doc] = pickle.dumps(_own_targets(targets, doc), protocol=pickle.HIGHEST_PROTOCOL)
        return dataclasses.replace(self, changed=tuple(sorted(changed.items())))


class _PickledSets(Mapping[str, AbstractSet[str]]):
    """Each document's local ids (LinkTargets.local_ids), unpickled when first asked for:
    a quick rebuild looks at a few documents' (the 42,000 ids of L take 10 ms at once).
    `loaded`: those known already."""

    def __init__(self, pickled: dict[str, bytes], loaded: dict[str, AbstractSet[str]]):
        self._pickled, self._loaded = pickled, loaded

    def __getitem__(self, doc: str) -> AbstractSet[str]:
        found = self._loaded.get(doc)
        if found is None:
            found = self._loaded[doc] = pickle.loads(self._pickled[doc])
        return found

    def __contains__(self, doc: object) -> bool:
        return doc in self._pickled or doc in self._loaded

    def __iter__(self) -> Iterator[str]:
        yield from self._pickled
        yield from (doc for doc in self._loaded if doc not in self._pickled)

    def __len__(self) -> int:
        return len(self._pickled) + sum(doc not in self._pickled for doc in self._loaded)


def _own_targets(targets: LinkTargets, doc: str) -> tuple[AbstractSet[str], dict[str, tuple[str, str]]]:
    """A document's local ids, and the targets among them that are its own (an id the
    book has twice leads to the first)."""
    ids = targets.local_ids.get(doc, frozenset())
    return ids, {ident: targets.targets[ident] for ident in ids if targets.targets.get(ident, ("",))[0] == doc}


@record
class TocParts:
    """The contents (Navigation.toc) kept a top-level entry each, pickled apart: a rebuild
    after an edit of one unit loads (and, when its headings changed, pickles) the entry
    that holds it and the 31 its page's sidebar lists, not the whole contents (9,343
    entries at L: 18 ms to unpickle, 17 to pickle, 10 more to index for the site)."""

    parts: tuple[bytes, ...]
    sizes: tuple[int, ...]  # of each, its entries (itself included): how the NCX numbers them
    depths: tuple[int, ...]  # of each, how deep it nests (1: no children)

    @classmethod
    def of(cls, toc: tuple[NavPoint, ...]) -> TocParts:
        return cls(
            tuple(pickle.dumps(point, protocol=pickle.HIGHEST_PROTOCOL) for point in toc),
            tuple(map(entry_count, toc)),
            tuple(map(_depth, toc)),
        )

    def load(self, start: int = 0, end: int | None = None) -> tuple[NavPoint, ...]:
        """The top-level entries from `start` to `end` (all by default)."""
        return tuple(map(pickle.loads, self.parts[start:end]))

    def replaced(self, index: int, point: NavPoint) -> TocParts:
        """The contents with top-level entry `index` replaced by `point`."""

        def put(column: tuple[Any, ...], value: Any) -> tuple[Any, ...]:
            return column[:index] + (value,) + column[index + 1 :]

        return TocParts(
            put(self.parts, pickle.dumps(point, protocol=pickle.HIGHEST_PROTOCOL)),
            put(self.sizes, entry_count(point)),
            put(self.depths, _depth(point)),
        )

    def entries_before(self, index: int) -> int:
        """How many entries the top-level ones before `index` hold, below them included."""
        return sum(self.sizes[:index])

    def depth(self) -> int:
        """How deep the contents nests, as epub_package.ncx_depth counts (at least 1)."""
        return max(1, max(self.depths, default=0))


def entry_count(point: NavPoint) -> int:
    """The entries of the contents `point` makes, itself and those below it."""
    return 1 + sum(map(entry_count, point.children))


def _depth(point: NavPoint) -> int:
    return 1 + max(map(_depth, point.children), default=0)


@record
class PageTable:
    """The book's page list (Navigation.page_list) kept a column per field of model.PageRef:
    tens of thousands of records take some 40 ms to unpickle and 30 to pickle, columns of
    strings a tenth of that, and an edit of one unit's pages needs only its own."""

    labels: tuple[str, ...]
    docs: tuple[str, ...]
    ids: tuple[str, ...]
    known: tuple[bool, ...]
    files: tuple[str, ...]
    lines: tuple[int, ...]

    @classmethod
    def of(cls, pages: tuple[PageRef, ...]) -> PageTable:
        def column(name: str) -> tuple[Any, ...]:
            return tuple(map(attrgetter(name), pages))

        return cls(column("label"), column("doc"), column("id"), column("known"), column("file"), column("line"))

    def _columns(self) -> tuple[tuple[Any, ...], ...]:
        return (self.labels, self.docs, self.ids, self.known, self.files, self.lines)

    def refs(self, start: int = 0, end: int | None = None) -> tuple[PageRef, ...]:
        """The pages from `start` to `end` as records."""
        return tuple(map(PageRef, *(column[start:end] for column in self._columns())))

    def hrefs(self) -> list[str]:
        """Where each page is, as "doc#id" (epub_package.page_hrefs)."""
        return [f"{doc}#{ident}" for doc, ident in zip(self.docs, self.ids, strict=True)]

    def replaced(self, start: int, end: int, pages: tuple[PageRef, ...]) -> PageTable:
        """The table with the pages from `start` to `end` replaced by `pages`."""
        added = PageTable.of(pages)._columns()
        return PageTable(
            *(column[:start] + new + column[end:] for column, new in zip(self._columns(), added, strict=True))
        )
