"""Stage `check`: one validation gate. Builds into a temporary folder, runs EPUBCheck and
the Nu HTML checker on what was built, and the book's own checks over the model and the
outputs. Returns every diagnostic; the CLI decides the exit code."""

from __future__ import annotations

import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from lxml import etree

from bookbuild.book.editions import Edition
from bookbuild.book.isbn import ISBN_IN_TEXT, isbn_digits
from bookbuild.book.lints import lint_markdown
from bookbuild.book.load import read_unit_file
from bookbuild.book.model import Metadata, NavPoint
from bookbuild.book.pages import page_order, roman_value
from bookbuild.book.words import is_chinese
from bookbuild.book.xml import DC, EPUB_TYPE, OPF, XHTML, safe_parser
from bookbuild.diagnostics import Diagnostic, Severity, suppressed
from bookbuild.errors import InputError
from bookbuild.pipeline import Modelled, build
from bookbuild.text import match_key
from bookbuild.validators import run_epubcheck, run_kindle_check, run_vnu

_PARSER = safe_parser()


def run_check(
    root: Path, vnu: Path | None = None, targets: tuple[str, ...] = (), edition: Edition | None = None
) -> list[Diagnostic]:
    """`vnu`: the Nu checker's jar named on the command line (else the project's own).
    `targets`: reading systems to check the book for as well (kindle). `edition`: check
    that edition of the book (vertical, Traditional) instead of the book as written."""
    with tempfile.TemporaryDirectory(prefix="bookbuild-check-") as tmp:
        out = Path(tmp)
        try:
            modelled = build(root, out, edition=edition).modelled
        except InputError as exc:
            return list(exc.diagnostics) or [Diagnostic("S009", exc.message)]
        sources = {u.doc_name: u.source.path for u in modelled.resolved.book.units}
        sources.update({f"{u.source.name}.html": u.source.path for u in modelled.resolved.book.units})
        # the book's own stylesheets are copied as css/book-NAME.css
        sources.update({f"book-{p.name}": f"styles/{p.name}" for p in (root / "styles").glob("*.css")})
        [epub] = out.glob("*.epub")
        found = list(modelled.diagnostics)
        html = sorted((out / "html").glob("*.html")) + sorted((out / "html" / "css").glob("*.css"))
        # the two validators side by side, a JVM per core: most of each run is the JVM
        # starting and warming up, so check takes about as long as the slower of the two
        with ThreadPoolExecutor(2) as pool:
            epubcheck = pool.submit(run_epubcheck, epub, sources)
            nu_checker = pool.submit(run_vnu, html, sources, vnu, out)
            found += epubcheck.result()
            found += nu_checker.result()
        found += book_checks(modelled, epub)
        found += typography_lints(root, modelled)
        if "kindle" in targets:
            found += run_kindle_check(epub, _documents(modelled, epub))
    suppress = modelled.resolved.book.metadata.suppress
    return sorted(suppressed(found, suppress), key=_order)


def typography_lints(root: Path, modelled: Modelled) -> list[Diagnostic]:
    """The punctuation a Chinese book's editor mends by hand (book.lints), on each unit's
    Markdown as written, with its line and the fix."""
    book = modelled.resolved.book
    if not is_chinese(book.metadata.language):
        return []
    found = []
    for unit in book.units:
        if unit.source.generated:
            continue
        source, _, _ = read_unit_file(root, f"{unit.source.name}.md")
        if source is None:
            continue
        for offset, lint in lint_markdown(source.body):
            found.append(Diagnostic(lint.code, lint.message, source.path, source.body_line + offset))
    return found


_PARAGRAPHS = etree.XPath("//x:p[not(ancestor::x:header)]", namespaces={"x": XHTML})


def _documents(modelled: Modelled, epub: Path) -> list[tuple[str, str, tuple[str, ...]]]:
    """(EPUB document, source file, its paragraphs' texts) of each unit, in reading order:
    the unit's own text, not its header, which a converter may move or restyle."""
    found = []
    with zipfile.ZipFile(epub) as archive:
        for resolved in modelled.resolved.units:
            unit = resolved.unit
            tree = etree.fromstring(archive.read(f"EPUB/{unit.doc_name}"), _PARSER)
            texts = tuple("".join(p.itertext()) for p in _PARAGRAPHS(tree))
            found.append((unit.doc_name, unit.source.path, texts))
    return found


def _order(d: Diagnostic) -> tuple:
    rank = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}[d.severity]
    return (rank, d.file or "", d.line or 0, d.code, d.message)


def book_checks(modelled: Modelled, epub: Path) -> list[Diagnostic]:
    return (
        page_gaps(modelled)
        + metadata_checks(modelled)
        + contents_in_nav(modelled)
        + nav_targets(epub)
        + accessibility_claims(modelled, epub)
        + identifier_check(modelled, epub)
    )


def page_gaps(modelled: Modelled) -> list[Diagnostic]:
    """Print pages missing between two markers, saying which side was known or counted."""
    diags = []
    pages = modelled.resolved.pages
    for before, after in zip(pages, pages[1:]):
        if before.label.isdigit() != after.label.isdigit():
            continue  # roman front matter to arabic body: no gap to measure
        low, high = page_order(before.label)[1], page_order(after.label)[1]
        if high - low > 1:
            kinds = (
                f"{'known' if before.known else 'inferred'} page {before.label} → "
                f"{'known' if after.known else 'inferred'} page {after.label}"
            )
            missing = high - low - 1
            diags.append(
                Diagnostic("P005", f"{missing} print page(s) have no marker ({kinds})", after.file, after.line)
            )
    return diags


def metadata_checks(modelled: Modelled) -> list[Diagnostic]:
    meta = modelled.resolved.book.metadata
    missing = [
        name
        for name, value in (
            ("creators", meta.creators),
            ("publisher", meta.publisher),
            ("date", meta.date),
            ("isbn", meta.isbn or meta.print_isbn),
        )
        if not value
    ]
    if not missing:
        return []
    return [
        Diagnostic("M008", f"metadata.yaml has no {', '.join(missing)}; stores and libraries expect them", meta.path, 1)
    ]


def _flatten(points: tuple[NavPoint, ...]):
    for point in points:
        yield point
        yield from _flatten(point.children)


def contents_in_nav(modelled: Modelled) -> list[Diagnostic]:
    """Every printed-contents entry that exists in the body is in the nav, with its page."""
    meta = modelled.resolved.book.metadata
    in_body = {
        match_key(h.text): (u.source.path, h.line)
        for r in modelled.resolved.units
        for u in [r.unit]
        for h in u.headings
    }
    in_nav = {match_key(p.label): p for p in _flatten(modelled.nav.toc)}
    diags = []
    for entry in meta.contents:
        key = match_key(entry.title)
        if entry.kind == "group" or key not in in_body:
            continue
        point = in_nav.get(key)
        path, line = in_body[key]
        if point is None:
            diags.append(
                Diagnostic(
                    "S014", f"contents entry {entry.title!r} is in the body but not in the navigation", path, line
                )
            )
        elif entry.page and point.page and _page_value(point.page) != _page_value(entry.page):
            diags.append(
                Diagnostic(
                    "P006",
                    f"{entry.title!r} is on page {point.page} in the book "
                    f"but page {entry.page} in the printed contents",
                    path,
                    line,
                )
            )
    return diags


def _page_value(label: str) -> int:
    return int(label) if label.isdigit() else (roman_value(label) or 0)


def nav_targets(epub: Path) -> list[Diagnostic]:
    """Every nav and page-list link lands on an element of the right kind."""
    diags = []
    with zipfile.ZipFile(epub) as archive:
        names = set(archive.namelist())
        nav = etree.fromstring(archive.read("EPUB/nav.xhtml"), _PARSER)
        docs: dict[str, etree._Element] = {}
        for nav_element in nav.iter(f"{{{XHTML}}}nav"):
            kind = nav_element.get(EPUB_TYPE)
            for link in nav_element.iter(f"{{{XHTML}}}a"):
                doc, _, fragment = link.get("href", "").partition("#")
                if f"EPUB/{doc}" not in names:
                    diags.append(
                        Diagnostic(
                            "X003", f"{kind} link {link.get('href')} points at a missing document", "EPUB/nav.xhtml"
                        )
                    )
                    continue
                if not fragment:
                    continue
                tree = docs.setdefault(doc, etree.fromstring(archive.read(f"EPUB/{doc}"), _PARSER))
                found = tree.xpath("//*[@id=$id]", id=fragment)
                problem = None
                if not found:
                    problem = "has no target"
                elif kind == "page-list" and found[0].get(EPUB_TYPE) != "pagebreak":
                    problem = "is not a pagebreak"
                elif kind == "toc" and etree.QName(found[0]).localname not in ("h1", "h2", "h3", "h4", "h5", "h6"):
                    problem = "is not a heading"
                elif kind == "loi" and etree.QName(found[0]).localname != "figure":
                    problem = "is not a figure"
                elif kind == "lot" and etree.QName(found[0]).localname != "table":
                    problem = "is not a table"
                if problem:
                    diags.append(Diagnostic("X003", f"{kind} link {link.get('href')} {problem}", "EPUB/nav.xhtml"))
    return diags


def accessibility_claims(modelled: Modelled, epub: Path) -> list[Diagnostic]:
    """The schema.org claims in the package must be true of this book."""
    with zipfile.ZipFile(epub) as archive:
        opf = etree.fromstring(archive.read("EPUB/package.opf"), _PARSER)
    claims: dict[str, set[str]] = {}
    for meta in opf.iter(f"{{{OPF}}}meta"):
        prop = meta.get("property") or ""
        if prop.startswith("schema:"):
            claims.setdefault(prop[7:], set()).add(meta.text or "")
    units = [r.unit for r in modelled.resolved.units]
    images = [i for u in units for i in u.images]
    features = claims.get("accessibilityFeature", set())
    wrong = []
    if features & {"pageNavigation", "printPageNumbers"} and not modelled.nav.page_list:
        wrong.append("claims page navigation but has no page-list")
    if "alternativeText" in features and not (images and all(i.alt.strip() for i in images)):
        wrong.append("claims alternativeText but not every image has alt text")
    if ("visual" in claims.get("accessMode", set())) != bool(images):
        wrong.append("accessMode visual does not match whether the book has images")
    if "textual" in claims.get("accessModeSufficient", set()) and any(not i.alt.strip() for i in images):
        wrong.append("claims textual access is sufficient but an image has no alt text")
    for field in ("accessMode", "accessibilityFeature", "accessibilityHazard", "accessibilitySummary"):
        if field not in claims:
            wrong.append(f"schema:{field} is missing")
    return [Diagnostic("E005", f"accessibility metadata {text}", "EPUB/package.opf") for text in wrong]


def print_isbns(meta: Metadata) -> set[str]:
    """The digits of every ISBN the book says is a print edition's: print_isbn, the
    `isbns:` marked print, and the CIP record's (a CIP record describes the print book)."""
    found = {meta.print_isbn} | {e.isbn for e in meta.isbns if e.medium == "print"}
    found |= set(ISBN_IN_TEXT.findall(meta.cip.raw))
    return {isbn_digits(isbn) for isbn in found if isbn_digits(isbn)}


def identifier_check(modelled: Modelled, epub: Path) -> list[Diagnostic]:
    """Stores take the EPUB's identifier for the e-book's own: a print ISBN there makes
    the e-book pass for the printed one."""
    with zipfile.ZipFile(epub) as archive:
        opf = etree.fromstring(archive.read("EPUB/package.opf"), _PARSER)
    unique = opf.get("unique-identifier")
    identifier = next((e.text or "" for e in opf.iter(f"{{{DC}}}identifier") if e.get("id") == unique), "")
    meta = modelled.resolved.book.metadata
    digits = isbn_digits(identifier.removeprefix("urn:isbn:"))
    if not identifier.startswith("urn:isbn:") or digits not in print_isbns(meta):
        return []
    message = (
        f"the EPUB's identifier is {identifier}, the print edition's ISBN: give the e-book its own "
        f"ISBN as `isbn:`, or move this one to `print_isbn:` (the EPUB then gets a stable UUID)"
    )
    return [Diagnostic("M010", message, meta.path, meta.line_of("isbn") or 1)]
