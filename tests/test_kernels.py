"""The compiled kernels and their plain-Python twins: chosen at import, equal in every answer.

``test_align.py`` runs the alignment kernel both ways; this file does the same for the deletion
probe, the word index's conjunctive check and the scattered-words aligner, checks which kernels
the import sites chose, and
(slow) that a whole engine answers the same on the twins as on the compiled build.
``AUTOCOMPLETE_KERNELS=python`` runs any other test file on the twins
(``scripts/check_extensions.sh`` does so for the kernels' tests).
"""

from __future__ import annotations

import os
import random
from types import ModuleType

import numpy as np
import pytest

import autocomplete.index._nearby
import autocomplete.index._nearby_python
import autocomplete.index._words
import autocomplete.index._words_python
import autocomplete.rank._alignwords
import autocomplete.rank._alignwords_python
import autocomplete.spell._align
import autocomplete.spell._align_python
from autocomplete._kernels import KERNELS_VARIABLE
from autocomplete.index import spelling as spelling_index
from autocomplete.index import word_index
from autocomplete.index.spelling import MAX_INDEXED_CHARS, SpellingIndex
from autocomplete.rank import multiword
from autocomplete.spell import alignment
from kernel_answers import QUERIES, engine_answers

PROBES = [autocomplete.index._nearby, autocomplete.index._nearby_python]
TERM_FILTERS = [autocomplete.index._words, autocomplete.index._words_python]
ALIGNERS = [autocomplete.rank._alignwords, autocomplete.rank._alignwords_python]


def _python_asked() -> bool:
    return os.environ.get(KERNELS_VARIABLE, "").strip().lower() == "python"


def test_the_import_sites_run_the_kernels_the_install_built() -> None:
    # A normal install compiles both kernels, and the library uses them; the twins run only
    # when asked (the tests' second way) or when a compiled module is missing, which fails here.
    align, nearby, words, alignwords = (
        (
            autocomplete.spell._align_python,
            autocomplete.index._nearby_python,
            autocomplete.index._words_python,
            autocomplete.rank._alignwords_python,
        )
        if _python_asked()
        else (
            autocomplete.spell._align,
            autocomplete.index._nearby,
            autocomplete.index._words,
            autocomplete.rank._alignwords,
        )
    )
    assert alignment.Pricer is align.Pricer and alignment.align is align.align
    assert spelling_index.DeletionProbe is nearby.DeletionProbe
    assert word_index.TermFilter is words.TermFilter
    assert multiword.TitleAligner is alignwords.TitleAligner


def _random_index(seed: int) -> tuple[SpellingIndex, list[str]]:
    generator = random.Random(seed)
    letters = "etaoinshrdlcum" + "éжß7"
    words = [
        "".join(generator.choice(letters) for _ in range(generator.randint(1, 12)))
        for _ in range(400)
    ]
    titles = [(words[start : start + 3], -float(start % 17)) for start in range(0, 400, 3)]
    typed = [
        "".join(generator.choice(letters) for _ in range(generator.randint(0, 14)))
        for _ in range(200)
    ]
    typed += [word[: generator.randint(1, len(word))] for word in words[:200]]
    return SpellingIndex.build(titles), typed


def _arrays(index: SpellingIndex) -> list[np.ndarray]:
    return [
        index.postings_first,
        index.postings,
        index.prefix_starts,
        index.prefix_chars,
        index.prefix_log_weight,
        index.prefix_best_prior,
    ]


def test_the_probes_give_the_same_answers_in_the_same_order() -> None:
    index, typed_words = _random_index(seed=11)
    compiled = autocomplete.index._nearby.DeletionProbe(index.deletions.get, *_arrays(index))
    twin = autocomplete.index._nearby_python.DeletionProbe(index.deletions.get, *_arrays(index))
    answered = 0
    for typed in [*typed_words, "x" * 100, ""]:
        for depth in (0, 1, 2):
            for budget in (-1, 0, 1, 2):
                for long_length in (0, MAX_INDEXED_CHARS, 3):
                    arguments = (typed, MAX_INDEXED_CHARS, depth, budget, long_length)
                    found = twin.near(*arguments)
                    assert found == compiled.near(*arguments), arguments
                    answered += bool(found[0])
    assert answered > 1000  # most cases found something to compare


@pytest.mark.parametrize("kernel", PROBES, ids=["compiled", "python"])
def test_each_probe_rejects_bad_arrays_and_arguments(kernel: ModuleType) -> None:
    index, _ = _random_index(seed=1)
    arrays = _arrays(index)
    probe_type = kernel.DeletionProbe
    with pytest.raises(TypeError, match="callable"):
        probe_type(None, *arrays)
    for position in range(6):
        wrong = list(arrays)
        wrong[position] = np.zeros(4, dtype=np.float64)
        kind = "integers" if position < 4 else "floats"
        with pytest.raises(ValueError, match=f"32-bit {kind}"):
            probe_type(index.deletions.get, *wrong)
    empty = np.zeros(0, dtype=np.int32)
    with pytest.raises(ValueError, match="one more entry"):
        probe_type(index.deletions.get, empty, *arrays[1:2], empty, *arrays[3:])
    with pytest.raises(ValueError, match="one entry per prefix"):
        probe_type(index.deletions.get, *arrays[:4], arrays[4][:-1], arrays[5])
    probe = probe_type(index.deletions.get, *arrays)
    with pytest.raises(ValueError, match="deletion depth is 0 to 2, got 3"):
        probe.near("slep", 8, 3, 1, 0)
    with pytest.raises(TypeError, match="near"):
        probe.near(b"slep", 8, 1, 1, 0)
    with pytest.raises(ValueError, match="probe_length is at most 64"):
        probe.near("x" * 70, 70, 1, 1, 0)
    # A lookup that answers a deletion id past the postings is refused, not read past the end.
    lying = probe_type(lambda variant: len(arrays[0]) + 5, *arrays)
    with pytest.raises(IndexError, match="outside the postings"):
        lying.near("slep", 8, 1, 1, 0)


def _random_forward(
    generator: random.Random, titles: int, vocabulary: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Forward lists of random titles: some without words, some with a word twice or thrice,
    a few years (0 is no year), as ``word_index`` lays them out."""
    lists = []
    for _ in range(titles):
        length = generator.choice([0, 0, 1, 2, 3, 4, 6, 9, 32])
        words = [generator.randrange(vocabulary) for _ in range(length)]
        if words and generator.random() < 0.3:
            words.append(generator.choice(words))  # a word repeated in the title
        lists.append(words)
    forward_first = np.zeros(titles + 1, dtype=np.int64)
    np.cumsum([len(words) for words in lists], out=forward_first[1:])
    forward = np.array([word for words in lists for word in words], dtype=np.int32)
    rank_year = np.array(
        [generator.choice([0, 0, 1998, 1999, 2001]) for _ in range(titles)], dtype=np.int32
    )
    return forward_first, forward, rank_year


def _random_checks(generator: random.Random, vocabulary: int) -> list[word_index.TermCheck]:
    checks: list[word_index.TermCheck] = []
    for _ in range(generator.randint(0, 4)):
        ranges: list[tuple[int, int]] = []
        for _ in range(generator.choice([0, 1, 1, 1, 2, 3])):
            lo = generator.choice([0, vocabulary - 1, generator.randrange(vocabulary)])
            width = generator.choice([0, 1, 1, 2, 5, vocabulary])  # empty, one word, a prefix
            ranges.append((lo, min(lo + width, vocabulary + 3)))
        year = generator.choice([None, None, 1998, 2001, 0, -5])
        checks.append((tuple(ranges), year, generator.choice([1, 1, 1, 2, 3, 0])))
    return checks


def test_the_term_filters_keep_the_same_ranks() -> None:
    generator = random.Random(17)
    compared = kept_some = kept_all_of = 0
    for _ in range(40):
        vocabulary = generator.choice([1, 2, 7, 60])
        titles = generator.randint(1, 300)
        arrays = _random_forward(generator, titles, vocabulary)
        compiled = autocomplete.index._words.TermFilter(*arrays)
        twin = autocomplete.index._words_python.TermFilter(*arrays)
        for _ in range(100):
            size = generator.choice([0, 1, 2, 17, 256, 300])
            block = np.array([generator.randrange(titles) for _ in range(size)], dtype=np.int32)
            if generator.random() < 0.5:
                block.sort()
            checks = _random_checks(generator, vocabulary)
            kept_c = np.full(size + 3, -7, dtype=np.int32)
            kept_p = np.full(size + 3, -7, dtype=np.int32)
            count = compiled.keep(block, checks, kept_c)
            assert twin.keep(block, checks, kept_p) == count, (block, checks)
            assert kept_c.tolist() == kept_p.tolist(), (block, checks)  # nothing past count
            if compared % 8 == 0:  # and, for some, against the statement itself (slow)
                expected = [
                    int(rank)
                    for rank in block
                    if all(_satisfies(arrays, int(rank), check) for check in checks)
                ]
                assert kept_c[:count].tolist() == expected
            compared += 1
            kept_some += 0 < count < size
            kept_all_of += count == size > 0
    assert compared == 4000 and kept_some > 1000 and kept_all_of > 100


def _satisfies(
    arrays: tuple[np.ndarray, np.ndarray, np.ndarray], rank: int, check: word_index.TermCheck
) -> bool:
    forward_first, forward, rank_year = arrays
    ranges, year, needed = check
    words = forward[forward_first[rank] : forward_first[rank + 1]].tolist()
    hits = sum(any(lo <= word < hi for lo, hi in ranges) for word in words)
    return hits + (year is not None and int(rank_year[rank]) == year) >= needed


def test_the_kernels_find_the_same_common_ranks() -> None:
    generator = np.random.default_rng(23)
    for _ in range(300):
        low, high = [(0, 5), (0, 60), (-3, 1000), (-(2**31), 2**31 - 1)][generator.integers(4)]
        first, second = (
            np.unique(generator.integers(low, high, size=generator.integers(0, 300))).astype(
                np.int32
            )
            for _ in range(2)
        )
        expected = sorted(set(first.tolist()) & set(second.tolist()))
        for kernel in TERM_FILTERS:
            out = np.full(min(len(first), len(second)) + 2, -7, dtype=np.int32)
            count = kernel.common_ranks(first, second, out)
            assert out[:count].tolist() == expected, kernel
            assert out[count:].tolist() == [-7] * (len(out) - count)  # nothing written past


@pytest.mark.parametrize("kernel", TERM_FILTERS, ids=["compiled", "python"])
def test_each_common_ranks_rejects_bad_arrays(kernel: ModuleType) -> None:
    rising = np.array([1, 4, 9], dtype=np.int32)
    out = np.zeros(3, dtype=np.int32)
    for unsorted in ([1, 1, 2], [3, 2]):
        with pytest.raises(ValueError, match="strictly ascending"):
            kernel.common_ranks(rising, np.array(unsorted, dtype=np.int32), out)
        with pytest.raises(ValueError, match="strictly ascending"):
            kernel.common_ranks(np.array(unsorted, dtype=np.int32), rising, out)
    with pytest.raises(ValueError, match="out holds 2"):
        kernel.common_ranks(rising, rising, out[:2])
    with pytest.raises(ValueError, match="32-bit"):
        kernel.common_ranks(rising.astype(np.int64), rising, out)
    out.flags.writeable = False
    with pytest.raises(ValueError):
        kernel.common_ranks(rising, rising, out)
    with pytest.raises(TypeError):
        kernel.common_ranks(rising, [1, 4, 9], np.zeros(3, dtype=np.int32))


@pytest.mark.parametrize("kernel", TERM_FILTERS, ids=["compiled", "python"])
def test_each_term_filter_rejects_bad_arrays_and_arguments(kernel: ModuleType) -> None:
    forward_first = np.array([0, 2, 2, 5], dtype=np.int64)
    forward = np.array([3, 1, 0, 4, 3], dtype=np.int32)
    rank_year = np.array([1998, 0, 2001], dtype=np.int32)
    term_filter = kernel.TermFilter(forward_first, forward, rank_year)
    block = np.array([2, 0, 1], dtype=np.int32)
    kept = np.zeros(3, dtype=np.int32)
    assert term_filter.keep(block, [(((3, 4),), None, 1)], kept) == 2
    assert kept[:2].tolist() == [2, 0]
    assert term_filter.keep(block, [((), 2001, 1)], kept) == 1 and kept[0] == 2

    arrays = [forward_first, forward, rank_year]
    for position, bits in enumerate((64, 32, 32)):
        for wrong_type in (np.float64, np.uint32, np.int16, np.int32 if bits == 64 else np.int64):
            wrong = list(arrays)
            wrong[position] = arrays[position].astype(wrong_type)
            with pytest.raises(ValueError, match=f"must be an array of {bits}-bit integers"):
                kernel.TermFilter(*wrong)
    with pytest.raises(TypeError):
        kernel.TermFilter(forward_first, [3, 1, 0], rank_year)  # not a buffer
    with pytest.raises(ValueError, match="one more entry"):
        kernel.TermFilter(np.zeros(0, dtype=np.int64), forward, rank_year[:0])
    with pytest.raises(ValueError, match="one entry per title"):
        kernel.TermFilter(forward_first, forward, rank_year[:2])

    with pytest.raises(ValueError, match="block must be an array of 32-bit integers"):
        term_filter.keep(block.astype(np.int64), [], kept)
    with pytest.raises(ValueError, match="kept must be an array of 32-bit integers"):
        term_filter.keep(block, [], kept.astype(np.float32))
    with pytest.raises(ValueError, match=r"contiguous|32-bit integers"):
        term_filter.keep(block, [], np.zeros(6, dtype=np.int32)[::2])  # every other element
    with pytest.raises(ValueError, match=r"contiguous|32-bit integers"):
        term_filter.keep(np.zeros(6, dtype=np.int32)[::2], [], kept)
    read_only = np.zeros(3, dtype=np.int32)
    read_only.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        term_filter.keep(block, [], read_only)
    with pytest.raises(ValueError, match="kept holds 2 ranks, the block 3"):
        term_filter.keep(block, [], kept[:2])
    for terms in (
        None,
        [None],
        [((3, 4), None)],
        [(((3,),), None, 1)],
        [(((3, 4),), "x", 1)],
        [(((3, 4),), None, None)],
        [("ab", None, 1)],
        [(((3.0, 4),), None, 1)],  # a float is not a word id, even a whole one
        [(((3, 4),), 1998.0, 1)],
        [((3,), None, 1)],
        (term for term in [None]),  # any iterable of terms is read, and checked
    ):
        with pytest.raises(TypeError, match="terms must be a sequence"):
            term_filter.keep(block, terms, kept)
    # Terms that change while they are read: what was passed is read, and nothing crashes.
    changing: list[object] = []

    class ClearsTheTerms:
        def __iter__(self) -> object:
            changing.clear()
            return iter([(3, 4)])

    changing.extend([(ClearsTheTerms(), None, 1), (((0, 1),), None, 1)])
    assert term_filter.keep(block, changing, kept) == 1 and kept[0] == 2
    # Ranks and offsets outside the arrays raise, never read past them.
    for rank in (3, -1, 2**31 - 1):
        with pytest.raises(IndexError, match=f"rank {rank} outside the word index"):
            term_filter.keep(np.array([0, rank], dtype=np.int32), [], kept)
    for damaged_first in ([0, 2, 1, 5], [0, 2, 2, 6], [-1, 2, 2, 5]):
        damaged = kernel.TermFilter(np.array(damaged_first, dtype=np.int64), forward, rank_year)
        with pytest.raises(IndexError, match="outside the forward index"):
            damaged.keep(np.array([0, 1, 2], dtype=np.int32), [(((0, 5),), None, 1)], kept)


def _keep_table(max_alignments: int, max_terms: int) -> tuple[int, ...]:
    """``WordReader``'s table: options kept per word of ``n`` when the assignments are many."""
    return tuple(max(2, int(max_alignments ** (1 / count))) for count in range(1, max_terms + 1))


def _random_aligner_arrays(
    generator: random.Random, titles: int, vocabulary: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Random forward lists (no words, repeated words, years; long titles of few distinct
    words, whose assignments overflow the limit) and random stop-word flags."""
    forward_first, forward, rank_year = _random_forward(generator, titles, vocabulary)
    if generator.random() < 0.3:  # titles made of two or three words over and over
        lists = [
            [generator.randrange(min(3, vocabulary)) for _ in range(generator.randint(0, 32))]
            for _ in range(titles)
        ]
        forward_first = np.zeros(titles + 1, dtype=np.int64)
        np.cumsum([len(words) for words in lists], out=forward_first[1:])
        forward = np.array([word for words in lists for word in words], dtype=np.int32)
    stop_words = np.array([generator.random() < 0.3 for _ in range(vocabulary)], dtype=np.int32)
    return forward_first, forward, rank_year, stop_words


COSTS = (0.0, 0.0, 0.1, 0.2, 0.5, 1.0, 1.5, 1.69, 2.25, 0.30000000000000004)
"""Costs that tie (the first cheapest must win) and that round differently summed another way."""


def _random_aligner_terms(
    generator: random.Random, vocabulary: int
) -> list[tuple[tuple[tuple[int, int, float], ...], int | None]]:
    terms = []
    for _ in range(generator.randint(1, multiword.MAX_TERMS)):
        ranges = []
        for _ in range(generator.choice([0, 1, 1, 1, 1, 2, 3, 4])):  # readings of a typo
            lo = generator.choice([0, vocabulary - 1, generator.randrange(vocabulary)])
            width = generator.choice([0, 1, 1, 1, 2, 5, vocabulary])  # empty, a word, a prefix
            ranges.append((lo, min(lo + width, vocabulary + 3), generator.choice(COSTS)))
        year = generator.choice([None, None, None, 1998, 2001, 0])
        terms.append((tuple(ranges), year))
    if generator.random() < 0.3:  # a word typed twice
        terms[-1] = generator.choice(terms)
    return terms


def test_the_aligners_align_the_same() -> None:
    generator = random.Random(23)
    compared = aligned = with_year = many = stop_inverted = 0
    for _ in range(60):
        vocabulary = generator.choice([1, 2, 3, 7, 40])
        titles = generator.randint(1, 200)
        arrays = _random_aligner_arrays(generator, titles, vocabulary)
        max_alignments = generator.choice([1, 4, 16, multiword.MAX_ALIGNMENTS])
        settings = (
            tuple(generator.choice(COSTS) for _ in range(5)),
            generator.choice([0, 1, 3]),
            max_alignments,
            _keep_table(max_alignments, multiword.MAX_TERMS),
        )
        compiled = autocomplete.rank._alignwords.TitleAligner(*arrays, *settings)
        twin = autocomplete.rank._alignwords_python.TitleAligner(*arrays, *settings)
        for _ in range(60):
            size = generator.choice([0, 1, 2, 17, 60])
            ranks = np.array([generator.randrange(titles) for _ in range(size)], dtype=np.int32)
            terms = _random_aligner_terms(generator, vocabulary)
            found = compiled.align(terms, ranks)
            # repr: the costs must agree to the bit, not only to a tolerance.
            assert repr(found) == repr(twin.align(terms, ranks)), (ranks, terms, settings)
            compared += 1
            aligned += len(found)
            with_year += sum(-1 in positions for *_, positions, _ in found)
            stop_inverted += sum(found_item[6] > 0 for found_item in found)
            many += sum(_assignments(arrays, rank, terms) > max_alignments for rank, *_ in found)
    assert compared == 3600 and aligned > 3000 and with_year > 100 and many > 300
    assert stop_inverted > 100  # pairs out of order with a stop word, priced apart


def _assignments(
    arrays: tuple[np.ndarray, ...],
    rank: int,
    terms: list[tuple[tuple[tuple[int, int, float], ...], int | None]],
) -> int:
    """Assignments of typed words to title positions before any is cut (the year counting)."""
    forward_first, forward, rank_year, _ = arrays
    words = forward[forward_first[rank] : forward_first[rank + 1]].tolist()
    total = 1
    for ranges, year in terms:
        hits = sum(any(lo <= word < hi for lo, hi, _ in ranges) for word in words)
        total *= hits + (year is not None and int(rank_year[rank]) == year)
    return total


def test_the_aligners_align_titles_as_the_reading_needs() -> None:
    # Hand-made titles (word 0 is a stop word): what the search must find, on both kernels.
    forward_first = np.array([0, 4, 7, 7, 10], dtype=np.int64)
    forward = np.array([0, 1, 2, 3, 2, 4, 2, 5, 6, 7], dtype=np.int32)
    rank_year = np.array([1998, 0, 2001, 2010], dtype=np.int32)
    stop_words = np.array([1, 0, 0, 0, 0, 0, 0, 0], dtype=np.int32)
    settings = ((2.0, 0.5, 1.5, 1.0, 4.0), 3, multiword.MAX_ALIGNMENTS, _keep_table(256, 8))
    for kernel in ALIGNERS:
        aligner = kernel.TitleAligner(forward_first, forward, rank_year, stop_words, *settings)
        ranks = np.array([0, 1, 2, 3], dtype=np.int32)
        # "w1 w3" on [the w1 w2 w3]: the stop word and w2 skipped, at 2 + 0.5 + 1.5.
        assert aligner.align([(((1, 2, 0.0),), None), (((3, 4, 0.0),), None)], ranks) == [
            (0, 4.0, 0.0, 1, 1, 0, 0, (1, 3), (0, 0))
        ]
        # "w1 the": the stop word out of order, at 2 + 4 (a content pair would cost 2 + 1).
        assert aligner.align([(((1, 2, 0.0),), None), (((0, 1, 0.0),), None)], ranks) == [
            (0, 6.0, 0.0, 0, 0, 1, 1, (1, 0), (0, 0))
        ]
        # "w2 w2": the title with w2 twice, out of order no cheaper than in order.
        assert aligner.align([(((2, 3, 0.0),), None), (((2, 3, 0.0),), None)], ranks) == [
            (1, 3.5, 0.0, 0, 1, 0, 0, (0, 2), (0, 0))
        ]
        # "w1 w2": a stretch from a word start, the prefix index's: nothing here.
        assert aligner.align([(((1, 2, 0.0),), None), (((2, 3, 0.0),), None)], ranks) == []
        # "the w1 1998": the title's words as typed, then its year: no entry cost.
        the_w1_1998 = [(((0, 1, 0.0),), None), (((1, 2, 0.0),), None), ((), 1998)]
        assert aligner.align(the_w1_1998, ranks) == [
            (0, 0.0, 0.0, 0, 0, 0, 0, (0, 1, -1), (0, 0, -1))
        ]
        # A year and a typo's two readings: at each position the first of least cost.
        assert aligner.align([((), 2010), (((6, 8, 0.5), (5, 7, 0.25)), None)], ranks) == [
            (3, 0.25, 0.25, 0, 0, 0, 0, (-1, 0), (-1, 1))
        ]
        # A title without words, reached by its year alone.
        assert aligner.align([((), 2001)], ranks) == [(2, 0.0, 0.0, 0, 0, 0, 0, (-1,), (-1,))]


@pytest.mark.parametrize("kernel", ALIGNERS, ids=["compiled", "python"])
def test_each_aligner_rejects_bad_arrays_and_arguments(kernel: ModuleType) -> None:
    forward_first = np.array([0, 2, 2, 5], dtype=np.int64)
    forward = np.array([3, 1, 0, 4, 3], dtype=np.int32)
    rank_year = np.array([1998, 0, 2001], dtype=np.int32)
    stop_words = np.array([1, 0, 0, 0, 0], dtype=np.int32)
    arrays = [forward_first, forward, rank_year, stop_words]
    settings: list[object] = [(2.0, 0.5, 1.5, 1.0, 4.0), 3, 256, _keep_table(256, 8)]
    aligner = kernel.TitleAligner(*arrays, *settings)
    ranks = np.array([2, 0, 1], dtype=np.int32)
    assert aligner.align([(((1, 2, 0.0),), None), (((3, 4, 0.0),), None)], ranks) == [
        (0, 3.0, 0.0, 0, 0, 1, 0, (1, 0), (0, 0))
    ]

    for position, bits in enumerate((64, 32, 32, 32)):
        for wrong_type in (np.float64, np.uint32, np.int16, np.int32 if bits == 64 else np.int64):
            wrong = list(arrays)
            wrong[position] = arrays[position].astype(wrong_type)
            with pytest.raises(ValueError, match=f"must be an array of {bits}-bit integers"):
                kernel.TitleAligner(*wrong, *settings)
    with pytest.raises(TypeError):
        kernel.TitleAligner(forward_first, [3, 1, 0], rank_year, stop_words, *settings)
    with pytest.raises(ValueError, match="one more entry"):
        kernel.TitleAligner(
            np.zeros(0, dtype=np.int64), forward, rank_year[:0], stop_words, *settings
        )
    with pytest.raises(ValueError, match="one entry per title"):
        kernel.TitleAligner(forward_first, forward, rank_year[:2], stop_words, *settings)
    bad_costs = ((2.0, 0.5, 1.5, 1.0), [2.0, 0.5, 1.5, 1.0, 4.0], (2.0, "0.5", 1.5, 1.0, 4.0), None)
    for costs in bad_costs:
        with pytest.raises(TypeError, match=r"costs must be|must be a number"):
            kernel.TitleAligner(*arrays, costs, *settings[1:])
    with pytest.raises(TypeError):
        kernel.TitleAligner(*arrays, settings[0], 3.0, *settings[2:])
    with pytest.raises(ValueError, match="max_alignments must be at least 1"):
        kernel.TitleAligner(*arrays, *settings[:2], 0, settings[3])
    for keep in ((), (2, 0, 2)):
        with pytest.raises(ValueError, match="keep needs a count"):
            kernel.TitleAligner(*arrays, *settings[:3], keep)
    with pytest.raises(TypeError):
        kernel.TitleAligner(*arrays, *settings[:3], (2.0, 3))

    with pytest.raises(ValueError, match="ranks must be an array of 32-bit integers"):
        aligner.align([((), 1998)], ranks.astype(np.int64))
    with pytest.raises(ValueError, match=r"contiguous|32-bit integers"):
        aligner.align([((), 1998)], np.zeros(6, dtype=np.int32)[::2])  # every other element
    for terms in (
        None,
        [None],
        [((1, 2, 0.0),)],
        [(((1, 2),), None)],
        [(((1, 2, "x"),), None)],
        [(((1.0, 2, 0.0),), None)],  # a float is not a word id, even a whole one
        [(((1, 2, 0.0),), 1998.0)],
        [("abc", None)],
        (term for term in [None]),  # any iterable of terms is read, and checked
    ):
        with pytest.raises(TypeError, match="terms must be a sequence"):
            aligner.align(terms, ranks)
    for terms in ([], [((), None)] * 9):
        with pytest.raises(ValueError, match=f"1 to 8 typed words, got {len(terms)}"):
            aligner.align(terms, ranks)
    # Terms that change while they are read: what was passed is read, and nothing crashes.
    changing: list[object] = []

    class ClearsTheTerms:
        def __iter__(self) -> object:
            changing.clear()
            return iter([(1, 2, 0.0)])

    changing.extend([(ClearsTheTerms(), None), (((3, 4, 0.0),), None)])
    assert len(aligner.align(changing, ranks)) == 1
    # Ranks, offsets and word ids outside the arrays raise, never read past them.
    for rank in (3, -1, 2**31 - 1):
        with pytest.raises(IndexError, match=f"rank {rank} outside the word index"):
            aligner.align([((), 1998)], np.array([0, rank], dtype=np.int32))
    for damaged_first in ([0, 2, 1, 5], [0, 2, 2, 6], [-1, 2, 2, 5]):
        damaged = kernel.TitleAligner(
            np.array(damaged_first, dtype=np.int64), forward, rank_year, stop_words, *settings
        )
        with pytest.raises(IndexError, match="outside the forward index"):
            damaged.align([((), 1998)], np.array([0, 1, 2], dtype=np.int32))
    for word in (5, -1):
        damaged = kernel.TitleAligner(
            forward_first,
            np.array([3, 1, word, 4, 3], dtype=np.int32),
            rank_year,
            stop_words,
            *settings,
        )
        assert damaged.align([((), 1998)], np.array([0, 1], dtype=np.int32))  # not read yet
        with pytest.raises(IndexError, match=f"word {word} of rank 2 outside the stop-word"):
            damaged.align([((), 1998)], np.array([0, 2], dtype=np.int32))


@pytest.mark.slow
def test_the_engine_answers_the_same_on_the_twins() -> None:
    compiled, quiet = engine_answers({KERNELS_VARIABLE: ""})
    twins, said = engine_answers({KERNELS_VARIABLE: "python"})
    assert twins == compiled
    assert sum(bool(answer) for answer in compiled.values()) >= len(QUERIES) - 1
    assert any(answer and answer[0][5] for answer in compiled.values())  # corrections made
    # Said once, through logging (the last-resort handler prints it to stderr), and only then.
    assert said.count("plain-Python twins") == 1 and "plain-Python" not in quiet


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("autocomplete.spell._align", "Pricer"),
        ("autocomplete.index._nearby", "DeletionProbe"),
        ("autocomplete.index._words", "TermFilter"),
        ("autocomplete.rank._alignwords", "TitleAligner"),
    ],
)
def test_the_compiled_kernels_use_multi_phase_init(module: str, name: str) -> None:
    # PEP 489: the import system creates the module and the extension fills it in a separate
    # step; a single-phase module would arrive already filled.
    import importlib.util

    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.loader is not None
    created = importlib.util.module_from_spec(spec)
    assert not hasattr(created, name)
    spec.loader.exec_module(created)
    assert hasattr(created, name)
