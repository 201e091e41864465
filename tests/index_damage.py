"""Damaged copies of a saved index, and a worker process that loads and queries each one.

A damaged copy is the saved index with one file changed in one way: a bit flipped, a run zeroed,
the file cut short, garbage written over part or all of it, bytes appended, or the file removed.
Every other file of the copy is a hard link to the undamaged one, so a copy costs one file.

Each copy is loaded as ``Autocomplete.load`` loads by default (the checks of every byte in a
background thread: ``integrity.Verification``), asked the queries, and then its verification is
waited for. It must be refused (``IndexFormatError`` or ``CatalogError``) at one of these three
steps, or answer every query exactly as the undamaged index does and pass its verification; the
step that refused it is reported (``stage``: "load", "query" or "verification"), with the answers
given before a refusal by the verification. The copies are loaded in a separate process
(``python index_damage.py SPEC``), so that a crash (a segmentation fault in compiled code) is
seen as that case's outcome rather than killing the test run; the worker reports one JSON line
per case and the caller starts a new worker after the case that crashed.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DAMAGE_KINDS = (
    "flip",  # one bit, anywhere
    "flip_head",  # one bit in the first 128 bytes (the .npy header, the trie's header)
    "zero",  # a run of 1 to 64 bytes set to zero
    "truncate",  # cut to a random shorter length (possibly empty)
    "garbage",  # a run of 1 to 256 random bytes written over the file
    "garbage_all",  # the whole file replaced by random bytes of the same size
    "garbage_body",  # all but the first 128 bytes (a .npy file's header) replaced
    "append",  # random bytes added at the end
    "remove",  # the file deleted
)
"""The ways one file of a copy is damaged."""

CRASH_AT_ENV = "INDEX_DAMAGE_CRASH_AT"
"""A case number at which the worker kills itself, to test that a crash is counted."""

CATALOG_STRIDE = 150
"""The small catalog takes every this-many-th bundled film (about 390 titles)."""

QUERIES: tuple[tuple[str, dict[str, Any]], ...] = (
    ("", {}),
    ("the", {}),
    ("a", {}),
    ("star", {}),
    ("s", {"k": 40}),  # more than the precomputed top of a wide prefix
    ("lov", {}),
    ("the man", {}),
    ("the of the", {}),  # a word typed twice: the word index's check (_words.c) counts it
    ("tbs", {}),  # initials
    ("lvoe", {}),  # a typo: the spelling index and its C probe
    ("teh amn", {}),
    ("nigth", {}),
    ("murdre", {}),
    ("ma", {"where": {"year": [1950, 1990]}}),
    ("b", {"where": {"genres": "Comedy"}}),
    ("the", {"boost": {"genres": {"Drama": 3.0}}}),
)
"""What each copy is asked: prefixes wide and narrow, typos, filters and boosts."""


def small_catalog_records() -> list[dict[str, object]]:
    """Every ``CATALOG_STRIDE``-th record of the bundled catalog, in its order."""
    source = Path(__file__).resolve().parents[1] / "data" / "movies.jsonl.gz"
    with gzip.open(source, "rt", encoding="utf-8") as lines:
        return [
            json.loads(line) for number, line in enumerate(lines) if number % CATALOG_STRIDE == 0
        ]


@dataclass(frozen=True)
class DamageCase:
    """One damaged copy: which file, how, and where the copy lives."""

    number: int
    file: str  # relative to the index directory
    kind: str
    directory: Path
    changed: bool  # False when the damage left every byte as it was (zeros over zeros)

    def describe(self) -> str:
        return f"case {self.number}: {self.kind} of {self.file}"


def index_files(index: Path) -> list[str]:
    """Every file of a saved index, relative to its directory, sorted."""
    return sorted(str(path.relative_to(index)) for path in index.rglob("*") if path.is_file())


def make_cases(
    index: Path, root: Path, *, per_kind: int, seed: int, kinds: tuple[str, ...] = DAMAGE_KINDS
) -> list[DamageCase]:
    """Damaged copies of ``index`` under ``root``: ``per_kind`` of each kind for each file
    (one for ``remove`` and ``garbage_all``, which have no position to vary)."""
    rng = random.Random(seed)
    cases: list[DamageCase] = []
    for file in index_files(index):
        for kind in kinds:
            repeats = 1 if kind in ("remove", "garbage_all", "garbage_body") else per_kind
            for _ in range(repeats):
                directory = root / f"case{len(cases)}"
                _link_copy(index, directory)
                changed = _damage(directory / file, kind, rng)
                cases.append(DamageCase(len(cases), file, kind, directory, changed))
    return cases


def _link_copy(source: Path, target: Path) -> None:
    for path in source.rglob("*"):
        destination = target / path.relative_to(source)
        if path.is_dir():
            destination.mkdir(parents=True, exist_ok=True)
        else:
            destination.parent.mkdir(parents=True, exist_ok=True)
            os.link(path, destination)


def _damage(path: Path, kind: str, rng: random.Random) -> bool:
    """Damage the file at ``path`` in one way; whether that changed it."""
    original = path.read_bytes()
    data = bytearray(original)
    path.unlink()  # break the hard link: the undamaged index must stay as it was
    if kind == "remove":
        return True
    size = len(data)
    if kind in ("flip", "flip_head") and size:
        limit = min(size, 128) if kind == "flip_head" else size
        position = rng.randrange(limit)
        data[position] ^= 1 << rng.randrange(8)
    elif kind == "zero" and size:
        start = rng.randrange(size)
        length = rng.randint(1, 64)
        data[start : start + length] = bytes(len(data[start : start + length]))
    elif kind == "truncate":
        data = data[: rng.randrange(size)] if size else data
    elif kind == "garbage" and size:
        start = rng.randrange(size)
        run = rng.randbytes(rng.randint(1, 256))
        data[start : start + len(run)] = run[: size - start]
    elif kind == "garbage_all":
        data = bytearray(rng.randbytes(max(size, 16)))
    elif kind == "garbage_body":
        data[128:] = rng.randbytes(max(size - 128, 0))
    elif kind == "append":
        data += rng.randbytes(rng.randint(1, 64))
    path.write_bytes(bytes(data))
    return bytes(data) != original


def reference_answers(index: Path) -> list[Any]:
    """The undamaged index's answers, computed in this process."""
    return _answers(_engine(index, _error_model()))


def run_cases(cases: list[DamageCase]) -> dict[int, dict[str, Any]]:
    """Each case's outcome, from worker processes; a case that kills its worker is a crash."""
    outcomes: dict[int, dict[str, Any]] = {}
    pending = list(cases)
    while pending:
        spec = pending[0].directory.parent / f"spec{pending[0].number}.json"
        spec.write_text(json.dumps([[case.number, str(case.directory)] for case in pending]))
        process = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), str(spec)],
            capture_output=True,
            text=True,
            timeout=600,
        )
        for line in process.stdout.splitlines():
            if line.startswith("{"):
                report = json.loads(line)
                outcomes[report["case"]] = report
        pending = [case for case in pending if case.number not in outcomes]
        if pending and process.returncode != 0:
            # The first unreported case is the one that was running when the worker died.
            crashed = pending.pop(0)
            outcomes[crashed.number] = {
                "case": crashed.number,
                "outcome": "crash",
                "message": f"worker exited with {process.returncode}: {process.stderr[-400:]}",
            }
        elif pending:
            raise RuntimeError(f"the worker stopped early without a crash: {process.stderr}")
    return outcomes


def _error_model() -> Any:
    from autocomplete.spell.errormodel import ErrorModel

    return ErrorModel.load()


def _engine(index: Path, error_model: Any) -> Any:
    from autocomplete import Autocomplete
    from autocomplete.index.catalog_index import CatalogIndex

    return Autocomplete(CatalogIndex.load(index, verify="background"), error_model=error_model)


def _answers(engine: Any) -> list[Any]:
    answers: list[Any] = []
    for query, options in QUERIES:
        found = engine.suggest(query, **options)
        answers.append(
            [
                [
                    item.id,
                    item.label,
                    item.score,
                    item.match,
                    dict(item.metadata),
                    [list(span) for span in item.normalized_spans],
                ]
                for item in found
            ]
        )
    return json.loads(json.dumps(answers))  # as the worker's answers come back: plain JSON


def _work(spec: Path) -> Iterator[dict[str, Any]]:
    from autocomplete.catalog.loader import CatalogError
    from autocomplete.index.catalog_index import IndexFormatError

    model = _error_model()
    crash_at = os.environ.get(CRASH_AT_ENV)
    for number, directory in json.loads(spec.read_text()):
        if str(number) == crash_at:
            os.kill(os.getpid(), signal.SIGSEGV)  # the harness's own test of crash handling
        # Cases run in order, so a crash is in the first case the worker did not report.
        report: dict[str, Any] = {"case": number}
        try:
            engine = _engine(Path(directory), model)
        except (IndexFormatError, CatalogError) as error:
            report.update(outcome="refused", stage="load", message=str(error))
            yield report
            continue
        except Exception as error:  # any other failure is what the test counts
            report.update(outcome="load_error", message=f"{type(error).__name__}: {error}")
            yield report
            continue
        # Whether the speller reads precomputed readings: a damaged table of them must not be.
        report["precomputed"] = engine._speller.precomputed is not None
        try:
            report.update(outcome="answered", answers=_answers(engine))
            engine.verified()
        except IndexFormatError as error:
            stage = "verification" if "answers" in report else "query"
            report.update(outcome="refused", stage=stage, message=str(error))
        except Exception as error:
            report.update(outcome="query_error", message=f"{type(error).__name__}: {error}")
        # Whether the translation index was read from its saved table (opened on first use).
        report["translations_opened"] = engine._translations.opened
        yield report
        del engine


def classify(
    cases: list[DamageCase], outcomes: dict[int, dict[str, Any]], reference: list[Any]
) -> dict[str, list[str]]:
    """Cases grouped by outcome: refused, identical (answers of a changed copy, as the
    undamaged index), unchanged (answers of a copy the damage left byte-identical, as the
    undamaged index), wrong, load_error, query_error, crash."""
    groups: dict[str, list[str]] = {}
    for case in cases:
        report = outcomes[case.number]
        outcome = report["outcome"]
        if outcome == "answered":
            same = report["answers"] == reference
            outcome = "wrong" if not same else "identical" if case.changed else "unchanged"
        detail = case.describe()
        if outcome == "refused":
            detail += f" ({refused_when(report, reference)})"
        if "message" in report:
            detail += f": {report['message'][:200]}"
        groups.setdefault(outcome, []).append(detail)
    return groups


def refused_when(report: dict[str, Any], reference: list[Any]) -> str:
    """When a refused copy was refused: at load, at a query (whose error the verification
    explained, or the tries' checks that queries wait for), or by the verification once every
    query had answered (as the undamaged index, or not: the window the background checks
    leave)."""
    if report["stage"] != "verification":
        return f"at {report['stage']}"
    same = report["answers"] == reference
    return f"by the verification, after {'the same' if same else 'other'} answers"


def build_small_index(target: Path) -> Path:
    """Build and save the small catalog's index at ``target``."""
    from autocomplete import Autocomplete

    engine = Autocomplete.from_catalog(
        small_catalog_records(), weight_field="votes", id_field="id", alias_field="aliases"
    )
    engine.save(target)
    return target


def reseal(index: Path) -> None:
    """Rewrite the manifest of ``index`` to match its files as they are now (what a buggy
    builder could do): only the structure checks stand between its arrays and the C code."""
    from autocomplete.index.integrity import MANIFEST_FILE, write_manifest

    manifest = json.loads((index / MANIFEST_FILE).read_text())
    write_manifest(index, {"format_version": manifest["format_version"], "info": manifest["info"]})


if __name__ == "__main__":
    for outcome in _work(Path(sys.argv[1])):
        print(json.dumps(outcome), flush=True)
