"""Simulated users for the online-experiment tests: the feedback simulation's user model
(``autocomplete.tools.feedback_simulation.human_session``: typing, position-biased examination,
stray clicks) driving an experiment through the library or through the HTTP API."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from flask.testing import FlaskClient

from autocomplete import Autocomplete
from autocomplete.experiments import ExperimentAnswer, Experiments
from autocomplete.text.normalize import normalize_typed
from autocomplete.tools.feedback_simulation import (
    Clock,
    Intent,
    K,
    Recorder,
    UserModel,
    human_session,
)


def intents(
    engine: Autocomplete, count: int, where: Mapping[str, object] | None = None
) -> list[Intent]:
    """The ``count`` most popular titles (within ``where``), as simulated users type them."""
    found = []
    for item in engine.suggest("", count, where=where):
        text = normalize_typed(item.text)
        if len(text) >= 4:
            found.append(Intent(item.id, item.text, text))
    return found


class LibraryUser(Recorder):
    """One session through ``Experiments`` (what an application serving its own pages does)."""

    def __init__(self, experiments: Experiments, session: str) -> None:
        super().__init__(None)
        self._experiments = experiments
        self._session = session
        self._answer = ExperimentAnswer([])

    def show(self, prefix: str) -> list[str]:
        self._answer = self._experiments.suggest(prefix, K, session_id=self._session)
        return list(self._answer.ids)

    def impression(self, query: str, ids: Sequence[str], session: str, client: str | None) -> None:
        if ids:
            self._experiments.record_impression(query, self._answer, session, client=client)

    def click(
        self, query: str, item: str, position: int, session: str, dwell_s: float, client: str | None
    ) -> None:
        self._experiments.engine.record_click(
            query, item, position, session, round(dwell_s * 1000), client=client
        )


class HttpUser(Recorder):
    """One session through the web API, from its own address (as the page's script does)."""

    def __init__(self, client: FlaskClient, session: str, address: str) -> None:
        super().__init__(None)
        self._client = client
        self._session = session
        self._environ = {"REMOTE_ADDR": address}
        self._body: dict[str, Any] = {}

    def show(self, prefix: str) -> list[str]:
        response = self._client.get(
            "/api/suggest",
            query_string={"q": prefix, "k": K, "session": self._session},
            environ_base=self._environ,
        )
        assert response.status_code == 200, response.get_json()
        self._body = response.get_json()
        return [item["id"] for item in self._body["suggestions"]]

    def impression(self, query: str, ids: Sequence[str], session: str, client: str | None) -> None:
        if not ids:
            return
        posted: dict[str, Any] = {"query": query, "ids": list(ids), "session_id": session}
        if "experiment" in self._body:
            posted["experiment"] = self._body["experiment"]
        response = self._client.post("/api/impression", json=posted, environ_base=self._environ)
        assert response.status_code == 204, response.get_json()

    def click(
        self, query: str, item: str, position: int, session: str, dwell_s: float, client: str | None
    ) -> None:
        response = self._client.post(
            "/api/click",
            json={
                "query": query,
                "id": item,
                "position": position,
                "session_id": session,
                "dwell_ms": round(dwell_s * 1000),
            },
            environ_base=self._environ,
        )
        assert response.status_code == 204, response.get_json()


def simulate(
    sessions: int,
    wanted: Sequence[Intent],
    user_for: Callable[[str, int], LibraryUser | HttpUser],
    *,
    seed: int,
    clock: Clock,
    users: UserModel | None = None,
) -> int:
    """Run ``sessions`` simulated sessions, each wanting a title of ``wanted`` (``user_for``
    makes the user of a session id and number); how many clicked what they wanted."""
    model = users if users is not None else UserModel()
    clicked = 0
    for number in range(sessions):
        rng = random.Random(seed * 1_000_003 + number)
        intent = wanted[rng.randrange(len(wanted))]
        session = f"user-{seed}-{number:06d}"
        user = user_for(session, number)
        clicked += human_session(intent, user.show, user, session, model, rng, clock)
    return clicked


def run_until_stopped(
    experiments: Experiments,
    wanted: Sequence[Intent],
    *,
    seed: int,
    clock: Clock,
    users: UserModel | None = None,
    most_sessions: int = 2_000,
) -> int:
    """Library-path sessions, one at a time, until the (single) experiment's stopping rule is
    met: the report is then read once, as the fixed-sample rule prescribes. The sessions run."""
    layer = experiments.engine.feedback
    assert layer is not None
    (experiment,) = experiments.experiments
    required = experiment.config.stopping.sessions
    for number in range(most_sessions):
        simulate_one(experiments, wanted, seed, number, clock, users)
        # No stopping rule can be met before this many sessions ran (a session decides at most
        # one interleaving outcome; an A/B split needs ``required`` sessions in each arm).
        interleave = experiment.config.design == "interleave"
        floor = required if interleave else 2 * required
        # An A/B split is looked at every fifth session (its report walks every open session):
        # the one look then falls at most four sessions past the fixed sample.
        if number + 1 >= floor and (interleave or (number + 1 - floor) % 5 == 0):
            layer.refresh()
            if experiment.report().stopping_rule_met:
                return number + 1
    raise AssertionError(f"the stopping rule was not met in {most_sessions} sessions")


def simulate_one(
    experiments: Experiments,
    wanted: Sequence[Intent],
    seed: int,
    number: int,
    clock: Clock,
    users: UserModel | None,
) -> bool:
    rng = random.Random(seed * 1_000_003 + number)
    intent = wanted[rng.randrange(len(wanted))]
    session = f"user-{seed}-{number:06d}"
    user = LibraryUser(experiments, session)
    model = users if users is not None else UserModel()
    return human_session(intent, user.show, user, session, model, rng, clock)
