"""The web app through Flask's test client: every endpoint, and every kind of bad input.

Bad input must get a 4xx with a message that names the problem, never a 500.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from autocomplete import Autocomplete, IndexFormatError, Suggestion
from autocomplete.serve import add_command, app_config
from autocomplete.web import CONTENT_SECURITY_POLICY, create_app
from autocomplete.web.config import config_from_env
from autocomplete.web.pages import highlight_segments
from autocomplete.web.service import prepare_index

REPO = Path(__file__).resolve().parents[1]
XSS_CATALOG = Path(__file__).parent / "web_fixtures" / "xss_catalog.jsonl"
XSS_FIELDS: dict[str, Any] = {"weight_field": "votes", "id_field": "id"}
SESSION = "test-session-0001"


MakeApp = Callable[[dict[str, Any]], Flask]


@pytest.fixture
def make_app() -> Iterator[MakeApp]:
    """``create_app`` for a test; the engines it opened (and their click stores) are closed."""
    opened: list[Autocomplete] = []

    def make(config: dict[str, Any]) -> Flask:
        app = create_app({"TESTING": True, **config})
        if "ENGINE" not in config:
            opened.append(app.extensions["autocomplete"])
        return app

    yield make
    for engine in opened:
        engine.close()


@pytest.fixture
def app(make_app: MakeApp) -> Flask:
    """The bundled catalog with a fresh in-memory click store."""
    return make_app({"FEEDBACK": "memory://"})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(scope="module")
def xss_client() -> Iterator[FlaskClient]:
    app = create_app({"TESTING": True, "CATALOG": str(XSS_CATALOG), "CATALOG_FIELDS": XSS_FIELDS})
    yield app.test_client()
    app.extensions["autocomplete"].close()


def _error(response: Any, status: int) -> dict[str, Any]:
    """The error body of ``response``, after checking its status and shape."""
    assert response.status_code == status, response.data
    assert response.mimetype == "application/json"
    error: dict[str, Any] = response.get_json()["error"]
    assert error["status"] == status
    assert isinstance(error["message"], str) and error["message"]
    return error


# GET /api/suggest -----------------------------------------------------------------------------


def test_suggest_returns_ranked_suggestions_with_highlights(client: FlaskClient) -> None:
    response = client.get("/api/suggest", query_string={"q": "the big leb", "k": 3})
    assert response.status_code == 200
    body = response.get_json()
    assert body["query"] == "the big leb" and body["k"] == 3
    assert body["corrected"] is False and body["did_you_mean"] is None
    top = body["suggestions"][0]
    assert top["text"] == "The Big Lebowski"
    assert top["year"] == 1998
    assert top["text"][slice(*top["spans"][0])] == "The Big Leb"
    assert set(top) >= {"id", "label", "remake", "match", "corrected", "score", "metadata"}


def test_suggest_reports_a_corrected_query(client: FlaskClient) -> None:
    body = client.get("/api/suggest?q=teh+big+leb").get_json()
    assert body["suggestions"][0]["text"] == "The Big Lebowski"
    assert body["corrected"] is True
    assert body["did_you_mean"].startswith("the big leb")
    assert body["suggestions"][0]["corrected"] is True


def test_suggest_marks_remakes_with_their_year(xss_client: FlaskClient) -> None:
    body = xss_client.get("/api/suggest?q=scarf").get_json()
    labels = [(item["label"], item["year"], item["remake"]) for item in body["suggestions"]]
    assert labels == [("Scarface (1983)", 1983, True), ("Scarface (1932)", 1932, True)]


def test_suggest_defaults_k_and_honours_it(client: FlaskClient) -> None:
    assert len(client.get("/api/suggest?q=the").get_json()["suggestions"]) == 10
    assert len(client.get("/api/suggest?q=the&k=100").get_json()["suggestions"]) == 100
    assert len(client.get("/api/suggest?q=the&k=1").get_json()["suggestions"]) == 1


@pytest.mark.parametrize(
    ("query_string", "field"),
    [
        ("", "q"),
        ("k=5", "q"),
        ("Q=the", "q"),
        ("q=the&k=0", "k"),
        ("q=the&k=101", "k"),
        ("q=the&k=-1", "k"),
        ("q=the&k=abc", "k"),
        ("q=the&k=", "k"),
        ("q=the&k=1.5", "k"),
        ("q=the&k=+5", "k"),
        ("q=the&k=%205", "k"),
        ("q=the&k=1_0", "k"),
        ("q=the&k=%D9%A3", "k"),  # an Arabic-Indic digit three, which int() would accept
        ("q=the&k=99999999999999999999999", "k"),
        ("q=" + "a" * 201, "q"),
        ("q=" + "%F0%9F%8E%AC" * 201, "q"),  # 201 emoji: the cap counts characters
    ],
)
def test_suggest_rejects_bad_parameters(client: FlaskClient, query_string: str, field: str) -> None:
    error = _error(client.get("/api/suggest?" + query_string), 400)
    assert error["field"] == field


@pytest.mark.parametrize(
    "query_string",
    [
        "q=",
        "q=%20%20%20",
        "q=" + "a" * 200,
        "q=%00%01%02",
        "q=%FF%FE%FD",  # not UTF-8: decoded with replacement characters
        "q=%ED%A0%80",  # a lone surrogate's bytes
        "q=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "q=%E2%80%AE%E2%80%8Bthe",  # bidi override, zero-width space
        "q=%F0%9F%8E%AC%F0%9F%8D%BF",
        "q=the&q=big",
        "q=the&k=5&k=500",  # the first value counts
        "q=the&unknown=1",
    ],
)
def test_suggest_answers_odd_but_valid_input(client: FlaskClient, query_string: str) -> None:
    response = client.get("/api/suggest?" + query_string)
    assert response.status_code == 200
    assert isinstance(response.get_json()["suggestions"], list)


def test_an_empty_query_lists_popular_titles(client: FlaskClient) -> None:
    body = client.get("/api/suggest?q=&k=3").get_json()
    assert len(body["suggestions"]) == 3


def test_suggest_only_answers_get(client: FlaskClient) -> None:
    _error(client.post("/api/suggest?q=the"), 405)


def test_api_responses_are_not_cached(client: FlaskClient) -> None:
    assert client.get("/api/suggest?q=the").headers["Cache-Control"] == "no-store"


def test_correct_false_takes_the_query_as_typed(client: FlaskClient) -> None:
    read = _suggest(client, q="teh", k=8)
    assert read["correct"] is True and read["corrected"] is True
    assert read["did_you_mean"] == "the"
    typed = _suggest(client, q="teh", k=8, correct="false")
    assert typed["correct"] is False
    assert typed["corrected"] is False and typed["did_you_mean"] is None
    # Literally, "teh" reaches titles by their initials (The Electric Horseman) or their
    # first letters (Tehzeeb), not "the".
    assert typed["suggestions"][0]["text"] == "The Electric Horseman"
    assert {item["match"] for item in typed["suggestions"]} == {"initials", "title"}
    assert all(item["corrected_query"] is None for item in typed["suggestions"])
    assert _suggest(client, q="sta wars", correct="false")["suggestions"] == []
    same = _suggest(client, q="godfather", k=5, correct="false")["suggestions"]
    assert same == _suggest(client, q="godfather", k=5, correct="true")["suggestions"]


@pytest.mark.parametrize("value", ["", "no", "False", "0", "off", "true "])
def test_correct_is_true_or_false(client: FlaskClient, value: str) -> None:
    error = _error(client.get("/api/suggest", query_string={"q": "teh", "correct": value}), 400)
    assert error["field"] == "correct" and "'true' or 'false'" in error["message"]


# GET /api/suggest: filters and session context ----------------------------------------------

FELLOWSHIP, TWO_TOWERS = "m30658", "m30660"


def _suggest(client: FlaskClient, **params: Any) -> dict[str, Any]:
    response = client.get("/api/suggest", query_string=params)
    assert response.status_code == 200, response.data
    body: dict[str, Any] = response.get_json()
    return body


def _context(**lists: list[str]) -> str:
    return json.dumps(lists, separators=(",", ":"))


def test_a_genre_keeps_only_titles_of_that_genre(client: FlaskClient) -> None:
    body = _suggest(client, q="the", k=20, genre="Animation")
    assert body["filter"] == {"genre": ["Animation"], "decade": None}
    assert len(body["suggestions"]) == 20  # filtered inside retrieval: k come back
    assert all("Animation" in item["metadata"]["genres"] for item in body["suggestions"])
    unfiltered = _suggest(client, q="the", k=20)["suggestions"]
    assert not all("Animation" in item["metadata"]["genres"] for item in unfiltered)


def test_a_repeated_genre_means_any_of(client: FlaskClient) -> None:
    body = _suggest(client, q="the", k=30, genre=["Documentary", "Animation"])
    assert body["filter"]["genre"] == ["Documentary", "Animation"]
    genres = [set(item["metadata"]["genres"]) for item in body["suggestions"]]
    assert all(found & {"Documentary", "Animation"} for found in genres)
    assert any("Documentary" in found for found in genres)
    assert any("Animation" in found for found in genres)


def test_a_decade_is_a_range_of_years(client: FlaskClient) -> None:
    body = _suggest(client, q="star", k=20, decade="1980")
    assert body["filter"] == {"genre": [], "decade": 1980}
    assert body["suggestions"]
    assert all(1980 <= item["year"] <= 1989 for item in body["suggestions"])


def test_genre_and_decade_together(client: FlaskClient) -> None:
    body = _suggest(client, q="", k=5, genre="Animation", decade="1990")
    assert [item["text"] for item in body["suggestions"]][:1] == ["Toy Story"]
    for item in body["suggestions"]:
        assert "Animation" in item["metadata"]["genres"] and 1990 <= item["year"] <= 1999


def test_a_decade_without_titles_gives_an_empty_list(client: FlaskClient) -> None:
    assert _suggest(client, q="the", decade="2090")["suggestions"] == []


def test_the_session_context_lifts_the_next_film_of_a_series(client: FlaskClient) -> None:
    plain = _suggest(client, q="the t", k=5)["suggestions"]
    assert plain[0]["id"] != TWO_TOWERS
    assert all(item["context"] == 0 and item["explanation"] == [] for item in plain)

    context = _context(queries=["lord of the"], clicked=[FELLOWSHIP])
    lifted = _suggest(client, q="the t", k=5, context=context)["suggestions"]
    top = lifted[0]
    assert (top["id"], top["text"]) == (TWO_TOWERS, "The Lord of the Rings: The Two Towers")
    assert top["context"] > 1
    assert any("same series as" in reason for reason in top["explanation"])
    assert all(isinstance(reason, str) for item in lifted for reason in item["explanation"])


def test_previous_queries_alone_are_context_too(client: FlaskClient) -> None:
    context = _context(queries=["lord of the rings"])
    ids = [item["id"] for item in _suggest(client, q="the t", k=5, context=context)["suggestions"]]
    assert TWO_TOWERS in ids


@pytest.mark.parametrize(
    "context",
    [
        "",
        "{}",
        _context(queries=[], clicked=[]),
        _context(queries=["", "   "]),  # blank queries are dropped
        _context(clicked=["no-such-id"]),  # ids not in the catalog are ignored
        _context(clicked=[FELLOWSHIP] * 5, queries=["a" * 200] * 5),
        _context(queries=["<script>", "😀", "\u202e"]),
    ],
)
def test_odd_but_valid_context(client: FlaskClient, context: str) -> None:
    assert isinstance(_suggest(client, q="the", context=context)["suggestions"], list)


@pytest.mark.parametrize(
    ("query_string", "field", "says"),
    [
        ({"genre": "Anime"}, "genre", "no title has 'Anime'"),
        ({"genre": "animation"}, "genre", "did you mean 'Animation'?"),
        ({"genre": ["Animation", "Anime"]}, "genre", "no title has 'Anime'"),
        ({"genre": ""}, "genre", "must not be blank"),
        ({"genre": "   "}, "genre", "must not be blank"),
        ({"genre": "x" * 101}, "genre", "longer than 100"),
        ({"genre": ["Drama"] * 33}, "genre", "at most 32"),
        ({"decade": "1995"}, "decade", "first year of a decade"),
        ({"decade": "199"}, "decade", "first year of a decade"),
        ({"decade": "19900"}, "decade", "first year of a decade"),
        ({"decade": "-1990"}, "decade", "first year of a decade"),
        ({"decade": "1990s"}, "decade", "first year of a decade"),
        ({"decade": ""}, "decade", "first year of a decade"),
        ({"decade": "١٩٩٠"}, "decade", "first year of a decade"),  # Arabic-Indic digits
        ({"decade": ["1990", "2000"]}, "decade", "at most one"),
        ({"context": "{"}, "context", "not valid JSON"),
        ({"context": "lord of the"}, "context", "not valid JSON"),
        ({"context": '{"queries": NaN}'}, "context", "not valid JSON"),
        ({"context": "[" * 2000 + "]" * 2000}, "context", "not valid JSON"),  # too deep
        ({"context": "[]"}, "context", "JSON object"),
        ({"context": "null"}, "context", "JSON object"),
        ({"context": '"queries"'}, "context", "JSON object"),
        ({"context": _context(prev=["x"])}, "context", "unknown key 'prev'"),
        ({"context": '{"queries": "lord"}'}, "context", "list of at most 5"),
        ({"context": '{"clicked": {"id": "m1"}}'}, "context", "list of at most 5"),
        ({"context": _context(queries=["a", "b", "c", "d", "e", "f"])}, "context", "at most 5"),
        ({"context": _context(clicked=[f"m{n}" for n in range(6)])}, "context", "at most 5"),
        ({"context": '{"queries": [1]}'}, "context", "must hold strings"),
        ({"context": '{"clicked": [null]}'}, "context", "must hold strings"),
        ({"context": '{"clicked": [["m1"]]}'}, "context", "must hold strings"),
        ({"context": _context(queries=["a" * 201])}, "context", "longer than 200"),
        ({"context": _context(clicked=["m" * 201])}, "context", "longer than 200"),
        ({"context": _context(clicked=[""])}, "context", "non-blank"),
        ({"context": _context(clicked=["  "])}, "context", "non-blank"),
        ({"context": " " * 4065}, "context", "longer than 4,064 characters"),
    ],
)
def test_suggest_rejects_bad_filters_and_context(
    client: FlaskClient, query_string: dict[str, Any], field: str, says: str
) -> None:
    error = _error(client.get("/api/suggest", query_string={"q": "the", **query_string}), 400)
    assert error["field"] == field
    assert says in error["message"]


def test_the_longest_valid_context_is_accepted(client: FlaskClient) -> None:
    # Every character of every query and id escaped: the limit still lets it through.
    context = _context(queries=['"' * 200] * 5, clicked=["\\" * 200] * 5)
    assert len(context) <= 4064
    assert isinstance(_suggest(client, q="the", context=context)["suggestions"], list)


def test_filters_on_a_catalog_without_those_fields(make_app: MakeApp) -> None:
    client = make_app({"FEEDBACK": None, "GENRE_FIELD": "tags", "YEAR_FIELD": "released"})
    error = _error(client.test_client().get("/api/suggest?q=the&genre=Drama"), 400)
    assert error["field"] == "genre" and "unknown field 'tags'" in error["message"]
    error = _error(client.test_client().get("/api/suggest?q=the&decade=1990"), 400)
    assert error["field"] == "decade" and "unknown field 'released'" in error["message"]
    assert client.test_client().get("/api/facets").get_json() == {"genres": [], "decades": []}
    page = client.test_client().get("/").get_data(as_text=True)
    assert "data-filters" not in page and 'role="toolbar"' not in page


# GET /api/trending ----------------------------------------------------------------------------


def _chosen_by(client: FlaskClient, query: str, title: str, people: int) -> None:
    """``people`` visitors, each with its own session on its own network, are shown ``title``
    first for ``query`` and choose it."""
    for person in range(people):
        session = f"trend-{len(query)}-{person:04d}"
        network = {"REMOTE_ADDR": f"10.{person + 1}.{len(query)}.9"}
        shown = _impression(query=query, ids=[title], session_id=session)
        assert client.post("/api/impression", json=shown, environ_base=network).status_code == 204
        clicked = _click(query=query, id=title, position=1, session_id=session, dwell_ms=60_000)
        assert client.post("/api/click", json=clicked, environ_base=network).status_code == 204


def test_trending_falls_back_to_the_most_popular(client: FlaskClient) -> None:
    response = client.get("/api/trending?k=5")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["source"] == "popular" and body["k"] == 5
    assert body["suggestions"] == _suggest(client, q="", k=5)["suggestions"]


def test_trending_names_what_people_choose_now(client: FlaskClient) -> None:
    deep = _suggest(client, q="the big", k=60)["suggestions"][-1]
    assert deep["id"] not in [item["id"] for item in _suggest(client, q="", k=10)["suggestions"]]
    _chosen_by(client, "the big", deep["id"], 6)
    client.get("/api/learned?prefix=the+big")  # learning catches up with the clicks
    body = client.get("/api/trending?k=5").get_json()
    assert body["source"] == "trending"
    top = body["suggestions"][0]
    assert (top["id"], top["text"], top["match"]) == (deep["id"], deep["text"], "feedback")
    # The chips narrow it too: a genre the title is not in leaves only popular titles in it.
    other = next(
        g for g in ("Documentary", "Animation", "Short") if g not in deep["metadata"]["genres"]
    )
    narrowed = client.get("/api/trending", query_string={"k": 5, "genre": other}).get_json()
    assert narrowed["source"] == "popular" and narrowed["filter"]["genre"] == [other]
    assert all(other in item["metadata"]["genres"] for item in narrowed["suggestions"])


def test_trending_without_feedback_is_the_most_popular(make_app: MakeApp) -> None:
    body = make_app({"FEEDBACK": None}).test_client().get("/api/trending?k=3").get_json()
    assert body["source"] == "popular" and len(body["suggestions"]) == 3


@pytest.mark.parametrize(
    ("query_string", "field"),
    [("k=0", "k"), ("k=x", "k"), ("genre=Anime", "genre"), ("decade=1995", "decade")],
)
def test_trending_rejects_bad_parameters(
    client: FlaskClient, query_string: str, field: str
) -> None:
    assert _error(client.get("/api/trending?" + query_string), 400)["field"] == field


# GET /api/facets ------------------------------------------------------------------------------


def test_facets_list_the_catalogs_genres_and_decades(client: FlaskClient) -> None:
    response = client.get("/api/facets")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    genres = {facet["value"]: facet["titles"] for facet in body["genres"]}
    assert {"Animation", "Comedy", "Drama", "Documentary"} <= set(genres)
    assert list(genres) == sorted(genres)
    assert all(isinstance(count, int) and count > 0 for count in genres.values())
    decades = [facet["value"] for facet in body["decades"]]
    assert decades == sorted(decades) and 1990 in decades and 2000 in decades
    assert all(decade % 10 == 0 for decade in decades)
    total = sum(facet["titles"] for facet in body["decades"])
    assert total <= client.get("/api/health").get_json()["titles"]


def test_facet_counts_match_the_filters(client: FlaskClient) -> None:
    """A chip's count is the number of titles its filter lets through."""
    body = client.get("/api/facets").get_json()
    short = next(facet for facet in body["decades"] if facet["titles"] <= 100)
    found = _suggest(client, q="", k=100, decade=str(short["value"]))["suggestions"]
    assert len(found) == short["titles"]


def test_facets_of_the_hostile_catalog(xss_client: FlaskClient) -> None:
    body = xss_client.get("/api/facets").get_json()
    assert {"value": "<b>Drama</b>", "titles": 1} in body["genres"]


# POST /api/impression and /api/click ----------------------------------------------------------


def _click(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"query": "teh big leb", "id": "m5567", "position": 1}
    body["session_id"] = SESSION
    body.update(overrides)
    return body


def _impression(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"query": "the big", "ids": ["m5567", "m5606"], "session_id": SESSION}
    body.update(overrides)
    return body


def test_impression_and_click_are_accepted(client: FlaskClient) -> None:
    assert client.post("/api/impression", json=_impression()).status_code == 204
    assert client.post("/api/click", json=_click()).status_code == 204
    assert client.post("/api/click", json=_click(dwell_ms=4500)).status_code == 204
    assert client.post("/api/click", json=_click(dwell_ms=None, position=2.0)).status_code == 204


def _choose(client: FlaskClient, query: str, ids: list[str], position: int, number: int) -> None:
    """One visitor (own session, own network) sees ``ids`` for ``query`` and clicks one."""
    session = f"visitor-{number:04d}"
    # A /24 each: addresses of one network count once towards a title's support.
    address = {"REMOTE_ADDR": f"10.{number // 250}.{number % 250}.1"}
    shown = _impression(query=query, ids=ids, session_id=session)
    assert client.post("/api/impression", json=shown, environ_base=address).status_code == 204
    clicked = _click(query=query, id=ids[position - 1], position=position, session_id=session)
    assert client.post("/api/click", json=clicked, environ_base=address).status_code == 204


def test_clicks_teach_the_ranking(client: FlaskClient) -> None:
    """Enough visitors choosing the second suggestion for a prefix lift it to the top."""
    before = client.get("/api/suggest?q=the+big&k=5").get_json()["suggestions"]
    ids = [item["id"] for item in before]
    for number in range(40):
        _choose(client, "the big", ids, 2, number)
    client.get("/api/learned?prefix=the+big")  # learning catches up with the clicks
    after = client.get("/api/suggest?q=the+big&k=5").get_json()["suggestions"]
    assert after[0]["id"] == ids[1]
    assert after[0]["score"] > before[1]["score"]


def test_learned_lists_the_titles_chosen_for_a_prefix(client: FlaskClient) -> None:
    ids = ["m5567", "m5606", "m5511"]
    for number in range(3):
        _choose(client, "teh big", ids, 2, number)
    response = client.get("/api/learned", query_string={"prefix": "Teh  BIG", "k": 5})
    assert response.status_code == 200
    body = response.get_json()
    assert body["prefix"] == "Teh  BIG"
    top = body["titles"][0]
    assert (top["id"], top["text"], top["label"]) == (
        "m5606",
        "The Big Sleep",
        "The Big Sleep (1946)",
    )
    assert top["boost"] > 0 and top["lift"] > 1
    # The titles shown and passed over learned something too: a little less likely now.
    assert all(title["lift"] < 1 for title in body["titles"][1:])


def test_learned_is_empty_before_any_click(client: FlaskClient) -> None:
    body = client.get("/api/learned?prefix=zzz").get_json()
    assert body == {"prefix": "zzz", "titles": []}


@pytest.mark.parametrize(
    ("query_string", "field"),
    [("", "prefix"), ("prefix=the&k=0", "k"), ("prefix=" + "a" * 201, "prefix")],
)
def test_learned_rejects_bad_parameters(client: FlaskClient, query_string: str, field: str) -> None:
    assert _error(client.get("/api/learned?" + query_string), 400)["field"] == field


BAD_CLICKS: list[tuple[dict[str, Any], str]] = [
    ({"query": None}, "query"),
    ({"query": 5}, "query"),
    ({"query": "a" * 201}, "query"),
    ({"id": ""}, "id"),
    ({"id": None}, "id"),
    ({"id": 5567}, "id"),
    ({"id": ["m5567"]}, "id"),
    ({"id": "m" * 201}, "id"),
    ({"position": 0}, "position"),
    ({"position": 101}, "position"),
    ({"position": -3}, "position"),
    ({"position": 1.5}, "position"),
    ({"position": "1"}, "position"),
    ({"position": True}, "position"),
    ({"position": None}, "position"),
    ({"position": 10**400}, "position"),
    ({"position": 1e300}, "position"),
    ({"session_id": ""}, "session_id"),
    ({"session_id": "short"}, "session_id"),
    ({"session_id": "has spaces in it"}, "session_id"),
    ({"session_id": "<script>alert(1)</script>"}, "session_id"),
    ({"session_id": "x" * 65}, "session_id"),
    ({"session_id": 12345678}, "session_id"),
    ({"dwell_ms": -1}, "dwell_ms"),
    ({"dwell_ms": "long"}, "dwell_ms"),
    ({"dwell_ms": 10**12}, "dwell_ms"),
]


@pytest.mark.parametrize(("change", "field"), BAD_CLICKS)
def test_click_rejects_bad_fields(client: FlaskClient, change: dict[str, Any], field: str) -> None:
    error = _error(client.post("/api/click", json=_click(**change)), 400)
    assert error["field"] == field


@pytest.mark.parametrize("missing", ["query", "id", "position", "session_id"])
def test_click_requires_every_field(client: FlaskClient, missing: str) -> None:
    body = _click()
    del body[missing]
    assert _error(client.post("/api/click", json=body), 400)["field"] == missing


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"ids": []}, "ids"),
        ({"ids": "m5567"}, "ids"),
        ({"ids": None}, "ids"),
        ({"ids": [5567]}, "ids"),
        ({"ids": [""]}, "ids"),
        ({"ids": [f"m{n}" for n in range(101)]}, "ids"),
        ({"query": ["the"]}, "query"),
        ({"session_id": None}, "session_id"),
    ],
)
def test_impression_rejects_bad_fields(
    client: FlaskClient, change: dict[str, Any], field: str
) -> None:
    error = _error(client.post("/api/impression", json=_impression(**change)), 400)
    assert error["field"] == field


def test_the_store_refuses_what_it_cannot_record_as_a_400(client: FlaskClient) -> None:
    # Valid to the API, refused by the click store: the same id shown twice in one list.
    _error(client.post("/api/impression", json=_impression(ids=["m5567", "m5567"])), 400)


@pytest.mark.parametrize("path", ["/api/click", "/api/impression"])
@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{",
        b"{'query': 'single quotes'}",
        b"[1, 2, 3]",
        b'"a string"',
        b"null",
        b"42",
        b'{"position": NaN}',
        b'{"position": Infinity}',
        b"\xff\xfe not utf-8",
        b"[" * 15_000,  # nesting deep enough to exhaust a recursive parser
        b'{"position": ' + b"9" * 5_000 + b"}",  # more digits than int() converts
    ],
)
def test_post_rejects_malformed_json(client: FlaskClient, path: str, body: bytes) -> None:
    response = client.post(path, data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"]["message"]


@pytest.mark.parametrize("path", ["/api/click", "/api/impression"])
def test_post_wants_json(client: FlaskClient, path: str) -> None:
    _error(client.post(path, data="query=the", content_type="text/plain"), 415)
    _error(client.post(path, data={"query": "the"}), 415)


def test_post_refuses_an_oversized_body(client: FlaskClient) -> None:
    body = json.dumps(_click(query="x" * 100_000))
    _error(client.post("/api/click", data=body, content_type="application/json"), 413)


def test_click_only_accepts_post(client: FlaskClient) -> None:
    _error(client.get("/api/click"), 405)


def test_feedback_endpoints_say_when_feedback_is_off(make_app: MakeApp) -> None:
    client = make_app({"FEEDBACK": None}).test_client()
    _error(client.post("/api/click", json=_click()), 503)
    _error(client.post("/api/impression", json=_impression()), 503)
    _error(client.get("/api/learned?prefix=the"), 503)
    assert client.get("/api/suggest?q=the").status_code == 200


class _BrokenStoreEngine(Autocomplete):
    """An engine whose click store has gone away (a database file removed, Redis down)."""

    def record_click(
        self,
        query: str,
        id: str,
        position: int,
        session_id: str,
        dwell_ms: int | None = None,
        *,
        client: str | None = None,
    ) -> None:
        raise ConnectionError("the click store is down")


class _FailingEngine(Autocomplete):
    def suggest(self, query: str, k: int = 10, **options: Any) -> list[Suggestion]:
        raise RuntimeError("a bug")


def test_a_broken_click_store_is_a_503_not_a_500(app: Flask) -> None:
    engine = app.extensions["autocomplete"]
    broken = _BrokenStoreEngine(engine.index, feedback="memory://")
    client = create_app({"TESTING": True, "ENGINE": broken}).test_client()
    try:
        _error(client.post("/api/click", json=_click()), 503)
    finally:
        broken.close()


def test_an_unexpected_error_is_json_and_says_nothing_more(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    failing = _FailingEngine(app.extensions["autocomplete"].index)
    client = create_app({"TESTING": True, "ENGINE": failing}).test_client()
    error = _error(client.get("/api/suggest?q=the"), 500)
    assert error["message"] == "internal error"
    assert "a bug" in caplog.text


# GET /api/health ------------------------------------------------------------------------------


def test_health(client: FlaskClient) -> None:
    body = client.get("/api/health").get_json()
    assert body["status"] == "ok"
    assert body["titles"] == 58_788
    assert body["feedback"] is True
    assert body["worker"] == os.getpid()


def test_a_damaged_index_found_after_load_makes_the_worker_a_503(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A byte changed inside a file passes the per-file checks of a load and is found by the
    # checks of every byte that run after it: from then on the worker answers nothing, and
    # says so as a 503 (a load balancer's cue) rather than a 500; its log names the file.
    built = Autocomplete.from_catalog([{"title": "Star Wars"}, {"title": "Star Trek"}])
    saved = built.save(tmp_path / "index")
    titles = saved / "titles.bin"
    data = bytearray(titles.read_bytes())
    data[len(data) // 2] ^= 0xFF
    titles.write_bytes(bytes(data))
    engine = Autocomplete.load(saved)
    with pytest.raises(IndexFormatError):
        engine.verified()
    client = create_app({"TESTING": True, "ENGINE": engine}).test_client()
    health = client.get("/api/health")
    assert health.status_code == 503
    body = health.get_json()
    assert (body["status"], body["index"]) == ("failed", "damaged")
    assert "damaged" in body["error"]["message"]
    error = _error(client.get("/api/suggest?q=star"), 503)
    assert "index is damaged" in error["message"]
    assert str(tmp_path) not in error["message"]  # the server's paths stay in its log
    page = client.get("/?q=star")
    assert page.status_code == 503 and b"index is damaged" in page.data
    assert "titles.bin: damaged" in caplog.text


def test_health_says_whether_the_index_was_verified(tmp_path: Path) -> None:
    saved = Autocomplete.from_catalog([{"title": "Star Wars"}]).save(tmp_path / "index")
    engine = Autocomplete.load(saved)
    assert engine.verified() is True
    client = create_app({"TESTING": True, "ENGINE": engine}).test_client()
    body = client.get("/api/health").get_json()
    assert (body["status"], body["index"]) == ("ok", "verified")


def test_unknown_api_paths_are_json_404s(client: FlaskClient) -> None:
    _error(client.get("/api/nothing-here"), 404)


# OpenSearch -----------------------------------------------------------------------------------


def test_opensearch_suggestions(client: FlaskClient) -> None:
    response = client.get("/opensearch/suggest?q=teh+big+leb")
    assert response.status_code == 200
    assert response.mimetype == "application/x-suggestions+json"
    query, completions, descriptions, urls = json.loads(response.data)
    assert query == "teh big leb"
    assert completions[0] == "The Big Lebowski"
    assert descriptions[0].startswith("1998")
    assert urls[0] == "http://localhost/?q=The+Big+Lebowski"
    assert len(completions) == len(descriptions) == len(urls) >= 1
    assert response.data.isascii()


def test_opensearch_suggestions_for_an_empty_query(client: FlaskClient) -> None:
    assert json.loads(client.get("/opensearch/suggest?q=").data) == ["", [], [], []]


@pytest.mark.parametrize("query_string", ["", "q=" + "a" * 201])
def test_opensearch_suggestions_reject_bad_input(client: FlaskClient, query_string: str) -> None:
    _error(client.get("/opensearch/suggest?" + query_string), 400)


def test_opensearch_description(client: FlaskClient) -> None:
    response = client.get("/opensearch.xml", base_url="https://movies.example")
    assert response.status_code == 200
    assert response.mimetype == "application/opensearchdescription+xml"
    root = ET.fromstring(response.data)
    spec = "{http://a9.com/-/spec/opensearch/1.1/}"
    assert root.tag == spec + "OpenSearchDescription"
    assert root.findtext(spec + "ShortName") == "Movie search"
    templates = {url.get("type"): url.get("template") for url in root.iter(spec + "Url")}
    assert templates["text/html"] == "https://movies.example/?q={searchTerms}"
    assert templates["application/x-suggestions+json"] == (
        "https://movies.example/opensearch/suggest?q={searchTerms}"
    )


def test_behind_a_trusted_proxy_urls_use_the_public_host(make_app: MakeApp) -> None:
    client = make_app({"FEEDBACK": None, "TRUSTED_PROXIES": 1}).test_client()
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "films.example"}
    root = ET.fromstring(client.get("/opensearch.xml", headers=forwarded).data)
    templates = [
        url.get("template") for url in root.iter("{http://a9.com/-/spec/opensearch/1.1/}Url")
    ]
    assert templates[0] == "https://films.example/?q={searchTerms}"
    # Without trusted proxies the same headers are ignored.
    plain = ET.fromstring(
        make_app({"FEEDBACK": None}).test_client().get("/opensearch.xml", headers=forwarded).data
    )
    assert "films.example" not in ET.tostring(plain, encoding="unicode")


def test_the_page_advertises_the_search_provider(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    assert 'rel="search" type="application/opensearchdescription+xml"' in page
    assert 'href="/opensearch.xml"' in page


# The page -------------------------------------------------------------------------------------


def test_the_page_is_a_combobox(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'role="combobox"' in page and 'aria-controls="search-listbox"' in page
    assert 'aria-expanded="false"' in page and 'aria-autocomplete="list"' in page
    assert 'id="search-listbox" class="listbox" role="listbox"' in page
    assert 'role="status" aria-live="polite"' in page


def test_the_page_has_no_inline_script_or_style(client: FlaskClient) -> None:
    page = client.get("/?q=the+big").get_data(as_text=True)
    assert page.count("<script") == page.count('<script type="module" src="/static/')
    assert "style=" not in page and "<style" not in page
    assert " on" + "click=" not in page


def test_the_page_renders_results_without_javascript(client: FlaskClient) -> None:
    page = client.get("/?q=teh+big+leb").get_data(as_text=True)
    assert "<mark>The Big Leb</mark>owski" in page
    assert "Showing results for <em>the big leb" in page
    assert 'href="/?q=teh+big+leb&amp;correct=false" data-search-instead>' in page


def test_the_page_shows_when_nothing_matches(client: FlaskClient) -> None:
    assert "No titles match" in client.get("/?q=qqqqzzzzxxxx").get_data(as_text=True)


def test_the_page_refuses_an_overlong_query_politely(client: FlaskClient) -> None:
    response = client.get("/?q=" + "a" * 500)
    assert response.status_code == 400
    assert "longer than 200 characters" in response.get_data(as_text=True)


class _ResultParser(HTMLParser):
    """The results page's links: (href, id, position), its pager links and its impression."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str, int]] = []
        self.pager: dict[str, str] = {}
        self.listed: list[str] | None = None
        self.query: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "a" and "data-id" in found:
            self.links.append((found["href"], found["data-id"], int(found["data-position"])))
        elif tag == "a" and found.get("rel") in {"prev", "next"}:
            self.pager[found["rel"]] = found["href"]
        elif "data-server-results" in found:
            self.listed = json.loads(found["data-listed"])
            self.query = found["data-query"]


def _results(client: FlaskClient, url: str, status: int = 200) -> _ResultParser:
    response = client.get(url)
    assert response.status_code == status, response.data
    parser = _ResultParser()
    parser.feed(response.get_data(as_text=True))
    return parser


def test_the_results_page_links_each_title_and_pages_on(client: FlaskClient) -> None:
    ranked = [item["id"] for item in _suggest(client, q="the", k=100)["suggestions"]]
    first = _results(client, "/?q=the")
    assert [(item_id, position) for _, item_id, position in first.links] == [
        (item_id, number) for number, item_id in enumerate(ranked[:10], 1)
    ]
    assert first.links[0][0] == f"/title/{ranked[0]}?q=the"
    assert first.pager == {"next": "/?q=the&page=2"}
    assert first.listed == ranked[:10] and first.query == "the"

    second = _results(client, "/?q=the&page=2")
    assert [item_id for _, item_id, _ in second.links] == ranked[10:20]
    assert [position for _, _, position in second.links] == list(range(11, 21))
    assert second.links[0][0] == f"/title/{ranked[10]}?q=the&page=2"
    assert second.pager == {"prev": "/?q=the", "next": "/?q=the&page=3"}
    # A click on page 2 answers everything listed up to its end, in rank order.
    assert second.listed == ranked[:20]
    page = client.get("/?q=the&page=2").get_data(as_text=True)
    assert '<ol class="result-list" start="11">' in page and "page 2 of 10" in page

    last = _results(client, "/?q=the&page=10")
    assert [item_id for _, item_id, _ in last.links] == ranked[90:100]
    assert last.pager == {"prev": "/?q=the&page=9"}


def test_results_pages_keep_the_filter_and_the_switch(client: FlaskClient) -> None:
    chosen = _results(client, "/?q=the&genre=Animation&correct=false")
    assert chosen.pager == {"next": "/?q=the&genre=Animation&correct=false&page=2"}
    ranked = _suggest(client, q="the", k=10, genre="Animation", correct="false")["suggestions"]
    assert [item_id for _, item_id, _ in chosen.links] == [item["id"] for item in ranked]
    href = chosen.links[0][0]
    assert href.endswith("?q=the&genre=Animation&correct=false")


def test_a_short_list_has_one_page(client: FlaskClient) -> None:
    found = _results(client, "/?q=sta+wars")
    assert 0 < len(found.links) < 10 and found.pager == {}
    page = client.get("/?q=sta+wars").get_data(as_text=True)
    assert "page 1 of" not in page


@pytest.mark.parametrize("page", ["0", "11", "x", "-1", "1.5", "٢", ""])
def test_a_bad_page_number_is_refused_politely(client: FlaskClient, page: str) -> None:
    response = client.get("/", query_string={"q": "the", "page": page})
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert "&#39;page&#39; must be a whole number between 1 and 10" in response.get_data(
        as_text=True
    )


def test_a_page_past_the_last_result_is_a_404_that_says_so(client: FlaskClient) -> None:
    response = client.get("/?q=sta+wars&page=2")
    assert response.status_code == 404 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "There is no page 2 for this search: it has 1." in page
    assert "data-server-results" not in page


def test_the_results_page_offers_to_search_as_typed(client: FlaskClient) -> None:
    page = client.get("/?q=teh&page=2").get_data(as_text=True)
    assert "Showing results for <em>the</em>" in page
    assert 'href="/?q=teh&amp;correct=false" data-search-instead>' in page
    assert 'name="correct" value="false" data-literal-input disabled>' in page
    typed = client.get("/?q=teh&correct=false").get_data(as_text=True)
    assert "Showing results for exactly what you typed." in typed
    assert "data-search-instead" not in typed
    # A search from here stays as typed: the form's switch is on.
    assert 'name="correct" value="false" data-literal-input>' in typed
    assert "<mark>T</mark>he <mark>E</mark>lectric <mark>H</mark>orseman" in typed
    nothing = client.get("/?q=sta+wars&correct=false").get_data(as_text=True)
    assert "No titles match “sta wars” as typed." in nothing


def _facts(page: str) -> dict[str, str]:
    terms = re.findall(r"<dt>(.*?)</dt>\s*<dd>(.*?)</dd>", page)
    return dict(terms)


def test_a_title_page_shows_what_the_catalog_has(client: FlaskClient) -> None:
    response = client.get("/title/m5567?q=the+big&page=2")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert '<h1 id="title-heading">The Big Lebowski</h1>' in page
    facts = _facts(page)
    assert list(facts)[:4] == ["Year", "Genres", "Rating", "Votes"]
    assert facts["Year"] == "1998" and facts["Genres"] == "Comedy"
    assert facts["Rating"] == "8.0 / 10" and re.fullmatch(r"\d{2},\d{3}", facts["Votes"])
    assert facts["Budget"] == "15,000,000" and facts["Mpaa"] == "R"
    assert 'href="/?q=the+big&amp;page=2" data-back>← Results for “the big”</a>' in page
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "<script" not in page


def test_a_title_page_for_an_unknown_id_is_a_404(client: FlaskClient) -> None:
    response = client.get("/title/no-such-title?q=x")
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "This catalog has no title with that id." in response.get_data(as_text=True)


def test_a_hostile_title_page_stays_text(xss_client: FlaskClient) -> None:
    found = _results(xss_client, "/?q=%3Cscr")
    href, title_id, _ = found.links[0]
    response = xss_client.get(href)
    assert response.status_code == 200, (title_id, href)
    page = response.get_data(as_text=True)
    assert "<script>window" not in page and "&lt;script&gt;" in page


class _ChipParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.chips: dict[str, bool] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "button" and found.get("class") == "chip":
            assert found["type"] == "button" and found["aria-pressed"] in {"true", "false"}
            self.chips[found["data-value"] or ""] = found["aria-pressed"] == "true"


def _chips(page: str) -> dict[str, bool]:
    """The page's filter chips, value -> pressed, in page order."""
    parser = _ChipParser()
    parser.feed(page)
    return parser.chips


def test_the_page_has_genre_and_decade_chips_from_the_catalog(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    assert page.count('role="toolbar"') == 2
    assert 'aria-labelledby="genre-chips-label"' in page
    assert 'data-chips="decade" data-exclusive' in page
    facets = client.get("/api/facets").get_json()
    values = [str(facet["value"]) for facet in facets["genres"] + facets["decades"]]
    assert _chips(page) == dict.fromkeys(values, False)
    for facet in facets["decades"]:
        assert f">{facet['value']}s</button>" in page
    assert 'type="hidden" name="genre"' not in page


def test_the_page_renders_filtered_results_with_the_chips_on(client: FlaskClient) -> None:
    page = client.get("/?q=the&genre=Animation&decade=1990").get_data(as_text=True)
    pressed = [value for value, on in _chips(page).items() if on]
    assert pressed == ["Animation", "1990"]
    # A search submitted from here keeps the filter.
    assert '<input type="hidden" name="genre" value="Animation">' in page
    assert '<input type="hidden" name="decade" value="1990">' in page
    assert '<span class="results-filter">(Animation, 1990s)</span>' in page
    expected = _suggest(client, q="the", k=8, genre="Animation", decade="1990")["suggestions"]
    for item in expected:
        assert f'data-id="{item["id"]}"' in page


@pytest.mark.parametrize(
    ("query_string", "says"),
    [
        ("q=the&genre=Anime", "no title has"),
        ("q=the&decade=1995", "first year of a decade"),
        ("q=&genre=", "must not be blank"),
    ],
)
def test_the_page_refuses_a_bad_filter_politely(
    client: FlaskClient, query_string: str, says: str
) -> None:
    response = client.get("/?" + query_string)
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert says in page.replace("&#39;", "'")
    assert not any(_chips(page).values()) and 'type="hidden" name="genre"' not in page


def test_a_hostile_genre_is_a_chip_of_text(xss_client: FlaskClient) -> None:
    page = xss_client.get("/").get_data(as_text=True)
    assert 'data-value="&lt;b&gt;Drama&lt;/b&gt;"' in page
    assert ">&lt;b&gt;Drama&lt;/b&gt;</button>" in page
    assert "<b>" not in page


def test_static_files_are_served(client: FlaskClient) -> None:
    for name, mimetype in [("typeahead.js", "text/javascript"), ("style.css", "text/css")]:
        response = client.get(f"/static/{name}")
        assert response.status_code == 200 and response.mimetype == mimetype
        response.close()


@pytest.mark.parametrize(
    "path", ["/", "/?q=the", "/api/suggest?q=the", "/api/suggest", "/static/style.css", "/nope"]
)
def test_security_headers_on_every_response(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    headers = response.headers
    assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert "unsafe-eval" not in CONTENT_SECURITY_POLICY
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    response.close()


def test_hostile_titles_are_escaped_in_the_page(xss_client: FlaskClient) -> None:
    page = xss_client.get("/?q=scr").get_data(as_text=True)
    assert "<script>window" not in page
    assert "<img" not in page and "<svg" not in page and "<b>" not in page
    assert "&lt;<mark>scr</mark>ipt&gt;window.__xss" in page
    assert "Tom &amp;amp; Jerry &amp;lt;b&amp;gt;" in page  # entities shown as typed
    assert "O&#39;Brien&#39;s &#34;Quoted&#34;" in page
    assert 'data-id="&#34;&gt;&lt;script&gt;' in page


def test_hostile_titles_stay_text_in_json(xss_client: FlaskClient) -> None:
    response = xss_client.get("/api/suggest?q=%3Cscr")
    assert response.mimetype == "application/json"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    texts = [item["text"] for item in response.get_json()["suggestions"]]
    assert "<script>window.__xss = 'script'</script>" in texts


def test_highlight_segments() -> None:
    assert highlight_segments("The Big", ((0, 3),)) == [("The", True), (" Big", False)]
    assert highlight_segments("abc", ((2, 9), (0, 1), (0, 1))) == [
        ("a", True),
        ("b", False),
        ("c", True),
    ]
    assert highlight_segments("abc", ()) == [("abc", False)]


# Configuration and the catalogs the app can serve ---------------------------------------------


def test_a_catalog_file_with_its_fields(xss_client: FlaskClient) -> None:
    assert xss_client.get("/api/health").get_json()["titles"] == 10


def test_a_saved_index_directory(tmp_path: Path, make_app: MakeApp) -> None:
    Autocomplete.from_catalog(XSS_CATALOG, **XSS_FIELDS).save(tmp_path / "idx")
    client = make_app({"CATALOG": str(tmp_path / "idx"), "FEEDBACK": None}).test_client()
    assert client.get("/api/suggest?q=scarf").get_json()["suggestions"][0]["year"] == 1983


def test_a_sqlite_click_store(tmp_path: Path, make_app: MakeApp) -> None:
    url = f"sqlite:///{tmp_path / 'clicks.db'}"
    client = make_app({"FEEDBACK": url}).test_client()
    assert client.post("/api/click", json=_click()).status_code == 204
    assert (tmp_path / "clicks.db").is_file()


def test_prepare_index_saves_a_catalog_file_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the gunicorn master does before forking: workers then memory-map one saved index."""
    monkeypatch.setenv("AUTOCOMPLETE_CACHE_DIR", str(tmp_path / "cache"))
    directory = prepare_index(str(XSS_CATALOG), XSS_FIELDS)
    assert directory is not None and Path(directory).parent == tmp_path / "cache"
    saved = {path.name: path.stat().st_mtime_ns for path in Path(directory).iterdir()}
    assert prepare_index(str(XSS_CATALOG), XSS_FIELDS) == directory
    assert {path.name: path.stat().st_mtime_ns for path in Path(directory).iterdir()} == saved
    assert prepare_index(str(XSS_CATALOG), {"id_field": "id"}) != directory  # other fields
    assert prepare_index(directory) == directory  # a saved index is used as it is
    assert len(Autocomplete.load(directory)) == 10


def test_config_from_env() -> None:
    assert config_from_env({}) == {}
    config = config_from_env(
        {
            "AUTOCOMPLETE_CATALOG": "books.csv",
            "AUTOCOMPLETE_FEEDBACK": "off",
            "AUTOCOMPLETE_TEXT_FIELD": "name",
            "AUTOCOMPLETE_WEIGHT_FIELD": "sales",
            "AUTOCOMPLETE_TRUSTED_PROXIES": "1",
            "AUTOCOMPLETE_GENRE_FIELD": "subjects",
            "AUTOCOMPLETE_YEAR_FIELD": "published",
        }
    )
    assert config == {
        "CATALOG": "books.csv",
        "FEEDBACK": None,
        "TRUSTED_PROXIES": 1,
        "GENRE_FIELD": "subjects",
        "YEAR_FIELD": "published",
        "CATALOG_FIELDS": {"text_field": "name", "weight_field": "sales"},
    }


# autocomplete serve ---------------------------------------------------------------------------


def _serve_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_command(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(["serve", *argv])


def test_serve_defaults_to_loopback_and_the_sqlite_store() -> None:
    args = _serve_args()
    assert (args.host, args.port) == ("127.0.0.1", 8000)
    assert app_config(args) == {
        "CATALOG": None,
        "CATALOG_FIELDS": {"text_field": "title"},
        "FEEDBACK": "sqlite:///var/clicks.db",
    }


def test_serve_options() -> None:
    args = _serve_args(
        "--port", "0", "--catalog", "books.csv", "--weight-field", "sales", "--feedback", "off"
    )  # fmt: skip
    config = app_config(args)
    assert config["FEEDBACK"] is None and config["CATALOG"] == "books.csv"
    assert config["CATALOG_FIELDS"] == {"text_field": "title", "weight_field": "sales"}


@pytest.mark.parametrize("port", ["-1", "65536", "http"])
def test_serve_rejects_a_bad_port(port: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        _serve_args("--port", port)
    assert "--port" in capsys.readouterr().err


def test_serve_runs_the_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The command builds the app and hands it to the server (stubbed here), making var/."""
    calls: list[dict[str, Any]] = []

    def fake_run(self: Flask, **options: Any) -> None:
        calls.append({"app": self, **options})

    monkeypatch.setattr(Flask, "run", fake_run)
    monkeypatch.chdir(tmp_path)
    args = _serve_args("--port", "8123", "--catalog", str(XSS_CATALOG), "--id-field", "id")
    assert args.run(args) == 0
    (call,) = calls
    assert (call["host"], call["port"], call["threaded"]) == ("127.0.0.1", 8123, True)
    assert call["app"].test_client().get("/api/health").get_json()["titles"] == 10
    assert (tmp_path / "var").is_dir()
    assert "http://127.0.0.1:8123/" in capsys.readouterr().out


# Real servers on loopback ---------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _get_json(url: str, timeout: float = 5.0) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.load(response)


def _wait_until_up(url: str, process: subprocess.Popen[bytes], seconds: float = 120.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited with {process.returncode}")
        try:
            _get_json(url, timeout=1.0)
            return
        except (OSError, urllib.error.URLError):
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {seconds} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def gunicorn_server(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = _free_port()
    env = {
        **os.environ,
        "AUTOCOMPLETE_BIND": f"127.0.0.1:{port}",
        "AUTOCOMPLETE_WORKERS": "2",
        "AUTOCOMPLETE_FEEDBACK": f"sqlite:///{tmp_path / 'clicks.db'}",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:autocomplete.web.gunicorn_conf"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base + "/api/health", process)
        yield base, process
    finally:
        _stop(process)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # The parent pid is the second field after the parenthesised command name.
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _mapped_index_files(pid: int) -> set[str]:
    maps = Path(f"/proc/{pid}/maps").read_text().splitlines()
    paths = {line.split(maxsplit=5)[5] for line in maps if len(line.split(maxsplit=5)) == 6}
    return {path for path in paths if path.endswith((".npy", ".marisa", ".bin"))}


@pytest.mark.slow
def test_gunicorn_workers_share_one_memory_mapped_index(
    gunicorn_server: tuple[str, subprocess.Popen[bytes]],
) -> None:
    base, master = gunicorn_server
    workers = _children(master.pid)
    assert len(workers) == 2

    # Both workers answer: enough concurrent requests reach each of them. A worker opens the
    # index on its first request, so only then are its maps worth comparing.
    answered: set[int] = set()
    deadline = time.monotonic() + 20
    with ThreadPoolExecutor(max_workers=8) as pool:
        while answered != set(workers) and time.monotonic() < deadline:
            bodies = pool.map(lambda _: _get_json(base + "/api/health"), range(16))
            answered.update(body["worker"] for body in bodies)
    assert answered == set(workers)

    mapped = [_mapped_index_files(worker) for worker in workers]
    assert any(path.endswith("keys.marisa") for path in mapped[0])
    assert any(path.endswith("entry_score.npy") for path in mapped[0])
    assert mapped[0] == mapped[1]  # the same files, so the page cache holds one copy
    body = _get_json(base + "/api/suggest?q=teh+big+leb&k=3")
    assert body["suggestions"][0]["text"] == "The Big Lebowski"


@pytest.mark.slow
def test_the_serve_command_starts_the_demo(tmp_path: Path) -> None:
    """``autocomplete serve`` (the README's demo) on loopback, with the SQLite click store."""
    port = _free_port()
    command = [
        sys.executable, "-c", "import sys; from autocomplete.cli import main; sys.exit(main())",
        "serve", "--port", str(port),
    ]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _wait_until_up(f"http://127.0.0.1:{port}/api/health", process)
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/click",
            data=json.dumps(_click()).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 204
    finally:
        _stop(process)
    assert (tmp_path / "var" / "clicks.db").is_file()


def test_an_alias_match_names_the_alias_and_highlights_shared_words(client: FlaskClient) -> None:
    body = client.get("/api/suggest", query_string={"q": "spirited aw", "k": 3}).get_json()
    top = body["suggestions"][0]
    assert top["text"] == "Sen to Chihiro no kamikakushi"
    assert top["match"] == "alias" and top["matched_alias"] == "Spirited Away"
    assert top["spans"] == []
    godfather = {
        item["text"]: item
        for item in client.get("/api/suggest", query_string={"q": "godfather"}).get_json()[
            "suggestions"
        ]
    }
    part_two = godfather["The Godfather: Part II"]
    assert part_two["matched_alias"] == "godfather 2"
    assert [part_two["text"][start:end] for start, end in part_two["spans"]] == ["Godfather"]


def test_the_results_page_names_the_alias_that_matched(client: FlaskClient) -> None:
    page = client.get("/", query_string={"q": "spirited away"}).get_data(as_text=True)
    assert "Sen to Chihiro no kamikakushi" in page
    assert '<span class="aka">— Spirited Away</span>' in page


def test_a_far_fetched_correction_is_not_announced(client: FlaskClient) -> None:
    body = client.get("/api/suggest", query_string={"q": "amelie", "k": 3}).get_json()
    top = body["suggestions"][0]
    assert (top["text"], top["corrected"], top["corrected_query"]) == (
        "American Beauty",
        True,
        "american",
    )
    assert top["corrected_confidently"] is False
    assert body["corrected"] is True and body["did_you_mean"] is None
    page = client.get("/", query_string={"q": "amelie"}).get_data(as_text=True)
    assert "Showing results for" not in page
    assert "No title matches <em>amelie</em> as typed; these are the" in page
    assert "data-search-instead" in page
    # A real slip is still announced, on both.
    body = client.get("/api/suggest", query_string={"q": "teh big leb"}).get_json()
    assert body["did_you_mean"] == "the big lebowski"
    assert body["suggestions"][0]["corrected_confidently"] is True
    page = client.get("/", query_string={"q": "teh big leb"}).get_data(as_text=True)
    assert "Showing results for <em>the big lebowski</em>" in page


def test_an_english_title_names_the_foreign_film_as_written(client: FlaskClient) -> None:
    body = client.get("/api/suggest", query_string={"q": "the good the bad", "k": 3}).get_json()
    top = body["suggestions"][0]
    assert (top["text"], top["match"]) == ("Il Buono, il brutto, il cattivo", "alias")
    assert top["matched_alias"] == "The Good, the Bad and the Ugly"
    page = client.get("/", query_string={"q": "the good the bad"}).get_data(as_text=True)
    assert '<span class="aka">— The Good, the Bad and the Ugly</span>' in page
    # An alias match that also marks a word of the title is named on the page too.
    page = client.get("/", query_string={"q": "godfather"}).get_data(as_text=True)
    assert '<span class="aka">— godfather 2</span>' in page
