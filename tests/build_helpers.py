"""Helpers the test modules share: building and comparing outputs, the broken-book
fixtures, and the bench's book generator (bench/generate.py)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from conftest import FIXTURES, ROOT

from bookbuild.pipeline import CACHE_FOLDER, build

sys.path.insert(0, str(ROOT / "bench"))
from generate import generate_book  # noqa: E402

__all__ = ["BROKEN", "assert_same_as_clean", "broken_copy", "generate_book", "outputs", "snapshot"]

BROKEN = sorted(
    p
    for p in (FIXTURES / "broken").iterdir()
    if (p / "expected.txt").exists() and p.name not in ("warnings", "css-errors")
)


def outputs(out: Path) -> dict[Path, bytes]:
    """Every file in the output folder but the build cache (content-keyed, never output)."""
    return {p: p.read_bytes() for p in out.rglob("*") if p.is_file() and CACHE_FOLDER not in p.relative_to(out).parts}


def broken_copy(case: Path, tmp_path: Path) -> Path:
    """A copy of the case. Its `outside/` folder goes beside the book, not in it, and each
    line `LINK TARGET` of its links.txt makes LINK in the book a symbolic link to TARGET
    (git cannot keep a link that leads out of the fixture)."""
    root = tmp_path / case.name
    shutil.copytree(case, root, ignore=shutil.ignore_patterns("expected.txt", "links.txt", "outside"))
    if (case / "outside").is_dir():
        shutil.copytree(case / "outside", tmp_path / "outside", dirs_exist_ok=True)
    if (case / "links.txt").exists():
        for line in (case / "links.txt").read_text("utf-8").splitlines():
            link, target = line.split()
            (root / link).symlink_to(tmp_path / target)
    return root


def snapshot(out: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(out)): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and CACHE_FOLDER not in p.relative_to(out).parts
    }


def assert_same_as_clean(root: Path, incremental_out: Path, tmp_path: Path) -> dict[str, bytes]:
    clean_out = tmp_path / f"clean-{len(list(tmp_path.iterdir()))}"
    build(root, clean_out)
    incremental, clean = snapshot(incremental_out), snapshot(clean_out)
    assert sorted(incremental) == sorted(clean)
    for name in clean:
        assert incremental[name] == clean[name], f"{name} differs from a clean build"
    return incremental
