"""An experiment's report: the counts, the test, the interval, and the stopping rule's verdict.

The stopping rule is a sample size fixed before the experiment starts (``StoppingRule``), and
the verdict is taken on exactly that sample: the first ``n`` decided sessions of an
interleaving, or the sessions up to the one that gives the smaller A/B arm its ``n``-th, in
the order the sessions closed (``ExperimentCounts.closed``). Sessions that close later do not
change it, so a dashboard refreshed every minute looks once, in effect. Looking once at a fixed
sample keeps the chance of naming a winner between two identical arms at ``alpha`` (at most:
the sign test is exact and conservative); naming one whenever a running p-value first dips
below ``alpha`` would not (Armitage, McPherson & Rowe 1969: at ten looks, about 0.19 at a
nominal 0.05).

Until then the report shows the running figures (over closed and open sessions), and its
``status`` says why there is no verdict yet: ``running`` (the sample is not reached) or
``closing`` (it is, but some of the sessions that reach it are still open: the guard may yet
judge one a bot; they close ``session_ttl_s`` after their last event).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from autocomplete.experiments.config import ExperimentConfig
from autocomplete.experiments.statistics import (
    newcombe_interval,
    sign_test,
    two_proportion_test,
    wilson_interval,
    z_of,
)
from autocomplete.feedback.events import ARMS
from autocomplete.feedback.experiment_tally import (
    UNCLICKED,
    WON_A,
    WON_B,
    ArmCounts,
    ExperimentCounts,
    code_arm,
    code_outcome,
)

RUNNING = "running"
"""The fixed sample is not reached yet: no decision, whatever the p-value says."""
CLOSING = "closing"
"""The sample is reached, but not yet by closed sessions: the verdict waits for them."""
WINNER = "winner"
NO_DIFFERENCE = "no difference"
"""The sample is reached and the test does not reject equal arms at ``alpha``."""


@dataclass(frozen=True, slots=True)
class Tested:
    """What the test is computed from: wins per arm (interleaving) or, per arm, sessions and
    sessions with a click (A/B)."""

    wins_a: int = 0
    wins_b: int = 0
    sessions_a: int = 0
    sessions_b: int = 0
    clicked_a: int = 0
    clicked_b: int = 0

    @classmethod
    def of(cls, counts: ExperimentCounts) -> Tested:
        a, b = counts.arm_a, counts.arm_b
        return cls(
            counts.wins_a,
            counts.wins_b,
            a.sessions,
            b.sessions,
            a.clicked_sessions,
            b.clicked_sessions,
        )


@dataclass(frozen=True, slots=True)
class ExperimentReport:
    config: ExperimentConfig
    counts: ExperimentCounts
    sample: int
    """Progress toward the stopping rule, over closed and open sessions: decided sessions
    (interleaving), or the sessions of the smaller arm (A/B)."""
    stopped_after: int | None
    """Closed sessions up to the one that completed the fixed sample (None: not yet)."""
    tested: Tested
    """The counts the test, the estimate and the interval are computed on: those of the fixed
    sample once it is complete, the running ones until then."""
    p_value: float
    estimate: float
    """Interleaving: b's share of decided sessions (0.5: no preference). A/B: b's session click
    rate minus a's."""
    interval: tuple[float, float]
    """The ``1 - alpha`` confidence interval of ``estimate``."""
    status: str
    winner: str | None
    """``"a"`` or ``"b"`` when the fixed sample gave ``p < alpha``, else None."""

    @property
    def stopping_rule_met(self) -> bool:
        return self.stopped_after is not None

    def to_json(self) -> dict[str, Any]:
        config = self.config
        counts = self.counts
        stopping = config.stopping
        body: dict[str, Any] = {
            "name": config.name,
            "design": config.design,
            "traffic": config.traffic,
            "arms": {arm: config.arm(arm).describe() for arm in ARMS},
            "sessions": counts.sessions,
        }
        if config.design == "interleave":
            body |= {
                "wins_a": counts.wins_a,
                "wins_b": counts.wins_b,
                "ties": counts.ties,
                "unclicked": counts.unclicked,
                "share_b": _finite(_ratio(counts.wins_b, counts.wins_a + counts.wins_b)),
            }
        else:
            rates = {arm: arm_rates(counts.arm(arm)) for arm in ARMS}
            body["rates"] = rates
            if rates["a"]["click_rate"] is not None and rates["b"]["click_rate"] is not None:
                body["difference"] = rates["b"]["click_rate"] - rates["a"]["click_rate"]
            else:
                body["difference"] = None
        tested = self.tested
        body |= {
            "test": "sign test" if config.design == "interleave" else "two-proportion z-test",
            "tested": (
                {"wins_a": tested.wins_a, "wins_b": tested.wins_b}
                if config.design == "interleave"
                else {
                    "sessions_a": tested.sessions_a,
                    "clicked_a": tested.clicked_a,
                    "sessions_b": tested.sessions_b,
                    "clicked_b": tested.clicked_b,
                }
            ),
            "estimate": _finite(self.estimate),
            "p_value": _finite(self.p_value),
            "confidence": 1 - stopping.alpha,
            "interval": [_finite(self.interval[0]), _finite(self.interval[1])],
            "stopping_rule": {
                "kind": "fixed sample size",
                "unit": (
                    "decided sessions" if config.design == "interleave" else "sessions per arm"
                ),
                "required": stopping.sessions,
                "reached": self.sample,
                "met": self.stopping_rule_met,
                "stopped_after_sessions": self.stopped_after,
                "alpha": stopping.alpha,
                "power": stopping.power,
                "min_detectable_effect": stopping.min_detectable_effect,
                "baseline_rate": stopping.baseline_rate,
            },
            "status": self.status,
            "winner": self.winner,
            "winner_label": None if self.winner is None else body["arms"][self.winner],
        }
        return body


def arm_rates(arm: ArmCounts) -> dict[str, Any]:
    """One A/B arm's rates: session click rate (the tested one) and the descriptive others."""
    return {
        "sessions": arm.sessions,
        "clicked_sessions": arm.clicked_sessions,
        "click_rate": _finite(_ratio(arm.clicked_sessions, arm.sessions)),
        "abandonment": _finite(_ratio(arm.sessions - arm.clicked_sessions, arm.sessions)),
        "impressions": arm.impressions,
        "clicks": arm.clicks,
        "click_through": _finite(_ratio(arm.clicks, arm.impressions)),
        "mrr": _finite(_ratio(arm.reciprocal_rank_sum, arm.clicks)),
        "mean_dwell_s": _finite(_ratio(arm.dwell_ms_sum / 1000.0, arm.dwell_clicks)),
    }


def stopping_point(config: ExperimentConfig, closed: bytes) -> tuple[int, Tested] | None:
    """Where the closed sessions, in the order they closed, complete the fixed sample: how
    many sessions that took, and their counts (None: not yet)."""
    required = config.stopping.sessions
    interleave = config.design == "interleave"
    wins = [0, 0]
    sessions = [0, 0]
    clicked = [0, 0]
    for number, code in enumerate(closed, start=1):
        if interleave:
            outcome = code_outcome(code)
            if outcome in (WON_A, WON_B):
                wins[outcome == WON_B] += 1
                if wins[0] + wins[1] == required:
                    return number, Tested(wins_a=wins[0], wins_b=wins[1])
        else:
            arm = ARMS.index(code_arm(code))
            sessions[arm] += 1
            clicked[arm] += code_outcome(code) != UNCLICKED
            if min(sessions) == required:
                return number, Tested(
                    sessions_a=sessions[0],
                    sessions_b=sessions[1],
                    clicked_a=clicked[0],
                    clicked_b=clicked[1],
                )
    return None


def judge(config: ExperimentConfig, counts: ExperimentCounts) -> ExperimentReport:
    """The report of ``config``'s experiment at ``counts``."""
    alpha = config.stopping.alpha
    z = z_of(1 - alpha / 2)
    running = Tested.of(counts)
    if config.design == "interleave":
        sample = running.wins_a + running.wins_b
    else:
        sample = min(running.sessions_a, running.sessions_b)
    point = stopping_point(config, counts.closed)
    tested = running if point is None else point[1]
    if config.design == "interleave":
        decided = tested.wins_a + tested.wins_b
        p_value = sign_test(tested.wins_a, tested.wins_b)
        estimate = tested.wins_b / decided if decided else math.nan
        interval = wilson_interval(tested.wins_b, decided, z)
    else:
        p_value = two_proportion_test(
            tested.clicked_a, tested.sessions_a, tested.clicked_b, tested.sessions_b
        )
        rate_a = _ratio(tested.clicked_a, tested.sessions_a)
        rate_b = _ratio(tested.clicked_b, tested.sessions_b)
        estimate = rate_b - rate_a
        interval = newcombe_interval(
            tested.clicked_a, tested.sessions_a, tested.clicked_b, tested.sessions_b, z
        )
    neutral = 0.5 if config.design == "interleave" else 0.0  # the estimate of equal arms
    leader = None
    if math.isfinite(estimate) and estimate != neutral:
        leader = ARMS[1] if estimate > neutral else ARMS[0]
    if point is None:
        status = RUNNING if sample < config.stopping.sessions else CLOSING
        winner = None
    elif p_value < alpha and leader is not None:
        status, winner = WINNER, leader
    else:
        status, winner = NO_DIFFERENCE, None
    return ExperimentReport(
        config,
        counts,
        sample,
        None if point is None else point[0],
        tested,
        p_value,
        estimate,
        interval,
        status,
        winner,
    )


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else math.nan


def _finite(value: float) -> float | None:
    """JSON has no NaN: an undefined figure is null."""
    return value if math.isfinite(value) else None


__all__ = [
    "CLOSING",
    "NO_DIFFERENCE",
    "RUNNING",
    "WINNER",
    "ExperimentReport",
    "Tested",
    "arm_rates",
    "judge",
    "stopping_point",
]
