"""An experiment's report: the counts, the test, the interval, and the stopping rule's verdict.

The stopping rule is a sample size fixed before the experiment starts (``StoppingRule``): the
p-value and the interval are shown as the experiment runs, but a winner is named only once
the sample is reached, and then only if ``p < alpha``. Looking once at a fixed sample keeps the
chance of naming a winner between two identical arms at ``alpha`` (at most: the sign test is
exact and conservative); naming one whenever a running p-value first dips below ``alpha``
would not (Armitage, McPherson & Rowe 1969: at ten looks, about 0.19 at a nominal 0.05).
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
from autocomplete.feedback.experiment_tally import ArmCounts, ExperimentCounts

RUNNING = "running"
"""The fixed sample is not reached yet: no decision, whatever the p-value says."""
WINNER = "winner"
NO_DIFFERENCE = "no difference"
"""The sample is reached and the test does not reject equal arms at ``alpha``."""


@dataclass(frozen=True, slots=True)
class ExperimentReport:
    config: ExperimentConfig
    counts: ExperimentCounts
    sample: int
    """Progress toward the stopping rule: decided sessions (interleaving), or the sessions of
    the smaller arm (A/B)."""
    p_value: float
    estimate: float
    """Interleaving: b's share of decided sessions (0.5: no preference). A/B: b's session click
    rate minus a's."""
    interval: tuple[float, float]
    """The ``1 - alpha`` confidence interval of ``estimate``."""
    status: str
    winner: str | None
    """``"a"`` or ``"b"`` once the stopping rule is met with ``p < alpha``, else None."""

    @property
    def stopping_rule_met(self) -> bool:
        return self.sample >= self.config.stopping.sessions

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
                "share_b": _finite(self.estimate),
            }
        else:
            body["rates"] = {arm: arm_rates(counts.arm(arm)) for arm in ARMS}
            body["difference"] = _finite(self.estimate)
        body |= {
            "test": "sign test" if config.design == "interleave" else "two-proportion z-test",
            "p_value": _finite(self.p_value),
            "confidence": 1 - stopping.alpha,
            "interval": [_finite(self.interval[0]), _finite(self.interval[1])],
            "stopping_rule": {
                "kind": "fixed sample size",
                "unit": "decided sessions" if config.design == "interleave" else "sessions per arm",
                "required": stopping.sessions,
                "reached": self.sample,
                "met": self.stopping_rule_met,
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
        "click_rate": _ratio(arm.clicked_sessions, arm.sessions),
        "abandonment": _ratio(arm.sessions - arm.clicked_sessions, arm.sessions),
        "impressions": arm.impressions,
        "clicks": arm.clicks,
        "click_through": _ratio(arm.clicks, arm.impressions),
        "mrr": _ratio(arm.reciprocal_rank_sum, arm.clicks),
        "mean_dwell_s": _ratio(arm.dwell_ms_sum / 1000.0, arm.dwell_clicks),
    }


def judge(config: ExperimentConfig, counts: ExperimentCounts) -> ExperimentReport:
    """The report of ``config``'s experiment at ``counts``."""
    alpha = config.stopping.alpha
    z = z_of(1 - alpha / 2)
    if config.design == "interleave":
        decided = counts.wins_a + counts.wins_b
        sample = decided
        p_value = sign_test(counts.wins_a, counts.wins_b)
        estimate = counts.wins_b / decided if decided else math.nan
        interval = wilson_interval(counts.wins_b, decided, z)
        leader = (
            None
            if counts.wins_a == counts.wins_b
            else (ARMS[1] if counts.wins_b > counts.wins_a else ARMS[0])
        )
    else:
        a, b = counts.arm_a, counts.arm_b
        sample = min(a.sessions, b.sessions)
        p_value = two_proportion_test(
            a.clicked_sessions, a.sessions, b.clicked_sessions, b.sessions
        )
        rate_a = _ratio(a.clicked_sessions, a.sessions)
        rate_b = _ratio(b.clicked_sessions, b.sessions)
        estimate = rate_b - rate_a if a.sessions and b.sessions else math.nan
        interval = newcombe_interval(
            a.clicked_sessions, a.sessions, b.clicked_sessions, b.sessions, z
        )
        leader = (
            None if not estimate or math.isnan(estimate) else (ARMS[1] if estimate > 0 else ARMS[0])
        )
    if sample < config.stopping.sessions:
        status, winner = RUNNING, None
    elif p_value < alpha and leader is not None:
        status, winner = WINNER, leader
    else:
        status, winner = NO_DIFFERENCE, None
    return ExperimentReport(config, counts, sample, p_value, estimate, interval, status, winner)


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else math.nan


def _finite(value: float) -> float | None:
    """JSON has no NaN: an undefined figure is null."""
    return value if math.isfinite(value) else None
