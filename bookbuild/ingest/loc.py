"""Parse a Library of Congress Cataloging-in-Publication block: the labelled 2016+ form,

    Names: Smith, Jane, 1970- author. | Doe, John, editor.
    Title: The book of things : a subtitle / Jane Smith.
    Description: First edition. | New York : Example Press, 2019.
    Identifiers: LCCN 2018012345 | ISBN 9780306406157 (hardcover)
    Subjects: LCSH: Things. | Stuff.
    Classification: LCC QA76 .S65 2019 | DDC 005.1--dc23

and the classic card layout before it:

    Smith, Jane, 1970–
        The book of things : a subtitle / Jane Smith. — 1st ed.
            p. cm.
        ISBN 978-0-306-40615-7 (pbk.)
        1. Things.  2. Stuff.  I. Title.
    QA76 .S65 2019
    005.1—dc23                                        2018012345
"""

from __future__ import annotations

import re

from bookbuild.book.isbn import isbn_is_valid
from bookbuild.book.model import Cip, Creator
from bookbuild.diagnostics import Diagnostic
from bookbuild.ingest.cip import CipRecord, normalise_date
from bookbuild.ingest.isbns import format_isbn

LOC_HEADING_RE = re.compile(r"Library of Congress Cataloging[- ]in[- ]Publication Data", re.I)
_LABEL_RE = re.compile(r"^(Names|Title|Description|Identifiers|Subjects|Classification|LC record)\b:?\s*(.*)$")
_ROLE_WORDS = {"author": "author", "editor": "editor", "translator": "translator", "illustrator": "illustrator"}


def parse_loc(lines: list[tuple[int, str]], path: str) -> CipRecord:
    record = CipRecord()
    fields: dict[str, tuple[int, str]] = {}
    current = None
    for number, text in lines:
        text = text.strip().lstrip("#").strip()
        if not text:
            continue
        m = _LABEL_RE.match(text)
        if m:
            current = m.group(1)
            fields[current] = (number, m.group(2))
        elif current:
            line, value = fields[current]
            fields[current] = (line, f"{value} {text}")
    raw = "\n".join(t for _, t in lines if t.strip())
    first = lines[0][0] if lines else 0
    record.cip = Cip(raw=raw, agency="Library of Congress")
    if "Title" not in fields:
        return _parse_classic(lines, path, record)

    title_line, title = fields.get("Title", (first, ""))
    main, _, responsibility = title.partition(" / ")
    record.title, _, record.subtitle = (p.strip(" .") for p in main.partition(" : "))
    if not record.title:
        record.diagnostics.append(Diagnostic("M004", "LoC record has no Title:", path, title_line))
    for name in fields.get("Names", (0, ""))[1].split("|"):
        name = name.strip(" .")
        if not name:
            continue
        role = next((r for w, r in _ROLE_WORDS.items() if re.search(rf"\b{w}\b", name)), "author")
        file_as = re.sub(r",?\s*(\d{4}-(\d{4})?|author|editor|translator|illustrator).*$", "", name)
        parts = [p.strip() for p in file_as.split(",")]
        display = " ".join(reversed(parts[:2])) if len(parts) >= 2 else file_as
        record.creators.append(Creator(name=display, role=role, file_as=file_as))
    for part in fields.get("Description", (0, ""))[1].split("|"):
        part = part.strip(" .")
        if re.search(r"\bedition\b", part, re.I):
            record.edition = part
        elif " : " in part:
            place, _, rest = part.partition(" : ")
            publisher, _, date = rest.rpartition(",")
            record.place, record.publisher = place.strip(), publisher.strip()
            record.date = normalise_date(date)
    id_line, identifiers = fields.get("Identifiers", (first, ""))
    isbn = re.search(r"ISBN\s*([\dXx-]{10,17})", identifiers)
    if isbn:
        record.isbn = format_isbn(isbn.group(1))
        if not isbn_is_valid(record.isbn):
            record.diagnostics.append(Diagnostic("M003", f"ISBN {record.isbn} has a wrong check digit", path, id_line))
    lccn = re.search(r"LCCN\s*(\S+)", identifiers)
    if lccn:
        record.cip = Cip(raw=raw, agency="Library of Congress", number=lccn.group(1))
    subjects = fields.get("Subjects", (0, ""))[1]
    record.subjects = [s.strip(" .") for s in re.sub(r"\b[A-Z]{3,5}:\s*", "", subjects).split("|") if s.strip(" .")]
    classes = fields.get("Classification", (0, ""))[1]
    record.classification = [c.strip(" .") for c in classes.split("|") if c.strip(" .")]
    return record


_MAIN_ENTRY_RE = re.compile(
    r"^(?P<name>[^\W\d][\w'’.-]*(?:\s[\w'’.-]+)*,\s+[^\W\d][^,/]*?)(?:,\s*(?P<dates>\d{4}\s*[-–—]\s*(?:\d{4})?))?\.?$"
)
_LCC_RE = re.compile(r"^[A-Z]{1,3}\s?\d+(?:\.\d+)?\s*\.?[A-Z]\d*")
_DDC_RE = re.compile(r"^(?P<ddc>\d{3}(?:\.[\d'’/]+)?\s*[-—–]+\s*dc\s?\d{2})\b")
_LCCN_RE = re.compile(r"(?:^|\s)(?P<lccn>(?:19|20)\d{2}-?\d{5,6})\s*$")
_TRACING_RE = re.compile(r"(?:^|\s)(?P<mark>\d{1,2}|[IVX]{1,4})\.\s+(?P<text>.+?)(?=\s+(?:\d{1,2}|[IVX]{1,4})\.\s|$)")


def _parse_classic(lines: list[tuple[int, str]], path: str, record: CipRecord) -> CipRecord:
    texts = [(n, " ".join(t.split())) for n, t in lines if t.strip()]
    if not texts:
        record.diagnostics.append(Diagnostic("M004", "LoC record is empty", path, 0))
        return record
    index = 0
    main = _MAIN_ENTRY_RE.match(texts[0][1])
    if main and " / " not in texts[0][1]:
        name = main.group("name").strip()
        surname, _, forename = name.partition(", ")
        record.creators.append(Creator(name=f"{forename} {surname}".strip(), role="author", file_as=name))
        index = 1
    # the title statement runs from the next line to the collation ("p. cm.", "xii, 310 p.")
    statement, title_line = [], texts[index][0] if index < len(texts) else texts[0][0]
    for _number, text in texts[index:]:
        if re.match(r"^(?:p\.|[xivlc]+,\s*\d+\s*p\.|\d+\s*p\.|ISBN|Includes|\d{1,2}\.\s)", text):
            break
        statement.append(text)
    title_area = " ".join(statement)
    main_part, _, rest = title_area.partition(" — ") if " — " in title_area else title_area.partition(" -- ")
    title_part, _, responsibility = main_part.partition(" / ")
    record.title, _, record.subtitle = (p.strip(" .") for p in title_part.partition(" : "))
    record.subtitle = record.subtitle[:1].upper() + record.subtitle[1:]
    if not record.title:
        record.diagnostics.append(Diagnostic("M004", "LoC record has no title statement", path, title_line))
    if not record.creators and responsibility:
        for name in re.split(r"\s*(?:;|,| and )\s*", re.sub(r"\b(?:by|edited by)\b", "", responsibility)):
            if name.strip(" ."):
                record.creators.append(Creator(name=name.strip(" ."), role="author"))
    for part in (p.strip(" .") for p in re.split(r"\s+[—–]\s+|\s--\s", rest) if p.strip(" .")):
        if re.search(r"\bed(?:ition)?\b", part, re.I):
            record.edition = part
        elif " : " in part:
            place, _, publisher_date = part.partition(" : ")
            publisher, _, date = publisher_date.rpartition(",")
            record.place, record.publisher, record.date = place, publisher.strip(), normalise_date(date)
    isbn = re.search(r"ISBN\s*([\dXx-]{10,17})", " ".join(t for _, t in texts))
    if isbn:
        record.isbn = format_isbn(isbn.group(1))
    for _, text in texts:
        for m in _TRACING_RE.finditer(text):
            if m.group("mark").isdigit():
                record.subjects.append(m.group("text").strip(" ."))
        if _LCC_RE.match(text) and not text.startswith("ISBN"):
            record.classification.append(f"LCC {text}")
        ddc = _DDC_RE.match(text)
        if ddc:
            record.classification.append(f"DDC {ddc.group('ddc')}")
        lccn = _LCCN_RE.search(text)
        if lccn and not text.startswith("ISBN"):
            record.cip = Cip(raw=record.cip.raw, agency="Library of Congress", number=lccn.group("lccn"))
    return record
