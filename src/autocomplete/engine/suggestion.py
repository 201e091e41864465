"""The result type of ``Autocomplete.suggest``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
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


# Each field's slot, set directly: a frozen dataclass's generated ``__init__`` sets every field
# through ``object.__setattr__`` by name, which costs twice as much (1.5 against 0.8 us for the
# sixteen), and the engine builds one Suggestion per title a never-seen keystroke shows.
_new = object.__new__


def _slot_setter(name: str) -> Callable[[Suggestion, object], None]:
    """The setter of one field's slot (its member descriptor's ``__set__``)."""
    setter: Callable[[Suggestion, object], None] = vars(Suggestion)[name].__set__
    return setter


_set_text = _slot_setter("text")
_set_id = _slot_setter("id")
_set_score = _slot_setter("score")
_set_metadata = _slot_setter("metadata")
_set_label = _slot_setter("label")
_set_match = _slot_setter("match")
_set_normalized_spans = _slot_setter("normalized_spans")
_set_prior = _slot_setter("prior")
_set_channel = _slot_setter("channel")
_set_feedback = _slot_setter("feedback")
_set_context = _slot_setter("context")
_set_corrected = _slot_setter("corrected")
_set_corrected_query = _slot_setter("corrected_query")
_set_corrected_confidently = _slot_setter("corrected_confidently")
_set_explanation = _slot_setter("explanation")
_set_matched_alias = _slot_setter("matched_alias")


def new_suggestion(
    text: str,
    id: str,
    score: float,
    metadata: Mapping[str, object],
    label: str,
    match: str,
    normalized_spans: tuple[Span, ...],
    prior: float,
    channel: float,
    feedback: float,
    context: float,
    corrected: bool,
    corrected_query: str | None,
    corrected_confidently: bool,
    explanation: tuple[str, ...],
    matched_alias: str | None,
) -> Suggestion:
    """``Suggestion(...)`` with every field given, by position, in the order it declares them
    (the same value: a test compares them field by field), at half the cost."""
    suggestion: Suggestion = _new(Suggestion)
    _set_text(suggestion, text)
    _set_id(suggestion, id)
    _set_score(suggestion, score)
    _set_metadata(suggestion, metadata)
    _set_label(suggestion, label)
    _set_match(suggestion, match)
    _set_normalized_spans(suggestion, normalized_spans)
    _set_prior(suggestion, prior)
    _set_channel(suggestion, channel)
    _set_feedback(suggestion, feedback)
    _set_context(suggestion, context)
    _set_corrected(suggestion, corrected)
    _set_corrected_query(suggestion, corrected_query)
    _set_corrected_confidently(suggestion, corrected_confidently)
    _set_explanation(suggestion, explanation)
    _set_matched_alias(suggestion, matched_alias)
    return suggestion
