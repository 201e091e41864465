"""The learner: replays the event log through the guard into the click model.

It owns the per-session *ledgers*: what each open session has contributed to every
(prefix, title) key and to every title's explicit judgement. The ledger is what makes a
session's influence bounded and revocable: a session's repeated clicks on one key keep only
its strongest (or latest negative) contribution instead of adding up, and when the guard judges
a session a bot, its ledger is subtracted from the sums. A ledger is dropped (its
contributions kept) when its session closes, idle or evicted to keep the open sessions within
``max_open_sessions``.

It also counts the breadth of support (``autocomplete.feedback.breadth``): the client network
of every accepted event is counted among the prefix's traffic, and that of every click among
the supporters of each (prefix, title) it gave evidence to.

It feeds the online experiments' tally (``autocomplete.feedback.experiment_tally``) the same
accepted events, and the same session closings and bot revocations, so an experiment counts
only what the guard lets the click model learn from.

Replaying the same log always gives the same sums, so every process or host that reads one
store learns the same model.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass

from autocomplete.feedback.aggregates import Aggregates
from autocomplete.feedback.breadth import client_unit, unit_hash
from autocomplete.feedback.click_model import (
    ClickStats,
    click_credit,
    dwell_weight,
    prefix_weights,
)
from autocomplete.feedback.config import FeedbackConfig
from autocomplete.feedback.events import Click, Explicit, Impression, Recorded
from autocomplete.feedback.experiment_tally import ExperimentTally
from autocomplete.feedback.guard import Guard, Verdict

KEY = "\x00"
"""Joins a prefix and a title id into one ledger key (queries and ids never contain it)."""


class _Ledger:
    """One open session's contributions, in reference units.

    Each key's (credit, views) pair is one ``complex`` (credit the real part, views the
    imaginary): one untracked object and one dict slot per key instead of two, which matters
    when ``max_open_sessions`` ledgers are held. Keys are interned, so sessions voting on the
    same (prefix, title) share one string.
    """

    __slots__ = ("explicit", "votes")

    def __init__(self) -> None:
        self.votes: dict[str, complex] = {}  # "prefix\0title" -> complex(credit, views)
        self.explicit: dict[str, float] = {}  # title -> signed explicit value


@dataclass(frozen=True, slots=True)
class _Source:
    """Who an event came from, for the breadth counts, and when."""

    unit: int
    """The hash of the client's network (or of the session, without a client)."""
    timestamp: float


class Learner:
    """Guard + click model + ledgers. Not thread-safe: the feedback layer serializes calls."""

    def __init__(self, config: FeedbackConfig, origin: float) -> None:
        self._config = config
        self.stats = ClickStats(config, origin)
        self.guard = Guard(config)
        self._ledgers: dict[str, _Ledger] = {}
        self.experiments = ExperimentTally()
        """The online experiments' outcomes, from the accepted events."""
        self.last_seq = 0
        self.applied: Counter[str] = Counter()
        """Events replayed, by kind."""

    def load(self, aggregates: Aggregates) -> None:
        """Start from compacted sums (before any event is applied)."""
        self.stats.add_aggregates(aggregates)
        if aggregates.experiments:
            self.experiments.load(dict(aggregates.experiments))
        self.last_seq = max(self.last_seq, aggregates.through_seq)

    def apply(self, recorded: Recorded) -> None:
        """Learn from one event; events must come in sequence order."""
        if recorded.seq <= self.last_seq:
            return
        self.last_seq = recorded.seq
        event = recorded.event
        self.applied[type(event).__name__.lower()] += 1
        now = recorded.timestamp
        stats = self.stats
        if stats.needs_rebase(now):
            self._rebase(now)
        decision = self.guard.admit(recorded)
        for session_id in decision.closed:
            self._ledgers.pop(session_id, None)
        if decision.closed:
            self.experiments.close(decision.closed)
        for session_id in decision.revoke:
            self._revoke(session_id)
        if decision.revoke:
            self.experiments.revoke(decision.revoke)
        if decision.verdict is not Verdict.ACCEPTED:
            return
        source = _Source(unit_hash(client_unit(event.client, event.session_id)), now)
        if isinstance(event, Impression):
            self._count_traffic(event.query, source)
            self.experiments.impression(event)
        elif isinstance(event, Click):
            self._count_traffic(event.query, source)
            self._learn_click(event, decision.listed, stats.scale(now), source)
            self.experiments.click(event)
        elif isinstance(event, Explicit):
            self._learn_explicit(event, stats.scale(now))

    def skip_to(self, seq: int) -> None:
        """Move on to after ``seq`` without learning (past rows the store set aside as bad)."""
        self.last_seq = max(self.last_seq, seq)

    def expire(self, now: float) -> None:
        closed = self.guard.expire(now)
        for session_id in closed:
            self._ledgers.pop(session_id, None)
        self.experiments.close(closed)

    @property
    def open_sessions(self) -> int:
        return len(self._ledgers)

    # Contributions ---------------------------------------------------------------------------

    def _count_traffic(self, query: str, source: _Source) -> None:
        # Traffic generalizes to shorter prefixes as clicks do, so that support and traffic
        # are counted over the same prefixes.
        for prefix, _ in prefix_weights(query, self._config):
            self.stats.add_traffic(prefix, source.unit, source.timestamp)

    def _learn_click(
        self, click: Click, listed: tuple[str, ...], scale: float, source: _Source
    ) -> None:
        config = self._config
        weights = prefix_weights(click.query, config)
        if not weights:
            return
        ledger = self._ledger(click.session_id)
        query = click.query
        credit = click_credit(click.position, click.dwell_ms, config)
        for item in listed:
            if item != click.id:
                self._contribute(ledger, query, item, 0.0, scale, source)
        self._contribute(ledger, query, click.id, credit * scale, scale, source)
        # Shorter prefixes learn that someone who typed them wanted this title, and that the
        # titles the session was shown there were passed over; the position weight stays with
        # the list it was earned in.
        dwell = dwell_weight(click.dwell_ms, config)
        shown = self.guard.shown
        for prefix, weight in weights[1:]:
            earlier = shown(click.session_id, prefix)
            if earlier is not None:
                for item in earlier:
                    if item != click.id:
                        self._contribute(ledger, prefix, item, 0.0, weight * scale, source)
            self._contribute(
                ledger, prefix, click.id, dwell * weight * scale, weight * scale, source
            )

    def _contribute(
        self,
        ledger: _Ledger,
        prefix: str,
        item: str,
        credit: float,
        views: float,
        source: _Source,
    ) -> None:
        key = sys.intern(prefix + KEY + item)
        old = ledger.votes.get(key, 0j)
        old_credit, old_views = old.real, old.imag
        # One session, one vote per key: the strongest positive credit, or the latest negative
        # one (a bounce overrides an earlier click and is overridden by a later one).
        if credit >= 0 and old_credit >= 0:
            new_credit = max(old_credit, credit)
        elif credit == 0:
            new_credit = old_credit
        else:
            new_credit = credit
        new_views = max(old_views, views)
        ledger.votes[key] = complex(new_credit, new_views)
        self.stats.add_key(
            prefix,
            item,
            max(new_credit, 0.0) - max(old_credit, 0.0),
            max(-new_credit, 0.0) - max(-old_credit, 0.0),
            new_views - old_views,
        )
        # Breadth is not revoked with a bot's ledger: it only scales evidence, and the bot's
        # own evidence is revoked; its network counts once anyway.
        self.stats.add_support(prefix, item, source.unit, source.timestamp)

    def _learn_explicit(self, judged: Explicit, scale: float) -> None:
        ledger = self._ledger(judged.session_id)
        old = ledger.explicit.get(judged.id, 0.0)
        new = judged.value * scale
        ledger.explicit[judged.id] = new
        self.stats.add_explicit(
            judged.id, max(new, 0.0) - max(old, 0.0), max(-new, 0.0) - max(-old, 0.0)
        )

    def _revoke(self, session_id: str) -> None:
        ledger = self._ledgers.pop(session_id, None)
        if ledger is None:
            return
        stats = self.stats
        for key, vote in ledger.votes.items():
            prefix, item = key.split(KEY)
            credit, views = vote.real, vote.imag
            stats.add_key(prefix, item, -max(credit, 0.0), -max(-credit, 0.0), -views)
        for item, value in ledger.explicit.items():
            stats.add_explicit(item, -max(value, 0.0), -max(-value, 0.0))

    def _ledger(self, session_id: str) -> _Ledger:
        ledger = self._ledgers.get(session_id)
        if ledger is None:
            ledger = self._ledgers[session_id] = _Ledger()
        return ledger

    def _rebase(self, now: float) -> None:
        factor = self.stats.rebase(now)
        for ledger in self._ledgers.values():
            votes = ledger.votes
            for key, vote in votes.items():
                votes[key] = vote * factor
            explicit = ledger.explicit
            for item, value in explicit.items():
                explicit[item] = value * factor
