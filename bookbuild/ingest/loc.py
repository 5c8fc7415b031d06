"""Parse a Library of Congress Cataloging-in-Publication block (the labelled 2016+ form).

    Names: Smith, Jane, 1970- author. | Doe, John, editor.
    Title: The book of things : a subtitle / Jane Smith.
    Description: First edition. | New York : Example Press, 2019.
    Identifiers: LCCN 2018012345 | ISBN 9780306406157 (hardcover)
    Subjects: LCSH: Things. | Stuff.
    Classification: LCC QA76 .S65 2019 | DDC 005.1--dc23
"""

from __future__ import annotations

import re

from bookbuild.diagnostics import Diagnostic
from bookbuild.ingest.cip import CipRecord, _format_isbn, normalise_date
from bookbuild.isbn import isbn_is_valid
from bookbuild.model import Cip, Creator

LOC_HEADING_RE = re.compile(r"Library of Congress Cataloging[- ]in[- ]Publication Data", re.I)
_LABEL_RE = re.compile(r"^(Names|Title|Description|Identifiers|Subjects|Classification|LC record)\b:?\s*(.*)$")
_ROLE_WORDS = {"author": "author", "editor": "editor", "translator": "translator",
               "illustrator": "illustrator"}


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
        record.isbn = _format_isbn(isbn.group(1))
        if not isbn_is_valid(record.isbn):
            record.diagnostics.append(
                Diagnostic("M003", f"ISBN {record.isbn} has a wrong check digit", path, id_line))
    lccn = re.search(r"LCCN\s*(\S+)", identifiers)
    if lccn:
        record.cip = Cip(raw=raw, agency="Library of Congress", number=lccn.group(1))
    subjects = fields.get("Subjects", (0, ""))[1]
    record.subjects = [s.strip(" .") for s in re.sub(r"\b[A-Z]{3,5}:\s*", "", subjects).split("|")
                       if s.strip(" .")]
    classes = fields.get("Classification", (0, ""))[1]
    record.classification = [c.strip(" .") for c in classes.split("|") if c.strip(" .")]
    return record
