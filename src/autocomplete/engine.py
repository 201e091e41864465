"""The engine facade: ``Autocomplete`` composes the index, the speller and feedback.

A keystroke flows through named phases: *parse* (validate and normalize the query), *retrieve*
(exact-prefix top-k from the index), *rank* (add the query-dependent score terms, merge, cut to
``k``) and *present* (build ``Suggestion`` values). Nothing here mutates the index, so one
``Autocomplete`` may serve many threads at once.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Literal

from autocomplete.bundled import bundled_index
from autocomplete.catalog import LoadReport, load_catalog
from autocomplete.index import CatalogIndex, kind_name
from autocomplete.index_build import Progress, build_index
from autocomplete.limits import MAX_K, MAX_QUERY_CHARS, MAX_RAW_QUERY_CHARS
from autocomplete.normalize import normalize_query
from autocomplete.scoring import EXACT_BONUS, EXACT_KINDS, MatchKind
from autocomplete.suggestion import Suggestion

_EXACT_KIND_CODES = frozenset(int(kind) for kind in EXACT_KINDS)
_KIND_NAMES = tuple(kind_name(kind) for kind in MatchKind)
_ALIAS = int(MatchKind.ALIAS)


class Autocomplete:
    """Typeahead suggestions over one catalog.

    ``Autocomplete()`` serves the bundled movie catalog (its index is built on first use and
    cached on disk); ``Autocomplete.from_catalog`` builds one for any CSV/JSONL catalog.
    """

    def __init__(self, index: CatalogIndex | None = None) -> None:
        self._index = index if index is not None else bundled_index()
        self.load_report: LoadReport | None = None

    @classmethod
    def from_catalog(
        cls,
        source: str | os.PathLike[str] | Iterable[Mapping[str, object]],
        *,
        text_field: str = "title",
        weight_field: str | None = None,
        id_field: str | None = "id",
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
    def load(cls, directory: str | os.PathLike[str]) -> Autocomplete:
        """Open an index saved with ``save`` (memory-mapped)."""
        return cls(CatalogIndex.load(directory))

    def save(self, directory: str | os.PathLike[str]) -> Path:
        return self._index.save(directory)

    @property
    def index(self) -> CatalogIndex:
        return self._index

    def __len__(self) -> int:
        return self._index.title_count

    # The query path ---------------------------------------------------------------------------

    def suggest(self, query: str, k: int = 10) -> list[Suggestion]:
        """The ``k`` best suggestions for ``query`` as typed so far, best first.

        An empty or blank query returns the ``k`` most popular titles. Queries longer than
        ``MAX_QUERY_CHARS`` (after normalization) are cut there, so any input costs bounded work.
        """
        normalized = _parse(query, k)
        if not normalized.strip():
            return self._popular(k)
        return self._exact_prefix(normalized, k)

    def _popular(self, k: int) -> list[Suggestion]:
        index = self._index
        titles = index.arrays.top_titles[:k].tolist()
        if k > len(titles):
            titles = index.arrays.title_prior.argsort()[::-1][:k].tolist()
        prior = index.arrays.title_prior
        return [
            self._present(title, float(prior[title]), "title", (), float(prior[title]))
            for title in titles
        ]

    def _exact_prefix(self, normalized: str, k: int) -> list[Suggestion]:
        index = self._index
        arrays = index.arrays
        entries = index.top_entries(normalized, k)
        scored = [(float(arrays.entry_score[entry]), entry) for entry in entries]
        exact = index.key_range(normalized.rstrip() + " ")
        if exact is not None:
            scored.extend(
                (float(arrays.entry_score[entry]) + EXACT_BONUS, entry)
                for entry in range(*exact)
                if int(arrays.entry_kind[entry]) in _EXACT_KIND_CODES
            )
            scored.sort(reverse=True)
        typed_length = len(normalized.rstrip())
        results: list[Suggestion] = []
        seen: set[int] = set()
        for score, entry in scored:
            title = int(arrays.entry_title[entry])
            if title in seen:
                continue
            seen.add(title)
            kind = int(arrays.entry_kind[entry])
            offset = int(arrays.entry_offset[entry])
            spans = () if kind == _ALIAS else ((offset, offset + typed_length),)
            results.append(
                self._present(title, score, _KIND_NAMES[kind], spans, float(arrays.title_prior[title]))
            )
            if len(results) == k:
                break
        return results

    def _present(
        self,
        title: int,
        score: float,
        match: str,
        spans: tuple[tuple[int, int], ...],
        prior: float,
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
            prior=prior,
        )


def _parse(query: object, k: object) -> str:
    if not isinstance(query, str):
        raise TypeError(f"query must be a str, got {type(query).__name__}")
    if isinstance(k, bool) or not isinstance(k, int):
        raise TypeError(f"k must be an int, got {type(k).__name__}")
    if not 1 <= k <= MAX_K:
        raise ValueError(f"k must be between 1 and {MAX_K}, got {k}")
    return normalize_query(query[:MAX_RAW_QUERY_CHARS])[:MAX_QUERY_CHARS]
