"""Typesetting a rendered unit's text where the stylesheet cannot reach (after the
typography review, shared/reviews/typography.md, and clreq):

- Chinese: the interpunct (间隔号) of names, written as U+00B7, U+30FB, U+2022 or U+2027,
  becomes U+00B7 between WORD JOINERs, so that a line never starts with it and it has one
  width; one ASCII space between a Han character and a Latin letter or digit is removed,
  since `text-autospace` in the stylesheet gives that gap (one source of space, not two
  widths in one paragraph); an <em> or <i> holding Latin text only gets class "latn", so
  it is set in italic rather than with emphasis dots.
- Every book: a URL or e-mail address written in the text becomes a link, and a link
  showing a URL gets class "url", which may break anywhere: one long address otherwise
  spreads a justified line across the screen or overflows it.

Text inside code, pre, kbd, samp and MathML stays exactly as written.
"""

from __future__ import annotations

import functools
import re
from typing import Any, cast

from lxml import etree

from bookbuild.book.words import is_chinese
from bookbuild.book.xml import XHTML
from bookbuild.text import HAN, HAN_LATIN_SPACE

_NS = {"x": XHTML, "m": "http://www.w3.org/1998/Math/MathML"}
_UNTOUCHED = "ancestor::x:code or ancestor::x:pre or ancestor::x:kbd or ancestor::x:samp or ancestor::m:math"
_DOTS = ("·", "・", "•", "‧")
_TESTS = {
    "links": ("://", "@"),
    "dots": _DOTS,
    "spaces": (" ",),
}


@functools.lru_cache(maxsize=8)
def _candidates(wanted: tuple[str, ...]) -> etree.XPath:
    """The text nodes that may hold what `wanted` names: the cheap contains() tests first,
    then the ancestor test, so most nodes are dismissed without walking up the tree."""
    tests = " or ".join(f"contains(., '{needle}')" for name in wanted for needle in _TESTS[name])
    return etree.XPath(f"descendant::text()[{tests}][not({_UNTOUCHED})]", namespaces=_NS)


WORD_JOINER = "\u2060"
# each starts with the character it is about, which the regular expression engine finds
# by a fast scan before it tries the context
_INTERPUNCT = re.compile(rf"[\u00b7\u30fb\u2022\u2027](?<=[{HAN}].)(?=[{HAN}])")
# a URL ends before whitespace, quotes, angle brackets and full-width punctuation; a
# sentence's own full stop or comma after it is not part of it
_ADDRESS = re.compile(
    r"(?P<url>https?://[^\s<>\"'\u3000-\u303f\uff00-\uffef\u2018-\u201f]+?)(?=[.,;:!?)\]]*(?:[\s<>\"'\u3000-\u303f\uff00-\uffef\u2018-\u201f]|$))"
    r"|(?P<mail>(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![A-Za-z0-9-]))"
)
_URL_TEXT = re.compile(r"\s*(?:https?://|www\.)\S+\s*|\s*[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\s*")
_LATIN_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f]")
_HAN_CHAR = re.compile(f"[{HAN}]")


# a space beside Han that may be the baked gap, also where an element starts or ends
_SPACE_NEAR_HAN = re.compile(rf"[{HAN}] [A-Za-z0-9<]|[A-Za-z0-9>] [{HAN}]")


def typeset(section: etree._Element, language: str, written: str) -> None:
    """`written`: every text the section holds, as markup or plain (the unit's fragment
    and its title): what it lacks is not looked for, so most units cost a few scans of a
    string rather than a walk of their tree."""
    chinese = is_chinese(language)
    # an address in the text, not only in the namespace declarations of the markup
    links = "@" in written or written.count("://") > written.count("xmlns")
    dots = chinese and any(dot in written for dot in _DOTS)
    spaces = chinese and _SPACE_NEAR_HAN.search(written) is not None
    wanted = tuple(name for name, on in (("links", links), ("dots", dots), ("spaces", spaces)) if on)
    if wanted:
        texts = cast(list[Any], _candidates(wanted)(section))  # lxml's "smart" strings
        for text in texts:
            _typeset_text(text, dots, spaces, links)
    if links:
        for a in section.iter(f"{{{XHTML}}}a"):
            if a.text and len(a) == 0 and _URL_TEXT.fullmatch(a.text):
                _add_class(a, "url")
    if chinese and ("<em" in written or "<i" in written):
        for element in section.iter(f"{{{XHTML}}}em", f"{{{XHTML}}}i"):
            content = _text_of(element)
            if _LATIN_LETTER.search(content) and not _HAN_CHAR.search(content):
                _add_class(element, "latn")


def _text_of(element: etree._Element) -> str:
    if not len(element):  # most emphasis holds text only: its text, without a walk (a sixth of the time)
        return element.text or ""
    return "".join(str(piece) for piece in element.itertext())


def _add_class(element: etree._Element, name: str) -> None:
    classes = (element.get("class") or "").split()
    if name not in classes:
        element.set("class", " ".join([*classes, name]))


def _typeset_text(text: Any, dots: bool, spaces: bool, links: bool) -> None:
    owner = text.getparent()
    value = str(text)
    if dots:
        value = _INTERPUNCT.sub(f"{WORD_JOINER}\u00b7{WORD_JOINER}", value)
    if spaces:
        value = HAN_LATIN_SPACE.sub("", value)
        if value.startswith(" ") or value.endswith(" "):
            value = _across_elements(owner, text.is_tail, value)
    pieces = _linked(value) if links and not _in_link(owner, text.is_tail) else []
    if not pieces:
        if value != text:
            _set(owner, text.is_tail, value)
        return
    first = pieces[0]
    assert isinstance(first, str)
    _set(owner, text.is_tail, first)
    anchor: etree._Element | None = owner if text.is_tail else None
    for piece in pieces[1:]:
        if isinstance(piece, str):
            assert anchor is not None  # text only ever follows a link
            anchor.tail = (anchor.tail or "") + piece
        else:
            if anchor is None:
                owner.insert(0, piece)  # right after the text it was cut from
            else:
                anchor.addnext(piece)
            anchor = piece


def _in_link(owner: etree._Element, is_tail: bool) -> bool:
    if owner.tag == f"{{{XHTML}}}a" and not is_tail:
        return True
    return any(a.tag == f"{{{XHTML}}}a" for a in owner.iterancestors())


# the phrasing elements a Han–Latin gap is measured across; code and formulas keep the
# spaces written around them
_INLINE = {f"{{{XHTML}}}{name}" for name in ("a", "em", "strong", "i", "b", "span", "q", "cite", "abbr", "small", "u")}
_LATIN_END = re.compile(r"[A-Za-z0-9]$")
_LATIN_START = re.compile(r"^[A-Za-z0-9]")
_HAN_THEN_SPACE = re.compile(f"(?<=[{HAN}]) $")
_SPACE_THEN_HAN = re.compile(f"^ (?=[{HAN}])")


def _across_elements(owner: etree._Element, is_tail: bool, value: str) -> str:
    """The single space between Han and Latin where an inline element lies between them:
    ‘推崇 <em>iGDP</em>’, ‘<a>图1-1</a> 所示’."""
    if is_tail and owner.tag in _INLINE and _SPACE_THEN_HAN.search(value):
        if _LATIN_END.search(_text_of(owner)):
            value = value[1:]
    following = owner.getnext() if is_tail else (owner[0] if len(owner) else None)
    if following is not None and following.tag in _INLINE and _HAN_THEN_SPACE.search(value):
        if _LATIN_START.search(_text_of(following)):
            value = value[:-1]
    return value


def _set(owner: etree._Element, is_tail: bool, value: str) -> None:
    if is_tail:
        owner.tail = value
    else:
        owner.text = value


def _linked(value: str) -> list[str | etree._Element]:
    """`value` split into text and <a class="url"> elements, or [] with no address in it.
    The list starts with the text before the first link."""
    matches = list(_ADDRESS.finditer(value))
    if not matches:
        return []
    pieces: list[str | etree._Element] = [value[: matches[0].start()]]
    for index, match in enumerate(matches):
        address = match.group()
        href = address if match.group("url") else f"mailto:{address}"
        link = etree.Element(f"{{{XHTML}}}a", {"class": "url", "href": href})
        link.text = address
        pieces.append(link)
        end = matches[index + 1].start() if index + 1 < len(matches) else len(value)
        pieces.append(value[match.end() : end])
    return pieces
