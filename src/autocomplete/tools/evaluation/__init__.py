"""``autocomplete eval``: our engine and its peers on the same realistic queries, side by side.

* ``queries``: the seeded query generator (categories, typing model, slips, phonetic rewrites);
* ``peers``: the systems compared, behind one small protocol;
* ``metrics``: success@1, success@5, MRR@10 and latency percentiles;
* ``report``: the markdown report and the bar chart.

``add_command`` registers the ``eval`` subcommand on the main CLI. The peers' packages
(symspellpy, fast-autocomplete, matplotlib for the chart) are in the optional ``eval`` extra;
a missing peer is skipped with a message.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import gc
import json
import os
import platform
import random
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from autocomplete.tools.evaluation.known_title_queries import (
    ENGLISH_TITLE,
    ENGLISH_TITLE_HALF,
    KNOWN_TITLE_CATEGORIES,
    known_title_queries,
)
from autocomplete.tools.evaluation.metrics import (
    DEPTH,
    Outcome,
    Summary,
    first_hit,
    summarize_by_category,
)
from autocomplete.tools.evaluation.queries import (
    DIACRITICS,
    ONE_SLIP,
    PHONETIC,
    TWO_SLIPS,
    EvalQuery,
)

if TYPE_CHECKING:
    from autocomplete.catalog.loader import Record
    from autocomplete.tools.evaluation.peers import System

DEFAULT_QUERIES = 300
"""Queries per category in the published run."""

BLOCKS = 20
"""Blocks of queries the systems take turns on (see ``run_systems``)."""

WARMUP_QUERIES = 5
"""Untimed queries per category (from another seed) run through each system first."""

REWARM_QUERIES = 5
"""Untimed warm-up queries each system answers before each of its blocks."""

NOISY_CATEGORIES = (ONE_SLIP, TWO_SLIPS, PHONETIC)
"""Categories whose queries carry an error (their clean ceiling is reported)."""

CHART_FILE = "mrr_by_category.png"
REPORT_FILE = "results.md"


@dataclass(slots=True)
class Answers:
    """One system's answers to a list of queries."""

    system: str
    ids: list[list[str]]
    seconds: list[float]

    def outcomes(self, queries: Sequence[EvalQuery]) -> list[Outcome]:
        return [
            Outcome(
                category=query.category,
                rank=first_hit(ids, query.target_ids),
                seconds=seconds,
                text_rank=first_hit(ids, query.same_text_ids),
            )
            for query, ids, seconds in zip(queries, self.ids, self.seconds, strict=True)
        ]


def run_system(
    system: System,
    queries: Sequence[EvalQuery],
    *,
    warmup: Sequence[str] = (),
    k: int = DEPTH,
) -> Answers:
    """Ask ``system`` every query once, timing each call."""
    return run_systems([system], queries, warmup=warmup, k=k, blocks=1)[system.name]


def run_systems(
    systems: Sequence[System],
    queries: Sequence[EvalQuery],
    *,
    warmup: Sequence[str] = (),
    k: int = DEPTH,
    blocks: int = BLOCKS,
    seed: int = 0,
    log: Callable[[str], None] | None = None,
) -> dict[str, Answers]:
    """Ask every system every query once, timing each call.

    The queries are shuffled and cut into ``blocks``; each system answers a block in turn, so
    every system's calls are spread over the whole run and meet the same background load on a
    shared machine, while a system still answers a block's queries back to back, after a few
    untimed ``warmup`` queries that bring its caches back (as in a server doing only this).
    Answers come back in the order of ``queries``.
    """
    for system in systems:
        for text in warmup:
            system.suggest(text, k)
    order = list(range(len(queries)))
    random.Random(seed).shuffle(order)
    size = max(1, -(-len(order) // max(blocks, 1)))
    ids: dict[str, list[list[str]]] = {s.name: [[] for _ in queries] for s in systems}
    seconds: dict[str, list[float]] = {s.name: [0.0] * len(queries) for s in systems}
    spent = dict.fromkeys(ids, 0.0)
    clock = time.perf_counter
    for start in range(0, len(order), size):
        block = order[start : start + size]
        rewarm = warmup[(start // size) % max(len(warmup), 1) :][:REWARM_QUERIES]
        for system in systems:
            suggest = system.suggest
            found_ids, found_seconds = ids[system.name], seconds[system.name]
            gc.collect()
            for text in rewarm:  # the previous system's block has evicted this one's caches
                suggest(text, k)
            began = clock()
            for position in block:
                text = queries[position].text
                started = clock()
                found = suggest(text, k)
                found_seconds[position] = clock() - started
                found_ids[position] = list(found)
            spent[system.name] += clock() - began
        if log is not None:
            log(f"  {min(start + size, len(order))}/{len(order)} queries")
    if log is not None:
        for name, total in spent.items():
            log(f"  {name:<18} {total:7.1f} s")
    return {name: Answers(name, ids[name], seconds[name]) for name in ids}


def _machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return (
        f"{model}, {os.cpu_count()} logical CPUs, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()} (shared and noisy: other jobs were running)"
    )


def _revision() -> str | None:
    """The checkout's commit (with "+changes" when the working tree differs), if in git."""
    root = Path(__file__).resolve().parents[4]

    def git(*args: str) -> str:
        found = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, timeout=10, check=True
        )
        return found.stdout.strip()

    try:
        head = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}+changes" if dirty else head


def _load() -> str:
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except OSError:
        return "unknown"


def _versions() -> dict[str, str]:
    found: dict[str, str] = {}
    revision = _revision()
    if revision:
        found["commit"] = revision
    packages = (
        "autocomplete",
        "rapidfuzz",
        "marisa-trie",
        "symspellpy",
        "fast-autocomplete",
        "tantivy",
    )
    for package in packages:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    found["sqlite"] = sqlite3.sqlite_version  # the FTS5 peer's engine
    return found


def _peer_names(text: str) -> list[str]:
    from autocomplete.tools.evaluation.peers import PEERS

    text = text.strip()
    if text == "all":
        return list(PEERS)
    if text in ("none", ""):
        return []
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in PEERS]
    if unknown:
        raise ValueError(f"unknown peer(s) {', '.join(unknown)}; choose from {', '.join(PEERS)}")
    return names


def default_diacritics_catalog() -> Path:
    """The fixture catalog with accented titles, in a checkout of the project."""
    return Path(__file__).resolve().parents[4] / "tests" / "fixtures" / "engine_catalog.jsonl"


@dataclass(slots=True)
class Evaluation:
    """Everything one run measured."""

    queries: list[EvalQuery]
    answers: dict[str, Answers]
    table: dict[str, dict[str, Summary]]
    notes: list[str]
    ceiling: dict[str, dict[str, Summary]]
    """ours and exact-prefix on the noisy categories' prefixes typed without the noise."""
    titles: dict[str, str]
    """Display title of every id of the bundled catalog."""


def evaluate(
    *,
    queries_per_category: int = DEFAULT_QUERIES,
    seed: int = 0,
    peers: Sequence[str] = (),
    diacritics_catalog: Path | None = None,
    log: Callable[[str], None] = print,
    word_reading: bool = True,
) -> Evaluation:
    """Generate the queries, run ours and ``peers`` on them, and summarize.

    ``word_reading=False`` runs our engine without reading queries as scattered title words
    (``Autocomplete(word_costs=None)``): the engine as it was before issue 15, for comparison.
    """
    from autocomplete import Autocomplete
    from autocomplete.catalog.loader import load_catalog
    from autocomplete.index.bundled import (
        ALIAS_FIELD,
        ID_FIELD,
        TEXT_FIELD,
        WEIGHT_FIELD,
        bundled_records,
    )
    from autocomplete.tools.evaluation.peers import Ours, build_peers
    from autocomplete.tools.evaluation.queries import (
        CATEGORIES,
        diacritic_queries,
        generate_queries,
    )

    notes: list[str] = []

    def warn(message: str) -> None:
        notes.append(message)
        log(message)

    records = bundled_records()
    queries = generate_queries(records, per_category=queries_per_category, seed=seed)
    known = _known_title_queries(records, seed, notes)
    queries.extend(known)
    warmup = [
        query.text
        for query in generate_queries(records, per_category=WARMUP_QUERIES, seed=seed + 1_000_003)
    ]
    log(f"{len(queries)} queries over {len(records):,} titles ({', '.join(CATEGORIES)})")

    def ours(engine: Autocomplete) -> Ours:
        return Ours(engine if word_reading else Autocomplete(engine.index, word_costs=None))

    systems: list[System] = [ours(Autocomplete())]
    started = time.perf_counter()
    systems.extend(build_peers(peers, records, warn=warn))
    log(f"built {len(systems) - 1} peer(s) in {time.perf_counter() - started:.1f} s")
    load_before = _load()
    answers = run_systems(systems, queries, warmup=warmup, seed=seed, log=log)
    notes.append(
        f"Latency: wall time of each `suggest` call in one process; the systems take turns on "
        f"{BLOCKS} shuffled blocks of queries so that all meet the same background load. The "
        f"machine's 1-minute load average was {load_before} before and {_load()} after the "
        "timed run (2 CPUs), so p99 in particular carries noise from other jobs."
    )
    outcomes = {name: found.outcomes(queries) for name, found in answers.items()}

    # Diacritics: the bundled catalog is plain ASCII, so they run on the fixture catalog.
    fixture_queries: list[EvalQuery] = []
    if diacritics_catalog is not None:
        if not diacritics_catalog.is_file():
            warn(
                f"no diacritics catalog at {diacritics_catalog}; the diacritics category is skipped"
            )
        else:
            fixture, _ = load_catalog(
                diacritics_catalog,
                text_field=TEXT_FIELD,
                weight_field=WEIGHT_FIELD,
                id_field=ID_FIELD,
                alias_field=ALIAS_FIELD,
            )
            fixture_queries = diacritic_queries(fixture, limit=queries_per_category, seed=seed)
            fixture_systems: list[System] = [
                ours(
                    Autocomplete.from_catalog(
                        diacritics_catalog,
                        text_field=TEXT_FIELD,
                        weight_field=WEIGHT_FIELD,
                        id_field=ID_FIELD,
                        alias_field=ALIAS_FIELD,
                    )
                )
            ]
            fixture_systems.extend(build_peers(peers, fixture, warn=lambda _: None))
            for system in fixture_systems:
                found = run_system(system, fixture_queries)
                outcomes.setdefault(found.system, []).extend(found.outcomes(fixture_queries))
            notes.append(
                f"`{DIACRITICS}`: {len(fixture_queries)} queries (every distinct prefix of the "
                f"accented titles typed plainly, transliterated or with accents, up to "
                f"{queries_per_category}) over the {len(fixture)}-title fixture catalog "
                f"`{diacritics_catalog.name}`."
            )
    table = {
        name: summarize_by_category(found, overall_excludes=(DIACRITICS, *KNOWN_TITLE_CATEGORIES))
        for name, found in outcomes.items()
    }
    # How far a perfect corrector could go: the same prefixes, typed without the error.
    clean = [
        dataclasses.replace(query, text=query.intended)
        for query in queries
        if query.category in NOISY_CATEGORIES
    ]
    baselines: list[System] = [systems[0], *(s for s in systems if s.name == "exact-prefix")]
    ceiling = {
        system.name: summarize_by_category(run_system(system, clean).outcomes(clean))
        for system in baselines
    }
    titles = {record.id: record.text for record in records}
    return Evaluation(queries + fixture_queries, answers, table, notes, ceiling, titles)


def write_report(
    evaluation: Evaluation,
    output_dir: Path,
    *,
    command: str,
    queries_per_category: int,
    seed: int,
    chart: bool = True,
) -> Path:
    """Write ``results.md`` (and the chart) into ``output_dir``; return the report's path."""
    from autocomplete.tools.evaluation.report import RunInfo, bar_chart, markdown, misses

    # The versions first: the commit is marked "+changes" for a dirty working tree, and the
    # chart written below would make it so.
    info = RunInfo(
        command=command,
        date=datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        machine=_machine(),
        versions=_versions(),
        queries_per_category=queries_per_category,
        seed=seed,
        notes=list(evaluation.notes),
    )
    output_dir.mkdir(parents=True, exist_ok=True)
    chart_name: str | None = None
    if chart:
        bar_chart(evaluation.table, output_dir / CHART_FILE)
        chart_name = CHART_FILE
    path = output_dir / REPORT_FILE
    has_diacritics = any(DIACRITICS in by_category for by_category in evaluation.table.values())
    path.write_text(
        markdown(
            evaluation.table,
            info,
            ceiling=evaluation.ceiling,
            chart=chart_name,
            diacritics=DIACRITICS if has_diacritics else None,
        )
        + misses(
            evaluation.queries,
            evaluation.answers.get("ours"),
            evaluation.titles,
            categories=NOISY_CATEGORIES,
        ),
        encoding="utf-8",
    )
    return path


def dump_answers(evaluation: Evaluation, path: Path) -> None:
    """Every bundled-catalog query with each system's answer ids, one JSON object a line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for index, query in enumerate(evaluation.queries):
            row: dict[str, object] = {
                "category": query.category,
                "text": query.text,
                "intended": query.intended,
                "note": query.note,
                "target_id": query.target_id,
                "target_title": query.target_title,
            }
            for name, found in evaluation.answers.items():
                if index < len(found.ids):
                    row[name] = found.ids[index]
                    row[f"{name}_ms"] = round(found.seconds[index] * 1000, 3)
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def _known_title_queries(records: Sequence[Record], seed: int, notes: list[str]) -> list[EvalQuery]:
    """The English-title categories (every row of the bundled table of English titles)."""
    from autocomplete.catalog.known_titles import TABLE_FILE, read_known_titles
    from autocomplete.paths import data_directory

    path = data_directory() / TABLE_FILE
    if not path.is_file():
        notes.append(f"no table of English titles at {path}; those categories are skipped")
        return []
    known = known_title_queries(records, read_known_titles(path), seed=seed)
    films = len({query.target_id for query in known})
    notes.append(
        f"`{ENGLISH_TITLE}` / `{ENGLISH_TITLE_HALF}`: {len(known) // 2} queries each (English "
        f"titles of {films} foreign-language films, from `data/{TABLE_FILE}`, typed in full / "
        "halfway); a query that is also another title's own name counts that title under the "
        "title-text rule. Left out of *overall*, so that it stays comparable with earlier runs."
    )
    return known


def run_command(args: argparse.Namespace) -> int:
    """The ``eval`` subcommand."""
    peers = _peer_names(args.peers)
    if args.queries_per_category < 1:
        raise ValueError("--queries-per-category must be at least 1")
    diacritics: Path | None = args.diacritics_catalog
    if diacritics is None:
        default = default_diacritics_catalog()
        diacritics = default if default.is_file() else None
    evaluation = evaluate(
        queries_per_category=args.queries_per_category,
        seed=args.seed,
        peers=peers,
        diacritics_catalog=diacritics,
        log=lambda message: print(message, file=sys.stderr),
        word_reading=not args.without_word_reading,
    )
    command = (
        f".venv/bin/autocomplete eval --queries-per-category {args.queries_per_category} "
        f"--seed {args.seed} --peers {args.peers} --output-dir {args.output_dir}"
        + (" --without-word-reading" if args.without_word_reading else "")
    )
    if args.dump is not None:
        dump_answers(evaluation, args.dump)
    report = write_report(
        evaluation,
        args.output_dir,
        command=command,
        queries_per_category=args.queries_per_category,
        seed=args.seed,
        chart=not args.no_chart,
    )
    print(report.read_text(encoding="utf-8"))
    print(f"wrote {report}", file=sys.stderr)
    return 0


def add_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``eval`` on an argparse subparsers object."""
    parser = commands.add_parser(
        "eval",
        help="evaluate suggestions against peers on generated realistic queries",
        description=(
            "Generate seeded realistic queries over the bundled catalog (clean prefixes, slips, "
            "phonetic misspellings, no article, word starts, initials, skipped words, words out "
            "of order, title and year; diacritics on the fixture catalog), run our engine and "
            "the peers on them, and write a markdown report with "
            "success@1/@5, MRR@10 and latency per category, plus a bar chart. The peers need the "
            "eval extra: pip install -e '.[eval]'."
        ),
    )
    parser.add_argument(
        "--queries-per-category",
        type=int,
        default=DEFAULT_QUERIES,
        metavar="N",
        help=f"queries generated per category (default {DEFAULT_QUERIES})",
    )
    parser.add_argument("--seed", type=int, default=0, help="query generator seed (default 0)")
    parser.add_argument(
        "--peers",
        default="all",
        help="all, none, or a comma-separated list of: exact-prefix, rapidfuzz, "
        "fast-autocomplete, symspell, fts5, tantivy (default all)",
    )
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=Path("docs/eval"),
        help="where results.md and the chart go (default docs/eval)",
    )
    parser.add_argument(
        "--diacritics-catalog",
        type=Path,
        default=None,
        help="catalog for the diacritics category (default: tests/fixtures/engine_catalog.jsonl)",
    )
    parser.add_argument(
        "--dump", type=Path, default=None, help="also write every query and answer (JSONL)"
    )
    parser.add_argument("--no-chart", action="store_true", help="skip the bar chart")
    parser.add_argument(
        "--without-word-reading",
        action="store_true",
        help="run our engine without reading queries as scattered title words (the engine "
        "before issue 15), for a before/after comparison",
    )
    parser.set_defaults(run=run_command)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``eval`` on its own (before it is wired into the main CLI)."""
    parser = argparse.ArgumentParser(prog="autocomplete")
    add_command(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["eval", *(sys.argv[1:] if argv is None else argv)])
    result: int = args.run(args)
    return result


__all__ = [
    "EvalQuery",
    "Evaluation",
    "add_command",
    "evaluate",
    "main",
    "run_system",
    "run_systems",
]
