"""Write an ingest result: book/ and metadata.yaml, refusing to clobber edited files."""

from __future__ import annotations

from pathlib import Path

from bookbuild.errors import InputError
from bookbuild.fileio import recover, remove_leftovers, replace_tree, sha256
from bookbuild.ingest.run import IngestResult

MANIFEST = ".ingested"  # inside book/: what the last ingest wrote, to detect later edits
JOURNAL = ".ingest.journal"  # book/ and metadata.yaml are replaced together (fileio.commit_together)


def edited_since_ingest(out: Path) -> list[str]:
    """Files under `out` that differ from what the last ingest wrote (or that it never wrote)."""
    book, meta = out / "book", out / "metadata.yaml"
    present = sorted(p for p in book.rglob("*") if p.is_file() and p.name != MANIFEST) if book.is_dir() else []
    if meta.exists():
        present.append(meta)
    if not present:
        return []
    manifest_path = book / MANIFEST
    if not manifest_path.exists():
        return [str(p.relative_to(out)) for p in present]
    recorded = dict(line.split("  ", 1)[::-1] for line in manifest_path.read_text("utf-8").splitlines() if "  " in line)
    changed = [
        str(p.relative_to(out)) for p in present if recorded.get(str(p.relative_to(out))) != sha256(p.read_bytes())
    ]
    changed += [rel for rel in recorded if not (out / rel).exists()]
    return sorted(set(changed))


def write_result(result: IngestResult, out: Path, force: bool = False) -> list[str]:
    """Write book/ and metadata.yaml under `out`; returns the paths written."""
    recover(out / JOURNAL)  # an ingest killed while renaming: finish it first
    remove_leftovers(out)
    changed = edited_since_ingest(out)
    if changed and not force:
        raise InputError(
            f"{out / changed[0]}: edited since the last ingest ({len(changed)} file(s): "
            f"{', '.join(changed[:5])}); re-run with --force to overwrite them"
        )
    book_files = {
        rel.removeprefix("book/"): text.encode("utf-8") for rel, text in result.files if rel.startswith("book/")
    }
    book_files.update(result.images)
    meta = dict(result.files)["metadata.yaml"].encode("utf-8")
    manifest = "".join(f"{sha256(data)}  book/{name}\n" for name, data in sorted(book_files.items()))
    manifest += f"{sha256(meta)}  metadata.yaml\n"
    book_files[MANIFEST] = manifest.encode("utf-8")
    replace_tree(out / "book", book_files, [(out / "metadata.yaml", meta)], out / JOURNAL)
    return [f"book/{name}" for name in sorted(book_files) if name != MANIFEST] + ["metadata.yaml"]
