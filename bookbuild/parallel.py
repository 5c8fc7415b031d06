"""Spread per-unit work over the machine's cores. Workers are forked, so the read-only
book model set up before the fork is shared with them rather than sent to each task."""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")
_MIN_TASKS_PER_WORKER = 4  # below this, starting processes costs more than it saves


def worker_count(requested: int | None = None) -> int:
    if requested:
        return max(1, requested)
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


@contextmanager
def _forking_pool(workers: int):
    """A pool of forked workers. The objects that exist at the fork are frozen out of
    the garbage collector first: a collection in a worker would otherwise write to every
    one of them and so copy the whole shared model into each worker, page by page.
    Workers never outlive the build: they stop with it on an error or a signal, and die
    with it if it is killed (see _start_worker)."""
    global _PARENT
    _PARENT = os.getpid()
    gc.freeze()
    try:
        with ProcessPoolExecutor(
            workers, mp_context=multiprocessing.get_context("fork"), initializer=_start_worker
        ) as pool:
            try:
                yield pool
            except BaseException:
                # what has not started is dropped; the workers finish the task in hand and
                # exit before the build does (killing them instead trips a race in
                # concurrent.futures that prints a thread's traceback)
                pool.shutdown(wait=True, cancel_futures=True)
                raise
    finally:
        gc.unfreeze()


_PARENT = 0
_PR_SET_PDEATHSIG = 1


def _start_worker() -> None:
    """In each worker: collect its own garbage even while the parent does not (see
    no_gc), and be killed when the parent dies, however it dies (Linux's parent-death
    signal), so that no orphan holds the caller's pipes open or writes after it."""
    gc.enable()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the pool's own shutdown still applies
        return
    if os.getppid() != _PARENT:  # the parent died before the signal was asked for
        os._exit(1)


def map_units(
    function: Callable[[T], R], items: list[T], workers: int, progress: Callable[[int], None] | None = None
) -> list[R]:
    """`function` over `items` in order, in worker processes when it pays."""
    if (
        workers <= 1
        or len(items) < workers * _MIN_TASKS_PER_WORKER
        or "fork" not in multiprocessing.get_all_start_methods()
    ):
        results = []
        for item in items:
            results.append(function(item))
            if progress:
                progress(1)
        return results
    # small chunks, so the workers finish together: the last chunk is the wait at the end
    chunk = max(1, len(items) // (workers * 24))
    with _forking_pool(workers) as pool:
        results = []
        for result in pool.map(function, items, chunksize=chunk):
            results.append(result)
            if progress:
                progress(1)
        return results


_CALLS: list[Callable[[], None]] | None = None


def _call(index: int) -> None:
    _CALLS[index]()


def side_by_side(calls: list[Callable[[], None]], workers: int) -> None:
    """Run `calls` at the same time, the first ones in forked processes and the last one
    here; serially with one worker. Every call finishes before an error is raised."""
    global _CALLS
    if workers <= 1 or len(calls) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        errors = []
        for call in calls:
            try:
                call()
            except Exception as exc:  # noqa: BLE001 (raised below, after the other calls)
                errors.append(exc)
        if errors:
            raise errors[0]
        return
    _CALLS = calls
    try:
        with _forking_pool(min(workers - 1, len(calls) - 1)) as pool:
            futures = [pool.submit(_call, index) for index in range(len(calls) - 1)]
            calls[-1]()  # on an error here, leaving the pool still waits for the others
            for future in futures:
                future.result()
    finally:
        _CALLS = None


_BACKGROUND: Callable[[], None] | None = None


def _run_background() -> None:
    assert _BACKGROUND is not None
    _BACKGROUND()


@contextmanager
def in_background(call: Callable[[], None], workers: int) -> Iterator[None]:
    """`call` in a forked process while the block runs, waited for at its end: for work
    best forked while this process is still small, since a forked child starts with its
    parent's memory. A failure is not raised here: the caller, finding the work not
    done, does it again where errors are reported. With one worker, nothing runs."""
    global _BACKGROUND
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        yield
        return
    _BACKGROUND = call
    try:
        with _forking_pool(1) as pool:
            done = pool.submit(_run_background)  # forks now, with _BACKGROUND set
            yield
            try:
                done.result()
            except Exception:  # noqa: BLE001, S110 (done again by the caller, see above)
                pass
    finally:
        _BACKGROUND = None


_FORKED: Callable[[], object] | None = None


def _run_forked() -> object:
    assert _FORKED is not None
    return _FORKED()


@contextmanager
def forked(call: Callable[[], R], workers: int) -> Iterator[Callable[[], R]]:
    """`call` started in a forked process as the block begins, the block given a function
    that waits for its result (an error in the child is raised there). With one worker
    that function calls it in this process instead."""
    global _FORKED
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        yield call
        return
    _FORKED = call
    try:
        with _forking_pool(1) as pool:
            yield pool.submit(_run_forked).result  # forks now, with _FORKED set
    finally:
        _FORKED = None


@contextmanager
def no_gc():
    """The cyclic garbage collector paused for the block. A build's parent holds the
    whole book's outline (tens of thousands of small objects) and makes tens of
    thousands more while resolving it; each automatic collection walks them all, for a
    third of the time resolve and nav take, and finds nothing: the model has no cycles."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
