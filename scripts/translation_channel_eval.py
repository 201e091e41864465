"""The translation channel alone: the English-title queries on a catalog without the table.

    .venv/bin/python data/build_movies.py --without-english-titles -o /tmp/movies-plain.jsonl.gz
    .venv/bin/python scripts/translation_channel_eval.py /tmp/movies-plain.jsonl.gz

Asks for the European-language films of ``data/movie_english_titles.csv`` by their English titles
(typed in full and halfway, as ``autocomplete eval`` does) on a catalog that lacks those titles as
aliases and lacks the ``language`` field, so that only the translation channel (with guessed
languages) can reach them. Prints success@1, success@5 and MRR@10 per category (issue 16's target:
success@5 >= 0.5).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from autocomplete import Autocomplete
from autocomplete.catalog.known_titles import TABLE_FILE, read_known_titles
from autocomplete.catalog.loader import load_catalog
from autocomplete.index.bundled import (
    ALIAS_FIELD,
    ID_FIELD,
    TEXT_FIELD,
    WEIGHT_FIELD,
    data_directory,
)
from autocomplete.tools.evaluation import run_system
from autocomplete.tools.evaluation.known_title_queries import known_title_queries
from autocomplete.tools.evaluation.metrics import summarize_by_category
from autocomplete.tools.evaluation.peers import Ours

EUROPEAN = frozenset({"fr", "de", "it", "es", "sv", "da", "nl", "pt"})
"""The languages the lexicon covers."""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("catalog", type=Path, help="a catalog built --without-english-titles")
    args = parser.parse_args()
    fields = {
        "text_field": TEXT_FIELD,
        "weight_field": WEIGHT_FIELD,
        "id_field": ID_FIELD,
        "alias_field": ALIAS_FIELD,
    }
    records, _ = load_catalog(args.catalog, **fields)
    engine = Autocomplete.from_catalog(args.catalog, **fields)
    table = [
        row for row in read_known_titles(data_directory() / TABLE_FILE) if row.language in EUROPEAN
    ]
    queries = known_title_queries(records, table)
    summary = summarize_by_category(run_system(Ours(engine), queries).outcomes(queries))
    for category, found in summary.items():
        print(
            f"{category:20} n={found.queries:4} success@1 {found.success_at_1:.3f} "
            f"success@5 {found.success_at_5:.3f} MRR@10 {found.mrr_at_10:.3f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
