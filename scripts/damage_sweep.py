"""The figures of docs/reliability.md, "Damaged files": damaged copies of a saved index and of a
SQLite click store, and what loading or opening each one gives.

    .venv/bin/python scripts/damage_sweep.py index --seeds 0 1 2 3 --per-kind 5
    .venv/bin/python scripts/damage_sweep.py store --copies 300 --seed 0

``index`` uses the test suite's harness (``tests/index_damage.py``: each copy is loaded and
queried in a worker process, so a crash is counted); ``store`` damages a real 4,000-event store
in six ways and opens and reads back each copy in this process (SQLite does not crash on a
damaged file; it reports it).
"""

from __future__ import annotations

import argparse
import collections
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import index_damage  # noqa: E402
from autocomplete.feedback import Click, Impression, SqliteStore  # noqa: E402
from autocomplete.feedback.events import Event  # noqa: E402
from autocomplete.feedback.sqlite_store import FeedbackStoreError  # noqa: E402

STORE_DAMAGE = ("flip", "zero", "garbage", "garbage_page", "truncate", "header")
"""How a store copy is damaged: a bit anywhere, 64 bytes zeroed, 256 random bytes, a random
page, cut short, a bit in the 100-byte header."""

PAGE_BYTES = 4096
"""SQLite's default page size, which the store keeps."""


def sweep_index(seeds: list[int], per_kind: int) -> None:
    root = Path(tempfile.mkdtemp(prefix="damage-sweep-"))
    try:
        index = index_damage.build_small_index(root / "index")
        reference = index_damage.reference_answers(index)
        totals: collections.Counter[str] = collections.Counter()
        stages: collections.Counter[str] = collections.Counter()
        for seed in seeds:
            cases = index_damage.make_cases(
                index, root / f"seed{seed}", per_kind=per_kind, seed=seed
            )
            started = time.perf_counter()
            outcomes = index_damage.run_cases(cases)
            groups = index_damage.classify(cases, outcomes, reference)
            counts = {outcome: len(found) for outcome, found in groups.items()}
            refused = collections.Counter(
                index_damage.refused_when(report, reference)
                for report in outcomes.values()
                if report["outcome"] == "refused"
            )
            seconds = time.perf_counter() - started
            print(f"seed {seed}: {len(cases)} copies in {seconds:.1f} s: {counts}")
            print(f"  refused: {dict(refused)}")
            for outcome in ("wrong", "load_error", "query_error", "crash"):
                for found in groups.get(outcome, [])[:3]:
                    print(f"  e.g. {outcome}: {found}")
            totals.update(counts)
            stages.update(refused)
        files = len(index_damage.index_files(index))
        print(f"{files} files; all seeds: {sum(totals.values())} copies: {dict(totals)}")
        print(f"  refused: {dict(stages)}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _read_back(path: Path) -> list[tuple[int, Event]]:
    store = SqliteStore(path)
    try:
        events: list[tuple[int, Event]] = []
        after = 0
        while batch := store.read(after, 1000):
            events.extend((recorded.seq, recorded.event) for recorded in batch)
            after = batch[-1].seq
        return events
    finally:
        store.close()


def _damaged(data: bytes, kind: str, rng: random.Random) -> bytes:
    copy = bytearray(data)
    position = rng.randrange(len(copy))
    if kind == "flip":
        copy[position] ^= 1 << rng.randrange(8)
    elif kind == "zero":
        copy[position : position + 64] = bytes(len(copy[position : position + 64]))
    elif kind == "garbage":
        run = rng.randbytes(256)
        copy[position : position + 256] = run[: len(copy[position : position + 256])]
    elif kind == "garbage_page":
        start = rng.randrange(1, len(copy) // PAGE_BYTES) * PAGE_BYTES
        copy[start : start + PAGE_BYTES] = rng.randbytes(PAGE_BYTES)
    elif kind == "truncate":
        del copy[position:]
    else:
        copy[rng.randrange(100)] ^= 1 << rng.randrange(8)
    return bytes(copy)


def sweep_store(copies: int, seed: int) -> None:
    root = Path(tempfile.mkdtemp(prefix="damage-sweep-"))
    try:
        original = root / "clicks.db"
        store = SqliteStore(original)
        for number in range(3000):
            store.append(Impression("the big", ("m1", "m2", "m3"), f"session-{number}"))
            if number % 3 == 0:
                store.append(Click("the big", "m2", 2, f"session-{number}", dwell_ms=5000))
        store.close()
        with sqlite3.connect(original) as connection:  # fold the write-ahead log into the file
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.close()
        reference = _read_back(original)
        data = original.read_bytes()
        rng = random.Random(seed)
        outcomes: collections.Counter[tuple[str, str]] = collections.Counter()
        for number in range(copies):
            kind = STORE_DAMAGE[number % len(STORE_DAMAGE)]
            path = root / f"copy{number}.db"
            path.write_bytes(_damaged(data, kind, rng))
            try:
                events = _read_back(path)
            except FeedbackStoreError:
                outcome = "refused at open"
            except Exception as error:  # what reading a damaged row raises, by type
                outcome = f"a row failed to decode ({type(error).__name__})"
            else:
                outcome = "read back the same" if events == reference else "different events"
            outcomes[kind, outcome] += 1
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        for (kind, outcome), count in sorted(outcomes.items()):
            print(f"{kind:13s} {outcome:45s} {count}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="what", required=True)
    index = commands.add_parser("index", help="damaged copies of a small saved index")
    index.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3])
    index.add_argument("--per-kind", type=int, default=5)
    store = commands.add_parser("store", help="damaged copies of a SQLite click store")
    store.add_argument("--copies", type=int, default=300)
    store.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.what == "index":
        sweep_index(args.seeds, args.per_kind)
    else:
        sweep_store(args.copies, args.seed)


if __name__ == "__main__":
    main()
