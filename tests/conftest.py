import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def pytest_addoption(parser):
    parser.addoption(
        "--update-golden", action="store_true", help="rewrite golden files from the current output instead of comparing"
    )


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
    (root / "metadata.yaml").write_text(
        metadata
        or (
            "title: 测试之书\nlanguage: zh-Hans\ncreators:\n- name: 张三\n  role: author\n"
            "publisher: 测试出版社\ndate: 2020-01\nisbn: 978-7-5086-5178-1\n"
        ),
        encoding="utf-8",
    )
    for name, text in units.items():
        (root / "book" / name).write_text(text, encoding="utf-8")
    return root


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "slow: runs Java (EPUBCheck, the Nu checker), a browser, or kills builds; `make test-fast` leaves it out",
    )


@pytest.fixture(autouse=True)
def _test_fast_runs_no_java(request, monkeypatch):
    """Under `make test-fast` a test not marked slow that still starts Java fails, so the
    mark stays honest."""
    if os.environ.get("BOOKBUILD_TEST_FAST") and "slow" not in request.keywords:

        def refuse() -> str:
            raise AssertionError("this test runs Java: mark it @pytest.mark.slow")

        monkeypatch.setattr("bookbuild.validators.java", refuse)


@pytest.fixture
def models(monkeypatch) -> list[Path]:
    """The books the full pipeline modelled since the test began (a quick rebuild or an
    unchanged book models none)."""
    import bookbuild.pipeline as pipeline

    calls = []
    real = pipeline.model

    def counting(root, *args, **kwargs):
        calls.append(root)
        return real(root, *args, **kwargs)

    monkeypatch.setattr(pipeline, "model", counting)
    return calls
