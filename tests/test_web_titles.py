"""Catalog updates over HTTP (issue 18) through Flask's test client: the token, the 400s
that name the record and field, and a change seen by the next /api/suggest."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from autocomplete.web import create_app
from autocomplete.web.config import config_from_env

CATALOG = Path(__file__).parent / "fixtures" / "engine_catalog.jsonl"
FIELDS = {"weight_field": "votes", "id_field": "id", "alias_field": "aliases"}
TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
NEW = {"id": "zorblax-2027", "title": "Zorblax: The Awakening", "votes": 70000, "year": 2027}


def _client(tmp_path: Path, **config: Any) -> Iterator[FlaskClient]:
    app = create_app(
        {
            "TESTING": True,
            "CATALOG": str(CATALOG),
            "CATALOG_FIELDS": FIELDS,
            "FEEDBACK": None,
            "UPDATES": f"sqlite:///{tmp_path / 'updates.db'}",
            "UPDATES_TOKEN": TOKEN,
            **config,
        }
    )
    try:
        yield app.test_client()
    finally:
        app.extensions["autocomplete"].close()


@pytest.fixture
def client(tmp_path: Path) -> Iterator[FlaskClient]:
    yield from _client(tmp_path)


def _ids(client: FlaskClient, query: str) -> list[str]:
    answer = client.get("/api/suggest", query_string={"q": query})
    assert answer.status_code == 200
    return [item["id"] for item in answer.get_json()["suggestions"]]


def test_an_upsert_is_suggested_next_and_a_delete_removes_it(client: FlaskClient) -> None:
    answer = client.post("/api/titles", json=[NEW], headers=AUTH)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["upserted"] == 1
    assert _ids(client, "zorb")[0] == "zorblax-2027"
    assert client.get("/api/health").get_json()["titles"] == 18
    answer = client.delete("/api/titles/zorblax-2027", headers=AUTH)
    assert answer.status_code == 200
    assert "zorblax-2027" not in _ids(client, "zorb")
    missing = client.delete("/api/titles/zorblax-2027", headers=AUTH)
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("headers", "status"),
    [({}, 401), ({"Authorization": "Bearer wrong"}, 403), ({"Authorization": TOKEN}, 401)],
)
def test_writes_need_the_token(client: FlaskClient, headers: dict[str, str], status: int) -> None:
    assert client.post("/api/titles", json=[NEW], headers=headers).status_code == status
    assert client.delete("/api/titles/amelie-2001", headers=headers).status_code == status
    assert "zorblax-2027" not in _ids(client, "zorb")
    assert "amelie-2001" in _ids(client, "amel")


def test_without_a_token_configured_the_endpoints_are_off(tmp_path: Path) -> None:
    for client in _client(tmp_path, UPDATES_TOKEN=None):
        answer = client.post("/api/titles", json=[NEW], headers=AUTH)
        assert answer.status_code == 404
        assert "off" in answer.get_json()["error"]["message"]


def test_a_bad_record_is_a_400_naming_the_record_and_field(client: FlaskClient) -> None:
    answer = client.post(
        "/api/titles", json=[NEW, {"id": "x", "title": "X", "votes": "many"}], headers=AUTH
    )
    assert answer.status_code == 400
    error = answer.get_json()["error"]
    assert error["message"].startswith("record 2, field 'votes'")
    assert error["field"] == "votes"
    for body in ({"id": "x"}, [], ["x"], "not json"):
        answer = client.post("/api/titles", json=body, headers=AUTH)
        assert answer.status_code == 400, body
    missing_title = client.post("/api/titles", json=[{"id": "y", "votes": 1}], headers=AUTH)
    assert missing_title.get_json()["error"]["field"] == "title"
    assert "zorblax-2027" not in _ids(client, "zorb")


def test_the_settings_come_from_the_environment() -> None:
    config = config_from_env(
        {"AUTOCOMPLETE_UPDATES": "redis://localhost:6379/0", "AUTOCOMPLETE_UPDATES_TOKEN": "t"}
    )
    assert config["UPDATES"] == "redis://localhost:6379/0"
    assert config["UPDATES_TOKEN"] == "t"


def test_serve_passes_the_update_log_and_token(monkeypatch: pytest.MonkeyPatch) -> None:
    import argparse

    from autocomplete.serve import add_command, app_config

    parser = argparse.ArgumentParser()
    add_command(parser.add_subparsers())
    monkeypatch.delenv("AUTOCOMPLETE_UPDATES_TOKEN", raising=False)
    args = parser.parse_args(["serve", "--updates", "sqlite:///var/updates.db"])
    config = app_config(args)
    assert config["UPDATES"] == "sqlite:///var/updates.db" and "UPDATES_TOKEN" not in config
    monkeypatch.setenv("AUTOCOMPLETE_UPDATES_TOKEN", "from-env")
    assert app_config(args)["UPDATES_TOKEN"] == "from-env"
