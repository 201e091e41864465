"""The speller's precomputed readings (``spell.option_table``): exactly what the search returns,
saved beside the index, used only for the model and index they were built for, and never
trusted when damaged."""

from __future__ import annotations

import dataclasses
import json
import random
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from autocomplete import Autocomplete
from autocomplete.index.catalog_index import CatalogIndex
from autocomplete.index.integrity import MANIFEST_FILE
from autocomplete.spell.candidates import Speller, WordOption
from autocomplete.spell.errormodel import ErrorModel, Parameters
from autocomplete.spell.option_table import (
    TABLE_DIRECTORY,
    OptionTable,
    build_option_table,
    open_option_table,
    table_beside,
    table_keys,
)
from index_damage import small_catalog_records

QUERIES = (
    "the godf",
    "teh godfather",
    "star wras",
    "lov",
    "a",
    "te big lebowsk",
    "of the ",
    "murdre",
    "the man ",
    "biglebow",
)
"""Clean prefixes and words (answered from the table) and typos (searched) alike."""


def _bits(options: tuple[WordOption, ...] | None) -> list[tuple[object, ...]]:
    """Options with every float as its exact bit pattern and every value's type, so that equal
    means equal to the bit (0.0 against -0.0, an int against a float)."""
    assert options is not None
    return [
        tuple((type(value).__name__, value.hex() if isinstance(value, float) else value))
        for option in options
        for value in option
    ]


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 390-title catalog's index saved with its table."""
    engine = Autocomplete.from_catalog(
        small_catalog_records(), weight_field="votes", id_field="id", alias_field="aliases"
    )
    return engine.save(tmp_path_factory.mktemp("option-table") / "index")


def _speller(engine: Autocomplete) -> Speller:
    return engine._speller  # the engine's own speller: the one the table must agree with


def test_every_key_of_a_small_catalog_reads_as_the_search(saved: Path) -> None:
    engine = Autocomplete.load(saved)
    table = _speller(engine).precomputed
    assert isinstance(table, OptionTable)
    keys = table.key_list()
    # Every word (word mode), every prefix (prefix mode) and the short ones' in-phrase variants.
    words = set(engine.index.spelling.words.keys())
    assert {word for word, is_prefix, _ in keys if not is_prefix} == words
    prefixes = {word[:end] for word in words for end in range(1, len(word) + 1)}
    assert {word for word, is_prefix, _ in keys if is_prefix} == prefixes
    assert {(word, is_prefix) for word, is_prefix, in_phrase in keys if in_phrase} == {
        (word, is_prefix) for word, is_prefix, _ in keys if len(word) <= 2
    }
    speller = _speller(engine)
    for key in keys:
        assert _bits(table.options(*key)) == _bits(speller.search_word_options(*key)), key
    # A word the vocabulary lacks is not in the table: it is searched.
    assert table.options("lvoe", True, False) is None


def test_a_sample_of_the_bundled_table_reads_as_the_search(movies: Autocomplete) -> None:
    table = _speller(movies).precomputed
    assert isinstance(table, OptionTable), "the bundled index's table was built on first use"
    keys = table.key_list()
    assert len(keys) == table.info["keys"] > 100_000
    for key in random.Random(17).sample(keys, 400):
        found = table.options(*key)
        assert _bits(found) == _bits(_speller(movies).search_word_options(*key)), key


def test_answers_are_the_same_with_and_without_the_table(saved: Path) -> None:
    with_table = Autocomplete.load(saved)
    assert _speller(with_table).precomputed is not None
    # The same index, not known to come from a directory: nothing beside it is looked for.
    without = Autocomplete(dataclasses.replace(with_table.index, saved_at=None))
    assert _speller(without).precomputed is None
    for query in QUERIES:
        assert with_table.suggest(query) == without.suggest(query), query


_BUILT_TWO_WAYS = """
import sys
import numpy as np
from autocomplete import Autocomplete
from autocomplete.spell.option_table import build_option_table
speller = Autocomplete.load(sys.argv[1], verify="full")._speller
alone = build_option_table(speller, processes=1)
shared = build_option_table(speller, processes=2)
assert shared.info["processes"] == 2, shared.info
assert alone.keys.tobytes() == shared.keys.tobytes()
assert bytes(alone.text) == bytes(shared.text)
for name in ("key_first", "key_text_first", "option_cost", "option_weight", "option_whole"):
    assert np.array_equal(getattr(alone, name), getattr(shared, name)), name
print(alone.info["keys"], "keys the same")
"""


def test_the_table_is_built_the_same_whatever_the_number_of_processes(saved: Path) -> None:
    # In a process of its own: the build forks only where no other thread runs, and a test
    # process has threads of earlier tests (verifications, pollers) that would skip it.
    done = subprocess.run(
        [sys.executable, "-c", _BUILT_TWO_WAYS, str(saved)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.endswith("keys the same\n"), done.stdout


def test_keys_are_capped_most_popular_first(saved: Path) -> None:
    speller = _speller(Autocomplete.load(saved))
    every = table_keys(speller)
    few = table_keys(speller, 50)
    assert few == every[:50]
    # "the" (in most titles' words' mass) comes before a word of one obscure title.
    assert every.index(("the", False, False)) < len(every) // 10
    table = build_option_table(speller, limit=50)
    assert table is not None and len(table) == 50


def test_a_table_for_another_model_is_not_used(saved: Path) -> None:
    other = ErrorModel.from_counts(ErrorModel.load().counts, Parameters(first_letter_penalty=2.0))
    engine = Autocomplete(CatalogIndex.load(saved), error_model=other)
    assert _speller(engine).precomputed is None
    same = Autocomplete(CatalogIndex.load(saved), error_model=ErrorModel.load())
    assert _speller(same).precomputed is not None


def test_a_table_for_another_index_is_not_used(saved: Path, tmp_path: Path) -> None:
    other = Autocomplete.from_catalog(small_catalog_records()[:200], weight_field="votes")
    other_dir = other.save(tmp_path / "other")
    shutil.rmtree(other_dir / TABLE_DIRECTORY)
    shutil.copytree(saved / TABLE_DIRECTORY, other_dir / TABLE_DIRECTORY)
    assert open_option_table(other_dir, ErrorModel.load()) is None
    assert open_option_table(saved, ErrorModel.load()) is not None


def test_a_damaged_table_is_ignored_and_answers_stay(saved: Path, tmp_path: Path) -> None:
    reference = Autocomplete.load(saved)
    answers = [reference.suggest(query) for query in QUERIES]
    files = sorted(path.name for path in (saved / TABLE_DIRECTORY).iterdir())
    assert "option_cost.npy" in files and MANIFEST_FILE in files
    for name in files:
        copy = tmp_path / name / "index"
        shutil.copytree(saved, copy)
        target = copy / TABLE_DIRECTORY / name
        data = bytearray(target.read_bytes())
        data[len(data) // 2] ^= 0x10
        target.write_bytes(bytes(data))
        engine = Autocomplete.load(copy)
        assert _speller(engine).precomputed is None, name
        assert [engine.suggest(query) for query in QUERIES] == answers, name


def test_a_table_with_a_resealed_manifest_is_still_checked(saved: Path, tmp_path: Path) -> None:
    from autocomplete.index.integrity import write_manifest

    copy = tmp_path / "index"
    shutil.copytree(saved, copy)
    table_dir = copy / TABLE_DIRECTORY
    offsets = np.load(table_dir / "key_first.npy")
    offsets[-1] += 5  # past the option columns
    np.save(table_dir / "key_first.npy", offsets)
    header = json.loads((table_dir / MANIFEST_FILE).read_text())
    write_manifest(table_dir, {key: header[key] for key in ("format_version", "model", "index")})
    assert open_option_table(copy, ErrorModel.load()) is None


def test_saving_over_a_saved_index_replaces_its_table(saved: Path, tmp_path: Path) -> None:
    copy = tmp_path / "index"
    shutil.copytree(saved, copy)
    # Over a directory that holds an index and its table (an index cannot be saved over the
    # files it is mapped from, so the engine is another one's).
    Autocomplete.load(saved).save(copy)  # the index's manifest must not list the old table
    again = Autocomplete.load(copy)
    assert _speller(again).precomputed is not None
    manifest = json.loads((copy / MANIFEST_FILE).read_text())
    assert not any(name.startswith(TABLE_DIRECTORY) for name in manifest["files"])


def test_a_saved_index_without_a_table_gets_one_once(saved: Path, tmp_path: Path) -> None:
    directory = CatalogIndex.load(saved).save(tmp_path / "index")  # the index alone
    assert not (directory / TABLE_DIRECTORY).exists()
    assert _speller(Autocomplete.load(directory)).precomputed is None
    built = table_beside(directory)
    assert built is not None and (directory / TABLE_DIRECTORY).is_dir()
    stamp = (directory / TABLE_DIRECTORY / MANIFEST_FILE).stat().st_mtime_ns
    again = table_beside(directory)  # opened, not built again
    assert again is not None and len(again) == len(built)
    assert (directory / TABLE_DIRECTORY / MANIFEST_FILE).stat().st_mtime_ns == stamp
    assert _speller(Autocomplete.load(directory)).precomputed is not None
