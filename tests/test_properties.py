"""Property tests of every parser of untrusted input, the three the reliability review
fuzzed: front matter and metadata.yaml; Markdown to XHTML; raw text through ingest and
then build. Whatever the input: an exit status of 0 or 1 (and on 1, coded diagnostics),
never a traceback, never a hang; and whatever ingest accepts, build takes with exit 0.
And of rebuilds: whatever edits an author makes, a rebuild gives a clean build's outputs.

In the suite each property runs a bounded number of examples. `make fuzz` runs each one
again and again for BOOKBUILD_FUZZ_SECONDS (README: Fuzzing) and prints how many
examples it tried.
"""

import functools
import os
import re
import signal
import string
import tempfile
import time
from pathlib import Path

import yaml
from conftest import ROOT, write_book
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bookbuild.book import parse as parse_module
from bookbuild.book.load import FRONT_KEYS
from bookbuild.book.pagerefs import REFERENCE_RE, find_references
from bookbuild.book.pages import is_label
from bookbuild.cli import main

FUZZ_SECONDS = float(os.environ.get("BOOKBUILD_FUZZ_SECONDS", "0"))
EXAMPLES = int(os.environ.get("BOOKBUILD_FUZZ_EXAMPLES", "25"))
HANG_SECONDS = 20  # an example that takes longer is a hang (Markdown alone is stopped at 5)
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
TRIED: dict[str, int] = {}


class Hang(Exception):
    pass


def _hang(signum, frame):
    raise Hang(f"an example ran over {HANG_SECONDS} s")


def property_test(test):
    """Run the Hypothesis test once (suite), or repeatedly for BOOKBUILD_FUZZ_SECONDS
    (make fuzz); each example under an alarm, so a hang fails the test."""

    @functools.wraps(test)
    def run():
        parse_module.MARKDOWN_SECONDS, limit = 5.0, parse_module.MARKDOWN_SECONDS
        deadline = time.monotonic() + FUZZ_SECONDS
        outcome = "a failure (below)"
        try:
            while True:
                test()
                if time.monotonic() >= deadline:
                    break
            outcome = "no failure"
        finally:
            parse_module.MARKDOWN_SECONDS = limit
            if FUZZ_SECONDS:
                print(f"\n{test.__name__}: {TRIED.get(test.__name__, 0)} examples in {FUZZ_SECONDS:g} s, {outcome}")

    return run


def example(name: str):
    """Count an example and arm the hang alarm for it."""
    TRIED[name] = TRIED.get(name, 0) + 1
    signal.signal(signal.SIGALRM, _hang)
    signal.alarm(HANG_SECONDS)


def _run(args: list[str]) -> int:
    try:
        code = main(args)
    finally:
        signal.alarm(0)
    assert code in (0, 1), (args, code)
    return code


def _build(root: Path) -> int:
    return _run(["build", "--root", str(root), "--out", str(root / "dist"), "-q", "--jobs", "1"])


def _closes(root: Path) -> None:
    """Whatever ingest accepted, build takes with exit 0 (the pipeline closes)."""
    assert _build(root) == 0, sorted(p.name for p in (root / "book").iterdir())


# --- front matter and metadata.yaml -------------------------------------------------------

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**20),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.sampled_from(
        ["no", "yes", "on", "2015-13", "2015-07-01T00:00:00Z", "chapter", "preface", "iv", "12", "\x01", "\ufffe"]
    ),
    st.dates(),
    st.datetimes(),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12,
)
_YAML_NOISE = st.lists(
    st.sampled_from(
        [
            "[",
            "]",
            "{",
            "}",
            ":",
            "- ",
            "&a ",
            "*a",
            "!!python/name:os.system",
            "\t",
            "\n",
            "  ",
            "'",
            '"',
            "? ",
            "|",
            ">",
            "---",
            "\x00",
            "\ufffe",
        ]
    ),
    max_size=8,
).map("".join)


def _mutate(text: str, noise: str, at: float) -> str:
    where = int(len(text) * at)
    return text[:where] + noise + text[where:]


@property_test
@SETTINGS
@given(
    fields=st.dictionaries(st.one_of(st.sampled_from(FRONT_KEYS), st.text(max_size=8)), _VALUES, max_size=7),
    noise=_YAML_NOISE,
    at=st.floats(0, 1),
    meta_drop=st.sets(st.sampled_from(["title", "language", "creators", "date", "isbn", "contents", "cip", "print"])),
    meta_fields=st.dictionaries(
        st.sampled_from(
            [
                "title",
                "language",
                "date",
                "modified",
                "suppress",
                "contents",
                "creators",
                "cip",
                "print",
                "isbn",
                "subjects",
            ]
        ),
        _VALUES,
        max_size=3,
    ),
    meta_noise=_YAML_NOISE,
    meta_at=st.floats(0, 1),
)
def test_front_matter_and_metadata_never_crash(fields, noise, at, meta_drop, meta_fields, meta_noise, meta_at):
    example("test_front_matter_and_metadata_never_crash")
    try:
        front = yaml.safe_dump(fields, allow_unicode=True)
    except yaml.YAMLError:
        front = "title: x\n"
    meta = yaml.safe_load((ROOT / "metadata.yaml").read_text("utf-8"))
    for key in meta_drop:
        meta.pop(key, None)
    meta.update(meta_fields)
    meta_text = _mutate(yaml.safe_dump(meta, allow_unicode=True, sort_keys=False), meta_noise, meta_at)
    with tempfile.TemporaryDirectory() as tmp:
        root = write_book(
            Path(tmp),
            {
                "01-a.md": "---\n" + _mutate(front, noise, at) + "---\n\n正文。\n",
                "02-b.md": "---\ntitle: 二\nkind: chapter\n---\n\n正文。\n",
            },
            meta_text,
        )
        _build(root)


# --- Markdown to XHTML ----------------------------------------------------------------------

_PIECES = st.one_of(
    st.text(alphabet="互联网加的了是在和有。，、“”：（）《》abc 123", min_size=1, max_size=12),
    st.sampled_from(
        [
            "[",
            "]",
            "(",
            ")",
            "*",
            "**",
            "_",
            "`",
            "```",
            "#",
            "## ",
            "### ",
            "\n",
            "\n\n",
            "    ",
            "> ",
            "- ",
            "1. ",
            "|",
            "---",
            "\\",
            "<",
            ">",
            "&",
            "&nbsp;",
            "&#0;",
            "&foo;",
            "\x00",
            "\x05",
            "{{page 2}}",
            "{{page 3}}",
            "{{page x}}",
            "{{page iv}}",
            "[见](#page-2)",
            "[x](#nowhere)",
            "[^1]",
            "[^1]: 注",
            "![图](a.png)",
            "{#id}",
            "{: .c}",
            "<div>",
            "</div>",
            "<p>",
            "</p>",
            "<span>",
            "<svg>",
            "<br/>",
            "<!--",
            "-->",
            "<![CDATA[",
            "<script>",
            '<a href="x">',
            "</a>",
            '<img src="a.png" alt=""/>',
            "$x$",
            "\ufffe",
            "\u200b",
            "*“互联网+”*",
            "$$",
            "\\frac{",
            "\\$",
            "第 2 页",
            "第1–2页",
            "见 9 页",
            "p. 2",
            "pp. 1–2",
            "page ii",
            "《书》",
            "Smith, ",
            '<span class="no-page-refs">',
        ]
    ),
    st.text(alphabet=string.printable, max_size=6),
)


@property_test
@SETTINGS
@given(body=st.lists(_PIECES, max_size=60).map("".join), repeat=st.sampled_from([1, 1, 1, 50, 400]), piece=_PIECES)
def test_markdown_to_xhtml_never_crashes_or_hangs(body, repeat, piece):
    example("test_markdown_to_xhtml_never_crashes_or_hangs")
    with tempfile.TemporaryDirectory() as tmp:
        root = write_book(
            Path(tmp),
            {
                "01-a.md": "---\ntitle: 一\nkind: chapter\npage: 1\n---\n\n" + body + piece * repeat + "\n",
                "02-b.md": "---\ntitle: 二\nkind: chapter\n---\n\n正文{{page 2}}。\n",
            },
        )
        _build(root)


_REFERENCE_TEXT = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "第",
                "页",
                "见",
                "至",
                "–",
                "-",
                "~",
                "p.",
                "pp.",
                "page",
                "pages",
                "P",
                " ",
                ",",
                "。",
                "》",
                "(",
                "2001",
                "ibid",
                "vol.",
                "iv",
                "x",
                "and",
                "to",
                "\n",
            ]
        ),
        st.integers(0, 99999).map(str),
        st.text(max_size=3),
    ),
    max_size=40,
).map("".join)


@property_test
@SETTINGS
@given(text=_REFERENCE_TEXT, before=_REFERENCE_TEXT)
def test_page_references_are_whole_ordered_and_name_their_pages(text, before):
    example("test_page_references_are_whole_ordered_and_name_their_pages")
    end = 0
    for found in find_references(text, before):
        assert end <= found.start < found.end <= len(text)
        assert REFERENCE_RE.fullmatch(text[found.start : found.end])
        assert found.first in text[found.start : found.end] and is_label(found.first)
        assert found.last is None or is_label(found.last)
        end = found.end


# --- raw text through ingest, then build ---------------------------------------------------

_RAW_LINES = st.one_of(
    st.sampled_from(
        [
            "图书在版编目（CIP）数据",
            "互联网+：国家战略行动路线图 / 马化腾等著. —北京：中信出版社，2015.7",
            "ISBN 978-7-5086-5178-1",
            "Ⅰ. ①互…  Ⅱ. ①马…  Ⅲ. ①互联网络－应用 Ⅳ. ①TP393.4",
            "中国版本图书馆CIP数据核字（2015）第144592号",
            "索引",
            "Index",
            "互联网+，3，17",
            "  and stone, 1–2",
            "目录",
            "目 录",
            "Contents",
            "前言 / 1",
            "第一章 互联网+的时代 …… 3",
            "第二章 连接一切 ...... 17",
            "第一章 互联网+的时代",
            "第二章 连接一切",
            "# 第一章",
            "## 一、什么是互联网",
            "3",
            "17",
            "- 12 -",
            "互联网+ 5",
            "前言",
            "Preface",
            "Chapter 1 Beginnings 1",
            "Chapter 1",
            "Library of Congress Cataloging-in-Publication Data",
            "ISBN 978-0-13-468599-1 (paperback)",
            "",
            "",
            "\f",
            "\x05",
            "\ufffe",
            "<div>",
            "![](images/a.png)",
            "<table><tr><td>x",
            "$$x^2$$",
            "定价：68.00元",
            # shapes of real extractions (tests/corpus): pdftotext, marker, MinerU
            "Table of Contents",
            "1 Introduction . . . . . . . 1",
            "2.1",
            "Chapter 2: Title",
            "Chapter 2: Title 7",
            "ISBN 978-1-4028-9462-6 (ebook)",
            "inter-",
            "• item",
            "$\\mathcal{C}_{\\cap f}$",
            "[11.10](#page-132-0)",
            "<style>p{}</style>",
            '<span id="page-3"></span>',
            "Smith, Jane, 1970–",
            "    p. cm.",
            "2018012345",
            "\fii",
            "\f12",
            "---",
        ]
    ),
    st.text(alphabet="互联网加的了是在和有。，、：（）《》abcXYZ 0123456789-.·…", max_size=40),
)


@property_test
@SETTINGS
@given(lines=st.lists(_RAW_LINES, min_size=1, max_size=80))
def test_whatever_ingest_accepts_builds(lines):
    example("test_whatever_ingest_accepts_builds")
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "raw.md"
        source.write_text("\n".join(lines), encoding="utf-8")
        out = Path(tmp) / "out"
        if _run(["ingest", str(source), "--out", str(out)]) == 0:
            _closes(out)


# --- an existing EPUB through ingest, then build ---------------------------------------------

_XHTML_PIECES = st.one_of(
    st.sampled_from(
        [
            "<p>",
            "</p>",
            "<h1>",
            "</h1>",
            '<h2 id="s">',
            "</h2>",
            "<em>",
            "</em>",
            "<ul><li>",
            "</li></ul>",
            "<table><tr><td>",
            "</td></tr></table>",
            "<br/>",
            '<img src="../images/fig.png"/>',
            '<img src="gone.png" alt="x"/>',
            '<a href="ch1.html#page2">',
            '<a href="#nowhere">',
            '<a href="javascript:x()">',
            "</a>",
            '<span epub:type="pagebreak" title="9"/>',
            '<span role="doc-pagebreak" aria-label="A-1"/>',
            "<script>x()</script>",
            "<pre>",
            "</pre>",
            "<blockquote>",
            "</blockquote>",
            "<svg><circle/></svg>",
            "&amp;",
            "&lt;",
            "*",
            "_",
            "{{page 3}}",
            "1. ",
            "# ",
            "\u200b",
        ]
    ),
    st.text(alphabet="rivers 河流 0123456789.-", max_size=12),
)


@property_test
@SETTINGS
@given(pieces=st.lists(_XHTML_PIECES, max_size=40))
def test_whatever_epub_ingest_accepts_builds(pieces):
    example("test_whatever_epub_ingest_accepts_builds")
    import shutil

    from test_epub_import import pack

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "src"
        shutil.copytree(ROOT / "tests" / "fixtures" / "epub2", folder)
        (folder / "OEBPS" / "text" / "ch2.html").write_text(
            '<?xml version="1.0" encoding="UTF-8"?><html xmlns="http://www.w3.org/1999/xhtml" '
            'xmlns:epub="http://www.idpf.org/2007/ops"><head><title>t</title></head><body>'
            + "".join(pieces)
            + "</body></html>",
            encoding="utf-8",
        )
        source = pack(folder, Path(tmp) / "book.epub")
        out = Path(tmp) / "out"
        if _run(["ingest", str(source), "--out", str(out)]) == 0:
            _closes(out)


@settings(SETTINGS, max_examples=max(EXAMPLES, 400))  # cheap: a few ms for all of them
@given(values=st.lists(st.text(), min_size=3, max_size=3))
def test_xml_templates_serialise_as_lxml_does_and_refuse_what_lxml_refuses(values):
    """splice.XmlTemplate writes the NCX's and the page-list's entries as text: the same
    bytes lxml gives for the same element, and an error wherever lxml gives one."""
    from lxml import etree
    from lxml.etree import SubElement

    from bookbuild.render.splice import XmlTemplate

    label, href, ident = values
    try:
        made = etree.Element("li", {"id": f"n-{ident}"})
        SubElement(made, "a", {"href": href}).text = label
        SubElement(made, "content", {"src": href})
        expected = etree.tostring(made, encoding="utf-8") + b"\n"
    except ValueError:
        expected = None
    template = XmlTemplate('<li id="n-{ident}"><a href="{href}">{label}</a><content src="{href}"/></li>\n')
    try:
        ours = template.fill(label=label, href=href, ident=ident)
    except ValueError:
        ours = None
    assert ours == expected


# --- rebuilds: whatever the edits, the outputs are a clean build's ------------------------

_WORDS = ["互联网", "加", "连接", "一切", "Internet", "plus", " & ", "“引号”", "*强调*", "`code`", "<b>"]


def _append(line: str):
    return lambda text: text + f"\n{line}\n"


def _first_heading(change):
    """`change` applied to the chapter's first section heading line, if it has one."""

    def edit(text: str) -> str:
        at = text.find("\n## ")
        if at < 0:
            return text
        end = text.index("\n", at + 1)
        return text[: at + 1] + change(text[at + 1 : end]) + text[end:]

    return edit


def _marker_to_the_second_heading(text: str) -> str:
    if "{{page" not in text or text.count("\n## ") < 2:
        return text
    start = text.index("{{page")
    marker = text[start : text.index("}}", start) + 2]
    second = text.index("\n## ", text.index("\n## ") + 1)
    text = text.replace(marker, "", 1)
    return text[:second] + f"\n\n{marker}" + text[second:]


def _marker(which: int, shift: int | None):
    """The chapter's first (0) or last (-1) page marker renumbered by `shift`, or removed
    (None), if it has one."""

    def edit(text: str) -> str:
        found = list(re.finditer(r"\{\{page (\d+)\}\}", text))
        if not found:
            return text
        marker = found[which]
        new = "" if shift is None else f"{{{{page {max(1, int(marker[1]) + shift)}}}}}"
        return text[: marker.start()] + new + text[marker.end() :]

    return edit


_EDITS = st.one_of(
    st.text(alphabet="互联网加 *_`#[]()!{}.:-第页 0123456789", max_size=30).map(_append),
    st.sampled_from(
        ["#page-3", "#page-40", "#nowhere", "0002-chapter-2.md", "0003-chapter-3.md#planted", "#planted"]
    ).map(lambda href: _append(f"见[那里]({href})。")),
    st.integers(1, 60).map(lambda page: _append(f"见第 {page} 页。")),
    st.tuples(st.sampled_from(["##", "###", "#"]), st.lists(st.sampled_from(_WORDS), min_size=1, max_size=2)).map(
        lambda pair: _append(f"\n{pair[0]} {''.join(pair[1])}\n")
    ),
    st.just(_append("\n## 固定的一节 {#planted}\n")),
    st.lists(st.sampled_from(_WORDS), min_size=1, max_size=2).map(
        lambda words: _first_heading(lambda line: line + "".join(words))
    ),
    st.just(_first_heading(lambda line: "#" + line)),
    st.just(_first_heading(lambda line: "")),
    st.just(_marker_to_the_second_heading),
    st.tuples(st.sampled_from([0, -1]), st.sampled_from([None, 1, -1])).map(lambda pair: _marker(*pair)),
    st.integers(1, 60).map(lambda page: _append(f"又一页{{{{page {page}}}}}。")),
)


def _outcome(root: Path, out: Path):
    """What a build gives: its diagnostics, or the errors that stopped it."""
    from bookbuild.errors import InputError
    from bookbuild.pipeline import build

    try:
        return "built", build(root, out).diagnostics
    except InputError as error:
        return "stopped", error.diagnostics


@property_test
@settings(SETTINGS, max_examples=min(EXAMPLES, 6))  # each edit costs two builds
@given(steps=st.lists(st.lists(st.tuples(st.integers(1, 5), _EDITS), min_size=1, max_size=3), min_size=1, max_size=3))
def test_a_rebuild_after_any_edits_gives_what_a_clean_build_gives(steps):
    """The quick path, the cache and the full build together: after each round of edits
    to a few chapters (text, links, page references, headings added, reworded, moved a
    level or removed, a page marker moved, added, renumbered or removed), the rebuild's outputs and diagnostics are a
    clean build's, byte for byte, or both stop with the same errors."""
    example("test_a_rebuild_after_any_edits_gives_what_a_clean_build_gives")
    from build_helpers import generate_book, snapshot

    with tempfile.TemporaryDirectory() as tmp:
        root, out = Path(tmp) / "book", Path(tmp) / "out"
        generate_book((5, 15_000), root)
        assert _outcome(root, out)[0] == "built"
        for number, edits in enumerate(steps):
            signal.alarm(HANG_SECONDS)
            for chapter, edit in edits:
                path = root / "book" / f"{chapter:04d}-chapter-{chapter}.md"
                path.write_text(edit(path.read_text("utf-8")), "utf-8")
            rebuilt = _outcome(root, out)
            clean_out = Path(tmp) / f"clean-{number}"
            clean = _outcome(root, clean_out)
            signal.alarm(0)
            assert rebuilt == clean
            if clean[0] == "built":
                assert snapshot(out) == snapshot(clean_out)
