"""Golden files a reviewer can read: markup is stored pretty-printed (one element a line,
so a changed word is a one-line diff), and beside it SHA256SUMS holds the digest of the
exact bytes produced, so the byte-for-byte output is still what is compared.

`pytest --update-golden` rewrites a golden folder from the current output; review the
diff before committing it.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from lxml import etree
from lxml import html as lxml_html

SUMS = "SHA256SUMS"
_XML_SUFFIXES = (".xhtml", ".opf", ".ncx", ".xml")


def readable(name: str, data: bytes) -> bytes:
    """`data` pretty-printed for review (markup), or as it is (anything else)."""
    if name.endswith(_XML_SUFFIXES):
        parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=True)
        tree = etree.fromstring(data, parser)
        return etree.tostring(tree, pretty_print=True, encoding="utf-8", xml_declaration=True)
    if name.endswith(".html"):
        tree = lxml_html.document_fromstring(data)
        return b"<!DOCTYPE html>\n" + lxml_html.tostring(tree, pretty_print=True, encoding="utf-8")
    return data


def _sums(produced: dict[str, bytes]) -> str:
    return "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in sorted(produced.items()))


def compare_or_update(golden: Path, produced: dict[str, bytes], update: bool) -> None:
    """Assert that `produced` (name -> exact bytes) is what `golden` holds, or (update)
    make `golden` hold it."""
    if update:
        shutil.rmtree(golden, ignore_errors=True)
        for name, data in produced.items():
            (golden / name).parent.mkdir(parents=True, exist_ok=True)
            (golden / name).write_bytes(readable(name, data))
        (golden / SUMS).write_text(_sums(produced), encoding="utf-8")
        return
    stored = sorted(str(p.relative_to(golden)) for p in golden.rglob("*") if p.is_file() and p.name != SUMS)
    assert sorted(produced) == stored, f"the files differ from {golden}"
    for name in stored:
        assert readable(name, produced[name]).decode("utf-8") == (golden / name).read_text("utf-8"), (
            f"{name} differs from {golden / name}"
        )
    assert _sums(produced) == (golden / SUMS).read_text("utf-8"), (
        f"the bytes differ from {golden / SUMS} although the pretty-printed files match (serialisation?)"
    )
