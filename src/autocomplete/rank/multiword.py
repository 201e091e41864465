"""Multi-word queries: a title found by the words people remember, in any order.

"harry potter chamber", "lord rings two towers", "lebowski big", "psycho 1998": every typed word
stands for a distinct word of the title (a finished word as a whole word, possibly misspelled;
the word being typed as a prefix; a four-digit number may instead be the title's year). Title
words may be left out and the typed words may come in another order: both are edits of the
query in the same noisy channel as the speller's slips, priced in nats by ``WordCosts``::

    cost = spelling                              the speller's channel cost of each word read
         + entry                                 once, when the reading is not a plain prefix
         + sum over skipped title words of       every title word before the last one matched
             stop_skip or content_skip           that no typed word stands for
         + inversion * (pairs typed out of order)
         + stop_inversion * (those pairs where a word is a stop word), instead

    score = log P(title) - cost

A reading that is a stretch of the title from one of its word starts (the typed words in a
row, in order, no year) is what the prefix index already finds, at its own price for a later
word start; this module leaves such titles to the index and returns only the others.
The costs are fitted on queries from the evaluation's generator (see ``FITTED_COSTS``).

Retrieval is ``WordIndex.matching`` (conjunctive, best prior first); here the query is read into
terms, each candidate title aligned with the typed words at least cost, and the walk stopped as
soon as no later title, even at the least cost any reading can have, can enter the top k.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple, Protocol

import numpy as np
import numpy.typing as npt

from autocomplete._kernels import python_kernels
from autocomplete.index.build import MAX_WORD_STARTS
from autocomplete.index.word_index import MAX_TITLE_WORDS, Term, WordIndex, WordRange
from autocomplete.spell.candidates import COST, SPAN, TEXT, CorrectionPlan

if TYPE_CHECKING or "_alignwords" not in python_kernels():
    from autocomplete.rank._alignwords import TitleAligner
else:  # built without a C compiler: the same search, title by title in Python
    from autocomplete.rank._alignwords_python import TitleAligner

MAX_TERMS = 8
"""Typed words read as separate title words; longer queries are left to the prefix index."""

READINGS_PER_WORD = 4
"""Spelling readings of a typed word tried against the titles (the cheapest first)."""

MAX_ALIGNED_TITLES = 2_048
"""Titles aligned per query at most: with the block walk's own limit, any query costs bounded
work (a few microseconds a title in the Python twin of the aligner)."""

MIN_PRICED_BLOCK = 48
"""Titles of a block from which pricing them in NumPy beats aligning them one by one in the
aligner's Python twin (its fixed cost is a few dozen NumPy calls)."""

PRICES_BLOCKS_IN_NUMPY = "_alignwords" in python_kernels()
"""Whether large blocks are priced in NumPy: only where the aligner is its Python twin. The C
aligner is faster on blocks of any size (2.7x on the keystrokes that price blocks, same
answers; docs/performance.md), so with it every title goes through the aligner."""

MAX_ALIGNMENTS = 256
"""Assignments of typed words to title positions priced per title (repeated words multiply)."""

MIN_YEAR = 1850
"""Smallest four-digit number read as a year."""

MAX_YEAR = 2100
"""Largest four-digit number read as a year."""

STOP_WORDS = frozenset(
    {"the", "a", "an", "and", "of", "in", "on", "to", "for", "at", "by", "with", "from", "or",
     "is", "it", "its", "de", "la", "le", "el", "les", "der", "die", "das", "part", "episode"}
)  # fmt: skip
"""Words whose omission says little: skipping one costs ``stop_skip`` instead of
``content_skip`` ("part" and "episode" are the filler of series titles)."""


class TitleSet(Protocol):
    """Titles a query is restricted to (a ``where`` filter)."""

    def __contains__(self, title: int, /) -> bool: ...


@dataclass(frozen=True, slots=True)
class WordCosts:
    """The channel's prices (nats) for reading a query as scattered words of a title."""

    entry: float
    """Paid once by any reading that is not a plain prefix (skips, reorder or a year)."""
    stop_skip: float
    """Per title word from ``STOP_WORDS`` left out before the last word matched."""
    content_skip: float
    """Per other title word left out before the last word matched."""
    inversion: float
    """Per pair of typed words whose title words come in the other order..."""
    stop_inversion: float = 4.0
    """...or this, instead, when one of the two is a stop word. People reorder the words they
    remember ("lebowski big"), not the words that glue them ("rock th" is The Rock's words in
    its own order, not "the" moved): a stop word out of order is the sign of another title's
    stretch, so it is priced dearer than a reordered content word."""

    def __post_init__(self) -> None:
        for name in ("entry", "stop_skip", "content_skip", "inversion", "stop_inversion"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"WordCosts.{name} must be >= 0, got {getattr(self, name)}")


FITTED_COSTS = WordCosts(
    entry=0.0, stop_skip=1.0, content_skip=2.0, inversion=0.5, stop_inversion=4.0
)
"""Fitted by ``python -m autocomplete.tools.evaluation.fit_words`` on training seeds 1-5 (see
docs/architecture.md and docs/eval/multiword.md)."""


class WordMatch(NamedTuple):
    """A title reached by the typed words, with how (a named tuple: made for every title the
    walk keeps, at a fifth of a frozen dataclass's cost)."""

    title: int
    score: float  # log P(title) - cost
    cost: float  # total channel cost, spelling included
    spelling: float  # the spelling part of ``cost``
    skipped_stop: int  # stop words of the title left out
    skipped_content: int  # other title words left out
    inversions: int  # pairs of typed words out of order
    stop_inversions: int  # those of them where a word is a stop word
    year: bool  # a typed number matched the title's year
    positions: tuple[int, ...]  # title word matched by each typed word (-1: the year)
    readings: tuple[str, ...]  # what each typed word was read as


AlignerTerms = tuple[tuple[tuple[tuple[int, int, float], ...], int | None], ...]
"""The terms as ``TitleAligner.align`` reads them: each term's ranges ``(lo, hi, cost)`` and
its year."""

Aligned = tuple[int, float, float, int, int, int, int, tuple[int, ...], tuple[int, ...]]
"""What ``TitleAligner.align`` gives for a rank that aligns: rank, cost, spelling, skipped stop
words, skipped other words, inversions, those of them where a title word is a stop word, each
typed word's title position (-1: the year) and the index of the range it was read through (-1:
the year)."""


def year_of(word: str) -> int | None:
    """The year a typed word names, or None (only four digits in ``MIN_YEAR..MAX_YEAR``)."""
    if len(word) == 4 and word.isdigit() and MIN_YEAR <= int(word) <= MAX_YEAR:
        return int(word)
    return None


def read_terms(
    typed: str, index: WordIndex, plan: Callable[[], CorrectionPlan] | None
) -> tuple[Term, ...] | None:
    """One ``Term`` per typed word, or None when the query is not a multi-word one.

    With a speller ``plan`` (asked for only when some word matches nothing as typed) such a
    word stands for its spelling corrections (the plan's own readings and costs); without one
    (``correct=False``), only for itself.
    """
    words = typed.split()
    if not 2 <= len(words) <= MAX_TERMS:
        return None
    last_is_prefix = not typed.endswith(" ")
    last = len(words) - 1
    looked_up = index.ranges(words, prefix=False, last_is_prefix=last_is_prefix)
    planned: CorrectionPlan | None = None
    if plan is not None and None in looked_up:
        planned = plan()
    usable = (
        planned is not None and planned.words == tuple(words) and len(planned.options) == len(words)
    )
    terms: list[Term] = []
    for position, word in enumerate(words):
        is_prefix = last_is_prefix and position == last
        typed_range = looked_up[position]
        ranges: list[WordRange] = []
        if typed_range is not None:
            ranges.append(WordRange(typed_range[0], typed_range[1], 0.0, word))
        elif usable:
            # Only a word that matches nothing as typed is read as a misspelling: a known
            # word read as its neighbours too would mostly find titles nobody meant.
            assert planned is not None
            readings = [
                (option[COST], option[TEXT])
                for option in sorted(planned.options[position], key=lambda option: option[COST])
                if option[SPAN] == 1 and " " not in option[TEXT] and option[TEXT] != word
            ][:READINGS_PER_WORD]
            found = index.ranges([text for _, text in readings], prefix=is_prefix)
            for (cost, text), span in zip(readings, found, strict=True):
                if span is not None:
                    ranges.append(WordRange(span[0], span[1], cost, text))
        terms.append(Term(word, tuple(ranges), year_of(word), is_prefix))
    return tuple(terms)


class WordReader:
    """Conjunctive top-k over one ``WordIndex`` under one set of costs."""

    def __init__(self, index: WordIndex, costs: WordCosts = FITTED_COSTS) -> None:
        self.index = index
        self.costs = costs
        stop_ids = (index.word_id(word) for word in STOP_WORDS)
        self._stop_mask = np.zeros(index.word_count, dtype=np.int32)
        self._stop_mask[[word_id for word_id in stop_ids if word_id is not None]] = 1
        # The least a match without a year pays for not being a plain prefix (see ``top_k``).
        self._least_edit = min(
            costs.stop_skip, costs.content_skip, costs.inversion, costs.stop_inversion
        )
        # The alignment of typed words with titles, in C (_alignwords.c) or its Python twin;
        # the keep table spares C the power (the options kept per word when they are many).
        self._aligner = TitleAligner(
            index.forward_first,
            index.forward,
            index.rank_year,
            self._stop_mask,
            (
                costs.entry,
                costs.stop_skip,
                costs.content_skip,
                costs.inversion,
                costs.stop_inversion,
            ),
            MAX_WORD_STARTS,
            MAX_ALIGNMENTS,
            tuple(max(2, int(MAX_ALIGNMENTS ** (1 / count))) for count in range(1, MAX_TERMS + 1)),
        )

    def top_k(
        self,
        terms: Sequence[Term],
        k: int,
        *,
        allowed: TitleSet | None = None,
        floor: float = float("-inf"),
    ) -> list[WordMatch]:
        """The ``k`` best titles the terms reach, best first (none reached as a stretch from a
        word start: those are the prefix index's).

        ``allowed`` keeps only those titles; ``floor`` is a score the caller already has ``k``
        results above (a match must beat it). Blocks are read best prior first; the walk stops
        when the next title's prior, less the least cost any reading can carry, cannot beat the
        k-th best (or the floor).
        """
        index = self.index
        # One pass over the terms (this is per keystroke): the least cost any reading carries,
        # and whether each word is typed as itself (one range, no year). Without the C
        # aligner, such queries are priced a whole block at once in NumPy; titles where a word
        # occurs twice, and other queries, through the aligner.
        least = 0.0
        any_year = False
        vectorized = PRICES_BLOCKS_IN_NUMPY
        for term in terms:
            least += min((item.cost for item in term.ranges), default=0.0)
            if term.year is not None:
                any_year = True
                vectorized = False
            elif len(term.ranges) != 1:
                vectorized = False
        if not any_year:
            least += self.costs.entry
        # What a title can cost to be returned at all: the aligner refuses the typed words in a
        # row from the title's start (the prefix index's), so without a year every match skips
        # a word or swaps two, at one of those prices or more (each price added is 0 or at
        # least the cheapest, and rounding keeps a sum of larger terms larger). ``least``
        # itself still counts the titles examined toward ``MAX_ALIGNED_TITLES``, as it did
        # before this bound: the walk's limit cuts the same titles.
        returned = least if any_year else least + self._least_edit
        aligner_terms = _aligner_terms(terms)
        # A min-heap of the k best as (score, -rank, aligned, prior): most titles offered are
        # pushed out again, so a ``WordMatch`` is made only for those left at the end.
        best: list[_Offered] = []
        rank_title, rank_prior = index.rank_title, index.rank_prior
        examined = 0
        for block in index.matching(terms):
            bar = max(floor, best[0][0]) if len(best) >= k else floor
            ranks = block.ranks[: max(0, MAX_ALIGNED_TITLES - examined)]
            # Ranks follow the prior and the bar only rises: past the first rank that cannot
            # place, no later title can.
            priors = rank_prior[ranks]
            examined += int(np.count_nonzero(priors - least > bar))
            placing = int(np.count_nonzero(priors - returned > bar))
            last_block = placing < len(block.ranks)
            ranks = ranks[:placing]
            one_by_one = ranks
            if vectorized and len(ranks) >= MIN_PRICED_BLOCK:
                one_by_one = self._price_block(terms, ranks, bar, best, k, allowed)
            if allowed is not None and len(one_by_one):
                titles = rank_title[one_by_one].tolist()
                one_by_one = one_by_one[[title in allowed for title in titles]]
            # The other titles aligned in one call; each then placed as the bar stands when
            # its turn comes (the bar only rises, so some aligned here no longer place).
            for aligned in self._aligner.align(aligner_terms, one_by_one):
                bar = max(floor, best[0][0]) if len(best) >= k else floor
                rank = aligned[0]
                prior = float(rank_prior[rank])
                if prior - returned <= bar or prior - aligned[1] <= bar:
                    continue
                _offer(best, k, max(floor, bar), prior, aligned)
            bar = max(floor, best[0][0]) if len(best) >= k else floor
            if last_block or block.next_prior - returned <= bar or examined >= MAX_ALIGNED_TITLES:
                break
        return [
            _word_match(int(rank_title[aligned[0]]), prior, aligned, terms)
            for _, _, aligned, prior in sorted(best, reverse=True)
        ]

    def _price_block(
        self,
        terms: Sequence[Term],
        ranks: npt.NDArray[np.int32],
        bar: float,
        best: list[_Offered],
        k: int,
        allowed: TitleSet | None,
    ) -> npt.NDArray[np.int32]:
        """Price every title of a block whose typed words each occur once in it, in NumPy, and
        offer those that place; return the others' ranks (a word occurs twice: they need
        the search over assignments)."""
        index, costs = self.index, self.costs
        starts = index.forward_first[ranks]
        lengths = (index.forward_first[ranks + 1] - starts).astype(np.int64)
        segment_starts = np.cumsum(lengths) - lengths
        total = int(lengths.sum())
        flat = np.repeat(starts - segment_starts, lengths) + np.arange(total)
        words = index.forward[flat]
        local = np.arange(total) - np.repeat(segment_starts, lengths)
        safe_starts = np.minimum(segment_starts, max(total - 1, 0))
        beyond = np.int64(MAX_TITLE_WORDS + 1)
        positions = np.empty((len(terms), len(ranks)), dtype=np.int64)
        single = lengths > 0
        for row, term in enumerate(terms):
            only = term.ranges[0]
            hit = (words >= only.lo) & (words < only.hi)
            single &= np.add.reduceat(hit.astype(np.int32), safe_starts) == 1
            positions[row] = np.minimum.reduceat(np.where(hit, local, beyond), safe_starts)
        for upper in range(len(terms)):
            for lower in range(upper):
                single &= positions[upper] != positions[lower]
        matched_stops = np.empty((len(terms), len(ranks)), dtype=np.int64)
        for row in range(len(terms)):
            where = np.minimum(segment_starts + np.minimum(positions[row], lengths - 1), total - 1)
            matched_stops[row] = self._stop_mask[words[where]]
        inversions = np.zeros(len(ranks), dtype=np.int64)
        stop_inversions = np.zeros(len(ranks), dtype=np.int64)
        for right in range(len(terms)):
            for left in range(right):
                inverted = positions[left] > positions[right]
                inversions += inverted
                stop_inversions += inverted & ((matched_stops[left] | matched_stops[right]) > 0)
        last = positions.max(axis=0)
        # Stop words up to the last matched word, from a running count over the block.
        stops = np.cumsum(self._stop_mask[words], dtype=np.int64)
        before_start = np.where(segment_starts > 0, stops[np.maximum(segment_starts - 1, 0)], 0)
        at_last = stops[np.minimum(segment_starts + np.minimum(last, lengths - 1), total - 1)]
        stop_upto = at_last - before_start
        matched_stop = matched_stops.sum(axis=0)
        skipped = last + 1 - len(terms)
        skipped_stop = stop_upto - matched_stop
        skipped_content = skipped - skipped_stop
        spelling = sum(term.ranges[0].cost for term in terms)
        cost = (
            spelling
            + costs.entry
            + skipped_stop * costs.stop_skip
            + skipped_content * costs.content_skip
            + (inversions - stop_inversions) * costs.inversion
            + stop_inversions * costs.stop_inversion
        )
        prior = index.rank_prior[ranks].astype(np.float64)
        score = prior - cost
        # The typed words as a run from a word start the prefix index holds: its to find.
        plain = positions[0] <= MAX_WORD_STARTS
        for row in range(1, len(terms)):
            plain &= positions[row] == positions[0] + row
        offered = np.flatnonzero(single & ~plain & (score > bar))
        through_first_range = (0,) * len(terms)  # each word as typed: its one range
        for column in offered.tolist():
            rank = int(ranks[column])
            title = int(index.rank_title[rank])
            if allowed is not None and title not in allowed:
                continue
            aligned: Aligned = (
                rank,
                float(cost[column]),
                spelling,
                int(skipped_stop[column]),
                int(skipped_content[column]),
                int(inversions[column]),
                int(stop_inversions[column]),
                tuple(int(position) for position in positions[:, column]),
                through_first_range,
            )
            _offer(best, k, bar, float(prior[column]), aligned)
        return ranks[~single]

    def match_title(self, terms: Sequence[Term], title: int) -> WordMatch | None:
        """How the terms reach one title (as ``top_k`` would have found it), or None."""
        index = self.index
        rank = int(index.title_rank[title])
        found = self._aligner.align(_aligner_terms(terms), np.array([rank], dtype=np.int32))
        if not found:
            return None
        return _word_match(title, float(index.rank_prior[rank]), found[0], terms)


def _aligner_terms(terms: Sequence[Term]) -> AlignerTerms:
    """The terms as the aligner reads them (once per query)."""
    return tuple(
        (tuple((item.lo, item.hi, item.cost) for item in term.ranges), term.year) for term in terms
    )


def _word_match(title: int, prior: float, aligned: Aligned, terms: Sequence[Term]) -> WordMatch:
    """The match the aligner found, its readings named (a range's text, or the typed year)."""
    _, cost, spelling, skipped_stop, skipped_content, inversions, stops, positions, which = aligned
    readings = tuple(
        term.typed if read < 0 else term.ranges[read].text
        for term, read in zip(terms, which, strict=True)
    )
    return WordMatch(
        title,
        prior - cost,
        cost,
        spelling,
        skipped_stop,
        skipped_content,
        inversions,
        stops,
        -1 in positions,
        positions,
        readings,
    )


_Offered = tuple[float, int, Aligned, float]
"""A title offered to the top k: its score, minus its rank (ties go to the better prior), how
it aligned and its prior (the score is ``prior - cost``, as ``_word_match`` makes it)."""


def _offer(best: list[_Offered], k: int, bar: float, prior: float, aligned: Aligned) -> None:
    """Keep the title ``aligned`` reaches among the ``k`` best (a min-heap) if it beats ``bar``
    and the k-th."""
    score = prior - aligned[1]
    if score <= bar:
        return
    item = (score, -aligned[0], aligned, prior)
    if len(best) < k:
        heapq.heappush(best, item)
    elif item > best[0]:
        heapq.heapreplace(best, item)


def presented(
    normalized_title: str, match: WordMatch, terms: Sequence[Term]
) -> tuple[tuple[tuple[int, int], ...], str | None]:
    """``highlight`` and ``corrected_reading`` of a title the word reading returned, its words
    split once (what presenting it asks for)."""
    words = normalized_title.split(" ")
    return _highlight(words, match, terms), _corrected_reading(words, match, terms)


def highlight(
    normalized_title: str, match: WordMatch, terms: Sequence[Term]
) -> tuple[tuple[int, int], ...]:
    """Spans over the normalized title of every title word a typed word matched: a whole word
    for a finished word, the typed (or corrected) prefix's length for the word being typed."""
    return _highlight(normalized_title.split(" "), match, terms)


def _highlight(
    words: Sequence[str], match: WordMatch, terms: Sequence[Term]
) -> tuple[tuple[int, int], ...]:
    starts = list(itertools.accumulate((len(word) + 1 for word in words), initial=0))
    spans: list[tuple[int, int]] = []
    for term, placed, reading in zip(terms, match.positions, match.readings, strict=True):
        if placed < 0 or placed >= len(words):
            continue
        length = len(words[placed])
        if term.is_prefix:
            length = min(length, len(reading))
        spans.append((starts[placed], starts[placed] + length))
    return tuple(sorted(spans))


def corrected_reading(normalized_title: str, match: WordMatch, terms: Sequence[Term]) -> str | None:
    """The query as read ("harry potter chamber" for "hary potter chamber"), or None when
    every typed word occurs in the title as typed (the last one as a prefix): then nothing
    was corrected, whatever readings were tried."""
    return _corrected_reading(normalized_title.split(" "), match, terms)


def _corrected_reading(words: Sequence[str], match: WordMatch, terms: Sequence[Term]) -> str | None:
    for term, placed in zip(terms, match.positions, strict=True):
        if placed < 0:
            continue
        # Usually the word it matched is the typed one: then the title need not be scanned.
        if placed < len(words):
            word = words[placed]
            if word.startswith(term.typed) if term.is_prefix else word == term.typed:
                continue
        if not _occurs(term, words):
            break
    else:
        return None
    read: list[str] = []
    for term, placed, reading in zip(terms, match.positions, match.readings, strict=True):
        if term.is_prefix and reading != term.typed and 0 <= placed < len(words):
            read.append(words[placed])  # the word the user is on their way to
        else:
            read.append(reading)
    return " ".join(read)


def _occurs(term: Term, words: Sequence[str]) -> bool:
    if term.is_prefix:
        return any(word.startswith(term.typed) for word in words)
    return term.typed in words
