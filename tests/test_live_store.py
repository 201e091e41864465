"""The update logs (memory, SQLite, a real redis-server): order, batches, sequence numbers,
what a second connection sees, and the encoding every back end shares."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import MappingProxyType

import pytest

from autocomplete.catalog.loader import Record
from autocomplete.live import Compacted, Delete, Upsert, open_update_store
from autocomplete.live.changes import ChangeFormatError, decode, encode
from autocomplete.live.store import UpdateStore

pytest_plugins = ["feedback_fixtures"]


def _url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'updates.db'}"
    base: str = request.getfixturevalue("redis_url")
    return f"{base}?namespace=test-store-{uuid.uuid4().hex}"


@pytest.fixture(params=["memory", "sqlite", "redis"])
def stores(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[UpdateStore, UpdateStore]]:
    """Two connections to one log (the same object for memory, which is one process's)."""
    if request.param == "memory":
        store = open_update_store("memory://")
        yield store, store
        return
    url = _url(request.param, tmp_path, request)
    first, second = open_update_store(url), open_update_store(url)
    yield first, second
    first.close()
    second.close()


def _record(number: int) -> Record:
    return Record(f"id{number}", f"Title {number}", float(number), MappingProxyType({"n": number}))


def test_batches_take_consecutive_numbers_and_read_back_in_order(
    stores: tuple[UpdateStore, UpdateStore],
) -> None:
    writer, reader = stores
    assert writer.last_sequence() == 0 and reader.read(0) == []
    assert writer.append([encode(Upsert(_record(n))) for n in range(3)]) == 3
    assert writer.append([encode(Delete("id1")), encode(Compacted(3, "/x"))]) == 5
    found = reader.read(0)
    assert [entry.sequence for entry in found] == [1, 2, 3, 4, 5]
    assert [entry.change for entry in found] == [
        Upsert(_record(0)),
        Upsert(_record(1)),
        Upsert(_record(2)),
        Delete("id1"),
        Compacted(3, "/x"),
    ]
    assert [entry.sequence for entry in reader.read(3)] == [4, 5]
    assert [entry.sequence for entry in reader.read(1, limit=2)] == [2, 3]
    assert reader.last_sequence() == 5


def test_concurrent_writers_never_interleave_inside_a_batch(
    stores: tuple[UpdateStore, UpdateStore],
) -> None:
    first, second = stores

    def write(store: UpdateStore, tag: int) -> None:
        for batch in range(10):
            store.append([encode(Delete(f"{tag}-{batch}-{n}")) for n in range(5)])

    threads = [
        threading.Thread(target=write, args=(store, tag))
        for tag, store in ((1, first), (2, second))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    found = first.read(0, limit=1000)
    assert [entry.sequence for entry in found] == list(range(1, 101))
    ids = [entry.change.id for entry in found if isinstance(entry.change, Delete)]
    for start in range(0, 100, 5):
        assert len({title_id.rsplit("-", 1)[0] for title_id in ids[start : start + 5]}) == 1


def test_a_bad_read_limit_and_an_unknown_url_are_refused(tmp_path: Path) -> None:
    store = open_update_store(f"sqlite:///{tmp_path / 'u.db'}")
    with pytest.raises(ValueError, match="limit"):
        store.read(0, limit=0)
    store.close()
    with pytest.raises(ValueError, match="unknown update store URL"):
        open_update_store("postgres://x")
    with pytest.raises(ValueError, match="file path"):
        open_update_store("sqlite://")


def test_an_entry_this_version_cannot_read_says_so() -> None:
    with pytest.raises(ChangeFormatError, match="unknown change"):
        decode('{"op": "rename"}')
    with pytest.raises(ChangeFormatError, match="unreadable"):
        decode('{"op": "upsert", "id": "x"}')
    with pytest.raises(ChangeFormatError, match="unreadable"):
        decode("not json")
