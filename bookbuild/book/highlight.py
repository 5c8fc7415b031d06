"""Syntax highlighting of fenced code blocks with a language (```python): Pygments turns
the code into spans with classes (`hl-k` a keyword, `hl-s2` a string …), which the
package stylesheet colours for light and dark reading (bookbuild/styles/default.css, its
part made by scripts/code-css.py). No inline styles and no script, so the EPUB and the
HTML edition show the same thing and a reader's own styles can override it. A language
Pygments does not know leaves the block as it was."""

from __future__ import annotations

from lxml import etree

from bookbuild.book.xml import XHTML, safe_parser

CLASS_PREFIX = "hl-"
_LANGUAGE_PREFIX = "language-"


def highlight_code(root: etree._Element) -> None:
    """Every <pre><code class="language-X"> under `root` highlighted in place."""
    blocks = [
        code
        for code in root.iter(f"{{{XHTML}}}code")
        if (code.get("class") or "").startswith(_LANGUAGE_PREFIX)
        and code.getparent() is not None
        and code.getparent().tag == f"{{{XHTML}}}pre"
        and len(code) == 0
    ]
    if not blocks:
        return
    # imported here: Pygments and its lexers take a tenth of a second, and most books have no code
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    formatter = HtmlFormatter(nowrap=True, classprefix=CLASS_PREFIX)
    for code in blocks:
        language = (code.get("class") or "")[len(_LANGUAGE_PREFIX) :].split()[0]
        try:
            lexer = get_lexer_by_name(language, stripnl=False, ensurenl=False)
        except ClassNotFound:
            continue
        marked = highlight(code.text or "", lexer, formatter)
        spans = etree.fromstring(f'<code xmlns="{XHTML}">{marked}</code>', safe_parser())
        code.text = spans.text
        for span in spans:
            code.append(span)
        pre = code.getparent()
        assert pre is not None
        pre.set("class", " ".join(filter(None, [pre.get("class"), "highlight"])))
