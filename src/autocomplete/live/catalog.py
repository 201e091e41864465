"""``LiveCatalog``: the one owner of a catalog's changes while it serves.

The built index stays immutable. Changes go to an update log first (``UpdateStore``: durable
before they are acknowledged), then into the process's state, as Lucene does with segments:

* the *main* index, immutable, with the ids it holds that were replaced or deleted *hidden*
  (tombstones);
* a small *delta* index built from the changed titles alone, rebuilt whole for each applied
  batch, with the main index's prior normalizer (``prior_total``), so that its scores are on
  the main index's scale and the two lists merge by score. Being an ordinary ``CatalogIndex``
  it has its own key trie, word index and spelling index, so prefixes, word starts, initials,
  aliases, typo correction, multi-word queries, filters, boosts, session context and click
  feedback (keyed by title id) all reach it through an ordinary engine.

``suggest`` asks each segment through an engine that leaves its hidden titles out inside
retrieval (``Autocomplete.hiding``), bounded by what the query as typed reaches in the other
segments (``exact_scores``, ``suggest(elsewhere=)``) as one index would bound it, merges by
score and cuts to ``k``. A snapshot of the segments is replaced whole on each change, so a
query never sees half a batch.

Every process applies the same log in the same order: a writer applies up to its own change
before ``upsert`` returns (read your writes), and a thread polls the log for other processes'
changes (``poll_interval_s``). When the delta reaches ``compact_after`` changed titles, a
background thread folds it into a new main index and swaps it in; with a ``compaction_dir``
the new index is saved there and announced in the log, so every process loads it instead of
building its own. Answers do not depend on whether a compaction ran (up to the prior
normalizer, a constant shift of every score). A delta part of ``readings_after`` titles or more
gets its speller's precomputed readings (``spell.option_table``) searched in a child process
once it serves, and is swapped for the same part loaded back with them: the same answers,
computed faster. The design and the measured costs are in
``docs/live-updates.md``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import heapq
import itertools
import json
import logging
import math
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Generic, Protocol, Self, TypeVar

import numpy as np

from autocomplete.catalog.loader import CatalogError, Record, load_catalog
from autocomplete.index.build import build_index
from autocomplete.index.catalog_index import CatalogIndex, IndexFormatError, TitleView
from autocomplete.index.static_score import prior_total
from autocomplete.live.backends import open_update_store
from autocomplete.live.changes import (
    DEFAULT_FIELDS,
    CatalogFields,
    Change,
    Compacted,
    Delete,
    Logged,
    Upsert,
    decode,
    encode,
    encoded_upsert,
    reads_back,
)
from autocomplete.live.compaction import (
    RECORDS_FILE,
    BaseSource,
    build_elsewhere,
    readings_elsewhere,
)
from autocomplete.live.store import READ_LIMIT, UpdateStore, UpdateStoreUnavailableError
from autocomplete.rank.filters import FilterError
from autocomplete.rank.scoring import DROPPED_WORD_COST, EXACT_BONUS, TRANSLATION_MATCH
from autocomplete.rank.session_context import SessionContext
from autocomplete.text.normalize import normalize_typed

try:
    import fcntl
except ImportError:  # not on Windows: there each process compacts on its own
    fcntl = None  # type: ignore[assignment]

LOG = logging.getLogger(__name__)

DEFAULT_POLL_INTERVAL_S = 0.2
"""How often a process reads the log for other processes' changes (the 1 s visibility target
leaves room for a delta rebuild after the read)."""

DEFAULT_COMPACT_AFTER = 20_000
"""Changed titles (upserted or deleted) in the delta that start a background compaction."""

KEPT_COMPACTIONS = 2
"""Compacted indexes kept on disk (the newest); older ones are deleted after a compaction."""

DEFAULT_READINGS_AFTER = 1_000
"""Titles a delta part needs before its speller's readings are precomputed for it in the
background: a smaller one's spelling search is cheap, and the child process's start (about a
second of a core) would cost more than it saves."""

READINGS_DELAY_S = 1.0
"""How long the readings thread waits before it looks for delta parts without readings: the
batch that built one returns first (the part is saved in this process), and a part that the
next batch replaces at once is not built for."""

READINGS_DIRECTORY = "delta-"
"""Name prefix of the directories (in this process's own directory) where delta parts are saved
with their precomputed readings."""

RECENT_LIMIT = 2_000
"""Titles the recent delta may hold; beyond, it is folded into the settled delta (one rebuild
of every changed title), so that a small batch rebuilds at most this many."""

READINGS_WAIT_S = 0.05
"""How often ``wait_for_readings`` looks."""

SHARED_SPELLING_HIDDEN_SHARE = 0.5
"""Share of the main index's titles that may be hidden for a new delta part to read the words
it does not hold through the main index's speller (``live.shared_spelling``): past it, the main
vocabulary is mostly that of replaced or deleted titles, and its readings would not be the
catalog's, so the part corrects within its own vocabulary."""

MAX_UPSERT_BATCH = 100_000
"""Titles one ``upsert`` call accepts: a bigger batch belongs in a rebuild."""


class Ranked(Protocol):
    """What the merge reads of a suggestion."""

    @property
    def id(self) -> str: ...

    @property
    def score(self) -> float: ...

    @property
    def channel(self) -> float: ...

    @property
    def corrected_query(self) -> str | None: ...

    @property
    def match(self) -> str: ...


R = TypeVar("R", bound=Ranked)


class SegmentEngine(Protocol[R]):
    """An engine over one immutable index (the facade's ``Autocomplete``)."""

    def suggest(
        self,
        query: str,
        k: int = 10,
        *,
        where: Mapping[str, object] | None = None,
        boost: Mapping[str, Mapping[object, object]] | None = None,
        context: Mapping[str, object] | SessionContext | None = None,
        correct: bool = True,
        above: float | None = None,
        elsewhere: Sequence[float] | None = None,
    ) -> list[R]: ...

    def exact_scores(
        self, query: str, k: int = 10, *, where: Mapping[str, object] | None = None
    ) -> list[float]: ...

    def trending(
        self,
        k: int = 10,
        *,
        where: Mapping[str, object] | None = None,
        first_characters: Iterable[str] | None = None,
    ) -> list[R]: ...

    def prepare(self) -> None: ...

    def sharing_spelling(self, main: Self) -> Self:
        """The same engine, reading a typed word its index does not hold through ``main``'s
        speller (``live.shared_spelling``): what a delta part's engine answers with."""
        ...

    def hiding(self, titles: Iterable[int]) -> SegmentEngine[R]:
        """The same engine, never suggesting the titles at these index positions (left out
        inside retrieval, so it still answers ``k`` whenever ``k`` others match)."""
        ...


@dataclass(frozen=True, slots=True)
class UpdateOptions:
    """How a live catalog logs and applies its changes.

    ``base_catalog`` is the catalog file the main index was built from (read with
    ``fields``), or ``base_records`` returns its records: compaction rebuilds from them
    (exactly), and from a file a child process reads them itself. Without either they are
    read back from the index, the weights recovered from the stored priors (float32: a
    compaction's priors may differ in the seventh digit).
    ``compaction_dir`` is where compacted indexes are published for other processes (default:
    beside a SQLite log; none for Redis or memory, where each process compacts on its own).
    ``readings_after``: a delta part of at least this many titles gets the speller's
    precomputed readings of its vocabulary, searched in a child process once it serves
    (answers are the same with them, only faster); None: never.
    """

    store: str | UpdateStore
    fields: CatalogFields = DEFAULT_FIELDS
    base_records: Callable[[], Sequence[Record]] | None = None
    base_catalog: str | None = None
    poll_interval_s: float = DEFAULT_POLL_INTERVAL_S
    compact_after: int | None = DEFAULT_COMPACT_AFTER
    compaction_dir: str | None = None
    readings_after: int | None = DEFAULT_READINGS_AFTER

    def __post_init__(self) -> None:
        if not (self.poll_interval_s >= 0 and math.isfinite(self.poll_interval_s)):
            raise ValueError(f"poll_interval_s must be >= 0, got {self.poll_interval_s!r}")
        if self.compact_after is not None and self.compact_after < 1:
            raise ValueError(f"compact_after must be >= 1 or None, got {self.compact_after!r}")
        if self.readings_after is not None and self.readings_after < 1:
            raise ValueError(f"readings_after must be >= 1 or None, got {self.readings_after!r}")


@dataclass(frozen=True, slots=True)
class LiveStatus:
    """What the live catalog holds now."""

    sequence: int  # the last change applied
    titles: int  # titles served
    delta_titles: int  # titles in the delta index
    hidden_main_titles: int  # main titles replaced or deleted
    main_titles: int  # titles in the main index, hidden ones included
    compacted_through: int  # the log position the main index includes
    compactions: int  # compactions this process installed (built or loaded)


@dataclass(frozen=True, slots=True)
class _Part(Generic[R]):
    """One immutable segment: its index and engine, and its titles that later changes hid.
    ``serving`` is the engine that answers: ``engine`` with the hidden titles left out inside
    retrieval (``engine`` itself while none is hidden)."""

    index: CatalogIndex
    engine: SegmentEngine[R]
    hidden: frozenset[str]
    records: Mapping[str, Record]  # what a delta part was built from (empty for the main one)
    best_prior: float  # no title of the part scores above this plus the exact bonus and lifts
    serving: SegmentEngine[R]
    # Whether its speller's readings were precomputed (or were tried): a delta part built in
    # this process starts without them (``LiveCatalog._precompute_readings``).
    readings: bool = True

    @property
    def alive(self) -> int:
        return self.index.title_count - len(self.hidden)

    def holds(self, title_id: str) -> bool:
        return title_id not in self.hidden and self.index.title_of(title_id) is not None

    def hiding(self, hidden: Mapping[str, int]) -> _Part[R]:
        """This part with ``hidden`` (id -> title position in its index) hidden instead; the
        same part when nothing changed (its serving engine keeps its memos)."""
        if len(hidden) == len(self.hidden) and self.hidden.issuperset(hidden):
            return self
        serving = self.engine.hiding(hidden.values()) if hidden else self.engine
        return _Part(
            self.index,
            self.engine,
            frozenset(hidden),
            self.records,
            self.best_prior,
            serving,
            self.readings,
        )

    def with_readings(self, index: CatalogIndex, engine: SegmentEngine[R]) -> _Part[R]:
        """This part over ``index`` (its index saved and loaded back, with the precomputed
        readings beside it: the same titles at the same positions) answered by ``engine``,
        the same titles hidden."""
        fresh = _Part(index, engine, frozenset(), self.records, self.best_prior, engine)
        positions = {title_id: index.title_of(title_id) for title_id in self.hidden}
        return fresh.hiding(
            {title_id: title for title_id, title in positions.items() if title is not None}
        )


@dataclass(frozen=True, slots=True)
class _Segments(Generic[R]):
    """One consistent view for queries: replaced whole, never changed. ``deltas`` are the
    settled delta (rebuilt when the recent one outgrows ``RECENT_LIMIT``) and the recent delta
    (rebuilt with each batch), oldest first; either may be missing."""

    main: _Part[R]
    deltas: tuple[_Part[R], ...]

    @property
    def titles(self) -> int:
        return sum(part.alive for part in (self.main, *self.deltas))


@dataclass(slots=True)
class _Pending:
    """The changes since the main index, as the apply lock's owner keeps them."""

    records: dict[str, Record] = field(default_factory=dict)  # the delta, in first-upsert order
    deleted: set[str] = field(default_factory=set)  # main ids deleted and not upserted again
    recent: dict[str, None] = field(default_factory=dict)  # ids upserted since the last fold
    # Main ids changed (upserted or deleted) -> their title position in the main index: hidden
    # there until the next compaction, whatever later changes do to them.
    hidden: dict[str, int] = field(default_factory=dict)
    recent_changed: bool = False


class LiveCatalog(Generic[R]):
    """A main index plus a logged, replayed delta; see the module docstring."""

    def __init__(
        self,
        main_index: CatalogIndex,
        options: UpdateOptions,
        engine: Callable[[CatalogIndex], SegmentEngine[R]],
        *,
        lifted: bool = False,
    ) -> None:
        """``engine`` makes the engine of a segment; ``lifted`` says whether it adds click
        lifts (then a delta is never skipped as unable to place: a click may lift it)."""
        self._options = options
        self._lifted = lifted
        self._fields = options.fields
        self._store = open_update_store(options.store)
        self._engine = engine
        self._apply_lock = threading.RLock()
        self._compact_lock = threading.Lock()
        self._stop = threading.Event()
        self._main_through = 0
        self._applied = 0
        self._compactions = 0
        self._compacting: threading.Thread | None = None
        self._reading: threading.Thread | None = None
        self._readings_saved = 0
        self._main_source = BaseSource(
            catalog=Path(options.base_catalog) if options.base_catalog else None,
            fields=options.fields,
            records=options.base_records,
        )
        self._pending = _Pending()
        self._prior_total = _prior_total(main_index, self._main_source.load)
        self._publish_dir = _publish_directory(options, self._store)
        self._private_dir: Path | None = None
        self._segments: _Segments[R] = _Segments(self._part(main_index, engine(main_index)), ())
        self._settled: _Part[R] | None = None
        self._recent: _Part[R] | None = None
        self.catch_up()  # a restarted process serves every acknowledged change at once
        self._poller: threading.Thread | None = None
        if options.poll_interval_s > 0:
            self._poller = threading.Thread(target=self._poll, name="live-updates", daemon=True)
            self._poller.start()

    # Writing ----------------------------------------------------------------------------------

    def upsert(self, records: Iterable[Mapping[str, object]]) -> int:
        """Validate, log durably, apply: the next ``suggest`` sees them. Returns the log
        position of the last one. A bad record raises ``CatalogError`` naming it (its
        1-based position) and the field; nothing of the batch is logged then."""
        if isinstance(records, (str, bytes, Mapping)):
            raise TypeError("records must be a list of records (mappings), not one record")
        batch = list(records)
        if not batch:
            return self._applied
        loaded, bodies = validated_upserts(batch, self._fields)
        return self._log(
            bodies, [Upsert(record) if reads_back(record) else None for record in loaded]
        )

    def delete(self, ids: Iterable[str]) -> int:
        """Log and apply the removal of these ids (unknown ids are no-ops, logged all the same,
        since another process may have upserted them meanwhile)."""
        bodies = delete_bodies(ids)
        return self._log(bodies) if bodies else self._applied

    # Reading ----------------------------------------------------------------------------------

    def suggest(
        self,
        query: str,
        k: int = 10,
        *,
        where: Mapping[str, object] | None = None,
        boost: Mapping[str, Mapping[object, object]] | None = None,
        context: Mapping[str, object] | SessionContext | None = None,
        correct: bool = True,
    ) -> list[R]:
        """Every segment's answers, hidden ids dropped, merged by score (older segments first
        on a tie), cut to ``k``. A delta whose best title could not beat the ``k``-th answer
        so far is not asked (not when clicks, a boost or the session may lift its titles).

        A segment's last resorts (the anchored readings of a garbled multi-word query, then
        the query less its last word) are for when nothing else matches it; one index holding
        every title would not try them when any title matched. So the segments are asked
        without them first, and again with them only when none matched (a translation is no
        match here: one index falls back before it adds them)."""
        segments = self._segments
        main = segments.main
        options = {"where": where, "boost": boost, "context": context, "correct": correct}
        # Everything deleted: the main engine still checks the request, and hides all it finds.
        parts = [part for part in (main, *segments.deltas) if part.alive > 0] or [main]
        if len(parts) == 1:  # nothing changed yet, or e.g. the whole catalog upserted
            return parts[0].serving.suggest(query, k, **options)  # type: ignore[arg-type]
        # What the typed text itself reaches in each segment bounds the others' corrections,
        # scattered words and fallbacks as one index holding every title would be bounded.
        exact = [_exact_scores(part, query, k, where) for part in parts]
        found = self._merged(parts, query, k, options, exact, last_resorts=False)
        if all(answer.match == TRANSLATION_MATCH for answer in found):
            found = self._merged(parts, query, k, options, exact, last_resorts=True)
        return found[:k]

    def _merged(
        self,
        parts: Sequence[_Part[R]],
        query: str,
        k: int,
        options: Mapping[str, object],
        exact: Sequence[list[float]],
        *,
        last_resorts: bool,
    ) -> list[R]:
        """The segments' answers to one request, merged by score (see ``suggest``); with
        ``last_resorts``, a segment may fall back when none before it matched."""
        prunable = not (self._lifted or options["boost"] or options["context"])
        typed = normalize_typed(query).split()
        refused: list[FilterError] = []
        answered: list[list[R]] = []
        found: list[R] = []
        asked = 0
        # Oldest first: the main index's answers bound the deltas' work (asking a delta first
        # measured dearer: its few answers seldom bound the main index).
        for number, part in enumerate(parts):
            if (
                prunable
                and len(found) >= k > 0
                and part.best_prior + EXACT_BONUS <= found[k - 1].score
            ):
                continue
            asked += 1
            bounded: dict[str, object] = {**options, "elsewhere": _elsewhere(exact, number, k)}
            # Once k answers are in, a later segment's only count if they score above the k-th
            # (older segments win ties): it is told so, and skips the work that cannot.
            if len(found) >= k > 0:
                bounded["above"] = found[k - 1].score
            elif not last_resorts or any(
                answers and not _fell_back(answers, typed) for answers in answered
            ):
                bounded["above"] = -math.inf  # fewer than k: no last resort here
            answers = _filtered(
                functools.partial(_part_answers, part, query, k),
                bounded,
                refused,
            )
            answered.append(answers)
            found = sorted(_without_last_resorts(answered, typed), key=_by_score, reverse=True)
        if asked and len(refused) == asked:
            raise refused[0]  # no segment holds that field or value: a mistake in the request
        return found

    def trending(self, k: int = 10, *, where: Mapping[str, object] | None = None) -> list[R]:
        """What people choose lately (the engine's ``trending``) over the live titles: each
        segment's lifted titles, the ones later changes hid left out by its serving engine,
        read under the same one-character prefixes (every segment's title initials), merged
        by score."""
        segments = self._segments
        parts = [part for part in (segments.main, *segments.deltas) if part.alive > 0]
        if not parts:
            segments.main.engine.trending(k, where=where)  # checks the request
            return []
        characters = frozenset().union(*(part.index.title_initials for part in parts))
        refused: list[FilterError] = []
        found: list[R] = []
        for part in parts:
            found.extend(
                _filtered(
                    lambda options, part=part: part.serving.trending(  # type: ignore[misc]
                        k, first_characters=characters, **options
                    ),
                    {"where": where},
                    refused,
                )
            )
        if len(refused) == len(parts):
            raise refused[0]  # no segment holds that field or value: a mistake in the request
        return sorted(found, key=_by_score, reverse=True)[:k]

    def prepare(self) -> None:
        """Warm what every segment's engine builds on first use (in the background)."""
        segments = self._segments
        for part in (segments.main, *segments.deltas):
            part.engine.prepare()

    def describe(self, title_id: str) -> TitleView | None:
        """The live title with this id, or None (deleted, or never there)."""
        segments = self._segments
        for part in (*reversed(segments.deltas), segments.main):
            if part.holds(title_id):
                title = part.index.title_of(title_id)
                assert title is not None
                return part.index.describe(title)
        return None

    def __len__(self) -> int:
        return self._segments.titles

    @property
    def store(self) -> UpdateStore:
        return self._store

    def status(self) -> LiveStatus:
        with self._apply_lock:
            segments = self._segments
            return LiveStatus(
                sequence=self._applied,
                titles=segments.titles,
                delta_titles=len(self._pending.records),
                hidden_main_titles=len(segments.main.hidden),
                main_titles=segments.main.index.title_count,
                compacted_through=self._main_through,
                compactions=self._compactions,
            )

    # Applying the log -------------------------------------------------------------------------

    def _log(self, bodies: Sequence[str], changes: Sequence[Change | None] = ()) -> int:
        """Append durably, then apply up to these changes (read your writes). When nothing
        else was logged in between, this batch is applied as written, without reading it
        back: each change as given in ``changes`` when it reads back from the log unchanged
        (see ``reads_back``), else as every reader decodes it."""
        last = self._store.append(bodies)
        with self._apply_lock:
            if self._applied == last - len(bodies):
                first = last - len(bodies) + 1
                given = list(changes) or [None] * len(bodies)
                written = [
                    Logged(first + n, change if change is not None else decode(body))
                    for n, (body, change) in enumerate(zip(bodies, given, strict=True))
                ]
                if self._apply(written):
                    self._rebuild_delta()
        self.catch_up()
        return last

    def catch_up(self) -> int:
        """Apply every logged change not applied yet (others' too); the position reached."""
        with self._apply_lock:
            changed = False
            while True:
                entries = self._store.read(self._applied, READ_LIMIT)
                if not entries:
                    break
                changed |= self._apply(entries)
                if len(entries) < READ_LIMIT:
                    break
            if changed:
                self._rebuild_delta()
            applied = self._applied
        self._maybe_compact()
        return applied

    def _apply(self, entries: Sequence[Logged]) -> bool:
        """Fold ``entries`` into the pending changes; whether the delta must be rebuilt."""
        changed = False
        pending = self._pending
        main_index = self._segments.main.index
        for logged in entries:
            change = logged.change
            if isinstance(change, (Upsert, Delete)):
                changed_id = change.record.id if isinstance(change, Upsert) else change.id
                if changed_id not in pending.hidden:
                    position = main_index.title_of(changed_id)
                    if position is not None:
                        pending.hidden[changed_id] = position
            if isinstance(change, Upsert):
                record = change.record
                pending.records[record.id] = record
                pending.deleted.discard(record.id)
                pending.recent[record.id] = None
                pending.recent_changed = True
                changed = True
            elif isinstance(change, Delete):
                pending.records.pop(change.id, None)
                if change.id in pending.recent:
                    del pending.recent[change.id]
                    pending.recent_changed = True
                if main_index.title_of(change.id) is not None:
                    pending.deleted.add(change.id)
                changed = True
            elif change.through > self._main_through and change.path is not None:
                self._applied = logged.sequence
                if self._adopt(change):
                    # The pending changes were re-read on top of the adopted index.
                    pending = self._pending
                    main_index = self._segments.main.index
                    changed = True
                continue
            self._applied = logged.sequence
        return changed

    def _rebuild_delta(self) -> None:
        """New delta parts where the pending changes need them, and a new snapshot (under the
        lock). A batch rebuilds the recent delta only (at most ``RECENT_LIMIT`` titles); past
        that, every changed title is rebuilt into the settled delta and the recent one empties.
        Parts not rebuilt keep their engines (and the engines' memos), with new hidden sets."""
        pending = self._pending
        if len(pending.recent) > RECENT_LIMIT:
            self._settled = self._delta_part(pending.records)
            self._recent = None
            pending.recent.clear()
            pending.recent_changed = False
        elif pending.recent_changed:
            recent = {title_id: pending.records[title_id] for title_id in pending.recent}
            self._recent = self._delta_part(recent)
            pending.recent_changed = False
        deltas = []
        settled = self._settled
        if settled is not None:
            latest = pending.records
            superseded = {
                title_id: settled.index.title_of(title_id)
                for title_id, record in settled.records.items()
                if latest.get(title_id) is not record
            }
            self._settled = settled.hiding(
                {title_id: title for title_id, title in superseded.items() if title is not None}
            )
            deltas.append(self._settled)
        if self._recent is not None:
            deltas.append(self._recent)
        self._segments = _Segments(self._segments.main.hiding(pending.hidden), tuple(deltas))
        if any(self._wants_readings(part) for part in deltas):
            self._start_readings()

    def _delta_part(self, records: Mapping[str, Record]) -> _Part[R] | None:
        if not records:
            return None
        built = dict(records)
        index = build_index(
            list(built.values()), source="live delta", prior_total=self._prior_total
        )
        engine = self._delta_engine(index, self._segments.main, len(self._pending.hidden))
        engine.prepare()
        return self._part(index, engine, built, readings=False)

    def _delta_engine(self, index: CatalogIndex, main: _Part[R], hidden: int) -> SegmentEngine[R]:
        """The engine of a delta part over ``index``: a word its index does not hold is read
        through the main part's speller, searched once for every segment, while the main index
        still serves most of its titles (``hidden`` of them are hidden; decided as the part is
        made)."""
        engine = self._engine(index)
        if hidden > SHARED_SPELLING_HIDDEN_SHARE * main.index.title_count:
            return engine
        return engine.sharing_spelling(main.engine)

    @staticmethod
    def _part(
        index: CatalogIndex,
        engine: SegmentEngine[R],
        records: Mapping[str, Record] | None = None,
        *,
        readings: bool = True,
    ) -> _Part[R]:
        best = float(index.arrays.title_prior.max()) if index.title_count else -math.inf
        return _Part(index, engine, frozenset(), records or {}, best, engine, readings)

    # Precomputed readings of the deltas -------------------------------------------------------

    def _wants_readings(self, part: _Part[R]) -> bool:
        limit = self._options.readings_after
        return limit is not None and not part.readings and part.index.title_count >= limit

    def _start_readings(self) -> None:
        """Make sure the background thread that precomputes the deltas' readings runs (under
        the apply lock); it looks for parts without them until there are none."""
        self._reading = _running(self._reading, self._precompute_readings, "live-readings")

    def _precompute_readings(self) -> None:
        """Give each delta part that wants them its speller's precomputed readings: the part
        saved, its table searched in a child process, the index loaded back with it and a new
        engine made over it, which replaces the part's engine if the part still serves (its
        answers are the same, only faster to compute). The newest snapshot is looked at again
        after each, so a part replaced meanwhile is not built for."""
        while not self._stop.wait(READINGS_DELAY_S):
            with self._apply_lock:
                wanted = [part for part in self._segments.deltas if self._wants_readings(part)]
                if not wanted:
                    self._reading = None
                    return
                part, main = wanted[0], self._segments.main
                hidden = len(self._pending.hidden)
                self._readings_saved += 1
                target = self._own_dir() / f"{READINGS_DIRECTORY}{self._readings_saved}"
            loaded: tuple[CatalogIndex, SegmentEngine[R]] | None = None
            try:
                index = readings_elsewhere(part.index, target, self._stop)
                if index is None:
                    return  # closing
                # A compaction that replaced the main part meanwhile replaced this part too,
                # which is then not swapped in (``_replace_delta``).
                engine = self._delta_engine(index, main, hidden)
                engine.prepare()
                loaded = index, engine
            except Exception:  # the part keeps serving without them: the same answers
                LOG.exception("live updates: precomputing a delta's readings failed")
            with self._apply_lock:
                self._replace_delta(part.index, loaded)
                self._remove_unused_readings()

    def _replace_delta(
        self, index: CatalogIndex, loaded: tuple[CatalogIndex, SegmentEngine[R]] | None
    ) -> None:
        """The delta part over ``index``, if one still serves, over ``loaded`` instead (the
        same index saved with its readings, and its engine), or marked as tried when there
        is none (under the apply lock). Its hidden titles are those of the part serving now."""
        for name in ("_settled", "_recent"):
            current: _Part[R] | None = getattr(self, name)
            if current is not None and current.index is index:
                if loaded is None:
                    setattr(self, name, dataclasses.replace(current, readings=True))
                else:
                    setattr(self, name, current.with_readings(*loaded))
        deltas = tuple(part for part in (self._settled, self._recent) if part is not None)
        self._segments = _Segments(self._segments.main, deltas)

    def _remove_unused_readings(self) -> None:
        """Delete the saved delta parts no snapshot serves any more (a query still running on
        one keeps reading its mapped files)."""
        if self._private_dir is None:
            return
        serving = {part.index.saved_at for part in self._segments.deltas}
        for saved in self._private_dir.glob(f"{READINGS_DIRECTORY}*"):
            if saved.absolute() not in serving:
                shutil.rmtree(saved, ignore_errors=True)

    def wait_for_readings(self, timeout_s: float) -> bool:
        """Wait until every delta part that gets precomputed readings has them (for
        benchmarks and tests: answers do not depend on it); whether it did within
        ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while True:
            # Under the apply lock: the thread swaps a part in and removes the saved copies no
            # part serves in one hold of it, and a caller may look for either.
            with self._apply_lock:
                if not any(self._wants_readings(part) for part in self._segments.deltas):
                    return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(READINGS_WAIT_S)

    def _poll(self) -> None:
        while not self._stop.wait(self._options.poll_interval_s):
            try:
                self.catch_up()
            except UpdateStoreUnavailableError as error:  # the next poll tries again
                LOG.warning("live updates: %s", error)
            except Exception:  # a poller that dies silently would freeze the catalog
                LOG.exception("live updates: applying the log failed")

    def close(self) -> None:
        self._stop.set()
        if self._poller is not None:
            self._poller.join(timeout=5)
        compacting = self._compacting
        if compacting is not None:
            compacting.join(timeout=60)
        reading = self._reading
        if reading is not None:
            reading.join(timeout=5)
        self._store.close()
        if self._private_dir is not None:  # what is mapped stays readable once unlinked
            shutil.rmtree(self._private_dir, ignore_errors=True)

    # Compaction -------------------------------------------------------------------------------

    def _maybe_compact(self) -> None:
        limit = self._options.compact_after
        pending = self._pending
        if limit is None or len(pending.records) + len(pending.deleted) < limit:
            return
        with self._apply_lock:
            self._compacting = _running(self._compacting, self._compact_logged, "live-compaction")

    def _compact_logged(self) -> None:
        try:
            self.compact()
        except Exception:
            LOG.exception("live updates: compaction failed; the delta keeps serving")

    def compact(self) -> int | None:
        """Fold the delta into a new main index and swap it in; the log position it includes,
        or None when there was nothing to fold. Queries go on meanwhile, on the old segments;
        changes logged during the build stay pending on top of the new index."""
        with self._compact_lock, _short_switch_interval(), self._one_builder() as building:
            if not building:
                return None  # another process builds it; the log will announce it here
            with self._apply_lock:
                through = self._applied
                changes: list[Change] = [
                    Upsert(record) for record in self._pending.records.values()
                ]
                changes.extend(Delete(title_id) for title_id in self._pending.deleted)
                main_index = self._segments.main.index
                source = self._main_source
            if not changes:
                return None
            if not source.readable:
                main_records = _records_of(main_index)
                source = BaseSource(records=lambda: main_records)
            target = self._compacted_dir() / f"compacted-{through}"
            index = build_elsewhere(source, changes, target, f"live compaction through {through}")
            if index is None:
                return None  # an empty catalog cannot be indexed; the delta keeps it empty
            path = target if self._publish_dir is not None else None
            engine = self._engine(index)
            engine.prepare()
            with self._apply_lock:
                if self._main_through >= through:
                    return None  # another process's newer compaction was adopted meanwhile
                self._install(index, engine, target, through)
            if path is not None:
                self._store.append([encode(Compacted(through, str(path)))])
            _remove_old_compactions(self._compacted_dir(), KEPT_COMPACTIONS)
            return through

    def _install(
        self,
        index: CatalogIndex,
        engine: SegmentEngine[R],
        directory: Path,
        through: int,
    ) -> None:
        """Make ``index`` (saved in ``directory`` with its records) the main one and re-read
        the changes after ``through`` on top of it (under the apply lock)."""
        self._main_through = through
        self._main_source = BaseSource(records_file=directory / RECORDS_FILE)
        self._prior_total = _prior_total(index, None)
        self._segments = _Segments(self._part(index, engine), ())
        self._settled = None
        self._recent = None
        self._pending = _Pending()
        reached = self._applied
        self._applied = through
        self._compactions += 1
        while self._applied < reached:
            entries = self._store.read(self._applied, min(READ_LIMIT, reached - self._applied))
            if not entries:
                break
            self._apply(entries)
        self._rebuild_delta()

    def _adopt(self, published: Compacted) -> bool:
        """Load another process's compacted index (under the apply lock); False when it cannot
        be read here (then this process goes on with its own segments: the same answers)."""
        assert published.path is not None
        directory = Path(published.path)
        try:
            index = CatalogIndex.load(directory)
            if not (directory / RECORDS_FILE).is_file():
                raise FileNotFoundError(directory / RECORDS_FILE)
        except (OSError, IndexFormatError, ValueError) as error:
            LOG.warning("live updates: cannot load the compacted index %s: %s", directory, error)
            return False
        engine = self._engine(index)
        engine.prepare()
        self._install(index, engine, directory, published.through)
        return True

    @contextlib.contextmanager
    def _one_builder(self) -> Iterator[bool]:
        """Whether this process may build a published compaction now: one process at a time
        per published directory (an advisory lock, released if the holder dies), so that the
        workers sharing a SQLite log do not each build the same index."""
        if self._publish_dir is None or fcntl is None:
            yield True
            return
        self._publish_dir.mkdir(parents=True, exist_ok=True)
        with (self._publish_dir / "compaction.lock").open("a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _compacted_dir(self) -> Path:
        """Where compacted indexes go: the published directory, else this process's own."""
        if self._publish_dir is not None:
            return self._publish_dir
        return self._own_dir()

    def _own_dir(self) -> Path:
        """This process's directory (removed by ``close``)."""
        if self._private_dir is None:
            self._private_dir = Path(tempfile.mkdtemp(prefix="autocomplete-live-"))
        return self._private_dir


COMPACTION_SWITCH_INTERVAL_S = 0.0005
"""The interpreter's thread switch interval while a compaction's own Python work runs (the
records written out, the new index loaded and its engine warmed): a query thread waiting
for the GIL gets it within this rather than the default 5 ms. Set back afterwards."""


@contextlib.contextmanager
def _short_switch_interval() -> Iterator[None]:
    before = sys.getswitchinterval()
    sys.setswitchinterval(min(before, COMPACTION_SWITCH_INTERVAL_S))
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def upsert_bodies(
    records: Iterable[Mapping[str, object]] | str | Path, fields: CatalogFields
) -> list[str]:
    """Records (in memory, or a CSV/JSONL catalog file) validated by the catalog loader and
    encoded for the log; a ``CatalogError`` names the bad record and field."""
    return validated_upserts(records, fields)[1]


def validated_upserts(
    records: Iterable[Mapping[str, object]] | str | Path, fields: CatalogFields
) -> tuple[list[Record], list[str]]:
    """``upsert_bodies``, with the validated records beside their log entries."""
    source = records if isinstance(records, (str, Path)) else list(records)
    loaded, _ = load_catalog(
        source,
        text_field=fields.text,
        weight_field=fields.weight,
        id_field=fields.id,
        alias_field=fields.alias,
    )
    if len(loaded) > MAX_UPSERT_BATCH:
        raise ValueError(f"at most {MAX_UPSERT_BATCH} records per upsert, got {len(loaded)}")
    try:
        return loaded, [encoded_upsert(record, n) for n, record in enumerate(loaded, 1)]
    except ValueError as error:
        raise CatalogError(
            str(records) if isinstance(records, (str, Path)) else "<records>",
            None,
            None,
            str(error),
        ) from None


def delete_bodies(ids: Iterable[str]) -> list[str]:
    """Ids checked (non-blank strings) and encoded for the log."""
    if isinstance(ids, str):
        raise TypeError("ids must be a list of ids, not one string")
    wanted = list(ids)
    for position, title_id in enumerate(wanted, 1):
        if not isinstance(title_id, str) or not title_id.strip():
            raise ValueError(f"id {position}: must be a non-blank string, got {title_id!r}")
    return [encode(Delete(title_id)) for title_id in wanted]


def _running(
    thread: threading.Thread | None, target: Callable[[], None], name: str
) -> threading.Thread:
    """``thread`` while it runs, else a new daemon thread running ``target``, started."""
    if thread is not None and thread.is_alive():
        return thread
    started = threading.Thread(target=target, name=name, daemon=True)
    started.start()
    return started


def _part_answers(part: _Part[R], query: str, k: int, options: Mapping[str, object]) -> list[R]:
    """A segment's best ``k`` that are not hidden: its serving engine leaves them out."""
    return part.serving.suggest(query, k, **options)  # type: ignore[arg-type]


def _exact_scores(
    part: _Part[R], query: str, k: int, where: Mapping[str, object] | None
) -> list[float]:
    """A segment's ``exact_scores`` (none where it refuses the filter: ``_filtered`` notes
    that when the segment is asked)."""
    try:
        return part.serving.exact_scores(query, k, where=where)
    except FilterError:
        return []


def _filtered(
    answer: Callable[[dict[str, object]], list[R]],
    options: Mapping[str, object],
    refused: list[FilterError],
) -> list[R]:
    """One segment's answers. A ``where`` or ``boost`` value a segment's titles never hold is
    refused by its filter compiler (a ``FilterError`` naming the field); for that segment it
    means no title matches (``where``) or none is boosted by that field (``boost``). The
    refusal is noted: when every segment refuses, the request itself is wrong."""
    arguments = dict(options)
    noted = False
    while True:
        try:
            return answer(arguments)
        except FilterError as error:
            if not noted:
                refused.append(error)
                noted = True
            where = arguments.get("where")
            boost = arguments.get("boost")
            if isinstance(where, Mapping) and error.field in where:
                return []
            if isinstance(boost, Mapping) and error.field in boost:
                arguments["boost"] = {
                    name: spec for name, spec in boost.items() if name != error.field
                }
                continue
            raise


def _elsewhere(exact: Sequence[list[float]], number: int, k: int) -> list[float]:
    """The ``k`` best of the other segments' ``exact_scores`` than segment ``number`` (each
    list best first: with one other segment, its own list)."""
    others = [scores for other, scores in enumerate(exact) if other != number and scores]
    if len(others) <= 1:
        return others[0][:k] if others else []
    return heapq.nlargest(k, itertools.chain.from_iterable(others))


def _without_last_resorts(answered: Sequence[list[R]], typed: Sequence[str]) -> list[R]:
    """The segments' answers together, less those that are only the engine's last resort (the
    query read without its last word) when another segment matched the query itself: one
    index would not have fallen back, since it found something. ``typed``: the query's
    normalized words."""
    if len(typed) < 2 or len(answered) < 2:
        return [answer for answers in answered for answer in answers]
    fell_back = [bool(answers) and _fell_back(answers, typed) for answers in answered]
    matched = any(
        answers and not fallen for answers, fallen in zip(answered, fell_back, strict=True)
    )
    return [
        answer
        for answers, fallen in zip(answered, fell_back, strict=True)
        if not (fallen and matched)
        for answer in answers
    ]


def _fell_back(answers: Sequence[Ranked], typed: Sequence[str]) -> bool:
    """Whether a segment's answers are all its last resort: the query (``typed``, its
    normalized words) read without its last word."""
    return all(
        answer.corrected_query is not None
        and answer.channel <= -DROPPED_WORD_COST
        and len(answer.corrected_query.split()) < len(typed)
        for answer in answers
    )


def _by_score(answer: Ranked) -> float:
    return answer.score


def _prior_total(index: CatalogIndex, records: Callable[[], Sequence[Record]] | None) -> float:
    """The main index's prior normalizer: from its build facts, else from its records, else
    estimated from its priors (exact when some title weighs 0, as most catalogs have)."""
    total = index.info.get("prior_total")
    if isinstance(total, (int, float)) and total > 0:
        return float(total)
    if records is not None:
        weights = [record.weight for record in records()]
        return prior_total(np.asarray(weights, dtype=np.float64))
    return float(math.exp(-float(index.arrays.title_prior.min())))


def _records_of(index: CatalogIndex) -> list[Record]:
    """The index's titles as records, the weights recovered from their priors."""
    total = _prior_total(index, None)
    priors = index.arrays.title_prior
    found = []
    for title in range(index.title_count):
        view = index.describe(title)
        aliases_json = index.aliases_json[title]
        weight = max(0.0, round(math.exp(float(priors[title])) * total - 1.0, 3))
        found.append(
            Record(
                id=view.id,
                text=view.text,
                weight=weight,
                metadata=MappingProxyType(dict(view.metadata)),
                aliases=tuple(json.loads(aliases_json)) if aliases_json else (),
            )
        )
    return found


def _remove_old_compactions(directory: Path, kept: int) -> None:
    """Delete all but the newest ``kept`` compacted indexes. A process still mapping one
    keeps reading it (the files stay until unmapped); one that has yet to adopt it goes on
    with its own segments, which answer the same."""
    found = []
    for child in directory.glob("compacted-*"):
        suffix = child.name.removeprefix("compacted-")
        if child.is_dir() and suffix.isdigit():
            found.append((int(suffix), child))
    for _, stale in sorted(found)[:-kept]:
        shutil.rmtree(stale, ignore_errors=True)


def _publish_directory(options: UpdateOptions, store: UpdateStore) -> Path | None:
    if options.compaction_dir is not None:
        return Path(options.compaction_dir)
    store_path = getattr(store, "path", None)
    if isinstance(store_path, Path):
        return store_path.parent / (store_path.name + ".compacted")
    return None
