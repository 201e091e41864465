"""The translation channel's index as flat arrays: built in NumPy, saved beside the index, mapped.

``TranslationIndex.build`` reads every title in Python (its language guessed word by word, its
words read through the lexicon): about 9 s a million titles, in every process that serves the
index, and as Python dicts in each one's heap. Here the same index is built from the catalog
index's word index instead (``index.word_index``: every title's word ids in its forward list),
with the lexicon's facts computed once per vocabulary word rather than once per title word:

- per vocabulary word, a bitmask of the languages whose lexicon holds it (and of those for which
  it shows the language: ``ENGLISH_LOOKALIKES`` do not), and whether it is a leading article;
- per title, each language's hits are sums of those bits over its forward list, so a title's
  language is guessed in NumPy for every title at once (only titles with a distinctive word, or
  a language in the catalog, are looked at);
- each foreign title's English words are its own words and, for each word the lexicon reads,
  that word's readings (a table per (language, word) pair, with the glued elisions of
  ``_lookup``), laid end to end and deduplicated keeping the first, as ``english_words`` does.

Titles the word index does not hold whole (more than ``MAX_TITLE_WORDS`` words, or a word cut at
``MAX_WORD_BYTES``) are read by ``Lexicon.title_reading`` itself. The result equals
``TranslationIndex.build`` over the same titles, word for word and title for title
(tests/test_translation_table.py holds it to that on the bundled catalog).

Layout (``translations/`` inside a saved index directory, with its own manifest, like the
speller's ``word_options/``): the English words sorted, one text file; per word (by rank) its
postings (title positions, ascending: one int32 array with offsets) and its titles' best prior;
per foreign title (ascending) its word count and its readings, offsets into a word-rank array and
a translated-flag array. ``TranslationIndex`` reads them as the same mappings ``build`` makes:
the per-title readings through read-only views over the arrays (memory-mapped, shared by every
process), the per-word lookups through dicts the size of the vocabulary made when the table is
first used (see ``TranslationArrays.index``). The query side is the same code either way.

A saved table answers only for the lexicon file, the code and the index it was built from: its
manifest records the lexicon's digest, a digest of the building code, and the checksums of the
index files it read. One that does not match, or fails its checksums or structure checks, is not
used (said once through ``logging``): the index is then built in memory, with the same answers.
"""

from __future__ import annotations

import bisect
import functools
import logging
import os
import shutil
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, cast

import numpy as np
import numpy.typing as npt
import xxhash

from autocomplete.cache import Memo
from autocomplete.catalog.columns import CategoryColumn
from autocomplete.index.catalog_index import CatalogIndex
from autocomplete.index.integrity import (
    IndexFormatError,
    check_array,
    check_offsets,
    check_within,
    code_digest,
    files_fingerprint,
    load_array,
    read_manifest,
    replace_folder,
    write_manifest,
)
from autocomplete.index.word_index import MAX_TITLE_WORDS, MAX_WORD_BYTES, WordIndex
from autocomplete.spell.translation import (
    _ARTICLES,
    _ELISIONS,
    ENGLISH_LOOKALIKES,
    LANGUAGE_FIELD,
    MIN_GUESS_WORDS,
    MIN_LAST_PREFIX,
    Lexicon,
    TranslationIndex,
)

TABLE_DIRECTORY = "translations"
"""Where the table lives inside a saved index directory."""

FORMAT_VERSION = 1
"""Tables of another version are not read (the index is built in memory instead)."""

_BUILD_SOURCES: Final = ("spell/translation.py", "spell/translation_table.py", "text/normalize.py")
"""The source files whose code decides the table's contents (relative to the package)."""

_INDEX_FILES: Final = (
    "normalized_titles.bin",
    "normalized_titles.offsets.npy",
    "title_prior.npy",
    "columns/",
    "words/",
)
"""The saved index's files the table is computed from: the titles' words (and the word index's
forward lists of them), their priors, and the metadata columns (the ``language`` field)."""

_ARRAYS: Final[dict[str, type[np.generic]]] = {
    "posting_first": np.int64,
    "postings": np.int32,
    "word_best": np.float64,
    "reading_title": np.int32,
    "reading_first": np.int64,
    "reading_word": np.int32,
    "reading_translated": np.bool_,
    "title_words": np.int32,
}

WORD_SEPARATOR: Final = "\n"
"""Between the English words in ``vocabulary.txt`` (no word holds it: words are split on
whitespace)."""

DECODED_READINGS: Final = 32_768
"""Foreign titles whose readings are kept decoded (a few hundred bytes each; the bundled catalog
has 4,889, and a query examines at most ``MAX_EXAMINED``)."""

logger = logging.getLogger("autocomplete")

IntArray = npt.NDArray[np.int64]


# The arrays and their views --------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class TranslationArrays:
    """The translation index as flat arrays (see the module docstring)."""

    # The English words, sorted: rank -> word. Decoded from the saved text in one call when the
    # table is opened (a few milliseconds a hundred thousand words): a word's rank is then a
    # binary search in C, and the query path's prefix scans read Python strings.
    vocabulary: tuple[str, ...]
    posting_first: npt.NDArray[np.int64]  # by rank, into postings (one more)
    postings: npt.NDArray[np.int32]  # title positions, ascending within a word
    word_best: npt.NDArray[np.float64]  # by rank: its titles' best prior (empty: no priors)
    reading_title: npt.NDArray[np.int32]  # the foreign titles, ascending
    reading_first: npt.NDArray[np.int64]  # by foreign title, into reading_* (one more)
    reading_word: npt.NDArray[np.int32]  # the rank of each English word a title reads as
    reading_translated: npt.NDArray[np.bool_]  # ... read through the lexicon
    title_words: npt.NDArray[np.int32]  # by foreign title: how many words it has
    info: dict[str, Any] = field(default_factory=dict)

    @functools.cached_property
    def index(self) -> TranslationIndex:
        """The ``TranslationIndex`` over these arrays.

        The query path looks English words up several times per word it reads, so the words'
        postings and best priors are plain dicts the size of the vocabulary (built here in C
        loops; each posting list stays a slice of the mapped array): Mapping views would cost
        a Python call per lookup. The per-title readings, whose number grows with the catalog,
        stay views over the arrays."""
        words = self.vocabulary
        first = self.posting_first.tolist()
        slices = map(_view(self.postings).__getitem__, map(slice, first, first[1:]))
        best = self.word_best.tolist()  # empty when built without priors
        readings = _Readings(self)
        return TranslationIndex(
            vocabulary=words,
            postings=MappingProxyType(dict(zip(words, slices, strict=True))),
            readings=readings,
            title_words=_TitleWords(readings),
            word_best=MappingProxyType(dict(zip(words, best, strict=False))),
            through=frozenset(
                words[rank] for rank in np.unique(self.reading_word[self.reading_translated])
            ),
            in_bulk=_InBulk(self),
        )

    def save(self, directory: Path, header: Mapping[str, Any]) -> None:
        text = WORD_SEPARATOR.join(self.vocabulary).encode("utf-8")
        (directory / "vocabulary.txt").write_bytes(text)
        for name in _ARRAYS:
            np.save(directory / f"{name}.npy", getattr(self, name))
        write_manifest(directory, {**header, "info": self.info})

    @classmethod
    def load(cls, directory: Path, title_count: int) -> tuple[TranslationArrays, dict[str, Any]]:
        """Memory-map a table saved in ``directory`` once its files pass their checksums and its
        arrays their structure checks; with its manifest. ``IndexFormatError`` otherwise."""
        manifest = read_manifest(directory, FORMAT_VERSION)
        try:
            arrays = {
                name: load_array(directory / f"{name}.npy").view(np.ndarray) for name in _ARRAYS
            }
            text = (directory / "vocabulary.txt").read_bytes().decode("utf-8")
            vocabulary = tuple(text.split(WORD_SEPARATOR)) if text else ()
            _check_structure(arrays, vocabulary, title_count)
        except (OSError, ValueError) as error:
            raise IndexFormatError(f"{directory}: damaged table: {error}") from None
        table = cls(vocabulary=vocabulary, info=dict(manifest.get("info", {})), **arrays)
        return table, manifest


def _view(array: npt.NDArray[Any]) -> memoryview:
    """Indexing a memoryview yields Python numbers in tens of nanoseconds (NumPy scalars cost
    several times that)."""
    return np.ascontiguousarray(array).data


def _check_structure(
    arrays: dict[str, npt.NDArray[Any]], vocabulary: tuple[str, ...], titles: int
) -> None:
    """Types, lengths and bounds: every offset, rank and title position inside what it indexes
    (the views index memoryviews with them), the words strictly ascending and the foreign titles
    too (both are found by binary search)."""
    words = len(vocabulary)
    foreign = len(arrays["reading_title"])
    readings = len(arrays["reading_word"])
    best = len(arrays["word_best"])
    rows = {
        "posting_first": words + 1,
        "word_best": best if best == 0 else words,
        "reading_first": foreign + 1,
        "reading_translated": readings,
        "title_words": foreign,
    }
    for name, element in _ARRAYS.items():
        check_array(arrays[name], f"{name}.npy", element, rows.get(name))
    if any(not word for word in vocabulary) or list(vocabulary) != sorted(set(vocabulary)):
        raise IndexFormatError("vocabulary.txt: words empty, repeated or not sorted")
    check_offsets(arrays["posting_first"], "posting_first.npy", words, len(arrays["postings"]))
    check_within(arrays["postings"], "postings.npy", 0, titles)
    check_within(arrays["reading_title"], "reading_title.npy", 0, titles)
    if foreign and bool(np.any(arrays["reading_title"][1:] <= arrays["reading_title"][:-1])):
        raise IndexFormatError("reading_title.npy: titles not strictly ascending")
    check_offsets(arrays["reading_first"], "reading_first.npy", foreign, readings)
    check_within(arrays["reading_word"], "reading_word.npy", 0, words)
    check_within(arrays["title_words"], "title_words.npy", 1, int(np.iinfo(np.int32).max))


class _Readings(Mapping[int, Mapping[str, bool]]):
    """Foreign title -> its English words, each read through the lexicon (True) or not."""

    __slots__ = ("_counts", "_decoded", "_first", "_titles", "_translated", "_word", "_words")

    def __init__(self, arrays: TranslationArrays) -> None:
        self._titles = _view(arrays.reading_title)
        self._first = _view(arrays.reading_first)
        self._word = _view(arrays.reading_word)
        self._translated = _view(arrays.reading_translated)
        self._counts = _view(arrays.title_words)
        self._words = arrays.vocabulary
        # A title's readings and word count, decoded once: the query path asks for both of each
        # title it examines, and the titles examined recur from keystroke to keystroke.
        self._decoded: Memo[int, tuple[Mapping[str, bool], int]] = Memo(
            DECODED_READINGS, "foreign titles' decoded readings"
        )

    def decoded(self, title: object) -> tuple[Mapping[str, bool], int] | None:
        """``title``'s readings and word count, or None when it is not a foreign title."""
        if not isinstance(title, int):
            return None
        found = self._decoded.get(title)
        if found is not None:
            return found
        titles = self._titles
        position = bisect.bisect_left(titles, title)
        if position == len(titles) or titles[position] != title:
            return None
        first, end = self._first[position], self._first[position + 1]
        # A memoryview of booleans yields bools.
        flags = cast("Sequence[bool]", self._translated[first:end])
        english = zip(map(self._words.__getitem__, self._word[first:end]), flags, strict=True)
        return self._decoded.put(title, (MappingProxyType(dict(english)), self._counts[position]))

    def __getitem__(self, title: int) -> Mapping[str, bool]:
        found = self.decoded(title)
        if found is None:
            raise KeyError(title)
        return found[0]

    def __contains__(self, title: object) -> bool:
        return self.decoded(title) is not None

    def __iter__(self) -> Iterator[int]:
        return iter(self._titles)

    def __len__(self) -> int:
        return len(self._titles)


class _InBulk:
    """``TitlesInBulk`` over the arrays: many titles' word counts, and whether a word of theirs
    completes a last word, in a few NumPy calls and without decoding a title."""

    __slots__ = ("_arrays",)

    def __init__(self, arrays: TranslationArrays) -> None:
        self._arrays = arrays

    def _positions(self, titles: Sequence[int]) -> IntArray:
        """Each title's position among the foreign titles (KeyError, as ``title_words[title]``
        raises, when one is not a foreign title)."""
        foreign = self._arrays.reading_title
        wanted = np.asarray(titles, dtype=foreign.dtype)  # (another type would convert all)
        positions = np.searchsorted(foreign, wanted)
        inside = np.minimum(positions, max(len(foreign) - 1, 0))
        if len(foreign) == 0 or not bool(np.all(foreign[inside] == wanted)):
            raise KeyError(titles)
        return positions

    def word_counts(self, titles: Sequence[int]) -> list[int]:
        counts: list[int] = self._arrays.title_words[self._positions(titles)].tolist()
        return counts

    def completing(self, titles: Sequence[int], last: str) -> list[bool]:
        """Whether some English word of each title starts with ``last`` (read through the
        lexicon only from ``MIN_LAST_PREFIX`` letters), or, when ``last`` ends in "s", is
        ``last`` without it: ``_last_options`` is not empty."""
        arrays = self._arrays
        positions = self._positions(titles)
        first = arrays.reading_first[positions]
        lengths = arrays.reading_first[positions + 1] - first
        ends = np.cumsum(lengths)
        starts = ends - lengths
        total = int(ends[-1]) if len(ends) else 0
        flat = np.repeat(first - starts, lengths) + np.arange(total, dtype=np.int64)
        ranks = arrays.reading_word[flat]
        vocabulary = arrays.vocabulary
        low, high = _prefix_ranks(vocabulary, last)
        hit = (ranks >= low) & (ranks < high)
        if len(last) < MIN_LAST_PREFIX:
            hit &= ~arrays.reading_translated[flat]
        if last.endswith("s"):
            singular = bisect.bisect_left(vocabulary, last[:-1])
            if singular < len(vocabulary) and vocabulary[singular] == last[:-1]:
                hit |= ranks == singular
        running = np.zeros(total + 1, dtype=np.int64)
        np.cumsum(hit, out=running[1:])
        found: list[bool] = (running[ends] > running[starts]).tolist()
        return found


def _prefix_ranks(vocabulary: Sequence[str], prefix: str) -> tuple[int, int]:
    """The ranks ``[low, high)`` of the sorted ``vocabulary``'s words starting with ``prefix``
    (not empty): they lie from ``prefix`` up to its last letter's successor."""
    low = bisect.bisect_left(vocabulary, prefix)
    last = ord(prefix[-1])
    if last == sys.maxunicode:
        high = low
        while high < len(vocabulary) and vocabulary[high].startswith(prefix):
            high += 1
        return low, high
    return low, bisect.bisect_left(vocabulary, prefix[:-1] + chr(last + 1), low)


class _TitleWords(Mapping[int, int]):
    """Foreign title -> how many words it has."""

    __slots__ = ("_readings",)

    def __init__(self, readings: _Readings) -> None:
        self._readings = readings

    def __getitem__(self, title: int) -> int:
        found = self._readings.decoded(title)
        if found is None:
            raise KeyError(title)
        return found[1]

    def __iter__(self) -> Iterator[int]:
        return iter(self._readings)

    def __len__(self) -> int:
        return len(self._readings)


# Building ---------------------------------------------------------------------------------------


def build_translation_arrays(
    lexicon: Lexicon, index: CatalogIndex, *, priors: bool = True
) -> TranslationArrays:
    """The translation index of ``index``'s titles, equal to ``TranslationIndex.build`` over
    (title, normalized title, language) with the index's priors (none with ``priors=False``)."""
    word_index = index.words
    vocabulary = word_index.vocabulary
    word_count = len(vocabulary)
    languages = list(lexicon.readings)
    if len(languages) > 63:
        raise ValueError("the lexicon has more languages than a word's bitmask holds")
    bits = [np.uint64(1) << np.uint64(position) for position in range(len(languages))]

    # Per vocabulary word: the languages whose lexicon holds it, those it shows, an article.
    known = np.zeros(word_count, dtype=np.uint64)
    distinctive = np.zeros(word_count, dtype=np.uint64)
    article = np.zeros(word_count, dtype=np.bool_)
    for bit, language in zip(bits, languages, strict=True):
        for word, word_id in _word_ids(word_index, lexicon.readings[language]).items():
            known[word_id] |= bit
            if word not in ENGLISH_LOOKALIKES:
                distinctive[word_id] |= bit
            article[word_id] |= word in _ARTICLES

    # Titles by rank (the word index's order); those it does not hold whole are read apart.
    forward_first = word_index.forward_first
    forward = word_index.forward
    lengths = np.diff(forward_first)
    cut_word = np.char.str_len(vocabulary) >= MAX_WORD_BYTES
    apart = lengths >= MAX_TITLE_WORDS
    apart[_ranks_of(forward_first, np.flatnonzero(cut_word[forward]))] = True

    # The language of each title: the catalog's where it names one, else guessed.
    given = _given_language(index, languages, word_index.rank_title)
    guessing = _ranks_of(forward_first, np.flatnonzero((distinctive != 0)[forward]))
    guessing = guessing[(given[guessing] == _NOT_GIVEN) & ~apart[guessing]]
    title_language = np.where(given >= 0, given, -1)
    title_language[guessing] = _guess(
        guessing, forward_first, forward, known, distinctive, article, bits
    )
    foreign = np.flatnonzero((title_language >= 0) & ~apart & (lengths > 0))

    # Their English words: (foreign title, extended word id, translated), deduplicated.
    extra: dict[str, int] = {}
    emissions = _EmissionTable.of(lexicon, languages, word_index, extra)
    titles, words, translated = emissions.read(
        foreign, title_language[foreign], forward_first, forward
    )

    # The titles read apart, by the lexicon itself.
    column = index.columns.columns.get(LANGUAGE_FIELD)
    apart_parts: list[tuple[int, int, bool]] = []
    counts: dict[int, int] = {}
    for rank in np.flatnonzero(apart).tolist():
        title = int(word_index.rank_title[rank])
        code = int(column.codes[title]) if isinstance(column, CategoryColumn) else -1
        name = column.vocabulary[code] if isinstance(column, CategoryColumn) and code >= 0 else None
        title_words = index.normalized_titles[title].split()
        english = lexicon.title_reading(title_words, name)
        for word, through in (english or {}).items():
            apart_parts.append((rank, _extended_id(word, word_index, extra), through))
            counts[rank] = len(title_words)
    if apart_parts:
        more = np.array(apart_parts, dtype=np.int64).T
        titles = np.concatenate([titles, more[0]])
        words = np.concatenate([words, more[1]])
        translated = np.concatenate([translated, more[2].astype(np.bool_)])

    return _laid_out(index, titles, words, translated, counts, extra, priors)


_NOT_GIVEN: Final = -1
"""``_given_language`` of a title whose catalog names no language (it is guessed)."""

_NOT_COVERED: Final = -2
"""... of a title in a language the lexicon does not cover (never read)."""


def _given_language(
    index: CatalogIndex, languages: list[str], rank_title: npt.NDArray[np.int32]
) -> IntArray:
    """By rank: the lexicon language the catalog names (its position in ``languages``), else
    ``_NOT_GIVEN`` or ``_NOT_COVERED``."""
    given = np.full(index.title_count, _NOT_GIVEN, dtype=np.int64)
    column = index.columns.columns.get(LANGUAGE_FIELD)
    if isinstance(column, CategoryColumn):
        position = {name: at for at, name in enumerate(languages)}
        of_code = np.array(
            [position.get(name, _NOT_COVERED) for name in column.vocabulary] + [_NOT_GIVEN],
            dtype=np.int64,
        )
        # A missing value's code (negative) reads the last entry, _NOT_GIVEN.
        codes = np.asarray(column.codes, dtype=np.int64)
        given = of_code[np.where(codes >= 0, codes, len(of_code) - 1)]
    return given[rank_title]


def _ranks_of(forward_first: IntArray, positions: IntArray) -> IntArray:
    """The distinct ranks whose forward lists hold these positions."""
    return np.unique(np.searchsorted(forward_first, positions, side="right") - 1)


def _guess(
    ranks: IntArray,
    forward_first: IntArray,
    forward: npt.NDArray[np.int32],
    known: npt.NDArray[np.uint64],
    distinctive: npt.NDArray[np.uint64],
    article: npt.NDArray[np.bool_],
    bits: list[np.uint64],
) -> IntArray:
    """``Lexicon.guess_language`` of the titles at ``ranks`` (each with a distinctive word), as
    positions in the lexicon's languages (-1: no guess), for all of them at once."""
    if not len(ranks):
        return np.zeros(0, dtype=np.int64)
    first = forward_first[ranks]
    lengths = forward_first[ranks + 1] - first
    words = forward[_spans(first, lengths)]
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    opening = forward[first]
    best_hits = np.full(len(ranks), -1, dtype=np.int64)
    best = np.full(len(ranks), -1, dtype=np.int64)
    for position, bit in enumerate(bits):
        hits = np.add.reduceat((known[words] & bit != 0).astype(np.int64), starts)
        shown = np.add.reduceat((distinctive[words] & bit != 0).astype(np.int64), starts) > 0
        enough = (hits >= MIN_GUESS_WORDS) & (2 * hits >= lengths)
        # "Les Invasions barbares": one article English never writes is enough.
        leading = (lengths >= 2) & (distinctive[opening] & bit != 0) & article[opening]
        # The first language with the most hits wins, as guess_language compares strictly.
        better = shown & (enough | leading) & (hits > best_hits)
        best_hits[better] = hits[better]
        best[better] = position
    return best


def _spans(first: IntArray, lengths: IntArray) -> IntArray:
    """The positions ``first[i] .. first[i] + lengths[i] - 1`` of every run, end to end."""
    total = int(lengths.sum())
    run_start = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    return np.repeat(first - run_start, lengths) + np.arange(total, dtype=np.int64)


def _word_ids(word_index: WordIndex, words: Mapping[str, object]) -> dict[str, int]:
    """The vocabulary ids of those of ``words`` some title holds (one lookup for all)."""
    chosen = [word for word in words if 0 < len(word.encode("utf-8")) < MAX_WORD_BYTES]
    found = word_index.ranges(chosen, prefix=False)
    return {word: span[0] for word, span in zip(chosen, found, strict=True) if span is not None}


def _extended_id(word: str, word_index: WordIndex, extra: dict[str, int]) -> int:
    """``word``'s vocabulary id, or past the vocabulary an id of its own (an English reading
    no title holds, or a word too long for the vocabulary to hold whole)."""
    if 0 < len(word.encode("utf-8")) < MAX_WORD_BYTES:
        found = word_index.ranges([word], prefix=False)[0]
        if found is not None:
            return int(found[0])
    return extra.setdefault(word, len(word_index.vocabulary) + len(extra))


@dataclass(frozen=True)
class _EmissionTable:
    """Per (language, vocabulary word) the lexicon reads: the English words it reads as, in the
    order ``english_words`` meets them (its own word excepted), as extended ids."""

    keys: IntArray  # language * vocabulary size + word id, ascending
    first: IntArray  # by key, into words (one more)
    words: IntArray
    word_count: int

    @classmethod
    def of(
        cls, lexicon: Lexicon, languages: list[str], word_index: WordIndex, extra: dict[str, int]
    ) -> _EmissionTable:
        word_count = len(word_index.vocabulary)
        rows: dict[int, list[int]] = {}
        for position, language in enumerate(languages):
            known = lexicon.readings[language]
            readings: dict[str, tuple[tuple[str, ...], ...]] = dict(known)
            # "L'amant" normalizes to "lamant": _lookup reads the glued article and the word.
            for word, read in known.items():
                for elision in _ELISIONS:
                    glued = elision + word
                    if len(word) > 2 and glued not in known:
                        readings.setdefault(glued, read + known.get(elision, ()))
            for word, word_id in _word_ids(word_index, readings).items():
                rows[position * word_count + word_id] = [
                    _extended_id(english, word_index, extra)
                    for reading in readings[word]
                    for english in reading
                    if english != word
                ]
        keys = np.array(sorted(rows), dtype=np.int64)
        sizes = [len(rows[key]) for key in keys.tolist()]
        first = np.zeros(len(keys) + 1, dtype=np.int64)
        np.cumsum(sizes, out=first[1:])
        words = np.array([word for key in keys.tolist() for word in rows[key]], dtype=np.int64)
        return cls(keys, first, words, word_count)

    def read(
        self,
        ranks: IntArray,
        language: IntArray,
        forward_first: IntArray,
        forward: npt.NDArray[np.int32],
    ) -> tuple[IntArray, IntArray, npt.NDArray[np.bool_]]:
        """Every (rank, extended word id, read through the lexicon) of these titles, each word
        of a title once, with the flag it first had; only titles with a translated word."""
        first = forward_first[ranks]
        lengths = forward_first[ranks + 1] - first
        occurrence_word = forward[_spans(first, lengths)].astype(np.int64)
        occurrence_rank = np.repeat(ranks, lengths)
        key = np.repeat(language, lengths) * self.word_count + occurrence_word
        read_count = np.zeros(len(key), dtype=np.int64)
        row = np.zeros(len(key), dtype=np.int64)
        if len(self.keys):
            row = np.minimum(np.searchsorted(self.keys, key), len(self.keys) - 1)
            has_row = self.keys[row] == key
            read_count[has_row] = (self.first[row + 1] - self.first[row])[has_row]
        # Each occurrence emits itself (not translated), then its readings (translated).
        emitted = 1 + read_count
        slot = np.arange(int(emitted.sum()), dtype=np.int64)
        owner = np.repeat(np.arange(len(key), dtype=np.int64), emitted)
        offset = slot - np.repeat(np.cumsum(emitted) - emitted, emitted)
        translated = offset > 0
        words = occurrence_word[owner]
        reading = self.first[row[owner]] + offset - 1
        words[translated] = self.words[reading[translated]]
        titles = occurrence_rank[owner]
        # The first of each (title, word): a stable sort keeps their order of emission.
        order = np.lexsort((words, titles))
        titles, words, translated = titles[order], words[order], translated[order]
        new = np.ones(len(titles), dtype=np.bool_)
        new[1:] = (titles[1:] != titles[:-1]) | (words[1:] != words[:-1])
        titles, words, translated = titles[new], words[new], translated[new]
        # Titles that read nothing differently are left to ordinary retrieval.
        reads = np.zeros(len(forward_first) - 1, dtype=np.bool_)
        reads[titles[translated]] = True
        kept = reads[titles]
        return titles[kept], words[kept], translated[kept]


def _laid_out(
    index: CatalogIndex,
    ranks: IntArray,
    words: IntArray,
    translated: npt.NDArray[np.bool_],
    apart_counts: Mapping[int, int],
    extra: Mapping[str, int],
    priors: bool,
) -> TranslationArrays:
    """The arrays of (rank, extended word id, translated) triples: titles as positions, words
    as ranks in the sorted English vocabulary."""
    word_index = index.words
    titles = word_index.rank_title[ranks].astype(np.int64)
    used = np.unique(words)
    text_of_extra = {word_id: text for text, word_id in extra.items()}
    texts = [
        text_of_extra[word_id] if word_id in text_of_extra else word_index.word(word_id)
        for word_id in used.tolist()
    ]
    order = sorted(range(len(texts)), key=texts.__getitem__)
    sorted_texts = [texts[at] for at in order]
    rank_of_used = np.empty(len(used), dtype=np.int64)
    rank_of_used[np.array(order, dtype=np.int64)] = np.arange(len(used))
    word_rank = rank_of_used[np.searchsorted(used, words)]

    # Postings: by word rank, then title.
    by_word = np.lexsort((titles, word_rank))
    postings = titles[by_word].astype(np.int32)
    posting_first = np.searchsorted(word_rank[by_word], np.arange(len(used) + 1)).astype(np.int64)
    word_best = np.zeros(0, dtype=np.float64)
    if priors and len(postings):
        title_prior = index.arrays.title_prior.astype(np.float64)
        word_best = np.maximum.reduceat(title_prior[postings], posting_first[:-1])

    # Readings: by title, then word rank.
    by_title = np.lexsort((word_rank, titles))
    reading_title, title_start = np.unique(titles[by_title], return_index=True)
    reading_first = np.append(title_start, len(by_title)).astype(np.int64)
    foreign_ranks = ranks[by_title][title_start]
    lengths = np.diff(word_index.forward_first)[foreign_ranks]
    for at, rank in enumerate(foreign_ranks.tolist()):
        if rank in apart_counts:
            lengths[at] = apart_counts[rank]
    return TranslationArrays(
        vocabulary=tuple(sorted_texts),
        posting_first=posting_first,
        postings=postings,
        word_best=word_best,
        reading_title=reading_title.astype(np.int32),
        reading_first=reading_first,
        reading_word=word_rank[by_title].astype(np.int32),
        reading_translated=translated[by_title].astype(np.bool_),
        title_words=lengths.astype(np.int32),
        info={"words": len(sorted_texts), "titles": len(reading_title), "readings": len(by_title)},
    )


# Fingerprints, saving and opening ---------------------------------------------------------------


def _fingerprints(index_directory: Path, lexicon_path: Path) -> dict[str, Any]:
    """What a table must have been built from to answer for this index and lexicon."""
    return {
        "lexicon": xxhash.xxh3_64_hexdigest(lexicon_path.read_bytes()),
        "code": code_digest(_BUILD_SOURCES),
        "index": files_fingerprint(index_directory, _INDEX_FILES),
    }


def save_translation_table(
    arrays: TranslationArrays, index_directory: Path, lexicon_path: Path
) -> Path:
    """Write ``arrays`` (built from the index saved in ``index_directory`` and this lexicon)
    into it, replacing any table there."""
    header = {"format_version": FORMAT_VERSION, **_fingerprints(index_directory, lexicon_path)}
    return replace_folder(
        index_directory, TABLE_DIRECTORY, lambda staging: arrays.save(staging, header)
    )


def open_translation_table(
    index_directory: Path | None, lexicon_path: Path, title_count: int
) -> TranslationArrays | None:
    """The table saved in ``index_directory`` if it answers for that index and this lexicon;
    None when there is none, it was built from another lexicon, code or index, or it is
    damaged (said once through ``logging``: the index is then built in memory)."""
    if index_directory is None or not (index_directory / TABLE_DIRECTORY).is_dir():
        return None
    try:
        arrays, manifest = TranslationArrays.load(index_directory / TABLE_DIRECTORY, title_count)
        expected = _fingerprints(index_directory, lexicon_path)
        if any(manifest.get(name) != value for name, value in expected.items()):
            logger.info(
                "%s: the translation index was built from another lexicon, code or index; not used",
                index_directory / TABLE_DIRECTORY,
            )
            return None
    except (IndexFormatError, OSError) as error:
        logger.warning("precomputed translation index not used: %s", error)
        return None
    return arrays


def discard_translation_table(index_directory: str | os.PathLike[str]) -> None:
    """Remove the table from ``index_directory`` (before an index is saved over it)."""
    shutil.rmtree(Path(index_directory) / TABLE_DIRECTORY, ignore_errors=True)


def translation_table_beside(
    index_directory: Path, lexicon_path: Path, index: CatalogIndex | None = None
) -> TranslationArrays | None:
    """The table of the index saved in ``index_directory`` (``index``, when the caller has it
    in memory): opened, or built and saved if there is none that fits (for saved indexes
    written without one). None without a lexicon."""
    if not lexicon_path.is_file():
        return None
    if index is None:
        index = CatalogIndex.load(index_directory)
    found = open_translation_table(index_directory, lexicon_path, index.title_count)
    if found is None:
        found = build_translation_arrays(Lexicon.load(lexicon_path), index)
        save_translation_table(found, index_directory, lexicon_path)
    return found


# The engine's translation index ----------------------------------------------------------------


class LazyTranslations:
    """A catalog index's ``TranslationIndex`` (None without a lexicon): the table saved beside
    the index when it answers for it, else built from the index (about 0.5 s a million titles).

    Done on first use, or earlier in a background thread when ``warm_in_background`` is called
    (a server does, at start); ``get`` waits for one under way, so answers never depend on
    timing. Not at construction: a process that only loads an index should not pay for it.
    With ``save_built``, a table built here is saved beside the index (the bundled cache: the
    first process builds it, the others map it).
    """

    def __init__(
        self, index: CatalogIndex, lexicon_path: Path | None, *, save_built: bool = False
    ) -> None:
        self._index = index
        self._lexicon_path = lexicon_path
        self._save_built = save_built
        self._lock = threading.Lock()
        self._arrays: TranslationArrays | None = None
        self._done = False
        self.opened = False  # whether the arrays are a saved table's (else built here)

    def warm_in_background(self) -> None:
        """Start the build in a daemon thread (a no-op once built)."""
        if not self._done:
            threading.Thread(target=self._warm, name="translation-index", daemon=True).start()

    def _warm(self) -> None:
        try:
            self.get()
        except Exception:  # raised again, to the caller, by the query's own get()
            return

    def get(self) -> TranslationIndex | None:
        arrays = self.arrays()
        return None if arrays is None else arrays.index

    def arrays(self) -> TranslationArrays | None:
        if not self._done:
            with self._lock:
                if not self._done:
                    arrays = self._open_or_build()
                    if arrays is not None:
                        arrays.index  # noqa: B018 (its dicts made once, under the lock)
                    self._arrays = arrays
                    self._done = True
        return self._arrays

    def _open_or_build(self) -> TranslationArrays | None:
        path = self._lexicon_path
        if path is None or not path.is_file():
            return None
        index = self._index
        saved_at = index.saved_at
        found = open_translation_table(saved_at, path, index.title_count)
        if found is not None:
            self.opened = True
            return found
        built = build_translation_arrays(Lexicon.load(path), index)
        if self._save_built and saved_at is not None:
            try:
                save_translation_table(built, saved_at, path)
            except OSError as error:  # a full or read-only cache: built again next time
                logger.warning("translation index not saved in %s: %s", saved_at, error)
        return built

    def save(self, index_directory: Path) -> None:
        """Save this index's table into ``index_directory``, a saved copy of the index."""
        arrays = self.arrays()
        if arrays is not None and self._lexicon_path is not None:
            save_translation_table(arrays, index_directory, self._lexicon_path)
