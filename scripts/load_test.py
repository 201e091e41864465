"""A short, bounded load test of ``/api/suggest`` under gunicorn, on loopback only.

It starts gunicorn (``web.gunicorn_conf``, 2 workers by default, a SQLite click store in a
temporary directory) on a free 127.0.0.1 port, warms it up, then sends requests at a fixed rate
(an open loop: a slow answer does not slow the sender down) for a fixed time, with a query mix
that imitates people typing titles (popular titles more often, one request per keystroke or
two, some typos). It prints requests/s and latency percentiles and stops gunicorn.

Latency is measured from the moment a request was *due*, not when a client thread got round to
sending it, so queueing inside the load generator counts against the server rather than
hiding it ("coordinated omission").

    .venv/bin/python scripts/load_test.py                 # 200 req/s for 20 s
    .venv/bin/python scripts/load_test.py --rate 400 --seconds 10 --json artifacts/load.json
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import queue
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parents[1]
MAX_SECONDS = 120.0
"""Hard bound on the measured phase, whatever the arguments say."""
MAX_REQUESTS = 50_000
"""Hard bound on the requests sent in the measured phase."""
CLIENT_THREADS = 16
TYPO_RATE = 0.15
NEIGHBOURS = {
    "a": "qwsz", "b": "vghn", "c": "xdfv", "d": "serfcx", "e": "wsdr", "f": "drtgvc",
    "g": "ftyhbv", "h": "gyujnb", "i": "ujko", "j": "huikmn", "k": "jiolm", "l": "kop",
    "m": "njk", "n": "bhjm", "o": "iklp", "p": "ol", "q": "wa", "r": "edft", "s": "awedxz",
    "t": "rfgy", "u": "yhji", "v": "cfgb", "w": "qase", "x": "zsdc", "y": "tghu", "z": "asx",
}  # fmt: skip


@dataclass
class Sample:
    due_latency: float  # seconds from when the request was due to its last byte
    service: float  # seconds from sending to the last byte
    status: int


def typed_queries(count: int, seed: int) -> list[str]:
    """``count`` queries as a crowd typing popular titles would send them."""
    from autocomplete.index.bundled import bundled_records

    records = bundled_records()
    popular = sorted(records, key=lambda record: record.weight, reverse=True)[:5_000]
    titles = [record.text.lower() for record in popular]
    # Popularity is heavy-tailed; square-rooting the votes keeps the tail in the mix.
    weights = [max(record.weight, 1.0) ** 0.5 for record in popular]
    rng = random.Random(seed)
    queries: list[str] = []
    while len(queries) < count:
        title = rng.choices(titles, weights)[0]
        if rng.random() < TYPO_RATE:
            title = _with_typo(title, rng)
        stop = min(len(title), rng.randint(2, 18))
        # A debounced client sends about every other keystroke.
        length = rng.randint(1, 2)
        while length <= stop and len(queries) < count:
            queries.append(title[:length])
            length += rng.randint(1, 2)
    return queries


def _with_typo(title: str, rng: random.Random) -> str:
    positions = [index for index, char in enumerate(title) if char in NEIGHBOURS]
    if len(positions) < 2:
        return title
    at = rng.choice(positions[1:])
    kind = rng.random()
    if kind < 0.4:  # a neighbouring key
        return title[:at] + rng.choice(NEIGHBOURS[title[at]]) + title[at + 1 :]
    if kind < 0.7:  # two letters swapped
        return title[: at - 1] + title[at] + title[at - 1] + title[at + 1 :]
    if kind < 0.85:  # a letter dropped
        return title[:at] + title[at + 1 :]
    return title[:at] + title[at] + title[at:]  # a letter doubled


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_gunicorn(port: int, workers: int, store: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "AUTOCOMPLETE_BIND": f"127.0.0.1:{port}",
        "AUTOCOMPLETE_WORKERS": str(workers),
        "AUTOCOMPLETE_FEEDBACK": f"sqlite:///{store}",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:autocomplete.web.gunicorn_conf"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_until_up(base: str, process: subprocess.Popen[bytes], seconds: float = 120.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode}")
        try:
            with urllib.request.urlopen(base + "/api/health", timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not answer in time")


def drive(port: int, paths: list[str], rate: float) -> tuple[list[Sample], float]:
    """Send ``paths`` at ``rate`` per second from a pool of keep-alive connections."""
    jobs: queue.Queue[tuple[float, str] | None] = queue.Queue()
    samples: list[Sample] = []
    lock = threading.Lock()

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while (job := jobs.get()) is not None:
            due, path = job
            sent = time.perf_counter()
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()
                status = response.status
                if response.getheader("Connection", "").lower() == "close":
                    connection.close()
            except (OSError, http.client.HTTPException):
                connection.close()
                status = 0
            done = time.perf_counter()
            with lock:
                samples.append(Sample(done - due, done - sent, status))
        connection.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(CLIENT_THREADS)]
    for thread in threads:
        thread.start()
    start = time.perf_counter() + 0.05
    for number, path in enumerate(paths):
        due = start + number / rate
        pause = due - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        jobs.put((due, path))
    for _ in threads:
        jobs.put(None)
    for thread in threads:
        thread.join(timeout=30)
    return samples, time.perf_counter() - start


def worker_memory(master: int) -> list[dict[str, float]]:
    """Each gunicorn worker's memory after the run (Linux ``/proc``), in MB: resident, its
    proportional share (shared pages divided among the processes mapping them), shared, and
    how much of the resident set is the memory-mapped index files."""
    children = Path(f"/proc/{master}/task/{master}/children")
    if not children.exists():
        return []
    found = []
    for pid in children.read_text().split():
        rollup = _kilobytes(Path(f"/proc/{pid}/smaps_rollup").read_text())
        index_kb = 0
        current_is_index = False
        for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
            head = line.split()
            if head and "-" in head[0] and len(head) >= 5:  # a mapping's header line
                path = head[5] if len(head) >= 6 else ""
                current_is_index = "autocomplete" in path and path.endswith(
                    (".npy", ".marisa", ".bin")
                )
            elif current_is_index and head and head[0] == "Rss:":
                index_kb += int(head[1])
        found.append(
            {
                "pid": int(pid),
                "rss": round(rollup["Rss"] / 1024, 1),
                "pss": round(rollup["Pss"] / 1024, 1),
                "shared": round((rollup["Shared_Clean"] + rollup["Shared_Dirty"]) / 1024, 1),
                "index_mapped": round(index_kb / 1024, 1),
            }
        )
    return found


def _kilobytes(rollup: str) -> dict[str, int]:
    values: dict[str, int] = {}
    for line in rollup.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == "kB":
            values[parts[0].rstrip(":")] = int(parts[1])
    return values


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return ordered[index]


def summarize(
    samples: list[Sample], elapsed: float, rate: float, workers: int
) -> dict[str, object]:
    ok = [sample for sample in samples if sample.status == 200]
    due = [sample.due_latency * 1000 for sample in ok]
    service = [sample.service * 1000 for sample in ok]
    return {
        "target_rate": rate,
        "workers": workers,
        "requests": len(samples),
        "errors": len(samples) - len(ok),
        "seconds": round(elapsed, 2),
        "requests_per_s": round(len(ok) / elapsed, 1),
        "p50_ms": round(percentile(due, 0.50), 2),
        "p90_ms": round(percentile(due, 0.90), 2),
        "p99_ms": round(percentile(due, 0.99), 2),
        "max_ms": round(max(due), 2),
        "mean_ms": round(statistics.fmean(due), 2),
        "service_p99_ms": round(percentile(service, 0.99), 2),
        "machine": f"{os.cpu_count()} CPUs, {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the measurement")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of warm-up first")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--k", type=int, default=8, help="suggestions per request")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the summary here")
    args = parser.parse_args(argv)
    if args.rate <= 0 or args.seconds <= 0:
        parser.error("--rate and --seconds must be positive")
    seconds = min(args.seconds, MAX_SECONDS)
    count = min(int(args.rate * seconds), MAX_REQUESTS)
    warmup = int(args.rate * min(args.warmup, 10.0))
    queries = typed_queries(warmup + count, args.seed)
    paths = [f"/api/suggest?{urlencode({'q': query, 'k': args.k})}" for query in queries]

    port = free_port()
    with tempfile.TemporaryDirectory(prefix="load-test-") as scratch:
        server = start_gunicorn(port, args.workers, Path(scratch) / "clicks.db")
        try:
            wait_until_up(f"http://127.0.0.1:{port}", server)
            print(f"gunicorn with {args.workers} workers on 127.0.0.1:{port}", file=sys.stderr)
            if warmup:
                drive(port, paths[:warmup], args.rate)
            print(f"{count} requests at {args.rate:g}/s ...", file=sys.stderr)
            samples, elapsed = drive(port, paths[warmup:], args.rate)
            memory = worker_memory(server.pid)
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    summary = summarize(samples, elapsed, args.rate, args.workers)
    summary["worker_memory_mb"] = memory
    for worker in memory:
        print(
            f"worker {worker['pid']}: RSS {worker['rss']} MB, PSS {worker['pss']} MB, "
            f"shared {worker['shared']} MB (index files mapped: {worker['index_mapped']} MB)",
            file=sys.stderr,
        )
    print(
        f"{summary['requests_per_s']} req/s over {summary['seconds']} s, "
        f"{summary['errors']} errors; latency p50 {summary['p50_ms']} ms, "
        f"p90 {summary['p90_ms']} ms, p99 {summary['p99_ms']} ms, max {summary['max_ms']} ms"
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(summary, indent=2) + "\n")
    return 0 if summary["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
