"""Online experiments through the web API: simulated users who prefer arm b make the report
name b the winner; tampered impressions are refused; the report page renders."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from autocomplete import Autocomplete
from autocomplete.feedback import FeedbackConfig, FeedbackLayer, SqliteStore
from autocomplete.serve import add_command, app_config
from autocomplete.tools.feedback_simulation import Clock
from autocomplete.web import create_app
from experiment_simulation import HttpUser, intents, simulate

WINNER_SESSIONS = 150
"""Sessions after which the report must name b the winner (docs/experiments.md states it)."""

PREFERRED = {
    "experiments": [
        {
            "name": "animation-boost",
            "design": "interleave",
            "stopping": {"min_detectable_effect": 0.2, "alpha": 0.01, "power": 0.9},
            "a": {"label": "as served"},
            "b": {"label": "Animation x5", "boost": {"genres": {"Animation": 5.0}}},
        }
    ]
}
"""Users who want animated films prefer b, which boosts them."""


@pytest.fixture
def served(movies: Autocomplete, tmp_path: Path) -> Iterator[tuple[Flask, Clock]]:
    clock = Clock()
    layer = FeedbackLayer(
        SqliteStore(tmp_path / "clicks.db", clock=clock),
        config=FeedbackConfig(refresh_interval_s=0),
        clock=clock,
    )
    engine = Autocomplete(movies.index, feedback=layer)
    app = create_app({"ENGINE": engine, "EXPERIMENTS": PREFERRED, "EXPERIMENT_SECRET": "test"})
    yield app, clock
    engine.close()


def _report(app: Flask, client: FlaskClient) -> dict[str, Any]:
    layer = app.extensions["autocomplete"].feedback
    layer.refresh()  # what the background thread does every second in a server
    body = client.get("/api/experiments").get_json()
    (report,) = body["experiments"]
    assert isinstance(report, dict)
    return report


def test_users_who_prefer_b_make_it_the_winner_with_p_below_001(
    served: tuple[Flask, Clock], movies: Autocomplete
) -> None:
    app, clock = served
    client = app.test_client()
    wanted = intents(movies, 100, where={"genres": "Animation"})
    report = _report(app, client)
    assert report["status"] == "running" and report["sessions"] == 0
    simulate(
        WINNER_SESSIONS,
        wanted,
        # Each simulated person from an address of their own, as people are.
        lambda session, number: HttpUser(
            client, session, f"10.1.{number // 250}.{number % 250 + 1}"
        ),
        seed=1,
        clock=clock,
    )
    report = _report(app, client)
    assert report["sessions"] == WINNER_SESSIONS
    # The sample is reached by sessions still open (the guard could still judge one a bot):
    # no verdict until they close, half an hour after their last event.
    assert report["status"] == "closing" and report["winner"] is None
    clock.advance(app.extensions["autocomplete"].feedback.config.session_ttl_s + 1.0)
    report = _report(app, client)
    assert report["stopping_rule"]["met"], report
    assert report["winner"] == "b" and report["winner_label"] == "Animation x5"
    assert report["p_value"] < 0.01
    low, high = report["interval"]
    assert 0.5 < low < report["estimate"] < high  # b's share of the fixed sample's sessions
    assert report["tested"]["wins_a"] + report["tested"]["wins_b"] == 88
    page = client.get("/experiments")
    assert page.status_code == 200 and b"Animation x5) wins" in page.data
    assert b'href="/experiments"' in client.get("/").data  # the demo links to it


def test_a_session_keeps_its_list_and_a_tampered_impression_is_a_400(
    served: tuple[Flask, Clock],
) -> None:
    app, _ = served
    client = app.test_client()
    asked = {"q": "toy", "k": 8, "session": "session-000001"}
    body = client.get("/api/suggest", query_string=asked).get_json()
    again = client.get("/api/suggest", query_string=asked).get_json()
    assert body == again  # the same keystroke shows the same interleaving
    shown = body["experiment"]
    assert shown["name"] == "animation-boost" and len(shown["arms"]) == len(body["suggestions"])
    ids = [item["id"] for item in body["suggestions"]]
    impression = {"query": "toy", "ids": ids, "session_id": "session-000001"}
    flipped = {**shown, "arms": ["a" if arm == "b" else "b" for arm in shown["arms"]]}
    refused = client.post("/api/impression", json={**impression, "experiment": flipped})
    assert refused.status_code == 400
    assert refused.get_json()["error"]["field"] == "experiment.token"
    short = {**shown, "arms": shown["arms"][:-1]}
    refused = client.post("/api/impression", json={**impression, "experiment": short})
    assert refused.status_code == 400
    assert refused.get_json()["error"]["field"] == "experiment.arms"
    unknown = {**shown, "name": "nothing-here"}
    assert (
        client.post("/api/impression", json={**impression, "experiment": unknown}).status_code
        == 400
    )
    accepted = client.post("/api/impression", json={**impression, "experiment": shown})
    assert accepted.status_code == 204
    # Without a session the served engine answers, outside the experiment.
    plain = client.get("/api/suggest", query_string={"q": "toy", "k": 8}).get_json()
    assert "experiment" not in plain
    bad = client.get("/api/suggest", query_string={"q": "toy", "session": "x"})
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "session"


def test_without_experiments_the_report_is_empty(movies: Autocomplete) -> None:
    engine = Autocomplete(movies.index, feedback="memory://")
    client = create_app({"ENGINE": engine}).test_client()
    assert client.get("/api/experiments").get_json() == {"experiments": []}
    body = client.get("/api/suggest", query_string={"q": "toy", "session": "session-1"})
    assert "experiment" not in body.get_json()
    page = client.get("/experiments")
    assert page.status_code == 200 and b"No experiment runs" in page.data
    assert b'href="/experiments"' not in client.get("/").data
    engine.close()


def test_serve_takes_an_experiment_file(tmp_path: Path) -> None:
    import argparse

    parser = argparse.ArgumentParser()
    add_command(parser.add_subparsers())
    path = tmp_path / "experiments.json"
    args = parser.parse_args(["serve", "--experiment", str(path), "--feedback", "memory://"])
    assert app_config(args)["EXPERIMENTS"] == str(path)
    args = parser.parse_args(["serve", "--experiment", str(path), "--feedback", "off"])
    with pytest.raises(SystemExit, match="needs a click store"):
        app_config(args)


def test_the_environment_names_the_experiment_file_and_key() -> None:
    from autocomplete.web.config import config_from_env

    config = config_from_env(
        {
            "AUTOCOMPLETE_EXPERIMENTS": "/etc/ac/experiments.toml",
            "AUTOCOMPLETE_EXPERIMENT_SECRET": "k",
        }
    )
    assert config == {"EXPERIMENTS": "/etc/ac/experiments.toml", "EXPERIMENT_SECRET": "k"}


def test_a_bad_experiment_file_stops_the_app_with_the_field_named(
    movies: Autocomplete, tmp_path: Path
) -> None:
    path = tmp_path / "experiments.json"
    path.write_text('{"experiments": [{"name": "x", "design": "split"}]}', encoding="utf-8")
    engine = Autocomplete(movies.index, feedback="memory://")
    with pytest.raises(ValueError, match=r"experiments\[0\]\.design"):
        create_app({"ENGINE": engine, "EXPERIMENTS": str(path)})
    engine.close()


def test_two_workers_sharing_a_store_and_key_accept_each_others_lists_and_agree(
    movies: Autocomplete, tmp_path: Path
) -> None:
    clock = Clock()
    config = FeedbackConfig(refresh_interval_s=0)
    workers = []
    for _ in range(2):
        layer = FeedbackLayer(
            SqliteStore(tmp_path / "shared.db", clock=clock), config=config, clock=clock
        )
        engine = Autocomplete(movies.index, feedback=layer)
        settings = {"ENGINE": engine, "EXPERIMENTS": PREFERRED, "EXPERIMENT_SECRET": "shared"}
        workers.append(create_app(settings))
    first, second = (app.test_client() for app in workers)
    session = "session-000042"
    body = first.get(
        "/api/suggest", query_string={"q": "toy", "k": 8, "session": session}
    ).get_json()
    ids = [item["id"] for item in body["suggestions"]]
    impression = {
        "query": "toy",
        "ids": ids,
        "session_id": session,
        "experiment": body["experiment"],
    }
    assert second.post("/api/impression", json=impression).status_code == 204
    arm = body["experiment"]["arms"][2]
    clock.advance(2.0)
    click = {"query": "toy", "id": ids[2], "position": 3, "session_id": session, "dwell_ms": 9_000}
    assert first.post("/api/click", json=click).status_code == 204
    reports = [_report(app, client) for app, client in zip(workers, (first, second), strict=True)]
    assert reports[0] == reports[1]
    assert reports[0]["sessions"] == 1 and reports[0][f"wins_{arm}"] == 1
    for app in workers:
        app.extensions["autocomplete"].close()


def test_a_worker_with_another_key_refuses_the_list(movies: Autocomplete) -> None:
    apps = [
        create_app(
            {
                "ENGINE": Autocomplete(movies.index, feedback="memory://"),
                "EXPERIMENTS": PREFERRED,
                "EXPERIMENT_SECRET": key,
            }
        )
        for key in ("one", "two")
    ]
    first, second = (app.test_client() for app in apps)
    session = "session-000043"
    body = first.get("/api/suggest", query_string={"q": "toy", "session": session}).get_json()
    ids = [item["id"] for item in body["suggestions"]]
    impression = {
        "query": "toy",
        "ids": ids,
        "session_id": session,
        "experiment": body["experiment"],
    }
    refused = second.post("/api/impression", json=impression)
    assert refused.status_code == 400 and refused.get_json()["error"]["field"] == "experiment.token"
    for app in apps:
        app.extensions["autocomplete"].close()
