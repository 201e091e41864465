"""Fixtures for the benchmarks: engines over the bundled and a large synthetic catalog, and the
query mix they are measured with.

Run with ``pytest --benchmark-only`` from the repository root (the root ``conftest.py`` enables
the timing and prints p50 / p99); the million-title runs are opt-in with ``--bench-large`` or
``AUTOCOMPLETE_BENCH_LARGE=1``. The large catalog has ``AUTOCOMPLETE_BENCH_TITLES`` titles
(default 1,000,000); its index is built on first use and cached (see ``catalogs.py``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autocomplete import Autocomplete
from catalogs import bench_titles, synthetic_index_dir
from queries import Served


@pytest.fixture(scope="session")
def bundled_engine() -> Autocomplete:
    """The bundled movie catalog, its index from the user cache (built there on first use)."""
    return Autocomplete()


@pytest.fixture(scope="session")
def large_index_dir() -> Path:
    """The saved index of the large synthetic catalog (built and cached on first use)."""
    return synthetic_index_dir(bench_titles())


@pytest.fixture(scope="session")
def large_engine(large_index_dir: Path) -> Autocomplete:
    return Autocomplete.load(large_index_dir)


@pytest.fixture(scope="session")
def bundled(bundled_engine: Autocomplete) -> Served:
    return Served("bundled", bundled_engine)


@pytest.fixture(scope="session")
def large(large_engine: Autocomplete) -> Served:
    return Served(f"synthetic-{len(large_engine)}", large_engine)


@pytest.fixture(scope="session")
def saved_bundled_index(
    bundled_engine: Autocomplete, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The bundled index saved to a fresh directory, for the load benchmarks."""
    return bundled_engine.save(tmp_path_factory.mktemp("bundled-index"))
