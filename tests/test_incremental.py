"""The build cache is never stale: after any edit, an incremental build's outputs are
byte-identical to a clean build's; nothing changed means nothing written."""

import shutil
from pathlib import Path
from zipfile import ZipFile

import pytest
from build_helpers import assert_same_as_clean, generate_book, snapshot
from conftest import FIXTURES, write_book

from bookbuild.book.cover import cover_design
from bookbuild.book.load import load
from bookbuild.incremental.cache import Cache
from bookbuild.incremental.keys import cover_key
from bookbuild.incremental.render_cache import cover_in_background
from bookbuild.pipeline import CACHE_FOLDER, build
from bookbuild.render.cover_art import draw_cover


@pytest.fixture
def book(tmp_path) -> Path:
    root = tmp_path / "book"
    generate_book((12, 60_000), root)
    return root


def test_editing_one_chapter(book, tmp_path):
    out = tmp_path / "out"
    build(book, out)
    before = snapshot(out)
    chapter = book / "book" / "0005-chapter-5.md"
    chapter.write_text(chapter.read_text("utf-8") + "\n新加的一段。{{page 999}}\n", "utf-8")
    written = build(book, out).written
    assert written
    after = assert_same_as_clean(book, out, tmp_path)
    changed = {name for name in after if after[name] != before.get(name)}
    assert "html/0005-chapter-5.html" in changed and "html/book.html" in changed
    assert "html/0004-chapter-4.html" not in changed  # only what depends on the edit


def test_nothing_changed_writes_nothing(book, tmp_path):
    out = tmp_path / "out"
    build(book, out)
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    written = build(book, out).written
    assert written == []
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == stamps


def test_a_deleted_output_is_written_again(book, tmp_path):
    out = tmp_path / "out"
    build(book, out)
    (out / "html" / "index.html").unlink()
    written = build(book, out).written
    assert (out / "html") in written
    assert_same_as_clean(book, out, tmp_path)


def test_metadata_change_reaches_every_page(book, tmp_path):
    out = tmp_path / "out"
    build(book, out)
    meta = book / "metadata.yaml"
    meta.write_text(meta.read_text("utf-8").replace("测试出版社", "另一家出版社"), "utf-8")
    build(book, out)
    after = assert_same_as_clean(book, out, tmp_path)
    assert all(
        "另一家出版社".encode() in after[name]
        for name in after
        if name.startswith("html/")
        and name.endswith(".html")
        and name != "html/pages.html"
        or name == "html/index.html"
    )


def test_style_change(book, tmp_path):
    out = tmp_path / "out"
    build(book, out)
    (book / "styles").mkdir()
    (book / "styles" / "extra.css").write_text("p { color: #111; }\n", "utf-8")
    build(book, out)
    after = assert_same_as_clean(book, out, tmp_path)
    assert "html/css/book-extra.css" in after
    assert b'href="css/book-extra.css"' in after["html/0001-chapter-1.html"]


def test_moving_a_link_target_rebuilds_the_chapter_that_links_to_it(tmp_path):
    root = tmp_path / "book"
    shutil.copytree(FIXTURES / "books" / "features", root)
    out = tmp_path / "out"
    build(root, out)
    assert 'href="03-chapter-1.html#page-4"' in snapshot(out)["html/04-chapter-2.html"].decode()
    one = root / "book" / "03-chapter-1.md"
    one.write_text(one.read_text("utf-8").replace("{{page 4}}", ""), "utf-8")
    after = root / "book" / "05-afterword.md"
    after.write_text(after.read_text("utf-8") + "\n后记续{{page 4}}。\n", "utf-8")
    build(root, out)  # 04-chapter-2.md did not change, but its link to #page-4 now lands elsewhere
    result = assert_same_as_clean(root, out, tmp_path)
    assert 'href="05-afterword.html#page-4"' in result["html/04-chapter-2.html"].decode()


def test_parallel_and_serial_builds_are_identical(book, tmp_path):
    build(book, tmp_path / "serial", workers=1)
    build(book, tmp_path / "parallel", workers=2)
    assert snapshot(tmp_path / "serial") == snapshot(tmp_path / "parallel")


def test_unchanged_build_reads_nothing_but_still_reports_its_warnings(tmp_path, capsys):
    from bookbuild.cli import main

    root = tmp_path / "book"
    shutil.copytree(FIXTURES / "broken" / "warnings", root)
    (root / "expected.txt").unlink()
    assert main(["build", "--root", str(root), "--out", str(tmp_path / "out")]) == 0
    first = capsys.readouterr()
    assert "S008" in first.err and "wrote" in first.out
    result = build(root, tmp_path / "out")
    assert result.written == [] and result.modelled is None  # nothing was even parsed
    assert main(["build", "--root", str(root), "--out", str(tmp_path / "out")]) == 0
    second = capsys.readouterr()
    assert "up to date" in second.out and second.err == first.err


def test_a_new_or_removed_file_is_never_missed(book, tmp_path):
    out = tmp_path / "out"
    build(book, out)
    extra = book / "book" / "0099-chapter-99.md"
    extra.write_text("---\ntitle: 新的一章\nkind: chapter\n---\n\n正文。\n", "utf-8")
    assert build(book, out).written
    assert "html/0099-chapter-99.html" in assert_same_as_clean(book, out, tmp_path)
    extra.unlink()
    assert build(book, out).written
    assert "html/0099-chapter-99.html" not in assert_same_as_clean(book, out, tmp_path)


def test_retitling_a_unit_updates_links_to_it_in_the_single_page_edition(tmp_path):
    """In book.html a link to a whole unit names that unit's title id. In a long book the
    linking page's sidebar does not list the target, so only this dependency re-renders it."""
    from conftest import write_book

    units = {f"{n:02d}-c{n}.md": f"---\ntitle: 第{n}章\nkind: chapter\n---\n\n正文。\n" for n in range(1, 71)}
    units["01-c1.md"] = "---\ntitle: 第1章\nkind: chapter\n---\n\n见[最后一章](70-c70.md)。\n"
    root = write_book(tmp_path / "book", units)
    out = tmp_path / "out"
    build(root, out)
    (root / "book" / "70-c70.md").write_text("---\ntitle: 终章\nkind: chapter\n---\n\n完。\n", "utf-8")
    build(root, out)
    result = assert_same_as_clean(root, out, tmp_path)
    assert 'href="#%E7%BB%88%E7%AB%A0"' in result["html/book.html"].decode()  # #终章


def test_unchanged_pages_are_kept_and_touched_ones_rewritten(book, tmp_path):
    """A rebuild links the pages it would write unchanged instead of writing them again,
    but never trusts a page that was changed since the last build."""
    out = tmp_path / "out"
    build(book, out)
    html = out / "html"
    kept, tampered = html / "0003-chapter-3.html", html / "0004-chapter-4.html"
    inode = kept.stat().st_ino
    good = tampered.read_bytes()
    tampered.write_bytes(good.replace(b"</main>", b"<p>hand edit</p></main>"))
    chapter = book / "book" / "0008-chapter-8.md"
    chapter.write_text(chapter.read_text("utf-8") + "\n又一段。\n", "utf-8")
    build(book, out)
    assert kept.stat().st_ino == inode  # the same file, linked into the new html/
    assert tampered.read_bytes() == good
    assert_same_as_clean(book, out, tmp_path)


def test_the_cover_is_drawn_while_the_book_is_parsed_and_found_by_render(tmp_path):
    """Drawn in a process forked before the model fills the build's memory (see
    render_cache.cover_in_background), into the cache render looks in."""
    root = write_book(tmp_path / "book", {"01-one.md": "---\ntitle: 一\nkind: chapter\n---\n\n正文。\n"})
    meta = load(root).metadata
    design = cover_design(meta)
    assert design is not None  # the suite's machine has the CJK fonts (make system-deps)
    with Cache(tmp_path / "cache") as cache:
        with cover_in_background(meta, cache, 2):
            pass
        assert cache.get("cover", cover_key(design)) == draw_cover(design)
    build(root, tmp_path / "out")  # and a build puts it where the outputs show it
    with ZipFile(tmp_path / "out" / "9787508651781.epub") as epub:
        assert epub.read("EPUB/images/cover.jpg") == draw_cover(design)


def test_an_epub_only_build_renders_no_html_and_makes_the_same_epub(book, tmp_path):
    build(book, tmp_path / "both")
    build(book, tmp_path / "epub", ("epub",))
    [both] = (tmp_path / "both").glob("*.epub")
    [alone] = (tmp_path / "epub").glob("*.epub")
    assert alone.read_bytes() == both.read_bytes()
    with Cache(tmp_path / "epub" / CACHE_FOLDER) as cache:
        rendered = [name for kind, name in cache._index if kind == "render"]
        assert len(rendered) > 12  # every unit, generated pages included
        # the EPUB's document, and nothing for the HTML edition (pages, book.html, search)
        assert all(cache.part_sizes("render", name)[1:] == [0, 0, 0, 0] for name in rendered)
        assert not any(cache.has(kind, name) for kind, name in cache._index if kind in ("site", "frame", "search"))
