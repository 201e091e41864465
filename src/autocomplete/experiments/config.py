"""An experiment file: the two arms, the design, the traffic share, the stopping rule.

JSON or TOML (by the file's suffix), a list of experiments::

    [[experiments]]
    name = "click-feedback"          # letters, digits, - _ . (recorded with each impression)
    design = "interleave"            # or "ab"
    traffic = 0.5                    # share of sessions in this experiment
    [experiments.stopping]           # a fixed sample size, computed here, looked at once
    min_detectable_effect = 0.1      # interleave: b's share of decided sessions - 0.5
    alpha = 0.05                     # ab: session click rate of b - a (with baseline_rate)
    power = 0.8                      # or: sessions = 400 (given outright)
    [experiments.a]
    feedback = false
    [experiments.b]
    feedback = true

An arm says what may differ from the served engine (every switch defaults to the served
engine's behaviour): ``feedback`` (the click lifts), ``context`` (session context), ``words``
(the multi-word reading) and ``word_costs`` (its prices), ``correct`` (spelling correction),
``channel_weight`` (a factor on every spelling-channel cost), ``boost`` (a boost rule, as
``Autocomplete.suggest`` takes it), ``index`` (a saved index directory instead of the served
one: its titles must carry the same ids) and ``label`` (a name for the report).

Every error is an ``ExperimentConfigError`` naming the place (``experiments[0].b.boost``).
"""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from autocomplete.experiments.statistics import sign_test_sessions, two_proportion_sessions
from autocomplete.feedback.events import ARMS, check_experiment_name
from autocomplete.rank.multiword import FITTED_COSTS, WordCosts

Design = Literal["interleave", "ab"]
DESIGNS: tuple[Design, ...] = ("interleave", "ab")

DEFAULT_ALPHA = 0.05
DEFAULT_POWER = 0.8
DEFAULT_INTERLEAVE_EFFECT = 0.1
"""B's share of decided sessions 0.6 instead of 0.5: 194 decided sessions at the defaults."""
DEFAULT_AB_EFFECT = 0.05
"""Five points of session click rate."""
DEFAULT_BASELINE_RATE = 0.5

MAX_EXPERIMENTS = 16
MAX_SESSIONS = 10_000_000

_ARM_FIELDS = frozenset(
    {
        "label",
        "feedback",
        "context",
        "words",
        "word_costs",
        "correct",
        "channel_weight",
        "boost",
        "index",
    }
)
_EXPERIMENT_FIELDS = frozenset({"name", "design", "traffic", "stopping", "a", "b"})
_STOPPING_FIELDS = frozenset(
    {"min_detectable_effect", "alpha", "power", "sessions", "baseline_rate"}
)


class ExperimentConfigError(ValueError):
    """An experiment file or mapping that cannot be used; ``where`` names the field."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where


@dataclass(frozen=True, slots=True)
class ArmConfig:
    """What one arm changes; the defaults are the served engine's own behaviour."""

    label: str = ""
    feedback: bool = True
    context: bool = True
    words: bool = True
    word_costs: WordCosts = FITTED_COSTS
    correct: bool = True
    channel_weight: float = 1.0
    boost: Mapping[str, Mapping[object, object]] | None = None
    index: str | None = None

    def describe(self) -> str:
        """The label, or what the arm changes ("click lifts off, channel weight 1.2")."""
        if self.label:
            return self.label
        changes = [
            text
            for text, applies in (
                ("click lifts off", not self.feedback),
                ("session context off", not self.context),
                ("multi-word reading off", not self.words),
                ("correction off", not self.correct),
            )
            if applies
        ]
        if self.words and self.word_costs != FITTED_COSTS:
            costs = self.word_costs
            changes.append(
                f"word costs entry {costs.entry:g}, stop skip {costs.stop_skip:g}, content skip "
                f"{costs.content_skip:g}, inversion {costs.inversion:g}, stop-word inversion "
                f"{costs.stop_inversion:g}"
            )
        if self.channel_weight != 1.0:
            changes.append(f"channel weight {self.channel_weight:g}")
        if self.boost is not None:
            changes.append(f"boost {dict(self.boost)}")
        if self.index is not None:
            changes.append(f"index {self.index}")
        return ", ".join(changes) or "as served"

    @property
    def same_engine(self) -> bool:
        """Served by an engine built like the served one (only per-request switches differ)."""
        return (
            self.words
            and self.word_costs == FITTED_COSTS
            and self.channel_weight == 1.0
            and self.index is None
        )


@dataclass(frozen=True, slots=True)
class StoppingRule:
    """A fixed sample size, set before the experiment starts, and the level it is judged at.

    ``sessions`` counts decided sessions (one arm won) for an interleaving, sessions in each
    arm for an A/B split. No winner is named before it is reached.
    """

    sessions: int
    alpha: float
    power: float | None = None
    min_detectable_effect: float | None = None
    baseline_rate: float | None = None


@dataclass(frozen=True, slots=True)
class ExperimentConfig:
    name: str
    design: Design
    traffic: float
    stopping: StoppingRule
    a: ArmConfig = field(default_factory=ArmConfig)
    b: ArmConfig = field(default_factory=ArmConfig)

    def arm(self, name: str) -> ArmConfig:
        return self.a if name == ARMS[0] else self.b


def load_experiments(path: str | Path) -> list[ExperimentConfig]:
    """The experiments of a ``.json`` or ``.toml`` file (relative ``index`` paths are read from
    the file's folder)."""
    source = Path(path)
    where = str(source)
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as error:
        raise ExperimentConfigError(where, f"cannot be read ({error.strerror})") from None
    try:
        if source.suffix.lower() == ".toml":
            document: object = tomllib.loads(text)
        elif source.suffix.lower() == ".json":
            document = json.loads(text)
        else:
            raise ExperimentConfigError(where, "an experiment file ends in .json or .toml")
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as error:
        raise ExperimentConfigError(
            where, f"not valid {source.suffix[1:].upper()}: {error}"
        ) from None
    return parse_experiments(document, base=source.parent)


def parse_experiments(document: object, *, base: Path | None = None) -> list[ExperimentConfig]:
    """The experiments of a parsed file: ``{"experiments": [...]}``."""
    if not isinstance(document, Mapping) or set(document) != {"experiments"}:
        raise ExperimentConfigError("(top)", "expected one key, 'experiments': a list")
    items = document["experiments"]
    if not isinstance(items, list) or not items:
        raise ExperimentConfigError("experiments", "must be a non-empty list")
    if len(items) > MAX_EXPERIMENTS:
        raise ExperimentConfigError("experiments", f"at most {MAX_EXPERIMENTS} at once")
    found = [_experiment(item, f"experiments[{n}]", base) for n, item in enumerate(items)]
    names = [config.name for config in found]
    for n, name in enumerate(names):
        if name in names[:n]:
            raise ExperimentConfigError(f"experiments[{n}].name", f"{name!r} is used twice")
    total = sum(config.traffic for config in found)
    if total > 1 + 1e-9:
        raise ExperimentConfigError(
            "experiments",
            f"the traffic shares add up to {total:g}; a session is in one "
            "experiment at most, so they must add up to 1 or less",
        )
    return found


def _experiment(item: object, where: str, base: Path | None) -> ExperimentConfig:
    data = _mapping(item, where, _EXPERIMENT_FIELDS)
    name = data.get("name")
    try:
        check_experiment_name(name)
    except (TypeError, ValueError) as error:
        raise ExperimentConfigError(f"{where}.name", str(error)) from None
    assert isinstance(name, str)
    design = data.get("design", "interleave")
    if design not in DESIGNS:
        raise ExperimentConfigError(f"{where}.design", f"is 'interleave' or 'ab', got {design!r}")
    traffic = _number(data.get("traffic", 1.0), f"{where}.traffic")
    if not 0 < traffic <= 1:
        raise ExperimentConfigError(f"{where}.traffic", f"must be in (0, 1], got {traffic}")
    stopping = _stopping(data.get("stopping", {}), f"{where}.stopping", design)
    return ExperimentConfig(
        name,
        design,
        traffic,
        stopping,
        _arm(data.get("a", {}), f"{where}.a", base),
        _arm(data.get("b", {}), f"{where}.b", base),
    )


def _stopping(item: object, where: str, design: Design) -> StoppingRule:
    data = _mapping(item, where, _STOPPING_FIELDS)
    alpha = _number(data.get("alpha", DEFAULT_ALPHA), f"{where}.alpha")
    if not 0 < alpha < 0.5:
        raise ExperimentConfigError(f"{where}.alpha", f"must be in (0, 0.5), got {alpha}")
    if "sessions" in data:
        sessions = data["sessions"]
        if isinstance(sessions, bool) or not isinstance(sessions, int):
            raise ExperimentConfigError(f"{where}.sessions", "must be a whole number")
        if not 1 <= sessions <= MAX_SESSIONS:
            raise ExperimentConfigError(
                f"{where}.sessions", f"must be between 1 and {MAX_SESSIONS:,}, got {sessions}"
            )
        for other in ("min_detectable_effect", "power", "baseline_rate"):
            if other in data:
                raise ExperimentConfigError(
                    f"{where}.{other}", "give either sessions or the effect to detect, not both"
                )
        return StoppingRule(sessions, alpha)
    default_effect = DEFAULT_INTERLEAVE_EFFECT if design == "interleave" else DEFAULT_AB_EFFECT
    effect = _number(
        data.get("min_detectable_effect", default_effect), f"{where}.min_detectable_effect"
    )
    power = _number(data.get("power", DEFAULT_POWER), f"{where}.power")
    try:
        if design == "interleave":
            if "baseline_rate" in data:
                raise ValueError("baseline_rate is for an A/B split, not an interleaving")
            sessions = sign_test_sessions(effect, alpha, power)
            return StoppingRule(sessions, alpha, power, effect)
        baseline = _number(
            data.get("baseline_rate", DEFAULT_BASELINE_RATE), f"{where}.baseline_rate"
        )
        sessions = two_proportion_sessions(baseline, effect, alpha, power)
        return StoppingRule(sessions, alpha, power, effect, baseline)
    except ValueError as error:
        raise ExperimentConfigError(where, str(error)) from None


def _arm(item: object, where: str, base: Path | None) -> ArmConfig:
    data = _mapping(item, where, _ARM_FIELDS)
    switches: dict[str, bool] = {}
    for name in ("feedback", "context", "words", "correct"):
        value = data.get(name, True)
        if not isinstance(value, bool):
            raise ExperimentConfigError(f"{where}.{name}", f"must be true or false, got {value!r}")
        switches[name] = value
    label = data.get("label", "")
    if not isinstance(label, str) or len(label) > 80:
        raise ExperimentConfigError(f"{where}.label", "must be a string of at most 80 characters")
    weight = _number(data.get("channel_weight", 1.0), f"{where}.channel_weight")
    if not 0 < weight <= 10:
        raise ExperimentConfigError(f"{where}.channel_weight", f"must be in (0, 10], got {weight}")
    costs = FITTED_COSTS
    if "word_costs" in data:
        given = _mapping(data["word_costs"], f"{where}.word_costs", _COST_FIELDS)
        values = {name: getattr(FITTED_COSTS, name) for name in _COST_FIELDS}
        for name, value in given.items():
            values[name] = _number(value, f"{where}.word_costs.{name}")
        try:
            costs = WordCosts(**values)
        except ValueError as error:
            raise ExperimentConfigError(f"{where}.word_costs", str(error)) from None
    boost = data.get("boost")
    if boost is not None and not _is_boost(boost):
        raise ExperimentConfigError(
            f"{where}.boost",
            'must map a field to {value: factor}, e.g. {"genres": {"Animation": 2.0}}',
        )
    index = data.get("index")
    if index is not None:
        if not isinstance(index, str) or not index:
            raise ExperimentConfigError(f"{where}.index", "must be a saved index directory")
        path = Path(index)
        if base is not None and not path.is_absolute():
            path = base / path
        if not path.is_dir():
            raise ExperimentConfigError(f"{where}.index", f"no index directory at {path}")
        index = str(path)
    return ArmConfig(
        label=label,
        word_costs=costs,
        channel_weight=weight,
        boost=boost,
        index=index,
        **switches,
    )


_COST_FIELDS = frozenset({"entry", "stop_skip", "content_skip", "inversion", "stop_inversion"})


def _is_boost(value: object) -> bool:
    return isinstance(value, Mapping) and all(
        isinstance(name, str) and isinstance(rule, Mapping) and rule for name, rule in value.items()
    )


def _mapping(item: object, where: str, allowed: frozenset[str]) -> Mapping[str, Any]:
    if not isinstance(item, Mapping):
        raise ExperimentConfigError(where, f"must be a table/object, got {type(item).__name__}")
    unknown = sorted(set(item) - allowed)
    if unknown:
        raise ExperimentConfigError(
            f"{where}.{unknown[0]}", f"unknown field (known: {', '.join(sorted(allowed))})"
        )
    return item


def _number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ExperimentConfigError(where, f"must be a finite number, got {value!r}")
    return float(value)


def experiments_from(
    configs: Sequence[ExperimentConfig] | Mapping[str, Any],
) -> list[ExperimentConfig]:
    """Configs as given, or parsed from a mapping shaped like the file."""
    if isinstance(configs, Mapping):
        return parse_experiments(configs)
    return list(configs)
