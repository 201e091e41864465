"""OpenSearch: a description document and the suggestions format a browser's search bar reads.

A browser that finds ``<link rel="search">`` on the page (or is given ``/opensearch.xml``) can
add the engine as a search provider; as the user types in the address/search bar it fetches
``/opensearch/suggest?q=...`` and lists the completions.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from urllib.parse import urlencode

from flask import Blueprint, Response, render_template, request, url_for

from .api import run_suggest, setting
from .validation import query_arg

bp = Blueprint("opensearch", __name__)

SUGGESTIONS_TYPE = "application/x-suggestions+json"
DESCRIPTION_TYPE = "application/opensearchdescription+xml"


@bp.get("/opensearch.xml")
def description() -> Response:
    body = render_template(
        "opensearch.xml",
        root=request.url_root,
        name=setting("SITE_NAME"),
        description=setting("SITE_DESCRIPTION"),
    )
    response = Response(body, mimetype=DESCRIPTION_TYPE)
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.get("/opensearch/suggest")
def suggest() -> Response:
    """``[query, [completions], [descriptions], [urls]]``, per the OpenSearch suggestions spec."""
    query = query_arg(request.args, "q", setting("MAX_QUERY_CHARS"))
    suggestions = run_suggest(query, setting("DEFAULT_K")) if query.strip() else []
    completions = [item.text for item in suggestions]
    descriptions = [_describe(item.metadata) for item in suggestions]
    page = url_for("pages.index", _external=True)
    urls = [f"{page}?{urlencode({'q': item.text})}" for item in suggestions]
    # ensure_ascii keeps the body ASCII, so no client can misread its encoding.
    body = json.dumps([query, completions, descriptions, urls])
    return Response(body, mimetype=SUGGESTIONS_TYPE)


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
