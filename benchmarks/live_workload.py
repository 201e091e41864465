"""The live-update workload the benchmark and ``scripts/live_bench.py`` both measure: 10,000
bundled titles replaced (a word added to each, the weight changed), so the main index hides
10,000 titles and the delta holds 10,000; and the evaluation's queries as never-seen
keystrokes."""

from __future__ import annotations

import gc
from collections.abc import Sequence

from autocomplete import Autocomplete
from autocomplete.index.bundled import bundled_records
from autocomplete.live import UpdateOptions
from autocomplete.tools.evaluation.queries import CATEGORIES, generate_queries

K = 10
DELTA_TITLES = 10_000
WARMUP = 50
"""Queries (of another seed) answered before timing, as the never-seen prefix benchmark does."""


def replacements(count: int, *, offset: int = 0) -> list[dict[str, object]]:
    """``count`` upserts replacing bundled titles: a changed text (a word added) and weight."""
    return [
        {
            "id": record.id,
            "title": f"{record.text} Redux",
            "votes": record.weight * 2 + 1,
            "aliases": list(record.aliases),
            **record.metadata,
        }
        for record in bundled_records()[offset : offset + count]
    ]


def eval_queries(seed: int, per_category: int) -> list[str]:
    """The evaluation's queries of every category, each distinct text once."""
    found = generate_queries(
        bundled_records(), per_category=per_category, seed=seed, categories=CATEGORIES
    )
    return list(dict.fromkeys(query.text for query in found))


READINGS_WAIT_S = 120.0
"""How long ``fresh_engine`` waits for the delta's precomputed readings (about 10 s here)."""


def fresh_engine(with_delta: bool, warmup: Sequence[str]) -> Autocomplete:
    """A new engine on the bundled catalog, with the 10,000-title delta or without, after
    answering ``warmup``. The delta is measured as it serves once its speller's readings are
    precomputed (in the background, seconds after the batch: docs/live-updates.md)."""
    if with_delta:
        options = UpdateOptions("memory://", poll_interval_s=0, compact_after=None)
        engine = Autocomplete(updates=options)
        engine.upsert(replacements(DELTA_TITLES))
        assert engine.live is not None
        if not engine.live.wait_for_readings(READINGS_WAIT_S):
            raise RuntimeError(f"the delta's readings took over {READINGS_WAIT_S:.0f} s")
    else:
        engine = Autocomplete()
    for query in warmup:
        engine.suggest(query, K)
    gc.collect()
    return engine
