from __future__ import annotations

import pytest

from autocomplete.text.titles import restore_inverted_title, split_leading_article


@pytest.mark.parametrize(
    ("inverted", "display"),
    [
        ("Big Lebowski, The", "The Big Lebowski"),
        (
            "Lord of the Rings: The Fellowship of the Ring, The",
            "The Lord of the Rings: The Fellowship of the Ring",
        ),
        ("Dolce vita, La", "La Dolce vita"),
        ("Avventura, L'", "L'avventura"),
        ("Ach Shel Driks, Ha-", "Ha-Ach Shel Driks"),
        ("Ard, al-", "al-Ard"),
        ("Beautiful Mind, A", "A Beautiful Mind"),
        ("Agapi mas, I", "I Agapi mas"),
        ("Amaxaki, To", "To Amaxaki"),
        ("Monon, tis zois tou taxidion, To", "To Monon, tis zois tou taxidion"),
        ("Altra vita, Un'", "Un'altra vita"),
        # A comma before an ordinary last word is part of the title.
        ("Paris, Texas", "Paris, Texas"),
        ("Run, Angel, Run", "Run, Angel, Run"),
        ("Die Sister, Die!", "Die Sister, Die!"),
        ("Hello, Dolly!", "Hello, Dolly!"),
        ("Sherlock, Jr.", "Sherlock, Jr."),
        # Lower-case "the" or "i" after a comma is a word, not IMDb's inverted article.
        ("Me, myself, i", "Me, myself, i"),
        (", The", ", The"),
        ("The", "The"),
    ],
)
def test_restore_inverted_title(inverted: str, display: str) -> None:
    assert restore_inverted_title(inverted) == display


@pytest.mark.parametrize(
    ("display", "split"),
    [
        ("The Big Lebowski", ("The", "Big Lebowski")),
        ("the big lebowski", ("the", "big lebowski")),
        ("L'avventura", ("L'", "avventura")),
        ("La Dolce vita", ("La", "Dolce vita")),
        ("A Beautiful Mind", ("A", "Beautiful Mind")),
        # Articles that are also common English first words never split.
        ("Die Hard", None),
        ("I Am Sam", None),
        ("To Kill a Mockingbird", None),
        ("O Brother, Where Art Thou?", None),
        # Nothing after the article: the article is the title.
        ("The", None),
        ("Thex Files", None),
        ("L'", None),
    ],
)
def test_split_leading_article(display: str, split: tuple[str, str] | None) -> None:
    assert split_leading_article(display) == split
