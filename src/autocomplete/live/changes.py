"""The changes a live catalog logs: a title upserted, a title deleted, a compaction published.

Each is encoded as one JSON document per log entry, so every update store (SQLite, Redis,
memory) keeps the same bytes and any process decodes them the same way. An upserted title is
logged as the validated ``Record`` (id, text, weight, metadata, aliases), not as the caller's
raw mapping: replay then needs neither the catalog's field names nor a second validation, and
the process that wrote it applies the same decoded record as every other process.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from types import MappingProxyType

from autocomplete.catalog.loader import Record


@dataclass(frozen=True, slots=True)
class CatalogFields:
    """The catalog loader's field names for upserted records (the bundled catalog's by
    default). Upserts need an id field: it is how a later change finds the title."""

    text: str = "title"
    weight: str | None = "votes"
    id: str = "id"
    alias: str | None = "aliases"


DEFAULT_FIELDS = CatalogFields()
"""The bundled catalog's field names."""


@dataclass(frozen=True, slots=True)
class Upsert:
    """Add the title, or replace the one with the same id."""

    record: Record


@dataclass(frozen=True, slots=True)
class Delete:
    """Remove the title with this id (a no-op when there is none)."""

    id: str


@dataclass(frozen=True, slots=True)
class Compacted:
    """Every change up to ``through`` was folded into a new main index; ``path``, when set, is
    where it was saved, so other processes load it rather than build their own."""

    through: int
    path: str | None = None


Change = Upsert | Delete | Compacted


@dataclass(frozen=True, slots=True)
class Logged:
    """A change with its place in the log (sequence numbers start at 1 and only grow)."""

    sequence: int
    change: Change


class ChangeFormatError(ValueError):
    """A log entry that is not a change this version can read."""


def encode(change: Change) -> str:
    if isinstance(change, Upsert):
        record = change.record
        body: dict[str, object] = {
            "op": "upsert",
            "id": record.id,
            "text": record.text,
            "weight": record.weight,
            "metadata": dict(record.metadata),
            "aliases": list(record.aliases),
        }
    elif isinstance(change, Delete):
        body = {"op": "delete", "id": change.id}
    else:
        body = {"op": "compacted", "through": change.through, "path": change.path}
    return json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def encoded_upsert(record: Record, position: int) -> str:
    """``record`` logged as an upsert, or a ``ValueError`` naming the record (its 1-based
    ``position`` in the batch and its id) and the metadata field JSON cannot hold."""
    try:
        return encode(Upsert(record))
    except (TypeError, ValueError):
        for name, value in record.metadata.items():
            try:
                json.dumps(value, allow_nan=False)
            except (TypeError, ValueError) as error:
                raise ValueError(
                    f"record {position} (id {record.id!r}), field {name!r}: "
                    f"cannot be stored as JSON ({error})"
                ) from None
        raise


def reads_back(record: Record) -> bool:
    """Whether ``decode(encode(Upsert(record)))`` equals ``record``: its metadata holds only
    what JSON keeps as it is (strings, numbers, booleans, None, lists, string-keyed objects),
    so the process that logged it may apply it without decoding its own entry."""
    return all(_json_native(value) for value in record.metadata.values())


def _json_native(value: object) -> bool:
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return True
    if kind is float:
        return math.isfinite(value)  # type: ignore[arg-type]
    if kind is list:
        return all(_json_native(item) for item in value)  # type: ignore[attr-defined]
    if kind is dict:
        return all(
            type(key) is str and _json_native(item)
            for key, item in value.items()  # type: ignore[attr-defined]
        )
    return False


def decode(text: str) -> Change:
    try:
        body = json.loads(text)
        op = body["op"]
        if op == "upsert":
            weight = float(body["weight"])
            if not math.isfinite(weight) or weight < 0:
                raise ValueError(f"bad weight {weight!r}")
            return Upsert(
                Record(
                    id=str(body["id"]),
                    text=str(body["text"]),
                    weight=weight,
                    metadata=MappingProxyType(dict(body["metadata"])),
                    aliases=tuple(str(alias) for alias in body["aliases"]),
                )
            )
        if op == "delete":
            return Delete(str(body["id"]))
        if op == "compacted":
            path = body.get("path")
            return Compacted(int(body["through"]), None if path is None else str(path))
    except (KeyError, TypeError, ValueError) as error:
        raise ChangeFormatError(f"unreadable change {text[:80]!r}: {error}") from None
    raise ChangeFormatError(f"unknown change {op!r}")
