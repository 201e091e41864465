r"""The scoring function: one place that says how a suggestion's score is made.

Every suggestion's score is a log-probability-like sum, so terms from different sources add::

    score = log P(title)                     popularity prior          \  static: stored
          + match_weight(kind)               how the query matched it  /  per index entry
          - channel_cost                     -log P(typed | intended), 0 for an exact prefix
          + exact_bonus                      the query is the whole title (or alias)
          - dropped_word_cost                the last word was ignored (last resort)
          + feedback                         click-feedback boost (bounded, may be negative)
          + context                          metadata boosts and session context (bounded)

The first five are the *retrieval* terms, known when a source finds a candidate
(``retrieval_score``); the last two are the *lifts*, added when the request carries them
(``lifted_score``). These two functions are where every score is summed, term by term in the
order above (floating-point addition is not associative, so the order is part of the
definition). The early exits compare bounds made the same way: a source whose best possible
candidate (its best static part, no channel cost, the exact bonus where it can be earned, the
largest lift) cannot place is not searched. One exception to "summed here": the scattered-words
source (``rank.multiword``) prices a whole block of titles at once in NumPy, ``prior - cost``
with its channel cost made of the same spelling costs plus its skip and order costs.

* ``log P(title) = log((w + a) / sum(w + a))`` with ``w`` the catalog weight (IMDb votes for the
  bundled catalog) and add-``a`` smoothing so that unvoted titles still have a chance. Votes are
  heavy-tailed (1 to 150,000), and the log keeps one blockbuster from hiding every other title
  sharing a prefix while still ordering titles by popularity.
* ``match_weight``: a prefix of the whole title costs nothing; matching the title without its
  leading article ("big lebowski") or through an alias costs a little; a match at a later word
  start ("lebowski") costs ``log(0.12)``, so it ranks below a whole-title prefix match of a
  title up to about eight times less popular.
* Initials ("tbl" for The Big Lebowski) are an abbreviation channel: ``log(0.5)``, and only
  for queries of one word of at least ``MIN_INITIALS`` letters.
* ``exact_bonus`` lifts a title whose whole text is the query ("Alien" for "alien") above longer
  titles that merely start with it ("Aliens"), unless they are far more popular.

The static part (prior + match weight, ``autocomplete.index.static_score``) is computed once
per index entry at build time; the engine adds the query-dependent terms defined here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from autocomplete.index.static_score import (
    EXACT_KIND_CODES,
    EXACT_KINDS,
    MATCH_WEIGHT,
    MIN_INITIALS,
    PRIOR_SMOOTHING,
    MatchKind,
    log_priors,
    match_weights,
)

__all__ = [
    "CHANNEL_WEIGHT",
    "CORRECTION_MARGIN",
    "DROPPED_WORD_COST",
    "EXACT_BONUS",
    "EXACT_KINDS",
    "EXACT_KIND_CODES",
    "MATCH_WEIGHT",
    "MIN_INITIALS",
    "PRIOR_SMOOTHING",
    "MatchKind",
    "lifted_score",
    "log_priors",
    "match_weights",
    "retrieval_score",
    "retrieval_scores",
]

TRANSLATION_MATCH = "translation"
"""A suggestion's ``match`` when the translation channel reached its title."""

TRANSLATION_MATCH_WEIGHT = math.log(0.8)
"""Match weight of a title reached through the translation channel, as for an alias (the
per-word translation costs, and what a partial reading adds, are its channel cost; see
``spell.translation``)."""

EXACT_BONUS = math.log(3.0)
"""Added when the query is the entire title, alias or title-without-article."""

CHANNEL_WEIGHT = 1.0
"""Multiplies the channel cost; 1.0 is the plain noisy channel."""

CORRECTION_MARGIN = 3.0
"""A correction is offered only when it scores within this many nats of the best exact match.

When the typed text already completes to titles, a reading of it as a typo must be at least
``exp(-CORRECTION_MARGIN)`` (about 1/20) as likely as the best of them to be shown; otherwise
a specific, correctly typed title would be padded with far-fetched neighbours.
"""


CONFIDENT_CORRECTION_COST = 2.0
"""Most channel cost per character of the reading (nats) for a correction to be *confident*.

A confident correction is announced ("Showing results for *the big lebowski*"); a costlier one is
still listed, but as the closest titles, not as what the user meant. A slip costs a few nats
whatever the length of the query, so the cost is taken per character: "teh big leb" ->
"the big leb" costs 0.4 nats per character, while "amelie" read as "americ" (American Beauty)
costs 2.4: a third of the letters changed. Fitted on the eval's typo categories (one_slip,
two_slips, phonetic; seeds 0 and 1, 300 queries each), 1,505 of the 1,514 corrections whose top
title was the one meant (99.4%) stay confident; see ``docs/architecture.md``.
"""


DROPPED_WORD_COST = 8.0
"""Channel cost of ignoring the last typed word when nothing else matches (nats)."""


def retrieval_score(
    static: float,
    channel_cost: float = 0.0,
    *,
    exact: bool = False,
    dropped_word: bool = False,
) -> float:
    """A candidate's score as its source finds it: the static part (prior and match weight),
    less the weighted channel cost, plus the exact bonus, less the dropped word's cost."""
    score = static - channel_cost * CHANNEL_WEIGHT
    if exact:
        score += EXACT_BONUS
    if dropped_word:
        score -= DROPPED_WORD_COST
    return score


def retrieval_scores(statics: Iterable[float], channel_cost: float) -> list[float]:
    """``retrieval_score`` of many statics under one channel cost, no bonus (the same values:
    ``a + -b`` and ``a - b`` round alike), in one call for the hot path."""
    offset = -channel_cost * CHANNEL_WEIGHT
    return [static + offset for static in statics]


def lifted_score(score: float, feedback: float, context: float) -> float:
    """A retrieval score with the request's lifts added (clicks, then boosts and session)."""
    return score + feedback + context


def correction_is_confident(channel_cost: float, reading: str) -> bool:
    """Whether a correction of ``channel_cost`` nats to ``reading`` (the query as the engine
    read it) is sure enough to be announced rather than merely offered."""
    return channel_cost <= CONFIDENT_CORRECTION_COST * max(len(reading.rstrip()), 1)
