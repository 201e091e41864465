"""The noisy-channel error model: ``cost(typed, intended) = -log P(typed | intended)`` in nats.

Per-edit probabilities from codespell's misspelling counts (Kernighan, Church & Gale 1990),
smoothed towards and blended with a QWERTY slip model, plus learned multi-character
alternations (Brill & Moore 2000); and the model file it loads. The design, the formulas and
the measured timings are in docs/spelling.md; training is ``autocomplete.tools.errormodel_train``.
"""

from __future__ import annotations

import json
import math
import os
import re
from array import array
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import xxhash

from autocomplete.spell.alignment import SYMBOLS, WORD_START, Edit, Op, Pricer
from autocomplete.spell.alternations import (
    CONTEXT_PATTERN,
    LABEL_PATTERN,
    Alternation,
    CoreIndex,
    SiteFinder,
    trained_rules,
)
from autocomplete.spell.keyboard import ALPHABET, NEIGHBOURS, key_share

FORMAT = "autocomplete-error-model"
FORMAT_VERSION = 1
MODEL_FILE = "error_model.json"

ONE_EDIT_CHARS = 3
TWO_EDIT_CHARS = 6
"""Typo budget thresholds, the same as ``spelling_index.deletion_depth``: a budget larger than
the deletion index's depth could never be used, and a smaller one would waste index probes."""

CACHE_SIZE = 65_536
RESPELLING_CACHE_SIZE = 8_192

MAX_ALTERNATIONS = 2
"""Alternations per ``cost`` pair (non-overlapping); more would rarely pay and cost time."""

MAX_SEARCH_EDITS = 5
"""Pairs more single edits apart are not searched for alternations: two alternations and a
slip or two could not bring them close enough to rank, and the search grows with the edits."""

MAX_RESPELLING_COST = 8.0
"""``respellings`` leaves out alternations dearer than this (about two ordinary slips)."""

MIN_ALTERNATION_COST = 0.1
"""A floor, so that a different string never costs nothing (only reachable with tiny data)."""


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
            alternations=keyed("alternations", LABEL_PATTERN),
            alternation_contexts=keyed("alternation_contexts", CONTEXT_PATTERN),
        )


EMPTY_COUNTS = ErrorCounts({}, {}, {}, {}, {}, {}, 0)


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
    _cores: CoreIndex = field(init=False, repr=False)
    _pricer: Pricer = field(init=False, repr=False)
    _respeller: SiteFinder = field(init=False, repr=False)
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
        rules = trained_rules(self.counts.alternations)
        costs = tuple(self._rule_cost(rule) for rule in rules)
        object.__setattr__(self, "_rules", rules)
        object.__setattr__(self, "_rule_costs", costs)
        object.__setattr__(self, "_rule_odds", tuple(self._rule_odds_of(rule) for rule in rules))
        object.__setattr__(self, "_cheapest_rule", min((min(c) for c in costs), default=math.inf))
        object.__setattr__(self, "_cores", CoreIndex(rules, costs))
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
        respeller = SiteFinder((rule.reversed() for rule in rules), costs)
        object.__setattr__(self, "_respeller", respeller)
        respelled = lru_cache(maxsize=RESPELLING_CACHE_SIZE)(self._uncached_respellings)
        object.__setattr__(self, "_respelled", respelled)

    @cached_property
    def fingerprint(self) -> str:
        """xxh3 of the parameters and counts, which fix every cost (the provenance does not):
        what precomputed readings (``spell.option_table``) are checked against."""
        body = {"parameters": asdict(self.parameters), "counts": self.counts.to_json()}
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        return xxhash.xxh3_64_hexdigest(canonical.encode("ascii"))

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
        # the letters it needs (``CoreIndex.may_apply``, for one edit).
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
        ``alignments`` (see ``CoreIndex``), and only when its cost plus the cheapest edit for
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
        """The costs of an alternation elsewhere and at a word start (see docs/spelling.md)."""
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
            return (
                rate
                * params.substitution_share
                * key_share(params.adjacent_key_share, key[0] in near, len(near))
            )
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
            share = other * key_share(params.adjacent_key_share, char in near, len(near))
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
