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
from array import array
from collections.abc import Callable, Iterable, Sequence
from types import MappingProxyType

import marisa_trie
import numpy as np

from autocomplete.catalog.columns import MetadataColumnsBuilder
from autocomplete.catalog.loader import Record
from autocomplete.index.catalog_index import (
    INITIALS_MARK,
    CatalogIndex,
    IndexArrays,
    StringColumn,
    best_distinct,
)
from autocomplete.index.key_strings import ByteStrings
from autocomplete.index.spelling import SpellingIndex
from autocomplete.index.static_score import (
    EXACT_KIND_CODES,
    MIN_INITIALS,
    MatchKind,
    log_priors,
    match_weights,
)
from autocomplete.index.static_score import prior_total as weights_total
from autocomplete.index.word_index import build_word_index, year_value
from autocomplete.limits import PRECOMPUTED_TOP, WIDE_PREFIX_ENTRIES
from autocomplete.text.normalize import normalize
from autocomplete.text.titles import split_leading_article

KEY_END = " \n"
"""What follows every key text in the key buffer: the key's trailing space, then the buffer's
separator (``key_strings.SEPARATOR``)."""

_to_json = json.JSONEncoder(ensure_ascii=False).encode
"""``json.dumps(value, ensure_ascii=False)``, without making a new encoder for every title."""

STREAM_REPORT_STEP = 100_000
"""Titles between progress reports when the record count is not known in advance."""

MAX_WORD_STARTS = 12
"""Word-start entries per title; later words of very long titles are reachable only by prefix."""

Progress = Callable[[str, int, int], None]
"""Called as ``progress(stage, done, total)``."""


def _no_progress(stage: str, done: int, total: int) -> None:
    return None


def build_index(
    records: Iterable[Record],
    *,
    source: str | None = None,
    progress: Progress | None = None,
    prior_total: float | None = None,
) -> CatalogIndex:
    """Build the immutable index for ``records`` (ids must already be unique).

    ``records`` is read once, in order: a list, or a ``CatalogStream`` that never holds the
    whole catalog as ``Record`` objects (ten million of them take gigabytes).

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
    records: Iterable[Record],
    source: str | None,
    report: Progress,
    started: float,
    total: float | None,
) -> CatalogIndex:
    kind_weight = match_weights()
    known_count = len(records) if isinstance(records, Sequence) else 0
    # The metadata columns are built as the records go by (a stream is read once).
    columns_builder = MetadataColumnsBuilder()

    # Stage 1, one pass over the records: entries, as flat columns (every key goes into one
    # byte buffer), and each title's stored texts, encoded as they come.
    key_buffer = bytearray()
    entry_kind_column = array("b")
    entry_offset_column = array("h")
    entries_per_title = array("i")
    weight_column = array("d")
    year_column: list[int | None] = []
    display_hashes = array("q")
    display = _TextColumn()
    normalized_titles = _TextColumn()
    ids = _TextColumn()
    metadata_json = _TextColumn()
    aliases_json = _TextColumn()
    normalized_aliases: dict[int, list[str]] = {}
    unreachable = 0
    step = max(1, known_count // 100) if known_count else STREAM_REPORT_STEP
    for title, record in enumerate(records):
        if title % step == 0:
            report("entries", title, max(known_count, title + 1))
        normalized = normalize(record.text)
        aliases = [text for text in map(normalize, record.aliases) if text]
        normalized_titles.append(normalized)
        if aliases:
            normalized_aliases[title] = aliases
        elif not normalized:
            unreachable += 1
        kinds, offsets, texts = _entry_texts(record.text, normalized, aliases)
        key_buffer += "".join([text + KEY_END for text in texts]).encode("utf-8")
        entry_kind_column.extend(kinds)
        entry_offset_column.extend(offsets)
        entries_per_title.append(len(kinds))
        weight_column.append(record.weight)
        year_column.append(year_value(record.metadata))
        columns_builder.add(record.metadata)
        display.append(record.text)
        display_hashes.append(hash(record.text))
        ids.append(record.id)
        metadata_json.append(_to_json(dict(record.metadata)))
        aliases_json.append(_to_json(list(record.aliases)) if record.aliases else "")
    count = len(entries_per_title)
    report("entries", count, count)
    weights = np.frombuffer(weight_column, dtype=np.float64) if count else np.zeros(0)
    if total is None:
        total = weights_total(weights)
    priors = log_priors(weights, total).astype(np.float32)
    del weights, weight_column

    # Stage 2: lexicographic layout. Within one key, entries a query can match *exactly*
    # (whole title, title without article, alias, initials) come first, best first, then the
    # word starts: the exact-bonus lookup reads only the head of a key ("the " is a word start
    # of thousands of titles).
    report("sort", 0, 1)
    key_strings = ByteStrings.from_separated(key_buffer)
    del key_buffer
    entry_total = len(key_strings)
    entry_title_unsorted = np.repeat(
        np.arange(count, dtype=np.int32), np.frombuffer(entries_per_title, dtype=np.int32)
    )
    entry_kind_unsorted = np.frombuffer(entry_kind_column, dtype=np.int8)
    # Scores summed in float64 as Python floats would be, then stored as float32.
    score = (
        priors.astype(np.float64)[entry_title_unsorted]
        + kind_weight.astype(np.float64)[entry_kind_unsorted]
    )
    inexact = ~np.isin(entry_kind_unsorted, np.array(sorted(EXACT_KIND_CODES), dtype=np.int8))
    within_key = np.lexsort((entry_title_unsorted, -score, inexact))
    del inexact
    layout, new_key = key_strings.sort(within_key)
    del within_key
    entry_title = entry_title_unsorted[layout]
    entry_score = score[layout].astype(np.float32)
    entry_kind = entry_kind_unsorted[layout]
    entry_offset = np.frombuffer(entry_offset_column, dtype=np.int16)[layout]
    del entry_title_unsorted, score, entry_kind_column, entry_offset_column
    key_first_in_layout = np.flatnonzero(new_key)
    key_strings_sorted = layout[key_first_in_layout]  # each distinct key's string, in order
    del layout, new_key
    key_count = len(key_first_in_layout)
    key_first_sorted = np.append(key_first_in_layout, entry_total).astype(np.int32)
    report("sort", 1, 1)

    # Stage 3: the key trie; its ids are not lexicographic, so map them to key ranks.
    report("trie", 0, 1)
    keys = marisa_trie.Trie(key_strings.decoded(key_strings_sorted))
    rank_of_key_id = np.empty(key_count, dtype=np.int32)
    rank_of_key_id[
        np.fromiter(
            map(keys.key_id, key_strings.decoded(key_strings_sorted)),
            dtype=np.int64,
            count=key_count,
        )
    ] = np.arange(key_count, dtype=np.int32)
    key_first = key_first_sorted[rank_of_key_id]
    key_end = key_first_sorted[rank_of_key_id + 1]
    report("trie", 1, 1)

    # Stage 4: wide prefixes and their precomputed top lists.
    wide_texts, wide_first, wide_end, wide_top = _wide_prefixes(
        key_strings, key_strings_sorted, key_first_sorted, entry_score, entry_title, report
    )
    del key_strings, key_strings_sorted
    wide = marisa_trie.Trie(wide_texts)
    order = np.empty(len(wide_texts), dtype=np.int64)
    order[np.fromiter(map(wide.key_id, wide_texts), dtype=np.int64, count=len(wide_texts))] = (
        np.arange(len(wide_texts))
    )
    top_titles = np.argsort(-priors, kind="stable")[:PRECOMPUTED_TOP].astype(np.int32)

    report("spelling", 0, 1)
    titles_normalized = normalized_titles.column()
    del normalized_titles
    spelling = SpellingIndex.build(
        (
            normalized.split()
            + [word for alias in normalized_aliases.get(title, ()) for word in alias.split()],
            float(prior),
        )
        for title, (normalized, prior) in enumerate(
            zip(titles_normalized, priors.tolist(), strict=True)
        )
    )
    del normalized_aliases
    report("spelling", 1, 1)

    report("columns", 0, 1)
    titles_metadata = metadata_json.column()
    del metadata_json
    columns = columns_builder.build()
    del columns_builder
    report("columns", 1, 1)

    report("words", 0, 1)
    words_started = time.perf_counter()
    words = build_word_index(titles_normalized, priors, year_column)
    del year_column
    words_seconds = time.perf_counter() - words_started
    report("words", 1, 1)

    titles_display = display.column()
    del display
    title_duplicate = _duplicated(titles_display, np.frombuffer(display_hashes, dtype=np.int64))
    del display_hashes

    titles_ids = ids.column()
    del ids
    id_keys = marisa_trie.Trie(iter(titles_ids))
    title_of_id_key = np.empty(count, dtype=np.int32)
    title_of_id_key[np.fromiter(map(id_keys.key_id, titles_ids), dtype=np.int64, count=count)] = (
        np.arange(count, dtype=np.int32)
    )

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
        wide_first=wide_first[order],
        wide_end=wide_end[order],
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
        "keys": key_count,
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
        titles=titles_display,
        normalized_titles=titles_normalized,
        ids=titles_ids,
        metadata_json=titles_metadata,
        aliases_json=aliases_json.column(),
        spelling=spelling,
        columns=columns,
        words=words,
        info=MappingProxyType(info),
    )


class _TextColumn:
    """Strings appended one at a time to one UTF-8 buffer: a ``StringColumn`` in the making,
    a few bytes per string rather than a Python object each."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._ends = array("q")

    def append(self, text: str) -> None:
        self._buffer += text.encode("utf-8")
        self._ends.append(len(self._buffer))

    def column(self) -> StringColumn:
        offsets = np.zeros(len(self._ends) + 1, dtype=np.int64)
        offsets[1:] = np.frombuffer(self._ends, dtype=np.int64) if self._ends else 0
        return StringColumn(bytes(self._buffer), offsets)


def _duplicated(display: StringColumn, hashes: np.ndarray) -> np.ndarray:
    """Per title: another title has the same display text.

    Only titles whose text hash is shared are compared as text, so no set of every title's
    text is ever held."""
    count = len(hashes)
    duplicated = np.zeros(count, dtype=np.bool_)
    order = np.argsort(hashes, kind="stable")
    shared = np.flatnonzero(hashes[order][1:] == hashes[order][:-1])
    candidates = np.zeros(count, dtype=np.bool_)
    candidates[order[shared]] = True
    candidates[order[shared + 1]] = True
    positions = np.flatnonzero(candidates).tolist()
    texts = [display[position] for position in positions]
    counts: dict[str, int] = {}
    for text in texts:
        counts[text] = counts.get(text, 0) + 1
    duplicated[positions] = [counts[text] > 1 for text in texts]
    return duplicated


def _entry_texts(
    display: str, normalized: str, aliases: list[str]
) -> tuple[list[int], list[int], list[str]]:
    """Kinds, offsets in the normalized title, and key texts of every way to reach a title."""
    kinds: list[int] = []
    offsets: list[int] = []
    texts: list[str] = []
    seen: set[str] = set()

    def add(kind: MatchKind, offset: int, text: str) -> None:
        if text and text not in seen:
            seen.add(text)
            kinds.append(int(kind))
            offsets.append(offset)
            texts.append(text)

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
    return kinds, offsets, texts


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


def _key_characters(strings: ByteStrings, sorted_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each sorted key's length and its common prefix with the previous key, in characters.

    Bytes and characters agree for ASCII keys; the few pairs with another character are
    measured on their decoded text."""
    key_count = len(sorted_keys)
    common = np.zeros(key_count, dtype=np.int32)
    lengths = strings.lengths[sorted_keys].astype(np.int32)
    if key_count > 1:
        common[1:] = strings.common_prefix_bytes(sorted_keys[:-1], sorted_keys[1:])
    if not strings.is_ascii():
        wide_characters = strings.non_ascii()[sorted_keys]
        for rank in np.flatnonzero(wide_characters).tolist():
            texts = list(strings.decoded(sorted_keys[max(rank - 1, 0) : rank + 2]))
            here = texts[1] if rank > 0 else texts[0]
            lengths[rank] = len(here)
            if rank > 0:
                common[rank] = _common_prefix_length(texts[0], here)
            if rank + 1 < key_count:
                common[rank + 1] = _common_prefix_length(here, texts[-1])
    return common, lengths


def _wide_prefixes(
    strings: ByteStrings,
    sorted_keys: np.ndarray,
    key_first_sorted: np.ndarray,
    entry_score: np.ndarray,
    entry_title: np.ndarray,
    report: Progress,
) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """Every prefix matching more than ``WIDE_PREFIX_ENTRIES`` entries: its text, entry range
    and top titles (a row of ``PRECOMPUTED_TOP`` entries, -1 padded).

    Keys sharing a prefix of length L are a run of neighbours whose pairwise common prefix is at
    least L; so the groups at level L start wherever the common prefix with the previous key
    drops below L, and the wide ones are found level by level until none is left.
    """
    key_count = len(sorted_keys)
    common, lengths = _key_characters(strings, sorted_keys)
    texts: list[str] = []
    firsts: list[np.ndarray] = []
    ends: list[np.ndarray] = []
    # One array per level: millions of top lists as Python lists would take gigabytes.
    tops: list[np.ndarray] = []
    level = 1
    while True:
        starts = np.flatnonzero(common < level)
        following = np.append(starts[1:], key_count)
        entry_lo = key_first_sorted[starts]
        entry_hi = key_first_sorted[following]
        wide = (entry_hi - entry_lo > WIDE_PREFIX_ENTRIES) & (lengths[starts] >= level)
        if not wide.any():
            break
        level_top = np.full((int(wide.sum()), PRECOMPUTED_TOP), -1, dtype=np.int32)
        for row, (text, lo, hi) in enumerate(
            zip(
                strings.decoded(sorted_keys[starts[wide]]),
                entry_lo[wide].tolist(),
                entry_hi[wide].tolist(),
                strict=True,
            )
        ):
            texts.append(text[:level])
            best = best_distinct(entry_score, entry_title, lo, hi, PRECOMPUTED_TOP)
            level_top[row, : len(best)] = best
        firsts.append(entry_lo[wide].astype(np.int32))
        ends.append(entry_hi[wide].astype(np.int32))
        tops.append(level_top)
        report("wide prefixes", level, level + 1)
        level += 1
    if not tops:
        empty = np.zeros(0, dtype=np.int32)
        return texts, empty, empty, np.full((0, PRECOMPUTED_TOP), -1, dtype=np.int32)
    return texts, np.concatenate(firsts), np.concatenate(ends), np.concatenate(tops)
