"""gunicorn settings: ``gunicorn -c python:autocomplete.web.gunicorn_conf``.

Several workers share one memory-mapped index: the master prepares the saved index once, before
forking (``on_starting``), and every worker then opens it with ``Autocomplete.load``, mapping the
same files, so the page cache holds one copy. The app is *not* preloaded in the master, so each
worker opens its own connection to the click store (SQLite and Redis connections must not cross
a fork).

Every response carries the security headers, including the errors gunicorn writes itself before
the app sees the request (414 for an over-long request line, 431, 400 for a malformed one): the
workers are ``SecureThreadWorker``, gunicorn's threaded worker whose error writer adds them.

Environment: ``AUTOCOMPLETE_BIND`` (default 127.0.0.1:8000), ``AUTOCOMPLETE_WORKERS`` (2),
``AUTOCOMPLETE_THREADS`` (4), plus the app's settings read by ``autocomplete.web.wsgi``.
"""

from __future__ import annotations

import os
import secrets
from typing import Any

from gunicorn.workers.gthread import ThreadWorker  # type: ignore[import-untyped]

from . import SECURITY_HEADERS
from .config import ENV_PREFIX, config_from_env

_ERROR_HEADERS = b"".join(
    f"{name}: {value}\r\n".encode("latin-1")
    for name, value in {**SECURITY_HEADERS, "Cache-Control": "no-store"}.items()
)


class _SecuredErrorSocket:
    """A client socket as gunicorn's error writer sees it: the one response written through it
    gets the security headers after its status line."""

    def __init__(self, sock: Any) -> None:
        self._sock = sock

    def sendall(self, data: bytes) -> None:
        status_end = data.find(b"\r\n")
        if data.startswith(b"HTTP/") and status_end > 0:
            data = data[: status_end + 2] + _ERROR_HEADERS + data[status_end + 2 :]
        self._sock.sendall(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class SecureThreadWorker(ThreadWorker):  # type: ignore[misc]
    """gunicorn's threaded worker, whose own error responses carry the security headers."""

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        super().handle_error(req, _SecuredErrorSocket(client), addr, exc)


wsgi_app = "autocomplete.web.wsgi:app"
bind = os.environ.get(ENV_PREFIX + "BIND", "127.0.0.1:8000")
workers = int(os.environ.get(ENV_PREFIX + "WORKERS", "2"))
# Threads keep connections alive for browsers; a suggestion costs about a millisecond of CPU.
worker_class = SecureThreadWorker
threads = int(os.environ.get(ENV_PREFIX + "THREADS", "4"))
keepalive = 5
preload_app = False
# No control socket: the demo needs none, and it would be one file in $HOME for every server.
control_socket_disable = True
accesslog = os.environ.get(ENV_PREFIX + "ACCESS_LOG") or None
errorlog = "-"
loglevel = "info"


def on_starting(server: Any) -> None:
    """Build or find the saved index once, and point every worker at that directory."""
    from .service import prepare_index

    config = config_from_env()
    directory = prepare_index(config.get("CATALOG"), config.get("CATALOG_FIELDS"))
    if directory is not None:
        os.environ[ENV_PREFIX + "CATALOG"] = directory
    server.log.info("index ready: %s", directory or "bundled catalog (user cache)")
    if config.get("EXPERIMENTS") and not config.get("EXPERIMENT_SECRET"):
        # Workers sign experiment answers and check the impressions clients send back, which
        # may reach another worker: they need one key. Drawn here, before the fork, when the
        # deployment gives none (a restart draws another; answers in flight are then refused).
        os.environ[ENV_PREFIX + "EXPERIMENT_SECRET"] = secrets.token_hex(32)
