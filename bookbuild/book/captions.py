"""Figures and tables with captions, their numbers, and references to them in the text.

Written as
- a figure: an image alone in its paragraph with a title, `![alt](images/a.png "Caption")`;
- a table: a paragraph `Table: Caption` or `表：Caption` just before or after the table.

The parse stage makes them <figure> with <figcaption> and <table> with <caption>, and
lists them (Caption) in order. resolve numbers them over the whole book (per chapter by
default: 图 2-3 / Figure 2.3; see `number_captions`), render writes the number and the id
(figure-2-3, table-4-1). References in the text (图 2-3, 如表 4-1 所示, Figure 2.3, Fig. 2.3,
Table 4.1) are linked like print-page references.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from bookbuild.book.model import Caption, CaptionNumber, ParsedUnit
from bookbuild.book.xml import XHTML

NUMBERED = "data-numbered"  # on the figures and tables render numbers, until it does
_TABLE_CAPTION_RE = re.compile(r"^\s*(?:Table|表)\s*[:：]\s*")
_P, _IMG, _TABLE = (f"{{{XHTML}}}{tag}" for tag in ("p", "img", "table"))

# 图 2-3, 表 4-1, 图 3 / Figure 2.3, Fig. 2.3, Table 4.1, Figure A.1
_NUMBER = r"(?P<number>(?:\d{1,3}|[A-Z])(?:\s*[-－–—.．]\s*\d{1,3})?)"
# 图 and 表 end many words that are not references: 地图 3 张, 发表 3 篇, 代表 2 人
_NOT_AFTER = r"(?<![地试企意版蓝构宏略草力代发列报外课时统仪电手钟年价税成登填评图])"
REFERENCE_RE = re.compile(rf"{_NOT_AFTER}(?P<kind>图|表|Figure|Fig\.|Table)\s*{_NUMBER}(?![\d.．]\d)")
_KINDS = {"图": "figure", "Figure": "figure", "Fig.": "figure", "表": "table", "Table": "table"}


def make_captions(root: etree._Element, line_of) -> list[Caption]:
    """Figures and captioned tables under `root` made, in place; listed in order."""
    found: list[tuple[etree._Element, Caption]] = []
    for p in list(root.iter(_P)):
        image = p[0] if len(p) == 1 else None
        if (
            image is not None
            and image.tag == _IMG
            and image.get("title")
            and not (p.text or "").strip()
            and not (image.tail or "").strip()
        ):
            caption = image.attrib.pop("title")
            image.tail = None
            figure = etree.Element(f"{{{XHTML}}}figure", {NUMBERED: ""})
            figure.append(image)
            figcaption = etree.SubElement(figure, f"{{{XHTML}}}figcaption")
            figcaption.text = caption
            figure.tail = p.tail
            p.getparent().replace(p, figure)
            found.append((figure, Caption("figure", line_of(caption), caption)))
            continue
        match = _TABLE_CAPTION_RE.match(p.text or "")
        table = _adjacent_table(p) if match else None
        if table is not None and table.find(f"{{{XHTML}}}caption") is None:
            caption = etree.Element(f"{{{XHTML}}}caption")
            caption.text = (p.text or "")[match.end() :]
            caption.extend(list(p))
            table.insert(0, caption)
            table.set(NUMBERED, "")
            _remove_keeping_tail(p)
            text = "".join(str(t) for t in caption.itertext())
            found.append((table, Caption("table", line_of(text), " ".join(text.split()))))
    # in document order already: a table's caption paragraph is next to its table
    return [caption for _, caption in found]


def _adjacent_table(p: etree._Element) -> etree._Element | None:
    for sibling in (p.getnext(), p.getprevious()):
        if sibling is not None and sibling.tag == _TABLE:
            return sibling
    return None


def _remove_keeping_tail(element: etree._Element) -> None:
    parent, previous = element.getparent(), element.getprevious()
    if element.tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


@dataclass(frozen=True)
class FoundReference:
    start: int
    end: int
    kind: str  # figure | table
    number: str  # normalised: "2-3", "A-1", "3"


def find_caption_references(text: str) -> list[FoundReference]:
    if "图" not in text and "表" not in text and "Fig" not in text and "Table" not in text:
        return []
    return [
        FoundReference(m.start(), m.end(), _KINDS[m.group("kind")], normal_number(m.group("number")))
        for m in REFERENCE_RE.finditer(text)
    ]


def normal_number(number: str) -> str:
    """ "2.3", "2 - 3", "2－3" -> "2-3"."""
    return re.sub(r"\s*[-－–—.．]\s*", "-", number.strip())


def number_captions(units: tuple[ParsedUnit, ...], numbering: str, chinese: bool) -> list[tuple[CaptionNumber, ...]]:
    """Each unit's captions numbered. `numbering`: "chapter" (图 2-3 in the second chapter;
    appendices A, B …; figures outside chapters and appendices numbered through the book
    without a prefix), "book" (图 1, 图 2 … through the book), or "none"."""
    counts: dict[tuple[str, str], int] = {}
    chapters = appendices = 0
    numbered = []
    for unit in units:
        prefix = ""
        if unit.source.kind == "chapter":
            chapters += 1
            prefix = str(chapters)
        elif unit.source.kind == "appendix":
            appendices += 1
            prefix = chr(ord("A") + appendices - 1) if appendices <= 26 else str(appendices)
        if numbering != "chapter":
            prefix = ""
        mine = []
        for caption in unit.captions:
            if numbering == "none":
                mine.append(CaptionNumber(caption.kind, "", ""))
                continue
            key = (caption.kind, prefix)
            counts[key] = counts.get(key, 0) + 1
            number = f"{prefix}-{counts[key]}" if prefix else str(counts[key])
            mine.append(CaptionNumber(caption.kind, number, label(caption.kind, number, chinese)))
        numbered.append(tuple(mine))
    return numbered


def label(kind: str, number: str, chinese: bool) -> str:
    if chinese:
        # no space: the stylesheet's text-autospace spaces Han from digits (render.typeset)
        return f"{'图' if kind == 'figure' else '表'}{number}"
    return f"{'Figure' if kind == 'figure' else 'Table'} {number.replace('-', '.')}"


def caption_id(kind: str, number: str) -> str:
    return f"{kind}-{number}"
