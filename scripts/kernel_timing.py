"""Mean time of never-seen typo queries on the bundled catalog, to compare the kernels.

Run it twice, once as is (the compiled kernels) and once with ``AUTOCOMPLETE_KERNELS=python``
(their plain-Python twins, what an install without a C compiler runs):

    python scripts/kernel_timing.py
    AUTOCOMPLETE_KERNELS=python python scripts/kernel_timing.py

Each query is a catalog title with one letter dropped, asked once, so no memo answers it.
"""

from __future__ import annotations

import random
import time

from autocomplete import Autocomplete
from autocomplete.index.bundled import bundled_records

SAMPLED_TITLES = 300
"""Titles drawn (seed 0); those shorter than 6 characters are left out."""


def main() -> None:
    engine = Autocomplete()
    generator = random.Random(0)
    queries = []
    for record in generator.sample(bundled_records(), SAMPLED_TITLES):
        text = record.text.lower()
        if len(text) < 6:
            continue
        dropped = generator.randrange(1, len(text) - 1)
        queries.append(text[:dropped] + text[dropped + 1 :])
    started = time.perf_counter()
    for query in queries:
        engine.suggest(query)
    elapsed = time.perf_counter() - started
    print(f"{len(queries)} queries, mean {1000 * elapsed / len(queries):.2f} ms")


if __name__ == "__main__":
    main()
