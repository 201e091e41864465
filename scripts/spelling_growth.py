"""How the typo-correction structures grow with the vocabulary, not only with the title count.

The synthetic catalogs of the benchmarks reuse the bundled catalog's words (a word-bigram chain),
so at a million titles the spelling index is the bundled one's size. A real catalog that large
would bring new words. This script adds seeded pseudo-words (bundled words with one to three
letters replaced, so they crowd the real words' neighbourhoods: a pessimistic stand-in) to the
bundled titles' words, and reports for each vocabulary size the spelling index's build time,
size on disk, and the mean time of a deletion-index probe (``prefixes_near``) over fixed typed
prefixes.

    .venv/bin/python scripts/spelling_growth.py            # ~1 min, ~3 GB RAM at the top size
    .venv/bin/python scripts/spelling_growth.py --extra 0 50000
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from autocomplete import Autocomplete
from autocomplete.index.spelling import SpellingIndex

PROBES = 2_000
PSEUDO_WORD_LOG_PRIOR = -15.0
"""Log prior of the one-word titles that carry the pseudo-words (a tail title's)."""
LETTERS = "etaoinshrdlcumwfgyp"
"""Replacement letters, the commoner ones, so pseudo-words look like words."""


def pseudo_words(words: Sequence[str], count: int, rng: random.Random) -> list[str]:
    """``count`` strings not in ``words``, each a word with one to three letters replaced."""
    known = set(words)
    made: set[str] = set()
    while len(made) < count:
        letters = list(rng.choice(words))
        for _ in range(rng.randint(1, 3)):
            letters[rng.randrange(len(letters))] = rng.choice(LETTERS)
        word = "".join(letters)
        if word not in known:
            made.add(word)
    return sorted(made)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--extra",
        type=int,
        nargs="+",
        default=[0, 100_000, 400_000],
        help="pseudo-words added to the bundled vocabulary, one run each",
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    index = Autocomplete().index
    titles = [
        (index.normalized_titles[title].split(), float(index.arrays.title_prior[title]))
        for title in range(index.title_count)
    ]
    words = sorted({word for title_words, _ in titles for word in title_words})
    probe_rng = random.Random(args.seed)
    probes = [probe_rng.choice(words)[:7] for _ in range(PROBES)]
    print("| words | prefixes | deletion keys | build, s | on disk, MB | probe, µs |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for extra in args.extra:
        added = pseudo_words(words, extra, random.Random(args.seed))
        started = time.perf_counter()
        spelling = SpellingIndex.build(
            [*titles, *(([word], PSEUDO_WORD_LOG_PRIOR) for word in added)]
        )
        build_seconds = time.perf_counter() - started
        with tempfile.TemporaryDirectory() as directory:
            spelling.save(directory)
            size = sum(path.stat().st_size for path in Path(directory).iterdir())
        started = time.perf_counter()
        for probe in probes:
            spelling.prefixes_near(probe)
        probe_us = (time.perf_counter() - started) / len(probes) * 1e6
        print(
            f"| {len(spelling.words):,} | {len(spelling.prefixes):,} | "
            f"{len(spelling.deletions):,} | {build_seconds:.1f} | {size / 1e6:.0f} | "
            f"{probe_us:.0f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
