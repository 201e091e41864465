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
A word the memo has not seen is looked up first in the precomputed options, when the speller
was given them (``PrecomputedOptions``: the vocabulary's words and prefixes, searched at build
time by ``spell.option_table``), and searched only when they do not hold it.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Protocol, TypeAlias

from rapidfuzz.distance import OSA

from autocomplete.cache import Memo
from autocomplete.index.spelling import MAX_INDEXED_CHARS, SpellingIndex

WORD_OPTIONS = 12
"""Candidates kept per typed word (the word itself included)."""

PRICED_OPTIONS = 24
"""Candidates per typed word priced by the error model, chosen by a rough cost (edits and
popularity); the best ``WORD_OPTIONS`` of them by their real cost are kept."""

ROUGH_EDIT_COST = 4.0
"""A typical edit's cost in nats, for choosing which candidates to price."""

LIKELY_SLIP_COST = 5.0
"""A one-edit reading at most this dear (in nats: a doubled, dropped or swapped letter, or a
neighbouring key) explains a typed word well enough that two-edit readings are not searched."""

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

MIN_PHRASE_CHARS = 5
"""Letters a multi-word query needs before its one- and two-letter words may be corrected
("te godfathe" -> "the godfathe", "sn cit" -> "sin cit"); alone, such words carry too little
to go on."""

SHORT_WORD_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
"""Characters tried when generating the one-edit variants of a one- or two-letter word."""

PHRASE_CHECKS = 24
"""Readings checked against the titles per search step, best ranked first (bounds the work)."""

OPTIONS_MEMO_SIZE = 50_000
"""Typed words (and word pairs) whose candidates are memoized."""

PLAN_MEMO_SIZE = 50_000
"""Typed queries whose correction plans are memoized."""


def _one_edit_variants(word: str) -> list[str]:
    """Every string one edit (insertion, deletion, substitution, swap) from a short ``word``."""
    found: set[str] = set()
    for cut in range(len(word) + 1):
        head, tail = word[:cut], word[cut:]
        if tail:
            found.add(head + tail[1:])
            if len(tail) > 1:
                found.add(head + tail[1] + tail[0] + tail[2:])
        for char in SHORT_WORD_ALPHABET:
            found.add(head + char + tail)
            if tail:
                found.add(head + char + tail[1:])
    found.discard(word)
    found.discard("")
    return sorted(found)


def _min_except(values: tuple[float, ...], position: int, span: int) -> float:
    """The smallest value outside ``values[position : position + span]`` (inf if none)."""
    rest = values[:position] + values[position + span :]
    return min(rest) if rest else math.inf


class PrecomputedOptions(Protocol):
    """Per-word readings searched ahead of time: exactly what the search would return."""

    def options(self, word: str, is_prefix: bool, in_phrase: bool) -> tuple[WordOption, ...] | None:
        """The readings of ``word`` (None when they were not precomputed)."""
        ...


class ChannelModel(Protocol):
    """The error model: how likely a typed string is, given what the user meant."""

    def cost(self, typed: str, intended: str, *, prefix: bool = False) -> float:
        """``-log P(typed | intended)``; 0 when they are equal."""
        ...

    def max_edits(self, length: int) -> int:
        """How many edits a typed word of ``length`` characters may carry."""
        ...

    def respellings(self, typed: str, *, limit: int = 8) -> list[tuple[str, float]]:
        """What ``typed`` may be with one multi-letter confusion undone ("fantom" ->
        "phantom"), cheapest first; such confusions cost less than their letters' edits."""
        ...


@dataclass(frozen=True, slots=True)
class Correction:
    """A corrected reading of the whole query."""

    text: str  # normalized, e.g. "the big lebo"
    cost: float  # -log P(typed | intended), summed over words
    edits: int  # unweighted edit count, for reporting
    ceiling: float  # upper bound on log P(title) of any title this reading reaches


WordOption: TypeAlias = tuple[str, float, int, float, int, float, bool]
"""One reading of one typed word (or of two joined typed words), read with the indices below.

A plain tuple rather than a dataclass: the word memo holds tens of thousands of them, and
CPython's garbage collector stops tracking a tuple of strings and numbers, so its full
collections (which land on whichever keystroke triggers them) need not walk them. A tuple is
also far cheaper to build, and a word search builds a couple of dozen.
"""

Near: TypeAlias = tuple[float, str, int, float, float]
"""A known word or prefix near a typed word, before pricing: a rough rank (edits and
popularity, for choosing which to price), the text, its edit count, log popularity and the
best log prior of a title with it."""


def _near(text: str, edits: int, weight: float, best_prior: float) -> Near:
    """A ``Near`` reading, its rough rank from its edits and popularity."""
    return (edits * ROUGH_EDIT_COST - POPULARITY_PULL * weight, text, edits, weight, best_prior)


TEXT: Final = 0  # str: the intended word, prefix or words
COST: Final = 1  # float: channel cost, -log P(typed | intended)
EDITS: Final = 2  # int: unweighted edit count, for reporting
WEIGHT: Final = 3  # float: log popularity of the intended word or prefix
SPAN: Final = 4  # int: typed words consumed (2 when two words are joined)
BEST_PRIOR: Final = 5  # float: best log P(title) of a title with this word
WHOLE: Final = 6  # bool: its last word is a whole catalog word (a reading may be a whole title)


@dataclass(frozen=True, slots=True)
class WordCandidates:
    """A typed word's readings, with the summary the plan's bound needs."""

    options: tuple[WordOption, ...]
    kept: float  # best title prior the word as typed reaches (-inf if no title has it)
    kept_whole: bool  # the word as typed is a whole catalog word
    reach: float  # best title prior any reading (the word itself included) reaches
    best_changed: float  # max over changed readings of best_prior - weighted cost
    best_changed_whole: float  # the same, over changed readings that are whole words
    cheapest_change: float  # smallest weighted cost of a changed reading

    @classmethod
    def of(cls, options: tuple[WordOption, ...], channel_weight: float) -> WordCandidates:
        # One pass; each comparison keeps the first of equal values, as max() and min() do.
        kept = reach = best_changed = best_changed_whole = -math.inf
        cheapest_change = math.inf
        kept_whole = False
        for _, cost, edits, _, _, best_prior, whole in options:
            if best_prior > reach:
                reach = best_prior
            if not edits:
                if best_prior > kept:
                    kept = best_prior
                if whole:
                    kept_whole = True
                continue
            net = best_prior - channel_weight * cost
            if net > best_changed:
                best_changed = net
            if whole and net > best_changed_whole:
                best_changed_whole = net
            if channel_weight * cost < cheapest_change:
                cheapest_change = channel_weight * cost
        return cls(
            options, kept, kept_whole, reach, best_changed, best_changed_whole, cheapest_change
        )


@dataclass(frozen=True, slots=True)
class CorrectionPlan:
    """Every word's candidates, and the bound that decides whether to search them."""

    words: tuple[str, ...]
    last_is_prefix: bool
    options: tuple[tuple[WordOption, ...], ...]  # per typed word
    joins: tuple[tuple[WordOption, ...], ...]  # per typed word: it joined with the next
    ceiling: float  # upper bound on best_prior - weighted cost of any reading; -inf if none
    multi_ceiling: float  # the same bound over readings that change two words or more
    kept: tuple[float, ...]  # per typed word: WordCandidates.kept
    kept_whole_last: bool  # the last word, as typed, is whole (or the query ends in a space)


class Speller:
    """Typo candidates over one ``SpellingIndex`` under one channel model."""

    def __init__(
        self,
        spelling: SpellingIndex,
        model: ChannelModel,
        *,
        channel_weight: float = 1.0,
        exact_bonus: float = 0.0,
        phrase_exists: Callable[[str], bool] | None = None,
        precomputed: PrecomputedOptions | None = None,
    ) -> None:
        """``exact_bonus`` is what the scorer adds when a reading is a whole title: bounds add
        it only to readings whose last word is whole, the only ones that can earn it.

        ``phrase_exists(text)`` tells whether some title has ``text`` at a word start.

        Without it, a split reading ("fred dy" for "freddy") is kept whenever both halves are
        catalog words, though few such pairs ever stand together in a title.

        ``precomputed`` holds words' readings searched ahead of time over this same index,
        model and ``phrase_exists`` (the caller checks that it was built for them).
        """
        if not channel_weight > 0:
            raise ValueError(f"channel_weight must be > 0, got {channel_weight}")
        self.spelling = spelling
        self.model = model
        self.channel_weight = channel_weight
        self.exact_bonus = exact_bonus
        self.phrase_exists = phrase_exists
        self.precomputed = precomputed
        # Candidates of a typed word (or word pair, for joins) and a query's plan are pure
        # functions of the text, the index and the model, all immutable; so the memos never go
        # stale; each is bounded (see ``autocomplete.cache``).
        self._words: Memo[tuple[str, str, str], WordCandidates] = Memo(
            OPTIONS_MEMO_SIZE, "a typed word's candidates"
        )
        self._joins: Memo[tuple[str, str, str], tuple[WordOption, ...]] = Memo(
            OPTIONS_MEMO_SIZE, "two typed words read as one"
        )
        self._plans: Memo[str, CorrectionPlan] = Memo(PLAN_MEMO_SIZE, "a query's correction plan")

    def plan(self, typed: str) -> CorrectionPlan:
        """Every word's candidates and the bounds on what correcting them can reach."""
        found = self._plans.get(typed)
        if found is None:
            found = self._plans.put(typed, self._plan(typed))
        return found

    def _plan(self, typed: str) -> CorrectionPlan:
        words = tuple(typed.split())
        if not words:
            return CorrectionPlan((), True, (), (), -math.inf, -math.inf, (), False)
        last = len(words) - 1
        last_is_prefix = not typed.endswith(" ")
        in_phrase = len(words) > 1 and len(typed) - len(words) + 1 >= MIN_PHRASE_CHARS
        candidates = [
            self._word_candidates(word, last_is_prefix and i == last, in_phrase)
            for i, word in enumerate(words)
        ]
        joins = tuple(
            self._join_option(words[i], words[i + 1], last_is_prefix and i + 1 == last)
            if i < last
            else ()
            for i in range(len(words))
        )
        # A reading's title holds every word of the reading, so its prior is at most the best
        # prior of each. A reading that changes one word keeps the others as typed; a reading
        # that changes two pays at least the two cheapest changes. Per word, the best single
        # change is bounded from memoized summaries: min(best changed, others as typed -
        # cheapest change).
        weight, bonus = self.channel_weight, self.exact_bonus
        kept = tuple(found.kept for found in candidates)
        # Changes before the last word leave it as typed: whole titles only if it is whole.
        kept_bonus = bonus if candidates[last].kept_whole or not last_is_prefix else 0.0
        ceiling = -math.inf
        for position, found in enumerate(candidates):
            if found.best_changed == -math.inf:
                continue
            others = _min_except(kept, position, 1)
            if position < last:
                bound = min(found.best_changed, others - found.cheapest_change) + kept_bonus
            else:
                bound = max(
                    min(found.best_changed, others - found.cheapest_change),
                    min(found.best_changed_whole, others - found.cheapest_change) + bonus,
                )
            ceiling = max(ceiling, bound)
        change_costs = [found.cheapest_change for found in candidates]
        reach = [found.reach for found in candidates]
        last_whole = kept_bonus > 0 or candidates[last].best_changed_whole > -math.inf
        for position, pair in enumerate(joins):
            for option in pair:
                others = _min_except(kept, position, 2)
                earns = option[WHOLE] if position + 1 == last else kept_bonus > 0
                net = min(option[BEST_PRIOR], others) - weight * option[COST]
                ceiling = max(ceiling, net + (bonus if earns else 0.0))
                change_costs.append(weight * option[COST])
                last_whole = last_whole or (position + 1 == last and option[WHOLE])
                for covered in (position, position + 1):
                    reach[covered] = max(reach[covered], option[BEST_PRIOR])
        multi_ceiling = -math.inf
        if len(change_costs) >= 2:
            first, second = heapq.nsmallest(2, change_costs)
            multi_ceiling = min(reach) - first - second + (bonus if last_whole else 0.0)
        options = tuple(found.options for found in candidates)
        return CorrectionPlan(
            words,
            last_is_prefix,
            options,
            joins,
            max(ceiling, multi_ceiling),
            multi_ceiling,
            kept,
            kept_bonus > 0,
        )

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
        if plan.multi_ceiling <= floor:
            return self._single_changes(plan, limit, floor)
        weight, bonus = self.channel_weight, self.exact_bonus
        # Every word's readings, its joins with the next word included (read once, not once
        # per state of the beam).
        choices = [options + joins for options, joins in zip(plan.options, plan.joins, strict=True)]
        # A state: (rank, position, text parts, cost, edits, ceiling).
        State = tuple[float, int, tuple[str, ...], float, int, float]
        beam: list[State] = [(0.0, 0, (), 0.0, 0, math.inf)]
        finished: list[tuple[float, tuple[str, ...], float, int, float]] = []
        while beam:
            extended: list[State] = []
            append = extended.append
            for rank, position, parts, cost, edits, ceiling in beam:
                if position == len(words):
                    finished.append((rank, parts, cost, edits, ceiling))
                    continue
                for text, option_cost, option_edits, popularity, span, best_prior, _ in choices[
                    position
                ]:
                    # Branch and bound: extending a reading only lowers its ceiling and raises
                    # its cost, so one that cannot clear the floor now (even if it ends up a
                    # whole title, earning the exact bonus) never will. (min() without its call.)
                    reach = best_prior if best_prior < ceiling else ceiling
                    if reach + bonus - weight * (cost + option_cost) <= floor:
                        continue
                    append(
                        (
                            rank + option_cost - POPULARITY_PULL * popularity,
                            position + span,
                            (*parts, text),
                            cost + option_cost,
                            edits + option_edits,
                            reach,
                        )
                    )
            # Keep the best partial readings that some title actually contains: a beam of
            # readings that exist nowhere would crowd out the one that does.
            extended.sort()
            beam = []
            for state in extended[:PHRASE_CHECKS]:
                if self._occurs(state[2], state[1] < len(words) or not plan.last_is_prefix):
                    beam.append(state)
                    if len(beam) == limit:
                        break
        suffix = "" if plan.last_is_prefix else " "
        results: list[Correction] = []
        for _, parts, cost, edits, ceiling in sorted(finished):
            if edits == 0:
                continue
            results.append(Correction(" ".join(parts) + suffix, cost, edits, ceiling))
            if len(results) == limit:
                break
        return results

    def _occurs(self, parts: tuple[str, ...], complete: bool) -> bool:
        """Whether some title has these words at a word start (the last one may be a prefix)."""
        if self.phrase_exists is None:
            return True
        text = " ".join(parts)
        return self.phrase_exists(text + " " if complete else text)

    def _single_changes(self, plan: CorrectionPlan, limit: int, floor: float) -> list[Correction]:
        """The readings that change one word (or join one pair), when no other can place."""
        weight = self.channel_weight
        words, kept = plan.words, plan.kept
        ranked: list[tuple[float, int, WordOption, float]] = []
        for position in range(len(words)):
            for option in plan.options[position] + plan.joins[position]:
                if not option[EDITS]:
                    continue
                ceiling = min(option[BEST_PRIOR], _min_except(kept, position, option[SPAN]))
                ends = position + option[SPAN] == len(words)
                whole = option[WHOLE] if ends else plan.kept_whole_last
                earned = self.exact_bonus if whole else 0.0
                if ceiling + earned - weight * option[COST] <= floor:
                    continue
                rank = option[COST] - POPULARITY_PULL * option[WEIGHT]
                ranked.append((rank, position, option, ceiling))
        suffix = "" if plan.last_is_prefix else " "
        results: list[Correction] = []
        ranked.sort(key=lambda item: item[0])
        for _, position, option, ceiling in ranked[:PHRASE_CHECKS]:
            parts = (*words[:position], option[TEXT], *words[position + option[SPAN] :])
            if not self._occurs(parts, not plan.last_is_prefix):
                continue
            results.append(
                Correction(" ".join(parts) + suffix, option[COST], option[EDITS], ceiling)
            )
            if len(results) == limit:
                break
        return results

    # Per-word candidates --------------------------------------------------------------------

    def _word_candidates(self, word: str, is_prefix: bool, in_phrase: bool) -> WordCandidates:
        # A word too short to correct alone may take one edit inside a longer phrase.
        in_phrase = in_phrase and self.model.max_edits(len(word)) == 0
        key = (word, "prefix" if is_prefix else "word", "phrase" if in_phrase else "")
        found = self._words.get(key)
        if found is None:
            options = None
            if self.precomputed is not None:
                options = self.precomputed.options(word, is_prefix, in_phrase)
            if options is None:
                options = self.search_word_options(word, is_prefix, in_phrase)
            found = self._words.put(key, WordCandidates.of(options, self.channel_weight))
        return found

    def search_word_options(
        self, word: str, is_prefix: bool, in_phrase: bool
    ) -> tuple[WordOption, ...]:
        """The readings of one typed word, searched (never memoized nor precomputed): what
        ``spell.option_table`` stores. ``in_phrase`` only for a word too short to correct
        alone (``max_edits(len(word)) == 0``) inside a longer phrase."""
        spelling, model = self.spelling, self.model
        budget = 1 if in_phrase else model.max_edits(len(word))
        known = self._known_weight(word, is_prefix)
        found: list[WordOption] = []
        if known is not None or budget == 0:
            found.append(
                (
                    word,
                    0.0,
                    0,
                    known if known is not None else UNKNOWN_WEIGHT,
                    1,
                    spelling.best_prior_of(word, prefix=is_prefix),
                    self._is_whole(word),
                )
            )
        if budget == 0:
            return tuple(found)
        seen = {word}
        if in_phrase:
            within = self._within_budget(word, is_prefix, 1, seen, _one_edit_variants(word))
            found.extend(self._priced(word, is_prefix, within))
        else:
            # One edit first. A second is looked for only when no one-edit reading is a likely
            # slip: the two-edit neighbourhood of a long word is large, and pricing is the
            # typo path's dearest step.
            within = self._intended_within(word, is_prefix, 1, seen)
            priced = self._priced(word, is_prefix, within)
            if budget > 1 and min((option[COST] for option in priced), default=math.inf) > (
                LIKELY_SLIP_COST
            ):
                within += self._intended_within(word, is_prefix, budget, seen)
                priced = self._priced(word, is_prefix, within)  # the one-edit ones are memoized
            found.extend(priced)
        found.extend(self._respelled_options(word, is_prefix, seen))
        found.extend(self._split_options(word, is_prefix))
        found.sort(key=lambda option: option[COST] - POPULARITY_PULL * option[WEIGHT])
        return tuple(found[:WORD_OPTIONS])

    def _priced(self, word: str, is_prefix: bool, within: list[Near]) -> list[WordOption]:
        """The roughly most promising of ``within`` (see ``_admitted``), priced."""
        model = self.model
        # Pricing an edit is the expensive step: only the roughly most promising are priced.
        return [
            (
                intended,
                model.cost(word, intended, prefix=is_prefix),
                edits,
                weight,
                1,
                best_prior,
                not is_prefix or self._is_whole(intended),
            )
            for _, intended, edits, weight, best_prior in heapq.nsmallest(PRICED_OPTIONS, within)
        ]

    def _within_budget(
        self, word: str, is_prefix: bool, budget: int, seen: set[str], near: list[str]
    ) -> list[Near]:
        """The known words (or prefixes) of ``near`` at most ``budget`` edits from ``word``
        (see ``_admitted``)."""
        close: list[tuple[str, int]] = []
        for intended in near:
            if intended in seen:
                continue
            # One over the letter budget is left out here; a respelling may still reach it.
            edits = OSA.distance(word, intended, score_cutoff=budget)
            if edits <= budget:
                close.append((intended, edits))
        return self._admitted(word, is_prefix, seen, close)

    def _admitted(
        self, word: str, is_prefix: bool, seen: set[str], close: list[tuple[str, int]]
    ) -> list[Near]:
        """The known words (or prefixes) of ``close`` (each with its edit count), as ``Near``
        readings. Each is taken once: ``seen`` collects them."""
        spelling = self.spelling
        within: list[Near] = []
        for intended, edits in close:
            if not self._fresh(word, is_prefix, seen, intended):
                continue
            weight = self._known_weight(intended, is_prefix)
            if weight is not None:
                best_prior = spelling.best_prior_of(intended, prefix=is_prefix)
                within.append(_near(intended, edits, weight, best_prior))
        return within

    @staticmethod
    def _fresh(word: str, is_prefix: bool, seen: set[str], intended: str) -> bool:
        """Whether ``intended`` is new to this word's search (then ``seen`` takes it). A longer
        prefix that starts with the typed one reaches a subset of what the typed prefix itself
        reaches, so it can never add a result."""
        if intended in seen or (is_prefix and intended.startswith(word)):
            return False
        seen.add(intended)
        return True

    def _respelled_options(self, word: str, is_prefix: bool, seen: set[str]) -> list[WordOption]:
        """Readings through a phonetic respelling ("fantom" -> "phantom"): the edit budget
        counts letters, and a respelling changes several at once. Only respellings the
        catalog knows are priced (pricing is the expensive part)."""
        spelling, model = self.spelling, self.model
        found: list[WordOption] = []
        for intended, _ in model.respellings(word):
            if intended in seen or (is_prefix and intended.startswith(word)):
                continue
            weight = self._known_weight(intended, is_prefix)
            if weight is None:
                continue
            seen.add(intended)
            found.append(
                (
                    intended,
                    model.cost(word, intended, prefix=is_prefix),
                    max(1, OSA.distance(word, intended)),
                    weight,
                    1,
                    spelling.best_prior_of(intended, prefix=is_prefix),
                    not is_prefix or self._is_whole(intended),
                )
            )
        return found

    def _intended_within(
        self, word: str, is_prefix: bool, budget: int, seen: set[str]
    ) -> list[Near]:
        """The known words or prefixes at most ``budget`` edits from ``word``, found through the
        deletion index (probed with up to ``budget`` deletions; see ``_admitted``)."""
        spelling = self.spelling
        # The index holds prefixes of at most MAX_INDEXED_CHARS. A longer typed word, or a
        # completed word whose intended form may be longer ("beatiful" for "beautiful"), is
        # compared in full with the vocabulary words that start with each longest prefix near it.
        # A word still being typed is compared with their cuts about as long as it, give or take
        # its edit budget ("caddyshac" for "caaddyyshac" is two letters shorter).
        expand = len(word) >= MAX_INDEXED_CHARS or not is_prefix
        close, longest = spelling.prefixes_within(
            word, max_edits=budget, budget=budget, long_prefixes=expand
        )
        if is_prefix:
            # The probe's prefixes come with their weights and bounds (all indexed prefixes
            # are known), saving two trie lookups each.
            within = [
                _near(text, edits, weight, best)
                for text, edits, weight, best in close
                if self._fresh(word, is_prefix, seen, text)
            ]
        else:
            within = self._admitted(word, is_prefix, seen, [found[:2] for found in close])
        if longest:
            found: list[str] = []
            for prefix in longest:
                for candidate in spelling.words_starting(prefix, LONG_WORD_EXPANSION):
                    if is_prefix:
                        found.extend(
                            candidate[: len(word) + delta] for delta in range(-budget, budget + 1)
                        )
                    else:
                        found.append(candidate)
            within += self._within_budget(word, is_prefix, budget, seen, found)
        return within

    def _is_whole(self, word: str) -> bool:
        return self.spelling.word_log_weight_of(word) is not None

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
            if self.phrase_exists is not None and not self.phrase_exists(
                text if is_prefix else text + " "
            ):
                continue
            best = min(
                spelling.best_prior_of(left, prefix=False),
                spelling.best_prior_of(right, prefix=is_prefix),
            )
            cost = self.model.cost(word, text, prefix=is_prefix)
            whole = not is_prefix or self._is_whole(right)
            found.append((text, cost, 1, left_weight + right_weight, 1, best, whole))
        return found

    def _join_option(self, left: str, right: str, is_prefix: bool) -> tuple[WordOption, ...]:
        """The reading of two typed words as one, split by a stray space (memoized)."""
        key = (left, right, "prefix" if is_prefix else "word")
        found = self._joins.get(key)
        if found is None:
            found = self._joins.put(key, self._search_join(left, right, is_prefix))
        return found

    def _search_join(self, left: str, right: str, is_prefix: bool) -> tuple[WordOption, ...]:
        joined = left + right
        weight = self._known_weight(joined, is_prefix)
        if weight is None:
            return ()
        return (
            (
                joined,
                self.model.cost(f"{left} {right}", joined, prefix=is_prefix),
                1,
                weight,
                2,
                self.spelling.best_prior_of(joined, prefix=is_prefix),
                not is_prefix or self._is_whole(joined),
            ),
        )
