from __future__ import annotations

import argparse
import importlib.util
import json
import math
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from autocomplete.index.spelling import deletion_depth
from autocomplete.spell.alignment import align, edit_key
from autocomplete.spell.alternations import ALTERNATIONS, Alternation
from autocomplete.spell.errormodel import MAX_RESPELLING_COST, MODEL_FILE, ErrorModel
from autocomplete.tools import errormodel_train
from autocomplete.tools.errormodel_train import count_alternations, parse_line, train


@pytest.fixture(scope="module")
def model() -> ErrorModel:
    return ErrorModel.load()


@pytest.fixture(scope="module")
def keyboard_only() -> ErrorModel:
    """The model with no counts: the keyboard prior alone."""
    return ErrorModel()


@pytest.fixture(scope="module")
def single_edits(model: ErrorModel) -> ErrorModel:
    """The bundled model without its alternations: single-character edits only."""
    counts = replace(model.counts, alternations={}, alternation_contexts={})
    return ErrorModel.from_counts(counts, model.parameters)


def test_equal_strings_cost_nothing(model: ErrorModel) -> None:
    for text in ("", "a", "the", "lebowski", "big lebowski"):
        assert model.cost(text, text) == 0.0
        assert model.cost(text, text, prefix=True) == 0.0


def test_single_edits_cost_a_few_nats(model: ErrorModel) -> None:
    for typed, intended in [
        ("teh", "the"),
        ("lebowdki", "lebowski"),
        ("seperate", "separate"),
        ("lbowski", "lebowski"),
        ("lebbowski", "lebowski"),
        ("biglebowski", "big lebowski"),
    ]:
        assert 1.5 < model.cost(typed, intended) < 8.0, (typed, intended)


def test_adjacent_key_slip_is_cheaper_than_a_far_substitution(model: ErrorModel) -> None:
    # "d" is next to "s" on a QWERTY keyboard, "q" and "p" are not.
    adjacent = model.cost("lebowdki", "lebowski")
    assert adjacent + 1.0 < model.cost("lebowqki", "lebowski")
    assert adjacent + 1.0 < model.cost("lebowpki", "lebowski")


def test_transposition_is_one_edit(model: ErrorModel) -> None:
    swap = model.cost("teh", "the")
    two_substitutions = model.edit_cost("sub", "eh") + model.edit_cost("sub", "he")
    assert swap < two_substitutions
    assert swap < model.cost("tha", "the") + 2.0
    assert model.cost("recieve", "receive") < model.cost("recxeve", "receive")


def test_more_edits_cost_more(model: ErrorModel) -> None:
    one_a = model.cost("lebowdki", "lebowski")
    one_b = model.cost("lebowsky", "lebowski")
    both = model.cost("lebowdky", "lebowski")
    assert both > max(one_a, one_b) + 2.0
    assert model.cost("gdfathr", "godfather") > model.cost("godfathr", "godfather")


def test_vowel_confusion_is_learned_from_the_misspelling_lists(
    model: ErrorModel, keyboard_only: ErrorModel
) -> None:
    learned = model.cost("seperate", "separate")
    assert learned + 1.0 < model.cost("sepbrate", "separate")
    # "e" is not next to "a" on the keyboard, so the keyboard prior alone finds it unlikely.
    assert learned + 1.0 < keyboard_only.cost("seperate", "separate")


def test_space_can_be_dropped_or_added(model: ErrorModel) -> None:
    dropped = model.cost("biglebowski", "big lebowski")
    added = model.cost("lebow ski", "lebowski")
    assert 0 < dropped < 6.0
    assert 0 < added < 8.0
    assert dropped < model.cost("bigqlebowski", "big lebowski")
    assert model.cost("biglebowsky", "big lebowski") > dropped


def test_first_letter_errors_cost_extra(model: ErrorModel) -> None:
    # The same substitution (k typed for l) at the first and at the last letter.
    assert model.cost("kamp", "lamp") > model.cost("balk", "ball") + 1.0
    assert model.cost("ebowski", "lebowski") > model.cost("lbowski", "lebowski")
    # A word after a space starts fresh.
    assert model.cost("big kebowski", "big lebowski") > model.cost("big lebowsko", "big lebowski")


def test_pending_characters_of_a_prefix_are_cheap(model: ErrorModel) -> None:
    assert model.cost("lebows", "lebowsk", prefix=True) < 1.5
    assert model.cost("lebows", "lebowsk", prefix=True) < model.cost("lebows", "lebowsk")
    # A typo earlier in the word still costs its edit.
    assert model.cost("lebowd", "lebowsk", prefix=True) > 3.0
    # Extra typed characters are insertions: the caller also tries the longer cut.
    assert model.cost("lebowsk", "lebows", prefix=True) > 1.5


def test_characters_off_the_keyboard_have_a_cost(model: ErrorModel) -> None:
    swapped = model.cost("моксва", "москва")
    substituted = model.cost("мосува", "москва")
    assert 0 < swapped < substituted < 15.0
    assert math.isfinite(model.cost("東京", "京都"))


@pytest.mark.parametrize("length", range(40))
def test_max_edits_follows_the_deletion_index(model: ErrorModel, length: int) -> None:
    expected = 0 if length <= 2 else 1 if length <= 5 else 2
    assert model.max_edits(length) == expected
    assert model.max_edits(length) == deletion_depth(min(length, 8))


def test_alignment_takes_the_doubled_letter() -> None:
    edits = align("acomodate", "accommodate")
    keys = sorted(edit_key("acomodate", "accommodate", edit)[:2] for edit in edits)
    assert keys == [("del", "cc"), ("del", "mm")]
    assert align("teh", "the") == [("trans", 1, 1)]


def test_save_and_load_round_trip(model: ErrorModel, tmp_path: Path) -> None:
    path = tmp_path / "sub" / "model.json"
    model.save(path)
    loaded = ErrorModel.load(path)
    assert loaded.to_json() == model.to_json()
    for typed, intended in [
        ("teh", "the"),
        ("biglebowski", "big lebowski"),
        ("lebowdky", "x"),
        ("fantom", "phantom"),
        ("wo framed", "who framed"),
    ]:
        assert loaded.cost(typed, intended) == model.cost(typed, intended)
    assert loaded.respellings("fantom") == model.respellings("fantom")
    assert [p.name for p in path.parent.iterdir()] == ["model.json"]


def test_bundled_model_is_small_and_says_where_it_came_from(model: ErrorModel) -> None:
    from autocomplete.paths import data_directory

    path = data_directory() / MODEL_FILE
    assert path.stat().st_size < 200_000
    assert model.provenance["command"] == "autocomplete train-errors"
    assert model.provenance["pairs"] > 10_000
    assert model.counts.edits > model.provenance["pairs"]


def test_load_of_a_missing_file_names_it(tmp_path: Path) -> None:
    missing = tmp_path / "nothing.json"
    with pytest.raises(FileNotFoundError, match=re.escape(str(missing))):
        ErrorModel.load(missing)


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        "[]",
        '{"format": "something-else", "version": 1}',
        '{"format": "autocomplete-error-model", "version": 99}',
        '{"format": "autocomplete-error-model", "version": 1, "parameters": {}}',
    ],
)
def test_load_of_a_garbled_file_names_it(tmp_path: Path, content: str) -> None:
    path = tmp_path / "garbled.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape(str(path))):
        ErrorModel.load(path)


def test_load_rejects_bad_counts_and_parameters(model: ErrorModel, tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    data = model.to_json()
    data["counts"]["sub"]["abc"] = 3
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape(str(path))):
        ErrorModel.load(path)
    data = model.to_json()
    data["parameters"]["query_error_rate"] = 5.0
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape(str(path))):
        ErrorModel.load(path)


def test_model_is_immutable(model: ErrorModel) -> None:
    with pytest.raises(AttributeError):
        model.parameters = model.parameters  # type: ignore[misc]
    with pytest.raises(TypeError):
        model.counts.sub["ea"] = 0  # type: ignore[index]


def test_training_counts_move_the_costs() -> None:
    pairs = [("recieve", "receive"), ("beleive", "believe"), ("peice", "piece")] * 20
    pairs += [("adress", "address"), ("ther", "there")]
    trained = train(pairs)
    untrained = train([("ther", "there")])
    # Keys name the intended letters: "recieve" is "ei" typed as "ie".
    assert trained.counts.trans["ei"] == 20
    assert trained.counts.trans["ie"] == 40
    assert trained.counts.dels["dd"] == 1
    assert trained.counts.unigrams["e"] > 60
    assert trained.cost("wierd", "weird") + 1.0 < untrained.cost("wierd", "weird")
    # A swap the pairs never showed stays at the keyboard prior's cost.
    assert trained.cost("bakc", "back") > trained.cost("wierd", "weird") + 1.0


def test_parse_codespell_lines() -> None:
    assert parse_line("abandonned->abandoned\n") == ("abandonned", "abandoned")
    assert parse_line("wrod->word, wrong,\n") == ("wrod", "word")
    assert parse_line("armegaddon->Armageddon\n") is None
    assert parse_line("gotcha->got you\n") is None
    assert parse_line("do'nt->don't\n") is None
    assert parse_line("1nd->1st\n") is None
    assert parse_line("# a comment\n") is None


def test_train_errors_without_codespell_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    parser = argparse.ArgumentParser()
    errormodel_train.add_command(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["train-errors", "-o", str(tmp_path / "model.json")])
    assert args.run(args) == 1
    assert "pip install codespell" in capsys.readouterr().err
    assert not (tmp_path / "model.json").exists()


def test_runtime_does_not_import_codespell() -> None:
    script = (
        "import sys\n"
        "from autocomplete.spell.errormodel import ErrorModel\n"
        "ErrorModel.load().cost('teh', 'the')\n"
        "assert 'codespell_lib' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True)


@pytest.mark.slow
def test_bundled_model_is_what_training_produces(model: ErrorModel) -> None:
    pytest.importorskip("codespell_lib")
    version, _ = errormodel_train.codespell_data()
    if version != model.provenance["codespell_version"]:
        pytest.skip(f"codespell {version} installed, the model was trained on another version")
    assert errormodel_train.train_from_codespell().to_json() == model.to_json()


# Multi-character alternations (Brill & Moore) ---------------------------------------------------

TWO_SLIPS = [
    ("lebowdky", "lebowski"),
    ("gdfathr", "godfather"),
    ("seperete", "separate"),
    ("casablamka", "casablanca"),
]


def test_ph_typed_as_f_costs_one_alternation(model: ErrorModel, single_edits: ErrorModel) -> None:
    two_slips = min(model.cost(typed, intended) for typed, intended in TWO_SLIPS)
    two_edits = model.edit_cost("sub", "fp") + model.edit_cost("del", "ph")
    for typed, intended in [
        ("fantom", "phantom"),
        ("josef", "joseph"),
        ("paragraf", "paragraph"),
        ("elefant", "elephant"),
    ]:
        cost = model.cost(typed, intended)
        assert cost < 7.0, (typed, intended)
        assert cost < two_slips and cost < two_edits
        assert cost + 3.0 < single_edits.cost(typed, intended)


def test_sound_alike_spellings_are_cheaper(model: ErrorModel, single_edits: ErrorModel) -> None:
    for typed, intended in [
        ("wo", "who"),
        ("wo framed", "who framed"),
        ("wiskey", "whiskey"),
        ("nife", "knife"),
        ("rite", "write"),
        ("nite", "night"),
        ("kan", "can"),
        ("bak", "back"),
        ("beleive", "believe"),
    ]:
        cost = model.cost(typed, intended)
        assert cost < min(single_edits.cost(typed, intended), 7.0), (typed, intended)


def test_ie_and_ei_are_cheap(model: ErrorModel, single_edits: ErrorModel) -> None:
    assert model.cost("recieve", "receive") < 3.0
    assert model.cost("recieve", "receive") < single_edits.cost("recieve", "receive")
    assert model.cost("recieve", "receive") + 1.0 < model.cost("recxeve", "receive")


def test_doubled_and_single_consonants_are_cheap(model: ErrorModel) -> None:
    assert model.alternation_cost("CC>C") < 2.5
    assert model.alternation_cost("C>CC") < 5.0
    assert model.cost("adress", "address") < 2.5
    assert model.cost("begining", "beginning") < 2.5
    assert model.cost("lebbowski", "lebowski") < 5.0
    assert model.cost("al", "all", prefix=True) <= 1.0


def test_two_alternations_in_one_word(model: ErrorModel, single_edits: ErrorModel) -> None:
    assert model.cost("fotografer", "photographer") < 8.0
    assert model.cost("filosofical", "philosophical") < 8.0
    assert model.cost("filosofical", "philosophical") + 10 < single_edits.cost(
        "filosofical", "philosophical"
    )


def test_alternations_only_lower_costs(model: ErrorModel, single_edits: ErrorModel) -> None:
    pairs = [*TWO_SLIPS, ("teh", "the"), ("lebowsky", "lebowski"), ("biglebowski", "big lebowski")]
    pairs += [("fantom", "phantom"), ("kan", "can"), ("xyz", "abc"), ("", "who")]
    for typed, intended in pairs:
        for prefix in (False, True):
            cost = model.cost(typed, intended, prefix=prefix)
            assert 0 < cost <= single_edits.cost(typed, intended, prefix=prefix)


def test_anchored_alternations_apply_only_at_their_end_of_the_word(
    model: ErrorModel, single_edits: ErrorModel
) -> None:
    assert model.alternation_cost("^kn>n", at_start=True) < 4.0
    assert model.alternation_cost("^kn>n") == math.inf
    assert model.cost("nife", "knife") < single_edits.cost("nife", "knife")
    # "kn" inside a word is not silent-k, "mb" inside a word not silent-b.
    assert model.cost("unnown", "unknown") == single_edits.cost("unnown", "unknown")
    assert model.cost("numer", "number") == single_edits.cost("numer", "number")
    assert model.cost("lam", "lamb") < single_edits.cost("lam", "lamb")


def test_alternations_in_a_word_being_typed(model: ErrorModel, single_edits: ErrorModel) -> None:
    assert model.cost("fant", "phant", prefix=True) < 4.0
    assert model.cost("fan", "phantom", prefix=True) < 7.0
    assert model.cost("fan", "phantom", prefix=True) + 10 < single_edits.cost(
        "fan", "phantom", prefix=True
    )


def test_word_starts_are_learned_apart(model: ErrorModel) -> None:
    # Typing "f" for "ph" is as common at a word start as inside; doubling a first letter
    # is much rarer than doubling one inside a word.
    assert abs(model.alternation_cost("ph>f", at_start=True) - model.alternation_cost("ph>f")) < 1
    assert model.alternation_cost("C>CC", at_start=True) > model.alternation_cost("C>CC") + 1.5
    assert model.alternation_cost("no>such") == math.inf


def test_respellings_undo_one_alternation(model: ErrorModel) -> None:
    for typed, meant in [
        ("fantom", "phantom"),
        ("josef", "joseph"),
        ("kan", "can"),
        ("wo", "who"),
        ("recieve", "receive"),
        ("nite", "night"),
        ("fant", "phant"),
    ]:
        found = model.respellings(typed)
        assert meant in dict(found), (typed, found)
        assert len(found) <= 8
        costs = [cost for _, cost in found]
        assert costs == sorted(costs)
        assert all(0 < cost <= MAX_RESPELLING_COST for cost in costs)
        assert typed not in dict(found)
    assert "can" in dict(model.respellings("kan", limit=3))
    assert len(model.respellings("fantom", limit=2)) == 2
    assert model.respellings("fantom", limit=0) == []


def test_respellings_cost_at_least_what_cost_says(model: ErrorModel) -> None:
    for typed in ["fantom", "josef", "kan", "wo", "recieve", "nite", "the big lebowski"]:
        for respelled, cost in model.respellings(typed, limit=100):
            assert model.cost(typed, respelled) <= cost + 1e-9, (typed, respelled)


def test_respellings_of_words_without_alternations_are_empty(
    model: ErrorModel, keyboard_only: ErrorModel
) -> None:
    for typed in ["", "aaa", "2001", "東京"]:
        assert model.respellings(typed) == []
    assert keyboard_only.respellings("fantom") == []


def test_respellings_are_memoized_but_not_shared(model: ErrorModel) -> None:
    first = model.respellings("fantom")
    first.clear()
    assert model.respellings("fantom") == model.respellings("fantom") != []


def test_alternation_labels_parse() -> None:
    for label in ALTERNATIONS:
        assert Alternation.parse(label).label == label
    assert Alternation.parse("^kn>n") == Alternation("kn", "n", start_only=True)
    assert Alternation.parse("mb$>m") == Alternation("mb", "m", end_only=True)
    assert Alternation.parse("ph>f").reversed() == Alternation("f", "ph")
    for bad in ["ph>>f", "ph>", ">f", "PH>f", "c>CC", "a>a", "ph-f"]:
        with pytest.raises(ValueError):
            Alternation.parse(bad)


def test_alternations_are_counted_from_pairs() -> None:
    pairs = [
        ("fone", "phone"),  # ph>f at a word start
        ("foto", "photo"),
        ("fonne", "phone"),  # ... and one more slip, away from it
        ("fhone", "phone"),  # a slip beside it: not counted
        ("grafic", "graphic"),  # ph>f inside a word
        ("kat", "cat"),
        ("adress", "address"),
    ]
    seen, contexts = count_alternations(pairs, ["ph>f", "c>k", "CC>C", "^kn>n"])
    assert seen["^ph>f"] == 3
    assert seen["ph>f"] == 1
    assert seen["^c>k"] == 1 and seen["c>k"] == 0
    assert seen["CC>C"] == 1
    assert seen["^kn>n"] == 0 and "kn>n" not in seen
    assert contexts["^ph"] == 4 and contexts["ph"] == 1
    assert contexts["^c"] == 1 and contexts["c"] == 1
    assert contexts["CC"] == 2  # "dd" and "ss" in "address"
    # The typed sides are counted too (for respellings): "k" in none of the corrections.
    assert "^k" not in contexts and "k" not in contexts


def test_training_moves_alternation_costs() -> None:
    filler = [("teh", "the"), ("adress", "address"), ("wierd", "weird")] * 5
    with_f = [("fone", "phone"), ("foto", "photo"), ("grafic", "graphic"), ("elefant", "elephant")]
    without_f = [("phome", "phone"), ("photp", "photo"), ("grapgic", "graphic")]
    trained = train(filler + with_f * 10 + without_f * 10)
    untrained = train(filler + without_f * 20)
    assert trained.counts.alternations["^ph>f"] == 20
    assert trained.alternation_cost("ph>f") + 2.0 < untrained.alternation_cost("ph>f")
    assert trained.cost("fantom", "phantom") + 2.0 < untrained.cost("fantom", "phantom")
    assert "phantom" in dict(trained.respellings("fantom", limit=100))


def test_model_files_without_alternations_still_load(
    model: ErrorModel, single_edits: ErrorModel, tmp_path: Path
) -> None:
    data = model.to_json()
    del data["counts"]["alternations"], data["counts"]["alternation_contexts"]
    del data["parameters"]["alternation_prior"]
    path = tmp_path / "old.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    old = ErrorModel.load(path)
    for typed, intended in [("teh", "the"), ("fantom", "phantom"), ("wo", "who")]:
        assert old.cost(typed, intended) == single_edits.cost(typed, intended)
    assert old.respellings("fantom") == []


@pytest.mark.parametrize(
    ("table", "key", "value"),
    [
        ("alternations", "ph>>f", 1),
        ("alternations", "ph>f", -1),
        ("alternations", "c>CC", 1),
        ("alternation_contexts", "p h", 1),
    ],
)
def test_load_rejects_bad_alternations(
    model: ErrorModel, tmp_path: Path, table: str, key: str, value: int
) -> None:
    data = model.to_json()
    data["counts"][table][key] = value
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape(str(path))):
        ErrorModel.load(path)
