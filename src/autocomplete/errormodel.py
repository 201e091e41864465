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

Only single-character edits are modelled; Brill & Moore (2000), "An improved error model for
noisy channel spelling correction" (ACL), generalize to substring edits (``ph`` -> ``f``), which
would need a weighted alignment too slow for the per-keystroke budget here.

Speed: ``cost`` runs tens of times per keystroke. The alignment comes from rapidfuzz's C
Levenshtein ``editops``; adjacent swaps, which Levenshtein sees as two edits, are recognized as
transpositions, and a pure-Python alignment is used only when that recognition disagrees with
rapidfuzz's OSA distance. With several edits the mirror-image alignment (of the reversed
strings) is costed too and the cheaper one kept, as a cheap stand-in for the best weighted
alignment. Per-edit costs are precomputed into dictionaries at load time and results are
memoized per model (about 1.5 us per new pair, 0.2 us per repeated one).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, cast

from rapidfuzz.distance import OSA, Levenshtein

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

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
                raise ValueError(f"error model parameter {name} must be a finite number >= 0")
        if not 0 < self.query_error_rate < 1 or not 0 <= self.data_weight <= 1:
            raise ValueError("error model needs 0 < query_error_rate < 1, 0 <= data_weight <= 1")
        if self.doubled_letter_share + self.space_insert_share > 1:
            raise ValueError("error model insertion shares add up to more than 1")


@dataclass(frozen=True)
class ErrorCounts:
    """Edit counts from aligned (misspelling, correction) pairs, and the context frequencies.

    Keys are two-character strings: ``sub["xy"]`` counts x typed for y, ``dels["xy"]`` y
    dropped after x, ``ins["xy"]`` y typed after x, ``trans["xy"]`` xy typed as yx; ``x`` may
    be ``WORD_START``. ``unigrams`` and ``bigrams`` (with ``"^y"`` for word-initial y) count the
    corrections, and so are the denominators.
    """

    sub: Mapping[str, int]
    dels: Mapping[str, int]
    ins: Mapping[str, int]
    trans: Mapping[str, int]
    unigrams: Mapping[str, int]
    bigrams: Mapping[str, int]
    words: int  # word starts in the corrections: the denominator of word-initial insertions
    first_letter_edits: int = 0  # edits touching a word's first letter (for the penalty)

    def __post_init__(self) -> None:
        # Read-only copies: the model's cost tables are derived once from these.
        for name in ("sub", "dels", "ins", "trans", "unigrams", "bigrams"):
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

        return {
            "words": self.words,
            "first_letter_edits": self.first_letter_edits,
            "sub": table(self.sub),
            "del": table(self.dels),
            "ins": table(self.ins),
            "trans": table(self.trans),
            "unigrams": table(self.unigrams),
            "bigrams": table(self.bigrams),
        }

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
        )


EMPTY_COUNTS = ErrorCounts({}, {}, {}, {}, {}, {}, 0)


# Alignment --------------------------------------------------------------------------------------


def align(typed: str, intended: str) -> list[Edit]:
    """An optimal string alignment (OSA) of ``typed`` with ``intended``, as edits in order.

    Among equally short alignments the backtrace prefers transpositions over two edits, and
    puts an extra or dropped letter on the second of a doubled pair, so that the counts see
    "acomodate" as a dropped "c" after "c".
    """
    rows, cols = len(typed) + 1, len(intended) + 1
    dist = [[0] * cols for _ in range(rows)]
    for i in range(rows):
        dist[i][0] = i
    for j in range(cols):
        dist[0][j] = j
    for i in range(1, rows):
        row, above = dist[i], dist[i - 1]
        typed_char = typed[i - 1]
        for j in range(1, cols):
            best = above[j - 1] + (typed_char != intended[j - 1])
            best = min(best, above[j] + 1, row[j - 1] + 1)
            if (
                i > 1
                and j > 1
                and typed_char == intended[j - 2]
                and typed[i - 2] == intended[j - 1]
                and typed_char != intended[j - 1]
            ):
                best = min(best, dist[i - 2][j - 2] + 1)
            row[j] = best

    edits: list[Edit] = []
    i, j = rows - 1, cols - 1
    while i > 0 or j > 0:
        here = dist[i][j]
        if (
            i > 1
            and j > 1
            and typed[i - 1] == intended[j - 2]
            and typed[i - 2] == intended[j - 1]
            and typed[i - 1] != intended[j - 1]
            and here == dist[i - 2][j - 2] + 1
        ):
            edits.append(("trans", i - 2, j - 2))
            i, j = i - 2, j - 2
        elif j > 1 and intended[j - 1] == intended[j - 2] and here == dist[i][j - 1] + 1:
            edits.append(("del", i, j - 1))
            j -= 1
        elif i > 1 and typed[i - 1] == typed[i - 2] and here == dist[i - 1][j] + 1:
            edits.append(("ins", i - 1, j))
            i -= 1
        elif i > 0 and j > 0 and here == dist[i - 1][j - 1] + (typed[i - 1] != intended[j - 1]):
            if typed[i - 1] != intended[j - 1]:
                edits.append(("sub", i - 1, j - 1))
            i, j = i - 1, j - 1
        elif j > 0 and here == dist[i][j - 1] + 1:
            edits.append(("del", i, j - 1))
            j -= 1
        else:
            edits.append(("ins", i - 1, j))
            i -= 1
    edits.reverse()
    return edits


def _fast_align(typed: str, intended: str) -> list[Edit]:
    """``align`` for the common cases, from rapidfuzz's Levenshtein alignment in C."""
    raw = cast(list[tuple[str, int, int]], Levenshtein.editops(typed, intended).as_list())
    edits: list[Edit] = []
    swapped = False
    index = 0
    while index < len(raw):
        tag, src, dest = raw[index]
        if index + 1 < len(raw):
            # Levenshtein spells a swap "xy" -> "yx" as two edits: two substitutions, or a
            # deletion and an insertion around the one matched letter.
            next_tag, next_src, next_dest = raw[index + 1]
            start = None
            if tag == "replace" and next_tag == "replace":
                if next_src == src + 1 and next_dest == dest + 1:
                    start = (src, dest)
            elif tag == "insert" and next_tag == "delete":
                if next_src == src + 1 and next_dest == dest + 2:
                    start = (src, dest)
            elif (
                tag == "delete"
                and next_tag == "insert"
                and next_src == src + 2
                and next_dest == dest + 1
            ):
                start = (src, dest)
            if (
                start is not None
                and typed[start[0]] == intended[start[1] + 1]
                and typed[start[0] + 1] == intended[start[1]]
            ):
                edits.append(("trans", start[0], start[1]))
                swapped = True
                index += 2
                continue
        if tag == "replace":
            edits.append(("sub", src, dest))
        elif tag == "insert":
            edits.append(("del", src, dest))
        else:
            edits.append(("ins", src, dest))
        index += 1
    if (swapped or len(raw) > 1) and len(edits) != OSA.distance(typed, intended):
        return align(typed, intended)
    return edits


def _far_apart_substitutions(edits: list[Edit]) -> bool:
    """Whether ``edits`` are substitutions, none adjacent, which other alignments of the
    same length almost never place differently (about 1 in 70 in a sample of double typos)."""
    previous = -2
    for op, _, j in edits:
        if op != "sub" or j - previous < 2:
            return False
        previous = j
    return True


def _mirror(edits: list[Edit], typed: str, intended: str) -> list[Edit]:
    """Edits aligning the reversed strings, mapped onto ``typed`` and ``intended``."""
    typed_end, intended_end = len(typed), len(intended)
    mapped: list[Edit] = []
    for op, i, j in reversed(edits):
        if op == "sub":
            mapped.append((op, typed_end - 1 - i, intended_end - 1 - j))
        elif op == "del":
            mapped.append((op, typed_end - i, intended_end - 1 - j))
        elif op == "ins":
            mapped.append((op, typed_end - 1 - i, intended_end - j))
        else:
            mapped.append((op, typed_end - 2 - i, intended_end - 2 - j))
    return mapped


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
        object.__setattr__(self, "_cached", lru_cache(maxsize=CACHE_SIZE)(self._uncached_cost))

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

    # Costs --------------------------------------------------------------------------------------

    def edit_cost(self, op: Op, key: str) -> float:
        """The cost in nats of one edit given its count-table key (no first-letter penalty)."""
        found = self._tables[op].get(key)
        return self._edit_cost(op, key) if found is None else found

    def _uncached_cost(self, typed: str, intended: str, prefix: bool) -> float:
        total = self._alignment_cost(typed, intended)
        pending = len(intended) - len(typed)
        if prefix and pending > 0:
            cut = intended[: len(typed)]
            truncated = self._alignment_cost(typed, cut) if cut != typed else 0.0
            total = min(total, truncated + pending * self.parameters.prefix_pending_cost)
        return total

    def _alignment_cost(self, typed: str, intended: str) -> float:
        edits = _fast_align(typed, intended)
        total = self._edits_cost(typed, intended, edits)
        if len(edits) > 1 and not _far_apart_substitutions(edits):
            # Several edits can often be placed in more than one way ("abberation": two
            # substitutions, or an extra b and a dropped r). Weighing every alignment is too
            # slow here; the mirror-image alignment is a cheap second opinion.
            mirrored = _mirror(_fast_align(typed[::-1], intended[::-1]), typed, intended)
            total = min(total, self._edits_cost(typed, intended, mirrored))
        return total

    def _edits_cost(self, typed: str, intended: str, edits: list[Edit]) -> float:
        tables = self._tables
        penalty = self.parameters.first_letter_penalty
        total = 0.0
        for edit in edits:
            op, key, at_start = edit_key(typed, intended, edit)
            found = tables[op].get(key)
            total += self._edit_cost(op, key) if found is None else found
            if at_start:
                total += penalty
        return total

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
            from autocomplete.bundled import data_directory

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
        except (ValueError, KeyError, TypeError, UnicodeDecodeError) as error:
            raise ValueError(f"error model {source} is unreadable: {error}") from error
        return cls.from_counts(counts, parameters, provenance)


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
