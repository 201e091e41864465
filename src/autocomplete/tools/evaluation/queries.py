"""A seeded generator of realistic autocomplete queries, each with the title it was typed for.

Method
------
**Targets.** For every category a list of target titles is drawn from the titles the category
applies to (only titles with a leading article can lose it, only titles of three or more words
have initials worth typing, ...). ``1 - TAIL_SHARE`` of the targets are drawn in proportion to
popularity (``weight + 1``, IMDb votes for the bundled catalog), the way real traffic concentrates
on popular titles; the rest uniformly among the *tail*, the titles at or below the 90th
popularity percentile. A title is the target of at most one query per category.

**Typing.** A person types a title in lower case, without accents, apostrophes or other
punctuation (``typed_form``: "Schindler's List" -> "schindlers list"), and stops somewhere:
the query is cut to a prefix of 40-100% of the text, never shorter than ``MIN_CHARS`` (4)
characters unless the title is, and never longer than ``MAX_CHARS`` (30) unless the 40% mark is
already further. Then, by category:

``clean``
    A prefix of the display title as written, lower-cased, punctuation kept ("schindler's li").
``no_article``
    The title without its leading English article ("the", "a", "an") and without punctuation,
    for titles that have an article or punctuation ("big lebow", "schindlers li").
``one_slip``
    One keyboard slip in the typed prefix: a key next to the intended one on a QWERTY keyboard
    (substitution), a neighbouring key hit as well (insertion), a letter left out (deletion),
    two letters swapped (transposition), or a letter typed twice (doubling). Slips fall on a
    letter other than the query's first character: first-letter errors are rare in real typing
    (a few per cent of misspellings), and the lead character is the one people look at.
``two_slips``
    Two such slips, at least two characters apart, in a prefix of at least ``MIN_TWO_SLIP_CHARS``
    (8) characters; the query is exactly two edits (optimal string alignment) from the nearest
    prefix of the title.
``phonetic``
    One spelling-by-sound rewrite that applies to the title: ph as f, c/k, ck/k, ie/ei, a doubled
    consonant written single or a single one doubled, or a silent letter dropped (kn, wr, gn,
    ps, wh, rh, gh at a word start; mb at a word end; bt; sc before e/i; stl; gu before a vowel).
    See ``PHONETIC_RULES``. Each of the five kinds (ph/f, c/k, ie/ei, doubling, silent letters)
    makes about a fifth of the queries, over the titles it fits. The rewrite lies inside the
    typed prefix, with at least one character typed after it when the title goes on (so a
    dropped letter cannot hide at the cut). Only "ph" is written "f" ("fone", "telefone"), not
    the reverse: nobody writes "phor" for "for".
``word_start``
    Typing from a later word of the title ("lebowski" for "The Big Lebowski"): the word is not the
    first (nor the one after a leading article: that is ``no_article``), is not a stop word and
    has at least three characters.
``initials``
    The first letters of the words of the main title (the part before a ":" or " - " subtitle),
    for main titles of 3-6 words; a leading article is left out half of the time when at least
    three letters remain ("tbl", "bl" is never asked; "lotr" for "The Lord of the Rings").
``skipped_words``
    The words people remember: each stop word of the title left out with chance 0.6, each other
    word with chance 0.3, the order kept; the first 2-4 remaining words typed, the last one cut
    to at least 40% of it ("harry potter chamber", "lord rings two to"). Never a stretch of the
    title from a word start (that is ``clean``, ``no_article`` or ``word_start``).
``out_of_order``
    Two to four of the title's words other than stop words, in an order the title does not
    have, the last one cut ("lebowski big").
``title_year``
    A title sharing its typed form with a title of another year (a remake), typed whole and
    followed by its year ("psycho 1998", "king kong 1976").
``diacritics``
    Only for catalogs with non-ASCII titles (the bundled IMDb catalog is plain ASCII, so this
    runs on the fixture catalog): every prefix of at least three characters of the title folded
    to ASCII (accents dropped, "ß" as "ss"), of its German transliteration ("ä" as "ae"), of the
    title typed with its accents, and of its later words, deduplicated and then sampled.

Every slip and rewrite is checked: the query must not be a prefix of the text it was cut from
(a letter dropped at the cut would leave a clean, shorter prefix), and a one-slip (two-slip)
query must be exactly one (two) edits from the nearest prefix of the typed title.

Independence
------------
The engine's error model is trained on codespell's misspelling lists, blended with a keyboard
model. Nothing here reads those lists or the engine's error model: the slips come from the
keyboard geometry below, the phonetic rewrites from spelling rules written out by hand, and the
typed form from this module's own folding. (The physical keyboard is the same one, of course.)

Hits
----
``EvalQuery.target_ids`` holds only the target's own id: a suggestion is a hit when it is the
title the query was typed for. Remakes share their display text ("The Big Sleep" of 1946 and
of 1978), and no prefix can tell them apart, so ``same_text_ids`` holds the ids of every title
with the same typed form; the report gives overall figures under that looser "title-text" rule
as well. Everything is a pure function of the catalog and the seed.
"""

from __future__ import annotations

import math
import random
import re
import unicodedata
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from rapidfuzz.distance import OSA

from autocomplete.catalog.loader import Record

CLEAN = "clean"
NO_ARTICLE = "no_article"
ONE_SLIP = "one_slip"
TWO_SLIPS = "two_slips"
PHONETIC = "phonetic"
WORD_START = "word_start"
INITIALS = "initials"
DIACRITICS = "diacritics"
SKIPPED_WORDS = "skipped_words"
OUT_OF_ORDER = "out_of_order"
TITLE_YEAR = "title_year"

PREFIX_CATEGORIES: tuple[str, ...] = (
    CLEAN,
    NO_ARTICLE,
    ONE_SLIP,
    TWO_SLIPS,
    PHONETIC,
    WORD_START,
    INITIALS,
)
"""The categories typed as one stretch of a title (the first seven)."""

MULTIWORD_CATEGORIES: tuple[str, ...] = (SKIPPED_WORDS, OUT_OF_ORDER, TITLE_YEAR)
"""The categories typed as the words people remember (issue 15)."""

CATEGORIES: tuple[str, ...] = (*PREFIX_CATEGORIES, *MULTIWORD_CATEGORIES)
"""The categories generated over any catalog, in report order."""

ALL_CATEGORIES: tuple[str, ...] = (*CATEGORIES, DIACRITICS)

TAIL_SHARE = 0.25
"""Share of targets drawn uniformly from the tail rather than by popularity."""

TAIL_QUANTILE = 0.9
"""Titles at or below this popularity quantile form the tail."""

MIN_SHARE = 0.4
"""A query covers at least this share of the text it is cut from..."""

MIN_CHARS = 4
"""...and at least this many characters (or the whole text, when shorter)..."""

MAX_CHARS = 30
"""...and at most this many, unless ``MIN_SHARE`` of the text is already longer."""

MIN_TWO_SLIP_CHARS = 8
"""Shortest prefix that carries two slips."""

MIN_TITLE_CHARS = 3
"""Titles whose typed form is shorter than this are never targets."""

STOP_SKIP_CHANCE = 0.6
"""``skipped_words``: chance that a stop word of the title is left out..."""

CONTENT_SKIP_CHANCE = 0.3
"""...and that any other word is."""

MIN_REMEMBERED_WORDS = 2
"""Words typed in the multi-word categories, at least."""

MAX_REMEMBERED_WORDS = 4
"""Words typed in the multi-word categories, at most."""

ENGLISH_ARTICLES = frozenset({"the", "a", "an"})

STOP_WORDS = frozenset(
    {"the", "a", "an", "and", "of", "in", "on", "to", "for", "at", "by", "with", "from", "or",
     "is", "it", "de", "la", "le", "el", "les", "der", "die", "das", "part", "ii", "iii"}
)  # fmt: skip
"""Words nobody starts typing a title from."""

_APOSTROPHES = frozenset("'’‘`´")
_GERMAN = {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"}


@dataclass(frozen=True, slots=True)
class EvalQuery:
    """One query and the title it was typed for."""

    category: str
    text: str
    """The query exactly as typed."""
    target_title: str
    """The target's display title."""
    target_id: str
    same_text_ids: frozenset[str]
    """Ids of every title with the target's typed form (remakes): the "title-text" hit rule."""
    intended: str
    """What the person meant to type: the clean prefix the noise was applied to."""
    note: str
    """How ``intended`` became ``text``, e.g. "sub", "transpose+delete", "ph>f", "prefix"."""

    @property
    def target_ids(self) -> frozenset[str]:
        """Ids that count as a hit: the target's own id."""
        return frozenset({self.target_id})


# Typing -------------------------------------------------------------------------------------------


def typed_form(title: str) -> str:
    """How a person types a title: lower case, plain letters, no punctuation.

    Accents are dropped ("é" -> "e", "ß" -> "ss"), apostrophes vanish ("schindler's" ->
    "schindlers"), "&" is spelled "and", and any other punctuation is a space.
    """
    out: list[str] = []
    for char in title:
        if char in _APOSTROPHES:
            continue
        if char == "&":
            out.append(" and ")
            continue
        for part in unicodedata.normalize("NFKD", char):
            if unicodedata.combining(part):
                continue
            for lowered in part.casefold():
                out.append(lowered if lowered.isalnum() else " ")
    return " ".join("".join(out).split())


def cut_bounds(length: int, min_chars: int = MIN_CHARS) -> tuple[int, int]:
    """The shortest and longest prefix (in characters) typed of a text of ``length``."""
    if length <= min_chars:
        return length, length
    low = max(min_chars, math.ceil(MIN_SHARE * length))
    return low, min(length, max(low, MAX_CHARS))


def _cut(text: str, rng: random.Random, min_chars: int = MIN_CHARS, at_least: int = 0) -> str:
    low, high = cut_bounds(len(text), min_chars)
    low = max(low, min(at_least, len(text)))
    high = max(high, low)
    return text[: rng.randint(low, high)]


# The keyboard -------------------------------------------------------------------------------------

_ROWS = (("1234567890", 0.0), ("qwertyuiop", 0.5), ("asdfghjkl", 0.75), ("zxcvbnm", 1.25))


def _keyboard_neighbours() -> dict[str, str]:
    """Letters on keys touching each letter's key on a QWERTY keyboard (rows are staggered)."""
    position = {
        key: (row, offset + column)
        for row, (keys, offset) in enumerate(_ROWS)
        for column, key in enumerate(keys)
    }
    neighbours: dict[str, str] = {}
    for key, (row, x) in position.items():
        if not key.isalpha():
            continue
        near = [
            other
            for other, (other_row, other_x) in position.items()
            if other != key
            and other.isalpha()
            and (
                (other_row == row and abs(other_x - x) == 1)
                or (abs(other_row - row) == 1 and abs(other_x - x) < 1)
            )
        ]
        neighbours[key] = "".join(sorted(near))
    return neighbours


KEYBOARD_NEIGHBOURS = _keyboard_neighbours()
"""``{"g": "bfhtvy", ...}``: the letter keys next to each letter key."""


# Slips --------------------------------------------------------------------------------------------

SLIP_WEIGHTS: dict[str, float] = {
    "sub": 0.35,
    "delete": 0.2,
    "insert": 0.15,
    "transpose": 0.15,
    "double": 0.15,
}
"""How often each kind of slip is made."""


def apply_slip(text: str, kind: str, position: int, rng: random.Random) -> str | None:
    """``text`` with one slip of ``kind`` at ``position``, or None when it cannot go there."""
    char = text[position]
    if not char.isalpha() or char not in KEYBOARD_NEIGHBOURS:
        return None
    if kind == "sub":
        return text[:position] + rng.choice(KEYBOARD_NEIGHBOURS[char]) + text[position + 1 :]
    if kind == "insert":
        extra = rng.choice(KEYBOARD_NEIGHBOURS[char])
        if rng.random() < 0.5:
            return text[: position + 1] + extra + text[position + 1 :]
        return text[:position] + extra + text[position:]
    if kind == "delete":
        return text[:position] + text[position + 1 :]
    if kind == "transpose":
        following = text[position + 1 : position + 2]
        if not following.isalpha() or following == char:
            return None
        return text[:position] + following + char + text[position + 2 :]
    if kind == "double":
        return text[: position + 1] + char + text[position + 1 :]
    raise ValueError(f"unknown slip {kind!r}")


def _slip_kind(rng: random.Random) -> str:
    kinds = list(SLIP_WEIGHTS)
    return rng.choices(kinds, weights=[SLIP_WEIGHTS[kind] for kind in kinds])[0]


def distance_to_prefixes(query: str, text: str) -> int:
    """Edits (optimal string alignment) from ``query`` to the nearest prefix of ``text``."""
    low = max(0, len(query) - 3)
    high = min(len(text), len(query) + 3)
    return min(OSA.distance(query, text[:size]) for size in range(low, high + 1))


# Phonetic rewrites --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PhoneticRule:
    name: str
    group: str
    """Rules of a kind ("c/k", "silent") share a group; groups are chosen alike."""
    pattern: re.Pattern[str]
    replace: Callable[[re.Match[str]], str]


def _rule(group: str, name: str, pattern: str, replacement: str | None = None) -> PhoneticRule:
    if replacement is None:

        def single(match: re.Match[str]) -> str:
            return match.group(1)

        return PhoneticRule(name, group, re.compile(pattern), single)
    fixed = replacement
    return PhoneticRule(name, group, re.compile(pattern), lambda _: fixed)


def _double(match: re.Match[str]) -> str:
    return match.group(1) * 2


_SINGLE_CONSONANT = r"(?<=[aeiou])([bdfglmnprt])(?=[aeiou])"

PHONETIC_RULES: tuple[PhoneticRule, ...] = (
    _rule("ph/f", "ph>f", r"ph", "f"),
    _rule("c/k", "c>k", r"(?<!s)c(?=[aoulr])", "k"),
    _rule("c/k", "k>c", r"(?<![cs])k(?=[aou])", "c"),
    _rule("c/k", "ck>k", r"ck", "k"),
    _rule("ie/ei", "ie>ei", r"ie", "ei"),
    _rule("ie/ei", "ei>ie", r"ei", "ie"),
    _rule("double/single", "double>single", r"([bcdfgklmnprstz])\1"),
    PhoneticRule("single>double", "double/single", re.compile(_SINGLE_CONSONANT), _double),
    _rule("silent", "silent-kn", r"\bkn", "n"),
    _rule("silent", "silent-wr", r"\bwr", "r"),
    _rule("silent", "silent-gn", r"\bgn", "n"),
    _rule("silent", "silent-ps", r"\bps", "s"),
    _rule("silent", "silent-wh", r"\bwh", "w"),
    _rule("silent", "silent-rh", r"\brh", "r"),
    _rule("silent", "silent-gh", r"\bgh", "g"),
    _rule("silent", "silent-mb", r"mb\b", "m"),
    _rule("silent", "silent-bt", r"bt", "t"),
    _rule("silent", "silent-sc", r"sc(?=[ei])", "s"),
    _rule("silent", "silent-stl", r"stl", "sl"),
    _rule("silent", "silent-gu", r"gu(?=[aeiy])", "g"),
)
"""Spelling-by-sound rewrites: each replaces one match of its pattern."""

PHONETIC_BY_NAME = {rule.name: rule for rule in PHONETIC_RULES}


def phonetic_matches(text: str, limit: int = MAX_CHARS) -> list[tuple[PhoneticRule, re.Match[str]]]:
    """Every place a phonetic rule applies to ``text`` within its first ``limit`` characters."""
    return [
        (rule, match)
        for rule in PHONETIC_RULES
        for match in rule.pattern.finditer(text)
        if match.end() <= limit
    ]


def rewrite(text: str, rule: PhoneticRule, match: re.Match[str]) -> str:
    return text[: match.start()] + rule.replace(match) + text[match.end() :]


def phonetic_variants(text: str, rule_name: str) -> set[str]:
    """Every string one application of the named rule makes of ``text`` (for checking)."""
    rule = PHONETIC_BY_NAME[rule_name]
    return {rewrite(text, rule, match) for match in rule.pattern.finditer(text)}


# Initials -----------------------------------------------------------------------------------------


def main_title(title: str) -> str:
    """The title before a subtitle ("Star Wars: Episode IV" -> "Star Wars")."""
    for separator in (":", " - "):
        head, found, _ = title.partition(separator)
        if found and head.strip():
            title = head
    return title


def initials_of(title: str, *, drop_article: bool) -> str | None:
    """The initials a person types for ``title``, or None when it has none worth typing."""
    words = typed_form(main_title(title)).split()
    if not 3 <= len(words) <= 6:
        return None
    if drop_article and words[0] in ENGLISH_ARTICLES and len(words) > 3:
        words = words[1:]
    return "".join(word[0] for word in words)


# Query makers: (record, typed form, rng) -> (query, intended, note) or None -----------------------

_Made = tuple[str, str, str] | None


def _make_clean(record: Record, typed: str, rng: random.Random) -> _Made:
    lowered = record.text.casefold().strip()
    if len(lowered) < MIN_TITLE_CHARS:
        return None
    prefix = _cut(lowered, rng)
    return prefix, prefix, "prefix"


def _without_article(typed: str) -> str | None:
    first, _, rest = typed.partition(" ")
    return rest if first in ENGLISH_ARTICLES and rest else None


def _make_no_article(record: Record, typed: str, rng: random.Random) -> _Made:
    rest = _without_article(typed)
    punctuated = typed != " ".join(record.text.casefold().split())
    if rest is None and not punctuated:
        return None
    text = rest if rest is not None else typed
    query = _cut(text, rng)
    if record.text.casefold().startswith(query):
        return None
    return query, query, "no-article" if rest is not None else "no-punctuation"


def _slip_positions(text: str) -> list[int]:
    return [index for index in range(1, len(text)) if text[index].isalpha()]


def _make_one_slip(record: Record, typed: str, rng: random.Random) -> _Made:
    prefix = _cut(typed, rng)
    positions = _slip_positions(prefix)
    for _ in range(8):
        if not positions:
            return None
        kind = _slip_kind(rng)
        query = apply_slip(prefix, kind, rng.choice(positions), rng)
        if query is not None and distance_to_prefixes(query, typed) == 1:
            return query, prefix, kind
    return None


def _make_two_slips(record: Record, typed: str, rng: random.Random) -> _Made:
    if len(typed) < MIN_TWO_SLIP_CHARS:
        return None
    prefix = _cut(typed, rng, min_chars=MIN_TWO_SLIP_CHARS)
    positions = _slip_positions(prefix)
    for _ in range(8):
        if len(positions) < 2:
            return None
        first, second = sorted(rng.sample(positions, 2))
        if second - first < 2:
            continue
        kinds = (_slip_kind(rng), _slip_kind(rng))
        # The later slip first, so the earlier position still points at its letter.
        halfway = apply_slip(prefix, kinds[1], second, rng)
        if halfway is None:
            continue
        query = apply_slip(halfway, kinds[0], first, rng)
        if query is not None and distance_to_prefixes(query, typed) == 2:
            return query, prefix, f"{kinds[0]}+{kinds[1]}"
    return None


PHONETIC_GROUPS: tuple[str, ...] = tuple(dict.fromkeys(rule.group for rule in PHONETIC_RULES))


class _PhoneticMaker:
    """Phonetic queries: a kind of rewrite is drawn (each kind alike) and kept until a target
    title it fits comes up; then a rule of that kind, then a place in the title. Otherwise doubled
    and single consonants, which fit almost every title, would crowd out the rarer kinds."""

    def __init__(self) -> None:
        self._group: str | None = None

    def __call__(self, record: Record, typed: str, rng: random.Random) -> _Made:
        if self._group is None:
            self._group = rng.choice(PHONETIC_GROUPS)
        rules: dict[str, list[tuple[PhoneticRule, re.Match[str]]]] = defaultdict(list)
        for rule, match in phonetic_matches(typed):
            if rule.group == self._group:
                rules[rule.name].append((rule, match))
        if not rules:
            return None
        for _ in range(4):
            rule, match = rng.choice(rules[rng.choice(sorted(rules))])
            # Type at least one character past the rewrite, unless the title ends there.
            prefix = _cut(typed, rng, at_least=match.end() + 1)
            if len(prefix) < match.end():
                continue
            query = rewrite(prefix, rule, match)
            if query != prefix and not typed.startswith(query):
                self._group = None
                return query, prefix, rule.name
        return None


def _make_word_start(record: Record, typed: str, rng: random.Random) -> _Made:
    words = typed.split()
    skip = {0, 1} if words and words[0] in ENGLISH_ARTICLES else {0}
    starts = [
        index
        for index, word in enumerate(words)
        if index not in skip and len(word) >= 3 and word not in STOP_WORDS
    ]
    if not starts:
        return None
    rest = " ".join(words[rng.choice(starts) :])
    query = _cut(rest, rng)
    if typed.startswith(query):
        return None
    return query, query, "word-start"


def _make_initials(record: Record, typed: str, rng: random.Random) -> _Made:
    query = initials_of(record.text, drop_article=rng.random() < 0.5)
    if query is None:
        return None
    return query, query, "initials"


def _cut_word(word: str, rng: random.Random) -> str:
    """The word being typed, cut like a prefix: at least ``MIN_SHARE`` of it, 2+ letters."""
    if len(word) <= 2:
        return word
    return word[: rng.randint(max(2, math.ceil(len(word) * MIN_SHARE)), len(word))]


def _is_stretch(query: str, typed: str) -> bool:
    """Whether ``query`` is a prefix of the title from one of its word starts (the prefix
    categories' business, not a multi-word query)."""
    words = typed.split()
    return any(" ".join(words[start:]).startswith(query) for start in range(len(words)))


def _make_skipped_words(record: Record, typed: str, rng: random.Random) -> _Made:
    """Some title words left out (stop words more often), the order kept, the last word typed
    being cut: "harry potter chamber", "lord rings two to"."""
    words = typed.split()
    if len(words) < 3:
        return None
    for _ in range(8):
        kept = [
            word
            for word in words
            if rng.random() >= (STOP_SKIP_CHANCE if word in STOP_WORDS else CONTENT_SKIP_CHANCE)
        ]
        if len(kept) < MIN_REMEMBERED_WORDS:
            continue
        kept = kept[: rng.randint(MIN_REMEMBERED_WORDS, min(len(kept), MAX_REMEMBERED_WORDS))]
        query = " ".join([*kept[:-1], _cut_word(kept[-1], rng)])
        if not _is_stretch(query, typed):
            return query, " ".join(kept), "skipped"
    return None


def _make_out_of_order(record: Record, typed: str, rng: random.Random) -> _Made:
    """Two to four of the title's words (not stop words) in another order, the last one cut:
    "lebowski big", "towers two lord"."""
    words = typed.split()
    content = [word for word in words if word not in STOP_WORDS and len(word) >= 2]
    if len(content) < 2 or len(set(content)) < 2:
        return None
    count = rng.randint(MIN_REMEMBERED_WORDS, min(len(content), MAX_REMEMBERED_WORDS))
    chosen = rng.sample(content, count)
    order = [word for word in content if word in chosen]
    for _ in range(8):
        if chosen != order:
            break
        rng.shuffle(chosen)
    if chosen == order:
        return None
    query = " ".join([*chosen[:-1], _cut_word(chosen[-1], rng)])
    if _is_stretch(query, typed):
        return None
    return query, " ".join(chosen), "reordered"


class _YearMaker:
    """``title_year``: a title that shares its typed form with another of a different year
    (remakes, "psycho"), typed whole and followed by its year: "psycho 1998"."""

    def __init__(self, records: Sequence[Record]) -> None:
        years: dict[str, set[object]] = defaultdict(set)
        for record in records:
            years[typed_form(record.text)].add(record.metadata.get("year"))
        self._years = years

    def __call__(self, record: Record, typed: str, rng: random.Random) -> _Made:
        year = record.metadata.get("year")
        if not isinstance(year, int) or len(self._years[typed]) < 2:
            return None
        return f"{typed} {year}", typed, "year"


_Maker = Callable[[Record, str, random.Random], _Made]

_MAKERS: dict[str, Callable[[Sequence[Record]], _Maker]] = {
    CLEAN: lambda records: _make_clean,
    NO_ARTICLE: lambda records: _make_no_article,
    ONE_SLIP: lambda records: _make_one_slip,
    TWO_SLIPS: lambda records: _make_two_slips,
    PHONETIC: lambda records: _PhoneticMaker(),
    WORD_START: lambda records: _make_word_start,
    INITIALS: lambda records: _make_initials,
    SKIPPED_WORDS: lambda records: _make_skipped_words,
    OUT_OF_ORDER: lambda records: _make_out_of_order,
    TITLE_YEAR: _YearMaker,
}
"""A fresh query maker per category and run, over the catalog's records."""


# Sampling -----------------------------------------------------------------------------------------


def _category_seed(seed: int, category: str) -> list[int]:
    return [seed, zlib.crc32(category.encode())]


def _target_order(weights: npt.NDArray[np.float64], rng: np.random.Generator) -> Iterator[int]:
    """Title positions in the order they become targets: by popularity, with a tail share."""
    count = len(weights)
    # Weighted sampling without replacement (Efraimidis & Spirakis): sort by u ** (1 / w).
    keys = np.log(rng.random(count)) / (weights + 1.0)
    by_popularity = np.argsort(-keys, kind="stable").tolist()
    tail_cut = np.quantile(weights, TAIL_QUANTILE) if count else 0.0
    tail = np.flatnonzero(weights <= tail_cut)
    from_tail = rng.permutation(tail).tolist()
    coins = rng.random(count * 2).tolist()
    used: set[int] = set()
    head_at = tail_at = 0
    for coin in coins:
        if coin < TAIL_SHARE and tail_at < len(from_tail):
            position = from_tail[tail_at]
            tail_at += 1
        elif head_at < len(by_popularity):
            position = by_popularity[head_at]
            head_at += 1
        else:
            return
        if position not in used:
            used.add(position)
            yield position


def generate_queries(
    records: Sequence[Record],
    *,
    per_category: int,
    seed: int = 0,
    categories: Sequence[str] = CATEGORIES,
) -> list[EvalQuery]:
    """``per_category`` queries of each category (fewer when too few titles qualify).

    The same records and seed always give the same queries, in the same order; a category's
    queries do not depend on which other categories are asked for.
    """
    typed = [typed_form(record.text) for record in records]
    by_text: dict[str, set[str]] = defaultdict(set)
    for record, text in zip(records, typed, strict=True):
        by_text[text].add(record.id)
    eligible = [index for index, text in enumerate(typed) if len(text) >= MIN_TITLE_CHARS]
    weights = np.array([max(records[index].weight, 0.0) for index in eligible], dtype=np.float64)
    queries: list[EvalQuery] = []
    for category in categories:
        if category == DIACRITICS:
            queries.extend(diacritic_queries(records, limit=per_category, seed=seed))
            continue
        make = _MAKERS[category](records)
        rng = np.random.default_rng(_category_seed(seed, category))
        chooser = random.Random(int(rng.integers(2**63)))
        made = 0
        for position in _target_order(weights, rng):
            if made >= per_category:
                break
            record = records[eligible[position]]
            text = typed[eligible[position]]
            result = make(record, text, chooser)
            if result is None:
                continue
            query, intended, note = result
            queries.append(
                EvalQuery(
                    category=category,
                    text=query,
                    target_title=record.text,
                    target_id=record.id,
                    same_text_ids=frozenset(by_text[text]),
                    intended=intended,
                    note=note,
                )
            )
            made += 1
    return queries


def diacritic_queries(records: Sequence[Record], *, limit: int, seed: int = 0) -> list[EvalQuery]:
    """Up to ``limit`` queries typing titles with non-ASCII letters in plain ASCII (and not)."""
    by_text: dict[str, set[str]] = defaultdict(set)
    for record in records:
        by_text[typed_form(record.text)].add(record.id)
    found: dict[tuple[str, str], EvalQuery] = {}
    for record in records:
        if record.text.isascii():
            continue
        typed = typed_form(record.text)
        german = typed_form("".join(_GERMAN.get(char, char) for char in record.text))
        accented = " ".join(record.text.casefold().split())
        forms = [(typed, "ascii"), (german, "german"), (accented, "accented")]
        words = typed.split()
        forms.extend((" ".join(words[index:]), "ascii-word") for index in range(1, len(words)))
        for form, note in forms:
            for size in range(MIN_TITLE_CHARS, len(form) + 1):
                query = form[:size].rstrip()
                if len(query) < MIN_TITLE_CHARS or (query, record.id) in found:
                    continue
                found[(query, record.id)] = EvalQuery(
                    category=DIACRITICS,
                    text=query,
                    target_title=record.text,
                    target_id=record.id,
                    same_text_ids=frozenset(by_text[typed]),
                    intended=query,
                    note=note,
                )
    chosen = list(found.values())
    random.Random(_category_seed(seed, DIACRITICS)[1] ^ seed).shuffle(chosen)
    return chosen[:limit]
