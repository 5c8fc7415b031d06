"""Proofreading lints for Chinese punctuation (issue 15, item 3): in `check`, with the
line and the fix; the safe ones made by `ingest`, each reported."""

from conftest import write_book
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bookbuild.book.lints import fix_markdown, fix_text, lint_markdown, lint_text
from bookbuild.check import typography_lints
from bookbuild.ingest.run import ingest
from bookbuild.pipeline import model

# the wrong forms of the typography review's test chapter, each with its code
WRONG = {
    "单个省略号…、": "S025",
    "三个句点...、": "S025",
    "句号连写。。。": "S025",
    "单个破折号—、": "S026",
    "全角连字符－－、": "S026",
    "两个连字符--，": "S026",
    "威廉・吉布森": "S027",
    "威廉•吉布森": "S027",
    "威廉‧吉布森": "S027",
    "好,不好": "S028",
    "推崇 iGDP": "S029",
    "竖排︐标点": "S030",
    "他说：“没说完。": "S031",
}


def test_each_wrong_form_is_found_with_its_fix():
    for text, code in WRONG.items():
        found = lint_text(text)
        assert [lint.code for lint in found] == [code], (text, found)
    assert "two U+2026, ……" in lint_text("好…")[0].message


def test_right_forms_and_other_languages_are_left_alone():
    for text in (
        "他说：“我……我真的不知道。”",
        "连接一切——这是本质",
        "威廉·吉布森",
        "She said... fine -- ok, yes!",
        "2015年",
    ):
        assert lint_text(text) == [], text
    assert lint_text("It’s a “quote” 与中文") == []  # ’ as an apostrophe is not a quote left open


def test_code_urls_and_markup_are_not_linted():
    body = "正文`好,不好...`与<https://例子.com/a,b>和[链](http://x.com/a--b)。{{page 3}}\n\n```\n代码,代码...\n```\n"
    assert lint_markdown(body) == []


def test_fixes_are_the_safe_ones_and_keep_the_text():
    fixed, changed = fix_text("单个省略号…、破折号—这、威廉・吉布森,推崇 iGDP，“未闭")
    assert fixed == "单个省略号……、破折号——这、威廉·吉布森，推崇iGDP，“未闭"
    assert {lint.code for lint in changed} == {"S025", "S026", "S027", "S028", "S029"}


_CHARS = st.sampled_from([*"中文字…—－-.。,;:?! ·・•‧“”‘’（）《》`aZ09", "...", "——", "\n", "<b>", "](x,y)"])


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(text=st.lists(_CHARS, max_size=40).map("".join))
def test_fixing_keeps_every_han_character_and_is_done_once(text):
    fixed, _ = fix_markdown(text)
    han = [c for c in text if "\u4e00" <= c <= "\u9fff"]
    assert [c for c in fixed if "\u4e00" <= c <= "\u9fff"] == han
    assert fix_markdown(fixed)[0] == fixed  # nothing left to mend the second time
    lint_text(text)  # never fails
    lint_markdown(text)


def test_check_reports_lints_on_the_source_line(tmp_path):
    root = write_book(
        tmp_path,
        {"01-a.md": "---\ntitle: 一\nkind: chapter\n---\n\n第一段，没有错。\n\n第二段有错...还有--这个。\n"},
    )
    found = typography_lints(root, model(root))
    assert [(d.file, d.line, d.code) for d in found] == [("book/01-a.md", 8, "S025"), ("book/01-a.md", 8, "S026")]
    english = write_book(
        tmp_path / "en", {"01-a.md": "---\ntitle: One\nkind: chapter\n---\n\n好...\n"}, "title: B\nlanguage: en\n"
    )
    assert typography_lints(english, model(english)) == []


def test_ingest_mends_the_safe_ones_and_reports_each():
    source = "# 书名\n\n## 目录\n\n第一章 开始 1\n\n# 第一章 开始\n\n他说...好,不好。推崇 iGDP。“没说完\n".encode()
    result = ingest(source, "raw.md")
    chapter = next(text for path, text in result.files if path.endswith("chapter-1.md"))
    assert "他说……好，不好。推崇iGDP。“没说完" in chapter
    codes = sorted(d.code for d in result.diagnostics if d.code in ("S025", "S028", "S029"))
    assert codes == ["S025", "S028", "S029"] and all(d.line == 9 for d in result.diagnostics if d.code == "S025")
    assert "punctuation mended (the safe fixes of check's lints): 3" in result.report
