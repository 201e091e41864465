"""The guard's rules, one by one, on hand-made event logs."""

from __future__ import annotations

import itertools

import pytest

from autocomplete.feedback import Click, Explicit, FeedbackConfig, Impression, Recorded
from autocomplete.feedback.events import Event
from autocomplete.feedback.guard import Decision, Guard, Verdict

IDS = ("m1", "m2", "m3", "m4", "m5")


class Log:
    """Feeds events to a guard with increasing sequence numbers at chosen times."""

    def __init__(self, config: FeedbackConfig | None = None) -> None:
        self.guard = Guard(config if config is not None else FeedbackConfig())
        self._seq = itertools.count(1)
        self.now = 1_000.0

    def feed(self, event: Event, *, after: float = 1.0) -> Verdict:
        return self.decide(event, after=after).verdict

    def decide(self, event: Event, *, after: float = 1.0) -> Decision:
        self.now += after
        return self.guard.admit(Recorded(next(self._seq), self.now, event))

    def browse_and_click(
        self, session: str, position: int = 2, *, client: str | None = None, after: float = 1.0
    ) -> Verdict:
        self.feed(Impression("star", IDS, session, client), after=after)
        return self.feed(Click("star", IDS[position - 1], position, session, client=client))


def test_a_click_answering_an_impression_is_accepted_with_its_list() -> None:
    log = Log()
    assert log.feed(Impression("star", IDS, "s1")) is Verdict.ACCEPTED
    decision = log.decide(Click("star", "m3", 3, "s1"))
    assert decision.verdict is Verdict.ACCEPTED
    assert decision.listed == IDS


@pytest.mark.parametrize(
    ("shown", "click"),
    [
        (None, Click("star", "m3", 3, "s1")),
        (Impression("star", IDS, "s1"), Click("star", "m3", 2, "s1")),  # wrong position
        (Impression("star", IDS, "s1"), Click("sta", "m3", 3, "s1")),  # another query
        (Impression("star", IDS, "s2"), Click("star", "m3", 3, "s1")),  # another session
    ],
)
def test_clicks_must_match_an_impression(shown: Impression | None, click: Click) -> None:
    log = Log()
    if shown is not None:
        log.feed(shown)
    assert log.feed(click) is Verdict.UNMATCHED


def test_repeated_unmatched_clicks_make_a_bot_and_revoke_it() -> None:
    log = Log(FeedbackConfig(max_unmatched_clicks=3))
    log.feed(Impression("star", IDS, "s1"))
    assert log.feed(Click("star", "m1", 1, "s1")) is Verdict.ACCEPTED
    assert log.feed(Click("x", "m9", 1, "s1")) is Verdict.UNMATCHED
    assert log.feed(Click("x", "m9", 1, "s1")) is Verdict.UNMATCHED
    third = log.decide(Click("x", "m9", 1, "s1"))
    assert third.verdict is Verdict.BLOCKED and third.revoke == ("s1",)
    assert log.feed(Impression("star", IDS, "s1")) is Verdict.BLOCKED
    assert log.guard.counts["bot_sessions"] == 1


def test_unmatched_clicks_count_when_impressions_are_not_required() -> None:
    log = Log(FeedbackConfig(require_impression=False))
    decision = log.decide(Click("star", "m3", 3, "s1"))
    assert decision.verdict is Verdict.ACCEPTED and decision.listed == ("m3",)


def test_hundreds_of_clicks_make_a_bot() -> None:
    log = Log(FeedbackConfig(bot_clicks=100))
    log.feed(Impression("star", IDS, "s1"))
    verdicts = []
    for n in range(100):
        # Irregular intervals, so only the count gives it away.
        verdicts.append(log.decide(Click("star", "m1", 1, "s1"), after=1.0 + (n * 7919) % 13))
    assert {d.verdict for d in verdicts[:99]} <= {Verdict.ACCEPTED, Verdict.RATE_LIMITED}
    assert verdicts[99].verdict is Verdict.BLOCKED and verdicts[99].revoke == ("s1",)


def test_machine_regular_clicks_make_a_bot_and_human_rhythm_does_not() -> None:
    config = FeedbackConfig(regular_min_clicks=8, regular_max_cv=0.1)
    robot = Log(config)
    robot.feed(Impression("star", IDS, "bot"))
    verdicts = [robot.feed(Click("star", "m1", 1, "bot"), after=2.0) for _ in range(8)]
    assert verdicts[:7] == [Verdict.ACCEPTED] * 7 and verdicts[7] is Verdict.BLOCKED
    human = Log(config)
    human.feed(Impression("star", IDS, "h"))
    gaps = [3.1, 8.0, 1.2, 15.5, 4.4, 2.0, 9.9, 6.3, 1.7, 12.0]
    assert all(
        human.feed(Click("star", "m1", 1, "h"), after=gap) is Verdict.ACCEPTED for gap in gaps
    )


def test_session_rate_limit() -> None:
    log = Log(FeedbackConfig(session_events_per_minute=60))
    verdicts = [log.feed(Impression("star", IDS, "s1"), after=0.01) for _ in range(100)]
    assert verdicts.count(Verdict.ACCEPTED) == 60
    assert verdicts.count(Verdict.RATE_LIMITED) == 40
    assert log.feed(Impression("star", IDS, "s1"), after=10.0) is Verdict.ACCEPTED


def test_client_rate_limit_spans_its_sessions() -> None:
    log = Log(FeedbackConfig(client_events_per_minute=30))
    verdicts = [
        log.feed(Impression("star", IDS, f"s{n}", client="10.0.0.9"), after=0.01) for n in range(50)
    ]
    assert verdicts.count(Verdict.ACCEPTED) == 30
    assert log.feed(Impression("star", IDS, "other", client="10.0.0.8"), after=0.01) is (
        Verdict.ACCEPTED
    )


def test_a_session_votes_for_a_bounded_number_of_keys() -> None:
    log = Log(FeedbackConfig(max_clicks_per_session=3))
    queries = ["a", "b", "c", "d"]
    verdicts = []
    for query in queries:
        log.feed(Impression(query, IDS, "s1"), after=5.3)
        verdicts.append(log.feed(Click(query, "m1", 1, "s1"), after=2.9))
    assert verdicts == [Verdict.ACCEPTED] * 3 + [Verdict.SESSION_CAP]
    # A duplicate click on a key it already voted for is still accepted (the ledger keeps one).
    assert log.feed(Click("a", "m1", 1, "s1"), after=4.1) is Verdict.ACCEPTED


def test_a_client_cannot_rotate_sessions_to_vote_again() -> None:
    config = FeedbackConfig(max_client_votes_per_key=5, client_vote_window_s=3_600.0)
    log = Log(config)
    verdicts = [log.browse_and_click(f"s{n}", client="10.1.1.1", after=60.0) for n in range(7)]
    assert verdicts == [Verdict.ACCEPTED] * 5 + [Verdict.CLIENT_CAP] * 2
    assert log.browse_and_click("s-late", client="10.1.1.1", after=3_600.0) is Verdict.ACCEPTED


def test_a_client_has_a_daily_click_budget_over_all_its_sessions() -> None:
    config = FeedbackConfig(
        client_click_budget=10, client_click_burst=10, client_vote_window_s=86_400.0
    )
    log = Log(config)
    verdicts = [
        log.browse_and_click(f"s{n}", position=1 + n % 5, client="farm", after=30.0)
        for n in range(15)
    ]
    assert verdicts.count(Verdict.ACCEPTED) == 10
    assert verdicts[10:] == [Verdict.CLIENT_CAP] * 5
    # The budget refills over the window; other clients are not affected.
    assert log.browse_and_click("other", client="home") is Verdict.ACCEPTED
    assert log.browse_and_click("later", client="farm", after=86_400.0 / 10) is Verdict.ACCEPTED


def test_a_client_clicks_in_bursts_of_a_few_at_most() -> None:
    config = FeedbackConfig(client_click_budget=24, client_click_burst=3)
    log = Log(config)
    burst = [log.browse_and_click(f"s{n}", position=1 + n % 5, client="farm") for n in range(6)]
    assert burst == [Verdict.ACCEPTED] * 3 + [Verdict.CLIENT_CAP] * 3
    # One click's worth comes back every hour (24 a day).
    assert log.browse_and_click("later", client="farm", after=3_600.0) is Verdict.ACCEPTED
    assert log.browse_and_click("again", client="farm") is Verdict.CLIENT_CAP


def test_a_client_with_several_bot_sessions_is_blocked() -> None:
    log = Log(FeedbackConfig(client_bot_sessions=2, max_unmatched_clicks=1))
    assert log.feed(Click("q", "m1", 1, "b1", client="botnet")) is Verdict.BLOCKED
    assert log.browse_and_click("h1", client="botnet") is Verdict.ACCEPTED
    assert log.feed(Click("q", "m1", 1, "b2", client="botnet")) is Verdict.BLOCKED
    assert log.browse_and_click("h2", client="botnet") is Verdict.BLOCKED
    assert log.guard.counts["blocked_clients"] == 1
    assert log.browse_and_click("h3", client="elsewhere") is Verdict.ACCEPTED


def test_idle_sessions_close_and_blocks_expire() -> None:
    config = FeedbackConfig(session_ttl_s=600.0, blocked_ttl_s=3_600.0, max_unmatched_clicks=1)
    log = Log(config)
    log.feed(Impression("star", IDS, "s1"))
    assert log.guard.expire(log.now + 599.0) == []
    assert log.guard.expire(log.now + 601.0) == ["s1"]
    assert log.guard.open_sessions == 0
    # A session id seen again after its TTL starts afresh: its old impressions are gone.
    log.feed(Impression("star", IDS, "s2"))
    closed = log.decide(Click("star", "m1", 1, "s2"), after=700.0)
    assert closed.closed == ("s2",)
    assert log.guard.is_blocked("s2", log.now)  # its click matched nothing: max_unmatched=1
    log.guard.expire(log.now + 3_601.0)
    assert not log.guard.is_blocked("s2", log.now + 3_601.0)
    assert log.browse_and_click("s2", after=3_601.0) is Verdict.ACCEPTED


def test_explicit_feedback_is_rate_limited_and_capped() -> None:
    log = Log(FeedbackConfig(max_clicks_per_session=2))
    verdicts = [log.feed(Explicit(f"m{n}", 1.0, "s1")) for n in range(3)]
    assert verdicts == [Verdict.ACCEPTED, Verdict.ACCEPTED, Verdict.SESSION_CAP]
    assert log.feed(Explicit("m0", -1.0, "s1")) is Verdict.ACCEPTED  # changing a judgement


def test_counts_every_verdict() -> None:
    log = Log()
    log.browse_and_click("s1")
    log.feed(Click("nope", "m1", 1, "s2"))
    assert log.guard.counts == {"accepted": 2, "unmatched": 1}


# Bounded memory: invented session ids and addresses ------------------------------------------


def test_open_sessions_are_capped_and_the_oldest_is_closed_early() -> None:
    log = Log(FeedbackConfig(max_open_sessions=3))
    for number in range(3):
        assert log.decide(Impression("star", IDS, f"s{number}")).closed == ()
    log.feed(Impression("star", IDS, "s0"))  # s0 seen again: s1 is now the least recent
    decision = log.decide(Impression("star", IDS, "s3"))
    assert decision.verdict is Verdict.ACCEPTED and decision.closed == ("s1",)
    assert log.guard.open_sessions == 3
    assert log.guard.shown("s1", "star") is None and log.guard.shown("s0", "star") == IDS
    for number in range(4, 1_000):
        log.feed(Impression("star", IDS, f"s{number}"), after=0.01)
    assert log.guard.open_sessions == 3
    assert log.guard.counts["evicted_sessions"] == 1_000 - 3


def test_clients_and_blocked_ids_are_capped() -> None:
    config = FeedbackConfig(max_clients=5, max_blocked_sessions=4, max_unmatched_clicks=1)
    log = Log(config)
    for number in range(50):
        log.feed(Impression("star", IDS, f"s{number}", f"10.0.{number}.1"), after=0.01)
        log.feed(Click("x", "m9", 1, f"bot{number}"), after=0.01)  # unmatched: a bot at once
    assert log.guard.known_clients == 5
    assert log.guard.blocked_sessions == 4
    assert log.guard.is_blocked("bot49", log.now) and not log.guard.is_blocked("bot0", log.now)


def test_a_returning_evicted_bot_id_gets_only_a_new_sessions_bounds() -> None:
    config = FeedbackConfig(
        max_blocked_sessions=2, max_unmatched_clicks=1, max_clicks_per_session=2
    )
    log = Log(config)
    bot = log.decide(Click("x", "m9", 1, "bot"))
    assert bot.verdict is Verdict.BLOCKED and bot.revoke == ("bot",)
    for number in range(2):  # two more bots push the first one out of the blocked list
        log.feed(Click("x", "m9", 1, f"other{number}"))
    assert not log.guard.is_blocked("bot", log.now)
    # Back, it is a new session: its first wrong click makes it a bot again, and a well-behaved
    # return votes for at most max_clicks_per_session keys, as any session does.
    assert log.decide(Click("x", "m9", 1, "bot")).verdict is Verdict.BLOCKED
    for number in range(2):
        log.feed(Click("x", "m9", 1, f"more{number}"))
    verdicts = []
    for query in ("a", "b", "c", "d"):
        log.feed(Impression(query, IDS, "bot"))
        verdicts.append(log.feed(Click(query, "m1", 1, "bot")))
    assert verdicts == [Verdict.ACCEPTED] * 2 + [Verdict.SESSION_CAP] * 2
