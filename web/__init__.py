"""The typeahead web app: a JSON API, OpenSearch endpoints and an accessible search page.

    app = create_app({"CATALOG": "books.idx", "FEEDBACK": "sqlite:///var/clicks.db"})

Settings and their defaults are in ``autocomplete.web.config``; ``autocomplete.web.wsgi`` is
the gunicorn entry point.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, current_app, request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from autocomplete import IndexFormatError

from . import ratelimit
from .clients import TrustedProxyFix, parse_networks
from .config import DEFAULTS, public_url
from .service import open_engine, open_experiments
from .validation import DAMAGED_INDEX, ApiError

__all__ = ["CONTENT_SECURITY_POLICY", "create_app"]

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",  # no inline script, no eval: injected markup cannot run
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "manifest-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}

# Paths whose errors are JSON: machine clients read them.
_JSON_PATHS = ("/api/", "/opensearch/")


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The app for ``config`` (see ``autocomplete.web.config.DEFAULTS``); opens the engine
    right away."""
    app = Flask(__name__)
    app.config.from_mapping(DEFAULTS)
    if config is not None:
        app.config.from_mapping(config)
    app.json.sort_keys = False  # type: ignore[attr-defined]  # responses keep the documented order
    # Settings are checked before the engine opens, so a typo fails fast and leaks nothing.
    app.config["PUBLIC_URL"] = public_url(app.config["PUBLIC_URL"])
    networks = parse_networks(app.config["TRUSTED_PROXY_NETWORKS"], "TRUSTED_PROXY_NETWORKS")
    ratelimit.install(app)
    engine = open_engine(app.config)
    engine.prepare()  # the first keystroke should not wait for what is built on first use
    app.extensions["autocomplete"] = engine
    running = open_experiments(app.config, engine)
    if running is not None:
        running.prepare()
        app.extensions["autocomplete.experiments"] = running
    bundled = app.config["CATALOG"] is None and app.config["ENGINE"] is None
    if app.config["SITE_NAME"] is None:
        app.config["SITE_NAME"] = "Movie search" if bundled else "Title search"
    if app.config["SITE_DESCRIPTION"] is None:
        things = "films" if bundled else "titles"
        app.config["SITE_DESCRIPTION"] = f"Search {len(engine):,} {things}, typos welcome."
    proxies = int(app.config["TRUSTED_PROXIES"])
    if proxies > 0:
        app.wsgi_app = TrustedProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, proxies, networks
        )

    from . import api, opensearch, pages, titles

    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(titles.bp)
    app.register_blueprint(opensearch.bp)
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(IndexFormatError, _damaged_index)
    app.register_error_handler(Exception, _unexpected_error)
    app.after_request(_secure)
    return app


def _api_error(error: ApiError) -> tuple[dict[str, Any], int]:
    return error.payload(), error.status


def _http_error(error: HTTPException) -> BaseResponse | tuple[dict[str, Any], int]:
    """404, 405, 413 and friends: JSON under the API paths, the usual page elsewhere."""
    status = error.code or 500
    if request.path.startswith(_JSON_PATHS):
        message = error.description or error.name
        if status == 413:
            limit = current_app.config["MAX_CONTENT_LENGTH"]
            message = f"the request body is larger than {limit:,} bytes"
        return ApiError(status, message).payload(), status
    return error.get_response()


def _damaged_index(error: IndexFormatError) -> Response | tuple[dict[str, Any], int]:
    """The index's background checks found a damaged file (see ``Autocomplete.load``): this
    worker answers nothing until it is given a good index, so 503 (a load balancer's cue to
    route elsewhere; ``/api/health`` says the same) rather than a bare 500; the log names the
    file."""
    current_app.logger.error("index damaged: %s", error)
    if request.path.startswith(_JSON_PATHS):
        return DAMAGED_INDEX.payload(), 503
    return Response(DAMAGED_INDEX.message, status=503, mimetype="text/plain")


def _unexpected_error(error: Exception) -> Response | tuple[dict[str, Any], int]:
    current_app.logger.exception("unhandled error on %s", request.path)
    if request.path.startswith(_JSON_PATHS):
        return ApiError(500, "internal error").payload(), 500
    return Response("Internal error", status=500, mimetype="text/plain")


def _secure(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.path.startswith("/api/"):
        response.headers["Cache-Control"] = "no-store"
    return response
