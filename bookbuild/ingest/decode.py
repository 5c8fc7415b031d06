"""Read a source file's bytes as text: UTF-8 (with or without BOM), GB18030/GBK, CRLF."""

from __future__ import annotations

import codecs
import re

from bookbuild.book.textfile import not_xml_char
from bookbuild.diagnostics import Diagnostic
from bookbuild.errors import InputError

_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")  # not tab, newline, form feed (nor CR: gone by then)


def decode_source(data: bytes, path: str, encoding: str | None = None) -> tuple[str, list[Diagnostic], list[int]]:
    """The source's text, the numbers of the lines that began after a form feed
    (pdftotext's page break, kept as page evidence), and an S021 warning for each line where a character the
    outputs cannot carry (a control character, U+FFFE) was replaced by U+FFFD: kept
    visible and reported, never dropped, never left to break the build."""
    if not data.strip():
        raise InputError(f"{path}: the source is empty")
    # a named encoding first: UTF-16 text is full of NUL bytes
    if not encoding and b"\x00" in data[:65536]:
        raise InputError(
            f"{path}: the source looks binary (it has NUL bytes); "
            "give a text file extracted from the book, or name its encoding with "
            "--encoding (utf-16?)"
        )
    if encoding:
        try:
            codecs.lookup(encoding)
            text = data.decode(encoding)
        except LookupError:
            raise InputError(f"{path}: unknown encoding {encoding!r}") from None
        except UnicodeDecodeError as exc:
            raise InputError(f"{path}: not valid {encoding} at byte {exc.start}") from None
    else:
        text = _detect(data, path)
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    controls = len(_CONTROL_RE.findall(text))
    if controls > len(text) // 100 + 1:
        raise InputError(f"{path}: the source looks binary ({controls} control characters)")
    # a form feed (pdftotext's page break) is layout, not text; it starts the next
    # page's first line, so taking it out leaves every line where it was
    page_starts = [number for number, line in enumerate(text.split("\n"), 1) if "\f" in line]
    text, found = _replace_non_xml(text.replace("\f", ""), path)
    return text, found, page_starts


def _replace_non_xml(text: str, path: str) -> tuple[str, list[Diagnostic]]:
    if not not_xml_char(text):
        return text, []
    lines, found = text.split("\n"), []
    for number, line in enumerate(lines, 1):
        bad = sorted({f"U+{ord(m.group()):04X}" for m in _each_non_xml(line)})
        if bad:
            lines[number - 1] = "".join("\ufffd" if not_xml_char(ch) else ch for ch in line)
            found.append(
                Diagnostic(
                    "S021",
                    f"{', '.join(bad)} cannot be carried by the outputs: "
                    "replaced by U+FFFD (\ufffd); check the extraction here",
                    path,
                    number,
                )
            )
    return "\n".join(lines), found


def _each_non_xml(line: str):
    position = 0
    while (match := not_xml_char(line, position)) is not None:
        yield match
        position = match.end()


def _detect(data: bytes, path: str) -> str:
    for candidate in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(candidate)
        except UnicodeDecodeError:
            continue
    raise InputError(f"{path}: neither UTF-8 nor GB18030; name the encoding with --encoding")
