"""The breadth bound: a title's feedback term is bounded by how many distinct client networks
stand behind it, relative to its prefix's traffic; and per-session memory stays bounded under
session-id churn."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from autocomplete.feedback import Aggregates, FeedbackConfig, FeedbackLayer, MemoryStore, breadth
from autocomplete.feedback.click_model import ClickStats, breadth_factor
from autocomplete.feedback.sqlite_store import SqliteStore

if TYPE_CHECKING:
    from feedback_fixtures import FakeClock

pytest_plugins = ["feedback_fixtures"]

QUERY = "star"
IDS = [f"m{n}" for n in range(1, 11)]
TARGET = IDS[9]
K = 32


def test_a_network_is_one_unit() -> None:
    assert breadth.client_unit("203.0.113.7", "s1") == breadth.client_unit("203.0.113.200", "s2")
    assert breadth.client_unit("203.0.113.7", "s1") != breadth.client_unit("203.0.114.7", "s1")
    assert breadth.client_unit("2001:db8:0:1::1", "s") == breadth.client_unit(
        "2001:db8:0:1:ff::9", "t"
    )
    assert breadth.client_unit("2001:db8:0:1::1", "s") != breadth.client_unit(
        "2001:db8:0:2::1", "s"
    )
    assert breadth.client_unit("::ffff:203.0.113.9", "s") == breadth.client_unit("203.0.113.1", "t")
    assert breadth.client_unit("api-key-7", "s") == "client:api-key-7"
    assert breadth.client_unit(None, "s1") != breadth.client_unit(None, "s2")


def test_a_sketch_counts_distinct_units_exactly_then_estimates() -> None:
    sketch = breadth.EMPTY
    for _ in range(3):  # repeating a unit changes nothing
        for number in range(20):
            sketch = breadth.add(sketch, breadth.unit_hash(f"u{number}"), 7, K)
    assert breadth.estimate(sketch, 7, K) == 20.0
    for number in range(20, 5_000):
        sketch = breadth.add(sketch, breadth.unit_hash(f"u{number}"), 7, K)
    assert len(sketch.current) == 8 * K  # bounded whatever the count
    assert breadth.estimate(sketch, 7, K) == pytest.approx(5_000, rel=0.5)
    # Over time: the previous window still counts, older ones do not.
    assert breadth.estimate(sketch, 8, K) == breadth.estimate(sketch, 7, K)
    assert breadth.estimate(sketch, 9, K) == 0.0


def test_synthetic_sketches_stand_in_for_compacted_counts() -> None:
    for count in (0, 1, 5, 31, 40, 1_000):
        assert breadth.estimate(breadth.synthetic(count, 3, K), 3, K) == pytest.approx(
            count, rel=0.1
        )


def test_breadth_factor() -> None:
    config = FeedbackConfig(breadth_min_clients=10, breadth_share=0.2)
    assert breadth_factor(0, 0, config) == 0.0
    assert breadth_factor(5, 0, config) == 0.5
    assert breadth_factor(10, 0, config) == 1.0
    assert breadth_factor(16, 300, config) == pytest.approx(16 / 70)
    assert breadth_factor(3, 0, FeedbackConfig(breadth_min_clients=0)) == 1.0


def _visit(
    layer: FeedbackLayer, clock: FakeClock, session: str, client: str | None, position: int = 10
) -> None:
    clock.advance(7.0)
    layer.record_impression(QUERY, IDS, session, client=client)
    clock.advance(3.0)
    layer.record_click(QUERY, IDS[position - 1], position, session, 60_000, client=client)


def _lift(layer: FeedbackLayer, item: str = TARGET) -> float:
    layer.refresh()
    return layer.boosts(QUERY).get(item, 0.0)


def test_sessions_from_one_network_count_as_one_supporter(clock: FakeClock) -> None:
    config = FeedbackConfig(refresh_interval_s=0)
    with FeedbackLayer(MemoryStore(clock=clock), config=config, clock=clock) as farm:
        # 20 addresses of one /24, 20 sessions each, each within the per-client caps.
        for number in range(400):
            _visit(farm, clock, f"farm-{number}", f"198.51.100.{number % 20 + 1}")
        farmed = _lift(farm)
    with FeedbackLayer(MemoryStore(clock=clock), config=config, clock=clock) as crowd:
        for number in range(20):  # 20 people in 20 networks
            _visit(crowd, clock, f"person-{number}", f"10.{number}.0.1")
        crowded = _lift(crowd)
    bound = config.max_boost * breadth_factor(1, 1, config)
    assert 0 < farmed <= bound + 1e-9
    assert crowded > 3 * farmed


def test_evicting_sessions_does_not_lift_a_network_past_its_bound(clock: FakeClock) -> None:
    """Tiny caps: every session and bot id is evicted before it returns; the network that keeps
    coming back still counts as one supporter."""
    config = FeedbackConfig(
        refresh_interval_s=0, max_open_sessions=2, max_blocked_sessions=1, max_clients=2
    )
    with FeedbackLayer(MemoryStore(clock=clock), config=config, clock=clock) as layer:
        for round_ in range(30):
            for number in range(10):  # the same ten ids, evicted in between
                _visit(layer, clock, f"farm-{number}", f"198.51.100.{number + 1}")
            # Blind clicks make bots of throwaway ids, pushing earlier ones out of the list.
            for number in range(3):
                for _ in range(config.max_unmatched_clicks):
                    layer.record_click(QUERY, TARGET, 10, f"blind-{round_}-{number}", 60_000)
        lift = _lift(layer)
        verdicts = layer.verdicts
    assert verdicts["evicted_sessions"] > 200 and verdicts["evicted_blocked"] > 10
    assert 0 < lift <= config.max_boost * breadth_factor(1, 1, config) + 1e-9


def test_a_popular_prefix_needs_a_broader_following(clock: FakeClock) -> None:
    config = FeedbackConfig(refresh_interval_s=0)
    lifts = []
    for organic in (0, 300):
        with FeedbackLayer(MemoryStore(clock=clock), config=config, clock=clock) as layer:
            for number in range(organic):  # other people typing the prefix
                layer.record_impression(QUERY, IDS, f"o{number}", client=f"172.16.{number}.1")
            for number in range(16):  # 16 networks push the target
                for session in range(20):
                    _visit(layer, clock, f"s{number}-{session}", f"10.{number}.0.{session + 1}")
            lifts.append(_lift(layer))
    quiet, popular = lifts
    assert quiet == pytest.approx(config.max_boost, rel=0.05)  # 16 networks: a full following
    # The traffic of 316 networks is estimated by the sketch (about 18% error at k = 32).
    assert popular <= config.max_boost * breadth_factor(16, 316 / 1.5, config) + 1e-9
    assert popular < quiet / 3


def test_without_a_client_each_session_is_a_unit(clock: FakeClock) -> None:
    config = FeedbackConfig(refresh_interval_s=0)
    with FeedbackLayer(MemoryStore(clock=clock), config=config, clock=clock) as layer:
        for number in range(3):
            _visit(layer, clock, f"s{number}", None, position=1)
        assert _lift(layer, IDS[0]) <= config.max_boost * breadth_factor(3, 3, config) + 1e-9


def test_compaction_keeps_the_breadth_bound() -> None:
    config = FeedbackConfig()
    stats = ClickStats(config, origin=0.0)
    stats.add_key(QUERY, TARGET, 30.0, 0.0, 10.0)
    for number in range(4):
        stats.add_support(QUERY, TARGET, breadth.unit_hash(f"net{number}"), 10.0)
    for number in range(100):
        stats.add_traffic(QUERY, breadth.unit_hash(f"net{number}"), 10.0)
    before = stats.prefix_boosts(QUERY, 20.0)[TARGET]
    aggregates = Aggregates.from_json(stats.to_aggregates(20.0, 5).to_json())
    assert aggregates.support == {(QUERY, TARGET): 4.0}
    assert aggregates.traffic is not None
    assert aggregates.traffic[QUERY] == pytest.approx(100.0, rel=0.3)  # a sketch's estimate
    restored = ClickStats(config, origin=0.0)
    restored.add_aggregates(aggregates)
    assert restored.prefix_boosts(QUERY, 20.0)[TARGET] == pytest.approx(before, rel=0.05)
    assert before < config.max_boost * breadth_factor(4, 100, config) + 1e-9
    # A document written before breadth was counted: each view stands for one supporter.
    legacy = Aggregates(20.0, 5, aggregates.keys, aggregates.explicit)
    assert Aggregates.from_json(legacy.to_json()).support is None
    old = ClickStats(config, origin=0.0)
    old.add_aggregates(legacy)
    assert old.support(QUERY, TARGET, 20.0) == 10.0


# Session-id churn -----------------------------------------------------------------------------


def _rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS in /proc/self/status")


CHURN_IDS = 100_000
CHURN_CAP = 2_000


def _churn(layer: FeedbackLayer, start: int, count: int) -> None:
    for number in range(start, start + count):
        session = f"churn-{number:07d}"
        client = f"10.{(number >> 16) & 255}.{(number >> 8) & 255}.{number & 255}"
        ids = [f"m{(number + offset) % 300}" for offset in range(5)]
        layer.record_impression(f"title {number % 50}", ids, session, client=client)
        if number % 4 == 0:
            layer.record_click(f"title {number % 50}", ids[0], 1, session, 30_000, client=client)
        if number % 2_000 == 1_999:
            layer.refresh()
    layer.refresh()


@pytest.mark.slow
def test_session_id_churn_keeps_memory_bounded(tmp_path: Path) -> None:
    """100,000 invented session ids (each from a new address): the per-session and per-client
    structures stay at their caps and RSS levels off (events go to a SQLite file on tmpfs)."""
    shm = Path("/dev/shm")
    directory = shm if shm.is_dir() else tmp_path
    path = directory / f"churn-{tmp_path.name}.db"
    config = FeedbackConfig(
        refresh_interval_s=0, max_open_sessions=CHURN_CAP, max_clients=CHURN_CAP
    )
    try:
        with FeedbackLayer(SqliteStore(path), config=config) as layer:
            _churn(layer, 0, 2 * CHURN_CAP)  # fill the caps, warm the allocator
            baseline = _rss_bytes()
            _churn(layer, 2 * CHURN_CAP, CHURN_IDS)
            growth = _rss_bytes() - baseline
            report = layer.report()
            verdicts = layer.verdicts
    finally:
        for leftover in directory.glob(path.name + "*"):
            leftover.unlink()
    assert report["open_sessions"] <= CHURN_CAP  # the learner's ledgers
    assert verdicts["evicted_sessions"] >= CHURN_IDS
    assert verdicts["evicted_clients"] >= CHURN_IDS
    # Uncapped, the open sessions alone took about 1 KB each (100 MB here).
    assert growth < 15 * 2**20, f"RSS grew by {growth / 2**20:.1f} MiB"
    assert math.isfinite(growth)
