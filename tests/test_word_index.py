"""The word index: layout, lookups, conjunctive retrieval against brute force, save/load."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from autocomplete.index.word_index import (
    FIRST_BLOCK,
    MAX_SCANNED,
    Term,
    WordIndex,
    WordRange,
    _smallest_distinct,
    _sorted_distinct,
    build_word_index,
    term_checks,
)

TITLES = [
    "the big lebowski",
    "the big short",
    "big fish",
    "the lord of the rings the two towers",
    "psycho",
    "psycho",
    "night of the living dead",
    "lebowski",
]
PRIORS = np.array([-5.0, -6.0, -7.0, -4.0, -5.5, -9.0, -8.0, -12.0], dtype=np.float32)
YEARS: list[int | None] = [1998, 2015, 2003, 2002, 1960, 1998, 1968, None]


@pytest.fixture(scope="module")
def small() -> WordIndex:
    return build_word_index(TITLES, PRIORS, YEARS)


def _all(index: WordIndex, terms: list[Term]) -> list[int]:
    return [rank for block in index.matching(terms) for rank in block.ranks.tolist()]


def _term(index: WordIndex, word: str, *, prefix: bool = False, year: int | None = None) -> Term:
    found = index.prefix_range(word) if prefix else index.word_id(word)
    ranges: tuple[WordRange, ...] = ()
    if isinstance(found, tuple):
        ranges = (WordRange(found[0], found[1], 0.0, word),)
    elif found is not None:
        ranges = (WordRange(found, found + 1, 0.0, word),)
    return Term(word, ranges, year, prefix)


def test_ranks_follow_the_prior(small: WordIndex) -> None:
    assert small.rank_title.tolist() == list(np.argsort(-PRIORS, kind="stable"))
    assert list(small.rank_prior) == sorted(PRIORS.tolist(), reverse=True)
    assert [small.title_rank[title] for title in small.rank_title] == list(range(len(TITLES)))


def test_lookups(small: WordIndex) -> None:
    big = small.word_id("big")
    assert big is not None and small.word(big) == "big"
    assert small.word_id("bi") is None
    lo, hi = small.prefix_range("l") or (0, 0)
    assert [small.word(word) for word in range(lo, hi)] == ["lebowski", "living", "lord"]
    assert small.prefix_range("zzz") is None
    # A posting list holds each title with the word once, best prior first.
    the = small.word_id("the")
    assert the is not None
    ranks = small.postings[small.posting_first[the] : small.posting_first[the + 1]].tolist()
    titles = [int(small.rank_title[rank]) for rank in ranks]
    assert ranks == sorted(ranks) and sorted(titles) == [0, 1, 3, 6]


def test_a_query_s_words_are_looked_up_in_one_call(small: WordIndex) -> None:
    # The words as whole words, the last one as a prefix: as two calls would find them.
    for words in (["the", "big", "l"], ["big", "lebowski"], ["psycho"], ["zzz", "li"]):
        for last_is_prefix in (False, True):
            expected = small.ranges(words[:-1], prefix=False) + small.ranges(
                words[-1:], prefix=last_is_prefix
            )
            assert small.ranges(words, prefix=False, last_is_prefix=last_is_prefix) == expected
    assert small.ranges(["big", "l"], prefix=False, last_is_prefix=True)[1] == small.prefix_range(
        "l"
    )


def test_the_driving_term_is_checked_only_when_typed_again(small: WordIndex) -> None:
    big, lebowski = _term(small, "big"), _term(small, "lebowski")
    big_key = ((big.ranges[0].lo, big.ranges[0].hi),)
    lebowski_key = ((lebowski.ranges[0].lo, lebowski.ranges[0].hi),)
    assert term_checks([big, lebowski], 0) == ((lebowski_key, None, 1),)
    assert term_checks([big, lebowski], 1) == ((big_key, None, 1),)
    assert term_checks([big, lebowski, big], 0) == ((big_key, None, 2), (lebowski_key, None, 1))
    assert term_checks([big, lebowski]) == ((big_key, None, 1), (lebowski_key, None, 1))


def test_conjunction_of_words_and_a_prefix(small: WordIndex) -> None:
    terms = [_term(small, "big"), _term(small, "l", prefix=True)]
    assert [int(small.rank_title[rank]) for rank in _all(small, terms)] == [0]
    terms = [_term(small, "lebowski"), _term(small, "big", prefix=True)]
    assert {int(small.rank_title[rank]) for rank in _all(small, terms)} == {0}
    # A word no title has: nothing, without scanning.
    assert _all(small, [_term(small, "big"), _term(small, "qqq")]) == []


def test_a_year_narrows_to_the_title_of_that_year(small: WordIndex) -> None:
    terms = [_term(small, "psycho"), _term(small, "1998", prefix=True, year=1998)]
    assert [int(small.rank_title[rank]) for rank in _all(small, terms)] == [5]


def test_matching_agrees_with_brute_force_on_random_titles() -> None:
    rng = random.Random(5)
    vocabulary = [f"w{number}" for number in range(40)] + ["the", "of", "a"]
    titles = [
        " ".join(rng.choice(vocabulary) for _ in range(rng.randint(1, 7))) for _ in range(3000)
    ]
    priors = np.array([-rng.random() * 20 for _ in titles], dtype=np.float32)
    index = build_word_index(titles, priors, [None] * len(titles))
    for _ in range(60):
        typed = rng.sample(vocabulary, rng.randint(1, 3))
        cut = typed[-1][: rng.randint(1, len(typed[-1]))]
        terms = [_term(index, word) for word in typed[:-1]] + [_term(index, cut, prefix=True)]
        expected = [
            rank
            for rank, title in enumerate(int(t) for t in index.rank_title)
            if all(word in titles[title].split() for word in typed[:-1])
            and any(word.startswith(cut) for word in titles[title].split())
        ]
        assert _all(index, terms) == expected, (typed, cut)


def _year(word: str) -> int | None:
    return int(word) if word.isdigit() else None


def _satisfies(typed: list[str], words: list[str], year: int | None) -> bool:
    """Whether a title (its words and year) holds every typed word, as often as it was typed
    (the last as a prefix; a number may be the year instead)."""
    for word in set(typed):
        last = word == typed[-1]
        count = sum(held.startswith(word) if last else held == word for held in words)
        count += word.isdigit() and year == int(word)
        if count < typed.count(word):
            return False
    return True


def test_walks_past_the_first_block_agree_with_brute_force() -> None:
    """Past its first block, the walk keeps only the ranks in the other terms' postings (its
    sieves) before checking the forward lists: common words ("the", "of"), a word typed twice,
    a year and half-typed prefixes keep exactly the ranks that satisfy every term."""
    rng = random.Random(11)
    common = {"the": 0.6, "of": 0.4, "a": 0.25, "la": 0.1}
    rare = [f"w{number}" for number in range(200)] + ["1995"] * 20  # a year typed as a word
    titles, years = [], []
    for _ in range(4000):
        words = [word for word, share in common.items() if rng.random() < share]
        words += rng.sample(rare, rng.randint(1, 3)) + (["the"] if rng.random() < 0.2 else [])
        rng.shuffle(words)
        titles.append(" ".join(words))
        years.append(rng.choice([1995, 1996, None]))
    priors = np.array([-rng.random() * 20 for _ in titles], dtype=np.float32)
    index = build_word_index(titles, priors, years)
    queries = [
        ["the", "of"], ["the", "of", "w1"], ["the", "the", "a"], ["of", "la", "w"],
        ["the", "a", "la"], ["the", "of", "1995"], ["a", "the", "w12"], ["of", "the", "the", "l"],
        ["the", "of", "zzz"],
    ]  # fmt: skip
    sieved = 0
    for typed in queries:
        terms = [
            _term(index, word, prefix=position == len(typed) - 1, year=_year(word))
            for position, word in enumerate(typed)
        ]
        driver = index._driver(terms)
        if driver is not None:
            ranks = index._ranks_of(terms[driver])
            sieved += bool(index._sieves(term_checks(terms, driver), ranks[FIRST_BLOCK:]))
        expected = [
            rank
            for rank, title in enumerate(index.rank_title.tolist())
            if _satisfies(typed, titles[title].split(), years[title])
        ]
        assert _all(index, terms) == expected, typed
    assert sieved >= 5  # most of these walks went past the first block through sieves


def test_blocks_carry_a_bound_on_later_priors(small: WordIndex) -> None:
    blocks = list(small.matching([_term(small, "the"), _term(small, "b", prefix=True)]))
    assert blocks[-1].next_prior == -np.inf
    for block in blocks[:-1]:
        assert all(small.rank_prior[rank] >= block.next_prior for rank in block.ranks)


def test_common_words_scan_a_bounded_number_of_titles() -> None:
    count = MAX_SCANNED * 2
    titles = ["the of a"] * count
    index = build_word_index(titles, np.zeros(count, dtype=np.float32), [None] * count)
    terms = [_term(index, "the"), _term(index, "of"), _term(index, "a", prefix=True)]
    assert len(_all(index, terms)) == MAX_SCANNED


def test_save_and_load_round_trip(small: WordIndex, tmp_path: Path) -> None:
    small.save(tmp_path / "words")
    loaded = WordIndex.load(tmp_path / "words")
    for name in ("vocabulary", "postings", "posting_first", "forward", "rank_title", "rank_year"):
        assert np.array_equal(getattr(loaded, name), getattr(small, name)), name
    assert isinstance(loaded.postings, np.ndarray) and not loaded.postings.flags.writeable
    terms = [_term(loaded, "lebowski"), _term(loaded, "big", prefix=True)]
    assert _all(loaded, terms) == _all(small, terms)


def test_titles_without_words_are_safe_in_a_block() -> None:
    titles = ["", "psycho", "", "psycho"]
    index = build_word_index(
        titles, np.array([-1.0, -2.0, -3.0, -4.0], dtype=np.float32), [1998, 1998, 1998, 1960]
    )
    year = Term("1998", (), 1998, False)
    assert [int(index.rank_title[rank]) for rank in _all(index, [year])] == [0, 1, 2]
    # Typed twice, the year needs two matches; no title has them (and a title without words
    # is not counted as holding one).
    assert _all(index, [year, year]) == []
    word = _term(index, "psycho")
    assert [int(index.rank_title[rank]) for rank in _all(index, [year, word])] == [1]


def test_a_title_before_titles_without_words_is_checked_to_its_last_word() -> None:
    # A block driven by a year can end with titles that have no words; the title before them
    # still counts its last word ("big" here; the NumPy check once cut it off).
    titles = ["psycho big", "", ""]
    index = build_word_index(
        titles, np.array([-1.0, -2.0, -3.0], dtype=np.float32), [1998, 1998, 1998]
    )
    big = index.word_id("big")
    assert big is not None
    year = Term("1998", (), 1998, False)
    big_or_2001 = Term("big", (WordRange(big, big + 1, 0.0, "big"),), 2001, False)
    assert _all(index, [year, big_or_2001]) == [0]


def test_merging_several_words_lists_needs_no_lazy_numpy_import(
    small: WordIndex, tmp_path: Path
) -> None:
    """A prefix of several words merges their lists; ``np.unique`` would import ``numpy.ma``
    on its first call (about 20 ms on some user's keystroke). A fresh interpreter loads the
    saved index and merges them."""
    small.save(tmp_path)
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from autocomplete.index.word_index import Term, WordIndex, WordRange\n"
        f"index = WordIndex.load(Path({str(tmp_path)!r}))\n"
        "((lo, hi),) = index.ranges(['l'], prefix=True)\n"
        "assert hi - lo > 1  # several words start with l: their lists are merged\n"
        "print(index._ranks_of(Term('l', (WordRange(lo, hi, 0.0, 'l'),), None, True)).tolist())\n"
        "print('numpy.ma' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    ranks, imported = done.stdout.split("\n")[:2]
    # lebowski, lord, living: the titles holding them, each once, ascending
    expected = sorted({small.title_rank[title] for title in (0, 3, 6, 7)})
    assert ranks == str([int(rank) for rank in expected])
    assert imported == "False"


def test_sorted_distinct_is_numpy_unique() -> None:
    generator = np.random.default_rng(7)
    for size in (0, 1, 2, 5, 100):
        values = generator.integers(0, 20, size=size).astype(np.int32)
        found = _sorted_distinct(values)
        assert found.tolist() == np.unique(values).tolist()
        assert found.dtype == np.int32


def test_smallest_distinct_is_the_head_of_sorted_distinct() -> None:
    generator = np.random.default_rng(3)
    for size, high, count in (
        (0, 5, 3),
        (10, 5, 3),
        (5000, 50, 20),
        (5000, 10**6, 20),
        (900, 9, 8),
    ):
        # Sorted runs, as a prefix's postings are, and many repeats among the smallest values:
        # the sampled bound must move past them.
        runs = [np.sort(generator.integers(0, high, size=size // 4)) for _ in range(4)]
        values = np.concatenate([*runs, np.zeros(size // 3, dtype=np.int64)]).astype(np.int32)
        found = _smallest_distinct(values, count)
        assert found.tolist() == _sorted_distinct(values)[:count].tolist()
        assert found.dtype == np.int32
