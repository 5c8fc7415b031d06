"""Stage `render`: each resolved unit -> an XHTML content document; the nav document.
Markup is built with lxml from the model (the page-list's entries, one per print page, are
filled into a splice.XmlTemplate); writers only package what this returns."""

from __future__ import annotations

import re

from lxml import etree
from lxml.builder import ElementMaker
from lxml.etree import SubElement

from bookbuild.book.captions import NUMBERED, caption_id
from bookbuild.book.kinds import KINDS
from bookbuild.book.model import CaptionNumber, Document, Metadata, Navigation, NavPoint, PageRef, ResolvedUnit
from bookbuild.book.nav import NAV_DOC
from bookbuild.book.words import is_chinese, labels
from bookbuild.book.xml import EPUB, EPUB_TYPE, XHTML, XML_LANG, safe_parser
from bookbuild.render.splice import XmlTemplate, placeholder, splice
from bookbuild.render.typeset import typeset

_NSMAP = {None: XHTML, "epub": EPUB}
E = ElementMaker(namespace=XHTML, nsmap=_NSMAP)


def mark_pagebreak(span: etree._Element, label: str) -> etree._Element:
    """The EPUB page-break markup: epub:type, ARIA role, and the bare page number as name."""
    span.set("id", f"page-{label}")
    span.set(EPUB_TYPE, "pagebreak")
    span.set("role", "doc-pagebreak")
    span.set("aria-label", label)
    return span


def render_section(resolved: ResolvedUnit, meta: Metadata, fragment: str) -> etree._Element:
    """The unit as a <section> with its semantics, header, page markers and resolved links.
    `fragment` is the unit's parsed content (see parse.fragment_of)."""
    unit, source = resolved.unit, resolved.unit.source
    kind = KINDS[source.kind]
    title = unit.headings[0]
    section = E.section({"class": f"unit {source.kind}", "aria-labelledby": title.id})
    section.set(EPUB_TYPE, kind.epub_type)
    if kind.role:
        section.set("role", kind.role)
    if source.page:
        section.append(mark_pagebreak(E.span(), source.page))
    header = E.header()
    if source.group:
        header.append(E.p(source.group, {"class": "group-label"}))
    header.append(E.h1(source.title, id=title.id))
    if source.author:
        byline = E.p({"class": "byline"}, E.span(source.author, {"class": "author"}))
        if source.author_note:
            byline.append(E.span(source.author_note, {"class": "author-note"}))
        header.append(byline)
    section.append(header)
    body = etree.fromstring(fragment, safe_parser())
    if unit.renamed_ids:
        renames = dict(unit.renamed_ids)
        for element in body.iter(*(f"{{{XHTML}}}h{n}" for n in range(1, 7))):
            if element.get("id") in renames:
                element.set("id", renames[element.get("id")])
    section.text = None
    if body.text and body.text.strip():
        section.append(E.p(body.text))
    for child in list(body):
        section.append(child)
    _decorate(section, resolved, meta)
    if "<img" in fragment:
        _mark_pictures(section, header, source.kind == "cover")
    typeset(section, meta.language, fragment + "".join(str(text) for text in header.itertext()))
    return section


def _is_picture(element: etree._Element) -> bool:
    """A paragraph that holds images and nothing else (Markdown's `![…](…)` on its own)."""
    return (
        element.tag == f"{{{XHTML}}}p"
        and len(element) > 0
        and not (element.text or "").strip()
        and all(child.tag == f"{{{XHTML}}}img" and not (child.tail or "").strip() for child in element)
    )


def _mark_pictures(section: etree._Element, header: etree._Element, cover: bool) -> None:
    """Paragraphs that only hold a picture get class "picture" (no indent, centred, fitted
    to the screen, in the stylesheet). A cover unit that is only a picture is the cover
    page: the picture fills the screen, its heading stays for assistive technology only."""
    pictures = [p for p in section.iter(f"{{{XHTML}}}p") if _is_picture(p)]
    for p in pictures:
        classes = (p.get("class") or "").split()
        p.set("class", " ".join(dict.fromkeys([*classes, "cover-picture" if cover else "picture"])))
    rest = [c for c in section if c is not header and c not in pictures and c.get(EPUB_TYPE) != "pagebreak"]
    if cover and pictures and not rest:
        header.set("hidden", "hidden")


def _decorate(section: etree._Element, resolved: ResolvedUnit, meta: Metadata) -> None:
    for span in section.iter(f"{{{XHTML}}}span"):
        ident = span.get("id") or ""
        if ident.startswith("page-") and span.get(EPUB_TYPE) is None:
            mark_pagebreak(span, ident[5:])
    hrefs = dict(resolved.hrefs)
    for a in list(section.iter(f"{{{XHTML}}}a")):
        href = a.get("href")
        classes = (a.get("class") or "").split()
        if ("page-ref" in classes or "caption-ref" in classes) and href not in hrefs:
            _unwrap(a)  # a page or figure the book lacks (P007, X004), or page references off
            continue
        if href is not None:
            a.set("href", hrefs.get(href, href))
        if "footnote-ref" in classes:
            a.set(EPUB_TYPE, "noteref")
            a.set("role", "doc-noteref")
        if "footnote-backref" in classes:
            a.set("role", "doc-backlink")
    for img in section.iter(f"{{{XHTML}}}img"):
        src = img.get("src", "")
        img.set("src", hrefs.get(src, src))
    for div in list(section.iter(f"{{{XHTML}}}div")):
        if div.get("class") == "footnote":
            _footnotes(div)
    _number_captions(section, resolved.captions, is_chinese(meta.language))
    source = resolved.unit.source
    if source.kind == "index" and not source.generated:
        _index_semantics(section)


_TERM_END = re.compile(r"[,，、]")


def _index_semantics(section: etree._Element) -> None:
    """A book's own index (written, or a printed one ingest read), a list of entries, given
    the EPUB Indexes semantics the generated one has: each list an index-entry-list, each
    item an index-entry whose text up to its first comma is the index-term, each link a
    locator."""
    for listed in section.iter(f"{{{XHTML}}}ul", f"{{{XHTML}}}ol"):
        listed.set(EPUB_TYPE, "index-entry-list")
        for item in listed.iterchildren(f"{{{XHTML}}}li"):
            item.set(EPUB_TYPE, "index-entry")
            holder = item[0] if len(item) and item[0].tag == f"{{{XHTML}}}p" and not item.text else item
            text = holder.text or ""
            cut = _TERM_END.search(text)
            term = E.span(text[: cut.start()] if cut else text.rstrip())
            term.set(EPUB_TYPE, "index-term")
            term.tail = text[cut.start() :] if cut else text[len(text.rstrip()) :]
            holder.text = None
            holder.insert(0, term)
            for link in holder.iterchildren(f"{{{XHTML}}}a"):
                link.set(EPUB_TYPE, "index-locator")


def _number_captions(section: etree._Element, numbers: tuple[CaptionNumber, ...], chinese: bool) -> None:
    """Each figure and captioned table, in order, gets its id and its number before its
    caption: <figcaption><span class="caption-label">图2-3</span>　… (a Chinese caption
    is set one ideographic space after its number, a Latin one a space)."""
    gap = "\u3000" if chinese else " "
    captioned = [
        element
        for element in section.iter(f"{{{XHTML}}}figure", f"{{{XHTML}}}table")
        if element.attrib.pop(NUMBERED, None) is not None  # made by book.captions, not written as HTML
    ]
    for element, number in zip(captioned, numbers):
        if not number.number:
            continue
        element.set("id", caption_id(number.kind, number.number))
        caption = element.find(f"{{{XHTML}}}figcaption" if number.kind == "figure" else f"{{{XHTML}}}caption")
        assert caption is not None
        label = E.span(number.label, {"class": "caption-label"})
        label.tail = gap + (caption.text or "").lstrip()
        caption.text = None
        caption.insert(0, label)


def _footnotes(div: etree._Element) -> None:
    """Python-Markdown's list of notes, in place, as notes a reading system can open where
    they are referred to (Apple Books, Kobo, Readium look for epub:type="footnote" on an
    aside): <div epub:type="footnotes"> with an <aside> for each note, its number
    shown before its text, its link back to the reference kept."""
    div.attrib.clear()
    div.set("class", "footnotes")
    div.set(EPUB_TYPE, "footnotes")
    p_tag = f"{{{XHTML}}}p"
    for ol in div.findall(f"{{{XHTML}}}ol"):
        for number, li in enumerate(ol.iterchildren(f"{{{XHTML}}}li"), 1):
            # the li itself becomes the aside: its children stay where they are
            li.tag = f"{{{XHTML}}}aside"
            li.set("class", "footnote")
            li.set(EPUB_TYPE, "footnote")
            li.set("role", "doc-footnote")
            label = etree.Element(f"{{{XHTML}}}span", {"class": "note-number"})
            label.text = str(number)
            first = li[0] if len(li) and li[0].tag == p_tag else None
            if first is not None:
                label.tail = " " + (first.text or "")
                first.text = None
                first.insert(0, label)
            else:
                li.insert(0, label)
        _unwrap_children(ol)  # the asides take the list's place


def _unwrap_children(element: etree._Element) -> None:
    """`element` replaced by its children (it holds no text of its own but blanks)."""
    parent = element.getparent()
    assert parent is not None
    for child in list(element):
        element.addprevious(child)
    parent.remove(element)


def _unwrap(element: etree._Element) -> None:
    """`element` replaced by its text (it holds no child elements)."""
    text = (element.text or "") + (element.tail or "")
    previous, parent = element.getprevious(), element.getparent()
    assert parent is not None
    if previous is not None:
        previous.tail = (previous.tail or "") + text
    else:
        parent.text = (parent.text or "") + text
    parent.remove(element)


def xhtml_document(
    title: str, language: str, stylesheets: tuple[str, ...], body_children: list[etree._Element], body_class: str = ""
) -> bytes:
    html = E.html(
        E.head(
            E.meta(charset="utf-8"),
            E.title(title),
            *[E.link(rel="stylesheet", type="text/css", href=f"css/{name}") for name in stylesheets],
        ),
        E.body(*body_children, **({"class": body_class} if body_class else {})),
    )
    html.set(XML_LANG, language)
    html.set("lang", language)
    return etree.tostring(html, xml_declaration=True, encoding="utf-8", doctype="<!DOCTYPE html>")


def _nav_list(points: tuple[NavPoint, ...], namespace: str = f"{{{XHTML}}}") -> etree._Element:
    # tens of thousands of entries in a long book: SubElement costs half the E-factory
    ol = etree.Element(f"{namespace}ol", nsmap=_NSMAP if namespace else None)
    for point in points:
        li = SubElement(ol, f"{namespace}li")
        if point.href:
            attrs = {"href": point.href, "data-page": point.page} if point.page else {"href": point.href}
            link = SubElement(li, f"{namespace}a", attrs)
        else:
            link = SubElement(li, f"{namespace}span")
        link.text = point.label
        if point.children:
            li.append(_nav_list(point.children, namespace))
    return ol


def nav_entry(point: NavPoint) -> bytes:
    """One entry of the nav document's contents, with the entries below it, as it is
    serialised inside the document (without a namespace, it takes the document's): a
    quick rebuild swaps a chapter's entry in place (incremental.quick)."""
    return etree.tostring(_nav_list((point,), namespace="")[0], encoding="utf-8")


# one entry per print page (tens of thousands in a long book): filled in as text; no
# namespace: spliced into the nav document, whose default namespace it takes
_PAGE_ENTRY = XmlTemplate('<li><a href="{href}">{label}</a></li>\n')


def _page_entry(page: PageRef) -> bytes:
    return _PAGE_ENTRY.fill(href=f"{page.doc}#{page.id}", label=page.label)


def page_list_entries(pages: tuple[PageRef, ...]) -> bytes:
    """These pages' entries in the nav document's page-list, as serialised there: a
    quick rebuild swaps a unit's in place (incremental.quick)."""
    return b"".join(map(_page_entry, pages))


def render_nav(nav: Navigation, meta: Metadata, stylesheets: tuple[str, ...]) -> Document:
    words = labels(meta.language)
    toc = E.nav(
        {"id": "toc", "role": "doc-toc", "aria-labelledby": "toc-title"},
        E.h1(words["contents"], id="toc-title"),
        _nav_list(nav.toc),
    )
    toc.set(EPUB_TYPE, "toc")
    landmarks = E.nav({"id": "landmarks", "hidden": "hidden"}, E.h2(words["landmarks"]))
    landmarks.set(EPUB_TYPE, "landmarks")
    marks = E.ol()
    for mark in nav.landmarks:
        link = E.a(mark.label, href=mark.href)
        link.set(EPUB_TYPE, mark.type)
        marks.append(E.li(link))
    landmarks.append(marks)
    children = [toc, landmarks]
    if nav.page_list:
        # one entry per print page: serialised one by one into the document (see splice)
        pages = E.nav(
            {"id": "page-list", "role": "doc-pagelist", "hidden": "hidden"},
            E.h2(words["pages"]),
            E.ol(placeholder("pages")),
        )
        pages.set(EPUB_TYPE, "page-list")
        children.append(pages)
    for kind, points, title in (("loi", nav.figures, words["figures"]), ("lot", nav.tables, words["tables"])):
        if points:
            listed = E.nav({"id": kind, "aria-label": title}, E.h2(title), _nav_list(points))
            listed.set(EPUB_TYPE, kind)
            children.append(listed)
    shell = xhtml_document(words["contents"], meta.language, stylesheets, children, "kind-toc")
    body = splice(shell, {"pages": lambda: (_page_entry(p) for p in nav.page_list)}) if nav.page_list else shell
    return Document(name=NAV_DOC, title=words["contents"], properties=("nav",), body=body)
