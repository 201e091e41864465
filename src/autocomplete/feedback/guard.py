"""The guard: which feedback events count, so bots, click spam and one noisy user cannot steer.

Every event is stored (nothing acknowledged is ever lost, and the raw log is the audit trail);
the guard decides, replaying the log in order with the store's timestamps, which events the
click model learns from. Its rules, all tuned in ``FeedbackConfig``:

* **Rate limits.** A token bucket per session (``session_events_per_minute``) and per client
  (``client_events_per_minute``: an IP or API key, over all its sessions); events beyond them
  are ignored.
* **Duplicate clicks.** A session's repeated clicks on the same (query, title) are one vote (the
  learner keeps each session's strongest contribution per key, not the sum).
* **Clicks must answer an impression.** A click counts only if the same session was shown that
  title at that position for that query; ``max_unmatched_clicks`` clicks that match nothing make
  the session a bot.
* **Inhuman sessions.** ``bot_clicks`` clicks (hundreds), or at least ``regular_min_clicks``
  clicks whose intervals vary less than ``regular_max_cv`` (machine-regular), make the session
  a bot. A bot session's contributions so far are revoked and its later events ignored for
  ``blocked_ttl_s``; a client with ``client_bot_sessions`` bot sessions is blocked as well.
* **Bounded influence.** A session contributes at most ``max_clicks_per_session`` distinct
  clicked (query, title) pairs. A client contributes at most ``client_click_budget`` clicks per
  ``client_vote_window_s`` over all its sessions, ``client_click_burst`` at a time, and at most
  ``max_client_votes_per_key`` of them on one (query, title), so a click farm rotating session
  ids behind a few addresses counts for a few users. (Users sharing one address, as in an
  office, are then counted together: the price of that bound.)

Sessions idle for ``session_ttl_s`` are closed: their contributions become permanent (they can
no longer be revoked) and their state is freed.

**Bounded memory.** Session ids are chosen by clients, so the guard's state must not grow with
how many arrive: at most ``max_open_sessions`` sessions are open (beyond it the least recently
seen is closed early, exactly as if it had gone idle), at most ``max_clients`` clients keep
budgets and at most ``max_blocked_sessions`` bot ids are remembered (the least recently seen or
oldest go first). What eviction costs, and what it does not:

* an evicted session's contributions can no longer be revoked, and bot rules that need its
  history (its click count, its rhythm) start again if the id returns;
* an evicted bot id (or client) that returns starts as a new one, with a new session's bounds:
  at most ``max_clicks_per_session`` keys, one click's credit each, within its client's budget;
* none of this touches the breadth bound (``autocomplete.feedback.breadth``), which is kept per
  (prefix, title) and per prefix, not per session: however often ids are evicted and reinvented,
  a network counts once towards a title's support, so the lift a few networks can buy stays
  bounded.

To evict a session an attacker must send ``max_open_sessions`` fresh ids, which the
per-client rate limits (here and in front of the web app) make slow from a few addresses.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from enum import Enum

from autocomplete.feedback.config import FeedbackConfig
from autocomplete.feedback.events import Click, Explicit, Impression, Recorded

SEPARATOR = "\x00"
"""Joins ids (and query and id) into one string: events never contain it."""

IMPRESSIONS_KEPT = 64
"""Recent impressions (distinct queries) a session's clicks are matched against (and whose
titles a click marks as passed over at the shorter prefixes typed before it)."""

CLIENT_VOTE_KEYS = 4_096
"""Distinct (query, title) vote lists a client keeps before the expired ones are dropped."""

RHYTHM_CLICKS = 16
"""Most recent click times a session's rhythm is judged on."""


class Verdict(Enum):
    ACCEPTED = "accepted"
    BLOCKED = "blocked"
    """From a bot session or a blocked client."""
    RATE_LIMITED = "rate_limited"
    UNMATCHED = "unmatched"
    """A click that answers no impression of its session."""
    SESSION_CAP = "session_cap"
    CLIENT_CAP = "client_cap"


@dataclass(frozen=True, slots=True)
class Decision:
    verdict: Verdict
    listed: tuple[str, ...] = ()
    """For an accepted click: the impression it answered (the titles that were passed over)."""
    revoke: tuple[str, ...] = ()
    """Sessions judged bots by this event: undo everything they contributed."""
    closed: tuple[str, ...] = ()
    """Sessions closed by this event (a returning idle session id starts afresh)."""


@dataclass(slots=True)
class _Bucket:
    """A token bucket: ``capacity`` tokens, refilled at ``per_second``."""

    capacity: float
    per_second: float
    tokens: float
    updated: float

    @classmethod
    def full(cls, capacity: float, window_s: float, now: float) -> _Bucket:
        """A bucket allowing ``capacity`` events per ``window_s`` (and bursts of as many)."""
        return cls(capacity, capacity / window_s, capacity, now)

    def take(self, now: float) -> bool:
        elapsed = max(now - self.updated, 0.0)
        self.tokens = min(self.capacity, self.tokens + elapsed * self.per_second)
        self.updated = max(now, self.updated)
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


# Per-session and per-client state is kept in slotted objects holding tuples and plain dicts of
# strings, which the cyclic garbage collector untracks: thousands of open sessions then cost a
# full collection (a pause of every thread) next to nothing.


@dataclass(slots=True)
class _Session:
    client: str | None
    bucket: _Bucket
    last_seen: float
    impressions: dict[str, str] = field(default_factory=dict)  # query -> NUL-joined ids
    clicks: int = 0
    unmatched: int = 0
    click_times: tuple[float, ...] = ()
    voted: tuple[str, ...] = ()  # NUL-joined (query, id) keys
    judged: tuple[str, ...] = ()


@dataclass(slots=True)
class _Client:
    bucket: _Bucket
    clicks: _Bucket
    last_seen: float
    bot_sessions: int = 0
    blocked_until: float = -math.inf
    votes: dict[str, tuple[float, ...]] = field(default_factory=dict)  # by (query, id) key


class Guard:
    """Judges events in log order. Not thread-safe: one learner owns it."""

    def __init__(self, config: FeedbackConfig) -> None:
        self._config = config
        self._sessions: OrderedDict[str, _Session] = OrderedDict()
        self._clients: OrderedDict[str, _Client] = OrderedDict()
        self._blocked: OrderedDict[str, float] = OrderedDict()
        self.counts: Counter[str] = Counter()
        """Events per verdict, and ``bot_sessions`` / ``blocked_clients`` judged."""

    def admit(self, recorded: Recorded) -> Decision:
        decision = self._judge(recorded)
        self.counts[decision.verdict.value] += 1
        return decision

    def is_blocked(self, session_id: str, now: float) -> bool:
        until = self._blocked.get(session_id)
        return until is not None and until > now

    def expire(self, now: float) -> list[str]:
        """Close sessions idle for ``session_ttl_s`` (returned) and forget stale blocks."""
        config = self._config
        closed: list[str] = []
        sessions = self._sessions
        while sessions:
            session_id, session = next(iter(sessions.items()))
            if session.last_seen + config.session_ttl_s > now:
                break
            del sessions[session_id]
            closed.append(session_id)
        while self._blocked:
            session_id, until = next(iter(self._blocked.items()))
            if until > now:
                break
            del self._blocked[session_id]
        clients = self._clients
        while clients:
            name, client = next(iter(clients.items()))
            if client.last_seen + config.client_vote_window_s > now or client.blocked_until > now:
                break
            del clients[name]
        return closed

    def shown(self, session_id: str, query: str) -> tuple[str, ...] | None:
        """The list an open session was last shown for ``query``, if it is remembered."""
        session = self._sessions.get(session_id)
        shown = None if session is None else session.impressions.get(query)
        return None if shown is None else tuple(shown.split(SEPARATOR))

    @property
    def open_sessions(self) -> int:
        return len(self._sessions)

    @property
    def known_clients(self) -> int:
        return len(self._clients)

    @property
    def blocked_sessions(self) -> int:
        return len(self._blocked)

    # Judging -----------------------------------------------------------------------------------

    def _judge(self, recorded: Recorded) -> Decision:
        event = recorded.event
        now = recorded.timestamp
        session_id = event.session_id
        if self.is_blocked(session_id, now):
            return Decision(Verdict.BLOCKED)
        client = self._client(event.client, now)
        if client is not None and client.blocked_until > now:
            return Decision(Verdict.BLOCKED)
        session, closed_ids = self._session(session_id, event.client, now)

        if isinstance(event, Click):
            bot = self._watch_click(session, now)
            if bot:
                revoke = self._flag(session_id, session, now)
                return Decision(Verdict.BLOCKED, revoke=revoke, closed=closed_ids)
        if not session.bucket.take(now) or (client is not None and not client.bucket.take(now)):
            return Decision(Verdict.RATE_LIMITED, closed=closed_ids)

        if isinstance(event, Impression):
            impressions = session.impressions
            impressions.pop(event.query, None)  # re-inserted last: most recent
            impressions[event.query] = SEPARATOR.join(event.ids)
            if len(impressions) > IMPRESSIONS_KEPT:
                del impressions[next(iter(impressions))]
            return Decision(Verdict.ACCEPTED, closed=closed_ids)
        if isinstance(event, Explicit):
            if event.id not in session.judged:
                if len(session.judged) >= self._config.max_clicks_per_session:
                    return Decision(Verdict.SESSION_CAP, closed=closed_ids)
                session.judged = (*session.judged, event.id)
            return Decision(Verdict.ACCEPTED, closed=closed_ids)
        return self._judge_click(event, session_id, session, client, now, closed_ids)

    def _judge_click(
        self,
        click: Click,
        session_id: str,
        session: _Session,
        client: _Client | None,
        now: float,
        closed: tuple[str, ...],
    ) -> Decision:
        config = self._config
        shown = session.impressions.get(click.query)
        listed = None if shown is None else tuple(shown.split(SEPARATOR))
        matched = (
            listed is not None
            and click.position <= len(listed)
            and listed[click.position - 1] == click.id
        )
        if not matched:
            if config.require_impression:
                session.unmatched += 1
                if session.unmatched >= config.max_unmatched_clicks:
                    revoke = self._flag(session_id, session, now)
                    return Decision(Verdict.BLOCKED, revoke=revoke, closed=closed)
                return Decision(Verdict.UNMATCHED, closed=closed)
            listed = (click.id,)
        assert listed is not None
        key = click.query + SEPARATOR + click.id
        if key not in session.voted:
            if len(session.voted) >= config.max_clicks_per_session:
                return Decision(Verdict.SESSION_CAP, closed=closed)
            if client is not None and not client.clicks.take(now):
                return Decision(Verdict.CLIENT_CAP, closed=closed)
            if client is not None:
                if len(client.votes) > CLIENT_VOTE_KEYS:
                    self._forget_old_votes(client, now)
                horizon = now - config.client_vote_window_s
                votes = tuple(vote for vote in client.votes.get(key, ()) if vote > horizon)
                if len(votes) >= config.max_client_votes_per_key:
                    client.votes[key] = votes
                    return Decision(Verdict.CLIENT_CAP, closed=closed)
                client.votes[key] = (*votes, now)
            session.voted = (*session.voted, key)
        return Decision(Verdict.ACCEPTED, listed=listed, closed=closed)

    def _forget_old_votes(self, client: _Client, now: float) -> None:
        horizon = now - self._config.client_vote_window_s
        stale = [key for key, votes in client.votes.items() if not votes or votes[-1] <= horizon]
        for key in stale:
            del client.votes[key]

    def _watch_click(self, session: _Session, now: float) -> bool:
        """Count a click (rate-limited or not) towards the bot rules; True if it is a bot."""
        config = self._config
        session.clicks += 1
        session.click_times = (*session.click_times[-(RHYTHM_CLICKS - 1) :], now)
        if session.clicks >= config.bot_clicks:
            return True
        times = session.click_times
        if len(times) >= config.regular_min_clicks:
            intervals = [later - earlier for earlier, later in itertools.pairwise(times)]
            mean = sum(intervals) / len(intervals)
            if mean <= 0:
                return True
            variance = sum((gap - mean) ** 2 for gap in intervals) / len(intervals)
            if math.sqrt(variance) / mean < config.regular_max_cv:
                return True
        return False

    def _flag(self, session_id: str, session: _Session, now: float) -> tuple[str, ...]:
        config = self._config
        self._blocked[session_id] = now + config.blocked_ttl_s
        self._blocked.move_to_end(session_id)
        while len(self._blocked) > config.max_blocked_sessions:
            self._blocked.popitem(last=False)
            self.counts["evicted_blocked"] += 1
        self._sessions.pop(session_id, None)
        self.counts["bot_sessions"] += 1
        if session.client is not None:
            client = self._clients.get(session.client)
            if client is not None:
                client.bot_sessions += 1
                if client.bot_sessions >= config.client_bot_sessions:
                    if client.blocked_until <= now:
                        self.counts["blocked_clients"] += 1
                    client.blocked_until = now + config.blocked_ttl_s
        return (session_id,)

    def _session(
        self, session_id: str, client: str | None, now: float
    ) -> tuple[_Session, tuple[str, ...]]:
        """The open session (a new one if absent or idle past its TTL), and the sessions this
        closed (itself if it had gone idle, the least recently seen one if over the cap)."""
        config = self._config
        sessions = self._sessions
        session = sessions.get(session_id)
        closed: tuple[str, ...] = ()
        if session is not None and session.last_seen + config.session_ttl_s <= now:
            del sessions[session_id]
            session, closed = None, (session_id,)
        if session is None:
            bucket = _Bucket.full(config.session_events_per_minute, 60.0, now)
            session = _Session(client, bucket, now)
            sessions[session_id] = session
            if len(sessions) > config.max_open_sessions:
                evicted, _ = sessions.popitem(last=False)
                closed = (*closed, evicted)
                self.counts["evicted_sessions"] += 1
        else:
            session.last_seen = max(session.last_seen, now)
            self._sessions.move_to_end(session_id)
        return session, closed

    def _client(self, name: str | None, now: float) -> _Client | None:
        if name is None:
            return None
        client = self._clients.get(name)
        if client is None:
            config = self._config
            if len(self._clients) >= config.max_clients:
                self._clients.popitem(last=False)
                self.counts["evicted_clients"] += 1
            client = self._clients[name] = _Client(
                _Bucket.full(config.client_events_per_minute, 60.0, now),
                _Bucket(
                    config.client_click_burst,
                    config.client_click_budget / config.client_vote_window_s,
                    config.client_click_burst,
                    now,
                ),
                now,
            )
        else:
            client.last_seen = max(client.last_seen, now)
            self._clients.move_to_end(name)
        return client
