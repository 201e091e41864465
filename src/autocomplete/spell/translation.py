"""The translation channel: foreign titles reached by English words, through a bilingual lexicon.

A person who knows a film as "The Name of the Rose" types English words; the catalog holds it as
"Der Name der Rose". For a title in a language the lexicon covers, each word is read through the
lexicon (``der`` -> "the" or "of the", ``name`` -> itself), and the title is reachable by any typed
English words that are among those readings, in any order, the last one possibly half typed.
This is one more channel of the noisy-channel model: P(typed English words | title words) is a
product of per-word terms, ``TRANSLATED_WORD_COST`` nats for a word read through the lexicon and
nothing for a word that is the same in both languages, plus ``SKIPPED_WORD_COST`` for each typed
English function word ("of", "the") with no counterpart.

The title's language comes from the catalog's ``language`` field where there is one, else it is
guessed from its words: at least ``MIN_GUESS_WORDS`` words of the title must be in one language's
lexicon, one of them a word English does not have, so that the "Die" of "Die Hard" stays English.

Everything here is plain data in, plain data out: ``TranslationIndex.build`` takes the
normalized titles and their languages, ``candidates`` takes the typed words and returns
``(title position, channel cost, covers the whole title)`` tuples; the engine scores and
presents them. The lexicon is ``data/title_lexicon.csv`` (see ``data/README.md``).
"""

from __future__ import annotations

import bisect
import csv
import heapq
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Protocol

import numpy as np
import numpy.typing as npt

from autocomplete.text.normalize import normalize

LEXICON_FILE = "title_lexicon.csv"
"""The bilingual lexicon's file name in the data directory."""

LANGUAGE_FIELD = "language"
"""The catalog field that names a title's language (ISO 639 code), where a catalog has one."""

TRANSLATED_WORD_COST = 0.7
"""Channel cost (nats) of a typed word matched through the lexicon rather than as written."""

SKIPPED_WORD_COST = 0.5
"""Channel cost (nats) of a typed function word ("of", "the") that no title word reads as."""

COGNATE_COST = 2.5
"""Channel cost (nats) of a typed word matched to a title word it shares its start with
("violin" for "violon", "symphony" for "symphonie"): see ``COGNATE_PREFIX``."""

PARTIAL_READING_COST = 2.0
"""Channel cost (nats) added to a reading that covers only part of a title (fitted on the eval,
seed 0: without it, such readings pushed titles typed as written down the list)."""

SINGLE_WORD_READING_COST = 3.0
"""Further cost (nats) when that partial reading rests on a single translated word (dropping
such readings instead cost the channel its reach: 0.489 success@5 against 0.516)."""

UNMATCHED_WORD_COST = 4.0
"""Channel cost (nats) of a typed content word with no counterpart at all (a free translation:
"brotherhood" for "pacte"); allowed for one word of three or more."""

COGNATE_PREFIX = 4
"""Letters a typed word and a title word must share at their start to be cognates..."""

COGNATE_EVIDENCE = 6
"""Letters a whole typed word must share with a title word for the cognate alone to show the
title was meant ("symphon" of "symphony" and "symphonie")."""

COGNATE_SHARE = 0.6
"""...and the share of the shorter word they must make up ("viol" of "violin" and "violon")."""

MIN_GUESS_WORDS = 2
"""Words of a title that must be in one language's lexicon for its language to be guessed (one
is enough when it is a function word English does not have, such as "les" or "der")."""

MIN_LAST_PREFIX = 3
"""A half-typed last word shorter than this is not looked up (too many English words start so)."""

MAX_PREFIX_WORDS = 64
"""English words read for a half-typed last word; a shorter prefix would read more."""

MAX_EXAMINED = 128
"""Titles checked per query at most (the most popular of those found), so any query costs
bounded work."""

SORTED_UP_TO = 3_000
"""Titles found up to which the ``MAX_EXAMINED`` most popular are picked by sorting them all
(in C), rather than by ``heapq.nlargest``'s loop (faster only past a few thousand)."""

MIN_BULK_TITLES = 32
"""Examined titles from which ``candidates`` reads their word counts and short last words off the
table's arrays in bulk (``TitlesInBulk``): below it, the few NumPy calls cost about what the
titles' decoded readings do once they are remembered (the p50 of never-seen keystrokes, within
one process, moved by less than 1 µs either way at 32; the multi-word p99 fell 14%)."""

MAX_POOL = 2_048
"""A typed word reaching more titles than this narrows nothing: it is checked on the titles the
other words find, not used to find them."""

SKIPPABLE = frozenset({"the", "a", "an", "of", "to", "in", "and", "on", "for"})
"""Typed English words a translation may leave without a counterpart (at a cost)."""

FUNCTION_WORDS = SKIPPABLE | frozenset(
    {"with", "without", "by", "at", "from", "about", "under", "over", "my", "his", "her", "your",
     "our", "their", "this", "that", "who", "not", "no", "all", "some", "or", "as", "like"}
)  # fmt: skip
"""English words that reading a title through the lexicon gives too easily to show, alone, that
the title was meant."""

ENGLISH_LOOKALIKES = frozenset(
    {"a", "an", "as", "at", "be", "bis", "by", "die", "do", "era", "far", "fest", "for", "he",
     "i", "in", "man", "me", "no", "o", "of", "on", "or", "so", "son", "van", "we", "sin", "den",
     "hard", "mine", "art", "arm", "bad", "rose", "name", "wolf", "opera", "train", "tango",
     "kind", "will", "war", "see", "also", "fast", "gift", "hat", "rot", "bleu", "land",
     "hand", "over", "after", "blind", "end", "under", "still", "sun", "winter", "wind", "world"}
)  # fmt: skip
"""Lexicon words that are English words too: they never make a title's language by themselves."""

_ELISIONS = ("l", "d", "qu", "s", "n", "c")

_ARTICLES = frozenset(
    {"le", "la", "les", "il", "lo", "gli", "el", "los", "las", "der", "das", "des", "det", "het",
     "une", "uno", "una", "ein", "eine", "os"}
)  # fmt: skip
"""Leading articles that mark a title's language by themselves (English has none of them)."""


class LexiconError(ValueError):
    """The lexicon file is malformed (the message names the file, line and field)."""


@dataclass(frozen=True)
class Lexicon:
    """Per language, each (normalized) word's English readings, each a tuple of words."""

    readings: Mapping[str, Mapping[str, tuple[tuple[str, ...], ...]]]

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[str, str, str]]) -> Lexicon:
        """From (language, word, english) rows; several rows may give a word several readings."""
        found: dict[str, dict[str, list[tuple[str, ...]]]] = {}
        for language, word, english in rows:
            words = found.setdefault(language, {}).setdefault(normalize(word), [])
            reading = tuple(normalize(english).split())
            if reading and reading not in words:
                words.append(reading)
        return cls(
            MappingProxyType(
                {
                    language: MappingProxyType({w: tuple(r) for w, r in words.items()})
                    for language, words in found.items()
                }
            )
        )

    @classmethod
    def load(cls, path: Path) -> Lexicon:
        rows: list[tuple[str, str, str]] = []
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            if next(reader, None) != ["language", "word", "english"]:
                raise LexiconError(f"{path}, line 1: header must be language,word,english")
            for line, row in enumerate(reader, start=2):
                if len(row) != 3:
                    raise LexiconError(f"{path}, line {line}: {len(row)} fields, expected 3")
                for name, value in zip(("language", "word", "english"), row, strict=True):
                    if not normalize(value).strip():
                        raise LexiconError(f"{path}, line {line}, field {name!r}: empty")
                language, word, english = row
                rows.append((language, word, english))
        return cls.from_rows(rows)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(sorted(self.readings))

    def guess_language(self, words: Sequence[str]) -> str | None:
        """The language most of ``words`` are in, when the evidence is enough (see module)."""
        best: tuple[int, str] | None = None
        for language, known in self.readings.items():
            hits = [word for word in words if word in known]
            distinctive = [word for word in hits if word not in ENGLISH_LOOKALIKES]
            if not distinctive:
                continue
            enough = len(hits) >= MIN_GUESS_WORDS and 2 * len(hits) >= len(words)
            # "Les Invasions barbares": one article English never writes is enough.
            leading = len(words) >= 2 and words[0] in distinctive and words[0] in _ARTICLES
            if not (enough or leading):
                continue
            if best is None or len(hits) > best[0]:
                best = (len(hits), language)
        return None if best is None else best[1]

    def english_words(self, words: Sequence[str], language: str) -> dict[str, bool]:
        """Every English word the title's ``words`` read as: word -> read through the lexicon
        (True) or the same in both languages (False)."""
        known = self.readings.get(language, {})
        found: dict[str, bool] = {}
        for word in words:
            found.setdefault(word, False)
            for reading in _lookup(known, word) or ():
                for english in reading:
                    if english != word:
                        found.setdefault(english, True)
        return found

    def title_reading(self, words: Sequence[str], given: str | None) -> dict[str, bool] | None:
        """A title's ``english_words`` in its language (``given`` by the catalog, else guessed),
        or None when it has none the lexicon covers or reads nothing differently (ordinary
        retrieval already finds it)."""
        if not words:
            return None
        language = given if given in self.readings else None
        if language is None and given is None:
            language = self.guess_language(words)
        if language is None:
            return None
        english = self.english_words(words, language)
        return english if any(english.values()) else None


def _lookup(
    known: Mapping[str, tuple[tuple[str, ...], ...]], word: str
) -> tuple[tuple[str, ...], ...] | None:
    readings = known.get(word)
    if readings is not None:
        return readings
    # "L'amant" normalizes to "lamant": the article is glued to the word.
    for elision in _ELISIONS:
        if word.startswith(elision) and len(word) > len(elision) + 2:
            rest = known.get(word[len(elision) :])
            glued = known.get(elision)
            if rest is not None:
                return rest + (glued or ())
    return None


class TitlesInBulk(Protocol):
    """What ``candidates`` asks of many examined titles at once, read off a saved table's arrays
    in a few NumPy calls (``spell.translation_table``) instead of title by title through
    ``readings`` and ``title_words``, which decode each title first (the same answers)."""

    def word_counts(self, titles: Sequence[int]) -> list[int]:
        """``title_words[title]`` for each of ``titles`` (all foreign titles)."""
        ...

    def completing(self, titles: Sequence[int], last: str) -> list[bool]:
        """``bool(_last_options(readings[title], last))`` for each of ``titles``."""
        ...


@dataclass(frozen=True)
class TranslationIndex:
    """English words -> the foreign titles that read as them; read-only after ``build``."""

    # Built here as tuples and dicts, or read-only views over a saved table's arrays
    # (``spell.translation_table``): the same contents either way.
    vocabulary: Sequence[str]  # sorted English words
    postings: Mapping[str, Sequence[int]]  # English word -> title positions, ascending
    readings: Mapping[int, Mapping[str, bool]]  # title -> its English words (see english_words)
    title_words: Mapping[int, int]  # title -> how many words it has
    word_best: Mapping[str, float]  # English word -> the best prior of its titles
    through: frozenset[str]  # English words some title reads through the lexicon
    in_bulk: TitlesInBulk | None = None  # the same reads for many titles at once, if any

    @classmethod
    def build(
        cls,
        lexicon: Lexicon,
        titles: Iterable[tuple[int, str, str | None]],
        priors: Sequence[float] | None = None,
    ) -> TranslationIndex:
        """From (title position, normalized title, language or None) triples; with the titles'
        ``priors``, each word keeps its titles' best, so that ``candidates`` can tell from a
        bound that none can place (the same priors must then be passed to it)."""
        postings: dict[str, list[int]] = {}
        readings: dict[int, Mapping[str, bool]] = {}
        sizes: dict[int, int] = {}
        for title, normalized, given in titles:
            words = normalized.split()
            english = lexicon.title_reading(words, given)
            if english is None:
                continue
            readings[title] = MappingProxyType(english)
            sizes[title] = len(words)
            for word in english:
                postings.setdefault(word, []).append(title)
        best: dict[str, float] = {}
        if priors is not None:
            best = {word: max(priors[title] for title in found) for word, found in postings.items()}
        return cls(
            tuple(sorted(postings)),
            MappingProxyType({word: tuple(found) for word, found in postings.items()}),
            MappingProxyType(readings),
            MappingProxyType(sizes),
            MappingProxyType(best),
            frozenset(word for english in readings.values() for word, by in english.items() if by),
        )

    def __len__(self) -> int:
        return len(self.readings)

    def candidates(
        self,
        typed: str,
        priors: Sequence[float],
        limit: int,
        *,
        above_prior: float = -math.inf,
    ) -> list[tuple[int, float, bool]]:
        """Up to ``limit`` titles the typed English words reach through the lexicon, best prior
        first: ``(title, channel cost, the typed words cover the whole title)``. Only titles
        whose prior is above ``above_prior`` are examined (the caller's bound: others could not
        place).

        ``typed`` is a normalized query; its last word is a prefix unless it ends in a space.
        A title qualifies when every typed word is one of its English words, a cognate of one of
        its words, or a skippable function word (one content word of three or more may have no
        counterpart), and at least one was read through the lexicon or as a cognate.
        """
        words = typed.split()
        if not words:
            return []
        complete = words if typed.endswith(" ") else words[:-1]
        last = None if typed.endswith(" ") else words[-1]
        content = [word for word in complete if word not in SKIPPABLE]
        if not content and (last is None or last in SKIPPABLE):
            return []  # "the": every foreign article reads so
        read = [self._content_words(word) for word in content]
        if last is not None and last not in SKIPPABLE and len(last) >= MIN_LAST_PREFIX:
            read.append(self._last_words(last))
        groups = [group for group, _ in read]
        if above_prior > -math.inf and self._cannot_place(groups, above_prior):
            return []
        # A group with one word of more than ``MAX_POOL`` titles finds nothing: its pool is not
        # gathered (None), only its postings read for the titles examined (``_unmatched``).
        gathered: list[set[int] | None] = []
        for group in groups:
            if any(len(self.postings[word]) > MAX_POOL for word in group):
                gathered.append(None)
                continue
            pool: set[int] = set()
            for word in group:
                pool.update(self.postings[word])
            gathered.append(pool)
        pools = [pool for pool in gathered if pool is not None and len(pool) <= MAX_POOL]
        if not pools:
            return []
        # A title must be in every pool but one when one content word may go unmatched. Only
        # titles above the bound are kept: the most popular of them are the ones examined, as
        # they would be among all the titles found. Each list is in the order the titles are
        # first met, pool by pool (ties in prior are examined in that order).
        if len(pools) == 1:
            found = [title for title in pools[0] if priors[title] > above_prior]
        elif len(pools) == 2:
            other = pools[1]
            found = [title for title in pools[0] if title in other and priors[title] > above_prior]
        else:
            counts: dict[int, int] = {}
            for pool in pools:
                for title in pool:
                    counts[title] = counts.get(title, 0) + 1
            need = len(pools) - 1
            found = [
                title
                for title, count in counts.items()
                if count >= need and priors[title] > above_prior
            ]
        # The same titles in the same order either way (nlargest keeps ties in the order met,
        # as a stable sort does): sorting in C is the faster below a few thousand.
        if len(found) <= SORTED_UP_TO:
            examined = sorted(found, key=priors.__getitem__, reverse=True)[:MAX_EXAMINED]
        else:
            examined = heapq.nlargest(MAX_EXAMINED, found, key=priors.__getitem__)
        # Without a word that can show the title was meant, only a title the typed words
        # cover whole qualifies (see ``_cost``): one with more words is not priced.
        most_words = math.inf if self._may_translate(complete, last) else len(words)
        # A title that leaves more typed content words unmatched than ``_cost`` allows (one of
        # three or more) is rejected before it is priced: the words outside whose pools it is
        # (``_unmatched``), and a short last word (no pool) that none of its words completes.
        content_count = len(content) + (last is not None and last not in SKIPPABLE)
        may_miss = 1 if content_count >= 3 else 0
        short_last = None
        if last is not None and last not in SKIPPABLE and len(last) < MIN_LAST_PREFIX:
            short_last = last
        readings = self.readings
        title_words = self.title_words
        results: list[tuple[int, float, bool]] = []
        # A title no typed word can show was meant must be covered whole: not one with more
        # words than were typed.
        completing = None  # the last word's pool, when it holds every title a word of completes
        if len(read) > len(content) and read[-1][1]:
            completing = gathered[-1]
        shown = self._may_show(examined, complete, last, completing)
        missing = self._unmatched(examined, read, gathered)
        # Most examined titles are turned down by the checks below alone: with many of them,
        # the checks read the table's arrays in bulk, and a title is decoded only when priced.
        sizes: list[int] | None = None
        completes: dict[int, bool] | None = None
        in_bulk = self.in_bulk
        if in_bulk is not None and len(examined) >= MIN_BULK_TITLES:
            sizes = in_bulk.word_counts(examined)
            if short_last is not None:
                asked = [
                    title
                    for title, missed, may_show, size in zip(
                        examined, missing, shown, sizes, strict=True
                    )
                    if missed == may_miss and size <= (most_words if may_show else len(words))
                ]
                if len(asked) >= MIN_BULK_TITLES:
                    completes = dict(zip(asked, in_bulk.completing(asked, short_last), strict=True))
        checks = zip(examined, missing, shown, strict=True)
        for position, (title, missed, may_show) in enumerate(checks):
            if missed > may_miss:
                continue
            size = sizes[position] if sizes is not None else title_words[title]
            if size > (most_words if may_show else len(words)):
                continue
            if (
                short_last is not None
                and missed == may_miss
                and not (
                    completes[title]
                    if completes is not None
                    else _last_options(readings[title], short_last)
                )
            ):
                continue
            scored = self._cost(title, complete, last)
            if scored is not None:
                results.append((title, *scored))
                if len(results) == limit:
                    break
        return results

    def _unmatched(
        self,
        titles: list[int],
        read: list[tuple[list[str], bool]],
        gathered: list[set[int] | None],
    ) -> list[int]:
        """For each of ``titles``, how many of the typed words read as ``read`` (each word's
        English words, and whether those hold every title ``_cost`` can match the word to) it
        certainly leaves unmatched in ``_cost``: those whose words hold every such title and
        none of whose titles it is. ``gathered`` holds each word's titles as a set, or None
        where they were not gathered (then the sorted postings are searched, all titles at
        once)."""
        if not titles:
            return []
        unmatched = np.zeros(len(titles), dtype=np.int64)
        positions = np.asarray(titles)
        for (group, holds_all), pool in zip(read, gathered, strict=True):
            if not holds_all:
                continue
            if pool is not None:
                unmatched += np.fromiter((title not in pool for title in titles), np.bool_)
                continue
            unmatched += ~self._among(positions, group)
        counts: list[int] = unmatched.tolist()
        return counts

    def _may_show(
        self, titles: list[int], complete: list[str], last: str | None, completing: set[int] | None
    ) -> list[bool]:
        """For each of ``titles``, whether some typed word may count in ``_cost`` as evidence
        that it was meant (False: none can): a complete content word it reads through the
        lexicon (itself, or its singular or plural), a word of ``COGNATE_EVIDENCE`` letters or
        more it has a word sharing them with, or a half-typed last word one of its words
        completes (its titles are among ``completing``, the last word's pool, when that holds
        them all; else every title may be shown). All True too when a prefix scan is cut off."""
        if not titles:
            return []
        words: list[str] = []
        scans: list[str] = []
        for word in complete:
            if word not in FUNCTION_WORDS:
                words += (word, word[:-1] if word.endswith("s") else word + "s")
            if word not in SKIPPABLE and len(word) >= COGNATE_EVIDENCE:
                scans.append(word[:COGNATE_EVIDENCE])
        completes = last is not None and len(last) >= MIN_LAST_PREFIX
        completes = completes and last not in FUNCTION_WORDS
        if completes and completing is None:
            return [True] * len(titles)
        if last is not None and len(last) >= COGNATE_EVIDENCE:
            scans.append(last[:COGNATE_EVIDENCE])
        for prefix in scans:
            scanned = self._words_with_prefix(prefix)
            if len(scanned) >= MAX_PREFIX_WORDS:
                return [True] * len(titles)
            words += scanned
        found = [word for word in dict.fromkeys(words) if word in self.postings]
        shown = self._among(np.asarray(titles), found)
        if completes and completing is not None:
            shown |= np.fromiter((title in completing for title in titles), np.bool_)
        flags: list[bool] = shown.tolist()
        return flags

    def _among(
        self, positions: npt.NDArray[np.int64], words: Sequence[str]
    ) -> npt.NDArray[np.bool_]:
        """Which title ``positions`` are among the titles of any of ``words`` (each word's
        postings searched, sorted, for all positions at once)."""
        found = np.zeros(len(positions), dtype=np.bool_)
        for word in words:
            postings = np.asarray(self.postings[word])
            at = np.minimum(np.searchsorted(postings, positions), len(postings) - 1)
            found |= postings[at] == positions
        return found

    def _may_translate(self, complete: list[str], last: str | None) -> bool:
        """Whether some typed word may count, in ``_cost``, as evidence that a foreign title
        was meant: a complete word some title reads through the lexicon (itself, or its
        singular or plural) that is not a function word, a word long enough for a cognate's
        evidence, or a last word of ``MIN_LAST_PREFIX`` letters or more that is not a
        function word."""
        through = self.through
        for word in complete:
            if len(word) >= COGNATE_EVIDENCE:
                return True
            plural = word[:-1] if word.endswith("s") else word + "s"
            if word not in FUNCTION_WORDS and (word in through or plural in through):
                return True
        if last is None:
            return False
        return len(last) >= COGNATE_EVIDENCE or (
            len(last) >= MIN_LAST_PREFIX and last not in FUNCTION_WORDS
        )

    def _content_words(self, word: str) -> tuple[list[str], bool]:
        """The English words whose titles a complete typed word may stand for: itself, its
        singular or plural, and (from ``COGNATE_PREFIX`` letters) the words it may be a
        cognate of; and whether they are all of them (``MAX_PREFIX_WORDS`` cut none off), so
        that every title ``_cost`` can match the word to is among theirs."""
        forms = (word, word[:-1] if word.endswith("s") else word + "s")
        found = [form for form in forms if form in self.postings]
        holds_all = True
        if len(word) >= COGNATE_PREFIX:
            cognates = self._words_with_prefix(word[:COGNATE_PREFIX])
            found += cognates
            holds_all = len(cognates) < MAX_PREFIX_WORDS
        return found, holds_all

    def _last_words(self, last: str) -> tuple[list[str], bool]:
        """The same for the half-typed last word: the words it starts, its singular, and
        the cognates."""
        found = self._words_with_prefix(last)
        holds_all = len(found) < MAX_PREFIX_WORDS
        if last.endswith("s") and last[:-1] in self.postings:
            found.append(last[:-1])
        if len(last) > COGNATE_PREFIX:
            cognates = self._words_with_prefix(last[:COGNATE_PREFIX])
            found += cognates
            holds_all = holds_all and len(cognates) < MAX_PREFIX_WORDS
        return found, holds_all

    def _words_with_prefix(self, prefix: str) -> list[str]:
        start = bisect.bisect_left(self.vocabulary, prefix)
        found: list[str] = []
        for word in self.vocabulary[start : start + MAX_PREFIX_WORDS]:
            if not word.startswith(prefix):
                break
            found.append(word)
        return found

    def _cannot_place(self, groups: list[list[str]], above_prior: float) -> bool:
        """Whether no title the typed words reach can have a prior above ``above_prior``,
        judged from each pool's best prior before any pool is gathered.

        A pool that may exceed ``MAX_POOL`` may be dropped, so it bounds nothing; with three
        typed words or more a title may miss one pool, so the bound is the second-lowest
        pool's best, else the lowest.
        """
        best = self.word_best
        certain = [
            max((best.get(word, math.inf) for word in group), default=-math.inf)
            for group in groups
            if sum(len(self.postings[word]) for word in group) <= MAX_POOL
        ]
        if not certain:
            return False
        certain.sort()
        if len(groups) >= 3:
            return len(certain) >= 2 and certain[1] <= above_prior
        return certain[0] <= above_prior

    def _cost(self, title: int, complete: list[str], last: str | None) -> tuple[float, bool] | None:
        english = self.readings[title]
        originals = [word for word, through in english.items() if not through]
        cost = 0.0
        matched = translated = unmatched = content = 0
        for word in complete:
            through = _english_match(english, word)
            if through is None and word not in SKIPPABLE and _cognate(word, originals):
                matched += 1
                content += 1
                cost += COGNATE_COST
                # A long shared start ("symphon", "invasions") shows the title was meant.
                translated += _cognate(word, originals, shared_at_least=COGNATE_EVIDENCE)
                continue
            if word not in SKIPPABLE:
                content += 1
            if through is None:
                if word in SKIPPABLE:
                    cost += SKIPPED_WORD_COST
                else:
                    unmatched += 1
                    cost += UNMATCHED_WORD_COST
                continue
            matched += 1
            if through:
                # Only a content word read through the lexicon shows the title was meant:
                # every foreign article reads as "the".
                translated += word not in FUNCTION_WORDS
                cost += TRANSLATED_WORD_COST
        if last is not None:
            content += last not in SKIPPABLE
            options = _last_options(english, last)
            if options:
                matched += 1
                # Read through the lexicon when that is the only way to complete it, or when the
                # word as typed is a reading ("conformist" of "conformista").
                if all(options) or english.get(last):
                    translated += len(last) >= MIN_LAST_PREFIX and last not in FUNCTION_WORDS
                    cost += TRANSLATED_WORD_COST
            elif len(last) > COGNATE_PREFIX and _cognate(last, originals, prefix=True):
                matched += 1
                cost += COGNATE_COST
                translated += _cognate(last, originals, shared_at_least=COGNATE_EVIDENCE)
            elif last not in SKIPPABLE:
                unmatched += 1
                cost += UNMATCHED_WORD_COST
        whole = matched >= self.title_words[title]
        if unmatched > (1 if content >= 3 else 0) or not matched:
            return None
        # Evidence that the foreign title was meant: a content word read through the lexicon,
        # or the whole title covered, by two content words ("the name of the rose") or through
        # its article ("the experiment" for "Das Experiment").
        if not translated and not (whole and not unmatched and (content >= 2 or cost > 0)):
            return None
        if not whole:
            # Part of a title reached through the lexicon is weaker evidence than the same words
            # typed as written, and through one translated word ("love on" for Hiroshima mon
            # amour) weaker still.
            cost += PARTIAL_READING_COST + (SINGLE_WORD_READING_COST if translated < 2 else 0.0)
        return cost, whole


def _last_options(english: Mapping[str, bool], last: str) -> list[bool]:
    """How a title's English words may complete the half-typed ``last`` word: through the
    lexicon or not, one flag a word (none: it completes none)."""
    options = [
        through
        for word, through in english.items()
        if word.startswith(last) and (len(last) >= MIN_LAST_PREFIX or not through)
    ]
    if not options and last.endswith("s") and last[:-1] in english:
        options = [english[last[:-1]]]  # "hearts" for "heart" (coeur)
    return options


def _english_match(english: Mapping[str, bool], word: str) -> bool | None:
    """Whether ``word`` (or its singular or plural) is one of a title's English words, and if
    so whether through the lexicon."""
    for form in (word, word[:-1] if word.endswith("s") else word + "s"):
        through = english.get(form)
        if through is not None:
            return through
    return None


def _cognate(
    typed: str, originals: Sequence[str], *, prefix: bool = False, shared_at_least: int = 0
) -> bool:
    """Whether ``typed`` shares its start with a title word, enough to be the same word in two
    languages; a half-typed word (``prefix``) need only start that word."""
    for word in originals:
        if prefix and word.startswith(typed):
            return True
        if len(typed) < shared_at_least or len(word) < shared_at_least:
            continue
        shared = 0
        for left, right in zip(typed, word, strict=False):
            if left != right:
                break
            shared += 1
        enough = max(COGNATE_PREFIX, shared_at_least)
        if shared >= enough and shared >= COGNATE_SHARE * min(len(typed), len(word)):
            return True
    return False
