"""A seeded synthetic catalog generator, for measuring the engine at sizes beyond the bundled one.

Method
------
Everything is learned from a *source* catalog (the bundled movie catalog unless another is
given), so the synthetic titles read like the real ones and stress the index the same way:

* **Words.** Titles are split on whitespace into tokens kept exactly as written ("Lebowski",
  "of", "Wars:", "2"). The model counts which tokens start a title (``The`` starts about one
  title in eight, so a realistic share of leading articles comes for free), which follow which
  (word bigrams), how often each occurs anywhere (unigrams), and which tokens stand alone as
  one-word titles.
* **Length.** Each synthetic title first draws its number of words from the source's title-length
  distribution; one-word titles draw from the source's one-word titles, longer ones start with a
  first word drawn from the source's first words and continue with a first-order Markov chain
  over the bigrams. A token never seen with a successor falls back to the unigram distribution.
  The last word is redrawn a few times while it is one that seldom ends a source title ("of"),
  so that titles do not stop mid-phrase.
* **Uniqueness.** A title already generated is redrawn unless its ``DUPLICATE_SHARE`` coin says
  it may repeat, so duplicates occur at about the source's rate (remakes) and do not pile up when
  the catalog is much larger than the source. Redraws keep the title's length at first and mix
  in more and more unigram words to widen the choice; only then is a new length drawn (one-word
  titles run out first, so at a million titles they are rarer than in the source). After
  ``REDRAW_ROUNDS`` a repeat is accepted.
* **Popularity.** Votes follow the source's rank-frequency curve: the title of rank ``r`` among
  ``n`` gets the votes of the source title at the same *relative* rank ``r * n_source / n``,
  interpolated in log-log space, and above the source's top rank the head's power law is
  extended (Zipf's law). So the synthetic catalog keeps the source's heavy tail: the top 1% of
  titles hold about as large a share of all votes as in the source. Ranks are assigned to titles
  by a random permutation, with a little multiplicative jitter so that votes do not tie.
* **Metadata.** ``year`` and ``genres`` are drawn from the source's records.

Sampling is vectorized with NumPy in chunks: for every chunk, each word position is drawn for
all titles at once by a ``searchsorted`` over the concatenated cumulative distributions of all
tokens' successors, so a million titles take seconds. The same ``seed`` (and source) always gives
the same titles, ids, votes and years, in the same order.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import math
import os
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeGuard

import numpy as np
import numpy.typing as npt

GENERATOR_VERSION = 1
"""Bumped whenever the same seed would produce a different catalog (keys benchmark caches)."""

CHUNK_SIZE = 65_536
"""Titles generated per vectorized batch."""

MAX_WORDS = 20
"""Longest synthetic title, in words (the source's few longer titles are cut to this)."""

DUPLICATE_SHARE = 0.05
"""Probability of keeping a title that was already generated (the source has ~4.7% repeats)."""

REDRAW_ROUNDS = 8
"""Attempts at a fresh title before a duplicate is accepted anyway."""

SAME_LENGTH_ROUNDS = 4
"""Redraws of a repeated title that keep its length before a new length is drawn."""

REDRAW_BACKOFF = 0.25
"""Added per redraw round to the chance of a word drawn from unigrams instead of bigrams."""

VOTE_JITTER = 0.15
"""Standard deviation of the log-normal noise multiplied into every title's votes."""

HEAD_RANKS = 100
"""Source ranks used to fit the power law that extends the head beyond the source's top title."""

FINAL_REDRAWS = 3
"""Redraws of a title's last word while it is one that rarely ends a title ("of", "the")."""

FINAL_SHARE = 0.1
"""A word may end a title when at least this share of its source occurrences end one."""

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class _Distribution:
    """A categorical distribution over token ids, sampled by inverse transform."""

    tokens: IntArray
    cumulative: FloatArray  # ends at 1.0

    @classmethod
    def of(cls, counts: Mapping[int, int]) -> _Distribution:
        tokens = np.fromiter(sorted(counts), dtype=np.int64, count=len(counts))
        weights = np.array([counts[token] for token in tokens.tolist()], dtype=np.float64)
        cumulative = np.cumsum(weights)
        return cls(tokens, cumulative / cumulative[-1])

    def draw(self, uniform: FloatArray) -> IntArray:
        positions = np.searchsorted(self.cumulative, uniform, side="right")
        return self.tokens[np.minimum(positions, len(self.tokens) - 1)]


@dataclass(frozen=True)
class _Successors:
    """Every token's successor distribution, concatenated so one ``searchsorted`` serves all.

    Row ``p`` (the successors of token ``p``) occupies ``[first[p], end[p])``; its cumulative
    probabilities are stored offset by ``p`` (values in ``(p, p + 1]``), which keeps the whole
    array sorted, so the successor of ``p`` for a uniform ``u`` is at ``searchsorted(p + u)``.
    """

    tokens: IntArray
    cumulative: FloatArray
    first: IntArray
    end: IntArray

    @classmethod
    def of(cls, bigrams: Mapping[tuple[int, int], int], vocabulary_size: int) -> _Successors:
        pairs = sorted(bigrams)
        tokens = np.fromiter((after for _, after in pairs), dtype=np.int64, count=len(pairs))
        rows = np.fromiter((before for before, _ in pairs), dtype=np.int64, count=len(pairs))
        counts = np.array([bigrams[pair] for pair in pairs], dtype=np.float64)
        first = np.searchsorted(rows, np.arange(vocabulary_size), side="left")
        end = np.searchsorted(rows, np.arange(vocabulary_size), side="right")
        running = np.cumsum(counts)
        # Cumulative count within each row: subtract the running total before the row starts.
        before_row = np.concatenate(([0.0], running))[first]
        row_total = np.concatenate(([0.0], running))[end] - before_row
        within = (running - before_row[rows]) / row_total[rows]
        return cls(tokens, rows + within, first.astype(np.int64), end.astype(np.int64))

    def draw(self, previous: IntArray, uniform: FloatArray) -> tuple[IntArray, npt.NDArray[Any]]:
        """The next token after each of ``previous``, and a mask of tokens with no successors."""
        if not len(self.tokens):  # a source of one-word titles: no bigrams at all
            return np.zeros(len(previous), dtype=np.int64), np.ones(len(previous), dtype=np.bool_)
        lo = self.first[previous]
        hi = self.end[previous]
        missing = lo == hi
        positions = np.searchsorted(self.cumulative, previous + uniform, side="right")
        positions = np.clip(positions, lo, np.maximum(hi - 1, lo))
        drawn = self.tokens[np.minimum(positions, len(self.tokens) - 1)]
        return drawn, missing


@dataclass(frozen=True)
class TitleModel:
    """Word and popularity statistics learned from a source catalog (see the module docstring)."""

    vocabulary: tuple[str, ...]
    lengths: _Distribution  # "tokens" here are word counts
    single: _Distribution  # the words of one-word titles
    closers: _Distribution  # the words that may end a title, by frequency
    starts: _Distribution  # first words of longer titles
    unigrams: _Distribution
    successors: _Successors
    final: npt.NDArray[np.bool_]  # per token: it ends enough source titles to end one
    log_ranks: FloatArray  # source rank-frequency curve, log rank (ascending)
    log_votes: FloatArray  # and log(votes + 1) at those ranks (descending)
    head_slope: float  # d log(votes) / d log(rank) over the head, negative
    min_votes: float  # the source's least votes: no synthetic title gets fewer
    years: IntArray
    genres: tuple[tuple[str, ...], ...]

    @classmethod
    def learn(cls, records: Iterable[Mapping[str, object]]) -> TitleModel:
        """Learn the model from records holding a ``title`` and optionally ``votes``,
        ``year`` and ``genres``."""
        token_ids: dict[str, int] = {}
        lengths: Counter[int] = Counter()
        single: Counter[int] = Counter()
        starts: Counter[int] = Counter()
        unigrams: Counter[int] = Counter()
        bigrams: Counter[tuple[int, int]] = Counter()
        finals: Counter[int] = Counter()
        votes: list[float] = []
        years: list[int] = []
        genres: list[tuple[str, ...]] = []
        for record in records:
            title = record.get("title")
            if not isinstance(title, str) or not title.split():
                continue
            ids = [token_ids.setdefault(word, len(token_ids)) for word in title.split()]
            ids = ids[:MAX_WORDS]
            lengths[len(ids)] += 1
            unigrams.update(ids)
            finals[ids[-1]] += 1
            if len(ids) == 1:
                single[ids[0]] += 1
            else:
                starts[ids[0]] += 1
                bigrams.update(itertools.pairwise(ids))
            weight = record.get("votes")
            if _is_number(weight) and math.isfinite(weight) and weight >= 0:
                votes.append(float(weight))
            year = record.get("year")
            if isinstance(year, int) and not isinstance(year, bool):
                years.append(year)
            kinds = record.get("genres")
            if isinstance(kinds, list) and all(isinstance(kind, str) for kind in kinds):
                genres.append(tuple(kinds))
        if not lengths:
            raise ValueError("the source catalog holds no titles to learn from")
        if not single:  # every source title has several words: one-word titles use unigrams
            single = unigrams
        if not starts:
            starts = unigrams
        log_ranks, log_votes, head_slope = _rank_curve(votes)
        closers = [token for token in unigrams if finals[token] >= FINAL_SHARE * unigrams[token]]
        vocabulary = tuple(sorted(token_ids, key=token_ids.__getitem__))
        return cls(
            vocabulary=vocabulary,
            lengths=_Distribution.of(lengths),
            single=_Distribution.of(single),
            closers=_Distribution.of({token: unigrams[token] for token in closers} or unigrams),
            starts=_Distribution.of(starts),
            unigrams=_Distribution.of(unigrams),
            successors=_Successors.of(bigrams, len(vocabulary)),
            final=np.isin(np.arange(len(vocabulary)), np.array(closers, dtype=np.int64)),
            log_ranks=log_ranks,
            log_votes=log_votes,
            head_slope=head_slope,
            min_votes=min(votes, default=0.0),
            years=np.array(years or [2000], dtype=np.int64),
            genres=tuple(genres) or ((),),
        )

    def votes(self, count: int, rng: np.random.Generator) -> IntArray:
        """Zipf-like votes for ``count`` titles, in random order (see the module docstring)."""
        source_size = math.exp(float(self.log_ranks[-1]))
        ranks = np.arange(1, count + 1, dtype=np.float64)
        relative = np.log(ranks * source_size / count)
        curve = np.interp(relative, self.log_ranks, self.log_votes)
        head = relative < 0.0  # ranks above the source's first: extend the head's power law
        curve[head] = self.log_votes[0] + self.head_slope * relative[head]
        jitter = rng.normal(0.0, VOTE_JITTER, size=count)
        floor = self.min_votes
        values = np.rint(np.maximum(np.exp(curve + jitter) - 1.0, floor)).astype(np.int64)
        return values[rng.permutation(count)]

    def draw_lengths(self, count: int, rng: np.random.Generator) -> IntArray:
        """Title lengths in words, from the source's length distribution."""
        return np.minimum(self.lengths.draw(rng.random(count)), MAX_WORDS)

    def titles(self, length: IntArray, rng: np.random.Generator, backoff: float = 0.0) -> list[str]:
        """One title of each given length in words, drawn from the word model.

        ``backoff`` is the chance of drawing a word from the unigrams (one-word titles: from the
        words that may end a title) rather than from the bigram chain; it is raised when redrawing
        repeats, to widen the choice. Duplicates are left to the caller.
        """
        count = len(length)
        words = np.full((count, int(length.max(initial=1))), -1, dtype=np.int64)
        words[:, 0] = np.where(
            length == 1,
            np.where(
                rng.random(count) < backoff,
                self.closers.draw(rng.random(count)),
                self.single.draw(rng.random(count)),
            ),
            self.starts.draw(rng.random(count)),
        )
        for position in range(1, words.shape[1]):
            active = np.flatnonzero(length > position)
            if not len(active):
                break
            previous = words[active, position - 1]
            drawn = self._next_words(previous, rng, backoff)
            # The last word: prefer one that often ends a source title.
            last = np.flatnonzero(length[active] == position + 1)
            for _ in range(FINAL_REDRAWS):
                bad = last[~self.final[drawn[last]]]
                if not len(bad):
                    break
                drawn[bad] = self._next_words(previous[bad], rng, backoff)
            words[active, position] = drawn
        vocabulary = self.vocabulary
        return [
            " ".join([vocabulary[token] for token in row[:size]])
            for row, size in zip(words.tolist(), length.tolist(), strict=True)
        ]

    def _next_words(self, previous: IntArray, rng: np.random.Generator, backoff: float) -> IntArray:
        """A successor of each of ``previous``; unigrams where none is known or by ``backoff``."""
        drawn, missing = self.successors.draw(previous, rng.random(len(previous)))
        if backoff > 0.0:
            missing |= rng.random(len(previous)) < backoff
        if missing.any():
            drawn[missing] = self.unigrams.draw(rng.random(int(missing.sum())))
        return drawn


def _rank_curve(votes: list[float]) -> tuple[FloatArray, FloatArray, float]:
    """The source's rank-frequency curve in log-log space, and the slope of its head."""
    if len(votes) < 2 or max(votes) <= 0:
        # No usable popularity: a plain Zipf law (slope -1) down to one vote at the last rank.
        return np.zeros(1), np.full(1, math.log(2.0)), -1.0
    ordered = np.sort(np.asarray(votes, dtype=np.float64))[::-1]
    log_ranks = np.log(np.arange(1, len(ordered) + 1, dtype=np.float64))
    log_votes = np.log(ordered + 1.0)
    head = min(HEAD_RANKS, len(ordered))
    slope = float(np.polyfit(log_ranks[:head], log_votes[:head], 1)[0]) if head >= 2 else -1.0
    return log_ranks, log_votes, min(slope, -0.1)


def bundled_source_records() -> Iterator[dict[str, object]]:
    """The records of the bundled movie catalog, read as plain dicts."""
    from autocomplete.index.bundled import bundled_catalog_path

    with gzip.open(bundled_catalog_path(), "rt", encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                value = json.loads(line)
                if isinstance(value, dict):
                    yield value


def generate_titles(
    count: int,
    *,
    seed: int = 0,
    source_records: Iterable[Mapping[str, object]] | None = None,
) -> Iterator[dict[str, object]]:
    """Yield ``count`` synthetic catalog records: ``id``, ``title``, ``votes``, ``year``,
    ``genres``.

    Titles are learned from ``source_records`` (the bundled movie catalog by default); the same
    ``seed`` and source always yield the same records. Ids are ``"s1"``, ``"s2"``, ... and unique.
    """
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ValueError(f"count must be a whole number >= 0, got {count!r}")
    model = TitleModel.learn(bundled_source_records() if source_records is None else source_records)
    rng = np.random.default_rng(seed)
    votes = model.votes(count, rng).tolist()
    seen: set[str] = set()
    produced = 0
    while produced < count:
        size = min(CHUNK_SIZE, count - produced)
        chunk = _unique_titles(model, size, rng, seen)
        years = model.years[rng.integers(0, len(model.years), size=size)].tolist()
        genre_rows = rng.integers(0, len(model.genres), size=size).tolist()
        for offset, title in enumerate(chunk):
            number = produced + offset
            yield {
                "id": f"s{number + 1}",
                "title": title,
                "votes": votes[number],
                "year": years[offset],
                "genres": list(model.genres[genre_rows[offset]]),
            }
        produced += size


def _unique_titles(
    model: TitleModel, size: int, rng: np.random.Generator, seen: set[str]
) -> list[str]:
    """``size`` titles, redrawing repeats of ``seen`` except a ``DUPLICATE_SHARE`` of them.

    A repeat is redrawn at the same length first, so that the length distribution holds; only
    when a length seems exhausted (one-word titles run out first) is a new length drawn.
    """
    titles: list[str | None] = [None] * size
    lengths = model.draw_lengths(size, rng)
    may_repeat = (rng.random(size) < DUPLICATE_SHARE).tolist()
    pending = list(range(size))
    for attempt in range(REDRAW_ROUNDS + 1):
        if attempt >= SAME_LENGTH_ROUNDS:
            lengths[pending] = model.draw_lengths(len(pending), rng)
        drawn = model.titles(lengths[pending], rng, backoff=min(0.9, REDRAW_BACKOFF * attempt))
        last_round = attempt == REDRAW_ROUNDS
        retry: list[int] = []
        for slot, title in zip(pending, drawn, strict=True):
            if title in seen and not may_repeat[slot] and not last_round:
                retry.append(slot)
                continue
            seen.add(title)
            titles[slot] = title
        pending = retry
        if not pending:
            break
    return [title for title in titles if title is not None]


def write_catalog(records: Iterable[Mapping[str, object]], path: str | os.PathLike[str]) -> int:
    """Write records as JSONL (gzip-compressed when ``path`` ends in ``.gz``); returns the count.

    The file is written beside its target and renamed into place, so a reader never sees half.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    written = 0
    try:
        with _open_text(staging, compressed=target.suffix.lower() == ".gz") as handle:
            encode = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode
            batch: list[str] = []
            for record in records:
                batch.append(encode(record))
                written += 1
                if len(batch) >= 10_000:
                    handle.write("\n".join(batch) + "\n")
                    batch.clear()
            if batch:
                handle.write("\n".join(batch) + "\n")
        staging.replace(target)
    finally:
        staging.unlink(missing_ok=True)
    return written


def _open_text(path: Path, *, compressed: bool) -> IO[str]:
    if compressed:
        # Level 5 is nearly as small as the default 9 for JSONL, and several times faster.
        return gzip.open(path, "wt", encoding="utf-8", compresslevel=5)
    return path.open("w", encoding="utf-8")


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# The command line ----------------------------------------------------------------------------


def _count(text: str) -> int:
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _output_path(text: str) -> Path:
    path = Path(text)
    suffixes = [suffix.lower() for suffix in path.suffixes]
    if suffixes[-1:] == [".gz"]:
        suffixes.pop()
    if suffixes[-1:] != [".jsonl"]:
        raise argparse.ArgumentTypeError(f"output must end in .jsonl or .jsonl.gz, got {text!r}")
    return path


def _run_synthesize(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    source: Iterable[Mapping[str, object]] | None = None
    if args.source is not None:
        from autocomplete.catalog.loader import load_catalog

        records, _ = load_catalog(args.source, text_field="title")
        source = (
            {"title": record.text, **dict(record.metadata)} for record in records
        )  # votes, year and genres, when present, are metadata of the loaded records
    written = write_catalog(
        generate_titles(args.count, seed=args.seed, source_records=source), args.output
    )
    elapsed = time.perf_counter() - started
    print(
        f"wrote {written:,} synthetic titles (seed {args.seed}) in {elapsed:.1f} s"
        f" -> {args.output}",
        file=sys.stderr,
    )
    return 0


def add_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``synthesize`` subcommand on the CLI's subparsers."""
    parser = commands.add_parser(
        "synthesize",
        help="write a seeded synthetic catalog (titles learned from the movie catalog)",
        description=(
            "Generate realistic synthetic titles, Zipf-like votes, years and genres from word "
            "statistics of the bundled movie catalog (or --source), for benchmarks at scale."
        ),
    )
    parser.add_argument(
        "--count", type=_count, default=1_000_000, help="titles to generate (default 1,000,000)"
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "-o", "--output", type=_output_path, required=True, help="output .jsonl or .jsonl.gz file"
    )
    parser.add_argument(
        "--source", default=None, help="catalog (CSV/JSONL with a title field) to learn from"
    )
    parser.set_defaults(run=_run_synthesize)
