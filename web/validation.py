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

SESSION_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
"""Session ids are opaque random tokens (the page makes 32 hex digits)."""

MAX_ID_CHARS = 200
"""Longest suggestion id accepted in a click or impression."""

MAX_DWELL_MS = 24 * 60 * 60 * 1000

_WHOLE_NUMBER = re.compile(r"[0-9]{1,6}")


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


def in_range(value: int, name: str, low: int, high: int) -> int:
    if not low <= value <= high:
        raise ApiError(400, f"{name!r} must be between {low} and {high}, got {value}", name)
    return value


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
