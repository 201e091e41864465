"""The engine facade: ``Autocomplete`` composes the index, the speller and feedback.

A keystroke flows through named phases: *parse* (validate and normalize the query, compile its
filter, boost and session), *retrieve* (every candidate source, each scored by the retrieval
terms), *adjust* (the lift terms, and the titles only a lift brings), *dedupe and present* (each
title's best candidate, cut to ``k``, as ``Suggestion`` values). The sources, the candidate
record and the score terms are defined in ``rank.pipeline`` and ``rank.scoring``. Nothing here
mutates the index, so one ``Autocomplete`` may serve many threads at once; what it remembers is
in bounded ``Memo``s (``autocomplete.cache``).
"""

from __future__ import annotations

import copy
import functools
import heapq
import math
import os
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import (
    TYPE_CHECKING,
    ClassVar,
    Concatenate,
    Generic,
    Literal,
    NamedTuple,
    ParamSpec,
    TypeVar,
)

import numpy as np

from autocomplete.cache import Memo
from autocomplete.catalog.columns import MetadataColumns
from autocomplete.catalog.loader import LoadReport, load_catalog
from autocomplete.engine.suggestion import Suggestion, new_suggestion
from autocomplete.index.build import Progress, build_index
from autocomplete.index.bundled import bundled_catalog_path, bundled_index
from autocomplete.index.catalog_index import INITIALS_MARK, CatalogIndex, TitleView, kind_name
from autocomplete.index.integrity import VerifyMode
from autocomplete.index.title_mask import TitleMask
from autocomplete.index.word_index import Term
from autocomplete.limits import MAX_K, PRECOMPUTED_TOP
from autocomplete.live import CatalogFields, LiveCatalog, UpdateOptions, UpdateStore
from autocomplete.live.shared_spelling import sharing_speller
from autocomplete.paths import data_directory
from autocomplete.rank.filters import (
    BoostRule,
    FilterCache,
    TitleFilter,
    VisibleFilters,
    boost_key,
    where_key,
)
from autocomplete.rank.multiword import (
    FITTED_COSTS,
    WordCosts,
    WordMatch,
    WordReader,
    presented,
    read_terms,
)
from autocomplete.rank.pipeline import Candidate, Source, by_score
from autocomplete.rank.scoring import (
    CHANNEL_WEIGHT,
    CORRECTION_MARGIN,
    DROPPED_WORD_COST,
    EXACT_BONUS,
    EXACT_KIND_CODES,
    MIN_INITIALS,
    TRANSLATION_MATCH,
    TRANSLATION_MATCH_WEIGHT,
    MatchKind,
    correction_is_confident,
    lifted_score,
    retrieval_score,
    retrieval_scores,
)
from autocomplete.rank.session_context import (
    GenreNudge,
    SessionContext,
    genre_nudge,
    related_titles,
)
from autocomplete.spell.anchored import anchored_readings
from autocomplete.spell.candidates import ChannelModel, Speller
from autocomplete.spell.errormodel import ErrorModel
from autocomplete.spell.option_table import (
    cached_option_table,
    discard_option_table,
    open_option_table,
    save_option_table,
)
from autocomplete.spell.translation import LEXICON_FILE
from autocomplete.spell.translation_table import LazyTranslations, discard_translation_table
from autocomplete.text.normalize import normalize_typed

if TYPE_CHECKING:
    from autocomplete.feedback.layer import FeedbackLayer
    from autocomplete.feedback.store import FeedbackStore

PRESENTED_MEMO_SIZE = 100_000
"""Presented suggestions kept (an entry reached by the same reading presents the same way)."""

ANSWER_MEMO_SIZE = 50_000
"""Requests without session context or click lifts whose whole answers are memoized."""

CORRECTED_MEMO_SIZE = 50_000
"""Typed queries whose corrected retrievals are memoized."""

ANCHORED_MEMO_SIZE = 10_000
"""Typed queries whose anchored retrievals (a rare fallback) are memoized likewise."""

EXACT_MEMO_SIZE = 256
"""Recent queries of ``exact_scores`` whose PREFIX retrievals are kept: a caller merging indexes
asks for ``exact_scores`` and then ``suggest`` with the same query, which retrieves them again.
Only ``exact_scores`` keeps them: ``suggest`` alone keeps its whole answer, and candidates kept
for nothing would only give the garbage collector more to walk."""

PHRASE_MEMO_SIZE = 50_000
"""Phrases of complete words ("road ", "the dark ") whose presence at a title's word start is
kept: the correction search asks again for a query's first words on every later keystroke."""

FEEDBACK_CACHE_SIZE = 8_192
"""Prefixes whose feedback lifts are kept translated to title positions."""

ADJUSTED_PER_PREFIX = 64
"""Adjusted candidate lists kept per prefix's click lifts (one per ``k`` and filter asked)."""

CONTEXT_CACHE_SIZE = 1_024
"""Sessions whose related titles are kept (a session's context changes only on a click)."""

MIN_CORRECTABLE_CHARS = 3
"""Queries with fewer letters than this are never corrected (too little to go on)."""

_KIND_NAMES = tuple(kind_name(kind) for kind in MatchKind)
_Reached = tuple[float, int, float, str]
"""A CORRECTED candidate as its memo keeps it: score, entry, channel cost and reading."""
_new_candidate = tuple.__new__
"""Builds a ``Candidate`` from all its fields at C speed (the generated constructor costs a
Python call; this path makes ten of them a keystroke)."""
_ROUNDING = 1e-6
"""Slack (nats) on the bounds that prune candidates, far above floating-point rounding."""
_ALIAS = int(MatchKind.ALIAS)
_INITIALS = int(MatchKind.INITIALS)

_Arguments = ParamSpec("_Arguments")
_Result = TypeVar("_Result")


class _SharedEngineMethod(Generic[_Arguments, _Result]):
    """A method that also answers when called on the class, from the shared default engine.

    ``Autocomplete().suggest("the big")`` asks that instance; ``Autocomplete.suggest("the
    big")``, the call the project's card shows, asks ``Autocomplete.shared()``, built on first
    call (not on attribute access, so ``help(Autocomplete)`` stays cheap).
    """

    def __init__(self, method: Callable[Concatenate[Autocomplete, _Arguments], _Result]) -> None:
        self._method = method
        functools.update_wrapper(self, method)  # type: ignore[arg-type]

    def __get__(
        self, instance: Autocomplete | None, owner: type[Autocomplete]
    ) -> Callable[_Arguments, _Result]:
        method = self._method
        if instance is not None:
            bound: Callable[_Arguments, _Result] = functools.partial(method, instance)
            return bound

        @functools.wraps(method)
        def on_shared(*args: _Arguments.args, **kwargs: _Arguments.kwargs) -> _Result:
            return method(owner.shared(), *args, **kwargs)

        return on_shared


def _on_verified_index(
    method: Callable[Concatenate[Autocomplete, _Arguments], _Result],
) -> Callable[Concatenate[Autocomplete, _Arguments], _Result]:
    """A method that reads the index only as its verification allows (``CatalogIndex.load``,
    ``integrity.Verification``): it waits for the checks every query needs (the tries'), it
    refuses an index whose checks failed, and an error it meets while the checks still run is
    explained by the damage they find (``IndexFormatError`` naming the file), if any."""

    def checked(
        engine: Autocomplete, /, *args: _Arguments.args, **kwargs: _Arguments.kwargs
    ) -> _Result:
        verification = engine._index.verification
        if not verification.serving:
            verification.require_usable()
        try:
            return method(engine, *args, **kwargs)
        except Exception as error:
            damage = verification.damage()  # at once when the checks have passed
            if damage is None:
                raise
            raise damage from error

    functools.update_wrapper(checked, method)
    return checked


# A session's related titles and its genre nudge, cached per session.
_ContextEffect = tuple[Mapping[int, tuple[float, str]], GenreNudge | None]


class Autocomplete:
    """Typeahead suggestions over one catalog.

    ``Autocomplete()`` serves the bundled movie catalog (its index is built on first use and
    cached on disk); ``Autocomplete.from_catalog`` builds one for any CSV/JSONL catalog.
    ``Autocomplete.suggest(...)`` called on the class answers from ``Autocomplete.shared()``.
    """

    _shared: ClassVar[Autocomplete | None] = None
    _shared_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(
        self,
        index: CatalogIndex | None = None,
        *,
        error_model: ChannelModel | None = None,
        feedback: str | FeedbackStore | FeedbackLayer | None = None,
        word_costs: WordCosts | None = FITTED_COSTS,
        updates: str | UpdateStore | UpdateOptions | None = None,
    ) -> None:
        """``word_costs`` prices reading a query as scattered words of a title (skipped words,
        another order, a year: see ``multiword``); None turns that reading off, leaving only
        prefixes of titles (as before issue 15; the evaluation's baseline).

        ``updates`` turns on live catalog updates (``upsert``, ``delete``) logged in that
        store: "memory://", "sqlite:///path.db", "redis://host:6379/0" (see
        ``autocomplete.live`` and docs/live-updates.md)."""
        self._index = index if index is not None else bundled_index()
        errors: ChannelModel = error_model if error_model is not None else ErrorModel.load()
        speller = functools.partial(
            Speller,
            self._index.spelling,
            errors,
            channel_weight=CHANNEL_WEIGHT,
            exact_bonus=EXACT_BONUS,
            phrase_exists=_phrase_checker(self._index),
        )
        # The words' readings precomputed beside a saved index (issue 17); the bundled cache
        # gets them on first use, with the bundled model.
        saved_at = self._index.saved_at
        if index is None and error_model is None and saved_at is not None:
            precomputed = cached_option_table(speller(), saved_at)
        else:
            precomputed = open_option_table(saved_at, errors)
        self._speller = speller(precomputed=precomputed)
        self._feedback = _feedback_layer(feedback)
        self._words = WordReader(self._index.words, word_costs) if word_costs else None
        self._filters = FilterCache(self._index.columns, self._index.arrays.title_prior)
        self._visible: VisibleFilters | None = None  # see ``hiding``
        self._contexts: Memo[SessionContext, _ContextEffect] = Memo(
            CONTEXT_CACHE_SIZE, "sessions' related titles and genre nudges"
        )
        self._feedback_titles: Memo[str, _FeedbackView] = Memo(
            FEEDBACK_CACHE_SIZE, "prefixes' click lifts by title position"
        )
        self.load_report: LoadReport | None = None
        # Suggestions are a pure function of the immutable index and the reading that reached
        # them, so they are memoized; being immutable, they are safe to share between calls.
        self._presented: Memo[tuple[int, float, int, str | None, float], Suggestion] = Memo(
            PRESENTED_MEMO_SIZE, "presented suggestions"
        )
        self._corrected: Memo[tuple[object, ...], tuple[_Reached, ...]] = Memo(
            CORRECTED_MEMO_SIZE, "corrected retrievals"
        )
        self._anchored: Memo[tuple[object, ...], tuple[Candidate, ...]] = Memo(
            ANCHORED_MEMO_SIZE, "anchored retrievals"
        )
        self._exact: Memo[tuple[object, ...], tuple[Candidate, ...]] = Memo(
            EXACT_MEMO_SIZE, "exact retrievals"
        )
        self._answers: Memo[tuple[object, ...], tuple[Suggestion, ...]] = Memo(
            ANSWER_MEMO_SIZE, "whole answers of plain requests"
        )
        # The translation channel's index, saved beside a saved index (``autocomplete build``
        # writes it; the bundled cache gets it on first use).
        self._translations = LazyTranslations(
            self._index, data_directory() / LEXICON_FILE, save_built=index is None
        )
        # Live updates: the owner of the changes answers through plain engines of its own.
        self._live = _live_catalog(updates, index is None, self._index, errors, self, word_costs)

    @classmethod
    def from_catalog(
        cls,
        source: str | os.PathLike[str] | Iterable[Mapping[str, object]],
        *,
        text_field: str = "title",
        weight_field: str | None = None,
        id_field: str | None = None,
        alias_field: str | None = None,
        on_error: Literal["raise", "skip"] = "raise",
        progress: Progress | None = None,
        feedback: str | FeedbackStore | FeedbackLayer | None = None,
        updates: str | UpdateStore | UpdateOptions | None = None,
    ) -> Autocomplete:
        """Load a catalog (file or records) and build its index (``feedback`` and ``updates``
        as for ``Autocomplete``; upserted records use this catalog's field names)."""
        records, report = load_catalog(
            source,
            text_field=text_field,
            weight_field=weight_field,
            id_field=id_field,
            alias_field=alias_field,
            on_error=on_error,
        )
        label = str(source) if isinstance(source, (str, os.PathLike)) else None
        live = None
        if updates is not None:
            if id_field is None:
                raise ValueError("live updates need an id_field: it is how a change finds a title")
            fields = CatalogFields(text_field, weight_field, id_field, alias_field)
            live = updates if isinstance(updates, UpdateOptions) else UpdateOptions(updates)
            from_file = isinstance(source, (str, os.PathLike)) and on_error == "raise"
            kept = str(source) if from_file else None
            live = replace(live, fields=fields, base_records=lambda: records, base_catalog=kept)
        index = build_index(records, source=label, progress=progress)
        engine = cls(index, feedback=feedback, updates=live)
        engine.load_report = report
        return engine

    @classmethod
    def shared(cls) -> Autocomplete:
        """One engine on the bundled catalog for the whole process, built once on first use.

        Thread-safe: concurrent first callers wait for the one build. It has no feedback store;
        an application that records clicks makes its own ``Autocomplete(feedback=...)``.
        """
        engine = Autocomplete._shared
        if engine is None:
            with Autocomplete._shared_lock:
                engine = Autocomplete._shared
                if engine is None:
                    engine = Autocomplete._shared = Autocomplete()
        return engine

    @classmethod
    def load(
        cls,
        directory: str | os.PathLike[str],
        *,
        feedback: str | FeedbackStore | FeedbackLayer | None = None,
        updates: str | UpdateStore | UpdateOptions | None = None,
        verify: VerifyMode = "background",
    ) -> Autocomplete:
        """Open an index saved with ``save`` (memory-mapped), in a time that does not grow with
        its size: the checks that read every byte of it (checksums, bounds) run in a background
        thread (``verify="background"``), or before this returns (``verify="full"``, which
        raises ``IndexFormatError`` for any damage). In the background, queries first wait for
        the checks of the files whose damage could crash compiled code (the tries); a damage
        found later makes every query raise ``IndexFormatError`` naming the file; ``verified``
        waits for the checks. See docs/reliability.md, "The saved index"."""
        index = CatalogIndex.load(directory, verify="full" if verify == "full" else "deferred")
        engine = cls(index, feedback=feedback, updates=updates)
        if verify != "full":
            # Started now rather than by the index's load: the rest of this load (the error
            # model, the precomputed readings) does not share its core with the checks.
            index.verification.start()
        return engine

    def verified(self, timeout: float | None = None) -> bool:
        """Wait up to ``timeout`` seconds (None: however long it takes) for the checks of every
        byte of a loaded index (``load``); True once they passed, False if they still run.
        Raises ``IndexFormatError`` naming the damaged file if they failed. True at once for
        an index built in this process."""
        return self._index.verification.wait(timeout)

    def save(self, directory: str | os.PathLike[str]) -> Path:
        """Save the index, and beside it the speller's precomputed readings and the translation
        channel's index (built now if this engine has none: see ``spell.option_table`` and
        ``spell.translation_table``)."""
        # The index's manifest lists whatever is there.
        discard_option_table(directory)
        discard_translation_table(directory)
        target = self._index.save(directory)
        save_option_table(self._speller, target)
        self._translations.save(target)
        return target

    @property
    def index(self) -> CatalogIndex:
        return self._index

    def __len__(self) -> int:
        return self._index.title_count if self._live is None else len(self._live)

    # Live updates -----------------------------------------------------------------------------

    @property
    def live(self) -> LiveCatalog[Suggestion] | None:
        """The live catalog (its log, status and compaction), or None when updates are off."""
        return self._live

    def upsert(self, records: Iterable[Mapping[str, object]]) -> int:
        """Add titles or replace those with the same id; logged durably, then visible to the
        next ``suggest``. Records as the catalog loader takes them. Returns the log position."""
        return self._require_live().upsert(records)

    def delete(self, ids: Iterable[str]) -> int:
        """Remove the titles with these ids; logged durably, then applied. The log position."""
        return self._require_live().delete(ids)

    def _require_live(self) -> LiveCatalog[Suggestion]:
        if self._live is None:
            raise RuntimeError(
                "live updates are off for this engine; pass updates='sqlite:///path.db', "
                "'redis://host:port/db' or 'memory://' to Autocomplete"
            )
        return self._live

    def hiding(self, titles: Iterable[int]) -> Autocomplete:
        """An engine over the same index that never suggests the titles at these positions
        (``index.title_of(id)``): what live updates ask of an index whose titles were since
        replaced or deleted. They are left out inside retrieval, as a ``where`` filter leaves
        titles out (and composed with any ``where``), so ``suggest(query, k)`` returns ``k``
        answers whenever ``k`` others match, and every bound (the k-th score that prunes
        corrections and scattered words, the best match a correction must come near) is taken
        among the titles it may suggest, as in an index without the hidden ones.

        The index, speller, word reader, compiled filters and presented suggestions are
        shared with this engine; the memos of what depends on which titles are hidden (whole
        answers, corrected and anchored retrievals, adjusted lists) start empty.
        """
        if self._live is not None:
            raise RuntimeError("an engine serving live updates hides titles through its log")
        positions = np.fromiter(titles, dtype=np.int64)
        if positions.size == 0 and self._visible is None:
            return self
        visible = np.ones(self._index.title_count, dtype=np.bool_)
        visible[positions] = False
        engine = copy.copy(self)
        engine._visible = VisibleFilters(
            TitleMask(visible, int(np.count_nonzero(visible)), self._index.arrays.title_prior)
        )
        engine._answers = self._answers.emptied()
        engine._corrected = self._corrected.emptied()
        engine._anchored = self._anchored.emptied()
        engine._exact = self._exact.emptied()
        engine._feedback_titles = self._feedback_titles.emptied()
        return engine

    def sharing_spelling(self, main: Autocomplete) -> Autocomplete:
        """An engine over the same index whose speller reads a typed word its index does not
        hold through ``main``'s speller (its readings searched once, for both engines, over
        both vocabularies), as live updates ask of a delta segment, ``main`` the main index's
        engine: see ``live.shared_spelling``. The memos of what the readings decide (whole
        answers, corrected retrievals) start empty."""
        engine = copy.copy(self)
        engine._speller = sharing_speller(self._speller, main._speller)
        engine._answers = self._answers.emptied()
        engine._corrected = self._corrected.emptied()
        return engine

    # Feedback -----------------------------------------------------------------------------------

    @property
    def feedback(self) -> FeedbackLayer | None:
        """The click-feedback layer, or None when feedback is off (the library default)."""
        return self._feedback

    def record_impression(
        self, query: str, ids: Sequence[str], session_id: str, *, client: str | None = None
    ) -> None:
        """Record that the suggestions ``ids`` were shown, in this order, for ``query``.

        ``client`` (e.g. the remote address) lets the abuse guard limit one client's weight.
        """
        self._require_feedback().record_impression(
            _parse_feedback_query(query), ids, session_id, client=client
        )

    def record_click(
        self,
        query: str,
        id: str,
        position: int,
        session_id: str,
        dwell_ms: int | None = None,
        *,
        client: str | None = None,
    ) -> None:
        """Record a click on suggestion ``id`` shown at 1-based ``position`` for ``query``."""
        self._require_feedback().record_click(
            _parse_feedback_query(query), id, position, session_id, dwell_ms, client=client
        )

    def record_feedback(self, id: str, value: float, session_id: str) -> None:
        """Record explicit feedback on a title: +1 like, -1 dislike, or a rating."""
        self._require_feedback().record_feedback(id, value, session_id)

    def close(self) -> None:
        """Close the feedback store and the update log, if any; the index needs no closing."""
        if self._live is not None:
            self._live.close()
        if self._feedback is not None:
            self._feedback.close()

    def _require_feedback(self) -> FeedbackLayer:
        if self._feedback is None:
            raise RuntimeError(
                "feedback is off for this engine; pass feedback='sqlite:///path.db', "
                "'redis://host:port/db' or 'memory://' to Autocomplete"
            )
        return self._feedback

    # The query path ---------------------------------------------------------------------------

    @_SharedEngineMethod
    @_on_verified_index
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
    ) -> list[Suggestion]:
        """The ``k`` best suggestions for ``query`` as typed so far, best first.

        * ``where`` keeps only titles whose metadata matches, inside retrieval (so ``k``
          results come back whenever ``k`` exist): ``{"genres": "Animation"}`` (a list field
          contains it), ``{"genres": ["Comedy", "Romance"]}`` (any of), ``{"year": (1990,
          1999)}`` (inclusive range), ``{"mpaa": "PG"}`` (equality); several fields all hold.
        * ``boost`` multiplies the prior of matching titles: ``{"genres": {"Animation": 2.0}}``,
          ``{"year": {(2000, 2005): 1.5}}``.
        * ``context`` is the session so far, ``{"queries": [...], "clicked": [ids]}``: titles
          related to it (same series, shared distinctive words, genres) get a bounded boost.

        * ``correct=False`` takes the query as typed ("search instead for ..."): only what the
          typed text itself reaches (prefixes, word starts, initials, aliases), no spelling
          correction, and every ``corrected_query`` is None.

        * ``above`` is for merging several indexes' answers (live updates do): the caller
          already has ``k`` suggestions scoring ``above`` or more, so only those scoring more
          are returned, and the work that could only find others is skipped (corrections,
          scattered words and translations bounded by it). Given at all, even as ``-inf``
          (the caller has fewer than ``k``), no last-resort reading is tried: another index
          matched the query, or the caller asks for last resorts only once no index matches,
          as one index holding every title would.
        * ``elsewhere`` is for merging too: the scores of what the query as typed reaches in
          the other indexes (their ``exact_scores``). They take part in the bounds as if those
          titles were in this index (a correction must come near the best of them and beat
          the k-th; scattered words and translations must beat the k-th), and when there are
          any, no last-resort reading is tried, so the merged list is what one index holding
          every title would rank.

        An empty or blank query returns the ``k`` most popular titles (that pass ``where``).
        Queries longer than ``MAX_QUERY_CHARS`` (after normalization) are cut there, so any
        input costs bounded work. Unknown fields and malformed specs raise ``ValueError``.
        """
        if above is not None and (isinstance(above, bool) or not isinstance(above, (int, float))):
            raise TypeError(f"above must be a number, got {type(above).__name__}")
        if self._live is not None:
            merged = self._live.suggest(
                query, k, where=where, boost=boost, context=context, correct=correct
            )
            return merged if above is None else [found for found in merged if found.score > above]
        normalized = _parse(query, k)
        floor = -math.inf if above is None else float(above)
        scores = tuple(sorted(map(float, elsewhere), reverse=True)[:k]) if elsewhere else ()
        matched_elsewhere = above is not None or bool(scores)
        # A request without a floor or other indexes' scores, or one told only that another
        # index matched (``above=-inf``: no last resort here), is a pure function of the text,
        # filter and boost, and that flag: its whole answer may be kept (``_answer``).
        bounded = floor > -math.inf or bool(scores)
        request = self._request(
            normalized,
            k,
            where,
            boost,
            context,
            floor=floor,
            elsewhere=scores,
            matched_elsewhere=matched_elsewhere,
            answer_kept=correct and not bounded,
        )
        if bounded:
            return [
                suggestion
                for suggestion in self._answer(request, correct)
                if suggestion.score > request.floor
            ]
        memo_key = (where_key(where), boost_key(boost), matched_elsewhere)
        return self._answer(request, correct, memo_key)

    @_on_verified_index
    def exact_scores(
        self, query: str, k: int = 10, *, where: Mapping[str, object] | None = None
    ) -> list[float]:
        """The scores of the ``k`` best titles the query as typed reaches (prefix, word
        start, initials, alias: no correction, no lift), best first; for ``suggest``'s
        ``elsewhere`` when several indexes' answers are merged."""
        normalized = _parse(query, k)
        if not normalized.strip():
            return []
        request = self._request(normalized, k, where, None, None)
        found = self._retrieve_exact(request, remember=True)
        return _first_titles(found, k, self._index.hot.entry_title)[1]

    def _answer(
        self, request: _Request, correct: bool, memo_key: tuple[object, ...] | None = None
    ) -> list[Suggestion]:
        """``suggest``'s answer to a parsed request; ``memo_key`` (the canonical filter and
        boost) lets a plain request's whole answer be memoized."""
        normalized, k = request.typed, request.k
        if not normalized.strip():
            return self._popular(request)
        if not correct:
            return self._present_ranked(self._literal(request), request)
        # A request without session context or click lifts is a pure function of the
        # immutable index, the typed text and its (canonical) filter and boost, so its whole
        # answer is memoized: the word reading and the translation channel are not cheap, and
        # keystrokes recur.
        plain = memo_key is not None and request.answer_kept
        if plain:
            key = (normalized, k, memo_key)
            answered = self._answers.get(key)
            if answered is not None:
                return list(answered)
        results = self._suggest_corrected(request)
        if plain:
            self._answers.put(key, tuple(results))
        return results

    def _suggest_corrected(self, request: _Request) -> list[Suggestion]:
        """``suggest`` with correction on: retrieve, adjust, dedupe and present."""
        words_read: dict[str, _WordsRead] = {}  # the word reading's, for presenting
        found = self._retrieve(request, words_read)
        if request.adjusts:
            found = self._adjusted(found, request)
        found = self._with_translations(found, request)
        return self._present_ranked(found, request, words_read)

    def _retrieve(self, request: _Request, words_read: dict[str, _WordsRead]) -> list[Candidate]:
        """Every source's candidates, best first: the typed text as a prefix, its corrections
        that could place, its words scattered over titles; when none of these finds anything
        for a query of several words, the anchored readings, then the query less its last
        word. ``words_read`` receives what the word reading read (see ``_retrieve_words``)."""
        found = self._retrieve_typed(request)
        words = self._retrieve_words(request, found, correct=True, words_read=words_read)
        if words:
            found.extend(words)
            found.sort(key=by_score, reverse=True)
        if (
            not found
            and " " in request.typed.strip()
            and not request.matched_elsewhere  # then one index would not have fallen back
        ):
            found = self._retrieve_anchored(request) or self._retrieve_without_last_word(request)
        return found

    def _with_translations(self, found: list[Candidate], request: _Request) -> list[Candidate]:
        """``found`` with the foreign titles the typed English words reach through the lexicon
        (see ``spell.translation``), ranked by score among them. A source that comes after the
        lifts: it yields titles, and a title already among the first ``k`` keeps how it was
        reached."""
        translations = self._translations.get()
        if translations is None:
            return found
        hot = self._index.hot
        prior = hot.title_prior
        shown, scores = _first_titles(found, request.k, hot.entry_title)
        kth_score = max(_kth_score(scores, request), request.floor)
        # A translation places only by scoring above the k-th title shown; it scores at most
        # its prior plus the match weight and the exact bonus (a hair of slack, so that
        # rounding never prunes one that would tie in).
        best_extra = retrieval_score(TRANSLATION_MATCH_WEIGHT, exact=True)
        reached = translations.candidates(
            request.typed, prior, request.k, above_prior=kth_score - best_extra - _ROUNDING
        )
        if not reached:
            return found
        added = False
        for title, cost, whole in reached:
            if request.title_filter is not None and title not in request.title_filter:
                continue
            if title in shown:
                continue
            shown.add(title)
            score = retrieval_score(prior[title] + TRANSLATION_MATCH_WEIGHT, cost, exact=whole)
            entry = hot.title_entries[hot.title_entry_first[title]]
            found.append(Candidate(score, entry, cost, request.typed, Source.TRANSLATION))
            added = True
        if added:
            found.sort(key=by_score, reverse=True)  # stable: ties keep the earlier sources first
        return found

    def _literal(self, request: _Request) -> list[Candidate]:
        """What the typed text itself reaches, adjusted: no corrected or anchored readings,
        and no clicked title its text does not reach. Not memoized with the prefix's lifts
        (``_adjusted``): those lists were built from the corrected readings too."""
        found = self._retrieve_exact(request)
        words = self._retrieve_words(request, found, correct=False)
        if words:
            found.extend(words)
            found.sort(key=by_score, reverse=True)
        if request.adjusts:
            found = [
                candidate
                for candidate in self._adjust(found, request)
                if candidate.source is not Source.CLICKED
            ]
        return found

    @_on_verified_index
    def trending(
        self,
        k: int = 10,
        *,
        where: Mapping[str, object] | None = None,
        first_characters: Iterable[str] | None = None,
    ) -> list[Suggestion]:
        """The titles people have been choosing lately, whatever they typed, most chosen first
        (at most ``k``; none when feedback is off or has learned nothing yet).

        A click teaches every prefix of what was typed down to its first character (with a
        weight that decays with each character dropped), so the lifts of the one-character
        prefixes, summed, say what is chosen across all queries; they fade with the click
        model's half-life, so this follows what people choose now. ``match`` is "feedback".

        The one-character prefixes read are the characters the catalog's titles start with, or
        ``first_characters`` (live updates read every segment with the same set). Titles an
        engine hides (``hiding``) are left out, as from its suggestions; with live updates,
        deleted titles are left out and titles added since the build take part.
        """
        _parse("", k)
        if self._live is not None:
            return self._live.trending(k, where=where)
        layer = self._feedback
        if layer is None:
            return []
        title_filter = self._where(where)
        index = self._index
        characters = index.title_initials if first_characters is None else first_characters
        lifted: dict[int, float] = {}
        for first in sorted(characters):
            for title_id, lift in layer.boosts(first).items():
                title = index.title_of(title_id)
                if lift > 0 and title is not None:
                    lifted[title] = lifted.get(title, 0.0) + lift
        if title_filter is not None:
            lifted = {title: lift for title, lift in lifted.items() if title in title_filter}
        ranked = sorted(lifted.items(), key=lambda item: item[1], reverse=True)[:k]
        prior = index.hot.title_prior
        return [
            self._present(title, prior[title] + lift, "feedback", (), 0.0, None, None, lift)
            for title, lift in ranked
        ]

    def prepare(self) -> None:
        """Open what is opened on first use (the translation channel's index: mapped from
        beside a saved index, else built, 0.05 s for the bundled catalog and 0.5-1 s a million
        titles) in a background thread now, so that a server's first keystroke does not wait
        for it. Optional: without it the first query does it."""
        if self._live is not None:  # the live catalog's engines answer, not this one's
            self._live.prepare()
            return
        self._translations.warm_in_background()

    @property
    def metadata_columns(self) -> MetadataColumns:
        """The catalog's metadata as typed columns (read-only): which fields ``where`` and
        ``boost`` accept, and their values (for filter chips and facets)."""
        return self._index.columns

    @_on_verified_index
    def learned(
        self, prefix: str, k: int = 10, *, refresh_wait_s: float = 0.0
    ) -> list[tuple[TitleView, float]]:
        """The titles click feedback moves most for ``prefix``, most lifted first, each with
        its feedback term in nats (positive: chosen more than its position explains).

        ``refresh_wait_s`` lets learning catch up first (a click then shows the moment after
        it was recorded). Empty when feedback is off; raises ``StoreUnavailableError`` while
        the click store is down.
        """
        _parse_feedback_query(prefix)
        _parse("", k)
        layer = self._feedback
        if layer is None:
            return []
        if refresh_wait_s > 0:
            layer.refresh(wait_s=refresh_wait_s)
        boosts = layer.boosts(normalize_typed(prefix))
        found: list[tuple[TitleView, float]] = []
        for title_id, boost in sorted(boosts.items(), key=lambda item: item[1], reverse=True):
            view = self.describe(title_id)
            if view is None:  # clicked in another catalog sharing the store
                continue
            found.append((view, boost))
            if len(found) == k:
                break
        return found

    @_on_verified_index
    def describe(self, id: str) -> TitleView | None:
        """The title with catalog id ``id`` (its text, label and metadata), or None."""
        if not isinstance(id, str):
            raise TypeError(f"id must be a str, got {type(id).__name__}")
        if self._live is not None:
            return self._live.describe(id)
        title = self._index.title_of(id)
        return None if title is None else self._index.describe(title)

    # Phase: parse.

    def _where(self, where: Mapping[str, object] | None) -> TitleFilter | None:
        """The compiled ``where`` filter, narrowed to the titles this engine may suggest when it
        hides some (``hiding``)."""
        title_filter = self._filters.where(where)
        if self._visible is not None:
            title_filter = self._visible.within(title_filter)
        return title_filter

    def _request(
        self,
        typed: str,
        k: int,
        where: Mapping[str, object] | None,
        boost: Mapping[str, Mapping[object, object]] | None,
        context: Mapping[str, object] | SessionContext | None,
        *,
        floor: float = -math.inf,
        elsewhere: tuple[float, ...] = (),
        matched_elsewhere: bool = False,
        answer_kept: bool = False,
    ) -> _Request:
        """Compile the query's filters and boosts (cached: the same specs recur).

        ``answer_kept`` says the caller will memoize the whole answer if nothing lifts it (no
        session context, no click lifts for this prefix): the request then says so, and the
        memos of its parts that only another kind of request could hit are left alone."""
        if (
            where is None
            and boost is None
            and context is None
            and self._visible is None
            and self._feedback is None
        ):
            # The usual request, without the calls that would each find nothing.
            return _Request(
                typed,
                k,
                None,
                None,
                _NOTHING_RELATED,
                None,
                None,
                floor=floor,
                elsewhere=elsewhere,
                matched_elsewhere=matched_elsewhere,
                answer_kept=answer_kept,
            )
        filters = self._filters
        title_filter = self._where(where)
        boost_rule = filters.boost(boost)
        related: Mapping[int, tuple[float, str]] = _NOTHING_RELATED
        context_rule = None
        session = SessionContext.parse(context)
        if session is not None:
            effect = self._contexts.get(session)
            if effect is None:
                index = self._index
                effect = (
                    related_titles(session, index, index.columns),
                    genre_nudge(session, index, index.columns, filters),
                )
                self._contexts.put(session, effect)
            related, context_rule = effect
        view = None
        if self._feedback is not None and typed.strip():
            view = self._feedback_view(typed)
        # Lifted as ``_answer`` has always asked (a prefix whose clicked titles are all in other
        # catalogs lifts nothing here).
        lifted = bool(related or context_rule or (view is not None and view.by_title))
        return _Request(
            typed,
            k,
            title_filter,
            boost_rule,
            related,
            context_rule,
            view,
            floor,
            elsewhere,
            matched_elsewhere,
            answer_kept and not lifted,
            _max_lift(related, boost_rule, context_rule),
        )

    def _feedback_view(self, typed: str) -> _FeedbackView | None:
        """The feedback layer's lifts for this prefix, keyed by title position.

        The layer hands out the same mapping until its model changes, so the translation, and
        what ``_adjust`` derives from it, are kept per prefix and redone only when the mapping
        is a new one.
        """
        assert self._feedback is not None
        boosts = self._feedback.boosts(typed)
        if not boosts:
            return None
        cached = self._feedback_titles.get(typed)
        if cached is not None and cached.boosts is boosts:
            return cached
        index = self._index
        by_title: dict[int, float] = {}
        for title_id, lift in boosts.items():
            title = index.title_of(title_id)
            if title is not None:
                by_title[title] = lift
        view = _FeedbackView(boosts, by_title)
        self._feedback_titles.put(typed, view)
        return view

    # Phase: retrieve.

    def _retrieve_typed(self, request: _Request) -> list[Candidate]:
        """Source PREFIX, and source CORRECTED where a correction could place."""
        found = self._retrieve_exact(request)
        if len(request.typed.replace(" ", "")) >= MIN_CORRECTABLE_CHARS:
            corrected = self._retrieve_corrected(request, self._correction_floor(found, request))
            if corrected:
                found.extend(corrected)
                found.sort(key=by_score, reverse=True)
        return found

    def _retrieve_words(
        self,
        request: _Request,
        found: list[Candidate],
        *,
        correct: bool,
        words_read: dict[str, _WordsRead] | None = None,
    ) -> list[Candidate]:
        """Source WORDS: titles holding every typed word, skipped words and another order
        allowed (see ``multiword``), that could place among the ``k`` found so far.

        Each comes as its title's first entry. With correction on, the typed words as read
        here and how each title was reached go to ``words_read`` (the answer being built is
        all the state kept between retrieval and presentation): ``_present_words`` marks the
        matched words from them instead of reading the typed words and aligning the title
        again.
        """
        typed = request.typed
        if self._words is None:
            return []
        plan = functools.partial(self._speller.plan, typed) if correct else None
        terms = read_terms(typed, self._index.words, plan)
        if terms is None:
            if correct and words_read is not None:
                words_read[typed] = _WordsRead(terms, {})
            return []
        k = request.k
        kth_score = _kth_score(_first_titles(found, k, self._index.hot.entry_title)[1], request)
        floor = max(kth_score, request.floor) - request.max_lift
        matches = self._words.top_k(terms, k, allowed=request.title_filter, floor=floor)
        if correct and words_read is not None:
            words_read[typed] = _WordsRead(terms, {match.title: match for match in matches})
        hot = self._index.hot
        return [
            Candidate(
                match.score,
                hot.title_entries[hot.title_entry_first[match.title]],
                match.cost,
                typed,
                Source.WORDS,
            )
            for match in matches
        ]

    def _retrieve_without_last_word(self, request: _Request) -> list[Candidate]:
        """Source DROPPED_WORD, the last resort when nothing matches: the query read without
        its last word.

        A half-typed last word too garbled to correct ("rthless le") should not hide what
        the words before it find; the dropped word costs ``DROPPED_WORD_COST`` nats.
        """
        shorter = request.typed.rsplit(None, 1)[0] + " "
        return [
            candidate._replace(
                score=retrieval_score(candidate.score, dropped_word=True),
                channel=candidate.channel + DROPPED_WORD_COST,
                source=Source.DROPPED_WORD,
            )
            for candidate in self._retrieve_typed(request._replace(typed=shorter))
        ]

    def _retrieve_anchored(self, request: _Request) -> list[Candidate]:
        """Source ANCHORED, the first resort when nothing matches a query of several words:
        compare it whole with the titles holding its longest words (see ``anchored``).
        Memoized like the corrected retrievals: a pure function of the typed text, the index
        and the filter."""
        title_filter = request.title_filter
        memo_key = (request.typed, request.k, title_filter and title_filter.key)
        remembered = self._anchored.get(memo_key)
        if remembered is not None:
            return list(remembered)
        found: list[Candidate] = []
        for reading in anchored_readings(request.typed, self._index, self._speller.model):
            found.extend(
                self._entries_under(
                    reading.text,
                    request.k,
                    reading.cost,
                    reading.text,
                    title_filter,
                    Source.ANCHORED,
                )
            )
        found.sort(key=by_score, reverse=True)
        self._anchored.put(memo_key, tuple(found))
        return found

    def _retrieve_exact(self, request: _Request, *, remember: bool = False) -> list[Candidate]:
        """Source PREFIX: entries under the typed prefix (and under its initials). A pure
        function of the typed text, ``k`` and the filter: the last few that ``remember`` were
        asked for are kept (``EXACT_MEMO_SIZE``)."""
        typed, k, title_filter = request.typed, request.k, request.title_filter
        memo_key = (typed, k, title_filter and title_filter.key)
        if not request.answer_kept:  # only ``exact_scores`` keeps them, for a merging caller
            remembered = self._exact.get(memo_key)
            if remembered is not None:
                return list(remembered)
        found = self._entries_under(typed, k, 0.0, typed, title_filter, Source.PREFIX)
        words = typed.split()
        if len(words) == 1 and len(words[0]) >= MIN_INITIALS:
            initials = INITIALS_MARK + words[0]
            by_initials = self._entries_under(initials, k, 0.0, typed, title_filter, Source.PREFIX)
            if by_initials:  # most words are nobody's initials
                found.extend(by_initials)
                found.sort(key=by_score, reverse=True)
        if remember:
            self._exact.put(memo_key, tuple(found))
        return found

    def _entries_under(
        self,
        prefix: str,
        k: int,
        channel: float,
        reading: str,
        title_filter: TitleFilter | None,
        source: Source,
    ) -> list[Candidate]:
        """Top entries under ``prefix``, plus entries whose whole text it is (exact bonus)."""
        index = self._index
        entry_score = index.hot.entry_score
        entries = index.top_entries(prefix, k, where=title_filter)
        scores = retrieval_scores([entry_score[entry] for entry in entries], channel)
        found = [
            _new_candidate(Candidate, (score, entry, channel, reading, source, 0.0, 0.0))
            for score, entry in zip(scores, entries, strict=True)
        ]
        exact = index.key_range(prefix.rstrip() + " ")
        if exact is not None:
            # A key's exact-kind entries come first (see index_build), so the scan stops at
            # the first word-start entry instead of walking every title with that word.
            entry_kind = index.hot.entry_kind
            entry_title = index.hot.entry_title
            ranked = len(found)
            for entry in range(*exact):
                if entry_kind[entry] not in EXACT_KIND_CODES:
                    break
                if title_filter is None or entry_title[entry] in title_filter:
                    score = retrieval_score(entry_score[entry], channel, exact=True)
                    found.append(Candidate(score, entry, channel, reading, source))
            if len(found) > ranked:
                found.sort(key=by_score, reverse=True)
        return found

    def _retrieve_corrected(self, request: _Request, floor: float) -> list[Candidate]:
        """Source CORRECTED: entries under corrected readings of the query that could beat
        ``floor``.

        No entry scores above its title's prior plus the exact bonus, so a reading whose best
        title, less its channel cost, cannot clear ``floor`` (the k-th best exact result) is
        never looked up; when no reading can, the typo path ends after its per-word candidates,
        which are memoized. The plan's bounds include the exact bonus where a reading can earn
        it. This keeps clean queries fast without changing any ranking.
        """
        plan = self._speller.plan(request.typed)
        lift = request.max_lift
        if plan.ceiling + lift <= floor:
            return []
        # What the corrected readings retrieve is a pure function of the typed text and the
        # immutable index, model and filter: memoized, like the per-word candidates (except for
        # a request whose whole answer is kept, which a repeat never retrieves again).
        title_filter = request.title_filter
        memo_key = (request.typed, request.k, floor - lift, title_filter and title_filter.key)
        remembered = None if request.answer_kept else self._corrected.get(memo_key)
        if remembered is not None:
            corrected = Source.CORRECTED
            return [
                _new_candidate(Candidate, (score, entry, channel, reading, corrected, 0.0, 0.0))
                for score, entry, channel, reading in remembered
            ]
        found: list[Candidate] = []
        for correction in self._speller.corrections(plan, floor=floor - lift):
            found.extend(
                self._entries_under(
                    correction.text,
                    request.k,
                    correction.cost,
                    correction.text,
                    title_filter,
                    Source.CORRECTED,
                )
            )
        # Kept as plain tuples of numbers and text, which the garbage collector stops walking
        # (a Candidate holds its Source, an object, so it never does): all are CORRECTED and
        # carry no lift yet.
        if not request.answer_kept:
            self._corrected.put(memo_key, tuple(candidate[:4] for candidate in found))
        return found

    def _correction_floor(self, found: list[Candidate], request: _Request) -> float:
        """The score a correction must beat to be shown beside the exact results ``found``.

        It must place among the top ``k`` (beat the k-th best distinct title) and come within
        ``CORRECTION_MARGIN`` of the best exact match; with no exact match, anything goes.
        Either way it must beat the request's own floor (``suggest(above=)``).
        """
        best = found[0].score if found else -math.inf
        if request.elsewhere:  # the other indexes' exact matches count as this one's would
            best = max(best, request.elsewhere[0])
        if best == -math.inf:
            return request.floor
        scores = _first_titles(found, request.k, self._index.hot.entry_title)[1]
        return max(best - CORRECTION_MARGIN, request.floor, _kth_score(scores, request))

    # Phase: adjust.

    def _adjusted(self, found: list[Candidate], request: _Request) -> list[Candidate]:
        """``_adjust``, kept with the prefix's lifts when clicks are the only adjustment: the
        list is then a function of the typed text, the immutable index and the lifts."""
        view = request.feedback_view
        if (
            view is None
            or not request.feedback_only
            or request.floor > -math.inf
            or request.elsewhere
        ):
            return self._adjust(found, request)
        title_filter = request.title_filter
        key = (request.k, title_filter.key if title_filter is not None else None)
        remembered = view.adjusted.get(key)
        if remembered is None:
            remembered = view.adjusted.put(key, tuple(self._adjust(found, request)))
        return list(remembered)

    def _adjust(self, found: list[Candidate], request: _Request) -> list[Candidate]:
        """Add the lift terms (feedback, context) to the scores, and bring in the titles they
        lift (sources JOINED and CLICKED).

        A title lifted by clicks, by a ``boost`` clause or by the session may lie below the
        retrieved top k; it joins through its best entry that the typed text reaches (for
        boost clauses, through a retrieval filtered to the clause's titles).
        """
        index = self._index
        entry_title = index.hot.entry_title
        typed, k, title_filter = request.typed, request.k, request.title_filter
        adjusted: list[Candidate] = []
        present: set[int] = set()
        for candidate in found:
            title = entry_title[candidate.entry]
            present.add(title)
            lift, context = request.lifts(title)
            adjusted.append(
                candidate._replace(
                    score=lifted_score(candidate.score, lift, context),
                    feedback=lift,
                    context=context,
                )
            )
        # Titles that only a lift could bring into the list: join them if it could be enough.
        bar = self._correction_floor(found, request) if len(present) >= k else request.floor
        joining: dict[int, int] = {}
        for rule in (request.boost, request.context_rule):
            for clause in rule.clauses if rule is not None else ():
                if clause.log_factor > 0:
                    for entry in index.top_entries(typed, k, where=clause.filter):
                        joining.setdefault(entry_title[entry], entry)
        clicked = {title for title, lift in request.feedback.items() if lift > 0}
        prior = index.hot.title_prior
        unmatched: list[int] = []
        for title in (*clicked, *request.related):
            if title in present or title in joining:
                continue
            lift, context = request.lifts(title)
            if lifted_score(retrieval_score(prior[title], exact=True), lift, context) <= bar:
                continue  # even as the whole title typed exactly, it could not place
            reached = request.feedback_view.reaching if request.feedback_view else None
            if reached is not None and title in reached:
                reaching = reached[title]
            else:
                reaching = index.best_entry_reaching(title, typed)
                if reached is not None and title in clicked:
                    reached[title] = reaching
            if reaching is not None:
                joining[title] = reaching
            elif title in clicked:
                unmatched.append(title)
        for title, entry in joining.items():
            if title in present or (title_filter is not None and title not in title_filter):
                continue
            lift, context = request.lifts(title)
            score = lifted_score(retrieval_score(index.hot.entry_score[entry]), lift, context)
            adjusted.append(Candidate(score, entry, 0.0, typed, Source.JOINED, lift, context))
        # Users chose these titles after typing exactly this, though the text does not reach
        # them (a typo the speller did not read their way): what people meant by a query is
        # evidence in itself. They come with the title's own prior and no highlight.
        for title in unmatched:
            if title_filter is not None and title not in title_filter:
                continue
            lift, context = request.lifts(title)
            entry = index.hot.title_entries[index.hot.title_entry_first[title]]
            score = lifted_score(retrieval_score(prior[title]), lift, context)
            adjusted.append(Candidate(score, entry, 0.0, typed, Source.CLICKED, lift, context))
        adjusted.sort(key=by_score, reverse=True)
        return adjusted

    # Phase: present.

    def _popular(self, request: _Request) -> list[Suggestion]:
        """The most popular titles (passing the filter), adjusted like any other list."""
        index = self._index
        k, title_filter = request.k, request.title_filter
        if title_filter is not None:
            titles = title_filter.selected[: max(k, PRECOMPUTED_TOP)].tolist()
        else:
            titles = index.arrays.top_titles[: max(k, PRECOMPUTED_TOP)].tolist()
            if k > len(titles):
                titles = index.arrays.title_prior.argsort()[::-1][:k].tolist()
        prior = index.hot.title_prior
        if request.adjusts:
            candidates = set(titles) | set(request.related) | set(request.feedback)
            for rule in (request.boost, request.context_rule):
                for clause in rule.clauses if rule is not None else ():
                    candidates.update(clause.filter.selected[:k].tolist())
            if title_filter is not None:
                candidates = {title for title in candidates if title in title_filter}
            titles = sorted(
                candidates, key=lambda t: lifted_score(prior[t], *request.lifts(t)), reverse=True
            )
        results = []
        for title in titles[:k]:
            lift, context = request.lifts(title)
            score = lifted_score(prior[title], lift, context)
            results.append(
                self._present(title, score, "title", (), 0.0, None, request, lift, context)
            )
        return results

    def _present_ranked(
        self,
        found: list[Candidate],
        request: _Request,
        words_read: dict[str, _WordsRead] | None = None,
    ) -> list[Suggestion]:
        """Best candidate per title, cut to ``k``, as ``Suggestion`` values (``words_read``:
        what the word reading read, where retrieval has read it already)."""
        hot = self._index.hot
        k = request.k
        results: list[Suggestion] = []
        seen: set[int] = set()
        floor = request.floor
        # Titles reached by scattered words are aligned again for their highlights, all
        # against the same typed words: read them once.
        if words_read is None:
            words_read = {}
        for candidate in found:
            score, entry, channel, reading, source, lift, context = candidate
            if score <= floor:
                break  # ranked best first: nothing further matters to the caller
            title = hot.entry_title[entry]
            if title in seen:
                continue
            seen.add(title)
            if source is Source.WORDS:
                read = words_read.get(reading)
                if read is None:
                    read = words_read[reading] = _WordsRead(self._typed_terms(reading), {})
                suggestion = self._present_words(title, score, read, request, lift, context)
            elif source is Source.CLICKED:
                suggestion = self._present(
                    title, score, "feedback", (), 0.0, None, request, lift, context
                )
            elif source is Source.TRANSLATION:
                suggestion = self._present(
                    title, score, TRANSLATION_MATCH, (), -channel, None, request, lift, context
                )
            else:
                suggestion = self._present_reading(candidate, title, request)
            results.append(suggestion)
            if len(results) == k:
                break
        return results

    def _present_reading(self, candidate: Candidate, title: int, request: _Request) -> Suggestion:
        """A candidate an entry's text reached, through the typed text or a reading of it."""
        score, entry, channel, reading, _, lift, context = candidate
        typed = request.typed
        corrected = reading if reading != typed else None
        if corrected is not None and _typed_words_occur(
            typed, self._index.normalized_titles[title]
        ):
            corrected = None  # every typed word is in the title: nothing to correct
        if context or (lift and not request.feedback_only):
            return self._present_entry(
                entry, score, channel, reading, corrected, request, lift, context
            )
        # An entry reached by the same reading with the same click lift always presents the
        # same way, so its immutable Suggestion is built once and shared.
        memo_key = (entry, score, len(reading.rstrip()), corrected, lift)
        found_before = self._presented.get(memo_key)
        if found_before is None:
            found_before = self._presented.put(
                memo_key,
                self._present_entry(entry, score, channel, reading, corrected, request, lift, 0.0),
            )
        return found_before

    def _typed_terms(self, typed: str) -> tuple[Term, ...] | None:
        """The typed words as ``_retrieve_words`` read them (with corrections)."""
        plan = functools.partial(self._speller.plan, typed)
        return read_terms(typed, self._index.words, plan)

    def _present_words(
        self,
        title: int,
        score: float,
        read: _WordsRead,
        request: _Request,
        lift: float,
        context: float,
    ) -> Suggestion:
        """A title reached by its scattered words (``read``: the typed words as
        ``_typed_terms`` reads them, and how the word reading reached the title where it has
        just done so): every matched word marked, and a "did you mean" only when some typed
        word is not in the title as typed."""
        terms, reader = read.terms, self._words
        match = read.matches.get(title)
        if match is None and terms and reader:
            match = reader.match_title(terms, title)
        if match is None or terms is None:  # cannot happen: the same reading found it
            return self._present(title, score, "words", (), 0.0, None, request, lift, context)
        spans, reading = presented(self._index.normalized_titles[title], match, terms)
        return self._present(
            title,
            score,
            "words",
            spans,
            -match.cost,
            reading,
            request,
            lift,
            context,
            # Only the spelling part says how sure the correction is: skipped and reordered
            # words are how the title was reached, not a change to what was typed.
            corrected_confidently=reading is not None
            and correction_is_confident(match.spelling, reading),
        )

    def _present_entry(
        self,
        entry: int,
        score: float,
        channel: float,
        reading: str,
        corrected: str | None,
        request: _Request | None,
        lift: float,
        context: float,
    ) -> Suggestion:
        index = self._index
        hot = index.hot
        title = hot.entry_title[entry]
        kind = hot.entry_kind[entry]
        offset = hot.entry_offset[entry]
        typed_length = len(reading.rstrip())
        spans: tuple[tuple[int, int], ...]
        matched_alias = None
        if kind == _ALIAS:
            # The alias as the catalog writes it, for display ("The Good, the Bad and the Ugly").
            matched_alias = index.alias_of_entry(title, entry, reading.rstrip())
            spans = _corresponding_words(index.normalized_titles[title], reading)
        elif kind == _INITIALS:
            words = index.normalized_titles[title][offset:].split(" ")
            starts: list[tuple[int, int]] = []
            position = offset
            for word in words[:typed_length]:
                starts.append((position, position + 1))
                position += len(word) + 1
            spans = tuple(starts)
        else:
            spans = ((offset, offset + typed_length),)
            if corrected is not None:
                corrected = _completed_reading(index.normalized_titles[title], offset, reading)
        return self._present(
            title,
            score,
            _KIND_NAMES[kind],
            spans,
            -channel,
            corrected,
            request,
            lift,
            context,
            matched_alias,
            corrected is not None and correction_is_confident(channel, reading),
        )

    def _present(
        self,
        title: int,
        score: float,
        match: str,
        spans: tuple[tuple[int, int], ...],
        channel: float,
        corrected_query: str | None,
        request: _Request | None = None,
        feedback: float = 0.0,
        context: float = 0.0,
        matched_alias: str | None = None,
        corrected_confidently: bool = False,
    ) -> Suggestion:
        view = self._index.describe(title)
        # Every field by position, in the order Suggestion declares them (sixteen keywords
        # cost more than the construction itself), its slots set directly (``new_suggestion``):
        # a keystroke never seen before builds ten.
        return new_suggestion(
            view.text,  # text
            view.id,  # id
            score,  # score
            view.metadata,  # metadata
            view.label,  # label
            match,  # match
            spans,  # normalized_spans
            self._index.hot.title_prior[title],  # prior
            channel,  # channel
            feedback,  # feedback
            context,  # context
            corrected_query is not None,  # corrected
            corrected_query,  # corrected_query
            corrected_confidently,  # corrected_confidently
            request.explain(title) if request is not None else (),  # explanation
            matched_alias,  # matched_alias
        )


class _WordsRead(NamedTuple):
    """What the word reading read for a typed text: its terms (None: not a multi-word query)
    and, by title, how each title it returned was reached (``WordReader.match_title`` would
    find the same)."""

    terms: tuple[Term, ...] | None
    matches: Mapping[int, WordMatch]


@dataclass(slots=True)
class _FeedbackView:
    """One prefix's click lifts as the layer published them, and what the engine derives from
    them; replaced whole when the layer publishes a new mapping for the prefix."""

    boosts: Mapping[str, float]  # the layer's mapping: title id -> lift
    by_title: Mapping[int, float]  # the same, by title position
    reaching: dict[int, int | None] = field(default_factory=dict)  # title -> entry reaching
    # Adjusted lists by (k, filter key): bounded, since requests may name any filter.
    adjusted: Memo[tuple[int, object], tuple[Candidate, ...]] = field(
        default_factory=lambda: Memo(ADJUSTED_PER_PREFIX, "a prefix's adjusted lists")
    )


_NOTHING_RELATED: Mapping[int, tuple[float, str]] = MappingProxyType({})
"""A request's related titles when it has no session context."""


class _Request(NamedTuple):
    """One ``suggest`` call's compiled inputs (a named tuple: built on every keystroke)."""

    typed: str
    k: int
    title_filter: TitleFilter | None
    boost: BoostRule | None
    related: Mapping[int, tuple[float, str]]  # session context: title -> (lift, reason)
    context_rule: GenreNudge | None  # the session's genre nudge
    feedback_view: _FeedbackView | None  # the click lifts for this prefix, if any
    floor: float = -math.inf  # only candidates scoring above it matter (``suggest(above=)``)
    elsewhere: tuple[float, ...] = ()  # other indexes' exact scores, best first (at most k)
    matched_elsewhere: bool = False  # another index matched the query (no last resort here)
    # The whole answer is memoized (``_answer``): a plain request, nothing lifting it. Its
    # parts' memos (the corrected and exact retrievals) are then neither read nor filled: a
    # repeat of it is answered whole, so only requests of another kind could hit them.
    answer_kept: bool = False
    # An upper bound on what context adds to any title a correction may reach (``_max_lift``).
    max_lift: float = 0.0

    @property
    def feedback(self) -> Mapping[int, float]:
        """Title -> click-feedback lift for this prefix."""
        return self.feedback_view.by_title if self.feedback_view is not None else {}

    @property
    def adjusts(self) -> bool:
        return bool(self.boost or self.related or self.context_rule or self.feedback)

    @property
    def feedback_only(self) -> bool:
        """Only clicks adjust this request (so a suggestion's explanation follows its lift)."""
        return self.boost is None and not self.related and self.context_rule is None

    def lifts(self, title: int) -> tuple[float, float]:
        """(feedback, context) added to ``title``'s score."""
        context = 0.0
        if self.boost is not None:
            context += self.boost.of(title)
        if self.context_rule is not None:
            context += self.context_rule.of(title)
        related = self.related.get(title)
        if related is not None:
            context += related[0]
        return self.feedback.get(title, 0.0), context

    def explain(self, title: int) -> tuple[str, ...]:
        if self.feedback_view is None and self.feedback_only:
            return ()  # nothing to explain (most requests): asked once per suggestion
        parts: list[str] = []
        if self.boost is not None:
            parts.extend(self.boost.explain(title))
        related = self.related.get(title)
        if related is not None:
            parts.append(f"session: {related[1]} (+{related[0]:.2f})")
        if self.context_rule is not None:
            parts.extend(f"session nudge: {why}" for why in self.context_rule.explain(title))
        lift = self.feedback.get(title)
        if lift:
            parts.append(f"clicks ({lift:+.2f})")
        return tuple(parts)


def _max_lift(
    related: Mapping[int, tuple[float, str]],
    boost: BoostRule | None,
    context_rule: GenreNudge | None,
) -> float:
    """An upper bound on what context adds to any title a correction may reach.

    Click lifts need no room in the typo path's bound: every clicked title joins the list in
    ``_adjust`` whether or not the typed text reaches it.
    """
    context = max((lift for lift, _ in related.values()), default=0.0)
    for rule in (boost, context_rule):
        if rule is not None:
            context += max(rule.max_log_factor, 0.0)
    return context


def _completed_reading(normalized_title: str, offset: int, reading: str) -> str:
    """A corrected reading with its last, half-typed word completed from the title it reached.

    "teh big leb" read as "the big leb" reaches "the big lebowski": "did you mean" shows the
    words the user is on their way to, not a fragment.
    """
    end = offset + len(reading.rstrip())
    if not reading.endswith(" "):
        space = normalized_title.find(" ", end)
        end = len(normalized_title) if space < 0 else space
    return normalized_title[offset:end]


def _corresponding_words(normalized_title: str, reading: str) -> tuple[tuple[int, int], ...]:
    """Spans of the title's words that the typed words of an alias match stand for.

    "godfather 2" reached The Godfather: Part II through its alias: "godfather" is a word of
    the title and is marked; "2" has no counterpart ("ii" is not the same text) and is not.
    Each typed word marks the first title word not yet marked that starts with it (a typed
    word's whole length, as in the prefix highlight), so highlighting stays honest.
    """
    words = normalized_title.split(" ")
    starts: list[int] = []
    position = 0
    for word in words:
        starts.append(position)
        position += len(word) + 1
    used: set[int] = set()
    spans: list[tuple[int, int]] = []
    for typed in reading.split():
        for number, word in enumerate(words):
            if number not in used and word.startswith(typed):
                used.add(number)
                spans.append((starts[number], starts[number] + len(typed)))
                break
    return tuple(sorted(spans))


def _typed_words_occur(typed: str, normalized_title: str) -> bool:
    """Whether every typed word is a word of the title (the one being typed, a word's start):
    then a "did you mean" would only repeat what was typed (issue 15)."""
    words = typed.split()
    title_words = normalized_title.split(" ")
    if not words:
        return False
    complete = words if typed.endswith(" ") else words[:-1]
    if any(word not in title_words for word in complete):
        return False
    return typed.endswith(" ") or any(word.startswith(words[-1]) for word in title_words)


def _phrase_checker(index: CatalogIndex) -> Callable[[str], bool]:
    """``index.has_phrase``, with the answers for phrases of complete words (a trailing space)
    kept: the correction search over a query's words asks whether its first words stand together
    in a title on each keystroke typed after them. A phrase that ends half typed is asked of the
    trie each time (it changes with every keystroke)."""
    has_phrase = index.has_phrase
    remembered: Memo[str, bool] = Memo(PHRASE_MEMO_SIZE, "phrases of complete words")
    get, put = remembered.get, remembered.put

    def phrase_exists(text: str) -> bool:
        if not text.endswith(" "):
            return has_phrase(text)
        found = get(text)
        return put(text, has_phrase(text)) if found is None else found

    return phrase_exists


def _kth_score(scores: list[float], request: _Request) -> float:
    """The k-th best of the first titles' ``scores`` (best first, as ``_first_titles`` gives
    them) and the other indexes' exact scores (``request.elsewhere``): -inf when there are
    fewer than k."""
    k = request.k
    if request.elsewhere:
        scores = heapq.nlargest(k, [*scores, *request.elsewhere])
    return scores[k - 1] if len(scores) >= k else -math.inf


def _first_titles(
    found: list[Candidate], k: int, entry_title: memoryview
) -> tuple[set[int], list[float]]:
    """The first ``k`` distinct titles of a ranked candidate list (what would be shown), and
    their scores, best first."""
    titles: set[int] = set()
    scores: list[float] = []
    for candidate in found:
        title = entry_title[candidate.entry]
        if title not in titles:
            titles.add(title)
            scores.append(candidate.score)
            if len(scores) == k:
                break
    return titles, scores


def _feedback_layer(
    feedback: str | FeedbackStore | FeedbackLayer | None,
) -> FeedbackLayer | None:
    if feedback is None:
        return None
    # Imported here: an engine without feedback never loads the store drivers.
    from autocomplete.feedback.backends import open_store
    from autocomplete.feedback.layer import FeedbackLayer

    if isinstance(feedback, FeedbackLayer):
        return feedback
    return FeedbackLayer(open_store(feedback))


def _parse_feedback_query(query: object) -> str:
    if not isinstance(query, str):
        raise TypeError(f"query must be a str, got {type(query).__name__}")
    return normalize_typed(query)


def _parse(query: object, k: object) -> str:
    normalized = _parse_feedback_query(query)  # checks the query first, as it always has
    if isinstance(k, bool) or not isinstance(k, int):
        raise TypeError(f"k must be an int, got {type(k).__name__}")
    if not 1 <= k <= MAX_K:
        raise ValueError(f"k must be between 1 and {MAX_K}, got {k}")
    return normalized


def _live_catalog(
    updates: str | UpdateStore | UpdateOptions | None,
    bundled: bool,
    index: CatalogIndex,
    errors: ChannelModel,
    engine: Autocomplete,
    word_costs: WordCosts | None,
) -> LiveCatalog[Suggestion] | None:
    """The owner of live updates for ``engine``, answering through plain engines over its
    segments that share the error model and the click feedback layer."""
    if updates is None:
        return None
    options = updates if isinstance(updates, UpdateOptions) else UpdateOptions(updates)
    if bundled and options.base_records is None and options.base_catalog is None:
        options = replace(options, base_catalog=str(bundled_catalog_path()))
    feedback = engine.feedback

    def segment_engine(segment: CatalogIndex) -> Autocomplete:
        return Autocomplete(segment, error_model=errors, feedback=feedback, word_costs=word_costs)

    return LiveCatalog(index, options, segment_engine, lifted=feedback is not None)
