"""metadata.yaml: its schema, read into the model (with line numbers) and written back."""

from __future__ import annotations

import datetime as dt
import re

import yaml

from bookbuild.diagnostics import Diagnostic
from bookbuild.isbn import isbn_is_valid
from bookbuild.model import Cip, ContentsEntry, Creator, Metadata, PrintLine

ROLES = ("author", "editor", "translator", "illustrator", "contributor")
KNOWN_KEYS = ("title", "subtitle", "language", "creators", "publisher", "place", "date",
              "edition", "isbn", "subjects", "classification", "cip", "print", "contents",
              "modified", "suppress", "source")
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
        if not isinstance(value, list) or not all(isinstance(v, (str, int, float)) for v in value):
            self.bad(key, f"`{key}` must be a list of text")
            return ()
        return tuple(str(v) for v in value)


def parse_metadata(text: str, path: str = "metadata.yaml") -> tuple[Metadata, list[Diagnostic]]:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        problem = getattr(exc, "problem", None) or str(exc)
        return _empty(path), [Diagnostic("M001", f"not valid YAML: {problem}", path, line)]
    if not isinstance(data, dict):
        return _empty(path), [Diagnostic("M001", "metadata.yaml must be a mapping of fields", path, 1)]
    lines = {k.value: k.start_mark.line + 1 for k, _ in node.value} if node else {}
    r = _Reader(path, lines)
    for key in data:
        if key not in KNOWN_KEYS:
            r.bad(key, f"unknown key `{key}` (known: {', '.join(KNOWN_KEYS)})", "M007")
    date = r.text(data, "date")
    if date and not _DATE_RE.match(date):
        r.bad("date", f"`date` must be YYYY, YYYY-MM or YYYY-MM-DD, not {date!r}")
    isbn = r.text(data, "isbn")
    if isbn and not isbn_is_valid(isbn):
        r.bad("isbn", f"ISBN {isbn} has a wrong check digit (or is not 10 or 13 digits)", "M003")
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
        subjects=r.text_list(data, "subjects"),
        classification=r.text_list(data, "classification"),
        cip=_cip(data.get("cip"), r),
        print_lines=_print_lines(data.get("print"), r),
        contents=_contents(data.get("contents"), r),
        modified=r.text(data, "modified"),
        suppress=frozenset(r.text_list(data, "suppress")),
        path=path,
        lines=tuple(sorted(lines.items())),
    )
    return meta, r.diagnostics


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
        out.append(Creator(name=item["name"], role=role, file_as=str(item.get("file_as") or item["name"]),
                           et_al=bool(item.get("et_al", False))))
    return tuple(out)


def _cip(value, r: _Reader) -> Cip:
    if not value:
        return Cip()
    if not isinstance(value, dict):
        r.bad("cip", "`cip` must be a mapping")
        return Cip()
    points = value.get("access_points") or {}
    return Cip(raw=str(value.get("raw") or "").strip(), number=str(value.get("number") or ""),
               agency=str(value.get("agency") or ""),
               access_points=tuple((str(k), tuple(str(i) for i in (v or []))) for k, v in points.items())
               if isinstance(points, dict) else ())


def _print_lines(value, r: _Reader) -> tuple[PrintLine, ...]:
    if not value:
        return ()
    if not isinstance(value, list):
        r.bad("print", "`print` must be a list")
        return ()
    out = []
    for item in value:
        if isinstance(item, dict) and "label" in item:
            out.append(PrintLine(value=str(item.get("value", "")), label=str(item["label"]),
                                 key=str(item.get("key") or item["label"])))
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
        page = item.get("page")
        out.append(ContentsEntry(title=str(item["title"]), kind=str(item.get("kind", "chapter")),
                                 level=int(item.get("level", 1)),
                                 page=None if page is None else str(page),
                                 author=item.get("author"), line=int(item.get("source_line", 0))))
    return tuple(out)


def dump_metadata(meta: Metadata, source: str = "") -> str:
    data: dict[str, object] = {"title": meta.title}
    if meta.subtitle:
        data["subtitle"] = meta.subtitle
    data["language"] = meta.language
    data["creators"] = [_creator_dict(c) for c in meta.creators]
    for key in ("publisher", "place", "date", "edition", "isbn"):
        if getattr(meta, key):
            data[key] = getattr(meta, key)
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
        data["print"] = [{"label": p.label, "key": p.key, "value": p.value} if p.label
                         else {"note": p.value} for p in meta.print_lines]
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
