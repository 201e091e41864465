"""Index build, index load, and the resident memory a loaded index adds.

The million-title build is marked ``large`` (opt-in with ``--bench-large``, see the root
conftest); it runs once, and the catalog is generated and loaded outside the timer, as for
the bundled build.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from autocomplete import Autocomplete, CatalogIndex
from autocomplete.index.build import build_index
from autocomplete.index.bundled import bundled_records
from catalogs import (
    bench_titles,
    directory_bytes,
    resident_memory,
    synthetic_records,
)
from queries import Served


def _record_build(benchmark: Any, index: CatalogIndex) -> None:
    benchmark.extra_info.update(
        {
            "titles": index.title_count,
            "entries": index.entry_count,
            "keys": index.info["keys"],
            "wide_prefixes": index.info["wide_prefixes"],
        }
    )


def _megabytes(size: int) -> float:
    return round(size / 2**20, 1)


def test_build_bundled(benchmark: Any) -> None:
    records = bundled_records()
    benchmark.group = "build"
    index = benchmark.pedantic(
        build_index, args=(records,), kwargs={"source": "bundled"}, rounds=1, iterations=1
    )
    _record_build(benchmark, index)


@pytest.mark.large
def test_build_large(benchmark: Any) -> None:
    records = synthetic_records(bench_titles())
    benchmark.group = "build"
    index = benchmark.pedantic(
        build_index, args=(records,), kwargs={"source": "synthetic"}, rounds=1, iterations=1
    )
    _record_build(benchmark, index)


def _timed_loads(benchmark: Any, directory: Path, rounds: int) -> Autocomplete:
    """``Autocomplete.load(directory)`` timed ``rounds`` times, each after the previous load's
    background verification finished (untimed): back to back, each load would share the
    machine with the checks of those before it."""
    loaded: list[Autocomplete] = []

    def settled() -> tuple[tuple[Path], dict[str, Any]]:
        while loaded:
            loaded.pop().verified()
        return (directory,), {}

    def load(directory: Path) -> Autocomplete:
        loaded.append(Autocomplete.load(directory))
        return loaded[-1]

    engine: Autocomplete = benchmark.pedantic(
        load, setup=settled, rounds=rounds, iterations=1, warmup_rounds=1
    )
    return engine


def test_load_bundled(benchmark: Any, saved_bundled_index: Path) -> None:
    """``Autocomplete.load``: memory-map the index (and read the error model); its checks of
    every byte run in the background (docs/reliability.md)."""
    benchmark.group = "load"
    engine = _timed_loads(benchmark, saved_bundled_index, 20)
    benchmark.extra_info["titles"] = len(engine)
    benchmark.extra_info["index_mb_on_disk"] = _megabytes(directory_bytes(saved_bundled_index))


def test_load_bundled_index_only(benchmark: Any, saved_bundled_index: Path) -> None:
    """``CatalogIndex.load`` alone, every byte checked before it returns (``verify="full"``,
    its default): what a load would cost without the background checks."""
    benchmark.group = "load"
    benchmark.pedantic(
        CatalogIndex.load, args=(saved_bundled_index,), rounds=20, iterations=1, warmup_rounds=1
    )


def test_load_large(benchmark: Any, large_index_dir: Path) -> None:
    benchmark.group = "load"
    engine = _timed_loads(benchmark, large_index_dir, 10)
    benchmark.extra_info["titles"] = len(engine)
    benchmark.extra_info["index_mb_on_disk"] = _megabytes(directory_bytes(large_index_dir))


def _bench_memory(benchmark: Any, index_dir: Path, served: Served) -> None:
    """One fresh process loads the index and answers the mix; RSS deltas go to extra_info.

    The timed figure is the whole probe process and means little; the point is ``extra_info``.
    """
    benchmark.group = "memory"
    found = benchmark.pedantic(
        resident_memory, args=(index_dir, served.mix["all"]), rounds=1, iterations=1
    )
    benchmark.extra_info.update(found)


def test_memory_bundled(benchmark: Any, saved_bundled_index: Path, bundled: Served) -> None:
    _bench_memory(benchmark, saved_bundled_index, bundled)


def test_memory_large(benchmark: Any, large_index_dir: Path, large: Served) -> None:
    _bench_memory(benchmark, large_index_dir, large)
