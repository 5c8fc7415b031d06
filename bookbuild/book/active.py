"""Active and remote content: what a book may not carry into its outputs (part of stage
`parse`, for raw HTML in the units and for SVG image files).

An EPUB is read offline and trusted by the reader's device, and the HTML edition is put
on the web: nothing in them may run (script, event handlers, javascript: URLs, SVG
animation that writes a link or a handler, a refresh), and nothing may be fetched from
elsewhere (remote images, stylesheets, fonts, CSS url()s). Each finding is (code,
message, a piece of the source to find its line by): S005 for active content, S006 for
remote or unpackaged resources.
"""

from __future__ import annotations

import re

from lxml import etree

from bookbuild.book.xml import safe_parser

Finding = tuple[str, str, str]

_FORBIDDEN = {
    "script",
    "iframe",
    "object",
    "embed",
    "form",
    "frame",
    "frameset",
    "base",
    "applet",
    "handler",
    "listener",
    "portal",
}
_ANIMATION = {"set", "animate", "animatetransform", "animatemotion", "animatecolor"}
# attributes whose value is a URL the reader may follow or load
_URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "data",
    "poster",
    "background",
    "cite",
    "longdesc",
    "usemap",
    "codebase",
    "lowsrc",
    "dynsrc",
    "ping",
    "manifest",
    "values",
    "to",
    "from",
    "by",
}
# elements whose href is loaded, not followed
_LOADED_BY_HREF = {"image", "use", "feimage", "link", "script", "img", "tref", "font-face-uri"}
_LOADED_ATTRIBUTES = {"src", "poster", "data", "background", "lowsrc", "dynsrc", "manifest"}
_SCRIPT_URL = re.compile(r"(javascript|vbscript|livescript):|data:(text/html|image/svg|application/)", re.I)
_REMOTE_URL = re.compile(r"\s*([a-z][a-z0-9+.-]*:)?//|\s*(https?|ftp|file):", re.I)
_BLANKS = re.compile(r"[\x00-\x20\x7f]+")
# url(…) and @import "…" in CSS, with or without quotes
_CSS_URL = re.compile(r"""url\(\s*(['"]?)(.*?)\1\s*\)|@import\s+(['"])(.*?)\3""", re.I | re.S)


def _local(name: str) -> str:
    return name.rpartition("}")[2].lower()


def script_url(value: str) -> bool:
    """A URL that runs script when followed. Browsers drop tabs, newlines and other
    blanks inside a scheme (java&#9;script:), so they are dropped here too."""
    return bool(_SCRIPT_URL.match(_BLANKS.sub("", value)))


def remote_url(value: str) -> bool:
    return bool(_REMOTE_URL.match(value))


def css_urls(css: str) -> list[tuple[str, int]]:
    """Every URL a piece of CSS loads, with its offset."""
    return [(m.group(2) if m.group(2) is not None else m.group(4), m.start()) for m in _CSS_URL.finditer(css)]


def css_findings(css: str) -> list[tuple[str, str, int]]:
    """(code, message, offset) for what a stylesheet or style attribute may not load."""
    found = []
    for url, offset in css_urls(css):
        if script_url(url):
            found.append(("S005", f"url({url[:40]}) runs script", offset))
        elif remote_url(url):
            found.append(
                (
                    "S006",
                    f"remote resource {url[:80]} in CSS: copy it into the book and "
                    "refer to it relatively, or leave it out",
                    offset,
                )
            )
    for m in re.finditer(r"expression\s*\(|-moz-binding|behavior\s*:", css, re.I):
        found.append(("S005", f"CSS {m.group()[:20]!r} runs script", m.start()))
    return found


def tree_findings(root: etree._Element) -> list[Finding]:
    """What in an (X)HTML or SVG tree may not reach the outputs."""
    found: list[Finding] = []
    for element in root.iter(etree.Element):  # elements only: no comments
        tag = _local(element.tag)
        if tag in _FORBIDDEN:
            found.append(("S005", f"<{tag}> is not allowed in a book", f"<{tag}"))
        if tag == "meta" and element.get("http-equiv") is not None:
            found.append(("S005", "<meta http-equiv> (a refresh or redirect) is not allowed in a book", "http-equiv"))
        if tag in _ANIMATION:
            target = (element.get("attributeName") or "").strip().lower()
            if target.startswith("on") or target.rpartition(":")[2] in ("href", "src", "style"):
                found.append(
                    (
                        "S005",
                        f'<{tag} attributeName="{target}">: animation may not change links, handlers or styles',
                        f"<{tag}",
                    )
                )
        for name, value in element.items():
            found += _attribute_findings(tag, _local(name), value)
        if tag == "style" or (tag == "link" and (element.get("rel") or "").lower() == "stylesheet"):
            found.append(("S006", "stylesheets belong in styles/, not in a chapter", f"<{tag}"))
    return found


def _attribute_findings(tag: str, name: str, value: str) -> list[Finding]:
    if name.startswith("on"):
        return [("S005", f"event handler {name}= is not allowed", f"{name}=")]
    if name == "style":
        return [
            (code, f'style="…": {message}', value[offset : offset + 20] or "style=")
            for code, message, offset in css_findings(value)
        ]
    if name == "srcset":
        urls = [part.strip().split()[0] for part in value.split(",") if part.strip()]
        if any(remote_url(url) or script_url(url) for url in urls):
            return [("S006", f"srcset with a remote image ({value[:60]}): copy it into the book", value[:20])]
        return [
            (
                "S006",
                "srcset is not supported (its images are not copied into the book): give one image in src",
                value[:20],
            )
        ]
    if name not in _URL_ATTRIBUTES:
        return []
    if script_url(value):
        # found in the source by its first word: the source may spell a blank as &#9;
        return [("S005", f"{name}={value[:30]!r}: script URLs are not allowed", _BLANKS.split(value.strip())[0][:20])]
    loaded = name in _LOADED_ATTRIBUTES or (name == "href" and tag in _LOADED_BY_HREF)
    if loaded and remote_url(value):
        return [("S006", f"remote resource {value}: copy it into the book folder and link it relatively", value)]
    if value.strip().lower().startswith("file:"):
        return [("S006", f"{name}={value[:40]!r}: a file: URL points at the reader's own disk", value[:20])]
    return []


def svg_findings(data: bytes) -> list[tuple[str, str]]:
    """(code, message) for an SVG image file: refused if it declares entities (an
    entity-expansion bomb, or an external entity reading a file) or carries active or
    remote content, exactly as inline SVG would be."""
    try:
        root = etree.fromstring(data, safe_parser())
    except etree.XMLSyntaxError as exc:
        return [("S005", f"not well-formed SVG ({exc.msg}): it cannot be checked for script")]
    found = []
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and (list(dtd.iterentities()) or list(dtd.elements())):
        found.append(
            (
                "S005",
                "the SVG declares entities in a DOCTYPE (entity expansion can "
                "exhaust a reader, or read its files): remove the DOCTYPE",
            )
        )
    found += [(code, message) for code, message, _ in tree_findings(root)]
    return found
