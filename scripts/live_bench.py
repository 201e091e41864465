"""Measure the live-update targets of issue 18 on the bundled catalog (docs/live-updates.md).

    python scripts/live_bench.py apply         # 10,000 upserts in one batch, SQLite log
    python scripts/live_bench.py visible       # another process sees an upsert (SQLite, Redis)
    python scripts/live_bench.py latency       # suggest p99 with a 10,000-title delta vs without
    python scripts/live_bench.py compaction    # suggest p99 while a compaction runs vs not
    python scripts/live_bench.py above         # the delta alone, with and without above=
    python scripts/live_bench.py bounds        # what skipping the delta's spelling plan could save
    python scripts/live_bench.py rebuild       # how many answers equal a rebuild's, rank for rank

Every figure is printed as one line; ``--repeat`` runs a measurement several times (the
median is printed too). Redis measurements need ``--redis redis://host:port/db``.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for benchmarks.live_workload

from benchmarks.live_workload import (
    DELTA_TITLES,
    WARMUP,
    K,
    eval_queries,
    fresh_engine,
    replacements,
)


def _percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _latencies_us(suggest: Callable[[str], object], queries: Sequence[str]) -> list[float]:
    return _timed_us(suggest, queries)[0]


def _timed_us(
    suggest: Callable[[str], object], queries: Sequence[str]
) -> tuple[list[float], list[float]]:
    """Each query's wall time and the thread's CPU time in it (microseconds). CPU time leaves
    out the time the thread waited for a core, which on a shared machine is most of a wall
    p99."""
    wall, cpu = [], []
    for query in queries:
        started, started_cpu = time.perf_counter_ns(), time.thread_time_ns()
        suggest(query)
        cpu.append((time.thread_time_ns() - started_cpu) / 1000)
        wall.append((time.perf_counter_ns() - started) / 1000)
    return wall, cpu


def measure_apply(repeat: int) -> None:
    from autocomplete import Autocomplete

    batch = replacements(DELTA_TITLES)
    seconds = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as directory:
            engine = Autocomplete(updates=f"sqlite:///{directory}/updates.db")
            engine.suggest("warm up")
            started = time.perf_counter()
            engine.upsert(batch)
            seconds.append(time.perf_counter() - started)
            assert engine.suggest("the matrix redux")[0].text.endswith("Redux")
            single = []
            for number in range(5):  # one title at a time on top of the 10,000
                started = time.perf_counter()
                engine.upsert([{"id": f"single-{number}", "title": f"Single {number}", "votes": 1}])
                single.append(time.perf_counter() - started)
            engine.close()
        print(
            f"apply: {DELTA_TITLES} upserts in one batch: {seconds[-1]:.2f} s; then one "
            f"upsert on that delta: median {statistics.median(single) * 1000:.0f} ms",
            flush=True,
        )
    print(f"apply: median {statistics.median(seconds):.2f} s over {repeat}")


_READER = """
import sys, time
from autocomplete import Autocomplete
from autocomplete.live import UpdateOptions
engine = Autocomplete(updates=UpdateOptions(sys.argv[1], poll_interval_s=float(sys.argv[2])))
engine.suggest("warm up")  # a server is warm (the web app calls prepare()); time the change only
print("ready", flush=True)
for line in sys.stdin:
    wanted = line.strip()
    while engine.describe(wanted) is None or engine.suggest(wanted)[0].id != wanted:
        time.sleep(0.001)
    print(repr(time.time()), flush=True)
"""


def measure_visible(url: str, repeat: int, poll: float, preload: int) -> None:
    """Seconds from an upsert's acknowledgement in this process to its first answer in
    another process polling the same log (both on this host: one clock)."""
    from autocomplete import Autocomplete
    from autocomplete.live import UpdateOptions

    writer = Autocomplete(updates=UpdateOptions(url, poll_interval_s=0, compact_after=None))
    if preload:
        writer.upsert(replacements(preload))
    reader = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(_READER), url, str(poll)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert reader.stdin is not None and reader.stdout is not None
    assert reader.stdout.readline().strip() == "ready"
    delays = []
    for number in range(repeat):
        title_id = f"live-{uuid.uuid4().hex[:8]}"
        text = f"Qwzx Live Title {number} {title_id[-8:]}"
        writer.upsert([{"id": title_id, "title": text, "votes": 10_000_000}])
        acknowledged = time.time()
        reader.stdin.write(title_id + "\n")
        reader.stdin.flush()
        delays.append(float(reader.stdout.readline()) - acknowledged)
        print(f"visible: {delays[-1] * 1000:.0f} ms after the acknowledgement", flush=True)
        time.sleep(0.3)
    reader.stdin.close()
    reader.wait(timeout=30)
    writer.close()
    print(
        f"visible ({url.split(':')[0]}, delta {preload}, poll {poll} s): median "
        f"{statistics.median(delays) * 1000:.0f} ms, max {max(delays) * 1000:.0f} ms "
        f"over {repeat}"
    )


def measure_latency(repeat: int, per_category: int) -> None:
    """p50/p99 of never-seen queries on a fresh engine, without and with a 10,000-title delta
    (replacements: 10,000 main titles hidden, 10,000 delta titles)."""
    queries = eval_queries(seed=11, per_category=per_category)
    warmup = eval_queries(seed=12, per_category=10)[:WARMUP]
    results: dict[bool, list[tuple[float, float, float]]] = {False: [], True: []}
    for _ in range(repeat):
        for with_delta in (False, True):
            engine = fresh_engine(with_delta, warmup)
            wall, cpu = _timed_us(functools.partial(engine.suggest, k=K), queries)
            p50, p99, cpu_p99 = (
                _percentile(wall, 0.5),
                _percentile(wall, 0.99),
                _percentile(cpu, 0.99),
            )
            results[with_delta].append((p50, p99, cpu_p99))
            label = "with delta" if with_delta else "without"
            print(
                f"latency {label}: p50 {p50:.0f} us, p99 {p99:.0f} us, CPU p99 {cpu_p99:.0f} us "
                f"({len(queries)} never-seen queries)",
                flush=True,
            )
            engine.close()
    for position, what in ((1, "p99"), (2, "CPU p99")):
        without = statistics.median(found[position] for found in results[False])
        with_delta = statistics.median(found[position] for found in results[True])
        print(
            f"latency: {what} without {without:.0f} us, with a {DELTA_TITLES}-title delta "
            f"{with_delta:.0f} us: {with_delta / without:.2f}x (median of {repeat})"
        )


def measure_compaction(per_category: int) -> None:
    """p99 of never-seen queries asked while a compaction runs (each query once, until the
    compaction is installed), against the same queries in the same order on an identical
    engine with no compaction."""
    queries = eval_queries(seed=13, per_category=per_category)
    warmup = eval_queries(seed=12, per_category=10)[:WARMUP]
    busy = fresh_engine(True, warmup)
    live = busy.live
    assert live is not None
    done = threading.Event()
    took: list[float] = []

    def compact() -> None:
        started = time.perf_counter()
        live.compact()
        took.append(time.perf_counter() - started)
        done.set()

    thread = threading.Thread(target=compact)
    thread.start()
    during: list[float] = []
    for query in queries:
        if done.is_set():
            break
        during.extend(_latencies_us(functools.partial(busy.suggest, k=K), [query]))
    thread.join()
    status = live.status()
    busy.close()
    quiet = fresh_engine(True, warmup)
    calm = _latencies_us(functools.partial(quiet.suggest, k=K), queries[: len(during)])
    calm_p99, busy_p99 = _percentile(calm, 0.99), _percentile(during, 0.99)
    print(
        f"compaction: {took[0]:.1f} s; p99 during {busy_p99:.0f} us ({len(during)} never-seen "
        f"queries) vs {calm_p99:.0f} us for the same queries without: {busy_p99 / calm_p99:.2f}x; "
        f"p50 {_percentile(during, 0.5):.0f} vs {_percentile(calm, 0.5):.0f} us; "
        f"after: {status.compactions} compaction, delta {status.delta_titles}"
    )


def measure_above(per_category: int) -> None:
    """The 10,000-title delta's own engine on never-seen queries, asked plainly and with the
    main index's k-th score as ``above`` (what the live catalog passes it when the main index
    has k answers), in one process."""
    from autocomplete import Autocomplete
    from autocomplete.live import UpdateOptions

    queries = eval_queries(seed=11, per_category=per_category)
    live = Autocomplete(updates=UpdateOptions("memory://", poll_interval_s=0, compact_after=None))
    live.upsert(replacements(DELTA_TITLES))
    assert live.live is not None
    segments = live.live._segments
    main, delta = segments.main, segments.deltas[-1]
    plain, bounded = Autocomplete(delta.index), Autocomplete(delta.index)
    times: dict[bool, list[float]] = {False: [], True: []}
    floors = 0
    for query in queries:
        answers = main.serving.suggest(query, K)  # the hidden titles left out in retrieval
        above = answers[K - 1].score if len(answers) >= K else None
        floors += above is not None
        for with_floor, engine in ((False, plain), (True, bounded)):
            start = time.perf_counter()
            engine.suggest(query, K, above=above if with_floor else None)
            times[with_floor].append((time.perf_counter() - start) * 1e6)
    for with_floor, label in ((False, "plain"), (True, "above")):
        print(
            f"delta {label}: p50 {_percentile(times[with_floor], 0.5):.0f} us, "
            f"p99 {_percentile(times[with_floor], 0.99):.0f} us"
        )
    print(f"{floors} of {len(queries)} queries had {K} main answers to bound by")


def measure_bounds(per_category: int) -> None:
    """How far the CPU p99 ratio could fall if the delta skipped its spelling plan (the
    per-word readings its corrections and scattered words start from): in one process, each
    never-seen query asked of the plain engine, of the live one as it serves, and of two live
    ones whose delta plan was computed before the query (untimed): *bound* where a bound known
    before the plan would skip it (its ceiling does not clear the correction floor and the
    scattered-words source does not read it: what a perfect pre-plan bound would save), *free*
    always. Engines are asked in rotating order; automatic garbage collection is off while
    timing (the untimed plans would otherwise set off collections inside timed queries)."""
    import gc

    queries = eval_queries(seed=11, per_category=per_category)
    warmup = eval_queries(seed=12, per_category=10)[:WARMUP]
    names = ("plain", "live", "bound", "free")
    engines = {name: fresh_engine(name != "plain", warmup) for name in (*names, "probe")}

    def delta(name: str) -> Any:
        live = engines[name].live
        assert live is not None
        return live._segments.deltas[-1].serving

    # The probe answers each query first and tells what its delta's plan was used for.
    probe, seen = delta("probe"), {}
    original_corrected, original_words = probe._retrieve_corrected, probe._retrieve_words
    original_plan = probe._speller.plan

    def corrected(request: Any, floor: float) -> Any:
        plan = original_plan(request.typed)
        seen["pruned"] = plan.ceiling + request.max_lift <= floor
        return original_corrected(request, floor)

    def words(*args: Any, **kwargs: Any) -> Any:
        seen["in words"] = True
        try:
            return original_words(*args, **kwargs)
        finally:
            seen["in words"] = False

    def plan(typed: str) -> Any:
        seen.setdefault("typed", set()).add(typed)
        seen["words read it"] = seen.get("words read it") or seen.get("in words", False)
        return original_plan(typed)

    probe._retrieve_corrected, probe._retrieve_words, probe._speller.plan = corrected, words, plan
    cpu: dict[str, list[float]] = {name: [] for name in names}
    skippable = 0
    gc.disable()
    try:
        for number, query in enumerate(queries):
            seen.clear()
            engines["probe"].suggest(query, k=K)
            typed = seen.get("typed", set())
            for text in typed:
                delta("free")._speller.plan(text)
            if seen.get("pruned") and not seen.get("words read it"):
                skippable += 1
                for text in typed:
                    delta("bound")._speller.plan(text)
            for name in names[number % 4 :] + names[: number % 4]:
                cpu[name].extend(
                    _timed_us(functools.partial(engines[name].suggest, k=K), [query])[1]
                )
    finally:
        gc.enable()
    plain_p99 = _percentile(cpu["plain"], 0.99)
    for name in names:
        p99 = _percentile(cpu[name], 0.99)
        print(
            f"bounds {name}: CPU p50 {_percentile(cpu[name], 0.5):.0f} us, p99 {p99:.0f} us "
            f"({p99 / plain_p99:.2f}x the plain engine's), mean {statistics.mean(cpu[name]):.0f} us"
        )
    print(f"a perfect pre-plan bound would skip the delta's plan on {skippable} of {len(queries)}")


def measure_rebuild(per_category: int) -> None:
    """How many never-seen queries the live engine with the 10,000-title delta answers exactly
    as a rebuild of the same catalog does: ids, scores and match kinds rank for rank (and ids
    alone). The rebuild normalizes its priors by the main index's total, as the delta does, so
    that scores compare (docs/live-updates.md, "Guarantees")."""
    from autocomplete import Autocomplete
    from autocomplete.index.build import build_index
    from autocomplete.index.bundled import bundled_records
    from autocomplete.live.catalog import validated_upserts
    from autocomplete.live.changes import DEFAULT_FIELDS

    queries = eval_queries(seed=11, per_category=per_category)
    live = fresh_engine(True, [])
    assert live.live is not None
    main_index = live.live._segments.main.index
    replaced, _ = validated_upserts(replacements(DELTA_TITLES), DEFAULT_FIELDS)
    changed = {record.id: record for record in replaced}
    records = [changed.get(record.id, record) for record in bundled_records()]
    rebuilt = Autocomplete(
        build_index(records, source="rebuild", prior_total=main_index.info["prior_total"])
    )
    same = same_ids = 0
    for query in queries:
        answers = [(item.id, item.score, item.match) for item in live.suggest(query, k=K)]
        wanted = [(item.id, item.score, item.match) for item in rebuilt.suggest(query, k=K)]
        same += answers == wanted
        same_ids += [found[0] for found in answers] == [found[0] for found in wanted]
    live.close()
    print(
        f"rebuild: {same} of {len(queries)} never-seen queries answered as a rebuild does (ids, "
        f"scores and match kinds rank for rank); {same_ids} with the same ids"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "what",
        choices=["apply", "visible", "latency", "compaction", "above", "bounds", "rebuild"],
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--per-category", type=int, default=100, help="eval queries per category")
    parser.add_argument("--redis", default=None, help="redis://host:port/db for 'visible'")
    parser.add_argument("--poll", type=float, default=0.2)
    parser.add_argument("--preload", type=int, default=0, help="delta titles before 'visible'")
    options = parser.parse_args()
    if options.what == "apply":
        measure_apply(options.repeat)
    elif options.what == "visible":
        if options.redis:
            url = f"{options.redis}?namespace=bench-{uuid.uuid4().hex}"
            measure_visible(url, options.repeat, options.poll, options.preload)
        else:
            with tempfile.TemporaryDirectory() as directory:
                url = f"sqlite:///{Path(directory) / 'updates.db'}"
                measure_visible(url, options.repeat, options.poll, options.preload)
    elif options.what == "latency":
        measure_latency(options.repeat, options.per_category)
    elif options.what == "above":
        measure_above(options.per_category)
    elif options.what == "bounds":
        measure_bounds(options.per_category)
    elif options.what == "rebuild":
        measure_rebuild(options.per_category)
    else:
        measure_compaction(options.per_category)
    return 0


if __name__ == "__main__":
    sys.exit(main())
