from __future__ import annotations

import itertools
import math
import random
from pathlib import Path

import numpy as np
import pytest
from rapidfuzz.distance import OSA

from autocomplete.index._nearby import DeletionProbe
from autocomplete.index.catalog_index import IndexFormatError
from autocomplete.index.spelling import (
    MAX_INDEXED_CHARS,
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


def _reference_near(index: SpellingIndex, typed: str, max_edits: int) -> set[str]:
    """``prefixes_near`` spelled out in Python: the probe's deletion variants, looked up."""
    probe = typed[:MAX_INDEXED_CHARS]
    depth = min(max_edits, deletion_depth(len(probe)))
    if depth == 0:
        return set()
    found: set[int] = set()
    for variant in deletion_variants(probe, depth):
        deletion = index.deletions.get(variant)
        if deletion is not None:
            low, high = index.postings_first[deletion], index.postings_first[deletion + 1]
            found.update(index.postings[low:high].tolist())
    return {index.prefixes.restore_key(prefix_id) for prefix_id in found}


def _random_vocabulary_index(seed: int) -> tuple[SpellingIndex, list[str]]:
    generator = random.Random(seed)
    letters = "etaoinshrdlcum" + "éжß7"
    words = [
        "".join(generator.choice(letters) for _ in range(generator.randint(1, 12)))
        for _ in range(400)
    ]
    titles = [(words[start : start + 3], -float(start % 17)) for start in range(0, 400, 3)]
    typed = [
        "".join(generator.choice(letters) for _ in range(generator.randint(0, 14)))
        for _ in range(300)
    ]
    typed += [word[: generator.randint(1, len(word))] for word in words[:300]]
    return SpellingIndex.build(titles), typed


def _weight_and_bound(index: SpellingIndex, prefix: str) -> tuple[float | None, float]:
    return index.prefix_log_weight_of(prefix), index.best_prior_of(prefix, prefix=True)


def test_probe_in_c_matches_the_python_statement() -> None:
    index, typed_words = _random_vocabulary_index(seed=3)
    for typed in [*typed_words, "x" * 100, ""]:
        for max_edits in (1, 2):
            near = _reference_near(index, typed, max_edits)
            assert sorted(index.prefixes_near(typed, max_edits=max_edits)) == sorted(near)
            for budget in (0, 1, 2):
                within, longest = index.prefixes_within(
                    typed, max_edits=max_edits, budget=budget, long_prefixes=True
                )
                expected = {(p, OSA.distance(typed, p)) for p in near}
                assert sorted(within) == sorted(
                    (p, edits, *_weight_and_bound(index, p))
                    for p, edits in expected
                    if edits <= budget
                ), (typed, max_edits, budget)
                assert sorted(longest) == sorted(p for p in near if len(p) == MAX_INDEXED_CHARS)
                _, none = index.prefixes_within(typed, max_edits=max_edits, budget=budget)
                assert none == []


def test_prefixes_within_needs_a_budget() -> None:
    index = SpellingIndex.build(TITLES)
    with pytest.raises(ValueError, match="budget"):
        index.prefixes_within("lebowdk", max_edits=1, budget=-1)


def test_probe_rejects_bad_arrays_and_arguments() -> None:
    index = SpellingIndex.build(TITLES)
    arrays = [
        index.postings_first,
        index.postings,
        index.prefix_starts,
        index.prefix_chars,
        index.prefix_log_weight,
        index.prefix_best_prior,
    ]
    with pytest.raises(TypeError, match="callable"):
        DeletionProbe(None, *arrays)  # type: ignore[arg-type]
    for position in range(6):
        wrong = list(arrays)
        wrong[position] = np.zeros(4, dtype=np.float64)
        kind = "integers" if position < 4 else "floats"
        with pytest.raises(ValueError, match=f"32-bit {kind}"):
            DeletionProbe(index.deletions.get, *wrong)
    empty = np.zeros(0, dtype=np.int32)
    with pytest.raises(ValueError, match="one more entry"):
        DeletionProbe(index.deletions.get, empty, *arrays[1:2], empty, *arrays[3:])
    with pytest.raises(ValueError, match="one entry per prefix"):
        DeletionProbe(index.deletions.get, *arrays[:4], arrays[4][:-1], arrays[5])
    probe = DeletionProbe(index.deletions.get, *arrays)
    assert (
        probe.near("slep", 8, 1, 1, 0)[0] == index.prefixes_within("slep", max_edits=1, budget=1)[0]
    )
    with pytest.raises(ValueError, match="deletion depth"):
        probe.near("slep", 8, 3, 1, 0)
    with pytest.raises(TypeError, match="near"):
        probe.near(b"slep", 8, 1, 1, 0)  # type: ignore[arg-type]


def _probe_arrays(index: SpellingIndex) -> list[np.ndarray]:
    return [
        np.array(getattr(index, name))
        for name in (
            "postings_first",
            "postings",
            "prefix_starts",
            "prefix_chars",
            "prefix_log_weight",
            "prefix_best_prior",
        )
    ]


def test_probe_refuses_offsets_outside_its_arrays() -> None:
    # Arrays that never went through load's checks: the probe still reads nothing outside them
    # (under AddressSanitizer, scripts/check_extensions.sh, a stray read would abort).
    index = SpellingIndex.build(TITLES)
    deletion = index.deletions.get("slep")
    assert deletion is not None
    postings_first, postings, starts, chars, weights, bests = _probe_arrays(index)
    for low, high in ((len(postings) + 1000, len(postings) + 1004), (5, 2), (-8, 1)):
        first = postings_first.copy()
        first[deletion], first[deletion + 1] = low, high
        probe = DeletionProbe(index.deletions.get, first, postings, starts, chars, weights, bests)
        with pytest.raises(IndexError, match="outside the postings"):
            probe.near("slep", 8, 1, 1, 0)
    near = index.prefixes.get("sleep")
    assert near is not None
    for low, high in ((len(chars) + 1000, len(chars) + 1006), (4, 1), (-3, 2)):
        bad_starts = starts.copy()
        bad_starts[near], bad_starts[near + 1] = low, high
        probe = DeletionProbe(
            index.deletions.get, postings_first, postings, bad_starts, chars, weights, bests
        )
        with pytest.raises(IndexError, match="characters"):
            probe.near("slep", 8, 1, 1, 0)


@pytest.mark.parametrize(
    ("name", "damage", "message"),
    [
        ("postings_first", lambda a: a.__setitem__(3, a[-1] + 7), "offsets decrease"),
        ("postings_first", lambda a: a.__setitem__(-1, a[-1] + 1), "expected 0.."),
        ("postings", lambda a: a.__setitem__(0, 10**6), "outside"),
        ("postings", lambda a: a.__setitem__(0, -1), "outside"),
        ("prefix_starts", lambda a: a.__setitem__(2, 10**6), "offsets decrease"),
        ("prefix_chars", lambda a: a.__setitem__(0, 0x110000), "outside"),
    ],
)
def test_load_checks_offsets_before_the_probe_sees_them(
    tmp_path: Path, name: str, damage: object, message: str
) -> None:
    index = SpellingIndex.build(TITLES)
    index.save(tmp_path)
    array = np.load(tmp_path / f"{name}.npy")
    damage(array)  # type: ignore[operator]
    np.save(tmp_path / f"{name}.npy", array)
    with pytest.raises(IndexFormatError, match=rf"{name}\.npy: .*{message}"):
        SpellingIndex.load(tmp_path)


def test_load_checks_lengths_and_types(tmp_path: Path) -> None:
    index = SpellingIndex.build(TITLES)
    index.save(tmp_path)
    np.save(tmp_path / "prefix_best_prior.npy", index.prefix_best_prior[:-1])
    with pytest.raises(IndexFormatError, match=r"prefix_best_prior\.npy: .* rows"):
        SpellingIndex.load(tmp_path)
    np.save(tmp_path / "prefix_best_prior.npy", index.prefix_best_prior.astype(np.float64))
    with pytest.raises(IndexFormatError, match=r"prefix_best_prior\.npy: holds float64"):
        SpellingIndex.load(tmp_path)
    (tmp_path / "deletions.marisa").unlink()
    with pytest.raises(IndexFormatError, match=r"deletions\.marisa: not a readable trie"):
        SpellingIndex.load(tmp_path)


def test_probe_gathers_long_postings() -> None:
    # Every six-letter word over "abc": the probe gathers many postings (with repeats) from
    # the short variants, past its first buffer of 256.
    words = ["".join(letters) for letters in itertools.product("abc", repeat=6)]
    index = SpellingIndex.build([([word], -1.0) for word in words])
    for typed in ("abcabc", "cabbac", "bcaacb"):
        near = _reference_near(index, typed, 2)
        gathered = 0
        for variant in deletion_variants(typed, deletion_depth(len(typed))):
            deletion = index.deletions.get(variant)
            if deletion is not None:
                gathered += index.postings_first[deletion + 1] - index.postings_first[deletion]
        assert gathered > 256
        within, _ = index.prefixes_within(typed, max_edits=2, budget=2)
        assert sorted(within) == sorted(
            (p, edits, *_weight_and_bound(index, p))
            for p in near
            if (edits := OSA.distance(typed, p)) <= 2
        )
