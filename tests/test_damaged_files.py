"""Damaged files: a saved index and a SQLite click store, hurt in many ways, are refused with
one clear message naming the file (or, for the index, answer exactly as if undamaged); nothing
crashes. See docs/reliability.md, "Damaged files"."""

from __future__ import annotations

import dataclasses
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from autocomplete import Autocomplete
from autocomplete.feedback import Impression, SqliteStore, open_store
from autocomplete.feedback.sqlite_store import FeedbackStoreError
from autocomplete.index.catalog_index import CatalogIndex, IndexFormatError
from autocomplete.index.integrity import Verification
from autocomplete.spell.option_table import TABLE_DIRECTORY
from autocomplete.spell.translation_table import TABLE_DIRECTORY as TRANSLATION_DIRECTORY
from index_damage import (
    DAMAGE_KINDS,
    DamageCase,
    build_small_index,
    classify,
    index_files,
    make_cases,
    reference_answers,
    reseal,
    run_cases,
)

CLI = [sys.executable, "-m", "autocomplete.cli"]


@pytest.fixture(scope="module")
def saved_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_small_index(tmp_path_factory.mktemp("damage") / "index")


@pytest.fixture(scope="module")
def reference(saved_index: Path) -> list[Any]:
    answers = reference_answers(saved_index)
    # Every query has answers, so "answers the same" cannot pass by answering nothing.
    assert all(answers), answers
    return answers


_ALLOWED = ("refused", "identical", "unchanged")
"""The outcomes a damaged copy may have: refused (at load, at a query, or by the background
verification waited for after the queries), or answers as the undamaged index."""


def _assert_refused_or_identical(
    cases: list[DamageCase], reference: list[Any], note: str = ""
) -> dict[str, list[str]]:
    groups = classify(cases, run_cases(cases), reference)
    bad = {outcome: found for outcome, found in groups.items() if outcome not in _ALLOWED}
    assert not bad, f"{note}{sum(map(len, bad.values()))} of {len(cases)} cases: {bad}"
    return groups


# The saved index ------------------------------------------------------------------------------


def test_every_damaged_index_file_is_refused_or_answers_the_same(
    saved_index: Path, reference: list[Any], tmp_path: Path
) -> None:
    cases = make_cases(saved_index, tmp_path, per_kind=1, seed=0)
    files = index_files(saved_index)
    assert len(files) >= 50 and "spelling/postings_first.npy" in files
    assert f"{TABLE_DIRECTORY}/option_cost.npy" in files
    assert len(cases) == len(files) * len(DAMAGE_KINDS)
    outcomes = run_cases(cases)
    assert f"{TRANSLATION_DIRECTORY}/postings.npy" in files
    in_table = [case for case in cases if case.file.startswith(f"{TABLE_DIRECTORY}/")]
    in_translations = [case for case in cases if case.file.startswith(f"{TRANSLATION_DIRECTORY}/")]
    in_index = [case for case in cases if case not in in_table + in_translations]
    groups = classify(in_index, outcomes, reference)
    assert set(groups) <= set(_ALLOWED), groups
    # Every copy whose index differs in any byte is refused; the checksums see to it.
    assert "identical" not in groups
    assert len(groups["refused"]) == sum(case.changed for case in in_index)
    # A damaged table of precomputed readings is not used: the speller searches, and the
    # answers are the undamaged index's (whose engine used its table). Likewise a damaged
    # translation index: it is built from the index instead.
    for tables, used in ((in_table, "precomputed"), (in_translations, "translations_opened")):
        table_groups = classify(tables, outcomes, reference)
        assert set(table_groups) <= {"identical", "unchanged"}, table_groups
        assert all(outcomes[case.number][used] != case.changed for case in tables)


@pytest.mark.slow
def test_many_random_damages_are_refused_or_answer_the_same(
    saved_index: Path, reference: list[Any], tmp_path: Path
) -> None:
    seed = random.SystemRandom().randrange(1 << 30)
    cases = make_cases(saved_index, tmp_path, per_kind=5, seed=seed)
    _assert_refused_or_identical(cases, reference, note=f"seed {seed}: ")


def test_a_crash_in_the_worker_is_counted_not_fatal(
    saved_index: Path, reference: list[Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The harness itself: a case that kills its worker with SIGSEGV is reported as a crash,
    # and the cases after it still run in a new worker.
    cases = make_cases(saved_index, tmp_path, per_kind=1, seed=1, kinds=("flip",))[:4]
    monkeypatch.setenv("INDEX_DAMAGE_CRASH_AT", str(cases[1].number))
    outcomes = run_cases(cases)
    assert outcomes[cases[1].number]["outcome"] == "crash"
    assert str(-signal.SIGSEGV) in outcomes[cases[1].number]["message"]
    assert [outcomes[case.number]["outcome"] for case in cases[2:]] == ["refused"] * 2


def test_structure_is_checked_even_when_the_checksums_match(saved_index: Path) -> None:
    # The check that protects compiled code does not rely on the checksums: a file rewritten
    # with out-of-range offsets, and its manifest rewritten to match, is still refused.
    for file, damage, found in [
        ("spelling/postings_first.npy", lambda a: a.__setitem__(1, 10**7), "offsets decrease"),
        ("key_end.npy", lambda a: a.__setitem__(0, 10**7), "outside"),
        ("title_entry_first.npy", lambda a: a.__setitem__(-1, 1), "expected 0.."),
        ("titles.offsets.npy", lambda a: a.__setitem__(-1, a[-1] + 1), "offsets run"),
        ("wide_top.npy", lambda a: a.__setitem__((0, 0), 10**7), "outside"),
        ("entry_kind.npy", lambda a: a.__setitem__(0, 9), "outside"),
        ("entry_title.npy", lambda a: a.__setitem__(0, -2), "outside"),
        # The word index's forward lists and postings, which the C check (_words.c) follows.
        ("words/forward_first.npy", lambda a: a.__setitem__(1, 10**7), "offsets decrease"),
        ("words/forward_first.npy", lambda a: a.__setitem__(-1, a[-1] + 1), "offsets run"),
        ("words/forward.npy", lambda a: a.__setitem__(0, 10**7), "outside"),
        ("words/postings.npy", lambda a: a.__setitem__(0, -1), "outside"),
        ("words/posting_first.npy", lambda a: a.__setitem__(1, 10**7), "offsets decrease"),
        ("words/rank_year.npy", lambda a: a.resize(len(a) - 1, refcheck=False), "rows"),
    ]:
        copy = saved_index.parent / "resealed"
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(saved_index, copy)
        array = np.array(np.load(copy / file))
        damage(array)
        np.save(copy / file, array)
        reseal(copy)
        message = rf"{Path(file).name}: .*{found}"
        with pytest.raises(IndexFormatError, match=message):
            Autocomplete.load(copy, verify="full")
        # Loaded with the checks in the background, it is refused by them, and then every
        # query is refused with the same message.
        try:
            engine = Autocomplete.load(copy)
        except IndexFormatError as refused:  # what load itself checks (types, lengths, ends)
            assert re.search(message, str(refused))
            continue
        with pytest.raises(IndexFormatError, match=message):
            engine.verified()
        with pytest.raises(IndexFormatError, match=message):
            engine.suggest("the")


def test_a_missing_trie_is_named(saved_index: Path, tmp_path: Path) -> None:
    copy = tmp_path / "index"
    shutil.copytree(saved_index, copy)
    (copy / "keys.marisa").unlink()
    with pytest.raises(IndexFormatError, match=r"keys\.marisa: missing .* rebuild it"):
        Autocomplete.load(copy)
    result = subprocess.run(
        [*CLI, "suggest", "--catalog", str(copy), "star"], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert f"{copy / 'keys.marisa'}: missing from the saved index" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_damaged_trie_is_refused_before_any_query_reads_it(
    saved_index: Path, tmp_path: Path
) -> None:
    # A trie's inside cannot be checked from Python, and marisa trusts it: queries wait for the
    # tries' checksums, so a damaged one is refused at the first query instead of read.
    copy = tmp_path / "index"
    shutil.copytree(saved_index, copy)
    path = copy / "keys.marisa"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x04
    path.write_bytes(bytes(data))
    engine = Autocomplete.load(copy)  # load reads no trie's inside: it returns
    for ask in (lambda: engine.suggest("star"), engine.verified, lambda: engine.suggest("star")):
        with pytest.raises(IndexFormatError, match=r"keys\.marisa: damaged .*checksum"):
            ask()
    with pytest.raises(IndexFormatError, match=r"keys\.marisa: damaged"):
        Autocomplete.load(copy, verify="full")


def test_an_intact_index_is_verified_in_the_background(saved_index: Path) -> None:
    engine = Autocomplete.load(saved_index)
    answers = engine.suggest("star")
    assert engine.verified() is True
    assert engine.index.verification.serving
    assert engine.suggest("star") == answers
    assert Autocomplete.load(saved_index, verify="full").suggest("star") == answers
    # An index built in this process has nothing to verify.
    built = Autocomplete.from_catalog([{"title": "Star Wars"}])
    assert built.verified(timeout=0) is True and built.index.verification.serving


def test_an_error_while_the_checks_run_is_explained_by_the_damage_they_find(
    saved_index: Path,
) -> None:
    # The checks of every byte are still running when a query fails (here: a filter on a field
    # the catalog does not have); once they find damage, that is the error the caller gets,
    # naming the file, and every query after it is refused.
    release = threading.Event()

    def damaged_array() -> None:
        release.wait()
        raise IndexFormatError("entry_score.npy: damaged (its xxh3_64 checksum does not match)")

    verification = Verification("index", (), (damaged_array,))
    verification.start()
    index = dataclasses.replace(CatalogIndex.load(saved_index), verification=verification)
    engine = Autocomplete(index)
    assert engine.suggest("star")  # answered while the checks run
    assert engine.verified(timeout=0) is False
    threading.Timer(0.05, release.set).start()
    with pytest.raises(IndexFormatError, match=r"entry_score\.npy: damaged") as refused:
        engine.suggest("star", where={"no such field": 1})
    assert isinstance(refused.value.__cause__, ValueError)  # what the query itself met
    with pytest.raises(IndexFormatError, match=r"entry_score\.npy: damaged"):
        engine.suggest("star")


# The SQLite click store -----------------------------------------------------------------------


@pytest.fixture
def damaged_store(tmp_path: Path) -> Iterator[Path]:
    """A real click store of a few hundred pages, with some of its pages overwritten."""
    path = tmp_path / "clicks.db"
    store = SqliteStore(path)
    for number in range(3000):
        store.append(Impression("the big", ("m1", "m2", "m3"), f"session-{number}"))
    store.close()
    with sqlite3.connect(path) as connection:  # fold the write-ahead log into the file
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    data = bytearray(path.read_bytes())
    page = 4096
    assert len(data) // page > 40
    rng = random.Random(3)
    for number in range(3, len(data) // page, 7):
        data[number * page : (number + 1) * page] = rng.randbytes(page)
    path.write_bytes(bytes(data))
    yield path


def test_a_damaged_store_is_refused_at_open_naming_the_file(damaged_store: Path) -> None:
    with pytest.raises(FeedbackStoreError) as refused:
        open_store(f"sqlite:///{damaged_store}")
    message = str(refused.value)
    assert message.startswith(f"{damaged_store}: damaged SQLite click store")
    assert "move it aside" in message and "\n" not in message


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "clicks.db"
    path.write_bytes(random.Random(5).randbytes(8192))
    with pytest.raises(FeedbackStoreError, match=f"{path}: file is not a database; .*aside"):
        SqliteStore(path)


def test_cli_and_serve_refuse_a_damaged_store_in_one_line(
    damaged_store: Path, saved_index: Path
) -> None:
    for command in (
        ["feedback", "stats", "--store", f"sqlite:///{damaged_store}"],
        ["serve", "--port", "0", "--catalog", str(saved_index), "--feedback", "sqlite:///"],
    ):
        if command[0] == "serve":
            command[-1] += str(damaged_store)
        result = subprocess.run([*CLI, *command], capture_output=True, text=True, timeout=120)
        assert result.returncode == 2, (command, result.stderr)
        assert result.stderr.count("\n") == 1, result.stderr
        assert result.stderr.startswith(
            f"autocomplete: error: {damaged_store}: damaged SQLite click store"
        )
