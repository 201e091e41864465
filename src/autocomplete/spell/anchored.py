"""When nothing matches a query of several words: find the title by the words it does get right.

Word-by-word correction gives up when a short word carries more slips than its budget
("the lkat sam" for "the last sam"), when a word is missing ("its mad mad mad" for "It's a Mad
Mad Mad Mad World"), or when a garbled word has many popular one-edit neighbours ("ar eiga
kantoku"). Yet the other words usually say plainly which title is meant. So the longest typed
words and word pairs serve as *anchors*: the most popular titles holding each anchor at a word
start are gathered (``TITLES_PER_ANCHOR`` each, ``ANCHORS`` words and pairs), and the query is
aligned with the start of each one (optimal string alignment, against every cut of the title
near the query's length). The closest few, within ``max_anchored_edits`` edits, are priced by
the error model and returned as readings: normalized title prefixes with their channel cost,
which the engine looks up like any corrected reading. When several cuts of one title are equally
few edits away ("its mad mad mad" is two from both "its a mad mad" and "its a mad mad mad"), the
error model picks between them: two dropped letters are likelier than the same number of
arbitrary slips, and the reading is what the user sees as "did you mean".

Bounded work: a few trie lookups and at most ``2 * ANCHORS * TITLES_PER_ANCHOR`` titles, each
compared at a handful of cut lengths by rapidfuzz's C implementation.
"""

from __future__ import annotations

import math

from rapidfuzz.distance import OSA

from autocomplete.index.catalog_index import CatalogIndex
from autocomplete.spell.candidates import ChannelModel, Correction
from autocomplete.text.titles import split_leading_article

ANCHORS = 2
"""Typed words, and pairs of neighbouring words, used to gather titles: this many of each, the
longest first (longer words say more)."""

MIN_ANCHOR_CHARS = 3
"""Shortest typed word used as an anchor ("a", "of" are in thousands of titles)."""

TITLES_PER_ANCHOR = 64
"""Most popular titles gathered per anchor."""

READINGS = 4
"""Closest titles priced and returned as readings."""

CUT_SLACK = 3
"""A title is cut at the query's length give or take this many characters (edits can add or
drop letters)."""


def max_anchored_edits(length: int) -> int:
    """Edits allowed between a typed query of ``length`` characters and a title's start: two,
    and one more per ten characters beyond twenty (long queries carry more slips)."""
    return 2 + max(0, length - 20) // 10


def anchored_readings(typed: str, index: CatalogIndex, model: ChannelModel) -> list[Correction]:
    """Readings of ``typed`` (normalized, two words or more) as the starts of titles that hold
    its recognizable words, cheapest first; empty when no title starts close enough."""
    words = typed.split()
    if len(words) < 2:
        return []
    query = " ".join(words)
    last_is_prefix = not typed.endswith(" ")
    budget = max_anchored_edits(len(query))
    # The longest words, and the longest pairs of neighbouring words ("in the" picks "In the
    # Line of Fire" out of thousands of titles with "the"). A finished word is looked up whole,
    # the word being typed as a prefix.
    last = len(words) - 1
    singles = [(word, position, position) for position, word in enumerate(words)]
    pairs = [(f"{words[i]} {words[i + 1]}", i, i + 1) for i in range(last)]
    anchors: set[str] = set()
    for phrases in (singles, pairs):
        ranked = sorted(
            (phrase for phrase in phrases if len(phrase[0]) >= MIN_ANCHOR_CHARS),
            key=lambda phrase: (-len(phrase[0]), phrase[1]),
        )
        for phrase, _, end in ranked[:ANCHORS]:
            anchors.add(phrase if end == last and last_is_prefix else phrase + " ")
    entry_title = index.hot.entry_title
    titles: set[int] = set()
    for key in anchors:
        titles.update(entry_title[entry] for entry in index.top_entries(key, TITLES_PER_ANCHOR))
    prior = index.hot.title_prior
    # (edits, -prior of the title, the cuts that few edits away)
    close: list[tuple[int, float, list[str]]] = []
    for title in titles:
        text = index.normalized_titles[title]
        starts = [text]
        split = split_leading_article(text)
        if split is not None:
            starts.append(split[1])
        for start in starts:
            found = _closest_cuts(query, start, budget, last_is_prefix)
            if found is not None:
                close.append((found[0], -prior[title], found[1]))
    close.sort()
    readings: dict[str, Correction] = {}
    for edits, _, cuts in close:
        priced = [
            (model.cost(query, cut, prefix=last_is_prefix), cut)
            for cut in cuts
            if cut not in readings
        ]
        if not priced:
            continue
        cost, reading = min(priced)
        text = reading if last_is_prefix else reading + " "
        # Other titles may start with the reading too: no tighter bound on their priors.
        readings[reading] = Correction(text, cost, edits, math.inf)
        if len(readings) == READINGS:
            break
    return sorted(readings.values(), key=lambda correction: correction.cost)


def _closest_cuts(
    query: str, text: str, budget: int, last_is_prefix: bool
) -> tuple[int, list[str]] | None:
    """(edits, cuts) for the starts of ``text`` closest to ``query``, within ``budget`` edits:
    every cut at the smallest distance, shortest first.

    A query being typed may stop anywhere; a finished one (ending in a space) only at a word's
    end.
    """
    best: tuple[int, list[str]] | None = None
    low = max(1, len(query) - CUT_SLACK)
    high = min(len(text), len(query) + CUT_SLACK)
    for end in range(low, high + 1):
        if not last_is_prefix and end < len(text) and text[end] != " ":
            continue
        cut = text[:end].rstrip()
        edits = OSA.distance(query, cut, score_cutoff=budget)
        if edits > budget or (best is not None and edits > best[0]):
            continue
        if best is None or edits < best[0]:
            best = (edits, [cut])
        elif cut not in best[1]:
            best[1].append(cut)
    return best
