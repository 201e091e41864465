from __future__ import annotations

import math

import pytest

from autocomplete.index.spelling import SpellingIndex
from autocomplete.spell.candidates import COST, LIKELY_SLIP_COST, TEXT, Speller
from autocomplete.spell.errormodel import ErrorModel

TITLES = [
    (["the", "big", "lebowski"], math.log(0.4)),
    (["the", "big", "sleep"], math.log(0.2)),
    (["big"], math.log(0.1)),
    (["tehran", "nights"], math.log(0.001)),
    (["star", "wars"], math.log(0.299)),
]


@pytest.fixture(scope="module")
def speller() -> Speller:
    return Speller(SpellingIndex.build(TITLES), ErrorModel.load())


def _texts(speller: Speller, typed: str) -> list[str]:
    return [c.text for c in speller.corrections(speller.plan(typed))]


def test_corrects_every_word_and_the_prefix_being_typed(speller: Speller) -> None:
    assert _texts(speller, "teh big lebo")[0] == "the big lebo"
    assert _texts(speller, "the big lebowdk")[0] == "the big lebowsk"
    assert _texts(speller, "star wras")[0] == "star wars"


def test_missing_and_extra_spaces_are_edits(speller: Speller) -> None:
    assert "big lebow" in _texts(speller, "biglebow")
    assert "lebowski" in _texts(speller, "lebow ski ")[0]


def test_corrections_change_something_and_carry_costs(speller: Speller) -> None:
    found = speller.corrections(speller.plan("teh big"))
    assert all(c.edits >= 1 and c.cost > 0 for c in found)
    # The cheapest reading of a common slip comes first.
    assert found[0].text == "the big"
    assert found[0].cost == min(c.cost for c in found if c.text.endswith("big"))


def test_short_words_are_corrected_only_inside_a_phrase(speller: Speller) -> None:
    plan = speller.plan("te")
    assert plan.ceiling == -math.inf
    assert speller.corrections(plan) == []
    assert _texts(speller, "te big lebowsk")[0] == "the big lebowsk"


def test_readings_are_phrases_some_title_contains() -> None:
    titles = [(["the", "big", "lebowski"], math.log(0.5)), (["big", "bog"], math.log(0.5))]
    spelling = SpellingIndex.build(titles)
    phrases = {"the big lebowski ", "big lebowski ", "lebowski ", "big bog ", "bog "}

    def exists(text: str) -> bool:
        return any(phrase.startswith(text) for phrase in phrases)

    speller = Speller(spelling, ErrorModel.load(), phrase_exists=exists)
    texts = [c.text for c in speller.corrections(speller.plan("teh bog lebo"))]
    # "the bog ..." is closer to what was typed, but no title has it; "the big lebo" exists.
    assert texts[0] == "the big lebo"
    assert not any(text.startswith("the bog") for text in texts)


def test_ceiling_bounds_every_correction(speller: Speller) -> None:
    for typed in ("teh big lebo", "star wras", "biglebow", "the bog"):
        plan = speller.plan(typed)
        for correction in speller.corrections(plan):
            assert correction.ceiling - correction.cost <= plan.ceiling + 1e-9


def test_floor_prunes_readings_that_cannot_place(speller: Speller) -> None:
    plan = speller.plan("teh big lebo")
    assert speller.corrections(plan, floor=plan.ceiling) == []
    assert speller.corrections(plan, floor=plan.ceiling - 0.01) != []


def test_typed_prefix_extensions_are_not_corrections(speller: Speller) -> None:
    # "bi" already reaches "big": reading it as "big" would add nothing.
    plan = speller.plan("the bi")
    assert all(option[TEXT] != "big" for option in plan.options[1])


def test_channel_weight_is_validated() -> None:
    with pytest.raises(ValueError, match="channel_weight"):
        Speller(SpellingIndex.build(TITLES), ErrorModel.load(), channel_weight=0)


def test_two_edit_readings_are_searched_only_without_a_likely_slip() -> None:
    titles = [
        (["telegraph", "hill"], math.log(0.3)),
        (["telegram"], math.log(0.3)),
        (["sleeper"], math.log(0.2)),
        (["sleepers"], math.log(0.2)),
    ]
    speller = Speller(SpellingIndex.build(titles), ErrorModel.load())

    def options(typed: str) -> dict[str, float]:
        return {option[TEXT]: option[COST] for option in speller.plan(typed).options[0]}

    # "telegram" is one edit from "telegraf", but f for m is an unlikely slip: the two-edit
    # reading through "ph" -> "f" is searched, and wins.
    found = options("telegraf ")
    assert found["telegram"] > LIKELY_SLIP_COST
    assert found["telegraph"] < found["telegram"]
    # A dropped letter explains "sleepr" well; "sleepers", two edits away, is not looked for.
    found = options("sleepr ")
    assert found["sleeper"] <= LIKELY_SLIP_COST
    assert "sleepers" not in found


def test_a_long_word_being_typed_is_compared_with_cuts_of_the_words_it_may_be() -> None:
    # Longer than the deletion index's prefixes, so the typed word is compared in full with
    # the vocabulary words that start like it, cut about as long as what was typed.
    titles = [(["caddyshack"], math.log(0.5)), (["spudmonkey"], math.log(0.5))]
    speller = Speller(SpellingIndex.build(titles), ErrorModel.load())

    def first_option(typed: str) -> str:
        return speller.plan(typed).options[0][0][TEXT]

    # Two extra letters: the word meant is two letters shorter than the typed one.
    assert first_option("caaddyyshac") == "caddyshac"
    # A doubled letter and a slip, as long as the whole word: its cut one letter shorter.
    assert first_option("spudmoonle") == "spudmonke"
