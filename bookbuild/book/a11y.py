"""Accessibility claims (schema.org metadata) derived from the book, so each is true."""

from __future__ import annotations

from bookbuild.book.model import Accessibility, Navigation, ResolvedBook
from bookbuild.book.words import is_chinese


def accessibility(book: ResolvedBook, nav: Navigation) -> Accessibility:
    units = [r.unit for r in book.units]
    images = [image for unit in units for image in unit.images]
    all_alt = all(image.alt.strip() for image in images)
    has_headings = any(len(unit.headings) > 1 for unit in units) or len(units) > 1
    modes = ("textual", "visual") if images else ("textual",)
    sufficient: tuple[str, ...] = ("textual",) if all_alt else ()
    if images:
        sufficient += ("textual,visual",)
    features = ["readingOrder", "tableOfContents"]
    if has_headings:
        features.append("structuralNavigation")
    if nav.page_list:
        features += ["pageNavigation", "printPageNumbers"]
    if images and all_alt:
        features.append("alternativeText")
    if any(unit.mathml for unit in units):
        features.append("MathML")
    zh = is_chinese(book.book.metadata.language)
    parts = []
    if zh:
        parts.append("本书为文字内容，可由朗读软件完整朗读；提供目录与标题层级导航")
        if nav.page_list:
            parts.append(
                f"含与纸书（ISBN {book.book.metadata.print_isbn or book.book.metadata.isbn or '未知'}）对应的页码导航，"
                + page_count_phrase(True, len(nav.page_list))
            )
        if images:
            parts.append("所有图片均有替代文字" if all_alt else "部分图片缺少替代文字")
        summary = "；".join(parts) + "。无已知危害。"
    else:
        parts.append("Text content readable by assistive technology, with a table of contents and heading navigation")
        if nav.page_list:
            parts.append(
                "print page navigation matching the print edition " + page_count_phrase(False, len(nav.page_list))
            )
        if images:
            parts.append("every image has alternative text" if all_alt else "some images lack alternative text")
        summary = "; ".join(parts) + ". No known hazards."
    return Accessibility(modes, sufficient, tuple(sorted(features)), ("none",), summary)


def page_count_phrase(chinese: bool, count: int) -> str:
    """How the summary counts the print pages: a quick rebuild that adds or removes one
    swaps it in the package (incremental.quick)."""
    return f"共 {count} 个页码标记" if chinese else f"({count} page markers)"
