"""Multi-word queries through ``Autocomplete.suggest``: the words people remember, in any order,
with or without the year (issue 15)."""

from __future__ import annotations

import time

import pytest

from autocomplete import Autocomplete
from autocomplete.rank.multiword import FITTED_COSTS, WordCosts, year_of


@pytest.fixture(scope="module")
def before(movies: Autocomplete) -> Autocomplete:
    """The same index with the word reading off: the engine as it was."""
    return Autocomplete(movies.index, word_costs=None)


def _first(engine: Autocomplete, query: str, **options: object) -> str:
    found = engine.suggest(query, 5, **options)  # type: ignore[arg-type]
    assert found, query
    return found[0].label


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ("harry potter chamber", "Harry Potter and the Chamber of Secrets"),
        ("lord rings two towers", "The Lord of the Rings: The Two Towers"),
        ("lord of the rings two towers", "The Lord of the Rings: The Two Towers"),
        ("lord rings fellowsh", "The Lord of the Rings: The Fellowship of the Ring"),
        ("star wars phantom mena", "Star Wars: Episode I - The Phantom Menace"),
        ("star wars empire", "Star Wars: Episode V - The Empire Strikes Back"),
        ("how lose gu", "How to Lose a Guy in 10 Days"),
        ("cat hot ti", "Cat on a Hot Tin Roof"),
        ("indiana jones temple do", "Indiana Jones and the Temple of Doom"),
        ("towers two lord", "The Lord of the Rings: The Two Towers"),
    ],
)
def test_the_words_people_remember_find_the_title(
    movies: Autocomplete, before: Autocomplete, query: str, title: str
) -> None:
    assert _first(movies, query) == title
    # ...which the prefix reading alone did not.
    assert [s.label for s in before.suggest(query, 1)] != [title]


def test_contiguous_matches_still_come_first(movies: Autocomplete, before: Autocomplete) -> None:
    for query in ("the big", "the lord of", "star wars"):
        prefix_only = [s.id for s in before.suggest(query, 5)]
        # The same titles first; scattered-word matches may only fill the list up.
        assert [s.id for s in movies.suggest(query, 5)][: len(prefix_only)] == prefix_only
    found = movies.suggest("the big", 10)
    assert found[0].label == "The Big Lebowski"
    # Every one is a contiguous "the big", in its title or in an English title it is known by
    # ("Le Grand bleu", The Big Blue): none reached by scattered words.
    assert all(
        s.label.startswith("The Big") or (s.matched_alias or "").startswith("The Big")
        for s in found
    )


def test_years_pick_the_remake(movies: Autocomplete) -> None:
    assert _first(movies, "psycho 1998") == "Psycho (1998)"
    assert _first(movies, "king kong 1976") == "King Kong (1976)"
    top = movies.suggest("psycho 1998", 1)[0]
    assert top.metadata["year"] == 1998 and not top.corrected
    # Half a year is still a title being typed, not a year.
    assert year_of("19") is None
    assert movies.suggest("psycho 19", 5)


def test_no_false_did_you_mean(movies: Autocomplete) -> None:
    top = movies.suggest("harry potter chamber", 1)[0]
    assert top.text == "Harry Potter and the Chamber of Secrets"
    assert top.corrected is False and top.corrected_query is None
    assert top.match == "words"
    # A misspelled word is still corrected, and said so.
    typo = movies.suggest("hary potter chamber", 1)[0]
    assert typo.text == "Harry Potter and the Chamber of Secrets"
    assert typo.corrected and typo.corrected_query == "harry potter chamber"


def test_spans_mark_every_matched_word(movies: Autocomplete) -> None:
    top = movies.suggest("harry potter chamber", 1)[0]
    assert [top.text[a:b] for a, b in top.spans] == ["Harry", "Potter", "Chamber"]
    top = movies.suggest("lebowski bi", 1)[0]
    assert [top.text[a:b] for a, b in top.spans] == ["Bi", "Lebowski"]
    top = movies.suggest("star wars phantom mena", 1)[0]
    assert [top.text[a:b] for a, b in top.spans] == ["Star", "Wars", "Phantom", "Mena"]


def test_words_present_as_when_aligned_again(movies: Autocomplete) -> None:
    """A title the word reading returned is presented from how retrieval reached it: the same
    suggestion, spans, reading and costs as aligning the typed words with it again."""
    from autocomplete.engine import facade

    presented = 0
    for query in (
        "harry potter chamber",
        "hary potter chamber",
        "lebowski bi",
        "towers two lord",
        "psycho 1998",
        "the of of",
        "lord rings fellowsh",
        "star wars phantom mena",
    ):
        engine = Autocomplete(movies.index)
        request = engine._request(facade._parse(query, 10), 10, None, None, None)
        words_read: dict[str, facade._WordsRead] = {}
        found = engine._retrieve(request, words_read)
        assert words_read[query].terms is not None
        kept = engine._present_ranked(found, request, words_read)
        # Without what retrieval read, each title is aligned again (``match_title``).
        assert engine._present_ranked(found, request) == kept, query
        assert kept == engine.suggest(query, 10)
        presented += sum(suggestion.match == "words" for suggestion in kept)
    assert presented >= 15


def test_taken_as_typed_and_filtered(movies: Autocomplete) -> None:
    assert movies.suggest("lebowski big", 1, correct=False)[0].text == "The Big Lebowski"
    assert movies.suggest("hary poter chamber", 3, correct=False) == [] or all(
        not s.corrected for s in movies.suggest("hary poter chamber", 3, correct=False)
    )
    found = movies.suggest("night liv", 5, where={"year": (1985, 1995)})
    assert found and all(1985 <= int(str(s.metadata["year"])) <= 1995 for s in found)


def _engine(records: list[dict[str, object]]) -> Autocomplete:
    return Autocomplete.from_catalog(records, weight_field="votes", id_field="id")


def test_a_skipped_stop_word_costs_less_than_a_content_word() -> None:
    assert FITTED_COSTS.stop_skip < FITTED_COSTS.content_skip
    engine = _engine(
        [
            {"id": "1", "title": "Alpha Beta Omega", "votes": 100},
            {"id": "2", "title": "Alpha of Omega", "votes": 100},
            {"id": "3", "title": "Unrelated", "votes": 100},
        ]
    )
    assert [s.id for s in engine.suggest("alpha omeg", 2)] == ["2", "1"]


def test_a_stop_word_out_of_order_costs_more_than_a_content_word() -> None:
    # "alpha b": Beta Alpha Gamma has its content words swapped; By Alpha Gamma, a little more
    # popular, would need its stop word "by" moved after "alpha", which people do not do.
    assert FITTED_COSTS.inversion < FITTED_COSTS.stop_inversion
    engine = _engine(
        [
            {"id": "content", "title": "Beta Alpha Gamma", "votes": 100},
            {"id": "stop", "title": "By Alpha Gamma", "votes": 150},
            {"id": "other", "title": "Unrelated", "votes": 100},
        ]
    )
    assert [s.id for s in engine.suggest("alpha b", 2)] == ["content", "stop"]


def test_a_well_known_title_by_skipped_words_beats_an_obscure_contiguous_one() -> None:
    engine = _engine(
        [
            {"id": "famous", "title": "Night of the Living Dead", "votes": 200_000},
            {"id": "obscure", "title": "Night Living", "votes": 3},
        ]
        + [{"id": f"f{n}", "title": f"Filler {n}", "votes": 50} for n in range(200)]
    )
    assert [s.id for s in engine.suggest("night liv", 2)] == ["famous", "obscure"]


def test_common_words_answer_in_bounded_time(movies: Autocomplete) -> None:
    started = time.perf_counter()
    for query in ("the of a the", "a the of", "the the the the the the the t", "of a in the"):
        movies.suggest(query, 10)
    assert time.perf_counter() - started < 2.0


def test_the_costs_are_validated() -> None:
    with pytest.raises(ValueError, match="stop_skip"):
        WordCosts(entry=1.0, stop_skip=-1.0, content_skip=1.0, inversion=1.0)
    with pytest.raises(ValueError, match="stop_inversion"):
        WordCosts(entry=1.0, stop_skip=0.5, content_skip=1.0, inversion=1.0, stop_inversion=-1.0)


def test_saved_and_loaded_engines_read_words_alike(tmp_path: object) -> None:
    from pathlib import Path

    engine = _engine(
        [
            {"id": "1", "title": "The Big Lebowski", "votes": 1000},
            {"id": "2", "title": "Big Fish", "votes": 500},
        ]
    )
    directory = Path(str(tmp_path)) / "index"
    engine.save(directory)
    loaded = Autocomplete.load(directory)
    assert [s.id for s in loaded.suggest("lebowski bi", 2)] == ["1"]
    assert [s.id for s in engine.suggest("lebowski bi", 2)] == ["1"]


def test_no_did_you_mean_when_the_typed_words_are_in_a_corrected_match() -> None:
    # With the word reading off, "gray bi" reaches Big Gray Bear only as the correction
    # "gray be(ar)"; but "gray" and "bi" are both in the title, so it is no correction.
    engine = _engine(
        [
            {"id": "1", "title": "Big Gray Bear", "votes": 5000},
            {"id": "2", "title": "Small Fox", "votes": 10},
        ]
    )
    prefix_only = Autocomplete(engine.index, word_costs=None)
    for query in ("gray bi", "gray big "):
        top = prefix_only.suggest(query, 1)[0]
        assert top.text == "Big Gray Bear"
        assert top.corrected is False and top.corrected_query is None


@pytest.mark.parametrize("price_blocks", [True, False], ids=["numpy-blocks", "aligner-only"])
def test_top_k_is_the_exact_top_k_of_the_alignment(
    price_blocks: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The block walk (early stop; large blocks priced in NumPy, as without the C aligner, or
    every title through the aligner, as with it) finds exactly the k best titles that aligning
    every title one by one finds, at the same costs to the bit."""
    import random

    import numpy as np

    from autocomplete.index.word_index import Term, build_word_index
    from autocomplete.rank import multiword
    from autocomplete.rank.multiword import (
        WordReader,
        corrected_reading,
        highlight,
        presented,
        read_terms,
    )

    monkeypatch.setattr(multiword, "PRICES_BLOCKS_IN_NUMPY", price_blocks)

    rng = random.Random(11)
    vocabulary = [f"w{number}" for number in range(30)] + ["the", "of", "a", "and"]
    titles = [
        " ".join(rng.choice(vocabulary) for _ in range(rng.randint(1, 8))) for _ in range(4000)
    ]
    priors = np.array([-rng.random() * 12 for _ in titles], dtype=np.float32)
    index = build_word_index(titles, priors, [None] * len(titles))
    reader = WordReader(index)
    checked = corrected = 0
    for _ in range(80):
        typed = " ".join(rng.choice(vocabulary) for _ in range(rng.randint(2, 4)))
        if rng.random() < 0.5:
            typed = typed[: rng.randint(len(typed) - 2, len(typed))].rstrip()
        terms = read_terms(typed, index, None)
        if terms is None:
            continue
        if rng.random() < 0.4:  # a finished word typed with a slip, read as the word
            slipped = rng.randrange(len(terms))
            if not terms[slipped].is_prefix and terms[slipped].ranges:
                (read_as,) = terms[slipped].ranges
                misspelled = Term(read_as.text + "q", (read_as._replace(cost=1.5),))
                terms = (*terms[:slipped], misspelled, *terms[slipped + 1 :])
        found = reader.top_k(terms, 10)
        every = [reader.match_title(terms, title) for title in range(len(titles))]
        expected = sorted(
            (match for match in every if match is not None),
            key=lambda match: (-match.score, int(index.title_rank[match.title])),
        )[:10]
        assert [m.title for m in found] == [m.title for m in expected], typed
        for got, want in zip(found, expected, strict=True):
            assert got == want
        # Presenting: the spans and the "did you mean" as read from the title's words.
        for match in found:
            words = titles[match.title].split(" ")
            occur = all(
                placed < 0
                or (
                    any(word.startswith(term.typed) for word in words)
                    if term.is_prefix
                    else term.typed in words
                )
                for term, placed in zip(terms, match.positions, strict=True)
            )
            spans, reading = presented(titles[match.title], match, terms)
            assert (reading is None) == occur, typed
            corrected += reading is not None
            assert spans == highlight(titles[match.title], match, terms)
            assert reading == corrected_reading(titles[match.title], match, terms)
            starts = [sum(len(word) + 1 for word in words[:at]) for at in match.positions]
            assert sorted(start for start, _ in spans) == sorted(
                start for start, placed in zip(starts, match.positions, strict=True) if placed >= 0
            )
        # What the walk's bound rests on: without a year, every title returned skips a word or
        # swaps two, so it pays at least the spelling, the entry and the cheapest of those.
        for match in every:
            if match is not None and not match.year:
                assert match.skipped_stop + match.skipped_content + match.inversions >= 1
                assert match.cost >= match.spelling + FITTED_COSTS.inversion, typed
        checked += bool(expected)
    assert checked >= 40
    assert corrected >= 10


def test_the_phrase_check_answers_as_the_trie_when_asked_again(movies: Autocomplete) -> None:
    """The correction search's phrase check keeps its answers for phrases of complete words;
    each answer, first or kept, is the trie's, and a half-typed phrase is never kept."""
    from autocomplete.engine.facade import _phrase_checker

    index = movies.index
    asked: list[str] = []

    class Counting:
        """The index's ``has_phrase``, counting the trie's answers."""

        def has_phrase(self, text: str) -> bool:
            asked.append(text)
            return index.has_phrase(text)

    exists = _phrase_checker(Counting())  # type: ignore[arg-type]
    phrases = ["road ", "road to ", "road to perdition ", "zzq ", "harry potter ", "harry pot",
               "the dark knight", "lord rings ", "lebowski big "]  # fmt: skip
    expected = [index.has_phrase(text) for text in phrases]
    assert True in expected and False in expected
    for _ in range(3):
        assert [exists(text) for text in phrases] == expected
    complete = [text for text in phrases if text.endswith(" ")]
    half = [text for text in phrases if not text.endswith(" ")]
    assert sorted(asked) == sorted(complete + half * 3)
