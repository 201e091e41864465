"""The alignment and pricing kernels against their statements, both ways.

Every test runs on the C module (``autocomplete.spell._align``) and on its plain-Python twin
(``autocomplete.spell._align_python``, what an install without a C compiler runs): the two give the
same alignments and the same costs, to the bit, as the model-level statements in
``align_reference``.
"""

from __future__ import annotations

import math
import random
from array import array
from types import ModuleType

import pytest
from rapidfuzz.distance import OSA

import autocomplete.spell._align
import autocomplete.spell._align_python
from align_reference import align as reference_align
from align_reference import settle as reference_settle
from align_reference import single_edit_cost as reference_single_edit_cost
from autocomplete.spell.alignment import WORD_START
from autocomplete.spell.errormodel import MAX_SEARCH_EDITS, ErrorModel
from autocomplete.spell.keyboard import ALPHABET

# Letters of the model's alphabet, and some outside it (priced through the Python fallback).
LETTERS = "etaoinshrdlu" + "xqz19 " + "éßж^"


@pytest.fixture(scope="module")
def model() -> ErrorModel:
    return ErrorModel.load()


@pytest.fixture(
    params=[autocomplete.spell._align, autocomplete.spell._align_python], ids=["compiled", "python"]
)
def kernel(request: pytest.FixtureRequest) -> ModuleType:
    module: ModuleType = request.param
    return module


def _pricer(kernel: ModuleType, model: ErrorModel) -> autocomplete.spell._align.Pricer:
    """The kernel's pricer for ``model``, made as ``ErrorModel`` makes its own."""
    dense = array(
        "d",
        (
            model._tables[op].get(first + second, math.nan)
            for op in ("sub", "del", "ins", "trans")
            for first in kernel.SYMBOLS
            for second in kernel.SYMBOLS
        ),
    )
    pricer: autocomplete.spell._align.Pricer = kernel.Pricer(
        dense,
        model.parameters.first_letter_penalty,
        model.parameters.prefix_pending_cost,
        model._edit_cost,
        model._cores.neighbours,
        model._cheapest_rule,
        MAX_SEARCH_EDITS,
    )
    return pricer


def _slipped(word: str, generator: random.Random, slips: int) -> str:
    """``word`` with ``slips`` random substitutions, insertions, deletions or swaps."""
    letters = list(word)
    for _ in range(slips):
        position = generator.randrange(len(letters) + 1)
        kind = generator.choice(("sub", "ins", "del", "swap"))
        if kind == "ins" or not letters:
            letters.insert(position, generator.choice(LETTERS))
        elif kind == "del":
            del letters[min(position, len(letters) - 1)]
        elif kind == "sub":
            letters[min(position, len(letters) - 1)] = generator.choice(LETTERS)
        elif len(letters) > 1:
            at = min(position, len(letters) - 2)
            letters[at], letters[at + 1] = letters[at + 1], letters[at]
    return "".join(letters)


def _pairs(count: int, seed: int, *, longest: int = 12) -> list[tuple[str, str]]:
    generator = random.Random(seed)
    found = []
    for _ in range(count):
        length = generator.randint(0, longest)
        intended = "".join(generator.choice(LETTERS) for _ in range(length))
        found.append((_slipped(intended, generator, generator.randint(0, 3)), intended))
    return found


def test_symbols_are_the_models_contexts(kernel: ModuleType) -> None:
    assert kernel.SYMBOLS == WORD_START + ALPHABET


def test_align_matches_the_reference_and_is_optimal(kernel: ModuleType) -> None:
    align = kernel.align
    small = random.Random(7)
    tiny = [
        (
            "".join(small.choice("abc ") for _ in range(small.randint(0, 7))),
            "".join(small.choice("abc ") for _ in range(small.randint(0, 7))),
        )
        for _ in range(3000)
    ]
    for typed, intended in tiny + _pairs(3000, seed=1):
        edits = align(typed, intended)
        assert edits == reference_align(typed, intended), (typed, intended)
        assert len(edits) == OSA.distance(typed, intended), (typed, intended)


def test_align_prefers_swaps_and_the_second_of_a_doubled_pair(kernel: ModuleType) -> None:
    align = kernel.align
    assert align("teh", "the") == [("trans", 1, 1)]
    assert align("acomodate", "accommodate") == [("del", 2, 2), ("del", 4, 5)]
    assert align("", "ab") == [("del", 0, 0), ("del", 0, 1)]
    assert align("ab", "") == [("ins", 0, 0), ("ins", 1, 0)]


@pytest.mark.parametrize("prefix", [False, True])
def test_single_edit_cost_matches_the_reference_to_the_bit(
    kernel: ModuleType, model: ErrorModel, prefix: bool
) -> None:
    pricer = _pricer(kernel, model)
    for typed, intended in _pairs(4000, seed=2 + prefix):
        found = pricer.single_edit_cost(typed, intended, prefix)
        expected = reference_single_edit_cost(model, typed, intended, prefix)
        assert found == expected, (typed, intended, prefix)


@pytest.mark.parametrize("prefix", [False, True])
def test_settle_matches_the_reference(kernel: ModuleType, model: ErrorModel, prefix: bool) -> None:
    # Letters that alternations change ("ph" for "f", "ck" for "k", a doubled consonant), so
    # that many pairs are not settled and go on to the alternation search.
    generator = random.Random(5 + prefix)
    letters = "phfckwieaost"
    outcomes = set()
    pricer = _pricer(kernel, model)
    for _ in range(6000):
        intended = "".join(generator.choice(letters) for _ in range(generator.randint(1, 9)))
        typed = _slipped(intended, generator, generator.randint(0, 2))
        found = pricer.settle(typed, intended, prefix)
        assert found == reference_settle(model, typed, intended, prefix), (typed, intended)
        outcomes.add(isinstance(found, float))
    assert outcomes == {True, False}


def test_long_strings_take_the_heap_path(kernel: ModuleType, model: ErrorModel) -> None:
    # Past 64 characters a string, and past 1,024 cells the alignment matrix, leave the stack.
    pricer = _pricer(kernel, model)
    for typed, intended in _pairs(40, seed=4, longest=150):
        assert kernel.align(typed, intended) == reference_align(typed, intended)
        for prefix in (False, True):
            found = pricer.single_edit_cost(typed, intended, prefix)
            assert found == reference_single_edit_cost(model, typed, intended, prefix)


def test_keys_outside_the_tables_are_priced_by_the_callback(kernel: ModuleType) -> None:
    SYMBOLS, Pricer = kernel.SYMBOLS, kernel.Pricer
    asked: list[tuple[str, str]] = []

    def price_key(op: str, key: str) -> float:
        asked.append((op, key))
        return 7.0

    costs = array("d", [math.nan] * (4 * len(SYMBOLS) ** 2))
    costs[0] = 1.5  # sub, first "^": never a typed letter, but indexable
    pricer = Pricer(costs, 0.25, 1.0, price_key)
    total, alignments = pricer.single_edit_cost("xé", "xa", False)
    assert (total, alignments, asked) == (7.0, [[("sub", 1, 1)]], [("sub", "éa")])
    total, _ = pricer.single_edit_cost("b", "a", False)  # the first letter: penalty on top
    assert total == 7.0 + 0.25
    total, _ = pricer.single_edit_cost("ab", "abcd", True)  # two letters not typed yet
    assert total == 2 * 1.0


def test_pricer_rejects_bad_arguments(kernel: ModuleType) -> None:
    Pricer, align = kernel.Pricer, kernel.align
    with pytest.raises(ValueError, match=r"4 x 38 x 38 float64"):
        Pricer(array("d", [0.0] * 10), 0.0, 1.0, lambda op, key: 1.0)
    with pytest.raises(ValueError, match=r"float64"):
        Pricer(array("f", [0.0] * (4 * 38 * 38)), 0.0, 1.0, lambda op, key: 1.0)
    with pytest.raises(TypeError, match="callable"):
        Pricer(array("d", [0.0] * (4 * 38 * 38)), 0.0, 1.0, 3)  # type: ignore[arg-type]
    pricer = Pricer(array("d", [0.0] * (4 * 38 * 38)), 0.0, 1.0, lambda op, key: 1.0)
    with pytest.raises(TypeError, match="single_edit_cost"):
        pricer.single_edit_cost("a", b"b", False)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="align"):
        align("a")  # type: ignore[call-arg]


def test_callback_errors_propagate(kernel: ModuleType) -> None:
    Pricer = kernel.Pricer

    def broken(op: str, key: str) -> float:
        raise KeyError(key)

    pricer = Pricer(array("d", [math.nan] * (4 * 38 * 38)), 0.0, 1.0, broken)
    with pytest.raises(KeyError):
        pricer.single_edit_cost("ab", "ax", False)
