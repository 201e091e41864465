"""``autocomplete.cache.Memo``: the one bounded memo of the query path."""

from __future__ import annotations

import threading

import pytest

from autocomplete.cache import Memo


def test_a_full_memo_evicts_the_least_recently_used() -> None:
    memo: Memo[str, int] = Memo(2, "test")
    assert memo.put("a", 1) == 1
    memo.put("b", 2)
    assert memo.get("a") == 1  # "a" is now the most recent
    memo.put("c", 3)
    assert memo.get("b") is None
    assert memo.get("a") == 1 and memo.get("c") == 3
    assert len(memo) == 2 and memo.max_size == 2
    memo.put("a", 10)  # replacing a value keeps one entry per key
    assert len(memo) == 2 and memo.get("a") == 10
    memo.clear()
    assert len(memo) == 0 and memo.get("a") is None


def test_an_entry_read_often_survives_a_burst_of_one_off_entries() -> None:
    memo: Memo[str, int] = Memo(100)
    memo.put("hot", 1)
    for number in range(10_000):
        memo.put(f"once {number}", number)
        if number % 40 == 0:  # read more often than once per 50 insertions
            assert memo.get("hot") == 1
    assert memo.get("hot") == 1
    assert memo.get("once 0") is None  # the burst itself is bounded
    assert len(memo) <= 100


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "3"])
def test_a_memo_needs_a_positive_whole_size(bad: object) -> None:
    with pytest.raises(ValueError, match="max_size"):
        Memo(bad)  # type: ignore[arg-type]


def test_threads_sharing_a_memo_leave_it_within_its_bound() -> None:
    memo: Memo[int, int] = Memo(64)
    errors: list[BaseException] = []

    def hammer(offset: int) -> None:
        try:
            for number in range(20_000):
                key = (number * 7 + offset) % 500
                if memo.get(key) is None:
                    memo.put(key, key)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=hammer, args=(offset,)) for offset in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert 32 <= len(memo) <= 64
    assert all(memo.get(key) in (None, key) for key in range(500))


def test_an_emptied_memo_keeps_the_size_and_name_and_nothing_else() -> None:
    memo: Memo[str, int] = Memo(4, "kept things")
    memo.put("a", 1)
    emptied = memo.emptied()
    assert (emptied.max_size, emptied.name, len(emptied)) == (4, "kept things", 0)
    assert emptied.get("a") is None and memo.get("a") == 1  # the original keeps its entries
