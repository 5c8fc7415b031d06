"""Serialise a large document without holding it as one tree: a small shell is serialised
with placeholder comments, and the long lists are serialised item by item in between."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from lxml import etree


def placeholder(name: str) -> etree._Comment:
    return etree.Comment(f"bookbuild:{name}")


def splice(shell: bytes, parts: dict[str, Callable[[], Iterable[bytes]]]) -> bytes:
    """Replace each `<!--bookbuild:NAME-->` in `shell` with the chunks parts[NAME]() yields."""
    out = []
    rest = shell
    for name, chunks in parts.items():
        marker = f"<!--bookbuild:{name}-->".encode()
        before, found, rest = rest.partition(marker)
        if not found:
            raise ValueError(f"no placeholder {name}")
        out.append(before)
        out.extend(chunks())
    out.append(rest)
    return b"".join(out)


def fragment(element: etree._Element) -> bytes:
    """An element built without a namespace, serialised to sit inside a shell whose
    default namespace it takes on (so it repeats no xmlns declaration)."""
    return etree.tostring(element, encoding="utf-8") + b"\n"


class XmlTemplate:
    """A small piece of XML (one element, no namespace) with holes, {name}, for attribute
    values and text, filled with each value escaped as lxml escapes it there (and
    refused where lxml refuses it). For lists with an entry per print page (22,000 at
    L, in the NCX and in the nav): building each entry as lxml elements costs five
    times as much. The template is checked to be well-formed when it is made."""

    def __init__(self, text: str):
        self.text = text
        names = set(re.findall(r"\{(\w+)\}", text))
        values = re.findall(r'="([^"]*)"', text)
        self.in_attribute = frozenset(name for value in values for name in re.findall(r"\{(\w+)\}", value))
        in_text = set(re.findall(r"\{(\w+)\}", re.sub(r'="[^"]*"', "", text)))
        if in_text & self.in_attribute:  # escaped one way or the other, not both
            raise ValueError(f"a hole both in an attribute and in text: {sorted(in_text & self.in_attribute)}")
        etree.fromstring(text.format_map({name: "x" for name in names}).encode("utf-8"))

    def fill(self, **values: str) -> bytes:
        if not _UNUSUAL.search("".join(values.values())):  # most entries: nothing to escape
            return self.text.format_map(values).encode("utf-8")
        if _NOT_XML.search("".join(values.values())):
            raise ValueError(
                "All strings must be XML compatible: Unicode or ASCII, no NULL bytes or control characters"
            )
        escaped = {
            name: value.translate(_ATTRIBUTE if name in self.in_attribute else _TEXT) for name, value in values.items()
        }
        return self.text.format_map(escaped).encode("utf-8")


# a character XML cannot carry, or one that needs escaping in text or in an attribute
_UNUSUAL = re.compile("[^ !#-%'-;=?-\\ud7ff\\ue000-\\ufffd\\U00010000-\\U0010ffff]")
_NOT_XML = re.compile("[^\t\n\r -\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_ATTRIBUTE = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}
)
