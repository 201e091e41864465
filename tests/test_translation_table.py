"""The translation index as flat arrays: equal to ``TranslationIndex.build``, saved beside the
index, memory-mapped, and not used when it does not answer for the index and lexicon."""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from autocomplete import Autocomplete
from autocomplete.catalog.columns import CategoryColumn
from autocomplete.catalog.loader import Record
from autocomplete.index.build import build_index
from autocomplete.index.bundled import bundled_index
from autocomplete.index.catalog_index import CatalogIndex
from autocomplete.index.integrity import IndexFormatError
from autocomplete.index.word_index import MAX_TITLE_WORDS, MAX_WORD_BYTES
from autocomplete.paths import data_directory
from autocomplete.spell.translation import (
    LANGUAGE_FIELD,
    LEXICON_FILE,
    Lexicon,
    TranslationIndex,
)
from autocomplete.spell.translation_table import (
    TABLE_DIRECTORY,
    TranslationArrays,
    build_translation_arrays,
    open_translation_table,
)
from test_translation import FOUR_FILMS, LEXICON_ROWS


def title_languages(index: CatalogIndex) -> list[str | None]:
    """Each title's ``language`` field (None where the catalog gives none)."""
    languages: list[str | None] = [None] * index.title_count
    column = index.columns.columns.get(LANGUAGE_FIELD)
    if isinstance(column, CategoryColumn):
        names = list(column.vocabulary)
        for title, code in enumerate(column.codes.tolist()):
            if code >= 0:
                languages[title] = names[code]
    return languages


def _reference(lexicon: Lexicon, index: CatalogIndex, *, priors: bool = True) -> TranslationIndex:
    """``TranslationIndex.build`` over every title of ``index``, as the engine used to build it."""
    languages = title_languages(index)
    titles = index.normalized_titles
    return TranslationIndex.build(
        lexicon,
        ((title, titles[title], languages[title]) for title in range(index.title_count)),
        index.hot.title_prior if priors else None,
    )


def _assert_equal(found: TranslationIndex, expected: TranslationIndex) -> None:
    """Every word's postings and best prior, every title's readings and word count, the
    words some title reads through the lexicon."""
    assert list(found.vocabulary) == list(expected.vocabulary)
    assert {word: tuple(titles) for word, titles in found.postings.items()} == dict(
        expected.postings
    )
    assert {title: dict(english) for title, english in found.readings.items()} == {
        title: dict(english) for title, english in expected.readings.items()
    }
    assert dict(found.title_words) == dict(expected.title_words)
    assert dict(found.word_best) == dict(expected.word_best)
    assert found.through == expected.through and found.through
    assert len(found) == len(expected)


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return Lexicon.load(data_directory() / LEXICON_FILE)


def test_the_array_build_equals_the_python_build_on_the_bundled_catalog(lexicon: Lexicon) -> None:
    index = bundled_index()
    expected = _reference(lexicon, index)
    assert len(expected) > 4_000  # the catalog's foreign titles: the comparison covers them
    _assert_equal(build_translation_arrays(lexicon, index).index, expected)


def test_the_saved_table_equals_the_python_build_on_the_bundled_catalog(
    lexicon: Lexicon, tmp_path: Path
) -> None:
    engine = Autocomplete()
    target = engine.save(tmp_path / "saved")
    loaded = Autocomplete.load(target)
    saved = loaded._translations.get()
    assert loaded._translations.opened and saved is not None
    arrays = loaded._translations.arrays()
    assert arrays is not None and not arrays.postings.flags.writeable  # mapped, not copied
    _assert_equal(saved, _reference(lexicon, loaded.index))


LEXICON = Lexicon.from_rows(
    [
        *LEXICON_ROWS,
        ("fr", "la", "the"),
        ("fr", "l", "the"),
        ("fr", "amant", "lover"),
        ("fr", "nuit", "night"),
        ("es", "la", "the"),
        ("es", "noche", "night"),
    ]
)


def test_the_array_build_equals_the_python_build_on_every_kind_of_title() -> None:
    long_word = "nuit" + "x" * MAX_WORD_BYTES  # cut in the word index: read apart
    many_words = " ".join(["der", "rose"] * MAX_TITLE_WORDS)  # beyond the word index's words
    titles = [
        ("Der Name der Rose", None),
        ("L'Amant", "fr"),  # the glued article
        ("Lamant rouge", None),
        ("Hola", "es"),  # the catalog's language decides: one word is enough
        ("Hola", None),
        ("Hola", "fr"),
        ("Hola", "xx"),  # a language the lexicon does not cover
        ("La noche", None),  # "la" is French and Spanish: the first with most hits
        ("La nuit rouge", None),
        ("Die Hard", None),
        ("Le Violon rouge", None),
        (f"La nuit {long_word}", None),
        (many_words, None),
        ("Rose rose der Rose der", "de"),  # a word read as itself, then through the lexicon
        (" ".join(["hola"] * (MAX_TITLE_WORDS + 1)), "es"),  # read apart, in its given language
        ("", None),
    ]
    records = [
        Record(
            id=f"t{position}",
            text=text,
            weight=float(position + 1),
            metadata={"language": language} if language else {},
        )
        for position, (text, language) in enumerate(titles)
    ]
    index = build_index(records)
    built = build_translation_arrays(LEXICON, index)
    _assert_equal(built.index, _reference(LEXICON, index))
    _assert_equal(
        build_translation_arrays(LEXICON, index, priors=False).index,
        _reference(LEXICON, index, priors=False),
    )
    # The cut and the long titles too.
    assert set(built.index.readings) >= {0, 1, 3, 11, 12, 14}


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    engine = Autocomplete.from_catalog(FOUR_FILMS, weight_field="votes")
    return engine.save(tmp_path_factory.mktemp("translations") / "index")


QUERIES = ("the name of the rose", "whispers and cries", "die hard", "name of the ro")


def _answers(engine: Autocomplete) -> list[list[tuple[str, float, str]]]:
    return [[(s.id, s.score, s.match) for s in engine.suggest(query)] for query in QUERIES]


def test_a_saved_index_answers_through_its_table_as_the_built_index_does(
    saved: Path, tmp_path: Path
) -> None:
    assert (saved / TABLE_DIRECTORY / "manifest.json").is_file()
    loaded = Autocomplete.load(saved)
    answers = _answers(loaded)
    assert loaded._translations.opened
    assert answers[0][0][2] == "translation"  # the channel answered
    copy = _copy(saved, tmp_path)
    shutil.rmtree(copy / TABLE_DIRECTORY)
    built = Autocomplete.load(copy)
    assert _answers(built) == answers and not built._translations.opened


def _copy(saved: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy"
    shutil.copytree(saved, target)
    return target


def test_a_table_built_from_another_lexicon_is_not_used(
    saved: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    expected = _answers(Autocomplete.load(saved))
    data = tmp_path / "data"
    shutil.copytree(data_directory(), data)
    with (data / LEXICON_FILE).open("a", encoding="utf-8") as handle:
        handle.write("de,hund,hound\n")
    monkeypatch.setenv("AUTOCOMPLETE_DATA_DIR", str(data))
    engine = Autocomplete.load(saved)
    with caplog.at_level(logging.INFO, logger="autocomplete"):
        assert _answers(engine) == expected
    assert not engine._translations.opened
    assert "another lexicon, code or index" in caplog.text


def test_a_damaged_table_is_not_used_and_the_answers_stay(
    saved: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    expected = _answers(Autocomplete.load(saved))
    copy = _copy(saved, tmp_path)
    path = copy / TABLE_DIRECTORY / "postings.npy"
    data = bytearray(path.read_bytes())
    data[-1] ^= 0x01
    path.write_bytes(bytes(data))
    engine = Autocomplete.load(copy)  # the index itself is fine: it loads
    with caplog.at_level(logging.WARNING, logger="autocomplete"):
        assert _answers(engine) == expected
    assert not engine._translations.opened
    assert "postings.npy: damaged" in caplog.text


def test_the_structure_is_checked_even_when_the_checksums_match(
    saved: Path, tmp_path: Path
) -> None:
    from autocomplete.index.integrity import MANIFEST_FILE, write_manifest

    title_count = CatalogIndex.load(saved).title_count
    for name, damage, message in [
        ("postings.npy", lambda a: a.__setitem__(0, 10**6), "outside"),
        ("reading_first.npy", lambda a: a.__setitem__(1, 10**6), "offsets"),
        ("reading_title.npy", lambda a: a.__setitem__(slice(None), 0), "ascending"),
    ]:
        copy = _copy(saved, tmp_path / name)
        table = copy / TABLE_DIRECTORY
        array = np.load(table / name)
        damage(array)
        np.save(table / name, array)
        manifest = json.loads((table / MANIFEST_FILE).read_text())
        del manifest["files"], manifest["checksum"], manifest["manifest_digest"]
        write_manifest(table, manifest)  # the checksums now match the damage
        with pytest.raises(IndexFormatError, match=message):
            TranslationArrays.load(table, title_count)
        assert open_translation_table(copy, data_directory() / LEXICON_FILE, title_count) is None


def test_a_saved_index_without_a_table_gets_one_beside_it(saved: Path, tmp_path: Path) -> None:
    from autocomplete.spell.translation_table import translation_table_beside

    copy = _copy(saved, tmp_path)
    shutil.rmtree(copy / TABLE_DIRECTORY)
    found = translation_table_beside(copy, data_directory() / LEXICON_FILE)
    assert found is not None and (copy / TABLE_DIRECTORY).is_dir()
    engine = Autocomplete.load(copy)
    assert _answers(engine) == _answers(Autocomplete.load(saved)) and engine._translations.opened


def test_the_bulk_checks_equal_the_title_by_title_ones_on_the_bundled_catalog(
    lexicon: Lexicon,
) -> None:
    """``in_bulk`` (the arrays read for many examined titles at once) gives each title's word
    count and whether a word of it completes a last word as the decoded readings do, and
    ``candidates`` over the arrays answers as ``TranslationIndex.build``'s, which reads every
    title one by one, for typed words whose checks go through it."""
    from autocomplete.spell.translation import _last_options

    index = bundled_index()
    arrays = build_translation_arrays(lexicon, index).index
    assert arrays.in_bulk is not None
    titles = sorted(arrays.readings)
    assert arrays.in_bulk.word_counts(titles) == [arrays.title_words[title] for title in titles]
    shuffled = titles[::-7] + titles[3::11]  # any order, a title twice
    mixed = 0  # the last words that some of them complete and some do not
    for last in ("s", "k", "m", "a", "as", "lo", "es", "mu", "am", "nig", "nights", "roses", "zz"):
        expected = [bool(_last_options(arrays.readings[title], last)) for title in shuffled]
        assert arrays.in_bulk.completing(shuffled, last) == expected, last
        mixed += any(expected) and not all(expected)
    assert mixed >= 10
    with pytest.raises(KeyError):
        arrays.in_bulk.word_counts([titles[0], max(titles) + 1])
    reference = _reference(lexicon, index)
    assert reference.in_bulk is None
    priors = index.hot.title_prior
    typed = [
        "woman s", "great p", "life wa", "man ra", "le m", "as g", "des t", "from k",
        "the lo", "night f", "a amo", "love s", "the name of the ro", "red vio", "la m",
    ]  # fmt: skip
    asked: list[str] = []  # the last words the bulk check was asked about

    class Counted:
        def word_counts(self, titles: list[int]) -> list[int]:
            return bulk.word_counts(titles)

        def completing(self, titles: list[int], last: str) -> list[bool]:
            asked.append(last)
            return bulk.completing(titles, last)

    bulk = arrays.in_bulk
    counted = dataclasses.replace(arrays, in_bulk=Counted())
    for query in typed:
        for above in (-math.inf, -20.0, -15.0):
            found = counted.candidates(query, priors, 10, above_prior=above)
            assert found == reference.candidates(query, priors, 10, above_prior=above), query
    assert len(set(asked)) >= 4
