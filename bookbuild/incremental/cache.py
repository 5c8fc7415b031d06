"""The build cache: results stored under keys made from the content that produced them
(inputs and the code version: see incremental.keys), so it can never serve a stale
result; a changed input simply misses."""

from __future__ import annotations

import os
import secrets
import shutil
import struct
from pathlib import Path

from isal.isal_zlib import crc32

from bookbuild.fileio import start_writeback


class CacheDamaged(Exception):
    """An entry the cache said it held could not be read back intact (a damaged or
    truncated pack). The pipeline then builds again with no cache."""


class Cache:
    """Entries (kind, key) -> parts (a list of bytes) under `folder`, never modified once
    written.

    Creating a file costs far more than writing to one (about 0.7 ms on these machines,
    so a file per entry made the cache a large part of a build), so entries are appended
    to pack files instead: each process appends to its own pack (`packs/*.pack`) and
    records where each entry is in the pack's index (`*.idx`, one line per entry, written
    after the data). A process sees the entries other processes wrote once it calls
    `refresh`, as the pipeline does after each pool of workers.

    Nothing read back is trusted: an entry starts with a table of its parts' sizes and
    CRC-32s, and the index line holds the CRC-32 of that table. A part whose bytes do not
    match (a pack damaged, truncated, or written by something else) is a miss, as is an
    index line without its data (a process killed mid-write) or one this code did not
    write. CRC-32 (ISA-L's, about 9 GB/s) finds accidental damage; the cache is no
    defence against someone who may write to it, and need not be: such a person can
    write the outputs too.
    """

    def __init__(self, folder: Path, read_existing: bool = True):
        """`read_existing=False`: see only what this process writes (no index read), for
        a short run whose lookups would miss anyway."""
        self.folder = folder
        self.packs = folder / "packs"
        self._index: dict[tuple[str, str], tuple[str, int, int, int]] = {}  # pack, offset, size, table CRC
        self._read_indexes: dict[str, int] = {}  # index file -> bytes of it already read
        self._readers: dict[str, int] = {}  # pack name -> open descriptor
        self._writer: tuple[int, str, int, int] | None = None  # (pid, pack name, fd, idx fd)
        self._unwritten_from = 0  # where the writer's pack has bytes not yet sent to disk
        if read_existing:
            self.refresh()

    # -- reading ---------------------------------------------------------------------------
    def refresh(self) -> None:
        """Take in the entries other processes have written since the last look."""
        if not self.packs.is_dir():
            return
        for index_file in sorted(self.packs.glob("*.idx")):
            seen = self._read_indexes.get(index_file.name, 0)
            with index_file.open("rb") as handle:
                handle.seek(seen)
                data = handle.read()
            complete = data.rfind(b"\n") + 1  # a last line still being written waits
            pack = index_file.stem + ".pack"
            for line in data[:complete].decode("ascii", "replace").splitlines():
                try:
                    kind, name, offset, size, table_crc = line.split(" ")
                    self._index[(kind, name)] = (pack, int(offset), int(size), int(table_crc, 16))
                except ValueError:  # not a line this code wrote: the entry is a miss
                    continue
            self._read_indexes[index_file.name] = seen + complete

    def has(self, kind: str, name: str) -> bool:
        """Whether the index names the entry; its parts are checked when they are read."""
        return (kind, name) in self._index

    def _read(self, kind: str, name: str, start: int, size: int) -> bytes | None:
        where = self._index.get((kind, name))
        if where is None:
            return None
        pack, offset, length, _ = where
        if start < 0 or size < 0 or start + size > length:  # a damaged size table
            return None
        fd = self._readers.get(pack)  # pread leaves the offset alone: forks can share these
        if fd is None:
            try:
                fd = self._readers[pack] = os.open(self.packs / pack, os.O_RDONLY)
            except OSError:
                return None
        data = os.pread(fd, size, offset + start)
        return data if len(data) == size else None

    def parts_table(self, kind: str, name: str) -> list[tuple[int, int]] | None:
        """(size, CRC-32) of each part of the entry, once its table checks out."""
        where = self._index.get((kind, name))
        if where is None:
            return None
        # the count and the table come in one read (a guess at their length that holds
        # for up to _PARTS_READ parts), a part in a second
        head = self._read(kind, name, 0, min(where[2], _COUNT.size + _PART.size * _PARTS_READ))
        if not head or len(head) < _COUNT.size:
            return None
        (count,) = _COUNT.unpack_from(head)
        table_end = _COUNT.size + _PART.size * count
        if table_end > where[2]:
            return None
        table = head[:table_end] if len(head) >= table_end else self._read(kind, name, 0, table_end)
        if table is None or crc32(table) != where[3]:
            return None
        parts = list(_PART.iter_unpack(table[_COUNT.size :]))
        if table_end + sum(size for size, _ in parts) != where[2]:
            return None
        return parts

    def part_sizes(self, kind: str, name: str) -> list[int] | None:
        table = self.parts_table(kind, name)
        return None if table is None else [size for size, _ in table]

    def get_part(self, kind: str, name: str, index: int) -> bytes | None:
        """One part of an entry, or None when it is not there or not intact."""
        table = self.parts_table(kind, name)
        if table is None or index >= len(table):
            return None
        start = _COUNT.size + _PART.size * len(table) + sum(size for size, _ in table[:index])
        size, crc = table[index]
        data = self._read(kind, name, start, size)
        return data if data is not None and crc32(data) == crc else None

    def get(self, kind: str, name: str) -> bytes | None:
        """An entry of one part (see put)."""
        return self.get_part(kind, name, 0)

    def need_part(self, kind: str, name: str, index: int) -> bytes:
        """A part the build has counted on (it saw the entry earlier in this build)."""
        data = self.get_part(kind, name, index)
        if data is None:
            raise CacheDamaged(f"cache entry {kind} {name} part {index} is damaged or gone")
        return data

    def _entry(self, kind: str, name: str) -> bytes | None:
        """The whole entry as stored, if every part of it is intact."""
        table = self.parts_table(kind, name)
        if table is None:
            return None
        size = self._index[(kind, name)][2]
        data = self._read(kind, name, 0, size)
        if data is None:
            return None
        position = _COUNT.size + _PART.size * len(table)
        for part_size, crc in table:
            if crc32(data[position : position + part_size]) != crc:
                return None
            position += part_size
        return data

    # -- writing ---------------------------------------------------------------------------
    def put(self, kind: str, name: str, data: bytes) -> None:
        self.put_parts(kind, name, [data])

    def put_parts(self, kind: str, name: str, parts: list[bytes]) -> None:
        table = _COUNT.pack(len(parts)) + b"".join(_PART.pack(len(p), crc32(p)) for p in parts)
        self._append(kind, name, [table, *parts], crc32(table))

    def _append(self, kind: str, name: str, chunks: list[bytes], table_crc: int) -> None:
        pid, pack, fd, index_fd = self._pack_for_writing()
        offset = os.lseek(fd, 0, os.SEEK_END)
        for chunk in chunks:
            _write_all(fd, chunk)
        size = sum(len(chunk) for chunk in chunks)
        _write_all(index_fd, f"{kind} {name} {offset} {size} {table_crc:08x}\n".encode("ascii"))
        self._index[(kind, name)] = (pack, offset, size, table_crc)
        if offset + size - self._unwritten_from >= WRITEBACK_EVERY:
            start_writeback(fd, self._unwritten_from, offset + size - self._unwritten_from)
            self._unwritten_from = offset + size

    def _pack_for_writing(self) -> tuple[int, str, int, int]:
        if self._writer is None or self._writer[0] != os.getpid():
            self.packs.mkdir(parents=True, exist_ok=True)
            stem = f"{os.getpid()}-{secrets.token_hex(6)}"
            fd = os.open(self.packs / f"{stem}.pack", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            index_fd = os.open(self.packs / f"{stem}.idx", os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
            self._writer = (os.getpid(), f"{stem}.pack", fd, index_fd)
            self._unwritten_from = 0
        return self._writer

    # -- upkeep ------------------------------------------------------------------------------
    def prune(self, live: set[tuple[str, str]]) -> None:
        """Once most of what the packs hold is no longer used, copy the `live` entries
        (those still intact) into a new pack, one at a time, and delete the old packs.
        Call with no other process writing."""
        for child in self.folder.iterdir() if self.folder.is_dir() else ():
            if child.is_dir() and child != self.packs:  # a cache left by an older bookbuild
                shutil.rmtree(child, ignore_errors=True)
        used = sum(self._index[entry][2] for entry in live if entry in self._index)
        old = sorted(self.packs.glob("*.pack")) if self.packs.is_dir() else []
        held = sum(p.stat().st_size for p in old)
        if held <= 2 * used + _PRUNE_SLACK and len(old) <= _MAX_PACKS:
            return
        self._close_writer()  # the copies go to a pack of their own
        kept = {}
        for entry in sorted(live):
            data = self._entry(*entry)
            if data is not None:
                self._append(*entry, [data], self._index[entry][3])
                kept[entry] = self._index[entry]
        for fd in self._readers.values():
            os.close(fd)
        self._readers = {}  # the writer stays open: the copies are in its pack
        for path in old:
            path.unlink()
            path.with_suffix(".idx").unlink(missing_ok=True)
            self._read_indexes.pop(path.with_suffix(".idx").name, None)
        self._index = kept

    def _close_writer(self) -> None:
        if self._writer and self._writer[0] == os.getpid():
            os.close(self._writer[2])
            os.close(self._writer[3])
        self._writer = None

    def close(self) -> None:
        """Close the packs this process opened (a long-lived process, such as a test run
        or a watcher, builds many times)."""
        self._close_writer()
        for fd in self._readers.values():
            os.close(fd)
        self._readers = {}

    def __enter__(self) -> Cache:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


_COUNT = struct.Struct("<I")
_PART = struct.Struct("<QI")  # size, CRC-32
_PARTS_READ = 8
_PRUNE_SLACK = 8 << 20  # below this much garbage, pruning is not worth a rewrite
_MAX_PACKS = 64
# a pack's new bytes are sent to disk each time this many have been written: a clean
# build writes some 300 MB of cache over its parse and render, which the flush before
# the outputs' renames (one syncfs) otherwise wrote all at once at the end
WRITEBACK_EVERY = 4 << 20
