"""Simulated users for the online-experiment tests: the library-path users and runs of
``autocomplete.tools.experiment_simulation``, and ``HttpUser``, the same user through the web
API (as the page's script does)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask.testing import FlaskClient

from autocomplete.tools.experiment_simulation import (
    LibraryUser,
    SimulatedUser,
    intents,
    run_until_stopped,
    simulate,
)
from autocomplete.tools.feedback_simulation import K

__all__ = ["HttpUser", "LibraryUser", "intents", "run_until_stopped", "simulate"]


class HttpUser(SimulatedUser):
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
