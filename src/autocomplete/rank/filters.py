"""Metadata filters (``where``) and boosts, compiled to per-title arrays over ``MetadataColumns``.

The spec language, one clause per field, clauses ANDed::

    {"genres": "Animation"}            a tags field contains the value
    {"genres": ["Comedy", "Romance"]}  any of the values (tags, category, number or flag)
    {"year": (1990, 1999)}             inclusive range on a number field; None leaves an end open
    {"year": 1994, "mpaa": "R"}        equality on any other field

A boost maps each field to ``{value spec: factor}``, e.g. ``{"genres": {"Animation": 2.0}}`` or
``{"year": {(2000, 2005): 1.5}}``; a title matching several clauses gets the product of their
factors, kept as a log multiplier so it adds to the log-probability score.

Compiling is vectorized (one NumPy pass per clause) and is the only place a spec is checked:
unknown fields, values of the wrong type and values the catalog never holds raise a
``ValueError`` saying what is wrong and what would be accepted. A spec is first reduced to a
canonical, hashable *key* (``where_key``, ``boost_key``); compiling works from that key alone,
so equal keys always mean equal filters and ``FilterCache`` can serve repeats without
recompiling.

A compiled filter is a ``TitleMask`` of the index layer: retrieval within it is the index's
(``CatalogIndex.top_entries(prefix, k, where=...)``); this module only compiles.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from autocomplete.cache import Memo
from autocomplete.catalog.columns import (
    CategoryColumn,
    Column,
    FlagColumn,
    MetadataColumns,
    NumberColumn,
    TagsColumn,
)
from autocomplete.index.title_mask import TitleMask

DEFAULT_FILTER_CACHE_SIZE = 64
"""Compiled filters and boosts an engine keeps. Each holds a byte per title (plus, once used for
retrieval, its passing entries), so this bounds the cache near 64 MB at a million titles."""

SHOWN_VALUES = 8
"""Known values listed in the error for a value the catalog does not hold."""

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int32]
FloatArray = npt.NDArray[np.float32]

# Canonical values: ("str" | "num" | "bool", value). Tagging the type keeps 1, 1.0 and True
# apart in a key even though Python hashes them alike.
Scalar = tuple[str, str | float | bool]


class Equals(NamedTuple):
    value: Scalar


class AnyOf(NamedTuple):
    values: tuple[Scalar, ...]  # sorted, distinct, at least two


class Range(NamedTuple):
    low: float | None  # inclusive; None is open
    high: float | None


ValueKey = Equals | AnyOf | Range
WhereKey = tuple[tuple[str, ValueKey], ...]
BoostKey = tuple[tuple[str, ValueKey, float], ...]


# Canonical keys -------------------------------------------------------------------------------


class FilterError(ValueError):
    """A ``where`` or ``boost`` the catalog cannot apply, with the field at fault (None when the
    spec as a whole is malformed), so a caller can point at its own parameter without parsing
    the message."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def where_key(where: Mapping[str, object] | None) -> WhereKey:
    """The canonical, hashable form of a ``where`` spec; ``()`` for no filter.

    Checks the spec's shape (field names, value types); whether the fields and values exist in
    a catalog is checked when compiling.
    """
    if where is None:
        return ()
    if not isinstance(where, Mapping):
        raise FilterError(
            f"where must be a mapping of field -> value, got {type(where).__name__}", field=None
        )
    clauses = [(_field_name(name), _value_key(name, value)) for name, value in where.items()]
    return tuple(sorted(clauses, key=lambda clause: clause[0]))


def boost_key(boost: Mapping[str, Mapping[object, object]] | None) -> BoostKey:
    """The canonical, hashable form of a ``boost`` spec; ``()`` for no boost."""
    if boost is None:
        return ()
    if not isinstance(boost, Mapping):
        raise FilterError(
            f"boost must be a mapping of field -> {{value: factor}}, got {type(boost).__name__}",
            field=None,
        )
    clauses: list[tuple[str, ValueKey, float]] = []
    for name, factors in boost.items():
        field_name = _field_name(name)
        if not isinstance(factors, Mapping) or not factors:
            raise FilterError(
                f"boost for field {field_name!r} must be a non-empty mapping of value -> factor, "
                f'e.g. {{"{field_name}": {{value: 2.0}}}}; got {factors!r}',
                field=field_name,
            )
        for value, factor in factors.items():
            if isinstance(factor, bool) or not isinstance(factor, int | float):
                raise FilterError(
                    f"boost factor for {field_name}={value!r} must be a number, got {factor!r}",
                    field=field_name,
                )
            if not math.isfinite(factor) or factor <= 0:
                raise FilterError(
                    f"boost factor for {field_name}={value!r} must be finite and > 0 "
                    f"(1.0 leaves a title unchanged), got {factor!r}",
                    field=field_name,
                )
            clauses.append((field_name, _value_key(field_name, value), float(factor)))
    # repr orders clauses deterministically: keys hold only tuples, strings and numbers.
    return tuple(sorted(clauses, key=repr))


def _field_name(name: object) -> str:
    if not isinstance(name, str) or not name:
        raise FilterError(f"field names must be non-empty strings, got {name!r}", field=None)
    return name


def _scalar(name: str, value: object) -> Scalar:
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | float):
        if math.isnan(value):
            raise FilterError(f"{name}: NaN matches nothing; give a number", field=name)
        return ("num", value)
    if isinstance(value, str):
        return ("str", value)
    raise FilterError(
        f"{name}: unsupported value {value!r} ({type(value).__name__}); use a string, a number, "
        "a bool, a list of those (any of), or a (low, high) tuple (range)",
        field=name,
    )


def _value_key(name: str, value: object) -> ValueKey:
    if isinstance(value, tuple):
        if len(value) != 2:
            raise FilterError(
                f"{name}: a range is a (low, high) tuple, got {len(value)} items; "
                "use a list for any of several values",
                field=name,
            )
        low, high = (_bound(name, bound) for bound in value)
        if low is None and high is None:
            raise FilterError(
                f"{name}: a range needs at least one bound, got (None, None)", field=name
            )
        if low is not None and high is not None and low > high:
            raise FilterError(
                f"{name}: empty range, low {low!r} is above high {high!r}", field=name
            )
        return Range(low, high)
    if isinstance(value, list | set | frozenset):
        if not value:
            raise FilterError(
                f"{name}: an empty list matches nothing; leave the field out instead", field=name
            )
        # Sorted and deduplicated, so the same values in any order give the same key.
        values = tuple(sorted({_scalar(name, item) for item in value}))
        return AnyOf(values) if len(values) > 1 else Equals(values[0])
    return Equals(_scalar(name, value))


def _bound(name: str, bound: object) -> float | None:
    if bound is None:
        return None
    if isinstance(bound, bool) or not isinstance(bound, int | float) or math.isnan(bound):
        raise FilterError(
            f"{name}: range bounds must be numbers or None, got {bound!r}", field=name
        )
    return bound


# Compiling ------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class TitleFilter(TitleMask):
    """The titles passing a ``where`` spec: a ``TitleMask`` with its canonical key."""

    key: WhereKey = ()
    description: str = ""  # e.g. "genres=Animation & year=1990..1999"


class BoostClause(NamedTuple):
    """One ``field -> {value: factor}`` item: the titles it lifts and by how much."""

    filter: TitleFilter
    log_factor: float

    @property
    def label(self) -> str:
        return f"{self.filter.description} x{math.exp(self.log_factor):.3g}"


@dataclass(frozen=True, eq=False)
class BoostRule:
    """Per-title log multipliers of a ``boost`` spec (0 where no clause applies); read-only."""

    key: BoostKey
    log_multiplier: FloatArray
    clauses: tuple[BoostClause, ...]
    _values: memoryview = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_values", np.ascontiguousarray(self.log_multiplier).data)

    def of(self, title: int) -> float:
        """The log multiplier of ``title`` (a Python float, cheap on the query path)."""
        value: float = self._values[title]
        return value

    def explain(self, title: int) -> tuple[str, ...]:
        """The clauses that apply to ``title``, e.g. ``("genres=Animation x2",)``."""
        return tuple(clause.label for clause in self.clauses if title in clause.filter)

    @property
    def max_log_factor(self) -> float:
        """No title is lifted by more than this (sum of the positive clause factors)."""
        return sum(max(clause.log_factor, 0.0) for clause in self.clauses)

    @property
    def min_log_factor(self) -> float:
        """No title is lowered by more than this (sum of the negative clause factors)."""
        return sum(min(clause.log_factor, 0.0) for clause in self.clauses)


def compile_where(
    where: Mapping[str, object] | None, columns: MetadataColumns, priors: FloatArray
) -> TitleFilter | None:
    """The filter for ``where`` (None for no filter); ``priors`` orders ``selected``."""
    key = where_key(where)
    return _compile_filter(key, columns, priors) if key else None


def compile_boost(
    boost: Mapping[str, Mapping[object, object]] | None,
    columns: MetadataColumns,
    priors: FloatArray,
) -> BoostRule | None:
    """The boost rule for ``boost`` (None for no boost)."""
    key = boost_key(boost)
    return _compile_boost(key, columns, priors) if key else None


def _compile_filter(key: WhereKey, columns: MetadataColumns, priors: FloatArray) -> TitleFilter:
    if len(priors) != columns.title_count:
        raise ValueError(f"{len(priors)} priors for {columns.title_count} titles")
    mask = np.ones(columns.title_count, dtype=np.bool_)
    parts: list[str] = []
    for name, value in key:
        try:
            column = columns.column(name)
        except ValueError as error:  # unknown or unfilterable: the field is the caller's
            raise FilterError(str(error), field=name) from None
        mask &= _clause_mask(column, value)
        parts.append(_describe(name, value))
    return TitleFilter(
        mask=mask,
        count=int(np.count_nonzero(mask)),
        priors=priors,
        key=key,
        description=" & ".join(parts),
    )


def _compile_boost(key: BoostKey, columns: MetadataColumns, priors: FloatArray) -> BoostRule:
    log_multiplier = np.zeros(columns.title_count, dtype=np.float32)
    clauses: list[BoostClause] = []
    for name, value, factor in key:
        clause_filter = _compile_filter(((name, value),), columns, priors)
        log_factor = math.log(factor)
        log_multiplier[clause_filter.mask] += np.float32(log_factor)
        clauses.append(BoostClause(clause_filter, log_factor))
    return BoostRule(key, log_multiplier, tuple(clauses))


def _clause_mask(column: Column, value: ValueKey) -> BoolArray:
    name = column.name
    if isinstance(value, Range):
        if not isinstance(column, NumberColumn):
            raise FilterError(
                f"{name}: a (low, high) range needs a number field, but {name!r} holds "
                f"{column.kind} values; use a value or a list of values",
                field=name,
            )
        low, high = value
        values = column.values
        mask = ~np.isnan(values)  # missing values pass no range, open or not
        if low is not None:
            mask &= values >= low
        if high is not None:
            mask &= values <= high
        return mask
    wanted = list(value.values) if isinstance(value, AnyOf) else [value.value]
    if isinstance(column, NumberColumn):
        numbers = [item for kind, item in _expect(column, wanted, "num", "a number")]
        return np.isin(column.values, np.asarray(numbers, dtype=np.float64))
    if isinstance(column, FlagColumn):
        flags = [int(item) for kind, item in _expect(column, wanted, "bool", "true or false")]
        return np.isin(column.values, np.asarray(flags, dtype=np.int8))
    if isinstance(column, CategoryColumn):
        codes = []
        for _, item in _expect(column, wanted, "str", "a string"):
            code = column.vocabulary.code_of(str(item))
            if code is None:
                raise _unknown_value(name, str(item), column.most_common(SHOWN_VALUES))
            codes.append(code)
        return np.isin(column.codes, np.asarray(codes, dtype=np.int32))
    if not isinstance(column, TagsColumn):
        raise TypeError(f"unhandled column kind {column.kind}")
    bits = 0
    for _, item in _expect(column, wanted, "str", "a string"):
        bit = column.bit_of(str(item))
        if bit is None:
            raise _unknown_value(name, str(item), list(column.tags))
        bits |= 1 << bit
    contains: BoolArray = (column.bits & np.uint64(bits)) != 0
    return contains


def _expect(column: Column, wanted: list[Scalar], kind: str, what: str) -> list[Scalar]:
    for found_kind, item in wanted:
        if found_kind != kind:
            raise FilterError(
                f"{column.name}: expected {what} ({column.name!r} holds {column.kind} values), "
                f"got {item!r}",
                field=column.name,
            )
    return wanted


def _unknown_value(name: str, value: str, known: list[str]) -> FilterError:
    close = difflib.get_close_matches(value, known, n=1) or difflib.get_close_matches(
        value.casefold(), [item.casefold() for item in known], n=1
    )
    hint = ""
    if close:
        match = next((item for item in known if item.casefold() == close[0].casefold()), close[0])
        hint = f" (did you mean {match!r}?)"
    listed = ", ".join(known[:SHOWN_VALUES]) + (", ..." if len(known) > SHOWN_VALUES else "")
    return FilterError(
        f"{name}: no title has {value!r}{hint}; known values include: {listed}", field=name
    )


def _number_text(value: float) -> str:
    # 1990.0 reads as 1990 in an explanation; other floats keep their exact repr.
    if isinstance(value, int) or (value.is_integer() and abs(value) < 1e15):
        return str(int(value))
    return repr(value)


def _scalar_text(scalar: Scalar) -> str:
    kind, item = scalar
    if kind == "bool":
        return "true" if item else "false"
    if kind == "num" and isinstance(item, int | float):
        return _number_text(item)
    return str(item)


def _describe(name: str, value: ValueKey) -> str:
    if isinstance(value, Range):
        low = "" if value.low is None else _number_text(value.low)
        high = "" if value.high is None else _number_text(value.high)
        return f"{name}={low}..{high}"
    if isinstance(value, AnyOf):
        return f"{name} in [{', '.join(_scalar_text(item) for item in value.values)}]"
    return f"{name}={_scalar_text(value.value)}"


# Caching --------------------------------------------------------------------------------------


class FilterCache:
    """Compiled filters and boost rules over one index's columns, most recently used kept.

    The engine owns one per index: the compiled arrays are only valid for that index.
    """

    def __init__(
        self,
        columns: MetadataColumns,
        priors: FloatArray,
        max_size: int = DEFAULT_FILTER_CACHE_SIZE,
    ) -> None:
        if len(priors) != columns.title_count:
            raise ValueError(f"{len(priors)} priors for {columns.title_count} titles")
        self._columns = columns
        self._priors = priors
        self._filters: Memo[WhereKey, TitleFilter] = Memo(max_size, "compiled filters")
        self._boosts: Memo[BoostKey, BoostRule] = Memo(max_size, "compiled boosts")

    def where(self, where: Mapping[str, object] | None) -> TitleFilter | None:
        key = where_key(where)
        if not key:
            return None
        found = self._filters.get(key)
        if found is None:
            found = _compile_filter(key, self._columns, self._priors)
            self._filters.put(key, found)
        return found

    def boost(self, boost: Mapping[str, Mapping[object, object]] | None) -> BoostRule | None:
        key = boost_key(boost)
        if not key:
            return None
        found = self._boosts.get(key)
        if found is None:
            found = _compile_boost(key, self._columns, self._priors)
            self._boosts.put(key, found)
        return found


class VisibleFilters:
    """``where`` filters narrowed to the titles an engine may still suggest: live updates hide
    the main index's titles that were replaced or deleted (see ``Autocomplete.hiding``).

    Each filter is composed once with the visible titles and kept (no filter at all is the
    visible titles themselves), so retrieval leaves hidden titles out the way it leaves out
    what a ``where`` refuses, and ``k`` answers come back whenever ``k`` visible ones match.
    """

    def __init__(self, visible: TitleMask, max_size: int = DEFAULT_FILTER_CACHE_SIZE) -> None:
        self.visible = visible
        self._unfiltered = TitleFilter(
            mask=visible.mask,
            count=visible.count,
            priors=visible.priors,
            description="not hidden",
        )
        self._composed: Memo[WhereKey, TitleFilter] = Memo(max_size, "filters within visible")

    def within(self, title_filter: TitleFilter | None) -> TitleFilter:
        """``title_filter``'s titles that are visible (every visible title for None). The
        result keeps the filter's key: memos keyed by it belong to the hiding engine."""
        if title_filter is None:
            return self._unfiltered
        found = self._composed.get(title_filter.key)
        if found is None:
            mask = title_filter.mask & self.visible.mask
            found = TitleFilter(
                mask=mask,
                count=int(np.count_nonzero(mask)),
                priors=title_filter.priors,
                key=title_filter.key,
                description=title_filter.description,
            )
            self._composed.put(title_filter.key, found)
        return found
