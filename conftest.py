"""How plain ``pytest`` and ``pytest --benchmark-only`` divide the work, from the repository root.

* ``pytest`` runs the tests (``tests/``) and leaves the benchmarks alone: pyproject's addopts
  say ``--benchmark-disable``, so nothing in the normal run is timed.
* ``pytest --benchmark-only`` runs the benchmarks (``benchmarks/``) on the bundled catalog and
  prints each benchmark's p50 and p99 in µs. The million-title runs are opt-in
  (``--bench-large`` or ``AUTOCOMPLETE_BENCH_LARGE=1``): building that catalog alone takes
  about a minute, and the quick default is meant to finish within about 3.5 minutes (3 min 26 s
  here with the live-update and experiment benchmarks).

This file sits at the root because pytest only loads a conftest below the root when a path
under it is named: the hooks here must apply to the bare commands.
"""

from __future__ import annotations

import os
import statistics
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent
BENCHMARKS = ROOT / "benchmarks"
TESTS = ROOT / "tests"
LARGE_ENVIRONMENT_VARIABLE = "AUTOCOMPLETE_BENCH_LARGE"
LARGE_FIXTURES = frozenset({"large", "large_engine", "large_index_dir"})
"""Fixtures that build or load the million-title catalog: a benchmark using one is opt-in."""


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--bench-large",
        action="store_true",
        default=False,
        help="also run the benchmarks on the large synthetic catalog (1,000,000 titles by "
        f"default; {LARGE_ENVIRONMENT_VARIABLE}=1 does the same)",
    )


def _benchmark_only(config: pytest.Config) -> bool:
    return bool(config.getoption("benchmark_only", default=False))


def _large_wanted(config: pytest.Config) -> bool:
    from_environment = os.environ.get(LARGE_ENVIRONMENT_VARIABLE, "").strip().lower()
    return bool(config.getoption("bench_large")) or from_environment in {"1", "true", "yes"}


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    # addopts say --benchmark-disable so that the test run never times anything; asking for
    # --benchmark-only means "do time them", which pytest-benchmark would otherwise reject as
    # contradicting --benchmark-disable. This must run before the plugin reads the options.
    if _benchmark_only(config):
        config.option.benchmark_enable = True


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    # Only when no path was named (the testpaths): a named path is always collected.
    if config.args_source is not pytest.Config.ArgsSource.TESTPATHS:
        return None
    if _benchmark_only(config) and collection_path.is_relative_to(TESTS):
        return True
    if not _benchmark_only(config) and collection_path.is_relative_to(BENCHMARKS):
        return True
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _large_wanted(config):
        return
    opt_in = pytest.mark.skip(
        reason=f"million-title benchmark: opt in with --bench-large or "
        f"{LARGE_ENVIRONMENT_VARIABLE}=1"
    )
    for item in items:
        uses_large = LARGE_FIXTURES.intersection(getattr(item, "fixturenames", ()))
        if uses_large or item.get_closest_marker("large") is not None:
            item.add_marker(opt_in)


def _percentiles_us(benchmark: Any) -> tuple[float, float, str] | None:
    """A benchmark's p50 and p99 in µs, and what they are percentiles of.

    Benchmarks that time queries one by one put per-query percentiles in ``extra_info``; for the
    others the percentiles are over the timed rounds (one call of the operation each)."""
    extra = getattr(benchmark, "extra_info", {}) or {}
    if "p50_us" in extra and "p99_us" in extra:
        queries = extra.get("queries")
        unit = f"per query, {queries} queries" if queries else "per query"
        return float(extra["p50_us"]), float(extra["p99_us"]), unit
    stats = getattr(benchmark, "stats", None)
    data = sorted(getattr(stats, "data", None) or ())
    if not data:
        return None
    p50 = statistics.median(data) * 1e6
    p99 = data[min(len(data) - 1, round(0.99 * (len(data) - 1)))] * 1e6
    return p50, p99, f"per call, {len(data)} rounds"


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    session = getattr(config, "_benchmarksession", None)
    benchmarks = getattr(session, "benchmarks", None) or []
    rows = []
    for benchmark in benchmarks:
        figures = _percentiles_us(benchmark)
        if figures is not None:
            rows.append((f"{benchmark.group}: {benchmark.name}", *figures))
    if not rows:
        return
    terminalreporter.section("latency percentiles (µs)")
    width = max(len(row[0]) for row in rows)
    terminalreporter.write_line(f"{'benchmark':<{width}}  {'p50':>12}  {'p99':>12}  of")
    for name, p50, p99, unit in rows:
        terminalreporter.write_line(f"{name:<{width}}  {p50:>12,.1f}  {p99:>12,.1f}  {unit}")
