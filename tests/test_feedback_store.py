"""One behavioural suite for every feedback store back end (memory, SQLite, a real Redis),
plus the SQLite durability proof: kill -9 of a real writer process loses no acknowledged event.
"""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from autocomplete.feedback import (
    Aggregates,
    Click,
    Explicit,
    FeedbackConfig,
    FeedbackLayer,
    FeedbackStore,
    Impression,
    MemoryStore,
    SqliteStore,
    StoreUnavailableError,
    compact_store,
    export_jsonl,
    open_store,
)
from autocomplete.feedback.events import Event, decode, encode

if TYPE_CHECKING:
    from feedback_fixtures import FakeClock, StoreFactory

pytest_plugins = ["feedback_fixtures"]

EVENTS: list[Event] = [
    Impression("the big l", ("m5567", "m5568", "m1"), "s1", client="10.0.0.1"),
    Click("the big l", "m5567", 1, "s1", dwell_ms=45_000, client="10.0.0.1"),
    Click("amelie", "m42", 3, "s2"),
    Explicit("m5567", -1.0, "s2"),
    Explicit("m42", 0.5, "s3", client="c"),
]


def test_append_stamps_sequence_and_store_clock(
    store_factory: StoreFactory, clock: FakeClock
) -> None:
    clock.now = 1_000.0
    store = store_factory(clock)
    recorded = []
    for event in EVENTS:
        recorded.append(store.append(event))
        clock.advance(1.5)
    seqs = [item.seq for item in recorded]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert [item.timestamp for item in recorded] == [1_000.0 + 1.5 * n for n in range(5)]
    assert [item.event for item in recorded] == EVENTS
    assert store.now() == clock.now


def test_read_returns_events_in_order_after_a_cursor(
    store_factory: StoreFactory, clock: FakeClock
) -> None:
    store = store_factory(clock)
    recorded = [store.append(event) for event in EVENTS]
    assert store.read() == recorded
    assert store.read(recorded[1].seq) == recorded[2:]
    assert store.read(recorded[1].seq, limit=2) == recorded[2:4]
    assert store.read(recorded[-1].seq) == []
    with pytest.raises(ValueError, match="limit"):
        store.read(0, limit=0)


def test_compaction_keeps_aggregates_and_deletes_folded_events(
    store_factory: StoreFactory, clock: FakeClock
) -> None:
    store = store_factory(clock)
    assert store.load_aggregates() is None
    recorded = [store.append(event) for event in EVENTS]
    aggregates = Aggregates(
        as_of=123.0,
        through_seq=recorded[2].seq,
        keys={("the big l", "m5567"): (2.0, 0.5, 3.0)},
        explicit={"m5567": (0.0, 1.0)},
    )
    assert store.compact(aggregates) == 3
    assert store.load_aggregates() == aggregates
    assert store.read() == recorded[3:]
    # Sequence numbers keep growing after a compaction.
    later = store.append(EVENTS[0])
    assert later.seq > recorded[-1].seq
    with pytest.raises(ValueError, match="go back"):
        store.compact(Aggregates(as_of=124.0, through_seq=recorded[1].seq))
    assert store.compact(Aggregates(as_of=125.0, through_seq=later.seq)) == 3
    assert store.read() == []


def test_concurrent_appends_get_distinct_ordered_sequence_numbers(
    store_factory: StoreFactory,
) -> None:
    store = store_factory()
    acknowledged: list[int] = []
    lock = threading.Lock()

    def write(worker: int) -> None:
        for n in range(50):
            seq = store.append(Click("q", f"m{n}", 1, f"worker-{worker}")).seq
            with lock:
                acknowledged.append(seq)

    threads = [threading.Thread(target=write, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    read = store.read(0, limit=1_000)
    assert [item.seq for item in read] == sorted(acknowledged)
    assert len(set(acknowledged)) == 200


def test_closed_store_refuses_work_and_close_is_idempotent(store_factory: StoreFactory) -> None:
    store = store_factory()
    store.append(EVENTS[0])
    store.close()
    store.close()
    with pytest.raises(RuntimeError, match="closed"):
        store.append(EVENTS[0])
    with pytest.raises(RuntimeError, match="closed"):
        store.read()


def test_stores_implement_the_protocol(store_factory: StoreFactory) -> None:
    assert isinstance(store_factory(), FeedbackStore)


def test_two_handles_on_one_store_see_each_other(shared_store_factory: StoreFactory) -> None:
    """Two workers (processes or hosts) sharing a store read one log in one order."""
    first = shared_store_factory(name="shared")
    second = shared_store_factory(name="shared")
    a = first.append(EVENTS[0])
    b = second.append(EVENTS[1])
    assert b.seq > a.seq
    assert first.read() == second.read() == [a, b]
    aggregates = Aggregates(as_of=1.0, through_seq=a.seq)
    first.compact(aggregates)
    assert second.load_aggregates() == aggregates
    assert second.read() == [b]


def test_layers_sharing_a_store_learn_the_same_boosts(
    shared_store_factory: StoreFactory, clock: FakeClock
) -> None:
    config = FeedbackConfig(refresh_interval_s=0)
    writer = FeedbackLayer(shared_store_factory(clock, name="shared"), config=config, clock=clock)
    reader = FeedbackLayer(shared_store_factory(clock, name="shared"), config=config, clock=clock)
    try:
        for session in range(20):
            writer.record_impression("amel", ["m1", "m2", "m3"], f"s{session}")
            clock.advance(2.0)
            writer.record_click("amel", "m3", 3, f"s{session}", dwell_ms=30_000)
            clock.advance(40.0)
        writer.refresh()
        reader.refresh()
        assert reader.boosts("amel") == writer.boosts("amel")
        assert reader.boosts("amel")["m3"] > 0
    finally:
        writer.close()
        reader.close()


# Export and compaction through the learner ------------------------------------------------------


def test_export_jsonl_writes_every_raw_event(
    store_factory: StoreFactory, clock: FakeClock, tmp_path: Path
) -> None:
    clock.now = 50.0
    store = store_factory(clock)
    recorded = [store.append(event) for event in EVENTS]
    out = io.StringIO()
    assert export_jsonl(store, out) == len(EVENTS)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["seq"] for line in lines] == [item.seq for item in recorded]
    assert lines[1] == {
        "seq": recorded[1].seq,
        "timestamp": 50.0,
        "kind": "click",
        "query": "the big l",
        "id": "m5567",
        "position": 1,
        "session_id": "s1",
        "dwell_ms": 45_000,
        "client": "10.0.0.1",
    }
    path = tmp_path / "events.jsonl"
    assert export_jsonl(store, path) == len(EVENTS)
    assert path.read_text(encoding="utf-8") == out.getvalue()


def _record_sessions(layer: FeedbackLayer, clock: FakeClock, sessions: range) -> None:
    for session in sessions:
        ids = ["m1", "m2", "m3", "m4"]
        layer.record_impression("star", ids, f"s{session}")
        clock.advance(1.0 + session % 3)
        target = ids[session % 4]
        layer.record_click("star", target, ids.index(target) + 1, f"s{session}", 20_000)
        clock.advance(3_600.0)  # sessions far apart: each is closed before the next


def test_compaction_preserves_what_is_learned(
    store_factory: StoreFactory, clock: FakeClock
) -> None:
    config = FeedbackConfig(refresh_interval_s=0)
    store = store_factory(clock)
    layer = FeedbackLayer(store, config=config, clock=clock)
    _record_sessions(layer, clock, range(12))
    cut = clock.now
    _record_sessions(layer, clock, range(12, 16))
    layer.refresh()
    before = dict(layer.boosts("star"))
    result = compact_store(store, before=cut, config=config)
    assert result.folded == 24
    assert len(store.read()) == 8
    assert compact_store(store, before=cut, config=config).folded == 0
    # A layer started now begins from the aggregates plus the events left.
    fresh = FeedbackLayer(store, config=config, clock=clock)
    after = dict(fresh.boosts("star"))
    assert after.keys() == before.keys()
    for item, boost in before.items():
        assert after[item] == pytest.approx(boost, rel=1e-9, abs=1e-9)
    layer.close()
    fresh.close()


# Opening stores -----------------------------------------------------------------------------------


def test_open_store_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    memory = open_store("memory://")
    assert isinstance(memory, MemoryStore)
    assert open_store(memory) is memory
    absolute = open_store(f"sqlite:///{tmp_path / 'a.db'}")
    assert isinstance(absolute, SqliteStore) and absolute.path == tmp_path / "a.db"
    monkeypatch.chdir(tmp_path)
    relative = open_store("sqlite:///sub/b.db")
    assert isinstance(relative, SqliteStore) and (tmp_path / "sub" / "b.db").exists()
    for store in (memory, absolute, relative):
        store.close()
    with pytest.raises(ValueError, match="unknown feedback store URL"):
        open_store("postgres://db/feedback")
    with pytest.raises(ValueError, match="file path"):
        open_store("sqlite://")
    with pytest.raises(TypeError, match="FeedbackStore"):
        open_store(42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="clock"):
        open_store(MemoryStore(), clock=time.time)


@pytest.mark.redis
def test_redis_url_and_server_clock(redis_url: str) -> None:
    store = open_store(f"{redis_url}?namespace=test:clock")
    try:
        recorded = store.append(EVENTS[0])
        # Without an injected clock the timestamp is the Redis server's TIME.
        assert abs(recorded.timestamp - time.time()) < 5
        assert abs(store.now() - time.time()) < 5
    finally:
        store.close()


# SQLite durability -------------------------------------------------------------------------------


def test_sqlite_uses_wal_and_full_sync(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "f.db")
    store.append(EVENTS[0])
    store.close()
    connection = sqlite3.connect(tmp_path / "f.db")
    try:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        connection.close()
    source = Path(sys.modules[SqliteStore.__module__].__file__ or "").read_text()
    assert "PRAGMA synchronous=FULL" in source


_WRITER = textwrap.dedent(
    """
    import sys
    from autocomplete.feedback import Click, SqliteStore

    store = SqliteStore(sys.argv[1])
    n = 0
    while True:
        recorded = store.append(Click("the big l", f"m{n}", 1 + n % 10, f"s{n % 7}", n))
        # Acknowledged: append returned. Tell the parent which event that was.
        sys.stdout.write(f"{recorded.seq} {n}\\n")
        sys.stdout.flush()
        n += 1
    """
)


def test_sqlite_acknowledged_events_survive_kill_9(tmp_path: Path) -> None:
    path = tmp_path / "durable.db"
    writer = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(path)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert writer.stdout is not None
    acknowledged: dict[int, int] = {}
    try:
        for line in writer.stdout:
            seq, n = map(int, line.split())
            acknowledged[seq] = n
            if len(acknowledged) >= 300:
                break
        # Killed mid-stream, while it is appending: no chance to flush or close anything.
        os.kill(writer.pid, signal.SIGKILL)
        rest = writer.stdout.read()
    finally:
        if writer.poll() is None:
            writer.kill()
        writer.wait()
        writer.stdout.close()
    assert writer.returncode == -signal.SIGKILL
    for line in rest.splitlines():  # acknowledgements already in the pipe when it died
        seq, n = map(int, line.split())
        acknowledged[seq] = n
    store = SqliteStore(path)
    try:
        found = {item.seq: item.event for item in store.read(0, limit=100_000)}
    finally:
        store.close()
    assert len(acknowledged) >= 300
    for seq, n in acknowledged.items():
        event = found.get(seq)
        assert event == Click("the big l", f"m{n}", 1 + n % 10, f"s{n % 7}", n), seq


def test_event_wire_form_round_trips() -> None:
    for event in EVENTS:
        assert decode(encode(event)) == event
    with pytest.raises(ValueError, match="unknown event kind"):
        decode('{"kind": "purchase"}')


def test_feedback_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import argparse

    from autocomplete.feedback import cli

    url = f"sqlite:///{tmp_path / 'f.db'}"
    store = open_store(url)
    for event in EVENTS:
        store.append(event)
    store.close()
    parser = argparse.ArgumentParser(prog="autocomplete")
    cli.add_command(parser.add_subparsers(dest="command"))

    def run(*argv: str) -> int:
        args = parser.parse_args(["feedback", *argv])
        code: int = args.run(args)
        return code

    out = tmp_path / "events.jsonl"
    assert run("export", "--store", url, "-o", str(out)) == 0
    assert len(out.read_text().splitlines()) == len(EVENTS)
    assert run("stats", "--store", url) == 0
    assert '"last_seq": 5' in capsys.readouterr().out
    assert run("compact", "--store", url, "--retention-days", "0") == 0
    assert "folded 5 events" in capsys.readouterr().out
    assert run("export", "--store", url) == 0
    assert capsys.readouterr().out == ""
    store = open_store(url)
    for event in EVENTS:
        store.append(event)
    store.close()
    assert run("compact", "--store", url, "--retention-days", "30", "--max-events", "2") == 0
    assert "folded 3 events" in capsys.readouterr().out
    with pytest.raises(ValueError, match="--max-events"):
        run("compact", "--store", url, "--max-events", "-1")


# Bad rows: set aside, never raised ---------------------------------------------------------------

GOOD = Click("the big l", "m5567", 1, "s1", dwell_ms=45_000)


class _Injector:
    """A store of one back end, and a way to write rows into it behind its back."""

    def __init__(self, backend: str, tmp_path: Path, redis_url: str | None) -> None:
        self.backend = backend
        if backend == "sqlite":
            self.path = tmp_path / "bad.db"
            self.store: FeedbackStore = SqliteStore(self.path)
        else:
            import redis

            assert redis_url is not None
            self.namespace = f"bad:{tmp_path.name}"
            self.client = redis.Redis.from_url(redis_url)
            self.store = open_store(f"{redis_url}?namespace={self.namespace}")

    def write_bad(self, body: str | None, timestamp: object = 1.0) -> None:
        """A row with this body (None: the body missing, which only Redis can hold)."""
        if self.backend == "sqlite":
            with sqlite3.connect(self.path) as database:
                database.execute("INSERT INTO events (ts, body) VALUES (?, ?)", (timestamp, body))
            database.close()
        else:
            seq = self.client.incr(f"{self.namespace}:seq")
            fields = {"t": str(timestamp)} if body is None else {"t": str(timestamp), "e": body}
            self.client.xadd(f"{self.namespace}:events", fields, id=f"{seq}-0")  # type: ignore[arg-type]

    def write_bad_aggregates(self) -> None:
        if self.backend == "sqlite":
            with sqlite3.connect(self.path) as database:
                database.execute("INSERT INTO aggregates VALUES (1, 0, '{oops')")
            database.close()
        else:
            self.client.set(f"{self.namespace}:aggregates", "{oops")

    def close(self) -> None:
        self.store.close()
        if self.backend == "redis":
            self.client.close()


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def injector(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[_Injector]:
    url = request.getfixturevalue("redis_url") if request.param == "redis" else None
    found = _Injector(request.param, tmp_path, url)
    yield found
    found.close()


BAD_BODIES = [
    "{not json",
    '{"kind": "click", "query": 5, "id": "m1", "position": 1, "session_id": "s"}',
    '{"kind": "click", "query": "q"}',
    '{"kind": "wink", "id": "m1"}',
    "[1, 2]",
    '"just a string"',
    "[" * 100_000,
]


def test_scan_sets_bad_rows_aside_and_read_skips_them(injector: _Injector) -> None:
    store = injector.store
    first = store.append(GOOD)
    for body in BAD_BODIES:
        injector.write_bad(body)
    injector.write_bad('{"kind": "explicit", "id": "m1", "value": 1, "session_id": "s"}', "soon")
    last = store.append(GOOD)
    bad_seqs = list(range(first.seq + 1, last.seq))
    scan = store.scan()
    assert [item.seq for item in scan.events] == [first.seq, last.seq]
    assert [bad.seq for bad in scan.bad] == bad_seqs
    assert scan.rows == len(bad_seqs) + 2 and scan.last_seq == last.seq
    reasons = [bad.reason for bad in scan.bad]
    assert reasons[0].startswith("JSONDecodeError")
    assert "query must be a str" in reasons[1]
    assert reasons[2].startswith("KeyError") and "unknown event kind 'wink'" in reasons[3]
    assert all("must be a JSON object" in reason for reason in reasons[4:7])
    assert "could not convert string to float" in reasons[7]
    assert all(len(reason) <= 200 for reason in reasons)
    # read() scans on past bad rows: a short answer still means the end of the log.
    assert store.read() == [first, last]
    assert store.read(0, limit=1) == [first]
    assert store.read(first.seq, limit=1) == [last]
    assert store.scan(first.seq, limit=3).last_seq == first.seq + 3
    assert store.count() == len(bad_seqs) + 2


def test_compaction_folds_bad_rows_with_their_neighbours(injector: _Injector) -> None:
    store = injector.store
    store.append(GOOD)
    injector.write_bad("{not json")
    store.append(GOOD)
    result = compact_store(store, before=store.now() + 1)
    assert (result.folded, result.bad, result.through_seq) == (3, 1, 3)
    assert store.count() == 0 and store.scan().rows == 0


def test_compaction_keeps_at_most_the_bound(store_factory: StoreFactory) -> None:
    store = store_factory()
    recorded = [store.append(GOOD) for _ in range(10)]
    assert store.count() == 10
    day_ago = store.now() - 86_400
    with pytest.raises(ValueError, match="keep_at_most"):
        compact_store(store, before=day_ago, keep_at_most=-1)
    # Nothing is old enough to go by time: the bound alone folds the oldest.
    result = compact_store(store, before=day_ago, keep_at_most=4)
    assert (result.folded, result.through_seq) == (6, recorded[5].seq)
    assert store.read() == recorded[6:] and store.count() == 4
    assert compact_store(store, before=day_ago, keep_at_most=4).folded == 0


@pytest.mark.redis
def test_an_unreachable_redis_is_reported_at_once(tmp_path: Path) -> None:
    pytest.importorskip("redis")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # free once closed: nothing listens there
    for url in (f"redis://127.0.0.1:{port}/0", f"unix://{tmp_path}/no.sock?namespace=x"):
        store = open_store(url)
        try:
            start = time.perf_counter()
            with pytest.raises(StoreUnavailableError, match=r"redis .*: could not read events"):
                store.read()
            with pytest.raises(StoreUnavailableError, match="could not append"):
                store.append(GOOD)
            assert time.perf_counter() - start < 1.0
        finally:
            store.close()


def test_unreadable_aggregates_are_refused_naming_the_store(injector: _Injector) -> None:
    injector.write_bad_aggregates()
    where = "bad.db (table aggregates)" if injector.backend == "sqlite" else "key bad:"
    with pytest.raises(ValueError, match="compacted aggregates cannot be read") as refused:
        injector.store.load_aggregates()
    assert where in str(refused.value) and "JSONDecodeError" in str(refused.value)
