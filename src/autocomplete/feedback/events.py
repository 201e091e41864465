"""Feedback events: what a user was shown, what they clicked, what they said.

Events are plain frozen values, validated when they are made, so a bad call fails in the caller
(with a ``TypeError`` for a wrong type, a ``ValueError`` for a wrong value) and never reaches a
store. A store stamps each appended event with a sequence number and a timestamp of its own
clock, giving a ``Recorded`` event; the sequence numbers of one store increase in the order the
events were appended, which is the order every reader learns from them.

The wire form (``encode``/``decode``, also the JSONL export) is one JSON object per event::

    {"kind": "impression", "query": "the big l", "ids": ["m5567", "m5568"],
     "session_id": "s1", "client": null}
    {"kind": "click", "query": "the big l", "id": "m5567", "position": 1,
     "session_id": "s1", "dwell_ms": 45000, "client": "10.0.0.7"}
    {"kind": "explicit", "id": "m5567", "value": 1.0, "session_id": "s1"}

with ``"seq"`` and ``"timestamp"`` (seconds since the epoch) added for recorded events. An
impression shown by an online experiment (``autocomplete.experiments``) also names the
experiment and, title by title, the arm that placed it (``"a"`` or ``"b"``: the team of a
team-draft interleaving, or the one arm of an A/B split)::

    {"kind": "impression", "query": "the big l", "ids": ["m5567", "m5568"],
     "session_id": "s1", "client": null, "experiment": "feedback-on", "arms": ["b", "a"]}

Impressions without an experiment are written exactly as before.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Final

from autocomplete.limits import MAX_K, MAX_QUERY_CHARS

MAX_SESSION_ID_CHARS: Final = 128
"""Longest session or client id accepted."""

MAX_ITEM_ID_CHARS: Final = 256
"""Longest title id accepted."""

MAX_DWELL_MS: Final = 86_400_000
"""Longest dwell accepted (one day); anything longer is a client bug, not a reading."""

MAX_EXPERIMENT_NAME_CHARS: Final = 64
"""Longest experiment name accepted."""

ARMS: Final = ("a", "b")
"""The arms of an experiment, as impressions record them: ``a`` the control, ``b`` the change."""

_NAME_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")


@dataclass(frozen=True, slots=True)
class Impression:
    """The suggestions shown for ``query`` (already normalized), best first."""

    query: str
    ids: tuple[str, ...]
    session_id: str
    client: str | None = None
    experiment: str | None = None
    """The online experiment that chose this list, if any (see ``check_experiment_name``)."""
    arms: tuple[str, ...] | None = None
    """With ``experiment``: ``arms[i]`` is the arm (``"a"`` or ``"b"``) that placed ``ids[i]``."""

    def __post_init__(self) -> None:
        _check_query(self.query)
        if isinstance(self.ids, str) or not isinstance(self.ids, tuple):
            raise TypeError(f"ids must be a tuple of str, got {type(self.ids).__name__}")
        if not self.ids:
            raise ValueError("an impression shows at least one id")
        if len(self.ids) > MAX_K:
            raise ValueError(f"an impression shows at most {MAX_K} ids, got {len(self.ids)}")
        for item in self.ids:
            _check_item_id(item)
        if len(set(self.ids)) != len(self.ids):
            raise ValueError("an impression shows each id at most once")
        _check_session(self.session_id)
        _check_client(self.client)
        if (self.experiment is None) != (self.arms is None):
            raise ValueError("an impression names an experiment and its arms together, or neither")
        if self.experiment is not None:
            check_experiment_name(self.experiment)
            if isinstance(self.arms, str) or not isinstance(self.arms, tuple):
                raise TypeError(f"arms must be a tuple of str, got {type(self.arms).__name__}")
            if len(self.arms) != len(self.ids):
                raise ValueError(
                    f"arms must name one arm per id: {len(self.arms)} arms for {len(self.ids)} ids"
                )
            for arm in self.arms:
                if arm not in ARMS:
                    raise ValueError(f"an arm is 'a' or 'b', got {arm!r}")


@dataclass(frozen=True, slots=True)
class Click:
    """A click on ``id`` shown at 1-based ``position`` for ``query``, with the dwell if known."""

    query: str
    id: str
    position: int
    session_id: str
    dwell_ms: int | None = None
    client: str | None = None

    def __post_init__(self) -> None:
        _check_query(self.query)
        _check_item_id(self.id)
        if isinstance(self.position, bool) or not isinstance(self.position, int):
            raise TypeError(f"position must be an int, got {type(self.position).__name__}")
        if not 1 <= self.position <= MAX_K:
            raise ValueError(f"position is 1-based, at most {MAX_K}; got {self.position}")
        _check_session(self.session_id)
        if self.dwell_ms is not None:
            if isinstance(self.dwell_ms, bool) or not isinstance(self.dwell_ms, int):
                raise TypeError(
                    f"dwell_ms must be an int or None, got {type(self.dwell_ms).__name__}"
                )
            if not 0 <= self.dwell_ms <= MAX_DWELL_MS:
                raise ValueError(
                    f"dwell_ms must be between 0 and {MAX_DWELL_MS}, got {self.dwell_ms}"
                )
        _check_client(self.client)


@dataclass(frozen=True, slots=True)
class Explicit:
    """An explicit judgement of ``id``: +1 like, -1 dislike, or a rating scaled into [-1, 1].

    A rating of ``r`` stars out of ``n`` is ``rating_value(r, n)``: 1 star is -1, n stars +1.
    """

    id: str
    value: float
    session_id: str
    client: str | None = None

    def __post_init__(self) -> None:
        _check_item_id(self.id)
        if isinstance(self.value, bool) or not isinstance(self.value, (int, float)):
            raise TypeError(f"value must be a number, got {type(self.value).__name__}")
        if not math.isfinite(self.value) or not -1.0 <= self.value <= 1.0:
            raise ValueError(f"value must be in [-1, 1] (like +1, dislike -1), got {self.value}")
        object.__setattr__(self, "value", float(self.value))
        _check_session(self.session_id)
        _check_client(self.client)


Event = Impression | Click | Explicit


@dataclass(frozen=True, slots=True)
class Recorded:
    """An event as a store acknowledged it: its sequence number and the store's timestamp."""

    seq: int
    timestamp: float
    event: Event


def rating_value(stars: float, scale: int = 5) -> float:
    """A rating of ``stars`` in ``1..scale`` as an explicit value in ``[-1, 1]``."""
    if isinstance(scale, bool) or not isinstance(scale, int) or scale < 2:
        raise ValueError(f"scale must be an int of at least 2, got {scale!r}")
    if isinstance(stars, bool) or not isinstance(stars, (int, float)):
        raise TypeError(f"stars must be a number, got {type(stars).__name__}")
    if not 1 <= stars <= scale:
        raise ValueError(f"stars must be between 1 and {scale}, got {stars}")
    return 2.0 * (stars - 1) / (scale - 1) - 1.0


# The wire form -----------------------------------------------------------------------------------


def to_dict(event: Event) -> dict[str, Any]:
    """The JSON-ready form of ``event`` (``kind`` first)."""
    if isinstance(event, Impression):
        shown: dict[str, Any] = {
            "kind": "impression",
            "query": event.query,
            "ids": list(event.ids),
            "session_id": event.session_id,
            "client": event.client,
        }
        if event.experiment is not None and event.arms is not None:
            shown["experiment"] = event.experiment
            shown["arms"] = list(event.arms)
        return shown
    if isinstance(event, Click):
        return {
            "kind": "click",
            "query": event.query,
            "id": event.id,
            "position": event.position,
            "session_id": event.session_id,
            "dwell_ms": event.dwell_ms,
            "client": event.client,
        }
    return {
        "kind": "explicit",
        "id": event.id,
        "value": event.value,
        "session_id": event.session_id,
        "client": event.client,
    }


def from_dict(data: dict[str, Any]) -> Event:
    """The event whose ``to_dict`` form is ``data`` (validated like any new event)."""
    kind = data.get("kind")
    if kind == "impression":
        arms = data.get("arms")
        return Impression(
            data["query"],
            tuple(data["ids"]),
            data["session_id"],
            data.get("client"),
            data.get("experiment"),
            None if arms is None else tuple(arms),
        )
    if kind == "click":
        return Click(
            data["query"],
            data["id"],
            data["position"],
            data["session_id"],
            data.get("dwell_ms"),
            data.get("client"),
        )
    if kind == "explicit":
        return Explicit(data["id"], data["value"], data["session_id"], data.get("client"))
    raise ValueError(f"unknown event kind {kind!r}")


def encode(event: Event) -> str:
    """Compact JSON for ``event``, as stores keep it."""
    return json.dumps(to_dict(event), ensure_ascii=False, separators=(",", ":"))


def decode(text: str | bytes) -> Event:
    return from_dict(json.loads(text))


def recorded_to_dict(recorded: Recorded) -> dict[str, Any]:
    """The export form: ``seq`` and ``timestamp`` followed by the event's fields."""
    return {"seq": recorded.seq, "timestamp": recorded.timestamp, **to_dict(recorded.event)}


# Validation ------------------------------------------------------------------------------------


def _check_query(query: object) -> None:
    if not isinstance(query, str):
        raise TypeError(f"query must be a str, got {type(query).__name__}")
    if len(query) > MAX_QUERY_CHARS:
        raise ValueError(f"query is longer than {MAX_QUERY_CHARS} characters")
    if "\x00" in query:
        raise ValueError("query must not contain NUL characters")


def _check_item_id(item: object) -> None:
    if not isinstance(item, str):
        raise TypeError(f"a title id must be a str, got {type(item).__name__}")
    if not item or len(item) > MAX_ITEM_ID_CHARS:
        raise ValueError(f"a title id must have 1 to {MAX_ITEM_ID_CHARS} characters")
    if "\x00" in item:
        raise ValueError("a title id must not contain NUL characters")


def _check_session(session_id: object) -> None:
    if not isinstance(session_id, str):
        raise TypeError(f"session_id must be a str, got {type(session_id).__name__}")
    if not session_id.strip() or len(session_id) > MAX_SESSION_ID_CHARS:
        raise ValueError(
            f"session_id must be non-blank and at most {MAX_SESSION_ID_CHARS} characters"
        )


def check_experiment_name(name: object) -> None:
    """An experiment name: 1 to ``MAX_EXPERIMENT_NAME_CHARS`` letters, digits, ``-``, ``_``
    or ``.`` (it appears in URLs, logs and Redis keys unescaped)."""
    if not isinstance(name, str):
        raise TypeError(f"an experiment name must be a str, got {type(name).__name__}")
    if not 1 <= len(name) <= MAX_EXPERIMENT_NAME_CHARS or not set(name) <= _NAME_CHARACTERS:
        raise ValueError(
            f"an experiment name has 1 to {MAX_EXPERIMENT_NAME_CHARS} letters, digits, '-', "
            f"'_' or '.'; got {name!r}"
        )


def _check_client(client: object) -> None:
    if client is None:
        return
    if not isinstance(client, str):
        raise TypeError(f"client must be a str or None, got {type(client).__name__}")
    if not client.strip() or len(client) > MAX_SESSION_ID_CHARS:
        raise ValueError(f"client must be non-blank and at most {MAX_SESSION_ID_CHARS} characters")
