"""What a store or a shelf meets first: the e-book's identifier, its cover, images that
fit the screen (issue 14)."""

from __future__ import annotations

from pathlib import Path

from epub_helpers import NS, read_xml

from bookbuild.check import identifier_check
from bookbuild.pipeline import build


def _set_isbns(root: Path, isbn: str, print_isbn: str) -> None:
    meta = root / "metadata.yaml"
    lines = [line for line in meta.read_text("utf-8").splitlines() if not line.startswith(("isbn:", "print_isbn:"))]
    lines += [f"isbn: {isbn}"] if isbn else []
    lines += [f"print_isbn: {print_isbn}"] if print_isbn else []
    meta.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _identifiers(epub: Path) -> tuple[str, str]:
    md = read_xml(epub, "EPUB/package.opf").find("opf:metadata", NS)
    return md.find("dc:identifier[@id='pub-id']", NS).text, md.find("dc:source", NS).text


def test_the_e_book_isbn_is_the_identifier_and_the_print_one_the_source(sample_root, tmp_path):
    _set_isbns(sample_root, "978-1-4028-9462-6", "978-7-5086-5178-1")
    result = build(sample_root, tmp_path / "out")
    epub = tmp_path / "out" / "9781402894626.epub"
    assert _identifiers(epub) == ("urn:isbn:9781402894626", "urn:isbn:9787508651781")
    assert identifier_check(result.modelled, epub) == []


def test_check_warns_when_the_identifier_is_the_print_isbn(sample_root, tmp_path):
    # the CIP record's ISBN (a print book's) written as `isbn:`, as ingest did before
    _set_isbns(sample_root, "978-7-5086-5178-1", "")
    result = build(sample_root, tmp_path / "out")
    epub = tmp_path / "out" / "9787508651781.epub"
    assert _identifiers(epub)[0] == "urn:isbn:9787508651781"
    [warning] = identifier_check(result.modelled, epub)
    lines = (sample_root / "metadata.yaml").read_text("utf-8").splitlines()
    assert (warning.code, warning.file, warning.line) == (
        "M010",
        "metadata.yaml",
        lines.index("isbn: 978-7-5086-5178-1") + 1,
    )
    assert "print edition's ISBN" in warning.message and "`print_isbn:`" in warning.message


def test_without_an_e_book_isbn_the_identifier_is_a_stable_uuid(sample_root, tmp_path):
    first = build(sample_root, tmp_path / "a")
    identifier, source = _identifiers(tmp_path / "a" / "9787508651781.epub")
    assert identifier.startswith("urn:uuid:") and source == "urn:isbn:9787508651781"
    assert identifier_check(first.modelled, tmp_path / "a" / "9787508651781.epub") == []
    build(sample_root, tmp_path / "b")
    assert _identifiers(tmp_path / "b" / "9787508651781.epub")[0] == identifier
