"""Serialise a large document without holding it as one tree: a small shell is serialised
with placeholder comments, and the long lists are serialised item by item in between."""

from __future__ import annotations

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
