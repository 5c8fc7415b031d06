"""Bad books: a clear diagnostic with file:line, exit 1, no output, the old output kept."""

import pytest

from bookbuild.cli import main
from conftest import write_book

GOOD = "---\ntitle: 第一章\nkind: chapter\npage: 1\n---\n\n正文。\n"

CASES = {
    "front-matter-yaml": ("---\ntitle: [不闭合\nkind: chapter\n---\n\n正文。\n",
                          "book/02-bad.md:2: S001"),
    "front-matter-missing": ("正文没有前言块。\n", "book/02-bad.md:1: S001"),
    "unknown-kind": ("---\ntitle: 坏\nkind: chaptr\n---\n\n正文。\n", "book/02-bad.md:3: S002"),
    "missing-title": ("---\nkind: chapter\n---\n\n正文。\n", "book/02-bad.md:2: S003"),
    "bad-page-label": ("---\ntitle: 坏\nkind: chapter\npage: 第三\n---\n\n正文。\n",
                       "book/02-bad.md:4: P001"),
    "duplicate-page": ("---\ntitle: 坏\nkind: chapter\npage: 5\n---\n\n甲\n\n乙{{page 1}}丙。\n",
                       "book/02-bad.md:9: P002"),
    "link-without-target": ("---\ntitle: 坏\nkind: chapter\n---\n\n第一段。\n\n见[第 12 页](#page-12)。\n",
                            "book/02-bad.md:8: X001 link to #page-12 has no target"),
    "link-to-missing-file": ("---\ntitle: 坏\nkind: chapter\n---\n\n见[别处](09-none.md)。\n",
                             "book/02-bad.md:6: X001"),
    "duplicate-id": ("---\ntitle: 坏\nkind: chapter\n---\n\n## 甲 {#same}\n\n## 乙 {#same}\n",
                     "book/02-bad.md:8: X002"),
    "html-not-well-formed": ("---\ntitle: 坏\nkind: chapter\n---\n\n好的一段。\n\n<div><p>没有闭合</div>\n",
                             "book/02-bad.md:8: S004"),
    "script": ("---\ntitle: 坏\nkind: chapter\n---\n\n正文。\n\n<script>alert(1)</script>\n",
               "book/02-bad.md:8: S005"),
    "event-handler": ("---\ntitle: 坏\nkind: chapter\n---\n\n<p onclick=\"steal()\">点我</p>\n",
                      "book/02-bad.md:6: S005"),
    "javascript-url": ("---\ntitle: 坏\nkind: chapter\n---\n\n正文。\n\n[点](javascript:alert(1))\n",
                       "book/02-bad.md:8: S005"),
    "remote-image": ("---\ntitle: 坏\nkind: chapter\n---\n\n![图](https://example.com/a.png)\n",
                     "book/02-bad.md:6: S006"),
    "remote-stylesheet": ("---\ntitle: 坏\nkind: chapter\n---\n\n<link rel=\"stylesheet\" "
                          "href=\"https://cdn.example.com/x.css\"/>\n", "book/02-bad.md:6: S006"),
    "image-outside-book": ("---\ntitle: 坏\nkind: chapter\n---\n\n正文。\n\n![图](../../etc/passwd.png)\n",
                           "book/02-bad.md:8: S007"),
    "image-missing": ("---\ntitle: 坏\nkind: chapter\n---\n\n![图](images/none.png)\n",
                      "book/02-bad.md:6: S007"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_book_fails_cleanly_and_keeps_the_old_epub(case, tmp_path, capsys):
    root = write_book(tmp_path / "book", {"01-good.md": GOOD})
    out = tmp_path / "dist"
    assert main(["build", "--root", str(root), "--out", str(out), "--to", "epub"]) == 0
    [epub] = out.glob("*.epub")
    good_bytes = epub.read_bytes()
    text, expected = CASES[case]
    (root / "book" / "02-bad.md").write_text(text, encoding="utf-8")
    capsys.readouterr()
    assert main(["build", "--root", str(root), "--out", str(out), "--to", "epub"]) == 1
    err = capsys.readouterr().err
    assert expected in err, err
    assert "Traceback" not in err and "nothing was written" in err
    assert epub.read_bytes() == good_bytes
    assert sorted(p.name for p in out.iterdir()) == [epub.name]  # no temp files left behind


def test_bad_metadata_is_reported_with_its_line(tmp_path, capsys):
    root = write_book(tmp_path / "book", {"01-good.md": GOOD},
                      metadata="title: 书\nlanguage: zh-Hans\ndate: 七月\ncreators:\n- name: 甲\n  role: boss\n")
    assert main(["build", "--root", str(root), "--to", "epub"]) == 1
    err = capsys.readouterr().err
    assert "metadata.yaml:3: M005" in err and "metadata.yaml:4: M005" in err
    assert not (root / "dist").exists()


def test_invalid_yaml_metadata(tmp_path, capsys):
    root = write_book(tmp_path / "book", {"01-good.md": GOOD}, metadata="title: [\n")
    assert main(["build", "--root", str(root)]) == 1
    assert "metadata.yaml:2: M001" in capsys.readouterr().err


def test_empty_book_folder(tmp_path, capsys):
    root = write_book(tmp_path / "book", {})
    assert main(["build", "--root", str(root)]) == 1
    assert "S009" in capsys.readouterr().err
