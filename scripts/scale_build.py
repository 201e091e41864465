"""Build and save the index of a catalog file, logging each build stage's wall time and RSS.

    .venv/bin/python scripts/scale_build.py CATALOG.jsonl INDEX_DIR

Run it under ``/usr/bin/time -v`` for the peak resident memory ("Maximum resident set size").
The catalog is read with ``--weight-field votes --id-field id``, as ``autocomplete synthesize``
writes it. Prints one JSON line of figures at the end.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from autocomplete.catalog.loader import load_catalog
from autocomplete.index.build import build_index


def resident_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main() -> int:
    catalog, output = sys.argv[1], Path(sys.argv[2])
    started = time.perf_counter()
    last = [started, ""]

    def log(message: str) -> None:
        now = time.perf_counter()
        print(
            f"[{now - started:8.1f} s, +{now - last[0]:6.1f}] {message}  rss {resident_mb():,.0f} MB",
            file=sys.stderr,
            flush=True,
        )
        last[0] = now

    def progress(stage: str, done: int, total: int) -> None:
        if stage != last[1]:
            log(f"stage {stage} begins")
            last[1] = stage

    records, _ = load_catalog(catalog, weight_field="votes", id_field="id")
    log(f"loaded {len(records):,} records")
    load_seconds = time.perf_counter() - started
    build_started = time.perf_counter()
    index = build_index(records, source=Path(catalog).name, progress=progress)
    build_seconds = time.perf_counter() - build_started
    log("built")
    del records
    index.save_atomically(output)
    log("saved")
    disk = sum(item.stat().st_size for item in output.rglob("*") if item.is_file())
    print(
        json.dumps(
            {
                "titles": index.title_count,
                "entries": index.entry_count,
                "keys": index.info["keys"],
                "wide_prefixes": index.info["wide_prefixes"],
                "load_catalog_s": round(load_seconds, 1),
                "build_index_s": round(build_seconds, 1),
                "total_s": round(time.perf_counter() - started, 1),
                "disk_mb": round(disk / 1e6, 1),
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
