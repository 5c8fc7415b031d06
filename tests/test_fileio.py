"""Files replaced whole or not at all, and ranges copied between files."""

import json
import os
import tempfile
from pathlib import Path
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bookbuild.fileio import (
    StagedFiles,
    commit_together,
    copy_range,
    discard_all,
    new_staged_file,
    new_staged_folder,
    recover,
    replace_files,
)


def test_copy_range_between_files(tmp_path):
    source = tmp_path / "a"
    source.write_bytes(bytes(range(256)) * 1000)
    with source.open("rb") as a, (tmp_path / "b").open("wb") as b:
        b.write(b"head")
        copy_range(a, b, 10, 300)
        b.write(b"tail")
        copy_range(a, b, 0, 0)
    assert (tmp_path / "b").read_bytes() == b"head" + (bytes(range(256)) * 2)[10:310] + b"tail"
    with source.open("rb") as a, (tmp_path / "c").open("wb") as c, pytest.raises(OSError):
        copy_range(a, c, 255_000, 2_000)  # past the end


def test_staged_files_replace_all_or_nothing(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    one.write_bytes(b"old one")
    two.write_bytes(b"old two")

    def failing(stream):
        stream.write(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError):
        replace_files([(one, b"new one"), (two, failing)])
    assert one.read_bytes() == b"old one" and two.read_bytes() == b"old two"
    staged = StagedFiles([(one, b"new one")])
    with pytest.raises(OSError):
        staged.commit([(two, failing)])
    assert one.read_bytes() == b"old one" and two.read_bytes() == b"old two"
    StagedFiles([(one, b"new one")]).abort()
    assert one.read_bytes() == b"old one"
    replace_files([(one, b"new one"), (two, b"new two")])
    assert one.read_bytes() == b"new one" and two.read_bytes() == b"new two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one", "two"]


def test_the_old_versions_are_set_aside_for_the_caller_to_delete(tmp_path):
    """Deleting a big old output frees its space, which takes a while: commit_together
    renames the new ones in and hands the old ones back (a file hard-linked aside, a
    folder renamed aside) rather than deleting them on the way."""
    one, folder = tmp_path / "one", tmp_path / "folder"
    one.write_bytes(b"old one")
    folder.mkdir()
    (folder / "f").write_bytes(b"old f")
    staged_file, staged_folder = new_staged_file(one), new_staged_folder(folder)
    staged_file.write_bytes(b"new one")
    (staged_folder / "f").write_bytes(b"new f")
    set_aside = commit_together(None, [(staged_file, one), (staged_folder, folder)])
    assert one.read_bytes() == b"new one" and (folder / "f").read_bytes() == b"new f"
    assert sorted((p if p.is_file() else p / "f").read_bytes() for p in set_aside) == [b"old f", b"old one"]
    discard_all(set_aside)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder", "one"]
    # a target that did not exist has no old version
    assert commit_together(None, [(new_staged_file(tmp_path / "two"), tmp_path / "two")]) == []


def test_recovery_after_a_kill_between_setting_aside_and_renaming(tmp_path):
    """Killed after the old file was linked aside and before the new one replaced it: the
    journal's renames are made again and the old version is deleted."""
    target = tmp_path / "book.epub"
    target.write_bytes(b"old")
    staged = new_staged_file(target)
    staged.write_bytes(b"new")
    old = staged.with_name(staged.name.replace(".new.", ".old.", 1))
    os.link(target, old)
    journal = tmp_path / "commit.journal"
    journal.write_text(json.dumps([[staged.name, target.name, old.name]]), "utf-8")
    recover(journal)
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.epub"]


def test_files_written_into_a_folder_are_sent_to_disk_as_written(tmp_path, monkeypatch):
    """fill_folder starts each file's writeback once it is written (a linked file has
    nothing new to write)."""
    from bookbuild import fileio

    started = []
    monkeypatch.setattr(fileio, "start_writeback", lambda fd, offset, length: started.append(os.fstat(fd).st_size))
    (tmp_path / "old.txt").write_bytes(b"kept")
    (tmp_path / "out").mkdir()
    fileio.fill_folder(
        tmp_path / "out",
        {"a.html": b"aaa", "js/b.js": lambda stream: stream.write(b"bbbb"), "c.txt": tmp_path / "old.txt"},
    )
    assert started == [3, 4]  # sizes as flushed from Python's buffer before the call
    assert (tmp_path / "out/js/b.js").read_bytes() == b"bbbb"


def _spy_on_kernel_copies(monkeypatch):
    from bookbuild import fileio

    copied, real = [], fileio._kernel_copy

    def spy(source, target, offset, at, length):
        copied.append((offset, at, length))
        return real(source, target, offset, at, length)

    monkeypatch.setattr(fileio, "_kernel_copy", spy)
    return copied


def test_copy_range_leaves_alone_the_chunks_a_spare_already_holds(tmp_path, monkeypatch):
    """A spare written over (opened r+b) is compared chunk by chunk first: the chunks it
    already holds are not written again (pages the flush need not write), from the first
    that differs everything is copied. A file opened to write only is copied whole."""
    from bookbuild import fileio

    monkeypatch.setattr(fileio, "COMPARED_CHUNK", 100)
    copied = _spy_on_kernel_copies(monkeypatch)
    new = bytes(range(256)) * 4
    source = tmp_path / "new"
    source.write_bytes(new)
    spare = tmp_path / "spare"
    spare.write_bytes(new[:350] + b"X" + new[351:] + b"left over")  # differs in the 4th chunk
    with source.open("rb") as a, spare.open("r+b") as b:
        copy_range(a, b, 0, len(new))
        b.truncate()
    assert spare.read_bytes() == new
    assert copied == [(300, 300, 724)]
    copied.clear()
    with source.open("rb") as a, (tmp_path / "fresh").open("wb") as b:
        copy_range(a, b, 0, len(new))
    assert (tmp_path / "fresh").read_bytes() == new and copied == [(0, 0, len(new))]


@settings(max_examples=300, deadline=None, database=None)
@given(
    source=st.binary(max_size=400),
    junk=st.binary(max_size=30),
    chunk=st.integers(1, 64),
    data=st.data(),
)
def test_copy_range_gives_the_sources_bytes_whatever_the_target_held(source, junk, chunk, data):
    """Whatever a readable target held where the range goes (some of the source's bytes,
    other bytes, nothing), it ends up with the source's range there, and the bytes before
    its position untouched."""
    from bookbuild import fileio

    offset = data.draw(st.integers(0, len(source)))
    length = data.draw(st.integers(0, len(source) - offset))
    kept = data.draw(st.integers(0, length))  # how much of the range the target holds already
    held = junk + source[offset : offset + kept] + data.draw(st.binary(max_size=100))
    with tempfile.TemporaryDirectory() as folder, patch.object(fileio, "COMPARED_CHUNK", chunk):
        a_path, b_path = Path(folder) / "a", Path(folder) / "b"
        a_path.write_bytes(source)
        b_path.write_bytes(held)
        with a_path.open("rb") as a, b_path.open("r+b") as b:
            b.seek(len(junk))
            copy_range(a, b, offset, length)
            assert b.tell() == len(junk) + length
        result = b_path.read_bytes()
    assert result[: len(junk)] == junk
    assert result[len(junk) : len(junk) + length] == source[offset : offset + length]
