"""The build cache: results keyed by the content that produced them (inputs and the code
version), so it can never serve a stale result; a changed input simply misses."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import secrets
import shutil
import struct
from functools import lru_cache
from importlib import resources
from pathlib import Path


@lru_cache(maxsize=1)
def code_version() -> str:
    """A digest of bookbuild's own code and assets: a new version invalidates everything."""
    digest = hashlib.blake2b(digest_size=16)
    package = resources.files("bookbuild")
    for path in sorted(_package_files(Path(str(package)))):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _package_files(root: Path):
    for path in root.rglob("*"):
        if path.is_file() and path.suffix in (".py", ".css", ".js"):
            yield path


def canonical(value) -> str:
    """A stable text form of model values (sets sorted, dataclasses by field), because
    pickle and hash() of sets differ between processes."""
    if dataclasses.is_dataclass(value):
        fields = ",".join(f"{f.name}={canonical(getattr(value, f.name))}"
                          for f in dataclasses.fields(value))
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


def key(*parts) -> str:
    digest = hashlib.blake2b(digest_size=20)
    digest.update(code_version().encode())
    for part in parts:
        digest.update(part if isinstance(part, bytes) else canonical(part).encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()


class Cache:
    """Entries (kind, key) -> bytes under `folder`, never modified once written.

    Creating a file costs far more than writing to one (about 0.7 ms on these machines,
    so a file per entry made the cache a large part of a build), so entries are appended
    to pack files instead: each process appends to its own pack (`packs/*.pack`) and
    records where each entry is in the pack's index (`*.idx`, one line per entry, written
    after the data). A process sees the entries other processes wrote once it calls
    `refresh`, as the pipeline does after each pool of workers. An index line without its
    data (a process killed mid-write) is ignored.
    """

    def __init__(self, folder: Path, read_existing: bool = True):
        """`read_existing=False`: see only what this process writes (no index read), for
        a short run whose lookups would miss anyway."""
        self.folder = folder
        self.packs = folder / "packs"
        self._index: dict[tuple[str, str], tuple[str, int, int]] = {}
        self._read_indexes: dict[str, int] = {}  # index file -> bytes of it already read
        self._readers: dict[str, int] = {}  # pack name -> open descriptor
        self._writer: tuple[int, str, int, int] | None = None  # (pid, pack name, fd, idx fd)
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
                    kind, name, offset, size = line.split(" ")
                    self._index[(kind, name)] = (pack, int(offset), int(size))
                except ValueError:  # not a line this code wrote: the entry is a miss
                    continue
            self._read_indexes[index_file.name] = seen + complete

    def has(self, kind: str, name: str) -> bool:
        return (kind, name) in self._index

    def _read(self, kind: str, name: str, start: int = 0, size: int | None = None) -> bytes | None:
        where = self._index.get((kind, name))
        if where is None:
            return None
        pack, offset, length = where
        fd = self._readers.get(pack)  # pread leaves the offset alone: forks can share these
        if fd is None:
            try:
                fd = self._readers[pack] = os.open(self.packs / pack, os.O_RDONLY)
            except FileNotFoundError:
                return None
        size = length - start if size is None else size
        if start < 0 or size < 0 or start + size > length:  # a damaged size table
            return None
        data = os.pread(fd, size, offset + start)
        return data if len(data) == size else None

    def get(self, kind: str, name: str) -> bytes | None:
        return self._read(kind, name)

    # One entry can hold several parts (a unit's EPUB entry, its page, its section of
    # book.html), each read on its own.
    def get_part(self, kind: str, name: str, index: int) -> bytes | None:
        sizes = self.part_sizes(kind, name)
        if sizes is None or index >= len(sizes):
            return None
        start = _PARTS.size + _PART.size * len(sizes) + sum(sizes[:index])
        return self._read(kind, name, start, sizes[index])

    def part_sizes(self, kind: str, name: str) -> list[int] | None:
        # the count and the size table come in one read (a guess at their length that
        # holds for up to _PARTS_READ parts), a part in a second
        head = self._read(kind, name, 0, min(self._index.get((kind, name), ("", 0, 0))[2],
                                              _PARTS.size + _PART.size * _PARTS_READ))
        if not head or len(head) < _PARTS.size:
            return None
        count, = _PARTS.unpack_from(head)
        table_end = _PARTS.size + _PART.size * count
        table = head[_PARTS.size:table_end] if len(head) >= table_end \
            else self._read(kind, name, _PARTS.size, _PART.size * count)
        if table is None:
            return None
        return [size for size, in _PART.iter_unpack(table)]

    # -- writing ---------------------------------------------------------------------------
    def put(self, kind: str, name: str, data: bytes) -> None:
        pid, pack, fd, index_fd = self._pack_for_writing()
        offset = os.lseek(fd, 0, os.SEEK_END)
        _write_all(fd, data)
        _write_all(index_fd, f"{kind} {name} {offset} {len(data)}\n".encode("ascii"))
        self._index[(kind, name)] = (pack, offset, len(data))

    def put_parts(self, kind: str, name: str, parts: list[bytes]) -> None:
        header = _PARTS.pack(len(parts)) + b"".join(_PART.pack(len(p)) for p in parts)
        self.put(kind, name, header + b"".join(parts))

    def _pack_for_writing(self) -> tuple[int, str, int, int]:
        if self._writer is None or self._writer[0] != os.getpid():
            self.packs.mkdir(parents=True, exist_ok=True)
            stem = f"{os.getpid()}-{secrets.token_hex(6)}"
            fd = os.open(self.packs / f"{stem}.pack", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            index_fd = os.open(self.packs / f"{stem}.idx", os.O_WRONLY | os.O_CREAT | os.O_EXCL
                               | os.O_APPEND, 0o644)
            self._writer = (os.getpid(), f"{stem}.pack", fd, index_fd)
        return self._writer

    # -- upkeep ------------------------------------------------------------------------------
    def prune(self, live: set[tuple[str, str]]) -> None:
        """Once most of what the packs hold is no longer used, copy the `live` entries
        into a new pack, one at a time, and delete the old packs. Call with no other
        process writing."""
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
            data = self.get(*entry)
            if data is not None:
                self.put(*entry, data)
                kept[entry] = self._index[entry]
        for fd in self._readers.values():
            os.close(fd)
        self._readers = {}
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


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


_PARTS = struct.Struct("<I")
_PART = struct.Struct("<Q")
_PARTS_READ = 8
_PRUNE_SLACK = 8 << 20  # below this much garbage, pruning is not worth a rewrite
_MAX_PACKS = 64
