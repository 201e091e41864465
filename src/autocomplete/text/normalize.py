"""Text normalization shared by the index (at build time) and queries (per keystroke).

Both sides must fold text the same way, so this is the one place that decides what counts as
"the same" text:

* Unicode compatibility decomposition (NFKD) with combining marks dropped, so "Amélie" matches
  "amelie" and "ﬁ" matches "fi";
* case folding (``str.casefold``, so "Straße" matches "strasse");
* "&" is spelled "and" ("Rock & Roll" matches "rock and roll");
* apostrophes vanish rather than split a word ("Schindler's" matches "schindlers");
* every other non-alphanumeric character is a word break, and runs of breaks collapse to a
  single space.

``normalize_with_offsets`` also returns, for every output character, the index of the source
character it came from; the engine uses it to turn match positions in normalized text into
highlight spans in the display title.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from autocomplete.limits import MAX_QUERY_CHARS, MAX_RAW_QUERY_CHARS

_APOSTROPHES = frozenset("'’‘`´ʼ")


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    """Fold one source character to its normalized form ('' to drop it, ' ' for a break)."""
    if char in _APOSTROPHES:
        return ""
    if char == "&":
        return " and "
    if char.isascii():
        return char.lower() if char.isalnum() else " "
    folded: list[str] = []
    for part in unicodedata.normalize("NFKD", char):
        if unicodedata.combining(part):
            continue
        for lowered in part.casefold():
            if lowered in _APOSTROPHES:
                continue
            folded.append(lowered if lowered.isalnum() else " ")
    return "".join(folded)


def _ascii_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for code in range(128):
        folded = _fold_char(chr(code))
        if folded != chr(code):
            table[code] = folded
    return table


_ASCII_TABLE = _ascii_table()


def normalize(text: str) -> str:
    """Fold ``text`` for matching; leading and trailing spaces are stripped."""
    if text.isascii():
        folded = text.translate(_ASCII_TABLE)
    else:
        folded = "".join([_fold_char(char) for char in text])
    return " ".join(folded.split())


def normalize_query(text: str) -> str:
    """Fold a query as typed: like ``normalize``, but a trailing break is kept as one space.

    The trailing space means "this word is complete": "the big " should prefer "The Big Sleep"
    over "The Bigamist".
    """
    folded = normalize(text)
    if folded and text and _fold_char(text[-1]).endswith(" "):
        return folded + " "
    return folded


def normalize_typed(text: str) -> str:
    """``normalize_query`` with bounded work: at most ``MAX_RAW_QUERY_CHARS`` of the input are
    read and at most ``MAX_QUERY_CHARS`` come out, whatever the input's length."""
    return normalize_query(text[:MAX_RAW_QUERY_CHARS])[:MAX_QUERY_CHARS]


def normalize_with_offsets(text: str) -> tuple[str, list[int]]:
    """Normalize ``text`` and map each output character to the index of its source character."""
    chars: list[str] = []
    offsets: list[int] = []
    break_start = -1  # source index where the current run of word breaks began
    for index, char in enumerate(text):
        for folded in _fold_char(char):
            if folded == " ":
                if chars and break_start < 0:
                    break_start = index
                continue
            if break_start >= 0:
                chars.append(" ")
                offsets.append(break_start)
                break_start = -1
            chars.append(folded)
            offsets.append(index)
    return "".join(chars), offsets


def display_spans(
    text: str, normalized_spans: tuple[tuple[int, int], ...]
) -> tuple[tuple[int, int], ...]:
    """Translate [start, end) spans over ``normalize(text)`` into spans over ``text`` itself."""
    if not normalized_spans:
        return ()
    _, offsets = normalize_with_offsets(text)
    spans: list[tuple[int, int]] = []
    for start, end in normalized_spans:
        end = min(end, len(offsets))
        if start >= end:
            continue
        first = offsets[start]
        last = offsets[end - 1]
        # A folded character may expand (ß -> ss); the span covers its whole source character.
        spans.append((first, last + 1))
    return tuple(spans)
