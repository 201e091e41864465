"""The demo's API on multi-word queries: every matched word highlighted, no false "did you
mean" (issue 15)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from autocomplete.web import create_app


@pytest.fixture(scope="module")
def client() -> Iterator[FlaskClient]:
    app = create_app({"TESTING": True, "FEEDBACK": "memory://"})
    yield app.test_client()
    app.extensions["autocomplete"].close()


def test_scattered_words_are_all_highlighted_without_a_did_you_mean(client: FlaskClient) -> None:
    body = client.get("/api/suggest", query_string={"q": "harry potter chamber", "k": 3}).get_json()
    assert body["corrected"] is False and body["did_you_mean"] is None
    top = body["suggestions"][0]
    assert top["text"] == "Harry Potter and the Chamber of Secrets"
    assert top["match"] == "words"
    assert [top["text"][start:end] for start, end in top["spans"]] == [
        "Harry",
        "Potter",
        "Chamber",
    ]


def test_a_misspelled_word_among_scattered_ones_is_a_correction(client: FlaskClient) -> None:
    body = client.get("/api/suggest", query_string={"q": "hary potter chamber"}).get_json()
    assert body["suggestions"][0]["text"] == "Harry Potter and the Chamber of Secrets"
    assert body["corrected"] is True and body["did_you_mean"] == "harry potter chamber"
