"""TeX math becomes MathML (book/markdown/math.py, book/mathml.py): inline and displayed,
the TeX as alt text, the EPUB item marked mathml; what cannot be converted stays visible
as TeX and is reported (S023)."""

from __future__ import annotations

import zipfile

from conftest import write_book

from bookbuild.pipeline import build

UNIT = "---\ntitle: 公式\nkind: chapter\npage: 1\n---\n\n{body}\n"


def _build(tmp_path, body: str):
    root = write_book(tmp_path / "book", {"01-math.md": UNIT.format(body=body)})
    result = build(root, tmp_path / "out")
    [epub] = (tmp_path / "out").glob("*.epub")
    with zipfile.ZipFile(epub) as archive:
        return result, archive.read("EPUB/01-math.xhtml").decode("utf-8"), archive.read("EPUB/package.opf").decode()


def test_inline_and_displayed_formulas_become_mathml_with_their_tex_as_alt_text(tmp_path):
    result, xhtml, opf = _build(tmp_path, "能量 $E = mc^2$，以及\n\n$$\\sum_{i=1}^{n} x_i^*$$")
    assert '<math xmlns="http://www.w3.org/1998/Math/MathML" display="inline" alttext="E = mc^2">' in xhtml
    assert 'display="block" alttext="\\sum_{i=1}^{n} x_i^*"' in xhtml
    assert "<em>" not in xhtml  # the stars and underscores of TeX are not emphasis
    assert 'href="01-math.xhtml" media-type="application/xhtml+xml" properties="mathml"' in opf
    assert "MathML</meta>" in opf  # schema:accessibilityFeature
    assert not [d for d in result.diagnostics if d.code == "S023"]


def test_dollars_that_are_money_code_or_escaped_stay_text(tmp_path):
    _, xhtml, opf = _build(tmp_path, "价格 $5 与 $10，`$x$` 是代码，\\$y\\$ 是转义。")
    assert "<math" not in xhtml and 'properties="mathml"' not in opf
    # the space between 5 and 与 goes: text-autospace spaces digits from Han (render.typeset)
    assert "价格 $5与 $10，<code>$x$</code> 是代码，$y$ 是转义。" in xhtml


def test_a_formula_that_cannot_be_converted_stays_tex_and_is_reported_with_its_line(tmp_path):
    result, xhtml, _ = _build(tmp_path, "第一段。\n\n坏的 $\\frac{a}{$ 和未知的 $\\nosuchcommand x$。")
    found = [(d.code, d.line) for d in result.diagnostics if d.code == "S023"]
    assert found == [("S023", 9), ("S023", 9)]
    assert '<span class="math-tex">$\\frac{a}{$</span>' in xhtml
    assert '<span class="math-tex">$\\nosuchcommand x$</span>' in xhtml
