"""The catalogs the benchmarks run on: the bundled movies, and synthetic ones cached on disk.

A synthetic index of a million titles takes minutes to build, so it is built once per
(count, seed, generator version, index format) and saved under the user cache directory
(``AUTOCOMPLETE_CACHE_DIR`` overrides it, as for the bundled index); later runs memory-map it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from autocomplete import Autocomplete, CatalogIndex, IndexFormatError, Record, load_catalog
from autocomplete.catalog.loader import CatalogStream
from autocomplete.index.build import Progress, build_index
from autocomplete.index.catalog_index import FORMAT_VERSION
from autocomplete.paths import cache_directory, data_directory
from autocomplete.spell.option_table import table_beside
from autocomplete.spell.translation import LEXICON_FILE
from autocomplete.spell.translation_table import translation_table_beside
from autocomplete.tools.synthetic import GENERATOR_VERSION, generate_titles

BENCH_TITLES_ENV = "AUTOCOMPLETE_BENCH_TITLES"
DEFAULT_BENCH_TITLES = 1_000_000
SYNTHETIC_SEED = 0


def bench_titles() -> int:
    """Titles in the large synthetic catalog (``AUTOCOMPLETE_BENCH_TITLES``, default 1M)."""
    text = os.environ.get(BENCH_TITLES_ENV, "").replace("_", "").strip()
    if not text:
        return DEFAULT_BENCH_TITLES
    value = int(text)
    if value < 1:
        raise ValueError(f"{BENCH_TITLES_ENV} must be at least 1, got {value}")
    return value


def synthetic_records(count: int, seed: int = SYNTHETIC_SEED) -> list[Record]:
    """``count`` synthetic titles, loaded through the catalog loader like any catalog."""
    records, _ = load_catalog(
        generate_titles(count, seed=seed), weight_field="votes", id_field="id"
    )
    return records


def synthetic_cache_path(count: int, seed: int = SYNTHETIC_SEED) -> Path:
    """Where the saved index of ``count`` synthetic titles is cached."""
    name = f"synthetic-{count}-seed{seed}-g{GENERATOR_VERSION}-v{FORMAT_VERSION}"
    return cache_directory() / "benchmarks" / name


def cached_synthetic_index(count: int, seed: int = SYNTHETIC_SEED) -> Path | None:
    """The cached saved index of ``count`` synthetic titles, if there is a usable one."""
    cached = synthetic_cache_path(count, seed)
    if not cached.is_dir():
        return None
    try:
        if CatalogIndex.load(cached).title_count == count:
            return cached
    except IndexFormatError:
        pass
    shutil.rmtree(cached, ignore_errors=True)
    return None


def save_synthetic_index(index: CatalogIndex, count: int, seed: int = SYNTHETIC_SEED) -> Path:
    """Save ``index`` (of ``count`` synthetic titles) into the cache; returns its directory."""
    cached = index.save_atomically(synthetic_cache_path(count, seed))
    # Indexes of the same catalog in older formats or generator versions are of no more use.
    for stale in cached.parent.glob(f"synthetic-{count}-seed{seed}-g*-v*"):
        if stale.name != cached.name and "." not in stale.name:
            shutil.rmtree(stale, ignore_errors=True)
    return cached


def synthetic_index_dir(
    count: int, seed: int = SYNTHETIC_SEED, *, progress: Progress | None = None
) -> Path:
    """A saved index of ``count`` synthetic titles: from the cache, else built and cached."""
    cached = cached_synthetic_index(count, seed)
    if cached is None:
        # Streamed from the generator into the build: ten million titles are never one list.
        stream = CatalogStream(
            generate_titles(count, seed=seed), weight_field="votes", id_field="id"
        )
        index = build_index(
            stream, source=synthetic_cache_path(count, seed).name, progress=progress
        )
        cached = save_synthetic_index(index, count, seed)
    # The speller's precomputed readings and the translation index, as `autocomplete build`
    # saves them (built once).
    table_beside(cached)
    translation_table_beside(cached, data_directory() / LEXICON_FILE)
    return cached


def directory_bytes(path: Path) -> int:
    """Total size of the files under ``path``."""
    return sum(item.stat().st_size for item in path.rglob("*") if item.is_file())


# Resident memory --------------------------------------------------------------------------------

_RSS_PROBE = r"""
import json, sys, time

def rss_kb():
    found = {}
    with open("/proc/self/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "RssAnon", "RssFile"):
                found[name] = int(value.split()[0])
    return found

import autocomplete
from autocomplete import Autocomplete, CatalogIndex

directory, query_file = sys.argv[1], sys.argv[2]
queries = json.loads(open(query_file).read())
before = rss_kb()
started = time.perf_counter()
engine = Autocomplete.load(directory)
load_seconds = time.perf_counter() - started
after_load = rss_kb()
for query in queries:
    engine.suggest(query)
after_queries = rss_kb()
print(json.dumps({
    "before_kb": before,
    "after_load_kb": after_load,
    "after_queries_kb": after_queries,
    "load_seconds": load_seconds,
}))
"""


def resident_memory(index_dir: Path, queries: Sequence[str]) -> dict[str, float]:
    """Resident memory added by ``Autocomplete.load(index_dir)`` in a fresh process, in MB.

    ``loaded_mb`` is measured right after the load (after the package is imported);
    ``served_mb`` after the process has also answered ``queries``, which pages in the parts of
    the memory-mapped index they touch and fills the engine's caches. Each is also split into
    anonymous (heap) and file-backed (mapped index) memory.
    """
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(list(queries), handle)
    try:
        completed = subprocess.run(
            [sys.executable, "-c", _RSS_PROBE, str(index_dir), handle.name],
            check=True,
            capture_output=True,
            text=True,
        )
    finally:
        os.unlink(handle.name)
    found: dict[str, Any] = json.loads(completed.stdout)
    before: dict[str, int] = found["before_kb"]
    loaded: dict[str, int] = found["after_load_kb"]
    served: dict[str, int] = found["after_queries_kb"]

    def added(after: dict[str, int], name: str) -> float:
        return round((after.get(name, 0) - before.get(name, 0)) / 1024, 1)

    return {
        "loaded_mb": added(loaded, "VmRSS"),
        "served_mb": added(served, "VmRSS"),
        # Anonymous memory is the Python heap (caches, decoded values); file-backed memory is
        # the memory-mapped index pages touched so far, shared with other processes.
        "loaded_anon_mb": added(loaded, "RssAnon"),
        "loaded_file_mb": added(loaded, "RssFile"),
        "served_anon_mb": added(served, "RssAnon"),
        "served_file_mb": added(served, "RssFile"),
        "process_before_mb": round(before["VmRSS"] / 1024, 1),
        "load_ms_cold_process": round(found["load_seconds"] * 1000, 1),
    }


def load_times_ms(directory: Path, loads: int) -> list[float]:
    """``Autocomplete.load(directory)`` timed ``loads`` times after one untimed load, in ms.
    Each load's background verification is waited for, untimed, before the next starts: loads
    timed back to back would otherwise share the machine with the checks of those before."""
    times = []
    for load in range(loads + 1):
        started = time.perf_counter()
        engine = Autocomplete.load(directory)
        if load:
            times.append((time.perf_counter() - started) * 1000)
        engine.verified()
    return times
