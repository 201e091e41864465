from __future__ import annotations

import argparse
import importlib.util
import json
import math
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rapidfuzz.distance import OSA

from autocomplete import errormodel_train
from autocomplete.errormodel import (
    MODEL_FILE,
    ErrorModel,
    _fast_align,
    align,
    edit_key,
)
from autocomplete.errormodel_train import parse_line, train
from autocomplete.spelling_index import deletion_depth


@pytest.fixture(scope="module")
def model() -> ErrorModel:
    return ErrorModel.load()


@pytest.fixture(scope="module")
def keyboard_only() -> ErrorModel:
    """The model with no counts: the keyboard prior alone."""
    return ErrorModel()


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
    assert _fast_align("teh", "the") == [("trans", 1, 1)]


def test_fast_alignment_is_optimal() -> None:
    generator = random.Random(7)
    for _ in range(3000):
        typed = "".join(generator.choice("abc ") for _ in range(generator.randint(0, 7)))
        intended = "".join(generator.choice("abc ") for _ in range(generator.randint(0, 7)))
        distance = OSA.distance(typed, intended)
        assert len(_fast_align(typed, intended)) == distance, (typed, intended)
        assert len(align(typed, intended)) == distance, (typed, intended)


def test_save_and_load_round_trip(model: ErrorModel, tmp_path: Path) -> None:
    path = tmp_path / "sub" / "model.json"
    model.save(path)
    loaded = ErrorModel.load(path)
    assert loaded.to_json() == model.to_json()
    for typed, intended in [("teh", "the"), ("biglebowski", "big lebowski"), ("lebowdky", "x")]:
        assert loaded.cost(typed, intended) == model.cost(typed, intended)
    assert [p.name for p in path.parent.iterdir()] == ["model.json"]


def test_bundled_model_is_small_and_says_where_it_came_from(model: ErrorModel) -> None:
    from autocomplete.bundled import data_directory

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
        "from autocomplete.errormodel import ErrorModel\n"
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
