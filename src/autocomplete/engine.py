"""The engine facade: ``Autocomplete`` composes the index, the speller and feedback.

A keystroke flows through named phases: *parse* (validate and normalize the query), *retrieve*
(exact-prefix top-k from the index), *rank* (add the query-dependent score terms, merge, cut to
``k``) and *present* (build ``Suggestion`` values). Nothing here mutates the index, so one
``Autocomplete`` may serve many threads at once.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from autocomplete.bundled import bundled_index
from autocomplete.candidates import ChannelModel, Speller
from autocomplete.catalog import LoadReport, load_catalog
from autocomplete.errormodel import ErrorModel
from autocomplete.index import INITIALS_MARK, CatalogIndex, kind_name
from autocomplete.index_build import Progress, build_index
from autocomplete.limits import MAX_K, MAX_QUERY_CHARS, MAX_RAW_QUERY_CHARS
from autocomplete.normalize import normalize_query
from autocomplete.scoring import (
    CHANNEL_WEIGHT,
    CORRECTION_MARGIN,
    EXACT_BONUS,
    EXACT_KINDS,
    MIN_INITIALS,
    MatchKind,
)
from autocomplete.suggestion import Suggestion

if TYPE_CHECKING:
    from autocomplete.feedback.layer import FeedbackLayer
    from autocomplete.feedback.store import FeedbackStore

PRESENTED_MEMO_SIZE = 200_000
"""Memoized exact-prefix suggestions kept before the memo is emptied and refilled."""

MIN_CORRECTABLE_CHARS = 3
"""Queries with fewer letters than this are never corrected (too little to go on)."""

_EXACT_KIND_CODES = frozenset(int(kind) for kind in EXACT_KINDS)
_KIND_NAMES = tuple(kind_name(kind) for kind in MatchKind)
_ALIAS = int(MatchKind.ALIAS)
_INITIALS = int(MatchKind.INITIALS)

# (score, entry position, channel cost, the reading of the query that reached the entry,
#  feedback boost included in the score)
_Candidate = tuple[float, int, float, str, float]


class Autocomplete:
    """Typeahead suggestions over one catalog.

    ``Autocomplete()`` serves the bundled movie catalog (its index is built on first use and
    cached on disk); ``Autocomplete.from_catalog`` builds one for any CSV/JSONL catalog.
    """

    def __init__(
        self,
        index: CatalogIndex | None = None,
        *,
        error_model: ChannelModel | None = None,
        feedback: str | FeedbackStore | FeedbackLayer | None = None,
    ) -> None:
        self._index = index if index is not None else bundled_index()
        errors: ChannelModel = error_model if error_model is not None else ErrorModel.load()
        self._speller = Speller(self._index.spelling, errors, channel_weight=CHANNEL_WEIGHT)
        self._feedback = _feedback_layer(feedback)
        self.load_report: LoadReport | None = None
        # Suggestions are a pure function of the immutable index and the reading that reached
        # them, so they are memoized; being immutable, they are safe to share between calls.
        self._presented: dict[tuple[int, float, int, str | None], Suggestion] = {}

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
    ) -> Autocomplete:
        """Load a catalog (file or records) and build its index."""
        records, report = load_catalog(
            source,
            text_field=text_field,
            weight_field=weight_field,
            id_field=id_field,
            alias_field=alias_field,
            on_error=on_error,
        )
        label = str(source) if isinstance(source, (str, os.PathLike)) else None
        engine = cls(build_index(records, source=label, progress=progress))
        engine.load_report = report
        return engine

    @classmethod
    def load(
        cls,
        directory: str | os.PathLike[str],
        *,
        feedback: str | FeedbackStore | FeedbackLayer | None = None,
    ) -> Autocomplete:
        """Open an index saved with ``save`` (memory-mapped)."""
        return cls(CatalogIndex.load(directory), feedback=feedback)

    def save(self, directory: str | os.PathLike[str]) -> Path:
        return self._index.save(directory)

    @property
    def index(self) -> CatalogIndex:
        return self._index

    def __len__(self) -> int:
        return self._index.title_count

    # Feedback -----------------------------------------------------------------------------------

    @property
    def feedback(self) -> FeedbackLayer | None:
        """The click-feedback layer, or None when feedback is off (the library default)."""
        return self._feedback

    def record_impression(self, query: str, ids: Sequence[str], session_id: str) -> None:
        """Record that the suggestions ``ids`` were shown, in this order, for ``query``."""
        self._require_feedback().record_impression(_parse_feedback_query(query), ids, session_id)

    def record_click(
        self,
        query: str,
        id: str,
        position: int,
        session_id: str,
        dwell_ms: int | None = None,
    ) -> None:
        """Record a click on suggestion ``id`` shown at 1-based ``position`` for ``query``."""
        self._require_feedback().record_click(
            _parse_feedback_query(query), id, position, session_id, dwell_ms
        )

    def record_feedback(self, id: str, value: float, session_id: str) -> None:
        """Record explicit feedback on a title: +1 like, -1 dislike, or a rating."""
        self._require_feedback().record_feedback(id, value, session_id)

    def close(self) -> None:
        """Close the feedback store, if any; the index needs no closing."""
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

    def suggest(self, query: str, k: int = 10) -> list[Suggestion]:
        """The ``k`` best suggestions for ``query`` as typed so far, best first.

        An empty or blank query returns the ``k`` most popular titles. Queries longer than
        ``MAX_QUERY_CHARS`` (after normalization) are cut there, so any input costs bounded work.
        """
        normalized = _parse(query, k)
        if not normalized.strip():
            return self._popular(k)
        found = self._retrieve_exact(normalized, k)
        if len(normalized.replace(" ", "")) >= MIN_CORRECTABLE_CHARS:
            corrected = self._retrieve_corrected(normalized, k, self._correction_floor(found, k))
            if corrected:
                found.extend(corrected)
                found.sort(key=_by_score, reverse=True)
        if self._feedback is not None:
            boosts = self._feedback.boosts(normalized)
            if boosts:
                found = self._apply_feedback(found, normalized, boosts)
        return self._present_ranked(found, normalized, k)

    # Phase: retrieve.

    def _retrieve_exact(self, typed: str, k: int) -> list[_Candidate]:
        """Entries under the typed prefix (and under its initials), channel cost 0."""
        found = self._entries_under(typed, k, 0.0, typed)
        words = typed.split()
        if len(words) == 1 and len(words[0]) >= MIN_INITIALS:
            found.extend(self._entries_under(INITIALS_MARK + words[0], k, 0.0, typed))
            found.sort(key=_by_score, reverse=True)
        return found

    def _entries_under(self, prefix: str, k: int, channel: float, reading: str) -> list[_Candidate]:
        """Top entries under ``prefix``, plus entries whose whole text it is (exact bonus)."""
        index = self._index
        entry_score = index.hot.entry_score
        base = -channel * CHANNEL_WEIGHT
        found = [
            (entry_score[entry] + base, entry, channel, reading, 0.0)
            for entry in index.top_entries(prefix, k)
        ]
        exact = index.key_range(prefix.rstrip() + " ")
        if exact is not None:
            entry_kind = index.hot.entry_kind
            found.extend(
                (entry_score[entry] + base + EXACT_BONUS, entry, channel, reading, 0.0)
                for entry in range(*exact)
                if entry_kind[entry] in _EXACT_KIND_CODES
            )
            found.sort(key=_by_score, reverse=True)
        return found

    def _retrieve_corrected(self, typed: str, k: int, floor: float) -> list[_Candidate]:
        """Entries under corrected readings of ``typed`` that could beat ``floor``.

        No entry scores above its title's prior plus the exact bonus, so a reading whose best
        title, less its channel cost, cannot clear ``floor`` (the k-th best exact result) is
        never looked up; when no reading can, the typo path ends after its per-word candidates,
        which are memoized. This keeps clean queries fast without changing any ranking.
        """
        plan = self._speller.plan(typed)
        if plan.ceiling + EXACT_BONUS <= floor:
            return []
        found: list[_Candidate] = []
        for correction in self._speller.corrections(plan, floor=floor - EXACT_BONUS):
            found.extend(self._entries_under(correction.text, k, correction.cost, correction.text))
        return found

    def _correction_floor(self, found: list[_Candidate], k: int) -> float:
        """The score a correction must beat to be shown beside the exact results ``found``.

        It must place among the top ``k`` (beat the k-th best distinct title) and come within
        ``CORRECTION_MARGIN`` of the best exact match; with no exact match, anything goes.
        """
        if not found:
            return -math.inf
        floor = found[0][0] - CORRECTION_MARGIN
        entry_title = self._index.hot.entry_title
        seen: set[int] = set()
        for score, entry, _, _, _ in found:
            seen.add(entry_title[entry])
            if len(seen) == k:
                return max(floor, score)
        return floor

    def _apply_feedback(
        self, found: list[_Candidate], typed: str, boosts: Mapping[str, float]
    ) -> list[_Candidate]:
        """Add each title's feedback boost to its candidates, and bring in boosted titles.

        A title that clicks have lifted under this prefix may lie below the retrieved top k;
        it joins through its best entry that the typed text reaches.
        """
        index = self._index
        boost_of_title: dict[int, float] = {}
        for title_id, boost in boosts.items():
            title = index.title_of(title_id)
            if title is not None:
                boost_of_title[title] = boost
        if not boost_of_title:
            return found
        entry_title = index.hot.entry_title
        present: set[int] = set()
        adjusted: list[_Candidate] = []
        for score, entry, channel, reading, _ in found:
            title = entry_title[entry]
            present.add(title)
            boost = boost_of_title.get(title, 0.0)
            adjusted.append((score + boost, entry, channel, reading, boost))
        for title, boost in boost_of_title.items():
            if title in present or boost <= 0:
                continue
            reaching = index.best_entry_reaching(title, typed)
            if reaching is not None:
                score = index.hot.entry_score[reaching] + boost
                adjusted.append((score, reaching, 0.0, typed, boost))
        adjusted.sort(key=_by_score, reverse=True)
        return adjusted

    # Phase: present.

    def _popular(self, k: int) -> list[Suggestion]:
        index = self._index
        titles = index.arrays.top_titles[:k].tolist()
        if k > len(titles):
            titles = index.arrays.title_prior.argsort()[::-1][:k].tolist()
        prior = index.hot.title_prior
        return [self._present(title, prior[title], "title", (), 0.0, None) for title in titles]

    def _present_ranked(self, found: list[_Candidate], typed: str, k: int) -> list[Suggestion]:
        """Best candidate per title, cut to ``k``, as ``Suggestion`` values."""
        hot = self._index.hot
        memo = self._presented
        results: list[Suggestion] = []
        seen: set[int] = set()
        for score, entry, channel, reading, boost in found:
            title = hot.entry_title[entry]
            if title in seen:
                continue
            seen.add(title)
            # An entry reached by the same reading always presents the same way, so its
            # immutable Suggestion is built once and shared.
            corrected = reading if reading != typed else None
            memo_key = (entry, score, len(reading.rstrip()), corrected)
            suggestion = memo.get(memo_key)
            if suggestion is None:
                suggestion = self._present_entry(entry, score, channel, reading, corrected, boost)
                if len(memo) >= PRESENTED_MEMO_SIZE:
                    memo.clear()
                memo[memo_key] = suggestion
            results.append(suggestion)
            if len(results) == k:
                break
        return results

    def _present_entry(
        self,
        entry: int,
        score: float,
        channel: float,
        reading: str,
        corrected: str | None,
        boost: float,
    ) -> Suggestion:
        index = self._index
        hot = index.hot
        title = hot.entry_title[entry]
        kind = hot.entry_kind[entry]
        offset = hot.entry_offset[entry]
        typed_length = len(reading.rstrip())
        spans: tuple[tuple[int, int], ...]
        if kind == _ALIAS:
            spans = ()
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
        return self._present(title, score, _KIND_NAMES[kind], spans, -channel, corrected, boost)

    def _present(
        self,
        title: int,
        score: float,
        match: str,
        spans: tuple[tuple[int, int], ...],
        channel: float,
        corrected_query: str | None,
        feedback: float = 0.0,
    ) -> Suggestion:
        view = self._index.describe(title)
        return Suggestion(
            text=view.text,
            id=view.id,
            score=score,
            metadata=view.metadata,
            label=view.label,
            match=match,
            normalized_spans=spans,
            prior=self._index.hot.title_prior[title],
            channel=channel,
            feedback=feedback,
            corrected=corrected_query is not None,
            corrected_query=corrected_query,
        )


def _by_score(candidate: _Candidate) -> float:
    return candidate[0]


def _feedback_layer(
    feedback: str | FeedbackStore | FeedbackLayer | None,
) -> FeedbackLayer | None:
    if feedback is None:
        return None
    # Imported here: an engine without feedback never loads the store drivers.
    from autocomplete.feedback.layer import FeedbackLayer
    from autocomplete.feedback.store import open_store

    if isinstance(feedback, FeedbackLayer):
        return feedback
    return FeedbackLayer(open_store(feedback))


def _parse_feedback_query(query: object) -> str:
    if not isinstance(query, str):
        raise TypeError(f"query must be a str, got {type(query).__name__}")
    return normalize_query(query[:MAX_RAW_QUERY_CHARS])[:MAX_QUERY_CHARS]


def _parse(query: object, k: object) -> str:
    if not isinstance(query, str):
        raise TypeError(f"query must be a str, got {type(query).__name__}")
    if isinstance(k, bool) or not isinstance(k, int):
        raise TypeError(f"k must be an int, got {type(k).__name__}")
    if not 1 <= k <= MAX_K:
        raise ValueError(f"k must be between 1 and {MAX_K}, got {k}")
    return normalize_query(query[:MAX_RAW_QUERY_CHARS])[:MAX_QUERY_CHARS]
