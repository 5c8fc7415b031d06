"""Real extractions of real books and documents (tests/corpus/README.md says where each
comes from): whatever ingest accepts builds and passes `check`; what it refuses, it
refuses with a message, never a traceback. Each ingest report and metadata.yaml is a
golden file (`pytest --update-golden` writes them anew; review the diff)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import ROOT

from bookbuild.cli import main
from bookbuild.errors import InputError
from bookbuild.ingest import ingest
from bookbuild.ingest.write import write_result

pytestmark = pytest.mark.slow  # Java (EPUBCheck, the Nu checker) or a browser: not in `make test-fast`

CORPUS = ROOT / "tests" / "corpus"
SOURCES = sorted((CORPUS / "sources").iterdir())
# sources with no book structure at all (no contents, no headings, not even numbered
# lines, no record): ingest says so and stops; the reason is part of the expectation
REFUSED = {
    "rtl-arabic.docling.md": "no book structure found",  # one page of prose, in visual order
}


def golden(path: Path, text: str, update: bool) -> None:
    if update:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{path.name} changed (see the test's docstring)"


def relative(text: str) -> str:
    return text.replace(f"{ROOT}/", "")


@pytest.mark.parametrize("source", SOURCES, ids=[s.name for s in SOURCES])
def test_corpus_source_ingests_builds_and_checks(source, tmp_path, capsys, update_golden):
    if source.name in REFUSED:
        with pytest.raises(InputError, match=REFUSED[source.name]):
            ingest(source.read_bytes(), str(source))
        return
    copy = tmp_path / "source" / source.name  # ingest reads images beside the source
    copy.parent.mkdir()
    shutil.copy(source, copy)
    result = ingest(copy.read_bytes(), str(source))
    golden(CORPUS / "golden" / f"{source.name}.report.txt", relative(result.report), update_golden)
    golden(
        CORPUS / "golden" / f"{source.name}.metadata.yaml", relative(dict(result.files)["metadata.yaml"]), update_golden
    )
    book = tmp_path / "book"
    write_result(result, book)
    assert main(["build", "--root", str(book), "-q"]) == 0, capsys.readouterr().out
    assert main(["check", "--root", str(book)]) == 0, capsys.readouterr().out


def test_corpus_covers_the_tools_and_scripts_it_claims():
    """At least 12 real excerpts, from at least 5 extraction tools, in 3 scripts."""
    tools = {s.name.split(".")[-2] for s in SOURCES}
    assert len(SOURCES) >= 12 and len(tools) >= 5, (len(SOURCES), tools)
    text = "".join(s.read_text("utf-8") for s in SOURCES)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in text)  # Han
    assert any("\u0600" <= ch <= "\u06ff" for ch in text)  # Arabic
    assert any(ch.isascii() and ch.isalpha() for ch in text)  # Latin
    readme = (CORPUS / "README.md").read_text("utf-8")
    assert all(s.name in readme for s in SOURCES), "every source has its provenance in README.md"
