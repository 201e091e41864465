"""Suggestions of the bundled engine for typo queries, from a fresh interpreter.

The kernels' tests compare these between the compiled build and the plain-Python twins (forced
by ``AUTOCOMPLETE_KERNELS=python``, or an install built without a C compiler).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data"

# Typos of every kind on the bundled catalog, so that every kernel does real work.
QUERIES = [
    "the big lebowsky",
    "star wrs",
    "amelie",
    "godfater",
    "shawshank redemtion",
    "pulp fictoin",
    "lord of the rigns",
    "scindlers list",
    "the dark nite",
    "jurasic park",
    "casablanka",
    "fantom menace",
    "terminatr 2",
    "back to the futre",
    "the big",
    "xq",
    # Scattered words, typed or misspelt, a word typed twice, a year: the word index's check
    # and the aligner.
    "lebowski big",
    "harry potter chamber",
    "lord rings towers two",
    "of the of",
    "psycho 1960",
    "ring lrod",
    # Misspelt scattered words (several readings each: the aligner's search), and a repeat.
    "hary poter chamber",
    "lrod rigns towers",
    "the of the 1994",
]

ANSWERS_SCRIPT = """
import json, sys
from autocomplete import Autocomplete
engine = Autocomplete()
answers = {
    query: [
        [s.id, s.text, repr(s.score), s.match, s.spans, s.corrected, s.corrected_query]
        for s in engine.suggest(query)
    ]
    for query in json.loads(sys.argv[1])
}
print(json.dumps(answers))
"""


def engine_answers(
    environment: dict[str, str], python: str = sys.executable
) -> tuple[dict[str, object], str]:
    """The answers to ``QUERIES`` by query, and what the interpreter wrote to stderr."""
    # The data files are the checkout's, also for a copy of the package installed elsewhere.
    env = {**os.environ, "AUTOCOMPLETE_DATA_DIR": str(DATA), **environment}
    result = subprocess.run(
        [python, "-c", ANSWERS_SCRIPT, json.dumps(QUERIES)],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=Path(__file__).parent,
    )
    assert result.returncode == 0, result.stderr
    answers: dict[str, object] = json.loads(result.stdout)
    return answers, result.stderr
