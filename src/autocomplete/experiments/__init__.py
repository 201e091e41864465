"""Online experiments: two rankings compared on live traffic, by interleaving or an A/B split.

    experiments = Experiments(engine, load_experiments("experiments.toml"))
    answer = experiments.suggest("the big", 8, session_id=session)
    experiments.record_impression("the big", answer, session)      # what was shown, with arms
    engine.record_click("the big", clicked_id, position, session)  # clicks as always
    experiments.reports()                                          # wins, rates, p, interval

Modules: ``config`` (the experiment file), ``statistics`` (tests, intervals, sample sizes),
``runner`` (routing, the arms' engines, recording), ``report`` (the verdict). What is recorded
lives in the feedback store; the tally of outcomes is ``autocomplete.feedback.experiment_tally``.
The design and the figures: docs/experiments.md.
"""

from __future__ import annotations

from autocomplete.experiments.config import (
    ArmConfig,
    ExperimentConfig,
    ExperimentConfigError,
    StoppingRule,
    load_experiments,
    parse_experiments,
)
from autocomplete.experiments.report import ExperimentReport, judge
from autocomplete.experiments.runner import (
    Experiment,
    ExperimentAnswer,
    ExperimentError,
    Experiments,
)

__all__ = [
    "ArmConfig",
    "Experiment",
    "ExperimentAnswer",
    "ExperimentConfig",
    "ExperimentConfigError",
    "ExperimentError",
    "ExperimentReport",
    "Experiments",
    "StoppingRule",
    "judge",
    "load_experiments",
    "parse_experiments",
]
