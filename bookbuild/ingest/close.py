"""The pipeline closes: whatever ingest writes, build accepts.

Ingest passes what it does not understand through as Markdown, and raw extractions are
full of what the build refuses: malformed or active raw HTML, entities HTML does not
know, page markers with odd labels, images that were never extracted. Each block that
could hold such things is put to the build's own parser (bookbuild.book.parse.parse_unit);
what it refuses is repaired where that loses nothing (HTML re-parsed by lxml's forgiving
HTML parser, script, styles and event handlers dropped) and otherwise kept as escaped,
visible text. Images are found beside the source and copied into book/images/, or
become a visible placeholder. Every change is reported (S022) with its source line.
"""

from __future__ import annotations

import html
import html.entities
import re
from pathlib import Path

from bookbuild.book.model import UnitSource
from bookbuild.diagnostics import Diagnostic, Severity
from bookbuild.ingest.body import DraftUnit

_SUSPECT = re.compile(r"[<&]|\{\{|!\[")
_IMAGE_RE = re.compile(r"!\[(?P<alt>[^\]\n]*)\]\(\s*<?(?P<src>[^)\n\"<>]+?)>?(?:\s+\"[^\"\n]*\")?\s*\)")
_HTML_IMAGE_RE = re.compile(r"""<img\b[^>]*?\bsrc\s*=\s*["'](?P<src>[^"']+)["'][^>]*>""", re.I)
_DROPPED = (
    "script",
    "style",
    "iframe",
    "object",
    "embed",
    "form",
    "frame",
    "frameset",
    "base",
    "link",
    "meta",
    "applet",
)
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]<>#!|])")
_ACTIVE_BLOCK_RE = re.compile(r"<(style|script)\b[^>]*>.*?</\1\s*>", re.S | re.I)
# TeX math as extractors write it: $$…$$, $…$ (on one line), \[…\], \(…\)
_MATH_RE = re.compile(r"\$\$.+?\$\$|(?<![\\$])\$[^$\n]+?\$|\\\[.+?\\\]|\\\(.+?\\\)", re.S)
_ID_RE = re.compile(r"""\bid\s*=\s*["']([^"']+)["']|\{#([^\s}]+)\}""")
_LOCAL_LINK_RE = re.compile(r"\[(?P<text>[^\]\n]*)\]\(#(?P<target>[^)\s]+)\)")


class Closer:
    """Makes the units of one ingest buildable; collects the images to write."""

    def __init__(self, source_path: str, language: str, plain: bool = False):
        self.path = source_path
        self.folder = Path(source_path).resolve().parent
        self.chinese = language.startswith("zh")
        # plain text was escaped as it was read (body.escape_plain): valid by construction,
        # and its '$' are dollars, not math
        self.plain = plain
        self.images: dict[str, bytes] = {}  # path under book/ -> bytes
        self.diagnostics: list[Diagnostic] = []
        self.caption = ""  # the caption next to the block being closed, for images' alt text

    def close(self, units: list[DraftUnit], book_title: str) -> None:
        for unit in units:
            if not unit.title.strip():
                unit.title = book_title if unit.kind in ("titlepage", "cover") else self._untitled()
                self._report(unit.line, f"a {unit.kind} with no title: titled {unit.title!r}")
            for index, block in enumerate(unit.blocks):
                self.caption = _caption_near(unit.blocks, index)
                if not block.heading and _ACTIVE_BLOCK_RE.search(block.text):
                    for found in _ACTIVE_BLOCK_RE.finditer(block.text):
                        self._report(
                            block.line,
                            f"<{found.group(1).lower()}> block removed "
                            f"({found.group().count(chr(10)) + 1} lines): a book "
                            "styles itself from styles/, and runs nothing",
                        )
                    block.text = _ACTIVE_BLOCK_RE.sub("", block.text).strip()
                if block.heading and not self.plain and _SUSPECT.search(block.text):
                    # a heading holds text only: what looks like markup in one is text
                    self._report(block.line, "markup in a heading kept as text")
                    block.text = _as_text(block.text)
                if self.plain or block.heading:
                    continue
                if _MATH_RE.search(block.text):
                    block.text = _MATH_RE.sub(lambda m: _math_as_written(m.group()), block.text)
                # the page markers ingest itself placed are valid by construction
                if _SUSPECT.search(_MARKER_RE.sub("", block.text)):
                    block.text = self._block(block.text, block.line)
            unit.blocks = [b for b in unit.blocks if b.heading or b.text.strip()]
        self._unlink_missing_targets(units)

    def _unlink_missing_targets(self, units: list[DraftUnit]) -> None:
        """An extractor links to anchors of pages it did not keep ("[11.10](#page-132-0)"):
        such a link keeps its text and loses its target, so no link leads nowhere."""
        ids = {m.group(1) or m.group(2) for unit in units for block in unit.blocks for m in _ID_RE.finditer(block.text)}
        for unit in units:
            for block in unit.blocks:

                def unlink(m: re.Match, line: int = block.line) -> str:
                    if m.group("target") in ids:
                        return m.group()
                    self._report(line, f"link to #{m.group('target')} has no target in the book: kept as text")
                    return m.group("text")

                if "](#" in block.text:
                    block.text = _LOCAL_LINK_RE.sub(unlink, block.text)

    # -- one block ------------------------------------------------------------------------
    def _block(self, text: str, line: int) -> str:
        text = _IMAGE_RE.sub(lambda m: self._markdown_image(m, line), text)
        text = _HTML_IMAGE_RE.sub(lambda m: self._html_image(m, line), text)
        problems = self._refused(text)
        if not problems:
            return text
        for repair, what in (
            (_repair_entities, "entities HTML does not know written as text"),
            (_repair_html, "raw HTML repaired"),
        ):
            repaired = repair(text)
            if repaired is not None and repaired != text and not self._refused(repaired):
                self._report(line, f"{what} ({problems[0]}); check it against the source")
                return repaired
        self._report(line, f"kept as plain text: the build refuses it ({problems[0]})")
        return _as_text(text)

    def _refused(self, text: str) -> list[str]:
        # imported here: most sources have no block to check, and the parser brings in
        # Python-Markdown and lxml (a tenth of a second for ingest of 1,000 pages)
        from bookbuild.book.parse import parse_unit

        unit, found = parse_unit(
            UnitSource(path=self.path, name="x", title="x", kind="chapter", body=text + "\n", body_line=1)
        )
        return [f"{d.code} {d.message}" for d in found if d.severity is Severity.ERROR]

    def _markdown_image(self, match: re.Match, line: int) -> str:
        name = self._image(match.group("src"), line)
        if name is None:
            return self._placeholder(match.group("src"))
        alt = match.group("alt").strip()
        return f"![{alt if alt.lower() not in _EMPTY_ALTS else self._alt(name)}](images/{name})"

    def _html_image(self, match: re.Match, line: int) -> str:
        name = self._image(match.group("src"), line)
        if name is None:
            return self._placeholder(match.group("src"))
        tag = match.group(0)
        start, end = match.span("src")
        tag = tag[: start - match.start()] + f"images/{name}" + tag[end - match.start() :]
        alt = re.search(r"""\balt\s*=\s*["']([^"']*)["']""", tag, re.I)
        if alt and alt.group(1).strip().lower() not in _EMPTY_ALTS:
            return tag
        tag = re.sub(r"""\s\balt\s*=\s*["'][^"']*["']""", "", tag, flags=re.I)
        return tag.replace("<img", f'<img alt="{html.escape(self._alt(name))}"', 1)

    def _image(self, src: str, line: int) -> str | None:
        """The image copied into book/images/: its name there; None (reported) when it
        cannot be."""
        from bookbuild.book.images import IMAGE_TYPES, image_problem  # the build's rules (see _refused)

        problem, data = None, b""
        local = "://" not in src and not src.startswith(("/", "data:"))
        path = (self.folder / src).resolve() if local else None
        if path is None or not path.is_relative_to(self.folder):
            problem = "not a file beside the source"
        elif not path.is_file():
            problem = "not found beside the source"
        elif path.suffix.lower() not in IMAGE_TYPES:
            problem = "not a PNG, JPEG, GIF, SVG or WebP image"
        else:
            data = path.read_bytes()
            problem = image_problem(path.suffix.lower(), data)
        if problem:
            self._report(line, f"image {src}: {problem}; a visible placeholder stands in its place")
            return None
        return self._image_name(path, data)

    def _placeholder(self, src: str) -> str:
        if self.chinese:
            return f"［图片缺失：{_as_text(src)}］"
        return f"［missing image: {_as_text(src)}］"

    def _image_name(self, path: Path, data: bytes) -> str:
        stem = re.sub(r"[^A-Za-z0-9._-]", "-", path.stem).strip("-.") or "image"
        name, n = f"{stem}{path.suffix.lower()}", 2
        while f"images/{name}" in self.images and self.images[f"images/{name}"] != data:
            name, n = f"{stem}-{n}{path.suffix.lower()}", n + 1
        self.images[f"images/{name}"] = data
        return name

    def _alt(self, name: str) -> str:
        if self.caption:  # the figure's own caption says what it shows
            return self.caption
        stem = name.rsplit(".", 1)[0]
        return f"图：{stem}" if self.chinese else f"Figure: {stem}"

    def _untitled(self) -> str:
        return "（无标题）" if self.chinese else "(untitled)"

    def _report(self, line: int, message: str) -> None:
        self.diagnostics.append(Diagnostic("S022", message, self.path, line))


def _repair_entities(text: str) -> str:
    """`&name;` that HTML does not know, and a bare `&`, written as text."""

    def fix(match: re.Match) -> str:
        name = match.group(1)
        known = name is not None and (name.startswith("#") or f"{name};" in html.entities.html5)
        return match.group(0) if known else "&amp;" + match.group(0)[1:]

    return re.sub(r"&(#\d+(?=;)|#[xX][0-9A-Fa-f]+(?=;)|[A-Za-z][A-Za-z0-9]*(?=;))?", fix, text)


def _repair_html(text: str) -> str | None:
    """The block re-parsed by lxml's HTML parser (it closes what is open, drops what is
    stray) and written as XML, without active or styling elements and event handlers."""
    from lxml import etree
    from lxml import html as lxml_html

    try:
        pieces = lxml_html.fragments_fromstring(text)
    except (etree.ParserError, ValueError):
        return None
    out = []
    for piece in pieces:
        if isinstance(piece, str):
            out.append(html.escape(piece, quote=False))
            continue
        if not isinstance(piece.tag, str):  # a comment or processing instruction
            continue
        for element in list(piece.iter()):
            if not isinstance(element.tag, str) or element.tag.lower() in _DROPPED:
                if element is piece:
                    break
                element.drop_tree()
                continue
            for name in list(element.attrib):
                if name.lower().startswith("on") or name.lower() == "style":
                    del element.attrib[name]
        else:
            out.append(etree.tostring(piece, method="xml", encoding="unicode"))
    return "".join(out) or None


_MARKER_RE = re.compile(r"(\{\{page (?:\d+|[ivxlcdm]+)\}\})")


_EMPTY_ALTS = {"", "image", "img", "figure", "picture", "图", "图片"}  # extractors' placeholders
# "图 1-2 …", "表 3.1 …", "Figure 3.1. …", "Fig. 1. …", "Table 2: …"
_CAPTION_RE = re.compile(r"^(?:[图表]\s*\d+(?:[-.．]\d+)*|(?:Figure|Fig\.|Table|Plate)\s*\d+(?:[-.]\d+)*[.:]?)\s*\S")


def _caption_near(blocks, index: int) -> str:
    """The caption printed with the figure in blocks[index]: on a line of its own below
    the image, or in one of the next few blocks (after sub-figure labels like "(a)")."""
    if "<img" not in blocks[index].text and "![" not in blocks[index].text:
        return ""
    candidates = blocks[index].text.split("\n")[1:] + [b.text for b in blocks[index + 1 : index + 5]]
    for text in candidates:
        plain = " ".join(re.sub(r"<[^>]+>|[*_]", "", text).split())
        if _CAPTION_RE.match(plain):
            return plain[:200]
    return ""


def _math_as_written(math: str) -> str:
    """Math stays as the extractor wrote it: every character Markdown would read as
    markup is escaped, so the outputs show the TeX source (MathML is for later)."""
    return _MARKDOWN_SPECIALS.sub(
        lambda m: {"<": "&lt;", ">": "&gt;"}.get(m.group(), "\\" + m.group()), math.replace("&", "&amp;")
    )


def _as_text(text: str) -> str:
    """Text shown as written: Markdown and HTML syntax escaped (odd page-marker braces
    too), the page markers ingest placed kept."""
    pieces = _MARKER_RE.split(text)
    return "".join(
        piece if index % 2 else _MARKDOWN_SPECIALS.sub(r"\\\1", piece).replace("&", "&amp;")
        for index, piece in enumerate(pieces)
    )
