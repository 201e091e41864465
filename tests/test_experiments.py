"""Online experiments through the library: the file, the statistics, what the stores record,
what the guard keeps out, and the false-winner rate of two identical arms."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from autocomplete import Autocomplete
from autocomplete.experiments import (
    ExperimentConfigError,
    ExperimentError,
    Experiments,
    load_experiments,
    parse_experiments,
)
from autocomplete.experiments.statistics import (
    newcombe_interval,
    sign_test,
    sign_test_sessions,
    two_proportion_sessions,
    two_proportion_test,
)
from autocomplete.feedback import (
    FeedbackConfig,
    FeedbackLayer,
    Impression,
    MemoryStore,
    compact_store,
)
from autocomplete.feedback.events import decode, encode
from autocomplete.tools.feedback_simulation import Clock, UserModel

if TYPE_CHECKING:
    from feedback_fixtures import StoreFactory

from experiment_simulation import intents, run_until_stopped

pytest_plugins = ["feedback_fixtures"]

INTERLEAVE = {"experiments": [{"name": "boost", "design": "interleave"}]}


# The file --------------------------------------------------------------------------------------


def test_a_toml_file_names_arms_design_traffic_and_a_computed_sample(tmp_path: Path) -> None:
    path = tmp_path / "experiments.toml"
    path.write_text(
        """
[[experiments]]
name = "feedback-on"
design = "interleave"
traffic = 0.5
[experiments.a]
feedback = false
label = "no clicks"
[experiments.b]
channel_weight = 1.5
word_costs = {entry = 3.0}

[[experiments]]
name = "context"
design = "ab"
traffic = 0.25
stopping = {min_detectable_effect = 0.05, baseline_rate = 0.3}
b = {context = false}
""",
        encoding="utf-8",
    )
    first, second = load_experiments(path)
    assert (first.name, first.design, first.traffic) == ("feedback-on", "interleave", 0.5)
    assert not first.a.feedback and first.a.label == "no clicks"
    assert first.b.channel_weight == 1.5 and first.b.word_costs.entry == 3.0
    # 0.5 + 0.1 at alpha 0.05, power 0.8: ((1.96 * 0.5 + 0.8416 * sqrt(0.24)) / 0.1)^2 = 193.9
    assert first.stopping.sessions == 194
    assert second.design == "ab" and not second.b.context
    # The report names an unlabelled arm by what it changes.
    assert first.b.describe() == (
        "word costs entry 3, stop skip 1, content skip 2, inversion 0.5, stop-word inversion 4, "
        "channel weight 1.5"
    )
    assert second.a.describe() == "as served"
    assert second.stopping.sessions == two_proportion_sessions(0.3, 0.05, 0.05, 0.8)


@pytest.mark.parametrize(
    ("document", "where"),
    [
        ({"experiments": [{"name": "x", "design": "abc"}]}, "experiments[0].design"),
        ({"experiments": [{"name": "x y"}]}, "experiments[0].name"),
        ({"experiments": [{"name": "x", "b": {"colour": 1}}]}, "experiments[0].b.colour"),
        ({"experiments": [{"name": "x", "a": {"feedback": "no"}}]}, "experiments[0].a.feedback"),
        ({"experiments": [{"name": "x", "traffic": 0.7}, {"name": "y", "traffic": 0.4}]},
         "experiments"),
        ({"experiments": [{"name": "x", "traffic": 0.5}, {"name": "x", "traffic": 0.1}]},
         "experiments[1].name"),
        ({"experiments": [{"name": "x", "stopping": {"sessions": 10, "power": 0.9}}]},
         "experiments[0].stopping.power"),
        ({"experiments": [{"name": "x", "b": {"index": "/nonexistent/index"}}]},
         "experiments[0].b.index"),
    ],
)  # fmt: skip
def test_a_bad_file_names_the_field(document: dict[str, object], where: str) -> None:
    with pytest.raises(ExperimentConfigError) as raised:
        parse_experiments(document)
    assert raised.value.where == where


def test_a_bad_json_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{", encoding="utf-8")
    with pytest.raises(ExperimentConfigError, match=r"broken\.json"):
        load_experiments(path)


# The statistics --------------------------------------------------------------------------------


def test_the_two_proportion_test_and_newcombe_interval_match_worked_values() -> None:
    # 45/100 vs 60/100: pooled 0.525, z = 0.15 / sqrt(0.525 * 0.475 * 0.02) = 2.124
    assert two_proportion_test(45, 100, 60, 100) == pytest.approx(0.0337, abs=5e-4)
    low, high = newcombe_interval(45, 100, 60, 100)
    assert low < 0.15 < high and low > 0  # excludes 0, as the test rejects at 5%
    assert two_proportion_test(0, 0, 3, 10) == 1.0
    assert two_proportion_test(10, 10, 10, 10) == 1.0


def test_sample_sizes_give_the_power_they_promise() -> None:
    n = sign_test_sessions(0.1, 0.05, 0.8)
    # Exact power of the sign test at that n, share 0.6: close to 0.8.
    critical = next(k for k in range(n + 1) if sign_test(n - k, k) < 0.05 and k > n / 2)
    power = sum(math.comb(n, k) * 0.6**k * 0.4 ** (n - k) for k in range(critical, n + 1))
    assert 0.75 < power < 0.9


# Recording -------------------------------------------------------------------------------------


def test_an_impression_carries_its_experiment_and_arms_on_the_wire() -> None:
    shown = Impression("the b", ("m1", "m2"), "s-000001", None, "boost", ("b", "a"))
    assert decode(encode(shown)) == shown
    plain = Impression("the b", ("m1",), "s-000001")
    assert "experiment" not in encode(plain)
    with pytest.raises(ValueError, match="together"):
        Impression("the b", ("m1",), "s-000001", None, "boost", None)
    with pytest.raises(ValueError, match="one arm per id"):
        Impression("the b", ("m1", "m2"), "s-000001", None, "boost", ("a",))
    with pytest.raises(ValueError, match="'a' or 'b'"):
        Impression("the b", ("m1",), "s-000001", None, "boost", ("c",))


def _interleaved(experiments: Experiments, query: str, session: str) -> tuple[str, int]:
    """Show ``query`` to ``session`` and return a title arm b placed, with its position."""
    answer = experiments.suggest(query, 10, session_id=session)
    experiments.record_impression(query, answer, session, client=f"10.0.{len(session)}.1")
    assert answer.arms is not None and "b" in answer.arms
    position = answer.arms.index("b") + 1
    return answer.ids[position - 1], position


def test_every_store_keeps_the_arms_and_a_restart_counts_the_same(
    movies: Autocomplete, shared_store_factory: StoreFactory
) -> None:
    clock = Clock()
    config = FeedbackConfig(refresh_interval_s=0)
    layer = FeedbackLayer(shared_store_factory(clock=clock), config=config, clock=clock)
    engine = Autocomplete(movies.index, feedback=layer)
    experiments = Experiments(engine, parse_experiments(INTERLEAVE), secret="k")
    for number in range(3):
        session = f"session-{number:04d}"
        clicked, position = _interleaved(experiments, "star", session)
        clock.advance(2.0)
        engine.record_click("star", clicked, position, session, 40_000, client="10.0.9.1")
    layer.refresh()
    counts = layer.experiment_counts("boost")
    assert (counts.sessions, counts.wins_b, counts.wins_a) == (3, 3, 0)
    stored = [r.event for r in layer.store.read() if isinstance(r.event, Impression)]
    assert all(event.experiment == "boost" and event.arms for event in stored)
    # Another process (or this one restarted) reading the same store counts the same.
    other = FeedbackLayer(shared_store_factory(clock=clock), config=config, clock=clock)
    assert other.experiment_counts("boost") == counts
    other.close()
    engine.close()


def test_the_guard_keeps_bots_repeats_and_unanswered_clicks_out(movies: Autocomplete) -> None:
    clock = Clock()
    layer = FeedbackLayer(
        MemoryStore(clock=clock), config=FeedbackConfig(refresh_interval_s=0), clock=clock
    )
    engine = Autocomplete(movies.index, feedback=layer)
    experiments = Experiments(engine, parse_experiments(INTERLEAVE), secret="k")
    # A person: one click for b, clicked three times, counts once.
    clicked, position = _interleaved(experiments, "toy", "person-0001")
    for _ in range(3):
        clock.advance(3.0)
        engine.record_click("toy", clicked, position, "person-0001", 30_000)
    # A flooder clicking b's title hundreds of times is judged a bot: its session is revoked.
    clicked, position = _interleaved(experiments, "alien", "flooder-001")
    for number in range(layer.config.bot_clicks + 5):
        clock.advance(0.5 + (number % 7) * 0.3)
        engine.record_click("alien", clicked, position, "flooder-001", 30_000)
    # A click answering no experiment list credits no arm.
    clock.advance(1.0)
    engine.record_click("zzz", "m1", 1, "blind-00001", 30_000)
    layer.refresh()
    counts = layer.experiment_counts("boost")
    assert counts.sessions == 1 and counts.wins_b == 1
    # The session's clicks, three on one title, are one click.
    assert counts.arm_a.clicks + counts.arm_b.clicks == 1
    assert layer.verdicts["blocked"] > 0
    engine.close()


def test_compaction_keeps_the_counts_of_the_events_it_folds(movies: Autocomplete) -> None:
    clock = Clock()
    store = MemoryStore(clock=clock)
    config = FeedbackConfig(refresh_interval_s=0)
    layer = FeedbackLayer(store, config=config, clock=clock)
    engine = Autocomplete(movies.index, feedback=layer)
    experiments = Experiments(engine, parse_experiments(INTERLEAVE), secret="k")
    for number in range(4):
        session = f"session-{number:04d}"
        clicked, position = _interleaved(experiments, "matrix", session)
        clock.advance(1.0)
        engine.record_click("matrix", clicked, position, session, 30_000)
    clock.advance(2 * config.session_ttl_s)
    layer.refresh()  # the sessions went idle: closed, their outcomes in order
    before = layer.experiment_counts("boost")
    assert len(before.closed) == 4
    compact_store(store, before=clock(), config=config)
    assert store.count() == 0
    again = FeedbackLayer(store, config=config, clock=clock)
    assert again.experiment_counts("boost") == before
    again.close()


def test_a_forged_impression_is_refused(movies: Autocomplete) -> None:
    layer = FeedbackLayer(MemoryStore(), config=FeedbackConfig(refresh_interval_s=0))
    engine = Autocomplete(movies.index, feedback=layer)
    experiments = Experiments(engine, parse_experiments(INTERLEAVE), secret="k")
    answer = experiments.suggest("star", 10, session_id="session-0001")
    assert answer.arms is not None
    token = experiments.token("star", answer, "session-0001")
    assert token is not None
    flipped = ["a" if arm == "b" else "b" for arm in answer.arms]
    with pytest.raises(ExperimentError) as refused:
        experiments.record_signed_impression(
            "star", answer.ids, "session-0001", experiment="boost", arms=flipped, token=token
        )
    assert refused.value.field == "experiment.token"
    experiments.record_signed_impression(
        "star", answer.ids, "session-0001", experiment="boost", arms=answer.arms, token=token
    )
    assert layer.store.count() == 1
    engine.close()


def test_an_ab_split_keeps_a_session_in_one_arm_and_splits_sessions_evenly(
    movies: Autocomplete,
) -> None:
    layer = FeedbackLayer(MemoryStore(), config=FeedbackConfig(refresh_interval_s=0))
    engine = Autocomplete(movies.index, feedback=layer)
    document = {
        "experiments": [{"name": "split", "design": "ab", "traffic": 0.5, "b": {"words": False}}]
    }
    experiments = Experiments(engine, parse_experiments(document), secret="k")
    arms = []
    outside = 0
    for number in range(2_000):
        session = f"session-{number:05d}"
        answer = experiments.suggest("lord rings", 5, session_id=session)
        if answer.experiment is None:
            outside += 1
            continue
        assert answer.arms is not None and len(set(answer.arms)) == 1
        again = experiments.suggest("lord ring", 5, session_id=session)
        assert again.arms is not None and again.arms[0] == answer.arms[0]
        arms.append(answer.arms[0])
    assert 900 < outside < 1_100  # half the traffic
    assert 0.45 < arms.count("b") / len(arms) < 0.55
    engine.close()


def test_without_a_store_experiments_refuse_to_start(movies: Autocomplete) -> None:
    with pytest.raises(ValueError, match="feedback store"):
        Experiments(movies, parse_experiments(INTERLEAVE))


def test_a_boost_on_an_unknown_field_fails_at_start(movies: Autocomplete) -> None:
    layer = FeedbackLayer(MemoryStore(), config=FeedbackConfig(refresh_interval_s=0))
    engine = Autocomplete(movies.index, feedback=layer)
    document = {"experiments": [{"name": "x", "b": {"boost": {"colour": {"red": 2.0}}}}]}
    with pytest.raises(ExperimentConfigError, match="colour") as raised:
        Experiments(engine, parse_experiments(document))
    assert raised.value.where == "experiment 'x', arm b"
    engine.close()


# Two identical arms: how often is a winner named? -----------------------------------------------

NULL_RUNS = 100
NULL_SESSIONS = 40
"""Decided sessions (interleaving) or sessions per arm (A/B) of each run's fixed sample."""

DISTRACTED = UserModel(attention=0.25, click_intended=0.4)
"""Users who often give up (type the whole title without clicking), so that session click
rates vary between runs and the A/B test has something to be wrong about."""


@pytest.mark.parametrize("design", ["interleave", "ab"])
def test_identical_arms_name_a_false_winner_in_at_most_7_percent_of_100_runs(
    movies: Autocomplete, design: str
) -> None:
    clock = Clock()
    # The runs judge the test, not a ranking: the click model learns from one-letter prefixes
    # only and serves no lift (min_abs_boost), so the identical arms' answers stay memoized and
    # 100 runs take seconds, not minutes. The guard and the experiments' tally are unchanged.
    quiet = FeedbackConfig(
        refresh_interval_s=0, min_abs_boost=1e6, min_prefix_chars=1, max_prefix_chars=1
    )
    layer = FeedbackLayer(MemoryStore(clock=clock), config=quiet, clock=clock)
    engine = Autocomplete(movies.index, feedback=layer)
    wanted = intents(movies, 100)
    users = None
    if design == "ab":
        # Users who give up type the whole title: short ones keep 100 runs within seconds.
        users, wanted = DISTRACTED, [intent for intent in wanted if len(intent.text) <= 14]
    winners = 0
    p_values = []
    for run in range(NULL_RUNS):
        document = {
            "experiments": [
                {"name": f"null-{run}", "design": design, "stopping": {"sessions": NULL_SESSIONS}}
            ]
        }
        experiments = Experiments(engine, parse_experiments(document), secret="k")
        run_until_stopped(experiments, wanted, seed=run, clock=clock, users=users)
        report = experiments.reports()[0]
        assert report.stopping_rule_met
        winners += report.winner is not None
        p_values.append(report.p_value)
    engine.close()
    assert winners / NULL_RUNS <= 0.07, winners
    # The runs did vary: a test that never sees a difference would pass vacuously.
    assert len({round(p, 6) for p in p_values}) >= 5
    print(json.dumps({"design": design, "false_winners": winners, "runs": NULL_RUNS}))


def test_a_feedback_off_arm_ranks_without_the_lifts_the_other_arm_uses(
    movies: Autocomplete,
) -> None:
    clock = Clock()
    # Lifts from a handful of people (the breadth bound would otherwise want ten networks).
    config = FeedbackConfig(refresh_interval_s=0, breadth_min_clients=0.0, breadth_share=0.0)
    layer = FeedbackLayer(MemoryStore(clock=clock), config=config, clock=clock)
    engine = Autocomplete(movies.index, feedback=layer)
    plain = Autocomplete(movies.index)
    shown = [item.id for item in plain.suggest("star", 10)]
    wanted = shown[-1]
    for number in range(8):
        session = f"teacher-{number:04d}"
        layer.record_impression("star", shown, session, client=f"10.7.{number}.1")
        clock.advance(5.0)
        layer.record_click("star", wanted, 10, session, 60_000, client=f"10.7.{number}.1")
        clock.advance(60.0)
    layer.refresh()
    assert layer.boosts("star")
    lifted = [item.id for item in engine.suggest("star", 10)]
    assert lifted.index(wanted) < 9  # the lift moved it up for the served engine
    document = {"experiments": [{"name": "lifts", "design": "ab", "b": {"feedback": False}}]}
    experiments = Experiments(engine, parse_experiments(document), secret="k")
    by_arm: dict[str, list[str]] = {}
    for number in range(20):
        answer = experiments.suggest("star", 10, session_id=f"session-{number:04d}")
        assert answer.arms is not None
        by_arm[answer.arms[0]] = list(answer.ids)
    assert by_arm["a"] == lifted
    assert by_arm["b"] == shown
    # Where no lift applies, the arms agree (b answered from the served engine's memo).
    assert experiments.suggest("matrix", 10, session_id="session-0001").ids == tuple(
        item.id for item in plain.suggest("matrix", 10)
    )
    engine.close()


def _ab_answers(experiments: Experiments, query: str, **options: Any) -> dict[str, list[str]]:
    """The list each A/B arm shows for ``query`` (sessions tried until both arms answered)."""
    (experiment,) = experiments.experiments
    found: dict[str, list[str]] = {}
    for number in range(50):
        session = f"session-{number:04d}"
        answer = experiments.suggest(query, 5, session_id=session, **options)
        found.setdefault(experiment.arm_of(session), list(answer.ids))
        if len(found) == 2:
            break
    return found


def test_an_arm_can_serve_a_second_catalog_build(tmp_path: Path) -> None:
    catalog = Path(__file__).parent / "fixtures" / "engine_catalog.jsonl"
    engine = Autocomplete.from_catalog(
        catalog, weight_field="votes", id_field="id", feedback="memory://"
    )
    # The new build: the same titles and ids, without the votes (every title equally likely).
    rebuilt = Autocomplete.from_catalog(catalog, id_field="id")
    rebuilt.save(tmp_path / "rebuilt")
    document = {"experiments": [{"name": "rebuild", "design": "ab", "b": {"index": "rebuilt"}}]}
    (config,) = parse_experiments(document, base=tmp_path)
    experiments = Experiments(engine, [config], secret="k")
    answers = _ab_answers(experiments, "t")
    assert answers["a"] == [item.id for item in engine.suggest("t", 5)]
    assert answers["b"] == [item.id for item in rebuilt.suggest("t", 5)]
    assert answers["a"] != answers["b"]
    engine.close()


def test_switches_an_arm_turns_off_apply_per_request(movies: Autocomplete) -> None:
    layer = FeedbackLayer(MemoryStore(), config=FeedbackConfig(refresh_interval_s=0))
    engine = Autocomplete(movies.index, feedback=layer)
    document = {
        "experiments": [
            {"name": "switches", "design": "ab", "b": {"context": False, "correct": False}}
        ]
    }
    experiments = Experiments(engine, parse_experiments(document), secret="k")
    context = {"queries": ["lord of the"], "clicked": ["m30658"]}
    answers = _ab_answers(experiments, "the t", context=context)
    assert answers["a"] == [item.id for item in engine.suggest("the t", 5, context=context)]
    assert answers["b"] == [item.id for item in engine.suggest("the t", 5)]
    assert answers["a"] != answers["b"]
    typo = _ab_answers(experiments, "teh big leb")
    assert typo["a"][0] == "m5567"  # corrected to The Big Lebowski
    assert typo["b"] == [item.id for item in engine.suggest("teh big leb", 5, correct=False)]
    engine.close()


def test_the_verdict_is_taken_on_the_fixed_sample_and_later_sessions_do_not_move_it() -> None:
    from autocomplete.experiments import judge
    from autocomplete.feedback.experiment_tally import (
        WON_A,
        WON_B,
        ExperimentCounts,
        outcome_code,
    )

    (config,) = parse_experiments(
        {"experiments": [{"name": "x", "stopping": {"sessions": 20, "alpha": 0.05}}]}
    )
    first = bytes([outcome_code(WON_B, "a")] * 17 + [outcome_code(WON_A, "a")] * 3)
    counts = ExperimentCounts(sessions=20, wins_a=3, wins_b=17, closed=first)
    report = judge(config, counts)
    assert report.winner == "b" and report.stopped_after == 20
    assert report.p_value == pytest.approx(sign_test(3, 17))
    # Forty more sessions, all won by a: the running figures turn, the verdict does not.
    later = first + bytes([outcome_code(WON_A, "a")] * 40)
    report = judge(config, ExperimentCounts(sessions=60, wins_a=43, wins_b=17, closed=later))
    assert report.winner == "b" and report.tested.wins_a == 3
    assert report.to_json()["share_b"] == pytest.approx(17 / 60)
    # Reached by open sessions only: no verdict yet.
    report = judge(config, ExperimentCounts(sessions=20, wins_a=3, wins_b=17))
    assert report.status == "closing" and report.winner is None


def test_stored_counts_with_a_bad_outcome_sequence_are_refused() -> None:
    from autocomplete.feedback.experiment_tally import ExperimentCounts

    good = ExperimentCounts(sessions=1, wins_b=1, closed=b"\x03").to_json()
    assert ExperimentCounts.from_json(good).closed == b"\x03"
    with pytest.raises(ValueError, match="closed"):
        ExperimentCounts.from_json({**good, "closed": "not base64!"})
    with pytest.raises(ValueError, match="closed"):
        ExperimentCounts.from_json({**good, "closed": "/w=="})  # the byte 255: no outcome
