"""Stage `ingest`: raw extracted print-book text -> book/ units + metadata.yaml.

The stage itself is imported on first use: the build only needs this package's small
text helpers (bookbuild.ingest.text), and importing all of ingest would slow every build
down by as much as modelling a chapter."""

__all__ = ["IngestResult", "ingest"]


def __getattr__(name: str):
    if name in __all__:
        from bookbuild.ingest import run
        return getattr(run, name)
    raise AttributeError(f"module 'bookbuild.ingest' has no attribute {name!r}")
