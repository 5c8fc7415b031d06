"""The zip writer: splicing new entries into an EPUB gives the bytes writing it anew gives
(the quick rebuild relies on it)."""

import io
import zipfile

import pytest

from bookbuild.write.zipwriter import deflate, read_entries, replace_entries, stored, write_zip


def test_replace_entries_gives_what_write_zip_gives():
    stamp = (0, 33)
    entries = [stored("mimetype", b"application/epub+zip")] + [
        deflate(f"EPUB/{n}.xhtml", f"<p>{n}</p>".encode() * 50) for n in range(6)
    ]
    old = io.BytesIO()
    write_zip(old, entries, stamp)
    for replaced in ({2}, {1, 5}, {0}, {6}, {0, 3, 6}):
        new_entries = [deflate(e.name, b"new " * 90) if i in replaced else e for i, e in enumerate(entries)]
        expected = io.BytesIO()
        write_zip(expected, new_entries, stamp)
        got = io.BytesIO()

        def copy(source, target, offset, length):
            target.write(source.getvalue()[offset : offset + length])

        replace_entries(old, got, {new_entries[i].name: (lambda e=new_entries[i]: e) for i in replaced}, copy)
        assert got.getvalue() == expected.getvalue()


def test_read_entries_reads_what_zipfile_reads():
    entries = [stored("mimetype", b"application/epub+zip")] + [
        deflate(f"EPUB/{n}-章.xhtml", f"<p>{n}</p>".encode() * 50) for n in range(4)
    ]
    written = io.BytesIO()
    write_zip(written, entries, (0, 33))
    names = ["mimetype", "EPUB/2-章.xhtml", "EPUB/missing.xhtml"]
    found = read_entries(written, names)
    with zipfile.ZipFile(written) as archive:
        assert found == {name: archive.read(name) for name in names[:2]}
    damaged = bytearray(written.getvalue())
    at = damaged.index(b"EPUB/2-") + len("EPUB/2-章.xhtml".encode())
    damaged[at + 3] ^= 0xFF  # in its deflated data
    with pytest.raises(ValueError):
        read_entries(io.BytesIO(bytes(damaged)), names)
    for cut in (written.getvalue()[:30], written.getvalue()[-40:]):  # a zip cut short
        with pytest.raises((ValueError, OSError)):
            read_entries(io.BytesIO(cut), names)
