"""CIP record parser: one fixture per real-world variant (tests/fixtures/cip)."""

from pathlib import Path

import pytest
import yaml

from bookbuild.book.isbn import isbn_is_valid
from bookbuild.ingest.cip import normalise_date, parse_cip
from bookbuild.ingest.loc import parse_loc
from bookbuild.ingest.segment import segment

CASES = sorted((Path(__file__).parent / "fixtures" / "cip").glob("*.txt"))


def _record(path: Path):
    lines = list(enumerate(path.read_text(encoding="utf-8").split("\n"), 1))
    parts = segment(lines)
    assert parts.cip_style == "cn", "the fixture's CIP heading was not found"
    return parse_cip(parts.cip, path.name)


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_cip_variant(case: Path):
    expected = yaml.safe_load(case.with_suffix(".yaml").read_text(encoding="utf-8"))
    record = _record(case)
    for key in ("title", "subtitle", "edition", "place", "publisher", "date", "isbn", "reprint", "series"):
        if key in expected:
            assert getattr(record, key) == expected[key], key
    if "creators" in expected:
        assert [[c.name, c.role, c.et_al] for c in record.creators] == expected["creators"]
    for key in ("subjects", "classification"):
        if key in expected:
            assert record.__dict__[key] == expected[key], key
    if "cip_number" in expected:
        assert record.cip.number == expected["cip_number"]
    assert sorted(d.code for d in record.diagnostics) == sorted(expected["codes"])
    assert all(d.line and d.file == case.name for d in record.diagnostics)
    assert record.cip.raw  # the raw record is always kept


def test_there_are_at_least_eight_variants():
    assert len(CASES) >= 8


@pytest.mark.parametrize(
    "isbn,valid",
    [
        ("978-7-5086-5178-1", True),
        ("978-7-5086-5178-2", False),
        ("0-306-40615-2", True),
        ("0-306-40615-X", False),
        ("080442957X", True),
        ("12345", False),
    ],
)
def test_isbn_check_digit(isbn, valid):
    assert isbn_is_valid(isbn) is valid


@pytest.mark.parametrize(
    "text,date", [("2015.7", "2015-07"), ("2026. 1", "2026-01"), ("2015年7月", "2015-07"), ("2019", "2019"), ("无", "")]
)
def test_dates(text, date):
    assert normalise_date(text) == date


def test_library_of_congress_block():
    text = (Path(__file__).parent / "fixtures" / "books" / "english-loc.raw.md").read_text("utf-8")
    lines = list(enumerate(text.split("\n"), 1))
    parts = segment(lines)
    assert parts.cip_style == "loc"
    record = parse_loc(parts.cip, "english-loc.raw.md")
    assert record.title == "The Quiet Machine"
    assert record.subtitle == "how small tools shape large systems"
    assert [(c.name, c.role) for c in record.creators] == [("Jane Smith", "author"), ("John Doe", "editor")]
    assert record.publisher == "Example Press" and record.place == "New York"
    assert record.date == "2019" and record.isbn == "9780306406157"
    assert record.subjects == ["Technology--Social aspects", "Tools"]
    assert record.classification[0].startswith("LCC T14.5")
    assert record.diagnostics == []
