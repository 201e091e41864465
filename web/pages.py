"""The search page, its results pages and a page per title. With JavaScript the search page
is a live typeahead; without, the form and the links still work.

``/?q=...`` renders the results for ``q`` on the server, ``RESULTS_PER_PAGE`` at a time
(``page=2`` for the next ones), so the page is also the HTML result page the OpenSearch
description points a browser's search bar at; ``correct=false`` takes ``q`` as typed. Each
result links to ``/title/<id>``, which shows what the catalog knows about the title.
``/experiments`` shows the online experiments' reports (``/api/experiments`` as a page).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from autocomplete import Suggestion
from autocomplete.rank.session_context import MAX_SESSION_CLICKS, MAX_SESSION_QUERIES

from .api import chosen_filter, engine, experiments, run_suggest, served_facets, setting
from .facets import ChosenFilter
from .validation import ApiError, flag_arg, page_arg

bp = Blueprint("pages", __name__)

# The request parameters that say which results list a title page was reached from.
_RESULTS_ARGS = ("q", "genre", "decade", "correct", "page")

# Metadata fields a title page shows first, with their names; the rest follow as they come.
_KNOWN_FACTS = (("year", "Year"), ("genres", "Genres"), ("rating", "Rating"), ("votes", "Votes"))


@bp.get("/")
def index() -> tuple[str, int]:
    query = request.args.get("q", "")
    limit: int = setting("MAX_QUERY_CHARS")
    per_page: int = setting("RESULTS_PER_PAGE")
    error = None
    status = 200
    suggestions: list[Suggestion] = []
    chosen = ChosenFilter()
    correct = True
    page = 1
    pages = 1
    if len(query) > limit:
        error = f"That search is longer than {limit} characters; please shorten it."
        query = query[:limit]
        status = 400
    else:
        try:
            chosen = chosen_filter(request.args)
            correct = flag_arg(request.args, "correct", True)
            page = page_arg(request.args, setting("RESULTS_MAX"), per_page)
            if query.strip():
                suggestions = run_suggest(
                    query, setting("RESULTS_MAX"), chosen=chosen, correct=correct
                )
        except ApiError as refused:  # a malformed filter, page or switch
            error, chosen, page, status = refused.message, ChosenFilter(), 1, 400
        pages = max(1, math.ceil(len(suggestions) / per_page))
        if page > pages:
            error = f"There is no page {page} for this search: it has {pages}."
            status = 404
    first = (page - 1) * per_page
    shown = suggestions[first : first + per_page] if status == 200 else []
    top = suggestions[0] if suggestions else None
    did_you_mean = top.corrected_query if top is not None and top.corrected_confidently else None
    # A correction too unsure to announce: the results are the closest titles, said so plainly.
    closest_only = top is not None and top.corrected and not top.corrected_confidently
    args = _results_args(request.args)
    rendered = render_template(
        "index.html",
        query=query,
        error=error,
        results=[_result(item, first + number, args) for number, item in enumerate(shown, 1)],
        # Every title listed up to the end of this page, in rank order: the impression a click
        # on this page answers (its position counts from the first page).
        listed=[item.id for item in suggestions[: first + len(shown)]],
        page=page,
        pages=pages,
        previous_url=_page_url(args, page - 1) if 1 < page <= pages else None,
        next_url=_page_url(args, page + 1) if page < pages and status == 200 else None,
        did_you_mean=did_you_mean,
        closest_only=closest_only,
        search_instead_url=_literal_url(args) if did_you_mean or closest_only else None,
        titles=len(engine()),
        facets=served_facets(),
        chosen=chosen,
        correct=correct,
        session_queries=MAX_SESSION_QUERIES,
        session_clicks=MAX_SESSION_CLICKS,
        experiments_running=experiments() is not None,
    )
    return rendered, status


def _results_args(args: MultiDict[str, str]) -> MultiDict[str, str]:
    return MultiDict(
        [(name, value) for name, value in args.items(multi=True) if name in _RESULTS_ARGS]
    )


def _page_url(args: MultiDict[str, str], page: int) -> str:
    paged = MultiDict([(name, value) for name, value in args.items(multi=True) if name != "page"])
    if page > 1:
        paged.add("page", str(page))
    return _with_args(url_for("pages.index"), paged)


def _literal_url(args: MultiDict[str, str]) -> str:
    """The same search with correction off, from its first page."""
    kept = [
        (name, value) for name, value in args.items(multi=True) if name not in ("page", "correct")
    ]
    return _with_args(url_for("pages.index"), MultiDict([*kept, ("correct", "false")]))


def _with_args(url: str, args: MultiDict[str, str]) -> str:
    encoded = urlencode(list(args.items(multi=True)))
    return f"{url}?{encoded}" if encoded else url


def _result(item: Suggestion, position: int, args: MultiDict[str, str]) -> dict[str, Any]:
    year = item.metadata.get("year")
    return {
        "segments": highlight_segments(item.text, item.spans),
        "aka": item.matched_alias,  # shown whenever the query came through another name
        "year": year if item.label != item.text else None,
        "id": item.id,
        "position": position,
        "url": _with_args(url_for("pages.title", title_id=item.id), args),
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


@bp.get("/title/<path:title_id>")
def title(title_id: str) -> tuple[str, int]:
    """One title: what the catalog knows about it, and the way back to the results."""
    view = engine().describe(title_id)
    args = _results_args(request.args)
    query = args.get("q", "")
    back_url = None
    if query and len(query) <= setting("MAX_QUERY_CHARS"):
        back_url = _with_args(url_for("pages.index"), args)
    rendered = render_template(
        "title.html",
        view=view,
        facts=title_facts(view.metadata, view.text) if view is not None else [],
        query=query,
        back_url=back_url,
    )
    return rendered, 200 if view is not None else 404


def title_facts(metadata: Mapping[str, object], text: str) -> list[tuple[str, str]]:
    """(name, value) pairs for a title page: the known fields first, then any others that
    hold a number, a string or a list of them (a field repeating the title is left out)."""
    facts: list[tuple[str, str]] = []
    known = dict(_KNOWN_FACTS)
    for field, name in _KNOWN_FACTS:
        value = _fact(field, metadata.get(field))
        if value:
            facts.append((name, value))
    for field, raw in metadata.items():
        if field in known or raw == text:
            continue
        value = _fact(field, raw)
        if value:
            facts.append((field.replace("_", " ").capitalize(), value))
    return facts


def _fact(field: str, value: object) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return str(value) if field == "year" else f"{value:,}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return f"{value:.1f} / 10" if field == "rating" else f"{value:,.6g}"
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, (list, tuple)):
        items = [str(item) for item in value if isinstance(item, (str, int, float))]
        return ", ".join(items) or None
    return None


@bp.get("/experiments")
def experiment_page() -> str:
    """The online experiments' reports, as ``/api/experiments`` gives them."""
    running = experiments()
    reports = [] if running is None else [report.to_json() for report in running.reports()]
    return render_template(
        "experiments.html", reports=reports, percent=_percent, number=_number, points=_points
    )


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _points(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:+.1f} points"


def _number(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}g}"
