"""What the saved index's integrity checks cost at load; prints the table of docs/performance.md.

For each index (bundled, and synthetic catalogs of the sizes given, built and cached by
``benchmarks/catalogs.py`` when missing: a million titles takes minutes), ``Autocomplete.load``
(which reads the error model too) is timed with the checks, with them switched off (by
patching, for the comparison only), and the checksums alone, in interleaved rounds after one
untimed load of each (page cache warm).

    .venv/bin/python scripts/measure_load_checks.py [--rounds 21] [--titles 100000 1000000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import autocomplete.index.catalog_index as index_module  # noqa: E402
import autocomplete.index.spelling as spelling_index  # noqa: E402
from autocomplete import Autocomplete  # noqa: E402
from autocomplete.index.bundled import bundled_index, bundled_index_path  # noqa: E402
from autocomplete.index.integrity import read_manifest  # noqa: E402
from catalogs import directory_bytes, synthetic_index_dir  # noqa: E402


def _manifest_only(source: Path, format_version: int) -> Any:
    return json.loads((source / "manifest.json").read_text())


def _unchecked_load(directory: Path) -> Autocomplete:
    """A load with the checksums and structure checks replaced by nothing."""
    with ExitStack() as patches:
        patches.enter_context(mock.patch.object(index_module, "read_manifest", _manifest_only))
        for module, name in (
            (index_module, "_check_structure"),
            (index_module, "check_strings"),
            (spelling_index, "_check_structure"),
        ):
            patches.enter_context(mock.patch.object(module, name, lambda *args: None))
        return Autocomplete.load(directory)


def measure(label: str, directory: Path, rounds: int) -> str:
    variants: dict[str, Callable[[], object]] = {
        "checked": lambda: Autocomplete.load(directory),
        "unchecked": lambda: _unchecked_load(directory),
        "checksums": lambda: read_manifest(directory, index_module.FORMAT_VERSION),
    }
    times: dict[str, list[float]] = {name: [] for name in variants}
    for run in variants.values():
        run()
    for _ in range(rounds):
        for name, run in variants.items():
            started = time.perf_counter()
            run()
            times[name].append((time.perf_counter() - started) * 1000)

    def cell(name: str) -> str:
        return f"{statistics.median(times[name]):.1f} ms (min {min(times[name]):.1f})"

    size = directory_bytes(directory) / 1e6
    return (
        f"| {label} | {size:.0f} MB | {cell('checked')} | {cell('unchecked')} "
        f"| {statistics.median(times['checksums']):.1f} ms |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--titles", type=int, nargs="*", default=[100_000, 1_000_000])
    args = parser.parse_args()
    bundled_index()  # built and cached on first use
    print("| index | on disk | `Autocomplete.load` | the same, checks off | checksums alone |")
    print("| --- | --- | --- | --- | --- |")
    print(measure("bundled", bundled_index_path(), args.rounds), flush=True)
    for count in args.titles:
        print(measure(f"synthetic {count:,}", synthetic_index_dir(count), args.rounds), flush=True)


if __name__ == "__main__":
    main()
