"""Fixtures shared by the feedback tests: a fake clock, a real redis-server, the store back ends.

Test modules load it as a plugin (``pytest_plugins = ["feedback_fixtures"]``) and import its
types only for annotations. The Redis server starts only when a test asks for it.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from autocomplete.feedback import FeedbackStore, MemoryStore, SqliteStore

REDIS_START_TIMEOUT_S = 10.0


class FakeClock:
    """A settable clock: ``clock()`` is the time, ``advance`` moves it."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A real redis-server on a free loopback port, for the whole session; its base URL."""
    executable = shutil.which("redis-server")
    if executable is None:
        pytest.skip("redis-server is not installed (apt-get install -y redis-server)")
    import redis

    port = _free_port()
    options = f"--port {port} --bind 127.0.0.1 --appendonly no --daemonize no".split()
    process = subprocess.Popen(
        [executable, *options, "--save", ""],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + REDIS_START_TIMEOUT_S
        while True:
            client = redis.Redis.from_url(url)
            try:
                if client.ping():
                    break
            except redis.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start on port {port}") from None
                time.sleep(0.05)
            finally:
                client.close()
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


StoreFactory = Callable[..., FeedbackStore]


def make_store_factory(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[StoreFactory]:
    """A factory of stores of one back end; calls with the same ``name`` share their data."""
    opened: list[FeedbackStore] = []
    run = uuid.uuid4().hex

    def factory(clock: Callable[[], float] | None = None, name: str = "main") -> FeedbackStore:
        store: FeedbackStore
        if backend == "memory":
            store = MemoryStore(clock=clock)
        elif backend == "sqlite":
            store = SqliteStore(tmp_path / f"{name}.db", clock=clock)
        else:
            from autocomplete.feedback.redis_store import RedisStore

            url = request.getfixturevalue("redis_url")
            store = RedisStore.from_url(f"{url}?namespace=test:{run}:{name}", clock=clock)
        opened.append(store)
        return store

    yield factory
    for store in opened:
        store.close()


BACKENDS = [
    "memory",
    "sqlite",
    pytest.param("redis", marks=pytest.mark.redis),
]


@pytest.fixture(params=BACKENDS)
def store_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreFactory]:
    """Stores of each back end in turn: memory, SQLite, Redis (a real server)."""
    yield from make_store_factory(request.param, tmp_path, request)


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def shared_store_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreFactory]:
    """The back ends several processes can share (same ``name``, same data)."""
    yield from make_store_factory(request.param, tmp_path, request)
