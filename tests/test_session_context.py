from __future__ import annotations

from types import MappingProxyType

import pytest

from autocomplete.catalog.columns import MetadataColumns
from autocomplete.catalog.loader import Record
from autocomplete.index.build import build_index
from autocomplete.index.bundled import bundled_index
from autocomplete.index.catalog_index import CatalogIndex
from autocomplete.rank.filters import FilterCache
from autocomplete.rank.session_context import (
    GENRE_NUDGE,
    MAX_CONTEXT_BOOST,
    MAX_SESSION_CLICKS,
    MAX_SESSION_QUERIES,
    RECENCY_DECAY,
    SessionContext,
    genre_nudge,
    related_titles,
)
from autocomplete.tools.context_eval import records_of, reference_suggest

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


# The genre nudge on a catalog of known genres -----------------------------------------------------

# Drama is common (not distinctive); Animation and Comedy are rare enough to say something.
GENRES: list[tuple[str, str, list[str]]] = [
    ("click", "Clockwork Critters", ["Animation", "Comedy"]),
    ("same", "Sprocket Sprites", ["Animation", "Comedy"]),
    ("same2", "Gizmo Gremlins", ["Animation", "Comedy"]),
    ("anim", "Painted Pond", ["Animation"]),
    ("anim_drama", "Inked Tears", ["Animation", "Drama"]),
    ("comedy_drama", "Laughing Through", ["Comedy", "Drama"]),
    ("series", "Clockwork Critters 2", ["Animation", "Comedy"]),
    ("drama", "Rain on Glass", ["Drama"]),
    ("untagged", "Nothing Known", []),
] + [(f"drama{n}", f"Drama Number {n}", ["Drama"]) for n in range(70)]


@pytest.fixture(scope="module")
def genre_catalog() -> tuple[CatalogIndex, MetadataColumns, FilterCache]:
    records = [
        Record(identifier, text, 10.0, MappingProxyType({"genres": genres}))
        for identifier, text, genres in GENRES
    ]
    index = build_index(records)
    columns = MetadataColumns.build(records)
    return index, columns, FilterCache(columns, index.arrays.title_prior)


def nudges(
    catalog: tuple[CatalogIndex, MetadataColumns, FilterCache], clicked: list[str]
) -> dict[str, float]:
    index, columns, filters = catalog
    nudge = genre_nudge(SessionContext.parse({"clicked": clicked}), index, columns, filters)
    assert nudge is not None
    return {index.describe(title).id: nudge.of(title) for title in range(index.title_count)}


def test_the_nudge_grows_with_genre_set_similarity(
    genre_catalog: tuple[CatalogIndex, MetadataColumns, FilterCache],
) -> None:
    lift = nudges(genre_catalog, ["click"])
    assert lift["same"] == pytest.approx(GENRE_NUDGE)
    assert lift["same2"] == lift["series"] == lift["same"]
    # Sharing one distinctive genre of two is weaker evidence than the same combination...
    assert 0 < lift["anim"] < lift["same"] / 2
    assert 0 < lift["comedy_drama"] < lift["same"] / 2
    # ...and an extra genre the click lacks makes a title less alike still.
    assert lift["anim_drama"] < lift["anim"]
    # A common genre alone relates nothing; nor does having no genres.
    assert lift["drama"] == lift["drama3"] == lift["untagged"] == 0.0
    # The clicked title itself is not lifted by its own genres.
    assert lift["click"] == 0.0


def test_the_nudge_explains_itself_and_joins_the_strongest_sets(
    genre_catalog: tuple[CatalogIndex, MetadataColumns, FilterCache],
) -> None:
    index, columns, filters = genre_catalog
    nudge = genre_nudge(SessionContext.parse({"clicked": ["click"]}), index, columns, filters)
    assert nudge is not None
    same, anim, click = (index.title_of(name) for name in ("same", "anim", "click"))
    assert same is not None and anim is not None and click is not None
    (reason,) = nudge.explain(same)
    assert reason.startswith('genres Animation, Comedy like "Clockwork Critters" x12.')
    assert nudge.explain(anim)[0].startswith('genres Animation like "Clockwork Critters"')
    assert nudge.explain(click) == ()
    assert nudge.max_log_factor == pytest.approx(GENRE_NUDGE)
    strong, sharing = (clause.filter for clause in nudge.clauses)
    assert {index.describe(t).id for t in range(index.title_count) if t in strong} == {
        "click",
        "same",
        "same2",
        "series",
    }
    assert sharing.count == 7  # every title with Animation or Comedy
    # Sessions clicking titles of the same genres share the compiled filters.
    again = genre_nudge(SessionContext.parse({"clicked": ["same2"]}), index, columns, filters)
    assert again is not None
    assert [c.filter for c in again.clauses] == [c.filter for c in nudge.clauses]


def test_the_nudge_needs_a_click_with_a_distinctive_genre(
    genre_catalog: tuple[CatalogIndex, MetadataColumns, FilterCache],
) -> None:
    index, columns, filters = genre_catalog
    for context in ({"clicked": ["drama"]}, {"clicked": ["untagged"]}, {"queries": ["clock"]}):
        assert genre_nudge(SessionContext.parse(context), index, columns, filters) is None
    clicked = SessionContext.parse({"clicked": ["click"]})
    assert genre_nudge(clicked, index, None, filters) is None
    assert genre_nudge(None, index, columns, filters) is None


def test_an_older_click_nudges_less(
    genre_catalog: tuple[CatalogIndex, MetadataColumns, FilterCache],
) -> None:
    older = nudges(genre_catalog, ["click", "drama"])
    assert older["same"] == pytest.approx(GENRE_NUDGE * RECENCY_DECAY)
    both = nudges(genre_catalog, ["anim", "click"])
    # Each set keeps its strongest click: the latest for the pair, the older one for "anim".
    assert both["same"] == pytest.approx(GENRE_NUDGE)
    assert both["anim_drama"] > nudges(genre_catalog, ["click"])["anim_drama"]


def test_relations_and_nudge_together_stay_within_the_cap(
    genre_catalog: tuple[CatalogIndex, MetadataColumns, FilterCache],
) -> None:
    index, columns, _ = genre_catalog
    lift = nudges(genre_catalog, ["click"])
    related = related_titles(SessionContext.parse({"clicked": ["click"]}), index, columns)
    totals = {
        index.describe(title).id: boost + lift[index.describe(title).id]
        for title, (boost, _) in related.items()
    }
    assert totals["series"] == pytest.approx(MAX_CONTEXT_BOOST)
    assert all(total <= MAX_CONTEXT_BOOST + 1e-9 for total in totals.values())
    # The sequel keeps an edge over titles that merely share the click's genres.
    assert totals["series"] > lift["same"]
    assert "click" not in related


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
    nudge = genre_nudge(context, index, columns, FilterCache(columns, index.arrays.title_prior))
    assert nudge is not None
    # What the engine adds up: the relation, and the genre nudge on top.
    total = {title: boost + nudge.of(title) for title, (boost, _) in found.items()}
    ranked = sorted(total, key=lambda title: -total[title])
    top_two = {index.describe(title).text for title in ranked[:2]}
    assert top_two == {
        "The Lord of the Rings: The Two Towers",
        "The Lord of the Rings: The Return of the King",
    }
    assert total[ranked[0]] <= MAX_CONTEXT_BOOST + 1e-9
    assert total[ranked[2]] < total[ranked[1]]


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
