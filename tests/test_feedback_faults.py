"""Fault tests of the click store behind the web app: bad rows in the event log, a Redis server
that hangs (SIGSTOP) or dies (SIGKILL) and comes back, and a flood the guard ignores against
the log's retention bound. Real parts only: a SQLite file, a redis-server of the test's own, the
Flask app through its test client.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from autocomplete import Autocomplete
from autocomplete.feedback import (
    Click,
    FeedbackConfig,
    FeedbackLayer,
    Impression,
    SqliteStore,
    compact_store,
    open_store,
)
from autocomplete.web import create_app

pytest_plugins = ["feedback_fixtures"]

FIXTURES = Path(__file__).parent / "fixtures"

DEADLINE_S = 1.0
"""What every endpoint must answer within, whatever the store does (issue 13.5)."""

SETTLE_S = 8.0
"""How long the health check may take to follow the store (a refresh interval, a timeout and
the breaker's retry, with room for a loaded machine)."""

QUERY = "the big"
LEBOWSKI = "big-lebowski-1998"
SLEEP = "big-sleep-1946"


@pytest.fixture(scope="module")
def index() -> Any:
    return Autocomplete.from_catalog(
        FIXTURES / "engine_catalog.jsonl", weight_field="votes", id_field="id"
    ).index


@pytest.fixture
def make_client(index: Any) -> Iterator[Callable[[str], FlaskClient]]:
    """A test client of the app over the small catalog with click feedback in ``url``."""
    engines: list[Autocomplete] = []

    def make(url: str) -> FlaskClient:
        engine = Autocomplete(index, feedback=url)
        engines.append(engine)
        return create_app({"TESTING": True, "ENGINE": engine}).test_client()

    yield make
    for engine in engines:
        engine.close()


def _shown(client: FlaskClient) -> list[str]:
    body = client.get(f"/api/suggest?q={QUERY}&k=5").get_json()
    return [item["id"] for item in body["suggestions"]]


def _choose(client: FlaskClient, session: str, title: str) -> None:
    """An impression and a click on ``title`` with a long dwell, as the page sends them."""
    session = f"session-{session}"  # the API takes 8 to 64 characters
    shown = _shown(client)
    assert title in shown
    response = client.post(
        "/api/impression", json={"query": QUERY, "ids": shown, "session_id": session}
    )
    assert response.status_code == 204, response.data
    click = {
        "query": QUERY,
        "id": title,
        "position": shown.index(title) + 1,
        "session_id": session,
        "dwell_ms": 60_000,
    }
    response = client.post("/api/click", json=click)
    assert response.status_code == 204, response.data


def _learned(client: FlaskClient) -> list[str]:
    response = client.get(f"/api/learned?prefix={QUERY}")
    assert response.status_code == 200, response.data
    # The titles clicked (lifted); those shown and passed over are listed too, lowered.
    return [item["id"] for item in response.get_json()["titles"] if item["boost"] > 0]


def _timed(call: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = call()
    return result, time.perf_counter() - start


def _wait_for(condition: Callable[[], bool], timeout: float = SETTLE_S) -> float:
    """Seconds until ``condition()`` held (fails the test after ``timeout``)."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            pytest.fail(f"not within {timeout} s")
        time.sleep(0.05)
    return time.monotonic() - start


def _health(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/api/health")
    assert response.status_code == 200  # degraded is reported in the body, see docs
    body: dict[str, Any] = response.get_json()
    return body


# Bad rows ---------------------------------------------------------------------------------------

BAD_SQLITE_ROWS = [
    (1, "{not json"),  # the row
    (2, '{"kind": "click", "query": 5, "id": "m1", "position": 1, "session_id": "s"}'),
    ("yesterday", '{"kind": "explicit", "id": "m1", "value": 1, "session_id": "s"}'),
    (3, "[1, 2]"),
]


def test_bad_sqlite_rows_are_set_aside_and_learning_goes_on(
    make_client: Callable[[str], FlaskClient], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "clicks.db"
    client = make_client(f"sqlite:///{path}")
    _choose(client, "before", SLEEP)
    with sqlite3.connect(path) as database:  # another program writes junk into the running log
        database.executemany("INSERT INTO events (ts, body) VALUES (?, ?)", BAD_SQLITE_ROWS)
    bad_seqs = [row[0] for row in sqlite3.connect(path).execute("SELECT seq FROM events")][-4:]
    with caplog.at_level(logging.WARNING, logger="autocomplete.feedback"):
        _choose(client, "after-1", LEBOWSKI)
        _choose(client, "after-2", LEBOWSKI)
        learned = _learned(client)  # 500 before: every refresh raised
        for _ in range(3):
            assert _learned(client) == learned
    assert learned[0] == LEBOWSKI and SLEEP in learned  # the clicks after the bad rows count
    health = _health(client)
    assert health["status"] == "ok"
    assert health["store"]["bad_events"] == 4
    # Logged once each, with the row's sequence number, however often the log is read.
    for seq in bad_seqs:
        lines = [r.message for r in caplog.records if f"event seq {seq} is not" in r.message]
        assert len(lines) == 1, lines
    assert "JSONDecodeError" in caplog.text and "query must be a str" in caplog.text

    # A restart on the same file starts (it refused to before) and relearns the same.
    restarted = make_client(f"sqlite:///{path}")
    assert _learned(restarted) == learned
    assert _health(restarted)["store"]["bad_events"] == 4


@pytest.mark.redis
def test_bad_redis_entries_are_set_aside(redis_url: str, tmp_path: Path) -> None:
    import redis

    namespace = f"faults:{tmp_path.name}"
    config = FeedbackConfig(refresh_interval_s=0)
    layer = FeedbackLayer(open_store(f"{redis_url}?namespace={namespace}"), config=config)
    client = redis.Redis.from_url(redis_url)
    try:
        layer.record_impression(QUERY, [SLEEP, LEBOWSKI], "s1")
        # Entries in the stream the store did not write: a bad body, a missing field, a
        # timestamp that is not a number. Each takes the sequence number the store would have.
        for fields in ({"t": "1.5", "e": "{not json"}, {"t": "1.5"}, {"t": "soon", "e": "{}"}):
            seq = client.incr(f"{namespace}:seq")
            client.xadd(f"{namespace}:events", fields, id=f"{seq}-0")  # type: ignore[arg-type]
        layer.record_click(QUERY, LEBOWSKI, 2, "s1", 60_000)
        layer.refresh()
        assert layer.boosts(QUERY).get(LEBOWSKI, 0.0) > 0
        assert layer.health().bad_events == 3
        assert layer.health().last_seq == 5
        assert [item.seq for item in layer.store.read()] == [1, 5]
        assert [bad.seq for bad in layer.store.scan().bad] == [2, 3, 4]
    finally:
        client.close()
        layer.close()
    reopened = FeedbackLayer(open_store(f"{redis_url}?namespace={namespace}"), config=config)
    try:
        assert reopened.health().bad_events == 3
        assert reopened.boosts(QUERY).get(LEBOWSKI, 0.0) > 0
    finally:
        reopened.close()


# Redis stopped, hung and restarted ---------------------------------------------------------------


class RedisServer:
    """A redis-server of one test, on a fixed port, that the test can hang, kill and restart.

    ``appendonly`` with ``appendfsync always``: the configuration under which Redis keeps every
    acknowledged event across a restart (docs/feedback/README.md).
    """

    def __init__(self, executable: str, port: int, directory: Path) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.persist = True
        """False: the next start forgets everything (no append-only file)."""
        self._executable = executable
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def _command(self) -> list[str]:
        appendonly = "yes" if self.persist else "no"
        return [
            self._executable,
            *f"--port {self.port} --bind 127.0.0.1 --daemonize no --save".split(),
            "",
            *f"--appendonly {appendonly} --appendfsync always --dir {self.directory}".split(),
        ]

    def start(self) -> None:
        import redis

        self.process = subprocess.Popen(
            self._command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        client = redis.Redis.from_url(self.url, socket_timeout=1)
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    if client.ping():
                        return
                except redis.ConnectionError:
                    if self.process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"redis-server did not start on {self.port}") from None
                    time.sleep(0.05)
        finally:
            client.close()

    def signal(self, number: signal.Signals) -> None:
        assert self.process is not None
        self.process.send_signal(number)

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    executable = shutil.which("redis-server")
    if executable is None:
        pytest.skip("redis-server is not installed")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    server = RedisServer(executable, port, tmp_path)
    server.start()
    yield server
    server.stop()


def _answers_in_time(client: FlaskClient) -> dict[str, Any]:
    """Every endpoint once, timed: each must answer within ``DEADLINE_S``."""
    shown = [SLEEP, LEBOWSKI]
    calls: dict[str, Callable[[], Any]] = {
        "suggest": lambda: client.get(f"/api/suggest?q={QUERY}&k=5"),
        "impression": lambda: client.post(
            "/api/impression", json={"query": QUERY, "ids": shown, "session_id": "session-x"}
        ),
        "click": lambda: client.post(
            "/api/click",
            json={
                "query": QUERY,
                "id": SLEEP,
                "position": 1,
                "session_id": "session-x",
                "dwell_ms": 9,
            },
        ),
        "learned": lambda: client.get(f"/api/learned?prefix={QUERY}"),
        "health": lambda: client.get("/api/health"),
    }
    answers: dict[str, Any] = {}
    for name, call in calls.items():
        response, took = _timed(call)
        assert took < DEADLINE_S, (name, took)
        answers[name] = response
        SLOWEST[name] = max(SLOWEST.get(name, 0.0), took)
    return answers


SLOWEST: dict[str, float] = {}
"""The slowest answer of each endpoint during an outage test, printed with ``pytest -s``."""


def _report(fault: str, degraded_after: float, recovered_after: float) -> None:
    slowest = ", ".join(f"{name} {took * 1000:.0f} ms" for name, took in SLOWEST.items())
    print(
        f"\n{fault}: health degraded after {degraded_after:.2f} s, ok again "
        f"{recovered_after:.2f} s after the server returned; slowest answers: {slowest}"
    )
    SLOWEST.clear()


def _check_store_down(answers: dict[str, Any]) -> None:
    suggestions = [item["id"] for item in answers["suggest"].get_json()["suggestions"]]
    assert suggestions[0] == LEBOWSKI  # still served with what was learned
    for name in ("impression", "click", "learned"):
        response = answers[name]
        assert response.status_code == 503, (name, response.data)
        assert int(response.headers["Retry-After"]) >= 1
        assert "try again later" in response.get_json()["error"]["message"]


@pytest.mark.redis
def test_a_hung_redis_is_reported_and_nothing_waits_for_it(
    make_client: Callable[[str], FlaskClient], redis_server: RedisServer
) -> None:
    client = make_client(redis_server.url)
    for session in range(3):
        _choose(client, f"s{session}", LEBOWSKI)
    assert _learned(client)[0] == LEBOWSKI
    assert _health(client)["status"] == "ok"

    redis_server.signal(signal.SIGSTOP)  # hung: the port accepts, nothing answers
    try:
        # No traffic: the refresh thread notices.
        degraded_after = _wait_for(lambda: _health(client)["status"] == "degraded")
        health = _health(client)
        assert health["degraded"] == ["store"]
        assert health["store"]["status"] == "unavailable"
        assert "Timeout" in health["store"]["store_error"]
        for _ in range(3):  # the breaker's refusals, and the retries that time out
            _check_store_down(_answers_in_time(client))
            time.sleep(0.4)
    finally:
        redis_server.signal(signal.SIGCONT)
    recovered_after = _wait_for(lambda: _health(client)["status"] == "ok")
    _wait_for(lambda: _answers_in_time(client)["click"].status_code == 204)

    redis_server.signal(signal.SIGSTOP)
    try:
        # At once, before the refresh thread notices: the requests meet the store's timeout.
        _check_store_down(_answers_in_time(client))
    finally:
        redis_server.signal(signal.SIGCONT)
    _wait_for(lambda: _health(client)["status"] == "ok")
    _report("redis SIGSTOP", degraded_after, recovered_after)
    _choose(client, "after", LEBOWSKI)
    assert _learned(client)[0] == LEBOWSKI


@pytest.mark.redis
def test_a_killed_redis_is_reported_and_recovers_when_restarted(
    make_client: Callable[[str], FlaskClient], redis_server: RedisServer
) -> None:
    client = make_client(redis_server.url)
    for session in range(3):
        _choose(client, f"s{session}", LEBOWSKI)
    assert _learned(client)[0] == LEBOWSKI

    redis_server.kill()
    degraded_after = _wait_for(lambda: _health(client)["status"] == "degraded")
    assert "refused" in _health(client)["store"]["store_error"].lower()
    for _ in range(3):
        _check_store_down(_answers_in_time(client))
        time.sleep(0.4)

    redis_server.start()  # same port, same append-only file
    recovered_after = _wait_for(lambda: _health(client)["status"] == "ok")
    _wait_for(lambda: _answers_in_time(client)["click"].status_code == 204)
    _report("redis SIGKILL and restart", degraded_after, recovered_after)
    _choose(client, "after", SLEEP)
    assert set(_learned(client)) == {LEBOWSKI, SLEEP}  # the log survived the restart


@pytest.mark.redis
def test_a_redis_that_lost_its_log_is_relearned(
    make_client: Callable[[str], FlaskClient], redis_server: RedisServer
) -> None:
    """Restarted without persistence, Redis numbers events from 1 again: the layer must not
    ignore them as already learned."""
    client = make_client(redis_server.url)
    for session in range(3):
        _choose(client, f"s{session}", LEBOWSKI)
    assert _learned(client) == [LEBOWSKI]
    redis_server.kill()
    redis_server.persist = False
    shutil.rmtree(redis_server.directory / "appendonlydir", ignore_errors=True)
    redis_server.start()
    _wait_for(lambda: _health(client)["status"] == "ok")
    _choose(client, "after", SLEEP)
    assert _learned(client) == [SLEEP]  # what the store holds now, not the lost log


# Retention bounds what the guard ignores ---------------------------------------------------------

MAX_EVENTS = 500
"""The raw log's bound in the retention test (``keep_at_most``)."""


def test_ignored_events_do_not_grow_the_store_beyond_its_bound(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "flood.db")
    try:
        for session in range(5):  # some organic learning first
            store.append(Impression(QUERY, (SLEEP, LEBOWSKI), f"u{session}"))
            store.append(Click(QUERY, LEBOWSKI, 2, f"u{session}", 60_000))
        compact_store(store, before=store.now(), keep_at_most=MAX_EVENTS)
        organic = store.load_aggregates()
        assert organic is not None and organic.keys

        for flood in range(6):
            # A bot's rounds: clicks that match no impression, from a single session and
            # client, 400 per round: the guard ignores every one of them.
            for n in range(400):
                store.append(Click(QUERY, SLEEP, 1 + n % 10, f"bot{flood}", 500, client="b"))
            assert store.count() <= MAX_EVENTS + 400
            # A periodic compaction (with a retention window that keeps them all by time).
            result = compact_store(store, before=store.now() - 86_400, keep_at_most=MAX_EVENTS)
            assert store.count() <= MAX_EVENTS
            assert result.folded > 0 or flood == 0
            aggregates = store.load_aggregates()
            assert aggregates is not None
            assert set(aggregates.keys) == set(organic.keys)
            assert aggregates.explicit == organic.explicit
        # Ignored events leave nothing behind once folded: the aggregates keep the organic keys
        # only, whatever the flood's size.
        assert store.count() == MAX_EVENTS
    finally:
        store.close()


def test_sqlite_survives_kill_9_and_reopens_with_every_acknowledged_event(
    tmp_path: Path,
) -> None:
    """A layer opened on a file whose writer was killed mid-append starts and sees no bad row
    (the durability of each acknowledged event is proven in test_feedback_store)."""
    path = tmp_path / "killed.db"
    script = (
        "import sys\n"
        "from autocomplete.feedback import SqliteStore, Click\n"
        "store = SqliteStore(sys.argv[1])\n"
        "n = 0\n"
        "while True:\n"
        "    seq = store.append(Click('the big', 'big-sleep-1946', 1, f's{n % 5}', 9)).seq\n"
        "    print(seq, flush=True)\n"
        "    n += 1\n"
    )
    writer = subprocess.Popen(
        [sys.executable, "-c", script, str(path)], stdout=subprocess.PIPE, text=True
    )
    assert writer.stdout is not None
    acknowledged = []
    try:
        for line in writer.stdout:
            acknowledged.append(int(line))
            if len(acknowledged) >= 200:
                break
        os.kill(writer.pid, signal.SIGKILL)
        acknowledged.extend(int(line) for line in writer.stdout.read().split())
    finally:
        if writer.poll() is None:
            writer.kill()
        writer.wait()
        writer.stdout.close()
    layer = FeedbackLayer(SqliteStore(path), config=FeedbackConfig(refresh_interval_s=0))
    try:
        health = layer.health()
        assert health.bad_events == 0 and health.store_available
        assert health.last_seq >= max(acknowledged)
        assert {item.seq for item in layer.store.read(0, 100_000)} >= set(acknowledged)
    finally:
        layer.close()
