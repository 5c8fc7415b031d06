"""Ingest an existing EPUB 2 or 3 (a publisher's backlist) into book/ + metadata.yaml.

ebooklib reads the package (metadata, manifest, spine, NCX or nav); each spine document
becomes a unit, its XHTML turned into the Markdown our build reads: headings, paragraphs,
emphasis, links, lists, quotes, code, images (copied into book/images/); what Markdown
has no words for (tables, figures, notes, math) stays as well-formed HTML with only the
attributes the build accepts. Print pages come from the book's own evidence: pagebreak
elements, or the page-list (EPUB 3 nav, EPUB 2 NCX pageList) pointing into the text;
each becomes a {{page N}} marker. The EPUB's own navigation document is not a unit: the
build makes a new one. Nothing in the EPUB runs or reaches outside it: entity
declarations refuse the file, scripts and event handlers are dropped and reported.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from lxml import etree

from bookbuild.book.isbn import isbn_is_valid
from bookbuild.book.kinds import KINDS
from bookbuild.book.model import Creator, Metadata
from bookbuild.book.pages import page_label, page_order
from bookbuild.book.xml import XHTML, safe_parser
from bookbuild.diagnostics import Diagnostic
from bookbuild.errors import InputError
from bookbuild.ingest.body import Block, DraftUnit
from bookbuild.ingest.isbns import format_isbn
from bookbuild.ingest.references import page_reference_report
from bookbuild.ingest.text import escape_plain
from bookbuild.text import unique_name

OPS = "http://www.idpf.org/2007/ops"
_MAX_ENTRIES = 10_000
_MAX_BYTES = 512 * 2**20  # uncompressed, all entries together
_ROLES = {"aut": "author", "edt": "editor", "trl": "translator", "ill": "illustrator"}
_BLOCKS = {
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "blockquote",
    "pre",
    "hr",
    "table",
    "figure",
    "aside",
    "dl",
    "div",
    "section",
    "article",
    "header",
    "footer",
    "main",
    "nav",
    "math",
    "svg",
    "img",
    "figcaption",
    "address",
    "details",
}
_CONTAINERS = {"div", "section", "article", "header", "footer", "main", "body"}
_RAW_KEEP = {"table", "figure", "aside", "dl", "math", "details", "address"}
_KEPT_ATTRIBUTES = {
    "id",
    "href",
    "src",
    "alt",
    "colspan",
    "rowspan",
    "title",
    "lang",
    "dir",
    "scope",
    "headers",
    "width",
    "height",
    "class",
}
_DROPPED = {"script", "style", "iframe", "object", "embed", "form", "link", "meta", "noscript"}
_KIND_BY_TYPE = {name: name for name in KINDS} | {
    "frontispiece": "titlepage",
    "halftitlepage": "titlepage",
    "imprint": "copyright-page",
    "bodymatter": "chapter",
    "acknowledgements": "acknowledgments",
}


def is_epub(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04" and b"mimetypeapplication/epub+zip" in data[:100]


@dataclass
class _Doc:
    href: str  # path inside the EPUB
    root: etree._Element
    unit: DraftUnit
    name: str = ""


@dataclass
class _Import:
    path: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    images: dict[str, bytes] = field(default_factory=dict)  # images/<name> -> bytes
    image_names: dict[str, str] = field(default_factory=dict)  # href in EPUB -> images/<name>
    # (href, id) -> the id it gets in the book: ids are unique across a book and safe in
    # Markdown attribute lists, and every EPUB file had ids of its own
    id_map: dict[tuple[str, str], str] = field(default_factory=dict)
    used_ids: set[str] = field(default_factory=set)
    claimed: set[tuple[str, str]] = field(default_factory=set)
    title_ids: set[tuple[str, str]] = field(default_factory=set)  # a unit's title heading

    def new_id(self, ident: str) -> str:
        base = re.sub(r"[^\w.-]", "-", ident)
        base = base if re.match(r"[A-Za-z_]", base) else f"id-{base}"
        return unique_name(base, self.used_ids)

    def claim(self, href: str, ident: str | None) -> str:
        """The id an element gets where it is written; a second element with the same id
        in one file gets a new one (reported)."""
        if not ident:
            return ""
        if (href, ident) in self.claimed:
            new = self.new_id(ident)
            self.note(f"{href}: id {ident!r} is used twice; the second is now {new!r}")
            return new
        self.claimed.add((href, ident))
        return self.id_map[(href, ident)]

    doc_names: dict[str, str] = field(default_factory=dict)  # href -> NN-slug.md
    page_targets: dict[tuple[str, str], str] = field(default_factory=dict)  # (href, id) -> label
    pages_placed: set[str] = field(default_factory=set)

    def note(self, message: str, code: str = "S022") -> None:
        self.diagnostics.append(Diagnostic(code, message, self.path, 1))


def ingest_epub(data: bytes, path: str):
    from bookbuild.book.metadata import dump_metadata
    from bookbuild.ingest.run import IngestResult, _file_names, unit_markdown

    _check_archive(data, path)
    try:
        from ebooklib import ITEM_COVER, ITEM_IMAGE, ITEM_NAVIGATION, epub

        book = epub.read_epub(io.BytesIO(data), options={"ignore_ncx": False})
    except Exception as exc:  # ebooklib raises many kinds for a damaged package
        raise InputError(f"{path}: not a readable EPUB ({type(exc).__name__}: {exc})") from None
    state = _Import(path)
    meta = _metadata(book, path, state)
    _page_list(book, state)
    # ebooklib files the cover-image item apart from the other pictures
    images = {item.file_name: item for kind in (ITEM_IMAGE, ITEM_COVER) for item in book.get_items_of_type(kind)}
    docs: list[_Doc] = []
    for idref, _linear in book.spine:
        item = book.get_item_with_id(idref)
        if (
            item is None
            or isinstance(item, epub.EpubNav)
            or item.get_type() == ITEM_NAVIGATION
            or "nav" in (getattr(item, "properties", None) or [])
        ):
            continue
        root = _parse(_without_word_joiners(item.get_content()), item.file_name, state)
        if root is None:
            continue
        body = root.find(f"{{{XHTML}}}body")
        if body is None:
            continue
        if _type_of(body, item.file_name) == "toc":
            state.note(f"{item.file_name}: a printed contents page; the build makes the contents anew")
            continue
        title = _first_heading_text(body) or _toc_title(book, item.file_name) or ""
        heading = _first_heading(body)
        if heading is not None and heading.get("id"):
            state.title_ids.add((item.file_name, heading.get("id")))  # links to it go to the unit
        docs.append(
            _Doc(item.file_name, root, DraftUnit(title=title, kind=_type_of(body, item.file_name), line=len(docs) + 1))
        )
        for ident in body.xpath(".//@id"):
            if (item.file_name, ident) not in state.id_map:
                state.id_map[(item.file_name, ident)] = state.new_id(ident)
    if not docs:
        raise InputError(f"{path}: the EPUB's spine has no readable XHTML document")
    names = _file_names([d.unit for d in docs])
    for doc, name in zip(docs, names):
        doc.name = name
        state.doc_names[doc.href] = f"{name}.md"
    for doc in docs:
        _Converter(state, doc, images).run()
        if not doc.unit.title.strip():
            doc.unit.title = meta.title if doc.unit.kind in ("cover", "titlepage") else posixpath.basename(doc.href)
    missing = sorted(set(state.page_targets.values()) - state.pages_placed, key=_page_sort)
    if missing:
        state.note(
            f"{len(missing)} page(s) of the page-list point to no element of the text "
            f"({', '.join(missing[:8])}): no marker for them",
            "P004",
        )
    files = [(f"book/{doc.name}.md", unit_markdown(doc.unit)) for doc in docs]
    files.append(("metadata.yaml", dump_metadata(meta, source=path)))
    report = _report(path, docs, state) + "\n".join(page_reference_report(files)) + "\n"
    return IngestResult(
        files=tuple(files),
        metadata=meta,
        report=report,
        diagnostics=tuple(state.diagnostics),
        images=tuple(sorted(state.images.items())),
    )


def _page_sort(label: str) -> tuple[int, int]:
    return page_order(label)


def _check_archive(data: bytes, path: str) -> None:
    """A zip bomb, a path out of the archive or an entity declaration refuse the file
    before ebooklib parses anything."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise InputError(f"{path}: not a readable EPUB ({exc})") from None
    infos = archive.infolist()
    if len(infos) > _MAX_ENTRIES or sum(i.file_size for i in infos) > _MAX_BYTES:
        raise InputError(
            f"{path}: the EPUB unpacks to more than {_MAX_ENTRIES} files or {_MAX_BYTES // 2**20} MiB; refused"
        )
    for info in infos:
        if info.filename.startswith("/") or ".." in info.filename.split("/"):
            raise InputError(f"{path}: entry {info.filename!r} points outside the EPUB; refused")
        if info.filename.lower().endswith((".opf", ".ncx", ".xhtml", ".html", ".htm", ".xml", ".svg")):
            head = archive.read(info.filename)
            if b"<!ENTITY" in head:
                raise InputError(
                    f"{path}: {info.filename} declares XML entities (which can read "
                    "files or expand without end); refused (S005)"
                )


def _without_word_joiners(content: bytes) -> bytes:
    """Word joiners are typesetting, not text: bookbuild's own EPUBs hold each interpunct
    between two, so that no line starts with it (render.typeset)."""
    return content.replace("\u2060".encode(), b"")


def _parse(content: bytes, href: str, state: _Import):
    try:
        return etree.fromstring(content, safe_parser())
    except etree.XMLSyntaxError:
        pass
    from lxml import html as lxml_html

    try:
        document = lxml_html.document_fromstring(content)
    except (etree.ParserError, ValueError) as exc:
        state.note(f"{href}: not readable as XHTML or HTML ({exc}); left out", "S004")
        return None
    state.note(f"{href}: not well-formed XHTML; read with the HTML parser")
    wrapped = etree.fromstring(etree.tostring(document, method="xml"))  # into the XHTML namespace
    for element in wrapped.iter():
        if isinstance(element.tag, str) and not element.tag.startswith("{"):
            element.tag = f"{{{XHTML}}}{element.tag}"
    return wrapped


def _local(element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _types(element) -> list[str]:
    value = element.get(f"{{{OPS}}}type", "") + " " + element.get("role", "").removeprefix("doc-")
    return value.split()


def _type_of(body, href: str) -> str:
    found = _types(body)
    for section in body.iterchildren():
        if _local(section) in ("section", "div", "article", "nav"):
            found += _types(section)
    for word in found:
        if word in ("toc", "landmarks", "loi", "lot"):
            return "toc"
        if word in _KIND_BY_TYPE:
            return _KIND_BY_TYPE[word]
    stem = posixpath.basename(href).lower()
    for hint, kind in (
        ("cover", "cover"),
        ("title", "titlepage"),
        ("copyright", "copyright-page"),
        ("preface", "preface"),
        ("foreword", "foreword"),
        ("appendix", "appendix"),
    ):
        if hint in stem:
            return kind
    return "chapter"


def _first_heading(body):
    return next((e for e in body.iter() if _local(e) in ("h1", "h2", "h3")), None)


def _first_heading_text(body) -> str:
    heading = _first_heading(body)
    return " ".join("".join(heading.itertext()).split()) if heading is not None else ""


def _toc_title(book, href: str) -> str:
    def walk(entries):
        for entry in entries:
            node, children = entry if isinstance(entry, tuple) else (entry, [])
            target = getattr(node, "href", "") or ""
            if target.split("#")[0] == href and getattr(node, "title", ""):
                return node.title
            found = walk(children)
            if found:
                return found
        return ""

    return walk(book.toc)


def _metadata(book, path: str, state: _Import) -> Metadata:
    def values(name: str) -> list[tuple[str, dict]]:
        return [(v or "", a or {}) for v, a in book.get_metadata("DC", name)]

    refines: dict[str, dict[str, str]] = {}
    for value, attrs in book.get_metadata("OPF", "meta"):
        if attrs.get("refines") and attrs.get("property"):
            refines.setdefault(attrs["refines"].lstrip("#"), {})[attrs["property"]] = value or ""
    titles = values("title")
    main = next(
        (v for v, a in titles if refines.get(a.get("id", ""), {}).get("title-type") == "main"),
        titles[0][0] if titles else "",
    )
    subtitle = next((v for v, a in titles if refines.get(a.get("id", ""), {}).get("title-type") == "subtitle"), "")
    if not main:
        state.note("the EPUB has no dc:title; titled by its file name: correct it in metadata.yaml", "M002")
        main = posixpath.basename(path).rsplit(".", 1)[0]
    creators = []
    for value, attrs in values("creator") + values("contributor"):
        code = (
            refines.get(attrs.get("id", ""), {}).get("role")
            or attrs.get("{http://www.idpf.org/2007/opf}role", "")
            or ("aut" if (value, attrs) in values("creator") else "")
        )
        file_as = refines.get(attrs.get("id", ""), {}).get("file-as") or attrs.get(
            "{http://www.idpf.org/2007/opf}file-as", ""
        )
        if value.strip():
            creators.append(
                Creator(
                    name=value.strip(),
                    role=_ROLES.get(code, "contributor"),
                    file_as=file_as if file_as != value else "",
                )
            )
    language = next((v for v, _ in values("language") if v.strip()), "")
    if not language:
        state.note("the EPUB has no dc:language; 'en' assumed: correct it in metadata.yaml", "M002")
    isbn = _isbn_of([v for v, a in values("identifier")], state)
    print_isbn = _isbn_of([v for v, _ in values("source")], state)
    date = next(
        (m.group() for v, _ in values("date") if (m := re.match(r"\d{4}(?:-\d{2}(?:-\d{2})?)?", v.strip()))), ""
    )
    publisher = next((v.strip() for v, _ in values("publisher") if v.strip()), "")
    subjects = tuple(v.strip() for v, _ in values("subject") if v.strip())
    return Metadata(
        title=main.strip(),
        subtitle=subtitle.strip(),
        language=language.strip() or "en",
        creators=tuple(creators),
        publisher=publisher,
        date=date,
        isbn=isbn,
        print_isbn=print_isbn if print_isbn != isbn else "",
        subjects=subjects,
    )


def _isbn_of(candidates: list[str], state: _Import) -> str:
    for value in candidates:
        digits = re.sub(r"^(?:urn:isbn:|isbn:?\s*)", "", value.strip(), flags=re.I)
        if re.fullmatch(r"[\d\s-]{9,17}[\dXx]", digits) and isbn_is_valid(format_isbn(digits)):
            return format_isbn(digits)
    return ""


def _page_list(book, state: _Import) -> None:
    """(document, id) -> page label from the EPUB 3 nav page-list or the EPUB 2 NCX pageList."""
    from ebooklib import ITEM_NAVIGATION

    for item in book.get_items_of_type(ITEM_NAVIGATION):
        root = _parse(_without_word_joiners(item.get_content()), item.file_name, state)
        if root is None:
            continue
        base = posixpath.dirname(item.file_name)
        for nav in root.iter(f"{{{XHTML}}}nav", "{http://www.daisy.org/z3986/2005/ncx/}pageList"):
            if nav.tag.endswith("pageList") or "page-list" in _types(nav):
                for link in nav.iter(f"{{{XHTML}}}a", "{http://www.daisy.org/z3986/2005/ncx/}pageTarget"):
                    if link.tag.endswith("pageTarget"):
                        content = link.find("{http://www.daisy.org/z3986/2005/ncx/}content")
                        href = content.get("src", "") if content is not None else ""
                        label = link.get("value") or "".join(link.itertext())
                    else:
                        href, label = link.get("href", ""), "".join(link.itertext())
                    document, _, ident = href.partition("#")
                    if document and ident:
                        target = posixpath.normpath(posixpath.join(base, unquote(document)))
                        state.page_targets[(target, ident)] = " ".join(label.split())


class _Converter:
    """One XHTML document -> the blocks of its unit."""

    def __init__(self, state: _Import, doc: _Doc, images: dict):
        self.state, self.doc, self.images = state, doc, images
        self.title_taken = False
        self.pending = ""  # a page marker waiting for the next text

    def run(self) -> None:
        scripts = sum(1 for e in self.doc.root.iter() if _local(e) == "script")
        handlers = sum(
            1
            for e in self.doc.root.iter()
            if isinstance(e.tag, str)
            for a in e.attrib
            if etree.QName(a).localname.lower().startswith("on")
        )
        if scripts or handlers:
            self.state.note(
                f"{self.doc.href}: {scripts} script(s) and {handlers} event handler(s) removed (the book runs nothing)"
            )
        body = self.doc.root.find(f"{{{XHTML}}}body")
        self.container(body, 0)
        if self.pending:
            self.add(self.pending)
        blocks = self.doc.unit.blocks
        if blocks and not self.doc.unit.page:
            first = re.match(r"^\{\{page ([^}]+)\}\}", blocks[0].text)
            if first:  # a unit that begins on a new page: that is its start page
                self.doc.unit.page = first.group(1)
                blocks[0].text = blocks[0].text[first.end() :]
                if not blocks[0].text.strip():
                    blocks.pop(0)

    def add(self, text: str, heading: int = 0) -> None:
        if text.strip():
            self.doc.unit.blocks.append(Block(text, len(self.doc.unit.blocks) + 1, heading))

    def take(self) -> str:
        marker, self.pending = self.pending, ""
        return marker

    # -- page evidence ----------------------------------------------------------------
    def page_break(self, element) -> bool:
        """A pagebreak element, or an element the page-list points at: a marker."""
        ident = element.get("id", "")
        label = self.state.page_targets.get((self.doc.href, ident)) if ident else None
        if "pagebreak" in _types(element):
            label = label or element.get("title") or element.get("aria-label") or "".join(element.itertext())
        if not label:
            return False
        label = " ".join(label.split())
        if label in self.state.pages_placed:
            return "pagebreak" in _types(element)
        normal = page_label(label.lower()) if page_label(label.lower()) else None
        self.state.pages_placed.add(label)
        if normal is None:
            self.state.note(
                f"{self.doc.href}: page {label!r} is not a number the page-list can carry "
                "(arabic or lower-case roman): no marker",
                "P004",
            )
        else:
            self.pending += f"{{{{page {normal}}}}}"
        return "pagebreak" in _types(element)

    # -- blocks -------------------------------------------------------------------------
    def container(self, element, depth: int) -> None:
        inline: list[str] = []
        if element.text and element.text.strip():
            inline.append(escape_plain(" ".join(element.text.split())))
        for child in element:
            name = _local(child)
            if name in _BLOCKS or name in _DROPPED:
                self.flush(inline)
                inline = []
                self.block(child, depth)
            else:
                inline.append(self.inline(child))
            if child.tail and child.tail.strip():
                inline.append(escape_plain(" ".join(child.tail.split())))
        self.flush(inline)

    def flush(self, inline: list[str]) -> None:
        text = _BREAK_RE.sub("  \n", "".join(inline)).strip()
        if text and not _MARKERS_ONLY_RE.fullmatch(text):
            self.add(self.take() + text)
        elif text:  # a page break between blocks: it waits for the next block's text
            self.pending = text + self.pending

    def block(self, element, depth: int) -> None:
        name = _local(element)
        if self.page_break(element):
            return
        if name in _DROPPED:
            if name in ("iframe", "object", "embed", "form"):
                self.state.note(f"{self.doc.href}: <{name}> removed (the book runs nothing)")
            return
        ident = (
            self.state.claim(self.doc.href, element.get("id"))
            if name not in ("h1", "h2", "h3", "h4", "h5", "h6", "p") or not self.is_title(element)
            else ""
        )
        classes = element.get("class", "").split()
        if name == "p" and "group-label" in classes and not self.doc.unit.blocks:
            self.doc.unit.group = " ".join("".join(element.itertext()).split())
            return
        if name == "p" and "byline" in classes and not self.doc.unit.author:
            author = element.find(f".//{{{XHTML}}}span[@class='author']")
            note = element.find(f".//{{{XHTML}}}span[@class='author-note']")
            if author is not None:
                self.doc.unit.author = " ".join("".join(author.itertext()).split())
                if note is not None:
                    self.doc.unit.author_note = " ".join("".join(note.itertext()).split())
                return
        if name in ("h1", "h2", "h3", "h4", "h5", "h6"):
            text = self.inline_children(element)
            if self.is_title(element):
                self.title_taken = True  # the unit's title: its front matter, not its body
                return
            level = min(6, max(2, int(name[1]) + (0 if name != "h1" else 1)))
            self.add(self.take() + text + (f" {{#{ident}}}" if ident else ""), heading=level)
        elif name == "p":
            # a paragraph that begins like a list item or a quote stays a paragraph
            text = _LEADING_MARK_RE.sub(r"\1\\\2", self.inline_children(element))
            self.add(self.take() + text + (f"\n{{: #{ident}}}" if ident and text else ""))
        elif name in ("ul", "ol"):
            self.add(self.take() + self.list_text(element, 0))
        elif name == "blockquote":
            inner = _Converter(self.state, _Doc(self.doc.href, self.doc.root, DraftUnit("", "chapter", 0)), self.images)
            inner.title_taken = True
            inner.container(element, depth + 1)
            quoted = "\n>\n".join("\n".join("> " + line for line in b.text.split("\n")) for b in inner.doc.unit.blocks)
            self.pending += inner.pending
            self.add(self.take() + quoted if not self.pending else quoted)
        elif name == "pre":
            code = "".join(element.itertext())
            fence = "~~~~" if "```" in code else "```"
            self.add(f"{fence}\n{code.rstrip()}\n{fence}")
        elif name == "hr":
            self.add("* * *")
        elif name == "img":
            self.add(self.take() + self.image(element))
        elif name in _CONTAINERS or (name not in _RAW_KEEP and name not in ("svg", "math")):
            if ident:
                self.add(f'<a id="{ident}"></a>')
            self.container(element, depth + 1)
        else:
            self.add(self.take() + self.raw(element))

    def is_title(self, element) -> bool:
        return (
            not self.title_taken
            and _local(element) in ("h1", "h2", "h3", "h4", "h5", "h6")
            and " ".join("".join(element.itertext()).split()) == self.doc.unit.title
        )

    def list_text(self, element, indent: int) -> str:
        lines, number = [], 1
        for item in element:
            if _local(item) != "li":
                continue
            nested = [child for child in item if _local(child) in ("ul", "ol")]
            for child in nested:
                item.remove(child)
            bullet = f"{number}. " if _local(element) == "ol" else "- "
            number += 1
            lines.append(" " * indent + bullet + self.take() + self.inline_children(item))
            for child in nested:
                lines.append(self.list_text(child, indent + 4))
        return "\n".join(lines)

    # -- inline -------------------------------------------------------------------------
    def inline_children(self, element) -> str:
        parts = [escape_plain(element.text or "")]
        for child in element:
            parts.append(self.inline(child))
            parts.append(escape_plain(child.tail or ""))
        return _BREAK_RE.sub("  \n", " ".join("".join(parts).split())).strip()

    def inline(self, element) -> str:
        name = _local(element)
        if not name:
            return ""  # a comment or processing instruction
        if self.page_break(element):
            return self.take()
        marker = self.take()
        if name in _DROPPED:
            return marker
        if name in ("em", "i", "cite", "dfn"):
            return marker + _wrap("*", self.inline_children(element))
        if name in ("strong", "b"):
            return marker + _wrap("**", self.inline_children(element))
        if name == "code":
            text = "".join(element.itertext())
            tick = "``" if "`" in text else "`"
            return marker + f"{tick}{text}{tick}" if text else marker
        if name == "br":
            return marker + f" {_BREAK} "  # a hard line break, kept through the spacing
        if name == "img":
            return marker + self.image(element)
        if name == "a":
            return marker + self.link(element)
        if name in ("sup", "sub"):
            return marker + self.raw(element)
        ident = self.state.claim(self.doc.href, element.get("id"))
        anchor = f'<a id="{ident}"></a>' if ident else ""
        return marker + anchor + self.inline_children(element)

    def link(self, element) -> str:
        text = self.inline_children(element) or escape_plain(element.get("href", ""))
        href = element.get("href", "")
        ident = self.state.claim(self.doc.href, element.get("id"))
        anchor = f'<a id="{ident}"></a>' if ident else ""
        target = self.target(href)
        return anchor + (f"[{text}]({target})" if target else text)

    def target(self, href: str) -> str:
        if not href:
            return ""
        parts = urlsplit(href)
        if parts.scheme in ("http", "https", "mailto"):
            return href.replace(")", "%29").replace(" ", "%20")
        if parts.scheme:
            self.state.note(f"{self.doc.href}: link to {href} dropped (kept as text)")
            return ""
        document = (
            posixpath.normpath(posixpath.join(posixpath.dirname(self.doc.href), unquote(parts.path)))
            if parts.path
            else self.doc.href
        )
        if (document, parts.fragment) in self.state.title_ids and document in self.state.doc_names:
            return self.state.doc_names[document]
        if (document, parts.fragment) in self.state.id_map:
            return f"#{self.state.id_map[(document, parts.fragment)]}"
        if document in self.state.doc_names and not parts.fragment:
            return self.state.doc_names[document]
        if document in self.state.doc_names:
            return self.state.doc_names[document]  # the fragment is gone: the document still is
        self.state.note(f"{self.doc.href}: link to {href} has no target in the book: kept as text")
        return ""

    def image(self, element) -> str:
        src = element.get("src") or element.get("{http://www.w3.org/1999/xlink}href") or ""
        alt = escape_plain(" ".join((element.get("alt") or "").split()))
        name = self.image_name(src)
        return f"![{alt}]({name})" if name else f"［image missing: {escape_plain(src)}］"

    def image_name(self, src: str) -> str | None:
        """images/<name> for an image of the EPUB (copied once); None, reported, if it is not there."""
        path = posixpath.normpath(posixpath.join(posixpath.dirname(self.doc.href), unquote(src)))
        item = self.images.get(path)
        if item is None:
            self.state.note(f"{self.doc.href}: image {src} is not in the EPUB: a placeholder instead")
            return None
        name = self.state.image_names.get(path)
        if name is None:
            base = re.sub(r"[^A-Za-z0-9._-]", "-", posixpath.basename(path)) or "image"
            name, n = f"images/{base}", 2
            while name in self.state.images:
                stem, dot, ext = base.rpartition(".")
                name, n = f"images/{stem or base}-{n}{dot}{ext if stem else ''}", n + 1
            self.state.image_names[path] = name
            self.state.images[name] = item.get_content()
        return name

    def raw(self, element) -> str:
        """What Markdown cannot say, as HTML the build accepts: no namespaces, only known
        attributes, image sources and links rewritten."""
        copy = etree.fromstring(etree.tostring(element, with_tail=False))
        for node in list(copy.iter()):
            if not isinstance(node.tag, str):
                continue
            if _local(node) in _DROPPED:
                _remove_keeping_tail(node)
                continue
            if _local(node) in ("svg", "math"):
                continue  # their own vocabulary; the build checks SVG for active content
            node.tag = _local(node)
            if node.get("id"):
                node.set("id", self.state.claim(self.doc.href, node.get("id")))
            for attribute in list(node.attrib):
                local = etree.QName(attribute).localname
                value = node.attrib.pop(attribute)
                if local in _KEPT_ATTRIBUTES and not attribute.startswith("{"):
                    node.set(local, value)
            if node.tag == "img":
                name = self.image_name(node.get("src", ""))
                if name:
                    node.set("src", name)
                else:  # a visible placeholder where the image was
                    placeholder = f"［image missing: {node.get('src', '')}］"
                    node.attrib.clear()
                    node.tag, node.text = "span", placeholder
            if node.tag == "a" and node.get("href"):
                target = self.target(node.get("href"))
                if target.endswith(".md") or not target:
                    node.attrib.pop("href")
                else:
                    node.set("href", target)
        etree.cleanup_namespaces(copy)
        html = etree.tostring(copy, encoding="unicode", method="xml", with_tail=False)
        return re.sub(r'\sxmlns(?::\w+)?="[^"]*"', "", html)


_BREAK = "\x00br\x00"
_BREAK_RE = re.compile(r"\s*\x00br\x00\s*")
_LEADING_MARK_RE = re.compile(r"^(\d+|)([.)+-])(?=\s)")
_MARKERS_ONLY_RE = re.compile(r"(?:\{\{page [^}]+\}\})+")


def _remove_keeping_tail(node) -> None:
    """Take an element out; the text after it stays where it was."""
    parent, tail = node.getparent(), node.tail or ""
    previous = node.getprevious()
    if tail and previous is not None:
        previous.tail = (previous.tail or "") + tail
    elif tail:
        parent.text = (parent.text or "") + tail
    parent.remove(node)


def _wrap(mark: str, text: str) -> str:
    return f"{mark}{text}{mark}" if text.strip() else text


def _report(path: str, docs: list[_Doc], state: _Import) -> str:
    known = sum(1 for doc in docs for b in doc.unit.blocks for _ in re.finditer(r"\{\{page ", b.text))
    known += sum(1 for doc in docs if doc.unit.page)
    out = [
        f"ingest report for {path} (EPUB)",
        f"units written: {len(docs)} ({', '.join(f'book/{d.name}.md' for d in docs[:7])}"
        f"{', …' if len(docs) > 7 else ''})",
        f"print pages: {known} markers from the book's page breaks and page-list",
        f"images copied: {len(state.images)}",
    ]
    if state.diagnostics:
        out.append(f"changed or left out: {len(state.diagnostics)}")
        out += [f"  {d.code} {d.message}" for d in state.diagnostics]
    return "\n".join(out) + "\n"
