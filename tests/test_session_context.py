from __future__ import annotations

import math
from types import MappingProxyType

import pytest

from autocomplete.bundled import bundled_index
from autocomplete.catalog import Record
from autocomplete.columns import MetadataColumns
from autocomplete.context_eval import records_of, reference_suggest
from autocomplete.index import CatalogIndex
from autocomplete.index_build import build_index
from autocomplete.session_context import (
    GENRE_NUDGE,
    MAX_CONTEXT_BOOST,
    MAX_SESSION_CLICKS,
    MAX_SESSION_QUERIES,
    RECENCY_DECAY,
    SessionContext,
    context_boost,
    related_titles,
)

# Parsing ----------------------------------------------------------------------------------------


def test_parse_normalizes_queries_and_keeps_clicks() -> None:
    context = SessionContext.parse({"queries": ["  Lord of the ", "", "Amélie"], "clicked": ["m1"]})
    assert context == SessionContext(("lord of the", "amelie"), ("m1",))


def test_parse_keeps_only_the_most_recent() -> None:
    queries = [f"query {n}" for n in range(MAX_SESSION_QUERIES + 3)]
    clicks = [f"id{n}" for n in range(MAX_SESSION_CLICKS + 2)]
    context = SessionContext.parse({"queries": queries, "clicked_ids": clicks})
    assert context is not None
    assert context.queries == tuple(queries[-MAX_SESSION_QUERIES:])
    assert context.clicked_ids == tuple(clicks[-MAX_SESSION_CLICKS:])


def test_parse_of_nothing_is_none() -> None:
    assert SessionContext.parse(None) is None
    assert SessionContext.parse({}) is None
    assert SessionContext.parse({"queries": ["   "], "clicked": []}) is None
    assert SessionContext.parse(SessionContext()) is None
    context = SessionContext(("star",), ())
    assert SessionContext.parse(context) is context


def test_equal_sessions_give_equal_hashable_contexts() -> None:
    first = SessionContext.parse({"queries": ["Star  Wars"], "clicked": ["m1"]})
    second = SessionContext.parse({"clicked": ("m1",), "queries": ("star wars",)})
    assert first == second
    assert hash(first) == hash(second)
    assert len({first, second}) == 1


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (["star"], r"context must be a mapping"),
        ({"query": ["star"]}, r"unknown context key 'query'; expected 'queries' and/or 'clicked'"),
        ({"queries": "star"}, r"context\['queries'\] must be a list of strings, got 'star'"),
        ({"clicked": [1]}, r"context\['clicked'\] must hold strings, got 1"),
        ({"clicked": ["  "]}, r"clicked ids must be non-blank catalog ids"),
        ({"clicked": ["x" * 300]}, r"clicked ids must be non-blank catalog ids"),
    ],
)
def test_parse_rejects_malformed_contexts(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SessionContext.parse(value)


def test_direct_construction_is_checked() -> None:
    with pytest.raises(ValueError, match="must be a tuple of strings"):
        SessionContext(["star"], ())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at most"):
        SessionContext((), tuple(str(n) for n in range(MAX_SESSION_CLICKS + 1)))


# Related titles on a small catalog --------------------------------------------------------------

SMALL: list[tuple[str, str, float, dict[str, object]]] = [
    ("saga1", "The Zorbian Saga: Dawn", 500, {"year": 2001, "genres": ["Action", "Drama"]}),
    ("saga2", "The Zorbian Saga: Dusk", 300, {"year": 2003, "genres": ["Action", "Drama"]}),
    ("saga3", "Zorbian Saga: Night", 100, {"year": 1975, "genres": ["Comedy"]}),
    ("word", "Return to Zorbia", 50, {"year": 2002, "genres": ["Action"]}),
    ("quill", "The Quillfeather Mystery", 80, {"year": 2002, "genres": ["Action"]}),
    ("quill2", "Quillfeather", 40, {"year": 1960, "genres": ["Drama"]}),
    ("other", "Dawn of the Living", 900, {"year": 2002, "genres": ["Action", "Drama"]}),
    ("cartoon", "Tiny Toons", 700, {"year": 2002, "genres": ["Animation"]}),
    ("cartoon2", "Bouncy Bunnies", 10, {"year": 1990, "genres": ["Animation"]}),
] + [
    (f"filler{n}", f"Filler Film Number {n}", 1.0, {"year": 1950 + n, "genres": ["Drama"]})
    for n in range(40)
]


@pytest.fixture(scope="module")
def small() -> tuple[CatalogIndex, MetadataColumns]:
    records = [
        Record(identifier, text, votes, MappingProxyType(metadata))
        for identifier, text, votes, metadata in SMALL
    ]
    return build_index(records), MetadataColumns.build(records)


def related(
    small: tuple[CatalogIndex, MetadataColumns], context: dict[str, list[str]]
) -> dict[str, tuple[float, str]]:
    index, columns = small
    found = related_titles(SessionContext.parse(context), index, columns)
    return {index.describe(title).id: value for title, value in found.items()}


def test_a_click_lifts_its_series(small: tuple[CatalogIndex, MetadataColumns]) -> None:
    found = related(small, {"clicked": ["saga1"]})
    assert "saga1" not in found  # the clicked title itself is the feedback layer's business
    reason = found["saga2"][1]
    assert reason == 'same series as "The Zorbian Saga: Dawn" (clicked)'
    assert found["saga3"][1].startswith("same series as")
    # Same genres and a nearby year make the closer sibling the likelier one.
    assert found["saga2"][0] > found["saga3"][0]
    # "Dawn of the Living" shares only the rare word "dawn": related, but less.
    assert found["other"][1] == "shares 'dawn' with \"The Zorbian Saga: Dawn\" (clicked)"
    assert found["other"][0] < found["saga3"][0]
    assert "cartoon" not in found and "filler1" not in found


def test_boosts_are_bounded(small: tuple[CatalogIndex, MetadataColumns]) -> None:
    found = related(small, {"clicked": ["saga1", "saga2"], "queries": ["zorbian"]})
    assert found
    assert all(0 < boost <= MAX_CONTEXT_BOOST for boost, _ in found.values())


def test_a_shared_rare_word_is_a_weaker_relation(
    small: tuple[CatalogIndex, MetadataColumns],
) -> None:
    found = related(small, {"clicked": ["quill"]})
    boost, reason = found["quill2"]
    assert reason == "shares 'quillfeather' with \"The Quillfeather Mystery\" (clicked)"
    assert 0 < boost <= 1.0 + 0.3 + 0.2
    assert "cartoon" not in found and "saga1" not in found


def test_a_query_without_click_is_weaker_evidence(
    small: tuple[CatalogIndex, MetadataColumns],
) -> None:
    clicked = related(small, {"clicked": ["saga1"]})
    searched = related(small, {"queries": ["the zorbian saga d"]})
    assert 0 < searched["saga3"][0] < clicked["saga3"][0]
    assert "searched 'the zorbian saga d'" in searched["saga3"][1]


def test_older_clicks_count_less(small: tuple[CatalogIndex, MetadataColumns]) -> None:
    recent = related(small, {"clicked": ["cartoon", "saga1"]})
    older = related(small, {"clicked": ["saga1", "cartoon"]})
    assert older["saga3"][0] == pytest.approx(recent["saga3"][0] * RECENCY_DECAY)


def test_unknown_ids_and_empty_contexts_relate_nothing(
    small: tuple[CatalogIndex, MetadataColumns],
) -> None:
    index, columns = small
    assert related(small, {"clicked": ["no-such-id"]}) == {}
    assert related_titles(None, index, columns) == {}
    assert related_titles(SessionContext(), index, columns) == {}


def test_without_columns_only_text_relates(small: tuple[CatalogIndex, MetadataColumns]) -> None:
    index, columns = small
    context = SessionContext.parse({"clicked": ["saga1"]})
    with_columns = related_titles(context, index, columns)
    text_only = related_titles(context, index, None)
    assert set(text_only) == set(with_columns)
    saga2 = index.title_of("saga2")
    assert saga2 is not None
    assert text_only[saga2][0] < with_columns[saga2][0]


def test_context_boost_nudges_distinctive_genres_only(
    small: tuple[CatalogIndex, MetadataColumns],
) -> None:
    index, columns = small
    cartoon = SessionContext.parse({"clicked": ["cartoon"]})
    assert context_boost(cartoon, index, columns) == {
        "genres": {"Animation": round(math.exp(GENRE_NUDGE), 4)}
    }
    # Drama is held by most of this catalog: it says nothing about the next search.
    filler = SessionContext.parse({"clicked": ["filler3"]})
    assert context_boost(filler, index, columns) is None
    assert context_boost(SessionContext.parse({"queries": ["tiny"]}), index, columns) is None
    assert context_boost(cartoon, index, None) is None
    older = SessionContext.parse({"clicked": ["cartoon", "filler3"]})
    factor = context_boost(older, index, columns)
    assert factor == {"genres": {"Animation": round(math.exp(GENRE_NUDGE * RECENCY_DECAY), 4)}}


# The bundled catalog ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def movies() -> tuple[CatalogIndex, MetadataColumns]:
    index = bundled_index()
    return index, MetadataColumns.build(records_of(index))


def fellowship_id(index: CatalogIndex) -> str:
    entries = index.top_entries("lord of the rings the fellowship ", 1)
    return index.describe(index.hot.entry_title[entries[0]]).id


def test_after_the_fellowship_the_sequels_are_lifted_most(
    movies: tuple[CatalogIndex, MetadataColumns],
) -> None:
    index, columns = movies
    context = SessionContext.parse({"clicked": [fellowship_id(index)]})
    found = related_titles(context, index, columns)
    ranked = sorted(found, key=lambda title: -found[title][0])
    top_two = {index.describe(title).text for title in ranked[:2]}
    assert top_two == {
        "The Lord of the Rings: The Two Towers",
        "The Lord of the Rings: The Return of the King",
    }
    assert found[ranked[0]][0] <= MAX_CONTEXT_BOOST
    assert found[ranked[2]][0] < found[ranked[1]][0]


def test_after_the_fellowship_the_t_means_the_two_towers(
    movies: tuple[CatalogIndex, MetadataColumns],
) -> None:
    index, columns = movies
    suggest = reference_suggest(index, columns)
    texts = {index.describe(t).id: index.describe(t).text for t in range(index.title_count)}
    without = [texts[found] for found in suggest("the t", 10, None)]
    assert without[0] != "The Lord of the Rings: The Two Towers"
    context = {"clicked": [fellowship_id(index)]}
    with_context = [texts[found] for found in suggest("the t", 10, context)]
    assert with_context[0] == "The Lord of the Rings: The Two Towers"
    # Context reorders close candidates; it does not empty the list.
    assert len(with_context) == 10


def test_a_long_session_stays_cheap_enough(movies: tuple[CatalogIndex, MetadataColumns]) -> None:
    index, columns = movies
    clicks = [index.describe(int(t)).id for t in index.arrays.top_titles[:MAX_SESSION_CLICKS]]
    context = SessionContext.parse(
        {"clicked": clicks, "queries": ["star wars", "matrix", "godf", "toy", "alien"]}
    )
    found = related_titles(context, index, columns)
    # Seeds are capped, so the related set stays small whatever the session's length.
    assert 0 < len(found) < 1000
