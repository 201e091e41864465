"""The systems compared by ``autocomplete eval``, behind one small protocol.

Every system answers ``suggest(query, k)`` with the ids of its ``k`` best titles, best first.
All of them see the same catalog and the same text folding: titles and queries go through
``autocomplete.text.normalize`` (lower case, accents and punctuation gone), so differences come from
retrieval and correction, not from case or punctuation handling. The peers are used the way their
documentation shows, with popularity (the catalog weight) wherever they can take it:

``ours``
    ``Autocomplete.suggest``.
``exact-prefix``
    The baseline: a marisa-trie over the normalized titles; the ``k`` most popular titles that
    start with the query. No typo correction, no article or word-start matching.
``rapidfuzz``
    ``rapidfuzz.process.extract(query, titles, scorer=fuzz.WRatio, limit=k)`` over every
    normalized title; the titles are listed most popular first, so equal scores favour popular
    titles. Scoring all 58,788 titles costs tens of milliseconds per query.
``fast-autocomplete``
    ``fast_autocomplete.AutoComplete(words=...)`` with every normalized title as a "word" and its
    weight as ``count``; ``search(word=query, max_cost=3, size=k)`` (its Levenshtein search).
    Results are word sequences; one that is a title (joined, or its last word) maps to that
    title's ids.
``symspell``
    symspellpy word correction, then the exact-prefix lookup. Two ``SymSpell`` dictionaries
    (``max_dictionary_edit_distance=2``): the catalog's words, counted by the summed weight of the
    titles they occur in, for the words already typed; and every prefix of those words (2+
    characters) for the word still being typed, since SymSpell itself only knows whole words.
    Each word gets its four best ``lookup(..., Verbosity.ALL)`` candidates (fewest edits, then
    most frequent; the word as typed when nothing is close) within its edit budget (none for
    words of 1-2 characters, 1 for 3-5, 2 from 6, as in our engine), and the eight best whole
    readings (fewest total edits, then most frequent words) are looked up in that order until
    ``k`` titles are found, most popular first within a reading. So a typo that is itself a
    word ("tis" for "this") still gets corrected when the word as typed leads nowhere.

``fts5``
    SQLite's FTS5 from the standard library: every typed word a prefix (``"word"*``), all
    required, the most-voted matches first. The year is a second column.
``tantivy``
    tantivy's Python bindings configured like Typesense and Meilisearch: every word must
    match within 1 typo from 4 letters and 2 from 8 (a fuzzy term query, the last word a
    fuzzy prefix), BM25 multiplied by ``log2(2 + votes)`` (``weight_by_field``). The year is a
    second field, which a typed number may match instead of a title word.

The optional peers' packages are imported only when the peer is built; a missing one raises
``PeerUnavailable`` naming the extra to install.
"""

from __future__ import annotations

import heapq
import importlib
import itertools
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any, Protocol

import marisa_trie
import numpy as np

from autocomplete.catalog.loader import Record
from autocomplete.engine.facade import Autocomplete
from autocomplete.text.normalize import normalize, normalize_query

INSTALL_HINT = "pip install -e '.[eval]'"


class PeerUnavailable(RuntimeError):
    """A peer's optional package is not installed."""


class System(Protocol):
    """Anything that suggests titles for a typed query."""

    @property
    def name(self) -> str: ...

    def suggest(self, query: str, k: int) -> list[str]:
        """Ids of the ``k`` best titles for ``query``, best first."""
        ...


def _optional(module: str, package: str, peer: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError:
        raise PeerUnavailable(
            f"skipping peer {peer!r}: the package {package!r} is not installed "
            f"(install the evaluation extra: {INSTALL_HINT})"
        ) from None


def _by_weight(records: Sequence[Record]) -> list[Record]:
    """Records most popular first (stable, so catalog order breaks ties)."""
    return sorted(records, key=lambda record: -record.weight)


class Ours:
    name = "ours"

    def __init__(self, engine: Autocomplete) -> None:
        self._engine = engine

    def suggest(self, query: str, k: int) -> list[str]:
        return [suggestion.id for suggestion in self._engine.suggest(query, k)]


class PrefixTable:
    """The ``k`` most popular titles whose normalized text starts with a prefix (marisa-trie)."""

    def __init__(self, records: Sequence[Record]) -> None:
        ids_by_key: dict[str, list[str]] = defaultdict(list)
        best: dict[str, float] = {}
        for record in _by_weight(records):
            key = normalize(record.text)
            if not key:
                continue
            ids_by_key[key].append(record.id)
            best.setdefault(key, record.weight)
        self._trie = marisa_trie.Trie(list(ids_by_key))
        size = len(self._trie)
        self._ids: list[list[str]] = [[] for _ in range(size)]
        self._weights = np.zeros(size, dtype=np.float64)
        for key, ids in ids_by_key.items():
            key_id = self._trie[key]
            self._ids[key_id] = ids
            self._weights[key_id] = best[key]
        self._popular = [
            record_id
            for key_id in np.argsort(-self._weights, kind="stable").tolist()
            for record_id in self._ids[key_id]
        ]

    def top(self, prefix: str, k: int) -> list[str]:
        """Ids of the ``k`` most popular titles under ``prefix`` (normalized), best first."""
        if not prefix.strip():
            return self._popular[:k]
        key_ids = np.fromiter((key_id for _, key_id in self._trie.items(prefix)), dtype=np.int64)
        if not len(key_ids):
            return []
        weights = self._weights[key_ids]
        if len(key_ids) > k:
            chosen = np.argpartition(-weights, k - 1)[:k]
            key_ids, weights = key_ids[chosen], weights[chosen]
        ordered = key_ids[np.argsort(-weights, kind="stable")].tolist()
        return list(itertools.islice((i for key in ordered for i in self._ids[key]), k))


class ExactPrefix:
    name = "exact-prefix"

    def __init__(self, records: Sequence[Record]) -> None:
        self._table = PrefixTable(records)

    def suggest(self, query: str, k: int) -> list[str]:
        return self._table.top(normalize_query(query), k)


class RapidFuzzWRatio:
    name = "rapidfuzz"

    def __init__(self, records: Sequence[Record]) -> None:
        from rapidfuzz import fuzz, process

        self._extract = process.extract
        self._scorer = fuzz.WRatio
        ordered = [record for record in _by_weight(records) if normalize(record.text)]
        self._choices = [normalize(record.text) for record in ordered]
        self._ids = [record.id for record in ordered]

    def suggest(self, query: str, k: int) -> list[str]:
        typed = normalize(query)
        if not typed:
            return self._ids[:k]
        found = self._extract(typed, self._choices, scorer=self._scorer, limit=k)
        return [self._ids[index] for _, _, index in found]


class FastAutocomplete:
    name = "fast-autocomplete"

    MAX_COST = 3

    def __init__(self, records: Sequence[Record]) -> None:
        module = _optional("fast_autocomplete", "fast-autocomplete[levenshtein]", self.name)
        self._ids: dict[str, list[str]] = defaultdict(list)
        words: dict[str, dict[str, Any]] = {}
        for record in _by_weight(records):
            key = normalize(record.text)
            if not key:
                continue
            self._ids[key].append(record.id)
            words.setdefault(key, {"count": int(record.weight)})
        try:
            self._engine: Any = module.AutoComplete(words=words)
        except RuntimeError as error:  # it wants python-Levenshtein or pylev
            raise PeerUnavailable(f"skipping peer {self.name!r}: {error}".strip()) from None

    def suggest(self, query: str, k: int) -> list[str]:
        typed = normalize_query(query)
        found: list[str] = []
        seen: set[str] = set()
        for words in self._engine.search(word=typed, max_cost=self.MAX_COST, size=k):
            joined = " ".join(words)
            key = joined if joined in self._ids else words[-1] if words else ""
            for record_id in self._ids.get(key, ()):
                if record_id not in seen:
                    seen.add(record_id)
                    found.append(record_id)
        return found[:k]


class SymSpellPrefix:
    name = "symspell"

    MAX_EDITS = 2
    CANDIDATES = 4
    READINGS = 8
    MIN_PREFIX = 2

    def __init__(self, records: Sequence[Record]) -> None:
        module = _optional("symspellpy", "symspellpy", self.name)
        self._verbosity = module.Verbosity.ALL
        self._table = PrefixTable(records)
        words: Counter[str] = Counter()
        for record in records:
            for word in set(normalize(record.text).split()):
                words[word] += int(record.weight) + 1
        prefixes: Counter[str] = Counter()
        for word, count in words.items():
            for size in range(self.MIN_PREFIX, len(word) + 1):
                prefixes[word[:size]] += count
        self._words: Any = module.SymSpell(max_dictionary_edit_distance=self.MAX_EDITS)
        for word, count in words.items():
            self._words.create_dictionary_entry(word, count)
        self._prefixes: Any = module.SymSpell(max_dictionary_edit_distance=self.MAX_EDITS)
        for prefix, count in prefixes.items():
            self._prefixes.create_dictionary_entry(prefix, count)

    @classmethod
    def max_edits(cls, word: str) -> int:
        """Edits allowed in a typed word: none up to 2 characters, 1 up to 5, then 2."""
        return 0 if len(word) <= 2 else 1 if len(word) <= 5 else cls.MAX_EDITS

    def _candidates(self, word: str, *, prefix: bool) -> list[tuple[str, int, int]]:
        dictionary = self._prefixes if prefix else self._words
        edits = self.max_edits(word)
        found = dictionary.lookup(word, self._verbosity, edits, include_unknown=True)
        return [
            (str(item.term), int(item.distance), int(item.count))
            for item in found[: self.CANDIDATES]
        ]

    def readings(self, query: str) -> list[str]:
        """The corrected readings of ``query`` looked up, best first."""
        typed = normalize_query(query)
        words = typed.split()
        if not words:
            return [typed]
        complete = typed.endswith(" ")
        options = [
            self._candidates(word, prefix=not complete and index == len(words) - 1)
            for index, word in enumerate(words)
        ]
        beam: list[tuple[int, float, list[str]]] = [(0, 0.0, [])]
        for choices in options:
            extended = [
                (edits + distance, rarity - math.log(count + 1), [*chosen, term])
                for edits, rarity, chosen in beam
                for term, distance, count in choices
            ]
            beam = heapq.nsmallest(self.READINGS, extended, key=lambda item: (item[0], item[1]))
        return [" ".join(chosen) + (" " if complete else "") for _, _, chosen in beam]

    def suggest(self, query: str, k: int) -> list[str]:
        found: list[str] = []
        seen: set[str] = set()
        for reading in self.readings(query):
            for record_id in self._table.top(reading, k):
                if record_id not in seen:
                    seen.add(record_id)
                    found.append(record_id)
            if len(found) >= k:
                break
        return found[:k]


def _year(record: Record) -> str:
    """The record's year as text ("" without one): the peers index it as a second field, so
    that "psycho 1998" can match the remake's year as our engine does."""
    year = record.metadata.get("year")
    return str(year) if isinstance(year, int) else ""


class SqliteFts5:
    """SQLite's FTS5 (standard library): every typed word a prefix, all required (AND), the
    most-voted matches first."""

    name = "fts5"

    def __init__(self, records: Sequence[Record]) -> None:
        import sqlite3

        # One connection used from the evaluating thread only; in memory, built once.
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._db.execute("CREATE VIRTUAL TABLE titles USING fts5(text, year, tokenize='unicode61')")
        self._db.execute("CREATE TABLE meta (id TEXT, weight REAL)")
        rows = [
            (position, normalize(record.text), _year(record), record.id, record.weight)
            for position, record in enumerate(records, start=1)
        ]
        self._db.executemany(
            "INSERT INTO titles (rowid, text, year) VALUES (?, ?, ?)", [row[:3] for row in rows]
        )
        self._db.executemany(
            "INSERT INTO meta (rowid, id, weight) VALUES (?, ?, ?)",
            [(row[0], row[3], row[4]) for row in rows],
        )
        self._db.execute("CREATE INDEX meta_weight ON meta (weight)")
        self._popular = [
            row[0] for row in self._db.execute("SELECT id FROM meta ORDER BY weight DESC LIMIT 100")
        ]

    def suggest(self, query: str, k: int) -> list[str]:
        words = normalize(query).split()
        if not words:
            return self._popular[:k]
        match = " AND ".join(f'"{word}"*' for word in words)
        rows = self._db.execute(
            "SELECT meta.id FROM titles JOIN meta ON meta.rowid = titles.rowid "
            "WHERE titles MATCH ? ORDER BY meta.weight DESC LIMIT ?",
            (match, k),
        )
        return [row[0] for row in rows]


class Tantivy:
    """tantivy (the Rust search library's Python bindings) used the way Typesense and
    Meilisearch behave: every typed word must match, within 1 typo from 4 letters and 2 from 8
    (none below), the last word as a fuzzy prefix; BM25 weighted by log2(2 + votes)."""

    name = "tantivy"

    def __init__(self, records: Sequence[Record]) -> None:
        tantivy = _optional("tantivy", "tantivy", self.name)
        builder = tantivy.SchemaBuilder()
        builder.add_text_field("text", stored=False)
        builder.add_text_field("year", stored=False)
        builder.add_unsigned_field("id", stored=True, fast=False)
        builder.add_float_field("votes", stored=False, fast=True)
        self._schema = builder.build()
        self._tantivy = tantivy
        self._index = tantivy.Index(self._schema)  # in memory
        writer = self._index.writer(heap_size=64_000_000, num_threads=1)
        for position, record in enumerate(records):
            writer.add_document(
                tantivy.Document(
                    text=normalize(record.text),
                    year=_year(record),
                    id=position,
                    votes=float(record.weight),
                )
            )
        writer.commit()
        writer.wait_merging_threads()
        self._index.reload()
        self._searcher = self._index.searcher()
        self._ids = [record.id for record in records]
        self._popular = [record.id for record in _by_weight(records)[:100]]

    @staticmethod
    def typos(word: str) -> int:
        return 0 if len(word) < 4 else 1 if len(word) < 8 else 2

    def suggest(self, query: str, k: int) -> list[str]:
        words = normalize(query).split()
        if not words:
            return self._popular[:k]
        last_is_prefix = not query.endswith(" ")
        tantivy = self._tantivy
        clauses = []
        for position, word in enumerate(words):
            prefix = last_is_prefix and position == len(words) - 1
            term = tantivy.Query.fuzzy_term_query(
                self._schema, "text", word, distance=self.typos(word), prefix=prefix
            )
            if word.isdigit():  # a number may be the year instead
                year = tantivy.Query.term_query(self._schema, "year", word)
                term = tantivy.Query.boolean_query(
                    [(tantivy.Occur.Should, term), (tantivy.Occur.Should, year)]
                )
            clauses.append((tantivy.Occur.Must, term))
        found = self._searcher.search(
            tantivy.Query.boolean_query(clauses), k, count=False, weight_by_field="votes"
        )
        return [self._ids[self._searcher.doc(address)["id"][0]] for _, address in found.hits]


PEERS: dict[str, Callable[[Sequence[Record]], System]] = {
    ExactPrefix.name: ExactPrefix,
    RapidFuzzWRatio.name: RapidFuzzWRatio,
    FastAutocomplete.name: FastAutocomplete,
    SymSpellPrefix.name: SymSpellPrefix,
    SqliteFts5.name: SqliteFts5,
    Tantivy.name: Tantivy,
}
"""Peer name -> constructor over a catalog's records, in report order."""

CORRECTING_PEERS = frozenset(
    {RapidFuzzWRatio.name, FastAutocomplete.name, SymSpellPrefix.name, Tantivy.name}
)
"""The peers that tolerate typos (the ones ours must be faster than)."""


def build_peers(
    names: Sequence[str], records: Sequence[Record], *, warn: Callable[[str], None] = print
) -> list[System]:
    """The named peers over ``records``; unavailable ones are reported through ``warn`` and left
    out."""
    systems: list[System] = []
    for name in names:
        if name not in PEERS:
            raise ValueError(f"unknown peer {name!r}; choose from {', '.join(PEERS)}")
        try:
            systems.append(PEERS[name](records))
        except PeerUnavailable as error:
            warn(str(error))
    return systems
