"""Writing outputs safely: build beside the target, then rename into place, so a failed
run never leaves a half-written output and never replaces a good one.

Outputs that belong together (the EPUB and html/; an edited unit's page, book.html and
the EPUB) are renamed by `commit_together`: their data is flushed to disk first, then a
journal naming every rename is written, then the renames are made, then the journal is
removed. A process killed in between leaves the journal, and the next run finishes the
renames (`recover`) before it does anything else, so the set is either all old or all
new. The old versions are set aside, not deleted on the way: deleting a big file frees
its disk space, 10 ms for a 50 MB book.html, which a quick rebuild does in a thread
while it records its state (`StagedFiles.wait`, `close`); or kept as a spare, which
the next quick rebuild writes its file over (`StagedFiles`' spares). Staging files and
folders, and old versions set aside, carry the process id in their names;
`remove_leftovers` deletes those of processes that are gone.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import stat
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


Writer = bytes | Callable[[BinaryIO], None]


def write_bytes_atomic(target: Path, data: Writer) -> None:
    replace_files([(target, data)])


def replace_unsynced(target: Path, data: Writer) -> None:
    """Write a file beside `target` and rename it into place without flushing it to disk
    first: for a file whose reader can tell it is damaged (a checksum) and treats it as
    missing, where a crash may then cost work but nothing else. A sync here would flush
    everything the file system still holds (syncfs), not this file alone."""
    staged = _stage(target, data)
    try:
        os.replace(staged, target)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise


def replace_files(files: list[tuple[Path, Writer]]) -> None:
    """Write each file beside its target, then rename them all into place: a failure
    while writing leaves every target as it was."""
    staged = StagedFiles(files)
    staged.commit()
    staged.wait()
    staged.close()


class StagedFiles:
    """Files being written beside their targets, each in a thread of its own, while the
    caller goes on (a writer may wait for what the caller is still making); then renamed
    into place together (`commit`), or thrown away (`abort`). Copying big files happens
    in the kernel, which can do that on one core while Python works on the other.

    `spares`: for each file, where its old version is kept once replaced, to be written
    over by the next one instead of a new file (or None). Writing over a file's blocks
    spares the file system allocating new ones and freeing the old: book.html (50 MB)
    copied and flushed to disk in 20-31 ms instead of 56-71, and no 13-15 ms of
    unlinking the old one. The spares take the outputs' size again on disk."""

    def __init__(self, files: list[tuple[Path, Writer]], spares: list[Path | None] | None = None):
        self.targets = [target for target, _ in files]
        self.spares = spares or [None] * len(files)
        self.pool = ThreadPoolExecutor(max(1, min(len(files), 2)))
        self.staged = [
            self.pool.submit(_stage, target, data, spare)
            for (target, data), spare in zip(files, self.spares, strict=True)
        ]

    def commit(self, more: list[tuple[Path, Writer]] = (), journal: Path | None = None) -> dict[Path, os.stat_result]:
        """Write `more` here and wait for the others; then rename them all into place in
        a thread (replacing a big file frees the old one's pages, which takes a while: the
        caller can go on meanwhile, and `wait`s for it), through `journal` when there is
        more than one. Each target's stat as it will be."""
        made: list[Path] = []
        try:
            for target, data in more:
                made.append(_stage(target, data))
            staged = [future.result() for future in self.staged] + made
        except BaseException:
            for tmp in made:
                tmp.unlink(missing_ok=True)
            self.abort()
            raise
        pairs = list(zip(staged, self.targets + [target for target, _ in more]))
        stats = {target: os.stat(tmp) for tmp, target in pairs}
        # where each old version goes once replaced (see commit_together's names)
        self.keep = {_set_aside_name(tmp, target): spare for (tmp, target), spare in zip(pairs, self.spares) if spare}
        self.renaming = self.pool.submit(commit_together, journal, pairs)
        return stats

    def wait(self) -> None:
        """Wait for the renames; the old versions are then kept as spares or deleted in
        the threads until `close`, each in one of its own (unlinking a big file takes the
        kernel a while: 13-15 ms for a 50 MB book.html)."""
        try:
            set_aside = self.renaming.result()
        except BaseException:
            self.pool.shutdown()
            raise
        self.removing = [self.pool.submit(_keep_or_discard, path, self.keep.get(path)) for path in set_aside]

    def close(self) -> None:
        """Wait for the old versions to be kept or gone (after `wait`)."""
        self.pool.shutdown()
        for removing in self.removing:
            removing.result()

    def abort(self) -> None:
        """Throw away what was written; the writers must be able to finish (not wait for
        something that never comes)."""
        self.pool.shutdown()
        for future in self.staged:
            if future.exception() is None:
                future.result().unlink(missing_ok=True)


def _staging_prefix(target: Path, kind: str) -> str:
    return f".{target.name}.{kind}.{os.getpid()}."


def new_staged_file(target: Path) -> Path:
    """An empty file beside `target`, to be renamed onto it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=_staging_prefix(target, "new"), suffix=".tmp", dir=target.parent)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs are ordinary files
    return Path(tmp)


def new_staged_folder(target: Path) -> Path:
    """An empty folder beside `target`, to replace it whole. Several processes may fill
    it (see fill_folder)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=_staging_prefix(target, "new"), dir=target.parent))
    os.chmod(staging, 0o777 & ~_umask())
    return staging


def discard(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def discard_all(paths: list[Path]) -> None:
    for path in paths:
        discard(path)


def _stage(target: Path, data: Writer, spare: Path | None = None) -> Path:
    """`data` written to a file beside `target`, new or the spare written over; its path."""
    claimed = _claim_spare(spare, target) if spare else None
    tmp = claimed[0] if claimed else new_staged_file(target)
    try:
        with os.fdopen(claimed[1], "r+b") if claimed else tmp.open("wb") as handle:
            if isinstance(data, bytes):
                handle.write(data)
            else:
                data(handle)
            if claimed:
                handle.truncate()  # what is left of the spare past the new end
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def _claim_spare(spare: Path, target: Path) -> tuple[Path, int] | None:
    """The spare moved beside `target` under a staging name and opened to be written
    over; None when there is none, or it is not a plain file of its own: a file linked
    elsewhere too (someone's hard link to an old output) is never written over."""
    tmp = target.with_name(f"{_staging_prefix(target, 'new')}{secrets.token_hex(4)}.tmp")
    try:
        os.rename(spare, tmp)
    except OSError:  # none, or on another file system
        return None
    try:  # (not blocking on a pipe put in its place)
        fd = os.open(tmp, os.O_RDWR | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        discard(tmp)  # a symbolic link (this name only), a folder
        return None
    found = os.fstat(fd)
    if not stat.S_ISREG(found.st_mode) or found.st_nlink != 1:
        os.close(fd)
        tmp.unlink(missing_ok=True)  # only this name: another link keeps its file
        return None
    os.set_blocking(fd, True)
    os.fchmod(fd, 0o666 & ~_umask())  # as a new output would be
    return tmp, fd


def _set_aside_name(staged: Path, target: Path) -> Path:
    """Where commit_together sets aside the old version of `target`."""
    return target.with_name(staged.name.replace(".new.", ".old.", 1))


def _keep_or_discard(old: Path, spare: Path | None) -> None:
    if spare is not None:
        try:
            os.replace(old, spare)
            return
        except OSError:
            pass
    discard(old)


# --- renaming together ---------------------------------------------------------------------

CRASH_ENV = "BOOKBUILD_CRASH_AT"  # fault tests only: kill this process at a named point


def _crash_point(name: str) -> None:
    if os.environ.get(CRASH_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


def commit_together(journal: Path | None, moves: list[tuple[Path, Path]]) -> list[Path]:
    """Rename each staged file or folder onto its target (a folder replaces the old one
    whole). With a journal, a crash part-way is finished by `recover`. The old versions,
    set aside, are returned for the caller to delete (`discard_all`)."""
    _flush_to_disk([staged for staged, _ in moves])
    entries = [(staged, target, _set_aside_name(staged, target)) for staged, target in moves]
    _crash_point("before-journal")
    if journal is not None:
        base = journal.parent
        text = json.dumps([[os.path.relpath(path, base) for path in entry] for entry in entries])
        journal_tmp = new_staged_file(journal)
        with journal_tmp.open("w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(journal_tmp, journal)
        _fsync_folder(journal.parent)
    _crash_point("journal-written")
    set_aside = _apply(entries)
    if journal is not None:
        journal.unlink()
        _fsync_folder(journal.parent)
    return set_aside


def _apply(entries: list[tuple[Path, Path, Path]]) -> list[Path]:
    """Make the renames; the old versions set aside. A file is hard-linked aside before
    the new one replaces it, so the rename does not wait for its space to be freed."""
    for staged, target, old in entries:
        if not staged.exists():
            continue  # done before a crash
        if staged.is_dir():
            if target.exists():
                target.rename(old)
            staged.rename(target)
        else:
            try:
                os.link(target, old)
            except OSError:
                # no old version, or no hard links here (the rename frees it), or linked
                # before a crash and not replaced since (`old` is the same file)
                pass
            os.replace(staged, target)
        _crash_point("renamed-one")
    for folder in {target.parent for _, target, _ in entries}:
        _fsync_folder(folder)
    return [old for _, _, old in entries if os.path.lexists(old)]


def recover(journal: Path) -> None:
    """Finish the renames a killed process had journaled (see commit_together)."""
    try:
        listed = json.loads(journal.read_text("utf-8"))
    except FileNotFoundError:
        return
    except (OSError, ValueError):  # a journal is renamed into place whole: not one of ours
        journal.unlink(missing_ok=True)
        return
    base = journal.parent
    discard_all(_apply([tuple(Path(os.path.normpath(base / path)) for path in entry) for entry in listed]))
    journal.unlink()


_LEFTOVER = re.compile(r"^\..+\.(new|old)\.(\d+)\.[A-Za-z0-9_]{8}(\.tmp)?$")


def remove_leftovers(folder: Path) -> None:
    """Staging files and folders in `folder` left by processes that are gone (killed
    before they could commit or clean up)."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        match = _LEFTOVER.match(name)
        if match and not _alive(int(match.group(2))):
            discard(folder / name)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def _flush_to_disk(paths: list[Path]) -> None:
    """The data of everything staged on disk before any rename makes it visible: one
    syncfs(2) per file system, not an fsync per file (html/ holds a file per unit)."""
    done = set()
    for path in paths:
        try:
            device = path.stat().st_dev
        except OSError:
            continue
        if device in done:
            continue
        done.add(device)
        fd = os.open(path if path.is_dir() else path.parent, os.O_RDONLY)
        try:
            if _LIBC is None or _LIBC.syncfs(fd) != 0:
                os.sync()
        finally:
            os.close(fd)


def _fsync_folder(folder: Path) -> None:
    """A rename is durable once its folder is synced."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot sync a folder
    finally:
        os.close(fd)


def _libc():
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.syncfs.argtypes = [ctypes.c_int]
        if hasattr(libc, "sync_file_range"):
            libc.sync_file_range.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
        return libc
    except (OSError, AttributeError):
        return None


_LIBC = _libc()


FileContent = bytes | Path | Callable[[BinaryIO], None]


def replace_tree(
    target: Path, files: dict[str, FileContent], more: list[tuple[Path, bytes]] = (), journal: Path | None = None
) -> None:
    """Make folder `target` hold exactly `files` (see fill_folder for the values),
    swapping it in whole, together with the files `more` (through `journal`)."""
    staging = new_staged_folder(target)
    staged: list[tuple[Path, Path]] = [(staging, target)]
    try:
        fill_folder(staging, files)
        for path, data in more:
            staged.append((_stage(path, data), path))
    except BaseException:
        for path, _ in staged:
            discard(path)
        raise
    discard_all(commit_together(journal, staged))


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
        if isinstance(data, Path):
            _link_or_copy(data, path)
            continue
        with path.open("wb") as stream:
            if isinstance(data, bytes):
                stream.write(data)
            else:
                data(stream)
            stream.flush()
            # sent to disk now, while the rest is written: the flush before the renames
            # then waits for what is left instead of writing html/ (170 MB at L) from scratch
            start_writeback(stream.fileno(), 0, 0)


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:  # another file system, or one without hard links
        shutil.copyfile(source, target)


def copy_range(source: BinaryIO, target: BinaryIO, offset: int, length: int) -> None:
    """Write `length` bytes of `source` from `offset` into `target` at its position
    (both open files), inside the kernel when it can: splicing a chapter into a 50 MB
    book.html copies the rest without passing it through Python. A target opened for
    reading too (a spare written over) is first read where it already holds those
    bytes, and they are left as they are."""
    if length <= 0:
        return
    target.flush()
    start = target.tell()
    same = _same_run(source, target, offset, start, length)
    done = same + _kernel_copy(source, target, offset + same, start + same, length - same)
    while done < length:  # what the kernel did not copy
        chunk = os.pread(source.fileno(), min(length - done, 1 << 20), offset + done)
        if not chunk:
            raise OSError(f"{getattr(source, 'name', 'a file')} is shorter than recorded")
        written = 0
        while written < len(chunk):
            written += os.pwrite(target.fileno(), memoryview(chunk)[written:], start + done + written)
        done += len(chunk)
    target.seek(start + length)  # the file object catches up with what was written
    if length - same >= WRITEBACK_FROM:
        start_writeback(target.fileno(), start + same, length - same)


def _same_run(source: BinaryIO, target: BinaryIO, offset: int, at: int, length: int) -> int:
    """How many of the `length` bytes of `source` from `offset` `target` already holds
    at `at`, in whole chunks of COMPARED_CHUNK from the start (or to the end). A spare
    is the outputs' version before last: up to the first unit that either edit changed,
    it holds the new bytes at their new places, and pages left alone are pages the flush
    before the renames has no need to write (after that unit everything has moved, and
    the first chunk that differs ends the comparison)."""
    if not target.readable():
        return 0
    try:
        held = os.fstat(target.fileno()).st_size - at
    except OSError:
        return 0
    same = 0
    while same < min(length, held):
        size = min(COMPARED_CHUNK, length - same)
        wanted = os.pread(source.fileno(), size, offset + same)
        if len(wanted) != size or os.pread(target.fileno(), size, at + same) != wanted:
            break
        same += size
    return same


# copies this big have their writing to disk started at once: a spliced file is copied
# in two runs around the part that is new (the rest of a 50 MB book.html), and the flush
# before the renames (`_flush_to_disk`) then waits only for what is still unwritten,
# instead of all of it starting then: 16 against 30 ms for book.html
WRITEBACK_FROM = 1 << 20
# what copy_range compares of a target that may already hold the bytes, at a time
COMPARED_CHUNK = 256 << 10
_SYNC_FILE_RANGE_WRITE = 2  # <linux/fs.h>: start writing the dirty pages, do not wait


def start_writeback(fd: int, offset: int, length: int) -> None:
    """Start writing `length` bytes of the open file `fd` from `offset` to disk, without
    waiting (sync_file_range(2) with SYNC_FILE_RANGE_WRITE). Linux only; elsewhere, or
    when refused, nothing: the flush before the renames then writes it all."""
    sync_file_range = getattr(_LIBC, "sync_file_range", None)
    if sync_file_range is not None:
        sync_file_range(fd, offset, length, _SYNC_FILE_RANGE_WRITE)


def _kernel_copy(source: BinaryIO, target: BinaryIO, offset: int, at: int, length: int) -> int:
    done = 0
    try:
        while done < length:
            copied = os.copy_file_range(source.fileno(), target.fileno(), length - done, offset + done, at + done)
            if copied == 0:
                break
            done += copied
    except (AttributeError, OSError):  # no copy_file_range here, or not between these files
        pass
    return done


def file_digest(data: bytes) -> bytes:
    """The digest the build state records for an input file's bytes."""
    return hashlib.blake2b(data, digest_size=20).digest()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
