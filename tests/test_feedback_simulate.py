"""The simulated-user evaluation, at a small size: it runs, learns, resists bots, reports."""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

import pytest

from autocomplete import Autocomplete
from autocomplete.tools import feedback_simulation as simulate
from autocomplete.tools.feedback_simulation import (
    SimulationConfig,
    choose_trending,
    mean_reciprocal_rank,
    ranker_of,
    render_markdown,
    run_simulation,
    write_report,
)


@pytest.fixture(scope="module")
def report(movies: Autocomplete) -> simulate.Report:
    config = SimulationConfig(sessions=300, trending=12, eval_every=100, interleave_sessions=150)
    return run_simulation(config, base=movies)


def test_trending_titles_are_known_but_not_first(movies: Autocomplete) -> None:
    trending = choose_trending(movies, 10, random.Random(0))
    assert len(trending) == 10
    rank = ranker_of(movies)
    for intent in trending:
        assert 8 <= len(intent.text) <= 40
        assert rank(intent.eval_prefixes[1])[:1] != [intent.id]
    assert len({intent.text[:4] for intent in trending}) == 10
    assert choose_trending(movies, 10, random.Random(0)) == trending  # seeded


def test_mean_reciprocal_rank(movies: Autocomplete) -> None:
    trending = choose_trending(movies, 5, random.Random(1))
    perfect = mean_reciprocal_rank(lambda query: [trending[0].id], trending[:1])
    assert perfect == 1.0
    assert mean_reciprocal_rank(lambda query: [], trending) == 0.0


def test_learning_curve_rises_and_bots_barely_move_it(report: simulate.Report) -> None:
    curve = [point.mrr_trending for point in report.clean]
    assert [point.sessions for point in report.clean] == [0, 100, 200, 300]
    assert curve[-1] > curve[0] + 0.05
    assert abs(report.bot_effect) < 0.05
    assert report.bot_verdicts["bot_sessions"] > 0
    assert report.interleaving is not None
    assert report.interleaving.winner == "prior + feedback"


def test_the_report_is_written(report: simulate.Report, tmp_path: Path) -> None:
    written = write_report(report, tmp_path, plots=False)
    assert {path.name for path in written} == {"results.json", "results.md"}
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["improvement"] == pytest.approx(report.improvement)
    markdown = render_markdown(report)
    assert "## Targets" in markdown and "Team-draft interleaving" in markdown


def test_plots_are_drawn(report: simulate.Report, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    written = simulate.draw_plots(report, tmp_path)
    assert [path.name for path in written] == ["learning_curve.png", "bot_curve.png"]
    assert all(path.stat().st_size > 1_000 for path in written)


def test_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="autocomplete")
    simulate.add_command(parser.add_subparsers(dest="command"))
    options = ["--sessions", "40", "--trending", "5", "--interleave", "20", "--no-plots", "--out"]
    args = parser.parse_args(["simulate", *options, str(tmp_path)])
    code = args.run(args)
    assert code in (0, 1)  # 40 sessions are too few to promise the targets
    assert "# Click feedback: simulated users" in capsys.readouterr().out
    assert "--sessions 40" in (tmp_path / "results.md").read_text()


def test_config_is_validated() -> None:
    with pytest.raises(ValueError, match="sessions"):
        SimulationConfig(sessions=0)
    with pytest.raises(ValueError, match="bot share"):
        SimulationConfig(bots=simulate.BotModel(share=1.0))
