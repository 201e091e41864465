"""The immutable catalog index: prefix lookup and top-k retrieval.

Layout
------
Every title contributes *entries*, one per way of reaching it by typing a prefix: its whole
normalized text, the text without a leading article, every later word start ("lebowski "),
every alias, and the initials of its words (kept apart under ``INITIALS_MARK``). An entry's
*key* is that text followed by one space (so "the big " matches both "The Big Sleep" and a
title that is just "The Big").

Entries are stored in lexicographic order of their keys, so all entries whose key starts with a
prefix form one contiguous range ``[lo, hi)``. The distinct keys live in a marisa-trie (compact
and memory-mapped); for each key the index stores the range of its entries.

Top-k without enumerating
-------------------------
A prefix such as "t" matches tens of thousands of entries. Every *wide* prefix (one matching more
than ``WIDE_PREFIX_ENTRIES`` entries) has its best ``PRECOMPUTED_TOP`` distinct titles computed at
build time and stored in a second trie (prefix -> row of a matrix), together with its range. A
narrow prefix enumerates its few keys from the trie and sorts the small range. Either way a
lookup costs a couple of trie probes and touches at most ``WIDE_PREFIX_ENTRIES`` entries,
however large the catalog. A ``k`` above ``PRECOMPUTED_TOP`` on a wide prefix falls back to a
partial sort of the range.

Everything here is read-only after build; ``save`` writes plain files (``.npy``, ``.marisa``,
string blobs) that ``load`` memory-maps, so several processes share one copy in the page cache.
"""

from __future__ import annotations

import functools
import itertools
import json
import mmap
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, NamedTuple

import marisa_trie
import numpy as np
import numpy.typing as npt

from autocomplete.cache import Memo
from autocomplete.catalog.columns import MetadataColumns
from autocomplete.index.integrity import (
    REBUILD_HINT,
    Check,
    Verification,
    VerifyMode,
    check_array,
    check_digest,
    check_offset_ends,
    check_ranges,
    check_rising,
    check_string_ends,
    check_within,
    listed_files,
    load_array,
    load_trie,
    read_manifest,
    write_manifest,
)
from autocomplete.index.integrity import IndexFormatError as IndexFormatError
from autocomplete.index.spelling import SpellingIndex
from autocomplete.index.static_score import MatchKind
from autocomplete.index.title_mask import TitleMask
from autocomplete.index.word_index import WORD_INDEX_DIRECTORY, WordIndex
from autocomplete.text.normalize import normalize

FORMAT_VERSION = 11
"""Saved indexes of another version are refused (11: file checksums in the manifest, the
aliases as the catalog writes them, and the word index of multi-word queries)."""


INITIALS_MARK = "\x01"
"""Keys of initials entries start with this, a character no normalized text contains."""

IntArray = npt.NDArray[np.int32]
FloatArray = npt.NDArray[np.float32]


_TEXT_KINDS = frozenset(
    int(kind) for kind in (MatchKind.TITLE, MatchKind.NO_ARTICLE, MatchKind.WORD)
)

SMALL_RANGE = 96
"""Entry ranges (or lists of entries within a mask) up to this size are ranked in plain Python
rather than NumPy."""

WIDE_WINDOW_ENTRIES = 1024
"""A top list within a mask that had to rank at least this many passing entries is kept with
the mask (these are the short, common prefixes)."""

KEY_SCAN_LIMIT = 256
"""Keys read under a prefix to name the alias that reached a title (``key_of_entry``)."""

STRING_CHUNK = 1 << 16
"""Offsets converted to Python ints at a time when a whole string column is read in order."""

DESCRIBED_CACHE_SIZE = 32_768
"""Titles whose decoded display values are kept in memory (popular titles recur)."""


_METADATA_JSON = json.JSONDecoder()
"""Decodes a title's metadata, which the build wrote with ``json.dumps``: ``raw_decode`` skips
the whitespace checks around the document that ``json.loads`` makes with two regular
expression matches (1.0 against 1.6 us a title, first described once per title shown)."""


class TitleView(NamedTuple):
    """What a suggestion shows of a title."""

    text: str
    id: str
    metadata: Mapping[str, object]
    label: str  # text, plus the year when several titles share it


@dataclass(frozen=True)
class HotColumns:
    """Per-entry and per-key columns read one element at a time on the query path."""

    title_prior: memoryview
    key_first: memoryview
    key_end: memoryview
    entry_title: memoryview
    entry_score: memoryview
    entry_kind: memoryview
    entry_offset: memoryview
    title_of_id_key: memoryview
    title_entry_first: memoryview
    title_entries: memoryview
    title_duplicate: memoryview  # read when a title is first described

    @classmethod
    def over(cls, arrays: IndexArrays) -> HotColumns:
        return cls(
            **{
                name: np.ascontiguousarray(getattr(arrays, name)).data
                for name in cls.__dataclass_fields__
            }
        )


@dataclass(frozen=True)
class StringColumn:
    """Many strings in one UTF-8 blob with offsets: compact, and memory-mappable."""

    blob: bytes | mmap.mmap
    offsets: npt.NDArray[np.int64]
    # The offsets as a memoryview: indexing it yields Python ints at a fraction of the cost of
    # slicing the array (presentation reads a few strings a suggestion).
    _bounds: memoryview = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_bounds", np.ascontiguousarray(self.offsets).data)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, position: int) -> str:
        if position < 0:
            raise IndexError(f"string position {position} is negative")
        bounds = self._bounds
        return self.blob[bounds[position] : bounds[position + 1]].decode("utf-8")

    def __iter__(self) -> Iterator[str]:
        """Every string in order (one pass, without indexing each)."""
        blob = self.blob
        chunk = STRING_CHUNK
        for first in range(0, len(self), chunk):
            bounds = self.offsets[first : first + chunk + 1].tolist()
            for start, end in itertools.pairwise(bounds):
                yield blob[start:end].decode("utf-8")

    def save(self, directory: Path, name: str) -> None:
        (directory / f"{name}.bin").write_bytes(bytes(self.blob))
        np.save(directory / f"{name}.offsets.npy", self.offsets)

    @classmethod
    def load(cls, directory: Path, name: str, count: int) -> StringColumn:
        """Map a column saved by ``save``, once its ``count`` + 1 offsets' ends fit its blob
        (``check_values`` checks the rest)."""
        path = directory / f"{name}.bin"
        offsets = _load_array(directory / f"{name}.offsets.npy")
        if path.stat().st_size == 0:
            blob: bytes | mmap.mmap = b""
        else:
            with path.open("rb") as handle:
                blob = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        check_string_ends(offsets, len(blob), name, count)
        return cls(blob, offsets)

    def check_values(self, name: str) -> None:
        """The offsets never decrease (with ``load``'s checks: every string lies in the blob)."""
        check_rising(self.offsets, f"{name}.offsets.npy")


@dataclass(frozen=True)
class IndexArrays:
    """The index's numeric columns, in-memory after build or memory-mapped after load."""

    # Per title.
    title_prior: FloatArray  # log P(title)
    title_duplicate: npt.NDArray[np.bool_]  # another title has the same display text
    # Per distinct key, in marisa-trie id order: the entry range of that key.
    key_first: IntArray
    key_end: IntArray
    # Per entry, in lexicographic key order.
    entry_title: IntArray
    entry_score: FloatArray  # prior + match weight
    entry_kind: npt.NDArray[np.int8]
    entry_offset: npt.NDArray[np.int16]  # where the match starts in the normalized title
    # Per wide prefix, in its trie's id order.
    wide_first: IntArray
    wide_end: IntArray
    wide_top: IntArray  # shape (wide prefixes, PRECOMPUTED_TOP); -1 pads short rows
    # The most popular titles: the answer to an empty query.
    top_titles: IntArray
    # Per id key, in the id trie's order: the title with that id.
    title_of_id_key: IntArray
    # Every title's entries: title_entries[title_entry_first[t] : title_entry_first[t + 1]].
    title_entry_first: IntArray
    title_entries: IntArray


@dataclass(frozen=True)
class CatalogIndex:
    """A built, read-only index over one catalog."""

    keys: marisa_trie.Trie
    wide_prefixes: marisa_trie.Trie
    id_keys: marisa_trie.Trie  # catalog ids, for feedback and filters that name titles by id
    arrays: IndexArrays
    titles: StringColumn  # display text
    normalized_titles: StringColumn
    ids: StringColumn
    metadata_json: StringColumn
    aliases_json: StringColumn  # each title's aliases as written, a JSON list ("" for none)
    spelling: SpellingIndex  # vocabulary and deletion index for typo correction
    columns: MetadataColumns  # metadata as columns, for filters, boosts and session context
    words: WordIndex  # word -> titles, for queries of scattered words (see word_index)
    info: Mapping[str, Any]  # build facts: counts, source, timings
    # The directory it was loaded from (None when built in this process): what is saved beside
    # it there, such as the speller's precomputed readings, is found through it.
    saved_at: Path | None = field(default=None, compare=False)
    # The checks of every byte of the saved files (``integrity.Verification``): passed for an
    # index built in this process, maybe still running in the background after a load.
    verification: Verification = field(
        default_factory=Verification.passed, repr=False, compare=False
    )
    # Decoded per-title values; safe to share because the index never changes.
    _described: Memo[int, TitleView] = field(
        default_factory=lambda: Memo(DESCRIBED_CACHE_SIZE, "titles' display values"),
        init=False,
        repr=False,
        compare=False,
    )
    # Memoryviews over the hot columns: indexing one yields a Python number in tens of
    # nanoseconds, where a NumPy scalar costs several times that.
    hot: HotColumns = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "hot", HotColumns.over(self.arrays))

    @property
    def title_count(self) -> int:
        return len(self.titles)

    @functools.cached_property
    def title_initials(self) -> frozenset[str]:
        """The characters the normalized titles start with (read once, on first use).

        Read from each title's first bytes in NumPy, not by decoding every title (a third of a
        second a million titles): an ASCII first byte is the character; the few titles that
        start otherwise decode their first four bytes, once per distinct four."""
        column = self.normalized_titles
        starts = column.offsets[:-1][column.offsets[:-1] < column.offsets[1:]]
        if not starts.size:
            return frozenset()
        blob = np.frombuffer(column.blob, dtype=np.uint8)
        first = blob[starts]
        found = {chr(byte) for byte in np.unique(first[first < 0x80]).tolist()}
        wide = starts[first >= 0x80]
        if wide.size:
            # A title's first character is whole within its own bytes; what follows it in the
            # window (the next title's bytes, or none at the blob's end) is cut off below.
            window = blob[np.minimum(wide[:, None] + np.arange(4), len(blob) - 1)]
            for row in np.unique(window, axis=0).tolist():
                found.add(bytes(row).decode("utf-8", errors="ignore")[:1])
        return frozenset(found) - {"", " "}

    @property
    def entry_count(self) -> int:
        return len(self.arrays.entry_title)

    def prefix_range(self, prefix: str) -> tuple[int, int] | None:
        """The entry range ``[lo, hi)`` whose keys start with ``prefix``, or None."""
        row = self.wide_prefixes.get(prefix)
        if row is not None:
            return int(self.arrays.wide_first[row]), int(self.arrays.wide_end[row])
        found = self.keys.items(prefix)
        if not found:
            return None
        return self._span_of_keys(found)

    def has_phrase(self, text: str) -> bool:
        """Whether some key starts with ``text``: a title has it at one of its word starts."""
        return next(iter(self.keys.iterkeys(text)), None) is not None

    def key_range(self, key: str) -> tuple[int, int] | None:
        """The entry range of exactly ``key`` (a normalized text plus its trailing space)."""
        key_id = self.keys.get(key)
        if key_id is None:
            return None
        return self.hot.key_first[key_id], self.hot.key_end[key_id]

    def key_of_entry(self, entry: int, prefix: str) -> str | None:
        """The key (without its trailing space) of ``entry``, found among the keys under
        ``prefix``, which must be a prefix of it; None when more than ``KEY_SCAN_LIMIT`` keys
        would have to be read. Alias keys are not stored per title, so this is how the alias
        that reached a title is named."""
        first, end = self.hot.key_first, self.hot.key_end
        for scanned, (key, key_id) in enumerate(self.keys.iteritems(prefix)):
            if scanned >= KEY_SCAN_LIMIT:
                break
            if first[key_id] <= entry < end[key_id]:
                return str(key).rstrip(" ")
        return None

    def alias_of_entry(self, title: int, entry: int, prefix: str) -> str | None:
        """The alias of ``title`` as the catalog writes it through which its alias entry
        ``entry`` was reached under ``prefix`` (a prefix of that alias's key).

        The entry's key is the normalized text of one of the title's aliases starting with
        ``prefix``: when those all normalize alike (a title has few aliases), it is the first
        of them, found without reading a key. Otherwise the keys under ``prefix`` are read for
        the entry's (``key_of_entry``, up to ``KEY_SCAN_LIMIT`` of them, each a step of the
        trie's iterator: a hundred microseconds under a short prefix) and the alias named by
        ``alias_as_written``, as before: the same alias either way."""
        stored = self.aliases_json[title]
        if not stored:
            return None
        written: list[str] = json.loads(stored)
        under = [
            (alias, normalized)
            for alias in written
            if (normalized := normalize(alias)).startswith(prefix)
        ]
        if under and all(normalized == under[0][1] for _, normalized in under):
            return under[0][0]
        key = self.key_of_entry(entry, prefix)
        return self.alias_as_written(title, key or prefix)

    def alias_as_written(self, title: int, normalized_alias: str) -> str | None:
        """The alias of ``title`` as the catalog writes it ("The Good, the Bad and the Ugly")
        whose normalized text is ``normalized_alias`` (or, failing that, starts with it)."""
        stored = self.aliases_json[title]
        if not stored:
            return None
        written: list[str] = json.loads(stored)
        starting = None
        for alias in written:
            normalized = normalize(alias)
            if normalized == normalized_alias:
                return alias
            if starting is None and normalized.startswith(normalized_alias):
                starting = alias
        return starting

    def top_entries(self, prefix: str, k: int, where: TitleMask | None = None) -> list[int]:
        """Positions of the best entry of each of the ``k`` best titles under ``prefix`` (only
        titles in ``where``, when given), best first: the one retrieval every source uses."""
        if where is not None:
            return self._top_entries_within(where, prefix, k)
        row = self.wide_prefixes.get(prefix)
        if row is not None:
            if k <= self.arrays.wide_top.shape[1]:
                best: list[int] = self.arrays.wide_top[row, :k].tolist()
                return [entry for entry in best if entry >= 0]
            return self.best_in_range(
                int(self.arrays.wide_first[row]), int(self.arrays.wide_end[row]), k
            )
        found = self.keys.items(prefix)
        if not found:
            return []
        return self.best_in_range(*self._span_of_keys(found), k)

    def _span_of_keys(self, found: list[tuple[str, int]]) -> tuple[int, int]:
        """The entry range of the keys ``found`` (at least one), which lie next to each other.

        One loop rather than ``min`` and ``max`` over generators (0.3 against 1.7 us for the
        two or three keys of a narrow prefix: it runs on most lookups)."""
        first, end = self.hot.key_first, self.hot.key_end
        key_id = found[0][1]
        lo, hi = first[key_id], end[key_id]
        for _, key_id in found:
            if first[key_id] < lo:
                lo = first[key_id]
            if end[key_id] > hi:
                hi = end[key_id]
        return lo, hi

    def _top_entries_within(self, where: TitleMask, prefix: str, k: int) -> list[int]:
        """``top_entries`` inside a mask: the same answer as filtering the prefix's whole range,
        at a cost that does not grow with it.

        1. a narrow range is scanned directly;
        2. a wide prefix first tries its precomputed top titles: if ``k`` of them pass, they are
           the answer (any other passing title ranks below all of them), which is the usual
           case for a permissive filter;
        3. otherwise the mask's passing entries (sorted positions, computed once per mask) are
           cut to the prefix range by two binary searches, so a selective mask touches only its
           own entries under the prefix; a wide window's answer is kept with the mask.
        """
        span = self.prefix_range(prefix)
        if span is None:
            return []
        lo, hi = span
        passes = where.passes
        entry_title = self.hot.entry_title
        if hi - lo <= SMALL_RANGE:
            return self._best_passing(range(lo, hi), passes, k)
        width = self.arrays.wide_top.shape[1]
        if k <= width:
            top = self.top_entries(prefix, width)
            kept = [entry for entry in top if passes[entry_title[entry]]]
            # A list shorter than the precomputed width holds every title under the prefix.
            if len(kept) >= k or len(top) < width:
                return kept[:k]
        passing = where.entries(self.arrays.entry_title, self.arrays.entry_score)
        # Searched for in the positions' own type: Python ints would make NumPy cast (copy) the
        # whole positions array on every search, about 45 us for this catalog's, not 1 us.
        bounds = np.array((lo, hi), dtype=passing.positions.dtype)
        first, end = np.searchsorted(passing.positions, bounds).tolist()
        if end - first <= SMALL_RANGE:
            return self._best_passing(passing.positions[first:end].tolist(), None, k)
        remember = end - first >= WIDE_WINDOW_ENTRIES and k <= width
        if remember:
            found = where.wide_answers.get(prefix)
            if found is not None:
                return found[:k]
        chosen = best_distinct(passing.scores, passing.titles, first, end, width if remember else k)
        answer = [int(passing.positions[offset]) for offset in chosen]
        if remember:
            where.wide_answers.put(prefix, answer)
        return answer[:k]

    def _best_passing(
        self, entries: range | list[int], passes: memoryview | None, k: int
    ) -> list[int]:
        """The best entry of each of the ``k`` best distinct titles among a few ``entries``
        (those whose title ``passes``, when given), in plain Python."""
        titles = self.hot.entry_title
        if passes is not None:
            entries = [entry for entry in entries if passes[titles[entry]]]
        score = self.hot.entry_score
        chosen: list[int] = []
        seen: set[int] = set()
        for entry in sorted(entries, key=score.__getitem__, reverse=True):
            title = titles[entry]
            if title not in seen:
                seen.add(title)
                chosen.append(entry)
                if len(chosen) == k:
                    break
        return chosen

    def best_in_range(self, lo: int, hi: int, k: int) -> list[int]:
        """The best entry of each of the ``k`` best distinct titles in entries ``[lo, hi)``."""
        if hi - lo > SMALL_RANGE:
            return best_distinct(self.arrays.entry_score, self.arrays.entry_title, lo, hi, k)
        if hi - lo == 1:  # a key with one entry under a long prefix: half of the narrow ones
            return [lo]
        # Small ranges: plain Python beats NumPy's per-call overhead.
        return self._best_passing(range(lo, hi), None, k)

    def title_of(self, title_id: str) -> int | None:
        """The title position of a catalog id, or None for an id the catalog does not have."""
        key = self.id_keys.get(title_id)
        return None if key is None else int(self.hot.title_of_id_key[key])

    def best_entry_reaching(self, title: int, typed: str) -> int | None:
        """The best entry of ``title`` whose key starts with ``typed``, if any.

        Only entries over the title's own text qualify (whole title, without article, word
        starts); alias and initials keys are not stored as text.
        """
        hot = self.hot
        text = self.normalized_titles[title] + " "
        best: int | None = None
        for position in range(hot.title_entry_first[title], hot.title_entry_first[title + 1]):
            entry = hot.title_entries[position]
            if hot.entry_kind[entry] not in _TEXT_KINDS:
                continue
            if text.startswith(typed, hot.entry_offset[entry]) and (
                best is None or hot.entry_score[entry] > hot.entry_score[best]
            ):
                best = entry
        return best

    def describe(self, title: int) -> TitleView:
        """The display values of a title, decoded once and then served from memory."""
        view = self._described.get(title)
        if view is None:
            view = self._described.put(title, self._decode(title))
        return view

    def _decode(self, title: int) -> TitleView:
        text = self.titles[title]
        title_id = self.ids[title]
        decoded: dict[str, object] = _METADATA_JSON.raw_decode(self.metadata_json[title])[0]
        label = text
        if self.hot.title_duplicate[title]:
            year = decoded.get("year")
            label = f"{text} ({year})" if year is not None else f"{text} [{title_id}]"
        return TitleView(text, title_id, MappingProxyType(decoded), label)

    # Saving and loading ---------------------------------------------------------------------

    def save(self, directory: str | os.PathLike[str]) -> Path:
        """Write the index to ``directory`` (created if needed) in its load format."""
        target = Path(directory)
        target.mkdir(parents=True, exist_ok=True)
        self.keys.save(str(target / "keys.marisa"))
        self.wide_prefixes.save(str(target / "wide_prefixes.marisa"))
        self.id_keys.save(str(target / "ids.marisa"))
        for name, array in vars(self.arrays).items():
            np.save(target / f"{name}.npy", array)
        self.titles.save(target, "titles")
        self.normalized_titles.save(target, "normalized_titles")
        self.ids.save(target, "ids")
        self.metadata_json.save(target, "metadata")
        self.aliases_json.save(target, "aliases")
        self.spelling.save(target / "spelling")
        self.columns.save(target / "columns")
        self.words.save(target / WORD_INDEX_DIRECTORY)
        # The manifest goes last: a directory without one is an interrupted save. It lists
        # every file written above with its checksum.
        write_manifest(target, {"format_version": FORMAT_VERSION, "info": dict(self.info)})
        return target

    def save_atomically(self, directory: str | os.PathLike[str]) -> Path:
        """Save into ``directory`` so that no reader ever sees half an index.

        The index is written beside the target and renamed into place; if another process
        got there first, its copy (of the same index) stays and this one is dropped.
        """
        target = Path(directory)
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=target.name + ".", dir=target.parent))
        self.save(staging)
        try:
            staging.rename(target)
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
        return target

    @classmethod
    def load(
        cls,
        directory: str | os.PathLike[str],
        *,
        verify: VerifyMode | Literal["deferred"] = "full",
    ) -> CatalogIndex:
        """Memory-map an index written by ``save``; ``IndexFormatError`` if it is damaged.

        Load itself costs a few operations per file, whatever the index's size: the manifest,
        every file's size, every array's header, type and length against the others, and the
        ends of every offset column (``integrity``). The checks that read every byte (each
        file's checksum, every offset and id within bounds) run before load returns with
        ``verify="full"``, or in a background thread with ``verify="background"``: then
        ``verification`` says when they have passed or what they found (see ``Verification``
        for what is promised meanwhile). ``verify="deferred"`` is "background" with the thread
        left for the caller to start (``verification.start()``; queries wait until it has
        checked the tries): ``Autocomplete.load`` starts it once the engine is built, so that
        the load does not share its core with its own checks."""
        source = Path(directory)
        manifest = read_manifest(source, FORMAT_VERSION, checksums=False)
        try:
            arrays = IndexArrays(
                **{
                    name: _load_array(source / f"{name}.npy")
                    for name in IndexArrays.__dataclass_fields__
                }
            )
            keys = load_trie(source / "keys.marisa")
            wide = load_trie(source / "wide_prefixes.marisa")
            id_keys = load_trie(source / "ids.marisa")
            _check_shapes(arrays, len(keys), len(wide), len(id_keys))
            count = len(arrays.title_prior)
            strings = {name: StringColumn.load(source, name, count) for name in _STRING_COLUMNS}
            spelling = SpellingIndex.load(source / "spelling", values=False)
            words = WordIndex.load(source / WORD_INDEX_DIRECTORY, count, values=False)
            columns = MetadataColumns.load(source / "columns")
        except (OSError, ValueError) as error:
            # Checks name the file (IndexFormatError is a ValueError); say which index it is in.
            raise IndexFormatError(f"{source}: damaged index: {error}; {REBUILD_HINT}") from None
        values = functools.partial(_check_saved_values, source, arrays, strings, spelling, words)
        verification = _verification(source, manifest, values)
        if verify == "full":
            verification.run()
        elif verify == "background":
            verification.start()
        return cls(
            keys=keys,
            wide_prefixes=wide,
            id_keys=id_keys,
            arrays=arrays,
            titles=strings["titles"],
            normalized_titles=strings["normalized_titles"],
            ids=strings["ids"],
            metadata_json=strings["metadata"],
            aliases_json=strings["aliases"],
            spelling=spelling,
            columns=columns,
            words=words,
            info=MappingProxyType(manifest.get("info", {})),
            saved_at=source.absolute(),
            verification=verification,
        )


_STRING_COLUMNS = ("titles", "normalized_titles", "ids", "metadata", "aliases")
"""The string columns a saved index holds, by their file names."""


def _verification(source: Path, manifest: Mapping[str, Any], values: Check) -> Verification:
    """The checks of every byte of the index saved at ``source``: the tries' checksums before
    any query may run (see ``Verification``), then the other files' checksums, then ``values``
    (in that order, so damage is named by the checksum of the file it is in)."""
    tries: list[Check] = []
    others: list[Check] = []
    for path, digest in listed_files(source, manifest):
        check = functools.partial(check_digest, path, digest)
        (tries if path.suffix == ".marisa" else others).append(check)
    return Verification(str(source), tries, [*others, values])


def _check_saved_values(
    source: Path,
    arrays: IndexArrays,
    strings: Mapping[str, StringColumn],
    spelling: SpellingIndex,
    words: WordIndex,
) -> None:
    """Every offset and id of a loaded index lies inside what it points into, and offsets
    never decrease: what load leaves to the index's verification (it reads every array)."""
    try:
        _check_values(arrays)
        for name, column in strings.items():
            column.check_values(name)
        spelling.check_values("spelling")
        words.check_values(WORD_INDEX_DIRECTORY)
    except IndexFormatError as error:
        raise IndexFormatError(f"{source}: damaged index: {error}; {REBUILD_HINT}") from None


_ELEMENT_TYPES: Mapping[str, type[np.generic]] = MappingProxyType(
    {
        "title_prior": np.float32,
        "title_duplicate": np.bool_,
        "key_first": np.int32,
        "key_end": np.int32,
        "entry_title": np.int32,
        "entry_score": np.float32,
        "entry_kind": np.int8,
        "entry_offset": np.int16,
        "wide_first": np.int32,
        "wide_end": np.int32,
        "wide_top": np.int32,
        "top_titles": np.int32,
        "title_of_id_key": np.int32,
        "title_entry_first": np.int32,
        "title_entries": np.int32,
    }
)
"""The element type of each saved array of ``IndexArrays``."""


def _check_shapes(arrays: IndexArrays, keys: int, wide: int, id_keys: int) -> None:
    """Types and lengths of the index arrays, against each other and the tries, and the ends of
    the per-title entry offsets: a cost per array, whatever its length."""
    titles = len(arrays.title_prior)
    entries = len(arrays.entry_title)
    # The rows each array must have (title_prior and entry_title set the counts).
    rows = {
        "title_duplicate": titles,
        "title_of_id_key": titles,
        "title_entry_first": titles + 1,
        "key_first": keys,
        "key_end": keys,
        "entry_score": entries,
        "entry_kind": entries,
        "entry_offset": entries,
        "title_entries": entries,
        "wide_first": wide,
        "wide_end": wide,
        "wide_top": wide,
    }
    for name, element in _ELEMENT_TYPES.items():
        dimensions = 2 if name == "wide_top" else 1
        check_array(
            getattr(arrays, name), f"{name}.npy", element, rows.get(name), dimensions=dimensions
        )
    if id_keys != titles:
        raise IndexFormatError(f"ids.marisa: {id_keys} ids for {titles} titles")
    check_offset_ends(arrays.title_entry_first, "title_entry_first.npy", titles, entries)


def _check_values(arrays: IndexArrays) -> None:
    """Every range, offset and id of the index arrays lies inside what it points into.

    The query path indexes memoryviews and NumPy arrays with these values; out of bounds
    they would raise at query time or, worse, select the wrong rows silently.
    """
    titles = len(arrays.title_prior)
    entries = len(arrays.entry_title)
    check_ranges(arrays.key_first, arrays.key_end, ("key_first.npy", "key_end.npy"), entries)
    check_ranges(arrays.wide_first, arrays.wide_end, ("wide_first.npy", "wide_end.npy"), entries)
    check_within(arrays.wide_top, "wide_top.npy", -1, entries)
    check_within(arrays.entry_title, "entry_title.npy", 0, titles)
    check_within(arrays.entry_kind, "entry_kind.npy", min(MatchKind), max(MatchKind) + 1)
    check_within(arrays.entry_offset, "entry_offset.npy", -1, np.iinfo(np.int16).max + 1)
    check_within(arrays.top_titles, "top_titles.npy", 0, titles)
    check_within(arrays.title_of_id_key, "title_of_id_key.npy", 0, titles)
    check_rising(arrays.title_entry_first, "title_entry_first.npy")
    check_within(arrays.title_entries, "title_entries.npy", 0, entries)


def _load_array(path: Path) -> Any:
    # A plain ndarray view over the map: slicing an np.memmap costs a Python-level hook each time.
    return load_array(path).view(np.ndarray)


def best_distinct(scores: FloatArray, titles: IntArray, lo: int, hi: int, k: int) -> list[int]:
    """Entry positions of the ``k`` best distinct titles among entries ``[lo, hi)``.

    Each title keeps only its best entry. A partial sort first picks a few more candidates than
    ``k`` (a title can own several entries in one range), widening until ``k`` distinct titles are
    found or the range is exhausted.
    """
    size = hi - lo
    if size <= 0:
        return []
    window = scores[lo:hi]
    want = min(size, 2 * k + 8)
    while True:
        if want >= size:
            order = np.argsort(-window, kind="stable")
        else:
            part = np.argpartition(-window, want - 1)[:want]
            order = part[np.argsort(-window[part], kind="stable")]
        chosen: list[int] = []
        seen: set[int] = set()
        for offset in order.tolist():
            title = int(titles[lo + offset])
            if title in seen:
                continue
            seen.add(title)
            chosen.append(lo + offset)
            if len(chosen) == k:
                return chosen
        if want >= size:
            return chosen
        want = min(size, want * 4)


def kind_name(kind: int) -> str:
    return MatchKind(kind).name.lower()
