"""Build and save the index of a catalog file, logging each build stage's wall time and RSS.

    .venv/bin/python scripts/scale_build.py CATALOG.jsonl INDEX_DIR [--list]

The catalog is streamed into the build (``CatalogStream``); with ``--list`` it is first loaded
whole as ``load_catalog`` does (what ``Autocomplete.from_catalog`` does).

Run it under ``/usr/bin/time -v`` for the peak resident memory ("Maximum resident set size").
The catalog is read with ``--weight-field votes --id-field id``, as ``autocomplete synthesize``
writes it. Prints one JSON line of figures at the end.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from autocomplete.catalog.loader import CatalogStream, load_catalog
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
            f"[{now - started:8.1f} s, +{now - last[0]:6.1f}] {message}"
            f"  rss {resident_mb():,.0f} MB",
            file=sys.stderr,
            flush=True,
        )
        last[0] = now

    def progress(stage: str, done: int, total: int) -> None:
        if stage != last[1]:
            log(f"stage {stage} begins")
            last[1] = stage

    if "--list" in sys.argv[3:]:  # the records as one list first, as Autocomplete.from_catalog
        records = load_catalog(catalog, weight_field="votes", id_field="id")[0]
        log(f"loaded {len(records):,} records")
        index = build_index(records, source=Path(catalog).name, progress=progress)
        del records
    else:  # streamed: read, validated and indexed one record at a time
        stream = CatalogStream(catalog, weight_field="votes", id_field="id")
        index = build_index(stream, source=Path(catalog).name, progress=progress)
    build_seconds = time.perf_counter() - started
    log("built")
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
                "read_and_build_s": round(build_seconds, 1),
                "total_s": round(time.perf_counter() - started, 1),
                "disk_mb": round(disk / 1e6, 1),
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
