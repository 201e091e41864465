"""What the saved index's integrity checks cost at load; prints the table of docs/performance.md.

For each index (bundled; synthetic catalogs of the sizes given, built and cached by
``benchmarks/catalogs.py`` when missing: a million titles takes minutes; saved index directories
given by path), in interleaved rounds after one untimed load of each (page cache warm):

* ``Autocomplete.load`` as it loads by default, the checks of every byte left to a background
  thread (which is waited for, untimed, before the next load);
* ``Autocomplete.load(..., verify="full")``, every byte checked before it returns;
* the checksums alone (``read_manifest`` with its digests).

    .venv/bin/python scripts/measure_load_checks.py [--rounds 21] [--titles 100000] [DIR ...]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from autocomplete import Autocomplete  # noqa: E402
from autocomplete.index.bundled import bundled_index, bundled_index_path  # noqa: E402
from autocomplete.index.catalog_index import FORMAT_VERSION  # noqa: E402
from autocomplete.index.integrity import read_manifest  # noqa: E402
from catalogs import directory_bytes, synthetic_index_dir  # noqa: E402


def measure(label: str, directory: Path, rounds: int) -> str:
    variants: dict[str, Callable[[], object]] = {
        "background": lambda: Autocomplete.load(directory),
        "full": lambda: Autocomplete.load(directory, verify="full"),
        "checksums": lambda: read_manifest(directory, FORMAT_VERSION),
    }
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(rounds + 1):
        for name, run in variants.items():
            started = time.perf_counter()
            result = run()
            elapsed = (time.perf_counter() - started) * 1000
            if isinstance(result, Autocomplete):
                result.verified()  # untimed: its checks must not overlap the next load
            times[name].append(elapsed)
    for name in variants:
        del times[name][0]  # the untimed first round

    def cell(name: str) -> str:
        return f"{statistics.median(times[name]):.1f} ms (min {min(times[name]):.1f})"

    size = directory_bytes(directory) / 1e6
    return (
        f"| {label} | {size:.0f} MB | {cell('background')} | {cell('full')} "
        f"| {statistics.median(times['checksums']):.1f} ms |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--titles", type=int, nargs="*", default=[])
    parser.add_argument("directories", type=Path, nargs="*", help="saved index directories")
    args = parser.parse_args()
    bundled_index()  # built and cached on first use
    print(
        "| index | on disk | `Autocomplete.load` (checks in the background) "
        '| `verify="full"` | checksums alone |'
    )
    print("| --- | --- | --- | --- | --- |")
    print(measure("bundled", bundled_index_path(), args.rounds), flush=True)
    for count in args.titles:
        print(measure(f"synthetic {count:,}", synthetic_index_dir(count), args.rounds), flush=True)
    for directory in args.directories:
        print(measure(str(directory), directory, args.rounds), flush=True)


if __name__ == "__main__":
    main()
