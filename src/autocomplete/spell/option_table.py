"""The speller's per-word readings, searched at build time for the catalog's vocabulary.

A keystroke never seen before pays the speller's per-word search (``Speller.search_word_options``:
the deletion probe, the edit filter, pricing by the error model) for every word the memo has
not seen, about 0.1 ms each on the bundled catalog. A clean keystroke's words are vocabulary
words and word prefixes by definition, so their readings can be searched once, offline, and
read back on the query path: ``OptionTable`` holds exactly what the search returns for

- every vocabulary word prefix, as the last word of a query still being typed (prefix mode),
- every vocabulary word, as a completed word (word mode),
- and, for those too short to correct alone (``max_edits(len(word)) == 0``), the variant that
  may take one edit inside a longer phrase,

the most popular first, up to ``MAX_KEYS`` keys. A misspelled word is not in the table and is
searched as before, so answers are the same with or without it, to the bit.

Layout (memory-mapped, in ``word_options/`` inside the saved index directory; the index's own
manifest does not list it, the table has its own): a marisa trie of the keys (a mode mark and the
word) whose ids index ``key_first``, the start of each key's run of options, and
``key_text_first``, the start of its options' texts in one UTF-8 blob (joined by a NUL, so one
decode and split gives them all); per option its channel cost, log popularity and best title
prior (float64: the very doubles the search computed), its edit count and span (int8) and
whether it is a whole word (bool). One key's options are contiguous in every column, so a lookup
is a trie probe and a slice of each column: about 2 µs, against about 0.1 ms for the search.

A table answers only for the error model and the index it was built for: its manifest records
the model's fingerprint (its parameters and counts, and a digest of the search's source code, so
that a changed search never reads a stale table) and the index's (the checksums of the spelling
index's files and of the key trie that ``phrase_exists`` reads). A table whose fingerprints do not
match, or that fails its checksums or structure checks at load, is not used: the speller searches,
as it would without one.
"""

from __future__ import annotations

import bisect
import heapq
import logging
import mmap
import multiprocessing
import os
import shutil
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Final

import marisa_trie
import numpy as np
import numpy.typing as npt

from autocomplete.index.catalog_index import CatalogIndex
from autocomplete.index.integrity import (
    MANIFEST_FILE,
    IndexFormatError,
    check_array,
    check_offsets,
    code_digest,
    files_fingerprint,
    load_array,
    load_trie,
    read_manifest,
    replace_folder,
    write_manifest,
)
from autocomplete.spell.candidates import (
    BEST_PRIOR,
    COST,
    EDITS,
    SPAN,
    WEIGHT,
    WHOLE,
    ChannelModel,
    Speller,
    WordOption,
)
from autocomplete.spell.errormodel import ErrorModel

TABLE_DIRECTORY = "word_options"
"""Where the table lives inside a saved index directory."""

FORMAT_VERSION = 1
"""Tables of another version are not read (the speller searches instead)."""

MAX_KEYS = 200_000
"""Most keys a table holds, the most popular first. The search costs about 0.15 ms a key on this
machine (one core) and the table about 110 bytes a key, so a table is at most about 30 s of one
core's build time and 22 MB, whatever the vocabulary; the bundled catalog's 148,600 keys all fit
(a vocabulary of 39,000 words with 108,000 distinct prefixes)."""

MIN_PARALLEL_KEYS = 2_000
"""Fewer keys than this are searched in the building process alone: a forked worker costs more
than it saves."""

_MARKS: Final = (("w", "W"), ("p", "P"))
"""A key's first character: ``_MARKS[is_prefix][in_phrase]``, then the word."""

_SEARCH_SOURCES: Final = (
    "spell/candidates.py",
    "spell/errormodel.py",
    "spell/alignment.py",
    "spell/alternations.py",
    "spell/keyboard.py",
    "spell/_align_python.py",
    "spell/_align.c",
    "spell/option_table.py",
    "index/spelling.py",
    "index/_nearby_python.py",
    "index/_nearby.c",
)
"""The source files whose code decides a word's readings (relative to the package; those missing
from an install are skipped). Their digest is part of the model's fingerprint."""

_INDEX_FILES: Final = ("spelling/", "keys.marisa")
"""The saved index's files the readings depend on: the spelling index's folder (every file in it)
and the key trie behind ``phrase_exists``."""

logger = logging.getLogger("autocomplete")

Key = tuple[str, bool, bool]
"""A table key: (word, is_prefix, in_phrase), as ``Speller.search_word_options`` takes them."""


# Fingerprints ----------------------------------------------------------------------------------


def search_code_digest() -> str:
    """xxh3 of the source of the modules that compute a word's readings (read once)."""
    return code_digest(_SEARCH_SOURCES)


def model_fingerprint(model: ChannelModel) -> str | None:
    """What fixes every reading on the model's side: its parameters and counts, and the search's
    code. None for a channel model that is not an ``ErrorModel`` (no table is used with it)."""
    if not isinstance(model, ErrorModel):
        return None
    return f"{model.fingerprint}-{search_code_digest()}"


def index_fingerprint(index_directory: Path) -> str:
    """What fixes every reading on the index's side: the checksums of the spelling index's files
    and of the key trie, from the saved index's manifest (checked when the index was loaded)."""
    return files_fingerprint(index_directory, _INDEX_FILES)


# The table -------------------------------------------------------------------------------------

TEXT_SEPARATOR: Final = "\0"
"""Between the texts of one key's options in the text blob (no normalized text holds it)."""


@dataclass(frozen=True)
class _Columns:
    """Memoryviews over the columns: a slice's ``tolist()`` yields Python numbers in a few
    hundred nanoseconds, where NumPy scalars cost several times that each."""

    key_first: memoryview
    key_text_first: memoryview
    option_cost: memoryview
    option_edits: memoryview
    option_weight: memoryview
    option_span: memoryview
    option_best_prior: memoryview
    option_whole: memoryview


@dataclass(frozen=True)
class OptionTable:
    """Precomputed readings of the vocabulary's words and prefixes (see the module docstring)."""

    keys: marisa_trie.Trie  # mode mark + word -> key id
    key_first: npt.NDArray[np.int64]  # by key id, into the option columns (one more)
    key_text_first: npt.NDArray[np.int64]  # by key id, into text (one more)
    text: bytes | mmap.mmap  # per key, its options' texts joined by TEXT_SEPARATOR, UTF-8
    option_cost: npt.NDArray[np.float64]  # channel cost, -log P(typed | intended)
    option_edits: npt.NDArray[np.int8]  # unweighted edit count
    option_weight: npt.NDArray[np.float64]  # log popularity of the intended text
    option_span: npt.NDArray[np.int8]  # typed words consumed
    option_best_prior: npt.NDArray[np.float64]  # best log P(title) of a title with it
    option_whole: npt.NDArray[np.bool_]  # its last word is a whole catalog word
    model: str  # the model fingerprint it was built with (``model_fingerprint``)
    info: dict[str, Any] = field(default_factory=dict, compare=False)  # build facts
    _columns: _Columns = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        columns = {
            name: np.ascontiguousarray(getattr(self, name)).data
            for name in _Columns.__dataclass_fields__
        }
        object.__setattr__(self, "_columns", _Columns(**columns))

    def __len__(self) -> int:
        return len(self.keys)

    def options(self, word: str, is_prefix: bool, in_phrase: bool) -> tuple[WordOption, ...] | None:
        """The readings ``Speller.search_word_options(word, is_prefix, in_phrase)`` returns,
        or None when the table does not hold ``word`` in that mode."""
        key = self.keys.get(_MARKS[is_prefix][in_phrase] + word)
        if key is None:
            return None
        columns = self._columns
        first, end = columns.key_first[key], columns.key_first[key + 1]
        if first == end:
            return ()
        try:
            texts = self.text[columns.key_text_first[key] : columns.key_text_first[key + 1]]
            split = texts.decode("utf-8").split(TEXT_SEPARATOR)
        except UnicodeDecodeError:
            return None  # only a table whose checksums were forged gets here: search
        if len(split) != end - first:
            return None
        # Each zipped tuple is a WordOption: (text, cost, edits, weight, span, best prior, whole).
        return tuple(
            zip(
                split,
                columns.option_cost[first:end].tolist(),
                columns.option_edits[first:end].tolist(),
                columns.option_weight[first:end].tolist(),
                columns.option_span[first:end].tolist(),
                columns.option_best_prior[first:end].tolist(),
                columns.option_whole[first:end].tolist(),
                strict=True,
            )
        )

    def key_list(self) -> list[Key]:
        """Every key the table holds, in key id order (for tests and reports)."""
        found: list[Key] = [("", False, False)] * len(self.keys)
        for text, key in self.keys.iteritems():
            mark = text[:1]
            found[key] = (text[1:], mark in "pP", mark in "WP")
        return found

    # Save and load ------------------------------------------------------------------------------

    def save(self, index_directory: str | os.PathLike[str]) -> Path:
        """Write the table into ``index_directory`` (a saved index), replacing any table there.

        Written beside its place and renamed into it, so a reader sees the old table or the new
        one, never half of one. Its manifest names the model and the index it answers for."""
        home = Path(index_directory)

        def write(staging: Path) -> None:
            self.keys.save(str(staging / "keys.marisa"))
            for name in _ARRAYS:
                np.save(staging / f"{name}.npy", getattr(self, name))
            (staging / "text.bin").write_bytes(bytes(self.text))
            header = {
                "format_version": FORMAT_VERSION,
                "model": self.model,
                "index": index_fingerprint(home),
                "info": self.info,
            }
            write_manifest(staging, header)

        return replace_folder(home, TABLE_DIRECTORY, write)

    @classmethod
    def load(cls, index_directory: str | os.PathLike[str]) -> tuple[OptionTable, str]:
        """Memory-map the table saved in ``index_directory``, once its files pass their
        checksums and its arrays their bounds; with the index fingerprint it was built for.
        ``IndexFormatError`` names what is wrong."""
        source = Path(index_directory) / TABLE_DIRECTORY
        manifest = read_manifest(source, FORMAT_VERSION)
        model, built_for = manifest.get("model"), manifest.get("index")
        if not isinstance(model, str) or not isinstance(built_for, str):
            raise IndexFormatError(f"{source / MANIFEST_FILE}: no model or index fingerprint")
        try:
            arrays = {name: load_array(source / f"{name}.npy").view(np.ndarray) for name in _ARRAYS}
            keys = load_trie(source / "keys.marisa")
            text = _map_bytes(source / "text.bin")
            _check_structure(arrays, len(keys), len(text))
        except (OSError, ValueError) as error:
            raise IndexFormatError(f"{source}: damaged table: {error}") from None
        table = cls(
            keys=keys, text=text, model=model, info=dict(manifest.get("info", {})), **arrays
        )
        return table, built_for


_ARRAYS: Final = (
    "key_first",
    "key_text_first",
    "option_cost",
    "option_edits",
    "option_weight",
    "option_span",
    "option_best_prior",
    "option_whole",
)

_TYPES: Final[dict[str, type[np.generic]]] = {
    "key_first": np.int64,
    "key_text_first": np.int64,
    "option_cost": np.float64,
    "option_edits": np.int8,
    "option_weight": np.float64,
    "option_span": np.int8,
    "option_best_prior": np.float64,
    "option_whole": np.bool_,
}


def _map_bytes(path: Path) -> bytes | mmap.mmap:
    if path.stat().st_size == 0:
        return b""
    with path.open("rb") as handle:
        return mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)


def _check_structure(arrays: dict[str, npt.NDArray[Any]], keys: int, text_bytes: int) -> None:
    """Every array has its type and the length the others imply; every offset lies inside what
    it points into. (A key's texts that do not decode into as many as its options are searched
    instead, at the lookup: that costs a comparison, where checking here would read them all.)"""
    options = len(arrays["option_cost"])
    for name in _ARRAYS:
        length = None if name.startswith("key_") else options
        check_array(arrays[name], f"{name}.npy", _TYPES[name], length)
    check_offsets(arrays["key_first"], "key_first.npy", keys, options)
    check_offsets(arrays["key_text_first"], "key_text_first.npy", keys, text_bytes)


# Opening beside an index -----------------------------------------------------------------------


def open_option_table(index_directory: Path | None, model: ChannelModel) -> OptionTable | None:
    """The table saved in ``index_directory`` if it answers for ``model`` and that index; None
    when there is none, it was built for another model or index, or it is damaged (said once
    through ``logging``: the speller then searches, with the same answers, only slower)."""
    if index_directory is None or not (index_directory / TABLE_DIRECTORY).is_dir():
        return None
    fingerprint = model_fingerprint(model)
    if fingerprint is None:
        return None
    try:
        table, built_for = OptionTable.load(index_directory)
        if table.model != fingerprint or built_for != index_fingerprint(index_directory):
            logger.info(
                "%s: the precomputed word readings were built for another error model or "
                "index (or an older search); not used",
                index_directory / TABLE_DIRECTORY,
            )
            return None
    except IndexFormatError as error:
        logger.warning("precomputed word readings not used: %s", error)
        return None
    return table


def save_option_table(
    speller: Speller, index_directory: str | os.PathLike[str], *, processes: int | None = None
) -> OptionTable | None:
    """Give the index saved in ``index_directory`` the readings of ``speller`` (which runs over
    that index): its own table if it has one, else one built now. None (and no table) when its
    model has no fingerprint."""
    table = speller.precomputed
    if not isinstance(table, OptionTable) or table.model != model_fingerprint(speller.model):
        built = build_option_table(speller, processes=processes)
        if built is None:
            return None
        table = built
    table.save(index_directory)
    return table


def discard_option_table(index_directory: str | os.PathLike[str]) -> None:
    """Remove the table from ``index_directory`` (before an index is saved over it: the new
    index's manifest would list the old table's files)."""
    shutil.rmtree(Path(index_directory) / TABLE_DIRECTORY, ignore_errors=True)


def cached_option_table(speller: Speller, index_directory: Path) -> OptionTable | None:
    """The table of a cached saved index (the bundled catalog's): opened, or built and saved
    once if there is none that fits (the first engine over the cache pays the build)."""
    table = open_option_table(index_directory, speller.model)
    if table is None and model_fingerprint(speller.model) is not None:
        try:
            save_option_table(speller, index_directory)
        except OSError as error:  # a full or read-only cache: the speller searches
            logger.warning("precomputed word readings not saved in %s: %s", index_directory, error)
            return None
        table = open_option_table(index_directory, speller.model)
    return table


def table_beside(index_directory: Path, model: ChannelModel | None = None) -> OptionTable | None:
    """The table of the index saved in ``index_directory`` for ``model`` (the bundled error
    model by default): opened, or built and saved if there is none that fits. For caches of
    saved indexes that were written without one (``CatalogIndex.save`` writes none)."""
    errors = model if model is not None else ErrorModel.load()
    index = CatalogIndex.load(index_directory)
    # The readings depend on the spelling index, the model and phrase_exists only (the
    # channel weight and exact bonus shape the plan's bounds, not the readings).
    speller = Speller(index.spelling, errors, phrase_exists=index.has_phrase)
    return cached_option_table(speller, index_directory)


# Building --------------------------------------------------------------------------------------


def table_keys(speller: Speller, limit: int = MAX_KEYS) -> list[Key]:
    """The keys a table over ``speller``'s vocabulary holds: words (word mode) and word prefixes
    (prefix mode) by the popularity of the words they reach, most popular first, each followed
    by its in-phrase variant when it is too short to correct alone; at most ``limit``.

    A best-first walk down the prefixes: a prefix reaches every word its extensions reach, so
    none is more popular than the prefix it extends, and only the keys taken and their
    neighbours are ever looked at (however many prefixes a huge vocabulary has). The words are
    sorted, so those starting with a prefix are one range and its popularity is a difference of
    two cumulative sums."""
    spelling, model = speller.spelling, speller.model
    ordered = sorted(spelling.words.iteritems())
    words = [word for word, _ in ordered]
    log_weights = spelling.word_log_weight[[word_id for _, word_id in ordered]]
    share_column = np.exp(log_weights.astype(np.float64))
    shares: list[float] = share_column.tolist()
    cumulative: list[float] = np.concatenate(([0.0], np.cumsum(share_column))).tolist()
    # (-popularity, is_prefix, text, first word, end of its words): ties go to words, then text.
    frontier: list[tuple[float, bool, str, int, int]] = []

    def push_extensions(prefix: str, first: int, end: int) -> None:
        """Push the prefixes one character longer than ``prefix`` (whose words are
        ``words[first:end]``), and the word ``prefix`` itself if it is one."""
        position = first
        if position < end and words[position] == prefix:
            heapq.heappush(frontier, (-shares[position], False, prefix, position, position + 1))
            position += 1
        while position < end:
            longer = words[position][: len(prefix) + 1]
            after = longer[:-1] + chr(ord(longer[-1]) + 1)
            stop = bisect.bisect_left(words, after, position, end)
            mass = cumulative[stop] - cumulative[position]
            heapq.heappush(frontier, (-mass, True, longer, position, stop))
            position = stop

    push_extensions("", 0, len(words))
    keys: list[Key] = []
    while frontier and len(keys) < limit:
        _, is_prefix, text, first, end = heapq.heappop(frontier)
        keys.append((text, is_prefix, False))
        if model.max_edits(len(text)) == 0:
            keys.append((text, is_prefix, True))
        if is_prefix:
            push_extensions(text, first, end)
    return keys[:limit]


def build_option_table(
    speller: Speller, *, limit: int = MAX_KEYS, processes: int | None = None
) -> OptionTable | None:
    """Search every key of ``table_keys`` with ``speller`` and lay the readings out as a table;
    None when the speller's model has no fingerprint. ``processes`` (default: the cores this
    process may use) share the search through forked workers; the table is the same whatever
    their number."""
    fingerprint = model_fingerprint(speller.model)
    if fingerprint is None:
        return None
    started = time.perf_counter()
    keys = table_keys(speller, limit)
    workers = processes if processes is not None else _usable_cores()
    found = _search_all(speller, keys, workers)
    marked = [_MARKS[is_prefix][in_phrase] + word for word, is_prefix, in_phrase in keys]
    trie = marisa_trie.Trie(marked)
    by_id: list[tuple[WordOption, ...]] = [()] * len(trie)
    for text, options in zip(marked, found, strict=True):
        by_id[trie[text]] = options
    flat = [option for key in by_id for option in key]
    if any(TEXT_SEPARATOR in option[0] for option in flat):
        raise ValueError("a reading's text holds the table's separator")
    texts = [TEXT_SEPARATOR.join(option[0] for option in key).encode("utf-8") for key in by_id]
    key_first = np.zeros(len(by_id) + 1, dtype=np.int64)
    np.cumsum([len(key) for key in by_id], out=key_first[1:])
    key_text_first = np.zeros(len(by_id) + 1, dtype=np.int64)
    np.cumsum([len(text) for text in texts], out=key_text_first[1:])
    columns = list(zip(*flat, strict=True)) if flat else [()] * 7
    return OptionTable(
        keys=trie,
        key_first=key_first,
        key_text_first=key_text_first,
        text=b"".join(texts),
        option_cost=np.asarray(columns[COST], dtype=np.float64),
        option_edits=_small_ints(columns[EDITS]),
        option_weight=np.asarray(columns[WEIGHT], dtype=np.float64),
        option_span=_small_ints(columns[SPAN]),
        option_best_prior=np.asarray(columns[BEST_PRIOR], dtype=np.float64),
        option_whole=np.asarray(columns[WHOLE], dtype=np.bool_),
        model=fingerprint,
        info={
            "keys": len(by_id),
            "limit": limit,
            "options": len(flat),
            "processes": workers,
            "seconds": round(time.perf_counter() - started, 2),
        },
    )


def _small_ints(values: Sequence[int]) -> npt.NDArray[np.int8]:
    column = np.asarray(values, dtype=np.int64)
    if column.size and (column.min() < 0 or column.max() > np.iinfo(np.int8).max):
        raise ValueError("an edit count or span does not fit the table's int8 column")
    return column.astype(np.int8)


def _search_all(
    speller: Speller, keys: Sequence[Key], workers: int
) -> list[tuple[WordOption, ...]]:
    """Each key's readings, in key order. With several workers, forked children search every
    ``workers``-th key from their own offset while this process searches the first share; fork
    only in a process with no other thread (a lock another thread held would stay held in the
    child), otherwise all here."""
    if (
        workers <= 1
        or len(keys) < MIN_PARALLEL_KEYS
        or threading.active_count() > 1
        or not sys.platform.startswith("linux")  # fork elsewhere is not safe (macOS) or absent
    ):
        return [speller.search_word_options(*key) for key in keys]
    context = multiprocessing.get_context("fork")
    children: list[tuple[int, Connection, Any]] = []
    for share in range(1, workers):
        receiver, sender = context.Pipe(duplex=False)
        child = context.Process(
            target=_search_share, args=(speller, keys[share::workers], sender), daemon=True
        )
        child.start()
        sender.close()
        children.append((share, receiver, child))
    found: list[tuple[WordOption, ...]] = [()] * len(keys)
    found[0::workers] = [speller.search_word_options(*key) for key in keys[0::workers]]
    for share, receiver, child in children:
        try:
            found[share::workers] = receiver.recv()
        except (EOFError, OSError):
            # The worker died: its share is searched here (same readings, only later).
            share_keys = keys[share::workers]
            found[share::workers] = [speller.search_word_options(*key) for key in share_keys]
        finally:
            receiver.close()
            child.join()
    return found


def _usable_cores() -> int:
    """The cores this process may run on (all of them where the platform cannot say)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _search_share(speller: Speller, keys: Sequence[Key], sender: Connection) -> None:
    """A forked worker's part: its keys' readings, sent back in order."""
    try:
        sender.send([speller.search_word_options(*key) for key in keys])
    finally:
        sender.close()
