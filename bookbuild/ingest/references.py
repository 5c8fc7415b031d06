"""What ingest tells about the print-page references in the book it wrote (第 37 页,
p. 37: see bookbuild.book.pagerefs): the build links each to its page's marker, so the
report says how many there are and lists those naming a page the book has no marker for
(the build reports them as P007 and leaves them as text)."""

from __future__ import annotations

import re

from bookbuild.book.pagerefs import find_references

_MARKER_RE = re.compile(r"\{\{page\s+([^}\s]+)\s*\}\}")
_FRONT_PAGE_RE = re.compile(r"^page:\s*['\"]?([0-9ivxlcdm]+)['\"]?\s*$", re.M)
_CODE_RE = re.compile(r"`[^`\n]*`")  # the build never looks inside code


def page_reference_report(files: list[tuple[str, str]]) -> list[str]:
    """Report lines for the units among `files` ((path, text) as written)."""
    units = [(path, text) for path, text in files if path.startswith("book/") and path.endswith(".md")]
    pages = set()
    for _, text in units:
        pages.update(_MARKER_RE.findall(text))
        front = text.split("\n---\n", 1)[0]
        pages.update(_FRONT_PAGE_RE.findall(front))
    found, lacking = 0, []
    for path, text in units:
        for number, line in enumerate(text.split("\n"), 1):
            if "{: .no-page-refs" in line:
                continue
            for ref in find_references(_MARKER_RE.sub(" ", _CODE_RE.sub(" ", line))):
                found += 1
                if ref.first not in pages:
                    lacking.append(f"  {path}:{number}: page {ref.first}")
    if not found:
        return ["print-page references: none"]
    return [
        f"print-page references: {found}, linked by the build to their pages; "
        f"{len(lacking)} name a page this book has no marker for (left as text, P007)"
    ] + lacking
