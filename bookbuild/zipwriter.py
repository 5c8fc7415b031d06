"""A deterministic zip writer that takes entries already deflated, so an incremental build
reuses each unchanged chapter's compressed bytes instead of compressing it again.

Zip format (APPNOTE 6.3.x): local file header + data per entry, then the central
directory and its end record. No zip64 (an EPUB stays far below 4 GiB), no extra fields.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from typing import BinaryIO, Iterable

_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_END = struct.Struct("<IHHHHIIH")
_UNIX_FILE = 0o100644 << 16


@dataclass(frozen=True)
class ZipEntry:
    name: str
    data: bytes  # stored bytes, or raw deflate when `deflated`
    crc: int
    size: int  # uncompressed size
    deflated: bool


# zlib level 4: on a book's XHTML 4% larger than the default 6, in a third of the time
COMPRESSION_LEVEL = 4


def deflate(name: str, data: bytes, level: int = COMPRESSION_LEVEL) -> ZipEntry:
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
    packed = compressor.compress(data) + compressor.flush()
    return ZipEntry(name, packed, zlib.crc32(data), len(data), True)


def stored(name: str, data: bytes) -> ZipEntry:
    return ZipEntry(name, data, zlib.crc32(data), len(data), False)


def dos_time(year: int, month: int, day: int, hour: int, minute: int, second: int) -> tuple[int, int]:
    year = max(year, 1980)
    return ((hour << 11) | (minute << 5) | (second // 2),
            ((year - 1980) << 9) | (month << 5) | day)


def write_zip(stream: BinaryIO, entries: Iterable[ZipEntry], stamp: tuple[int, int]) -> None:
    """Entries are written in the order given (the caller puts `mimetype` first)."""
    time, date = stamp
    central = []
    offset = 0
    for entry in entries:
        name = entry.name.encode("utf-8")
        method = 8 if entry.deflated else 0
        flags = 0x800 if not entry.name.isascii() else 0  # UTF-8 names
        header = _LOCAL.pack(0x04034B50, 20, flags, method, time, date, entry.crc,
                             len(entry.data), entry.size, len(name), 0)
        stream.write(header + name)
        stream.write(entry.data)
        central.append(_CENTRAL.pack(0x02014B50, 0x0314, 20, flags, method, time, date, entry.crc,
                                     len(entry.data), entry.size, len(name), 0, 0, 0, 0,
                                     _UNIX_FILE, offset) + name)
        offset += len(header) + len(name) + len(entry.data)
    directory = b"".join(central)
    stream.write(directory)
    stream.write(_END.pack(0x06054B50, 0, 0, len(central), len(central), len(directory), offset, 0))
