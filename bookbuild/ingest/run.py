"""Run the ingest parsers over one source and assemble units, metadata and the report."""

from __future__ import annotations

import bisect
import html
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from bookbuild.book.lints import fix_markdown
from bookbuild.book.metadata import dump_metadata
from bookbuild.book.model import Metadata
from bookbuild.book.pages import roman_value
from bookbuild.diagnostics import Diagnostic
from bookbuild.errors import InputError
from bookbuild.ingest.body import Block, BodyResult, DraftUnit, parse_body, split_blocks
from bookbuild.ingest.cip import CipRecord, parse_cip
from bookbuild.ingest.cleanup import extraction_artefacts, lone_bullets, numbered_headings
from bookbuild.ingest.close import Closer
from bookbuild.ingest.colophon import parse_colophon
from bookbuild.ingest.contents import ContentsResult, parse_contents
from bookbuild.ingest.decode import decode_source
from bookbuild.ingest.epub import ingest_epub, is_epub
from bookbuild.ingest.index import link_pages
from bookbuild.ingest.isbns import choose
from bookbuild.ingest.loc import parse_loc
from bookbuild.ingest.pages import numbered_heads, page_evidence, page_separators
from bookbuild.ingest.references import page_reference_report
from bookbuild.ingest.segment import Lines, segment
from bookbuild.ingest.text import cn_number, escape_plain, heading_level, tidy_title
from bookbuild.ingest.titlepage import all_isbns, creators_from_title_page, language_of, title_from_headings
from bookbuild.ingest.tw import parse_tw
from bookbuild.text import has_han, match_key, strip_heading, unique_name

_MARKER_RE = re.compile(r"\{\{page [^}]*\}\}")
_ESCAPE_RE = re.compile(r"\\(.)")


@dataclass(frozen=True)
class IngestResult:
    files: tuple[tuple[str, str], ...]  # (path relative to the output root, text)
    metadata: Metadata
    report: str
    diagnostics: tuple[Diagnostic, ...]
    images: tuple[tuple[str, bytes], ...] = ()  # (path under book/, bytes) copied from beside the source
    # for the proofing page (ingest --proof): each source line, and what ingest decided
    # there as (kind, words); empty for an EPUB, whose structure is read, not guessed
    source_lines: tuple[str, ...] = ()
    decisions: tuple[tuple[int, tuple[tuple[str, str], ...]], ...] = ()
    unit_starts: tuple[tuple[int, str], ...] = ()  # (source line, book/NN-slug.md) of each unit


def ingest(data: bytes, source_path: str, encoding: str | None = None) -> IngestResult:
    if is_epub(data):  # an existing EPUB 2 or 3: its structure is read, not guessed
        return ingest_epub(data, source_path)
    text, diagnostics, form_feeds = decode_source(data, source_path, encoding)
    source_lines: Lines = list(enumerate(text.split("\n"), 1))
    # the pages, by the source's own evidence in order of trust: form feeds, page
    # separators, then (in the body) running heads and feet that carry a number
    separators = [] if form_feeds else page_separators(source_lines)
    evidence = page_evidence(source_lines, form_feeds, separators)
    page_starts = form_feeds or [n + 1 for n in separators]
    # page numbers and running heads are furniture, not text: they go (and are reported),
    # their lines kept blank so that every other line keeps its number
    lines = [(n, "" if n in evidence.furniture else t) for n, t in source_lines]
    artefacts: list[Diagnostic] = []
    lines = extraction_artefacts(lines, artefacts, source_path, has_han(text))
    lines = numbered_headings(lone_bullets(lines), diagnostics, source_path)
    parts = segment(lines, page_starts)
    # pdftotext's output is plain text, not Markdown: its '*', '_', '<' are text
    plain = bool(form_feeds) or source_path.lower().endswith(".txt")

    record = _parse_record(parts, source_path, diagnostics)
    contents = ContentsResult(end=0)
    if parts.contents_heading is not None:
        contents = parse_contents(lines, parts.contents_heading + 1)
    else:
        diagnostics.append(
            Diagnostic(
                "S012",
                "no printed contents (目录 / Contents) found; units come from the body's headings only",
                source_path,
                1,
            )
        )
    if not parts.cip_style and parts.contents_heading is None and not any(heading_level(t) for _, t in lines):
        raise InputError(
            f"{source_path}: no book structure found (no CIP record, no contents "
            "page, no headings); is this text extracted from a book?"
        )
    front_units = _front_units(parts.front, record.title, plain)
    title, subtitle = record.title, record.subtitle
    if not title and front_units:  # the title page's heading, and the one below it
        title = front_units[-1].title
        page_title, page_subtitle = title_from_headings(parts.front[-1])
        subtitle = page_subtitle if page_title == title else ""
    if not title:
        title, subtitle = title_from_headings(lines)
    if not title and (parts.front or plain):  # plain text: the title page's first line is the title
        opening = parts.front[0] if parts.front else lines[:10]
        first = [tidy_title(strip_heading(t)) for _, t in opening if t.strip() and not heading_level(t)]
        if first and len(first[0]) <= 80:
            title, subtitle = first[0], (first[1] if len(first) > 1 and len(first[1]) <= 80 else "")
    if not title:
        title = Path(source_path).stem.split(".")[0]
        diagnostics.append(
            Diagnostic(
                "M002",
                f"no title found (no CIP record, no title page); using {title!r}: correct it in metadata.yaml",
                source_path,
                1,
            )
        )
    body_start = contents.end if parts.contents_heading is not None else _after(parts, lines)
    heads = numbered_heads(lines) if not form_feeds else set()
    body = parse_body(lines[body_start:], contents.entries, title, source_path, evidence.breaks, plain, heads)
    if parts.contents_heading is not None and any(t.strip() for _, t in parts.before_contents):
        # a preface or series page printed between the copyright page and the contents
        before = parse_body(parts.before_contents, [], title, source_path, evidence.breaks, plain, heads)
        body.units[:0] = before.units
        body.removed += before.removed
        body.decisions += before.decisions
        body.to_front_matter += before.to_front_matter
        body.diagnostics[:0] = before.diagnostics
    diagnostics.extend(record.diagnostics + body.diagnostics)
    if not body.units and not front_units:
        raise InputError(
            f"{source_path}: no book structure found: no heading matched a contents entry and there is no title page"
        )

    # every ISBN the record, the copyright page and the title pages print; an e-book's own
    # ISBN identifies the EPUB and the print one goes to dc:source (isbns.choose); a CIP
    # record describes the print book
    isbns = all_isbns(parts)
    isbn, print_isbn = choose(isbns) if isbns else ("", record.isbn)
    meta = Metadata(
        title=title,
        subtitle=subtitle,
        language=language_of(text, parts.cip_style),
        creators=tuple(
            record.creators
            or creators_from_title_page(parts.front[-1:] if parts.front else [lines[:30]], title, subtitle)
        ),
        publisher=record.publisher,
        place=record.place,
        date=record.date,
        edition=record.edition,
        isbn=isbn,
        print_isbn=print_isbn,
        isbns=tuple(isbns) if len(isbns) > 1 or any(e.qualifier for e in isbns) else (),
        subjects=tuple(record.subjects),
        classification=tuple(record.classification),
        cip=record.cip,
        print_lines=tuple(parse_colophon(parts.colophon)),
        contents=tuple(contents.entries),
    )
    units = front_units + body.units
    names = _file_names(units)
    missing = [e for i, e in enumerate(contents.entries) if i not in body.matched and e.kind != "group"]
    for entry in missing:
        if entry.kind != "section":
            diagnostics.append(
                Diagnostic(
                    "S011",
                    f"contents entry {entry.title!r} (p. {entry.page}) is not in the source",
                    source_path,
                    entry.line,
                )
            )
    _check_nothing_lost(lines, parts, contents, body, units, names, source_path)
    # then made buildable, visibly and with a report of each change (see close.py)
    closer = Closer(source_path, meta.language, plain)
    closer.close(units, title)
    mended = _mend_punctuation(units, source_path) if meta.language.startswith("zh") else []
    diagnostics.extend(artefacts + closer.diagnostics + mended)
    index_report = _link_printed_index(units)
    files = [(f"book/{name}.md", unit_markdown(unit)) for name, unit in zip(names, units)]
    files.append(("metadata.yaml", dump_metadata(meta, source=source_path)))
    report = (
        _report(
            source_path,
            source_lines,
            parts,
            contents,
            body,
            names,
            units,
            missing,
            sorted(artefacts + closer.diagnostics, key=lambda d: d.line or 0),
            evidence.furniture,
            mended,
        )
        + "\n".join(index_report + page_reference_report(files))
        + "\n"
    )
    return IngestResult(
        files=tuple(files),
        metadata=meta,
        report=report,
        diagnostics=tuple(diagnostics),
        images=tuple(sorted(closer.images.items())),
        source_lines=tuple(t for _, t in source_lines),
        unit_starts=tuple(sorted((unit.line, f"book/{name}.md") for unit, name in zip(units, names))),
        decisions=_decisions(
            lines, parts, contents, body, units, names, meta, evidence.furniture, artefacts + closer.diagnostics
        ),
    )


def _mend_punctuation(units: list[DraftUnit], path: str) -> list[Diagnostic]:
    """The lints' safe fixes (book.lints.fix_markdown) made in the text ingest writes,
    each reported at its source line: ellipses and dashes doubled, interpuncts made
    U+00B7, half-width marks between Han made full-width, a space between Han and Latin
    dropped. Code and raw HTML blocks are left as they are."""
    mended = []
    for unit in units:
        for block in unit.blocks:
            if block.text.lstrip().startswith(("```", "~~~", "<", "    ", "$$")):
                continue
            fixed, changes = fix_markdown(block.text)
            if changes:
                block.text = fixed
                for lint in changes:
                    words = f"{lint.found!r} → {lint.fixed!r}"
                    mended.append(
                        Diagnostic(lint.code, f"{lint.message.split(':')[0]}: changed, {words}", path, block.line)
                    )
    return mended


def _decisions(
    lines: Lines, parts, contents: ContentsResult, body: BodyResult, units, names, meta: Metadata, furniture, changed
) -> tuple[tuple[int, tuple[tuple[str, str], ...]], ...]:
    """What ingest decided at each source line, for the proofing page: (kind, words),
    kind one of removed, metadata, contents, missing, front, page, join, unit, entry,
    changed, note."""
    found: dict[int, list[tuple[str, str]]] = {}

    def add(line: int | None, kind: str, words: str) -> None:
        if line:
            found.setdefault(line, []).append((kind, words))

    for line, why in body.removed + contents.removed + _structural_headings(lines, parts) + list(furniture.items()):
        add(line, "removed", f"removed: {why}")
    for line, text in parts.cip:
        if text.strip():
            fields = _fields_in(text, meta)
            add(line, "metadata", "CIP record → metadata.yaml" + (f" ({', '.join(fields)})" if fields else ""))
    for line, text in parts.colophon:
        if text.strip():
            add(line, "metadata", "colophon → metadata.yaml (print:)")
    if parts.contents_heading is not None:
        for line, text in lines[parts.contents_heading + 1 : contents.end]:
            if text.strip() and line not in found:
                add(line, "contents", "contents page → metadata.yaml (contents:)")
    for index, entry in enumerate(contents.entries):
        if entry.kind == "group":
            continue
        if index in body.matched:
            add(entry.line, "contents", f"contents entry “{entry.title}”: found in the body")
        else:
            add(entry.line, "missing", f"contents entry “{entry.title}”: NOT found in the body")
    for line, why in body.to_front_matter:
        add(line, "front", f"→ front matter ({why})")
    for line, kind, words in body.decisions:
        add(line, kind, words)
    for unit, name in zip(units, names):
        began = [i for i, (kind, _) in enumerate(found.get(unit.line, [])) if kind == "unit"]
        if began:  # the body's own words for it, with the file it went to
            kind, words = found[unit.line][began[0]]
            found[unit.line][began[0]] = (kind, f"{words} → book/{name}.md")
        else:
            add(unit.line, "unit", f"{unit.kind} “{unit.title}” → book/{name}.md")
    for d in changed:
        add(d.line, "changed", f"changed so that the book builds: {d.message}")
    return tuple((line, tuple(found[line])) for line in sorted(found))


def _fields_in(text: str, meta: Metadata) -> list[str]:
    """The metadata fields whose values this line of the record printed."""
    digits = re.sub(r"[^0-9Xx]", "", text)
    values = {
        "title": [meta.title],
        "subtitle": [meta.subtitle],
        "creators": [c.name for c in meta.creators],
        "publisher": [meta.publisher],
        "place": [meta.place],
        "date": [meta.date[:4]],
        "subjects": list(meta.subjects),
        "classification": list(meta.classification),
    }
    fields = [name for name, found in values.items() if any(v and v in text for v in found)]
    isbns = [meta.isbn, meta.print_isbn]
    if any(i and re.sub(r"[^0-9Xx]", "", i) in digits for i in isbns):
        fields.append("isbn")
    return fields


def _parse_record(parts, path: str, diagnostics: list[Diagnostic]) -> CipRecord:
    if parts.cip_style == "cn":
        return parse_cip(parts.cip, path)
    if parts.cip_style == "loc":
        return parse_loc(parts.cip, path)
    if parts.cip_style == "tw":
        return parse_tw(parts.cip, path)
    diagnostics.append(
        Diagnostic(
            "M006",
            "no CIP record (图书在版编目(CIP)数据 or Library of Congress Cataloging-in-Publication Data) found",
            path,
            1,
        )
    )
    return CipRecord()


def _after(parts, lines: Lines) -> int:
    last = max((n for block in parts.front for n, _ in block), default=0)
    last = max([last] + [n for n, _ in parts.colophon] + [n for n, _ in parts.cip])
    return last  # lines are numbered from 1, so line N sits at index N-1; N is the next


def _front_units(blocks, book_title: str, plain: bool = False) -> list[DraftUnit]:
    """Pages before the CIP record: the last is the title page, those before it the cover."""
    if not blocks:
        return []
    cover = [line for block in blocks[:-1] for line in block]
    pages = [("cover", cover)] if cover else []
    pages.append(("titlepage", blocks[-1]))
    units = []
    for kind, lines in pages:
        title_line = next((n for n, t in lines if heading_level(t) == 1), None)
        title = tidy_title(strip_heading(dict(lines)[title_line])) if title_line else book_title
        unit = DraftUnit(title=title or book_title, kind=kind, line=lines[0][0])
        for piece in split_blocks([(n, t) for n, t in lines if n != title_line]):
            unit.blocks.append(Block("\n".join(_front_line(t, plain) for _, t in piece), piece[0][0]))
        units.append(unit)
    return units


def _front_line(text: str, plain: bool = False) -> str:
    hard_break = "  " if text.endswith("  ") else ""
    line = tidy_title(strip_heading(text))
    return (escape_plain(line) if plain else line) + hard_break


def _file_names(units: list[DraftUnit]) -> list[str]:
    names, seen = [], set()
    for index, unit in enumerate(units, 1):
        slug = unit.kind
        number = _unit_number(unit.title)
        if unit.kind in ("chapter", "part") and number:
            slug = f"{unit.kind}-{number}"
        names.append(f"{index:02d}-{unique_name(slug, seen)}")
    return names


def _unit_number(title: str) -> int | None:
    """第十二章 -> 12, Chapter 3 / 3 The Title -> 3, Part IV -> 4."""
    cjk = re.match(r"第(.+?)[章篇部卷编]", title)
    if cjk:
        return cn_number(cjk.group(1))
    latin = re.match(r"(?:(?:Chapter|Part)\s+)?(\d+|[IVXLC]+)\b", title)
    if latin:
        return int(latin.group(1)) if latin.group(1).isdigit() else roman_value(latin.group(1))
    return None


_MARKER_RE = re.compile(r"\{\{page\s+([^}\s]+)\s*\}\}")


def _link_printed_index(units: list[DraftUnit]) -> list[str]:
    """A printed index's page numbers linked to the pages the book marks (ingest.index);
    the report's lines about it."""
    index_units = [unit for unit in units if unit.kind == "index"]
    if not index_units:
        return []
    pages = set()
    for unit in units:
        pages.update(p for p in [unit.page, *unit.known_pages, *unit.inferred_pages] if p)
        for block in unit.blocks:
            pages.update(_MARKER_RE.findall(block.text))
    linked = lacking = entries = 0
    for unit in index_units:
        for block in unit.blocks:
            if block.heading:
                continue
            block.text, found, missing = link_pages(block.text, pages)
            linked, lacking = linked + found, lacking + missing
            entries += sum(1 for line in block.text.split("\n") if line.lstrip().startswith("- "))
    return [
        f"printed index: {entries} entries, {linked} page numbers linked to their pages, "
        f"{lacking} left as numbers (pages this book has no marker for)"
    ]


def unit_markdown(unit: DraftUnit) -> str:
    front: dict[str, object] = {"title": unit.title, "kind": unit.kind}
    if unit.page:
        front["page"] = _page_value(unit.page)
    if unit.group:
        front["group"] = unit.group
    if unit.author:
        front["author"] = unit.author
    if unit.author_note:
        front["author_note"] = unit.author_note
    if unit.inferred_pages:
        front["inferred_pages"] = [_page_value(p) for p in unit.inferred_pages]
    head = yaml.safe_dump(front, allow_unicode=True, sort_keys=False, width=1000)
    body = "\n\n".join(("#" * b.heading + " " if b.heading else "") + b.text for b in unit.blocks)
    return f"---\n{head}---\n\n{body}\n" if body else f"---\n{head}---\n"


def _page_value(label: str) -> int | str:
    return int(label) if label.isdigit() else label


def _structural_headings(lines: Lines, parts) -> list[tuple[int, str]]:
    found = []
    if parts.cip_heading is not None:
        found.append((parts.cip_heading, "CIP record heading (the record is in metadata.yaml)"))
    if parts.contents_heading is not None:
        found.append((lines[parts.contents_heading][0], "contents heading"))
    return found


def _check_nothing_lost(lines, parts, contents, body: BodyResult, units, names, path) -> None:
    """Every non-blank source line must be in a unit, in metadata, or removed for a reason."""
    placed = {n for n, _ in parts.cip} | {n for n, _ in parts.colophon}
    placed |= {n for n, _ in body.removed} | {n for n, _ in contents.removed}
    placed |= {n for n, _ in body.to_front_matter} | {parts.cip_heading}
    if parts.contents_heading is not None:
        placed |= {n for n, _ in lines[parts.contents_heading : contents.end]}
    # compared as written and as text (what a plain-text source escaped, unescaped)
    written = {id(u): _MARKER_RE.sub("", unit_markdown(u)) for u in units}
    texts = {
        uid: md + "\n" + html.unescape(_ESCAPE_RE.sub(r"\1", md)) if "\\" in md or "&" in md else md
        for uid, md in written.items()
    }
    flat = {uid: "".join(text.split()) for uid, text in texts.items()}
    keys: dict[int, str] = {}  # made when a line is not found as it is (most are)
    starts = sorted((u.line, id(u)) for u in units)
    first_lines = [start for start, _ in starts]
    lost = []
    for number, text in lines:
        if not text.strip() or number in placed:
            continue
        at = bisect.bisect_right(first_lines, number) - 1
        owner = starts[at][1] if at >= 0 else None
        plain = "".join(strip_heading(text).split())
        if owner is None:
            lost.append(number)
            continue
        if plain in flat[owner] or plain.endswith("-") and plain[:-1] in flat[owner]:
            continue  # (a word hyphenated at the line's end was joined)
        if owner not in keys:
            keys[owner] = match_key(texts[owner])
        if match_key(text) not in keys[owner]:
            lost.append(number)
    if lost:
        raise InputError(
            f"{path}:{lost[0]}: ingest would lose {len(lost)} source line(s) "
            f"(lines {', '.join(map(str, lost[:10]))}); nothing was written"
        )


def _shortlist(names: list[str], shown: int = 8) -> str:
    if len(names) <= shown:
        return ", ".join(names)
    return ", ".join(names[: shown - 1]) + f", … {names[-1]}"


def _report(
    path,
    lines,
    parts,
    contents,
    body: BodyResult,
    names,
    units,
    missing,
    changed=(),
    furniture: dict[int, str] | None = None,
    mended=(),
) -> str:
    removed = sorted(
        body.removed + contents.removed + _structural_headings(lines, parts) + list((furniture or {}).items())
    )
    known = sum(len(u.known_pages) + (1 if u.page else 0) for u in units)
    inferred = sum(len(u.inferred_pages) for u in units)
    entries = [e for e in contents.entries if e.kind != "group"]
    out = [
        f"ingest report for {path}",
        f"source lines: {len(lines)} ({sum(1 for _, t in lines if t.strip())} non-blank)",
        f"units written: {len(units)} ({_shortlist([f'book/{n}.md' for n in names])})",
        f"contents entries: {len(entries)}; matched in the body: {len(entries) - len(missing)}; "
        f"missing from the source: {len(missing)}",
        f"print pages: {known} known, {inferred} inferred from counted page breaks",
        f"to metadata.yaml: {sum(1 for _, t in parts.cip if t.strip())} CIP record lines, "
        f"{sum(1 for _, t in parts.colophon if t.strip())} colophon "
        f"lines, contents page lines {lines[parts.contents_heading][0] if parts.contents_heading is not None else '-'}"
        f"–{lines[contents.end - 1][0] if contents.end else '-'}",
        f"to front matter: {len(body.to_front_matter)} lines (titles, group labels, bylines)",
        f"removed: {len(removed)} lines",
    ]
    out += [f"  line {n}: {why}" for n, why in removed]
    if changed:
        out.append(f"changed so that the book builds: {len(changed)}")
        out += [f"  line {d.line}: {d.message}" for d in changed]
    if mended:
        out.append(f"punctuation mended (the safe fixes of check's lints): {len(mended)}")
        out += [f"  line {d.line}: {d.code} {d.message}" for d in mended]
    if missing:
        out.append("contents entries not in the source:")
        out += [
            f"  line {e.line}: {'  ' * (e.level - 1)}{e.title}" + (f" (p. {e.page})" if e.page else "") for e in missing
        ]
    return "\n".join(out) + "\n"
