from __future__ import annotations

import math
from pathlib import Path

import pytest
from rapidfuzz.distance import OSA

from autocomplete.spelling_index import (
    SpellingIndex,
    deletion_depth,
    deletion_variants,
)

TITLES = [
    (["the", "big", "lebowski"], math.log(0.5)),
    (["the", "big", "sleep"], math.log(0.2)),
    (["lebowski", "fest"], math.log(0.01)),
    (["sleepless", "in", "seattle"], math.log(0.29)),
]


def test_deletion_variants_and_depth() -> None:
    assert deletion_variants("abc", 1) == {"abc", "bc", "ac", "ab"}
    assert deletion_variants("abc", 2) == {"abc", "bc", "ac", "ab", "a", "b", "c"}
    assert deletion_variants("abc", 0) == {"abc"}
    # Every choice of two positions, doubled letters giving the same string once.
    assert deletion_variants("abba", 2) == {"abba", "bba", "aba", "abb", "ba", "aa", "bb", "ab"}
    with pytest.raises(ValueError, match="at most 2"):
        deletion_variants("abcd", 3)
    assert [deletion_depth(n) for n in (2, 3, 5, 6, 12)] == [0, 1, 1, 2, 2]


def test_prefixes_near_finds_one_and_two_edit_neighbours() -> None:
    index = SpellingIndex.build(TITLES)
    assert "lebowsk" in index.prefixes_near("lebowsk")  # itself
    assert "lebowsk" in index.prefixes_near("lebowdk")  # one substitution
    assert "lebowsk" in index.prefixes_near("lbowsk")  # one deletion (6 letters)
    assert "sleep" in index.prefixes_near("slep")  # four letters: one edit
    # Candidates only: deleting two letters of the indexed 6-letter "sleepl" meets "slep" too;
    # the speller then keeps what fits the typed word's edit budget.
    assert "sleepl" in index.prefixes_near("slep")
    assert "star" not in index.prefixes_near("slep")


def test_weights_and_bounds() -> None:
    index = SpellingIndex.build(TITLES)
    # "the" is in two titles: its mass is their sum, its bound the better one.
    the_weight = index.word_log_weight_of("the")
    big_weight = index.word_log_weight_of("big")
    assert the_weight is not None and big_weight is not None
    assert math.isclose(the_weight, big_weight, rel_tol=1e-6)
    assert math.isclose(index.best_prior_of("the", prefix=False), math.log(0.5), rel_tol=1e-6)
    # A prefix is bounded by the best title of any word it starts.
    assert math.isclose(index.best_prior_of("sle", prefix=True), math.log(0.29), rel_tol=1e-6)
    assert math.isclose(index.best_prior_of("s", prefix=True), math.log(0.29), rel_tol=1e-6)
    assert index.best_prior_of("zzz", prefix=True) == -math.inf
    assert index.best_prior_of("lebo", prefix=False) == -math.inf  # not a whole word
    assert index.has_word_starting("sleepl") and not index.has_word_starting("sleepz")
    assert index.words_starting("sle", 5) == ["sleepless", "sleep"]


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    index = SpellingIndex.build(TITLES)
    index.save(tmp_path / "spelling")
    loaded = SpellingIndex.load(tmp_path / "spelling")
    assert sorted(loaded.prefixes_near("lebowdk")) == sorted(index.prefixes_near("lebowdk"))
    assert loaded.best_prior_of("big", prefix=False) == index.best_prior_of("big", prefix=False)


def test_prefixes_near_with_one_edit_still_finds_every_one_edit_neighbour() -> None:
    index = SpellingIndex.build(TITLES)
    for typed in ("lebowdk", "lbowsk", "sleepl", "slep"):
        one_edit = set(index.prefixes_near(typed, max_edits=1))
        assert one_edit <= set(index.prefixes_near(typed))
        assert {p for p in index.prefixes_near(typed) if OSA.distance(typed, p) <= 1} <= one_edit
    assert len(index.prefixes_near("lebowdk", max_edits=1)) < len(index.prefixes_near("lebowdk"))
