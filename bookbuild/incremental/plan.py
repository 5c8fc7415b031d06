"""Before and after a build: whether the book must be modelled at all, and what the next
build will compare with.

Before: with the inputs as the last build recorded them and its outputs untouched,
nothing is written; when only the text of a few units changed, a quick rebuild
(incremental.quick) splices them into the outputs. Otherwise the pipeline models the
book, and after rendering asks whether the outputs would come out as they are. After
writing, the build state is recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bookbuild.book.model import Modelled
from bookbuild.fileio import recover, remove_leftovers
from bookbuild.incremental.quick import quick_rebuild
from bookbuild.incremental.render_cache import RenderPlan, quick_context, unit_files
from bookbuild.incremental.state import (
    JOURNAL_NAME,
    BuildState,
    compare_inputs,
    listings,
    outputs_state,
    read_state,
    record_inputs,
    stat_signature,
    write_state,
)

CACHE_FOLDER = ".bookbuild-cache"


def prepare(out: Path) -> tuple[Path, BuildState | None]:
    """The cache folder, made ready, and the last build's state (None: there is none)."""
    folder = out / CACHE_FOLDER
    if folder.is_symlink() or folder.exists() and not folder.is_dir():
        folder.unlink()  # not a cache this code made: start one afresh
    # a build killed while renaming its outputs into place: finish that first, then
    # clear what killed builds left half-written
    recover(folder / JOURNAL_NAME)
    remove_leftovers(out)
    remove_leftovers(folder)
    return folder, read_state(folder)


def without_modelling(
    root: Path,
    out: Path,
    folder: Path,
    last: BuildState | None,
    formats: tuple[str, ...],
    source_date_epoch: str | None,
    started: int,
    progress: Callable[[str, int, int], None] | None,
    workers: int = 1,
) -> list[Path] | None:
    """[] when nothing changed since the last build; the outputs rewritten when a quick
    rebuild applied; None when the book must be modelled."""
    if not last or last.formats != formats or last.source_date_epoch != source_date_epoch:
        return None
    check = compare_inputs(root, last)
    if check is None or outputs_state(out, last.targets) != last.outputs:
        return None
    if not check.changed:
        return []
    return quick_rebuild(out, folder, last, check, started, progress, workers)


def outputs_current(out: Path, last: BuildState | None, fingerprint: str, targets: tuple[tuple[str, str], ...]) -> bool:
    """The outputs are what this build would write, untouched since the last one."""
    return bool(
        last
        and last.fingerprint == fingerprint
        and last.targets == targets
        and outputs_state(out, targets) == last.outputs
    )


def unit_pages(job: RenderPlan) -> dict[str, str]:
    """html/ unit page or search shard -> its unit's render key."""
    return {rel: name for rel, (name, _) in unit_files(job).items()}


def reusable_pages(last: BuildState | None, pages: dict[str, str], html: Path) -> dict[str, Path]:
    """Unit pages in html/ that the last build made from the same render key and that
    nobody has touched since (their stat signature as recorded, ctime included): the new
    html/ links them instead of writing them again."""
    if last is None:
        return {}
    recorded = dict(last.outputs)
    before = dict(last.pages)
    reuse = {}
    for rel, name in pages.items():
        path = html / rel
        was = recorded.get(f"{html.name}/{rel}")
        if before.get(rel) != name or was is None:
            continue
        try:
            stat = path.stat()
        except OSError:
            continue
        if stat_signature(stat) == was:
            reuse[rel] = path
    return reuse


def _input_paths(root: Path, modelled: Modelled) -> list[str]:
    """The files a build reads: metadata, units, the book's styles, the images units use."""
    names = listings(root)
    files = {"metadata.yaml"} | {f"book/{name}" for name in names[0]} | {f"styles/{name}" for name in names[1]}
    files |= {f"book/{image.src}" for r in modelled.resolved.units for image in r.unit.images}
    return sorted(files)


def record_full_build(
    root: Path,
    out: Path,
    folder: Path,
    job: RenderPlan,
    started: int,
    formats: tuple[str, ...],
    source_date_epoch: str | None,
    targets: tuple[tuple[str, str], ...],
    fingerprint: str,
) -> None:
    modelled = job.modelled
    write_state(
        folder,
        BuildState(
            started_ns=started,
            formats=formats,
            source_date_epoch=source_date_epoch,
            listings=listings(root),
            inputs=record_inputs(root, _input_paths(root, modelled), dict(modelled.input_digests)),
            targets=targets,
            outputs=outputs_state(out, targets),
            fingerprint=fingerprint,
            pages=tuple(sorted(unit_pages(job).items())),
            diagnostics=modelled.diagnostics,
            quick=quick_context(job),
        ),
    )
