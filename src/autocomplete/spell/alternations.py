"""Brill & Moore's multi-character alternations ("ph" typed as "f"): the inventory and where
they apply.

The hand-written inventory, its labels, ``SiteFinder`` (the places an alternation applies in a
text) and ``CoreIndex`` (the alternations keyed by what they change, to match runs of edits).
The error model learns their costs; see docs/spelling.md.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from autocomplete.spell.alignment import Edit, span_ends

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
"""The generic rules' stand-ins for a doubled consonant and a single one."""

LABEL_PATTERN = re.compile(r"\^?(?:[a-z]+|CC|C)\$?>(?:[a-z]+|CC|C)")
"""An alternation's label, ``intended>typed`` with optional anchors (``"^kn>n"``, ``"mb$>m"``)."""

CONTEXT_PATTERN = re.compile(r"\^?(?:[a-z]+|CC|C)\$?")
"""A context key of ``ErrorCounts.alternation_contexts`` (``"ph"``, ``"^ph"``, ``"CC"``)."""


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
        if not LABEL_PATTERN.fullmatch(label):
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


class SiteFinder:
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


class CoreIndex:
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


def trained_rules(table: Mapping[str, int]) -> tuple[Alternation, ...]:
    """The alternations of a counts table: its keys, less the word-start splits ("^ph>f"
    beside "ph>f"), sorted."""
    return tuple(
        Alternation.parse(key)
        for key in sorted(table)
        if not (key.startswith("^") and key[1:] in table)
    )
