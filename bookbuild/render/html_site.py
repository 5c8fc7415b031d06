"""Stage `write_html`: the book site (index, one page per unit, print-page index) and the
single-page edition, from the same rendered sections, ids and page anchors as the EPUB."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from importlib import resources
from itertools import groupby
from operator import attrgetter

from lxml import etree
from lxml.builder import E
from lxml.etree import SubElement

from bookbuild.book.model import Cover, Metadata, NavPoint, PageRef
from bookbuild.book.resolve import is_external, is_note_id
from bookbuild.book.words import creators_line, is_chinese, labels
from bookbuild.book.xml import EPUB, XML_LANG
from bookbuild.render.splice import placeholder, splice

SIDEBAR_ALL = 60  # a contents longer than this is shown as a window around the page
SIDEBAR_AROUND = 15
_WITH_XML_LANG = etree.XPath("descendant-or-self::*[@xml:lang]")
_SHIFTED_HEADINGS = {f"h{n}": f"h{n + 1}" for n in range(1, 6)}  # one book title (h1) above


def sidebar_window(length: int, centre: int) -> tuple[int, int]:
    """The top-level entries a page's sidebar lists, of the `length` there are, its
    page's being at `centre`: all of them in an ordinary book; in a very long one, those
    around its page's (the full contents is one click away on index.html)."""
    if length <= SIDEBAR_ALL:
        return 0, length
    start = max(0, min(centre - SIDEBAR_AROUND, length - 2 * SIDEBAR_AROUND - 1))
    return start, min(length, start + 2 * SIDEBAR_AROUND + 1)


PageLink = tuple[str, str]  # (html/ file, its title)
PrevNext = tuple[PageLink | None, PageLink | None]  # a unit page's previous and next pages


def html_name(doc: str) -> str:
    """A unit's page in html/: 03-preface.xhtml -> 03-preface.html."""
    return f"{doc[:-6]}.html"


def _asset(name: str) -> bytes:
    return resources.files("bookbuild").joinpath(f"assets/{name}").read_bytes()


class Site:
    """Everything the HTML pages share; built once per book from the model."""

    def __init__(
        self,
        meta: Metadata,
        toc: tuple[NavPoint, ...],
        pages: tuple[PageRef, ...],
        units: list[tuple[str, str, str]],
        css: list[str],
        cover: Cover | None = None,
        toc_start: int = 0,
        toc_length: int | None = None,
    ):
        """`toc`: the contents' top-level entries; or a window of them, from `toc_start`
        of `toc_length`, for a site that renders only pages whose sidebars list entries
        inside it (a quick rebuild of a few units does not load 9,000 entries to show 31;
        top_entries refuses what the window lacks)."""
        self.meta, self.toc, self.pages, self.units, self.css = meta, toc, pages, units, css
        self.cover = cover
        self.toc_start, self.toc_length = toc_start, len(toc) if toc_length is None else toc_length
        self.words = labels(meta.language)
        # doc name (03-preface.xhtml) -> the unit's title id, for links to a whole unit
        self.title_ids = {doc: title_id for doc, _, title_id in units}
        # doc name -> the nav points on the way to it (the branch a folded sidebar opens)
        self.branches: dict[str, set[int]] = {}
        self.paths: dict[str, tuple[NavPoint, ...]] = {}  # doc -> nav points leading to it
        self._index_branches(toc, ())
        self.top_index = {id(p): i for i, p in enumerate(toc, toc_start)}
        self._closed: dict[tuple[int, bool], etree._Element] = {}
        # the same on every page: built once, copied into each
        self._header = E.header(
            {"class": "site-header"},
            E.a(meta.title, {"class": "book-title"}, href="index.html"),
            E.a(self.words["all_pages"], href="pages.html"),
            E.a(self.words["whole_book"], href="book.html"),
            self.goto_form(),
            self.search_form(),
        )
        self._footer = E.footer({"class": "site-footer"}, E.p(self.imprint()))

    def _index_branches(self, points: tuple[NavPoint, ...], above: tuple[NavPoint, ...]) -> None:
        for point in points:
            path = above + (point,)
            if point.href:
                doc = point.href.partition("#")[0]
                branch = self.branches.get(doc)
                if branch is None:
                    self.branches[doc] = set(map(id, path))
                    self.paths[doc] = path
                else:
                    # the whole path, as its parent's is there already (the path of every
                    # point in a branch is): half the time at 9,000 entries
                    if above and id(above[-1]) not in branch:
                        branch.update(map(id, above))
                    branch.add(id(point))
            self._index_branches(point.children, path)

    def top_of(self, doc: str) -> int:
        """The top-level entry that holds `doc`'s first entry in the contents; -1: none."""
        path = self.paths.get(doc)
        return self.top_index[id(path[0])] if path else -1

    def sidebar_window(self, doc: str | None) -> tuple[int, int]:
        """The top-level entries the sidebar of `doc`'s page lists (see sidebar_window)."""
        return sidebar_window(self.toc_length, max(self.top_of(doc or ""), 0))

    def top_entries(self, start: int, end: int) -> tuple[NavPoint, ...]:
        """The top-level entries from `start` to `end`, which the site must hold."""
        if start < self.toc_start or end > self.toc_start + len(self.toc):
            held = f"{self.toc_start}-{self.toc_start + len(self.toc)}"
            raise ValueError(f"top-level entries {start}-{end} asked of a site holding {held}")
        return self.toc[start - self.toc_start : end - self.toc_start]

    # -- links ------------------------------------------------------------------------
    def href(self, href: str, single: bool) -> str:
        if not href or is_external(href):
            return href
        doc, _, fragment = href.partition("#")
        if not doc.endswith(".xhtml"):
            return href
        stem = doc[:-6]
        if single:
            if fragment and is_note_id(fragment):
                return f"#{stem}-{fragment}"
            return f"#{fragment or self.title_ids.get(doc, stem)}"
        return f"{stem}.html" + (f"#{fragment}" if fragment else "")

    # -- page frame -----------------------------------------------------------------------
    def page(
        self,
        title: str,
        main_children: list,
        current: str | None = None,
        prev_next: tuple[tuple[str, str] | None, tuple[str, str] | None] = (None, None),
        sidebar: bool = True,
        single: bool = False,
        body_class: str = "",
        scripts: tuple[str, ...] = (),
    ) -> bytes:
        words = self.words
        head = E.head(
            E.meta(charset="utf-8"),
            E.meta(name="viewport", content="width=device-width, initial-scale=1"),
            E.title(title if title == self.meta.title else f"{title} – {self.meta.title}"),
            *[E.link(rel="stylesheet", href=href) for href in self.css],
        )
        for rel, link in zip(("prev", "next"), prev_next):
            if link:
                head.append(E.link(rel=rel, href=link[0]))
        head.append(E.script(src="js/pages.js", defer="defer"))
        head.append(E.script(src="js/goto.js", defer="defer"))
        head.append(E.script(src="js/notes.js", defer="defer"))
        for src in scripts:
            head.append(E.script(src=src, defer="defer"))
        header = copy.deepcopy(self._header)
        main = E.main(*main_children, id="main")
        if any(prev_next):
            pager = E.nav({"class": "pager", "aria-label": f"{words['previous']} / {words['next']}"})
            for rel, link, word in zip(("prev", "next"), prev_next, (words["previous"], words["next"])):
                if link:
                    pager.append(E.a(f"{word}：{link[1]}" if self.zh else f"{word}: {link[1]}", rel=rel, href=link[0]))
            main.append(pager)
        # the text comes first in reading order; on wide screens CSS puts the sidebar left
        layout = E.div({"class": "layout" if sidebar else "layout no-sidebar"}, main)
        if sidebar:
            layout.append(self.sidebar(current, single))
        body = E.body(
            E.a(words["skip"], {"class": "skip-link"}, href="#main"), header, layout, copy.deepcopy(self._footer)
        )
        if body_class:
            body.set("class", body_class)
        html = E.html(head, body, lang=self.meta.language)
        return etree.tostring(html, method="html", encoding="utf-8", doctype="<!DOCTYPE html>") + b"\n"

    @property
    def zh(self) -> bool:
        return is_chinese(self.meta.language)

    def imprint(self) -> str:
        parts = [self.meta.title]
        if self.meta.publisher:
            parts.append(self.meta.publisher)
        if self.meta.isbn:
            parts.append(f"ISBN {self.meta.isbn}")
        return " · ".join(parts)

    def goto_form(self) -> etree._Element:
        words = self.words
        missing = "没有第 {} 页" if self.zh else "There is no print page {}"
        return E.form(
            {
                "class": "goto",
                "action": "pages.html",
                "method": "get",
                "role": "search",
                "data-missing": missing,
                "aria-label": words["go_to_page"],
            },
            E.label(words["go_to_page"], {"for": "goto-page"}),
            E.input(id="goto-page", name="page", type="text", inputmode="numeric", size="5", autocomplete="off"),
            E.button(words["go"], type="submit"),
            E.p({"class": "goto-status", "role": "status", "aria-live": "polite"}),
        )

    def search_form(self) -> etree._Element:
        """The box on every page: it opens search.html with the query (no script needed
        to get there; search.html runs it)."""
        words = self.words
        return E.form(
            {
                "class": "site-search",
                "action": "search.html",
                "method": "get",
                "role": "search",
                "aria-label": words["search_book"],
            },
            E.label(words["search_book"], {"for": "search-box", "class": "visually-hidden"}),
            E.input(id="search-box", name="q", type="search", size="14", autocomplete="off"),
            E.button(words["search"], type="submit"),
        )

    def sidebar(self, current: str | None, single: bool) -> etree._Element:
        start, end = self.sidebar_window(current)
        entries = self.toc_list(self.top_entries(start, end), current, single, with_pages=False, fold=True)
        more = self.words["contents"] + " …"
        if start > 0:
            entries.insert(0, E.li(E.a(more, href="index.html")))
        if end < self.toc_length:
            entries.append(E.li(E.a(more, href="index.html")))
        return E.nav(
            {"class": "sidebar", "aria-labelledby": "sidebar-title"},
            E.h2(self.words["contents"], id="sidebar-title"),
            entries,
        )

    def toc_list(
        self, points: tuple[NavPoint, ...], current: str | None, single: bool, with_pages: bool, fold: bool = False
    ) -> etree._Element:
        """`fold`: only the branch holding `current` is open (a sidebar that lists every
        section of every chapter on every page grows with the square of the book).
        (Contents lists run to tens of thousands of entries: built with SubElement,
        which costs half what the E-factory does.)"""
        ol = etree.Element("ol")
        current_href = f"{current}#{self.title_ids.get(current)}" if current else None
        for point in points:
            if fold and not self.holds(point, current):
                ol.append(self._closed_entry(point, single))
                continue
            li = SubElement(ol, "li")
            holder = SubElement(li, "span", {"class": "entry"}) if with_pages else li
            if point.href:
                link = SubElement(holder, "a", {"href": self.href(point.href, single)})
                if point.href == current_href and not self.is_group(point):
                    link.set("aria-current", "page")
            else:
                link = SubElement(holder, "span")
            link.text = point.label
            if with_pages and point.page:
                SubElement(holder, "span", {"class": "page"}).text = point.page
            if point.children and (not fold or self.holds(point, current)):
                li.append(self.toc_list(point.children, current, single, with_pages, fold))
        return ol

    def contents_entry(self, point: NavPoint, single: bool) -> bytes:
        """One entry of the contents (`contents`), with the entries below it, as it is
        serialised inside the page: a quick rebuild swaps a chapter's entry in place
        (incremental.quick)."""
        entry = self.toc_list((point,), None, single, with_pages=True)[0]
        return etree.tostring(entry, method="html", encoding="utf-8")

    def _closed_entry(self, point: NavPoint, single: bool) -> etree._Element:
        """A folded sidebar entry off the current page's branch: the same on every page,
        so it is built once and copied."""
        made = self._closed.get((id(point), single))
        if made is None:
            made = E.li(E.a(point.label, href=self.href(point.href, single)) if point.href else E.span(point.label))
            self._closed[(id(point), single)] = made
        return copy.copy(made)

    def holds(self, point: NavPoint, doc: str | None) -> bool:
        return id(point) in self.branches.get(doc or "", ())

    @staticmethod
    def is_group(point: NavPoint) -> bool:
        """A group entry (前言) links to its first child; only the child is 'current'."""
        return bool(point.children) and point.children[0].href == point.href

    def contents(self, single: bool) -> etree._Element:
        return E.nav(
            {"class": "contents", "aria-labelledby": "contents-title"},
            E.h2(self.words["contents"], id="contents-title"),
            self.toc_list(self.top_entries(0, self.toc_length), None, single, with_pages=True),
        )


def plain_section(section: etree._Element, site: Site) -> etree._Element:
    """An EPUB section made plain HTML, in place: no namespaces or epub:type, and page
    numbers shown as links to their own anchors. `site_section` then fits it to a page.
    (In place: the render stage serialises the EPUB document first, then reuses its tree.)"""
    element = section
    for node in element.iter(etree.Element):  # elements only: no comments
        tag = node.tag
        if tag[0] == "{":
            node.tag = tag[tag.index("}") + 1 :]
    # attributes through lxml's own tree walks: a Python loop over every element's
    # attributes cost as much as the rest of this function
    for node in _WITH_XML_LANG(element):
        node.set("lang", node.attrib.pop(XML_LANG))
    etree.strip_attributes(element, f"{{{EPUB}}}*")
    etree.cleanup_namespaces(element)
    for span in list(element.iter("span")):
        if span.get("role") == "doc-pagebreak":
            # On the web the visible page number is the anchor: a link to itself, named
            # "第 N 页". (role=doc-pagebreak on a span is poorly supported by browsers and
            # screen readers, and axe-core rejects it; the EPUB keeps the standard markup.)
            label = span.get("aria-label")
            number = E.a(
                label,
                {"class": "pagenum", "id": span.get("id"), "aria-label": site.words["page"].format(label)},
                href=f"#page-{label}",
            )
            number.tail = span.tail
            span.getparent().replace(span, number)
    return element


def site_section(plain: etree._Element, site: Site, doc: str, single: bool) -> etree._Element:
    """`plain` (changed in place) with links pointing at .html pages, or, in book.html, at
    anchors in the one page, where note ids get the unit's name and headings go one level
    down below the book's title."""
    if single:
        stem = doc[:-6]
        for node in plain.iter(etree.Element):
            ident = node.get("id")
            if ident and is_note_id(ident):
                node.set("id", f"{stem}-{ident}")
            if node.tag in _SHIFTED_HEADINGS:
                node.tag = _SHIFTED_HEADINGS[node.tag]
    for a in plain.iter("a"):
        href = a.get("href")
        if href:
            a.set("href", site.href(href, single))
    return plain


def unit_page(
    site: Site,
    doc: str,
    title: str,
    kind: str,
    section: etree._Element,
    prev_link: tuple[str, str] | None,
    next_link: tuple[str, str] | None,
) -> bytes:
    """`section`: from plain_section, used up here."""
    return site.page(
        title,
        [site_section(section, site, doc, False)],
        current=doc,
        prev_next=(prev_link, next_link),
        body_class=f"kind-{kind}",
    )


def single_page_section(site: Site, doc: str, section: etree._Element) -> bytes:
    """`section`: from plain_section, used up here."""
    return etree.tostring(site_section(section, site, doc, True), method="html", encoding="utf-8", with_tail=False)


_SECTIONS_HERE = "bookbuild:sections"


def single_page_frame(site: Site) -> tuple[bytes, bytes]:
    """book.html before and after the sections, which are streamed in between."""
    page = site.page(
        site.meta.title,
        [_cover(site), site.contents(True), etree.Comment(_SECTIONS_HERE)],
        sidebar=False,
        single=True,
        body_class="single-page",
    )
    head, tail = page.split(f"<!--{_SECTIONS_HERE}-->".encode(), 1)
    return head, tail


def prev_next(sections: list[tuple[str, str]], index: int, words) -> PrevNext:
    """(prev, next) links of unit `index` among (doc, title) pairs; the first unit's
    previous page is the contents (index.html)."""
    prev_link = (
        (html_name(sections[index - 1][0]), sections[index - 1][1]) if index else ("index.html", words["contents"])
    )
    next_link = (html_name(sections[index + 1][0]), sections[index + 1][1]) if index + 1 < len(sections) else None
    return prev_link, next_link


def site_files(site: Site, stylesheets: tuple[tuple[str, str], ...]) -> dict[str, bytes]:
    """Everything in html/ made from the whole book but the pictures and book.html."""
    words = site.words
    files: dict[str, bytes] = {f"css/{name}": text.encode("utf-8") for name, text in stylesheets}
    files["css/site.css"] = _asset("site.css")
    files["js/goto.js"] = _asset("goto.js")
    files["js/notes.js"] = _asset("notes.js")
    files["js/search.js"] = _asset("search.js")
    files["js/pages.js"] = pages_script(site.pages)
    files["index.html"] = index_page(site)
    files["pages.html"] = splice(
        site.page(words["all_pages"], [_page_index(site)], sidebar=True), {"pages": lambda: _page_index_groups(site)}
    )
    files["search.html"] = site.page(
        words["search"], _search_page(site), sidebar=False, body_class="search", scripts=("js/search.js",)
    )
    return files


def pages_script(pages: tuple[PageRef, ...]) -> bytes:
    """js/pages.js: where each print page is, for "go to page"."""
    return ("window.BOOKBUILD_PAGES = " + _page_map(pages) + ";\n").encode("ascii")


def page_map_entries(pages: tuple[PageRef, ...]) -> bytes:
    """These pages' entries in js/pages.js as written there (", " apart): a quick rebuild
    swaps a unit's in place (incremental.quick)."""
    return _page_map(pages)[1:-1].encode("ascii")


def _page_map(pages: tuple[PageRef, ...]) -> str:
    page_map = {p.label: f"{html_name(p.doc)}#{p.id}" for p in pages}
    # json.dumps escapes quotes and control characters; '</' is escaped so the data can
    # never close a script element.
    return json.dumps(page_map, ensure_ascii=True).replace("</", "<\\/")


def index_page(site: Site) -> bytes:
    """index.html: the cover and the whole contents, with the print pages."""
    first = (html_name(site.units[0][0]), site.units[0][1]) if site.units else None
    return site.page(
        site.meta.title,
        [_cover(site), site.contents(False)],
        prev_next=(None, first),
        sidebar=False,
        body_class="index",
    )


def make_site(
    meta: Metadata,
    toc: tuple[NavPoint, ...],
    pages: tuple[PageRef, ...],
    units: list[tuple[str, str, str]],
    stylesheets: tuple[tuple[str, str], ...],
    cover: Cover | None = None,
    toc_start: int = 0,
    toc_length: int | None = None,
) -> Site:
    """`units`: (doc name, title, title id) in reading order. `toc`: the contents'
    top-level entries, or a window of them (see Site)."""
    css = [f"css/{name}" for name, _ in stylesheets] + ["css/site.css"]
    return Site(meta, toc, pages, units, css, cover, toc_start, toc_length)


def _cover(site: Site) -> etree._Element:
    meta = site.meta
    cover = E.div({"class": "book-cover"})
    if site.cover:
        cover.append(E.img({"class": "cover-image", "src": site.cover.name, "alt": site.cover.alt}))
    cover.append(E.h1(meta.title))
    if meta.subtitle:
        cover.append(E.p(meta.subtitle, {"class": "subtitle"}))
    for role in ("author", "editor", "translator", "illustrator", "contributor"):
        line = creators_line(meta.creators, role, meta.language)
        if line:
            cover.append(E.p(line, {"class": f"creators {role}"}))
    if meta.publisher or meta.date:
        cover.append(E.p(" ".join(filter(None, (meta.publisher, meta.date))), {"class": "publisher"}))
    return cover


_SEARCH_WORDS = ("searching", "found", "none", "more", "more_hits", "loading", "failed")


def _search_page(site: Site) -> list[etree._Element]:
    """search.html: its own box, a status line read out as it changes, and the list
    js/search.js fills in, with the words it needs in the book's language."""
    words = site.words
    needed = {name: words[f"search_{name}"] for name in _SEARCH_WORDS} | {"page": words["hit_page"]}
    return [
        E.h1(words["search"]),
        E.form(
            {
                "class": "search-page",
                "action": "search.html",
                "method": "get",
                "role": "search",
                "aria-label": words["search"],
            },
            E.label(words["search_book"], {"for": "search-query"}),
            E.input(id="search-query", name="q", type="search", autocomplete="off"),
            E.button(words["search"], type="submit"),
        ),
        E.p({"class": "search-status", "role": "status", "aria-live": "polite"}),
        E.noscript(E.p(words["search_needs_js"])),
        E.ol({"class": "search-results", "data-words": json.dumps(needed, ensure_ascii=False)}),
    ]


def search_starts(
    units: list[tuple[str, str, str]], last_pages: Mapping[str, tuple[str, str]]
) -> dict[str, tuple[str, str]]:
    """For each unit (by its page's stem), the print page in force where it begins when
    that page began in an earlier unit: (label, its address). `units`: Site.units;
    `last_pages`: each unit's last print page, (label, id), by document (last_pages)."""
    starts, carried = {}, None
    for doc, _, _ in units:
        if carried is not None:
            starts[doc[:-6]] = carried
        if doc in last_pages:
            label, ident = last_pages[doc]
            carried = (label, f"{html_name(doc)}#{ident}")
    return starts


def last_pages(pages: tuple[PageRef, ...]) -> dict[str, tuple[str, str]]:
    """Each unit's last print page, (label, id), by document."""
    return {page.doc: (page.label, page.id) for page in pages}


def _page_index(site: Site) -> etree._Element:
    """The frame of the page index: its entries go where the placeholder is (see
    _page_index_groups)."""
    return E.div({"class": "page-index"}, E.h1(site.words["all_pages"]), placeholder("pages"))


def _page_index_groups(site: Site) -> Iterator[bytes]:
    """The page index's entries, serialised a unit's pages at a time: a long book has
    tens of thousands of print pages, tens of MiB as one tree."""
    titles = {doc: title for doc, title, _ in site.units}
    for doc, pages in groupby(site.pages, attrgetter("doc")):
        yield page_index_group(site, titles.get(doc, doc), tuple(pages))


def page_index_group(site: Site, title: str, pages: tuple[PageRef, ...]) -> bytes:
    """One unit's entries in the page index (pages.html): its title, then its pages, as
    serialised in the page (a quick rebuild swaps a unit's in place); b"" for none."""
    if not pages:
        return b""
    listed = etree.Element("ol")
    for page in pages:  # one entry per print page: SubElement, as in toc_list
        item = SubElement(listed, "li")
        SubElement(
            item, "a", {"href": f"{html_name(page.doc)}#{page.id}", "title": site.words["page"].format(page.label)}
        ).text = page.label
        if not page.known:
            item.set("class", "inferred")
    heading = etree.tostring(E.h2(title), method="html", encoding="utf-8")
    return heading + etree.tostring(listed, method="html", encoding="utf-8")
