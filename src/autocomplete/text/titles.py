"""Leading articles: IMDb's inverted titles back to display form, and display titles split.

IMDb files a title under its first significant word: "Big Lebowski, The", "Dolce vita, La",
"Avventura, L'", "Ach Shel Driks, Ha-". ``restore_inverted_title`` turns these back into what a
person reads ("The Big Lebowski", "La dolce vita", "L'avventura", "Ha-Ach Shel Driks").
``split_leading_article`` goes the other way for any display title, so the index can also file a
title without its article ("big lebowski" finds "The Big Lebowski").

Some articles are ordinary words too ("I", "O", "To", "A", "Die"), and a comma before a last word
is common in titles ("Run, Angel, Run", "Paris, Texas", "Hello, Dolly!"). So only a final
segment that is *exactly* one of the known articles, spelled with its usual capital, moves;
"Die!" or "Texas" never do.

Splitting a display title is more cautious still: a title that *starts* with "I", "O", "To" or
"Die" is usually English ("I Am Sam", "To Kill a Mockingbird", "Die Hard"), and filing "Die Hard"
under "hard" as if "Die" were an article would put it ahead of every real title starting with
"hard". So only articles that are not also common English words split.
"""

from __future__ import annotations

# Articles that stand as their own word ("The", "La"), by language family. The list covers every
# article that ends an inverted title in the bundled catalog more than a few times.
_WORD_ARTICLES = frozenset(
    {
        # English
        "The", "A", "An",
        # Romance
        "La", "Le", "Les", "Il", "Lo", "Gli", "I", "El", "Los", "Las", "Un", "Una", "Uno", "Une",
        "O", "Os", "As", "Des",
        # Germanic and Nordic
        "Der", "Die", "Das", "Ein", "Eine", "De", "Het", "Een", "Den", "Det", "En", "Ett",
        # Greek, Hungarian, Filipino, Arabic
        "To", "Ta", "Oi", "Az", "Ang", "Al",
    }
)  # fmt: skip

# Articles whose removal is safe in any language: none is also a common English first word.
_SPLIT_ARTICLES = frozenset(
    {"The", "A", "An", "La", "Le", "Les", "Il", "Lo", "Gli", "El", "Los", "Las", "Une", "Der",
     "Das", "Het", "Een", "Ett", "Os"}
)  # fmt: skip

# Articles written joined to the next word: elided ("L'", "Un'") or hyphenated ("Ha-", "al-").
_JOINED_ARTICLES = frozenset({"L'", "Un'", "Ha-", "al-", "El-"})

# After an elided article the next word continues it and is written in lower case
# ("L'avventura"); hyphenated prefixes keep the word's capital ("Ha-Ach").
_ELIDED = frozenset({"L'", "Un'"})


def restore_inverted_title(title: str) -> str:
    """Move a trailing ", Article" to the front; any other title comes back unchanged."""
    head, separator, last = title.rpartition(", ")
    if not separator or not head.strip():
        return title
    if last in _WORD_ARTICLES:
        return f"{last} {head}"
    if last in _JOINED_ARTICLES:
        if last in _ELIDED and head[:1].isupper() and not head[1:2].isupper():
            head = head[0].lower() + head[1:]
        return f"{last}{head}"
    return title


def split_leading_article(title: str) -> tuple[str, str] | None:
    """``(article, rest)`` when a display title starts with a known article, else None.

    Matching ignores case ("the Big Lebowski" splits too), but the rest must be non-empty: a
    film called just "The" keeps its only word.
    """
    first, space, rest = title.partition(" ")
    if space and rest.strip() and first.capitalize() in _SPLIT_ARTICLES:
        return first, rest
    for article in _JOINED_ARTICLES:
        size = len(article)
        if len(title) > size and title[:size].lower() == article.lower():
            rest = title[size:]
            if rest[:1].isalnum():
                return title[:size], rest
    return None
