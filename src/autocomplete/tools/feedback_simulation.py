"""``autocomplete simulate``: simulated users teach the feedback layer; does it learn, and hold?

Method
------
* **Intents.** A seeded set of *trending* titles stands for what users want now and the votes
  prior does not know: titles ranked between ``TRENDING_RANKS`` by votes (known, not famous),
  8 to 40 characters long, that the prior does not already rank first at half their length.
  Each simulated user wants a trending title with probability ``trending_share`` (uniformly
  among them), otherwise a title drawn in proportion to its votes (the world's taste).
* **Typing and clicking.** A user types their title's normalized text one character at a time.
  Every keystroke shows ``k = 10`` suggestions (recorded as an impression); the user looks at
  the list at all with probability ``attention`` and then, by the position-based click model,
  examines position ``p`` with probability ``p ** -examination_exponent`` (Joachims et al.
  2005's eye-tracking curve). An examined intended title is clicked with probability
  ``click_intended`` and read (a long dwell): the session ends. Any other examined title is
  clicked by mistake with probability ``stray_click`` and left at once (a bounce). A user who
  types the whole title without clicking abandons.
* **Bots.** With ``--bot-share 0.2``, bot sessions are mixed in so that they are 20% of all
  sessions, pushing "spam targets" (for each trending title's 25% and 50% prefixes, the 20th
  suggestion there) with fake impressions that list the target at rank 10: a handful of
  *flooders* (hundreds of clicks each, irregular timing), *metronomes* (a click every 2.5 s),
  *blind clickers* (clicks with no impression) and *rotators* (a click farm: bursts of
  ``rotator_burst`` sessions, one impression and one click each, a second or two apart, from a
  few client addresses that rotate session ids). The human sessions are the
  same with and without bots (their behaviour is seeded per session), so the difference between
  the curves is the bots' effect; the bot run is repeated with the guard's rules and the
  breadth bound switched off to show what they are worth.
* **Metric.** MRR@10 of the intended title over its prefixes at 25%, 50% and 75% of its
  length (the "percentage typed" cut of the benchmarks), on the trending titles, and on a
  seeded sample of popular intents to show what the feedback costs the world's taste.
* **Online comparison.** After the learning run, fresh simulated users see the team-draft
  interleaving of the prior-only ranker (A) and the ranker with the learned feedback (B); the
  clicks say which they prefer (``autocomplete.feedback.interleave``).

Everything is seeded: the same seed, catalog and configuration give the same numbers.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from autocomplete.feedback.config import FeedbackConfig
from autocomplete.feedback.interleave import Comparison, session_winner, team_draft
from autocomplete.feedback.layer import FeedbackLayer
from autocomplete.feedback.memory_store import MemoryStore

if TYPE_CHECKING:
    from autocomplete.engine.facade import Autocomplete

K = 10
"""Suggestions shown per keystroke."""

TRENDING_RANKS = (500, 20_000)
"""Trending titles are drawn among the titles ranked in this range by the votes prior."""

EVAL_CUTS = (0.25, 0.5, 0.75)
"""Evaluation prefixes: these shares of a title's normalized length."""

SPAM_DEPTH = 20
"""Bots push the title at this depth of a prefix's suggestions (near enough to the top that a
successful push shows, far enough that it needs one)."""

START_TIME = 1_700_000_000.0

Ranker = Callable[[str], list[str]]
"""Title ids for a normalized query, best first."""


@dataclass(frozen=True)
class UserModel:
    """How simulated people choose, type and click."""

    trending_share: float = 0.7
    examination_exponent: float = 1.0
    attention: float = 0.8
    click_intended: float = 0.95
    stray_click: float = 0.01
    keystroke_s: tuple[float, float] = (0.12, 0.45)
    session_gap_s: tuple[float, float] = (2.0, 40.0)
    read_dwell_median_s: float = 90.0


@dataclass(frozen=True)
class BotModel:
    """The bot traffic mixed in for the bot curve."""

    share: float = 0.2
    flooders: int = 5
    flood_clicks: int = 300
    metronome_clicks: int = 12
    rotator_clients: int = 4
    rotator_burst: int = 25
    """Rotator sessions fired back to back (a second or two apart) from one client."""
    targets: int | None = None
    """Spam targets the campaign pushes (None: one per shorter evaluation prefix)."""
    kinds: tuple[tuple[str, float], ...] = (("rotator", 0.4), ("metronome", 0.3), ("blind", 0.3))


@dataclass(frozen=True)
class SimulationConfig:
    sessions: int = 2_000
    trending: int = 50
    popular_sample: int = 50
    eval_every: int = 250
    interleave_sessions: int = 1_000
    refresh_every: int = 10
    seed: int = 0
    users: UserModel = field(default_factory=UserModel)
    bots: BotModel = field(default_factory=BotModel)
    feedback: FeedbackConfig = field(default_factory=lambda: FeedbackConfig(refresh_interval_s=0))

    def __post_init__(self) -> None:
        for name in ("sessions", "trending", "popular_sample", "eval_every", "refresh_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        if self.interleave_sessions < 0:
            raise ValueError("interleave_sessions must not be negative")
        if not 0 <= self.bots.share < 1:
            raise ValueError(f"bot share must be in [0, 1), got {self.bots.share}")


@dataclass(frozen=True)
class Intent:
    id: str
    title: str
    text: str
    """The normalized title, as typed."""

    @property
    def eval_prefixes(self) -> tuple[str, ...]:
        found: list[str] = []
        for cut in EVAL_CUTS:
            prefix = self.text[: max(1, math.ceil(len(self.text) * cut))]
            if prefix not in found:
                found.append(prefix)
        return tuple(found)


@dataclass(frozen=True)
class CurvePoint:
    sessions: int
    """Human sessions learned from so far."""
    mrr_trending: float
    mrr_popular: float


@dataclass
class Run:
    """One learning run: its curve, its guard's verdicts, and its engine (for interleaving)."""

    curve: list[CurvePoint]
    verdicts: dict[str, int]
    events: int
    engine: Autocomplete


@dataclass
class Report:
    config: SimulationConfig
    trending: list[Intent]
    clean: list[CurvePoint]
    with_bots: list[CurvePoint]
    without_guard: list[CurvePoint]
    """The bot run again, with the guard's rules and the breadth bound switched off."""
    clean_verdicts: dict[str, int]
    bot_verdicts: dict[str, int]
    interleaving: Comparison | None
    elapsed_s: float
    command: str = ""

    @property
    def improvement(self) -> float:
        return self.clean[-1].mrr_trending - self.clean[0].mrr_trending

    @property
    def bot_effect(self) -> float:
        if not self.with_bots:
            return math.nan
        return self.with_bots[-1].mrr_trending - self.clean[-1].mrr_trending

    @property
    def unguarded_bot_effect(self) -> float:
        if not self.without_guard:
            return math.nan
        return self.without_guard[-1].mrr_trending - self.clean[-1].mrr_trending

    def to_dict(self) -> dict[str, Any]:
        return {
            "command": self.command,
            "config": asdict(self.config),
            "trending": [asdict(intent) for intent in self.trending],
            "clean": [asdict(point) for point in self.clean],
            "with_bots": [asdict(point) for point in self.with_bots],
            "without_guard": [asdict(point) for point in self.without_guard],
            "improvement": self.improvement,
            "bot_effect": self.bot_effect,
            "unguarded_bot_effect": self.unguarded_bot_effect,
            "clean_verdicts": self.clean_verdicts,
            "bot_verdicts": self.bot_verdicts,
            "interleaving": None if self.interleaving is None else self.interleaving.to_dict(),
            "elapsed_s": self.elapsed_s,
        }


# Intents ---------------------------------------------------------------------------------------


def ranker_of(engine: Autocomplete) -> Ranker:
    suggest = engine.suggest
    return lambda query: [item.id for item in suggest(query, K)]


def choose_trending(engine: Autocomplete, count: int, rng: random.Random) -> list[Intent]:
    """``count`` known-but-not-famous titles the prior does not already put first."""
    index = engine.index
    priors = np.asarray(index.arrays.title_prior, dtype=np.float64)
    order = np.argsort(-priors, kind="stable")
    low, high = TRENDING_RANKS
    pool = order[low : min(high, len(order))].tolist()
    rng.shuffle(pool)
    rank = ranker_of(engine)
    chosen: list[Intent] = []
    taken: set[str] = set()
    for title in pool:
        text = index.normalized_titles[title]
        if not 8 <= len(text) <= 40 or text[:4] in taken:
            continue
        view = index.describe(title)
        intent = Intent(view.id, view.text, text)
        if rank(intent.eval_prefixes[1])[:1] == [view.id]:
            continue
        chosen.append(intent)
        taken.add(text[:4])  # distinct starts, so the titles do not compete with each other
        if len(chosen) == count:
            break
    return chosen


class PopularIntents:
    """Titles drawn in proportion to their votes (the prior's own distribution)."""

    def __init__(self, engine: Autocomplete) -> None:
        self._index = engine.index
        priors = np.asarray(self._index.arrays.title_prior, dtype=np.float64)
        weights = np.exp(priors - priors.max())
        self._cumulative = np.cumsum(weights / weights.sum())

    def draw(self, rng: random.Random) -> Intent:
        position = int(np.searchsorted(self._cumulative, rng.random(), side="right"))
        title = min(position, len(self._cumulative) - 1)
        view = self._index.describe(title)
        return Intent(view.id, view.text, self._index.normalized_titles[title])

    def sample(self, count: int, rng: random.Random) -> list[Intent]:
        found: dict[str, Intent] = {}
        for _ in range(count * 50):
            intent = self.draw(rng)
            if len(intent.text) >= 2:
                found.setdefault(intent.id, intent)
            if len(found) == count:
                break
        return list(found.values())


def mean_reciprocal_rank(rank: Ranker, intents: Sequence[Intent]) -> float:
    """MRR@10 of each intent over its evaluation prefixes."""
    total = 0.0
    count = 0
    for intent in intents:
        for prefix in intent.eval_prefixes:
            ids = rank(prefix)
            if intent.id in ids:
                total += 1.0 / (ids.index(intent.id) + 1)
            count += 1
    return total / count if count else math.nan


# Sessions --------------------------------------------------------------------------------------


class Clock:
    def __init__(self, start: float = START_TIME) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Recorder:
    """What the application records: here straight into the feedback layer."""

    def __init__(self, layer: FeedbackLayer | None) -> None:
        self._layer = layer

    def impression(self, query: str, ids: Sequence[str], session: str, client: str | None) -> None:
        if self._layer is not None and ids:
            self._layer.record_impression(query, ids, session, client=client)

    def click(
        self, query: str, item: str, position: int, session: str, dwell_s: float, client: str | None
    ) -> None:
        if self._layer is not None:
            dwell_ms = round(dwell_s * 1000)
            self._layer.record_click(query, item, position, session, dwell_ms, client=client)


def human_session(
    intent: Intent,
    show: Callable[[str], Sequence[str]],
    recorder: Recorder,
    session: str,
    users: UserModel,
    rng: random.Random,
    clock: Clock,
    on_click: Callable[[int], None] | None = None,
) -> bool:
    """One person typing ``intent``; True if they clicked it."""
    clock.advance(rng.uniform(*users.session_gap_s))
    for length in range(1, len(intent.text) + 1):
        prefix = intent.text[:length]
        clock.advance(rng.uniform(*users.keystroke_s))
        shown = show(prefix)
        recorder.impression(prefix, shown, session, None)
        if rng.random() >= users.attention:
            continue
        for position, item in enumerate(shown, start=1):
            if rng.random() >= position**-users.examination_exponent:
                continue
            if item == intent.id:
                if rng.random() < users.click_intended:
                    clock.advance(rng.uniform(0.3, 1.5))
                    dwell = users.read_dwell_median_s * math.exp(rng.gauss(0.0, 0.6))
                    recorder.click(prefix, item, position, session, dwell, None)
                    if on_click is not None:
                        on_click(position)
                    return True
            elif rng.random() < users.stray_click:
                clock.advance(rng.uniform(0.3, 1.5))
                dwell = rng.uniform(0.3, 1.5)
                recorder.click(prefix, item, position, session, dwell, None)
                if on_click is not None:
                    on_click(position)
                clock.advance(dwell + 1.0)
    return False


@dataclass(frozen=True)
class SpamTarget:
    prefix: str
    id: str


def spam_targets(engine: Autocomplete, trending: Sequence[Intent]) -> list[SpamTarget]:
    """For each trending title's shorter evaluation prefixes: the title ``SPAM_DEPTH`` deep."""
    found: list[SpamTarget] = []
    for intent in trending:
        for prefix in intent.eval_prefixes[:2]:
            deep = [item.id for item in engine.suggest(prefix, SPAM_DEPTH)]
            if len(deep) == SPAM_DEPTH and deep[-1] != intent.id:
                found.append(SpamTarget(prefix, deep[-1]))
    return found


def _fake_list(shown: Sequence[str], target: str) -> tuple[list[str], int]:
    """``shown`` with ``target`` forced in at rank 10 (or where it already is)."""
    ids = [item for item in shown if item != target][: K - 1]
    if target in shown[:K]:
        ids = list(shown[:K])
    else:
        ids.append(target)
    return ids, ids.index(target) + 1


def bot_session(
    kind: str,
    number: int,
    target: SpamTarget,
    rank: Ranker,
    recorder: Recorder,
    bots: BotModel,
    rng: random.Random,
    clock: Clock,
    burst: int = 0,
) -> None:
    """One bot session of ``kind``; ``burst`` numbers the run of sessions it belongs to."""
    session = f"bot-{kind}-{number}"
    if kind != "rotator":
        clock.advance(rng.uniform(0.5, 5.0))
    if kind == "flooder":
        ids, position = _fake_list(rank(target.prefix), target.id)
        recorder.impression(target.prefix, ids, session, None)
        for _ in range(bots.flood_clicks):
            clock.advance(rng.uniform(0.2, 3.0))
            recorder.click(target.prefix, target.id, position, session, 30.0, None)
    elif kind == "metronome":
        for _ in range(bots.metronome_clicks):
            ids, position = _fake_list(rank(target.prefix), target.id)
            recorder.impression(target.prefix, ids, session, None)
            clock.advance(2.5)
            recorder.click(target.prefix, target.id, position, session, 30.0, None)
    elif kind == "blind":
        for _ in range(rng.randint(1, 4)):
            clock.advance(rng.uniform(0.5, 4.0))
            recorder.click(target.prefix, target.id, K, session, 30.0, None)
    elif kind == "rotator":
        client = f"203.0.113.{burst % bots.rotator_clients}"
        ids, position = _fake_list(rank(target.prefix), target.id)
        recorder.impression(target.prefix, ids, session, client)
        clock.advance(rng.uniform(0.3, 0.8))
        recorder.click(target.prefix, target.id, position, session, 30.0, client)
        clock.advance(rng.uniform(0.5, 2.0))
    else:
        raise ValueError(f"unknown bot kind {kind!r}")


def _schedule(
    config: SimulationConfig, with_bots: bool, rng: random.Random
) -> list[tuple[str, int]]:
    """The order of sessions: ("human", 1) and (bot kind, sessions in a row), shuffled."""
    plan = [("human", 1)] * config.sessions
    if with_bots and config.bots.share > 0:
        bots = config.bots
        total = round(config.sessions * bots.share / (1 - bots.share))
        flooders = min(bots.flooders, total)
        plan += [("flooder", 1)] * flooders
        rest = total - flooders
        weights = sum(weight for _, weight in bots.kinds)
        counts = [math.floor(rest * weight / weights) for _, weight in bots.kinds]
        counts[0] += rest - sum(counts)
        for (kind, _), count in zip(bots.kinds, counts, strict=True):
            run = bots.rotator_burst if kind == "rotator" else 1
            plan += [(kind, min(run, count - start)) for start in range(0, count, run)]
    rng.shuffle(plan)
    return plan


# Runs ------------------------------------------------------------------------------------------


def learning_run(
    base: Autocomplete,
    config: SimulationConfig,
    trending: Sequence[Intent],
    popular: PopularIntents,
    popular_eval: Sequence[Intent],
    targets: Sequence[SpamTarget],
    *,
    with_bots: bool,
) -> Run:
    """Simulate ``config.sessions`` human sessions (and bots), measuring MRR as they go."""
    from autocomplete.engine.facade import Autocomplete

    clock = Clock()
    layer = FeedbackLayer(MemoryStore(clock=clock), config=config.feedback, clock=clock)
    engine = Autocomplete(base.index, feedback=layer)
    rank = ranker_of(engine)
    recorder = Recorder(layer)
    users = config.users
    plan = _schedule(config, with_bots, random.Random(config.seed * 7919 + 1))
    bot_rng = random.Random(config.seed * 7919 + 2)

    def measure(sessions: int) -> CurvePoint:
        layer.refresh()
        return CurvePoint(
            sessions,
            mean_reciprocal_rank(rank, trending),
            mean_reciprocal_rank(rank, popular_eval),
        )

    curve = [measure(0)]
    humans = 0
    bots_seen = 0
    runs = 0
    for kind, size in plan:
        if kind == "human":
            # Each human's choices are seeded by their number alone, so the same people come
            # with and without bots.
            rng = random.Random(config.seed * 1_000_003 + humans)
            if rng.random() < users.trending_share:
                intent = trending[rng.randrange(len(trending))]
            else:
                intent = popular.draw(rng)
            human_session(intent, rank, recorder, f"user-{humans}", users, rng, clock)
            humans += 1
            if humans % config.refresh_every == 0:
                layer.refresh()
            if humans % config.eval_every == 0 or humans == config.sessions:
                curve.append(measure(humans))
        else:
            for _ in range(size):
                target = targets[bot_rng.randrange(len(targets))]
                bot_session(
                    kind, bots_seen, target, rank, recorder, config.bots, bot_rng, clock, runs
                )
                bots_seen += 1
            runs += 1
    layer.refresh()
    report = layer.report()
    events = report["events"]
    assert isinstance(events, dict)
    return Run(curve, dict(layer.verdicts), sum(events.values()), engine)


def interleaving_run(
    base: Autocomplete,
    learned: Autocomplete,
    config: SimulationConfig,
    trending: Sequence[Intent],
    popular: PopularIntents,
) -> Comparison:
    """Fresh users see the team-draft interleaving of ``base`` (A) and ``learned`` (B)."""
    rank_a, rank_b = ranker_of(base), ranker_of(learned)
    users = config.users
    clock = Clock()
    draft_rng = random.Random(config.seed * 7919 + 3)
    wins = [0, 0]
    ties = 0
    recorder = Recorder(None)  # B stays as learned: the comparison does not feed it
    for number in range(config.interleave_sessions):
        rng = random.Random(config.seed * 1_000_003 + 500_000_000 + number)
        if rng.random() < users.trending_share:
            intent = trending[rng.randrange(len(trending))]
        else:
            intent = popular.draw(rng)
        shown = _InterleavedLists(rank_a, rank_b, draft_rng)
        human_session(
            intent, shown.show, recorder, f"ab-{number}", users, rng, clock, on_click=shown.click
        )
        winner = session_winner(shown.credited)
        if winner is None:
            ties += 1
        else:
            wins[winner] += 1
    return Comparison("prior only", "prior + feedback", wins[0], wins[1], ties)


class _InterleavedLists:
    """What one interleaving session was shown, and the teams its clicks credit."""

    def __init__(self, rank_a: Ranker, rank_b: Ranker, rng: random.Random) -> None:
        self._rank_a = rank_a
        self._rank_b = rank_b
        self._rng = rng
        self._teams: tuple[int, ...] = ()
        self.credited: list[int] = []

    def show(self, prefix: str) -> list[str]:
        merged = team_draft(self._rank_a(prefix), self._rank_b(prefix), K, self._rng)
        self._teams = merged.teams
        return list(merged.ids)

    def click(self, position: int) -> None:
        self.credited.append(self._teams[position - 1])


def run_simulation(
    config: SimulationConfig,
    *,
    base: Autocomplete | None = None,
    with_bots: bool = True,
    progress: Callable[[str], None] | None = None,
) -> Report:
    """The whole experiment: trending set, clean and bot learning curves, interleaving."""
    from autocomplete.engine.facade import Autocomplete

    started = time.perf_counter()
    say = progress if progress is not None else (lambda message: None)
    base = base if base is not None else Autocomplete()
    rng = random.Random(config.seed)
    trending = choose_trending(base, config.trending, rng)
    if not trending:
        raise ValueError("the catalog has no title that fits the trending criteria")
    popular = PopularIntents(base)
    popular_eval = popular.sample(config.popular_sample, random.Random(config.seed + 1))
    targets = spam_targets(base, trending)
    random.Random(config.seed + 2).shuffle(targets)
    targets = targets[: config.bots.targets]
    say(f"{len(trending)} trending titles, {len(targets)} spam targets")
    clean = learning_run(base, config, trending, popular, popular_eval, targets, with_bots=False)
    say(f"clean run: MRR {clean.curve[0].mrr_trending:.3f} -> {clean.curve[-1].mrr_trending:.3f}")
    bots: Run | None = None
    exposed: Run | None = None
    try:
        if with_bots and config.bots.share > 0 and targets:
            bots = learning_run(
                base, config, trending, popular, popular_eval, targets, with_bots=True
            )
            bots.engine.close()
            say(f"bot run: MRR {bots.curve[-1].mrr_trending:.3f}")
            # The same traffic against a guard whose rules are all switched off, to show what
            # they are worth (the one-vote-per-session ledger is structural and stays).
            exposed_config = replace(config, feedback=without_guard(config.feedback))
            exposed = learning_run(
                base, exposed_config, trending, popular, popular_eval, targets, with_bots=True
            )
            exposed.engine.close()
            say(f"bot run, guard off: MRR {exposed.curve[-1].mrr_trending:.3f}")
        comparison = None
        if config.interleave_sessions:
            comparison = interleaving_run(base, clean.engine, config, trending, popular)
            say(f"interleaving: {comparison.to_dict()}")
    finally:
        clean.engine.close()
    return Report(
        config=config,
        trending=list(trending),
        clean=clean.curve,
        with_bots=[] if bots is None else bots.curve,
        without_guard=[] if exposed is None else exposed.curve,
        clean_verdicts=clean.verdicts,
        bot_verdicts={} if bots is None else bots.verdicts,
        interleaving=comparison,
        elapsed_s=time.perf_counter() - started,
    )


def without_guard(config: FeedbackConfig) -> FeedbackConfig:
    """``config`` with every guard rule and the breadth bound switched off."""
    never = 10**9
    return replace(
        config,
        bot_clicks=never,
        regular_max_cv=0.0,
        require_impression=False,
        max_unmatched_clicks=never,
        max_clicks_per_session=never,
        session_events_per_minute=float(never),
        client_events_per_minute=float(never),
        max_client_votes_per_key=never,
        client_click_budget=never,
        client_click_burst=never,
        client_bot_sessions=never,
        breadth_min_clients=0.0,
        breadth_share=0.0,
    )


# Report ----------------------------------------------------------------------------------------

IMPROVEMENT_TARGET = 0.2
BOT_EFFECT_TARGET = 0.02


def render_markdown(report: Report) -> str:
    config = report.config
    lines = [
        "# Click feedback: simulated users",
        "",
        "Generated by `autocomplete simulate`; the method, the scoring formula and the "
        "defences are described in [README.md](README.md).",
        "",
        f"Command: `{report.command}`" if report.command else "",
        "",
        f"{config.sessions:,} human sessions, {len(report.trending)} trending titles, "
        f"{config.users.trending_share:.0%} of users wanting one of them; bots "
        f"{config.bots.share:.0%} of sessions in the bot run; seed {config.seed}; "
        f"{report.elapsed_s:.0f} s.",
        "",
        "## Targets",
        "",
        "| target | measured | met |",
        "|---|---|---|",
        f"| MRR@10 on trending intents improves by >= {IMPROVEMENT_TARGET} after "
        f"{config.sessions:,} sessions | {report.clean[0].mrr_trending:.3f} -> "
        f"{report.clean[-1].mrr_trending:.3f} (+{report.improvement:.3f}) | "
        f"{'yes' if report.improvement >= IMPROVEMENT_TARGET else 'no'} |",
    ]
    if report.with_bots:
        effect = report.bot_effect
        lines.append(
            f"| {config.bots.share:.0%} bot traffic changes it by < {BOT_EFFECT_TARGET} | "
            f"{report.with_bots[-1].mrr_trending:.3f} with bots ({effect:+.3f}) | "
            f"{'yes' if abs(effect) < BOT_EFFECT_TARGET else 'no'} |"
        )
    if report.without_guard:
        lines.append(
            f"| (for scale) the same bots against a guard with its rules and breadth bound off | "
            f"{report.without_guard[-1].mrr_trending:.3f} ({report.unguarded_bot_effect:+.3f}) "
            "| – |"
        )
    lines += [
        "",
        "## Learning curve (MRR@10)",
        "",
        "![Learning curve](learning_curve.png)",
        "",
        "![Effect of the bots](bot_curve.png)",
        "",
        "| human sessions | trending | trending, with bots | trending, bots, guard off "
        "| popular | popular, with bots |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    bots_by_sessions = {point.sessions: point for point in report.with_bots}
    exposed_by_sessions = {point.sessions: point for point in report.without_guard}
    for point in report.clean:
        other = bots_by_sessions.get(point.sessions)
        exposed = exposed_by_sessions.get(point.sessions)
        lines.append(
            f"| {point.sessions:,} | {point.mrr_trending:.3f} | "
            f"{'–' if other is None else f'{other.mrr_trending:.3f}'} | "
            f"{'–' if exposed is None else f'{exposed.mrr_trending:.3f}'} | "
            f"{point.mrr_popular:.3f} | "
            f"{'–' if other is None else f'{other.mrr_popular:.3f}'} |"
        )
    if report.interleaving is not None:
        result = report.interleaving
        low, high = result.share_b_interval()
        lines += [
            "",
            "## Team-draft interleaving",
            "",
            f"{config.interleave_sessions:,} fresh simulated sessions saw the team-draft "
            f"interleaving of **A = {result.a}** and **B = {result.b}** (B as learned from the "
            "clean run).",
            "",
            f"B won {result.wins_b:,}, A won {result.wins_a:,}, {result.ties:,} ties: "
            f"winner **{result.winner}**, B's share of decided sessions {result.share_b:.3f} "
            f"(95% CI {low:.3f}-{high:.3f}), sign test p = {result.p_value:.2g}.",
        ]
    lines += [
        "",
        "## Guard verdicts",
        "",
        f"Clean run: {json.dumps(report.clean_verdicts, sort_keys=True)}",
        "",
        f"Bot run: {json.dumps(report.bot_verdicts, sort_keys=True)}",
        "",
    ]
    return "\n".join(lines)


def draw_plots(report: Report, out: Path) -> list[Path]:
    """``learning_curve.png`` and ``bot_curve.png`` (needs matplotlib, the ``eval`` extra)."""
    import importlib

    try:
        matplotlib = importlib.import_module("matplotlib")
    except ImportError:
        raise RuntimeError("the plots need matplotlib: pip install -e '.[eval]'") from None
    matplotlib.use("Agg")
    pyplot = importlib.import_module("matplotlib.pyplot")
    written: list[Path] = []

    sessions = [point.sessions for point in report.clean]
    figure, axes = pyplot.subplots(figsize=(7, 4.2))
    axes.plot(sessions, [p.mrr_trending for p in report.clean], "o-", label="trending intents")
    if report.with_bots:
        axes.plot(
            [p.sessions for p in report.with_bots],
            [p.mrr_trending for p in report.with_bots],
            "s--",
            label=f"trending, {report.config.bots.share:.0%} bot sessions",
        )
    axes.plot(sessions, [p.mrr_popular for p in report.clean], "^:", label="popular intents")
    axes.set_xlabel("human sessions of feedback")
    axes.set_ylabel("MRR@10")
    axes.set_ylim(0, 1)
    axes.set_title("Learning from clicks (simulated users)")
    axes.grid(alpha=0.3)
    axes.legend()
    figure.tight_layout()
    path = out / "learning_curve.png"
    figure.savefig(path, dpi=120)
    pyplot.close(figure)
    written.append(path)

    if report.with_bots:
        figure, axes = pyplot.subplots(figsize=(7, 3.6))
        effect = [
            bot.mrr_trending - clean.mrr_trending
            for bot, clean in zip(report.with_bots, report.clean, strict=True)
        ]
        axes.axhspan(-BOT_EFFECT_TARGET, BOT_EFFECT_TARGET, color="tab:green", alpha=0.15)
        axes.axhline(0.0, color="black", linewidth=0.8)
        axes.plot(sessions, effect, "o-", color="tab:red", label="guard on")
        if report.without_guard:
            exposed = [
                bot.mrr_trending - clean.mrr_trending
                for bot, clean in zip(report.without_guard, report.clean, strict=True)
            ]
            axes.plot(sessions, exposed, "s:", color="tab:gray", label="guard rules off")
        axes.legend(loc="lower left")
        axes.set_xlabel("human sessions of feedback")
        axes.set_ylabel("MRR@10 with bots - without")
        axes.set_ylim(-0.1, 0.1)
        axes.set_title(f"Effect of {report.config.bots.share:.0%} bot sessions (target band ±0.02)")
        axes.grid(alpha=0.3)
        figure.tight_layout()
        path = out / "bot_curve.png"
        figure.savefig(path, dpi=120)
        pyplot.close(figure)
        written.append(path)
    return written


def write_report(report: Report, out: Path, *, plots: bool = True) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "results.json", out / "results.md"]
    written[0].write_text(json.dumps(report.to_dict(), indent=2) + "\n", encoding="utf-8")
    written[1].write_text(render_markdown(report), encoding="utf-8")
    if plots:
        written += draw_plots(report, out)
    return written


# Command line ----------------------------------------------------------------------------------


def add_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``autocomplete simulate``."""
    parser = commands.add_parser(
        "simulate",
        help="simulated users teach the click-feedback layer: learning curve, bots, A/B",
        description=__doc__.split("\n\n", 1)[0] if __doc__ else None,
    )
    parser.add_argument("--sessions", type=int, default=2_000, help="human sessions (2000)")
    parser.add_argument("--trending", type=int, default=50, help="trending titles (50)")
    parser.add_argument("--bot-share", type=float, default=0.2, help="bot share of sessions")
    parser.add_argument("--eval-every", type=int, default=250, help="sessions per curve point")
    parser.add_argument(
        "--interleave", type=int, default=1_000, help="interleaving sessions (0 to skip)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="write results.json/.md and plots here")
    parser.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(run=_cmd_simulate)


def _cmd_simulate(args: argparse.Namespace) -> int:
    config = SimulationConfig(
        sessions=args.sessions,
        trending=args.trending,
        eval_every=min(args.eval_every, args.sessions),
        interleave_sessions=args.interleave,
        seed=args.seed,
        bots=BotModel(share=args.bot_share),
    )

    def say(message: str) -> None:
        print(message, file=sys.stderr)

    report = run_simulation(config, with_bots=args.bot_share > 0, progress=say)
    report.command = (
        f"autocomplete simulate --sessions {args.sessions} --trending {args.trending} "
        f"--bot-share {args.bot_share} --eval-every {args.eval_every} "
        f"--interleave {args.interleave} --seed {args.seed}"
        + ("" if args.out is None else f" --out {args.out}")
    )
    if args.out is not None:
        for path in write_report(report, args.out, plots=not args.no_plots):
            say(f"wrote {path}")
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(render_markdown(report))
    met = report.improvement >= IMPROVEMENT_TARGET and (
        not report.with_bots or abs(report.bot_effect) < BOT_EFFECT_TARGET
    )
    return 0 if met else 1
