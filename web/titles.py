"""Catalog updates over HTTP (issue 18): ``POST /api/titles`` upserts a JSON list of records,
``DELETE /api/titles/<id>`` removes one; both only with the configured token.

``UPDATES_TOKEN`` unset: the endpoints are off (404). Set: a request needs
``Authorization: Bearer <token>``; none is a 401, another token a 403. A record the catalog
loader refuses is a 400 naming the record (its 1-based position) and the field.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, current_app, jsonify, request

from autocomplete import Autocomplete, Suggestion
from autocomplete.catalog.loader import CatalogError
from autocomplete.live import LiveCatalog, UpdateStoreUnavailableError

from .validation import ApiError, field_id

bp = Blueprint("titles", __name__, url_prefix="/api/titles")


def _authorized_catalog() -> LiveCatalog[Suggestion]:
    token = current_app.config["UPDATES_TOKEN"]
    if not token:
        raise ApiError(404, "catalog updates are off on this server (no UPDATES_TOKEN)")
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise ApiError(401, "catalog updates need 'Authorization: Bearer <token>'")
    if not hmac.compare_digest(given.strip().encode(), str(token).encode()):
        raise ApiError(403, "that token may not change the catalog")
    served: Autocomplete = current_app.extensions["autocomplete"]
    live = served.live
    if live is None:
        raise ApiError(503, "catalog updates need an update store (UPDATES) on this server")
    return live


@bp.post("")
def upsert() -> tuple[Response, int]:
    live = _authorized_catalog()
    # A batch of titles is far larger than the click endpoints' bodies.
    request.max_content_length = int(current_app.config["MAX_UPSERT_BYTES"])
    body = request.get_json(silent=True)
    if not isinstance(body, list) or not body:
        raise ApiError(400, "the body must be a non-empty JSON list of title records")
    for position, record in enumerate(body, 1):
        if not isinstance(record, dict):
            raise ApiError(400, f"record {position}: must be a JSON object", "records")
    try:
        sequence = live.upsert(body)
    except CatalogError as error:
        where = f"record {error.line}" if error.line is not None else "records"
        field = f", field {error.field!r}" if error.field is not None else ""
        raise ApiError(400, f"{where}{field}: {error.problem}", error.field) from None
    except (TypeError, ValueError) as error:
        raise ApiError(400, str(error)) from None
    except UpdateStoreUnavailableError as error:
        current_app.logger.warning("catalog update not logged: %s", error)
        raise ApiError(503, "the update store is unavailable; nothing was changed") from None
    return jsonify(upserted=len(body), sequence=sequence), 200


@bp.delete("/<path:title_id>")
def delete(title_id: str) -> tuple[Response, int]:
    live = _authorized_catalog()
    wanted = field_id(title_id, "id")
    if live.describe(wanted) is None:
        raise ApiError(404, f"no title with id {wanted!r}", "id")
    try:
        sequence = live.delete([wanted])
    except UpdateStoreUnavailableError as error:
        current_app.logger.warning("catalog update not logged: %s", error)
        raise ApiError(503, "the update store is unavailable; nothing was changed") from None
    return jsonify(deleted=wanted, sequence=sequence), 200
