"""OpenSearch: a description document and the suggestions format a browser's search bar reads.

A browser that finds ``<link rel="search">`` on the page (or is given ``/opensearch.xml``) can
add the engine as a search provider; as the user types in the address/search bar it fetches
``/opensearch/suggest?q=...`` and lists the completions.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from urllib.parse import urlencode

from flask import Blueprint, Response, render_template, request

from .api import run_suggest, setting
from .validation import query_arg

bp = Blueprint("opensearch", __name__)

SUGGESTIONS_TYPE = "application/x-suggestions+json"
DESCRIPTION_TYPE = "application/opensearchdescription+xml"


DESCRIPTION_MAX_AGE_S = 3600
"""How long the description document may be cached."""


def site_root() -> str:
    """The base of every absolute URL: ``PUBLIC_URL`` if configured, else the request's own."""
    configured: str | None = setting("PUBLIC_URL")
    return configured if configured is not None else request.url_root


def _cache_by_host(response: Response, max_age_s: int | None) -> Response:
    """Cache headers for a body built from the site root.

    With a configured ``PUBLIC_URL`` the body is the same for everyone. Without it, it echoes
    the request's ``Host`` (which any client can forge): then no shared cache may keep it, and a
    private one keys it by ``Host``.
    """
    if setting("PUBLIC_URL") is not None:
        if max_age_s is not None:
            response.headers["Cache-Control"] = f"public, max-age={max_age_s}"
        return response
    response.vary.add("Host")
    if setting("TRUSTED_PROXIES") > 0:
        response.vary.add("X-Forwarded-Host")
    age = f", max-age={max_age_s}" if max_age_s is not None else ""
    response.headers["Cache-Control"] = "private" + age
    return response


@bp.get("/opensearch.xml")
def description() -> Response:
    body = render_template(
        "opensearch.xml",
        root=site_root(),
        name=setting("SITE_NAME"),
        description=setting("SITE_DESCRIPTION"),
    )
    return _cache_by_host(Response(body, mimetype=DESCRIPTION_TYPE), DESCRIPTION_MAX_AGE_S)


@bp.get("/opensearch/suggest")
def suggest() -> Response:
    """``[query, [completions], [descriptions], [urls]]``, per the OpenSearch suggestions spec."""
    query = query_arg(request.args, "q", setting("MAX_QUERY_CHARS"))
    suggestions = run_suggest(query, setting("DEFAULT_K")) if query.strip() else []
    completions = [item.text for item in suggestions]
    descriptions = [_describe(item.metadata) for item in suggestions]
    page = site_root()
    urls = [f"{page}?{urlencode({'q': item.text})}" for item in suggestions]
    # ensure_ascii keeps the body ASCII, so no client can misread its encoding.
    body = json.dumps([query, completions, descriptions, urls])
    return _cache_by_host(Response(body, mimetype=SUGGESTIONS_TYPE), None)


def _describe(metadata: Mapping[str, object]) -> str:
    """A short description line: the year and up to three genres."""
    parts: list[str] = []
    year = metadata.get("year")
    if isinstance(year, int) and not isinstance(year, bool):
        parts.append(str(year))
    genres = metadata.get("genres")
    if isinstance(genres, list) and genres:
        parts.append(", ".join(str(genre) for genre in genres[:3]))
    return " · ".join(parts)
