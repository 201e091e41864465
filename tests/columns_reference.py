"""The metadata columns built the way ``MetadataColumns.build`` built them before the
one-pass builder (``MetadataColumnsBuilder``): every record's values profiled first, then each
column filled in a second pass over the records. The builder must make the same columns;
``test_columns`` holds the two equal."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from types import MappingProxyType

import numpy as np

from autocomplete.catalog.columns import (
    CategoryColumn,
    Column,
    FieldKind,
    FlagColumn,
    HasMetadata,
    MetadataColumns,
    NumberColumn,
    TagsColumn,
    Vocabulary,
    _Profile,
)


def reference_columns(records: Sequence[HasMetadata]) -> MetadataColumns:
    """Infer each field's kind from every record's value, then fill its column."""
    count = len(records)
    profiles: dict[str, _Profile] = {}
    for record in records:
        for name, value in record.metadata.items():
            profile = profiles.get(name)
            if profile is None:
                profile = profiles[name] = _Profile()
            profile.observe(value)
    columns: dict[str, Column] = {}
    unfilterable: dict[str, str] = {}
    for name in sorted(profiles):
        profile = profiles[name]
        kind = profile.kind()
        if not isinstance(kind, FieldKind):
            unfilterable[name] = kind
            continue
        values = (record.metadata.get(name) for record in records)
        columns[name] = _fill(name, kind, values, count, profile)
    return MetadataColumns(count, MappingProxyType(columns), MappingProxyType(unfilterable))


def _fill(
    name: str, kind: FieldKind, values: Iterator[object], count: int, profile: _Profile
) -> Column:
    if kind is FieldKind.NUMBER:
        numbers = np.fromiter(
            (math.nan if value is None else value for value in values),
            dtype=np.float64,
            count=count,
        )
        return NumberColumn(name, numbers)
    if kind is FieldKind.FLAG:
        flags = np.fromiter(
            (-1 if value is None else int(bool(value)) for value in values),
            dtype=np.int8,
            count=count,
        )
        return FlagColumn(name, flags)
    if kind is FieldKind.CATEGORY:
        ordered = sorted(profile.categories)
        code_of = {value: code for code, value in enumerate(ordered)}
        codes = np.fromiter(
            (code_of[value] if isinstance(value, str) else -1 for value in values),
            dtype=np.int32,
            count=count,
        )
        return CategoryColumn(name, codes, Vocabulary.from_sorted(ordered))
    tags = tuple(sorted(profile.tags))
    bit_of = {tag: 1 << position for position, tag in enumerate(tags)}

    def bits(value: object) -> int:
        if isinstance(value, str):
            return bit_of[value]
        mask = 0
        if isinstance(value, list | tuple):
            for tag in value:
                mask |= bit_of[tag]
        return mask

    return TagsColumn(name, np.fromiter(map(bits, values), dtype=np.uint64, count=count), tags)
