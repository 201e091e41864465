"""The web app under abuse: a sybil click campaign, a write flood, forged forwarding headers, a
forged Host, and errors gunicorn writes itself. Real engine (the bundled catalog), real click
store, real gunicorn."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from autocomplete import Autocomplete
from autocomplete.feedback import FeedbackConfig, FeedbackLayer, MemoryStore
from autocomplete.serve import add_command, app_config
from autocomplete.web import SECURITY_HEADERS, create_app

REPO = Path(__file__).resolve().parents[1]
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"
PREFIX = "the big"


def _app(movies: Autocomplete, config: FeedbackConfig | None = None, **settings: Any) -> Flask:
    layer = FeedbackLayer(MemoryStore(), config=config or FeedbackConfig(refresh_interval_s=0))
    engine = Autocomplete(movies.index, feedback=layer)
    return create_app({"TESTING": True, "ENGINE": engine, **settings})


def _close(app: Flask) -> None:
    app.extensions["autocomplete"].close()


def _ids(client: FlaskClient, k: int) -> list[str]:
    body = client.get(f"/api/suggest?q={PREFIX}&k={k}").get_json()
    return [item["id"] for item in body["suggestions"]]


def _post(client: FlaskClient, path: str, body: dict[str, Any], address: str) -> int:
    response = client.post(path, json=body, environ_base={"REMOTE_ADDR": address})
    return response.status_code


# A sybil campaign -----------------------------------------------------------------------------


def _attack(app: Flask, organic_networks: int) -> tuple[int, str]:
    """Organic visitors, then 16 addresses x 20 sessions pushing the title ranked 60th; its
    new rank (1-based; 0 when it is not in the first 60) and its id."""
    client = app.test_client()
    ranked = _ids(client, 60)
    target = ranked[59]
    top = ranked[:10]
    for number in range(organic_networks):  # people in their own networks choosing among the top
        address = f"172.{16 + number // 250}.{number % 250}.9"
        session = f"organic-{number:05d}"
        shown = {"query": PREFIX, "ids": top, "session_id": session}
        assert _post(client, "/api/impression", shown, address) == 204
        if number % 3 == 0:
            position = number % 3 + 1
            chosen = {"query": PREFIX, "id": top[position - 1], "position": position}
            clicked = {**chosen, "session_id": session, "dwell_ms": 60_000}
            assert _post(client, "/api/click", clicked, address) == 204
    # The campaign: each address in a network of its own (the worst case: one /24 counts once).
    faked = [*top[:9], target]
    for attacker in range(16):
        address = f"198.{18 + attacker // 200}.{attacker}.7"
        for number in range(20):
            session = f"sybil-{attacker:02d}-{number:02d}-x"
            shown = {"query": PREFIX, "ids": faked, "session_id": session}
            assert _post(client, "/api/impression", shown, address) == 204
            chosen = {"query": PREFIX, "id": target, "position": 10, "dwell_ms": 60_000}
            assert _post(client, "/api/click", {**chosen, "session_id": session}, address) == 204
    app.extensions["autocomplete"].feedback.refresh()
    after = _ids(client, 60)
    return (after.index(target) + 1 if target in after else 0), target


@pytest.mark.slow
def test_sixteen_addresses_cannot_buy_the_top_ten_of_a_popular_prefix(movies: Autocomplete) -> None:
    app = _app(movies)
    try:
        rank, target = _attack(app, organic_networks=300)
    finally:
        _close(app)
    assert rank == 0 or rank > 10, f"{target} rose to {rank}"
    # The same campaign without the breadth bound does buy it: the test can fail.
    unbounded = FeedbackConfig(refresh_interval_s=0, breadth_min_clients=0, breadth_share=0)
    app = _app(movies, unbounded)
    try:
        rank, _ = _attack(app, organic_networks=300)
    finally:
        _close(app)
    assert 1 <= rank <= 10


# The write flood -------------------------------------------------------------------------------


def _impression(session: str = "flood-session-1") -> dict[str, Any]:
    return {"query": PREFIX, "ids": ["m5567", "m5606"], "session_id": session}


def test_a_write_flood_gets_429_with_retry_after(movies: Autocomplete) -> None:
    app = _app(movies, WRITE_RATE_BURST=5, WRITE_RATE_PER_MINUTE=6)
    try:
        client = app.test_client()
        statuses = [_post(client, "/api/impression", _impression(), "192.0.2.1") for _ in range(5)]
        assert statuses == [204] * 5
        response = client.post(
            "/api/click",
            json={"query": PREFIX, "id": "m5567", "position": 1, "session_id": "flood-session-1"},
            environ_base={"REMOTE_ADDR": "192.0.2.1"},
        )
        assert response.status_code == 429
        assert 1 <= int(response.headers["Retry-After"]) <= 10  # a token per 10 s
        assert response.get_json()["error"]["status"] == 429
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        # Another client, and reads, are not limited.
        assert _post(client, "/api/impression", _impression(), "192.0.2.2") == 204
        assert (
            client.get("/api/suggest?q=the", environ_base={"REMOTE_ADDR": "192.0.2.1"}).status_code
            == 200
        )
        # Addresses of one IPv6 /64 share a bucket.
        v6 = [_post(client, "/api/impression", _impression(), f"2001:db8::{n}") for n in range(7)]
        assert v6 == [204] * 5 + [429] * 2
    finally:
        _close(app)


@pytest.mark.parametrize(
    "setting", ["WRITE_RATE_BURST", "WRITE_RATE_PER_MINUTE", "WRITE_RATE_CLIENTS"]
)
def test_rate_limit_settings_are_checked(movies: Autocomplete, setting: str) -> None:
    with pytest.raises(ValueError, match=setting):
        _app(movies, **{setting: 0})


# Forwarded headers -----------------------------------------------------------------------------


def _flood_with_forged_forwarding(client: FlaskClient, peer: str) -> list[int]:
    return [
        client.post(
            "/api/impression",
            json=_impression(f"forged-session-{n}"),
            environ_base={"REMOTE_ADDR": peer},
            headers={"X-Forwarded-For": f"203.0.113.{n}"},
        ).status_code
        for n in range(4)
    ]


def test_x_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(
    movies: Autocomplete,
) -> None:
    # No trusted proxies at all: the peer's address is the client, whatever it forwards.
    app = _app(movies, WRITE_RATE_BURST=2)
    try:
        assert _flood_with_forged_forwarding(app.test_client(), "192.0.2.50") == [
            204,
            204,
            429,
            429,
        ]
    finally:
        _close(app)
    # One trusted proxy, but this peer is not it: still the peer's address.
    app = _app(
        movies, WRITE_RATE_BURST=2, TRUSTED_PROXIES=1, TRUSTED_PROXY_NETWORKS=["10.9.0.0/16"]
    )
    try:
        client = app.test_client()
        assert _flood_with_forged_forwarding(client, "192.0.2.50") == [204, 204, 429, 429]
        # From the proxy, the forwarded address is the client: four clients, four buckets.
        assert _flood_with_forged_forwarding(client, "10.9.3.4") == [204] * 4
        # ...and it is the address the click store's guard counts.
        client.post(
            "/api/impression",
            json=_impression("proxied-session-1"),
            environ_base={"REMOTE_ADDR": "10.9.3.4"},
            headers={"X-Forwarded-For": "198.51.100.77"},
        )
        store = app.extensions["autocomplete"].feedback.store
        clients = {recorded.event.client for recorded in store.read(0, 100)}
        assert "198.51.100.77" in clients and "192.0.2.50" in clients
        assert "10.9.3.4" not in clients
    finally:
        _close(app)


def test_trusted_proxy_networks_are_checked(movies: Autocomplete) -> None:
    with pytest.raises(ValueError, match="TRUSTED_PROXY_NETWORKS: 'nginx'"):
        _app(movies, TRUSTED_PROXIES=1, TRUSTED_PROXY_NETWORKS=["nginx"])


# Host header -----------------------------------------------------------------------------------


def _templates(body: bytes) -> list[str]:
    return [url.get("template") or "" for url in ET.fromstring(body).iter(OPENSEARCH + "Url")]


def test_a_configured_public_url_ignores_the_host_header(movies: Autocomplete) -> None:
    app = _app(movies, PUBLIC_URL="https://search.example.org")
    try:
        client = app.test_client()
        response = client.get("/opensearch.xml", headers={"Host": "evil.example"})
        assert all(t.startswith("https://search.example.org/") for t in _templates(response.data))
        assert "evil.example" not in response.get_data(as_text=True)
        assert response.headers["Cache-Control"] == "public, max-age=3600"
        suggestions = client.get("/opensearch/suggest?q=the+big", headers={"Host": "evil.example"})
        urls = suggestions.get_json()[3]
        assert urls and all(url.startswith("https://search.example.org/?q=") for url in urls)
    finally:
        _close(app)


def test_without_a_public_url_host_dependent_bodies_are_not_cached_publicly(
    movies: Autocomplete,
) -> None:
    app = _app(movies)
    try:
        client = app.test_client()
        for path in ("/opensearch.xml", "/opensearch/suggest?q=the+big"):
            response = client.get(path, headers={"Host": "evil.example"})
            assert "public" not in response.headers["Cache-Control"]
            assert response.headers["Cache-Control"].startswith("private")
            assert "Host" in response.headers["Vary"]
    finally:
        _close(app)


@pytest.mark.parametrize(
    "url", ["search.example.org", "ftp://x.example/", "https://x.example/?a=1"]
)
def test_a_bad_public_url_is_refused(movies: Autocomplete, url: str) -> None:
    with pytest.raises(ValueError, match="PUBLIC_URL"):
        _app(movies, PUBLIC_URL=url)


def test_serve_takes_a_public_url() -> None:
    import argparse

    parser = argparse.ArgumentParser()
    add_command(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["serve", "--public-url", "https://search.example.org/"])
    assert app_config(args)["PUBLIC_URL"] == "https://search.example.org/"


# gunicorn: security headers on its own errors --------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _raw(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(request)
        received = b""
        while chunk := connection.recv(65_536):
            received += chunk
    return received


def _headers(response: bytes) -> tuple[int, dict[str, str]]:
    head = response.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    status = int(head[0].split()[1])
    fields = dict(line.split(": ", 1) for line in head[1:])
    return status, {name.lower(): value for name, value in fields.items()}


@pytest.fixture
def gunicorn_port() -> Iterator[int]:
    port = _free_port()
    env = {
        **os.environ,
        "AUTOCOMPLETE_BIND": f"127.0.0.1:{port}",
        "AUTOCOMPLETE_WORKERS": "1",
        "AUTOCOMPLETE_FEEDBACK": "off",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:autocomplete.web.gunicorn_conf"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise AssertionError(f"gunicorn exited with {process.returncode}")
            try:
                status, _ = _headers(_raw(port, b"GET /api/health HTTP/1.0\r\n\r\n"))
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("gunicorn did not answer within 120 s")
            time.sleep(0.3)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.mark.slow
def test_gunicorn_sends_the_security_headers_on_every_response(gunicorn_port: int) -> None:
    requests = {
        414: b"GET /?q=" + b"a" * 8_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",  # gunicorn's own
        400: b"GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",  # gunicorn's own
        404: b"GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",  # the app's
        200: b"GET /opensearch.xml HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    }
    for expected, request in requests.items():
        status, headers = _headers(_raw(gunicorn_port, request))
        assert status == expected
        for name, value in SECURITY_HEADERS.items():
            assert headers.get(name.lower()) == value, (expected, name)
