"""Checking request input. Every check fails with an ``ApiError`` that says what was wrong.

Bad input is the caller's mistake and gets a 4xx with a message naming the field; nothing a
client sends may reach the engine unchecked and come back as a 500.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from flask import Request
from werkzeug.datastructures import MultiDict

from autocomplete.rank.session_context import MAX_SESSION_CLICKS, MAX_SESSION_QUERIES

SESSION_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
"""Session ids are opaque random tokens (the page makes 32 hex digits)."""

MAX_ID_CHARS = 200
"""Longest suggestion id accepted in a click or impression."""

MAX_DWELL_MS = 24 * 60 * 60 * 1000

MAX_FILTER_VALUES = 32
"""Most ``genre`` values one request may name (a tags field holds at most 64 distinct ones)."""

MAX_FILTER_VALUE_CHARS = 100
"""Longest ``genre`` value accepted; real ones are a word or two."""

_WHOLE_NUMBER = re.compile(r"[0-9]{1,6}")
_YEAR = re.compile(r"[0-9]{1,4}")
_CONTEXT_KEYS = {"queries": MAX_SESSION_QUERIES, "clicked": MAX_SESSION_CLICKS}


class ApiError(Exception):
    """A request the API refuses: the HTTP status, a message for people, the field at fault."""

    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": {"status": self.status, "message": self.message}}
        if self.field is not None:
            body["error"]["field"] = self.field
        return body


def query_arg(args: Mapping[str, str], name: str, max_chars: int) -> str:
    """A required text parameter of at most ``max_chars`` characters (may be empty)."""
    value = args.get(name)
    if value is None:
        raise ApiError(400, f"missing query parameter {name!r}", name)
    return checked_query(value, name, max_chars)


def checked_query(value: object, name: str, max_chars: int) -> str:
    if not isinstance(value, str):
        raise ApiError(400, f"{name!r} must be a string", name)
    if len(value) > max_chars:
        raise ApiError(400, f"{name!r} is longer than {max_chars} characters", name)
    return value


def count_arg(args: Mapping[str, str], name: str, default: int, maximum: int) -> int:
    """An optional whole-number parameter between 1 and ``maximum``."""
    text = args.get(name)
    if text is None:
        return default
    # Stricter than int(): no signs, spaces, underscores or other digit scripts.
    if not _WHOLE_NUMBER.fullmatch(text):
        raise ApiError(400, f"{name!r} must be a whole number between 1 and {maximum}", name)
    return in_range(int(text), name, 1, maximum)


def flag_arg(args: Mapping[str, str], name: str, default: bool) -> bool:
    """An optional on/off parameter, written ``true`` or ``false``."""
    text = args.get(name)
    if text is None:
        return default
    if text not in ("true", "false"):
        raise ApiError(400, f"{name!r} must be 'true' or 'false', got {text!r}", name)
    return text == "true"


def page_arg(args: Mapping[str, str], most_results: int, per_page: int) -> int:
    """The optional ``page`` parameter: 1 up to the last page ``most_results`` can fill."""
    text = args.get("page")
    if text is None:
        return 1
    last = max(1, math.ceil(most_results / per_page))
    if not _WHOLE_NUMBER.fullmatch(text) or not 1 <= int(text) <= last:
        raise ApiError(400, f"'page' must be a whole number between 1 and {last}", "page")
    return int(text)


def in_range(value: int, name: str, low: int, high: int) -> int:
    if not low <= value <= high:
        raise ApiError(400, f"{name!r} must be between {low} and {high}, got {value}", name)
    return value


def genre_args(args: MultiDict[str, str], name: str) -> list[str]:
    """Every value of a repeatable filter parameter (none: no filter), each non-blank."""
    values = args.getlist(name)
    if len(values) > MAX_FILTER_VALUES:
        raise ApiError(400, f"give at most {MAX_FILTER_VALUES} {name!r} values", name)
    for value in values:
        if not value.strip():
            raise ApiError(400, f"{name!r} must not be blank", name)
        if len(value) > MAX_FILTER_VALUE_CHARS:
            raise ApiError(
                400, f"{name!r} is longer than {MAX_FILTER_VALUE_CHARS} characters", name
            )
    return values


def decade_arg(args: MultiDict[str, str], name: str) -> int | None:
    """An optional decade, written as its first year: 1990 for 1990 to 1999."""
    values = args.getlist(name)
    if not values:
        return None
    # Repeating it cannot mean "any of" (a filter holds one range per field), so it is refused
    # rather than silently reduced to the first.
    if len(values) > 1:
        raise ApiError(400, f"give at most one {name!r}", name)
    text = values[0]
    if not _YEAR.fullmatch(text) or int(text) % 10:
        raise ApiError(
            400, f"{name!r} must be the first year of a decade, like 1990, got {text!r}", name
        )
    return int(text)


def context_limit(max_query_chars: int) -> int:
    """The longest ``context`` parameter: the most queries and ids, every character escaped."""
    most = MAX_SESSION_QUERIES * max_query_chars + MAX_SESSION_CLICKS * MAX_ID_CHARS
    return 2 * most + 64


def context_arg(
    args: Mapping[str, str], name: str, max_query_chars: int
) -> dict[str, list[str]] | None:
    """The session context, a JSON object ``{"queries": [...], "clicked": [...]}``, or None.

    Each list may hold as many items as the engine keeps (older ones would be dropped
    unread, so sending more is a client bug); queries are as long as ``q`` may be.
    """
    text = args.get(name)
    if text is None or text == "":
        return None
    limit = context_limit(max_query_chars)
    if len(text) > limit:
        raise ApiError(400, f"{name!r} is longer than {limit:,} characters", name)
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        raise ApiError(400, f"{name!r} is not valid JSON", name) from None
    if not isinstance(value, dict):
        raise ApiError(
            400, f'{name!r} must be a JSON object like {{"queries": [], "clicked": []}}', name
        )
    context: dict[str, list[str]] = {}
    for key, items in value.items():
        most = _CONTEXT_KEYS.get(key)
        if most is None:
            raise ApiError(
                400, f"{name!r} has an unknown key {key!r}; use 'queries' and 'clicked'", name
            )
        if not isinstance(items, list) or len(items) > most:
            raise ApiError(400, f"{name}.{key} must be a list of at most {most} strings", name)
        longest = max_query_chars if key == "queries" else MAX_ID_CHARS
        for item in items:
            if not isinstance(item, str):
                raise ApiError(400, f"{name}.{key} must hold strings, got {item!r}", name)
            if len(item) > longest:
                raise ApiError(
                    400, f"an item of {name}.{key} is longer than {longest} characters", name
                )
        context[key] = items
    return context


def json_object(request: Request) -> dict[str, Any]:
    """The request body as a JSON object."""
    if not request.is_json:
        raise ApiError(415, "send a JSON object with Content-Type: application/json")
    raw = request.get_data(cache=False)
    try:
        body = json.loads(raw, parse_constant=_refuse_constant)
    # RecursionError: deeply nested arrays; ValueError covers bad UTF-8, syntax, huge integers.
    except (ValueError, RecursionError):
        raise ApiError(400, "the request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, "the request body must be a JSON object")
    return body


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def field_string(body: Mapping[str, Any], name: str, max_chars: int) -> str:
    if name not in body:
        raise ApiError(400, f"missing field {name!r}", name)
    return checked_query(body[name], name, max_chars)


def field_id(value: object, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise ApiError(400, f"{name!r} must be a non-empty string", name)
    if len(value) > MAX_ID_CHARS:
        raise ApiError(400, f"{name!r} is longer than {MAX_ID_CHARS} characters", name)
    return value


def field_ids(body: Mapping[str, Any], name: str, maximum: int) -> list[str]:
    if name not in body:
        raise ApiError(400, f"missing field {name!r}", name)
    value = body[name]
    if not isinstance(value, list) or not 1 <= len(value) <= maximum:
        raise ApiError(400, f"{name!r} must be a list of 1 to {maximum} ids", name)
    return [field_id(item, name) for item in value]


def field_int(body: Mapping[str, Any], name: str, low: int, high: int) -> int:
    if name not in body:
        raise ApiError(400, f"missing field {name!r}", name)
    return _whole(body[name], name, low, high)


def optional_int(body: Mapping[str, Any], name: str, low: int, high: int) -> int | None:
    value = body.get(name)
    return None if value is None else _whole(value, name, low, high)


def _whole(value: object, name: str, low: int, high: int) -> int:
    # JSON has one number type: 3.0 is accepted as 3, but 3.5, true and "3" are not numbers here.
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError(400, f"{name!r} must be a whole number between {low} and {high}", name)
    return in_range(value, name, low, high)


def session_id(body: Mapping[str, Any]) -> str:
    value = body.get("session_id")
    if not isinstance(value, str) or not SESSION_ID.fullmatch(value):
        raise ApiError(
            400, "'session_id' must be 8 to 64 letters, digits, '-' or '_'", "session_id"
        )
    return value


def session_arg(args: Mapping[str, str], name: str) -> str | None:
    """An optional session id parameter (``session=``), as ``session_id`` checks it in bodies."""
    value = args.get(name)
    if value is None or value == "":
        return None
    if not SESSION_ID.fullmatch(value):
        raise ApiError(400, f"{name!r} must be 8 to 64 letters, digits, '-' or '_'", name)
    return value


def experiment_field(body: Mapping[str, Any], count: int) -> tuple[str, list[str], str] | None:
    """An impression's optional ``experiment``: ``{"name", "arms", "token"}`` as the suggestion
    answer gave them, with one arm per id."""
    value = body.get("experiment")
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ApiError(
            400, "'experiment' must be the object the suggestions came with", "experiment"
        )
    name = value.get("name")
    if not isinstance(name, str) or not 1 <= len(name) <= 64:
        raise ApiError(400, "'experiment.name' must name a running experiment", "experiment.name")
    arms = value.get("arms")
    if (
        not isinstance(arms, list)
        or len(arms) != count
        or not all(arm in ("a", "b") for arm in arms)
    ):
        raise ApiError(
            400,
            f"'experiment.arms' must list 'a' or 'b' for each of the {count} ids",
            "experiment.arms",
        )
    token = value.get("token")
    if not isinstance(token, str) or not 1 <= len(token) <= 128:
        raise ApiError(
            400,
            "'experiment.token' must be the token the suggestions came with",
            "experiment.token",
        )
    return name, arms, token


DAMAGED_INDEX = ApiError(503, "this server's index is damaged; its log names the file")
"""What a client is told once the index's checks found damage (the server's paths and the
file stay in its log)."""
