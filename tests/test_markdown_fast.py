"""The inline fast path (bookbuild/book/markdown/fastpath.py) changes no output: whole books and
tricky snippets convert to the same bytes with and without it."""

import os
import re
from pathlib import Path

import pytest
from build_helpers import generate_book
from conftest import FIXTURES, ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bookbuild.book.load import load, read_unit_file
from bookbuild.book.markdown import fastpath, new_converter
from bookbuild.diagnostics import Severity
from bookbuild.pipeline import build

SNIPPETS = {
    "plain": "纯文本段落，没有任何标记。\n\n第二段。",
    "hard line break": "第一行  \n第二行\n",
    "two spaces at the very end": "结尾两个空格  ",
    "abbreviation in plain text": "用 HTML 写书。\n\n*[HTML]: HyperText Markup Language\n",
    "abbreviation in a list and a tail": "* 一个 CIP 项\n* **粗** 之后 CIP\n\n*[CIP]: 在版编目\n",
    "attribute list": "段落\n{: .note }\n\n## 标题 {#custom-id}\n",
    "raw html block and inline": '<div class="box">\n<p>原样</p>\n</div>\n\n文字<span>内联</span>尾巴\n',
    "markdown in html": '<div markdown="1">\n**粗**与正文\n</div>\n',
    "entities and escapes": "A &amp; B &copy; \\*不是强调\\* 和 \\[不是链接\\]\n",
    "code and fences": "`{{page 3}}` 与 `*x*`\n\n```\n*保持* {{page 4}}\n```\n",
    "footnotes": "正文[^1]和[^n]。\n\n[^1]: 注一，纯文本。\n[^n]: 注二 **粗**。\n",
    "definition list and table": "术语\n:   定义，纯文本\n\n| 甲 | 乙 |\n|---|---|\n| 一 | *二* |\n",
    "page markers": "前{{page 12}}后\n\n{{page 13}}\n\n尾",
    "page markers back to back": "{{page 1}}{{page 2}}中{{page 3}}",
    "page markers written out": "模板 \\{{page 8}} 与 \\{{index 词}}，又{{page 9}}\n\n\\{{page 10}}\n",
    "page marker after emphasis": "有*强调*后{{page 4}}再接 {{page v}} 结尾\n",
    "page marker in headings and lists": "## 标题{{page 5}}\n\n- 项{{page 6}}\n- {{page 7}}项\n",
    "page marker beside a brace": "{ 括号 {{page 8}} }\n\n{{page  9 }}和{{page}}",
    "page marker in a link": "[链接{{page 10}}文字](#x) 后{{page 11}}\n",
    "autolinks": "<https://example.com/路径> 和 <mail@example.com>\n",
    "quote and nested list": "> 引文\n> 1. 一\n>     - 二 纯文本\n",
    "underscore emphasis": "这是_强调_和__粗体__\n",
    # block level: the plain-paragraph fast path must leave every other block alone
    "paragraph then list, no blank line": "段落一行\n- 项一\n- 项二\n\n段落\n1. 一\n",
    "lines starting with digits": "2015年7月出版。\n2016年再版。\n\n1. 真的列表\n",
    "setext headings and rules": "标题\n===\n\n小标题\n---\n\n正文\n\n***\n\n- - -\n",
    "heading inside a paragraph block": "第一行\n## 标题\n第三行\n",
    "quote inside a paragraph block": "第一行\n> 引文\n",
    "table and definition": "甲|乙\n--|--\n1|2\n\n术语\n: 定义\n",
    "references and footnote definitions": "见[甲][a]与注[^x]。\n[a]: http://example.com\n[^x]: 注文\n",
    "indented code after a paragraph": "段落\n\n    代码\n    更多\n\n段落\n\ttab 代码\n",
    "lazy list continuation": "- 项一\n继续的行\n\n    缩进的段落\n\n- 项二\n\n  两格缩进\n",
    "loose list with paragraphs": "1. 一\n\n    段落在项里\n\n2. 二\n\n普通段落\n",
    "paragraph in a quote": "> 第一段\n>\n> 第二段\n\n之后\n",
    "leading spaces": "   三个空格的段落\n  第二行\n\n 一个空格\n",
    "html block between paragraphs": "段落\n\n<div>\n块\n</div>\n\n段落\n",
    "fenced code between paragraphs": "段落\n\n~~~\n代码\n~~~\n\n段落 `行内`\n",
    "attribute list line": "段落\n{: .note #n1 }\n\n另一段\n",
    "attribute list after a page marker": "段落{{page 2}}\n{: .note }\n",
    "backslash escapes": "\\*不是强调\\* 与 \\[方括号\\] 与 \\\\ 和 [链接](#a\\_b)\n",
    "escaped brace": "\\{: .note } 不是属性 {{page 3}}\n",
    "last line of spaces": "段落\n   ",
    "blank line of spaces": "一段\n  \n二段\n",
    "carriage returns and tabs": "一\r\n二\r\n\r\n\t代码\n\n三\t四\n",
    # a bare carriage return in a list item leaves text in a tail before the inline stage
    # (found by the Markdown property: the fast path used lxml-only calls there)
    "carriage return in a list item": "- #\r0\n- #\r{{page 3}}x\n- a\r{{page 4}}b {{page 5}}c\n",
    "fence and html": "```\n代码\n```\n\n<div>块</div>\n\nA &amp; B\n",
    "abbreviation definition": "有 HTML。\n\n*[HTML]: 超文本\n",
}


# the simple-span path (fastpath._take_simple_spans)
SNIPPETS.update(
    {
        "simple spans": "有*强调*与**“互联网+”**的，`http.get()`，[第1章](01-a.md)和注[^1]{{page 2}}。\n\n[^1]: 注\n",
        "simple spans at both ends": "*开头*中间**结尾**\n\n`代码`\n\n[链接](#a)\n",
        "a note referred to twice": "一[^1]二[^1]三\n\n[^1]: 注\n",
        "an undefined note": "一[^9]二*强调*\n",
        "a note id that is a link text": "[^1](#x) 与 [^a b](#y)\n\n[^1]: 注\n[^a b]: 注\n",
        "a link text that is a reference": "[甲](#x) 与 [甲]\n\n[甲]: http://example.com\n",
        "an image is not a link": "看![图](a.png)和[链](b.md)\n",
        "spaced stars": "a * b * c *d* e ** f **\n",
        "stars against spans": "***三***与**二*一*与*一**二**\n",
        "a code span holding syntax": "`*x* [a](b) {{page 3}}` 后 *y*\n",
        "a page label with a backtick": "{{page a`}} b`c` *d*\n",
        "spans in a list, heading and table": "## 标*题*\n\n- 项*一*\n- [二](#x)\n\n| 甲 | 乙 |\n|---|---|\n| *一* | `二` |\n",
    }
)


def _both(text: str) -> tuple[str, str]:
    return new_converter(fast=True).convert(text), new_converter(fast=False).convert(text)


@pytest.mark.parametrize("name", SNIPPETS)
def test_snippet_is_the_same_with_and_without_the_fast_path(name):
    fast, slow = _both(SNIPPETS[name])
    assert fast == slow


def _bodies(root: Path) -> list[str]:
    return [read_unit_file(root, name)[0].body for name in load(root).unit_files]


def test_whole_books_are_the_same_with_and_without_the_fast_path(tmp_path):
    generate_book((12, 120_000), tmp_path / "synthetic")
    generate_book((12, 120_000), tmp_path / "realistic", realistic=True)
    bodies = _bodies(ROOT) + _bodies(FIXTURES / "books" / "features") + _bodies(tmp_path / "synthetic")
    bodies += _bodies(tmp_path / "realistic")
    bodies += [p.read_text("utf-8") for p in sorted((FIXTURES / "markdown").glob("*.md"))]
    fast, slow = new_converter(fast=True), new_converter(fast=False)
    for body in bodies:
        assert fast.reset().convert(body) == slow.reset().convert(body)


def test_the_fast_path_is_on_with_our_extensions():
    """If Python-Markdown gains an inline pattern this module does not know, the fast path
    turns itself off: correct but slow. This test says so when it happens."""
    converter = new_converter(fast=True)
    skipper = converter.treeprocessors["skip_plain_text"]
    assert skipper.trigger is not None, [p.name for p in converter.inlinePatterns._priority]
    seen = []
    original_restore = converter.treeprocessors["restore_plain_text"].run

    def spy(root):
        seen.extend(skipper.skipped)
        return original_restore(root)

    converter.treeprocessors["restore_plain_text"].run = spy
    converter.convert("纯文本。\n\n有*强调*的段落。\n\n有_下划线强调_的段落。\n")
    # the plain paragraph skipped; the one with simple emphasis made here (its text, the
    # em's text and tail); the one with underscores left to the inline stage
    assert [element.tag for element, _ in seen] == ["p", "p", "em", "em"]
    assert converter.parser.blockprocessors["plain_paragraph"]._known, [
        p.name for p in converter.parser.blockprocessors._priority
    ]
    # the tree walks that only a '{' or a backslash in the source can give work to
    assert all(hasattr(converter.treeprocessors[name], "inner") for name in ("attr_list", "unescape"))
    assert all(
        hasattr(converter.preprocessors[name], "inner")
        for name in ("normalize_whitespace", "fenced_code_block", "html_block")
    )


def test_the_realistic_bench_book_has_inline_markup_and_builds_clean(tmp_path):
    """bench/generate.py --realistic (issue 19): the markup the fast paths cannot skip, at
    about the density of real books, in a book that builds without a finding."""
    generate_book((12, 120_000), tmp_path / "realistic", realistic=True)
    text = "".join(_bodies(tmp_path / "realistic"))
    emphasis = len(re.findall(r"(?<!\*)\*(?!\*)[^*\n]+\*(?!\*)", text)) + text.count("**") // 2
    assert 100 < len(text) / emphasis < 200  # about one in 140 characters
    assert "**“" in text and text.count("`") > 20 and text.count("-chapter-") > 5 and text.count("[^") > 20
    result = build(tmp_path / "realistic", tmp_path / "out")
    assert [d for d in result.diagnostics if d.severity is not Severity.INFO] == []


# the characters the simple-span path reads one by one, and whole spans
_INLINE_PIECES = st.sampled_from(
    [*"*`[]()^! \na中“”_\\<&{}$:#", "\n\n"]
    + ["**", "  \n", "{{page 3}}", "{{page x}}", "[^1]", "[^2]", "[^9]", "[^a b]", "*强调*", "**“互联网+”**"]
    + ["`code()`", "[第1章](01-a.md)", "[甲](#h)", "[甲]", "![图](a.png)", "- ", "1. ", "> ", "## "]
)
_DEFINITIONS = st.sampled_from(
    ["", "\n\n[^1]: 注一\n", "\n\n[^1]: 注一 [^2]\n[^2]: 注*二*\n", "\n\n[甲]: http://example.com\n"]
)


@settings(
    max_examples=int(os.environ.get("FAST_PATH_EXAMPLES", "400")),
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(body=st.lists(_INLINE_PIECES, max_size=30).map("".join), definitions=_DEFINITIONS)
def test_any_inline_text_is_the_same_with_and_without_the_fast_path(body, definitions):
    """The simple-span path against the inline stage on text built from the characters and
    spans it reads: any difference is a span it took that the inline stage reads otherwise."""
    fast, slow = _both(body + definitions)
    assert fast == slow


@settings(max_examples=400, deadline=None, database=None)
@given(text=st.lists(_INLINE_PIECES, max_size=30).map("".join))
def test_simple_spans_finds_what_the_pattern_finds_scanning_every_character(text):
    """fastpath.simple_spans tries the span pattern only where a span can start."""
    expected = [(m.span(), m.lastgroup) for m in fastpath._SIMPLE_SPAN.finditer(text)]
    assert [(m.span(), m.lastgroup) for m in fastpath.simple_spans(text)] == expected
