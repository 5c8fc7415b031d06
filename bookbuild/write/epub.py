"""The EPUB zip, assembled from the rendered pieces: mimetype first and stored, every
other entry in name order and deflated, dated from the book's modified time, so the same
book gives the same bytes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import BinaryIO

from bookbuild.book.model import Document, Metadata
from bookbuild.render.epub_package import APPLE_DISPLAY_OPTIONS, CONTAINER, modified_timestamp
from bookbuild.write.zipwriter import ZipEntry, deflate, dos_time, stored, write_zip


def write_epub(
    stream: BinaryIO,
    meta: Metadata,
    package: dict[str, bytes],
    spine: list[Document],
    unit_entries: Callable[[str], ZipEntry],
    stylesheets: tuple[tuple[str, str], ...],
    images: tuple[tuple[str, bytes], ...],
    source_date_epoch: str | None,
) -> None:
    """`package`: from package_files. `spine`: every content document in reading order; a
    Document with an empty body is a unit whose deflated entry `unit_entries(name)`
    supplies (from the render cache)."""
    small: dict[str, bytes] = {
        "META-INF/container.xml": CONTAINER,
        "META-INF/com.apple.ibooks.display-options.xml": APPLE_DISPLAY_OPTIONS,
        **package,
    }
    small.update({f"EPUB/{doc.name}": doc.body for doc in spine if doc.body})
    small.update({f"EPUB/css/{name}": text.encode("utf-8") for name, text in stylesheets})
    small.update({f"EPUB/{name}": data for name, data in images})
    units = {f"EPUB/{doc.name}": doc.name for doc in spine if not doc.body}

    def entries() -> Iterator[ZipEntry]:
        yield stored("mimetype", b"application/epub+zip")
        for name in sorted(set(small) | set(units)):
            yield deflate(name, small[name]) if name in small else unit_entries(units[name])

    modified = modified_timestamp(meta, source_date_epoch)
    moment = datetime.strptime(modified[:19], "%Y-%m-%dT%H:%M:%S")
    write_zip(
        stream, entries(), dos_time(moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)
    )
