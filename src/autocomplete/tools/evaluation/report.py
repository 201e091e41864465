"""The evaluation report: markdown tables and a bar chart of MRR@10 per category per system.

matplotlib is imported only when the chart is drawn (it is in the ``eval`` extra, not a runtime
dependency).
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from autocomplete.tools.evaluation.metrics import OVERALL, Summary
from autocomplete.tools.evaluation.peers import CORRECTING_PEERS
from autocomplete.tools.evaluation.queries import DIACRITICS, EvalQuery

if TYPE_CHECKING:
    from autocomplete.tools.evaluation import Answers

OURS = "ours"

Table = Mapping[str, Mapping[str, Summary]]
"""system -> category (and ``OVERALL``) -> summary."""


@dataclass(frozen=True, slots=True)
class Target:
    """One goal the engine is measured against."""

    description: str
    value: str
    met: bool


@dataclass(slots=True)
class RunInfo:
    """What a reader needs to reproduce or weigh the run."""

    command: str
    date: str
    machine: str
    versions: Mapping[str, str]
    queries_per_category: int
    seed: int
    notes: list[str] = field(default_factory=list)


def _fmt(value: float, digits: int = 3) -> str:
    return "–" if math.isnan(value) else f"{value:.{digits}f}"


def _ms(value: float) -> str:
    if math.isnan(value):
        return "–"
    return f"{value:.2f}" if value < 10 else f"{value:.1f}" if value < 100 else f"{value:.0f}"


def categories_of(table: Table) -> list[str]:
    """The categories any system was measured on, in first-seen order, ``OVERALL`` last."""
    seen: dict[str, None] = {}
    for by_category in table.values():
        for category in by_category:
            if category != OVERALL:
                seen.setdefault(category, None)
    return [*seen, OVERALL]


def targets(table: Table) -> list[Target]:
    """The issue's targets, checked against the run (only those it has data for)."""
    found: list[Target] = []
    ours = table.get(OURS)
    if ours is None:
        return found
    for category, goal in (("one_slip", 0.95), ("two_slips", 0.85), ("phonetic", 0.85)):
        if category in ours:
            value = ours[category].success_at_5
            found.append(
                Target(f"ours success@5 on {category} >= {goal}", _fmt(value), value >= goal)
            )
    for category, metric, goal in (
        ("english_title", "success_at_1", 0.90),
        ("english_title_half", "success_at_5", 0.85),
    ):
        if category in ours:
            value = getattr(ours[category], metric)
            found.append(
                Target(
                    f"ours {metric.replace('_at_', '@')} on {category} >= {goal}",
                    _fmt(value),
                    value >= goal,
                )
            )
    # Issue 15: the words people remember.
    for category, goal, at_one in (
        ("skipped_words", 0.95, False),
        ("out_of_order", 0.90, False),
        ("title_year", 0.95, True),
    ):
        if category in ours:
            value = ours[category].success_at_1 if at_one else ours[category].success_at_5
            metric = "success@1" if at_one else "success@5"
            found.append(
                Target(f"ours {metric} on {category} >= {goal}", _fmt(value), value >= goal)
            )
    mine = ours[OVERALL]
    for system, by_category in table.items():
        if system == OURS:
            continue
        lead = mine.mrr_at_10 - by_category[OVERALL].mrr_at_10
        found.append(
            Target(
                f"ours overall MRR@10 ahead of {system} by >= 0.25", f"{lead:+.3f}", lead >= 0.25
            )
        )
    for system, by_category in table.items():
        if system not in CORRECTING_PEERS:
            continue
        theirs = by_category[OVERALL]
        speeds = (
            f"p50 {_ms(mine.p50_ms)} vs {_ms(theirs.p50_ms)} ms, "
            f"p99 {_ms(mine.p99_ms)} vs {_ms(theirs.p99_ms)} ms"
        )
        met = mine.p50_ms < theirs.p50_ms and mine.p99_ms < theirs.p99_ms
        found.append(Target(f"ours faster per query than {system}", speeds, met))
    return found


def _matrix(
    table: Table, categories: Sequence[str], metric: str, digits: int = 3, latency: bool = False
) -> list[str]:
    systems = list(table)
    lines = [
        "| category | n | " + " | ".join(systems) + " |",
        "| --- | ---: | " + " | ".join("---:" for _ in systems) + " |",
    ]
    for category in categories:
        row = [f"**{category}**" if category == OVERALL else category]
        counts = {
            table[system][category].queries for system in systems if category in table[system]
        }
        row.append("/".join(str(count) for count in sorted(counts)) or "–")
        for system in systems:
            summary = table[system].get(category)
            if summary is None:
                row.append("–")
                continue
            value = getattr(summary, metric)
            cell = _ms(value) if latency else _fmt(value, digits)
            best = max(
                (getattr(table[s][category], metric) for s in systems if category in table[s]),
                default=math.nan,
            )
            row.append(f"**{cell}**" if not latency and value == best else cell)
        lines.append("| " + " | ".join(row) + " |")
    return lines


def markdown(
    table: Table,
    info: RunInfo,
    *,
    ceiling: Table | None = None,
    chart: str | None = None,
    diacritics: str | None = None,
) -> str:
    """The whole report as markdown."""
    categories = categories_of(table)
    lines = [
        "# Evaluation: ours against the peers",
        "",
        "Reproduce (from the repository root, with the `eval` extra installed):",
        "",
        "```sh",
        ".venv/bin/pip install -e '.[eval]'",
        info.command,
        "```",
        "",
        f"- date: {info.date}",
        f"- machine: {info.machine}",
        "- versions: " + ", ".join(f"{name} {version}" for name, version in info.versions.items()),
        f"- {info.queries_per_category} queries per category (seed {info.seed}), generated by "
        "`autocomplete.tools.evaluation.queries`; each system is asked for 10 suggestions per "
        "query.",
        "- A hit is the target title's own id. *overall* pools the categories run on the bundled "
        "catalog"
        + (
            f"; `{diacritics}` runs on the fixture catalog and is left out of it."
            if diacritics
            else "."
        ),
    ]
    lines.extend(f"- {note}" for note in info.notes)
    lines += ["", "## Overall", ""]
    lines += [
        "| system | success@1 | success@5 | MRR@10 | MRR@10 (title-text rule) "
        "| p50 ms | p99 ms | mean ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for system, by_category in table.items():
        summary = by_category[OVERALL]
        lines.append(
            f"| {system} | {_fmt(summary.success_at_1)} | {_fmt(summary.success_at_5)} | "
            f"{_fmt(summary.mrr_at_10)} | {_fmt(summary.text_mrr_at_10)} | "
            f"{_ms(summary.p50_ms)} | {_ms(summary.p99_ms)} | {_ms(summary.mean_ms)} |"
        )
    found = targets(table)
    if found:
        lines += ["", "## Targets", "", "| target | value | met |", "| --- | --- | --- |"]
        lines += [
            f"| {t.description} | {t.value} | {'yes' if t.met else '**no**'} |" for t in found
        ]
    sections = (
        ("MRR@10 by category", "mrr_at_10", False),
        ("success@5 by category", "success_at_5", False),
        ("success@1 by category", "success_at_1", False),
        ("Latency p50 by category (ms)", "p50_ms", True),
        ("Latency p99 by category (ms)", "p99_ms", True),
    )
    if ceiling:
        lines += ["", "## Typo categories against their clean ceiling", ""]
        lines += [
            "success@5 on the noisy queries, next to success@5 on the very same prefixes typed "
            "without the error: no corrector can find a title its clean prefix does not reach "
            "(a short prefix of a little-known title), so the clean figure bounds the noisy one.",
            "",
            "| category | ours | ours, typed clean | exact-prefix, typed clean |",
            "| --- | ---: | ---: | ---: |",
        ]
        ours_table = table.get(OURS, {})
        for category in [c for c in categories if c in ceiling.get(OURS, {}) and c != OVERALL]:
            noisy = ours_table.get(category)
            cells = [_fmt(noisy.success_at_5) if noisy else "–"]
            for system in (OURS, "exact-prefix"):
                typed_clean = ceiling.get(system, {}).get(category)
                cells.append(_fmt(typed_clean.success_at_5) if typed_clean else "–")
            lines.append(f"| {category} | " + " | ".join(cells) + " |")
    for title, metric, latency in sections:
        lines += ["", f"## {title}", ""]
        if metric == "mrr_at_10" and chart:
            lines += [f"![MRR@10 per category per system]({chart})", ""]
        lines += _matrix(table, categories, metric, latency=latency)
    lines.append("")
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


MISSES_SHOWN = 12
"""Sample misses listed per category."""


def misses(
    queries: Sequence[EvalQuery],
    answers: Answers | None,
    titles: Mapping[str, str],
    *,
    categories: Sequence[str],
    limit: int = MISSES_SHOWN,
) -> str:
    """A markdown section of queries whose target ours did not place in its top five."""
    if answers is None:
        return ""
    lines = [
        "",
        "## Where ours misses",
        "",
        "Queries of the noisy categories whose target is not among our first five suggestions "
        f"(the first {limit} of each, in generation order), with what we suggested instead.",
    ]
    for category in categories:
        rows = [
            (query, found)
            for query, found in zip(queries, answers.ids, strict=False)
            if query.category == category and query.target_id not in found[:5]
        ]
        if not rows:
            continue
        empty = sum(not found for _, found in rows)
        lines += [
            "",
            f"### {category}: {len(rows)} misses, {empty} with no suggestion at all",
            "",
            "| query | meant | target | ours (top 3) |",
            "| --- | --- | --- | --- |",
        ]
        for query, found in rows[:limit]:
            shown = "; ".join(titles.get(item, item) for item in found[:3]) or "(nothing)"
            cells = (
                f"`{query.text}`",
                f"`{query.intended}` ({query.note})",
                _cell(query.target_title),
                _cell(shown),
            )
            lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    return "\n".join(lines)


def bar_chart(table: Table, path: Path, *, title: str = "MRR@10 by query category") -> Path:
    """Draw MRR@10 per category (groups) per system (bars) to a PNG at ``path``."""
    try:
        matplotlib = importlib.import_module("matplotlib")
    except ImportError:
        raise RuntimeError("drawing the chart needs matplotlib: pip install -e '.[eval]'") from None
    matplotlib.use("Agg")
    pyplot = importlib.import_module("matplotlib.pyplot")
    categories = categories_of(table)
    systems = list(table)
    width = 0.8 / max(len(systems), 1)
    figure, axes = pyplot.subplots(figsize=(max(8.0, 1.25 * len(categories)), 4.8), dpi=120)
    for number, system in enumerate(systems):
        values = [
            table[system][category].mrr_at_10 if category in table[system] else 0.0
            for category in categories
        ]
        offsets = [
            index + (number - (len(systems) - 1) / 2) * width for index in range(len(categories))
        ]
        axes.bar(offsets, values, width, label=system)
    axes.set_xticks(range(len(categories)))
    axes.set_xticklabels(
        [
            category.replace("_", " ") + ("\n(fixture catalog)" if category == DIACRITICS else "")
            for category in categories
        ]
    )
    axes.set_ylim(0, 1.0)
    axes.set_ylabel("MRR@10")
    axes.set_title(title)
    axes.grid(axis="y", alpha=0.3)
    axes.set_axisbelow(True)
    axes.legend(
        ncols=min(len(systems), 5), loc="upper center", bbox_to_anchor=(0.5, -0.14), frameon=False
    )
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    pyplot.close(figure)
    return path
