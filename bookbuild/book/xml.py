"""The XML namespaces bookbuild reads and writes, and the one way it parses XML: no
entities resolved, no DTD loaded, nothing fetched from the network, no huge trees (the
input is untrusted: a unit's raw HTML, an SVG, an EPUB being ingested or checked)."""

from __future__ import annotations

from lxml import etree

XHTML = "http://www.w3.org/1999/xhtml"
EPUB = "http://www.idpf.org/2007/ops"  # epub:type and the other EPUB attributes
OPF = "http://www.idpf.org/2007/opf"
DC = "http://purl.org/dc/elements/1.1/"
NCX = "http://www.daisy.org/z3986/2005/ncx/"
MATHML = "http://www.w3.org/1998/Math/MathML"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
EPUB_TYPE = f"{{{EPUB}}}type"
# elements whose text is written as is, never prose: not linted, converted or typeset
LITERAL_TAGS = frozenset({f"{{{XHTML}}}{tag}" for tag in ("code", "pre", "kbd", "samp")} | {f"{{{MATHML}}}math"})


def safe_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
