"""Candidate corrections of a typed query: what the user may have meant, with channel costs.

The query is split into words; the last word is a prefix unless the query ends in a space. For
each word the candidates are the word itself (when the catalog knows it) and the vocabulary
words or word prefixes near it, found through the deletion index of ``SpellingIndex`` and kept
when their edit distance is within the word's typo *budget* (``ChannelModel.max_edits``: policy)
and cheapest under the channel model (mechanism). Dropped and doubled spaces are edits too:
a word may split in two ("biglebowski" -> "big lebowski") and two words may join ("lebow ski").

``Speller.plan`` gathers the candidates of every word and an upper bound, ``ceiling``, on the
score (log prior - channel cost) of anything a correction can reach: the engine compares it
with the results it already has and skips the rest of the typo path when no correction could
place. ``Speller.corrections`` then runs a small beam search over the words and yields whole
corrected readings ordered by channel cost, the intended words' popularity breaking ties, so
that the engine needs to look up only a handful of corrected prefixes in the catalog index.

A typed word's candidates depend only on the word and the immutable index and model, so they
are memoized per ``Speller``: the words before the one being typed repeat on every keystroke.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass
from typing import Protocol

from rapidfuzz.distance import OSA

from autocomplete.spelling_index import MAX_INDEXED_CHARS, SpellingIndex

WORD_OPTIONS = 6
"""Candidates kept per typed word (the word itself included)."""

BEAM_WIDTH = 8
"""Partial corrected queries kept while extending word by word."""

LONG_WORD_EXPANSION = 24
"""Vocabulary words examined per candidate prefix when a typed word is longer than the index."""

MIN_SPLIT_PART = 2
"""Shortest piece a typed word may be split into when a space seems to be missing."""

POPULARITY_PULL = 0.3
"""How much a word's log popularity counts against channel cost when pruning the beam.

Pruning only: the final ranking is by title prior and channel cost. A common word one edit
away ("the" for "teh") must survive the beam next to the rare word typed exactly ("tehran").
"""

UNKNOWN_WEIGHT = -50.0
"""Log popularity given to a typed word the catalog does not know, kept as typed."""

OPTIONS_MEMO_SIZE = 50_000
"""Typed words whose candidates are memoized before the memo is emptied and refilled."""


class ChannelModel(Protocol):
    """The error model: how likely a typed string is, given what the user meant."""

    def cost(self, typed: str, intended: str, *, prefix: bool = False) -> float:
        """``-log P(typed | intended)``; 0 when they are equal."""
        ...

    def max_edits(self, length: int) -> int:
        """How many edits a typed word of ``length`` characters may carry."""
        ...


@dataclass(frozen=True, slots=True)
class Correction:
    """A corrected reading of the whole query."""

    text: str  # normalized, e.g. "the big lebo"
    cost: float  # -log P(typed | intended), summed over words
    edits: int  # unweighted edit count, for reporting
    ceiling: float  # upper bound on log P(title) of any title this reading reaches


@dataclass(frozen=True, slots=True)
class WordOption:
    """One reading of one typed word (or of two joined typed words)."""

    text: str
    cost: float
    edits: int
    weight: float  # log popularity of the intended word or prefix
    span: int  # typed words consumed (2 when two words are joined)
    best_prior: float  # best log P(title) of a title with this word


@dataclass(frozen=True, slots=True)
class WordCandidates:
    """A typed word's readings, with the summary the plan's bound needs."""

    options: tuple[WordOption, ...]
    reach: float  # best title prior any reading (the word itself included) reaches
    best_changed: float  # max over changed readings of best_prior - weighted cost
    cheapest_change: float  # smallest weighted cost of a changed reading

    @classmethod
    def of(cls, options: tuple[WordOption, ...], channel_weight: float) -> WordCandidates:
        changed = [option for option in options if option.edits]
        return cls(
            options,
            max((option.best_prior for option in options), default=-math.inf),
            max(
                (option.best_prior - channel_weight * option.cost for option in changed),
                default=-math.inf,
            ),
            min((channel_weight * option.cost for option in changed), default=math.inf),
        )


@dataclass(frozen=True, slots=True)
class CorrectionPlan:
    """Every word's candidates, and the bound that decides whether to search them."""

    words: tuple[str, ...]
    last_is_prefix: bool
    options: tuple[tuple[WordOption, ...], ...]  # per typed word
    joins: tuple[tuple[WordOption, ...], ...]  # per typed word: it joined with the next
    ceiling: float  # max over changed words of best_prior - weighted cost; -inf if none


class Speller:
    """Typo candidates over one ``SpellingIndex`` under one channel model."""

    def __init__(
        self, spelling: SpellingIndex, model: ChannelModel, *, channel_weight: float = 1.0
    ) -> None:
        if not channel_weight > 0:
            raise ValueError(f"channel_weight must be > 0, got {channel_weight}")
        self.spelling = spelling
        self.model = model
        self.channel_weight = channel_weight
        # Candidates of a typed word (or word pair, for joins) are a pure function of the words,
        # the index and the model, all immutable; so the memo never goes stale. It is emptied
        # when full (bounded memory).
        self._memo: dict[tuple[str, ...], WordCandidates | tuple[WordOption, ...]] = {}

    def plan(self, typed: str) -> CorrectionPlan:
        words = tuple(typed.split())
        last = len(words) - 1
        last_is_prefix = not typed.endswith(" ")
        candidates = [
            self._word_candidates(word, last_is_prefix and i == last)
            for i, word in enumerate(words)
        ]
        joins = tuple(
            self._join_option(words[i], words[i + 1], last_is_prefix and i + 1 == last)
            if i < last
            else ()
            for i in range(len(words))
        )
        # A reading keeps every other word (or a variant of it) in the same title, so a title
        # it reaches is no more popular than the best title any variant of those words reaches.
        # Per word, max over readings of min(best_prior, others) - cost is at most
        # min(best_changed, others - cheapest_change): a bound computed from memoized summaries.
        reach = [found.reach for found in candidates]
        weight = self.channel_weight
        ceiling = -math.inf
        for position, found in enumerate(candidates):
            if found.best_changed == -math.inf:
                continue
            others = min(reach[:position] + reach[position + 1 :], default=math.inf)
            ceiling = max(ceiling, min(found.best_changed, others - found.cheapest_change))
        for position, pair in enumerate(joins):
            for option in pair:
                others = min(reach[:position] + reach[position + 2 :], default=math.inf)
                ceiling = max(ceiling, min(option.best_prior, others) - weight * option.cost)
        options = tuple(found.options for found in candidates)
        return CorrectionPlan(words, last_is_prefix, options, joins, ceiling)

    def corrections(
        self, plan: CorrectionPlan, *, limit: int = BEAM_WIDTH, floor: float = -math.inf
    ) -> list[Correction]:
        """The ``limit`` cheapest readings that change at least one word.

        Readings whose best reachable title, less their weighted channel cost, cannot exceed
        ``floor`` are dropped before the engine looks them up.
        """
        words = plan.words
        if not words:
            return []
        weight = self.channel_weight
        # A state: (rank, position, text parts, cost, edits, ceiling).
        State = tuple[float, int, tuple[str, ...], float, int, float]
        beam: list[State] = [(0.0, 0, (), 0.0, 0, math.inf)]
        finished: list[tuple[float, tuple[str, ...], float, int, float]] = []
        while beam:
            extended: list[State] = []
            for rank, position, parts, cost, edits, ceiling in beam:
                if position == len(words):
                    finished.append((rank, parts, cost, edits, ceiling))
                    continue
                for option in plan.options[position] + plan.joins[position]:
                    # Branch and bound: extending a reading only lowers its ceiling and raises
                    # its cost, so one that cannot clear the floor now never will.
                    reach = min(ceiling, option.best_prior)
                    if reach - weight * (cost + option.cost) <= floor:
                        continue
                    extended.append(
                        (
                            rank + option.cost - POPULARITY_PULL * option.weight,
                            position + option.span,
                            (*parts, option.text),
                            cost + option.cost,
                            edits + option.edits,
                            reach,
                        )
                    )
            beam = heapq.nsmallest(limit, extended)
        suffix = "" if plan.last_is_prefix else " "
        results: list[Correction] = []
        for _, parts, cost, edits, ceiling in sorted(finished):
            if edits == 0:
                continue
            results.append(Correction(" ".join(parts) + suffix, cost, edits, ceiling))
            if len(results) == limit:
                break
        return results

    # Per-word candidates --------------------------------------------------------------------

    def _word_candidates(self, word: str, is_prefix: bool) -> WordCandidates:
        key = (word, "prefix" if is_prefix else "word")
        found = self._memo.get(key)
        if not isinstance(found, WordCandidates):
            found = WordCandidates.of(
                self._search_word_options(word, is_prefix), self.channel_weight
            )
            self._remember(key, found)
        return found

    def _remember(
        self, key: tuple[str, ...], value: WordCandidates | tuple[WordOption, ...]
    ) -> None:
        if len(self._memo) >= OPTIONS_MEMO_SIZE:
            self._memo.clear()
        self._memo[key] = value

    def _search_word_options(self, word: str, is_prefix: bool) -> tuple[WordOption, ...]:
        spelling, model = self.spelling, self.model
        budget = model.max_edits(len(word))
        known = self._known_weight(word, is_prefix)
        found: list[WordOption] = []
        if known is not None or budget == 0:
            found.append(
                WordOption(
                    word,
                    0.0,
                    0,
                    known if known is not None else UNKNOWN_WEIGHT,
                    1,
                    spelling.best_prior_of(word, prefix=is_prefix),
                )
            )
        if budget == 0:
            return tuple(found)
        seen = {word}
        for intended in self._intended_near(word, is_prefix):
            # A longer prefix that starts with the typed one reaches a subset of what the typed
            # prefix itself reaches, so it can never add a result.
            if intended in seen or (is_prefix and intended.startswith(word)):
                continue
            seen.add(intended)
            edits = OSA.distance(word, intended, score_cutoff=budget)
            if edits > budget:
                continue
            weight = self._known_weight(intended, is_prefix)
            if weight is None:
                continue
            found.append(
                WordOption(
                    intended,
                    model.cost(word, intended, prefix=is_prefix),
                    edits,
                    weight,
                    1,
                    spelling.best_prior_of(intended, prefix=is_prefix),
                )
            )
        found.extend(self._split_options(word, is_prefix))
        found.sort(key=lambda option: option.cost - POPULARITY_PULL * option.weight)
        return tuple(found[:WORD_OPTIONS])

    def _intended_near(self, word: str, is_prefix: bool) -> list[str]:
        spelling = self.spelling
        near = spelling.prefixes_near(word)
        if len(word) <= MAX_INDEXED_CHARS:
            return near
        # The index holds prefixes of at most MAX_INDEXED_CHARS; longer words are compared in
        # full with the vocabulary words that start with each candidate prefix.
        found: list[str] = []
        for prefix in near:
            for candidate in spelling.words_starting(prefix, LONG_WORD_EXPANSION):
                if is_prefix and len(candidate) > len(word):
                    found.extend(candidate[: len(word) + delta] for delta in (-1, 0, 1))
                else:
                    found.append(candidate)
        return found

    def _known_weight(self, text: str, is_prefix: bool) -> float | None:
        """Log popularity of ``text`` as a whole word, or as a word prefix when ``is_prefix``."""
        spelling = self.spelling
        if not is_prefix:
            return spelling.word_log_weight_of(text)
        weight = spelling.prefix_log_weight_of(text[:MAX_INDEXED_CHARS])
        if weight is None:
            return None
        if len(text) > MAX_INDEXED_CHARS and not spelling.has_word_starting(text):
            return None
        return weight

    def _split_options(self, word: str, is_prefix: bool) -> list[WordOption]:
        """Readings of ``word`` as two words whose separating space was not typed."""
        spelling = self.spelling
        found: list[WordOption] = []
        for cut in range(MIN_SPLIT_PART, len(word) - MIN_SPLIT_PART + 1):
            left, right = word[:cut], word[cut:]
            left_weight = spelling.word_log_weight_of(left)
            if left_weight is None:
                continue
            right_weight = self._known_weight(right, is_prefix)
            if right_weight is None:
                continue
            text = f"{left} {right}"
            best = min(
                spelling.best_prior_of(left, prefix=False),
                spelling.best_prior_of(right, prefix=is_prefix),
            )
            cost = self.model.cost(word, text, prefix=is_prefix)
            found.append(WordOption(text, cost, 1, left_weight + right_weight, 1, best))
        return found

    def _join_option(self, left: str, right: str, is_prefix: bool) -> tuple[WordOption, ...]:
        """The reading of two typed words as one, split by a stray space (memoized)."""
        key = (left, right, "prefix" if is_prefix else "word")
        found = self._memo.get(key)
        if not isinstance(found, tuple):
            found = self._search_join(left, right, is_prefix)
            self._remember(key, found)
        return found

    def _search_join(self, left: str, right: str, is_prefix: bool) -> tuple[WordOption, ...]:
        joined = left + right
        weight = self._known_weight(joined, is_prefix)
        if weight is None:
            return ()
        return (
            WordOption(
                joined,
                self.model.cost(f"{left} {right}", joined, prefix=is_prefix),
                1,
                weight,
                2,
                self.spelling.best_prior_of(joined, prefix=is_prefix),
            ),
        )
