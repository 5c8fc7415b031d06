"""`check`: clean on the sample, the exact code and location on broken books, JSON output,
suppression, exit codes (0 clean, 1 errors or warnings under --strict, 2 set-up)."""

import json

import pytest
from build_helpers import BROKEN, broken_copy
from conftest import FIXTURES, ROOT

from bookbuild import check as check_module
from bookbuild.check import accessibility_claims, nav_targets
from bookbuild.cli import main
from bookbuild.diagnostics import Diagnostic
from bookbuild.pipeline import build

pytestmark = pytest.mark.slow  # Java (EPUBCheck, the Nu checker) or a browser: not in `make test-fast`


def run_json(args, capsys):
    code = main(["check", "--json", *args])
    return code, json.loads(capsys.readouterr().out)


def test_sample_is_clean_even_when_strict(capsys):
    code, found = run_json(["--root", str(ROOT), "--strict"], capsys)
    assert code == 0
    assert [(d["code"], d["severity"], d["file"], d["line"]) for d in found] == [
        ("P005", "info", "book/04-prologue.md", 4)
    ]
    assert "inferred page 3 → known page 8" in found[0]["message"]


@pytest.mark.parametrize("case", BROKEN, ids=[c.name for c in BROKEN])
def test_broken_book_reports_the_exact_code_and_location(case, tmp_path, capsys):
    code, found = run_json(["--root", str(broken_copy(case, tmp_path))], capsys)
    expected = (case / "expected.txt").read_text("utf-8").strip()
    location, _, rest = expected.rpartition(": ")
    want_code = rest.split()[0]
    file, line = (location.split(":") + [""])[:2]  # file[:line[:column]]
    assert code == 1
    matches = [
        d for d in found if d["code"] == want_code and d["file"] == file and (d["line"] == int(line) if line else True)
    ]
    assert matches, found
    assert set(found[0]) == {"code", "severity", "message", "file", "line", "column"}


def test_warnings_book(tmp_path, capsys):
    root = broken_copy(FIXTURES / "broken" / "warnings", tmp_path)
    code, found = run_json(["--root", str(root)], capsys)
    assert code == 0  # warnings alone do not fail without --strict
    got = {(d["code"], d["file"], d["line"]) for d in found}
    for line in (FIXTURES / "broken" / "warnings" / "expected.txt").read_text("utf-8").split("\n"):
        if line.strip():
            where, _, code_text = line.rpartition(": ")
            file, _, number = where.rpartition(":")
            assert (code_text, file, int(number)) in got, (line, sorted(got))


def test_validator_errors_map_to_the_generated_file(tmp_path, capsys):
    root = broken_copy(FIXTURES / "broken" / "css-errors", tmp_path)
    code, found = run_json(["--root", str(root)], capsys)
    assert code == 1
    errors = [d for d in found if d["severity"] == "error"]
    assert {(d["code"], d["file"]) for d in errors} >= {("E001", "styles/bad.css"), ("E003", "styles/bad.css")}
    assert any("EPUB/css/book-bad.css:" in d["message"] for d in errors)  # where, in the output


def test_suppress_silences_codes_by_name(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(check_module, "run_epubcheck", lambda *a, **k: [])
    monkeypatch.setattr(check_module, "run_vnu", lambda *a, **k: [])
    root = broken_copy(FIXTURES / "broken" / "warnings", tmp_path)
    _, before = run_json(["--root", str(root)], capsys)
    meta = root / "metadata.yaml"
    meta.write_text(meta.read_text("utf-8") + "suppress: [S008, P005]\n", "utf-8")
    _, after = run_json(["--root", str(root)], capsys)
    assert {"S008", "P005"} <= {d["code"] for d in before}
    assert {d["code"] for d in after} == {d["code"] for d in before} - {"S008", "P005"}


@pytest.mark.parametrize(
    "severity,strict,exit_code", [("warning", False, 0), ("warning", True, 1), ("error", False, 1), ("info", True, 0)]
)
def test_exit_codes(monkeypatch, capsys, severity, strict, exit_code):
    from bookbuild.diagnostics import Severity

    monkeypatch.setattr(
        check_module,
        "run_check",
        lambda root, vnu=None, targets=(), edition=None: [
            Diagnostic("S008", "x", "book/01-a.md", 3, Severity(severity))
        ],
    )
    assert main(["check", *(["--strict"] if strict else [])]) == exit_code
    assert "book/01-a.md:3: S008" in capsys.readouterr().out


def test_check_passes_its_targets_on(monkeypatch, capsys):
    seen = []
    monkeypatch.setattr(
        check_module, "run_check", lambda root, vnu=None, targets=(), edition=None: seen.append(targets) or []
    )
    assert main(["check", "--target", "kindle"]) == 0 and main(["check"]) == 0
    assert seen == [("kindle",), ()]
    with pytest.raises(SystemExit) as exited:  # an unknown target is a usage error (argparse)
        main(["check", "--target", "kobo"])
    assert exited.value.code == 2 and "invalid choice: 'kobo'" in capsys.readouterr().err


def test_missing_java_is_a_setup_error_with_advice(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert main(["check", "--root", str(ROOT)]) == 2
    err = capsys.readouterr().err
    assert "apt-get install default-jre-headless" in err and "Traceback" not in err


def test_nav_target_of_the_wrong_kind_is_caught(tmp_path):
    import zipfile

    modelled = build(ROOT, tmp_path, ("epub",)).modelled
    [epub] = tmp_path.glob("*.epub")
    assert nav_targets(epub) == [] and accessibility_claims(modelled, epub) == []
    tampered = tmp_path / "tampered.epub"
    with zipfile.ZipFile(epub) as source, zipfile.ZipFile(tampered, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "EPUB/nav.xhtml":
                data = data.replace(
                    b'href="03-preface.xhtml#page-2"', b'href="03-preface.xhtml#%s"' % "互联网连接普惠经济".encode()
                )
            if info.filename == "EPUB/package.opf":
                # the book has a picture (its cover): a package without accessMode visual lies
                data = data.replace(b'<meta property="schema:accessMode">visual</meta>', b"")
            target.writestr(info, data)
    assert [d.code for d in nav_targets(tampered)] == ["X003"]
    assert "is not a pagebreak" in nav_targets(tampered)[0].message
    assert [d.code for d in accessibility_claims(modelled, tampered)] == ["E005"]


def test_the_user_catalogue_lists_every_code_as_the_code_does():
    from bookbuild.diagnostics import CATALOGUE

    rows = [
        line.split(" | ")
        for line in (ROOT / "docs" / "DIAGNOSTICS.md").read_text("utf-8").splitlines()
        if line.startswith("| ") and line[2] in "MSXPE" and line[3].isdigit()
    ]
    documented = {row[0].strip("| "): (row[1], row[2].rstrip(" |")) for row in rows}
    assert documented == {code: (info.severity.value, info.summary) for code, info in CATALOGUE.items()}
