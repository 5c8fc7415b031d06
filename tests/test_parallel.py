"""Worker processes: results in order, errors reach the caller, every call runs."""

import os

import pytest

from bookbuild.parallel import forked, in_background, map_units, side_by_side


def _square(n: int) -> int:
    return n * n


def _square_and_pid(n: int) -> tuple[int, int]:
    return n * n, os.getpid()


def test_map_units_keeps_order_in_workers_and_alone():
    items = list(range(40))
    assert map_units(_square, items, 2) == map_units(_square, items, 1) == [n * n for n in items]


def test_map_units_uses_worker_processes_when_asked_and_none_when_not():
    items = list(range(40))
    assert {pid for _, pid in map_units(_square_and_pid, items, 1)} == {os.getpid()}
    pids = {pid for _, pid in map_units(_square_and_pid, items, 2)}
    assert pids and os.getpid() not in pids  # done in the workers (how many took a share is up to them)


def _fail_in_child():
    raise OSError("disk full")


@pytest.mark.parametrize("workers", [1, 2])
def test_side_by_side_runs_every_call_and_raises_a_childs_error(tmp_path, workers):
    def touch():
        (tmp_path / "done").write_text("yes")

    with pytest.raises(OSError, match="disk full"):
        side_by_side([_fail_in_child, touch], workers)
    assert (tmp_path / "done").read_text() == "yes"


def test_side_by_side_calls_in_children_see_the_parents_state(tmp_path):
    marker = tmp_path / "child"
    side_by_side([lambda: marker.write_text("from a child"), lambda: None], 2)
    assert marker.read_text() == "from a child"


def test_in_background_runs_in_a_child_while_the_block_runs_and_keeps_its_failure_quiet(tmp_path):
    marker = tmp_path / "child"
    with in_background(lambda: marker.write_text(str(os.getpid())), 2):
        pass  # the block's end waits for the child
    assert int(marker.read_text()) != os.getpid()
    with in_background(_fail_in_child, 2):  # the caller finds the work undone and does it itself
        pass
    with in_background(lambda: marker.write_text("alone"), 1):  # one worker: nothing runs
        pass
    assert marker.read_text() != "alone"


def test_forked_gives_the_childs_result_or_raises_its_error():
    with forked(lambda: (os.getpid(), "made"), 2) as result:
        pid, made = result()
    assert made == "made" and pid != os.getpid()
    with forked(lambda: os.getpid(), 1) as result:  # one worker: made here
        assert result() == os.getpid()
    with pytest.raises(OSError, match="disk full"):
        with forked(_fail_in_child, 2) as result:
            result()
