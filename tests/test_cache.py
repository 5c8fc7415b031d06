"""The pack-file cache: entries survive a new process, other processes' entries appear
after refresh, torn writes are ignored, and pruning keeps exactly what is live."""

import os

import pytest

from bookbuild.incremental.cache import Cache, CacheDamaged
from bookbuild.parallel import map_units

_SHARED: Cache | None = None


def _put_in_worker(n: int) -> None:
    _SHARED.put("unit", f"k{n}", f"value {n}".encode())


def test_entries_and_parts_round_trip_and_persist(tmp_path):
    cache = Cache(tmp_path)
    cache.put("kind", "a", b"alpha")
    cache.put_parts("render", "b", [b"one", b"", b"three"])
    assert cache.get("kind", "a") == b"alpha"
    assert [cache.get_part("render", "b", i) for i in range(3)] == [b"one", b"", b"three"]
    assert cache.get("kind", "missing") is None and not cache.has("kind", "missing")
    again = Cache(tmp_path)  # a later build
    assert again.get("kind", "a") == b"alpha" and again.get_part("render", "b", 2) == b"three"


def test_workers_entries_appear_after_refresh(tmp_path):
    global _SHARED
    _SHARED = cache = Cache(tmp_path)
    map_units(_put_in_worker, list(range(20)), 2)
    assert not cache.has("unit", "k3")  # written by other processes: not seen yet
    cache.refresh()
    assert [cache.get("unit", f"k{n}") for n in range(20)] == [f"value {n}".encode() for n in range(20)]


def test_a_torn_index_line_or_missing_data_is_a_miss(tmp_path):
    cache = Cache(tmp_path)
    cache.put("kind", "whole", b"data")
    index = next((tmp_path / "packs").glob("*.idx"))
    with index.open("ab") as handle:
        handle.write(b"kind beyond 999 50\n")  # its data never reached the pack
        handle.write(b"garbage\n")
        handle.write(b"kind torn 0 4")  # no newline: the writer died mid-line
    fresh = Cache(tmp_path)
    assert fresh.get("kind", "whole") == b"data"
    assert fresh.get("kind", "torn") is None and fresh.get("kind", "beyond") is None


def test_prune_keeps_live_entries_and_drops_the_rest(tmp_path, monkeypatch):
    monkeypatch.setattr("bookbuild.incremental.cache._PRUNE_SLACK", 0)
    (tmp_path / "render" / "ab").mkdir(parents=True)  # an older bookbuild's cache layout
    cache = Cache(tmp_path)
    for n in range(10):
        cache.put("unit", f"k{n}", os.urandom(1000))
    kept = {n: cache.get("unit", f"k{n}") for n in (2, 7)}
    cache.prune({("unit", "k2"), ("unit", "k7")})
    fresh = Cache(tmp_path)
    assert {n: fresh.get("unit", f"k{n}") for n in (2, 7)} == kept
    assert fresh.get("unit", "k3") is None
    # each entry: its part count, one (size, CRC-32) row, the 1,000 bytes
    assert sum(p.stat().st_size for p in (tmp_path / "packs").glob("*.pack")) == 2 * (4 + 12 + 1000)
    assert not (tmp_path / "render").exists()


def test_prune_leaves_a_cache_that_is_mostly_live_alone(tmp_path):
    cache = Cache(tmp_path)
    cache.put("unit", "a", b"x" * 1000)
    cache.put("unit", "b", b"y" * 10)
    (tmp_path / "parse" / "cd").mkdir(parents=True)  # an older bookbuild's cache layout
    packs = sorted((tmp_path / "packs").iterdir())
    cache.prune({("unit", "a")})
    assert sorted((tmp_path / "packs").iterdir()) == packs
    assert sorted(p.name for p in tmp_path.iterdir()) == ["packs"]


def test_entries_with_many_parts_and_short_entries(tmp_path):
    cache = Cache(tmp_path)
    parts = [bytes([n]) * n for n in range(12)]  # more parts than one read of the table covers
    cache.put_parts("many", "k", parts)
    cache.put_parts("one", "k", [b""])
    assert [cache.get_part("many", "k", i) for i in range(12)] == parts
    assert cache.get_part("one", "k", 0) == b"" and cache.get_part("one", "k", 1) is None


def _damage(folder, edit) -> None:
    for pack in (folder / "packs").glob("*.pack"):
        pack.write_bytes(edit(pack.read_bytes()))


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[:4] + (10**6).to_bytes(8, "little") + data[12:],  # a size table that overruns
        lambda data: data.replace("的".encode(), "地".encode()),  # same length, other text
        lambda data: data[: len(data) // 2],  # truncated
        lambda data: data[:20] + bytes(len(data) - 40) + data[-20:],  # zeroed
    ],
    ids=["size-table", "same-length-swap", "truncated", "zeroed"],
)
def test_damaged_entries_are_misses_never_wrong_bytes(tmp_path, damage):
    cache = Cache(tmp_path)
    cache.put_parts("render", "a", ["的确是的".encode() * 50, b"page"])
    cache.put("render", "b", "目的".encode() * 100)
    _damage(tmp_path, damage)
    fresh = Cache(tmp_path)
    assert fresh.get_part("render", "a", 0) in (None, "的确是的".encode() * 50)
    assert fresh.get("render", "b") in (None, "目的".encode() * 100)
    assert fresh.get_part("render", "a", 0) is None or fresh.get("render", "b") is None
    with pytest.raises(CacheDamaged):
        fresh.need_part("render", "a", 0) if fresh.get_part("render", "a", 0) is None else fresh.need_part(
            "render", "b", 0
        )


def test_a_packs_bytes_are_sent_to_disk_in_ranges_that_cover_it_once(tmp_path, monkeypatch):
    """A clean build writes hundreds of MB of cache; each WRITEBACK_EVERY bytes of a pack
    are handed to the kernel as written, so the flush before the outputs' renames does
    not start on all of it. The ranges follow one another, with no gap and no overlap."""
    from bookbuild.incremental import cache as cache_module

    ranges = []
    monkeypatch.setattr(cache_module, "WRITEBACK_EVERY", 100)
    monkeypatch.setattr(cache_module, "start_writeback", lambda fd, offset, length: ranges.append((offset, length)))
    cache = Cache(tmp_path)
    for n in range(40):
        cache.put_parts("render", f"u{n}", [bytes(n), b"x" * (n % 7)])
    pack = next(tmp_path.rglob("*.pack")).stat().st_size
    assert ranges and ranges[0][0] == 0
    assert all(offset + length == following for (offset, length), (following, _) in zip(ranges, ranges[1:]))
    sent = ranges[-1][0] + ranges[-1][1]
    assert pack - 100 < sent <= pack  # what is left is under the threshold, for the flush
    assert all(length >= 100 for _, length in ranges)
