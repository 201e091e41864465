"""gunicorn settings: ``gunicorn -c python:web.gunicorn_conf`` (or ``-c web/gunicorn_conf.py``).

Several workers share one memory-mapped index: the master prepares the saved index once, before
forking (``on_starting``), and every worker then opens it with ``Autocomplete.load``, mapping the
same files, so the page cache holds one copy. The app is *not* preloaded in the master, so each
worker opens its own connection to the click store (SQLite and Redis connections must not cross
a fork).

Environment: ``AUTOCOMPLETE_BIND`` (default 127.0.0.1:8000), ``AUTOCOMPLETE_WORKERS`` (2),
``AUTOCOMPLETE_THREADS`` (4), plus the app's settings read by ``web.wsgi``.
"""

from __future__ import annotations

import os
from typing import Any

from .config import ENV_PREFIX, config_from_env

wsgi_app = "autocomplete.web.wsgi:app"
bind = os.environ.get(ENV_PREFIX + "BIND", "127.0.0.1:8000")
workers = int(os.environ.get(ENV_PREFIX + "WORKERS", "2"))
# Threads keep connections alive for browsers; a suggestion costs about a millisecond of CPU.
worker_class = "gthread"
threads = int(os.environ.get(ENV_PREFIX + "THREADS", "4"))
keepalive = 5
preload_app = False
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
