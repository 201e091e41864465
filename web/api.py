"""The JSON API: suggestions (filtered, in context, in an online experiment), facets, the click
store's inputs, what it learned, the experiments' reports, and a health check."""

from __future__ import annotations

import functools
import inspect
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import asdict
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from werkzeug.datastructures import MultiDict

from autocomplete import Autocomplete, ContextError, FilterError, IndexFormatError, Suggestion
from autocomplete.experiments import ExperimentAnswer, ExperimentError, Experiments
from autocomplete.feedback import FeedbackHealth, StoreUnavailableError

from .facets import ChosenFilter, Facets, catalog_facets
from .learned import learned_titles as learned
from .validation import (
    DAMAGED_INDEX,
    MAX_DWELL_MS,
    ApiError,
    context_arg,
    count_arg,
    decade_arg,
    experiment_field,
    field_id,
    field_ids,
    field_int,
    field_string,
    flag_arg,
    genre_args,
    json_object,
    optional_int,
    query_arg,
    session_arg,
    session_id,
)

bp = Blueprint("api", __name__, url_prefix="/api")


def engine() -> Autocomplete:
    served: Autocomplete = current_app.extensions["autocomplete"]
    return served


def setting(name: str) -> Any:
    return current_app.config[name]


def experiments() -> Experiments | None:
    """The online experiments this server runs (``EXPERIMENTS``), if any."""
    running: Experiments | None = current_app.extensions.get("autocomplete.experiments")
    return running


@bp.get("/suggest")
def suggest() -> Response:
    query = query_arg(request.args, "q", setting("MAX_QUERY_CHARS"))
    k = count_arg(request.args, "k", setting("DEFAULT_K"), setting("MAX_K"))
    chosen = chosen_filter(request.args)
    context = context_arg(request.args, "context", setting("MAX_QUERY_CHARS"))
    correct = flag_arg(request.args, "correct", True)
    session = session_arg(request.args, "session")
    running = experiments()
    answer: ExperimentAnswer | None = None
    if running is not None and session is not None:
        # A session in an online experiment sees what its arm (or the interleaving) chose.
        answer = run_experiment(running, query, k, session, chosen, context, correct)
        suggestions = list(answer.suggestions)
    else:
        suggestions = run_suggest(query, k, chosen=chosen, context=context, correct=correct)
    top = suggestions[0] if suggestions else None
    corrected = top is not None and top.corrected
    body: dict[str, Any] = {
        "query": query,
        "k": k,
        "filter": chosen.as_json(),
        "correct": correct,
        "corrected": corrected,
        # Announced only when the engine is sure of its reading; a far-fetched one ("amelie" as
        # "american") leaves the suggestions as the closest titles, with no "did you mean".
        "did_you_mean": (
            top.corrected_query if top is not None and top.corrected_confidently else None
        ),
        "suggestions": [suggestion_json(item) for item in suggestions],
    }
    if answer is not None and answer.experiment is not None and suggestions:
        assert running is not None and session is not None and answer.arms is not None
        # Sent back with the impression: the token signs these ids and arms for this session.
        body["experiment"] = {
            "name": answer.experiment,
            "design": answer.design,
            "arms": list(answer.arms),
            "token": running.token(query, answer, session),
        }
    return jsonify(body)


def run_experiment(
    running: Experiments,
    query: str,
    k: int,
    session: str,
    chosen: ChosenFilter,
    context: Mapping[str, object] | None,
    correct: bool,
) -> ExperimentAnswer:
    where = chosen.where(setting("GENRE_FIELD"), setting("YEAR_FIELD"))
    try:
        return running.suggest(
            query, k, session_id=session, where=where, context=context, correct=correct
        )
    except (FilterError, ContextError) as error:
        raise ApiError(400, str(error), _blamed_parameter(error)) from None


def chosen_filter(args: MultiDict[str, str]) -> ChosenFilter:
    return ChosenFilter(tuple(genre_args(args, "genre")), decade_arg(args, "decade"))


def run_suggest(
    query: str,
    k: int,
    *,
    chosen: ChosenFilter | None = None,
    context: Mapping[str, object] | None = None,
    correct: bool = True,
) -> list[Suggestion]:
    """The engine's suggestions; what the engine refuses (an unknown genre, say) is a 400."""
    where = chosen.where(setting("GENRE_FIELD"), setting("YEAR_FIELD")) if chosen else None
    try:
        suggestions: list[Suggestion] = engine().suggest(
            query, k, where=where, context=context, correct=correct
        )
    except (FilterError, ContextError) as error:  # the input's shape was checked: its content
        raise ApiError(400, str(error), _blamed_parameter(error)) from None
    return suggestions


@bp.get("/trending")
def trending() -> Response:
    """What to show in an empty, focused box: the titles people have been choosing lately
    (``source`` "trending"), or the most popular ones while clicks have taught nothing yet
    (``source`` "popular"); both honour the filter chips."""
    k = count_arg(request.args, "k", setting("DEFAULT_K"), setting("MAX_K"))
    chosen = chosen_filter(request.args)
    where = chosen.where(setting("GENRE_FIELD"), setting("YEAR_FIELD")) if chosen else None
    try:
        suggestions = engine().trending(k, where=where)
    except FilterError as error:
        raise ApiError(400, str(error), _blamed_parameter(error)) from None
    source = "trending" if suggestions else "popular"
    if not suggestions:
        suggestions = run_suggest("", k, chosen=chosen)
    return jsonify(
        k=k,
        filter=chosen.as_json(),
        source=source,
        suggestions=[suggestion_json(item) for item in suggestions],
    )


def _blamed_parameter(error: FilterError | ContextError) -> str | None:
    """The request parameter an engine error is about: the engine names the field at fault
    (``FilterError.field``), and this app knows which of its parameters fills which field."""
    if isinstance(error, ContextError):
        return "context"
    parameters = {setting("GENRE_FIELD"): "genre", setting("YEAR_FIELD"): "decade"}
    return parameters.get(error.field) if error.field is not None else None


@bp.get("/facets")
def facets() -> Response:
    """The genres and decades the catalog has, with how many titles each, for filter chips."""
    return jsonify(served_facets().as_json())


def served_facets() -> Facets:
    # The index is read-only, so the facets are worked out once and kept with the app.
    found: Facets | None = current_app.extensions.get("autocomplete.facets")
    if found is None:
        columns = engine().metadata_columns
        found = catalog_facets(columns, setting("GENRE_FIELD"), setting("YEAR_FIELD"))
        current_app.extensions["autocomplete.facets"] = found
    return found


def suggestion_json(item: Suggestion) -> dict[str, Any]:
    """One suggestion as the API shows it. ``spans`` count Unicode code points of ``text``."""
    year = item.metadata.get("year")
    return {
        "text": item.text,
        "id": item.id,
        "label": item.label,
        "year": year if isinstance(year, int) and not isinstance(year, bool) else None,
        "remake": item.label != item.text,
        "spans": [[start, end] for start, end in item.spans],
        "match": item.match,
        "matched_alias": item.matched_alias,
        "corrected": item.corrected,
        "corrected_query": item.corrected_query,
        "corrected_confidently": item.corrected_confidently,
        "score": round(float(item.score), 4),
        "context": round(float(item.context), 4),
        "explanation": list(item.explanation),
        "metadata": json_safe(item.metadata),
    }


def json_safe(value: object) -> Any:
    """``value`` with NaN and infinities (which a JSONL catalog may hold) turned into null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    return value


@bp.post("/impression")
def impression() -> tuple[str, int]:
    body = json_object(request)
    query = field_string(body, "query", setting("MAX_QUERY_CHARS"))
    ids = field_ids(body, "ids", setting("MAX_K"))
    session = session_id(body)
    shown = experiment_field(body, len(ids))
    if shown is None:
        _record("record_impression", query, ids, session)
        return "", 204
    running = experiments()
    if running is None:
        raise ApiError(400, "no online experiment runs on this server", "experiment")
    name, arms, token = shown
    client = request.remote_addr or None
    try:
        running.record_signed_impression(
            query, ids, session, experiment=name, arms=arms, token=token, client=client
        )
    except ExperimentError as error:
        raise ApiError(400, str(error), error.field) from None
    except (TypeError, ValueError) as error:
        raise ApiError(400, str(error)) from None
    except StoreUnavailableError:
        raise  # a 503 with Retry-After, as for any impression
    except Exception:
        current_app.logger.exception("the click store failed")
        raise ApiError(503, "the click store is unavailable; try again later") from None
    return "", 204


@bp.post("/click")
def click() -> tuple[str, int]:
    body = json_object(request)
    query = field_string(body, "query", setting("MAX_QUERY_CHARS"))
    clicked = field_id(body.get("id"), "id")
    position = field_int(body, "position", 1, setting("MAX_K"))
    session = session_id(body)
    dwell_ms = optional_int(body, "dwell_ms", 0, MAX_DWELL_MS)
    _record("record_click", query, clicked, position, session, dwell_ms)
    return "", 204


def _record(method: str, *args: Any) -> None:
    """Call the engine's ``record_*`` method, naming the client when the engine takes it."""
    served = engine()
    if served.feedback is None:
        raise ApiError(503, "click feedback is off on this server")
    record = getattr(served, method)
    # The client address lets the store's guard cap what one machine can vote.
    extra = {"client": request.remote_addr} if _takes_client(record) and request.remote_addr else {}
    try:
        record(*args, **extra)
    except (TypeError, ValueError, KeyError) as error:
        raise ApiError(400, str(error)) from None
    except StoreUnavailableError:
        raise  # a 503 with Retry-After (store_unavailable); the layer logged the outage once
    except Exception:
        # The store is a database or a Redis server; when it is down the click is lost, the
        # page carries on, and the log says why.
        current_app.logger.exception("the click store failed")
        raise ApiError(503, "the click store is unavailable; try again later") from None


@functools.cache
def _parameters(function: Callable[..., Any]) -> frozenset[str]:
    return frozenset(inspect.signature(function).parameters)


def _takes_client(method: Callable[..., Any]) -> bool:
    return "client" in _parameters(getattr(method, "__func__", method))


@bp.get("/learned")
def learned_titles() -> Response:
    prefix = query_arg(request.args, "prefix", setting("MAX_QUERY_CHARS"))
    k = count_arg(request.args, "k", setting("DEFAULT_K"), setting("MAX_K"))
    served = engine()
    if served.feedback is None:
        raise ApiError(503, "click feedback is off on this server")
    return jsonify(prefix=prefix, titles=learned(served, prefix, k))


@bp.get("/experiments")
def experiment_reports() -> Response:
    """Each online experiment's sessions, wins or rates, p-value, interval and stopping rule,
    as this worker has learned them from the shared store (within a refresh interval)."""
    running = experiments()
    reports = [] if running is None else [report.to_json() for report in running.reports()]
    return jsonify(experiments=reports)


@bp.errorhandler(StoreUnavailableError)
def store_unavailable(error: StoreUnavailableError) -> Response:
    """What needs the click store while it is down: 503, and when to try again."""
    layer = engine().feedback
    retry_after = layer.health().retry_after_s if layer is not None else 0
    if retry_after < 1:  # the store came back between the failure and now: try at once
        retry_after = 1
    response = jsonify(ApiError(503, "the click store is unavailable; try again later").payload())
    response.status_code = 503
    response.headers["Retry-After"] = str(retry_after)
    return response


@bp.get("/health")
def health() -> Response:
    """200 while the process serves suggestions; ``status`` is "degraded" and ``degraded``
    names the parts (``"store"``) when something behind it fails. ``index`` is "verifying"
    while the background checks of a freshly loaded index run (it already answers), then
    "verified"; a damaged index makes this a 503 with ``status`` "failed" (the log names the
    file), since the worker then answers nothing."""
    served = engine()
    try:
        index_state = "verified" if served.verified(timeout=0) else "verifying"
    except IndexFormatError as error:
        current_app.logger.error("index damaged: %s", error)
        failed = DAMAGED_INDEX.payload()
        response = jsonify({"status": "failed", "index": "damaged", **failed})
        response.status_code = 503
        return response
    body: dict[str, Any] = {
        "status": "ok",
        "degraded": [],
        "titles": len(served),
        "index": index_state,
        "feedback": served.feedback is not None,
        "worker": os.getpid(),
    }
    layer = served.feedback
    if layer is not None:
        state = layer.health()  # never waits for the store
        body["store"] = store_health_json(state)
        if not state.store_available:
            body["status"] = "degraded"
            body["degraded"].append("store")
    return jsonify(body)


def store_health_json(state: FeedbackHealth) -> dict[str, Any]:
    """The click store's part of ``/api/health``."""
    fields = asdict(state)
    fields["unavailable_for_s"] = round(state.unavailable_for_s, 1)
    return {"status": "ok" if state.store_available else "unavailable", **fields}
