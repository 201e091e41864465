"""A sybil click campaign against the web app: how far can a few addresses push a title?

Through the HTTP API (Flask's test client, the bundled catalog, an in-memory click store), the
attack of issue 13: for the prefix "the big", the title ranked 60th is pushed by ``A`` addresses
with 20 session ids each, every session an impression listing the target at position 10 and a
click there with a 60 s dwell. Before it, ``N`` organic visitors, each in a /24 of their own,
see the top 10 and one in three clicks the first. Prints the target's rank after the campaign,
with the breadth bound (the defaults) and without it.

    .venv/bin/python scripts/sybil_campaign.py          # about a minute
"""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from autocomplete import Autocomplete
from autocomplete.feedback import FeedbackConfig, FeedbackLayer, MemoryStore
from autocomplete.web import create_app

PREFIX = "the big"
SESSIONS_PER_ADDRESS = 20


def _post(client: FlaskClient, path: str, body: dict[str, Any], address: str) -> None:
    status = client.post(path, json=body, environ_base={"REMOTE_ADDR": address}).status_code
    if status != 204:
        raise SystemExit(f"{path} answered {status}")


def _ranked(client: FlaskClient, k: int) -> list[str]:
    body = client.get(f"/api/suggest?q={PREFIX}&k={k}").get_json()
    return [item["id"] for item in body["suggestions"]]


def campaign(
    movies: Autocomplete, config: FeedbackConfig, organic: int, addresses: int, one_network: bool
) -> str:
    """The target's rank after the campaign ("-" if not in the first 65)."""
    engine = Autocomplete(movies.index, feedback=FeedbackLayer(MemoryStore(), config=config))
    app = create_app({"ENGINE": engine})
    client = app.test_client()
    try:
        ranked = _ranked(client, 60)
        target, top = ranked[59], ranked[:10]
        for number in range(organic):
            address = f"172.{16 + number // 250}.{number % 250}.9"
            session = f"organic-{number:05d}"
            _post(
                client,
                "/api/impression",
                {"query": PREFIX, "ids": top, "session_id": session},
                address,
            )
            if number % 3 == 0:
                click = {"query": PREFIX, "id": top[0], "position": 1, "dwell_ms": 60_000}
                _post(client, "/api/click", {**click, "session_id": session}, address)
        faked = [*top[:9], target]
        for attacker in range(addresses):
            if one_network:
                address = f"198.18.0.{attacker + 1}"
            else:
                address = f"198.{18 + attacker // 200}.{attacker % 200}.7"
            for number in range(SESSIONS_PER_ADDRESS):
                session = f"sybil-{attacker:03d}-{number:02d}-x"
                shown = {"query": PREFIX, "ids": faked, "session_id": session}
                _post(client, "/api/impression", shown, address)
                click = {"query": PREFIX, "id": target, "position": 10, "dwell_ms": 60_000}
                _post(client, "/api/click", {**click, "session_id": session}, address)
        engine.feedback.refresh()  # type: ignore[union-attr]
        after = _ranked(client, 65)
        return str(after.index(target) + 1) if target in after else "-"
    finally:
        engine.close()


def main() -> None:
    movies = Autocomplete()
    configs = {
        "breadth bound": FeedbackConfig(refresh_interval_s=0),
        "no breadth bound": FeedbackConfig(
            refresh_interval_s=0, breadth_min_clients=0, breadth_share=0
        ),
    }
    print("target ranked 60th for 'the big'; its rank after the campaign")
    for label, config in configs.items():
        for organic in (0, 300):
            ranks = [
                f"{addresses} networks: {campaign(movies, config, organic, addresses, False)}"
                for addresses in (2, 4, 16, 80)
            ]
            print(f"{label}, {organic} organic networks: " + ", ".join(ranks), flush=True)
        one = campaign(movies, config, 0, 16, True)
        print(f"{label}, 16 addresses of one /24, no organic traffic: {one}", flush=True)


if __name__ == "__main__":
    main()
