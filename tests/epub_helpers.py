"""Helpers for reading built EPUBs in tests."""

import zipfile
from pathlib import Path

from lxml import etree

NS = {
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
    "x": "http://www.w3.org/1999/xhtml",
    "epub": "http://www.idpf.org/2007/ops",
    "ncx": "http://www.daisy.org/z3986/2005/ncx/",
}
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"


def read_xml(epub: Path, name: str):
    with zipfile.ZipFile(epub) as archive:
        return etree.fromstring(archive.read(name), etree.XMLParser(resolve_entities=False, no_network=True))


def entries(epub: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(epub) as archive:
        return {info.filename: archive.read(info.filename) for info in archive.infolist()}
