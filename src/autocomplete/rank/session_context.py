"""Session context: what a user did earlier in the session, and the titles it makes likelier.

A ``SessionContext`` holds the session's previous queries and clicked ids (the last few of each).
``related_titles`` turns it into a bounded boost, in nats, for each title related to that history,
which the engine adds to the ``context`` term of the score.

Evidence
--------
Each clicked title is a *seed* of full strength, older clicks decaying by ``RECENCY_DECAY`` per
step back. A previous query without a click is weaker evidence: its top ``QUERY_SEEDS`` titles
become seeds of strength ``QUERY_EVIDENCE`` (decayed the same way), each scaled by how its score
compares with the query's best (so "lord of the" seeds mostly the Fellowship).

Relations (per seed; a title keeps its strongest seed)
------------------------------------------------------
* *Same series*: titles that start with the seed's main words (no leading article, no subtitle,
  no sequel number): "lord of the rings", "star wars", "toy story", "godfather". Each leading
  phrase of two to ``SERIES_MAX_WORDS`` words is looked up (one word only when it is the whole
  main title, as in "Rocky"; else "Finding Nemo" would make a series with "Finding
  Neverland"). The fewer titles start with a phrase, the more it says: a title under a phrase
  that at most ``SERIES_FULL_TITLES`` titles start with gets the full ``SERIES_BOOST``, falling
  log-linearly to nothing at ``SERIES_MAX_TITLES``.
* *Shared rare words*: titles containing a distinctive word of the seed anywhere ("nemo",
  "potter"), up to ``WORD_BOOST`` per word by its rarity (document frequency in the index), summed
  over words and capped at ``WORD_CAP``.
* *Genres and years* refine a textual relation (up to ``GENRE_BOOST`` for the same genre set,
  ``YEAR_BOOST`` for the same year, fading over ``YEAR_WINDOW`` years); on their own they would
  lift thousands of titles.

The total per title, genre nudge included, is capped at ``MAX_CONTEXT_BOOST`` nats: context may
reorder close candidates but never bury a title that fits the query far better. Clicked titles
are not lifted at all, by a relation or by the nudge (re-finding a clicked title is the
feedback layer's job; and a click's genres are trivially its own); a title seeded by a query
alone is not lifted by its own relations.

The genre nudge
---------------
The one signal that reaches titles with no textual relation: ``genre_nudge`` lifts the titles
sharing a *distinctive* genre (held by at most ``DISTINCTIVE_GENRE_SHARE`` of the catalog) with
a clicked title, by how alike the two genre sets are: ``GENRE_NUDGE`` nats times their weighted
Jaccard similarity (each genre weighs its inverse document frequency, so sharing "Animation"
counts for more than sharing "Drama") raised to ``GENRE_SHARPNESS``. A title of the click's very
genres gets the whole nudge; one sharing only "Animation" with an animated short comedy about a
tenth of it. A flat lift for any shared distinctive genre would reach thousands of titles alike
and cost unrelated searches more than it buys. The lift depends on the title's genre set alone,
and a catalog holds few distinct sets, so a session keeps one value per set, not per title.
``docs/context/results.md`` shows what it buys on same-genre sessions and costs on unrelated
ones.

Cost: a few trie lookups per seed word and phrase; seeds are capped at ``MAX_SEEDS``; the nudge
costs a pass over the catalog's distinct genre sets per click, and a filter of the click's
genre sets, shared by sessions (both kept per genre column). The engine caches the result per
context (``SessionContext`` is hashable and canonical).
"""

from __future__ import annotations

import functools
import math
import operator
import threading
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from autocomplete.cache import Memo
from autocomplete.catalog.columns import MetadataColumns, NumberColumn, TagsColumn
from autocomplete.index.catalog_index import CatalogIndex
from autocomplete.rank.filters import (
    DEFAULT_FILTER_CACHE_SIZE,
    BoostClause,
    FilterCache,
    TitleFilter,
)
from autocomplete.rank.scoring import MatchKind
from autocomplete.text.normalize import normalize, normalize_typed
from autocomplete.text.titles import split_leading_article

MAX_SESSION_QUERIES = 5
"""Previous queries a context keeps (the most recent)."""

MAX_SESSION_CLICKS = 5
"""Clicked ids a context keeps (the most recent)."""

MAX_ID_CHARS = 200
"""Longest clicked id accepted; catalog ids are short, anything longer is not one."""

MAX_CONTEXT_BOOST = 3.0
"""Cap on a title's total context boost, relations and genre nudge together, in nats (a factor
of 20). Above ``GENRE_NUDGE``, so that a sequel keeps an edge over a title that merely has the
click's genres."""

RECENCY_DECAY = 0.7
"""Strength of each step back in the session (the latest click or query has 1)."""

QUERY_EVIDENCE = 0.5
"""Strength of a query's top result relative to a click."""

QUERY_SEEDS = 2
"""Top results of a previous query taken as seeds."""

MAX_SEEDS = 6
"""Strongest seeds used; bounds the cost of a context however long the session."""

SERIES_BOOST = 2.0
"""Boost, in nats, of a title in the seed's series (before the seed's strength)."""
SERIES_MAX_WORDS = 5
"""Longest leading phrase looked up as a series name."""
SERIES_FULL_TITLES = 5
"""A phrase that at most this many titles start with is a series name for sure."""
SERIES_MAX_TITLES = 40
"""A phrase that this many titles or more start with names no series."""

WORD_BOOST = 1.0
"""Boost of a title sharing a word with the seed that only one other title has."""
WORD_CAP = 1.2
"""Cap on the summed boosts of several shared words."""
WORD_MAX_TITLES = 50
WORD_MAX_SHARE = 0.002
"""A word in more than WORD_MAX_TITLES titles, or more than this share of the catalog, is not
distinctive (counted as index entries keyed by the word at a word start)."""
WORD_FETCH = 16
"""Titles fetched per shared word (the most popular ones)."""
MIN_WORD_CHARS = 3
COMMON_WORD_TITLES = 400
"""A series phrase never ends on a word this common ("of", "the", "man")."""

GENRE_BOOST = 0.3
"""Added to a textually related title with the seed's very genres (Jaccard-scaled)."""
YEAR_BOOST = 0.2
"""Added to a textually related title of the seed's year, fading over YEAR_WINDOW years."""
YEAR_WINDOW = 10.0

GENRE_NUDGE = 2.5
"""Log factor, for the latest click, on titles of its very genre set (less for sets less alike)."""
GENRE_SHARPNESS = 3.0
"""Power of the genre-set similarity: one genre in common out of three is weak evidence of taste."""
DISTINCTIVE_GENRE_SHARE = 0.10
"""A genre held by at most this share of the catalog is distinctive enough to nudge."""
STRONG_NUDGE_SHARE = 0.5
"""Genre sets nudged by at least this share of the strongest nudge join through their own filter."""

_START_KINDS = frozenset(
    int(kind) for kind in (MatchKind.TITLE, MatchKind.NO_ARTICLE, MatchKind.ALIAS)
)
_SEQUEL_MARKS = frozenset({"ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "part"})
_BYTE_BITS = np.array([bin(value).count("1") for value in range(256)], dtype=np.uint8)
_CONTEXT_KEYS = {"queries": "queries", "clicked": "clicked_ids", "clicked_ids": "clicked_ids"}


class ContextError(ValueError):
    """A session context that is not ``{"queries": [...], "clicked": [...]}`` as it must be;
    ``field`` is always ``"context"``, the argument at fault."""

    field = "context"


@dataclass(frozen=True, slots=True)
class SessionContext:
    """A session's recent queries (normalized) and clicked ids, oldest first; hashable."""

    queries: tuple[str, ...] = ()
    clicked_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name, values, limit in (
            ("queries", self.queries, MAX_SESSION_QUERIES),
            ("clicked_ids", self.clicked_ids, MAX_SESSION_CLICKS),
        ):
            if not isinstance(values, tuple) or not all(isinstance(v, str) for v in values):
                raise ContextError(f"SessionContext.{name} must be a tuple of strings")
            if len(values) > limit:
                raise ContextError(f"SessionContext.{name} holds at most {limit} items")

    def __bool__(self) -> bool:
        return bool(self.queries or self.clicked_ids)

    @classmethod
    def parse(cls, value: object) -> SessionContext | None:
        """A context from ``{"queries": [...], "clicked": [...]}`` (None when there is none).

        Queries are normalized the way ``suggest`` normalizes them, blank ones dropped; only
        the last ``MAX_SESSION_QUERIES`` queries and ``MAX_SESSION_CLICKS`` clicks are kept.
        """
        if value is None:
            return None
        if isinstance(value, SessionContext):
            return value or None
        if not isinstance(value, Mapping):
            raise ContextError(
                'context must be a mapping like {"queries": [...], "clicked": [...]}, '
                f"got {type(value).__name__}"
            )
        found: dict[str, tuple[str, ...]] = {"queries": (), "clicked_ids": ()}
        for key, items in value.items():
            target = _CONTEXT_KEYS.get(key) if isinstance(key, str) else None
            if target is None:
                raise ContextError(
                    f"unknown context key {key!r}; expected 'queries' and/or 'clicked'"
                )
            found[target] = _strings(key, items)
        queries = [normalize_typed(query).strip() for query in found["queries"]]
        clicks = [click.strip() for click in found["clicked_ids"]]
        for click in clicks:
            if not click or len(click) > MAX_ID_CHARS:
                raise ContextError(
                    f"context: clicked ids must be non-blank catalog ids, got {click!r}"
                )
        context = cls(
            tuple(query for query in queries if query)[-MAX_SESSION_QUERIES:],
            tuple(clicks[-MAX_SESSION_CLICKS:]),
        )
        return context or None


def _strings(key: str, items: object) -> tuple[str, ...]:
    if isinstance(items, str) or not isinstance(items, Sequence):
        raise ContextError(f"context[{key!r}] must be a list of strings, got {items!r}")
    for item in items:
        if not isinstance(item, str):
            raise ContextError(f"context[{key!r}] must hold strings, got {item!r}")
    return tuple(items)


# Related titles -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Seed:
    """A title the session points at, how strongly, and why."""

    title: int
    strength: float
    source: str  # "clicked" or "searched 'query'"


def related_titles(
    context: SessionContext | None,
    index: CatalogIndex,
    columns: MetadataColumns | None = None,
    *,
    genre_field: str = "genres",
    year_field: str = "year",
) -> dict[int, tuple[float, str]]:
    """Title -> (boost in nats, reason) for titles related to the session's history.

    ``columns`` supplies the genre and year refinements; without them (or when the catalog
    has no such fields) only the textual relations count. With genres, a boost leaves room for
    the title's ``genre_nudge`` under ``MAX_CONTEXT_BOOST``; clicked titles get none.
    """
    if not context:
        return {}
    seeds = _seeds(context, index)
    frequency: dict[str, int] = {}
    pairs: list[tuple[int, int, float, str]] = []  # (seed number, title, text boost, relation)
    for number, seed in enumerate(seeds):
        for title, (boost, relation) in _text_relations(seed.title, index, frequency).items():
            pairs.append((number, title, boost, relation))
    if not pairs:
        return {}
    boosts = np.fromiter((pair[2] for pair in pairs), dtype=np.float64, count=len(pairs))
    # Genres and years refine the textual relations, for every (seed, title) pair at once.
    genres = _tags_column(columns, genre_field)
    years = _number_column(columns, year_field)
    if genres is not None or years is not None:
        titles = np.fromiter((pair[1] for pair in pairs), dtype=np.int64, count=len(pairs))
        seed_titles = np.array([seeds[pair[0]].title for pair in pairs], dtype=np.int64)
        if genres is not None:
            boosts += GENRE_BOOST * _jaccard(genres.bits[titles], genres.bits[seed_titles])
        if years is not None:
            apart = np.abs(years.values[titles] - years.values[seed_titles])
            # fmax turns a missing year (NaN) into no refinement rather than NaN.
            boosts += YEAR_BOOST * np.fmax(1.0 - apart / YEAR_WINDOW, 0.0)
    clicked = _clicked_titles(context, index)
    nudged = genre_lifts(context, index, genres) if genres is not None else {}
    set_of = genres.bits if genres is not None and nudged else None
    best: dict[int, tuple[float, str]] = {}
    for (number, title, _, relation), boost in zip(pairs, boosts.tolist(), strict=True):
        if title in clicked:
            continue
        seed = seeds[number]
        # The engine adds the genre nudge on top: the two together stay within the cap.
        nudge = 0.0 if set_of is None else nudged.get(int(set_of[title]), (0.0, 0))[0]
        scaled = min(boost * seed.strength + nudge, MAX_CONTEXT_BOOST) - nudge
        if scaled > best.get(title, (0.0, ""))[0]:
            best[title] = (scaled, f'{relation} "{index.titles[seed.title]}" ({seed.source})')
    return best


@dataclass(frozen=True, eq=False)
class GenreNudge:
    """The session's genre nudge: a log lift per title, read through the title's genre set.

    A catalog holds few distinct genre sets (79 in the bundled one), so a session keeps a small
    table keyed by set rather than a value per title. ``clauses`` are the filters through which
    nudged titles below a prefix's top k join the list, as a ``boost`` rule's clauses do.
    """

    clauses: tuple[BoostClause, ...]
    lift_of_set: Mapping[int, float]
    reason_of_set: Mapping[int, str]
    clicked: frozenset[int]
    bits: np.ndarray = field(repr=False)
    _bits: memoryview = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # Per-element reads of a memoryview yield Python ints, far cheaper than NumPy scalars.
        object.__setattr__(self, "_bits", np.ascontiguousarray(self.bits).data)

    def of(self, title: int) -> float:
        """The log lift of ``title`` (0 when it shares no distinctive genre with a click)."""
        if title in self.clicked:
            return 0.0
        return self.lift_of_set.get(self._bits[title], 0.0)

    def explain(self, title: int) -> tuple[str, ...]:
        reason = None if title in self.clicked else self.reason_of_set.get(self._bits[title])
        return () if reason is None else (reason,)

    @property
    def max_log_factor(self) -> float:
        return max(self.lift_of_set.values(), default=0.0)


def genre_nudge(
    context: SessionContext | None,
    index: CatalogIndex,
    columns: MetadataColumns | None,
    filters: FilterCache,
    *,
    genre_field: str = "genres",
) -> GenreNudge | None:
    """The nudge toward titles whose genres are like a clicked title's (None when none is).

    Only clicks count: a query's results are too weak a sign of taste. ``filters`` compiles
    (and shares between sessions) the filter of the titles sharing a distinctive genre.
    """
    genres = _tags_column(columns, genre_field)
    if not context or genres is None or not context.clicked_ids or index.title_count == 0:
        return None
    lifts = genre_lifts(context, index, genres)
    if not lifts:
        return None
    stats = _genre_stats(genres)
    # Every nudged set shares one of these with a click, and no other set is nudged.
    clicked_genres = functools.reduce(
        operator.or_, (int(genres.bits[t]) for _, t in lifts.values())
    )
    tags = [genres.tags[p] for p in _positions(clicked_genres & stats.distinctive)]
    sharing = filters.where({genre_field: tags})
    if sharing is None:
        return None
    lift_of_set = {bits: lift for bits, (lift, _) in lifts.items()}
    top = max(lift_of_set.values())
    # The engine joins each clause's best k titles under the prefix. Among the thousands of
    # titles sharing a distinctive genre, barely nudged ones would take the places of the few
    # with the click's very genres, so the strongly nudged sets join through a clause of their
    # own (a filter a ``where`` spec cannot state: "exactly Animation, Comedy and Short").
    strong = tuple(
        sorted(bits for bits, lift in lift_of_set.items() if lift >= STRONG_NUDGE_SHARE * top)
    )
    clauses = (
        BoostClause(_sets_filter(stats, genres, strong, index.arrays.title_prior), top),
        BoostClause(sharing, top),
    )
    reasons = {}
    for bits, (lift, title) in lifts.items():
        shared = ", ".join(genres.tags[p] for p in _positions(bits & int(genres.bits[title])))
        reasons[bits] = f'genres {shared} like "{index.titles[title]}" x{math.exp(lift):.3g}'
    return GenreNudge(clauses, lift_of_set, reasons, _clicked_titles(context, index), genres.bits)


def genre_lifts(
    context: SessionContext, index: CatalogIndex, genres: TagsColumn
) -> dict[int, tuple[float, int]]:
    """Genre set (as bits) -> (log lift, clicked title), for the sets the clicks' genres nudge.

    A set is nudged when it shares a distinctive genre with a clicked title, by
    ``GENRE_NUDGE`` times the weighted Jaccard similarity of the two sets raised to
    ``GENRE_SHARPNESS``, decayed with the click's age; the strongest click counts.
    """
    stats = _genre_stats(genres)
    sets = stats.sets
    found: dict[int, tuple[float, int]] = {}
    seen: set[int] = set()
    for age, title_id in enumerate(reversed(context.clicked_ids)):
        title = index.title_of(title_id)
        if title is None:
            continue
        seed = int(genres.bits[title])
        if not seed & stats.distinctive or seed in seen:
            continue  # a later click of the same genres nudged them more already
        seen.add(seed)
        both = np.zeros(len(sets), dtype=np.float64)
        for position in _positions(seed):
            both += stats.weights[position] * ((sets >> np.uint64(position)) & np.uint64(1))
        either = stats.set_weights + sum(stats.weights[p] for p in _positions(seed)) - both
        similarity = both / np.maximum(either, 1e-12)
        lifts = GENRE_NUDGE * RECENCY_DECAY**age * similarity**GENRE_SHARPNESS
        sharing = (sets & np.uint64(seed & stats.distinctive)) != 0
        for bits, lift in zip(sets[sharing].tolist(), lifts[sharing].tolist(), strict=True):
            if lift > found.get(bits, (0.0, 0))[0]:
                found[bits] = (lift, title)
    return found


@dataclass(frozen=True, eq=False)
class _GenreStats:
    """What the nudge reads from a genre column, derived once per column."""

    sets: np.ndarray  # the distinct genre sets titles hold, as bits (uint64)
    weights: tuple[float, ...]  # per genre: log(titles / titles holding it)
    set_weights: np.ndarray  # per set: its genres' summed weights
    distinctive: int  # bits of the genres held by at most DISTINCTIVE_GENRE_SHARE of titles
    filters: Memo[tuple[int, ...], TitleFilter]  # whole-set filters, shared by sessions


# Per genre column, dropped with it (nothing in the stats refers back to the column).
_GENRE_STATS: weakref.WeakKeyDictionary[TagsColumn, _GenreStats] = weakref.WeakKeyDictionary()
_GENRE_STATS_LOCK = threading.Lock()


def _genre_stats(genres: TagsColumn) -> _GenreStats:
    with _GENRE_STATS_LOCK:
        found = _GENRE_STATS.get(genres)
        if found is None:
            count = len(genres.bits)
            weights = tuple(math.log(count / held) if held else 0.0 for held in genres.counts)
            sets = np.unique(genres.bits)
            set_weights = np.zeros(len(sets), dtype=np.float64)
            for position, weight in enumerate(weights):
                set_weights += weight * ((sets >> np.uint64(position)) & np.uint64(1))
            limit = DISTINCTIVE_GENRE_SHARE * count
            distinctive = sum(
                1 << position for position, held in enumerate(genres.counts) if 0 < held <= limit
            )
            found = _GenreStats(
                sets,
                weights,
                set_weights,
                distinctive,
                Memo(DEFAULT_FILTER_CACHE_SIZE, "genre-set filters"),
            )
            _GENRE_STATS[genres] = found
    return found


def _sets_filter(
    stats: _GenreStats, genres: TagsColumn, sets: tuple[int, ...], priors: np.ndarray
) -> TitleFilter:
    found = stats.filters.get(sets)
    if found is None or found.priors is not priors:
        mask = np.isin(genres.bits, np.array(sets, dtype=np.uint64))
        names = " | ".join("+".join(genres.tags[p] for p in _positions(bits)) for bits in sets)
        found = TitleFilter(
            mask=mask,
            count=int(np.count_nonzero(mask)),
            priors=priors,
            description=f"genres={names}",
        )
        stats.filters.put(sets, found)
    return found


def _positions(bits: int) -> list[int]:
    """The positions of the set bits, lowest first."""
    return [position for position in range(bits.bit_length()) if bits >> position & 1]


def _clicked_titles(context: SessionContext, index: CatalogIndex) -> frozenset[int]:
    found = (index.title_of(title_id) for title_id in context.clicked_ids)
    return frozenset(title for title in found if title is not None)


def _seeds(context: SessionContext, index: CatalogIndex) -> list[_Seed]:
    strength: dict[int, _Seed] = {}

    def add(title: int, value: float, source: str) -> None:
        known = strength.get(title)
        if known is None or value > known.strength:
            strength[title] = _Seed(title, value, source)

    for age, title_id in enumerate(reversed(context.clicked_ids)):
        title = index.title_of(title_id)
        if title is not None:  # ids of titles since removed from the catalog are ignored
            add(title, RECENCY_DECAY**age, "clicked")
    score = index.hot.entry_score
    entry_title = index.hot.entry_title
    for age, query in enumerate(reversed(context.queries)):
        entries = index.top_entries(query, QUERY_SEEDS)
        if not entries:
            continue
        top = score[entries[0]]
        for entry in entries:
            value = QUERY_EVIDENCE * RECENCY_DECAY**age * math.exp(score[entry] - top)
            add(entry_title[entry], value, f"searched {query!r}")
    ranked = sorted(strength.values(), key=lambda seed: (-seed.strength, seed.title))
    return ranked[:MAX_SEEDS]


def _text_relations(
    seed: int, index: CatalogIndex, frequency: dict[str, int]
) -> dict[int, tuple[float, str]]:
    """Title -> (boost before seed strength, relation) for the titles one seed names."""
    related: dict[int, tuple[float, str]] = {}
    for title, boost in _same_series(seed, index, frequency).items():
        related[title] = (boost, "same series as")
    word_sums: dict[int, float] = {}
    words_of: dict[int, list[str]] = {}
    entry_title = index.hot.entry_title
    for word, weight in _rare_words(seed, index, frequency):
        for entry in index.top_entries(word + " ", WORD_FETCH):
            title = entry_title[entry]
            word_sums[title] = word_sums.get(title, 0.0) + weight
            words_of.setdefault(title, []).append(word)
    for title, total in word_sums.items():
        boost = min(total, WORD_CAP)
        if boost > related.get(title, (0.0, ""))[0]:
            shared = ", ".join(repr(word) for word in sorted(words_of[title]))
            related[title] = (boost, f"shares {shared} with")
    related.pop(seed, None)
    return related


def _same_series(seed: int, index: CatalogIndex, frequency: dict[str, int]) -> dict[int, float]:
    """Titles starting with the seed's leading words, by how telling the shared phrase is."""
    words = _main_words(index.titles[seed])
    found: dict[int, float] = {}
    if not words:
        return found  # a title of punctuation alone ("$") names no series
    hot = index.hot
    span = math.log(SERIES_MAX_TITLES / SERIES_FULL_TITLES)
    # One shared word is a series only when it is the seed's whole main title ("Rocky" and
    # "Rocky II"); otherwise "Finding Nemo" would make a series with "Finding Neverland".
    shortest = min(2, len(words))
    for length in range(shortest, min(len(words), SERIES_MAX_WORDS) + 1):
        if _frequency(words[length - 1], index, frequency) > COMMON_WORD_TITLES:
            continue  # "lord of the" says no more than "lord of"
        phrase = " ".join(words[:length]) + " "
        reach = index.prefix_range(phrase)
        if reach is None:
            break
        if reach[1] - reach[0] > 4 * SERIES_MAX_TITLES:
            continue  # far too common to say anything; skip fetching its titles
        entries = index.top_entries(phrase, SERIES_MAX_TITLES + 1)
        starting = [hot.entry_title[e] for e in entries if hot.entry_kind[e] in _START_KINDS]
        if len(starting) <= 1:
            break  # only the seed itself: longer phrases cannot match more
        if len(starting) > SERIES_MAX_TITLES:
            continue
        # Log-linear in the number of titles under the phrase: full at SERIES_FULL_TITLES.
        share = min(1.0, math.log(SERIES_MAX_TITLES / len(starting)) / span)
        for title in starting:
            found[title] = max(found.get(title, 0.0), SERIES_BOOST * share)
    return found


def _main_words(display: str) -> list[str]:
    """The words naming a title's series: no leading article, no subtitle, no sequel number.

    "The Lord of the Rings: The Two Towers" -> lord of the rings; "Toy Story 2" -> toy story;
    "Rocky IV" -> rocky. The full title's words are kept after the main ones, so a series
    phrase may run on into the subtitle when other titles share it too.
    """
    split = split_leading_article(display)
    rest = split[1] if split is not None else display
    main = rest.partition(":")[0]
    words = normalize(main).split()
    while len(words) > 1 and (words[-1].isdigit() or words[-1] in _SEQUEL_MARKS):
        words.pop()
    return words


def _frequency(word: str, index: CatalogIndex, frequency: dict[str, int]) -> int:
    """Index entries keyed by ``word`` at a word start: about the titles containing it."""
    count = frequency.get(word)
    if count is None:
        span = index.prefix_range(word + " ")
        count = frequency[word] = 0 if span is None else span[1] - span[0]
    return count


def _rare_words(
    seed: int, index: CatalogIndex, frequency: dict[str, int]
) -> list[tuple[str, float]]:
    """The seed's distinctive words with their weights (rarer weighs more).

    Rarity is relative to the catalog's size as well, so that in a small catalog a word in a
    few of its titles ("the") is not taken for a rare one.
    """
    limit = max(2.0, min(WORD_MAX_TITLES, WORD_MAX_SHARE * index.title_count))
    # Weight 1 for a word only two titles share, falling to 0 just past the limit.
    zero = math.log(limit + 1)
    weighted: list[tuple[str, float]] = []
    for word in sorted(set(index.normalized_titles[seed].split())):
        if len(word) < MIN_WORD_CHARS:
            continue
        count = _frequency(word, index, frequency)
        if 2 <= count <= limit:
            weighted.append((word, WORD_BOOST * (zero - math.log(count)) / (zero - math.log(2))))
    return weighted


def _jaccard(bits: np.ndarray, seed_bits: np.ndarray) -> np.ndarray:
    """Shared genres over genres of either, pairwise; 0 when neither has any."""
    both = _popcount(bits & seed_bits)
    either = _popcount(bits | seed_bits)
    result: np.ndarray = both / np.maximum(either, 1.0)
    return result


def _popcount(values: np.ndarray) -> np.ndarray:
    # A byte table rather than np.bitwise_count, which NumPy 1.26 lacks.
    as_bytes = np.ascontiguousarray(values, dtype=np.uint64).view(np.uint8).reshape(-1, 8)
    counts: np.ndarray = _BYTE_BITS[as_bytes].sum(axis=1, dtype=np.float64)
    return counts


def _tags_column(columns: MetadataColumns | None, name: str) -> TagsColumn | None:
    column = None if columns is None else columns.columns.get(name)
    return column if isinstance(column, TagsColumn) else None


def _number_column(columns: MetadataColumns | None, name: str) -> NumberColumn | None:
    column = None if columns is None else columns.columns.get(name)
    return column if isinstance(column, NumberColumn) else None
