"""render.typeset: what the stylesheet cannot do, done to the text (issue 14, the
typography review's recommendations 1-4)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from bookbuild.book.xml import XHTML
from bookbuild.render.typeset import WORD_JOINER, typeset

CASES = [
    # (language, paragraph as written, as typeset)
    ("zh-Hans", "威廉·吉布森", f"威廉{WORD_JOINER}·{WORD_JOINER}吉布森"),
    ("zh-Hans", "威廉・吉布森，威廉•吉布森，威廉‧吉布森", "威廉⁠·⁠吉布森，威廉⁠·⁠吉布森，威廉⁠·⁠吉布森"),
    ("zh-Hans", "· 列表符号后的文字", "· 列表符号后的文字"),  # not between two Han characters
    ("zh-Hans", "推崇 iGDP 在 GDP 中", "推崇iGDP在GDP中"),
    ("zh-Hans", "2015 年用 iPhone 6 和", "2015年用iPhone 6和"),
    ("zh-Hans", "两个空格  A 不动", "两个空格  A不动"),  # only a single space is the baked gap
    ("zh-Hans", "推崇 <em>iGDP</em> 的", '推崇<em class="latn">iGDP</em>的'),
    ("zh-Hans", "如<a href='#f'>图1-1</a> 所示", '如<a href="#f">图1-1</a>所示'),
    ("zh-Hans", "<code>第 4 页</code> 与 <code>x·y</code>", "<code>第 4 页</code> 与 <code>x·y</code>"),
    ("zh-Hans", "<em>着重</em>与<i>Science</i>", '<em>着重</em>与<i class="latn">Science</i>'),
    (
        "zh-Hans",
        "详见https://www.example.com/a-b/index.html?from=weixin&amp;x=1，或至author@citicpub.com。",
        '详见<a class="url" href="https://www.example.com/a-b/index.html?from=weixin&amp;x=1">'
        "https://www.example.com/a-b/index.html?from=weixin&amp;x=1</a>，或至"
        '<a class="url" href="mailto:author@citicpub.com">author@citicpub.com</a>。',
    ),
    (
        "en",
        "See (https://a.org/x). Mail <a href='mailto:a@b.org'>a@b.org</a>, not <code>http://x.org</code>.",
        'See (<a class="url" href="https://a.org/x">https://a.org/x</a>). Mail '
        '<a href="mailto:a@b.org" class="url">a@b.org</a>, not <code>http://x.org</code>.',
    ),
    ("en", "William·Gibson and 2015 年 stay", "William·Gibson and 2015 年 stay"),  # Chinese rules only
    ("en", "<em>Nature</em>", "<em>Nature</em>"),
]


def _typeset(language: str, paragraph: str) -> str:
    section = etree.fromstring(f'<section xmlns="{XHTML}"><p>{paragraph}</p></section>')
    typeset(section, language, etree.tostring(section, encoding="unicode"))
    text = etree.tostring(section[0], encoding="unicode")
    return text[text.index(">") + 1 : text.rindex("<")]


@pytest.mark.parametrize(("language", "written", "typeset_as"), CASES)
def test_typesetting(language, written, typeset_as):
    assert _typeset(language, written) == typeset_as


_TEXT = st.lists(st.sampled_from(list("中文字ab1 ·・•‧.:/@，。") + ["https://", "x@y.cn"]), max_size=30).map("".join)


@settings(max_examples=200, deadline=None, database=None)
@given(_TEXT, st.sampled_from(["zh-Hans", "en"]))
def test_typesetting_never_loses_text(text, language):
    """Whatever the text, only what typeset says it changes changes: interpuncts take one
    form between word joiners, single Han–Latin spaces go, addresses become links whose
    text is the address."""
    section = etree.fromstring(f'<section xmlns="{XHTML}"><p></p></section>')
    section[0].text = text
    typeset(section, language, etree.tostring(section, encoding="unicode"))
    out = "".join(section.itertext())

    def normal(value: str) -> str:
        value = value.replace(WORD_JOINER, "")
        for dot in "・•‧":
            value = value.replace(dot, "·")
        return value.replace(" ", "")

    assert normal(out) == normal(text) if language == "zh-Hans" else out == text
    for link in section.iter(f"{{{XHTML}}}a"):
        assert link.get("href") in (link.text, f"mailto:{link.text}")
