"""The HTML edition's search index, made by bookbuild itself (issue 17; bench/README.md
says why not Pagefind): it finds any run of Chinese characters however short, and works
from a static host and from disk (file://), where pages cannot fetch() files.

Two kinds of files, all scripts (a script element loads from file://; fetch does not):

* js/search/index.js says how many units the book has and on which print page each
  begins; js/search/index-0.js, index-1.js … hold one line per unit, UNITS_PER_PART
  units a file in reading order (loaded side by side, so that a search can begin on the
  first units while the others load), each line with the unit's title and a
  *signature*: a Bloom filter (one hash, BITS_PER_KEY bits a key) of every key its text
  holds. The keys of a text are each CJK character and each pair of adjacent ones (in
  UTF-16 code units: see cjk_keys), each prefix of each Latin word (lower-cased) and
  each word's stem ("=" + stem). A unit whose signature lacks a key cannot hold the
  query; one that has all of them probably does. A filter has no false negatives, so no
  unit that holds a query is ever skipped (recall 1.0); its text then tells the false
  positives away.
* js/search/text/<unit>.js: the unit's text as a reader sees it (page numbers and note
  numbers left out, word joiners dropped), with the offsets of its ids and print pages,
  loaded only for the units whose signature matches. The search page finds the query in
  it, shows a snippet and links the print page it falls on.

Each unit's two pieces are made with the unit (render.unit) and cached with it, so an
edited chapter changes its own shard and its own line of an index-N.js and nothing else.
The same tokenizer, stemmer and hash are in assets/search.js (tests/test_search.py runs
both on the same words).
"""

from __future__ import annotations

import base64
import json
import re
import sys
import zlib
from array import array
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter

from lxml import etree

SEARCH_FOLDER = "js/search"
INDEX_NAME = f"{SEARCH_FOLDER}/index.js"
UNITS_PER_PART = 64
BITS_PER_KEY = 10  # a false positive on about one unit in eleven for a one-key query

# CJK characters: Han (with extension A and compatibility ideographs; the supplementary
# planes too), kana and Hangul syllables. A query's run of them is found by its pairs.
CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003ffff"
CJK_RUN = re.compile(f"[{CJK}]+")
# a Latin word: letters (Latin-1 and Latin Extended-A/B) and digits
WORD = re.compile("[0-9a-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f]+")
# dropped from the text: soft hyphen, zero-width space and joiners, word joiner, BOM
_INVISIBLE = re.compile("[\u00ad\u200b-\u200d\u2060\ufeff]")
_SPACES = re.compile("[ \t\n\r\f]+")  # HTML's white space, which a browser shows as one space

_BLOCKS = frozenset(
    "p h1 h2 h3 h4 h5 h6 li dt dd td th caption figcaption blockquote pre div section aside "
    "header footer figure table tr ul ol dl nav hr br".split()
)
_LEFT_OUT_ROLES = frozenset({"doc-noteref", "doc-backlink"})
_LEFT_OUT_TAGS = frozenset({"script", "style", "math", "svg", "img"})


@dataclass(frozen=True)
class UnitText:
    """What search reads of a unit: its text, blocks separated by newlines; the offsets
    of its ids (where a result links) and of its print pages (offset, label, id)."""

    text: str
    anchors: tuple[tuple[int, str], ...]
    pages: tuple[tuple[int, str, str], ...]


def unit_text(section: etree._Element) -> UnitText:
    """The text of a unit's HTML section (render.html_site.plain_section's tree), not
    changed."""
    pieces: list[str] = []
    anchors: list[tuple[int, str]] = []
    pages: list[tuple[int, str, str]] = []
    length = 0
    at_line_start = True

    def add_text(text: str | None) -> None:
        nonlocal length, at_line_start
        if not text:
            return
        if _INVISIBLE.search(text):
            text = _INVISIBLE.sub("", text)
        if "\n" in text or "  " in text or "\t" in text or "\r" in text or "\f" in text:
            text = _SPACES.sub(" ", text)
        if at_line_start:
            text = text.lstrip(" ")
        if text:
            pieces.append(text)
            length += len(text)
            at_line_start = False

    def break_line() -> None:
        nonlocal length, at_line_start
        if not at_line_start:
            if pieces and pieces[-1].endswith(" "):
                pieces[-1] = pieces[-1][:-1]
                length -= 1
            pieces.append("\n")
            length += 1
            at_line_start = True

    def walk(element: etree._Element) -> None:
        tag = element.tag
        if not isinstance(tag, str):  # a comment or processing instruction: no text
            return
        classes = element.get("class", "")
        if tag == "a" and "pagenum" in classes.split():
            pages.append((length, element.text or "", element.get("id", "")))
            return
        if (
            tag in _LEFT_OUT_TAGS
            or element.get("role") in _LEFT_OUT_ROLES
            or (tag == "span" and classes == "note-number")
        ):
            return
        block = tag in _BLOCKS
        if block:
            break_line()
        ident = element.get("id")
        if ident:
            anchors.append((length, ident))
        add_text(element.text)
        for child in element:
            walk(child)
            add_text(child.tail)
        if block:
            break_line()

    walk(section)
    text = "".join(pieces).rstrip("\n")
    return UnitText(text, tuple(anchors), tuple(pages))


# --- keys, stems and the signature -------------------------------------------------------


def cjk_keys(text: str) -> set[int]:
    """The keys of the CJK runs in `text`, as numbers: each UTF-16 code unit, and each
    pair of adjacent ones as first + second × 65536 (a pair never equals a single unit:
    CJK code units are all above 0x3000). Code units rather than characters: a pair of
    them is four bytes of UTF-16, so all the pairs come out of two views of one
    buffer at C speed (a Python string per pair cost three times the rest)."""
    runs = CJK_RUN.findall(text)
    if not runs:
        return set()
    data = "\n".join(runs).encode("utf-16-le")  # the newline keeps runs apart
    found = set(_little_endian("H", data))
    found.update(_little_endian("I", data[: len(data) // 4 * 4]))  # pairs from the 1st unit
    found.update(_little_endian("I", data[2 : 2 + (len(data) - 2) // 4 * 4]))  # from the 2nd
    # drop the pairs that hold the newline: no pair of a text holds one. They are a
    # newline and a run's first unit, a run's last unit and a newline; the runs' ends
    # are taken once each: runs share them (a bench chapter: 1,478 runs, 113 characters).
    # Beside a character beyond the BMP the pair stays: a key no query has, harmless
    found.discard(_NEWLINE)
    firsts, lasts = set(map(itemgetter(0), runs)), set(map(itemgetter(-1), runs))
    found.difference_update(map(_NEWLINE.__or__, map(_HIGH.__rlshift__, map(ord, firsts))))
    found.difference_update(map(_NEWLINE_HIGH.__or__, map(ord, lasts)))
    return found


_NEWLINE, _HIGH = 10, 16
_NEWLINE_HIGH = _NEWLINE << _HIGH


def _little_endian(code: str, data: bytes) -> array[int]:
    """`data` read as little-endian numbers of array type `code`, whatever the machine."""
    numbers = array(code, data)
    if sys.byteorder == "big":
        numbers.byteswap()
    return numbers


def word_keys(text: str) -> set[str]:
    """The keys of the Latin words in `text`: each prefix, and "=" + stem."""
    found: set[str] = set()
    for word in set(WORD.findall(text.lower())):
        found.update(word[:end] for end in range(1, len(word) + 1))
        found.add("=" + stem(word))
    return found


_VOWELS = frozenset("aeiou")


def _is_consonant(word: str, i: int) -> bool:
    letter = word[i]
    if letter in _VOWELS:
        return False
    if letter == "y":
        return i == 0 or not _is_consonant(word, i - 1)
    return True


def _measure(stem_: str) -> int:
    """Porter's m: the number of vowel-consonant sequences in `stem_`."""
    count, previous_vowel = 0, False
    for i in range(len(stem_)):
        consonant = _is_consonant(stem_, i)
        if consonant and previous_vowel:
            count += 1
        previous_vowel = not consonant
    return count


def _has_vowel(stem_: str) -> bool:
    return any(not _is_consonant(stem_, i) for i in range(len(stem_)))


def _ends_cvc(word: str) -> bool:
    """consonant-vowel-consonant, the last not w, x or y (hop, not hoop or bow)."""
    return (
        len(word) >= 3
        and _is_consonant(word, len(word) - 3)
        and not _is_consonant(word, len(word) - 2)
        and _is_consonant(word, len(word) - 1)
        and word[-1] not in "wxy"
    )


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Step 1 of Porter's stemmer (plurals, -ed, -ing, final y): 'studies' and 'study'
    both give 'studi', 'running' gives 'run'. Enough to find a word's other forms; its
    later steps (-ational, -ness …) are left to the prefix match. assets/search.js has
    the same function."""
    if len(word) <= 2 or not word.isalpha() or not word.isascii():
        return word
    # step 1a
    if word.endswith("sses") or word.endswith("ies"):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    # step 1b
    if word.endswith("eed"):
        if _measure(word[:-3]) > 0:
            word = word[:-1]
    else:
        for suffix in ("ed", "ing"):
            if word.endswith(suffix) and _has_vowel(word[: -len(suffix)]):
                word = word[: -len(suffix)]
                if word.endswith(("at", "bl", "iz")):
                    word += "e"
                elif (
                    len(word) >= 2
                    and word[-1] == word[-2]
                    and word[-1] not in "lsz"
                    and _is_consonant(word, len(word) - 1)
                ):
                    word = word[:-1]
                elif _measure(word) == 1 and _ends_cvc(word):
                    word += "e"
                break
    # step 1c
    if word.endswith("y") and _has_vowel(word[:-1]):
        word = word[:-1] + "i"
    return word


def signature_bits(key_count: int) -> int:
    """The size of a unit's signature: the first prime from BITS_PER_KEY a key (a
    prime, so that key mod bits spreads the pairs of code units evenly)."""
    bits = max(23, key_count * BITS_PER_KEY)
    while not _is_prime(bits):
        bits += 1
    return bits


def _is_prime(n: int) -> bool:
    if n % 2 == 0:
        return n == 2
    return all(n % d for d in range(3, int(n**0.5) + 1, 2))


def signature(cjk: set[int], words: set[str]) -> tuple[int, str]:
    """The Bloom filter of the keys, one hash each: (its size in bits, the bits as
    base64, bit i being bit 5 - i % 6 of character i // 6, zeros after the last). A CJK
    key k goes to bit k mod bits, a word key to CRC-32 of its UTF-8 mod bits."""
    bits = signature_bits(len(cjk) + len(words))
    flags = bytearray(-(-bits // 24) * 24)  # a byte a bit, then packed
    for position in map(bits.__rmod__, cjk):  # a plain loop: a third quicker than deque(map(…))
        flags[position] = 1
    for position in map(bits.__rmod__, map(zlib.crc32, map(str.encode, words))):
        flags[position] = 1
    packed = int(flags.translate(_DIGITS), 2).to_bytes(len(flags) // 8, "big")
    return bits, base64.b64encode(packed).decode("ascii")


_DIGITS = bytes.maketrans(b"\x00\x01", b"01")


# --- the files ---------------------------------------------------------------------------


def _json(value: object) -> str:
    # no ASCII escapes: the text is most of the index, and \uXXXX would treble it
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def shard_name(doc: str) -> str:
    """A unit's shard in html/: 03-preface.xhtml -> js/search/text/03-preface.js (a
    folder of their own: no unit's name can be index.js's)."""
    return f"{SEARCH_FOLDER}/text/{doc[:-6]}.js"


def part_name(part: int) -> str:
    return f"{SEARCH_FOLDER}/index-{part}.js"


def part_head(part: int) -> bytes:
    """The first line of index-PART.js; a unit's line of it is line 1 + its index within
    the part."""
    return f"BOOKBUILD_SEARCH.part({part});\n".encode()


def unit_shard(name: str, found: UnitText) -> bytes:
    """js/search/text/<name>.js."""
    data = {"t": found.text, "a": [list(a) for a in found.anchors], "p": [list(p) for p in found.pages]}
    return f"BOOKBUILD_SEARCH.text({_json(name)},{_json(data)});\n".encode()


def unit_line(name: str, page: str, title: str, found: UnitText) -> bytes:
    """The unit's line of index.js: one line, so a quick rebuild can replace it."""
    bits, packed = signature(cjk_keys(found.text), word_keys(found.text))
    args = _json([name, page, title, bits, packed])[1:-1]
    return f"BOOKBUILD_SEARCH.unit({args});\n".encode()


def index_file(starts: dict[str, tuple[str, str]], unit_count: int) -> bytes:
    """index.js: how many units there are and how many a part holds, and for each unit
    (by name) the print page it begins on when that page began in an earlier unit
    (label, its address)."""
    data = {"units": unit_count, "per_part": UNITS_PER_PART, "starts": starts}
    return f"BOOKBUILD_SEARCH.book({_json(data)});\n".encode()
