"""The word index: which titles hold which words, for queries made of the words people remember.

Layout
------
Titles are renumbered by *rank*, most popular first (rank 0 has the highest prior). Then:

* ``vocabulary``: every distinct word of the normalized titles, UTF-8, sorted bytewise, as one
  fixed-width byte array; a word's *id* is its position. All words starting with a prefix form
  one contiguous id range, found by two binary searches that run in NumPy's C code.
* ``postings``: for each word id, the ranks of the titles holding it, ascending; the lists lie
  end to end in word-id order, so the titles of a whole prefix range are one slice
  ``postings[posting_first[lo]:posting_first[hi]]`` (sorted within each word, not across).
* ``forward``: for each rank, the ids of its title's words in title order (the *forward index*
  of Gog, Pibiri and Venturini, SIGIR 2020), to check a title against a word range in O(words)
  and to align the query with it.
* ``rank_title``, ``rank_prior``, ``rank_year``: the title, prior and year at each rank;
  ``title_rank`` the rank of each title.

Because ranks follow the prior, walking a posting list in order visits titles best prior first:
a conjunctive top-k can stop as soon as the next title's prior, less the least cost any
reading can carry, cannot beat the k-th best score found (``WordIndex.matching`` hands out the
bound with every block; the caller, which knows the costs, decides when to stop).

Conjunctive retrieval
---------------------
A query is a list of ``Term`` (one per typed word): each is a few alternative word-id ranges
(the word as typed, its spelling corrections; the last word's are prefix ranges) and perhaps a
year. The term with the fewest postings *drives* (a prefix range, which must be merged first, counts
double, and beyond ``MAX_MERGED`` postings drives only when nothing else can): its titles are
read in rank order, in blocks, and every other term is checked in one pass over the block's
forward lists (``TermFilter``: a loop in C, ``_words.c``, or its NumPy twin). Very common words
("the", "of") therefore never drive when any other word is rarer, and when they must, the block
walk stops early on popular titles; ``MAX_SCANNED`` bounds the walk whatever the query.

Past the first block, each block is first merged with the other words' postings (*sieves*,
``_sieves``): a rank missing from one cannot pass, and the merge reads both lists in order,
where the forward check reads each title's words at random, one cache miss each (100 ns a rank
at ten million titles). What is left is checked as before, so the same ranks are kept.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

import numpy as np
import numpy.typing as npt

from autocomplete._kernels import python_kernels
from autocomplete.index.integrity import (
    IndexFormatError,
    check_array,
    check_offset_ends,
    check_rising,
    check_within,
    load_array,
)

if TYPE_CHECKING or "_words" not in python_kernels():
    from autocomplete.index._words import TermFilter, common_ranks
else:  # built without a C compiler: the same check, in NumPy (slower on small blocks)
    from autocomplete.index._words_python import TermFilter, common_ranks

MAX_TITLE_WORDS = 32
"""Words of a title indexed; later words of very long titles are not reachable by word."""

MAX_WORD_BYTES = 40
"""Words are stored (and looked up) cut to this many UTF-8 bytes."""

FIRST_BLOCK = 256
"""Ranks of the driving list checked in the first block; each later block is twice as big."""

MAX_MERGED = 8_192
"""Postings of a prefix range (or of a word's spelling readings) merged up front to drive the
walk; a larger merge drives only when no single word's list can."""

MAX_SCANNED = 65_536
"""Most ranks of the driving list checked per query: any query costs bounded work."""

SIEVE_COST = 32
"""Ranks of a sieve merged per rank of a block it may spare checking (see ``_sieves``): a
rank merged in order costs about 1-2 ns, one checked in the forward lists 30 ns at a million
titles and 100 ns at ten million (chosen by timing the walks of the slowest keystrokes at
both sizes)."""

MERGED_SIEVE_COST = 4
"""Postings a term of several words (a prefix, a word's spelling readings) may hold per rank
left to walk to be made a sieve: they are read whole, and those within the walk's ranks
sorted."""

SORTED_WHOLE = 8
"""A merged driving list up to this many times ``MAX_SCANNED`` postings is sorted whole; a
longer one only up to a bound read off a sample (``_smallest_distinct``)."""

SAMPLE_STEP = 16
"""Every this many postings of a long merged list are sampled for that bound."""

NO_YEAR = 0
"""``rank_year`` of a title without a year."""

FORWARD_CHUNK = 1 << 20
"""Word ids gathered in a Python list before they join the forward array (build memory)."""

YEAR_FIELD = "year"
"""Metadata field whose value a four-digit typed number may name ("psycho 1998")."""

WORD_INDEX_DIRECTORY = "words"
"""Subdirectory of a saved ``CatalogIndex`` that holds the word index."""

_ARRAYS = (
    "vocabulary",
    "posting_first",
    "postings",
    "forward_first",
    "forward",
    "rank_title",
    "title_rank",
    "rank_prior",
    "rank_year",
)

IntArray = npt.NDArray[np.int32]

TermCheck = tuple[tuple[tuple[int, int], ...], int | None, int]
"""What ``TermFilter.keep`` checks of a title for one distinct typed word: its word ranges, its
year (or None), and how many title words (the year counting as one) it needs."""


# The query-side values below are named tuples, not frozen dataclasses: a keystroke builds a
# few of each, and a frozen dataclass's ``__init__`` (one ``object.__setattr__`` per field)
# costs twice a tuple's (0.66 against 0.32 µs each).


class WordRange(NamedTuple):
    """Word ids ``[lo, hi)`` standing for one reading of a typed word, at a channel cost."""

    lo: int
    hi: int
    cost: float
    text: str  # the word (or prefix) this range reads the typed word as


class Term(NamedTuple):
    """One typed word: a title matches it through any of ``ranges`` or by its ``year``."""

    typed: str
    ranges: tuple[WordRange, ...]
    year: int | None = None
    is_prefix: bool = False


class MatchBlock(NamedTuple):
    """Ranks (ascending) that satisfy every term, and a bound on the prior of any later one."""

    ranks: IntArray
    next_prior: float  # prior of the first rank not yet examined; -inf when none is left


@dataclass(frozen=True)
class WordIndex:
    """The built, read-only word index (see the module docstring)."""

    vocabulary: npt.NDArray[np.bytes_]
    posting_first: npt.NDArray[np.int64]
    postings: IntArray
    forward_first: npt.NDArray[np.int64]
    forward: IntArray
    rank_title: IntArray
    title_rank: IntArray
    rank_prior: npt.NDArray[np.float32]
    rank_year: IntArray
    # The conjunctive check over the arrays above, in C (_words.c) or its NumPy twin; made
    # here, so that arrays of the wrong type are refused when the index is built or loaded.
    _term_filter: TermFilter = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        term_filter = TermFilter(self.forward_first, self.forward, self.rank_year)
        object.__setattr__(self, "_term_filter", term_filter)

    @property
    def word_count(self) -> int:
        return len(self.vocabulary)

    @property
    def nbytes(self) -> int:
        """Bytes of the arrays (what the structure costs in memory or on disk)."""
        return sum(int(getattr(self, name).nbytes) for name in _ARRAYS)

    # Lookups ------------------------------------------------------------------------------------

    def word_id(self, word: str) -> int | None:
        """The id of ``word``, or None when no title holds it."""
        found = self.ranges([word], prefix=False)[0]
        return None if found is None else found[0]

    def prefix_range(self, prefix: str) -> tuple[int, int] | None:
        """Word ids ``[lo, hi)`` of the words starting with ``prefix``, or None."""
        return self.ranges([prefix], prefix=True)[0]

    def ranges(
        self, texts: Sequence[str], *, prefix: bool, last_is_prefix: bool | None = None
    ) -> list[tuple[int, int] | None]:
        """``prefix_range`` (or the one-word range of ``word_id``) of many texts, with two
        binary searches in all: one NumPy call instead of one per text. ``last_is_prefix``,
        when given, says instead of ``prefix`` how the last text is read (a query's words:
        the last one may be half typed)."""
        if not texts:
            return []
        keys = [_key(text) for text in texts]
        width = self.vocabulary.itemsize
        # Needles of the vocabulary's own dtype: another width would make NumPy convert the
        # whole vocabulary on every call.
        ends = [key + b"\xff" if len(key) < width else key for key in keys]
        needles = np.array(keys + ends, dtype=self.vocabulary.dtype)
        found = np.searchsorted(self.vocabulary, needles).tolist()
        count = len(keys)
        last = count - 1 if last_is_prefix is not None else count
        vocabulary = self.vocabulary
        results: list[tuple[int, int] | None] = []
        for position, key in enumerate(keys):
            lo, hi = found[position], found[count + position]
            as_prefix = last_is_prefix if position == last else prefix
            if not as_prefix or len(key) >= width:
                exact = lo < len(vocabulary) and vocabulary[lo] == key
                results.append((lo, lo + 1) if exact else None)
            else:
                results.append((lo, hi) if hi > lo else None)
        return results

    def word(self, word_id: int) -> str:
        return bytes(self.vocabulary[word_id]).decode("utf-8", errors="ignore")

    def postings_size(self, lo: int, hi: int) -> int:
        """Postings of the words ``[lo, hi)`` together (a title may count more than once)."""
        return int(self.posting_first[hi] - self.posting_first[lo])

    # Conjunctive retrieval ------------------------------------------------------------------------

    def matching(self, terms: Sequence[Term]) -> Iterator[MatchBlock]:
        """Blocks of ranks, best prior first, whose titles satisfy every term.

        A title satisfies a term when one of its words lies in one of the term's ranges, or its
        year equals the term's year. Distinctness (each typed word its own title word) is left
        to the caller's alignment, which needs the positions anyway.
        """
        driver = self._driver(terms)
        if driver is None:
            return
        ranks = self._ranks_of(terms[driver])
        checks = term_checks(terms, driver)
        total = min(len(ranks), MAX_SCANNED)
        sieves: list[IntArray] | None = None  # chosen when the walk goes past its first block
        start, size = 0, FIRST_BLOCK
        while start < total:
            end = min(start + size, total)
            block = np.asarray(ranks[start:end], dtype=np.int32)
            if checks:
                if start > 0:
                    if sieves is None:
                        sieves = self._sieves(checks, ranks[start:total])
                    for sieve in sieves:
                        block = _sifted(block, sieve)
                kept = np.empty(len(block), dtype=np.int32)
                block = kept[: self._term_filter.keep(block, checks, kept)]
            next_prior = float(self.rank_prior[ranks[end]]) if end < total else -np.inf
            yield MatchBlock(block, next_prior)
            start, size = end, size * 2

    def _sieves(self, checks: Sequence[TermCheck], remaining: IntArray) -> list[IntArray]:
        """For each check without a year, a *sieve*: the ranks of its titles within those of
        ``remaining`` (the driving list's left to walk, ascending), ascending and distinct;
        the fewest first. One word's is a view of its postings; a term of several words gets
        one only when its postings are few enough to merge (``MERGED_SIEVE_COST``).

        Checking a rank reads its title's forward list, a cache miss away from the last one:
        with ten million titles, walking 65,536 ranks of a common driving word took 6-8 ms
        (0.7-0.9 ms at a million). Only the ranks in every sieve can pass the checks (a title
        that satisfies a check without a year holds one of its words), and a sieve's ranks lie
        in one run, merged with the block's in order (``_sifted``)."""
        if not len(remaining):
            return []
        low, high = int(remaining[0]), int(remaining[-1])
        first, postings = self.posting_first, self.postings
        found: list[tuple[int, IntArray | None, tuple[tuple[int, int], ...]]] = []
        for ranges, year, _ in checks:
            if year is not None or not ranges:
                continue
            if len(ranges) == 1 and ranges[0][1] - ranges[0][0] == 1:
                word = ranges[0][0]
                listed = postings[first[word] : first[word + 1]]
                within = listed[_between(listed, low, high)]  # a view: nothing is read yet
                found.append((len(within), within, ranges))
            else:
                size = sum(self.postings_size(lo, hi) for lo, hi in ranges)
                if size <= MERGED_SIEVE_COST * len(remaining):
                    found.append((size, None, ranges))
        sieves: list[IntArray] = []
        for _, listed_within, ranges in sorted(found, key=lambda item: item[0]):
            if listed_within is None:
                merged = np.concatenate([postings[first[lo] : first[hi]] for lo, hi in ranges])
                listed_within = _sorted_distinct(merged[(merged >= low) & (merged <= high)])
            sieves.append(listed_within)
        return sieves

    def _driver(self, terms: Sequence[Term]) -> int | None:
        """The term with the fewest postings; None when some term can match nothing.

        A term that may be a year drives only when every term may be one: its titles of that
        year are not in its postings, so they must be found by scanning the year column.
        """
        best: int | None = None
        best_key = (True, 0)
        for position, term in enumerate(terms):
            if not term.ranges and term.year is None:
                return None
            # A range of several words must be merged and sorted before the first block, while
            # one word's list is read lazily (the walk usually stops early): count a merge
            # double, and a large one as a last resort.
            size = sum(self.postings_size(item.lo, item.hi) for item in term.ranges)
            if len(term.ranges) > 1 or any(item.hi - item.lo > 1 for item in term.ranges):
                size *= 2 if size <= MAX_MERGED else MAX_SCANNED
            key = (term.year is not None, size)
            if best is None or key < best_key:
                best, best_key = position, key
        return best

    def _ranks_of(self, term: Term) -> npt.NDArray[np.int32]:
        """The ranks holding any of the term's words (or its year), ascending and distinct: all
        of them for one word, the first ``MAX_SCANNED`` (all the walk reads) of several."""
        first = self.posting_first
        slices = [self.postings[first[item.lo] : first[item.hi]] for item in term.ranges]
        if term.year is not None:
            slices.append(np.flatnonzero(self.rank_year == term.year).astype(np.int32))
        elif len(slices) == 1 and term.ranges[0].hi - term.ranges[0].lo == 1:
            return slices[0]  # one word's list is already sorted and distinct
        return _smallest_distinct(np.concatenate(slices), MAX_SCANNED)

    # Saving and loading ---------------------------------------------------------------------------

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        for name in _ARRAYS:
            np.save(directory / f"{name}.npy", getattr(self, name))

    @classmethod
    def load(cls, directory: Path, titles: int | None = None, *, values: bool = True) -> WordIndex:
        """Memory-map a word index written by ``save``, once its arrays' types and lengths and
        its offsets' ends are checked, and (unless ``values`` is false: then the caller runs
        ``check_values`` itself) every offset and id (``IndexFormatError`` names the file):
        the C check (``_words.c``) follows them, checking each range it reads against the
        lengths. ``titles``, when given, is the catalog's title count."""
        arrays = {name: load_array(directory / f"{name}.npy").view(np.ndarray) for name in _ARRAYS}
        _check_shapes(directory.name, arrays, titles)
        index = cls(**arrays)
        if values:
            index.check_values(directory.name)
        return index

    def check_values(self, folder: str) -> None:
        """Every offset and id stays inside what it points into (reads every array; ``folder``
        prefixes the file names in messages)."""

        def file(name: str) -> str:
            return f"{folder}/{name}.npy"

        count = len(self.rank_title)
        check_rising(self.posting_first, file("posting_first"))
        check_within(self.postings, file("postings"), 0, count)
        check_rising(self.forward_first, file("forward_first"))
        check_within(self.forward, file("forward"), 0, len(self.vocabulary))
        check_within(self.rank_title, file("rank_title"), 0, count)
        check_within(self.title_rank, file("title_rank"), 0, count)


def _between(ascending: IntArray, low: int, high: int) -> slice:
    """The slice of ``ascending`` whose values lie in ``[low, high]``."""
    # Bounds of the array's own type: other ones would make NumPy convert the whole array.
    bounds = np.array((low, high + 1), dtype=ascending.dtype)
    lo, hi = np.searchsorted(ascending, bounds).tolist()
    return slice(lo, hi)


def _sifted(block: IntArray, sieve: IntArray) -> IntArray:
    """The ranks of ``block`` that are in ``sieve`` (both ascending and distinct), in order; or
    ``block`` whole when the sieve's ranks among them are too many to be worth merging (the
    forward check, which follows, tests them anyway)."""
    if not len(block):
        return block
    part = sieve[_between(sieve, int(block[0]), int(block[-1]))]
    if len(part) > SIEVE_COST * len(block):
        return block
    common = np.empty(min(len(block), len(part)), dtype=np.int32)
    return common[: common_ranks(block, part, common)]


def _smallest_distinct(values: npt.NDArray[Any], count: int) -> npt.NDArray[Any]:
    """``_sorted_distinct(values)[:count]``, sorting little more than it keeps.

    A prefix of a letter or two that must drive the walk ("2001 a": a number that may be a
    year drives only when every word may be one) holds two million postings at ten million
    titles; sorting them all took 15-20 ms for the 65,536 the walk reads. A bound a little
    above the ``count``-th value is read off every ``SAMPLE_STEP``-th posting (the lists are
    sorted runs, so the sample is close to even), and only the values under it are sorted;
    too few (repeats, an uneven sample), and the bound moves up."""
    if len(values) <= SORTED_WHOLE * count:
        return _sorted_distinct(values)[:count]
    sample = values[::SAMPLE_STEP]
    position = max(1, count // SAMPLE_STEP * 2)  # twice the expected sample rank: one pass, mostly
    while position < len(sample):
        bound = np.partition(sample, position)[position]
        smallest = _sorted_distinct(values[values <= bound])
        if len(smallest) >= count:
            return smallest[:count]
        position *= 2
    return _sorted_distinct(values)[:count]


def _sorted_distinct(values: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """``np.unique(values)`` without its first call's cost (NumPy imports ``numpy.ma`` then,
    about 20 ms, which would land on some user's keystroke) or its hashing (many times slower
    on the build's hundreds of millions of postings)."""
    ordered = np.sort(values)
    if len(ordered) < 2:
        return ordered
    keep = np.empty(len(ordered), dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def _check_shapes(folder: str, arrays: Mapping[str, npt.NDArray[Any]], titles: int | None) -> None:
    """Every array has the type and length the others imply, and every offset column the ends
    (``folder`` prefixes the file names in messages)."""

    def file(name: str) -> str:
        return f"{folder}/{name}.npy"

    vocabulary = arrays["vocabulary"]
    if vocabulary.ndim != 1 or vocabulary.dtype.kind != "S":
        raise IndexFormatError(f"{file('vocabulary')}: holds {vocabulary.dtype}, expected bytes")
    count = len(arrays["rank_title"]) if titles is None else titles
    for name, element, length in (
        ("posting_first", np.int64, len(vocabulary) + 1),
        ("postings", np.int32, None),
        ("forward_first", np.int64, count + 1),
        ("forward", np.int32, None),
        ("rank_title", np.int32, count),
        ("title_rank", np.int32, count),
        ("rank_prior", np.float32, count),
        ("rank_year", np.int32, count),
    ):
        check_array(arrays[name], file(name), element, length)
    postings, forward = arrays["postings"], arrays["forward"]
    check_offset_ends(
        arrays["posting_first"], file("posting_first"), len(vocabulary), len(postings)
    )
    check_offset_ends(arrays["forward_first"], file("forward_first"), count, len(forward))


def term_checks(terms: Sequence[Term], driver: int | None = None) -> tuple[TermCheck, ...]:
    """What ``TermFilter.keep`` checks for ``terms``: one check per distinct term (by its
    ranges), in order of first appearance; a term typed twice ("the of of") needs two title
    words, so it is counted, not tested twice. A repeat's year is its first occurrence's.

    The term at ``driver``, whose postings the walk reads, needs no check: its titles hold it.
    Unless it is typed again: then the title must hold its word twice, which is counted."""
    repeats: dict[tuple[tuple[int, int], ...], int] = {}
    years: dict[tuple[tuple[int, int], ...], int | None] = {}
    driver_key = None
    for position, term in enumerate(terms):
        key = tuple((item.lo, item.hi) for item in term.ranges)
        repeats[key] = repeats.get(key, 0) + 1
        years.setdefault(key, term.year)
        if position == driver:
            driver_key = key
    if driver_key is not None and repeats[driver_key] == 1:
        del repeats[driver_key]
    return tuple((key, years[key], needed) for key, needed in repeats.items())


def _key(word: str) -> bytes:
    return word.encode("utf-8")[:MAX_WORD_BYTES]


class TextColumn(Protocol):
    """The normalized titles: counted, indexed and read in order (a list, or a string column)."""

    def __len__(self) -> int: ...
    def __getitem__(self, position: int) -> str: ...
    def __iter__(self) -> Iterator[str]: ...


def build_word_index(
    normalized_titles: TextColumn,
    priors: npt.NDArray[np.float32],
    years: Sequence[int | None],
) -> WordIndex:
    """Build the word index over the normalized titles (``priors`` and ``years`` per title)."""
    count = len(normalized_titles)
    rank_title = np.argsort(-np.asarray(priors, dtype=np.float64), kind="stable").astype(np.int32)
    # One pass over the titles in their own order, words numbered as first seen; then the
    # numbers are mapped to sorted word ids and the lists put in rank order, in NumPy. Every
    # title's word list held at once would take gigabytes at ten million titles.
    seen_id: dict[str, int] = {}
    lengths = array("i")
    parts: list[npt.NDArray[np.int64]] = []
    chunk: list[int] = []
    for text in normalized_titles:
        words = text.split()[:MAX_TITLE_WORDS]
        lengths.append(len(words))
        chunk.extend([seen_id.setdefault(word, len(seen_id)) for word in words])
        if len(chunk) >= FORWARD_CHUNK:
            parts.append(np.array(chunk, dtype=np.int64))
            chunk.clear()
    parts.append(np.array(chunk, dtype=np.int64))
    keys = sorted({_key(word) for word in seen_id})
    width = max((len(key) for key in keys), default=1)
    vocabulary = np.array(keys, dtype=f"S{width}")
    id_of_key = {key: position for position, key in enumerate(keys)}
    word_of_seen = np.fromiter(
        (id_of_key[_key(word)] for word in seen_id), dtype=np.int32, count=len(seen_id)
    )
    by_title = word_of_seen[np.concatenate(parts)]
    del parts, chunk, seen_id, id_of_key
    title_lengths = np.frombuffer(lengths, dtype=np.int32).astype(np.int64)
    title_first = np.zeros(count + 1, dtype=np.int64)
    np.cumsum(title_lengths, out=title_first[1:])
    forward_lengths = title_lengths[rank_title]
    forward_first = np.zeros(count + 1, dtype=np.int64)
    np.cumsum(forward_lengths, out=forward_first[1:])
    forward = by_title[
        np.repeat(title_first[rank_title] - forward_first[:-1], forward_lengths)
        + np.arange(int(forward_first[-1]), dtype=np.int64)
    ]
    del by_title
    # Postings: (word, rank) pairs, sorted by word then rank, without repeats.
    pair_rank = np.repeat(np.arange(count, dtype=np.int64), forward_lengths)
    # Sorted, then repeats dropped (np.unique's hashing is many times slower at this size).
    pairs = _sorted_distinct(forward.astype(np.int64) * max(count, 1) + pair_rank)
    pair_word = pairs // max(count, 1)
    postings = (pairs % max(count, 1)).astype(np.int32)
    posting_first = np.searchsorted(pair_word, np.arange(len(keys) + 1)).astype(np.int64)
    year_by_title = np.array([year if year else NO_YEAR for year in years], dtype=np.int32)
    return WordIndex(
        vocabulary=vocabulary,
        posting_first=posting_first,
        postings=postings,
        forward_first=forward_first,
        forward=forward,
        rank_title=rank_title,
        title_rank=np.argsort(rank_title, kind="stable").astype(np.int32),
        rank_prior=np.asarray(priors, dtype=np.float32)[rank_title],
        rank_year=year_by_title[rank_title] if count else year_by_title,
    )


def year_value(metadata: Mapping[str, object], field: str = YEAR_FIELD) -> int | None:
    """``metadata[field]`` as a year: an int (or a string of digits), else None."""
    value = metadata.get(field)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    return value if isinstance(value, int) and not isinstance(value, bool) else None
