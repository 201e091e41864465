"""``autocomplete serve``: the typeahead web app on a local development server.

The app itself is the ``web`` package (installed beside ``autocomplete``). This command runs it
in one threaded process, which suits a demo; for production, gunicorn with several workers
sharing one memory-mapped index is documented in ``docs/web.md``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_FEEDBACK = "sqlite:///var/clicks.db"
"""The click store of ``make demo``: a SQLite file under ``var/``, relative to the directory."""

_SQLITE_PREFIX = "sqlite:///"
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def add_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``serve`` on the ``autocomplete`` command line."""
    serve = commands.add_parser(
        "serve",
        help="run the typeahead web app",
        description="Serve the typeahead page, the JSON API and OpenSearch suggestions.",
    )
    serve.add_argument("--host", default=DEFAULT_HOST, help=f"address (default {DEFAULT_HOST})")
    serve.add_argument(
        "--port", type=_port, default=DEFAULT_PORT, help=f"TCP port (default {DEFAULT_PORT})"
    )
    serve.add_argument(
        "--catalog",
        help="CSV/JSONL catalog or saved index directory (default: the bundled movies)",
    )
    serve.add_argument(
        "--feedback",
        default=DEFAULT_FEEDBACK,
        help="click store: sqlite:///PATH, redis://HOST:PORT/DB, memory:// or off "
        f"(default {DEFAULT_FEEDBACK})",
    )
    serve.add_argument(
        "--updates",
        default=None,
        help="live catalog updates: the update log every process replays, sqlite:///PATH or "
        "redis://HOST:PORT/DB (default: off); see docs/live-updates.md",
    )
    serve.add_argument(
        "--updates-token",
        default=None,
        help="the bearer token POST/DELETE /api/titles require (default: "
        "$AUTOCOMPLETE_UPDATES_TOKEN; without one those endpoints are off)",
    )
    serve.add_argument(
        "--public-url",
        default=None,
        help="the site's public base URL (https://search.example.com/) for the absolute URLs "
        "of the OpenSearch documents; without it they follow the request's Host header",
    )
    serve.add_argument(
        "--experiment",
        type=Path,
        default=None,
        metavar="FILE",
        help="run the online experiments of a JSON/TOML file (docs/experiments.md); their "
        "reports are at /api/experiments and /experiments",
    )
    serve.add_argument("--text-field", default="title", help="catalog field with the title")
    serve.add_argument("--weight-field", default=None, help="numeric popularity field")
    serve.add_argument("--id-field", default=None, help="unique id field")
    serve.add_argument("--alias-field", default=None, help="field of aliases/abbreviations")
    serve.set_defaults(run=run)


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65_535:
        raise argparse.ArgumentTypeError(f"must be between 0 and 65535, got {value}")
    return value


def app_config(args: argparse.Namespace) -> dict[str, Any]:
    """The ``web.create_app`` settings for the command-line options."""
    feedback: str | None = None if args.feedback.lower() == "off" else args.feedback
    fields = {
        "text_field": args.text_field,
        "weight_field": args.weight_field,
        "id_field": args.id_field,
        "alias_field": args.alias_field,
    }
    config: dict[str, Any] = {
        "CATALOG": args.catalog,
        "CATALOG_FIELDS": {name: value for name, value in fields.items() if value is not None},
        "FEEDBACK": feedback,
    }
    if args.public_url is not None:
        config["PUBLIC_URL"] = args.public_url
    updates = getattr(args, "updates", None)
    if updates:
        config["UPDATES"] = updates
    # A token on the command line shows in the process list: the environment is preferred.
    token = getattr(args, "updates_token", None) or os.environ.get("AUTOCOMPLETE_UPDATES_TOKEN")
    if token:
        config["UPDATES_TOKEN"] = token
    if args.experiment is not None:
        if feedback is None:
            raise SystemExit("autocomplete serve: --experiment needs a click store (--feedback)")
        config["EXPERIMENTS"] = str(args.experiment)
    return config


def run(args: argparse.Namespace) -> int:
    config = app_config(args)
    feedback: str | None = config["FEEDBACK"]
    if feedback is not None and feedback.startswith(_SQLITE_PREFIX):
        # sqlite:///var/clicks.db is relative to the working directory; make its folder.
        Path(feedback[len(_SQLITE_PREFIX) :]).parent.mkdir(parents=True, exist_ok=True)
    app = _app_factory()(config)
    if args.host not in _LOOPBACK:
        print(
            f"autocomplete serve: listening on {args.host}, beyond this machine; the "
            "development server is not hardened, see docs/web.md for gunicorn",
            file=sys.stderr,
        )
    catalog = args.catalog or "the bundled movies"
    print(f"Serving {catalog} on http://{_url_host(args.host)}:{args.port}/ (Ctrl+C stops)")
    print(f"Click store: {feedback or 'off'}")
    if config.get("UPDATES"):
        writable = "with a token" if config.get("UPDATES_TOKEN") else "endpoints off: no token"
        print(f"Live updates: {config['UPDATES']} ({writable})")
    if config.get("EXPERIMENTS"):
        print(f"Experiments: {config['EXPERIMENTS']} (reports at /experiments)")
    try:
        app.run(host=args.host, port=args.port, threaded=True, use_reloader=False)
    finally:
        app.extensions["autocomplete"].close()  # flush and close the click store
    return 0


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _app_factory() -> Callable[[Mapping[str, Any]], Any]:
    # Imported by name, here: only this command needs Flask's app, and web/ (installed as
    # autocomplete.web through a package-dir mapping) is type-checked as its own tree.
    factory: Callable[[Mapping[str, Any]], Any] = importlib.import_module(
        "autocomplete.web"
    ).create_app
    return factory
