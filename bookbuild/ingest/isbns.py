"""Every ISBN a copyright page prints, with its qualifier, and which one names the e-book.

ISBN 978-1-4493-3072-9 (pbk.)            ISBN: 978-0-306-40615-7 Paperback
ISBN 978-0-306-40616-4 (ebook)           eBook ISBN 978-0-306-40616-4
ISBN 978-7-5086-5178-1（平装）             Identifiers: … | ISBN 9780306406157 (hardcover)
"""

from __future__ import annotations

import re

from bookbuild.book.isbn import isbn_is_valid
from bookbuild.book.model import IsbnEntry

_ISBN_RE = re.compile(
    r"(?P<before>(?:\b(?:e-?book|epub|pdf|kindle|mobi|print|paperback|hardcover|hardback)\s+)?)"
    r"ISBN(?:-1[03])?\s*[:：]?\s*(?P<number>(?:97[89][\s‐‑-]?)?\d[\d\s‐‑-]{7,15}[\dXx])\b"
    r"(?P<after>\s*(?:\((?P<paren>[^)\n]{1,40})\)|（(?P<full>[^）\n]{1,40})）|"
    r"(?P<word>[A-Za-z][A-Za-z.\- ]{1,30}?|平装|精装|电子书|平裝|精裝|電子書)(?=\s*(?:$|[|;,，；]|\bISBN\b))))?",
    re.I,
)
_EBOOK_RE = re.compile(r"e-?book|epub|pdf|kindle|mobi|electronic|digital|online|电子|電子", re.I)
_PRINT_RE = re.compile(r"paper|pbk|hardcover|hardback|hbk|cloth|print|平装|精装|简装|平裝|精裝|簡裝", re.I)


def format_isbn(text: str) -> str:
    """An ISBN as printed, its separators made plain hyphens ('978 7 5086' -> '978-7-5086')."""
    return re.sub(r"[\s‐‑-]+", "-", text.strip()).upper()


def find_isbns(text: str) -> list[IsbnEntry]:
    """The ISBNs of one line or field, in order, each once."""
    found: list[IsbnEntry] = []
    for m in _ISBN_RE.finditer(text):
        number = format_isbn(m.group("number"))
        if not isbn_is_valid(number) and not isbn_is_valid(number.replace("-", "")):
            continue
        qualifier = m.group("paren") or m.group("full") or m.group("word") or m.group("before") or ""
        qualifier = qualifier.strip(" .;")
        medium = "ebook" if _EBOOK_RE.search(qualifier) else "print" if _PRINT_RE.search(qualifier) else ""
        if all(e.isbn != number for e in found):
            found.append(IsbnEntry(number, qualifier, medium))
    return found


def choose(entries: list[IsbnEntry]) -> tuple[str, str]:
    """(isbn, print_isbn): the e-book's own ISBN identifies the EPUB; the print one (which
    the page markers follow) goes to dc:source. A raw extraction is of a print book, so an
    ISBN not said to be the e-book's is the print edition's, never the EPUB's identifier:
    stores reject an e-book that carries its print ISBN."""
    ebook = next((e.isbn for e in entries if e.medium == "ebook"), "")
    printed = next((e.isbn for e in entries if e.medium != "ebook"), "")
    return ebook, printed
