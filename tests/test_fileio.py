"""Files replaced whole or not at all, and ranges copied between files."""

import pytest

from bookbuild.fileio import StagedFiles, copy_range, replace_files


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
