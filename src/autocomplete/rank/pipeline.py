"""What flows through the ranking pipeline: candidate sources and the typed candidate record.

A keystroke is answered as retrieve -> score -> dedupe -> present. Each *source* below yields
``Candidate`` records whose ``score`` holds the retrieval terms (``scoring.retrieval_score``);
the adjusting step adds the lift terms (``scoring.lifted_score``); deduplication keeps each
title's best candidate; presentation turns the first ``k`` into ``Suggestion`` values, saying
how each was reached through its source.
"""

from __future__ import annotations

import enum
from operator import attrgetter
from typing import NamedTuple


class Source(enum.IntEnum):
    """Where a candidate came from (one per way the engine reads a query)."""

    PREFIX = 0
    """The typed text as a prefix of a title, its text without article, a later word, an alias
    or its initials (the entry's match kind says which)."""
    CORRECTED = 1
    """A corrected reading of the typed text, as a prefix (``spell.candidates``)."""
    ANCHORED = 2
    """A reading of a multi-word query compared whole with titles holding its words, when
    nothing else matches (``spell.anchored``)."""
    DROPPED_WORD = 3
    """The query without its last word, the last resort when nothing matches."""
    WORDS = 4
    """The typed words scattered over a title, skipped words and another order allowed
    (``rank.multiword``)."""
    JOINED = 5
    """A title a lift (clicks, a boost clause, the session) brought in through an entry the
    typed text reaches, though it lay below the retrieved top ``k``."""
    CLICKED = 6
    """A title people chose after typing exactly this, though the text does not reach it."""
    TRANSLATION = 7
    """A foreign title whose words the typed English words translate (``spell.translation``)."""


class Candidate(NamedTuple):
    """One way of reaching one title's index entry, with its score so far."""

    score: float
    entry: int  # index entry position (a title-level source uses the title's first entry)
    channel: float  # channel cost in nats: -log P(typed | reading); 0 for the typed text
    reading: str  # the query as read to reach the entry
    source: Source
    feedback: float = 0.0  # click lift, included in ``score`` once adjusted
    context: float = 0.0  # boosts and session lift, included in ``score`` once adjusted


by_score = attrgetter("score")
"""Sort key: candidates are ranked by score, best first (``reverse=True``)."""
