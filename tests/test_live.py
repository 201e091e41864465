"""Live catalog updates (issue 18): upsert and delete while serving, through the public API.

A small hand-made catalog keeps most tests fast; the rebuild comparison uses the bundled one.
Stores are real: SQLite files, a real redis-server (``feedback_fixtures``), the memory store.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from autocomplete import Autocomplete
from autocomplete.catalog.loader import CatalogError, Record
from autocomplete.feedback import FeedbackConfig, FeedbackLayer, MemoryStore
from autocomplete.index.spelling import MAX_INDEXED_CHARS
from autocomplete.live import UpdateOptions
from autocomplete.live.shared_spelling import SharedReadings
from autocomplete.spell.option_table import TABLE_DIRECTORY

if TYPE_CHECKING:
    from feedback_fixtures import FakeClock

pytest_plugins = ["feedback_fixtures"]

FIXTURES = Path(__file__).parent / "fixtures"
CATALOG = FIXTURES / "engine_catalog.jsonl"
VISIBLE_WITHIN_S = 10.0
"""How long a test waits for another process's change (the 1 s target is a benchmark's)."""

NEW_TITLE = {
    "id": "zorblax-2027",
    "title": "Zorblax: The Awakening",
    "votes": 70000,
    "year": 2027,
    "genres": ["Animation", "Comedy"],
    "aliases": ["Zorblax Rising"],
}


def _engine(updates: object, **options: object) -> Autocomplete:
    return Autocomplete.from_catalog(
        CATALOG,
        weight_field="votes",
        id_field="id",
        alias_field="aliases",
        updates=updates,  # type: ignore[arg-type]
        **options,  # type: ignore[arg-type]
    )


@pytest.fixture
def engine() -> Iterator[Autocomplete]:
    engine = _engine("memory://")
    yield engine
    engine.close()


def _ids(engine: Autocomplete, query: str, **options: object) -> list[str]:
    return [item.id for item in engine.suggest(query, **options)]  # type: ignore[arg-type]


def _sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"  # an absolute path gives four slashes, as SQLAlchemy writes it


# Read your writes, and what every feature sees ------------------------------------------------


def test_an_upserted_title_is_suggested_by_the_next_call(engine: Autocomplete) -> None:
    assert "zorblax-2027" not in _ids(engine, "zorb")
    before = len(engine)
    engine.upsert([NEW_TITLE])
    found = engine.suggest("zorb")
    assert found[0].id == "zorblax-2027"
    assert found[0].text == "Zorblax: The Awakening"
    assert len(engine) == before + 1
    view = engine.describe("zorblax-2027")
    assert view is not None and view.metadata["year"] == 2027


def test_a_replaced_title_answers_with_its_new_text_only(engine: Autocomplete) -> None:
    assert _ids(engine, "schindl")[0] == "schindlers-list-1993"
    engine.upsert([{"id": "schindlers-list-1993", "title": "Oskar's Ark", "votes": 90000}])
    assert "schindlers-list-1993" not in _ids(engine, "schindl")
    assert _ids(engine, "oskar")[0] == "schindlers-list-1993"
    view = engine.describe("schindlers-list-1993")
    assert view is not None and view.text == "Oskar's Ark"


def test_a_deleted_title_is_gone_from_answers_and_describe(engine: Autocomplete) -> None:
    assert "amelie-2001" in _ids(engine, "amel")
    count = len(engine)
    engine.delete(["amelie-2001"])
    assert "amelie-2001" not in _ids(engine, "amel")
    assert "amelie-2001" not in _ids(engine, "", k=100)
    assert engine.describe("amelie-2001") is None
    assert len(engine) == count - 1
    engine.upsert([{"id": "amelie-2001", "title": "Amélie", "votes": 60000}])
    assert _ids(engine, "amel")[0] == "amelie-2001"


def test_a_popularity_change_reorders(engine: Autocomplete) -> None:
    assert _ids(engine, "the big sl")[:2] == ["big-sleep-1946", "big-sleep-1978"]
    engine.upsert([{"id": "big-sleep-1978", "title": "The Big Sleep", "votes": 5_000_000}])
    assert _ids(engine, "the big sl")[:2] == ["big-sleep-1978", "big-sleep-1946"]


def test_every_retrieval_path_reaches_the_delta(engine: Autocomplete) -> None:
    engine.upsert([NEW_TITLE])
    by_word_start = engine.suggest("awaken")[0]
    assert (by_word_start.id, by_word_start.match) == ("zorblax-2027", "word")
    by_alias = engine.suggest("zorblax ris")[0]
    assert (by_alias.id, by_alias.match) == ("zorblax-2027", "alias")
    by_typo = engine.suggest("zorbalx")[0]
    assert by_typo.id == "zorblax-2027" and by_typo.corrected
    by_words = engine.suggest("awakening zorblax")[0]
    assert (by_words.id, by_words.match) == ("zorblax-2027", "words")
    assert engine.suggest("zorb", correct=False)[0].id == "zorblax-2027"


def test_a_delta_reads_a_word_it_does_not_hold_through_the_main_speller(
    engine: Autocomplete,
) -> None:
    """A typed word the delta does not hold is searched once, by the main index's speller:
    the delta's readings of it are those the delta holds, priced by its own popularity and
    bounds, with the readings of the words only the delta holds; a word the delta holds keeps
    its own readings (docs/live-updates.md)."""
    engine.upsert(
        [{"id": "schindlers-ark", "title": "Schindler's Ark", "votes": 95000, "year": 1982}]
    )
    engine.upsert([NEW_TITLE])
    live = engine.live
    assert live is not None
    main = live._segments.main.engine._speller  # type: ignore[attr-defined]
    (delta,) = live._segments.deltas
    speller = delta.engine._speller  # type: ignore[attr-defined]
    spelling = delta.index.spelling
    # "schindlr" is held by neither index: the main speller's readings, the delta's prices.
    mains = main.plan("schindlr").options[0]
    readings = speller.plan("schindlr").options[0]
    assert [option[0] for option in readings] == [option[0] for option in mains]
    for text, cost, _, weight, _, best, _ in readings:
        assert cost == next(option[1] for option in mains if option[0] == text)
        assert weight == spelling.prefix_log_weight_of(text[:MAX_INDEXED_CHARS])
        assert best == spelling.best_prior_of(text, prefix=True)
    # A word only the main index holds a reading of: not one the delta holds.
    assert [option[0] for option in main.plan("lebowsky ").options[0]] == ["lebowski"]
    assert speller.plan("lebowsky ").options[0] == ()
    # A misspelled word of the delta's own (no main reading): its small index of new words.
    assert [option[0] for option in speller.plan("zorbalx ").options[0]] == ["zorblax"]
    # A word the delta holds: its own readings, as its own search gives them.
    assert speller.plan("zorbl").options[0] == speller.search_word_options("zorbl", True, False)
    found = engine.suggest("schindlr ark")[0]
    assert (found.id, found.corrected_query) == ("schindlers-ark", "schindlers ark")


def test_a_delta_with_many_new_words_reads_every_word_in_its_own_vocabulary(
    engine: Autocomplete, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past ``NEW_WORDS_LIMIT`` words only the delta holds (its small index of them would take
    too long to build with the batch), the delta's speller searches its own vocabulary."""
    from autocomplete.live import shared_spelling

    monkeypatch.setattr(shared_spelling, "NEW_WORDS_LIMIT", 3)
    engine.upsert([NEW_TITLE])  # zorblax, awakening, rising: three
    live = engine.live
    assert live is not None
    speller = live._segments.deltas[-1].engine._speller  # type: ignore[attr-defined]
    assert isinstance(speller.precomputed, SharedReadings)
    engine.upsert([{"id": "ark", "title": "Quorvex Ark", "votes": 10}])  # five now
    speller = live._segments.deltas[-1].engine._speller  # type: ignore[attr-defined]
    assert speller.precomputed is None  # its own search: the small catalog has no table
    assert engine.suggest("zorbalx")[0].id == "zorblax-2027"


def test_a_delta_made_once_most_main_titles_are_gone_reads_words_in_its_own_vocabulary(
    engine: Autocomplete,
) -> None:
    """With most main titles hidden, the main vocabulary is mostly that of titles no longer
    served: a delta part made then corrects within its own vocabulary."""
    live = engine.live
    assert live is not None
    engine.upsert([NEW_TITLE])  # made while no main title is hidden
    speller = live._segments.deltas[-1].engine._speller  # type: ignore[attr-defined]
    assert isinstance(speller.precomputed, SharedReadings)
    engine.delete([str(title_id) for title_id in live._segments.main.index.ids])
    engine.upsert([{"id": "q1", "title": "Quorvex Saga", "votes": 10}])  # the part made again
    speller = live._segments.deltas[-1].engine._speller  # type: ignore[attr-defined]
    assert speller.precomputed is None  # its own search: the small catalog has no table
    assert engine.suggest("qourvex saga")[0].id == "q1"


def test_filters_and_boosts_apply_to_the_delta(engine: Autocomplete) -> None:
    engine.upsert([NEW_TITLE])
    assert _ids(engine, "", k=3, where={"year": 2027}) == ["zorblax-2027"]
    assert "zorblax-2027" not in _ids(engine, "", k=30, where={"genres": "Drama"})
    assert _ids(engine, "", k=30, where={"genres": "Animation"})[0] == "zorblax-2027"
    plain = next(item for item in engine.suggest("zorb") if item.id == "zorblax-2027")
    boosted = engine.suggest("zorb", boost={"genres": {"Animation": 2.0}})[0]
    assert boosted.id == "zorblax-2027"
    assert boosted.score == pytest.approx(plain.score + 0.6931, abs=1e-3)


def test_a_value_only_the_delta_holds_filters_and_a_value_none_holds_is_an_error(
    engine: Autocomplete,
) -> None:
    engine.upsert([{**NEW_TITLE, "genres": ["Space Opera"]}])
    assert _ids(engine, "", where={"genres": "Space Opera"}) == ["zorblax-2027"]
    with pytest.raises(ValueError, match="genres"):
        engine.suggest("z", where={"genres": "Spaceopera"})


def test_session_context_relates_titles_of_the_delta(engine: Autocomplete) -> None:
    engine.upsert(
        [
            NEW_TITLE,
            {"id": "zorblax-2029", "title": "Zorblax: The Return", "votes": 100, "year": 2029},
            {"id": "zorbo-2029", "title": "Zorbo", "votes": 5000, "year": 2029},
        ]
    )
    without = engine.suggest("zorb", k=5)
    assert [item.id for item in without].index("zorblax-2029") > 0
    related = engine.suggest("zorb", k=5, context={"clicked": ["zorblax-2027"]})
    sequel = next(item for item in related if item.id == "zorblax-2029")
    assert sequel.context > 0


def test_click_feedback_lifts_a_delta_title(clock: FakeClock) -> None:
    layer = FeedbackLayer(
        MemoryStore(clock=clock), config=FeedbackConfig(refresh_interval_s=0), clock=clock
    )
    engine = _engine("memory://", feedback=layer)
    try:
        engine.upsert(
            [NEW_TITLE, {"id": "zorbo-2029", "title": "Zorbo", "votes": 3000, "year": 2029}]
        )
        shown = _ids(engine, "zorb")
        assert shown[:2] == ["zorblax-2027", "zorbo-2029"]
        for session in range(40):
            engine.record_impression("zorb", shown, f"s{session}")
            clock.advance(2.0)
            engine.record_click("zorb", "zorbo-2029", 2, f"s{session}", dwell_ms=60_000)
            clock.advance(45.0)
        layer.refresh()
        lifted = engine.suggest("zorb")[0]
        assert lifted.id == "zorbo-2029" and lifted.feedback > 0
        assert lifted.score == pytest.approx(lifted.prior + lifted.feedback, abs=1e-4)
    finally:
        engine.close()


def test_trending_leaves_out_deleted_titles_and_takes_in_new_ones(clock: FakeClock) -> None:
    layer = FeedbackLayer(
        MemoryStore(clock=clock), config=FeedbackConfig(refresh_interval_s=0), clock=clock
    )
    engine = _engine("memory://", feedback=layer)
    try:
        engine.upsert([{**NEW_TITLE, "title": "Lebowski Returns", "votes": 50}])
        shown = _ids(engine, "lebowski", k=3)
        assert shown[:2] == ["big-lebowski-1998", "zorblax-2027"]
        for session in range(30):
            engine.record_impression("lebowski", shown, f"s{session}")
            clock.advance(2.0)
            chosen = shown[session % 2]  # both chosen; the new title starts with "l", not "t"
            engine.record_click("lebowski", chosen, 1 + session % 2, f"s{session}")
            clock.advance(45.0)
        layer.refresh()
        trending = [item.id for item in engine.trending(5)]
        assert set(trending[:2]) == {"big-lebowski-1998", "zorblax-2027"}
        engine.delete(["big-lebowski-1998"])
        assert [item.id for item in engine.trending(5)][:1] == ["zorblax-2027"]
        assert "big-lebowski-1998" not in [item.id for item in engine.trending(5)]
        assert engine.trending(5, where={"genres": "Animation"})[0].id == "zorblax-2027"
        with pytest.raises(ValueError, match="genres"):
            engine.trending(5, where={"genres": "No Such Genre"})
    finally:
        engine.close()


# Bad input -------------------------------------------------------------------------------------


def test_a_bad_record_names_its_position_and_field_and_logs_nothing(
    engine: Autocomplete,
) -> None:
    live = engine.live
    assert live is not None
    before = live.status().sequence
    with pytest.raises(CatalogError, match=r"line 2, field 'votes'"):
        engine.upsert([NEW_TITLE, {"id": "x", "title": "X", "votes": -3}])
    with pytest.raises(CatalogError, match=r"line 1, field 'title'"):
        engine.upsert([{"id": "y", "votes": 3}])
    with pytest.raises(CatalogError, match="duplicate id"):
        engine.upsert([NEW_TITLE, NEW_TITLE])
    with pytest.raises(CatalogError, match=r"field 'poster'"):
        engine.upsert([{**NEW_TITLE, "poster": object()}])
    with pytest.raises(TypeError):
        engine.upsert(NEW_TITLE)  # one record, not a list of them
    with pytest.raises(ValueError, match="id 2"):
        engine.delete(["a", ""])
    assert live.status().sequence == before
    assert "zorblax-2027" not in _ids(engine, "zorb")


def test_an_engine_without_updates_refuses_them() -> None:
    plain = Autocomplete.from_catalog(CATALOG, weight_field="votes", id_field="id")
    with pytest.raises(RuntimeError, match="live updates are off"):
        plain.upsert([NEW_TITLE])


# Threads ---------------------------------------------------------------------------------------


def test_suggest_is_safe_while_another_thread_upserts(engine: Autocomplete) -> None:
    failures: list[BaseException] = []
    done = threading.Event()

    def keep_suggesting() -> None:
        try:
            while not done.is_set():
                for query in ("the big", "zorb", "amel", "lebowski big"):
                    for item in engine.suggest(query):
                        assert item.id and item.text
        except BaseException as error:  # reported below
            failures.append(error)

    readers = [threading.Thread(target=keep_suggesting) for _ in range(3)]
    for reader in readers:
        reader.start()
    try:
        for number in range(30):
            engine.upsert([{"id": f"z{number}", "title": f"Zorb {number}", "votes": number}])
            if number % 3 == 0:
                engine.delete([f"z{number}"])
    finally:
        done.set()
        for reader in readers:
            reader.join()
    assert not failures, failures[0]
    live_ids = _ids(engine, "zorb", k=30)
    assert len(live_ids) == 20 and "z0" not in live_ids and "z29" in live_ids


# Durability and other processes ----------------------------------------------------------------


def _wait_for(predicate: object, what: str) -> None:
    deadline = time.monotonic() + VISIBLE_WITHIN_S
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {VISIBLE_WITHIN_S} s: {what}")
        time.sleep(0.02)


def test_a_restarted_process_replays_the_sqlite_log(tmp_path: Path) -> None:
    url = _sqlite_url(tmp_path / "updates.db")
    first = _engine(url)
    first.upsert([NEW_TITLE])
    first.delete(["amelie-2001"])
    first.close()
    again = _engine(url)
    try:
        assert _ids(again, "zorb")[0] == "zorblax-2027"
        assert "amelie-2001" not in _ids(again, "amel")
    finally:
        again.close()


def test_an_acknowledged_upsert_survives_kill_9(tmp_path: Path) -> None:
    database = tmp_path / "updates.db"
    script = textwrap.dedent(
        f"""
        import os, signal, sys
        from autocomplete import Autocomplete
        engine = Autocomplete.from_catalog({str(CATALOG)!r}, weight_field="votes",
            id_field="id", alias_field="aliases", updates={_sqlite_url(database)!r})
        engine.upsert([{NEW_TITLE!r}])
        print("acknowledged", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    finished = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert finished.stdout.strip() == "acknowledged", finished.stderr
    assert finished.returncode == -signal.SIGKILL
    after = _engine(_sqlite_url(database))
    try:
        assert _ids(after, "zorb")[0] == "zorblax-2027"
    finally:
        after.close()


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_another_process_sharing_the_store_sees_the_change(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if backend == "sqlite":
        url = _sqlite_url(tmp_path / "updates.db")
    else:
        base: str = request.getfixturevalue("redis_url")
        url = f"{base}?namespace=test-live-{uuid.uuid4().hex}"
    options = UpdateOptions(url, poll_interval_s=0.05)
    writer = _engine(url)
    reader = _engine(options)
    try:
        assert "zorblax-2027" not in _ids(reader, "zorb")
        writer.upsert([NEW_TITLE])
        _wait_for(lambda: _ids(reader, "zorb")[:1] == ["zorblax-2027"], "the upsert")
        writer.delete(["zorblax-2027", "amelie-2001"])
        _wait_for(lambda: "amelie-2001" not in _ids(reader, "amel"), "the delete")
        assert "zorblax-2027" not in _ids(reader, "zorb")
    finally:
        writer.close()
        reader.close()


def test_a_separate_process_replays_the_redis_log(redis_url: str) -> None:
    url = f"{redis_url}?namespace=test-live-{uuid.uuid4().hex}"
    writer = _engine(url)
    writer.upsert([NEW_TITLE])
    writer.close()
    script = textwrap.dedent(
        f"""
        from autocomplete import Autocomplete
        engine = Autocomplete.from_catalog({str(CATALOG)!r}, weight_field="votes",
            id_field="id", alias_field="aliases", updates={url!r})
        print(engine.suggest("zorb")[0].id)
        engine.close()
        """
    )
    finished = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert finished.stdout.strip() == "zorblax-2027", finished.stderr


# Compaction ------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_compaction_folds_the_delta_without_changing_answers(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """With SQLite the compacted index is published beside the log; with Redis, in a
    ``compaction_dir`` the hosts share. Either way the other process adopts it."""
    if backend == "sqlite":
        url, shared = _sqlite_url(tmp_path / "updates.db"), None
    else:
        base: str = request.getfixturevalue("redis_url")
        url = f"{base}?namespace=test-live-{uuid.uuid4().hex}"
        shared = str(tmp_path / "compacted")
    options = UpdateOptions(url, poll_interval_s=0, compact_after=None, compaction_dir=shared)
    engine = _engine(options)
    other = _engine(options)
    try:
        engine.upsert([NEW_TITLE, {"id": "big-sleep-1978", "title": "Big Sleep", "votes": 1}])
        engine.delete(["amelie-2001"])
        queries = ["zorb", "the big", "big sl", "amel", "zorbalx", "awakening zorblax", ""]
        before = {query: engine.suggest(query) for query in queries}
        live = engine.live
        assert live is not None
        through = live.compact()
        status = live.status()
        assert through == status.compacted_through == 3
        assert (status.delta_titles, status.hidden_main_titles, status.compactions) == (0, 0, 1)
        for query in queries:
            after = engine.suggest(query)
            assert [item.id for item in after] == [item.id for item in before[query]], query
        # The compacted index comes with the speller's precomputed readings, and serves them.
        assert list(tmp_path.rglob(TABLE_DIRECTORY))
        assert live._segments.main.engine._speller.precomputed is not None  # type: ignore[attr-defined]
        engine.upsert([{"id": "later", "title": "Zorblax Later", "votes": 5}])
        assert "later" in _ids(engine, "zorb")
        # The other process loads the published index rather than building its own.
        other_live = other.live
        assert other_live is not None
        other_live.catch_up()
        other_status = other_live.status()
        assert other_status.compacted_through == 3 and other_status.compactions == 1
        assert other_status.delta_titles == 1
        for query in queries:
            assert _ids(other, query) == _ids(engine, query), query
    finally:
        engine.close()
        other.close()


def test_compaction_starts_by_itself_and_queries_go_on(engine: Autocomplete) -> None:
    small = _engine(UpdateOptions("memory://", poll_interval_s=0, compact_after=5))
    try:
        small.upsert([{"id": f"z{n}", "title": f"Zorb {n}", "votes": n} for n in range(6)])
        live = small.live
        assert live is not None
        _wait_for(lambda: live.status().compactions == 1, "a compaction")
        assert live.status().delta_titles == 0
        assert len(_ids(small, "zorb")) == 6
    finally:
        small.close()


# The rebuild comparison ------------------------------------------------------------------------


def test_upserting_the_whole_catalog_answers_like_a_rebuild(movies: Autocomplete) -> None:
    """The issue's acceptance test: every eval query, rank for rank (and score for score)."""
    from autocomplete.index.bundled import bundled_records
    from autocomplete.tools.evaluation.queries import CATEGORIES, generate_queries

    records = bundled_records()
    live = Autocomplete(
        movies.index,
        updates=UpdateOptions(
            "memory://", base_records=lambda: records, poll_interval_s=0, compact_after=None
        ),
    )
    try:
        live.upsert(
            [
                {
                    "id": record.id,
                    "title": record.text,
                    "votes": record.weight,
                    "aliases": list(record.aliases),
                    **record.metadata,
                }
                for record in records
            ]
        )
        status = live.live.status() if live.live else None
        assert status is not None and status.hidden_main_titles == len(records)
        queries = generate_queries(records, per_category=40, seed=0, categories=CATEGORIES)
        for query in queries:
            rebuilt = [(item.id, item.score, item.match) for item in movies.suggest(query.text)]
            delta = [(item.id, item.score, item.match) for item in live.suggest(query.text)]
            assert delta == rebuilt, query
    finally:
        live.close()


def _record_row(
    record: Record, text: str | None = None, votes: float | None = None
) -> dict[str, object]:
    return {
        "id": record.id,
        "title": record.text if text is None else text,
        "votes": record.weight if votes is None else votes,
        "aliases": list(record.aliases),
        **record.metadata,
    }


def test_replacing_part_of_a_catalog_answers_like_a_rebuild_on_nearly_every_query() -> None:
    """One title in five replaced (a word added, the weight changed): the main index hides the
    old ones and the delta holds the new. Each segment is bounded by the others' exact matches
    (a correction must come near the best of every segment), so the merged answers are what
    one index would rank, but for the per-segment spelling vocabularies (docs/live-updates.md).
    Bounding each segment by its own titles only agreed on 173 of these 200 queries."""
    from autocomplete.index.bundled import bundled_records
    from autocomplete.tools.evaluation.queries import CATEGORIES, generate_queries

    records = bundled_records()[:3000]
    base = [_record_row(record) for record in records]
    changed = {
        record.id: _record_row(record, f"{record.text} Redux", record.weight * 2 + 1)
        for record in records[::5]
    }

    def built(rows: list[dict[str, object]], updates: UpdateOptions | None) -> Autocomplete:
        return Autocomplete.from_catalog(
            rows, weight_field="votes", id_field="id", alias_field="aliases", updates=updates
        )

    live = built(base, UpdateOptions("memory://", poll_interval_s=0, compact_after=None))
    try:
        live.upsert(list(changed.values()))
        rebuilt = built([changed.get(str(row["id"]), row) for row in base], None)
        queries = generate_queries(records, per_category=20, seed=0, categories=CATEGORIES)
        same = 0
        for query in queries:
            answers = live.suggest(query.text)
            replaced = {item.id for item in answers if item.id in changed}
            # A replaced title answers with its new text only, never the hidden old one.
            assert all(item.text.endswith(" Redux") for item in answers if item.id in replaced)
            same += [item.id for item in answers] == [
                item.id for item in rebuilt.suggest(query.text)
            ]
        assert same >= 0.95 * len(queries)
        # A segment's last resort (here the main index's anchored reading of a garbled query)
        # is not tried when another segment matched it: one index would not fall back. Both
        # answers held the main index's last resort beside the delta's match before.
        for text in ("the aposle", "the adventures bob"):
            assert [item.id for item in live.suggest(text)] == [
                item.id for item in rebuilt.suggest(text)
            ], text
    finally:
        live.close()


def test_a_hiding_engine_ranks_as_the_full_list_less_the_hidden_titles(
    movies: Autocomplete,
) -> None:
    """``Autocomplete.hiding`` leaves titles out inside retrieval: ``k`` answers, the same as
    the full list with the hidden titles dropped (what the text reaches as typed; with
    corrections the bounds are taken among the visible titles), filters composed with it."""
    from autocomplete.index.bundled import bundled_records
    from autocomplete.tools.evaluation.queries import CATEGORIES, generate_queries

    records = bundled_records()
    hidden = {record.id for record in records[:10_000:3]}  # among the most popular titles
    positions = [movies.index.title_of(title_id) for title_id in hidden]
    hiding = movies.hiding(position for position in positions if position is not None)
    queries = generate_queries(records, per_category=20, seed=0, categories=CATEGORIES)
    for query in queries:
        for where in (None, {"genres": "Comedy"}):
            widened = movies.suggest(query.text, 100, correct=False, where=where)
            expected = [item.id for item in widened if item.id not in hidden][:10]
            found = hiding.suggest(query.text, 10, correct=False, where=where)
            assert [item.id for item in found] == expected, (query.text, where)
            corrected = hiding.suggest(query.text, 10, where=where)
            assert not hidden & {item.id for item in corrected}, (query.text, where)
    assert not hidden & {item.id for item in hiding.suggest("", 100)}
    assert len(hiding.suggest("the", 10)) == 10
    assert movies.hiding([]) is movies


# The command line ------------------------------------------------------------------------------


def test_the_cli_logs_upserts_and_deletes_a_serving_engine_replays(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from autocomplete.cli import main

    url = _sqlite_url(tmp_path / "updates.db")
    changes = tmp_path / "changes.jsonl"
    changes.write_text(json.dumps(NEW_TITLE) + "\n", encoding="utf-8")
    assert main(["upsert", str(changes), "--updates", url]) == 0
    assert "logged 1 upsert(s) through sequence 1" in capsys.readouterr().out
    assert main(["delete", "amelie-2001", "--updates", url]) == 0
    serving = _engine(url)
    try:
        assert _ids(serving, "zorb")[0] == "zorblax-2027"
        assert "amelie-2001" not in _ids(serving, "amel")
    finally:
        serving.close()
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({**NEW_TITLE, "votes": -1}) + "\n", encoding="utf-8")
    assert main(["upsert", str(bad), "--updates", url]) == 2
    assert "line 1, field 'votes'" in capsys.readouterr().err


def test_a_settled_delta_and_a_recent_one_answer_together(engine: Autocomplete) -> None:
    """A batch past the recent delta's limit is folded into the settled delta; later small
    batches rebuild only the recent one, and hide what they replace in the settled one."""
    from autocomplete.live.catalog import RECENT_LIMIT

    many = [
        {"id": f"q{n}", "title": f"Quorvex Saga Part {n}", "votes": n}
        for n in range(RECENT_LIMIT + 5)
    ]
    engine.upsert(many)
    assert _ids(engine, "quorvex", k=3) == [
        f"q{RECENT_LIMIT + 4}",
        f"q{RECENT_LIMIT + 3}",
        f"q{RECENT_LIMIT + 2}",
    ]
    engine.upsert([{"id": "q7", "title": "Quorvex Saga Part Seven", "votes": 10**9}])
    assert _ids(engine, "quorvex", k=1) == ["q7"]
    answers = engine.suggest("quorvex saga part 7", k=20)
    assert len({item.id for item in answers}) == len(answers)
    assert all(item.text == "Quorvex Saga Part Seven" for item in answers if item.id == "q7")
    view = engine.describe("q7")
    assert view is not None and view.text == "Quorvex Saga Part Seven"
    engine.delete([f"q{RECENT_LIMIT + 4}", "q7"])
    assert _ids(engine, "quorvex", k=2) == [f"q{RECENT_LIMIT + 3}", f"q{RECENT_LIMIT + 2}"]
    assert engine.describe("q7") is None
    live = engine.live
    assert live is not None and live.status().delta_titles == RECENT_LIMIT + 3
    # A title of the main catalog still answers beside both deltas.
    assert _ids(engine, "amel")[0] == "amelie-2001"


def test_a_delta_with_precomputed_readings_answers_exactly_like_one_without() -> None:
    """A delta part big enough gets its speller's readings searched in a child process after
    it starts serving, and swapped in with the part saved and loaded back: the same answers,
    score for score, before and after, and as a catalog that never precomputes them gives.
    A part replaced later has its saved copy removed; ``close`` removes the rest."""
    words = ["quorvex", "saga", "midnight", "harbor", "crimson", "tide", "silent", "echo"]
    batch = [
        {
            "id": f"r{n}",
            "title": f"{words[n % 8].title()} {words[(n * 3 + 1) % 8].title()} {n}",
            "votes": 1000 + 37 * n,
            "year": 1990 + n % 30,
        }
        for n in range(60)
    ]
    queries = ["quorv", "qourvex sa", "midnigth", "crimsn tide", "harbor echo", "silnt", "tid"]
    queries += ["amel", "the big", "zorb", "saga quorvex", "echo 3", "crimson 2005", "hrabor"]
    searched = _engine(UpdateOptions("memory://", poll_interval_s=0, readings_after=None))
    looked_up = _engine(UpdateOptions("memory://", poll_interval_s=0, readings_after=50))
    try:
        searched.upsert(batch)
        looked_up.upsert(batch)
        live = looked_up.live
        assert live is not None
        before = {query: looked_up.suggest(query) for query in queries}
        assert live.wait_for_readings(60)
        (delta,) = live._segments.deltas
        shared = delta.engine._speller.precomputed  # type: ignore[attr-defined]
        table = shared.own_table  # the delta's own, read for the words it holds
        assert table is not None and len(table) > 0
        saved = delta.index.saved_at
        assert saved is not None and (saved / TABLE_DIRECTORY).is_dir()
        for query in queries:
            expected = [(item.id, item.score, item.match) for item in searched.suggest(query)]
            assert [(item.id, item.score, item.match) for item in before[query]] == expected
            assert [(item.id, item.score, item.match) for item in looked_up.suggest(query)] == (
                expected
            ), query
        # A batch past the recent limit rebuilds the settled delta: the old copy is removed
        # once the new part has its readings.
        from autocomplete.live.catalog import RECENT_LIMIT

        looked_up.upsert(
            [{"id": f"s{n}", "title": f"Tide {n}", "votes": n} for n in range(RECENT_LIMIT + 1)]
        )
        assert live.wait_for_readings(60)
        assert not saved.exists()
        assert _ids(looked_up, "tide 1999")[0] == "s1999"
    finally:
        searched.close()
        looked_up.close()
    assert not saved.parent.exists()  # this process's directory, removed by close


def test_readings_after_must_be_positive() -> None:
    with pytest.raises(ValueError, match="readings_after"):
        UpdateOptions("memory://", readings_after=0)


def test_a_record_applied_as_given_is_the_record_every_reader_decodes() -> None:
    from types import MappingProxyType

    from autocomplete.catalog.loader import Record
    from autocomplete.live.changes import Upsert, decode, encode, reads_back

    plain = Record("a", "Alpha", 3.5, MappingProxyType({"genres": ["X"], "year": 1999}), ("A",))
    assert reads_back(plain)
    assert decode(encode(Upsert(plain))) == Upsert(plain)
    shaped = Record("b", "Beta", 1.0, MappingProxyType({"genres": ("X", "Y")}))
    assert not reads_back(shaped)  # a tuple reads back as a list: such a record is decoded
    decoded = decode(encode(Upsert(shaped)))
    assert isinstance(decoded, Upsert) and decoded.record.metadata["genres"] == ["X", "Y"]


def test_one_process_at_a_time_builds_a_published_compaction(tmp_path: Path) -> None:
    import fcntl

    database = tmp_path / "updates.db"
    engine = _engine(UpdateOptions(_sqlite_url(database), poll_interval_s=0, compact_after=None))
    try:
        engine.upsert([NEW_TITLE])
        live = engine.live
        assert live is not None
        published = tmp_path / "updates.db.compacted"
        published.mkdir(exist_ok=True)
        with (published / "compaction.lock").open("a") as held:  # another worker building
            fcntl.flock(held, fcntl.LOCK_EX)
            assert live.compact() is None
            assert live.status().compactions == 0
        assert live.compact() == 1
        assert (published / "compacted-1" / "records.jsonl").is_file()
    finally:
        engine.close()


def test_a_catalog_with_every_title_deleted_answers_nothing_and_still_checks_input() -> None:
    engine = _engine(UpdateOptions("memory://", poll_interval_s=0))
    try:
        every = [item.id for item in engine.suggest("", k=100)]
        engine.delete(every)
        assert len(engine) == 0
        assert engine.suggest("the big") == [] and engine.suggest("") == []
        with pytest.raises(ValueError, match="k must be between"):
            engine.suggest("the", k=0)
    finally:
        engine.close()


def test_only_the_newest_compacted_indexes_stay_on_disk(tmp_path: Path) -> None:
    database = tmp_path / "updates.db"
    engine = _engine(UpdateOptions(_sqlite_url(database), poll_interval_s=0, compact_after=None))
    try:
        live = engine.live
        assert live is not None
        for number in range(3):
            engine.upsert([{"id": f"c{number}", "title": f"Compacted {number}", "votes": 1}])
            live.compact()
        published = sorted(path.name for path in (tmp_path / "updates.db.compacted").iterdir())
        # Log positions: each upsert, then each compaction's announcement.
        assert published == ["compacted-3", "compacted-5", "compaction.lock"]
        assert set(_ids(engine, "compacted")) == {"c0", "c1", "c2"}
        assert live.status().compacted_through == 5
    finally:
        engine.close()
