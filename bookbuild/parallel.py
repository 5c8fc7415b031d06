"""Spread per-unit work over the machine's cores. Workers are forked, so the read-only
book model set up before the fork is shared with them rather than sent to each task."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, TypeVar

T = TypeVar("T")
R = TypeVar("R")
_MIN_TASKS_PER_WORKER = 4  # below this, starting processes costs more than it saves


def worker_count(requested: int | None = None) -> int:
    if requested:
        return max(1, requested)
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def map_units(function: Callable[[T], R], items: list[T], workers: int,
              progress: Callable[[int], None] | None = None) -> list[R]:
    """`function` over `items` in order, in worker processes when it pays."""
    if workers <= 1 or len(items) < workers * _MIN_TASKS_PER_WORKER \
            or "fork" not in multiprocessing.get_all_start_methods():
        results = []
        for item in items:
            results.append(function(item))
            if progress:
                progress(1)
        return results
    chunk = max(1, len(items) // (workers * 8))
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        results = []
        for result in pool.map(function, items, chunksize=chunk):
            results.append(result)
            if progress:
                progress(1)
        return results


