"""Writing outputs safely: build beside the target, then rename into place, so a failed
run never leaves a half-written output and never replaces a good one."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import BinaryIO, Callable, Iterator

from isal.isal_zlib import crc32


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


Writer = bytes | Callable[[BinaryIO], None]


def write_bytes_atomic(target: Path, data: Writer) -> None:
    replace_files([(target, data)])


def replace_files(files: list[tuple[Path, Writer]]) -> None:
    """Write each file beside its target, then rename them all into place: a failure
    while writing leaves every target as it was."""
    staged = StagedFiles(files)
    staged.commit()
    staged.wait()


class StagedFiles:
    """Files being written beside their targets, each in a thread of its own, while the
    caller goes on (a writer may wait for what the caller is still making); then renamed
    into place together (`commit`), or thrown away (`abort`). Copying big files happens
    in the kernel, which can do that on one core while Python works on the other."""

    def __init__(self, files: list[tuple[Path, Writer]]):
        self.targets = [target for target, _ in files]
        self.pool = ThreadPoolExecutor(max(1, min(len(files), 2)))
        self.staged = [self.pool.submit(_stage, target, data) for target, data in files]

    def commit(self, more: list[tuple[Path, Writer]] = ()) -> dict[Path, os.stat_result]:
        """Write `more` here and wait for the others; then rename them all into place in
        a thread (replacing a big file frees the old one's pages, which takes a while: the
        caller can go on meanwhile, and `wait`s for it). Each target's stat as it will be."""
        made: list[str] = []
        try:
            for target, data in more:
                made.append(_stage(target, data))
            staged = [future.result() for future in self.staged] + made
        except BaseException:
            for tmp in made:
                Path(tmp).unlink(missing_ok=True)
            self.abort()
            raise
        pairs = list(zip(staged, self.targets + [target for target, _ in more]))
        stats = {target: os.stat(tmp) for tmp, target in pairs}
        self.renaming = self.pool.submit(_rename_all, pairs)
        return stats

    def wait(self) -> None:
        self.pool.shutdown()
        self.renaming.result()

    def abort(self) -> None:
        """Throw away what was written; the writers must be able to finish (not wait for
        something that never comes)."""
        self.pool.shutdown()
        for future in self.staged:
            if future.exception() is None:
                Path(future.result()).unlink(missing_ok=True)


def _rename_all(pairs: list[tuple[str, Path]]) -> None:
    for done, (tmp, target) in enumerate(pairs):
        try:
            os.replace(tmp, target)
        except BaseException:
            for left, _ in pairs[done:]:
                Path(left).unlink(missing_ok=True)
            raise


def _stage(target: Path, data: Writer) -> str:
    """`data` written to a new file beside `target`; its name."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            if isinstance(data, bytes):
                handle.write(data)
            else:
                data(handle)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs are ordinary files
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return tmp


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


def copy_range(source: BinaryIO, target: BinaryIO, offset: int, length: int) -> None:
    """Append `length` bytes of `source` from `offset` to `target` (both open files),
    inside the kernel when it can: splicing a chapter into a 50 MB book.html copies the
    rest without passing it through Python."""
    if length <= 0:
        return
    target.flush()
    done = _kernel_copy(source, target, offset, length)
    while done < length:  # what the kernel did not copy
        chunk = os.pread(source.fileno(), min(length - done, 1 << 20), offset + done)
        if not chunk:
            raise OSError(f"{getattr(source, 'name', 'a file')} is shorter than recorded")
        view = memoryview(chunk)
        while view:
            view = view[os.write(target.fileno(), view):]
        done += len(chunk)
    target.seek(0, os.SEEK_END)  # the file object catches up with what was written past it


def _kernel_copy(source: BinaryIO, target: BinaryIO, offset: int, length: int) -> int:
    done = 0
    try:
        while done < length:
            copied = os.copy_file_range(source.fileno(), target.fileno(), length - done, offset + done)
            if copied == 0:
                break
            done += copied
    except (AttributeError, OSError):  # no copy_file_range here, or not between these files
        pass
    return done


def file_crc(path: Path) -> int | None:
    """CRC-32 of a file's bytes (ISA-L's, about 9 GB/s), None when it cannot be read."""
    crc = 0
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 22):
                crc = crc32(chunk, crc)
    except OSError:
        return None
    return crc


def file_digest(data: bytes) -> bytes:
    """The digest the build state records for an input file's bytes."""
    return hashlib.blake2b(data, digest_size=20).digest()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
