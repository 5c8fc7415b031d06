"""The EPUB's package files: the package document (OPF) and the NCX, made from the model;
the zip itself is written by write.epub.

ebooklib's writer is not used because it cannot emit refines, accessibility metadata, a
page-list NCX or a byte-stable zip. (ebooklib reads our EPUB back in the tests.)
"""

from __future__ import annotations

import itertools
import mimetypes
import re
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime

from lxml import etree
from lxml.builder import ElementMaker
from lxml.etree import SubElement

from bookbuild.book import xml as ns
from bookbuild.book.isbn import isbn_digits
from bookbuild.book.model import Accessibility, Cover, Document, Metadata, Navigation, NavPoint, PageRef
from bookbuild.render.splice import XmlTemplate, fragment, placeholder, splice

OPF = ElementMaker(namespace=ns.OPF, nsmap={None: ns.OPF, "dc": ns.DC})
DC = ElementMaker(namespace=ns.DC, nsmap={"dc": ns.DC})
NCX = ElementMaker(namespace=ns.NCX, nsmap={None: ns.NCX})
E = ElementMaker()  # no namespace: spliced into the NCX shell, whose default namespace it takes
MARC = {"author": "aut", "editor": "edt", "translator": "trl", "illustrator": "ill", "contributor": "ctb"}
CONTAINER = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">'
    b'<rootfiles><rootfile full-path="EPUB/package.opf" '
    b'media-type="application/oebps-package+xml"/></rootfiles></container>\n'
)


# Apple Books sets a book in its own default face unless told that the book's stylesheet
# names the fonts to use: the Songti/Heiti stacks of default.css depend on this
APPLE_DISPLAY_OPTIONS = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<display_options><platform name="*"><option name="specified-fonts">true</option></platform></display_options>\n'
)


def book_identifier(meta: Metadata) -> str:
    """urn:isbn:… when the e-book has its own ISBN (what calibre and stores recognise);
    otherwise a UUID derived from the title and creators, so it is stable across builds.
    A print ISBN is never the identifier: it names another edition (dc:source)."""
    digits = isbn_digits(meta.isbn)
    if digits:
        return f"urn:isbn:{digits}"
    seed = "|".join([meta.title, meta.subtitle] + [c.name for c in meta.creators])
    seed += f"|{meta.variant}" if meta.variant else ""  # an edition is another book
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'bookbuild:' + seed)}"


def modified_timestamp(meta: Metadata, source_date_epoch: str | None) -> str:
    if source_date_epoch:
        moment = datetime.fromtimestamp(int(source_date_epoch), tz=UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    if meta.modified:
        return meta.modified
    parts = (meta.date or "2000").split("-") + ["01", "01"]
    return f"{parts[0]}-{parts[1]}-{parts[2]}T00:00:00Z"


def _meta(prop: str, value: str, refines: str | None = None, scheme: str | None = None):
    attrs = {"property": prop}
    if refines:
        attrs["refines"] = f"#{refines}"
    if scheme:
        attrs["scheme"] = scheme
    return OPF.meta(value, attrs)


def package_metadata(meta: Metadata, a11y: Accessibility, modified: str, has_pages: bool):
    md = OPF.metadata()
    identifier = book_identifier(meta)
    md.append(DC.identifier(identifier, id="pub-id"))
    md.append(DC.title(meta.title, id="title"))
    md.append(_meta("title-type", "main", "title"))
    if meta.subtitle:
        md.append(_meta("display-seq", "1", "title"))
        md.append(DC.title(meta.subtitle, id="subtitle"))
        md.append(_meta("title-type", "subtitle", "subtitle"))
        md.append(_meta("display-seq", "2", "subtitle"))
    md.append(DC.language(meta.language))
    for index, creator in enumerate(meta.creators, 1):
        ident = f"creator-{index}"
        maker = DC.creator if creator.role == "author" else DC.contributor
        md.append(maker(creator.name, id=ident))
        md.append(_meta("role", MARC[creator.role], ident, "marc:relators"))
        md.append(_meta("file-as", creator.file_as or creator.name, ident))
        md.append(_meta("display-seq", str(index), ident))
    if meta.publisher:
        md.append(DC.publisher(meta.publisher))
    if meta.date:
        md.append(DC.date(meta.date))
    for subject in meta.subjects + meta.classification:
        md.append(DC.subject(subject))
    if meta.print_isbn or (meta.isbn and has_pages):
        # the print edition: the e-book is made from it, and the page markers follow it
        source = f"urn:isbn:{isbn_digits(meta.print_isbn)}" if meta.print_isbn else identifier
        md.append(DC.source(source, id="print-source"))
        if has_pages:
            md.append(_meta("source-of", "pagination", "print-source"))
    md.append(_meta("dcterms:modified", modified))
    for mode in a11y.access_modes:
        md.append(_meta("schema:accessMode", mode))
    for mode in a11y.sufficient:
        md.append(_meta("schema:accessModeSufficient", mode))
    for feature in a11y.features:
        md.append(_meta("schema:accessibilityFeature", feature))
    for hazard in a11y.hazards:
        md.append(_meta("schema:accessibilityHazard", hazard))
    md.append(_meta("schema:accessibilitySummary", a11y.summary))
    return md


def _media_type(name: str) -> str:
    if name.endswith(".xhtml"):
        return "application/xhtml+xml"
    if name.endswith(".css"):
        return "text/css"
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def _item_id(name: str) -> str:
    return "item-" + re.sub(r"[^A-Za-z0-9_-]", "-", name)


def package_document(
    meta,
    a11y,
    modified,
    docs: list[Document],
    css: list[str],
    images: list[str],
    has_pages: bool,
    cover: Cover | None = None,
) -> bytes:
    manifest = OPF.manifest(OPF.item(id="ncx", href="toc.ncx", **{"media-type": "application/x-dtbncx+xml"}))
    for doc in docs:
        attrs = {"media-type": doc.media_type}
        if doc.properties:
            attrs["properties"] = " ".join(doc.properties)
        manifest.append(OPF.item(id=_item_id(doc.name), href=doc.name, **attrs))
    for name in css + images:
        attrs = {"media-type": _media_type(name)}
        if cover and name == cover.name:
            attrs["properties"] = "cover-image"
        manifest.append(OPF.item(id=_item_id(name), href=name, **attrs))
    direction = "rtl" if meta.writing_mode == "vertical-rl" else "ltr"
    spine = OPF.spine({"toc": "ncx", "page-progression-direction": direction})
    for doc in docs:
        if doc.in_spine:
            spine.append(OPF.itemref(idref=_item_id(doc.name)))
    metadata = package_metadata(meta, a11y, modified, has_pages)
    if cover:
        # EPUB 2's way of naming the cover, which Kindle's converters and older readers
        # (and calibre) still look for; EPUB 3 allows it beside cover-image
        metadata.append(OPF.meta(name="cover", content=_item_id(cover.name)))
    package = OPF.package(
        metadata,
        manifest,
        spine,
        version="3.0",
        **{"unique-identifier": "pub-id"},
    )
    package.set(ns.XML_LANG, meta.language)
    return etree.tostring(package, xml_declaration=True, encoding="utf-8", pretty_print=True)


def play_order(toc: tuple[NavPoint, ...], reading_order: tuple[str, ...], pages: Iterable[str]) -> dict[str, int]:
    """NCX playOrder: 1, 2, 3 … with no gaps over the targets the NCX uses (the entries
    of `toc`, the `pages` as "doc#id"), in reading order; a target used twice (a group
    and its first entry) shares its number."""

    used = set(pages)
    stack = list(toc)
    while stack:
        point = stack.pop()
        if point.href:
            used.add(point.href)
        stack.extend(point.children)
    # each by its last place in the reading order (walked backwards, the first seen is
    # the last), then those not in it by name; not a sort by rank: 28,000 entries at L
    ordered = [href for href in dict.fromkeys(reversed(reading_order)) if href in used]
    ordered.reverse()
    ordered += sorted(used.difference(ordered))
    return {href: index for index, href in enumerate(ordered, 1)}


# one entry per print page (tens of thousands in a long book): filled in as text
_PAGE_TARGET = XmlTemplate(
    '<pageTarget id="pt-{index}" type="{type}" value="{value}" playOrder="{order}">'
    '<navLabel><text>{label}</text></navLabel><content src="{href}"/></pageTarget>\n'
)


def ncx_document(meta: Metadata, nav: Navigation, page_label: str) -> bytes:
    """The NCX, for EPUB 2 reading systems: the same toc as the nav, and a pageList.
    The entries are serialised one at a time into a small shell: as a single tree, a
    1,000-chapter book's NCX costs tens of MiB while it is being built."""
    order = play_order(nav.toc, nav.reading_order, page_hrefs(nav.page_list))
    counter = itertools.count(1)  # np-1, np-2 … in the order the entries are written

    def page_targets():
        for index, page in enumerate(nav.page_list, 1):
            yield _page_target(index, page, order)

    head = NCX.head(
        NCX.meta(name="dtb:uid", content=book_identifier(meta)),
        NCX.meta(name="dtb:depth", content=str(ncx_depth(nav.toc))),
        *(NCX.meta(name=name, content=value) for name, value in ncx_page_counts([p.label for p in nav.page_list])),
    )
    shell = NCX.ncx(head, NCX.docTitle(NCX.text(meta.title)), NCX.navMap(placeholder("toc")), version="2005-1")
    shell.set(ns.XML_LANG, meta.language)
    parts = {"toc": lambda: (fragment(_nav_point(item, counter, order)) for item in nav.toc)}
    if nav.page_list:
        shell.append(NCX.pageList(NCX.navLabel(NCX.text(page_label)), placeholder("pages")))
        parts["pages"] = page_targets
    return splice(etree.tostring(shell, xml_declaration=True, encoding="utf-8", pretty_print=True), parts)


def _page_target(index: int, page: PageRef, order: Mapping[str, int]) -> bytes:
    href = f"{page.doc}#{page.id}"
    arabic = page.label.isdigit()
    return _PAGE_TARGET.fill(
        index=str(index),
        type="normal" if arabic else "front",
        value=page.label if arabic else str(index),
        order=str(order.get(href, 1)),
        label=page.label,
        href=href,
    )


def ncx_page_counts(labels: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """The NCX head's counts of print pages (`labels`: every page's): (meta name, content)."""
    numbers = [int(label) for label in labels if label.isdigit()]
    return (("dtb:totalPageCount", str(len(labels))), ("dtb:maxPageNumber", str(max(numbers, default=0))))


# What a quick rebuild needs to change one chapter's entries and pages in the NCX the
# last build wrote (incremental.quick): the chapter's pageTargets and head values as
# written here, and the numbers of what follows moved on. Values are numbers: no escaping.


def ncx_page_targets(pages: tuple[PageRef, ...], first: int, order: Mapping[str, int]) -> bytes:
    """The pageTargets of `pages`, numbered from pt-`first`, as ncx_document writes them."""
    return b"".join(_page_target(index, page, order) for index, page in enumerate(pages, first))


def ncx_meta(name: str, content: str) -> bytes:
    """A meta element of the NCX head as ncx_document writes it."""
    return f'<meta name="{name}" content="{content}"/>'.encode()


def ncx_meta_value(document: bytes, name: str) -> str | None:
    """What the named meta element of an NCX's head says."""
    found = re.search(b'<meta name="%s" content="([^"]*)"/>' % re.escape(name.encode()), document)
    return found[1].decode() if found else None


_NAV_POINT_NUMBERS = re.compile(rb'<navPoint id="np-(\d+)" playOrder="(\d+)">')
_PAGE_TARGET_NUMBERS = re.compile(
    rb'<pageTarget id="pt-(\d+)" type="(normal|front)" value="([^"]*)" playOrder="(\d+)">'
)


def ncx_nav_point_order(document: bytes, number: int) -> int | None:
    """The playOrder of an NCX's navPoint np-`number`."""
    found = re.search(rb'<navPoint id="np-%d" playOrder="(\d+)">' % number, document)
    return int(found[1]) if found else None


def ncx_nav_points_moved(part: bytes, after: int, shift: int, above: int, order_shift: int) -> bytes:
    """`part` of an NCX with each navPoint numbered past np-`after` moved on by `shift`,
    and each playOrder greater than `above` by `order_shift`."""

    def moved(match: re.Match[bytes]) -> bytes:
        number, order = int(match[1]), int(match[2])
        number += shift if number > after else 0
        order += order_shift if order > above else 0
        return b'<navPoint id="np-%d" playOrder="%d">' % (number, order)

    return _NAV_POINT_NUMBERS.sub(moved, part)


def ncx_page_targets_moved(part: bytes, index_shift: int, above: int, order_shift: int) -> bytes:
    """pageTargets of an NCX (`part`), each numbered `index_shift` further on (a page
    without an arabic number has its number as its value too) and each playOrder
    greater than `above` moved by `order_shift`."""

    def moved(match: re.Match[bytes]) -> bytes:
        index = int(match[1]) + index_shift
        value = match[3] if match[2] == b"normal" else b"%d" % index
        order = int(match[4])
        order += order_shift if order > above else 0
        return b'<pageTarget id="pt-%d" type="%s" value="%s" playOrder="%d">' % (index, match[2], value, order)

    return _PAGE_TARGET_NUMBERS.sub(moved, part)


def page_hrefs(pages: Iterable[PageRef]) -> list[str]:
    """Where each print page's marker is, as "doc#id"."""
    return [f"{page.doc}#{page.id}" for page in pages]


def ncx_entry(point: NavPoint, first: int, order: Mapping[str, int]) -> bytes:
    """One navPoint, with those below it, numbered from np-`first` (`order`: play_order),
    as ncx_document serialises it inside the navMap: a quick rebuild swaps a chapter's
    entry in place (incremental.quick)."""
    return etree.tostring(_nav_point(point, itertools.count(first), order), encoding="utf-8")


def ncx_depth(toc: tuple[NavPoint, ...]) -> int:
    """dtb:depth: how deep the contents nests (at least 1)."""

    def depth(items: tuple[NavPoint, ...], level: int = 1) -> int:
        return max((depth(i.children, level + 1) for i in items), default=level - 1)

    return max(1, depth(toc))


def _nav_point(
    item: NavPoint, numbers: Iterator[int], order: Mapping[str, int], parent: etree._Element | None = None
) -> etree._Element:
    # tens of thousands of entries in a long book: SubElement costs half the E-factory
    href = item.href or ""
    attrs = {"id": f"np-{next(numbers)}", "playOrder": str(order.get(href, 1))}
    element = etree.Element("navPoint", attrs) if parent is None else SubElement(parent, "navPoint", attrs)
    SubElement(SubElement(element, "navLabel"), "text").text = item.label
    SubElement(element, "content", {"src": href})
    for child in item.children:
        _nav_point(child, numbers, order, element)
    return element


def package_files(
    meta: Metadata,
    nav: Navigation,
    a11y: Accessibility,
    spine: list[Document],
    stylesheets: tuple[tuple[str, str], ...],
    images: tuple[str, ...],
    cover: Cover | None,
    page_label: str,
    source_date_epoch: str | None,
) -> dict[str, bytes]:
    """The package document and the NCX: made from the whole book, once per book."""
    modified = modified_timestamp(meta, source_date_epoch)
    return {
        "EPUB/package.opf": package_document(
            meta,
            a11y,
            modified,
            spine,
            [f"css/{name}" for name, _ in stylesheets],
            list(images),
            bool(nav.page_list),
            cover,
        ),
        "EPUB/toc.ncx": ncx_document(meta, nav, page_label),
    }
