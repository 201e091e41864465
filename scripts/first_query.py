"""Time to the first answer of each feature after ``Autocomplete.load``, each in a fresh process.

    python scripts/first_query.py [INDEX_DIRECTORY] [--repeats N]

Without a directory, the bundled catalog's cached index. For every feature a new interpreter
loads the index and times, in order: the load, ``prepare``'s background work waited for (the
translation channel's index, when it is built on first use), the feature's first call, and a
second call of the same feature with other text (what any call costs once nothing is left to
build). The first call less the second is the work the first call does lazily. Wall-clock
milliseconds, the median over ``--repeats`` fresh processes per feature.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

FEATURES: dict[str, tuple[str, str]] = {
    # feature: (the first call, the second call), as expressions over `engine`
    "prefix": ("engine.suggest('the godf')", "engine.suggest('star wa')"),
    "typo": ("engine.suggest('teh godfathr')", "engine.suggest('stra wasr')"),
    "multiword": ("engine.suggest('rose name the')", "engine.suggest('wars star')"),
    "translation": ("engine.suggest('the name of the rose')", "engine.suggest('whispers and cr')"),
    "literal": (
        "engine.suggest('the godf', correct=False)",
        "engine.suggest('sta', correct=False)",
    ),
    "where": (
        "engine.suggest('the', where={'genres': 'Comedy'})",
        "engine.suggest('lo', where={'genres': 'Drama'})",
    ),
    "boost": (
        "engine.suggest('the', boost={'genres': {'Comedy': 2.0}})",
        "engine.suggest('lo', boost={'genres': {'Drama': 2.0}})",
    ),
    "context": (
        "engine.suggest('the', context={'queries': ['star wars']})",
        "engine.suggest('lo', context={'queries': ['alien']})",
    ),
    "trending": ("engine.trending(5)", "engine.trending(3)"),
    "describe": ("engine.describe(engine.index.ids[0])", "engine.describe(engine.index.ids[1])"),
}

_CHILD = """
import sys, time
from autocomplete import Autocomplete
directory, first, second = sys.argv[1:4]
started = time.perf_counter()
engine = Autocomplete.load(directory, feedback="memory://") if directory else Autocomplete(
    feedback="memory://")
loaded = time.perf_counter()
engine.prepare()
engine._translations.get()  # what prepare() warms: waited for here, timed apart
prepared = time.perf_counter()
eval(first)
answered = time.perf_counter()
eval(second)
again = time.perf_counter()
print(loaded - started, prepared - loaded, answered - prepared, again - answered)
"""


def measure(directory: str, feature: str) -> dict[str, float]:
    first, second = FEATURES[feature]
    output = subprocess.run(
        [sys.executable, "-c", _CHILD, directory, first, second],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    seconds = [float(value) for value in output[-4:]]
    return dict(zip(("load", "prepare", "first", "second"), seconds, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", nargs="?", default="")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--features", default=",".join(FEATURES))
    args = parser.parse_args()
    directory = str(Path(args.directory).resolve()) if args.directory else ""
    table: dict[str, Any] = {}
    for feature in args.features.split(","):
        runs = [measure(directory, feature) for _ in range(args.repeats)]
        table[feature] = {
            name: round(1000 * statistics.median(run[name] for run in runs), 1) for name in runs[0]
        }
        print(feature, json.dumps(table[feature]), flush=True)
    print(time.strftime("%H:%M:%S"), "load average", Path("/proc/loadavg").read_text().split()[:3])


if __name__ == "__main__":
    main()
