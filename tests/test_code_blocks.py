"""Code blocks with a language are highlighted into CSS classes (book/highlight.py), the
same in both outputs; the colours in the package stylesheet are Pygments' current ones."""

from __future__ import annotations

import subprocess
import sys
import zipfile

from conftest import ROOT, write_book

from bookbuild.pipeline import build

UNIT = "---\ntitle: 代码\nkind: chapter\npage: 1\n---\n\n{body}\n"


def _chapter(tmp_path, body: str) -> tuple[str, str]:
    root = write_book(tmp_path / "book", {"01-code.md": UNIT.format(body=body)})
    out = tmp_path / "out"
    build(root, out)
    [epub] = out.glob("*.epub")
    with zipfile.ZipFile(epub) as archive:
        xhtml = archive.read("EPUB/01-code.xhtml").decode("utf-8")
    return xhtml, (out / "html" / "01-code.html").read_text("utf-8")


def test_a_block_with_a_language_gets_classes_and_keeps_its_text(tmp_path):
    xhtml, page = _chapter(tmp_path, '```python\nif x < 1 and y:\n    print("<第 3 页>")\n```')
    assert '<pre class="highlight"><code class="language-python"><span class="hl-k">if</span>' in xhtml
    assert '<span class="hl-s2">"&lt;第 3 页&gt;"</span>' in xhtml  # escaped, and never a page link
    assert "style=" not in xhtml and "<script" not in xhtml
    assert '<span class="hl-k">if</span>' in page  # the HTML edition shows the same


def test_an_unknown_language_or_none_is_left_as_written(tmp_path):
    xhtml, _ = _chapter(tmp_path, "```nosuchlanguage\na < b\n```\n\n```\nc > d\n```")
    assert '<pre><code class="language-nosuchlanguage">a &lt; b\n</code></pre>' in xhtml
    assert "<pre><code>c &gt; d\n</code></pre>" in xhtml
    assert "hl-" not in xhtml


def test_the_stylesheet_has_pygments_current_colours_for_light_and_dark():
    script = ROOT / "scripts" / "code-css.py"
    assert subprocess.run([sys.executable, str(script), "--check"]).returncode == 0, (
        "bookbuild/styles/default.css: run scripts/code-css.py"
    )
    css = (ROOT / "bookbuild" / "styles" / "default.css").read_text("utf-8")
    assert "pre.highlight .hl-k {" in css and "@media (prefers-color-scheme: dark)" in css
