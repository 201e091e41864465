"""Catalog metadata as compact, read-only columns, so filters and boosts run vectorized.

Records carry free-form metadata (``{"year": 1999, "genres": ["Comedy"], "mpaa": "R"}``); a
filter over a million titles cannot afford to decode each title's JSON. ``MetadataColumns``
lays every field out as one NumPy array over title positions (the index's numbering: record
order), built once with the index and saved beside it as ``.npy`` files that ``load``
memory-maps.

A field's kind is inferred from all its values (``None`` and absent both mean "missing"):

* ``number``: only ints and floats (bools excluded) -> float64, NaN where missing. Ints up to
  2**53 stay exact, which covers years, votes and budgets.
* ``category``: only strings -> int32 codes into a sorted vocabulary, -1 where missing. More
  than ``MAX_CATEGORY_VALUES`` distinct strings make it unfilterable: that is an identifier or
  free text, not a category, and its vocabulary would outweigh the codes.
* ``tags``: lists of strings (a bare string counts as a one-element list, as a hand-edited
  catalog often writes a single genre) -> one uint64 bitmask per title, at most ``MAX_TAGS``
  distinct values.
* ``flag``: only bools -> int8, -1 where missing.
* Anything else (nested mappings, lists of non-strings, mixed kinds, too many tags or category
  values) is recorded as *unfilterable* with the reason, so a filter on it can say why.

Per title this costs 8 bytes per number or tags field, 4 per category and 1 per flag: the
bundled catalog's filterable fields take a few MB at a million titles.
"""

from __future__ import annotations

import bisect
import json
import math
import os
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol, overload

import numpy as np
import numpy.typing as npt

FORMAT_VERSION = 1
MANIFEST = "columns.json"

MAX_TAGS = 64
"""Distinct values a list field may hold and still be filterable: one bit each in a uint64."""

MAX_CATEGORY_VALUES = 65_536
"""Distinct strings a scalar field may hold and still be filterable as a category."""

NumberArray = npt.NDArray[np.float64]
CodeArray = npt.NDArray[np.int32]
BitArray = npt.NDArray[np.uint64]
FlagArray = npt.NDArray[np.int8]


class FieldKind(StrEnum):
    NUMBER = "number"
    CATEGORY = "category"
    TAGS = "tags"
    FLAG = "flag"


class ColumnsFormatError(ValueError):
    """A saved columns directory is missing, incomplete or from another format version."""


class Vocabulary(Sequence[str]):
    """Sorted distinct strings in one UTF-8 blob with offsets: memory-mappable, binary-searched.

    A code is a position in sorted order, so looking a value up needs no dictionary (which
    would have to be rebuilt on every load).
    """

    __slots__ = ("_blob", "_offsets")

    def __init__(self, blob: npt.NDArray[np.uint8], offsets: npt.NDArray[np.int64]) -> None:
        self._blob = blob
        self._offsets = offsets

    @classmethod
    def from_sorted(cls, values: Sequence[str]) -> Vocabulary:
        encoded = [value.encode("utf-8") for value in values]
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum([len(item) for item in encoded], out=offsets[1:])
        blob = np.frombuffer(b"".join(encoded), dtype=np.uint8)
        return cls(blob, offsets)

    def __len__(self) -> int:
        return len(self._offsets) - 1

    @overload
    def __getitem__(self, position: int) -> str: ...
    @overload
    def __getitem__(self, position: slice) -> list[str]: ...
    def __getitem__(self, position: int | slice) -> str | list[str]:
        if isinstance(position, slice):
            return [self[item] for item in range(*position.indices(len(self)))]
        if position < 0:
            position += len(self)
        if not 0 <= position < len(self):
            raise IndexError(position)
        start, end = self._offsets[position : position + 2].tolist()
        return bytes(self._blob[start:end]).decode("utf-8")

    def __iter__(self) -> Iterator[str]:
        return (self[position] for position in range(len(self)))

    def code_of(self, value: str) -> int | None:
        """The position of ``value``, or None when the vocabulary does not hold it."""
        position = bisect.bisect_left(self, value)
        if position < len(self) and self[position] == value:
            return position
        return None

    def save(self, directory: Path, stem: str) -> None:
        np.save(directory / f"{stem}.vocab.npy", self._blob)
        np.save(directory / f"{stem}.vocab_offsets.npy", self._offsets)

    @classmethod
    def load(cls, directory: Path, stem: str) -> Vocabulary:
        return cls(
            _load_array(directory / f"{stem}.vocab.npy"),
            _load_array(directory / f"{stem}.vocab_offsets.npy"),
        )


class HasMetadata(Protocol):
    """A catalog record, as far as the columns need it."""

    @property
    def metadata(self) -> Mapping[str, object]: ...


@dataclass(frozen=True, eq=False)
class NumberColumn:
    name: str
    values: NumberArray  # NaN where missing
    kind: FieldKind = FieldKind.NUMBER


@dataclass(frozen=True, eq=False)
class CategoryColumn:
    name: str
    codes: CodeArray  # -1 where missing
    vocabulary: Vocabulary
    kind: FieldKind = FieldKind.CATEGORY

    def most_common(self, count: int) -> list[str]:
        """The ``count`` most frequent values; for error messages, so it may scan."""
        present = self.codes[self.codes >= 0]
        if present.size == 0:
            return []
        frequency = np.bincount(present, minlength=len(self.vocabulary))
        order = np.argsort(-frequency, kind="stable")[:count]
        return [self.vocabulary[int(code)] for code in order if frequency[code] > 0]


@dataclass(frozen=True, eq=False)
class TagsColumn:
    name: str
    bits: BitArray  # bit i set when the title's list holds tags[i]
    tags: tuple[str, ...]  # sorted
    kind: FieldKind = FieldKind.TAGS

    @cached_property
    def counts(self) -> tuple[int, ...]:
        """How many titles hold each tag, in ``tags`` order (counted once, on first use)."""
        return tuple(
            int(np.count_nonzero(self.bits & np.uint64(1 << position)))
            for position in range(len(self.tags))
        )

    def bit_of(self, tag: str) -> int | None:
        position = bisect.bisect_left(self.tags, tag)
        if position < len(self.tags) and self.tags[position] == tag:
            return position
        return None


@dataclass(frozen=True, eq=False)
class FlagColumn:
    name: str
    values: FlagArray  # 1 true, 0 false, -1 missing
    kind: FieldKind = FieldKind.FLAG


Column = NumberColumn | CategoryColumn | TagsColumn | FlagColumn


@dataclass(frozen=True, eq=False)
class MetadataColumns:
    """Every metadata field of a catalog as a column over title positions; read-only."""

    title_count: int
    columns: Mapping[str, Column]
    unfilterable: Mapping[str, str]  # field -> why it cannot be filtered on

    def column(self, name: str) -> Column:
        """The column of field ``name``; a ``ValueError`` says why when there is none."""
        found = self.columns.get(name)
        if found is not None:
            return found
        reason = self.unfilterable.get(name)
        if reason is not None:
            raise ValueError(f"field {name!r} cannot be filtered on: {reason}")
        known = ", ".join(sorted(self.columns)) or "none"
        raise ValueError(f"unknown field {name!r}; filterable fields: {known}")

    @property
    def filterable_fields(self) -> tuple[str, ...]:
        return tuple(sorted(self.columns))

    # Build --------------------------------------------------------------------------------

    @classmethod
    def build(cls, records: Iterable[HasMetadata]) -> MetadataColumns:
        """Infer each field's kind from every record's value, and fill its column (one pass:
        ``MetadataColumnsBuilder``)."""
        builder = MetadataColumnsBuilder()
        for record in records:
            builder.add(record.metadata)
        return builder.build()

    # Save and load ------------------------------------------------------------------------

    def save(self, directory: str | os.PathLike[str]) -> Path:
        """Write every column as ``.npy`` files plus a manifest, in ``load``'s format."""
        target = Path(directory)
        target.mkdir(parents=True, exist_ok=True)
        fields: list[dict[str, Any]] = []
        # Files are named by position, not by field: a field name may be any string.
        for position, (name, column) in enumerate(sorted(self.columns.items())):
            stem = f"field{position}"
            entry: dict[str, Any] = {"name": name, "kind": str(column.kind), "stem": stem}
            if isinstance(column, NumberColumn | FlagColumn):
                np.save(target / f"{stem}.npy", column.values)
            elif isinstance(column, CategoryColumn):
                np.save(target / f"{stem}.npy", column.codes)
                column.vocabulary.save(target, stem)
            else:
                np.save(target / f"{stem}.npy", column.bits)
                entry["tags"] = list(column.tags)
            fields.append(entry)
        manifest = {
            "format_version": FORMAT_VERSION,
            "title_count": self.title_count,
            "fields": fields,
            "unfilterable": dict(sorted(self.unfilterable.items())),
        }
        # The manifest goes last: a directory without one is an interrupted save.
        (target / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
        return target

    @classmethod
    def load(cls, directory: str | os.PathLike[str]) -> MetadataColumns:
        """Memory-map columns written by ``save``."""
        source = Path(directory)
        path = source / MANIFEST
        if not path.is_file():
            raise ColumnsFormatError(f"{source}: no saved metadata columns ({MANIFEST} missing)")
        try:
            manifest = json.loads(path.read_text())
            if manifest.get("format_version") != FORMAT_VERSION:
                raise ColumnsFormatError(
                    f"{source}: metadata columns format {manifest.get('format_version')!r}, "
                    f"this version reads {FORMAT_VERSION}; rebuild the index"
                )
            count = int(manifest["title_count"])
            columns: dict[str, Column] = {}
            for entry in manifest["fields"]:
                name, stem = str(entry["name"]), str(entry["stem"])
                array = _load_array(source / f"{stem}.npy")
                if len(array) != count:
                    raise ColumnsFormatError(f"{source}: column {name!r} has {len(array)} rows")
                kind = FieldKind(entry["kind"])
                column: Column
                if kind is FieldKind.NUMBER:
                    column = NumberColumn(name, array)
                elif kind is FieldKind.FLAG:
                    column = FlagColumn(name, array)
                elif kind is FieldKind.CATEGORY:
                    column = CategoryColumn(name, array, Vocabulary.load(source, stem))
                else:
                    column = TagsColumn(name, array, tuple(entry["tags"]))
                columns[name] = column
            unfilterable = {str(k): str(v) for k, v in manifest["unfilterable"].items()}
        except ColumnsFormatError:
            raise
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise ColumnsFormatError(f"{source}: damaged metadata columns: {error}") from None
        return cls(count, MappingProxyType(columns), MappingProxyType(unfilterable))


class MetadataColumnsBuilder:
    """``MetadataColumns.build`` fed one record's metadata at a time, from a stream of records
    that is read once (the index build of a catalog too large to hold).

    Each field keeps its profile and its values in compact arrays (a number, a string code
    and a tag mask per title, each only once the field has shown such a value), so nothing
    is kept per title as a Python object.
    """

    def __init__(self) -> None:
        self._fields: dict[str, _FieldValues] = {}
        self._count = 0

    def add(self, metadata: Mapping[str, object]) -> None:
        """The next title's metadata."""
        for name, value in metadata.items():
            field = self._fields.get(name)
            if field is None:
                field = self._fields[name] = _FieldValues()
            field.add(self._count, value)
        self._count += 1

    def build(self) -> MetadataColumns:
        count = self._count
        columns: dict[str, Column] = {}
        unfilterable: dict[str, str] = {}
        for name in sorted(self._fields):
            field = self._fields[name]
            kind = field.profile.kind()
            if not isinstance(kind, FieldKind):
                unfilterable[name] = kind
                continue
            columns[name] = field.column(name, kind, count)
        return MetadataColumns(count, MappingProxyType(columns), MappingProxyType(unfilterable))


class _FieldValues:
    """One field's profile and values, title by title (see ``MetadataColumnsBuilder``).

    Values are stored in the form every column kind can be made from: a number (a flag as 1
    or 0), else a string's code (in order of first sight), else a list's mask of string codes.
    Storage stops once the profile rules a column out (too many distinct strings, mixed
    lists), so a free-text field costs nothing per title.
    """

    __slots__ = ("masks", "numbers", "profile", "string_codes", "strings", "strings_kept")

    def __init__(self) -> None:
        self.profile = _Profile()
        self.numbers = array("d")
        self.string_codes = array("i")
        self.masks = array("Q")
        self.strings: dict[str, int] = {}
        self.strings_kept = True

    def add(self, title: int, value: object) -> None:
        profile = self.profile
        profile.observe(value)
        if value is None or profile.problem is not None:
            return
        if isinstance(value, int | float):  # bools too: a flag is 1 or 0
            _put(self.numbers, title, float(value), math.nan)
        elif not self.strings_kept:
            return
        elif isinstance(value, str):
            code = self._code(value)
            if code is not None:
                _put(self.string_codes, title, code, -1)
        elif isinstance(value, list | tuple):
            mask = 0
            for item in value:
                code = self._code(item)
                if code is None:
                    return
                mask |= 1 << code
            if mask >> MAX_TAGS:  # more tags than a mask holds: no tags column either
                return
            _put(self.masks, title, mask, 0)

    def _code(self, text: str) -> int | None:
        code = self.strings.get(text)
        if code is None:
            if len(self.strings) > MAX_CATEGORY_VALUES:  # neither category nor tags
                self.strings_kept = False
                self.strings.clear()
                self.string_codes = array("i")
                self.masks = array("Q")
                return None
            code = self.strings[text] = len(self.strings)
        return code

    def column(self, name: str, kind: FieldKind, count: int) -> Column:
        if kind is FieldKind.NUMBER or kind is FieldKind.FLAG:
            numbers = _filled(self.numbers, count, np.float64, math.nan)
            if kind is FieldKind.NUMBER:
                return NumberColumn(name, numbers)
            return FlagColumn(name, np.where(np.isnan(numbers), -1, numbers).astype(np.int8))
        codes = _filled(self.string_codes, count, np.int64, -1)
        ordered = sorted(self.strings)
        position = {text: index for index, text in enumerate(ordered)}
        sorted_code = np.array([position[text] for text in self.strings], dtype=np.int64)
        present = codes >= 0
        if kind is FieldKind.CATEGORY:
            found = np.full(count, -1, dtype=np.int32)
            found[present] = sorted_code[codes[present]]
            return CategoryColumn(name, found, Vocabulary.from_sorted(ordered))
        # Tags: a lone string is a one-tag list; codes become bits in sorted-tag order.
        bits = np.zeros(count, dtype=np.uint64)
        bits[present] = np.left_shift(np.uint64(1), sorted_code[codes[present]].astype(np.uint64))
        masks = _filled(self.masks, count, np.uint64, 0)
        for code, bit in enumerate(sorted_code.tolist()):
            held = (masks >> np.uint64(code)) & np.uint64(1)
            bits |= held << np.uint64(bit)
        return TagsColumn(name, bits, tuple(ordered))


def _put(column: array[Any], position: int, value: Any, missing: Any) -> None:
    """``column[position] = value``, first padding titles without a value with ``missing``."""
    if len(column) < position:
        column.extend([missing] * (position - len(column)))
    column.append(value)


def _filled(column: array[Any], count: int, dtype: type[np.generic], missing: Any) -> Any:
    """The values of ``column`` for ``count`` titles, ``missing`` after its last value."""
    found = np.full(count, missing, dtype=dtype)
    if len(column):
        found[: len(column)] = np.frombuffer(column, dtype=column.typecode)
    return found


class _Profile:
    """What one field's values look like across the catalog; decides its kind."""

    __slots__ = ("categories", "kinds", "problem", "tags")

    def __init__(self) -> None:
        self.kinds: set[str] = set()
        self.tags: set[str] = set()
        self.categories: set[str] = set()
        self.problem: str | None = None

    def observe(self, value: object) -> None:
        if value is None or self.problem is not None:
            return
        if isinstance(value, bool):
            self.kinds.add("bool")
        elif isinstance(value, int | float):
            self.kinds.add("number")
        elif isinstance(value, str):
            self.kinds.add("string")
            # Collected for either reading: a category value, or a one-element tag list.
            if len(self.categories) <= MAX_CATEGORY_VALUES:
                self.categories.add(value)
            if len(self.tags) <= MAX_TAGS:
                self.tags.add(value)
        elif isinstance(value, list | tuple):
            self.kinds.add("list")
            if not all(isinstance(item, str) for item in value):
                self.problem = "holds lists of non-strings"
            elif len(self.tags) <= MAX_TAGS:
                self.tags.update(value)
        else:
            self.problem = f"holds {type(value).__name__} values"

    def kind(self) -> FieldKind | str:
        """The field's kind, or a string saying why it has none."""
        if self.problem is not None:
            return self.problem
        kinds = self.kinds
        if kinds == {"number"}:
            return FieldKind.NUMBER
        if kinds == {"bool"}:
            return FieldKind.FLAG
        if kinds == {"string"}:
            if len(self.categories) > MAX_CATEGORY_VALUES:
                return f"more than {MAX_CATEGORY_VALUES:,} distinct strings (not a category)"
            return FieldKind.CATEGORY
        if kinds <= {"list", "string"} and kinds:
            if len(self.tags) > MAX_TAGS:
                return f"lists with more than {MAX_TAGS} distinct values"
            return FieldKind.TAGS
        if not kinds:
            return "no values"
        return "mixed value types (" + ", ".join(sorted(kinds)) + ")"


def _load_array(path: Path) -> Any:
    try:
        mapped = np.load(path, mmap_mode="r", allow_pickle=False)
    except OSError:
        raise
    except Exception as error:
        # A damaged header fails in many ways (ValueError, SyntaxError, tokenize's TokenError),
        # and a saved index's load reads it before the file's checksum is verified.
        raise ColumnsFormatError(f"{path}: not a readable array ({error!r})") from None
    # A plain ndarray view over the map: slicing an np.memmap costs a Python hook each time.
    return mapped.view(np.ndarray)
