"""The search page. With JavaScript it is a live typeahead; without, the form still works.

``/?q=...`` renders the suggestions for ``q`` on the server, so the page is also the HTML
result page the OpenSearch description points a browser's search bar at.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request

from autocomplete import Suggestion
from autocomplete.session_context import MAX_SESSION_CLICKS, MAX_SESSION_QUERIES
from web.api import chosen_filter, engine, run_suggest, served_facets, setting
from web.facets import ChosenFilter
from web.validation import ApiError

bp = Blueprint("pages", __name__)


@bp.get("/")
def index() -> tuple[str, int]:
    query = request.args.get("q", "")
    limit: int = setting("MAX_QUERY_CHARS")
    error = None
    suggestions: list[Suggestion] = []
    chosen = ChosenFilter()
    if len(query) > limit:
        error = f"That search is longer than {limit} characters; please shorten it."
        query = query[:limit]
    else:
        try:
            chosen = chosen_filter(request.args)
            if query.strip():
                suggestions = run_suggest(query, setting("PAGE_K"), chosen=chosen)
        except ApiError as refused:  # a malformed or unknown genre or decade
            error, chosen = refused.message, ChosenFilter()
    top = suggestions[0] if suggestions else None
    page = render_template(
        "index.html",
        query=query,
        error=error,
        results=[_result(item) for item in suggestions],
        did_you_mean=top.corrected_query if top is not None and top.corrected else None,
        titles=len(engine()),
        facets=served_facets(),
        chosen=chosen,
        session_queries=MAX_SESSION_QUERIES,
        session_clicks=MAX_SESSION_CLICKS,
    )
    return page, 400 if error else 200


def _result(item: Suggestion) -> dict[str, Any]:
    year = item.metadata.get("year")
    return {
        "segments": highlight_segments(item.text, item.spans),
        "year": year if item.label != item.text else None,
        "id": item.id,
    }


def highlight_segments(text: str, spans: tuple[tuple[int, int], ...]) -> list[tuple[str, bool]]:
    """``text`` cut into (piece, matched) pairs; the template escapes each piece."""
    pieces: list[tuple[str, bool]] = []
    at = 0
    for start, end in sorted(spans):
        start, end = max(start, at), min(end, len(text))
        if end <= start:
            continue
        if start > at:
            pieces.append((text[at:start], False))
        pieces.append((text[start:end], True))
        at = end
    if at < len(text):
        pieces.append((text[at:], False))
    return pieces
