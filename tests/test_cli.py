from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from autocomplete.cli import ProgressBar, main

FIXTURES = Path(__file__).parent / "fixtures"
CATALOG = FIXTURES / "engine_catalog.jsonl"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_suggest_on_a_catalog_file(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(
        capsys, "suggest", "the big", "-k", "3", "--catalog", str(CATALOG), "--weight-field",
        "votes", "--id-field", "id",
    )  # fmt: skip
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith(" 1. The Big Lebowski")


def test_suggest_json_carries_ids_and_spans(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(
        capsys, "suggest", "schindlers", "--json", "--catalog", str(CATALOG),
        "--weight-field", "votes", "--id-field", "id",
    )  # fmt: skip
    assert code == 0
    (first, *_) = json.loads(out)
    assert first["id"] == "schindlers-list-1993"
    assert first["text"][slice(*first["spans"][0])] == "Schindler's"


def test_build_then_suggest_from_the_saved_index(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "idx"
    code, out, _ = _run(
        capsys, "build", str(CATALOG), "-o", str(target), "--weight-field", "votes",
        "--id-field", "id", "--alias-field", "aliases",
    )  # fmt: skip
    assert code == 0 and "built 17 titles" in out
    code, out, _ = _run(capsys, "suggest", "lotr", "--catalog", str(target))
    assert code == 0 and "The Lord of the Rings" in out


def test_bad_catalog_is_one_clear_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("title,votes\nAlien,lots\n")
    code, _, err = _run(capsys, "suggest", "al", "--catalog", str(bad), "--weight-field", "votes")
    assert code == 2
    assert err.strip() == (
        f"autocomplete: error: {bad}, line 2, field 'votes': weight must be a number, got 'lots'"
    )


def test_skip_bad_records_reports_the_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("title,votes\nAlien,lots\nAliens,5\n")
    code, out, err = _run(
        capsys, "suggest", "al", "--catalog", str(bad), "--weight-field", "votes",
        "--skip-bad-records",
    )  # fmt: skip
    assert code == 0 and "Aliens" in out
    assert f"skipped 1 bad record(s) in {bad}" in err


def test_help_for_every_command() -> None:
    for command in ("suggest", "build"):
        result = subprocess.run(
            [sys.executable, "-m", "autocomplete.cli", command, "--help"],
            capture_output=True,
            text=True,
            check=True,
        )
        assert f"usage: autocomplete {command}" in result.stdout


def test_bad_k_is_an_argument_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["suggest", "x", "-k", "0"])
    assert stopped.value.code == 2
    assert "must be between 1 and 100" in capsys.readouterr().err


def test_progress_bar_draws_stages_and_finishes_lines(tmp_path: Path) -> None:
    stream_path = tmp_path / "progress.txt"
    with stream_path.open("w") as stream:
        bar = ProgressBar(stream, width=10)
        bar("entries", 0, 100)
        bar("entries", 100, 100)
        bar("sort", 1, 1)
    drawn = stream_path.read_bytes().decode()
    assert "entries        [----------]   0%" in drawn
    assert "entries        [##########] 100%\n" in drawn
    assert drawn.count("\n") == 2
