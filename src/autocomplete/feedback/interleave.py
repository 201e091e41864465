"""Team-draft interleaving: compare two rankers online, on the same users, with few sessions.

For each list shown, the two rankers' lists are merged by a team draft (Radlinski, Kurup &
Joachims 2008, "How does clickthrough data reflect retrieval quality?"): like captains picking
teams, the ranker with fewer picks so far (a coin flip on a tie) adds its best title not yet
shown, until ``k`` titles are shown. Each title remembers the team that picked it. A session's
clicks are credited to the teams that picked the clicked titles; the team with more clicks wins
the session, equal clicks are a tie. Because both rankers get the top positions equally often in
expectation, position bias cancels out, and the outcome says which ranker users prefer.

Over many sessions, the ranker that wins more of the non-tied sessions is better; the
two-sided sign test (an exact binomial test with p = 1/2) gives the confidence, and the Wilson
interval bounds its share of wins.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

A = 0
"""Team of the first ranker."""
B = 1
"""Team of the second ranker."""


@dataclass(frozen=True, slots=True)
class Interleaved:
    ids: tuple[str, ...]
    """The merged list, as shown."""
    teams: tuple[int, ...]
    """``teams[i]`` is ``A`` or ``B``: the ranker that picked ``ids[i]``."""

    def team_of(self, position: int) -> int:
        """The team credited for a click at 1-based ``position``."""
        return self.teams[position - 1]


def team_draft(a: Sequence[str], b: Sequence[str], k: int, rng: random.Random) -> Interleaved:
    """Merge rankings ``a`` and ``b`` into at most ``k`` titles by team draft."""
    if k < 1:
        raise ValueError(f"k must be positive, got {k}")
    shown: list[str] = []
    teams: list[int] = []
    seen: set[str] = set()
    picks = [0, 0]
    cursors = [0, 0]
    rankings = (a, b)

    def next_of(team: int) -> str | None:
        ranking = rankings[team]
        while cursors[team] < len(ranking) and ranking[cursors[team]] in seen:
            cursors[team] += 1
        return ranking[cursors[team]] if cursors[team] < len(ranking) else None

    while len(shown) < k:
        candidates = (next_of(A), next_of(B))
        if candidates[A] is None and candidates[B] is None:
            break
        if candidates[A] is None:
            team = B
        elif candidates[B] is None:
            team = A
        elif picks[A] != picks[B]:
            team = A if picks[A] < picks[B] else B
        else:
            team = A if rng.random() < 0.5 else B
        chosen = candidates[team]
        assert chosen is not None
        shown.append(chosen)
        teams.append(team)
        seen.add(chosen)
        picks[team] += 1
    return Interleaved(tuple(shown), tuple(teams))


def session_winner(credited: Iterable[int]) -> int | None:
    """``A``, ``B`` or None (a tie) for the teams of a session's clicks."""
    counts = [0, 0]
    for team in credited:
        counts[team] += 1
    if counts[A] == counts[B]:
        return None
    return A if counts[A] > counts[B] else B


@dataclass(frozen=True, slots=True)
class Comparison:
    """The outcome of an interleaving experiment between rankers ``a`` and ``b``."""

    a: str
    b: str
    wins_a: int
    wins_b: int
    ties: int

    @property
    def decided(self) -> int:
        return self.wins_a + self.wins_b

    @property
    def winner(self) -> str | None:
        if self.wins_a == self.wins_b:
            return None
        return self.a if self.wins_a > self.wins_b else self.b

    @property
    def share_b(self) -> float:
        """The share of decided sessions ``b`` won."""
        return self.wins_b / self.decided if self.decided else math.nan

    @property
    def p_value(self) -> float:
        """Two-sided sign test of "neither ranker is preferred"."""
        return sign_test(self.wins_a, self.wins_b)

    def share_b_interval(self, z: float = 1.959964) -> tuple[float, float]:
        """Wilson score interval of ``share_b`` (95% by default)."""
        return wilson_interval(self.wins_b, self.decided, z)

    def to_dict(self) -> dict[str, object]:
        low, high = self.share_b_interval()
        return {
            "a": self.a,
            "b": self.b,
            "wins_a": self.wins_a,
            "wins_b": self.wins_b,
            "ties": self.ties,
            "winner": self.winner,
            "share_b": self.share_b,
            "share_b_95": [low, high],
            "p_value": self.p_value,
        }


def sign_test(wins_a: int, wins_b: int) -> float:
    """Exact two-sided binomial test of ``wins_a`` vs ``wins_b`` under p = 1/2."""
    n = wins_a + wins_b
    if n == 0:
        return 1.0
    low = min(wins_a, wins_b)
    # P(X <= low) for X ~ Binomial(n, 1/2), in log space so large n does not underflow.
    log_half_n = -n * math.log(2.0)
    terms = [
        math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) + log_half_n
        for i in range(low + 1)
    ]
    peak = max(terms)
    tail = math.exp(peak) * sum(math.exp(term - peak) for term in terms)
    return min(1.0, 2.0 * tail)


def wilson_interval(successes: int, trials: int, z: float = 1.959964) -> tuple[float, float]:
    if trials == 0:
        return (0.0, 1.0)
    share = successes / trials
    denominator = 1 + z * z / trials
    centre = (share + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(share * (1 - share) / trials + z * z / (4 * trials * trials)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))
