"""Stage `ingest`: raw extracted print-book text -> book/ units + metadata.yaml."""

from bookbuild.ingest.run import IngestResult, ingest

__all__ = ["IngestResult", "ingest"]
