"""`ingest BOOK.epub`: an existing EPUB 2 or 3 becomes book/ + metadata.yaml that build
turns into a clean EPUB 3 again: structure, metadata, images and print pages kept."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT

from bookbuild.cli import main
from bookbuild.errors import InputError
from bookbuild.ingest import ingest
from bookbuild.ingest.write import write_result
from bookbuild.text import HAN


def pack(folder: Path, out: Path, extra: dict[str, bytes] | None = None) -> Path:
    """An EPUB from a folder: mimetype first and stored, as the OCF container wants."""
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), (folder / "mimetype").read_bytes())
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.name != "mimetype":
                archive.write(path, path.relative_to(folder).as_posix(), zipfile.ZIP_DEFLATED)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return out


@pytest.mark.slow
def test_epub2_backlist_title(tmp_path, capsys):
    source = pack(FIXTURES / "epub2", tmp_path / "backlist.epub")
    result = ingest(source.read_bytes(), str(source))
    meta = result.metadata
    assert (meta.title, meta.language, meta.publisher, meta.date) == (
        "A Backlist Title",
        "en-GB",
        "Old House Press",
        "2010-05-01",
    )
    assert [(c.name, c.role, c.file_as) for c in meta.creators] == [
        ("Ann Writer", "author", "Writer, Ann"),
        ("Tom Turner", "translator", ""),
    ]
    assert (meta.isbn, meta.print_isbn, meta.subjects) == ("978-1-4028-9462-6", "9780306406157", ("Rivers",))
    files = dict(result.files)
    one, two = files["book/01-chapter.md"], files["book/02-chapter-2.md"]
    assert "title: 'One: The Source'" in one and "page: 1" in one  # the NCX pageList
    assert "and the rain {{page 2}}" in one and "{{page 3}}" in two
    assert "*argument*" in one and "**old**" in one and "line  \nbroken by hand" in one
    assert "[the delta](02-chapter-2.md)" in one and "[map](http://example.com/map)" in one
    assert "5 \\* 3 &lt; 20" in one  # text, not markup
    assert "![A river mouth](images/fig.png)" in one and dict(result.images)["images/fig.png"][:4] == b"\x89PNG"
    assert "<table><tr><th>River</th>" in one and "- stone\n    - granite" in one
    assert "<td>Nile river</td>" in one and "x()" not in one  # the script goes, its tail stays
    assert "alert" not in one and "steal" not in one
    assert "> Water remembers." in two and "1\\. A saying of the delta.\n{: #note1}" in two
    assert "script(s)" in result.report and "event handler(s)" in result.report
    write_result(result, tmp_path / "book")
    assert main(["build", "--root", str(tmp_path / "book"), "-q"]) == 0
    assert main(["check", "--root", str(tmp_path / "book")]) == 0, capsys.readouterr().out


@pytest.mark.slow
def test_our_own_epub3_comes_back_as_the_book_it_was_built_from(tmp_path, capsys):
    assert main(["build", "--root", str(ROOT), "--out", str(tmp_path / "dist"), "--to", "epub", "-q"]) == 0
    epub = next((tmp_path / "dist").glob("*.epub"))
    assert main(["ingest", str(epub), "--out", str(tmp_path / "again")]) == 0
    again = sorted((tmp_path / "again" / "book").glob("*.md"))
    # the cover bookbuild drew for the sample comes back as a cover unit showing it
    assert again[0].name == "01-cover.md" and "![封面：互联网+](images/cover.jpg)" in again[0].read_text("utf-8")
    assert (tmp_path / "again" / "book" / "images" / "cover.jpg").exists()
    texts = [p.read_text("utf-8") for p in again[1:]]
    for original in sorted((ROOT / "book").glob("*.md")):
        text = original.read_text("utf-8")
        # what the EPUB cannot say: which pages were counted rather than printed
        expected = re.sub(r"^inferred_pages:\n(?:- .*\n)+", "", text, count=1, flags=re.M)
        # nor the one space between Han and Latin the build leaves to the stylesheet
        expected = re.sub(f"(?<=[{HAN}]) (?=[A-Za-z0-9])|(?<=[A-Za-z0-9]) (?=[{HAN}])", "", expected)
        assert expected in texts, original.name
    assert main(["build", "--root", str(tmp_path / "again"), "-q"]) == 0
    assert main(["check", "--root", str(tmp_path / "again")]) == 0, capsys.readouterr().out


@pytest.mark.parametrize(
    "name,data,message",
    [
        (
            "OEBPS/text/ch1.html",
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            b'<html xmlns="http://www.w3.org/1999/xhtml"><body>&e;</body></html>',
            "declares XML entities",
        ),
        ("../outside.txt", b"x", "points outside the EPUB"),
    ],
)
def test_a_hostile_epub_is_refused(tmp_path, name, data, message):
    folder = tmp_path / "src"
    shutil.copytree(FIXTURES / "epub2", folder)
    if name.startswith("OEBPS"):
        (folder / name).write_bytes(data)
        source = pack(folder, tmp_path / "x.epub")
    else:
        source = pack(folder, tmp_path / "x.epub", {name: data})
    with pytest.raises(InputError, match=message):
        ingest(source.read_bytes(), str(source))
