"""``autocomplete simulate-experiment``: simulated users in an online experiment, by design.

The users are the feedback simulation's (``feedback_simulation.human_session``: typing a
character at a time, position-biased examination, stray clicks), driven through the library
path an application uses (``Experiments.suggest``, ``record_impression``,
``Autocomplete.record_click``) against a memory store with a simulated clock. The command runs
the same users and arms twice, as a team-draft interleaving and as an A/B split, and prints
both reports: what docs/experiments.md compares.

The default arms: a is the served ranking, b boosts the Animation genre 5x, and the users want
one of the 100 most popular animated films (so b is the better ranking for them).
"""

from __future__ import annotations

import argparse
import functools
import json
import random
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from autocomplete import Autocomplete
from autocomplete.experiments import ExperimentAnswer, Experiments, parse_experiments
from autocomplete.feedback.config import FeedbackConfig
from autocomplete.feedback.layer import FeedbackLayer
from autocomplete.feedback.memory_store import MemoryStore
from autocomplete.text.normalize import normalize_typed
from autocomplete.tools.feedback_simulation import (
    Clock,
    Intent,
    K,
    Recorder,
    UserModel,
    human_session,
)

PREFERRED_B: Mapping[str, Any] = {
    "b": {"label": "Animation x5", "boost": {"genres": {"Animation": 5.0}}}
}
"""Arm b of the default comparison."""

WANTED_GENRE = {"genres": "Animation"}


def intents(
    engine: Autocomplete, count: int, where: Mapping[str, object] | None = None
) -> list[Intent]:
    """The ``count`` most popular titles (within ``where``), as simulated users type them."""
    found = []
    for item in engine.suggest("", count, where=where):
        text = normalize_typed(item.text)
        if len(text) >= 4:
            found.append(Intent(item.id, item.text, text))
    return found


class LibraryUser(Recorder):
    """One session through ``Experiments`` (what an application serving its own pages does)."""

    def __init__(self, experiments: Experiments, session: str) -> None:
        super().__init__(None)
        self._experiments = experiments
        self._session = session
        self._answer = ExperimentAnswer(())

    def show(self, prefix: str) -> list[str]:
        self._answer = self._experiments.suggest(prefix, K, session_id=self._session)
        return list(self._answer.ids)

    def impression(self, query: str, ids: Sequence[str], session: str, client: str | None) -> None:
        if ids:
            self._experiments.record_impression(query, self._answer, session, client=client)

    def click(
        self, query: str, item: str, position: int, session: str, dwell_s: float, client: str | None
    ) -> None:
        self._experiments.engine.record_click(
            query, item, position, session, round(dwell_s * 1000), client=client
        )


class SimulatedUser(Recorder):
    """What ``simulate`` drives: a recorder that also shows the lists (``show``)."""

    def show(self, prefix: str) -> list[str]:
        raise NotImplementedError


def simulate(
    sessions: int,
    wanted: Sequence[Intent],
    user_for: Callable[[str, int], LibraryUser | SimulatedUser],
    *,
    seed: int,
    clock: Clock,
    users: UserModel | None = None,
) -> int:
    """Run ``sessions`` simulated sessions, each wanting a title of ``wanted`` (``user_for``
    makes the user of a session id and number); how many clicked what they wanted."""
    clicked = 0
    for number in range(sessions):
        clicked += simulate_one(wanted, user_for, seed, number, clock, users)
    return clicked


def simulate_one(
    wanted: Sequence[Intent],
    user_for: Callable[[str, int], LibraryUser | SimulatedUser],
    seed: int,
    number: int,
    clock: Clock,
    users: UserModel | None = None,
) -> bool:
    """Session ``number`` of a seeded run; True if its user clicked the title they wanted."""
    rng = random.Random(seed * 1_000_003 + number)
    intent = wanted[rng.randrange(len(wanted))]
    session = f"user-{seed}-{number:06d}"
    user = user_for(session, number)
    model = users if users is not None else UserModel()
    return human_session(intent, user.show, user, session, model, rng, clock)


def run_until_stopped(
    experiments: Experiments,
    wanted: Sequence[Intent],
    *,
    seed: int,
    clock: Clock,
    users: UserModel | None = None,
    most_sessions: int = 2_000,
) -> int:
    """Library-path sessions, one at a time, until the (single) experiment's fixed sample is
    reached; then the open sessions are let close, and the verdict (on the first ``n``) stands.
    The sessions run."""
    layer = experiments.engine.feedback
    assert layer is not None
    (experiment,) = experiments.experiments
    required = experiment.config.stopping.sessions
    interleave = experiment.config.design == "interleave"
    # No stopping rule can be met before this many sessions ran (a session decides at most one
    # interleaving outcome; an A/B split needs ``required`` sessions in each arm).
    floor = required if interleave else 2 * required
    for number in range(most_sessions):
        simulate_one(
            wanted, functools.partial(_library_user, experiments), seed, number, clock, users
        )
        # An A/B split is looked at every fifth session (its report walks every open session):
        # the one look then falls at most four sessions past the fixed sample.
        if number + 1 >= floor and (interleave or (number + 1 - floor) % 5 == 0):
            layer.refresh()
            if experiment.report().sample >= required:
                # The verdict is taken on closed sessions: let every open one go idle past the
                # guard's session lifetime, as time would, and read it.
                clock.advance(layer.config.session_ttl_s + 1.0)
                layer.refresh()
                assert experiment.report().stopping_rule_met
                return number + 1
    raise RuntimeError(f"the stopping rule was not met in {most_sessions} sessions")


def _library_user(experiments: Experiments, session: str, number: int) -> LibraryUser:
    return LibraryUser(experiments, session)


def compare_designs(
    base: Autocomplete, sessions: int, seed: int, arms: Mapping[str, Any] = PREFERRED_B
) -> dict[str, dict[str, Any]]:
    """The same simulated users and arms as an interleaving and as an A/B split: both reports
    after ``sessions`` sessions."""
    wanted = intents(base, 100, where=WANTED_GENRE)
    reports: dict[str, dict[str, Any]] = {}
    for design in ("interleave", "ab"):
        clock = Clock()
        layer = FeedbackLayer(
            MemoryStore(clock=clock), config=FeedbackConfig(refresh_interval_s=0), clock=clock
        )
        engine = Autocomplete(base.index, feedback=layer)
        document = {"experiments": [{"name": f"compare-{design}", "design": design, **arms}]}
        experiments = Experiments(engine, parse_experiments(document))
        simulate(
            sessions,
            wanted,
            functools.partial(_library_user, experiments),
            seed=seed,
            clock=clock,
        )
        clock.advance(layer.config.session_ttl_s + 1.0)  # every session closes: final outcomes
        layer.refresh()
        reports[design] = experiments.reports()[0].to_json()
        engine.close()
    return reports


def add_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``autocomplete simulate-experiment``."""
    parser = commands.add_parser(
        "simulate-experiment",
        help="simulated users in an online experiment: interleaving and A/B split compared",
        description=__doc__.split("\n\n", 1)[0] if __doc__ else None,
    )
    parser.add_argument("--sessions", type=int, default=1_000, help="sessions per design (1000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.set_defaults(run=_cmd_simulate_experiment)


def _cmd_simulate_experiment(args: argparse.Namespace) -> int:
    if args.sessions < 1:
        raise ValueError(f"--sessions must be positive, got {args.sessions}")
    reports = compare_designs(Autocomplete(), args.sessions, args.seed)
    print(json.dumps(reports, indent=2))
    return 0
