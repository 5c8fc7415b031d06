"""Write bookbuild/book/data/strokes.txt, the stroke count of every Han character of the
Basic Multilingual Plane, for the index in stroke order (`index_order: strokes`). The
counts are Unicode's (Unihan kTotalStrokes, the first value: the Simplified form's),
read from Debian's unicode-data package:

    apt-get download unicode-data && dpkg -x unicode-data_*.deb /tmp/ud
    .venv/bin/python scripts/stroke-counts.py /tmp/ud/usr/share/unicode/Unihan_IRGSources.txt.bz2

The file holds one character per code point of each range below, its stroke count plus
32 (a space: unknown)."""

from __future__ import annotations

import bz2
import sys
from pathlib import Path

RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))
TARGET = Path(__file__).resolve().parent.parent / "bookbuild" / "book" / "data" / "strokes.txt"


def main(source: str) -> None:
    counts: dict[int, int] = {}
    opener = bz2.open if source.endswith(".bz2") else open
    with opener(source, "rt", encoding="utf-8") as lines:
        for line in lines:
            if "\tkTotalStrokes\t" in line:
                code, _, value = line.rstrip("\n").split("\t")
                counts[int(code[2:], 16)] = int(value.split()[0])
    rows = ["".join(chr(32 + counts.get(c, 0)) for c in range(start, end + 1)) for start, end in RANGES]
    TARGET.parent.mkdir(exist_ok=True)
    TARGET.write_text("\n".join(rows) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1])
