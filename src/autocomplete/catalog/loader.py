"""Catalog loading: CSV or JSONL files (optionally gzip-compressed), or records in memory.

A catalog is a list of titles, each with an optional popularity weight, an optional id, optional
aliases, and any other fields, which are kept as metadata. The loader's contract:

* ``text_field`` must be present in every record and hold a non-blank string.
* ``weight_field``, when given, must hold a finite number >= 0 in every record (CSV cells are
  parsed as numbers). Without it every title weighs 0 and ranking falls back to match quality.
* ``id_field``, when given, must hold a non-blank value, unique across the catalog; without it a
  record's id is its line number (its 1-based position for in-memory records).
* ``alias_field``, when given, holds a list of strings (JSONL) or a ``|``-separated string (CSV);
  a missing or empty value means no aliases.
* Other fields become metadata. In CSV files, cells that look like integers or decimals become
  numbers and empty cells are left out, so ``{"year": 1998}`` means the same from either format.
* Blank lines are skipped (they are not records). Everything else that breaks the contract,
  undecodable bytes, malformed JSON and strings that are not Unicode text (a lone surrogate
  written as a ``\\ud800`` escape) included, raises ``CatalogError`` naming the file, the line
  and the field; with ``on_error="skip"`` the record is skipped instead, counted in the returned
  ``LoadReport``, and the first ``MAX_REPORTED_REASONS`` reasons are kept for display. Nothing is
  ever dropped silently.
* Mistakes about the whole file are a ``CatalogError`` in either mode: a file that is missing
  (``CatalogNotFoundError``, also a ``FileNotFoundError``), of an unknown format, empty or
  header-only, a CSV header without a named column, or a catalog whose every record was bad.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import json
import math
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import IO, Literal

MAX_REPORTED_REASONS = 100
"""Skipped-record reasons kept in a ``LoadReport``; the count covers all of them."""

MAX_LISTED_COLUMNS = 20
"""Columns of a CSV header listed when a named column is missing; the rest are counted."""

_INTEGER = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?")
# A JSON escape of a UTF-16 surrogate: the only way a lone surrogate gets into a decoded line,
# so lines without one skip the walk over their strings.
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89abcdefABCDEF]")
_SURROGATE = re.compile("[\ud800-\udfff]")

OnError = Literal["raise", "skip"]


class CatalogError(ValueError):
    """A catalog record breaks the loader's contract; says where (file, line, field) and why."""

    def __init__(self, source: str, line: int | None, field_name: str | None, problem: str) -> None:
        self.source = source
        self.line = line
        self.field = field_name
        self.problem = problem
        where = source if line is None else f"{source}, line {line}"
        if field_name is not None:
            where += f", field {field_name!r}"
        super().__init__(f"{where}: {problem}")


class CatalogNotFoundError(CatalogError, FileNotFoundError):
    """The catalog file does not exist; a ``FileNotFoundError`` too, for callers that catch it."""


@dataclass(frozen=True, slots=True)
class Record:
    """One catalog title, validated."""

    id: str
    text: str
    weight: float = 0.0
    metadata: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LoadReport:
    """What a load read: how many records it kept and what it skipped, with reasons."""

    source: str
    loaded: int
    skipped: int
    skipped_reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Fields:
    text: str
    weight: str | None
    id: str | None
    alias: str | None


def load_catalog(
    source: str | os.PathLike[str] | Iterable[Mapping[str, object]],
    *,
    text_field: str = "title",
    weight_field: str | None = None,
    id_field: str | None = None,
    alias_field: str | None = None,
    on_error: OnError = "raise",
) -> tuple[list[Record], LoadReport]:
    """Read and validate a catalog; see the module docstring for the contract."""
    stream = CatalogStream(
        source,
        text_field=text_field,
        weight_field=weight_field,
        id_field=id_field,
        alias_field=alias_field,
        on_error=on_error,
    )
    records = list(stream)
    return records, stream.report()


class CatalogStream:
    """A catalog's validated records, read one at a time (``load_catalog`` without the list).

    Iterate it once; the records come in catalog order, exactly those ``load_catalog`` would
    return, and the same ``CatalogError`` is raised where it would raise (an empty catalog or
    one of only bad records: when the iteration ends). ``report()`` is ready after that. A
    ten-million-title catalog held as ``Record`` objects takes gigabytes; a build that reads
    the stream keeps only what the index needs.
    """

    def __init__(
        self,
        source: str | os.PathLike[str] | Iterable[Mapping[str, object]],
        *,
        text_field: str = "title",
        weight_field: str | None = None,
        id_field: str | None = None,
        alias_field: str | None = None,
        on_error: OnError = "raise",
    ) -> None:
        if on_error not in ("raise", "skip"):
            raise ValueError(f"on_error must be 'raise' or 'skip', got {on_error!r}")
        if not isinstance(text_field, str) or not text_field:
            raise ValueError("text_field must be a non-empty field name")
        self._fields = _Fields(text_field, weight_field, id_field, alias_field)
        self._on_error = on_error
        self._source = source
        self._from_csv = False
        if isinstance(source, (str, os.PathLike)):
            self._label = str(Path(source))
            _check_exists(Path(source))
            self._from_csv = _format_of(Path(source)) == "csv"
        else:
            self._label = "<records>"
        self._report: LoadReport | None = None
        self._started = False

    def __iter__(self) -> Iterator[Record]:
        if self._started:
            raise RuntimeError("a CatalogStream is read once")
        self._started = True
        fields, label, source = self._fields, self._label, self._source
        from_csv = self._from_csv
        rows: Iterable[tuple[int, object]]
        if isinstance(source, (str, os.PathLike)):
            rows = _read_file(Path(source), fields)
        else:
            rows = _checked_records(source)
        loaded = 0
        seen_ids: dict[str, int] = {}
        skipped = 0
        reasons: list[str] = []
        for line, row in rows:
            try:
                if isinstance(row, _BadLine):
                    raise CatalogError(label, line, row.field, row.problem)
                record = _validate(row, fields, line, from_csv, label)
                first_line = seen_ids.get(record.id)
                if first_line is not None:
                    raise CatalogError(
                        label,
                        line,
                        fields.id,
                        f"duplicate id {record.id!r} (first seen on line {first_line})",
                    )
            except CatalogError as error:
                if self._on_error == "raise":
                    raise
                skipped += 1
                if len(reasons) < MAX_REPORTED_REASONS:
                    reasons.append(str(error))
                continue
            seen_ids[record.id] = line
            loaded += 1
            yield record
        if not loaded:
            # An index of nothing cannot rank anything; say so here, not as a math error later.
            if skipped:
                raise CatalogError(
                    label,
                    None,
                    None,
                    f"no usable records: every record was bad ({skipped} skipped); the first: "
                    f"{reasons[0]}",
                )
            raise CatalogError(label, None, None, "no records: the catalog is empty")
        self._report = LoadReport(label, loaded, skipped, tuple(reasons))

    def report(self) -> LoadReport:
        """What the finished iteration read and skipped."""
        if self._report is None:
            raise RuntimeError("the catalog stream has not been read to its end")
        return self._report


@dataclass(frozen=True, slots=True)
class _BadLine:
    """A line that could not be read as a record at all (bad bytes, bad JSON, wrong shape).

    Readers yield it in place of a row rather than raising, so that a skipping load can go on
    with the next line (a generator that raises is finished).
    """

    problem: str
    field: str | None = None


_Row = Mapping[str, object] | _BadLine


def _format_of(path: Path) -> str:
    suffixes = [suffix.lower() for suffix in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes.pop()
    kind = suffixes[-1] if suffixes else ""
    if kind == ".csv":
        return "csv"
    if kind in (".jsonl", ".ndjson"):
        return "jsonl"
    raise CatalogError(
        str(path), None, None, "unknown catalog format: use a .csv or .jsonl file (or .gz of one)"
    )


def _check_exists(path: Path) -> None:
    # Checked before the format, so that a mistyped name is "not found", whatever its suffix.
    if path.is_dir():
        raise CatalogError(
            str(path),
            None,
            None,
            "is a directory, not a catalog file (a saved index is opened with Autocomplete.load)",
        )
    if not path.is_file():
        raise CatalogNotFoundError(str(path), None, None, "catalog file not found")


def _open_binary(path: Path) -> IO[bytes]:
    if path.suffix.lower() == ".gz":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


def _decoded_lines(handle: IO[bytes]) -> Iterator[tuple[int, str | _BadLine]]:
    """(line number, text), or a ``_BadLine`` for a line whose bytes are not UTF-8."""
    for number, raw in enumerate(handle, start=1):
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        try:
            yield number, raw.decode("utf-8")
        except UnicodeDecodeError as error:
            yield (
                number,
                _BadLine(
                    f"bytes that are not UTF-8 at column {error.start + 1} "
                    f"({raw[error.start : error.start + 4]!r}); save the file as UTF-8"
                ),
            )


def _read_file(path: Path, fields: _Fields) -> Iterator[tuple[int, _Row]]:
    kind = _format_of(path)
    handle = _open_binary(path)
    try:
        if kind == "csv":
            yield from _read_csv(handle, str(path), fields)
        else:
            yield from _read_jsonl(handle)
    except (OSError, EOFError) as error:  # unreadable, truncated or corrupt gzip stream
        raise CatalogError(str(path), None, None, f"unreadable: {error}") from None
    finally:
        handle.close()


def _read_jsonl(handle: IO[bytes]) -> Iterator[tuple[int, _Row]]:
    for number, text in _decoded_lines(handle):
        if isinstance(text, _BadLine):
            yield number, text
            continue
        if not text.strip():
            continue
        try:
            value = json.loads(text)
        except ValueError as error:
            yield number, _BadLine(f"not valid JSON: {error}")
            continue
        if not isinstance(value, dict):
            yield number, _BadLine(f"expected a JSON object, got {type(value).__name__}")
            continue
        if _ESCAPED_SURROGATE.search(text):
            bad = _lone_surrogate(value)
            if bad is not None:
                yield number, bad
                continue
        yield number, value


def _checked_records(
    source: Iterable[Mapping[str, object]],
) -> Iterator[tuple[int, object]]:
    """In-memory records numbered from 1, each with a lone surrogate replaced by a ``_BadLine``."""
    for number, row in enumerate(source, start=1):
        bad = _lone_surrogate(row) if isinstance(row, Mapping) else None
        yield number, row if bad is None else bad


def _lone_surrogate(row: Mapping[str, object]) -> _BadLine | None:
    """A ``_BadLine`` naming the field whose key or value holds a lone surrogate, else None.

    A surrogate alone is not a character: it cannot be encoded as UTF-8, so it would fail later
    and far away (in the index build) instead of at its line.
    """
    for name, value in row.items():
        for text in _strings_in(name, value):
            found = _SURROGATE.search(text)
            if found is not None:
                return _BadLine(
                    f"lone surrogate {found.group()!r} at character {found.start() + 1} of "
                    f"{text!r}: not Unicode text (a broken \\u escape?)",
                    name if isinstance(name, str) else None,
                )
    return None


def _strings_in(*values: object) -> Iterator[str]:
    """Every string in ``values`` (nested lists and mappings too), ASCII ones left out."""
    for value in values:
        if isinstance(value, str):
            if not value.isascii():
                yield value
        elif isinstance(value, (list, tuple)):
            yield from _strings_in(*value)
        elif isinstance(value, Mapping):
            for key, item in value.items():
                yield from _strings_in(key, item)


def _read_csv(handle: IO[bytes], label: str, fields: _Fields) -> Iterator[tuple[int, _Row]]:
    # csv reads text; line numbers come from the decoder so that a record is reported at the
    # line where it ends (a quoted newline makes one record span several lines).
    position = [0]
    bad_bytes: list[_BadLine] = []

    def texts() -> Iterator[str]:
        for number, text in _decoded_lines(handle):
            position[0] = number
            if isinstance(text, _BadLine):
                bad_bytes.append(text)
                yield "\n"  # an empty line in its place keeps csv in step
            else:
                yield text

    header: list[str] | None = None
    rows_seen = 0
    for cells in csv.reader(texts()):
        line = position[0]
        if bad_bytes:
            yield line, bad_bytes.pop()
            continue
        if not cells or all(not cell.strip() for cell in cells):
            continue
        if header is None:
            header = [name.strip() for name in cells]
            duplicates = sorted({name for name in header if header.count(name) > 1})
            if duplicates:
                raise CatalogError(label, line, None, f"duplicate column names {duplicates}")
            _check_header(header, fields, label, line)
            continue
        rows_seen += 1
        if len(cells) != len(header):
            yield line, _BadLine(f"{len(cells)} cells where the header has {len(header)} columns")
            continue
        row: dict[str, object] = {}
        for name, cell in zip(header, cells, strict=True):
            value = _csv_value(cell)
            if value is not None:
                row[name] = value
        yield line, row
    if bad_bytes:  # the bad line was the last one, read as an empty record
        yield position[0], bad_bytes.pop()
        rows_seen += 1
    if header is None:
        raise CatalogError(label, None, None, "no records: the file is empty (not even a header)")
    if not rows_seen:
        raise CatalogError(
            label, None, None, f"no records: the file has only its header ({_columns(header)})"
        )


def _check_header(header: list[str], fields: _Fields, label: str, line: int) -> None:
    """Refuse a header that lacks a column every record must have (aliases are optional)."""
    for name in (fields.text, fields.weight, fields.id):
        if name is None or name in header:
            continue
        problem = f"the header has no column {name!r}; its columns are {_columns(header)}"
        if len(header) == 1 and (";" in header[0] or "\t" in header[0]):
            separator = "';'" if ";" in header[0] else "tab"
            problem += f" (the file looks {separator}-separated; a CSV catalog uses commas)"
        elif name == fields.text:
            problem += "; name the title column with --text-field (text_field in Python)"
        raise CatalogError(label, line, name, problem)


def _columns(header: list[str]) -> str:
    listed = ", ".join(repr(name) for name in header[:MAX_LISTED_COLUMNS])
    hidden = len(header) - MAX_LISTED_COLUMNS
    return listed + (f" and {hidden} more" if hidden > 0 else "")


def _csv_value(cell: str) -> object:
    text = cell.strip()
    if not text:
        return None
    if _INTEGER.fullmatch(text):
        return int(text)
    if _DECIMAL.fullmatch(text):
        return float(text)
    return cell


def _validate(row: object, fields: _Fields, line: int, from_csv: bool, label: str) -> Record:
    if not isinstance(row, Mapping):
        raise CatalogError(label, line, None, f"expected a mapping, got {type(row).__name__}")

    def fail(field_name: str | None, problem: str) -> CatalogError:
        return CatalogError(label, line, field_name, problem)

    text = row.get(fields.text)
    if text is None:
        if from_csv:
            raise fail(fields.text, "missing title")
        # A misnamed field shows here first in JSON: list the names the record does have.
        names = ", ".join(repr(name) for name in list(row)[:MAX_LISTED_COLUMNS])
        raise fail(fields.text, f"missing title (the record's fields: {names or 'none'})")
    if not isinstance(text, str):
        if from_csv:
            text = str(text)  # a CSV title that happens to look numeric ("1941")
        else:
            raise fail(fields.text, f"title must be a string, got {type(text).__name__}")
    if not text.strip():
        raise fail(fields.text, "empty title")

    weight = 0.0
    if fields.weight is not None:
        raw_weight = row.get(fields.weight)
        if raw_weight is None:
            raise fail(fields.weight, "missing weight")
        if isinstance(raw_weight, bool) or not isinstance(raw_weight, (int, float)):
            raise fail(fields.weight, f"weight must be a number, got {raw_weight!r}")
        weight = float(raw_weight)
        if not math.isfinite(weight) or weight < 0:
            raise fail(fields.weight, f"weight must be a finite number >= 0, got {raw_weight!r}")

    if fields.id is None:
        record_id = str(line)
    else:
        raw_id = row.get(fields.id)
        if raw_id is None or isinstance(raw_id, (bool, list, dict)) or not str(raw_id).strip():
            raise fail(fields.id, f"missing or blank id: {raw_id!r}")
        record_id = str(raw_id).strip()

    aliases: tuple[str, ...] = ()
    if fields.alias is not None:
        found_aliases = _aliases(row.get(fields.alias))
        if found_aliases is None:
            raise fail(fields.alias, f"must be a list of strings, got {row[fields.alias]!r}")
        aliases = found_aliases

    used = {fields.text, fields.weight, fields.id, fields.alias}
    metadata = {name: value for name, value in row.items() if name not in used}
    if fields.weight is not None:
        metadata.setdefault(fields.weight, row[fields.weight])
    return Record(record_id, text.strip(), weight, MappingProxyType(metadata), aliases)


def _aliases(value: object) -> tuple[str, ...] | None:
    """The aliases in a field value, or None when the value is not a string or string list."""
    if value is None:
        return ()
    if isinstance(value, str):
        parts = value.split("|")
    elif isinstance(value, list) and all(isinstance(part, str) for part in value):
        parts = value
    else:
        return None
    return tuple(part.strip() for part in parts if part.strip())
