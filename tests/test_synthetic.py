from __future__ import annotations

import argparse
import statistics
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pytest

from autocomplete import load_catalog
from autocomplete.tools import synthetic
from autocomplete.tools.synthetic import bundled_source_records, generate_titles, write_catalog

COUNT = 5_000


@pytest.fixture(scope="module")
def source() -> list[dict[str, object]]:
    return list(bundled_source_records())


@pytest.fixture(scope="module")
def vocabulary(source: list[dict[str, object]]) -> set[str]:
    return {word for record in source for word in str(record["title"]).split()}


@pytest.fixture(scope="module")
def records(source: list[dict[str, object]]) -> list[dict[str, object]]:
    return list(generate_titles(COUNT, seed=7, source_records=source))


def _titles(records: list[dict[str, object]]) -> list[str]:
    return [str(record["title"]) for record in records]


def _votes(records: list[dict[str, object]]) -> list[int]:
    votes = [record["votes"] for record in records]
    assert all(isinstance(vote, int) and vote >= 0 for vote in votes)
    return votes  # type: ignore[return-value]  # checked just above


def test_same_seed_same_catalog_and_other_seed_differs(
    source: list[dict[str, object]], records: list[dict[str, object]]
) -> None:
    assert list(generate_titles(COUNT, seed=7, source_records=source)) == records
    other = list(generate_titles(COUNT, seed=8, source_records=source))
    assert _titles(other) != _titles(records)
    assert len(set(_titles(other)) & set(_titles(records))) < COUNT // 2


def test_default_source_is_the_bundled_catalog(source: list[dict[str, object]]) -> None:
    assert list(generate_titles(200, seed=1)) == list(
        generate_titles(200, seed=1, source_records=source)
    )


@pytest.mark.parametrize("count", [0, 1, 17, 2_500])
def test_count_is_honoured_and_ids_are_unique(
    source: list[dict[str, object]], count: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(synthetic, "CHUNK_SIZE", 1_000)  # cross chunk boundaries
    made = list(generate_titles(count, seed=0, source_records=source))
    assert len(made) == count
    assert len({record["id"] for record in made}) == count
    assert all(str(record["title"]).strip() for record in made)


def test_records_have_the_catalog_fields(records: list[dict[str, object]]) -> None:
    for record in records[:200]:
        assert set(record) == {"id", "title", "votes", "year", "genres"}
        assert isinstance(record["year"], int) and 1890 <= record["year"] <= 2010
        assert isinstance(record["genres"], list)


def test_titles_are_made_of_real_catalog_words(
    records: list[dict[str, object]], vocabulary: set[str]
) -> None:
    for title in _titles(records):
        assert set(title.split()) <= vocabulary, title


def test_titles_look_like_the_source(
    records: list[dict[str, object]], source: list[dict[str, object]]
) -> None:
    titles = _titles(records)
    # Mostly new titles, not copies of the source...
    copies = set(titles) & {str(record["title"]) for record in source}
    assert len(copies) < 0.5 * len(titles)
    # ...few repeats among themselves...
    assert len(set(titles)) > 0.9 * len(titles)
    # ...a share of leading articles like the source's (about one in eight starts with "The")...
    the_share = sum(title.startswith("The ") for title in titles) / len(titles)
    assert 0.06 < the_share < 0.25
    # ...and about as many words per title.
    source_words = statistics.mean(len(str(record["title"]).split()) for record in source)
    words = statistics.mean(len(title.split()) for title in titles)
    assert abs(words - source_words) < 0.3 * source_words


def test_votes_are_zipf_like_with_a_heavy_tail(records: list[dict[str, object]]) -> None:
    votes = np.sort(np.array(_votes(records), dtype=np.float64))[::-1]
    top_share = votes[: len(votes) // 100].sum() / votes.sum()
    assert top_share > 0.3  # the top 1% of titles hold a large share of all votes
    assert votes[0] > 1_000 * np.median(votes)
    # Rank-frequency falls like a power law: a negative log-log slope over the head.
    ranks = np.arange(1, 501)
    slope = np.polyfit(np.log(ranks), np.log(votes[:500]), 1)[0]
    assert -2.5 < slope < -0.2
    # Popularity is not tied to the order of the ids.
    first_half = sum(_votes(records[: COUNT // 2]))
    assert 0.1 < first_half / votes.sum() < 0.9


def test_a_larger_catalog_keeps_the_heavy_tail(source: list[dict[str, object]]) -> None:
    votes = np.sort(
        np.array(
            _votes(list(generate_titles(40_000, seed=2, source_records=source))),
            dtype=np.float64,
        )
    )[::-1]
    assert votes[: len(votes) // 100].sum() / votes.sum() > 0.3


def test_a_custom_source_without_votes() -> None:
    source: list[Mapping[str, object]] = [
        {"title": "Red Fox"},
        {"title": "Blue Fox Returns"},
        {"title": "Fox"},
        {"title": "The Red River"},
    ]
    made = list(generate_titles(50, seed=0, source_records=source))
    assert len(made) == 50
    words = {"Red", "Fox", "Blue", "Returns", "The", "River"}
    assert all(set(str(record["title"]).split()) <= words for record in made)
    votes = _votes(made)
    assert max(votes) > 10 * statistics.median(votes)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        list(generate_titles(-1))
    with pytest.raises(ValueError):
        list(generate_titles(5, source_records=[{"name": "no title field"}]))


@pytest.mark.parametrize("name", ["catalog.jsonl", "catalog.jsonl.gz"])
def test_written_file_loads_as_a_catalog(
    tmp_path: Path, records: list[dict[str, object]], name: str
) -> None:
    path = tmp_path / "out" / name
    assert write_catalog(records, path) == COUNT
    assert not [item for item in path.parent.iterdir() if item != path]  # no staging left
    loaded, report = load_catalog(path, weight_field="votes", id_field="id")
    assert report.loaded == COUNT and report.skipped == 0
    assert [record.id for record in loaded] == [record["id"] for record in records]
    assert [record.text for record in loaded] == _titles(records)
    assert [record.weight for record in loaded] == [float(vote) for vote in _votes(records)]
    assert loaded[0].metadata["year"] == records[0]["year"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="autocomplete")
    commands = parser.add_subparsers(dest="command", required=True)
    synthetic.add_command(commands)
    return parser


def test_synthesize_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "synthetic.jsonl.gz"
    args = _parser().parse_args(["synthesize", "--count", "300", "--seed", "5", "-o", str(output)])
    assert args.run(args) == 0
    assert "300" in capsys.readouterr().err
    loaded, _ = load_catalog(output, weight_field="votes", id_field="id")
    assert [record.text for record in loaded] == _titles(list(generate_titles(300, seed=5)))


def test_synthesize_command_learns_from_another_source(tmp_path: Path) -> None:
    source = tmp_path / "source.jsonl"
    write_catalog([{"title": "Red Fox", "votes": 3}, {"title": "Blue Fox", "votes": 9}], source)
    output = tmp_path / "out.jsonl"
    args = _parser().parse_args(
        ["synthesize", "--count", "20", "--source", str(source), "-o", str(output)]
    )
    assert args.run(args) == 0
    loaded, _ = load_catalog(output)
    assert all(set(record.text.split()) <= {"Red", "Blue", "Fox"} for record in loaded)


@pytest.mark.parametrize(
    "argv",
    [
        ["synthesize", "-o", "out.csv"],
        ["synthesize", "--count", "0", "-o", "out.jsonl"],
        ["synthesize", "--count", "many", "-o", "out.jsonl"],
        ["synthesize"],
    ],
)
def test_synthesize_command_rejects_bad_arguments(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        _parser().parse_args(argv)
    assert exit_info.value.code == 2
    capsys.readouterr()
