from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from autocomplete.catalog.columns import MetadataColumns
from autocomplete.index.bundled import bundled_index
from autocomplete.index.catalog_index import CatalogIndex
from autocomplete.tools.context_eval import (
    Session,
    add_command,
    engine_suggest,
    evaluate_sessions,
    main_title,
    make_sessions,
    records_of,
    reference_suggest,
)


@pytest.fixture(scope="module")
def movies() -> tuple[CatalogIndex, MetadataColumns]:
    index = bundled_index()
    return index, MetadataColumns.build(records_of(index))


@pytest.mark.parametrize(
    ("display", "main"),
    [
        ("The Lord of the Rings: The Two Towers", "lord of the rings"),
        ("Star Wars: Episode V - The Empire Strikes Back", "star wars"),
        ("Toy Story 2", "toy story"),
        ("Rocky IV", "rocky"),
        ("The Godfather: Part II", "godfather"),
        ("Alien", "alien"),
        ("2", "2"),
    ],
)
def test_main_title(display: str, main: str) -> None:
    assert main_title(display) == main


def test_sessions_are_seeded_and_of_every_kind(
    movies: tuple[CatalogIndex, MetadataColumns],
) -> None:
    index, columns = movies
    sessions = make_sessions(index, columns, per_kind=30, seed=3)
    assert sessions == make_sessions(index, columns, per_kind=30, seed=3)
    assert sessions != make_sessions(index, columns, per_kind=30, seed=4)
    kinds = [session.kind for session in sessions]
    assert {kind: kinds.count(kind) for kind in set(kinds)} == {
        "series": 30,
        "genre": 30,
        "unrelated": 30,
    }
    text = {index.describe(t).id: index.describe(t).text for t in range(index.title_count)}
    genres = {
        index.describe(t).id: set(index.describe(t).metadata.get("genres", []))  # type: ignore[call-overload]
        for t in range(index.title_count)
    }
    for session in sessions:
        first, second = text[session.first_id], text[session.target_id]
        assert first != second
        # 2-8 characters, fewer only when the word typed from is shorter ("1" in "Vol. 1").
        assert 1 <= len(session.query) <= 8
        if session.kind == "series":
            assert main_title(first) == main_title(second)
        else:
            assert main_title(first) != main_title(second)
        if session.kind == "genre":
            assert genres[session.first_id] == genres[session.target_id]


def test_mrr_is_computed_per_kind_side_by_side() -> None:
    sessions = [
        Session("series", "a", "al", "b", "b"),
        Session("series", "a", "al", "c", "c"),
        Session("unrelated", "a", "al", "d", "d"),
    ]

    def suggest(query: str, k: int, context: Mapping[str, Sequence[str]] | None) -> list[str]:
        # Without context the target is second (or missing for "c"); with a click, first.
        if context is not None and "clicked" in context:
            return [query, "x"]
        return ["x", query] if query != "c" else ["x"]

    results = {row.kind: row for row in evaluate_sessions(sessions, suggest)}
    series = results["series"]
    assert series.sessions == 2
    assert series.mrr_without == pytest.approx(0.25)  # (1/2 + 0) / 2
    assert series.mrr_query_only == pytest.approx(0.25)
    assert series.mrr_with == pytest.approx(1.0)
    assert series.gain == pytest.approx(0.75)
    assert series.top1_without == 0.0 and series.top1_with == 1.0
    assert results["unrelated"].mrr_without == pytest.approx(0.5)
    assert results["related (series + genre)"].sessions == 2


def test_context_helps_series_and_costs_unrelated_nothing(
    movies: tuple[CatalogIndex, MetadataColumns],
) -> None:
    index, columns = movies
    sessions = make_sessions(index, columns, per_kind=80, seed=11)
    results = {
        row.kind: row for row in evaluate_sessions(sessions, reference_suggest(index, columns))
    }
    assert results["series"].gain > 0.08
    assert results["series"].mrr_query_only > results["series"].mrr_without
    # The genre nudge follows the genre set, so same-genre sessions gain clearly...
    assert results["genre"].gain > 0.1
    # ...and sessions that context says nothing about lose nothing.
    assert abs(results["unrelated"].gain) <= 0.02


def test_engine_suggest_needs_a_context_parameter() -> None:
    class Plain:
        def suggest(self, query: str, k: int = 10) -> list[object]:
            return []

    class Found:
        def __init__(self, identifier: str) -> None:
            self.id = identifier

    class WithContext:
        def suggest(self, query: str, k: int = 10, *, context: object = None) -> list[Found]:
            return [Found(f"{query}:{k}:{context is not None}")]

    assert engine_suggest(Plain()) is None
    wrapped = engine_suggest(WithContext())
    assert wrapped is not None
    assert wrapped("ab", 5, {"queries": ["x"]}) == ["ab:5:True"]


def test_command_writes_the_report(tmp_path: Path) -> None:
    parser = argparse.ArgumentParser(prog="autocomplete")
    add_command(parser.add_subparsers(dest="command", required=True))
    output = tmp_path / "context" / "results.md"
    args = parser.parse_args(
        ["context-eval", "--sessions", "15", "--seed", "2", "--reference", "--output", str(output)]
    )
    assert args.run(args) == 0
    report = output.read_text(encoding="utf-8")
    assert "| series | 15 |" in report
    assert "| unrelated | 15 |" in report
    assert "reference ranker" in report
