"""The build cache: results keyed by the content that produced them (inputs and the code
version), so it can never serve a stale result; a changed input simply misses."""

from __future__ import annotations

import dataclasses
import hashlib
import os
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
    """Files under `folder/kind/ab/key`; written atomically, never modified."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._made: set[Path] = set()  # folders known to exist (mkdir per write is costly)
        self._written = 0

    def _path(self, kind: str, name: str) -> Path:
        return self.folder / kind / name[:2] / name

    def get(self, kind: str, name: str) -> bytes | None:
        try:
            return self._path(kind, name).read_bytes()
        except FileNotFoundError:
            return None

    def path_if_present(self, kind: str, name: str) -> Path | None:
        path = self._path(kind, name)
        return path if path.exists() else None

    def put(self, kind: str, name: str, data: bytes) -> None:
        path = self._path(kind, name)
        if path.parent not in self._made:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._made.add(path.parent)
        # a name of our own rather than mkstemp's: creating files is what costs here, and
        # pid + counter is unique among the processes that share the cache
        self._written += 1
        tmp = path.parent / f".tmp.{os.getpid()}.{self._written}"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:  # left by a process that died, as this pid is ours now
            tmp.unlink()
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    # One entry can hold several parts (a unit's EPUB entry, its page, its section of
    # book.html): one file to create instead of three, and each part read on its own.
    def put_parts(self, kind: str, name: str, parts: list[bytes]) -> None:
        header = _PARTS.pack(len(parts)) + b"".join(_PART.pack(len(p)) for p in parts)
        self.put(kind, name, header + b"".join(parts))

    def get_part(self, kind: str, name: str, index: int) -> bytes | None:
        try:
            with self._path(kind, name).open("rb") as handle:
                count, = _PARTS.unpack(handle.read(_PARTS.size))
                sizes = [_PART.unpack(handle.read(_PART.size))[0] for _ in range(count)]
                handle.seek(sum(sizes[:index]), os.SEEK_CUR)
                return handle.read(sizes[index])
        except FileNotFoundError:
            return None


_PARTS = struct.Struct("<I")
_PART = struct.Struct("<Q")
