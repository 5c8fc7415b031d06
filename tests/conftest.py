import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true",
                     help="rewrite golden files from the current output instead of comparing")


@pytest.fixture
def update_golden(request) -> bool:
    return request.config.getoption("--update-golden")


@pytest.fixture
def sample_root(tmp_path) -> Path:
    """A copy of the repository's sample book (book/, metadata.yaml, styles/)."""
    root = tmp_path / "sample"
    root.mkdir()
    shutil.copytree(ROOT / "book", root / "book")
    shutil.copy(ROOT / "metadata.yaml", root / "metadata.yaml")
    shutil.copytree(ROOT / "styles", root / "styles")
    return root


def write_book(root: Path, units: dict[str, str], metadata: str | None = None) -> Path:
    """A small book for tests: units maps file names to their full text."""
    (root / "book").mkdir(parents=True, exist_ok=True)
    (root / "metadata.yaml").write_text(metadata or (
        "title: 测试之书\nlanguage: zh-Hans\ncreators:\n- name: 张三\n  role: author\n"
        "publisher: 测试出版社\ndate: 2020-01\nisbn: 978-7-5086-5178-1\n"), encoding="utf-8")
    for name, text in units.items():
        (root / "book" / name).write_text(text, encoding="utf-8")
    return root
