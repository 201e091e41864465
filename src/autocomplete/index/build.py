"""Build a ``CatalogIndex`` from catalog records.

The build runs in stages, each reported to an optional progress callback:

1. *entries*: normalize every title and emit one entry per way of reaching it (whole title, title
   without its leading article, each later word start, each alias), with its static score;
2. *sort*: order the distinct keys lexicographically and lay the entries out in that order;
3. *trie*: put the distinct keys in a marisa-trie and record each key's entry range;
4. *wide prefixes*: find every prefix whose range is wider than ``WIDE_PREFIX_ENTRIES`` from the
   longest common prefixes of neighbouring keys, and store its best ``PRECOMPUTED_TOP`` titles.
"""

from __future__ import annotations

import gc
import json
import time
from collections.abc import Callable, Sequence
from types import MappingProxyType

import marisa_trie
import numpy as np

from autocomplete.catalog.columns import MetadataColumns
from autocomplete.catalog.loader import Record
from autocomplete.index.catalog_index import (
    INITIALS_MARK,
    CatalogIndex,
    IndexArrays,
    StringColumn,
    best_distinct,
)
from autocomplete.index.spelling import SpellingIndex
from autocomplete.index.static_score import (
    EXACT_KIND_CODES,
    MIN_INITIALS,
    MatchKind,
    log_priors,
    match_weights,
)
from autocomplete.index.static_score import prior_total as weights_total
from autocomplete.index.word_index import YEAR_FIELD, build_word_index, year_values
from autocomplete.limits import PRECOMPUTED_TOP, WIDE_PREFIX_ENTRIES
from autocomplete.text.normalize import normalize
from autocomplete.text.titles import split_leading_article

MAX_WORD_STARTS = 12
"""Word-start entries per title; later words of very long titles are reachable only by prefix."""

Progress = Callable[[str, int, int], None]
"""Called as ``progress(stage, done, total)``."""


def _no_progress(stage: str, done: int, total: int) -> None:
    return None


def build_index(
    records: Sequence[Record],
    *,
    source: str | None = None,
    progress: Progress | None = None,
    prior_total: float | None = None,
) -> CatalogIndex:
    """Build the immutable index for ``records`` (ids must already be unique).

    ``prior_total`` normalizes the log priors instead of these records' own total weight (a
    live catalog's delta is built on its main index's scale, so their scores compare); the
    total used is kept as ``info["prior_total"]``."""
    report = progress or _no_progress
    started = time.perf_counter()
    # The build allocates millions of small objects and frees none until the end; the cyclic
    # garbage collector would rescan them again and again for nothing.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _build(records, source, report, started, prior_total)
    finally:
        if collecting:
            gc.enable()


def _build(
    records: Sequence[Record],
    source: str | None,
    report: Progress,
    started: float,
    total: float | None,
) -> CatalogIndex:
    count = len(records)
    weights = np.fromiter((record.weight for record in records), dtype=np.float64, count=count)
    if total is None:
        total = weights_total(weights)
    priors = log_priors(weights, total).astype(np.float32)
    kind_weight = match_weights()

    # Stage 1: entries, grouped by key text.
    entries_by_key: dict[str, list[tuple[float, int, int, int]]] = {}
    normalized_titles: list[str] = []
    normalized_aliases: list[list[str]] = []
    unreachable = 0
    step = max(1, count // 100)
    for title, record in enumerate(records):
        if title % step == 0:
            report("entries", title, count)
        normalized = normalize(record.text)
        aliases = [text for text in map(normalize, record.aliases) if text]
        normalized_titles.append(normalized)
        normalized_aliases.append(aliases)
        prior = float(priors[title])
        if not normalized and not aliases:
            unreachable += 1
        for kind, offset, text in _entry_texts(record.text, normalized, aliases):
            score = prior + float(kind_weight[kind])
            entries_by_key.setdefault(text + " ", []).append((-score, title, kind, offset))
    report("entries", count, count)

    # Stage 2: lexicographic layout. Within one key, better entries come first.
    report("sort", 0, 1)
    sorted_keys = sorted(entries_by_key)
    entry_total = sum(len(group) for group in entries_by_key.values())
    entry_title = np.empty(entry_total, dtype=np.int32)
    entry_score = np.empty(entry_total, dtype=np.float32)
    entry_kind = np.empty(entry_total, dtype=np.int8)
    entry_offset = np.empty(entry_total, dtype=np.int16)
    key_first_sorted = np.empty(len(sorted_keys) + 1, dtype=np.int32)
    position = 0
    for rank, key in enumerate(sorted_keys):
        key_first_sorted[rank] = position
        group = entries_by_key[key]
        # Entries a query can match *exactly* (whole title, title without article, alias,
        # initials) come first, best first, then the word starts: the exact-bonus lookup reads
        # only the head of a key ("the " is a word start of thousands of titles).
        group.sort(key=_exact_first)
        for negative_score, title, kind, offset in group:
            entry_title[position] = title
            entry_score[position] = -negative_score
            entry_kind[position] = kind
            entry_offset[position] = offset
            position += 1
    key_first_sorted[len(sorted_keys)] = position
    del entries_by_key
    report("sort", 1, 1)

    # Stage 3: the key trie; its ids are not lexicographic, so map them to key ranks.
    report("trie", 0, 1)
    keys = marisa_trie.Trie(sorted_keys)
    rank_of_key_id = np.empty(len(sorted_keys), dtype=np.int32)
    for rank, key in enumerate(sorted_keys):
        rank_of_key_id[keys[key]] = rank
    key_first = key_first_sorted[rank_of_key_id]
    key_end = key_first_sorted[rank_of_key_id + 1]
    report("trie", 1, 1)

    # Stage 4: wide prefixes and their precomputed top lists.
    wide_texts, wide_first, wide_end, wide_top_rows = _wide_prefixes(
        sorted_keys, key_first_sorted, entry_score, entry_title, report
    )
    wide = marisa_trie.Trie(wide_texts)
    order = np.empty(len(wide_texts), dtype=np.int64)
    for row, text in enumerate(wide_texts):
        order[wide[text]] = row
    wide_top = np.full((len(wide_texts), PRECOMPUTED_TOP), -1, dtype=np.int32)
    for row, best in enumerate(wide_top_rows):
        wide_top[row, : len(best)] = best
    top_titles = np.argsort(-priors, kind="stable")[:PRECOMPUTED_TOP].astype(np.int32)

    report("spelling", 0, 1)
    spelling = SpellingIndex.build(
        (
            normalized.split() + [word for alias in aliases for word in alias.split()],
            float(prior),
        )
        for normalized, aliases, prior in zip(
            normalized_titles, normalized_aliases, priors, strict=True
        )
    )
    report("spelling", 1, 1)

    report("columns", 0, 1)
    columns = MetadataColumns.build(records)
    report("columns", 1, 1)

    report("words", 0, 1)
    words_started = time.perf_counter()
    words = build_word_index(normalized_titles, priors, year_values(records, YEAR_FIELD))
    words_seconds = time.perf_counter() - words_started
    report("words", 1, 1)

    display = [record.text for record in records]
    duplicate_counts: dict[str, int] = {}
    for text in display:
        duplicate_counts[text] = duplicate_counts.get(text, 0) + 1
    title_duplicate = np.array([duplicate_counts[text] > 1 for text in display], dtype=np.bool_)

    id_keys = marisa_trie.Trie([record.id for record in records])
    title_of_id_key = np.empty(count, dtype=np.int32)
    for title, record in enumerate(records):
        title_of_id_key[id_keys[record.id]] = title

    by_title = np.argsort(entry_title, kind="stable").astype(np.int32)
    title_entry_first = np.zeros(count + 1, dtype=np.int32)
    np.cumsum(np.bincount(entry_title, minlength=count), out=title_entry_first[1:])

    arrays = IndexArrays(
        title_prior=priors,
        title_duplicate=title_duplicate,
        key_first=key_first,
        key_end=key_end,
        entry_title=entry_title,
        entry_score=entry_score,
        entry_kind=entry_kind,
        entry_offset=entry_offset,
        wide_first=np.asarray(wide_first, dtype=np.int32)[order],
        wide_end=np.asarray(wide_end, dtype=np.int32)[order],
        wide_top=wide_top[order],
        top_titles=top_titles,
        title_of_id_key=title_of_id_key,
        title_entry_first=title_entry_first,
        title_entries=by_title,
    )
    info = {
        "source": source,
        "titles": count,
        "entries": int(entry_total),
        "keys": len(sorted_keys),
        "wide_prefixes": len(wide_texts),
        "unreachable_titles": unreachable,
        "word_index_bytes": words.nbytes,
        "word_index_seconds": round(words_seconds, 3),
        "prior_total": total,
        "build_seconds": round(time.perf_counter() - started, 3),
    }
    return CatalogIndex(
        keys=keys,
        wide_prefixes=wide,
        id_keys=id_keys,
        arrays=arrays,
        titles=StringColumn.from_strings(display),
        normalized_titles=StringColumn.from_strings(normalized_titles),
        ids=StringColumn.from_strings([record.id for record in records]),
        metadata_json=StringColumn.from_strings(
            [json.dumps(dict(record.metadata), ensure_ascii=False) for record in records]
        ),
        aliases_json=StringColumn.from_strings(
            [
                json.dumps(list(record.aliases), ensure_ascii=False) if record.aliases else ""
                for record in records
            ]
        ),
        spelling=spelling,
        columns=columns,
        words=words,
        info=MappingProxyType(info),
    )


def _exact_first(entry: tuple[float, int, int, int]) -> tuple[bool, float, int]:
    negative_score, title, kind, _ = entry
    return kind not in EXACT_KIND_CODES, negative_score, title


def _entry_texts(display: str, normalized: str, aliases: list[str]) -> list[tuple[int, int, str]]:
    """(kind, offset in the normalized title, key text) for every way to reach a title."""
    found: list[tuple[int, int, str]] = []
    seen: set[str] = set()

    def add(kind: MatchKind, offset: int, text: str) -> None:
        if text and text not in seen:
            seen.add(text)
            found.append((int(kind), offset, text))

    add(MatchKind.TITLE, 0, normalized)
    article_end = -1
    split = split_leading_article(display)
    if split is not None:
        rest = normalize(split[1])
        if rest and normalized.endswith(rest) and len(rest) < len(normalized):
            article_end = len(normalized) - len(rest)
            add(MatchKind.NO_ARTICLE, article_end, rest)
    starts = [index + 1 for index, char in enumerate(normalized) if char == " "]
    for start in starts[:MAX_WORD_STARTS]:
        if start != article_end:
            add(MatchKind.WORD, start, normalized[start:])
    for alias in aliases:
        add(MatchKind.ALIAS, -1, alias)
    # Initials live under their own mark so they never crowd ordinary prefix matches.
    for offset in (0, article_end):
        if offset < 0:
            continue
        letters = "".join(word[0] for word in normalized[offset:].split())
        if len(letters) >= MIN_INITIALS:
            add(MatchKind.INITIALS, offset, INITIALS_MARK + letters)
    return found


def _common_prefix_length(left: str, right: str) -> int:
    # Binary search on slice equality: each comparison runs in C.
    low, high = 0, min(len(left), len(right))
    while low < high:
        middle = (low + high + 1) // 2
        if left[:middle] == right[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _wide_prefixes(
    sorted_keys: list[str],
    key_first_sorted: np.ndarray,
    entry_score: np.ndarray,
    entry_title: np.ndarray,
    report: Progress,
) -> tuple[list[str], list[int], list[int], list[list[int]]]:
    """Every prefix matching more than ``WIDE_PREFIX_ENTRIES`` entries, with its top titles.

    Keys sharing a prefix of length L are a run of neighbours whose pairwise common prefix is at
    least L; so the groups at level L start wherever the common prefix with the previous key
    drops below L, and the wide ones are found level by level until none is left.
    """
    key_count = len(sorted_keys)
    common = np.zeros(key_count, dtype=np.int32)
    for rank in range(1, key_count):
        common[rank] = _common_prefix_length(sorted_keys[rank - 1], sorted_keys[rank])
    lengths = np.fromiter((len(key) for key in sorted_keys), dtype=np.int32, count=key_count)
    texts: list[str] = []
    firsts: list[int] = []
    ends: list[int] = []
    tops: list[list[int]] = []
    # Candidate group starts at the previous level; a group at level L lies inside one at L-1.
    level = 1
    while True:
        starts = np.flatnonzero(common < level)
        following = np.append(starts[1:], key_count)
        entry_lo = key_first_sorted[starts]
        entry_hi = key_first_sorted[following]
        wide = (entry_hi - entry_lo > WIDE_PREFIX_ENTRIES) & (lengths[starts] >= level)
        if not wide.any():
            break
        for start, lo, hi in zip(
            starts[wide].tolist(), entry_lo[wide].tolist(), entry_hi[wide].tolist(), strict=True
        ):
            texts.append(sorted_keys[start][:level])
            firsts.append(lo)
            ends.append(hi)
            tops.append(best_distinct(entry_score, entry_title, lo, hi, PRECOMPUTED_TOP))
        report("wide prefixes", level, level + 1)
        level += 1
    return texts, firsts, ends, tops
