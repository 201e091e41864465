"""The result type of ``Autocomplete.suggest``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from autocomplete.text.normalize import display_spans

Span = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One ranked suggestion, with the parts of its score so a ranking can be explained.

    ``score = prior + match + channel + feedback + context`` (see ``autocomplete.rank.scoring``).
    """

    text: str
    """The display title, e.g. "The Big Lebowski"."""
    id: str
    score: float
    metadata: Mapping[str, object]
    label: str
    """``text``, plus the year when several titles share that text (remakes)."""
    match: str
    """How the query reached the title: title, no_article, alias, word, initials, words (its
    typed words are scattered words of the title, or its year: see ``rank.multiword``),
    translation (English words read through the bilingual lexicon, see ``spell.translation``),
    or feedback (users chose it after typing this very query, though its text does not
    match)."""
    normalized_spans: tuple[Span, ...]
    """Matched ``[start, end)`` ranges over the normalized title; see ``spans``."""
    prior: float
    """log P(title) from popularity."""
    channel: float = 0.0
    """log P(typed | intended): 0 for an exact prefix, negative for a correction."""
    feedback: float = 0.0
    """Click-feedback boost."""
    context: float = 0.0
    """Metadata boosts and session context."""
    corrected: bool = False
    """True when the query was spelled differently from the title."""
    corrected_query: str | None = None
    """The query as the engine understood it ("the big lebowski"), for "did you mean"."""
    corrected_confidently: bool = False
    """True when ``corrected`` and the correction is likely enough to announce ("Showing
    results for ..."): its channel cost per character is within
    ``scoring.CONFIDENT_CORRECTION_COST``. "amelie" read as "american" is corrected, not
    confidently: American Beauty is then one of the closest titles, not what was meant."""
    explanation: tuple[str, ...] = ()
    """Why ``feedback`` and ``context`` are what they are ("genres=Animation x2", ...)."""
    matched_alias: str | None = None
    """The other name the query matched when it reached the title through an alias, as the
    catalog writes it ("The Good, the Bad and the Ugly" for "Il Buono, il brutto, il cattivo",
    "godfather 2" for The Godfather: Part II); ``spans`` then mark the title's words that
    correspond to the typed ones, if any do."""

    @property
    def spans(self) -> tuple[Span, ...]:
        """Matched ``[start, end)`` character ranges of ``text``, for highlighting."""
        return display_spans(self.text, self.normalized_spans)
