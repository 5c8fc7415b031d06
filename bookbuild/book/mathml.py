"""TeX formulas (book.markdown.math) as MathML, with the TeX as their alt text. A formula
latex2mathml cannot convert, or one with a command it does not know, is reported (S023)
and stays visible as TeX."""

from __future__ import annotations

from lxml import etree

from bookbuild.book.xml import MATHML, XHTML, safe_parser


def convert_math(root: etree._Element) -> list[tuple[str, str]]:
    """Each <span class="math" data-tex> under `root` replaced by MathML, in place.
    Returns (TeX, problem) for the formulas left as TeX."""
    spans = [span for span in root.iter(f"{{{XHTML}}}span") if span.get("class") == "math" and span.get("data-tex")]
    if not spans:
        return []
    # imported here: most books have no formula
    from latex2mathml.converter import convert

    failed = []
    for span in spans:
        tex, display = span.get("data-tex", ""), span.get("data-display", "inline")
        try:
            math = etree.fromstring(convert(tex, display=display), safe_parser())
        except Exception as exc:  # noqa: BLE001 (latex2mathml raises many kinds; each is "not convertible")
            failed.append((tex, type(exc).__name__))
            _as_tex(span, tex, display)
            continue
        unknown = [mi.text for mi in math.iter(f"{{{MATHML}}}mi") if (mi.text or "").startswith("\\")]
        if unknown:
            failed.append((tex, f"unknown command {unknown[0]}"))
            _as_tex(span, tex, display)
            continue
        math.set("alttext", tex)
        math.tail = span.tail
        parent = span.getparent()
        assert parent is not None
        parent.replace(span, math)
    return failed


def _as_tex(span: etree._Element, tex: str, display: str) -> None:
    span.attrib.clear()
    span.set("class", "math-tex")
    span.text = f"$${tex}$$" if display == "block" else f"${tex}$"
