"""The immutable structures behind typo correction: the word vocabulary and a deletion index.

Typo correction works word by word. For each typed word (the last one still a prefix) it needs
the catalog words, or word *prefixes*, within a small edit distance, without scanning the
vocabulary. SymSpell's symmetric-delete idea (Garbe, 2012) provides that: two strings are within
edit distance ``d`` only if deleting at most ``d`` characters from each yields a common string.
So every vocabulary prefix is stored under each of its deletion variants, and a typed word looks
up its own variants: a few dozen trie probes, whatever the catalog size. The probe, and the
edit-distance filter the speller applies to what it finds, run in C (``_nearby.c``), reading the
prefixes from a flat array of code points saved with the index (``prefix_chars``).

Indexed strings are the prefixes of vocabulary words of ``MIN_INDEXED_CHARS`` to
``MAX_INDEXED_CHARS`` characters, each with the deletion depth ``deletion_depth(len)`` (one for
short prefixes, two from ``TWO_EDIT_CHARS`` on). Longer typed words are looked up by their first
``MAX_INDEXED_CHARS`` characters and then checked in full (SymSpell's "prefix length" trick).

Each word and indexed prefix carries two numbers: ``log`` of the popularity mass of the titles
containing it (so candidates can be ordered by how likely the user meant them), and the best log
prior of any one such title. The second is an upper bound on the score of anything a correction
to that word can reach, which lets the engine skip the typo path when no correction could place
among the results it already has.
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import marisa_trie
import numpy as np
import numpy.typing as npt

from autocomplete._kernels import python_kernels
from autocomplete.index.integrity import (
    check_array,
    check_offset_ends,
    check_rising,
    check_within,
    load_array,
    load_trie,
)

if TYPE_CHECKING or "_nearby" not in python_kernels():
    from autocomplete.index._nearby import DeletionProbe
else:  # built without a C compiler: the same statements, in Python (slower)
    from autocomplete.index._nearby_python import DeletionProbe

MIN_INDEXED_CHARS = 3
MAX_INDEXED_CHARS = 8
TWO_EDIT_CHARS = 6


def deletion_depth(length: int) -> int:
    """How many deletions a string of ``length`` characters is indexed (and looked up) with."""
    if length < MIN_INDEXED_CHARS:
        return 0
    return 2 if length >= TWO_EDIT_CHARS else 1


def deletion_variants(text: str, depth: int) -> set[str]:
    """``text`` with every choice of up to ``depth`` characters removed (itself included)."""
    if depth > 2:
        raise ValueError(f"deletion depth is at most 2, got {depth}")
    variants = {text}
    size = len(text)
    if depth >= 1:
        variants.update([text[:index] + text[index + 1 :] for index in range(size)])
    if depth == 2:
        # Each pair of positions once, rather than deleting twice in turn (which makes every
        # pair twice): this runs for every indexed prefix.
        variants.update(
            [
                text[:first] + text[first + 1 : second] + text[second + 1 :]
                for second in range(1, size)
                for first in range(second)
            ]
        )
    return variants


@dataclass(frozen=True)
class SpellingIndex:
    """Vocabulary words and prefixes, and the deletion index over the prefixes."""

    words: marisa_trie.Trie  # every distinct catalog word
    word_log_weight: npt.NDArray[np.float32]  # by word trie id
    word_best_prior: npt.NDArray[np.float32]  # by word trie id: best log P(title) containing it
    prefixes: marisa_trie.Trie  # word prefixes of 1 to MAX_INDEXED_CHARS characters
    prefix_log_weight: npt.NDArray[np.float32]  # by prefix trie id
    prefix_best_prior: npt.NDArray[np.float32]  # by prefix trie id
    deletions: marisa_trie.Trie  # deletion variant -> id
    postings_first: npt.NDArray[np.int32]  # by deletion id, into postings
    postings: npt.NDArray[np.int32]  # prefix trie ids
    prefix_starts: npt.NDArray[np.int32]  # by prefix trie id, into prefix_chars (one more)
    prefix_chars: npt.NDArray[np.uint32]  # the prefixes' code points, in prefix id order
    # The probe reads the arrays above in C (_nearby.c).
    _probe: DeletionProbe = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        probe = DeletionProbe(
            self.deletions.get,
            np.ascontiguousarray(self.postings_first),
            np.ascontiguousarray(self.postings),
            np.ascontiguousarray(self.prefix_starts),
            np.ascontiguousarray(self.prefix_chars),
            np.ascontiguousarray(self.prefix_log_weight),
            np.ascontiguousarray(self.prefix_best_prior),
        )
        object.__setattr__(self, "_probe", probe)

    def prefixes_near(self, typed: str, *, max_edits: int = 2) -> list[str]:
        """Indexed prefixes sharing a deletion variant with ``typed[:MAX_INDEXED_CHARS]``.

        ``max_edits`` caps how many characters are deleted from the probe: 1 still finds every
        prefix one edit away, with a quarter of the lookups and far fewer distant neighbours.
        """
        within, _ = self._near(typed, max_edits, -1, 0)
        return [found[0] for found in within]

    def prefixes_within(
        self, typed: str, *, max_edits: int, budget: int, long_prefixes: bool = False
    ) -> tuple[list[tuple[str, int, float, float]], list[str]]:
        """The prefixes of ``prefixes_near`` at most ``budget`` edits from the whole of
        ``typed`` (OSA distance), each with its distance, log weight and best title prior (as
        ``prefix_log_weight_of`` and ``best_prior_of`` give them); and, with ``long_prefixes``,
        those of ``MAX_INDEXED_CHARS`` characters whatever their distance (the ones whose words
        a longer typed word may still be close to).

        Only the prefixes kept become strings, which is most of the saving over filtering
        ``prefixes_near``.
        """
        if budget < 0:
            raise ValueError(f"budget must be >= 0, got {budget}")
        return self._near(typed, max_edits, budget, MAX_INDEXED_CHARS if long_prefixes else 0)

    def _near(
        self, typed: str, max_edits: int, budget: int, long_length: int
    ) -> tuple[list[tuple[str, int, float, float]], list[str]]:
        depth = min(max_edits, deletion_depth(len(typed[:MAX_INDEXED_CHARS])))
        if depth <= 0:
            return [], []
        return self._probe.near(typed, MAX_INDEXED_CHARS, depth, budget, long_length)

    def prefix_log_weight_of(self, prefix: str) -> float | None:
        prefix_id = self.prefixes.get(prefix)
        return None if prefix_id is None else float(self.prefix_log_weight[prefix_id])

    def word_log_weight_of(self, word: str) -> float | None:
        word_id = self.words.get(word)
        return None if word_id is None else float(self.word_log_weight[word_id])

    def best_prior_of(self, text: str, *, prefix: bool) -> float:
        """An upper bound on log P(title) of titles with ``text`` as a word (or word prefix).

        ``-inf`` when no title has it. Prefixes longer than the index holds are bounded by
        their indexed part.
        """
        if not prefix:
            word_id = self.words.get(text)
            return -math.inf if word_id is None else float(self.word_best_prior[word_id])
        prefix_id = self.prefixes.get(text[:MAX_INDEXED_CHARS])
        return -math.inf if prefix_id is None else float(self.prefix_best_prior[prefix_id])

    def has_word_starting(self, prefix: str) -> bool:
        return next(iter(self.words.iterkeys(prefix)), None) is not None

    def words_starting(self, prefix: str, limit: int) -> list[str]:
        """Up to ``limit`` vocabulary words beginning with ``prefix``, most popular first."""
        found = self.words.items(prefix)
        found.sort(key=lambda item: -float(self.word_log_weight[item[1]]))
        return [word for word, _ in found[:limit]]

    # Build, save, load ------------------------------------------------------------------------

    @classmethod
    def build(cls, titles: Iterable[tuple[Sequence[str], float]]) -> SpellingIndex:
        """Build from (words of a normalized title, log P(title)) pairs."""
        word_mass: dict[str, float] = {}
        word_best: dict[str, float] = {}
        for title_words, log_prior in titles:
            mass = math.exp(log_prior)
            for word in set(title_words):
                word_mass[word] = word_mass.get(word, 0.0) + mass
                if log_prior > word_best.get(word, -math.inf):
                    word_best[word] = log_prior
        total = sum(word_mass.values()) or 1.0
        log_total = math.log(total)
        words = marisa_trie.Trie(word_mass)
        word_order = _keys_in_id_order(words)
        word_log_weight = _column([math.log(word_mass[word]) - log_total for word in word_order])
        word_best_prior = _column([word_best[word] for word in word_order])

        prefix_mass: dict[str, float] = {}
        prefix_best: dict[str, float] = {}
        for word, mass in word_mass.items():
            best = word_best[word]
            # Prefixes shorter than MIN_INDEXED_CHARS get weights and bounds but no deletions.
            for end in range(1, min(len(word), MAX_INDEXED_CHARS) + 1):
                prefix = word[:end]
                prefix_mass[prefix] = prefix_mass.get(prefix, 0.0) + mass
                if best > prefix_best.get(prefix, -math.inf):
                    prefix_best[prefix] = best
        prefixes = marisa_trie.Trie(prefix_mass)
        prefix_order = _keys_in_id_order(prefixes)
        prefix_log_weight = _column(
            [math.log(prefix_mass[prefix]) - log_total for prefix in prefix_order]
        )
        prefix_best_prior = _column([prefix_best[prefix] for prefix in prefix_order])
        prefix_chars = np.frombuffer("".join(prefix_order).encode("utf-32-le"), dtype="<u4")
        prefix_starts = np.zeros(len(prefix_order) + 1, dtype=np.int32)
        np.cumsum([len(prefix) for prefix in prefix_order], out=prefix_starts[1:])

        variant_of_pair: list[str] = []
        prefix_of_pair: list[int] = []
        for prefix_id, prefix in enumerate(prefix_order):
            # Two-letter prefixes are stored as themselves, so that one deletion from a typed
            # three-letter word ("off" -> "of") reaches them.
            if len(prefix) >= MIN_INDEXED_CHARS - 1:
                variants = deletion_variants(prefix, deletion_depth(len(prefix)))
                variant_of_pair.extend(variants)
                prefix_of_pair.extend([prefix_id] * len(variants))

        # Postings as one array sorted by deletion id, rather than a list per deletion: flat
        # arrays build several times faster and load as memory maps.
        deletions = marisa_trie.Trie(variant_of_pair)
        id_of_variant = dict(deletions.iteritems())
        deletion_of_pair = np.fromiter(
            map(id_of_variant.__getitem__, variant_of_pair),
            dtype=np.int32,
            count=len(variant_of_pair),
        )
        order = np.argsort(deletion_of_pair, kind="stable")
        postings = np.asarray(prefix_of_pair, dtype=np.int32)[order]
        postings_first = np.zeros(len(deletions) + 1, dtype=np.int32)
        np.cumsum(np.bincount(deletion_of_pair, minlength=len(deletions)), out=postings_first[1:])
        return cls(
            words=words,
            word_log_weight=word_log_weight,
            word_best_prior=word_best_prior,
            prefixes=prefixes,
            prefix_log_weight=prefix_log_weight,
            prefix_best_prior=prefix_best_prior,
            deletions=deletions,
            postings_first=postings_first,
            postings=postings,
            prefix_starts=prefix_starts,
            prefix_chars=prefix_chars.astype(np.uint32),
        )

    def save(self, directory: str | os.PathLike[str]) -> None:
        target = Path(directory)
        target.mkdir(parents=True, exist_ok=True)
        for name in _TRIES:
            getattr(self, name).save(str(target / f"{name}.marisa"))
        for name in _ARRAYS:
            np.save(target / f"{name}.npy", getattr(self, name))
        sizes = {"words": len(self.words), "prefixes": len(self.prefixes)}
        sizes["deletions"] = len(self.deletions)
        sizes["postings"] = len(self.postings)
        (target / "spelling.json").write_text(json.dumps(sizes, indent=2))

    @classmethod
    def load(cls, directory: str | os.PathLike[str], *, values: bool = True) -> SpellingIndex:
        """Memory-map a spelling index written by ``save``, once its arrays' types and lengths
        and its offsets' ends are checked, and (unless ``values`` is false: then the caller
        runs ``check_values`` itself) every offset and id: the probe in ``_nearby.c`` follows
        them, checking each range it reads against the lengths."""
        source = Path(directory)
        tries = {name: load_trie(source / f"{name}.marisa") for name in _TRIES}
        arrays = {name: load_array(source / f"{name}.npy").view(np.ndarray) for name in _ARRAYS}
        _check_shapes(source.name, tries, arrays)
        index = cls(**tries, **arrays)
        if values:
            index.check_values(source.name)
        return index

    def check_values(self, folder: str) -> None:
        """Every offset and id stays inside what it points into (reads every array; ``folder``
        prefixes the file names in messages)."""

        def file(name: str) -> str:
            return f"{folder}/{name}.npy"

        check_rising(self.prefix_starts, file("prefix_starts"))
        check_within(self.prefix_chars, file("prefix_chars"), 0, sys.maxunicode + 1)
        check_rising(self.postings_first, file("postings_first"))
        check_within(self.postings, file("postings"), 0, len(self.prefixes))


def _check_shapes(
    folder: str, tries: dict[str, marisa_trie.Trie], arrays: dict[str, npt.NDArray[Any]]
) -> None:
    """Every array has the type and length its trie implies, and every offset column the ends
    (``folder`` prefixes the file names in messages)."""

    def file(name: str) -> str:
        return f"{folder}/{name}.npy"

    words, prefixes, deletions = (len(tries[name]) for name in _TRIES)
    for name in ("word_log_weight", "word_best_prior"):
        check_array(arrays[name], file(name), np.float32, words)
    for name in ("prefix_log_weight", "prefix_best_prior"):
        check_array(arrays[name], file(name), np.float32, prefixes)
    for name in ("postings_first", "postings", "prefix_starts"):
        check_array(arrays[name], file(name), np.int32)
    check_array(arrays["prefix_chars"], file("prefix_chars"), np.uint32)
    chars = len(arrays["prefix_chars"])
    check_offset_ends(arrays["prefix_starts"], file("prefix_starts"), prefixes, chars)
    postings = len(arrays["postings"])
    check_offset_ends(arrays["postings_first"], file("postings_first"), deletions, postings)


def _keys_in_id_order(trie: marisa_trie.Trie) -> list[str]:
    keys = [""] * len(trie)
    for key, key_id in trie.iteritems():
        keys[key_id] = key
    return keys


def _column(values: list[float]) -> npt.NDArray[np.float32]:
    return np.asarray(values, dtype=np.float32)


_TRIES = ("words", "prefixes", "deletions")

_ARRAYS = (
    "word_log_weight",
    "word_best_prior",
    "prefix_log_weight",
    "prefix_best_prior",
    "postings_first",
    "postings",
    "prefix_starts",
    "prefix_chars",
)
