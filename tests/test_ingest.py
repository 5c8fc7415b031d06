"""Ingest: golden outputs for three books, the behaviours the sample needs, and safety."""

import re
import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT

from bookbuild.cli import main
from bookbuild.ingest import ingest
from bookbuild.ingest.write import write_result

SAMPLE = ROOT / "source" / "internet-plus.raw.md"
GOLDEN = Path(__file__).parent / "golden" / "ingest"
BOOKS = {
    "internet-plus": (SAMPLE, ROOT),
    "english-loc": (FIXTURES / "books" / "english-loc.raw.md", GOLDEN / "english-loc"),
    "xiangtu-dots": (FIXTURES / "books" / "xiangtu-dots.raw.md", GOLDEN / "xiangtu-dots"),
}


def _ingest_file(path: Path):
    source = str(path.relative_to(ROOT))
    return ingest(path.read_bytes(), source)


@pytest.mark.parametrize("name", sorted(BOOKS))
def test_golden_ingest(name, update_golden):
    """The repository's book/ + metadata.yaml are the golden output for the sample. A change
    to them is made on purpose (`python build.py ingest source/internet-plus.raw.md --out .`),
    never by --update-golden."""
    source, golden = BOOKS[name]
    result = _ingest_file(source)
    produced = dict(result.files)
    if update_golden and golden != ROOT:  # the sample's golden is the committed book: never rewritten by a test
        shutil.rmtree(golden / "book", ignore_errors=True)
        for rel, text in produced.items():
            (golden / rel).parent.mkdir(parents=True, exist_ok=True)
            (golden / rel).write_text(text, encoding="utf-8")
        pytest.skip("golden files rewritten")
    expected = {f"book/{p.name}": p.read_text("utf-8") for p in sorted((golden / "book").glob("*.md"))}
    expected["metadata.yaml"] = (golden / "metadata.yaml").read_text("utf-8")
    assert sorted(produced) == sorted(expected)
    for rel in expected:
        assert produced[rel] == expected[rel], f"{rel} differs from the golden file"


@pytest.fixture(scope="module")
def sample():
    return _ingest_file(SAMPLE)


def test_sample_units_and_front_matter(sample):
    files = dict(sample.files)
    assert sorted(files) == [
        "book/01-cover.md",
        "book/02-titlepage.md",
        "book/03-preface.md",
        "book/04-prologue.md",
        "metadata.yaml",
    ]
    preface = files["book/03-preface.md"]
    assert "title: “互联网+”：连接普惠经济\nkind: preface\npage: 1\ngroup: 前言\nauthor: 马化腾\n" in preface
    assert "author_note: 腾讯主要创办人，董事会主席、执行董事兼首席执行官" in preface
    prologue = files["book/04-prologue.md"]
    assert "title: 跨界·融合·连接一切" in prologue and "author: 张晓峰" in prologue
    assert "page: 8" in prologue


def test_running_headers_become_page_markers_at_the_exact_break(sample):
    preface = dict(sample.files)["book/03-preface.md"]
    assert "能够赋予后者以新的力量和{{page 2}}再生的能力。" in preface
    assert "让各自生态体系里{{page 3}}的用户获得更高的生活品质。" in preface
    assert "## 前 言" not in preface and "inferred_pages:\n- 2\n- 3\n" in preface
    removed = re.findall(r"line (\d+): running header", sample.report)
    assert removed == ["284", "308"]


def test_paragraph_cut_mid_sentence_is_joined(sample):
    preface = dict(sample.files)["book/03-preface.md"]
    assert "很庆幸，李克强总理在《政府工作报告》中首倡" in preface


def test_letter_spaced_titles_collapse_and_latin_spacing_stays(sample):
    files = dict(sample.files)
    assert "连接一切\n\n国家战略行动路线图 张晓峰 杜军 主编" in files["book/02-titlepage.md"]
    assert "title: 互联网+" in files["book/02-titlepage.md"]
    meta = files["metadata.yaml"]
    assert "title: 工业 4.0" in meta and "“互联网+”企业行动计划 1.0：连接器企业与连接型企业" in meta


def test_sample_metadata(sample):
    meta = sample.metadata
    assert (meta.title, meta.subtitle, meta.language) == ("互联网+", "国家战略行动路线图", "zh-Hans")
    assert (meta.isbn, meta.print_isbn, meta.date) == ("", "978-7-5086-5178-1", "2015-07")
    assert [(c.name, c.role, c.et_al) for c in meta.creators] == [
        ("马化腾", "author", True),
        ("张晓峰", "editor", False),
        ("杜军", "editor", False),
    ]
    labels = {p.label: p.value for p in meta.print_lines if p.label}
    assert labels["开本"] == "880mm×1032mm 1/32" and labels["定价"] == "58.00 元"
    assert "(北京市朝阳区惠新东街甲4号富盛大厦2座 邮编 100029)" in labels["出版发行"]
    assert labels["服务热线"] == "010-84849555" and labels["服务传真"] == "010-84849000"


def test_sample_contents(sample):
    entries = sample.metadata.contents
    by_title = {e.title: e for e in entries}
    assert len([e for e in entries if e.kind == "chapter"]) == 18
    assert len([e for e in entries if e.kind == "part"]) == 3
    assert by_title["第三篇 “互联网+”在行动"].page == "247"
    assert by_title["跨界·融合·连接一切"].author == "张晓峰"
    assert by_title["第七章 微信，创造移动互联网的新生态"].level == 2
    assert by_title["工业 4.0"].kind == "section" and by_title["工业 4.0"].page == "280"
    assert by_title["出版说明"].kind == "colophon" and by_title["出版说明"].page == "451"
    assert by_title["创造属于你自己的“互联网+”时代"].kind == "conclusion"
    assert "contents entries: 112; matched in the body: 2; missing from the source: 110" in sample.report


def test_every_source_line_is_accounted_for(sample):
    """Independent of ingest's own invariant: each non-blank line is removed for a reason in
    the report, is a contents entry (by source_line), or its text is in an output file."""
    out = re.sub(r"\{\{page [^}]+\}\}|\s", "", "".join(t for _, t in sample.files))
    removed = {int(n) for n in re.findall(r"line (\d+): ", sample.report.split("contents entries not")[0])}
    entry_lines = {e.line for e in sample.metadata.contents}
    for number, text in enumerate(SAMPLE.read_text("utf-8").split("\n"), 1):
        plain = re.sub(r"^#+|\s|<[^>]+>", "", text)
        if not plain or number in removed or number in entry_lines:
            continue
        # colophon lines are stored as label and value: each part must be there
        parts = [plain] if plain in out else re.split(r"[：:\s]+", re.sub(r"^#+", "", text).strip())
        for part in parts:
            assert part in out or part.replace("·", "") in out, f"line {number} lost: {text!r}"


def test_same_source_same_bytes():
    assert _ingest_file(SAMPLE).files == _ingest_file(SAMPLE).files


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: "\ufeff".encode() + text.encode("utf-8"),
        lambda text: text.replace("\n", "\r\n").encode("utf-8"),
        lambda text: text.encode("gb18030"),
    ],
    ids=["utf8-bom", "crlf", "gb18030"],
)
def test_encodings_give_the_same_book(encode):
    text = SAMPLE.read_text("utf-8")
    assert ingest(encode(text), "source/internet-plus.raw.md").files == _ingest_file(SAMPLE).files


def test_explicit_encoding():
    data = SAMPLE.read_text("utf-8").encode("gbk", errors="strict")
    result = ingest(data, "source/internet-plus.raw.md", encoding="gbk")
    assert result.metadata.title == "互联网+"


@pytest.mark.parametrize(
    "data,message",
    [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (b"\x00\x01\x02binary\x00", "binary"),
        (b"just some words\nwithout any structure\n", "no book structure"),
    ],
)
def test_bad_sources_are_refused(tmp_path, capsys, data, message):
    source = tmp_path / "bad.md"
    source.write_bytes(data)
    code = main(["ingest", str(source), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 1 and message in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_reingest_refuses_edited_book_unless_forced(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["ingest", str(SAMPLE), "--out", str(out)]) == 0
    assert main(["ingest", str(SAMPLE), "--out", str(out)]) == 0  # unchanged: fine
    preface = out / "book" / "03-preface.md"
    preface.write_text(preface.read_text("utf-8") + "\n编辑加的一段。\n", "utf-8")
    capsys.readouterr()
    assert main(["ingest", str(SAMPLE), "--out", str(out)]) == 1
    assert "03-preface.md" in capsys.readouterr().err and "--force" in capsys.readouterr().err + "--force"
    assert "编辑加的一段" in preface.read_text("utf-8")
    assert main(["ingest", str(SAMPLE), "--out", str(out), "--force"]) == 0
    assert "编辑加的一段" not in preface.read_text("utf-8")


def test_report_file(tmp_path):
    report = tmp_path / "report.txt"
    assert main(["ingest", str(SAMPLE), "--out", str(tmp_path), "--report", str(report)]) == 0
    text = report.read_text("utf-8")
    assert "line 284: running header" in text and "line 97:   “互联网+”的密码 (p. 12)" in text


def test_overrun_page_count_is_a_diagnostic():
    text = (
        "# 目录\n\n第一章 甲 1\n第二章 乙 2\n\n## 第一章 甲\n\n正文一。\n\n## 第一章 甲\n\n正文二。\n\n"
        "## 第一章 甲\n\n正文三。\n\n## 第二章 乙\n\n正文四。\n"
    )
    result = ingest(text.encode(), "book.md")
    # line 14: the count overruns; line 18: so 第二章 cannot have page 2 as well (the
    # build would refuse a page marked twice), and says so
    assert [(d.code, d.line) for d in result.diagnostics if d.code == "P004"] == [("P004", 14), ("P004", 18)]
    pages = re.findall(r"\{\{page (\w+)\}\}|^page: (\w+)$", "".join(text for _, text in result.files), re.M)
    labels = [a or b for a, b in pages]
    assert len(labels) == len(set(labels)), labels


def test_english_running_heads_and_loc():
    result = _ingest_file(FIXTURES / "books" / "english-loc.raw.md")
    files = dict(result.files)
    assert "gave at the {{page viii}}university" in files["book/02-preface.md"]
    chapter = files["book/04-chapter-1.md"]
    assert "The first {{page 4}}tool was a decision" in chapter
    assert "{{page 5}}That decision" in chapter
    assert (result.metadata.isbn, result.metadata.print_isbn) == ("", "9780306406157")


def test_what_the_build_would_refuse_is_repaired_or_kept_visible_and_reported(tmp_path):
    """Images beside the source are copied into book/images/, missing ones become a
    placeholder; malformed or active raw HTML is repaired or kept as text; the result
    builds (the pipeline closes)."""
    from bookbuild.cli import main

    source_dir = tmp_path / "extracted"
    (source_dir / "images").mkdir(parents=True)
    shutil.copy(
        ROOT / "tests" / "fixtures" / "broken" / "srcset-remote" / "book" / "a.png", source_dir / "images" / "fig 1.png"
    )
    raw = (ROOT / "source" / "internet-plus.raw.md").read_text("utf-8").splitlines()
    at = next(i for i, line in enumerate(raw) if line.startswith("现在包括BAT"))
    raw[at:at] = [
        "![](images/fig 1.png)",
        "",
        '<div><img src="images/gone.png"></div>',
        "",
        "<table><tr><td>一<td>二<script>alert(1)</script>",
        "",
        "价格 &yen; 与 &nosuch; 之间",
        "",
    ]
    source = source_dir / "raw.md"
    source.write_text("\n".join(raw), encoding="utf-8")
    out = tmp_path / "book"
    result = ingest(source.read_bytes(), str(source))
    write_result(result, out)
    text = "".join(p.read_text("utf-8") for p in (out / "book").glob("*.md"))
    assert (out / "book" / "images" / "fig-1.png").read_bytes() == (source_dir / "images" / "fig 1.png").read_bytes()
    assert "![图：fig-1](images/fig-1.png)" in text
    assert "［图片缺失：images/gone.png］" in text
    assert "<table><tr><td>一</td><td>二</td></tr></table>" in text and "alert" not in text
    assert "价格 &yen; 与 &amp;nosuch; 之间" in text
    messages = [d.message for d in result.diagnostics if d.code == "S022"]
    assert any("gone.png: not found beside the source" in m for m in messages)
    assert any("raw HTML repaired" in m for m in messages)
    assert "changed so that the book builds" in result.report
    assert main(["build", "--root", str(out), "-q"]) == 0


def test_a_running_head_that_repeats_a_page_gives_no_second_marker(tmp_path):
    """Found by the ingest-then-build property: a line read as a running head with page 1
    put a second {{page 1}} in the unit, and the build refused the page marked twice."""
    source = tmp_path / "raw.md"
    source.write_text(
        "Chapter 1 Beginnings 1\n互联网+：国家战略行动路线图 / 马化腾等著. —北京：中信出版社，2015.7\n"
        "# 第一章\nChapter 1 Beginnings 1",
        encoding="utf-8",
    )
    write_result(ingest(source.read_bytes(), str(source)), tmp_path / "out")
    assert main(["build", "--root", str(tmp_path / "out"), "-q"]) == 0
