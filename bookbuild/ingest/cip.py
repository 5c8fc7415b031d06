"""Parse a Chinese CIP record (图书在版编目(CIP)数据, GB/T 12451-2001 and -2023).

互联网+：国家战略行动路线图/马化腾等著；张晓峰，杜军主编.—北京：中信出版社，2015.7
ISBN 978-7-5086-5178-1
Ⅰ.①互… Ⅱ.①马… Ⅲ.①互联网络－战略－研究－中国 Ⅳ.①TP393.4
中国版本图书馆CIP数据核字(2015)第089832号
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bookbuild.book.isbn import ISBN_IN_TEXT, isbn_is_valid
from bookbuild.book.model import Cip, Creator
from bookbuild.diagnostics import Diagnostic
from bookbuild.ingest.isbns import format_isbn
from bookbuild.text import HAN, strip_heading

CIP_HEADING_RE = re.compile(r"图书在版编目\s*[(（]\s*CIP\s*[)）]\s*数据")
CIP_NUMBER_RE = re.compile(r"(中国(?:国家)?版本(?:图书)?馆)\s*CIP\s*数据核字\s*(\S*?第\s*[0-9A-Z]+\s*号)")
# ". —", ".--", ".——", ". --", "．—" and the OCR slip ".一" all separate areas.
_AREA_SEP_RE = re.compile(r"\s*[.．。]\s*(?:——|—|--|－－|-|一|－)\s*")
# An ASCII "I." only counts when an access item follows it, so titles with Latin
# letters ("AI.") are not cut.
_ACCESS_RE = re.compile(
    r"(?<![A-Za-z])(Ⅳ|Ⅲ|Ⅱ|Ⅰ|IV|III|II|I)\s*[.．、]\s*"
    rf"(?=[①-⑩]|[(（]\d|[A-Z]{{1,2}}\d|[{HAN}])"
)
_ITEM_RE = re.compile(r"[①②③④⑤⑥⑦⑧⑨⑩]|[(（]\d{1,2}[)）]")
_ROLE_RE = re.compile(r"(等)?\s*(编著|主编|选编|改编|编译|编|著|撰|译|绘|整理|校注|注)$")
_DATE_RE = re.compile(r"(\d{4})\s*(?:[.．年]\s*(\d{1,2}))?(?:\s*[.．月]\s*(\d{1,2}))?")
_CLASS_RE = re.compile(r"^[A-Z][A-Z0-9.\-/:=]*$")

ROLES = {
    "著": "author",
    "撰": "author",
    "编著": "editor",
    "主编": "editor",
    "编": "editor",
    "选编": "editor",
    "改编": "editor",
    "编译": "translator",
    "译": "translator",
    "绘": "illustrator",
    "整理": "editor",
    "校注": "editor",
    "注": "editor",
}
ACCESS_ORDER = {"Ⅰ": "I", "Ⅱ": "II", "Ⅲ": "III", "Ⅳ": "IV"}


@dataclass
class CipRecord:
    """What a CIP record gave; mutable while parsing, turned into Metadata later."""

    title: str = ""
    subtitle: str = ""
    creators: list[Creator] = field(default_factory=list)
    edition: str = ""
    place: str = ""
    publisher: str = ""
    date: str = ""
    reprint: str = ""
    series: str = ""
    isbn: str = ""
    subjects: list[str] = field(default_factory=list)
    classification: list[str] = field(default_factory=list)
    cip: Cip = field(default_factory=Cip)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def normalise_date(text: str) -> str:
    """'2015.7' -> '2015-07', '2026. 1' -> '2026-01', '2015年7月' -> '2015-07'."""
    m = _DATE_RE.search(text)
    if not m:
        return ""
    year, month, day = m.groups()
    out = year
    if month and 1 <= int(month) <= 12:
        out += f"-{int(month):02d}"
        if day and 1 <= int(day) <= 31:
            out += f"-{int(day):02d}"
    return out


def _normalise_punctuation(text: str) -> str:
    table = str.maketrans({"／": "/", "：": ":", "；": ";", "，": ",", "（": "(", "）": ")", "　": " ", "＋": "+"})
    return text.translate(table)


def parse_cip(lines: list[tuple[int, str]], path: str) -> CipRecord:
    """`lines` are the record's own lines (heading excluded), numbered as in the source."""
    record = CipRecord()
    texts = [(n, strip_heading(t)) for n, t in lines if t.strip()]
    raw = "\n".join(t for _, t in texts)
    first_line = texts[0][0] if texts else 0

    def warn(message: str, line: int | None = None) -> None:
        record.diagnostics.append(Diagnostic("M004", message, path, line or first_line))

    def line_of(fragment: str) -> int:
        for n, t in texts:
            if fragment and fragment[:12] in t:
                return n
        return first_line

    # an old record can open with a bare book number ("2065/0") before the title
    # statement: it is kept in the raw record, not read as the title
    while len(texts) > 1 and re.fullmatch(r"[\d\s/.\-]+", texts[0][1]):
        texts = texts[1:]
    joined = " ".join(t for _, t in texts)
    number = CIP_NUMBER_RE.search(joined)
    if number:
        record.cip = Cip(
            raw=raw, agency=number.group(1), number=re.sub(r"\s", "", _normalise_punctuation(number.group(2)))
        )
        joined = joined[: number.start()] + joined[number.end() :]
    else:
        record.cip = Cip(raw=raw)
        warn("CIP record has no CIP number (…CIP数据核字…号)")

    isbn = ISBN_IN_TEXT.search(joined)
    if isbn:
        record.isbn = format_isbn(isbn.group(1))
        if not isbn_is_valid(record.isbn):
            record.diagnostics.append(
                Diagnostic("M003", f"ISBN {record.isbn} has a wrong check digit", path, line_of("ISBN"))
            )
        joined = joined[: isbn.start()] + " " + joined[isbn.end() :]
    else:
        warn("CIP record has no ISBN")

    access = _ACCESS_RE.search(joined)
    descriptive = joined[: access.start()] if access else joined
    if access:
        _parse_access_points(joined[access.start() :], record)
    else:
        warn("CIP record has no access points (Ⅰ. … Ⅳ.)")
    _parse_description(_normalise_punctuation(descriptive), record, warn, line_of)
    return record


def _parse_description(text: str, record: CipRecord, warn, line_of) -> None:
    areas = [a.strip(" .-") for a in _AREA_SEP_RE.split(text.strip()) if a.strip(" .-")]
    if not areas:
        warn("CIP record has no title area")
        return
    _parse_title_area(areas[0], record, warn, line_of)
    for area in areas[1:]:
        if re.fullmatch(r"\(.*\)", area):
            record.series = area.strip("()")
        elif re.search(r"版$", area) and ":" not in area:
            record.edition = area
        elif ":" in area:
            _parse_publication(area, record, warn, line_of)
        elif re.fullmatch(r"[\d.\s]+", area) and record.date:
            continue  # 2023 style "2026. 1." leaves the month as its own area
        else:
            warn(f"CIP area not understood: {area!r}", line_of(area))


def _parse_title_area(area: str, record: CipRecord, warn, line_of) -> None:
    title_part, _, responsibility = area.partition("/")
    title, _, subtitle = title_part.partition(":")
    record.title, record.subtitle = title.strip(), subtitle.strip()
    if not record.title:
        warn("CIP record has no title", line_of(area))
    if not responsibility.strip():
        warn("CIP record has no statement of responsibility", line_of(area))
        return
    for statement in re.split(r";", responsibility):
        statement = statement.strip()
        if not statement:
            continue
        role_match = _ROLE_RE.search(statement)
        if not role_match:
            warn(f"no role (著/编/译…) in responsibility statement {statement!r}", line_of(statement))
            continue
        et_al, role_word = role_match.groups()
        names = re.split(r"[,、]|\s+(?![^(]*\))", statement[: role_match.start()].strip())
        for name in filter(None, (n.strip() for n in names)):
            nationality = re.match(r"^[(\[]([^)\]]+)[)\]]", name)
            clean = name[nationality.end() :] if nationality else name
            record.creators.append(Creator(name=clean, role=ROLES[role_word], file_as=clean, et_al=bool(et_al)))


def _parse_publication(area: str, record: CipRecord, warn, line_of) -> None:
    place, _, rest = area.partition(":")
    series = re.search(r"\s*\(([^)]*)\)\s*$", rest)
    if series and "重印" not in series.group(1):
        record.series = series.group(1).strip()
        rest = rest[: series.start()]
    publisher, _, date = rest.rpartition(",")
    if not publisher:
        publisher, date = rest, ""
    record.place, record.publisher = place.strip(), publisher.strip()
    reprint = re.search(r"\(([^)]*?)重印\)", date)
    if reprint:
        record.reprint = normalise_date(reprint.group(1))
        date = date[: reprint.start()]
    record.date = normalise_date(date)
    if not record.date:
        warn(f"no publication date in {area!r}", line_of(area))


def _parse_access_points(text: str, record: CipRecord) -> None:
    parts = _ACCESS_RE.split(text)
    # split() with one group gives ['', 'I', body, 'II', body, …]
    groups: list[tuple[str, tuple[str, ...]]] = []
    for numeral, body in zip(parts[1::2], parts[2::2]):
        items = [i.strip().strip(".．").strip() for i in _ITEM_RE.split(body)]
        items = [i for i in items if i]
        groups.append((ACCESS_ORDER.get(numeral, numeral), tuple(items)))
    record.cip = Cip(
        raw=record.cip.raw, number=record.cip.number, agency=record.cip.agency, access_points=tuple(groups)
    )
    for numeral, items in groups:
        classes = [i for i in items if _CLASS_RE.match(i)]
        if numeral == "IV" or (classes and len(classes) == len(items)):
            record.classification.extend(classes)
        elif numeral == "III":
            record.subjects.extend(items)
