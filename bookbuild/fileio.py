"""Writing outputs safely: build beside the target, then rename into place, so a failed
run never leaves a half-written output and never replaces a good one."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from contextlib import contextmanager
from typing import BinaryIO, Callable, Iterator


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def write_bytes_atomic(target: Path, data: bytes | Callable[[BinaryIO], None]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            if isinstance(data, bytes):
                handle.write(data)
            else:
                data(handle)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs are ordinary files
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


FileContent = bytes | Path | Callable[[BinaryIO], None]


def replace_tree(target: Path, files: dict[str, FileContent]) -> None:
    """Make folder `target` hold exactly `files`, swapping it in whole; the old folder is
    kept until the new one is in place. See fill_folder for the values."""
    with staged_folder(target) as staging:
        fill_folder(staging, files)


@contextmanager
def staged_folder(target: Path) -> Iterator[Path]:
    """A new, empty folder beside `target`; when the block succeeds it replaces `target`
    whole, when it fails it is removed and `target` is left as it was. Several processes
    may fill it (see fill_folder)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.new.", dir=target.parent))
    os.chmod(staging, 0o777 & ~_umask())
    try:
        yield staging
        old = None
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
            old.rmdir()
            target.rename(old)
        staging.rename(target)
        if old:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def fill_folder(folder: Path, files: dict[str, FileContent]) -> None:
    """Write `files` (relative name -> content) into `folder`. A value is the bytes, an
    existing file with the content (hard-linked when it can be: the new folder only
    replaces the old one), or a function that streams the content into the open file."""
    made = {folder}
    for rel, data in sorted(files.items()):
        path = folder / rel
        if path.parent not in made:  # a mkdir per file costs as much as the file
            path.parent.mkdir(parents=True, exist_ok=True)
            made.add(path.parent)
        if isinstance(data, bytes):
            path.write_bytes(data)
        elif isinstance(data, Path):
            _link_or_copy(data, path)
        else:
            with path.open("wb") as stream:
                data(stream)


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:  # another file system, or one without hard links
        shutil.copyfile(source, target)


def file_digest(data: bytes) -> bytes:
    """The digest the build state records for an input file's bytes."""
    return hashlib.blake2b(data, digest_size=20).digest()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
