"""The noisy-channel error model: how likely a typed string is, given the string the user meant.

Typo correction picks the intended text ``w`` that maximizes ``P(w) * P(typed | w)``; the
engine supplies the prior (title popularity) and this module the channel,
``cost(typed, intended) = -log P(typed | intended)`` in nats.

Following Kernighan, Church & Gale (1990), "A spelling correction program based on a noisy
channel model" (COLING), the typed string is aligned with the intended one (optimal string
alignment: Damerau-Levenshtein without repeated edits of a substring) and the channel
probability is the product over the edits of the alignment of per-edit probabilities, each a
count of that error divided by how often its context occurs in correctly spelled text::

    P(sub x|y)    = sub[x, y]   / count[y]    typed x where y was meant
    P(del y|x)    = del[x, y]   / count[xy]   y dropped after x ("^" at the start of a word)
    P(ins y|x)    = ins[x, y]   / count[x]    y typed after x
    P(trans xy)   = trans[x, y] / count[xy]   xy typed as yx

The counts come from the misspelling dictionaries of codespell (see ``errormodel_train`` and
``data/ERROR_MODEL.md``). Such lists record what people misspell, not how fingers slip, so each
count ratio is smoothed towards, and then blended with, a QWERTY keyboard model ``K`` that
favours adjacent keys, doubled and dropped letters and space errors::

    P_data = (n + m * K) / (N + m)          Dirichlet smoothing with K as the prior mean
    P      = lam * P_data + (1 - lam) * K
    cost   = -ln(P * q / E) [+ first-letter penalty]

``n / N`` is the KCG ratio above, ``m`` the prior strength in pseudo-occurrences and ``lam`` the
weight of the data. The ratios are rates in a corpus with an error in every entry, whose
per-character error rate ``E`` (edits over characters, about 0.12) is measured in training;
``q / E`` rescales them to ``q`` errors per typed character. ``q`` is a calibration knob rather
than a measured rate: at 0.1, a typical slip costs 3-6 nats, so one edit is worth a title about
50 times (e^4) more popular. People rarely get the first letter of a word wrong, so an edit at a
word start (position 0 or after a space) costs ``first_letter_penalty`` more; training measures
it as the log of how much rarer first-letter edits are than a uniform spread would make them.

``cost(..., prefix=True)`` is for a word still being typed: intended characters beyond the end
of ``typed`` may be not typed yet, and cost ``prefix_pending_cost`` (1 nat) each instead of a
deletion; anything else is costed as for whole words.

Multi-character edits follow Brill & Moore (2000), "An improved error model for noisy channel
spelling correction" (ACL): people spell by sound, so "fantom" (ph as f), "josef", "kan" (c as
k), "wo" (silent h) or "recieve" are one slip of the speller, not two or three of the fingers.
``ALTERNATIONS`` is a fixed inventory of 85 such *alternations* ``intended>typed`` (``ph>f``,
``c>k``, ``ck>k``, ``ie>ei``, ``wh>w``, ``^kn>n`` at a word start, ``mb$>m`` at a word end,
``igh>i``, ``tion>sion``, ``able>ible``, ...), plus two generic rules for consonants: a doubled
one typed single (``CC>C``, "adress") and a single one doubled (``C>CC``, "untill"). The
inventory is written by hand; each alternation's probability is learned from the codespell
pairs, the same way as the single edits: the number of pairs whose misspelling is the
correction with one occurrence of the intended sequence replaced (and at most one other
single-character edit, not next to it), over how often the sequence occurs in the corrections.
As in Brill & Moore, the position matters: occurrences at a word start are counted apart
(``^ph>f`` over ``^ph``), since first letters are rarely misspelled by the fingers but often by
ear ("fantom", "kan"). The ratios are smoothed towards a small prior rate and calibrated like
the single edits::

    p_all   = (n_start + n_other + m * p0) / (N_start + N_other + m)
    p_where = (n_where + m * p_all) / (N_where + m)     where = start or other
    cost    = -ln(p_where * q / E)                      (no first-letter penalty: p_start has it)

``p0`` is ``Parameters.alternation_prior`` (set by hand, 0.001), ``m`` the prior strength. The
learned alternations cost 1.3-5 nats where the data supports them ("ph>f" 3.0 at a word start
and 3.5 elsewhere, "wh>w" 1.6 at a start, "ie>ei" 3.1), where the two or three edits they
replace cost 8-12; unseen ones ("f>ph") stay dear. The single-edit counts are unchanged (pairs
an alternation explains still count as edits too), so the alternations only ever lower a cost.

``cost`` is the minimum over the single-edit alignment and, for up to ``MAX_ALTERNATIONS`` (2)
non-overlapping alternations in the intended string, their costs plus the single-edit cost of
the rest. A full weighted alignment over substrings would be too slow here, so alternations
are found through the single-edit alignment instead: each is indexed by its *core*, what it
changes once the letters its two sides share are set aside ("wh>w": "h" dropped after "w"),
and a run of consecutive edits whose change is such a core, inside the right context, is a
place the alternation applies (``_CoreIndex``). Only those cheaper than the best cost so far
are tried, and a pair more than ``MAX_SEARCH_EDITS`` edits apart is not searched at all.
``respellings(typed)`` goes the other way: the strings the user may have meant by undoing one
alternation in what was typed ("fantom" -> "phantom"), for the speller to look up.

Speed: ``cost`` runs tens of times per keystroke. The alignment and its pricing are written in C
(``_align.c``: the optimal string alignment, the edits' table keys and costs, the mirror-image
alignment and the prefix cut), about 0.3 us a pair; the tests hold it equal to a plain-Python
statement of the same steps (``tests/align_reference.py``). With several edits the mirror-image
alignment (of the reversed strings) is costed too and the cheaper one kept, as a cheap stand-in
for the best weighted alignment. Results are memoized per model. On the speller's pairs (one or
two edits apart) a new pair takes about 1.1 us on average: one slip apart, the quick test that
no alternation can apply (a look at the letters around the edit, ``_CoreIndex.may_apply``) is
made in C too; several edits apart it is made in Python; the few pairs where an alternation
applies take 5-30 us; a repeated pair 0.2 us.
"""

from __future__ import annotations

import json
import math
import os
import re
from array import array
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

from rapidfuzz.distance import OSA

from autocomplete._kernels import python_kernels

if TYPE_CHECKING or "_align" not in python_kernels():
    from autocomplete.spell._align import SYMBOLS, Pricer
    from autocomplete.spell._align import align as align
else:  # built without a C compiler: the same statements, in Python (slower)
    from autocomplete.spell._align_python import SYMBOLS, Pricer
    from autocomplete.spell._align_python import align as align

FORMAT = "autocomplete-error-model"
FORMAT_VERSION = 1
MODEL_FILE = "error_model.json"

WORD_START = "^"
"""Context marker for an edit at the start of a word (never a normalized character)."""

ONE_EDIT_CHARS = 3
TWO_EDIT_CHARS = 6
"""Typo budget thresholds, the same as ``spelling_index.deletion_depth``: a budget larger than
the deletion index's depth could never be used, and a smaller one would waste index probes."""

CACHE_SIZE = 65_536
RESPELLING_CACHE_SIZE = 8_192

Op = Literal["sub", "del", "ins", "trans"]
Edit = tuple[Op, int, int]
"""An edit turning the intended string into the typed one, with typed and intended positions:

* ``("sub", i, j)``: ``typed[i]`` was typed for ``intended[j]``;
* ``("del", i, j)``: ``intended[j]`` was dropped (``i`` typed characters precede it);
* ``("ins", i, j)``: ``typed[i]`` is extra (``j`` intended characters precede it);
* ``("trans", i, j)``: ``typed[i:i+2]`` is ``intended[j:j+2]`` swapped.
"""

# Keyboard model ---------------------------------------------------------------------------------

_ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm")
ALPHABET = "".join(_ROWS) + " "
"""Characters with precomputed costs; others (non-Latin letters) are costed on demand."""


def _qwerty_neighbours() -> dict[str, frozenset[str]]:
    # Rows are staggered by about half a key, so key (row, col) touches (row - 1, col),
    # (row - 1, col + 1), (row + 1, col - 1) and (row + 1, col) besides its row neighbours.
    where = {char: (row, col) for row, keys in enumerate(_ROWS) for col, char in enumerate(keys)}
    near: dict[str, set[str]] = {char: set() for char in where}
    for char, (row, col) in where.items():
        for other_row, other_col in (
            (row, col - 1),
            (row, col + 1),
            (row - 1, col),
            (row - 1, col + 1),
            (row + 1, col - 1),
            (row + 1, col),
        ):
            if 0 <= other_row < len(_ROWS) and 0 <= other_col < len(_ROWS[other_row]):
                near[char].add(_ROWS[other_row][other_col])
    # The space bar lies under the middle of the bottom row.
    near[" "] = set("cvbnm")
    for char in "cvbnm":
        near[char].add(" ")
    return {char: frozenset(chars) for char, chars in near.items()}


NEIGHBOURS: Mapping[str, frozenset[str]] = MappingProxyType(_qwerty_neighbours())


@dataclass(frozen=True)
class Parameters:
    """The knobs of the model; saved with the counts so that a model file fixes every cost."""

    data_weight: float = 0.5  # lam: weight of the (smoothed) codespell ratios against K
    prior_strength: float = 20.0  # m: pseudo-occurrences of the keyboard prior per context
    query_error_rate: float = 0.1  # q: calibration, errors per typed character
    first_letter_penalty: float = 1.5  # nats added to an edit of a word's first character
    prefix_pending_cost: float = 1.0  # nats per intended character not typed yet (prefix=True)
    # K: how a per-character error rate splits over kinds of slips, and within a kind.
    substitution_share: float = 0.45
    deletion_share: float = 0.3
    insertion_share: float = 0.15
    transposition_share: float = 0.1
    adjacent_key_share: float = 0.8  # of substitutions/insertions, spread over the neighbours
    doubled_letter_share: float = 0.3  # of insertions: repeating the previous letter
    space_insert_share: float = 0.15  # of insertions: a stray space ("lebow ski")
    doubled_drop_factor: float = 4.0  # dropping one of a doubled letter, against any other
    space_drop_factor: float = 3.0  # dropping a space ("biglebowski"), against a letter
    # p0: rate of an inventory alternation per occurrence of its intended sequence, before
    # any data; an alternation never seen in a rare context costs about -ln(p0 * q / E).
    alternation_prior: float = 0.001

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
                raise ValueError(f"error model parameter {name} must be a finite number >= 0")
        if not 0 < self.query_error_rate < 1 or not 0 <= self.data_weight <= 1:
            raise ValueError("error model needs 0 < query_error_rate < 1, 0 <= data_weight <= 1")
        if self.doubled_letter_share + self.space_insert_share > 1:
            raise ValueError("error model insertion shares add up to more than 1")
        if self.alternation_prior >= 1:
            raise ValueError("error model needs alternation_prior < 1")


@dataclass(frozen=True)
class ErrorCounts:
    """Edit counts from aligned (misspelling, correction) pairs, and the context frequencies.

    Keys are two-character strings: ``sub["xy"]`` counts x typed for y, ``dels["xy"]`` y
    dropped after x, ``ins["xy"]`` y typed after x, ``trans["xy"]`` xy typed as yx; ``x`` may
    be ``WORD_START``. ``unigrams`` and ``bigrams`` (with ``"^y"`` for word-initial y) count the
    corrections, and so are the denominators.

    ``alternations`` counts the pairs explained by each multi-character alternation (keys are
    inventory labels such as ``"ph>f"``, and ``"^ph>f"`` for the occurrences at a word start;
    every label the model was trained with is present, zeros included), and
    ``alternation_contexts`` how often each intended sequence occurs in the corrections
    (``"ph"``, ``"^ph"``; ``"CC"`` and ``"C"`` for doubled and single consonants).
    """

    sub: Mapping[str, int]
    dels: Mapping[str, int]
    ins: Mapping[str, int]
    trans: Mapping[str, int]
    unigrams: Mapping[str, int]
    bigrams: Mapping[str, int]
    words: int  # word starts in the corrections: the denominator of word-initial insertions
    first_letter_edits: int = 0  # edits touching a word's first letter (for the penalty)
    alternations: Mapping[str, int] = field(default_factory=dict)
    alternation_contexts: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Read-only copies: the model's cost tables are derived once from these.
        for name in (
            "sub",
            "dels",
            "ins",
            "trans",
            "unigrams",
            "bigrams",
            "alternations",
            "alternation_contexts",
        ):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))

    @property
    def edits(self) -> int:
        return sum(sum(table.values()) for table in (self.sub, self.dels, self.ins, self.trans))

    @property
    def characters(self) -> int:
        return sum(self.unigrams.values())

    @property
    def error_rate(self) -> float:
        """Edits per intended character (``E``); the prior's rates are in these units."""
        characters = self.characters
        return self.edits / characters if characters and self.edits else 0.1

    def to_json(self) -> dict[str, Any]:
        def table(counts: Mapping[str, int]) -> dict[str, int]:
            return {key: counts[key] for key in sorted(counts) if counts[key]}

        data: dict[str, Any] = {
            "words": self.words,
            "first_letter_edits": self.first_letter_edits,
            "sub": table(self.sub),
            "del": table(self.dels),
            "ins": table(self.ins),
            "trans": table(self.trans),
            "unigrams": table(self.unigrams),
            "bigrams": table(self.bigrams),
        }
        if self.alternations:
            # Zeros are kept: the labels say which alternations the model was trained with.
            alternations = self.alternations
            data["alternations"] = {key: alternations[key] for key in sorted(alternations)}
            data["alternation_contexts"] = table(self.alternation_contexts)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ErrorCounts:
        def table(name: str, width: int) -> Mapping[str, int]:
            raw = data[name]
            if not isinstance(raw, dict):
                raise ValueError(f"counts.{name} is not an object")
            for key, value in raw.items():
                if len(key) != width or not isinstance(value, int) or value < 0:
                    raise ValueError(f"counts.{name}[{key!r}] is malformed")
            return raw

        def keyed(name: str, pattern: re.Pattern[str]) -> Mapping[str, int]:
            raw = data.get(name, {})
            if not isinstance(raw, dict):
                raise ValueError(f"counts.{name} is not an object")
            for key, value in raw.items():
                if not pattern.fullmatch(key) or not isinstance(value, int) or value < 0:
                    raise ValueError(f"counts.{name}[{key!r}] is malformed")
            return raw

        words, first_letter_edits = data["words"], data.get("first_letter_edits", 0)
        for value in (words, first_letter_edits):
            if not isinstance(value, int) or value < 0:
                raise ValueError("counts.words or counts.first_letter_edits is not a count")
        return cls(
            sub=table("sub", 2),
            dels=table("del", 2),
            ins=table("ins", 2),
            trans=table("trans", 2),
            unigrams=table("unigrams", 1),
            bigrams=table("bigrams", 2),
            words=words,
            first_letter_edits=first_letter_edits,
            alternations=keyed("alternations", _LABEL),
            alternation_contexts=keyed("alternation_contexts", _CONTEXT),
        )


EMPTY_COUNTS = ErrorCounts({}, {}, {}, {}, {}, {}, 0)


# Alignment --------------------------------------------------------------------------------------

# ``align(typed, intended)``, an optimal string alignment (OSA) as edits in order, is written in
# C (``_align.c``), with the pricing that runs on every candidate. Among equally short alignments
# its backtrace prefers a transposition over two edits, and puts an extra or dropped letter on
# the second of a doubled pair, so that the counts see "acomodate" as a dropped "c" after "c".


def span_ends(edit: Edit) -> tuple[int, int]:
    """Where ``edit`` ends (exclusive) in the intended and in the typed string: a swap covers
    two letters of each, a substitution one of each, an insertion none of the intended and a
    deletion none of the typed."""
    op, i, j = edit
    width = 2 if op == "trans" else 1
    return j + (0 if op == "ins" else width), i + (0 if op == "del" else width)


def edit_key(typed: str, intended: str, edit: Edit) -> tuple[Op, str, bool]:
    """The count-table key of ``edit`` and whether it touches the first letter of a word.

    A space counts as a word start for the context. An extra or dropped letter next to the same
    letter is keyed as a doubled letter wherever the alignment put it ("acommodate" and
    "accomodate" are the same slip).
    """
    op, i, j = edit
    if op == "sub":
        at_start = j == 0 or intended[j - 1] == " "
        return op, typed[i] + intended[j], at_start
    if op == "trans":
        at_start = j == 0 or intended[j - 1] == " "
        return op, intended[j] + intended[j + 1], at_start
    if op == "del":
        char = intended[j]
        before = intended[j - 1] if j > 0 else " "
        if before != char and j + 1 < len(intended) and intended[j + 1] == char:
            before = char
    else:
        char = typed[i]
        before = intended[j - 1] if j > 0 else " "
        if (i > 0 and typed[i - 1] == char) or (i + 1 < len(typed) and typed[i + 1] == char):
            before = char
    if before == " " and char != " ":
        return op, WORD_START + char, True
    return op, before + char, False


# Multi-character alternations (Brill & Moore) ---------------------------------------------------

ALTERNATIONS: tuple[str, ...] = (
    # f: "fantom", "josef", "enuf" (and the reverse, never seen, for symmetry)
    "ph>f",
    "f>ph",
    "gh>f",
    # k: "kan", "bak", "karacter", "kwick", "eksit"
    "c>k",
    "k>c",
    "ck>k",
    "k>ck",
    "ck>c",
    "c>ck",
    "ch>k",
    "qu>kw",
    "x>ks",
    "ks>x",
    "x>cs",
    # s and z: "sity", "fasination", "advise"/"advize"
    "c>s",
    "s>c",
    "ce>se",
    "ci>si",
    "cy>sy",
    "sc>s",
    "s>z",
    "z>s",
    # sh, ch and j: "shedule", "wich", "speshial", "edge"/"ege", "jem"
    "ch>sh",
    "sh>ch",
    "sch>sh",
    "sh>sch",
    "tch>ch",
    "ch>tch",
    "ti>ci",
    "ci>ti",
    "tion>sion",
    "sion>tion",
    "dge>ge",
    "ge>dge",
    "g>j",
    "j>g",
    # silent letters: "wo", "nife", "rite", "sycho", "ryme", "gost", "lam", "nite", "tho"
    "wh>w",
    "w>wh",
    "wh>h",
    "^kn>n",
    "^wr>r",
    "^ps>s",
    "^gh>g",
    "gn>n",
    "rh>r",
    "mb$>m",
    "bt>t",
    "stl>sl",
    "gu>g",
    "igh>i",
    "ight>ite",
    "ough>o",
    "ough>u",
    # vowels: "recieve", "beleive", "happyness", "mistery", "cought", "tuff", "grate"
    "ie>ei",
    "ei>ie",
    "ie>y",
    "y>ie",
    "y>i",
    "i>y",
    "ey>y",
    "y>ey",
    "ai>ay",
    "ay>ai",
    "au>o",
    "o>au",
    "ou>u",
    "u>ou",
    "ou>ow",
    "ow>ou",
    "ee>ea",
    "ea>ee",
    "ea>e",
    "e>ea",
    "oo>u",
    "u>oo",
    # unstressed endings: "independance", "existant", "responsable", "centre", "levle"
    "ance>ence",
    "ence>ance",
    "ant>ent",
    "ent>ant",
    "able>ible",
    "ible>able",
    "er>re",
    "re>er",
    "le>el",
    "el>le",
    # consonants: a doubled one typed single ("adress"), a single one doubled ("untill")
    "CC>C",
    "C>CC",
)
"""The alternations ``intended>typed`` the model learns, written by hand (Brill & Moore 2000).

``^`` anchors the intended sequence at a word start, ``$`` at a word end; ``CC`` stands for any
doubled consonant of ``CONSONANTS`` and ``C`` for any single one (not next to the same letter).
Unanchored alternations are counted and costed apart at word starts and elsewhere."""

CONSONANTS = frozenset("bcdfgklmnprstvz")
"""The consonants of the generic doubling rules (``CC>C``, ``C>CC``)."""

DOUBLED, SINGLE = "CC", "C"

MAX_ALTERNATIONS = 2
"""Alternations per ``cost`` pair (non-overlapping); more would rarely pay and cost time."""

MAX_SEARCH_EDITS = 5
"""Pairs more single edits apart are not searched for alternations: two alternations and a
slip or two could not bring them close enough to rank, and the search grows with the edits."""

MAX_RESPELLING_COST = 8.0
"""``respellings`` leaves out alternations dearer than this (about two ordinary slips)."""

MIN_ALTERNATION_COST = 0.1
"""A floor, so that a different string never costs nothing (only reachable with tiny data)."""

_LABEL = re.compile(r"\^?(?:[a-z]+|CC|C)\$?>(?:[a-z]+|CC|C)")
_CONTEXT = re.compile(r"\^?(?:[a-z]+|CC|C)\$?")


@dataclass(frozen=True)
class Alternation:
    """One inventory entry: ``intended`` typed as ``typed`` ("ph" as "f")."""

    intended: str  # letters, or DOUBLED / SINGLE for the generic consonant rules
    typed: str
    start_only: bool = False  # "^kn>n": only at a word start
    end_only: bool = False  # "mb$>m": only at a word end

    @classmethod
    def parse(cls, label: str) -> Alternation:
        """``"^kn>n"`` -> ``Alternation("kn", "n", start_only=True)``."""
        if not _LABEL.fullmatch(label):
            raise ValueError(f"alternation {label!r} is malformed")
        intended, _, typed = label.partition(">")
        start_only, end_only = intended.startswith("^"), intended.endswith("$")
        intended = intended.strip("^$")
        generic = {intended, typed} & {DOUBLED, SINGLE}
        if generic and {intended, typed} != {DOUBLED, SINGLE}:
            raise ValueError(f"alternation {label!r} mixes letters and C/CC")
        if intended == typed:
            raise ValueError(f"alternation {label!r} changes nothing")
        return cls(intended, typed, start_only, end_only)

    @property
    def label(self) -> str:
        anchored = ("^" if self.start_only else "") + self.intended + ("$" if self.end_only else "")
        return f"{anchored}>{self.typed}"

    def key(self, at_start: bool) -> str:
        """The ``ErrorCounts.alternations`` key of an occurrence (``"^ph>f"`` at a start)."""
        return "^" + self.label if at_start and not self.start_only else self.label

    def context(self, at_start: bool) -> str:
        """The ``ErrorCounts.alternation_contexts`` key of an occurrence."""
        return ("^" if at_start else "") + self.intended + ("$" if self.end_only else "")

    def count_keys(self) -> tuple[str, ...]:
        return (self.label,) if self.start_only else (self.label, "^" + self.label)

    def reversed(self) -> Alternation:
        """The same alternation read backwards (typed -> intended), for ``respellings``."""
        return Alternation(self.typed, self.intended, self.start_only, self.end_only)


_Entry = tuple[str, str, int, bool, bool, bool, float, float]

Site = tuple[int, int, str, int, bool]
"""An occurrence of an alternation in a text, ``(start, end, replacement, rule, at_start)``:
``text[start:end]`` would become ``replacement`` under rule number ``rule``."""


class _SiteFinder:
    """Finds where alternations apply in a text; shared by training, ``cost`` and
    ``respellings``. ``costs`` (per rule: elsewhere, at a word start) lets ``sites`` skip the
    alternations that cost too much."""

    def __init__(
        self,
        rules: Iterable[Alternation],
        costs: Sequence[tuple[float, float]] | None = None,
    ) -> None:
        # Entries keyed by a one-letter intended sequence, or by the first two letters of a
        # longer one. The generic rules become one entry per consonant ("l" -> "ll", "ll" ->
        # "l"), marked "isolated": the letter must not repeat on either side.
        self.single: dict[str, list[_Entry]] = {}
        self.longer: dict[str, list[_Entry]] = {}
        for index, rule in enumerate(rules):
            other, first = (0.0, 0.0) if costs is None else costs[index]
            if rule.intended in (DOUBLED, SINGLE):
                for char in sorted(CONSONANTS):
                    doubled = char + char
                    intended, typed = (
                        (doubled, char) if rule.intended == DOUBLED else (char, doubled)
                    )
                    entry = (intended, typed, index, rule.start_only, rule.end_only, True)
                    self._add((*entry, other, first))
            else:
                entry = (rule.intended, rule.typed, index, rule.start_only, rule.end_only, False)
                self._add((*entry, other, first))

    def _add(self, entry: _Entry) -> None:
        intended = entry[0]
        if len(intended) == 1:
            self.single.setdefault(intended, []).append(entry)
        else:
            self.longer.setdefault(intended[:2], []).append(entry)

    def sites(
        self,
        text: str,
        low: int = 0,
        high: int | None = None,
        *,
        whole: bool = True,
        ceiling: float = math.inf,
    ) -> list[Site]:
        """The sites starting in ``text[low:high]`` of alternations costing below ``ceiling``.

        With ``whole=False`` the text may go on after its end (a prefix being typed), so
        word-end alternations do not apply there."""
        found: list[Site] = []
        size = len(text)
        single, longer = self.single.get, self.longer.get
        for start in range(max(low, 0), size if high is None else min(high, size)):
            ones, more = single(text[start]), longer(text[start : start + 2])
            if ones is None and more is None:
                continue
            at_start = start == 0 or text[start - 1] == " "
            for entries in (ones, more):
                if entries is None:
                    continue
                for intended, typed, rule, start_only, end_only, isolated, other, first in entries:
                    if (first if at_start else other) >= ceiling or (start_only and not at_start):
                        continue
                    end = start + len(intended)
                    if end > start + 2 and not text.startswith(intended, start):
                        continue
                    if end_only and not (text[end] == " " if end < size else whole):
                        continue
                    if isolated:
                        char = intended[0]
                        if (start and text[start - 1] == char) or (
                            end < size and text[end] == char
                        ):
                            continue
                    found.append((start, end, typed, rule, at_start))
        return found


_CoreEntry = tuple[str, str, str, str, int, bool, bool, bool, float, float]


class _CoreIndex:
    """The alternations keyed by what they change, for ``cost`` to look up a run of edits.

    An alternation's *core* is what is left of its two sides once their common beginning
    (``left``) and end (``right``) are set aside: "wh>w" changes "h" to "" after "w", "ph>f"
    "ph" to "f". A run of consecutive edits in an alignment changes a stretch of the intended
    string into one of the typed string; if that pair is the core of an alternation whose
    context surrounds the stretch, the alternation explains the run. Where the common part
    can be set aside on either side (a doubled letter: "l" -> "ll"), both readings are kept.
    """

    def __init__(self, rules: Iterable[Alternation], costs: Sequence[tuple[float, float]]):
        self.entries: dict[tuple[str, str], list[_CoreEntry]] = {}
        self.intended_cores: set[str] = set()
        # The letters right before and after each core that some alternation needs ("" for
        # none), for ``may_apply``.
        self.neighbours: dict[tuple[str, str], set[tuple[str, str]]] = {}
        self.longest = 1
        for index, rule in enumerate(rules):
            other, first = costs[index]
            pairs = [(rule.intended, rule.typed, False)]
            if rule.intended in (DOUBLED, SINGLE):
                to_single = rule.intended == DOUBLED
                pairs = [
                    (char * 2, char, True) if to_single else (char, char * 2, True)
                    for char in sorted(CONSONANTS)
                ]
            for intended, typed, isolated in pairs:
                self.longest = max(self.longest, len(intended), len(typed))
                for left, core_intended, core_typed, right in _cores(intended, typed):
                    entry = (
                        left,
                        right,
                        intended,
                        typed,
                        index,
                        rule.start_only,
                        rule.end_only,
                        isolated,
                        other,
                        first,
                    )
                    self.entries.setdefault((core_intended, core_typed), []).append(entry)
                    self.intended_cores.add(core_intended)
                    self.neighbours.setdefault((core_intended, core_typed), set()).add(
                        (left[-1:], right[:1])
                    )

    def may_apply(self, typed: str, intended: str, edits: list[Edit]) -> bool:
        """A quick test that ``sites`` might find something: whether some run of ``edits``
        makes the change of an alternation between letters it allows around it, or is an
        extra or dropped letter beside the same letter (which ``sites`` slides along)."""
        neighbours, longest, count = self.neighbours, self.longest, len(edits)
        for first in range(count):
            op, typed_low, low = edits[first]
            if op == "ins":
                char = typed[typed_low]
                if char in intended[low - 1 : low + 1] if low else intended[:1] == char:
                    return True
            elif op == "del":
                char = intended[low]
                if (low and intended[low - 1] == char) or intended[low + 1 : low + 2] == char:
                    return True
            for last in range(first, count):
                high, typed_high = span_ends(edits[last])
                if high - low > longest or typed_high - typed_low > longest:
                    break
                needs = neighbours.get((intended[low:high], typed[typed_low:typed_high]))
                if needs is None:
                    continue
                before = intended[low - 1] if low else ""
                after = intended[high : high + 1]
                if ("", "") in needs or (before, "") in needs or ("", after) in needs:
                    return True
                if (before, after) in needs:
                    return True
        return False

    def sites(
        self, typed: str, intended: str, edits: list[Edit], whole: bool, ceiling: float
    ) -> list[tuple[Site, int]]:
        """The sites of ``intended`` whose alternation turns a run of consecutive ``edits``
        into what was typed, each with the number of edits outside the run, below a cost of
        ``ceiling``.

        A letter typed extra, or dropped, beside the same letter could be put on any of them
        ("whho" for "who": the first h, as w>wh would, or the second), so such an edit is
        also tried at each of those places."""
        found: list[tuple[Site, int]] = []
        entries, cores, longest = self.entries, self.intended_cores, self.longest
        count = len(edits)
        for first in range(count):
            op, typed_low, low = edits[first]
            for last in range(first, count):
                high, typed_high = span_ends(edits[last])
                if high - low > longest or typed_high - typed_low > longest:
                    break
                core = intended[low:high]
                if core in cores:
                    candidates = entries.get((core, typed[typed_low:typed_high]))
                    if candidates is not None:
                        outside = count - 1 - last + first
                        self._check(found, intended, candidates, low, high, outside, whole, ceiling)
            op, i, j = edits[first]
            if op == "ins" or op == "del":
                text, at = (typed, i) if op == "ins" else (intended, j)
                char = text[at]
                key = (char, "") if op == "del" else ("", char)
                candidates = entries.get(key)
                if candidates is None:
                    continue
                for step in (-1, 1):
                    shift = step
                    while 0 <= at + shift < len(text) and text[at + shift] == char:
                        low = j + shift
                        high = low + (op == "del")
                        self._check(
                            found, intended, candidates, low, high, count - 1, whole, ceiling
                        )
                        shift += step
        return found

    @staticmethod
    def _check(
        found: list[tuple[Site, int]],
        intended: str,
        candidates: list[_CoreEntry],
        low: int,
        high: int,
        outside: int,
        whole: bool,
        ceiling: float,
    ) -> None:
        """Add the candidates whose context surrounds ``intended[low:high]``."""
        size = len(intended)
        for entry in candidates:
            left, right, side, replacement, rule, start_only, end_only, isolated = entry[:8]
            start, end = low - len(left), high + len(right)
            if start < 0 or end > size:
                continue
            at_start = start == 0 or intended[start - 1] == " "
            if (entry[9] if at_start else entry[8]) >= ceiling or (start_only and not at_start):
                continue
            if not intended.startswith(side, start):
                continue
            if end_only and not (intended[end] == " " if end < size else whole):
                continue
            if isolated and (
                (start and intended[start - 1] == side[0])
                or (end < size and intended[end] == side[0])
            ):
                continue
            found.append(((start, end, replacement, rule, at_start), outside))


def _cores(intended: str, typed: str) -> set[tuple[str, str, str, str]]:
    """``(left, intended core, typed core, right)``, setting the common beginning aside first
    or the common end first (these differ only around a repeated letter)."""
    readings: set[tuple[str, str, str, str]] = set()
    for prefix_first in (True, False):
        start, end_intended, end_typed = 0, len(intended), len(typed)
        for step in ("prefix", "suffix") if prefix_first else ("suffix", "prefix"):
            if step == "prefix":
                while start < min(end_intended, end_typed) and intended[start] == typed[start]:
                    start += 1
            else:
                while (
                    end_intended > start
                    and end_typed > start
                    and intended[end_intended - 1] == typed[end_typed - 1]
                ):
                    end_intended -= 1
                    end_typed -= 1
        readings.add(
            (
                intended[:start],
                intended[start:end_intended],
                typed[start:end_typed],
                intended[end_intended:],
            )
        )
    return readings


def _one_edit_beside(typed: str, left: str, replacement: str, right: str) -> bool:
    """Whether ``typed`` is ``left + replacement + right`` with one edit in ``left`` or in
    ``right``, away from the replacement (its neighbours are kept), so that the other edit is
    not part of the alternation: "eat" for "est" is one substitution, not e>ea ("east") with
    the s dropped."""
    head = left + replacement
    if right and typed.startswith(head + right[0]):
        return OSA.distance(typed[len(head) :], right, score_cutoff=1) == 1
    tail = replacement + right
    if left and typed.endswith(left[-1] + tail):
        return OSA.distance(typed[: len(typed) - len(tail)], left, score_cutoff=1) == 1
    return False


def count_alternations(
    pairs: Iterable[tuple[str, str]], inventory: Iterable[str] = ALTERNATIONS
) -> tuple[dict[str, int], dict[str, int]]:
    """Count, for each alternation, the (typed, intended) pairs it explains, and the contexts.

    A pair is explained when ``typed`` is ``intended`` with one occurrence of the alternation's
    intended sequence replaced by its typed one, exactly or with one more single-character edit
    away from it; a pair explained exactly by some alternation counts only for those. Each
    counts once per alternation and position (word start or not). The contexts count every
    occurrence of the intended sequences in the intended strings (the KCG denominators).
    The typed sequences' occurrences are counted too (for ``ErrorModel.respellings``).
    Returns ``(alternations, alternation_contexts)``, the former with every key of the
    inventory, zeros included.
    """
    rules = [Alternation.parse(label) for label in inventory]
    finder, backwards = _SiteFinder(rules), _SiteFinder(rule.reversed() for rule in rules)
    seen = {key: 0 for rule in rules for key in rule.count_keys()}
    contexts: dict[str, int] = {}
    for typed, intended in pairs:
        # The typed sides' contexts too ("f" for "ph>f"): respellings weigh the two.
        occurrences: set[tuple[int, str]] = set()  # rules may share a context ("c>k", "c>s")
        for start, _, _, index, at_start in backwards.sites(intended):
            occurrences.add((start, rules[index].reversed().context(at_start)))
        exact: set[str] = set()
        near: set[str] = set()
        for start, end, replacement, index, at_start in finder.sites(intended):
            rule = rules[index]
            occurrences.add((start, rule.context(at_start)))
            left, right = intended[:start], intended[end:]
            if typed == left + replacement + right:
                exact.add(rule.key(at_start))
            elif not exact and _one_edit_beside(typed, left, replacement, right):
                near.add(rule.key(at_start))
        for key in exact or near:
            seen[key] += 1
        for _, context in occurrences:
            contexts[context] = contexts.get(context, 0) + 1
    return seen, contexts


# The model --------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ErrorModel:
    """``-log P(typed | intended)`` from edit counts blended with a keyboard-slip model."""

    counts: ErrorCounts = EMPTY_COUNTS
    parameters: Parameters = field(default_factory=Parameters)
    provenance: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    _rate: float = field(init=False, repr=False)
    _tables: Mapping[Op, Mapping[str, float]] = field(init=False, repr=False)
    _cached: Callable[[str, str, bool], float] = field(init=False, repr=False)
    _rules: tuple[Alternation, ...] = field(init=False, repr=False)
    _rule_costs: tuple[tuple[float, float], ...] = field(init=False, repr=False)  # (other, ^)
    _cheapest_rule: float = field(init=False, repr=False)
    _cheapest_edit: float = field(init=False, repr=False)
    _cores: _CoreIndex = field(init=False, repr=False)
    _pricer: Pricer = field(init=False, repr=False)
    _respeller: _SiteFinder = field(init=False, repr=False)
    _rule_odds: tuple[tuple[float, float], ...] = field(init=False, repr=False)  # (other, ^)
    _respelled: Callable[[str, int], tuple[tuple[str, float], ...]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "provenance", MappingProxyType(dict(self.provenance)))
        object.__setattr__(self, "_rate", self.counts.error_rate)
        tables: dict[Op, Mapping[str, float]] = {}
        contexts = WORD_START + ALPHABET
        for op in ("sub", "del", "ins", "trans"):
            firsts = ALPHABET if op in ("sub", "trans") else contexts
            tables[op] = MappingProxyType(
                {x + y: self._edit_cost(op, x + y) for x in firsts for y in ALPHABET}
            )
        object.__setattr__(self, "_tables", MappingProxyType(tables))
        cheapest_edit = min(min(table.values()) for table in tables.values())
        object.__setattr__(self, "_cheapest_edit", cheapest_edit)
        object.__setattr__(self, "_cached", lru_cache(maxsize=CACHE_SIZE)(self._uncached_cost))
        rules = _trained_rules(self.counts.alternations)
        costs = tuple(self._rule_cost(rule) for rule in rules)
        object.__setattr__(self, "_rules", rules)
        object.__setattr__(self, "_rule_costs", costs)
        object.__setattr__(self, "_rule_odds", tuple(self._rule_odds_of(rule) for rule in rules))
        object.__setattr__(self, "_cheapest_rule", min((min(c) for c in costs), default=math.inf))
        object.__setattr__(self, "_cores", _CoreIndex(rules, costs))
        # The same tables, dense, for the C pricer: (op, first symbol, second symbol).
        dense = array(
            "d",
            (
                tables[op].get(first + second, math.nan)
                for op in ("sub", "del", "ins", "trans")
                for first in SYMBOLS
                for second in SYMBOLS
            ),
        )
        pricer = Pricer(
            dense,
            self.parameters.first_letter_penalty,
            self.parameters.prefix_pending_cost,
            self._edit_cost,
            self._cores.neighbours,
            self._cheapest_rule,
            MAX_SEARCH_EDITS,
        )
        object.__setattr__(self, "_pricer", pricer)
        respeller = _SiteFinder((rule.reversed() for rule in rules), costs)
        object.__setattr__(self, "_respeller", respeller)
        respelled = lru_cache(maxsize=RESPELLING_CACHE_SIZE)(self._uncached_respellings)
        object.__setattr__(self, "_respelled", respelled)

    # The protocol -------------------------------------------------------------------------------

    def cost(self, typed: str, intended: str, *, prefix: bool = False) -> float:
        """``-log P(typed | intended)`` in nats; 0 when they are equal.

        With ``prefix=True``, ``typed`` is a word still being typed and ``intended`` a prefix of
        the word meant. Intended characters beyond the end of ``typed`` may then simply not be
        typed yet: they cost ``prefix_pending_cost`` each instead of being deletions (a small
        charge, so that the prefix cut at the typed length stays first). Extra typed characters
        at the end are ordinary insertions: the caller also tries longer cuts of the word.
        """
        if typed == intended:
            return 0.0
        return self._cached(typed, intended, prefix)

    def max_edits(self, length: int) -> int:
        """0 edits for words of 1-2 characters, 1 for 3-5, 2 from 6 on."""
        if length < ONE_EDIT_CHARS:
            return 0
        return 2 if length >= TWO_EDIT_CHARS else 1

    def respellings(self, typed: str, *, limit: int = 8) -> list[tuple[str, float]]:
        """What the user may have meant by ``typed``, one alternation undone, cheapest first.

        ``respellings("fantom")`` includes ``("phantom", c)`` with ``c`` the cost of typing "f"
        for "ph" at a word start (``cost("fantom", "phantom") <= c``); also "kan" -> "can",
        "josef" -> "joseph", "wo" -> "who". The strings need not be words (the caller looks
        them up); alternations dearer than ``MAX_RESPELLING_COST`` are left out.

        The ``limit`` kept are the most probable, not the cheapest: the cost is weighed with how
        common the intended sequence is against the typed one in correct spellings (the
        training contexts), ``cost - ln(count[intended] / count[typed])``, so that "kan" ->
        "can" (c is common at a word start, k rare) comes before "kan" -> "kkan", which is
        cheaper only because the few words starting with a double consonant often lose it.
        They are then listed cheapest first. Memoized per model.
        """
        return list(self._respelled(typed, limit)) if limit > 0 else []

    def alternation_cost(self, label: str, *, at_start: bool = False) -> float:
        """The learned cost in nats of an alternation such as ``"ph>f"`` (``inf`` if the model
        has no such alternation, or it does not apply there)."""
        for rule, costs in zip(self._rules, self._rule_costs, strict=True):
            if rule.label == label:
                return costs[at_start]
        return math.inf

    # Costs --------------------------------------------------------------------------------------

    def edit_cost(self, op: Op, key: str) -> float:
        """The cost in nats of one edit given its count-table key (no first-letter penalty)."""
        found = self._tables[op].get(key)
        return self._edit_cost(op, key) if found is None else found

    def _uncached_cost(self, typed: str, intended: str, prefix: bool) -> float:
        # The single-edit cost, settled in C when no alternation can lower it: the strings are
        # equal or too far apart, the cost is already below any alternation's, or (most pairs)
        # one slip apart where the changed letters are no alternation's core or not between
        # the letters it needs (``_CoreIndex.may_apply``, for one edit).
        settled = self._pricer.settle(typed, intended, prefix)
        if isinstance(settled, float):
            return settled
        total, alignments = settled
        if len(alignments[0]) > 1:
            may_apply = self._cores.may_apply
            if not may_apply(typed, intended, alignments[0]) and (
                len(alignments) == 1 or not may_apply(typed, intended, alignments[1])
            ):
                return total
        return self._alternation_cost(typed, intended, prefix, alignments, total, MAX_ALTERNATIONS)

    def _single_edit_cost(
        self, typed: str, intended: str, prefix: bool
    ) -> tuple[float, list[list[Edit]]]:
        """The cost with single-character edits only, and the alignments of the whole strings
        (one, or two when the mirror-image alignment differs; ``[[]]`` for equal strings).

        The edits are those of ``align``, each priced by its ``edit_key`` plus the first-letter
        penalty. Several edits can often be placed in more than one way ("abberation": two
        substitutions, or an extra b and a dropped r), so unless they are substitutions far
        apart, the mirror-image alignment (of the reversed strings) is priced too and the
        cheaper kept: a cheap second opinion where weighing every alignment would be slow. With
        ``prefix``, ``typed`` is also compared with the intended string cut at its length, the
        rest pending. ``_align.Pricer`` does all this in C.
        """
        return self._pricer.single_edit_cost(typed, intended, prefix)

    def _alternation_cost(
        self,
        typed: str,
        intended: str,
        prefix: bool,
        alignments: list[list[Edit]],
        best: float,
        depth: int,
        locked: tuple[int, int] = (0, 0),
    ) -> float:
        """``best``, or less if alternations in ``intended`` plus single edits explain ``typed``.

        An alternation is tried where it explains a run of edits of one of the single-edit
        ``alignments`` (see ``_CoreIndex``), and only when its cost plus the cheapest edit for
        each edit outside the run is below ``best``; ``depth`` more may follow, away from the
        ``locked`` span that an earlier one wrote.
        """
        costs, cheapest = self._rule_costs, self._cheapest_rule
        floor = self._cheapest_edit
        if prefix:
            floor = min(floor, self.parameters.prefix_pending_cost)
        tried: set[str] = set()  # the cheapest way to each respelling comes first
        found = self._cores.sites(typed, intended, alignments[0], not prefix, best)
        if not found and len(alignments) > 1:
            # The mirror-image alignment may cut the same edits differently.
            found = self._cores.sites(typed, intended, alignments[1], not prefix, best)
        if not found:
            return best
        sites = sorted(
            (costs[rule][at_start], outside, start, end, replacement)
            for (start, end, replacement, rule, at_start), outside in found
        )
        for cost, outside, start, end, replacement in sites:
            if cost + outside * floor >= best or (start < locked[1] and end > locked[0]):
                continue
            respelled = intended[:start] + replacement + intended[end:]
            if respelled in tried:
                continue
            tried.add(respelled)
            if respelled == typed:
                best = cost
                continue
            rest, rest_edits = self._single_edit_cost(typed, respelled, prefix)
            if depth > 1 and rest_edits[0] and cost + cheapest < min(best, cost + rest):
                span = (start, start + len(replacement))
                bound = min(rest, best - cost)
                rest = self._alternation_cost(
                    typed, respelled, prefix, rest_edits, bound, depth - 1, span
                )
            best = min(best, cost + rest)
        return best

    def _uncached_respellings(self, typed: str, limit: int) -> tuple[tuple[str, float], ...]:
        """The ``limit`` most probable respellings, cheapest first (see ``respellings``)."""
        found: dict[str, tuple[float, float]] = {}
        costs, odds = self._rule_costs, self._rule_odds
        sites = self._respeller.sites(typed, ceiling=MAX_RESPELLING_COST)
        for start, end, replacement, rule, at_start in sites:
            cost = costs[rule][at_start]
            text = typed[:start] + replacement + typed[end:]
            rank = cost + odds[rule][at_start]
            if (rank, cost) < found.get(text, (math.inf, math.inf)):
                found[text] = (rank, cost)
        likeliest = sorted(found.items(), key=lambda item: (item[1][0], item[0]))[:limit]
        likeliest.sort(key=lambda item: (item[1][1], item[1][0], item[0]))
        return tuple((text, cost) for text, (_, cost) in likeliest)

    def _edit_cost(self, op: Op, key: str) -> float:
        counts, params, rate = self.counts, self.parameters, self._rate
        prior = self._keyboard_rate(op, key, rate)
        if op == "sub":
            seen, occurrences = counts.sub.get(key, 0), counts.unigrams.get(key[1], 0)
        elif op == "del":
            seen, occurrences = counts.dels.get(key, 0), counts.bigrams.get(key, 0)
        elif op == "ins":
            seen = counts.ins.get(key, 0)
            occurrences = counts.words if key[0] == WORD_START else counts.unigrams.get(key[0], 0)
        else:
            seen, occurrences = counts.trans.get(key, 0), counts.bigrams.get(key, 0)
        smoothed = (seen + params.prior_strength * prior) / (occurrences + params.prior_strength)
        blended = params.data_weight * smoothed + (1 - params.data_weight) * prior
        return -math.log(blended * params.query_error_rate / rate)

    def _rule_cost(self, rule: Alternation) -> tuple[float, float]:
        """The costs of an alternation elsewhere and at a word start (see the docstring)."""
        table, contexts = self.counts.alternations, self.counts.alternation_contexts
        params = self.parameters
        strength, scale = params.prior_strength, params.query_error_rate / self._rate
        seen_start = table.get(rule.key(True), 0)
        occurrences_start = contexts.get(rule.context(True), 0)
        seen_other = 0 if rule.start_only else table.get(rule.key(False), 0)
        occurrences_other = 0 if rule.start_only else contexts.get(rule.context(False), 0)
        pooled = _smoothed(
            seen_start + seen_other,
            occurrences_start + occurrences_other,
            params.alternation_prior,
            strength,
        )

        def cost(seen: int, occurrences: int) -> float:
            rate = _smoothed(seen, occurrences, pooled, strength) * scale
            return max(-math.log(rate), MIN_ALTERNATION_COST) if rate > 0 else math.inf

        other = math.inf if rule.start_only else cost(seen_other, occurrences_other)
        return other, cost(seen_start, occurrences_start)

    def _rule_odds_of(self, rule: Alternation) -> tuple[float, float]:
        """``-ln(count[intended] / count[typed])`` elsewhere and at a word start: how much less
        common the intended sequence is than the typed one (add-one smoothed)."""
        contexts, back = self.counts.alternation_contexts, rule.reversed()

        def odds(at_start: bool) -> float:
            intended = contexts.get(rule.context(at_start), 0) + 1
            return -math.log(intended / (contexts.get(back.context(at_start), 0) + 1))

        return odds(False), odds(True)

    def _keyboard_rate(self, op: Op, key: str, rate: float) -> float:
        """K: the keyboard model's rate of this slip per occurrence of its context, in E units."""
        params = self.parameters
        before, char = key[0], key[1]
        if op == "sub":
            near = NEIGHBOURS.get(char, frozenset())
            return rate * params.substitution_share * _spread(params, key[0] in near, len(near))
        if op == "trans":
            return rate * params.transposition_share
        if op == "del":
            factor = 1.0
            if char == before:
                factor = params.doubled_drop_factor
            elif char == " ":
                factor = params.space_drop_factor
            return rate * params.deletion_share * factor
        if char == before:
            share = params.doubled_letter_share
        elif char == " ":
            share = params.space_insert_share
        else:
            near = NEIGHBOURS.get(before, frozenset())
            other = 1 - params.doubled_letter_share - params.space_insert_share
            share = other * _spread(params, char in near, len(near))
        return rate * params.insertion_share * share

    # Build, save, load --------------------------------------------------------------------------

    @classmethod
    def from_counts(
        cls,
        counts: ErrorCounts,
        parameters: Parameters | None = None,
        provenance: Mapping[str, Any] | None = None,
    ) -> ErrorModel:
        return cls(counts, parameters or Parameters(), MappingProxyType(dict(provenance or {})))

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "provenance": dict(self.provenance),
            "parameters": asdict(self.parameters),
            "counts": self.counts.to_json(),
        }

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the model as JSON, one count per line so that retraining diffs read well.

        The file is written beside the target and renamed, so a reader never sees half of it.
        """
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(self.to_json(), ensure_ascii=False, indent=1)
        staging = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            with staging.open("x", encoding="utf-8") as stream:
                stream.write(text + "\n")
            os.replace(staging, target)
        except BaseException:
            staging.unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> ErrorModel:
        """Read a saved model; the bundled ``data/error_model.json`` by default."""
        if path is None:
            # Imported here: bundled pulls in the catalog and index modules, which a model
            # loaded from an explicit path has no use for.
            from autocomplete.paths import data_directory

            path = data_directory() / MODEL_FILE
        source = Path(path)
        if not source.is_file():
            raise FileNotFoundError(
                f"error model {source} is missing; regenerate it with "
                "`autocomplete train-errors -o PATH` (needs `pip install codespell`)"
            )
        try:
            data = json.loads(source.read_text(encoding="utf-8"))
            if not isinstance(data, dict) or data.get("format") != FORMAT:
                raise ValueError(f"not an {FORMAT} file")
            if data.get("version") != FORMAT_VERSION:
                raise ValueError(f"format version {data.get('version')!r}, not {FORMAT_VERSION}")
            parameters = Parameters(**data["parameters"])
            counts = ErrorCounts.from_json(data["counts"])
            provenance = data.get("provenance", {})
            if not isinstance(provenance, dict):
                raise ValueError("provenance is not an object")
            # Building the model parses the alternation labels.
            return cls.from_counts(counts, parameters, provenance)
        except (ValueError, KeyError, TypeError, UnicodeDecodeError) as error:
            raise ValueError(f"error model {source} is unreadable: {error}") from error


def _smoothed(seen: int, occurrences: int, prior: float, strength: float) -> float:
    """``seen / occurrences`` with ``strength`` pseudo-occurrences at rate ``prior``."""
    if occurrences + strength <= 0:
        return prior
    return (seen + strength * prior) / (occurrences + strength)


def _trained_rules(table: Mapping[str, int]) -> tuple[Alternation, ...]:
    """The alternations of a counts table: its keys, less the word-start splits ("^ph>f"
    beside "ph>f"), sorted."""
    return tuple(
        Alternation.parse(key)
        for key in sorted(table)
        if not (key.startswith("^") and key[1:] in table)
    )


def _spread(params: Parameters, adjacent: bool, neighbours: int) -> float:
    """Share of one particular key among the keys a slip may land on."""
    if neighbours == 0:
        return 1 / (len(ALPHABET) - 1)
    if adjacent:
        return params.adjacent_key_share / neighbours
    return (1 - params.adjacent_key_share) / (len(ALPHABET) - 1 - neighbours)


def count_edits(pairs: Iterable[tuple[str, str]]) -> ErrorCounts:
    """Align each (typed, intended) pair and count its edits and the intended contexts."""
    tables: dict[Op, dict[str, int]] = {"sub": {}, "del": {}, "ins": {}, "trans": {}}
    unigrams: dict[str, int] = {}
    bigrams: dict[str, int] = {}
    words = first_letter_edits = 0
    for typed, intended in pairs:
        words += 1 + intended.count(" ")
        for index, char in enumerate(intended):
            unigrams[char] = unigrams.get(char, 0) + 1
            before = WORD_START if index == 0 or intended[index - 1] == " " else intended[index - 1]
            bigram = before + char
            bigrams[bigram] = bigrams.get(bigram, 0) + 1
        for edit in align(typed, intended):
            op, key, at_start = edit_key(typed, intended, edit)
            tables[op][key] = tables[op].get(key, 0) + 1
            first_letter_edits += at_start
    return ErrorCounts(
        sub=tables["sub"],
        dels=tables["del"],
        ins=tables["ins"],
        trans=tables["trans"],
        unigrams=unigrams,
        bigrams=bigrams,
        words=words,
        first_letter_edits=first_letter_edits,
    )
