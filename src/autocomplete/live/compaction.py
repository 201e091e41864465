"""Building in a child process: a compacted main index, or a delta's precomputed readings.

A build is mostly Python: in a thread of the serving process it would hold the GIL for
seconds and stall every query. So the child does all of it: it reads the main index's records
itself (from the catalog file, or from the ``records.jsonl`` a previous compaction left),
folds the pending changes into them (written out by the parent: the delta, small), builds and
saves; the parent memory-maps the result. The saved directory also holds the records
(``records.jsonl``), exactly as logged, for the next compaction and for other processes
adopting it. Run as ``python -m autocomplete.live.compaction`` (see ``main``).

A delta index is built in the serving process (a batch must be visible when ``upsert``
returns), but the speller's precomputed readings of its vocabulary (``spell.option_table``: a
few seconds of search for a 10,000-title delta) are searched the same way, afterwards: the
parent saves the delta (tens of milliseconds), a child writes the table beside it, and the
parent maps the index back with its table (``readings_elsewhere``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from autocomplete.catalog.loader import Record, load_catalog
from autocomplete.index.build import build_index
from autocomplete.index.catalog_index import CatalogIndex
from autocomplete.live.changes import (
    DEFAULT_FIELDS,
    CatalogFields,
    Change,
    Delete,
    Upsert,
    decode,
    encode,
)
from autocomplete.paths import data_directory
from autocomplete.spell.option_table import table_beside
from autocomplete.spell.translation import LEXICON_FILE
from autocomplete.spell.translation_table import translation_table_beside

RECORDS_FILE = "records.jsonl"
"""Beside a compacted index: its records, exactly, for the next compaction."""

CHILD_NICENESS = 10
"""The child's scheduling priority below the serving process's: on a busy machine the queries'
CPU comes first, and the compaction takes longer instead."""


@dataclass(frozen=True, slots=True)
class BaseSource:
    """Where the main index's records are: a catalog file (read with ``fields``) or a
    compaction's ``records.jsonl``, which a child process reads itself, or records in memory
    (which the parent must write out for it)."""

    catalog: Path | None = None
    fields: CatalogFields = DEFAULT_FIELDS
    records_file: Path | None = None
    records: Callable[[], Sequence[Record]] | None = None

    @property
    def readable(self) -> bool:
        return self.catalog is not None or self.records_file is not None or bool(self.records)

    def load(self) -> Sequence[Record]:
        if self.records_file is not None:
            return read_records(self.records_file)
        if self.catalog is not None:
            fields = self.fields
            found, _ = load_catalog(
                self.catalog,
                text_field=fields.text,
                weight_field=fields.weight,
                id_field=fields.id,
                alias_field=fields.alias,
            )
            return found
        if self.records is not None:
            return self.records()
        raise ValueError("no source for the main index's records")


def write_records(path: Path, records: Sequence[Record]) -> None:
    write_changes(path, [Upsert(record) for record in records])


def write_changes(path: Path, changes: Sequence[Change]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for change in changes:
            out.write(encode(change) + "\n")


def read_changes(path: Path) -> list[Change]:
    with path.open(encoding="utf-8") as lines:
        return [decode(line) for line in lines if line.strip()]


def read_records(path: Path) -> list[Record]:
    records = []
    for change in read_changes(path):
        if not isinstance(change, Upsert):
            raise ValueError(f"{path}: a line that is not a record")
        records.append(change.record)
    return records


def fold(base: Sequence[Record], changes: Sequence[Change]) -> list[Record]:
    """The main records with the changes applied: a replaced title keeps its place, a deleted
    one is gone, new ones follow in the order first upserted."""
    latest: dict[str, Record] = {}
    deleted: set[str] = set()
    for change in changes:
        if isinstance(change, Upsert):
            latest[change.record.id] = change.record
            deleted.discard(change.record.id)
        elif isinstance(change, Delete):
            latest.pop(change.id, None)
            deleted.add(change.id)
    kept = [latest.get(record.id, record) for record in base if record.id not in deleted]
    in_base = {record.id for record in base}
    kept.extend(record for title_id, record in latest.items() if title_id not in in_base)
    return kept


def build_elsewhere(
    base: BaseSource, changes: Sequence[Change], target: Path, label: str
) -> CatalogIndex | None:
    """Fold ``changes`` into ``base`` and build the result in a child process, into
    ``target`` (renamed into place whole, so no reader sees half of it); load it. None when
    nothing is left to index."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=target.name + ".", dir=target.parent))
    try:
        changes_file = staging / "changes.jsonl"
        write_changes(changes_file, changes)
        arguments = ["--changes", str(changes_file), "--output", str(staging / "index")]
        if base.records_file is not None:
            arguments += ["--records", str(base.records_file)]
        elif base.catalog is not None:
            fields = json.dumps(
                [base.fields.text, base.fields.weight, base.fields.id, base.fields.alias]
            )
            arguments += ["--catalog", str(base.catalog), "--fields", fields]
        else:
            written = staging / "base.jsonl"
            write_records(written, base.load())
            arguments += ["--records", str(written)]
        done = subprocess.run(
            [sys.executable, "-m", "autocomplete.live.compaction", *arguments, "--label", label],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode == EMPTY_EXIT:
            return None
        if done.returncode != 0:
            raise RuntimeError(f"the compaction build failed: {done.stderr.strip()[-2000:]}")
        # When another process published the same compaction first, theirs is loaded.
        with contextlib.suppress(OSError):
            (staging / "index").rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return CatalogIndex.load(target)


def readings_elsewhere(
    index: CatalogIndex, target: Path, stop: threading.Event
) -> CatalogIndex | None:
    """``index`` saved into ``target`` (a new directory) with the speller's precomputed
    readings beside it, searched in a child process (``table_beside``: for the bundled error
    model), and loaded back, memory-mapped: the same index, whose engine finds the readings.
    None when ``stop`` is set first (the child is killed)."""
    index.save(target)
    child = subprocess.Popen(
        [sys.executable, "-m", "autocomplete.live.compaction", "--readings", str(target)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    while True:
        try:
            _, errors = child.communicate(timeout=CHILD_POLL_S)
            break
        except subprocess.TimeoutExpired:
            if stop.is_set():
                child.kill()
                child.communicate()
                return None
    if child.returncode != 0:
        raise RuntimeError(f"the readings build failed: {errors.strip()[-2000:]}")
    return CatalogIndex.load(target)


CHILD_POLL_S = 0.1
"""How often the parent looks whether it was told to stop while a child builds readings."""

EMPTY_EXIT = 3
"""The child's exit status when the changes leave no title (an empty index cannot be built)."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="build a compacted main index, or a saved delta's readings (internal)"
    )
    parser.add_argument("--changes", type=Path)
    parser.add_argument("--output", type=Path)
    parser.add_argument("--records", type=Path)
    parser.add_argument("--catalog", type=Path)
    parser.add_argument("--fields", default=None)
    parser.add_argument("--label", default="live compaction")
    parser.add_argument(
        "--readings", type=Path, help="only write the precomputed readings beside this index"
    )
    args = parser.parse_args(argv)
    with contextlib.suppress(OSError, AttributeError):  # not on every platform
        os.nice(CHILD_NICENESS)
    if args.readings is not None:
        table_beside(args.readings)
        return 0
    if args.changes is None or args.output is None:
        parser.error("--changes and --output are required to build a compacted index")
    if args.records is not None:
        base = BaseSource(records_file=args.records)
    else:
        text, weight, id_field, alias = json.loads(args.fields)
        base = BaseSource(catalog=args.catalog, fields=CatalogFields(text, weight, id_field, alias))
    kept = fold(base.load(), read_changes(args.changes))
    if not kept:
        return EMPTY_EXIT
    index = build_index(kept, source=args.label)
    index.save(args.output)
    # The speller's precomputed readings too, as any saved index has them (issue 17): without
    # them the main segment would search every typed word again after a compaction. Built for
    # the bundled error model; an engine with another model ignores them (their fingerprint).
    table_beside(args.output)
    # And the translation index, which every process would otherwise build on first use.
    translation_table_beside(args.output, data_directory() / LEXICON_FILE, index)
    write_records(args.output / RECORDS_FILE, kept)
    return 0


if __name__ == "__main__":
    sys.exit(main())
