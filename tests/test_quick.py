"""Quick rebuilds (bookbuild.incremental.quick): an edit of a unit's text is spliced into the
outputs without modelling the book, and the result is byte-identical to a clean build;
every edit the splice cannot account for falls back to the full build."""

import os
import re
from pathlib import Path

import pytest
from build_helpers import assert_same_as_clean, generate_book, snapshot

from bookbuild.errors import InputError
from bookbuild.incremental import quick
from bookbuild.incremental.state import STATE_NAME
from bookbuild.pipeline import CACHE_FOLDER, build


@pytest.fixture
def book(tmp_path) -> Path:
    root = tmp_path / "book"
    generate_book((12, 60_000), root)
    return root


def edit(path: Path, change) -> None:
    path.write_text(change(path.read_text("utf-8")), "utf-8")


def chapter(root: Path, n: int) -> Path:
    return root / "book" / f"{n:04d}-chapter-{n}.md"


@pytest.fixture
def ncx_kept(monkeypatch):
    """A quick rebuild must not make the NCX again: it numbers its entries through the
    book, and the chapter's are swapped in with the numbers after them moved on."""

    def made_whole(*args):
        raise AssertionError("the NCX was made again")

    monkeypatch.setattr(quick, "ncx_document", made_whole)


def rebuilt_quickly(book: Path, out: Path, models: list, n: int, change) -> None:
    """Chapter n edited and the book built again, without modelling it."""
    edit(chapter(book, n), change)
    models.clear()
    build(book, out)
    assert models == []


def test_a_text_edit_is_spliced_in_without_modelling_the_book(book, tmp_path, models):
    out = tmp_path / "out"
    build(book, out)
    before = snapshot(out)
    # a new paragraph in the middle: every later source line moves
    edit(chapter(book, 5), lambda text: text.replace("\n\n", "\n\n新加的一段，带**强调**。\n\n", 3))
    models.clear()
    result = build(book, out)
    assert models == [] and result.modelled is None
    epub = next(out.glob("*.epub"))
    assert result.written == [epub, out / "html"]
    after = assert_same_as_clean(book, out, tmp_path)
    changed = {name for name in after if after[name] != before[name]}
    # the chapter's page, its section of book.html, its search shard and its line of the index
    assert changed == {
        epub.name,
        "html/0005-chapter-5.html",
        "html/book.html",
        "html/js/search/text/0005-chapter-5.js",
        "html/js/search/index-0.js",
    }
    assert "新加的一段".encode() in after["html/0005-chapter-5.html"]
    assert not [p for p in out.rglob("*.tmp")]


def test_several_edits_and_then_nothing(book, tmp_path, models):
    out = tmp_path / "out"
    build(book, out)
    for n in (1, 7, 12):  # the first and the last unit too
        edit(chapter(book, n), lambda text: text + "\n又一段。\n")
    models.clear()
    build(book, out)
    assert models == []
    assert_same_as_clean(book, out, tmp_path)
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    assert build(book, out).written == []
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == stamps
    rebuilt_quickly(book, out, models, 7, lambda text: text + "\n再一段。\n")  # a second quick one on top
    assert_same_as_clean(book, out, tmp_path)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda text: text + "\n末尾{{page 9999}}。\n", id="a page out of order"),
        pytest.param(lambda text: text.replace("title: ", "title: 新", 1), id="title"),
        pytest.param(lambda text: text.replace("{{page", "{{ page", 1), id="marker removed"),
    ],
)
def test_an_edit_that_others_can_see_takes_the_full_build(book, tmp_path, models, change):
    out = tmp_path / "out"
    build(book, out)
    edit(chapter(book, 5), change)
    models.clear()
    build(book, out)
    assert models == [book]
    assert_same_as_clean(book, out, tmp_path)
    assert not [p for p in out.rglob("*.tmp")]


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda text: text + "\n见[第 3 页](#page-3)。\n", id="a link to a page"),
        pytest.param(lambda text: text + "\n见[第二章](0002-chapter-2.md)。\n", id="a link to a chapter"),
        pytest.param(lambda text: text + "\n见第 3 页。\n", id="a print-page reference"),
        pytest.param(lambda text: text.replace("](#one)", "](#page-3)"), id="a link retargeted"),
        pytest.param(lambda text: re.sub(r"\[([^]]*)\]\([^)]*\)", r"\1", text, count=1), id="a link removed"),
    ],
)
def test_an_edit_of_links_resolves_them_again_and_redoes_the_unit(book, tmp_path, models, change):
    out = tmp_path / "out"
    edit(chapter(book, 1), lambda text: text + "\n## 第一章的一节 {#one}\n\n正文。\n")
    edit(chapter(book, 6), lambda text: text + "\n见[那一节](#one)。\n")
    build(book, out)
    before = snapshot(out)
    rebuilt_quickly(book, out, models, 6, change)
    after = assert_same_as_clean(book, out, tmp_path)
    changed = {name for name in after if after[name] != before[name]}
    epub = next(out.glob("*.epub")).name
    unit = {"html/0006-chapter-6.html", "html/js/search/text/0006-chapter-6.js", "html/js/search/index-0.js"}
    assert {epub, "html/0006-chapter-6.html", "html/book.html"} <= changed <= {epub, "html/book.html"} | unit
    # and a second edit of links on top of it: the targets are still the book's
    rebuilt_quickly(book, out, models, 9, lambda text: text + "\n见[那一节](0001-chapter-1.md#one)。\n")
    assert_same_as_clean(book, out, tmp_path)


@pytest.mark.parametrize(
    "change, code",
    [
        pytest.param(lambda text: text + "\n见[别处](#nowhere)。\n", "X001", id="a link with no target"),
        pytest.param(lambda text: text + "\n见第 900 页。\n", "P007", id="a page the book does not have"),
        pytest.param(lambda text: text + "\n\n{{page 3}}\n", "P002", id="a page marker the book has"),
        pytest.param(lambda text: text + "\n\n{{page 9999}}\n", "P003", id="a page marker out of order at the end"),
        pytest.param(lambda text: re.sub(r"\{\{page (\d+)", r"{{page 1\1", text, count=1), "P003", id="out of order"),
    ],
)
def test_an_edit_that_a_diagnostic_follows_takes_the_full_build(book, tmp_path, models, change, code):
    out = tmp_path / "out"
    build(book, out)
    edit(chapter(book, 6), change)
    models.clear()
    try:
        found = build(book, out).diagnostics
    except InputError as error:
        found = error.diagnostics
    assert models == [book]
    assert {d.code for d in found} == {code}
    if code.startswith("P00") and code != "P002":  # a warning: the full build wrote the outputs
        assert_same_as_clean(book, out, tmp_path)


def _second_heading_down(text: str) -> str:
    first = text.index("\n## ")
    second = text.index("\n## ", first + 1)
    return text[:second] + "\n### " + text[second + 4 :]


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda text: text.replace("## 1.", "## 1. 改过的", 1), id="heading text"),
        pytest.param(lambda text: text + "\n## 新的一节\n\n正文。\n\n### 更深的一节\n\n正文。\n", id="new headings"),
        pytest.param(_second_heading_down, id="a level down"),
        pytest.param(lambda text: re.sub(r"\n## [^\n]*\n", "\n", text, count=1), id="heading removed"),
    ],
)
def test_an_edit_of_section_headings_redoes_the_contents_and_the_unit(book, tmp_path, models, change, ncx_kept):
    out = tmp_path / "out"
    build(book, out, ("epub", "html"))
    before = snapshot(out)
    edit(chapter(book, 6), change)  # it has two sections
    models.clear()
    build(book, out)
    assert models == []
    after = assert_same_as_clean(book, out, tmp_path)
    changed = {name for name in after if after[name] != before[name]}
    epub = next(out.glob("*.epub")).name
    unit = {"html/0006-chapter-6.html", "html/js/search/text/0006-chapter-6.js", "html/js/search/index-0.js"}
    assert {epub, "html/0006-chapter-6.html", "html/book.html"} <= changed
    assert changed <= {epub, "html/book.html", "html/index.html"} | unit
    assert not [p for p in out.rglob("*.tmp")]
    edit(chapter(book, 9), lambda text: text.replace("## 1.", "## 1. 又改的", 1))  # on top of it
    models.clear()
    build(book, out)
    assert models == []
    assert_same_as_clean(book, out, tmp_path)


def _marker_moved_before_the_second_heading(text: str) -> str:
    marker = re.search(r"\{\{page \d+\}\}", text)[0]
    second = text.index("\n## ", text.index("\n## ") + 1)
    text = text.replace(marker, "", 1)
    return text[:second] + f"\n\n{marker}" + text[second:]


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(_marker_moved_before_the_second_heading, id="across a heading"),
        pytest.param(lambda text: re.sub(r"(\{\{page \d+\}\})(..)", r"\2\1", text, count=1), id="within a line"),
    ],
)
def test_a_page_marker_moved_within_its_chapter_is_quick(book, tmp_path, models, change):
    """The page break fixed where it falls: the page-list, the links to it and the other
    chapters are as they were; a heading it passes is on another page in the contents."""
    out = tmp_path / "out"
    build(book, out)
    rebuilt_quickly(book, out, models, 6, change)
    assert_same_as_clean(book, out, tmp_path)


def _markers(text: str) -> list[str]:
    """The print-page labels of the markers in a chapter's text (not its start page)."""
    return re.findall(r"\{\{page (\d+)\}\}", text)


def _without_marker(label: str):
    return lambda text: text.replace(f"{{{{page {label}}}}}", "", 1)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda last, text: text + f"\n\n{{{{page {last}}}}}尾声。\n", id="a marker added"),
        pytest.param(
            lambda last, text: text.replace(f"{{{{page {int(last) - 1}}}}}", f"{{{{page {last}}}}}"), id="renumbered"
        ),
        pytest.param(lambda last, text: _without_marker(_markers(text)[0])(text), id="the first removed"),
        pytest.param(lambda last, text: re.sub(r"\{\{page \d+\}\}", "", text), id="all but the start page removed"),
    ],
)
def test_a_page_marker_edit_redoes_the_page_list_and_the_unit(book, tmp_path, models, change, ncx_kept):
    """A print page added, renumbered or removed: the page list changes (the EPUB's
    page-list and NCX, the page index and the script that finds pages), so may the pages
    in the chapter's contents entry; the other chapters are as they were."""
    out = tmp_path / "out"
    last = _markers(chapter(book, 6).read_text("utf-8"))[-1]  # the next chapter begins on the page after it
    edit(chapter(book, 6), _without_marker(last))
    build(book, out)
    before = snapshot(out)
    rebuilt_quickly(book, out, models, 6, lambda text: change(last, text))
    after = assert_same_as_clean(book, out, tmp_path)
    changed = {name for name in after if after[name] != before[name]}
    epub = next(out.glob("*.epub")).name
    unit = {"html/0006-chapter-6.html", "html/js/search/text/0006-chapter-6.js", "html/js/search/index-0.js"}
    pages = {"html/pages.html", "html/js/pages.js"}
    assert {epub, "html/0006-chapter-6.html", "html/book.html", *pages} <= changed
    assert changed <= {epub, "html/book.html", "html/index.html", "html/js/search/index.js", *pages} | unit
    # and a marker edit of another chapter on top of it
    rebuilt_quickly(book, out, models, 9, lambda text: _without_marker(_markers(text)[-1])(text))
    assert_same_as_clean(book, out, tmp_path)


def test_a_chapter_that_loses_all_its_pages_and_then_gains_them_back(book, tmp_path, models, ncx_kept):
    """A chapter with no start page in its front matter: its markers all taken out, its
    group leaves the page index and its entries the page map (with the comma before
    them), and the search index's list of where units begin changes. Put back, they
    take the full build: a chapter without pages gives nothing to find their place by."""
    out = tmp_path / "out"
    edit(chapter(book, 6), lambda text: re.sub(r"\npage: \d+\n", "\n", text, count=1))
    build(book, out)
    original = chapter(book, 6).read_text("utf-8")
    rebuilt_quickly(book, out, models, 6, lambda text: re.sub(r"\{\{page \d+\}\}", "", text))
    after = assert_same_as_clean(book, out, tmp_path)
    assert b"0006-chapter-6.html#page-" not in after["html/js/pages.js"]
    edit(chapter(book, 6), lambda text: original)
    models.clear()
    build(book, out)
    assert models == [book]
    assert_same_as_clean(book, out, tmp_path)


def test_page_marker_edits_in_roman_front_matter_and_in_an_english_book(book, tmp_path, models, ncx_kept):
    """Pages numbered i, ii … (the NCX gives them type "front" and their place as value)
    and a book in English (its accessibility summary counts "page markers")."""
    out = tmp_path / "out"
    metadata = book / "metadata.yaml"
    metadata.write_text(metadata.read_text("utf-8").replace("language: zh-Hans", "language: en"), "utf-8")
    (book / "book" / "0000-preface.md").write_text(
        "---\ntitle: Preface\nkind: preface\npage: i\n---\n\nOne.{{page ii}}\n\nTwo.\n", "utf-8"
    )
    build(book, out)
    preface = book / "book" / "0000-preface.md"
    for change in (lambda text: text + "\n{{page iii}}Three.\n", lambda text: text.replace("{{page ii}}", "")):
        edit(preface, change)
        models.clear()
        build(book, out)
        assert models == []
        assert_same_as_clean(book, out, tmp_path)
    rebuilt_quickly(book, out, models, 4, lambda text: _without_marker(_markers(text)[-1])(text))
    assert_same_as_clean(book, out, tmp_path)


def test_removing_a_page_a_link_leads_to_takes_the_full_build(book, tmp_path, models):
    out = tmp_path / "out"
    label = _markers(chapter(book, 6).read_text("utf-8"))[1]
    edit(chapter(book, 8), lambda text: text + f"\n见[那一页](#page-{label})。\n")
    build(book, out)
    edit(chapter(book, 6), _without_marker(label))
    models.clear()
    with pytest.raises(InputError) as raised:
        build(book, out)
    assert models == [book] and [d.code for d in raised.value.diagnostics] == ["X001"]


def test_heading_edits_and_links_to_them(book, tmp_path, models):
    out = tmp_path / "out"
    edit(chapter(book, 5), lambda text: re.sub(r"(\n## [^\n]*)", r"\1 {#first}", text, count=1))
    edit(chapter(book, 6), lambda text: text + "\n见[上一章第一节](0005-chapter-5.md#first)。\n")
    build(book, out)
    # the heading another chapter links to: its text changes, its id stays, the link
    # shows its own text: quick
    edit(chapter(book, 5), lambda text: text.replace("## 1.", "## 1. 改过的", 1))
    models.clear()
    build(book, out)
    assert models == []
    assert_same_as_clean(book, out, tmp_path)
    # a new heading whose id another chapter's heading has: a full build renames it
    seventh = re.search(r"\n## ([^\n]*)\n", chapter(book, 7).read_text("utf-8"))[1]
    edit(chapter(book, 8), lambda text: text + f"\n## {seventh}\n\n正文。\n")
    models.clear()
    build(book, out)
    assert models == [book]
    assert_same_as_clean(book, out, tmp_path)
    # the linked heading removed: the link has no target, which the full build reports
    edit(chapter(book, 5), lambda text: re.sub(r"\n## [^\n]*\{#first\}\n", "\n", text))
    with pytest.raises(InputError) as raised:
        build(book, out)
    assert [d.code for d in raised.value.diagnostics if d.code.startswith("X")] == ["X001"]


def test_a_link_a_quick_rebuild_added_keeps_its_heading(book, tmp_path, models):
    out = tmp_path / "out"
    edit(chapter(book, 5), lambda text: re.sub(r"(\n## [^\n]*)", r"\1 {#first}", text, count=1))
    build(book, out)
    rebuilt_quickly(book, out, models, 6, lambda text: text + "\n见[上一章第一节](0005-chapter-5.md#first)。\n")
    # the heading it leads to removed: the full build finds the link without a target
    edit(chapter(book, 5), lambda text: re.sub(r"\n## [^\n]*\{#first\}\n", "\n", text))
    with pytest.raises(InputError) as raised:
        build(book, out)
    assert [d.code for d in raised.value.diagnostics] == ["X001"]
    # the link taken out again (quick: no link leads there now), then the heading
    edit(chapter(book, 5), lambda text: text + "\n## 回来的一节 {#first}\n\n正文。\n")
    build(book, out)
    rebuilt_quickly(book, out, models, 6, lambda text: text.replace("见[上一章第一节](0005-chapter-5.md#first)。", ""))
    rebuilt_quickly(book, out, models, 5, lambda text: text.replace("\n## 回来的一节 {#first}\n", "\n"))
    assert_same_as_clean(book, out, tmp_path)


def test_diagnostics_stay_true(book, tmp_path, models):
    out = tmp_path / "out"
    edit(chapter(book, 3), lambda text: text + "\n# 一级标题\n\n正文。\n")  # S010 on its line
    first = build(book, out)
    assert [d.code for d in first.diagnostics] == ["S010"]
    line = first.diagnostics[0].line
    edit(chapter(book, 3), lambda text: text + "\n后加的一段。\n")  # after the warning: quick
    models.clear()
    assert build(book, out).diagnostics == first.diagnostics and models == []
    edit(chapter(book, 3), lambda text: text.replace("\n\n", "\n\n插入的一段。\n\n", 1))  # moves it
    models.clear()
    result = build(book, out)
    assert models == [book] and result.diagnostics[0].line == line + 2
    assert result.diagnostics == build(book, tmp_path / "clean").diagnostics


def test_a_unit_with_a_warning_on_a_link_stays_quick(book, tmp_path, models):
    out = tmp_path / "out"
    edit(chapter(book, 4), lambda text: text + "\n见第 900 页。\n")  # P007: the book has no page 900
    first = build(book, out)
    assert [d.code for d in first.diagnostics] == ["P007"]
    for change in (lambda text: text + "\n后加的一段。\n", lambda text: text + "\n见[第 3 页](#page-3)。\n"):
        edit(chapter(book, 4), change)
        models.clear()
        assert build(book, out).diagnostics == first.diagnostics and models == []
    assert_same_as_clean(book, out, tmp_path)


@pytest.mark.parametrize("damaged", ["html/book.html", "epub", "html/0009-chapter-9.html"])
def test_outputs_changed_by_hand_take_the_full_build(book, tmp_path, models, damaged):
    """An output not as the last build left it (the big ones spliced into, or a page a
    quick rebuild would keep) is neither spliced from nor kept: the full build runs."""
    out = tmp_path / "out"
    build(book, out)
    (next(out.glob("*.epub")) if damaged == "epub" else out / damaged).write_bytes(b"edited")
    edit(chapter(book, 2), lambda text: text + "\n一段。\n")
    models.clear()
    build(book, out)
    assert models == [book]
    assert_same_as_clean(book, out, tmp_path)


def test_an_edit_hidden_from_mtime_is_found(book, tmp_path):
    """Same size, mtime set back: ctime still shows the change."""
    out = tmp_path / "out"
    build(book, out)
    path = chapter(book, 4)
    stat = path.stat()
    text = path.read_text("utf-8")
    i = text.index("。")
    path.write_text(text[:i] + "！" + text[i + 1 :], "utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size
    build(book, out)
    assert "！".encode() in (out / "html" / "0004-chapter-4.html").read_bytes()
    assert_same_as_clean(book, out, tmp_path)


@pytest.mark.parametrize("damage", ["empty", "another version", "cut short"])
def test_a_damaged_state_means_a_full_build(book, tmp_path, damage, models):
    out = tmp_path / "out"
    build(book, out)
    edit(chapter(book, 2), lambda text: text + "\n一段。\n")
    state = out / CACHE_FOLDER / STATE_NAME
    data = state.read_bytes()
    header = data[: data.index(b"\n") + 1]
    state.write_bytes(
        {
            "empty": b"",
            "another version": b"bookbuild-state 0\n" + data[len(header) :],
            "cut short": data[: len(header) + 100],
        }[damage]
    )
    models.clear()
    build(book, out)
    assert models == [book]
    assert_same_as_clean(book, out, tmp_path)


def test_epub_only_and_html_only(book, tmp_path, models):
    for formats in (("epub",), ("html",)):
        out = tmp_path / f"out-{formats[0]}"
        build(book, out, formats)
        edit(chapter(book, 6), lambda text, name=formats[0]: text + f"\n{name} 版的一段。\n")
        edit(chapter(book, 7), lambda text, name=formats[0]: text.replace("## 1.", f"## 1. {name} 版", 1))
        edit(chapter(book, 8), lambda text: text + "\n见[第 3 页](#page-3)。\n")
        models.clear()
        build(book, out, formats)
        assert models == []
        clean = tmp_path / f"clean-{formats[0]}"
        build(book, clean, formats)
        assert snapshot(out) == snapshot(clean)
        # and a page marker taken out (a page edit is one unit's alone)
        edit(chapter(book, 9), lambda text: _without_marker(_markers(text)[-1])(text))
        models.clear()
        build(book, out, formats)
        assert models == []
        build(book, tmp_path / f"clean-again-{formats[0]}", formats)
        assert snapshot(out) == snapshot(tmp_path / f"clean-again-{formats[0]}")


def test_a_file_recorded_as_it_changed_is_read_again(book, tmp_path):
    """A change in the same timestamp tick as the recording leaves the signature as
    recorded: such a "racy" file is digested, not trusted."""
    import dataclasses

    from bookbuild.incremental.state import read_state, signature, write_state

    out = tmp_path / "out"
    build(book, out)
    path = chapter(book, 4)
    edit(path, lambda text: text + "\n同一时刻的修改。\n")
    folder = out / CACHE_FOLDER
    state = read_state(folder)
    # as if the last build had taken the file's signature just after this edit
    inputs = tuple(
        dataclasses.replace(i, signature=signature(book / i.path)) if i.path.endswith(path.name) else i
        for i in state.inputs
    )
    write_state(folder, dataclasses.replace(state, inputs=inputs))
    build(book, out)
    assert "同一时刻的修改".encode() in (out / "html" / "0004-chapter-4.html").read_bytes()
    # once the file is older than the recording by more than the margin, it is trusted
    started = signature(path)[2] + 3_000_000_000
    write_state(folder, dataclasses.replace(read_state(folder), started_ns=started))
    assert build(book, out).written == []


def test_the_state_reads_back_as_written_with_its_quick_context_pickled_ahead_or_not(book, tmp_path):
    """The state file holds the state and its quick context pickled apart (a quick
    rebuild pickles the context while its outputs are renamed); a file cut short is no
    state, and the next build is a full one."""
    import dataclasses

    from bookbuild.incremental.state import STATE_NAME, pickled_context, read_state, write_state

    out = tmp_path / "out"
    build(book, out)
    folder = out / CACHE_FOLDER
    state = read_state(folder)
    assert state is not None and state.quick is not None
    write_state(folder, dataclasses.replace(state, quick=None), pickled_context(folder, state.quick))
    assert read_state(folder) == state
    write_state(folder, state)
    assert read_state(folder) == state
    data = (folder / STATE_NAME).read_bytes()
    (folder / STATE_NAME).write_bytes(data[: len(data) // 2])
    assert read_state(folder) is None


@pytest.fixture
def starts(monkeypatch) -> list[str]:
    """In order: "copy" when the spliced outputs start being written, "parse" when a
    changed unit is parsed."""
    events: list[str] = []
    start, reparse = quick._Splices.start, quick._reparse

    def started(*args, **kwargs):
        events.append("copy")
        return start(*args, **kwargs)

    def reparsed(*args, **kwargs):
        events.append("parse")
        return reparse(*args, **kwargs)

    monkeypatch.setattr(quick._Splices, "start", started)
    monkeypatch.setattr(quick, "_reparse", reparsed)
    return events


def staged_leftovers(out: Path) -> list[Path]:
    return [p for p in out.rglob(".*") if ".new." in p.name or ".old." in p.name or p.name.endswith(".tmp")]


def test_the_outputs_are_copied_while_a_text_edit_is_parsed_and_after_a_heading_edit_is(book, tmp_path, models, starts):
    out = tmp_path / "out"
    build(book, out)
    rebuilt_quickly(book, out, models, 4, lambda text: text + "\n新的一段，有[链接](#page-3)。\n")
    assert starts == ["copy", "parse"]
    starts.clear()
    rebuilt_quickly(book, out, models, 4, lambda text: text.replace("## 1.", "## 1. 改过的", 1))
    assert starts == ["parse", "copy"]
    assert_same_as_clean(book, out, tmp_path)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda text: text.replace("## 1.", "## 1. 改过的", 1), id="heading"),
        pytest.param(lambda text: re.sub(r"\{\{page \d+\}\}", "", text, count=1), id="page marker"),
    ],
)
def test_copies_started_on_a_wrong_guess_are_started_again(book, tmp_path, models, starts, monkeypatch, change):
    """When the text's guess (keys.skeleton_key) says the contents stays and the parse
    finds otherwise, the copies begun are thrown away and made again with it."""
    monkeypatch.setattr(quick, "_contents_stays", lambda context, read: True)
    out = tmp_path / "out"
    build(book, out)
    rebuilt_quickly(book, out, models, 6, change)
    assert starts == ["copy", "parse", "copy"]
    assert_same_as_clean(book, out, tmp_path)
    assert not staged_leftovers(out)


def test_copies_started_for_an_edit_the_full_build_takes_are_thrown_away(book, tmp_path, models, starts):
    """A new diagnostic declines the quick rebuild after the copies began: the full
    build runs, here to refuse the book, and the outputs are left as they were."""
    out = tmp_path / "out"
    build(book, out)
    before = snapshot(out)
    edit(chapter(book, 5), lambda text: text + "\n一个找不到的[链接](#nowhere)。\n")
    models.clear()
    with pytest.raises(InputError):
        build(book, out)
    assert models == [book] and starts == ["copy", "parse"]
    assert snapshot(out) == before
    assert not staged_leftovers(out)


def test_the_old_epub_and_book_html_are_kept_and_the_next_rebuild_writes_over_them(book, tmp_path, models):
    """Each quick rebuild keeps the old EPUB and book.html as spares in the cache folder
    and writes its own over the last ones (fileio.StagedFiles): the same inodes take
    turns, the outputs are a clean build's, shorter ones cut to size."""
    out = tmp_path / "out"
    build(book, out)
    epub, single = next(out.glob("*.epub")), out / "html" / "book.html"
    folder = out / CACHE_FOLDER
    first = (epub.stat().st_ino, single.stat().st_ino)
    rebuilt_quickly(book, out, models, 3, lambda text: text + "\n新的一段。\n" * 20)
    second = (epub.stat().st_ino, single.stat().st_ino)
    assert ((folder / quick.SPARE_EPUB).stat().st_ino, (folder / quick.SPARE_SINGLE_PAGE).stat().st_ino) == first
    assert_same_as_clean(book, out, tmp_path)
    rebuilt_quickly(book, out, models, 3, lambda text: text.replace("\n新的一段。\n" * 20, ""))  # shorter again
    assert (epub.stat().st_ino, single.stat().st_ino) == first
    assert ((folder / quick.SPARE_EPUB).stat().st_ino, (folder / quick.SPARE_SINGLE_PAGE).stat().st_ino) == second
    assert_same_as_clean(book, out, tmp_path)
    assert not staged_leftovers(out)


def test_a_spare_linked_elsewhere_or_a_link_is_never_written_through(book, tmp_path, models):
    """A spare with a second link (someone keeping that version) or replaced by a
    symbolic link is not written over, nor is what it leads to."""
    out = tmp_path / "out"
    build(book, out)
    rebuilt_quickly(book, out, models, 3, lambda text: text + "\n一段。\n")
    mine = tmp_path / "mine.epub"
    os.link(out / CACHE_FOLDER / quick.SPARE_EPUB, mine)
    kept = mine.read_bytes()
    victim = tmp_path / "victim.html"
    victim.write_text("别动", "utf-8")
    spare = out / CACHE_FOLDER / quick.SPARE_SINGLE_PAGE
    spare.unlink()
    spare.symlink_to(victim)
    rebuilt_quickly(book, out, models, 5, lambda text: text + "\n又一段。\n")
    assert mine.read_bytes() == kept and os.stat(mine).st_nlink == 1
    assert victim.read_text("utf-8") == "别动"
    assert_same_as_clean(book, out, tmp_path)
    # a folder and a pipe where the spares were: neither blocks nor fails the rebuild
    for spare in (out / CACHE_FOLDER / quick.SPARE_EPUB, out / CACHE_FOLDER / quick.SPARE_SINGLE_PAGE):
        spare.unlink()
    (out / CACHE_FOLDER / quick.SPARE_EPUB).mkdir()
    os.mkfifo(out / CACHE_FOLDER / quick.SPARE_SINGLE_PAGE)
    rebuilt_quickly(book, out, models, 7, lambda text: text + "\n再一段。\n")
    assert_same_as_clean(book, out, tmp_path)
    assert not staged_leftovers(out)


def test_an_error_after_the_copies_began_leaves_no_writer_waiting(book, tmp_path, models, starts, monkeypatch):
    """Any exception once the copies have begun throws them away: no thread is left
    waiting for parts that will never come (it would keep the process from exiting)."""
    import threading

    from bookbuild.errors import WriteError

    out = tmp_path / "out"
    build(book, out)
    before = snapshot(out)
    threads = threading.active_count()

    def unreadable(*args):
        raise PermissionError("the parse cache: permission denied")

    monkeypatch.setattr(quick, "ParseCache", unreadable)
    edit(chapter(book, 5), lambda text: text + "\n一段。\n")
    with pytest.raises(WriteError):
        build(book, out)
    assert starts == ["copy"]
    assert threading.active_count() == threads
    assert snapshot(out) == before and not staged_leftovers(out)


def side_files(folder: Path) -> dict[str, int]:
    return {path.name: path.stat().st_mtime_ns for path in folder.glob("state-side-*")}


@pytest.mark.parametrize("damage", ["deleted", "torn", "changed"])
def test_what_few_rebuilds_need_is_kept_beside_the_state_and_a_damaged_side_file_takes_the_full_build(
    book, tmp_path, models, damage
):
    """The navigation, page list, link targets and where links lead are kept in side
    files (kept.SideBytes): a text edit neither reads nor writes them, a heading edit
    writes the ones it changes and deletes those no longer referred to, and one that is
    gone or not as recorded is no state: the full build runs, and the outputs are right."""
    from bookbuild.incremental.state import read_state

    out = tmp_path / "out"
    build(book, out)
    folder = out / CACHE_FOLDER
    first = side_files(folder)
    assert len(first) == 5  # nav, pages, linked, the link targets' base and local ids
    rebuilt_quickly(book, out, models, 3, lambda text: text + "\n只改正文。\n")
    assert side_files(folder) == first  # neither rewritten nor replaced
    rebuilt_quickly(book, out, models, 3, lambda text: re.sub(r"^(## .*)$", r"\1（改）", text, count=1, flags=re.M))
    now = side_files(folder)
    assert len(now) == 5 and len(now.keys() & first.keys()) == 4  # a new nav, the old one gone
    assert_same_as_clean(book, out, tmp_path)
    nav = read_state(folder).quick.nav.file.path
    if damage == "deleted":
        nav.unlink()
    elif damage == "torn":
        nav.write_bytes(nav.read_bytes()[:-10])
    else:  # same size, one byte other
        data = bytearray(nav.read_bytes())
        data[len(data) // 2] ^= 1
        nav.write_bytes(bytes(data))
    edit(chapter(book, 8), lambda text: re.sub(r"^(## .*)$", r"\1（又改）", text, count=1, flags=re.M))
    models.clear()
    build(book, out)
    assert models == [book]
    assert_same_as_clean(book, out, tmp_path)
    assert len(side_files(folder)) == 5 and nav.name not in side_files(folder)


def test_a_metadata_edit_takes_the_full_build(book, tmp_path, models):
    out = tmp_path / "out"
    build(book, out)
    edit(book / "metadata.yaml", lambda text: text.replace("测试出版社", "另一家出版社"))
    models.clear()
    build(book, out)
    assert models == [book]
    assert_same_as_clean(book, out, tmp_path)


def test_an_edit_to_a_unit_another_units_warning_points_into_takes_the_full_build(book, tmp_path, models):
    out = tmp_path / "out"
    # chapter 4 starts on page iii: P003 on chapter 4, naming the last page marker of chapter 3
    edit(chapter(book, 4), lambda text: re.sub(r"^page: \d+$", "page: iii", text, count=1, flags=re.M))
    first = build(book, out)
    [warning] = [d for d in first.diagnostics if d.code == "P003"]
    assert warning.file == "book/0004-chapter-4.md" and warning.related == ("book/0003-chapter-3.md",)
    # a paragraph early in chapter 3 moves the line the warning names
    edit(chapter(book, 3), lambda text: text.replace("\n\n", "\n\n新加的一段。\n\n", 2))
    models.clear()
    result = build(book, out)
    assert models == [book]  # not spliced: the warning in chapter 4 changed
    assert result.diagnostics == build(book, tmp_path / "clean").diagnostics
    assert_same_as_clean(book, out, tmp_path)


def test_a_heading_a_quick_rebuild_added_is_seen_by_the_next(book, tmp_path, models):
    out = tmp_path / "out"
    build(book, out)
    rebuilt_quickly(book, out, models, 5, lambda text: text + "\n## 同名的一节\n\n正文。\n")
    # the same automatic id in another chapter: a full build renames it (-2)
    edit(chapter(book, 8), lambda text: text + "\n## 同名的一节\n\n正文。\n")
    models.clear()
    build(book, out)
    assert models == [book]
    assert_same_as_clean(book, out, tmp_path)


@pytest.fixture
def long_book(tmp_path) -> Path:
    """Past html_site.SIDEBAR_ALL chapters: a page's sidebar lists those around it, and a
    quick rebuild loads only those of the contents (kept.TocParts)."""
    from bookbuild.render.html_site import SIDEBAR_ALL

    root = tmp_path / "book"
    generate_book((SIDEBAR_ALL + 12, 150_000), root)
    return root


def test_in_a_book_whose_sidebars_show_a_window_of_the_contents(long_book, tmp_path, models, ncx_kept):
    """Edits near either end and in the middle, of text, headings and pages, each give
    what a clean build gives, the NCX renumbered and not made again."""
    book, out, last = long_book, tmp_path / "out", len(list((long_book / "book").iterdir()))
    build(book, out)
    rebuilt_quickly(book, out, models, 2, lambda text: text + "\n开头附近的修改。\n")
    rebuilt_quickly(book, out, models, last - 1, lambda text: text.replace("## 1.", "## 1. 改过的", 1))
    rebuilt_quickly(book, out, models, last - 2, lambda text: text + "\n## 新的一节\n\n正文。\n")
    assert_same_as_clean(book, out, tmp_path)
    middle = last // 2
    rebuilt_quickly(book, out, models, middle, lambda text: re.sub(r"\{\{page \d+\}\}", "", text, count=1))
    rebuilt_quickly(book, out, models, middle + 1, lambda text: text + "\n中间的修改。\n")
    assert_same_as_clean(book, out, tmp_path)


def test_two_units_far_apart_in_a_long_book(long_book, tmp_path, models, monkeypatch):
    """Their sidebars' windows, loaded from the first to the last; the NCX made again
    from the contents' parts (two entries changed)."""
    made = []

    def ncx_document(meta, nav, page_label):
        made.append(len(nav.toc))
        return real(meta, nav, page_label)

    real = quick.ncx_document
    monkeypatch.setattr(quick, "ncx_document", ncx_document)
    book, out, last = long_book, tmp_path / "out", len(list((long_book / "book").iterdir()))
    build(book, out, workers=1)  # (the NCX is made in this process)
    edit(chapter(book, 3), lambda text: text.replace("## 1.", "## 1. 也改了", 1))
    edit(chapter(book, last - 2), lambda text: text + "\n## 新的一节\n\n正文。\n")
    models.clear()
    build(book, out, workers=1)
    assert models == [] and made == [last]  # every top-level entry: a chapter each
    assert_same_as_clean(book, out, tmp_path)
