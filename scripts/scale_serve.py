"""Serve saved indexes side by side: load time, resident memory, never-seen keystroke latency.

    .venv/bin/python scripts/scale_serve.py bundled INDEX_DIR [INDEX_DIR ...]

``bundled`` stands for the bundled catalog's index (built or taken from the cache, saved to a
temporary directory). For each index, in this one process, one after the other:

* ``Autocomplete.load``: the median of ``LOADS`` loads after one untimed load (each load's
  background verification waited for, untimed, before the next: ``catalogs.load_times_ms``);
* resident memory a fresh process adds by loading it, and after answering the never-seen
  keystrokes once (``benchmarks/catalogs.resident_memory``);
* never-seen keystrokes exactly as ``benchmarks/test_bench_prefix.py``'s never-seen benchmark
  times them: every distinct keystroke of the clean query mix asked once on a freshly loaded
  engine (after 50 queries of another seed's mix), on two engines, each percentile the median
  over them; and the bare trie lookup over the same queries (``queries.never_seen_figures``,
  which the benchmark uses too).

Prints one JSON line per index, then the ratios of each index's figures to the first's.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from autocomplete import Autocomplete  # noqa: E402
from catalogs import directory_bytes, load_times_ms, resident_memory  # noqa: E402
from queries import distinct_keystrokes, never_seen_figures  # noqa: E402

LOADS = 9
K = 10


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def load_ms(directory: Path) -> float:
    return round(statistics.median(load_times_ms(directory, LOADS)), 1)


def main() -> int:
    results = []
    with tempfile.TemporaryDirectory() as scratch:
        for name in sys.argv[1:]:
            if name == "bundled":
                directory = Autocomplete().save(Path(scratch) / "bundled")
            else:
                directory = Path(name)
            log(f"{name}: load")
            engine = Autocomplete.load(directory)
            engine.verified()  # its checks would share the machine with the timed loads
            figures: dict[str, object] = {
                "index": name,
                "titles": engine.index.title_count,
                "disk_mb": round(directory_bytes(directory) / 1e6, 1),
                "load_ms": load_ms(directory),
            }
            queries = distinct_keystrokes(engine, "clean")
            del engine
            log(f"{name}: memory")
            memory = resident_memory(directory, queries)
            figures.update(
                {
                    "rss_after_load_mb": memory["loaded_mb"],
                    "rss_after_serving_mb": memory["served_mb"],
                    "rss_serving_heap_mb": memory["served_anon_mb"],
                    "rss_serving_mapped_mb": memory["served_file_mb"],
                    "first_load_ms_fresh_process": memory["load_ms_cold_process"],
                }
            )
            log(f"{name}: never-seen keystrokes")
            figures.update(never_seen_figures(directory, queries, K))
            print(json.dumps(figures), flush=True)
            results.append(figures)
    first = results[0]
    for figures in results[1:]:
        ratios = {
            key: round(float(figures[key]) / float(first[key]), 2)  # type: ignore[arg-type]
            for key in ("p50_us", "p99_us", "load_ms")
        }
        print(json.dumps({"index": figures["index"], "ratio_to": first["index"], **ratios}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
