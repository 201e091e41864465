"""``Experiments``: serve two rankings on live traffic and record which arm placed each title.

One ``Experiments`` wraps the served ``Autocomplete`` (which must have a feedback store: the
store is where impressions, with their arms, and clicks are kept). Each experiment builds its
two arms as engines on the served engine's loaded index (or a second index) and feedback
layer, so both arms share the process, the memory-mapped index and the click store.

Routing a session (``session_id``, the same id the impressions and clicks carry):

* a stable hash of the id puts it in at most one experiment: the experiments take consecutive
  shares of ``[0, 1)`` by their ``traffic``; a session beyond them sees the served engine;
* an A/B split puts it in arm a or b by a second hash (of the experiment's name and the id),
  so a user sees one arm for the whole session, on every worker;
* an interleaving merges both arms' lists for every keystroke by team draft, its coin flips
  seeded by the experiment, the session and the query, so the same keystroke shows the same
  list (and a worker that recomputes it agrees).

``suggest`` returns an ``ExperimentAnswer``: the suggestions, the experiment and the arm of
each. An application records what it showed with ``record_impression(query, answer, ...)``;
when the answer travels through a client (a browser posts its impression back), ``token``
signs it with the secret every worker shares, and ``record_signed_impression`` checks it, so a
client cannot credit a title to the other arm.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from autocomplete import Autocomplete, Suggestion
from autocomplete.experiments.config import ArmConfig, ExperimentConfig, ExperimentConfigError
from autocomplete.experiments.report import ExperimentReport, judge
from autocomplete.feedback.events import ARMS
from autocomplete.feedback.interleave import team_draft
from autocomplete.feedback.layer import FeedbackLayer
from autocomplete.index.catalog_index import CatalogIndex
from autocomplete.spell.candidates import ChannelModel
from autocomplete.spell.errormodel import ErrorModel
from autocomplete.text.normalize import normalize_typed

SECRET_BYTES = 32
"""Length of a secret drawn when none is given (enough for HMAC-SHA256)."""

TOKEN_HEX = 32
"""Hex digits of a signature kept (128 bits)."""


class ExperimentError(ValueError):
    """An impression that does not match what an experiment showed (``field`` names the part)."""

    def __init__(self, message: str, field: str = "experiment") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class ExperimentAnswer:
    """What to show, and which experiment and arm chose each title."""

    suggestions: tuple[Suggestion, ...]
    experiment: str | None = None
    """None when the session is in no experiment (the served engine answered)."""
    design: str | None = None
    arms: tuple[str, ...] | None = None
    """``arms[i]``: ``"a"`` or ``"b"``, the arm that placed ``suggestions[i]``."""

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(item.id for item in self.suggestions)


class ScaledChannel:
    """A channel model whose costs are ``weight`` times another's: a channel weight to try."""

    def __init__(self, model: ChannelModel, weight: float) -> None:
        self._model = model
        self._weight = weight

    def cost(self, typed: str, intended: str, *, prefix: bool = False) -> float:
        return self._weight * self._model.cost(typed, intended, prefix=prefix)

    def max_edits(self, length: int) -> int:
        return self._model.max_edits(length)

    def respellings(self, typed: str, *, limit: int = 8) -> list[tuple[str, float]]:
        weight = self._weight
        return [(text, weight * cost) for text, cost in self._model.respellings(typed, limit=limit)]


class Arm:
    """One arm: an engine and the per-request switches of its ``ArmConfig``."""

    def __init__(
        self, config: ArmConfig, served: Autocomplete, layer: FeedbackLayer, errors: ChannelModel
    ) -> None:
        self.config = config
        self._layer = layer
        self._served = served
        self._owned: Autocomplete | None = None
        if not config.same_engine or not config.feedback:
            index = CatalogIndex.load(config.index) if config.index else served.index
            model = (
                errors
                if config.channel_weight == 1.0
                else ScaledChannel(errors, config.channel_weight)
            )
            self._owned = Autocomplete(
                index,
                error_model=model,
                feedback=layer if config.feedback else None,
                word_costs=config.word_costs if config.words else None,
            )
        # An arm that differs from the served engine only by turning the click lifts off
        # answers like it wherever no lift applies (most keystrokes): it asks the served
        # engine, whose answers are memoized, and its own engine only where lifts apply.
        self._lifts_off = config.same_engine and not config.feedback

    @property
    def engine(self) -> Autocomplete:
        """The engine that answers when this arm's own switches apply."""
        return self._owned if self._owned is not None else self._served

    def suggest(
        self,
        query: str,
        k: int,
        where: Mapping[str, object] | None,
        boost: Mapping[str, Mapping[object, object]] | None,
        context: Mapping[str, object] | None,
        correct: bool,
    ) -> list[Suggestion]:
        config = self.config
        if config.boost is not None:
            boost = {**(boost or {}), **config.boost}
        context = context if config.context else None
        correct = correct and config.correct
        if self._lifts_off:
            typed = normalize_typed(query)
            if not self._layer.boosts(typed):
                answered = self._served.suggest(
                    query, k, where=where, boost=boost, context=context, correct=correct
                )
                # Lifts published for this prefix while it answered would have been applied.
                if not self._layer.boosts(typed):
                    return answered
        return self.engine.suggest(
            query, k, where=where, boost=boost, context=context, correct=correct
        )

    def prepare(self) -> None:
        if self._owned is not None:
            self._owned.prepare()


class Experiment:
    """One running experiment: its two arms, its routing and its report."""

    def __init__(
        self,
        config: ExperimentConfig,
        served: Autocomplete,
        layer: FeedbackLayer,
        errors: ChannelModel,
    ) -> None:
        self.config = config
        self.arms = (Arm(config.a, served, layer, errors), Arm(config.b, served, layer, errors))
        self._layer = layer

    @property
    def name(self) -> str:
        return self.config.name

    def arm_of(self, session_id: str) -> str:
        """The A/B arm of a session: ``"a"`` or ``"b"``, the same on every worker."""
        return ARMS[0] if _unit(self.name, "arm", session_id) < 0.5 else ARMS[1]

    def suggest(
        self,
        query: str,
        k: int,
        session_id: str,
        *,
        where: Mapping[str, object] | None = None,
        boost: Mapping[str, Mapping[object, object]] | None = None,
        context: Mapping[str, object] | None = None,
        correct: bool = True,
    ) -> ExperimentAnswer:
        design = self.config.design
        if design == "ab":
            arm = self.arm_of(session_id)
            chosen = self.arms[ARMS.index(arm)].suggest(query, k, where, boost, context, correct)
            return ExperimentAnswer(tuple(chosen), self.name, design, (arm,) * len(chosen))
        first = self.arms[0].suggest(query, k, where, boost, context, correct)
        second = self.arms[1].suggest(query, k, where, boost, context, correct)
        seed = int.from_bytes(_digest(self.name, "draft", session_id, normalize_typed(query))[:8])
        merged = team_draft(
            [item.id for item in first], [item.id for item in second], k, random.Random(seed)
        )
        by_id = {item.id: item for item in second}
        by_id.update((item.id, item) for item in first)
        shown = tuple(by_id[item] for item in merged.ids)
        return ExperimentAnswer(shown, self.name, design, tuple(ARMS[t] for t in merged.teams))

    def report(self) -> ExperimentReport:
        return judge(self.config, self._layer.experiment_counts(self.name))

    def prepare(self) -> None:
        for arm in self.arms:
            arm.prepare()

    def check(self) -> None:
        """Ask each arm once, so a boost on an unknown field fails at start, not per request."""
        for name, arm in zip(ARMS, self.arms, strict=True):
            try:
                arm.suggest("", 1, None, None, None, True)
            except ValueError as error:
                raise ExperimentConfigError(
                    f"experiment {self.name!r}, arm {name}", str(error)
                ) from None


class Experiments:
    """The experiments one server runs over its engine (see the module docstring)."""

    def __init__(
        self,
        engine: Autocomplete,
        configs: Sequence[ExperimentConfig],
        *,
        secret: bytes | str | None = None,
        error_model: ChannelModel | None = None,
    ) -> None:
        """``secret`` signs the answers that travel through clients (every worker of one
        service must share it; None draws one for this process alone). ``error_model`` is the
        served engine's channel, if it is not the default one."""
        layer = engine.feedback
        if layer is None:
            raise ValueError(
                "online experiments need a feedback store: they record impressions and clicks "
                "in it (pass feedback='sqlite:///path.db', 'redis://...' or 'memory://')"
            )
        names = [config.name for config in configs]
        if len(set(names)) != len(names):
            raise ValueError(f"experiment names must differ, got {names}")
        total = sum(config.traffic for config in configs)
        if total > 1 + 1e-9:
            raise ValueError(f"the experiments' traffic shares add up to {total:g}, above 1")
        self.engine = engine
        self._layer = layer
        errors = error_model if error_model is not None else ErrorModel.load()
        self._experiments = [Experiment(config, engine, layer, errors) for config in configs]
        if isinstance(secret, str):
            secret = secret.encode("utf-8")
        self._secret = secret if secret else os.urandom(SECRET_BYTES)
        # The share of [0, 1) each experiment owns, in file order.
        bounds: list[float] = []
        upper = 0.0
        for config in configs:
            upper += config.traffic
            bounds.append(upper)
        self._bounds = bounds
        for experiment in self._experiments:
            experiment.check()

    @property
    def experiments(self) -> tuple[Experiment, ...]:
        return tuple(self._experiments)

    def get(self, name: str) -> Experiment | None:
        for experiment in self._experiments:
            if experiment.name == name:
                return experiment
        return None

    def experiment_for(self, session_id: str) -> Experiment | None:
        """The experiment a session is in, or None (it then sees the served engine)."""
        unit = _unit("traffic", session_id)
        for experiment, bound in zip(self._experiments, self._bounds, strict=True):
            if unit < bound:
                return experiment
        return None

    def suggest(
        self,
        query: str,
        k: int = 10,
        *,
        session_id: str | None,
        where: Mapping[str, object] | None = None,
        boost: Mapping[str, Mapping[object, object]] | None = None,
        context: Mapping[str, object] | None = None,
        correct: bool = True,
    ) -> ExperimentAnswer:
        """Suggestions for ``session_id``: from its experiment's arms, or the served engine's
        (also without a session id, which no experiment can follow)."""
        experiment = self.experiment_for(session_id) if session_id else None
        if experiment is None or session_id is None:
            served = self.engine.suggest(
                query, k, where=where, boost=boost, context=context, correct=correct
            )
            return ExperimentAnswer(tuple(served))
        return experiment.suggest(
            query, k, session_id, where=where, boost=boost, context=context, correct=correct
        )

    # Recording ---------------------------------------------------------------------------------

    def record_impression(
        self,
        query: str,
        answer: ExperimentAnswer,
        session_id: str,
        *,
        client: str | None = None,
        shown: int | None = None,
    ) -> None:
        """Record that ``answer`` (its first ``shown`` suggestions, all by default) was shown."""
        ids = answer.ids[:shown]
        arms = None if answer.arms is None else answer.arms[:shown]
        if not ids:
            return
        self._layer.record_impression(
            normalize_typed(query),
            ids,
            session_id,
            client=client,
            experiment=answer.experiment,
            arms=arms,
        )

    def token(self, query: str, answer: ExperimentAnswer, session_id: str) -> str | None:
        """The signature of an experiment's answer, for a client to send back with its
        impression (None for an answer outside the experiments)."""
        if answer.experiment is None or answer.arms is None:
            return None
        return self._sign(answer.experiment, session_id, query, answer.ids, answer.arms)

    def record_signed_impression(
        self,
        query: str,
        ids: Sequence[str],
        session_id: str,
        *,
        experiment: str,
        arms: Sequence[str],
        token: str,
        client: str | None = None,
    ) -> None:
        """Record an impression a client sent back with the ``token`` of the answer it shows.

        Raises ``ExperimentError`` when the experiment is not running or the token does not
        sign these ids, arms, query and session (the impression is then not recorded: a list
        the server did not choose must not count for an arm).
        """
        if self.get(experiment) is None:
            raise ExperimentError(f"no experiment {experiment!r} is running here")
        expected = self._sign(experiment, session_id, query, tuple(ids), tuple(arms))
        if not isinstance(token, str) or not hmac.compare_digest(expected, token):
            raise ExperimentError(
                "the experiment token does not match this impression (ids, arms, query and "
                "session must be sent back as the suggestions answered them)",
                "experiment.token",
            )
        self._layer.record_impression(
            normalize_typed(query),
            ids,
            session_id,
            client=client,
            experiment=experiment,
            arms=tuple(arms),
        )

    def _sign(
        self,
        experiment: str,
        session_id: str,
        query: str,
        ids: Sequence[str],
        arms: Sequence[str],
    ) -> str:
        message = "\x00".join(
            [experiment, session_id, normalize_typed(query), "\x01".join(ids), "".join(arms)]
        )
        return hmac.new(self._secret, message.encode("utf-8"), hashlib.sha256).hexdigest()[
            :TOKEN_HEX
        ]

    # Reporting and lifetime --------------------------------------------------------------------

    def reports(self) -> list[ExperimentReport]:
        """Each experiment's report, from what this process has learned from the store (up to
        one refresh interval behind it)."""
        return [experiment.report() for experiment in self._experiments]

    def prepare(self) -> None:
        """Build what the arms build on first use (a server calls it before serving)."""
        for experiment in self._experiments:
            experiment.prepare()


def _digest(*parts: str) -> bytes:
    return hashlib.blake2b("\x00".join(parts).encode("utf-8"), digest_size=16).digest()


def _unit(*parts: str) -> float:
    """A stable number in [0, 1) for ``parts`` (the same in every process and release)."""
    return int.from_bytes(_digest(*parts)[:8]) / 2**64
