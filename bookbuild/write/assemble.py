"""Write the outputs: the EPUB and the html/ folder staged beside their targets, side by
side when there are cores for both, then renamed into place together, so a build leaves
both outputs as they were or both new (fileio.commit_together)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from bookbuild.fileio import (
    FileContent,
    commit_together,
    discard,
    fill_folder,
    new_staged_file,
    new_staged_folder,
    start_writeback,
)
from bookbuild.parallel import side_by_side

# the EPUB's writer is done first (its entries come deflated): it also writes every third
# of the html/ files it is offered
EPUB_WRITER_SHARE = 3


def write_outputs(
    zips: list[tuple[Path, Callable[[BinaryIO], None]]],
    html: tuple[Path, dict[str, FileContent], list[str]] | None,
    workers: int,
    journal: Path,
) -> list[Path]:
    """`zips`: (target, a function writing it to a stream) for the EPUB and its variants
    (the kepub). `html`: (target folder, its files by name, the names of those the
    EPUB's writer may take a share of). Returns the old outputs, set aside for the caller
    to delete (fileio.commit_together)."""
    staged: list[tuple[Path, Path]] = []
    epub = bool(zips)
    try:
        files_of_zips = []
        for target, writer in zips:
            staged_file = new_staged_file(target)
            staged.append((staged_file, target))
            files_of_zips.append((staged_file, writer))

        def write_epub() -> None:
            for staged_file, writer in files_of_zips:
                with staged_file.open("wb") as stream:
                    writer(stream)
                    stream.flush()
                    start_writeback(stream.fileno(), 0, 0)  # as fill_folder does

        if not html:
            write_epub()
        else:
            target, files, shareable = html
            staging = new_staged_folder(target)
            staged.append((staging, target))
            with_epub = set(sorted(shareable)[::EPUB_WRITER_SHARE]) if epub and workers > 1 else set()

            def epub_side() -> None:
                write_epub()
                fill_folder(staging, {name: files[name] for name in with_epub})

            def html_side() -> None:
                fill_folder(staging, {name: content for name, content in files.items() if name not in with_epub})

            side_by_side([epub_side, html_side] if epub else [html_side], workers)
    except BaseException:
        for path, _ in staged:
            discard(path)
        raise
    return commit_together(journal, staged)
