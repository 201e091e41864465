"""The commands the README promises, run from the repository root as a user types them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _pytest(*arguments: str, **environment: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
    env.pop("AUTOCOMPLETE_BENCH_LARGE", None)
    env.update(environment)
    return subprocess.run(
        [sys.executable, "-m", "pytest", *arguments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _collected(output: str) -> list[str]:
    return [line for line in output.splitlines() if "::" in line]


def test_benchmark_only_from_the_root_collects_the_benchmarks_and_not_the_tests() -> None:
    run = _pytest("--benchmark-only", "--collect-only", "-q")
    assert run.returncode == 0, run.stdout + run.stderr
    collected = _collected(run.stdout)
    assert collected, run.stdout
    assert all(line.startswith("benchmarks/") for line in collected), collected[:5]


def test_plain_pytest_collects_the_tests_and_not_the_benchmarks() -> None:
    run = _pytest("--collect-only", "-q")
    assert run.returncode == 0, run.stdout + run.stderr
    collected = _collected(run.stdout)
    assert any(line.startswith("tests/") for line in collected)
    assert not any(line.startswith("benchmarks/") for line in collected)


def test_million_title_benchmarks_are_opt_in() -> None:
    large = "benchmarks/test_bench_build_load.py::test_build_large"
    default = _pytest(large, "--benchmark-only", "-q", "-rs")
    assert default.returncode == 0, default.stdout + default.stderr
    assert "1 skipped" in default.stdout and "--bench-large" in default.stdout
    # With the opt-in it runs (on a small "large" catalog, to keep this test quick).
    chosen = _pytest(
        large,
        "--benchmark-only",
        "-q",
        AUTOCOMPLETE_BENCH_LARGE="1",
        AUTOCOMPLETE_BENCH_TITLES="2000",
    )
    assert chosen.returncode == 0, chosen.stdout + chosen.stderr
    assert "1 passed" in chosen.stdout
