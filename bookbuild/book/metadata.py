"""metadata.yaml: its schema, read into the model (with line numbers) and written back."""

from __future__ import annotations

import datetime as dt
import re

import yaml

from bookbuild.book.isbn import isbn_is_valid
from bookbuild.book.model import Cip, ContentsEntry, Creator, IsbnEntry, Metadata, PrintLine
from bookbuild.book.textfile import key_lines, load_yaml
from bookbuild.diagnostics import CATALOGUE, Diagnostic, Severity

ROLES = ("author", "editor", "translator", "illustrator", "contributor")
KNOWN_KEYS = (
    "title",
    "subtitle",
    "language",
    "creators",
    "publisher",
    "place",
    "date",
    "edition",
    "isbn",
    "print_isbn",
    "isbns",
    "subjects",
    "classification",
    "cip",
    "print",
    "contents",
    "modified",
    "suppress",
    "source",
    "page_references",
    "figure_numbering",
    "lists_of",
    "index_order",
    "cover",
    "traditional",
)
_DATE_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


class _Reader:
    """Reads one mapping, turning every wrong value into a diagnostic at its line."""

    def __init__(self, path: str, lines: dict[str, int]):
        self.path, self.lines, self.diagnostics = path, lines, []

    def bad(self, key: str, message: str, code: str = "M005") -> None:
        self.diagnostics.append(Diagnostic(code, message, self.path, self.lines.get(key, 1)))

    def text(self, data: dict, key: str, required: bool = False) -> str:
        value = data.get(key)
        if value is None or value == "":
            if required:
                self.bad(key, f"`{key}` is required", "M002")
            return ""
        if isinstance(value, bool):
            self.bad(key, f"`{key}` must be text, not yes/no: put the value in quotes")
            return ""
        if isinstance(value, (dt.date, int, float)):
            return str(value)
        if not isinstance(value, str):
            self.bad(key, f"`{key}` must be text, not {type(value).__name__}")
            return ""
        return value.strip()

    def text_list(self, data: dict, key: str) -> tuple[str, ...]:
        value = data.get(key) or []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(
            isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value
        ):
            self.bad(key, f"`{key}` must be a list of text")
            return ()
        return tuple(str(v) for v in value)


def parse_metadata(text: str, path: str = "metadata.yaml") -> tuple[Metadata, list[Diagnostic]]:
    data, node, found = load_yaml(text, path, "M001", "M005")
    if found:
        return _empty(path), found
    if not isinstance(data, dict):
        return _empty(path), [Diagnostic("M001", "metadata.yaml must be a mapping of fields", path, 1)]
    lines = key_lines(node)
    r = _Reader(path, lines)
    for key in data:
        if key not in KNOWN_KEYS:
            r.bad(key, f"unknown key `{key}` (known: {', '.join(KNOWN_KEYS)})", "M007")
    date = r.text(data, "date")
    if date and not _is_date(date):
        r.bad("date", f"`date` must be a real date written YYYY, YYYY-MM or YYYY-MM-DD, not {date!r}")
    isbn, print_isbn = r.text(data, "isbn"), r.text(data, "print_isbn")
    for key, value in (("isbn", isbn), ("print_isbn", print_isbn)):
        if value and not isbn_is_valid(value):
            r.bad(key, f"ISBN {value} has a wrong check digit (or is not 10 or 13 digits)", "M003")
    meta = Metadata(
        title=r.text(data, "title", required=True),
        subtitle=r.text(data, "subtitle"),
        language=r.text(data, "language", required=True),
        creators=_creators(data.get("creators"), r),
        publisher=r.text(data, "publisher"),
        place=r.text(data, "place"),
        date=date,
        edition=r.text(data, "edition"),
        isbn=isbn,
        print_isbn=print_isbn,
        isbns=_isbns(data.get("isbns"), r),
        subjects=r.text_list(data, "subjects"),
        classification=r.text_list(data, "classification"),
        cip=_cip(data.get("cip"), r),
        print_lines=_print_lines(data.get("print"), r),
        contents=_contents(data.get("contents"), r),
        modified=_modified(data.get("modified"), r),
        suppress=suppress_codes(r.text_list(data, "suppress"), r),
        page_references=_yes_no(data, "page_references", True, r),
        figure_numbering=_one_of(data, "figure_numbering", ("chapter", "book", "none"), r),
        lists_of=_lists_of(r.text_list(data, "lists_of"), r),
        index_order=_one_of(data, "index_order", ("pinyin", "strokes"), r),
        cover=r.text(data, "cover"),
        traditional=_phrase_pairs(data.get("traditional"), r),
        path=path,
        lines=tuple(sorted(lines.items())),
    )
    return meta, r.diagnostics


def _phrase_pairs(value: object, r: _Reader) -> tuple[tuple[str, str], ...]:
    """`traditional:` a mapping of Simplified phrases to the Traditional ones wanted."""
    if value is None:
        return ()
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and k.strip() and v.strip() for k, v in value.items()
    ):
        r.bad("traditional", "`traditional` maps Simplified phrases to Traditional ones, e.g. `出席: 出席`")
        return ()
    return tuple(sorted((k.strip(), v.strip()) for k, v in value.items()))


def _lists_of(names: tuple[str, ...], r: _Reader) -> tuple[str, ...]:
    wrong = [name for name in names if name not in ("figures", "tables")]
    if wrong:
        r.bad("lists_of", f"`lists_of` takes figures and tables, not {', '.join(wrong)}")
    return tuple(name for name in ("figures", "tables") if name in names)


def _one_of(data: dict, key: str, choices: tuple[str, ...], r: _Reader) -> str:
    """One of `choices`, the first when the key is absent."""
    value = data.get(key, choices[0])
    if value not in choices:
        r.bad(key, f"`{key}` must be one of {', '.join(choices)}, not {value!r}")
        return choices[0]
    return str(value)


def _yes_no(data: dict, key: str, default: bool, r: _Reader) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        r.bad(key, f"`{key}` must be true or false")
        return default
    return value


def _isbns(value, r: _Reader) -> tuple[IsbnEntry, ...]:
    """`isbns:` — every ISBN the book prints: a list of {isbn, qualifier, medium}."""
    if value is None:
        return ()
    entries = []
    for item in value if isinstance(value, list) else [None]:
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("isbn"), str)
            or not all(isinstance(item.get(k, ""), str) for k in ("qualifier", "medium"))
            or item.get("medium", "") not in ("", "print", "ebook")
        ):
            r.bad("isbns", "`isbns` must be a list of {isbn: …, qualifier: …, medium: print | ebook}")
            return ()
        entries.append(IsbnEntry(item["isbn"], item.get("qualifier", ""), item.get("medium", "")))
    return tuple(entries)


def _is_date(text: str) -> bool:
    if not _DATE_RE.match(text):
        return False
    parts = [int(p) for p in text.split("-")] + [1, 1]
    try:
        dt.date(parts[0], parts[1], parts[2])
    except ValueError:
        return False
    return True


def _modified(value, r: _Reader) -> str:
    """`modified:` as the UTC timestamp dcterms:modified wants (YYYY-MM-DDThh:mm:ssZ),
    whether YAML read it as a timestamp, a date or text."""
    if value is None or value == "":
        return ""
    moment = None
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            moment = None
    if moment is None:
        r.bad("modified", f"`modified` must be an ISO 8601 time such as 2015-07-01T00:00:00Z, not {value!r}")
        return ""
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    if not 1980 <= moment.year <= 2107:  # what a zip entry's date can hold
        r.bad("modified", f"`modified` must lie between 1980 and 2107, not {moment.year}")
        return ""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def suppress_codes(codes: tuple[str, ...], r: _Reader) -> frozenset[str]:
    """The codes a book may silence: warnings and notes of the catalogue. Errors never:
    a build that went on past one would leave out what it could not read."""
    kept = set()
    for code in codes:
        info = CATALOGUE.get(code)
        if info is None:
            r.bad(
                "suppress",
                f"`suppress:` names {code}, which is not a diagnostic code (see docs/DIAGNOSTICS.md)",
                "M009",
            )
        elif info.severity is Severity.ERROR:
            r.bad(
                "suppress",
                f"`suppress:` names {code}, an error: errors cannot be suppressed, fix what it reports",
                "M009",
            )
        else:
            kept.add(code)
    return frozenset(kept)


def _empty(path: str) -> Metadata:
    return Metadata(title="", language="", path=path)


def _creators(value, r: _Reader) -> tuple[Creator, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        r.bad("creators", "`creators` must be a list of {name, role}")
        return ()
    out = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            r.bad("creators", f"creator {item!r} needs a `name`")
            continue
        role = item.get("role", "author")
        if role not in ROLES:
            r.bad("creators", f"creator {item['name']}: role {role!r} is not one of {', '.join(ROLES)}")
            continue
        out.append(
            Creator(
                name=item["name"],
                role=role,
                file_as=str(item.get("file_as") or item["name"]),
                et_al=bool(item.get("et_al", False)),
            )
        )
    return tuple(out)


def _cip(value, r: _Reader) -> Cip:
    if not value:
        return Cip()
    if not isinstance(value, dict):
        r.bad("cip", "`cip` must be a mapping")
        return Cip()
    points = value.get("access_points") or {}
    if not isinstance(points, dict) or not all(isinstance(v, (list, type(None))) for v in points.values()):
        r.bad("cip", "`cip.access_points` must map each point (I, II …) to a list of text")
        points = {}
    return Cip(
        raw=str(value.get("raw") or "").strip(),
        number=str(value.get("number") or ""),
        agency=str(value.get("agency") or ""),
        access_points=tuple((str(k), tuple(str(i) for i in (v or []))) for k, v in points.items()),
    )


def _print_lines(value, r: _Reader) -> tuple[PrintLine, ...]:
    if not value:
        return ()
    if not isinstance(value, list):
        r.bad("print", "`print` must be a list")
        return ()
    out = []
    for item in value:
        if isinstance(item, dict) and "label" in item:
            out.append(
                PrintLine(
                    value=str(item.get("value", "")),
                    label=str(item["label"]),
                    key=str(item.get("key") or item["label"]),
                )
            )
        elif isinstance(item, dict) and "note" in item:
            out.append(PrintLine(value=str(item["note"])))
        else:
            r.bad("print", f"print line {item!r} needs `label` and `value`, or `note`")
    return tuple(out)


def _contents(value, r: _Reader) -> tuple[ContentsEntry, ...]:
    if not value:
        return ()
    if not isinstance(value, list):
        r.bad("contents", "`contents` must be a list")
        return ()
    out = []
    for item in value:
        if not isinstance(item, dict) or "title" not in item:
            r.bad("contents", f"contents entry {item!r} needs a `title`")
            continue
        page, level, line = item.get("page"), item.get("level", 1), item.get("source_line", 0)
        if not _is_count(level) or not _is_count(line) or not isinstance(item.get("author"), (str, type(None))):
            r.bad(
                "contents",
                f"contents entry {str(item['title'])[:40]!r}: `level` and `source_line` "
                "must be whole numbers and `author` text",
            )
            continue
        out.append(
            ContentsEntry(
                title=str(item["title"]),
                kind=str(item.get("kind", "chapter")),
                level=level,
                page=None if page is None else str(page),
                author=item.get("author"),
                line=line,
            )
        )
    return tuple(out)


def _is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 1_000_000


def dump_metadata(meta: Metadata, source: str = "") -> str:
    data: dict[str, object] = {"title": meta.title}
    if meta.subtitle:
        data["subtitle"] = meta.subtitle
    data["language"] = meta.language
    data["creators"] = [_creator_dict(c) for c in meta.creators]
    for key in ("publisher", "place", "date", "edition", "isbn", "print_isbn"):
        if getattr(meta, key):
            data[key] = getattr(meta, key)
    if meta.isbns:
        data["isbns"] = [
            {
                "isbn": e.isbn,
                **({"qualifier": e.qualifier} if e.qualifier else {}),
                **({"medium": e.medium} if e.medium else {}),
            }
            for e in meta.isbns
        ]
    if meta.subjects:
        data["subjects"] = list(meta.subjects)
    if meta.classification:
        data["classification"] = list(meta.classification)
    if meta.cip.raw:
        cip: dict[str, object] = {}
        if meta.cip.agency:
            cip["agency"] = meta.cip.agency
        if meta.cip.number:
            cip["number"] = meta.cip.number
        if meta.cip.access_points:
            cip["access_points"] = {k: list(v) for k, v in meta.cip.access_points}
        cip["raw"] = meta.cip.raw + "\n"
        data["cip"] = cip
    if meta.print_lines:
        data["print"] = [
            {"label": p.label, "key": p.key, "value": p.value} if p.label else {"note": p.value}
            for p in meta.print_lines
        ]
    if meta.contents:
        data["contents"] = [_entry_dict(e) for e in meta.contents]
    if source:
        data["source"] = source
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)


def _creator_dict(c: Creator) -> dict[str, object]:
    out: dict[str, object] = {"name": c.name, "role": c.role}
    if c.file_as and c.file_as != c.name:
        out["file_as"] = c.file_as
    if c.et_al:
        out["et_al"] = True
    return out


def _entry_dict(e: ContentsEntry) -> dict[str, object]:
    out: dict[str, object] = {"title": e.title, "kind": e.kind, "level": e.level}
    if e.page is not None:
        out["page"] = e.page
    if e.author:
        out["author"] = e.author
    if e.line:
        out["source_line"] = e.line
    return out


class _Dumper(yaml.SafeDumper):
    """Block style for multi-line text (the raw CIP record stays readable)."""


def _str_representer(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_representer)
