"""Memory under session-id churn: RSS growth while clients invent session ids without end.

Every session id arriving at the feedback layer opens per-session state (the guard's session,
the learner's ledger) and, with a new address each, per-client state; all of it is capped by
``FeedbackConfig.max_open_sessions``, ``max_clients`` and ``max_blocked_sessions``, so RSS must
level off whatever the number of ids. This script sends ``--sessions`` distinct session ids (each
from its own address: one impression of five titles for one of ``--queries`` queries, and one
click), through ``record_impression`` / ``record_click`` into a SQLite store on tmpfs (the
events live in the file, not in the process), refreshing the layer as the server's thread
would, and prints RSS (``/proc/self/status``) after a warm-up and then every ``--report`` ids.

    .venv/bin/python scripts/session_churn.py                      # 1,000,000 ids, a few minutes
    .venv/bin/python scripts/session_churn.py --sessions 200000
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from autocomplete.feedback import FeedbackConfig, FeedbackLayer, SqliteStore

SHM = Path("/dev/shm")


def rss_mb() -> float:
    """The process's resident set size in MB (10**6 bytes), from /proc/self/status."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024 / 1e6
    raise RuntimeError("no VmRSS in /proc/self/status")


def churn(layer: FeedbackLayer, start: int, count: int, queries: int, refresh_every: int) -> None:
    """Sessions ``start .. start + count``: one impression and one click each, new address each."""
    for number in range(start, start + count):
        session = f"churn-{number:09d}"
        client = f"10.{(number >> 16) & 255}.{(number >> 8) & 255}.{number & 255}"
        query = f"title {number % queries}"
        ids = [f"m{(number + offset) % 500}" for offset in range(5)]
        layer.record_impression(query, ids, session, client=client)
        layer.record_click(query, ids[0], 1, session, 30_000, client=client)
        if (number + 1) % refresh_every == 0:
            layer.refresh()
    layer.refresh()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=1_000_000)
    parser.add_argument("--warmup", type=int, default=0, help="ids before the baseline")
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--report", type=int, default=100_000)
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="churn-", dir=SHM if SHM.is_dir() else None))
    config = FeedbackConfig(refresh_interval_s=0)
    store = SqliteStore(directory / "clicks.db")
    started = time.perf_counter()
    with FeedbackLayer(store, config=config) as layer:
        if args.warmup:
            churn(layer, 0, args.warmup, args.queries, 1_000)
        baseline = rss_mb()
        print(f"after {args.warmup:,} warm-up ids: RSS {baseline:.1f} MB", flush=True)
        done = 0
        while done < args.sessions:
            step = min(args.report, args.sessions - done)
            churn(layer, args.warmup + done, step, args.queries, 1_000)
            done += step
            report = layer.report()
            print(
                f"{done:>9,} more ids: RSS {rss_mb():.1f} MB (+{rss_mb() - baseline:.1f}), "
                f"open sessions {report['open_sessions']:,}, "
                f"{time.perf_counter() - started:.0f} s",
                flush=True,
            )
    for path in directory.iterdir():
        path.unlink()
    directory.rmdir()
    print(f"growth over {args.sessions:,} distinct session ids: {rss_mb() - baseline:.1f} MB")


if __name__ == "__main__":
    main()
