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


# The installed command, run as a user types it: the error must be one line, with no traceback.
COMMAND = str(Path(sys.executable).with_name("autocomplete"))


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", "", "{path}: no records: the file is empty (not even a header)"),
        (
            "header.csv",
            "title,votes\n",
            "{path}: no records: the file has only its header ('title', 'votes')",
        ),
        (
            "books.csv",
            "name;votes\nDune;5\n",
            "{path}, line 1, field 'title': the header has no column 'title'; its columns are "
            "'name;votes' (the file looks ';'-separated; a CSV catalog uses commas)",
        ),
        (
            "books.csv",
            "name,votes\nDune,5\n",
            "{path}, line 1, field 'title': the header has no column 'title'; its columns are "
            "'name', 'votes'; name the title column with --text-field (text_field in Python)",
        ),
        (
            "films.jsonl",
            '{"title": "Casa\\ud800blanca"}\n',
            "{path}, line 1, field 'title': lone surrogate '\\ud800' at character 5 of "
            "'Casa\\ud800blanca': not Unicode text (a broken \\u escape?)",
        ),
        (
            "nope.idx",
            None,
            "{path}: not found (neither a catalog file nor a saved index directory)",
        ),
    ],
)
@pytest.mark.parametrize("command", ["suggest", "build", "serve"])
def test_catalog_mistakes_are_one_line_and_exit_2(
    tmp_path: Path,
    command: str,
    name: str,
    content: str | None,
    message: str,
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    argv = {
        "suggest": ["suggest", "casa", "--catalog", str(path)],
        "build": ["build", str(path), "-o", str(tmp_path / "idx")],
        "serve": ["serve", "--catalog", str(path), "--port", "0", "--feedback", "off"],
    }[command]
    result = subprocess.run(
        [COMMAND, *argv], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    expected = message.format(path=path)
    if command == "serve" and name == "nope.idx":
        expected = f"{path}: catalog file not found"  # the web app's loader says it its way
    assert (result.returncode, result.stdout, result.stderr) == (
        2,
        "",
        f"autocomplete: error: {expected}\n",
    )


def test_skip_bad_records_skips_a_lone_surrogate(tmp_path: Path) -> None:
    path = tmp_path / "films.jsonl"
    path.write_text('{"title": "Casa\\udc00blanca"}\n{"title": "Casablanca"}\n')
    result = subprocess.run(
        [COMMAND, "suggest", "casa", "--catalog", str(path), "--skip-bad-records"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0
    assert result.stdout.splitlines()[0].startswith(" 1. Casablanca")
    assert result.stderr.splitlines() == [
        f"skipped 1 bad record(s) in {path}",
        f"  {path}, line 1, field 'title': lone surrogate '\\udc00' at character 5 of "
        "'Casa\\udc00blanca': not Unicode text (a broken \\u escape?)",
    ]
