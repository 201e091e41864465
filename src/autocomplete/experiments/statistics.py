"""The tests, intervals and sample sizes an online experiment is judged by.

* **Interleaving**: the exact two-sided sign test of "neither arm is preferred" over the
  sessions one arm won (``autocomplete.feedback.interleave.sign_test``), and the Wilson score
  interval of arm b's share of them.
* **A/B split**: the pooled two-proportion z-test of "both arms have the same session click
  rate", and Newcombe's hybrid score interval of the difference (R. G. Newcombe, "Interval
  estimation for the difference between independent proportions", Statistics in Medicine
  17, 1998, method 10: Wilson intervals of each rate, combined).
* **Sample sizes fixed in advance** from a minimum detectable effect, a significance level and
  a power, by the normal approximations of the same tests (e.g. Fleiss, Levin & Paik,
  "Statistical Methods for Rates and Proportions", 3rd ed., section 4.2 for two proportions).
"""

from __future__ import annotations

import math
from statistics import NormalDist

from autocomplete.feedback.interleave import sign_test, wilson_interval

__all__ = [
    "newcombe_interval",
    "sign_test",
    "sign_test_sessions",
    "two_proportion_sessions",
    "two_proportion_test",
    "wilson_interval",
    "z_of",
]

_STANDARD = NormalDist()


def z_of(probability: float) -> float:
    """The standard normal quantile: ``z_of(0.975)`` is 1.96."""
    return _STANDARD.inv_cdf(probability)


def two_proportion_test(successes_a: int, trials_a: int, successes_b: int, trials_b: int) -> float:
    """Two-sided p-value of the pooled z-test of equal rates (1.0 when either arm is empty or
    the pooled rate is 0 or 1: nothing tells the arms apart)."""
    if trials_a == 0 or trials_b == 0:
        return 1.0
    pooled = (successes_a + successes_b) / (trials_a + trials_b)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / trials_a + 1 / trials_b))
    if spread == 0:
        return 1.0
    z = (successes_b / trials_b - successes_a / trials_a) / spread
    return math.erfc(abs(z) / math.sqrt(2.0))


def newcombe_interval(
    successes_a: int, trials_a: int, successes_b: int, trials_b: int, z: float = 1.959964
) -> tuple[float, float]:
    """Newcombe's hybrid score interval of ``rate_b - rate_a`` (95% by default)."""
    if trials_a == 0 or trials_b == 0:
        return (-1.0, 1.0)
    rate_a, rate_b = successes_a / trials_a, successes_b / trials_b
    low_a, high_a = wilson_interval(successes_a, trials_a, z)
    low_b, high_b = wilson_interval(successes_b, trials_b, z)
    difference = rate_b - rate_a
    low = difference - math.sqrt((rate_b - low_b) ** 2 + (high_a - rate_a) ** 2)
    high = difference + math.sqrt((high_b - rate_b) ** 2 + (rate_a - low_a) ** 2)
    return (max(-1.0, low), min(1.0, high))


def sign_test_sessions(effect: float, alpha: float, power: float) -> int:
    """Decided sessions the sign test needs to find a share of ``0.5 + effect`` with ``power``
    at two-sided level ``alpha``: n = ((z_a/2 * 1/2 + z_b * sqrt(p q)) / effect)^2."""
    _check(effect, alpha, power, upper=0.5)
    share = 0.5 + effect
    z_alpha, z_beta = z_of(1 - alpha / 2), z_of(power)
    n = ((z_alpha * 0.5 + z_beta * math.sqrt(share * (1 - share))) / effect) ** 2
    return math.ceil(n)


def two_proportion_sessions(baseline: float, effect: float, alpha: float, power: float) -> int:
    """Sessions per arm the two-proportion test needs to find ``baseline`` -> ``baseline +
    effect`` with ``power`` at two-sided level ``alpha``."""
    _check(effect, alpha, power, upper=1.0)
    if not 0 < baseline < 1 or not 0 < baseline + effect < 1:
        raise ValueError(
            f"baseline_rate and baseline_rate + min_detectable_effect must lie in (0, 1); got "
            f"{baseline} and {baseline + effect}"
        )
    other = baseline + effect
    mean = (baseline + other) / 2
    z_alpha, z_beta = z_of(1 - alpha / 2), z_of(power)
    spread = z_alpha * math.sqrt(2 * mean * (1 - mean)) + z_beta * math.sqrt(
        baseline * (1 - baseline) + other * (1 - other)
    )
    return math.ceil((spread / effect) ** 2)


def _check(effect: float, alpha: float, power: float, *, upper: float) -> None:
    if not 0 < effect < upper:
        raise ValueError(f"min_detectable_effect must be in (0, {upper}), got {effect}")
    if not 0 < alpha < 0.5:
        raise ValueError(f"alpha must be in (0, 0.5), got {alpha}")
    if not 0.5 <= power < 1:
        raise ValueError(f"power must be in [0.5, 1), got {power}")
