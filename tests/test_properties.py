"""Property-based tests: for any catalog the loader accepts and any valid ``where``, ``boost``
and ``context``, ``suggest`` answers (never raises) with well-formed suggestions.

The catalogs are drawn to hold what broke before or could: titles of punctuation alone ("$"
named no series and made session context index an empty word list), one character, very long
titles, and non-Latin scripts.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autocomplete import Autocomplete, CatalogError, load_catalog
from autocomplete.index.build import build_index
from autocomplete.spell.errormodel import ErrorModel
from autocomplete.web import create_app

GENRES = ("Drama", "Comedy", "Animation", "Documentary")
PUNCTUATION = "!$%&*()-.,:;'\"?/#@+=~"
SCRIPTS = "абвгдежзийклмнопрстуфхцчшщыэюя日本語映画東京物語العربيةελληνικάéàüßøç"

punctuation_titles = st.text(alphabet=PUNCTUATION, min_size=1, max_size=6)
one_character_titles = st.characters(blacklist_categories=("Cs", "Cc"))
long_titles = st.text(alphabet="abcdefghij :-'", min_size=150, max_size=600)
non_latin_titles = st.text(alphabet=SCRIPTS + " ", min_size=1, max_size=40)
word_titles = st.lists(
    st.sampled_from(["the", "big", "star", "wars", "love", "2", "ii", "of", "rings", "$"]),
    min_size=1,
    max_size=6,
).map(" ".join)
titles = st.one_of(
    punctuation_titles, one_character_titles, long_titles, non_latin_titles, word_titles
)

records = st.lists(
    st.fixed_dictionaries(
        {
            "title": titles,
            "votes": st.integers(min_value=0, max_value=10**6),
            "year": st.integers(min_value=1890, max_value=2030),
            "genres": st.lists(st.sampled_from(GENRES), max_size=3, unique=True),
        }
    ),
    min_size=1,
    max_size=12,
).map(lambda rows: [{**row, "id": f"t{number}"} for number, row in enumerate(rows)])

queries = st.one_of(
    st.text(max_size=30),
    st.text(alphabet=PUNCTUATION + " ", max_size=10),
    st.text(alphabet=SCRIPTS + " ", max_size=20),
    st.sampled_from(["the", "$", "star w", "the big ", "  ", "ii", "t"]),
)


def _wheres(genres: list[str]) -> st.SearchStrategy[dict[str, Any] | None]:
    """Valid filters: on genres some title has (an unknown value is a ValueError by design)."""
    years = st.tuples(st.integers(1880, 2040), st.integers(1880, 2040)).map(
        lambda bounds: {"year": (min(bounds), max(bounds))}
    )
    if not genres:
        return st.one_of(st.none(), years)
    return st.one_of(
        st.none(),
        years,
        st.fixed_dictionaries({"genres": st.sampled_from(genres)}),
        st.fixed_dictionaries(
            {"genres": st.lists(st.sampled_from(genres), min_size=1, max_size=3)}
        ),
    )


def _boosts(genres: list[str]) -> st.SearchStrategy[dict[str, Any] | None]:
    if not genres:
        return st.none()
    return st.one_of(
        st.none(),
        st.dictionaries(
            st.sampled_from(genres), st.floats(min_value=0.1, max_value=10.0), min_size=1
        ).map(lambda factors: {"genres": factors}),
    )


@pytest.fixture(scope="module")
def error_model() -> ErrorModel:
    return ErrorModel.load()


def _contexts(ids: list[str]) -> st.SearchStrategy[dict[str, Any] | None]:
    return st.one_of(
        st.none(),
        st.fixed_dictionaries(
            {
                "queries": st.lists(queries, max_size=3),
                "clicked": st.lists(st.sampled_from([*ids, "unknown-id"]), max_size=3),
            }
        ),
    )


def _check(found: list[Any], engine: Autocomplete, k: int) -> None:
    assert len(found) <= k
    assert len({suggestion.id for suggestion in found}) == len(found)
    for suggestion in found:
        for start, end in suggestion.spans:
            assert 0 <= start < end <= len(suggestion.text)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(catalog=records, data=st.data())
def test_no_exception_escapes_suggest_on_any_catalog(
    catalog: list[dict[str, Any]], data: st.DataObject, error_model: ErrorModel
) -> None:
    try:
        loaded, _ = load_catalog(catalog, weight_field="votes", id_field="id", on_error="skip")
        index = build_index(loaded)
    except CatalogError:
        return  # every record was refused (a blank title, say): said clearly, which is fine
    engine = Autocomplete(index, error_model=error_model)
    ids = [record.id for record in loaded]
    genres = sorted({genre for row in catalog if row["id"] in ids for genre in row["genres"]})
    for _ in range(4):
        k = data.draw(st.integers(min_value=1, max_value=12))
        found = engine.suggest(
            data.draw(queries),
            k,
            where=data.draw(_wheres(genres)),
            boost=data.draw(_boosts(genres)),
            context=data.draw(_contexts(ids)),
        )
        _check(found, engine, k)


@settings(max_examples=80, deadline=None)
@given(query=queries, data=st.data())
def test_no_exception_escapes_suggest_on_the_bundled_catalog(
    query: str, data: st.DataObject
) -> None:
    engine = Autocomplete.shared()
    # "m1" is the bundled title "$", which named no series and made the context fail.
    clicked = data.draw(st.lists(st.sampled_from(["m1", "m2", "m100", "m4000"]), max_size=3))
    found = engine.suggest(
        query,
        8,
        where=data.draw(_wheres(list(GENRES))),
        boost=data.draw(_boosts(list(GENRES))),
        context={"clicked": clicked},
    )
    _check(found, engine, 8)


def test_a_title_of_punctuation_alone_in_the_session_context() -> None:
    engine = Autocomplete.shared()
    assert engine.index.describe(engine.index.title_of("m1") or 0).text == "$"
    found = engine.suggest("the", 5, context={"clicked": ["m1"]})
    assert len(found) == 5


def test_the_api_answers_a_context_naming_a_punctuation_title() -> None:
    app = create_app({"TESTING": True, "ENGINE": Autocomplete.shared()})
    response = app.test_client().get(
        "/api/suggest", query_string={"q": "the", "context": '{"clicked":["m1"]}'}
    )
    assert response.status_code == 200, response.data
    assert len(response.get_json()["suggestions"]) > 0
