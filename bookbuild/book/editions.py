"""Editions made from the one manuscript: a vertical edition (竖排) and Traditional ones
(繁體: Taiwan with OpenCC's s2twp, Hong Kong with s2hk), alone or combined.

An edition is a change of the book model after parse and before anything is generated
from it (title page, cover, index): the text is converted, quotes become corner brackets,
short runs of digits are set upright in vertical text, and the metadata says what the
outputs must do (language tag, writing mode, the edition's own identifier). Everything
after it, the caches included, sees only a different model."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from lxml import etree

from bookbuild.book.model import Book, Cip, Metadata, ParsedUnit, PrintLine
from bookbuild.book.xml import LITERAL_TAGS, XHTML, safe_parser
from bookbuild.errors import UsageError

# edition name -> (OpenCC profile, language tag)
SCRIPTS = {
    "zh-Hant": ("s2twp", "zh-Hant-TW"),
    "zh-Hant-TW": ("s2twp", "zh-Hant-TW"),
    "zh-Hant-HK": ("s2hk", "zh-Hant-HK"),
}
NAMES = ("vertical", *SCRIPTS)


@dataclass(frozen=True)
class Edition:
    vertical: bool = False
    script: str = ""  # a key of SCRIPTS, or "" for the text as written

    @property
    def name(self) -> str:
        """The edition's name in file names and the identifier: zh-Hant-TW-vertical."""
        return "-".join(
            part for part in (SCRIPTS[self.script][1] if self.script else "", self.vertical * "vertical") if part
        )


def edition_from(names: list[str] | tuple[str, ...]) -> Edition | None:
    """--edition values, combined; None for the book as written."""
    unknown = [n for n in names if n not in NAMES]
    if unknown:
        raise UsageError(f"--edition {unknown[0]}: choose from {', '.join(NAMES)} (they combine)")
    scripts = {n for n in names if n in SCRIPTS}
    if len({SCRIPTS[n] for n in scripts}) > 1:
        raise UsageError(f"--edition {' and '.join(sorted(scripts))}: one Traditional variant at a time")
    if not names:
        return None
    return Edition(vertical="vertical" in names, script=next(iter(scripts), ""))


Converter = Callable[[str], str]

# elements whose text is not prose: never converted, quoted or set upright
_LITERAL = LITERAL_TAGS | {f"{{{XHTML}}}{tag}" for tag in ("script", "style")}
_SEPARATOR = "\uf8ff"  # between the texts converted in one call: a private-use character OpenCC leaves alone
_DIGITS = re.compile(r"(?<![0-9A-Za-z.,])[0-9]{1,3}(?![0-9A-Za-z]|[.,][0-9])")


def apply_edition(
    meta: Metadata, units: tuple[ParsedUnit, ...], edition: Edition
) -> tuple[Metadata, tuple[ParsedUnit, ...]]:
    """The metadata and the parsed units of the edition, before the generated pages are
    made from them."""
    convert = _converter(edition.script, meta.traditional) if edition.script else None

    def text(value: str) -> str:
        return _quotes(convert(value) if convert else value, edition) if value else value

    meta = _metadata(meta, text, edition)
    return meta, tuple(_unit(unit, text, convert, edition) for unit in units)


def vertical_stylesheet() -> str:
    return resources.files("bookbuild").joinpath("styles", "vertical.css").read_text("utf-8")


def with_edition_styles(book: Book, edition: Edition | None) -> Book:
    if edition is None or not edition.vertical:
        return book
    return dataclasses.replace(book, stylesheets=book.stylesheets + (("edition-vertical.css", vertical_stylesheet()),))


def _metadata(meta: Metadata, text: Callable[[str], str], edition: Edition) -> Metadata:
    return dataclasses.replace(
        meta,
        title=text(meta.title),
        subtitle=text(meta.subtitle),
        creators=tuple(dataclasses.replace(c, name=text(c.name)) for c in meta.creators),
        publisher=text(meta.publisher),
        place=text(meta.place),
        subjects=tuple(text(s) for s in meta.subjects),
        cip=Cip(
            raw=text(meta.cip.raw),
            number=meta.cip.number,
            agency=meta.cip.agency,
            access_points=tuple((n, tuple(text(p) for p in points)) for n, points in meta.cip.access_points),
        ),
        print_lines=tuple(
            PrintLine(value=text(p.value), label=text(p.label) if p.label else p.label, key=p.key)
            for p in meta.print_lines
        ),
        contents=tuple(
            dataclasses.replace(e, title=text(e.title), author=text(e.author) if e.author else e.author)
            for e in meta.contents
        ),
        # the e-book ISBN is the book as written's: an edition is another book, with its
        # own identifier (book_identifier: from its title, creators and name)
        isbn="",
        language=SCRIPTS[edition.script][1] if edition.script else meta.language,
        variant=edition.name,
        writing_mode="vertical-rl" if edition.vertical else meta.writing_mode,
    )


def _unit(unit: ParsedUnit, text: Callable[[str], str], convert: Converter | None, edition: Edition) -> ParsedUnit:
    source = unit.source
    return dataclasses.replace(
        unit,
        source=dataclasses.replace(
            source,
            title=text(source.title),
            author=text(source.author) if source.author else source.author,
            author_note=text(source.author_note) if source.author_note else source.author_note,
            group=text(source.group) if source.group else source.group,
        ),
        fragment=_fragment(unit.fragment, convert, edition),
        headings=tuple(dataclasses.replace(h, text=text(h.text)) for h in unit.headings),
        images=tuple(dataclasses.replace(i, alt=text(i.alt)) for i in unit.images),
        captions=tuple(dataclasses.replace(c, text=text(c.text)) for c in unit.captions),
        index_marks=tuple(
            dataclasses.replace(m, term=text(m.term), sub=text(m.sub), see=text(m.see)) for m in unit.index_marks
        ),
    )


def _fragment(fragment: str, convert: Converter | None, edition: Edition) -> str:
    """The unit's XHTML with its prose converted (text nodes and alt/title attributes;
    never ids, links, code or formulas), quotes turned, digits set upright."""
    if not fragment.strip():
        return fragment
    root = etree.fromstring(fragment, safe_parser())
    slots: list[tuple[etree._Element, str]] = []  # (element, "text" | "tail" | attribute name)
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        literal = element.tag in _LITERAL or any(a.tag in _LITERAL for a in element.iterancestors())
        if not literal:
            if element.text:
                slots.append((element, "text"))
            for name in ("alt", "title"):
                if element.get(name):
                    slots.append((element, name))
        if element.tail and element is not root and not any(a.tag in _LITERAL for a in element.iterancestors()):
            slots.append((element, "tail"))
    values = [_get(element, slot) for element, slot in slots]
    if convert and values:
        joined = convert(_SEPARATOR.join(values)).split(_SEPARATOR)
        # one call for the unit, unless its text holds the separator itself (then each
        # text on its own, never texts shifted onto the wrong nodes)
        values = joined if len(joined) == len(values) else [convert(v) for v in values]
    for (element, slot), value in zip(slots, values):
        _set(element, slot, _quotes(value, edition))
    if edition.vertical:
        _upright_digits(root)
    return etree.tostring(root, encoding="unicode")


def _get(element: etree._Element, slot: str) -> str:
    return (element.text if slot == "text" else element.tail if slot == "tail" else element.get(slot)) or ""


def _set(element: etree._Element, slot: str, value: str) -> None:
    if slot == "text":
        element.text = value
    elif slot == "tail":
        element.tail = value
    else:
        element.set(slot, value)


_QUOTES = str.maketrans({"“": "「", "”": "」", "‘": "『"})
_CLOSING_SINGLE = re.compile(r"(?<![A-Za-z])’")  # ’ between Latin letters is an apostrophe


def _quotes(value: str, edition: Edition) -> str:
    """Mainland quotes “ ” ‘ ’ become corner brackets 「 」『 』 (nesting kept: the outer
    pair stays the outer one) in a vertical or Traditional edition."""
    if not (edition.vertical or edition.script) or not any(q in value for q in "“”‘’"):
        return value
    return _CLOSING_SINGLE.sub("』", value.translate(_QUOTES))


def _upright_digits(root: etree._Element) -> None:
    """Runs of one to three digits in vertical text become <span class="tcy">, set
    upright across the line (text-combine-upright); longer numbers run sideways."""
    skip = _LITERAL | {f"{{{XHTML}}}{tag}" for tag in ("sup", "sub")}  # a note's number stays as it is
    for element in list(root.iter()):
        if not isinstance(element.tag, str) or element.tag in skip:
            continue
        if any(a.tag in skip for a in element.iterancestors()):
            continue
        if element.text and _DIGITS.search(element.text):
            element.text, spans = _split(element.text)
            for at, span in enumerate(spans):
                element.insert(at, span)
        if element.tail and element is not root and _DIGITS.search(element.tail):
            parent = element.getparent()
            if parent is None or parent.tag in skip or any(a.tag in skip for a in parent.iterancestors()):
                continue
            element.tail, spans = _split(element.tail)
            at = parent.index(element) + 1
            for offset, span in enumerate(spans):
                parent.insert(at + offset, span)


def _split(text: str) -> tuple[str, list[etree._Element]]:
    """(text before the first run, [span, …]), each span holding a run and the text
    after it as its tail."""
    matches = list(_DIGITS.finditer(text))
    spans: list[etree._Element] = []
    for m, following in zip(matches, matches[1:] + [None]):
        span = etree.Element(f"{{{XHTML}}}span", {"class": "tcy"})
        span.text = m.group()
        span.tail = text[m.end() : following.start() if following else len(text)] or None
        spans.append(span)
    return text[: matches[0].start()], spans


@cache
def _opencc(profile: str) -> Any:  # opencc has no types
    import opencc

    return opencc.OpenCC(profile)


def _converter(script: str, overrides: tuple[tuple[str, str], ...]) -> Converter:
    """OpenCC's conversion for the edition, with the book's own choices (`traditional:`
    in metadata.yaml) kept out of OpenCC's way and put in after it."""
    converter = _opencc(SCRIPTS[script][0])
    if not overrides:
        return lambda value: converter.convert(value) if value else value
    # longest phrase first, each held by a private-use character while OpenCC converts
    ordered = sorted(overrides, key=lambda pair: -len(pair[0]))
    holders = {chr(0xF0000 + i): wanted for i, (_, wanted) in enumerate(ordered)}
    pattern = re.compile("|".join(re.escape(phrase) for phrase, _ in ordered))
    hold = {phrase: holder for (phrase, _), holder in zip(ordered, holders)}

    def convert(value: str) -> str:
        if not value:
            return value
        if any(holder in value for holder in holders):  # the text has these characters itself
            return str(converter.convert(value))
        held = pattern.sub(lambda m: hold[m.group()], value)
        converted = converter.convert(held)
        return "".join(holders.get(c, c) for c in converted)

    return convert
