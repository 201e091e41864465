"""The translation channel: foreign titles reached by English words through the lexicon."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from autocomplete import Autocomplete
from autocomplete.index.bundled import data_directory
from autocomplete.spell.translation import (
    LEXICON_FILE,
    MAX_PREFIX_WORDS,
    MIN_LAST_PREFIX,
    SKIPPABLE,
    SKIPPED_WORD_COST,
    TRANSLATED_WORD_COST,
    UNMATCHED_WORD_COST,
    Lexicon,
    LexiconError,
    TranslationIndex,
    _last_options,
)

LEXICON_ROWS = [
    ("de", "der", "the"),
    ("de", "der", "of the"),
    ("de", "die", "the"),
    ("de", "name", "name"),
    ("de", "rose", "rose"),
    ("de", "hund", "dog"),
    ("es", "hola", "hello"),
    ("sv", "viskningar", "whispers"),
    ("sv", "och", "and"),
    ("sv", "rop", "cries"),
    ("fr", "le", "the"),
    ("fr", "rouge", "red"),
]
LEXICON = Lexicon.from_rows(LEXICON_ROWS)


def test_a_title_language_is_guessed_only_on_enough_evidence() -> None:
    assert LEXICON.guess_language(["der", "name", "der", "rose"]) == "de"
    assert LEXICON.guess_language(["viskningar", "och", "rop"]) == "sv"
    # "Die" is an English word too: "Die Hard" stays English.
    assert LEXICON.guess_language(["die", "hard"]) is None
    assert LEXICON.guess_language(["hola"]) is None  # one word: the catalog must say
    # A leading article English never writes is enough ("Le Violon rouge").
    assert LEXICON.guess_language(["le", "violon", "rouge"]) == "fr"


def _index(*titles: tuple[str, str | None]) -> TranslationIndex:
    return TranslationIndex.build(
        LEXICON, ((position, text, language) for position, (text, language) in enumerate(titles))
    )


def test_english_words_reach_a_foreign_title_in_any_order() -> None:
    index = _index(("der name der rose", None), ("viskningar och rop", None), ("die hard", None))
    priors = [0.0, 0.0, 0.0]
    (title, cost, whole), *_ = index.candidates("the name of the rose", priors, 5)
    assert (title, whole) == (0, True)
    assert cost == pytest.approx(3 * TRANSLATED_WORD_COST)  # the, of, the
    assert [found[0] for found in index.candidates("cries and whisp", priors, 5)] == [1]
    assert index.candidates("hard", priors, 5) == []  # not a foreign title
    assert 2 not in index.readings


def test_a_typed_word_with_no_counterpart_is_a_cost_not_a_match() -> None:
    index = _index(("viskningar och rop", None), ("der name der rose", None))
    priors = [0.0, 0.0]
    (title, cost, _), *_ = index.candidates("whispers and cries of love", priors, 5)
    # whispers, and, cries read through the lexicon; "of" skipped; "love" has no counterpart.
    assert title == 0
    assert cost == pytest.approx(3 * TRANSLATED_WORD_COST + SKIPPED_WORD_COST + UNMATCHED_WORD_COST)
    # Two content words leave no room for one without a counterpart.
    assert index.candidates("whispers of love", priors, 5) == []
    assert index.candidates("lily", priors, 5) == []  # nothing read through the lexicon


def test_the_catalog_language_field_decides_over_guessing() -> None:
    index = _index(("hola", "es"), ("hola", None), ("hola", "fr"))
    assert [found[0] for found in index.candidates("hello", [0.0, 0.0, 0.0], 5)] == [0]


def test_a_malformed_lexicon_is_named_by_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "lexicon.csv"
    path.write_text("language,word,english\nes,hola,hello\nes,,goodbye\n", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"line 3, field 'word': empty"):
        Lexicon.load(path)
    path.write_text("lang,word\n", encoding="utf-8")
    with pytest.raises(LexiconError, match="line 1: header"):
        Lexicon.load(path)


def test_the_committed_lexicon_loads() -> None:
    lexicon = Lexicon.load(data_directory() / LEXICON_FILE)
    assert {"fr", "de", "it", "es", "sv", "da", "nl", "pt"} <= set(lexicon.languages)
    assert ("hello",) in lexicon.readings["es"]["hola"]


def test_hello_suggests_the_spanish_film_hola() -> None:
    engine = Autocomplete.from_catalog(
        [
            {"title": "Hola", "votes": 40, "language": "es"},
            {"title": "Hello, Dolly!", "votes": 9_000},
            {"title": "Hello Again", "votes": 800},
            {"title": "Hellboy", "votes": 30_000},
            {"title": "Hellraiser", "votes": 12_000},
            {"title": "Hello Down There", "votes": 100},
            {"title": "Hellbound", "votes": 500},
        ],
        weight_field="votes",
    )
    found = engine.suggest("hello", 5)
    hola = next(item for item in found if item.text == "Hola")
    assert (hola.match, hola.corrected) == ("translation", False)
    assert hola.channel == pytest.approx(-TRANSLATED_WORD_COST)
    # Correction off means as typed: no translations either.
    assert "Hola" not in [item.text for item in engine.suggest("hello", 5, correct=False)]


FOUR_FILMS = [
    {"title": "Der Name der Rose", "votes": 40_000},
    {"title": "In the Name of the Father", "votes": 30_000},
    {"title": "Viskningar och rop", "votes": 3_000},
    {"title": "Die Hard", "votes": 70_000},
]


def test_the_name_of_the_rose_reaches_der_name_der_rose_without_its_alias() -> None:
    engine = Autocomplete.from_catalog(FOUR_FILMS, weight_field="votes")
    assert engine.suggest("the name of the rose")[0].text == "Der Name der Rose"
    assert engine.suggest("whispers and cries")[0].text == "Viskningar och rop"
    assert [item.text for item in engine.suggest("die hard")] == ["Die Hard"]


def test_a_malformed_lexicon_fails_the_query_with_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / LEXICON_FILE).write_text("language,word,english\nes,hola\n", encoding="utf-8")
    shutil.copy(data_directory() / "error_model.json", tmp_path)
    monkeypatch.setenv("AUTOCOMPLETE_DATA_DIR", str(tmp_path))
    engine = Autocomplete.from_catalog([{"title": "Hola", "language": "es"}])
    with pytest.raises(LexiconError, match=r"line 2: 2 fields, expected 3"):
        engine.suggest("hello")


def test_the_prior_bound_prunes_only_titles_that_could_not_place() -> None:
    """``candidates(..., above_prior=p)`` gives exactly the titles above ``p`` that the unpruned
    call gives (in the same order, with the same costs), over the bundled catalog's foreign
    titles and typed words of every shape: one word, a half-typed last word, three or more."""
    engine = Autocomplete.shared()
    translations = engine._translations.get()  # the engine's own, built with its priors
    assert translations is not None and translations.word_best
    priors = engine.index.hot.title_prior
    typed = [
        "the name of the ro", "love", "the night", "the ", "cries and whisp", "the red vio",
        "war and", "the lit", "the big blue", "the house of the spirits", "a man and a wom",
        "love in the afternoon", "the rules of the ga", "the wages of fe", "beau", "the seven",
    ]  # fmt: skip
    pruned_some = False
    for query in typed:
        unpruned = translations.candidates(query, priors, 10)
        floors = {priors[title] for title, _, _ in unpruned} | {-30.0, -12.0, -9.0, -6.0, 0.0}
        for floor in sorted(floors):
            expected = [found for found in unpruned if priors[found[0]] > floor]
            assert translations.candidates(query, priors, 10, above_prior=floor) == expected
            pruned_some |= len(expected) < len(unpruned)
    assert pruned_some


def test_without_evidence_only_titles_covered_whole_are_priced() -> None:
    """``candidates`` prices no title with more words than were typed when no typed word can
    show that a foreign title was meant (``_may_translate``); that is sound only because
    ``_cost`` turns every such title down, which this checks over the bundled catalog's foreign
    titles, beside queries whose words may translate."""
    engine = Autocomplete.shared()
    translations = engine._translations.get()
    assert translations is not None
    typed = ["le s", "des t", "as g", "le mi", "de pz", "la i", "of th", "le ", "the a", "a b"]
    for query in typed:
        words = query.split()
        complete, last = (words, None) if query.endswith(" ") else (words[:-1], words[-1])
        assert not translations._may_translate(complete, last), query
        for title in translations.readings:
            if translations.title_words[title] > len(words):
                assert translations._cost(title, complete, last) is None, (query, title)
    for query in ["red vio", "the rose", "hello", "symphonie"]:
        words = query.split()
        complete, last = (words, None) if query.endswith(" ") else (words[:-1], words[-1])
        assert translations._may_translate(complete, last), query


def test_titles_left_with_too_many_words_unmatched_are_ones_cost_rejects() -> None:
    """``candidates`` rejects, before pricing it, a title ``_unmatched`` counts as leaving more
    typed content words unmatched than ``_cost`` allows (one of three or more), and one no word
    of completes a short last word, or one with more words than were typed that no typed word
    may show was meant (``_may_show``); that is sound only because ``_cost`` turns each such
    title down, which this checks over the bundled catalog's foreign titles. The count is the same
    from gathered pools and from the postings searched directly."""
    engine = Autocomplete.shared()
    translations = engine._translations.get()
    assert translations is not None
    titles = sorted(translations.readings)
    typed = [
        "les bla", "el sha", "as ama", "devil sh", "spring j", "the red vio", "love in the aft",
        "name rose", "whispers and cr", "le viol", "violin red ", "la mais", "house spir",
        "a man and a wom", "star cont", "night le", "des t", "as g", "contract t",
        "whispers cries screams ", "red violin zebra ", "whispers and cries zebra", "strawberry a",
        "kingdom e", "symphonie fan", "the invasions barb", "violin ro", "hearts ", "the lov",
        "of the nig", "the red", "the symphonies fan", "the invasive ", "the symphonic ",
    ]  # fmt: skip
    rejected = unshown = 0
    for query in typed:
        words = query.split()
        complete, last = (words, None) if query.endswith(" ") else (words[:-1], words[-1])
        content = [word for word in complete if word not in SKIPPABLE]
        read = [translations._content_words(word) for word in content]
        if last is not None and last not in SKIPPABLE and len(last) >= MIN_LAST_PREFIX:
            read.append(translations._last_words(last))
        gathered = [
            {title for word in group for title in translations.postings[word]} for group, _ in read
        ]
        counted = translations._unmatched(titles, read, gathered)
        assert counted == translations._unmatched(titles, read, [None] * len(read)), query
        content_count = len(content) + (last is not None and last not in SKIPPABLE)
        may_miss = 1 if content_count >= 3 else 0
        short_last = last is not None and last not in SKIPPABLE and len(last) < MIN_LAST_PREFIX
        completing = gathered[-1] if len(read) > len(content) and read[-1][1] else None
        shown = translations._may_show(titles, complete, last, completing)
        for title, unmatched, may_show in zip(titles, counted, shown, strict=True):
            if short_last and not _last_options(translations.readings[title], last):
                unmatched += 1
            if unmatched > may_miss:
                rejected += 1
                assert translations._cost(title, complete, last) is None, (query, title)
            if not may_show and translations.title_words[title] > len(words):
                unshown += 1
                assert translations._cost(title, complete, last) is None, (query, title)
    assert rejected > len(titles)  # most titles, for most queries
    assert unshown > len(titles)


def test_a_word_whose_prefix_scan_is_cut_off_does_not_hold_all_its_titles() -> None:
    """Past ``MAX_PREFIX_WORDS`` English words sharing a typed word's start, a title the word
    can match (as a cognate) may be outside its pool: ``_unmatched`` must not count it."""
    letters = "abcdefghij"
    endings = [first + second for first in letters for second in letters]  # 100 words
    lexicon = Lexicon.from_rows([("fr", f"mot{ending}", f"cons{ending}") for ending in endings])
    index = TranslationIndex.build(
        lexicon, ((position, f"mot{ending}", "fr") for position, ending in enumerate(endings))
    )
    group, holds_all = index._content_words("consul")
    assert len(group) == MAX_PREFIX_WORDS and not holds_all
    assert index._content_words("mot")[1] is True  # too short to be a cognate: its forms only
    assert index._last_words("motj")[1] is True  # the ten words starting so, and no more
    assert index._last_words("consj")[1] is False  # its cognates' scan ("cons") is cut off
    assert index._last_words("cons")[1] is False
    everyone = list(range(len(endings)))
    read = [index._content_words("consul")]
    assert index._unmatched(everyone, read, [None]) == [0] * len(endings)
