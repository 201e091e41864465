from __future__ import annotations

import pytest

from autocomplete.text.normalize import (
    display_spans,
    normalize,
    normalize_query,
    normalize_with_offsets,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The Big Lebowski", "the big lebowski"),
        ("Schindler's List", "schindlers list"),
        ("Schindler’s List", "schindlers list"),
        ("Amélie", "amelie"),
        ("Straße", "strasse"),
        ("Rock & Roll", "rock and roll"),
        ("Lord of the Rings: The Two Towers", "lord of the rings the two towers"),
        ("  many   spaces\there ", "many spaces here"),
        ("L'Avventura", "lavventura"),
        ("$21 a Day", "21 a day"),
        ("ﬁsh", "fish"),
        ("!!!", ""),
        ("", ""),
    ],
)
def test_normalize_folds_case_accents_punctuation_and_space(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_ascii_and_unicode_paths_agree_on_ascii_punctuation() -> None:
    # A trailing "é" sends the text down the general path; the rest must fold as on the fast path.
    text = 'Dr. Strangelove, or: How I Learned (1964) & Loved "It" x'
    assert normalize(text + "é") == normalize(text) + "e"


def test_query_keeps_one_trailing_space_as_word_end() -> None:
    assert normalize_query("the big ") == "the big "
    assert normalize_query("the big,") == "the big "
    assert normalize_query("the big") == "the big"
    assert normalize_query("   ") == ""
    assert normalize_query("schindler'") == "schindler"


def test_offsets_point_at_source_characters() -> None:
    text = "Schindler's List"
    folded, offsets = normalize_with_offsets(text)
    assert folded == normalize(text)
    assert len(offsets) == len(folded)
    for index, char in enumerate(folded):
        if char != " ":
            assert normalize(text[offsets[index]]) == char


def test_offsets_cover_expanding_characters() -> None:
    folded, offsets = normalize_with_offsets("Straße")
    assert folded == "strasse"
    assert offsets[4] == offsets[5] == 4


def test_display_spans_map_back_to_the_title() -> None:
    assert display_spans("Schindler's List", ((0, 10),)) == ((0, 11),)
    assert display_spans("The Big Lebowski", ((8, 16),)) == ((8, 16),)
    assert display_spans("Amélie", ((0, 3),)) == ((0, 3),)
    assert display_spans("Rock & Roll", ((5, 13),)) == ((5, 11),)
    assert display_spans("anything", ()) == ()
