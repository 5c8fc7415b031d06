"""The build state: what the last build read and wrote, kept in OUT/.bookbuild-cache.

A rebuild compares the inputs and outputs with it to find out what changed; a quick
rebuild (bookbuild.incremental.quick) also finds there what it needs to re-render one unit without
modelling the rest of the book. The state is written whole or not at all; one written by
another version of bookbuild, or damaged, counts as none, and the next build is a full one.

Inputs are compared the way git compares its index with the work tree: a file whose stat
signature (size, mtime, ctime, inode) is as recorded has not changed, unless it was
recorded so soon after it last changed that a further change might not show in its
timestamps (a "racy" file); then, as for any other file, its bytes are digested and
compared. ctime cannot be set back by hand, so restoring a file's mtime does not hide an
edit.
"""

from __future__ import annotations

import copyreg
import dataclasses
import io
import os
import pickle
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import BinaryIO, NamedTuple

from isal.isal_zlib import crc32

from bookbuild.book.load import listed
from bookbuild.book.model import Cover, Metadata, ResolvedUnit, record
from bookbuild.diagnostics import Diagnostic
from bookbuild.fileio import file_digest, replace_unsynced
from bookbuild.incremental.kept import KeptTargets, SideBytes, SideFile, StateDamaged, TocParts
from bookbuild.incremental.keys import InterfaceKeys, code_version
from bookbuild.render.html_site import PrevNext

STATE_NAME = "state.pickle"
JOURNAL_NAME = "commit.journal"  # renames of the outputs in progress: see fileio.commit_together
# a change this close to the recorded time may not have moved the timestamps (file
# systems with coarse timestamps count in up to 2 s steps)
RACY_NS = 2_000_000_000

Signature = tuple[int, int, int, int]  # size, mtime_ns, ctime_ns, inode


# one output file as the build left it: its name under the output folder, its stat
# signature. Plain tuples: the state of a long book holds thousands, read and written on
# every rebuild, and pickle takes a tenth of the time it takes for named ones
OutputRecord = tuple[str, Signature]


def stat_signature(stat: os.stat_result) -> Signature:
    return stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino


def signature(path: str | Path) -> Signature | None:
    try:
        return stat_signature(os.stat(path))
    except OSError:
        return None


@record
class InputFile:
    path: str  # under the book's root, e.g. book/0005-chapter-5.md
    digest: bytes  # fileio.file_digest of its bytes; b"" when it did not exist
    signature: Signature | None


@record
class UnitRecord:
    """One unit of the last build, as a quick rebuild needs it."""

    path: str
    doc_name: str
    interface: InterfaceKeys | None  # as parse_cache recorded them; None for a generated page
    renamed_ids: tuple[tuple[str, str], ...]
    # every field resolve gave the unit, by name (hrefs, captions …): all that a quick
    # rebuild needs to resolve it as the last build did, a new field included. Pickled:
    # only a changed unit's are read, and the state of a long book is read and written
    # on every rebuild (unpickled whole, these were half of it: 15 ms each way at L)
    resolved: bytes
    render_key: str
    single_size: int  # bytes of its section in book.html


@record
class QuickContext:
    """What rendering one unit takes from the rest of the book."""

    metadata: Metadata
    css: tuple[str, ...]  # stylesheet names
    toc: TocParts  # the contents
    tops: tuple[int, ...]  # of each unit, the top-level entry of the contents that holds it; -1: none
    nav: SideBytes  # the rest of the pickled Navigation (toc, page list empty): loaded for a heading edit
    pages: SideBytes  # its page list, a pickled PageTable: loaded for an edit of headings or pages
    cover: Cover | None
    link_targets: KeptTargets  # loaded for an edit of links, headings or pages
    linked: SideBytes  # pickled {href: how many units link there}: loaded when a heading is removed
    site_units: tuple[tuple[str, str, str], ...]  # (doc name, title, title id)
    links: tuple[PrevNext, ...]  # of each unit
    shared: str  # keys.shared_render_key
    book_level: str
    frame_head: int  # bytes of book.html before the first unit's section
    units: tuple[UnitRecord, ...]


def resolution(resolved: ResolvedUnit) -> bytes:
    """UnitRecord.resolved: every field resolve gave the unit, by name, pickled."""
    fields = tuple((f.name, getattr(resolved, f.name)) for f in dataclasses.fields(resolved) if f.name != "unit")
    return pickle.dumps(fields, protocol=pickle.HIGHEST_PROTOCOL)


@record
class BuildState:
    started_ns: int  # when the build began: what "racy" is measured against
    formats: tuple[str, ...]
    source_date_epoch: str | None
    listings: tuple[tuple[str, ...], ...]  # the names in book/ and styles/
    inputs: tuple[InputFile, ...]
    targets: tuple[tuple[str, str], ...]  # (format, name under the output folder)
    outputs: tuple[OutputRecord, ...]  # every output file, as outputs_state gives it
    fingerprint: str  # of everything the outputs are made of
    pages: tuple[tuple[str, str], ...]  # html/ unit page -> its render key
    diagnostics: tuple[Diagnostic, ...]
    quick: QuickContext | None = None


def _header(crc: int) -> bytes:
    """The state file's first line: bookbuild's version and the body's CRC-32 (a fixed
    length: it is written last, over a placeholder)."""
    return f"bookbuild-state {code_version()} {crc:08x}\n".encode("ascii")


def read_state(folder: Path) -> BuildState | None:
    try:
        data = (folder / STATE_NAME).read_bytes()
    except OSError:
        return None
    end = data.find(b"\n") + 1
    body = memoryview(data)[end:]  # not a copy of megabytes
    if data[:end] != _header(crc32(body)):  # another version's, or damaged: a full build
        return None
    try:
        # two pickles (see write_state), each with its own memo
        stream = io.BytesIO(body)
        state, quick = _StateUnpickler(stream, folder).load(), _StateUnpickler(stream, folder).load()
    except Exception:  # noqa: BLE001 (a damaged state is no state: the build starts afresh)
        return None
    if not isinstance(state, BuildState) or not isinstance(quick, QuickContext | None):
        return None
    return dataclasses.replace(state, quick=quick)


class PickledContext(NamedTuple):
    """A quick context as write_state writes it, and the side files it refers to."""

    data: bytes
    sides: frozenset[str]


def write_state(folder: Path, state: BuildState, quick: PickledContext | None = None) -> None:
    """The state file: a header, then the state without its quick context, then the
    context (most of it: 2.6 MB at L, with 4.3 MB more in side files, kept.SideBytes),
    pickled apart. `quick`: the context already pickled (pickled_context), which a quick
    rebuild does while its outputs are copied; then `state` holds none. Side files no
    longer referred to are deleted once the state is in place."""
    assert quick is None or state.quick is None
    sides: set[str] = set()

    def write(stream: BinaryIO) -> None:
        # pickled straight into the file, its checksum taken on the way, and the header
        # (of a fixed length) written last: the body is never in memory whole (2.6 MB at
        # L, when the build's parent is at its largest)
        stream.write(_header(0))
        body = _Checksummed(stream)
        _state_pickler(body, folder, sides).dump(dataclasses.replace(state, quick=None))
        if quick is None:
            _state_pickler(body, folder, sides).dump(state.quick)
        else:
            body.write(quick.data)
            sides.update(quick.sides)
        stream.seek(0)
        stream.write(_header(body.crc))

    # not flushed to disk: the outputs it describes were, before it is written; a state a
    # crash leaves empty or torn fails its checksum and counts as none (a full build),
    # and a state left as it was describes outputs whose stat no longer matches. A side
    # file is written before the state that refers to it, and is never written again
    replace_unsynced(folder / STATE_NAME, write)
    for name in os.listdir(folder):
        if _SIDE_NAME.match(name) and name not in sides:
            (folder / name).unlink(missing_ok=True)


def pickled_context(folder: Path, context: QuickContext) -> PickledContext:
    """The quick context as write_state writes into `folder` (its new side files
    written there now)."""
    stream, sides = io.BytesIO(), set[str]()
    _state_pickler(stream, folder, sides).dump(context)
    return PickledContext(stream.getvalue(), frozenset(sides))


# --- side files ----------------------------------------------------------------------
# The state refers to each kept.SideBytes by its file's name, size and CRC-32. The pickler
# is given a reducer for SideBytes alone (its dispatch table), and the unpickler a
# constructor for the reference (find_class): nothing is called for the other objects,
# where a persistent_id method would be called for each of the state's 17,000.

_SIDE_NAME = re.compile(r"^state-side-[A-Za-z0-9_]+\.bin$")


def _state_pickler(stream: BinaryIO | _Checksummed, folder: Path, sides: set[str]) -> pickle.Pickler:
    pickler = pickle.Pickler(stream, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = copyreg.dispatch_table | {SideBytes: partial(_refer_to_side, folder, sides)}
    return pickler


def _refer_to_side(
    folder: Path, sides: set[str], value: SideBytes
) -> tuple[Callable[..., SideBytes], tuple[str, int, int]]:
    """A reduction of `value` to its file in `folder`, which is written when `value` is
    not in one there yet (then it is, from now on)."""
    file = value.file
    if file is None or file.path.parent != folder:
        data = value.data()
        handle, name = tempfile.mkstemp(prefix="state-side-", suffix=".bin", dir=folder)
        with open(handle, "wb") as stream:
            stream.write(data)
        file = value.file = SideFile(Path(name), len(data), crc32(data))
    sides.add(file.path.name)
    return _side_reference, (file.path.name, file.size, file.crc)


def _side_reference(name: str, size: int, crc: int) -> SideBytes:
    """What the state file names to make a SideBytes: only read_state knows where."""
    raise StateDamaged("a state's side file, read without the state's folder")


class _StateUnpickler(pickle.Unpickler):
    def __init__(self, stream: BinaryIO, folder: Path):
        super().__init__(stream)
        self.folder = folder

    def find_class(self, module: str, name: str) -> object:
        if module == __name__ and name == "_side_reference":
            return self._side
        return super().find_class(module, name)

    def _side(self, name: str, size: int, crc: int) -> SideBytes:
        if not _SIDE_NAME.match(name):
            raise StateDamaged(f"{name}: not a side file's name")
        return SideBytes(file=SideFile(self.folder / name, size, crc))


class _Checksummed:
    """A stream to write to that passes the bytes on and keeps their CRC-32."""

    def __init__(self, stream: BinaryIO):
        self.stream, self.crc = stream, 0

    def write(self, data: bytes) -> int:
        self.crc = crc32(data, self.crc)
        return self.stream.write(data)


def listings(root: Path) -> tuple[tuple[str, ...], ...]:
    """Which files a build reads is decided by these folder listings."""
    return (listed(root / "book", ".md"), listed(root / "styles", ".css"))


def outputs_state(out: Path, targets: tuple[tuple[str, str], ...]) -> tuple[OutputRecord, ...]:
    """The stat signature of every file of the outputs, to notice one changed since the
    last build wrote it: any write moves a file's ctime, which cannot be set back by hand
    (a file damaged with its size and mtime restored is noticed), so nothing is carried
    over or spliced from an output that is not as the last build left it."""
    found = []
    for _, name in targets:
        base = f"{out}/{name}"
        if not os.path.isdir(base):
            sig = signature(base)
            if sig is not None:  # (one that is gone is not as recorded)
                found.append((name, sig))
            continue
        # a rebuild stats every output (2,000 files at L): by name in an open folder, as
        # path objects cost twice what the stat calls do, and each whole path is looked up
        for folder, _, files in os.walk(base):
            inside = name + folder[len(base) :]
            fd = os.open(folder, os.O_RDONLY)
            try:
                for file in files:
                    try:
                        stat = os.stat(file, dir_fd=fd)
                    except FileNotFoundError:
                        continue  # gone since the listing: not as recorded
                    found.append((f"{inside}/{file}", stat_signature(stat)))
            finally:
                os.close(fd)
    return tuple(sorted(found))


def record_inputs(root: Path, paths: list[str], known: dict[str, bytes]) -> tuple[InputFile, ...]:
    """`known`: digests of the files the build has read already (see load)."""
    records = []
    for path in sorted(paths):
        sig = signature(f"{root}/{path}")
        digest = known.get(path)
        if digest is None:
            digest = file_digest((root / path).read_bytes()) if sig else b""
        records.append(InputFile(path, digest, sig))
    return tuple(records)


@dataclass(frozen=True)
class InputCheck:
    changed: dict[str, bytes | None]  # path -> its bytes now (None: gone)
    inputs: tuple[InputFile, ...]  # every input as it is now


def compare_inputs(root: Path, state: BuildState) -> InputCheck | None:
    """Which inputs changed since `state` was recorded; None when the set of files a
    build reads changed (a unit or stylesheet added or removed)."""
    if listings(root) != state.listings:
        return None
    changed: dict[str, bytes | None] = {}
    now = []
    for recorded in state.inputs:
        sig = signature(f"{root}/{recorded.path}")  # a string: Path objects cost more than the stat
        if sig is not None and sig == recorded.signature and sig[2] < state.started_ns - RACY_NS:
            now.append(recorded)
            continue
        if sig is not None and not (root / recorded.path).resolve().is_relative_to(root.resolve()):
            sig = None  # now leads out of the book: the full build refuses it (load.outside_root)
        try:
            data = (root / recorded.path).read_bytes() if sig else None
        except OSError:  # gone since the stat
            data, sig = None, None
        digest = file_digest(data) if data is not None else b""
        if digest != recorded.digest:
            changed[recorded.path] = data
        now.append(InputFile(recorded.path, digest, sig))
    return InputCheck(changed, tuple(now))
