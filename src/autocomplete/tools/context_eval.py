"""``autocomplete context-eval``: does session context help the next query, and cost the rest?

Method
------
A simulated session is two searches. The user types a prefix of title A and clicks it, then
types a short prefix of title B. We score B's rank in the second answer (MRR@10, and success@1)
three ways, side by side: without context, with the session's query only, and with the query
and the click.

Pairs come in three kinds, ``SESSIONS`` of each by default, all seeded:

``series``
    B shares A's *main title*: the title without a leading article, before any ":" or " - "
    subtitle and without a trailing sequel number ("The Lord of the Rings: The Two Towers" and
    "...: The Fellowship of the Ring"; "Toy Story" and "Toy Story 2"). Groups of 2 to
    ``MAX_SERIES`` titles. Titles that read the same but for article, spaces and punctuation
    ("The Texas Rangers", "Texas Rangers") are remakes or variants, not sequels: never paired.
``genre``
    B has exactly A's genre set, which includes a distinctive genre (one held by at most
    ``DISTINCTIVE_GENRE_SHARE`` of the catalog: Animation, Documentary, Action, Romance in the
    bundled catalog), and is not in A's series.
``unrelated``
    A and B drawn independently; the check that context costs nothing when it is irrelevant.

A and B are drawn with probability proportional to ``(weight + 1) ** POPULARITY_EXPONENT``
(the popularity prior, tempered so that the sessions do not all repeat the top hundred films).
The second query starts at the start of B's typed text, or (with probability
``LATER_WORD_SHARE``) at a later word: the subtitle for a series ("the t" for "The Two Towers"),
a random later word otherwise. It is cut to 2 to ``MAX_SECOND_CHARS`` characters: short
prefixes are where the next suggestion is ambiguous and context can matter. The first query is
a 40-100% prefix of A's typed text.

The relatedness used here (main titles, genre sets) is defined apart from the engine's
``related_titles`` (leading-phrase lookups, rare shared words, genre and year refinements), but
the series definition is close to what the engine looks for, by design: it is the case the
feature is for.

The ranking is whatever ``suggest(query, k, context)`` the caller passes: the engine once its
``suggest`` takes ``context=``, else the reference ranker below (exact-prefix retrieval plus the
context boosts, no typo correction), which the report names.
"""

from __future__ import annotations

import argparse
import datetime
import inspect
import json
import math
import random
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import numpy as np

from autocomplete.catalog.columns import MetadataColumns, TagsColumn
from autocomplete.catalog.loader import Record
from autocomplete.index.catalog_index import CatalogIndex
from autocomplete.rank.filters import FilterCache
from autocomplete.rank.scoring import EXACT_BONUS, EXACT_KIND_CODES
from autocomplete.rank.session_context import (
    GENRE_NUDGE,
    GENRE_SHARPNESS,
    MAX_CONTEXT_BOOST,
    SERIES_BOOST,
    WORD_BOOST,
    SessionContext,
    genre_nudge,
    related_titles,
)
from autocomplete.text.normalize import normalize, normalize_query
from autocomplete.text.titles import split_leading_article

SESSIONS = 400
"""Sessions per pair kind in the published run."""

DEPTH = 10
"""MRR@DEPTH."""

MAX_SERIES = 12
DISTINCTIVE_GENRE_SHARE = 0.10
POPULARITY_EXPONENT = 0.5
LATER_WORD_SHARE = 0.3
MIN_SECOND_CHARS = 2
MAX_SECOND_CHARS = 8
GENRE_FIELD = "genres"
KINDS = ("series", "genre", "unrelated")
RESULTS_FILE = Path("docs/context/results.md")

_SEQUEL_MARKS = frozenset({"ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "part"})

ContextSpec = Mapping[str, Sequence[str]]
SuggestFn = Callable[[str, int, ContextSpec | None], list[str]]
"""``suggest(query, k, context) -> ids``, best first; ``context`` as ``suggest`` takes it."""


@dataclass(frozen=True, slots=True)
class Session:
    kind: str
    first_id: str
    first_query: str
    target_id: str
    query: str
    shares_genre: bool = False  # B holds one of A's distinctive genres
    distinctive_genre: bool = False  # A has a distinctive genre (the context nudges it)

    def context(self, *, with_click: bool) -> ContextSpec:
        if with_click:
            return {"queries": [self.first_query], "clicked": [self.first_id]}
        return {"queries": [self.first_query]}


@dataclass(frozen=True, slots=True)
class Scores:
    """One pair kind's results: MRR@10 and success@1 without and with context."""

    kind: str
    sessions: int
    mrr_without: float
    mrr_query_only: float
    mrr_with: float
    top1_without: float
    top1_with: float

    @property
    def gain(self) -> float:
        return self.mrr_with - self.mrr_without


# Sessions -------------------------------------------------------------------------------------


def main_title(display: str) -> str:
    """A title's series name: no leading article, no subtitle, no trailing sequel number."""
    return _title_forms(display)[0]


def _title_forms(display: str) -> tuple[str, str]:
    """(main title, the whole title without article, spaces or punctuation)."""
    split = split_leading_article(display)
    rest = split[1] if split is not None else display
    words = normalize(rest.split(":")[0].split(" - ")[0]).split()
    while len(words) > 1 and (words[-1].isdigit() or words[-1] in _SEQUEL_MARKS):
        words.pop()
    return " ".join(words), normalize(rest).replace(" ", "")


def make_sessions(
    index: CatalogIndex,
    columns: MetadataColumns,
    *,
    per_kind: int = SESSIONS,
    seed: int = 0,
) -> list[Session]:
    """``per_kind`` sessions of each kind in ``KINDS`` (fewer when the catalog lacks pairs)."""
    if per_kind < 1:
        raise ValueError(f"per_kind must be at least 1, got {per_kind}")
    rng = random.Random(seed)
    count = index.title_count
    texts = [index.titles[title] for title in range(count)]
    priors = index.arrays.title_prior.astype(np.float64)
    # exp(prior) is proportional to weight + 1, so this is (weight + 1) ** exponent.
    popularity = np.exp(POPULARITY_EXPONENT * (priors - priors.max())) if count else priors
    forms = [_title_forms(text) for text in texts]
    series_of = [main for main, _ in forms]
    # Titles that read the same once article and punctuation are gone ("The Texas Rangers",
    # "Texas Rangers"; "Ben-Hur", "Ben Hur") are remakes or variants, not a series.
    same_text = [bare for _, bare in forms]
    groups: dict[str, list[int]] = {}
    for title, name in enumerate(series_of):
        if name:
            groups.setdefault(name, []).append(title)
    partners: dict[int, list[int]] = {}
    for members in groups.values():
        if 2 <= len(members) <= MAX_SERIES:
            for title in members:
                others = [other for other in members if same_text[other] != same_text[title]]
                if others:
                    partners[title] = others

    genre_bits, distinctive = _genre_sets(columns, count)
    # Genre pairs share the whole genre set, and the set holds a distinctive genre.
    genre_groups: dict[int, list[int]] = {}
    for title, value in enumerate(genre_bits):
        if value & distinctive:
            genre_groups.setdefault(value, []).append(title)

    def unrelated(first: int, second: int) -> bool:
        return series_of[first] != series_of[second] and same_text[first] != same_text[second]

    def same_genres(first: int) -> list[int]:
        return [
            other
            for other in genre_groups.get(genre_bits[first], [])
            if other != first and unrelated(first, other)
        ]

    sampler = _PairSampler(popularity, texts, rng, per_kind)
    everyone = list(range(count))
    pairs = (
        sampler.pairs("series", list(partners), partners.__getitem__)
        + sampler.pairs(
            "genre",
            [title for members in genre_groups.values() if len(members) > 1 for title in members],
            same_genres,
        )
        + sampler.pairs("unrelated", everyone, lambda first: everyone, keep=unrelated)
    )
    return [
        Session(
            kind,
            index.ids[first],
            query1,
            index.ids[second],
            query2,
            shares_genre=bool(genre_bits[first] & genre_bits[second] & distinctive),
            distinctive_genre=bool(genre_bits[first] & distinctive),
        )
        for kind, first, query1, second, query2 in pairs
    ]


def _genre_sets(columns: MetadataColumns, count: int) -> tuple[list[int], int]:
    """Each title's genre bits, and the bits of genres held by at most the distinctive share."""
    genres = columns.columns.get(GENRE_FIELD)
    if not isinstance(genres, TagsColumn) or count == 0:
        return [0] * count, 0
    distinctive = 0
    for position, held in enumerate(genres.counts):
        if held <= DISTINCTIVE_GENRE_SHARE * count:
            distinctive |= 1 << position
    return [int(value) for value in genres.bits.tolist()], distinctive


class _PairSampler:
    """Draws (first, second) title pairs by tempered popularity, with their two queries."""

    def __init__(
        self, popularity: np.ndarray, texts: list[str], rng: random.Random, wanted: int
    ) -> None:
        self._popularity = popularity
        self._texts = texts
        self._rng = rng
        self._wanted = wanted
        # Cumulative weights of the candidate lists seen, by identity (the list is kept too,
        # so its id cannot be reused): drawing from the whole catalog then costs a bisection.
        self._cumulative: dict[int, tuple[list[int], list[float]]] = {}

    def _pick(self, items: list[int]) -> int:
        cached = self._cumulative.get(id(items))
        if cached is None or cached[0] is not items:
            weights = np.cumsum(self._popularity[items]).tolist()
            if len(items) > 100:
                self._cumulative[id(items)] = (items, weights)
        else:
            weights = cached[1]
        return self._rng.choices(items, cum_weights=weights)[0]

    def pairs(
        self,
        kind: str,
        firsts: list[int],
        seconds_of: Callable[[int], list[int]],
        keep: Callable[[int, int], bool] | None = None,
    ) -> list[tuple[str, int, str, int, str]]:
        if not firsts:
            return []
        found: list[tuple[str, int, str, int, str]] = []
        seen: set[tuple[int, int]] = set()
        attempts = 0
        while len(found) < self._wanted and attempts < self._wanted * 50:
            attempts += 1
            first = self._pick(firsts)
            candidates = seconds_of(first)
            if not candidates:
                continue
            second = self._pick(candidates)
            if second == first or (first, second) in seen:
                continue
            if keep is not None and not keep(first, second):
                continue
            query = _second_query(self._texts[second], kind, self._rng)
            if query is None:
                continue
            seen.add((first, second))
            found.append((kind, first, _first_query(self._texts[first], self._rng), second, query))
        return found


def _first_query(display: str, rng: random.Random) -> str:
    typed = normalize(display)
    cut = max(min(4, len(typed)), round(len(typed) * rng.uniform(0.4, 1.0)))
    return typed[:cut]


def _second_query(display: str, kind: str, rng: random.Random) -> str | None:
    typed = normalize(display)
    if not typed:
        return None
    start = 0
    if rng.random() < LATER_WORD_SHARE:
        starts = [position + 1 for position, char in enumerate(typed) if char == " "]
        if kind == "series":
            main = main_title(display)
            # The subtitle (or sequel number) starts after the main title's words.
            offset = typed.find(main)
            after = offset + len(main) + 1 if offset >= 0 else -1
            starts = [position for position in starts if position >= after]
        if starts:
            start = rng.choice(starts)
    rest = typed[start:]
    length = rng.randint(MIN_SECOND_CHARS, MAX_SECOND_CHARS)
    return rest[: min(length, len(rest))]


# Scoring --------------------------------------------------------------------------------------


def evaluate_sessions(
    sessions: Sequence[Session], suggest: SuggestFn, *, k: int = DEPTH
) -> list[Scores]:
    """MRR@k and success@1 per pair kind (and overall related), without and with context."""
    ranks: dict[str, list[tuple[int | None, int | None, int | None]]] = {}
    exposed: list[tuple[int | None, int | None, int | None]] = []
    for session in sessions:
        plain = _rank(suggest(session.query, k, None), session.target_id)
        query_only = _rank(
            suggest(session.query, k, session.context(with_click=False)), session.target_id
        )
        clicked = _rank(
            suggest(session.query, k, session.context(with_click=True)), session.target_id
        )
        ranks.setdefault(session.kind, []).append((plain, query_only, clicked))
        if session.kind == "unrelated" and session.distinctive_genre and not session.shares_genre:
            exposed.append((plain, query_only, clicked))
    results = [_scores(kind, ranks[kind]) for kind in KINDS if kind in ranks]
    if exposed:
        # The worst case for the genre nudge: it lifts A's genre, which B does not have.
        results.append(_scores("unrelated, A's distinctive genre not B's", exposed))
    related = ranks.get("series", []) + ranks.get("genre", [])
    if related:
        results.append(_scores("related (series + genre)", related))
    return results


def _rank(ids: list[str], target: str) -> int | None:
    for position, found in enumerate(ids, start=1):
        if found == target:
            return position
    return None


def _reciprocal(rank: int | None) -> float:
    return 0.0 if rank is None else 1.0 / rank


def _scores(kind: str, rows: list[tuple[int | None, int | None, int | None]]) -> Scores:
    count = len(rows)

    def mean(values: list[float]) -> float:
        return sum(values) / count if count else math.nan

    return Scores(
        kind=kind,
        sessions=count,
        mrr_without=mean([_reciprocal(row[0]) for row in rows]),
        mrr_query_only=mean([_reciprocal(row[1]) for row in rows]),
        mrr_with=mean([_reciprocal(row[2]) for row in rows]),
        top1_without=mean([1.0 if row[0] == 1 else 0.0 for row in rows]),
        top1_with=mean([1.0 if row[2] == 1 else 0.0 for row in rows]),
    )


# Rankers --------------------------------------------------------------------------------------


def reference_suggest(index: CatalogIndex, columns: MetadataColumns | None) -> SuggestFn:
    """A small exact-prefix ranker with the context boosts, as the engine is meant to apply them.

    Candidates are the prefix's top entries and its exact-text entries (with ``EXACT_BONUS``),
    plus every related title the prefix reaches; each scores its entry score plus its context
    boost. No typo correction and no feedback: it isolates what context adds.
    """
    hot = index.hot
    filters = None if columns is None else FilterCache(columns, index.arrays.title_prior)

    def suggest(query: str, k: int, context: ContextSpec | None) -> list[str]:
        typed = normalize_query(query)
        if not typed.strip():
            return []
        parsed = SessionContext.parse(context)
        boosts = related_titles(parsed, index, columns) if parsed else {}
        rule = None
        if filters is not None and parsed:
            rule = genre_nudge(parsed, index, columns, filters)
        scored: dict[int, float] = {}

        def offer(entry: int, score: float) -> None:
            title = hot.entry_title[entry]
            total = score + boosts.get(title, (0.0, ""))[0]
            if rule is not None:
                total += rule.of(title)
            if total > scored.get(title, -math.inf):
                scored[title] = total

        for entry in index.top_entries(typed, k):
            offer(entry, hot.entry_score[entry])
        exact = index.key_range(typed.rstrip() + " ")
        if exact is not None:
            for entry in range(*exact):
                if hot.entry_kind[entry] in EXACT_KIND_CODES:
                    offer(entry, hot.entry_score[entry] + EXACT_BONUS)
        for title in boosts:
            reaching = index.best_entry_reaching(title, typed)
            if reaching is not None:
                offer(reaching, hot.entry_score[reaching])
        if rule is not None:
            # Nudged titles below the prefix's top k join through their clause's mask.
            for clause in rule.clauses:
                for entry in index.top_entries(typed, k, where=clause.filter):
                    offer(entry, hot.entry_score[entry])
        ranked = sorted(scored, key=lambda title: (-scored[title], title))[:k]
        return [index.ids[title] for title in ranked]

    return suggest


def engine_suggest(engine: object) -> SuggestFn | None:
    """``engine.suggest`` as a ``SuggestFn`` when it accepts ``context=``, else None."""
    method = getattr(engine, "suggest", None)
    if method is None or "context" not in inspect.signature(method).parameters:
        return None

    def suggest(query: str, k: int, context: ContextSpec | None) -> list[str]:
        return [item.id for item in method(query, k, context=context)]

    return suggest


# Report and command ---------------------------------------------------------------------------


def markdown(results: Sequence[Scores], *, ranker: str, command: str, seconds: float) -> str:
    lines = [
        "# Session context: MRR@10 of the second query, without and with context",
        "",
        f"Generated {datetime.date.today().isoformat()} by `{command}` "
        f"({seconds:.1f} s). Ranker: {ranker}.",
        "",
        "Each session: the user types a prefix of title A and clicks A, then types a 2-8 "
        "character prefix of title B (from its start, or from a later word: the subtitle for a "
        "series). *Query only* passes the first query as context; *query + click* passes both. "
        '*series*: B has A\'s main title ("The Lord of the Rings: ..."); *genre*: B has '
        "exactly A's genres, one of them distinctive (Animation, Documentary, Action or Romance "
        "in the bundled catalog); *unrelated*: drawn independently. The row *unrelated, A's "
        "distinctive genre not B's* is the genre nudge's worst case: it lifts titles like A and "
        "B is not one. See `src/autocomplete/tools/context_eval.py` for the method.",
        "",
        f"Context settings: series boost {SERIES_BOOST} nats, rare-word boost up to "
        f"{WORD_BOOST}, genre nudge up to {GENRE_NUDGE} nats (times the genre-set similarity "
        f"to the click, to the power {GENRE_SHARPNESS:g}), cap {MAX_CONTEXT_BOOST} nats per "
        "title (relations and nudge together).",
        "",
        "| pairs | sessions | MRR@10 without | MRR@10 query only | MRR@10 query + click "
        "| change | top-1 without | top-1 with |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in results:
        lines.append(
            f"| {row.kind} | {row.sessions} | {row.mrr_without:.3f} | {row.mrr_query_only:.3f} "
            f"| {row.mrr_with:.3f} | {row.gain:+.3f} | {row.top1_without:.3f} "
            f"| {row.top1_with:.3f} |"
        )
    lines.append("")
    return "\n".join(lines)


def records_of(index: CatalogIndex) -> list[Record]:
    """The index's titles back as records (id, text, metadata), e.g. to build columns."""
    return [
        Record(
            index.ids[title],
            index.titles[title],
            0.0,
            MappingProxyType(json.loads(index.metadata_json[title])),
        )
        for title in range(index.title_count)
    ]


def run_command(args: argparse.Namespace) -> int:
    from autocomplete.engine.facade import Autocomplete

    started = time.perf_counter()
    engine = Autocomplete()
    index = engine.index
    found_columns = getattr(index, "columns", None)
    columns = (
        found_columns
        if isinstance(found_columns, MetadataColumns)
        else MetadataColumns.build(records_of(index))
    )
    suggest = None if args.reference else engine_suggest(engine)
    if suggest is None:
        suggest = reference_suggest(index, columns)
        ranker = "the reference ranker (exact prefix + context boosts; `suggest` has no context)"
        if args.reference:
            ranker = "the reference ranker (exact prefix + context boosts), by request"
    else:
        ranker = "`Autocomplete.suggest` (the engine, with typo correction)"
    sessions = make_sessions(index, columns, per_kind=args.sessions, seed=args.seed)
    results = evaluate_sessions(sessions, suggest)
    command = f"autocomplete context-eval --sessions {args.sessions} --seed {args.seed}"
    if args.reference:
        command += " --reference"
    report = markdown(
        results, ranker=ranker, command=command, seconds=time.perf_counter() - started
    )
    output: Path = args.output
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(report, encoding="utf-8")
    print(report)
    print(f"wrote {output}", file=sys.stderr)
    return 0


def add_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``context-eval`` on an argparse subparsers object."""
    parser = commands.add_parser(
        "context-eval",
        help="measure what session context does to the next query's ranking",
        description=(
            "Simulate seeded two-query sessions over the bundled catalog (same series, same "
            "genres, unrelated) and report MRR@10 of the second query without and with context."
        ),
    )
    parser.add_argument(
        "--sessions", type=int, default=SESSIONS, metavar="N", help="sessions per pair kind"
    )
    parser.add_argument("--seed", type=int, default=0, help="session generator seed (default 0)")
    parser.add_argument(
        "--output", type=Path, default=RESULTS_FILE, help=f"report path (default {RESULTS_FILE})"
    )
    parser.add_argument(
        "--reference",
        action="store_true",
        help="rank with the reference ranker even when the engine takes context",
    )
    parser.set_defaults(run=run_command)
