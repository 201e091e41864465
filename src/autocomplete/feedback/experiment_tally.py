"""Online experiments' outcomes, counted from the event log behind the guard.

An impression an experiment chose names the experiment and the arm that placed each title
(``Impression.experiment``, ``Impression.arms``). The learner hands this tally every event the
guard accepted, in log order, so an experiment counts only what the click model would learn
from: a bot session's impressions and clicks are revoked with the rest of its contributions,
floods beyond the rate limits and clicks answering no impression never count, and a session's
repeated clicks on one (query, title) are one click. Because the tally is a pure function of
the log, every worker reading one store, and a process restarted on it, counts the same.

What is counted, per experiment and *session* (the unit an A/B split assigns and a team-draft
interleaving compares over):

* **interleaving**: the clicks credited to each arm (the team of the clicked title in the list
  the click answered); the arm with more wins the session, equal non-zero credit is a tie,
  and a session without a credited click is *unclicked*;
* **per arm** (what an A/B split compares; a session's arm is the arm of its first impression):
  sessions, sessions with a click, impressions, clicks, the sum of the clicks' reciprocal ranks
  and of their dwell times.

A session's counts are kept apart while it is open (the guard may still judge it a bot) and
folded into the experiment's totals when the guard closes it; ``counts`` reports the totals
together with the open sessions as they stand. The closed sessions' outcomes are also kept in
the order they closed, one byte each (``ExperimentCounts.closed``, see ``outcome_code``), so
that a fixed-sample stopping rule can be judged on exactly its first ``n`` sessions however
many came after, in every process and after a restart.
"""

from __future__ import annotations

import base64
import binascii
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import astuple, dataclass, field, replace

from autocomplete.feedback.events import ARMS, Click, Impression

LISTS_KEPT = 64
"""Lists per open session whose arms are kept to credit clicks (as the guard keeps its
impressions: the most recent distinct queries)."""

MAX_CREDITED_CLICKS = 256
"""Distinct clicked (query, title) pairs remembered per open session (the guard's per-session
bound is lower; this only keeps the memory bounded whatever the configuration)."""


@dataclass(frozen=True, slots=True)
class ArmCounts:
    """What the sessions of one arm of an A/B split did."""

    sessions: int = 0
    clicked_sessions: int = 0
    """Sessions with at least one counted click; the others were abandoned."""
    impressions: int = 0
    clicks: int = 0
    reciprocal_rank_sum: float = 0.0
    """Sum over counted clicks of 1 / position (the mean reciprocal rank's numerator)."""
    dwell_ms_sum: float = 0.0
    dwell_clicks: int = 0
    """Counted clicks that came with a dwell time."""

    def plus(self, other: ArmCounts) -> ArmCounts:
        """Field by field sums (every field is a count or a sum)."""
        pairs = zip(astuple(self), astuple(other), strict=True)
        return ArmCounts(*(mine + theirs for mine, theirs in pairs))

    def to_list(self) -> list[float]:
        """The fields in order, as ``from_list`` reads them back."""
        return list(astuple(self))

    @classmethod
    def from_list(cls, values: Iterable[object]) -> ArmCounts:
        numbers: list[float] = []
        for item in values:
            if isinstance(item, bool) or not isinstance(item, (int, float)) or item < 0:
                raise ValueError(f"arm counts are non-negative numbers, got {item!r}")
            numbers.append(item)
        if len(numbers) != 7:
            raise ValueError(f"arm counts hold 7 numbers, got {len(numbers)}")
        s, c, i, k, rr, dw, dc = numbers
        return cls(int(s), int(c), int(i), int(k), float(rr), float(dw), int(dc))


@dataclass(frozen=True, slots=True)
class ExperimentCounts:
    """One experiment's outcome so far: sessions closed and open, as the guard let them count."""

    sessions: int = 0
    wins_a: int = 0
    """Sessions whose credited clicks went more to arm a's titles (interleaving)."""
    wins_b: int = 0
    ties: int = 0
    """Sessions with credited clicks, as many for each arm."""
    unclicked: int = 0
    """Sessions without a credited click."""
    arm_a: ArmCounts = ArmCounts()
    arm_b: ArmCounts = ArmCounts()
    closed: bytes = b""
    """The closed sessions' outcomes in the order they closed, one ``outcome_code`` each."""

    def plus(self, other: ExperimentCounts) -> ExperimentCounts:
        return ExperimentCounts(
            self.sessions + other.sessions,
            self.wins_a + other.wins_a,
            self.wins_b + other.wins_b,
            self.ties + other.ties,
            self.unclicked + other.unclicked,
            self.arm_a.plus(other.arm_a),
            self.arm_b.plus(other.arm_b),
            self.closed + other.closed,
        )

    def arm(self, name: str) -> ArmCounts:
        return self.arm_a if name == ARMS[0] else self.arm_b

    def to_json(self) -> dict[str, object]:
        """The form ``Aggregates`` keeps when the events behind it are compacted away."""
        return {
            "outcomes": [self.sessions, self.wins_a, self.wins_b, self.ties, self.unclicked],
            "a": self.arm_a.to_list(),
            "b": self.arm_b.to_list(),
            "closed": base64.b64encode(self.closed).decode("ascii"),
        }

    @classmethod
    def from_json(cls, data: object) -> ExperimentCounts:
        if not isinstance(data, dict):
            raise ValueError(f"experiment counts are an object, got {type(data).__name__}")
        outcomes = data.get("outcomes")
        if not isinstance(outcomes, list) or len(outcomes) != 5:
            raise ValueError("experiment counts need 'outcomes': five whole numbers")
        whole: list[int] = []
        for item in outcomes:
            if isinstance(item, bool) or not isinstance(item, int) or item < 0:
                raise ValueError(f"experiment outcomes are whole numbers, got {item!r}")
            whole.append(item)
        arm_a, arm_b = (ArmCounts.from_list(_list(data.get(arm), arm)) for arm in ARMS)
        sessions, wins_a, wins_b, ties, unclicked = whole
        encoded = data.get("closed", "")
        try:
            closed = base64.b64decode(encoded, validate=True) if isinstance(encoded, str) else None
        except binascii.Error:
            closed = None
        if closed is None or any(code > MAX_CODE for code in closed):
            raise ValueError("experiment counts need 'closed': base64 of outcome codes")
        return cls(sessions, wins_a, wins_b, ties, unclicked, arm_a, arm_b, closed)


UNCLICKED, TIE, WON_A, WON_B = 0, 1, 2, 3
"""A closed session's interleaving outcome: the low two bits of its code."""
ARM_B_BIT = 4
"""Set in the code of a session whose A/B arm is b."""
MAX_CODE = WON_B | ARM_B_BIT


def outcome_code(outcome: int, arm: str) -> int:
    """One closed session as one byte: its interleaving outcome and its A/B arm."""
    return outcome | (ARM_B_BIT if arm == ARMS[1] else 0)


def code_outcome(code: int) -> int:
    return code & 3


def code_arm(code: int) -> str:
    return ARMS[1] if code & ARM_B_BIT else ARMS[0]


def _list(value: object, name: str) -> list[object]:
    if not isinstance(value, list):
        raise ValueError(f"experiment counts need {name!r}: a list of numbers")
    return value


@dataclass(slots=True)
class _Exposure:
    """One open session's part in one experiment."""

    arm: str
    impressions: int = 0
    lists: OrderedDict[str, tuple[tuple[str, ...], tuple[str, ...]]] = field(
        default_factory=OrderedDict
    )
    """query -> (ids, arms) of the latest list shown for it (ids without arms: no experiment)."""
    credit_a: int = 0
    credit_b: int = 0
    clicked: set[str] = field(default_factory=set)
    reciprocal_rank_sum: float = 0.0
    dwell_ms_sum: float = 0.0
    dwell_clicks: int = 0

    def outcome(self) -> int:
        if self.credit_a != self.credit_b:
            return WON_A if self.credit_a > self.credit_b else WON_B
        return TIE if self.credit_a else UNCLICKED

    def counts(self) -> ExperimentCounts:
        """This session's counts (without its code: ``ExperimentTally`` keeps the order)."""
        clicks = self.credit_a + self.credit_b
        arm = ArmCounts(
            1,
            1 if clicks else 0,
            self.impressions,
            clicks,
            self.reciprocal_rank_sum,
            self.dwell_ms_sum,
            self.dwell_clicks,
        )
        won_a = self.credit_a > self.credit_b
        won_b = self.credit_b > self.credit_a
        return ExperimentCounts(
            sessions=1,
            wins_a=int(won_a),
            wins_b=int(won_b),
            ties=int(clicks > 0 and not (won_a or won_b)),
            unclicked=int(clicks == 0),
            arm_a=arm if self.arm == ARMS[0] else ArmCounts(),
            arm_b=arm if self.arm == ARMS[1] else ArmCounts(),
        )


_SEPARATOR = "\x00"


class ExperimentTally:
    """Counts experiments from accepted events. Not thread-safe: the learner owns it."""

    def __init__(self) -> None:
        self._totals: dict[str, ExperimentCounts] = {}  # without ``closed``: see ``_closed``
        self._closed: dict[str, bytearray] = {}  # appended to, never copied, as sessions close
        self._open: dict[str, dict[str, _Exposure]] = {}  # session -> experiment -> exposure

    def load(self, totals: dict[str, ExperimentCounts]) -> None:
        """Start from compacted totals (before any event is applied)."""
        for name, counts in totals.items():
            self._add(name, replace(counts, closed=b""), counts.closed)

    def _add(self, name: str, counts: ExperimentCounts, codes: bytes) -> None:
        self._totals[name] = self._totals.get(name, ExperimentCounts()).plus(counts)
        self._closed.setdefault(name, bytearray()).extend(codes)

    def impression(self, shown: Impression) -> None:
        exposures = self._open.get(shown.session_id)
        if shown.experiment is None or shown.arms is None:
            # A list shown outside the experiment replaces the session's list for that query:
            # a click on it credits no arm.
            if exposures is not None:
                for other in exposures.values():
                    if shown.query in other.lists:
                        other.lists[shown.query] = (shown.ids, ())
            return
        if exposures is None:
            exposures = self._open[shown.session_id] = {}
        exposure = exposures.get(shown.experiment)
        if exposure is None:
            exposure = exposures[shown.experiment] = _Exposure(shown.arms[0])
        exposure.impressions += 1
        for other_name, elsewhere in exposures.items():
            if other_name != shown.experiment and shown.query in elsewhere.lists:
                elsewhere.lists[shown.query] = (shown.ids, ())
        lists = exposure.lists
        lists.pop(shown.query, None)
        lists[shown.query] = (shown.ids, shown.arms)
        if len(lists) > LISTS_KEPT:
            lists.popitem(last=False)

    def click(self, click: Click) -> None:
        """Credit an accepted click to the arm that placed the clicked title."""
        exposures = self._open.get(click.session_id)
        if exposures is None:
            return
        for exposure in exposures.values():
            shown = exposure.lists.get(click.query)
            if shown is None:
                continue
            ids, arms = shown
            position = click.position
            if not arms or position > len(ids) or ids[position - 1] != click.id:
                continue
            key = click.query + _SEPARATOR + click.id
            if key in exposure.clicked or len(exposure.clicked) >= MAX_CREDITED_CLICKS:
                continue  # one session, one vote per (query, title), as the learner counts
            exposure.clicked.add(key)
            if arms[position - 1] == ARMS[0]:
                exposure.credit_a += 1
            else:
                exposure.credit_b += 1
            exposure.reciprocal_rank_sum += 1.0 / position
            if click.dwell_ms is not None:
                exposure.dwell_ms_sum += click.dwell_ms
                exposure.dwell_clicks += 1

    def close(self, session_ids: Iterable[str]) -> None:
        """Fold closed sessions into the totals: their outcome is final."""
        for session_id in session_ids:
            exposures = self._open.pop(session_id, None)
            if exposures is None:
                continue
            for name, exposure in exposures.items():
                code = outcome_code(exposure.outcome(), exposure.arm)
                self._add(name, exposure.counts(), bytes((code,)))

    def revoke(self, session_ids: Iterable[str]) -> None:
        """Forget sessions the guard judged bots: nothing they did counts."""
        for session_id in session_ids:
            self._open.pop(session_id, None)

    def close_all(self) -> None:
        """Fold every open session (a compaction ends the events they were counted from)."""
        self.close(list(self._open))

    def totals(self) -> dict[str, ExperimentCounts]:
        """The closed sessions' totals, per experiment (with their outcomes in order)."""
        return {name: self._with_closed(name, counts) for name, counts in self._totals.items()}

    def counts(self, name: str) -> ExperimentCounts:
        """``name``'s closed totals plus its open sessions as they stand."""
        found = self._with_closed(name, self._totals.get(name, ExperimentCounts()))
        for exposures in self._open.values():
            open_one = exposures.get(name)
            if open_one is not None:
                found = found.plus(open_one.counts())
        return found

    def _with_closed(self, name: str, counts: ExperimentCounts) -> ExperimentCounts:
        return replace(counts, closed=bytes(self._closed.get(name, b"")))

    def names(self) -> list[str]:
        """Every experiment seen, closed or open."""
        seen = set(self._totals)
        for exposures in self._open.values():
            seen.update(exposures)
        return sorted(seen)
