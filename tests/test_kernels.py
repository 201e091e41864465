"""The compiled kernels and their plain-Python twins: chosen at import, equal in every answer.

``test_align.py`` runs the alignment kernel both ways; this file does the same for the deletion
probe, checks which kernels the import sites chose, and (slow) that a whole engine answers the
same on the twins as on the compiled build. ``AUTOCOMPLETE_KERNELS=python`` runs any other test
file on the twins (``scripts/check_extensions.sh`` does so for the kernels' tests).
"""

from __future__ import annotations

import os
import random
from types import ModuleType

import numpy as np
import pytest

import autocomplete.index._nearby
import autocomplete.index._nearby_python
import autocomplete.spell._align
import autocomplete.spell._align_python
from autocomplete._kernels import KERNELS_VARIABLE
from autocomplete.index import spelling as spelling_index
from autocomplete.index.spelling import MAX_INDEXED_CHARS, SpellingIndex
from autocomplete.spell import alignment
from kernel_answers import QUERIES, engine_answers

PROBES = [autocomplete.index._nearby, autocomplete.index._nearby_python]


def _python_asked() -> bool:
    return os.environ.get(KERNELS_VARIABLE, "").strip().lower() == "python"


def test_the_import_sites_run_the_kernels_the_install_built() -> None:
    # A normal install compiles both kernels, and the library uses them; the twins run only
    # when asked (the tests' second way) or when a compiled module is missing, which fails here.
    align, nearby = (
        (autocomplete.spell._align_python, autocomplete.index._nearby_python)
        if _python_asked()
        else (autocomplete.spell._align, autocomplete.index._nearby)
    )
    assert alignment.Pricer is align.Pricer and alignment.align is align.align
    assert spelling_index.DeletionProbe is nearby.DeletionProbe


def _random_index(seed: int) -> tuple[SpellingIndex, list[str]]:
    generator = random.Random(seed)
    letters = "etaoinshrdlcum" + "éжß7"
    words = [
        "".join(generator.choice(letters) for _ in range(generator.randint(1, 12)))
        for _ in range(400)
    ]
    titles = [(words[start : start + 3], -float(start % 17)) for start in range(0, 400, 3)]
    typed = [
        "".join(generator.choice(letters) for _ in range(generator.randint(0, 14)))
        for _ in range(200)
    ]
    typed += [word[: generator.randint(1, len(word))] for word in words[:200]]
    return SpellingIndex.build(titles), typed


def _arrays(index: SpellingIndex) -> list[np.ndarray]:
    return [
        index.postings_first,
        index.postings,
        index.prefix_starts,
        index.prefix_chars,
        index.prefix_log_weight,
        index.prefix_best_prior,
    ]


def test_the_probes_give_the_same_answers_in_the_same_order() -> None:
    index, typed_words = _random_index(seed=11)
    compiled = autocomplete.index._nearby.DeletionProbe(index.deletions.get, *_arrays(index))
    twin = autocomplete.index._nearby_python.DeletionProbe(index.deletions.get, *_arrays(index))
    answered = 0
    for typed in [*typed_words, "x" * 100, ""]:
        for depth in (0, 1, 2):
            for budget in (-1, 0, 1, 2):
                for long_length in (0, MAX_INDEXED_CHARS, 3):
                    arguments = (typed, MAX_INDEXED_CHARS, depth, budget, long_length)
                    found = twin.near(*arguments)
                    assert found == compiled.near(*arguments), arguments
                    answered += bool(found[0])
    assert answered > 1000  # most cases found something to compare


@pytest.mark.parametrize("kernel", PROBES, ids=["compiled", "python"])
def test_each_probe_rejects_bad_arrays_and_arguments(kernel: ModuleType) -> None:
    index, _ = _random_index(seed=1)
    arrays = _arrays(index)
    probe_type = kernel.DeletionProbe
    with pytest.raises(TypeError, match="callable"):
        probe_type(None, *arrays)
    for position in range(6):
        wrong = list(arrays)
        wrong[position] = np.zeros(4, dtype=np.float64)
        kind = "integers" if position < 4 else "floats"
        with pytest.raises(ValueError, match=f"32-bit {kind}"):
            probe_type(index.deletions.get, *wrong)
    empty = np.zeros(0, dtype=np.int32)
    with pytest.raises(ValueError, match="one more entry"):
        probe_type(index.deletions.get, empty, *arrays[1:2], empty, *arrays[3:])
    with pytest.raises(ValueError, match="one entry per prefix"):
        probe_type(index.deletions.get, *arrays[:4], arrays[4][:-1], arrays[5])
    probe = probe_type(index.deletions.get, *arrays)
    with pytest.raises(ValueError, match="deletion depth is 0 to 2, got 3"):
        probe.near("slep", 8, 3, 1, 0)
    with pytest.raises(TypeError, match="near"):
        probe.near(b"slep", 8, 1, 1, 0)
    with pytest.raises(ValueError, match="probe_length is at most 64"):
        probe.near("x" * 70, 70, 1, 1, 0)
    # A lookup that answers a deletion id past the postings is refused, not read past the end.
    lying = probe_type(lambda variant: len(arrays[0]) + 5, *arrays)
    with pytest.raises(IndexError, match="outside the postings"):
        lying.near("slep", 8, 1, 1, 0)


@pytest.mark.slow
def test_the_engine_answers_the_same_on_the_twins() -> None:
    compiled, quiet = engine_answers({KERNELS_VARIABLE: ""})
    twins, said = engine_answers({KERNELS_VARIABLE: "python"})
    assert twins == compiled
    assert sum(bool(answer) for answer in compiled.values()) >= len(QUERIES) - 1
    assert any(answer and answer[0][5] for answer in compiled.values())  # corrections made
    # Said once, through logging (the last-resort handler prints it to stderr), and only then.
    assert said.count("plain-Python twins") == 1 and "plain-Python" not in quiet


@pytest.mark.parametrize(
    ("module", "name"),
    [("autocomplete.spell._align", "Pricer"), ("autocomplete.index._nearby", "DeletionProbe")],
)
def test_the_compiled_kernels_use_multi_phase_init(module: str, name: str) -> None:
    # PEP 489: the import system creates the module and the extension fills it in a separate
    # step; a single-phase module would arrive already filled.
    import importlib.util

    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.loader is not None
    created = importlib.util.module_from_spec(spec)
    assert not hasattr(created, name)
    spec.loader.exec_module(created)
    assert hasattr(created, name)
