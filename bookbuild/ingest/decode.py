"""Read a source file's bytes as text: UTF-8 (with or without BOM), GB18030/GBK, CRLF."""

from __future__ import annotations

import codecs

from bookbuild.errors import InputError


def decode_source(data: bytes, path: str, encoding: str | None = None) -> str:
    if not data.strip():
        raise InputError(f"{path}: the source is empty")
    if b"\x00" in data[:65536]:
        raise InputError(f"{path}: the source looks binary (it has NUL bytes); "
                         "give a text file extracted from the book")
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
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\n\t\f")
    if controls > len(text) // 100 + 1:
        raise InputError(f"{path}: the source looks binary ({controls} control characters)")
    return text


def _detect(data: bytes, path: str) -> str:
    for candidate in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(candidate)
        except UnicodeDecodeError:
            continue
    raise InputError(f"{path}: neither UTF-8 nor GB18030; name the encoding with --encoding")
