"""The scoring function: one place that says how a suggestion's score is made.

Every suggestion's score is a log-probability-like sum, so terms from different sources add::

    score = log P(title)                     popularity prior
          + match_weight(kind)               how the query matched the title
          + exact_bonus                      the query is the whole title (or alias)
          - channel_cost                     -log P(typed | intended), 0 for an exact prefix
          + feedback                         click-feedback boost (bounded, may be negative)
          + context                          metadata boosts and session context (bounded)

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
    "EXACT_BONUS",
    "EXACT_KINDS",
    "EXACT_KIND_CODES",
    "MATCH_WEIGHT",
    "MIN_INITIALS",
    "PRIOR_SMOOTHING",
    "MatchKind",
    "log_priors",
    "match_weights",
]

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


def correction_is_confident(channel_cost: float, reading: str) -> bool:
    """Whether a correction of ``channel_cost`` nats to ``reading`` (the query as the engine
    read it) is sure enough to be announced rather than merely offered."""
    return channel_cost <= CONFIDENT_CORRECTION_COST * max(len(reading.rstrip()), 1)
