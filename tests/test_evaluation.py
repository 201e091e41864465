from __future__ import annotations

import argparse
import math
from pathlib import Path

import pytest
from rapidfuzz.distance import OSA

from autocomplete import Autocomplete
from autocomplete.catalog.loader import Record, load_catalog
from autocomplete.index.bundled import bundled_catalog_path
from autocomplete.tools.evaluation import add_command, run_system, run_systems
from autocomplete.tools.evaluation.metrics import (
    OVERALL,
    Outcome,
    first_hit,
    percentile,
    summarize,
    summarize_by_category,
)
from autocomplete.tools.evaluation.peers import (
    PEERS,
    ExactPrefix,
    Ours,
    PeerUnavailable,
    RapidFuzzWRatio,
    build_peers,
)
from autocomplete.tools.evaluation.queries import (
    CATEGORIES,
    CLEAN,
    DIACRITICS,
    INITIALS,
    KEYBOARD_NEIGHBOURS,
    MIN_TWO_SLIP_CHARS,
    NO_ARTICLE,
    ONE_SLIP,
    PHONETIC,
    PHONETIC_RULES,
    TWO_SLIPS,
    WORD_START,
    EvalQuery,
    cut_bounds,
    diacritic_queries,
    distance_to_prefixes,
    generate_queries,
    initials_of,
    phonetic_variants,
    typed_form,
)
from autocomplete.tools.evaluation.report import RunInfo, markdown, targets

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_CATALOG = FIXTURES / "engine_catalog.jsonl"
FIELDS = {"text_field": "title", "weight_field": "votes", "id_field": "id"}


@pytest.fixture(scope="module")
def movie_records() -> list[Record]:
    records, _ = load_catalog(bundled_catalog_path(), alias_field="aliases", **FIELDS)
    return records


@pytest.fixture(scope="module")
def fixture_records() -> list[Record]:
    records, _ = load_catalog(FIXTURE_CATALOG, alias_field="aliases", **FIELDS)
    return records


@pytest.fixture(scope="module")
def queries(movie_records: list[Record]) -> list[EvalQuery]:
    return generate_queries(movie_records, per_category=60, seed=7)


def _of(queries: list[EvalQuery], category: str) -> list[EvalQuery]:
    found = [query for query in queries if query.category == category]
    assert found, category
    return found


# The generator -----------------------------------------------------------------------------------


def test_generator_is_deterministic_by_seed(movie_records: list[Record]) -> None:
    first = generate_queries(movie_records, per_category=15, seed=3)
    again = generate_queries(movie_records, per_category=15, seed=3)
    other = generate_queries(movie_records, per_category=15, seed=4)
    assert first == again
    assert [query.text for query in first] != [query.text for query in other]
    # A category's queries do not depend on the other categories asked for.
    alone = generate_queries(movie_records, per_category=15, seed=3, categories=[PHONETIC])
    assert alone == [query for query in first if query.category == PHONETIC]


def test_every_category_is_filled_with_distinct_targets(queries: list[EvalQuery]) -> None:
    for category in CATEGORIES:
        found = _of(queries, category)
        assert len(found) == 60
        assert len({query.target_id for query in found}) == 60
        for query in found:
            assert query.target_ids == frozenset({query.target_id})
            assert query.target_ids <= query.same_text_ids


def test_targets_mix_popular_titles_and_the_tail(
    queries: list[EvalQuery], movie_records: list[Record]
) -> None:
    votes = {record.id: record.weight for record in movie_records}
    found = [votes[query.target_id] for query in _of(queries, CLEAN)]
    assert sum(weight >= 10_000 for weight in found) >= 15  # popular titles dominate...
    assert sum(weight < 100 for weight in found) >= 3  # ...but the tail is there


def test_typed_form_folds_like_a_person_types() -> None:
    assert typed_form("Schindler's List") == "schindlers list"
    assert typed_form("Amélie") == "amelie"
    assert typed_form("Die Straße") == "die strasse"
    assert typed_form("Rock & Roll: High School!") == "rock and roll high school"


def test_cut_covers_forty_to_hundred_percent() -> None:
    assert cut_bounds(3) == (3, 3)
    assert cut_bounds(10) == (4, 10)
    assert cut_bounds(20) == (8, 20)
    assert cut_bounds(50) == (20, 30)
    assert cut_bounds(100) == (40, 40)


def test_clean_queries_are_prefixes_of_the_title(queries: list[EvalQuery]) -> None:
    for query in _of(queries, CLEAN):
        title = query.target_title.casefold()
        assert title.startswith(query.text)
        low, high = cut_bounds(len(title.strip()))
        assert low <= len(query.text) <= high


def test_no_article_queries_drop_the_article_or_punctuation(queries: list[EvalQuery]) -> None:
    for query in _of(queries, NO_ARTICLE):
        typed = typed_form(query.target_title)
        first, _, rest = typed.partition(" ")
        without = rest if first in {"the", "a", "an"} else typed
        assert without.startswith(query.text), query
        assert not query.target_title.casefold().startswith(query.text)


def test_keyboard_neighbours() -> None:
    assert KEYBOARD_NEIGHBOURS["g"] == "bfhtvy"
    assert KEYBOARD_NEIGHBOURS["a"] == "qswz"
    assert KEYBOARD_NEIGHBOURS["p"] == "lo"
    assert all(
        key in KEYBOARD_NEIGHBOURS[near]
        for key, nears in KEYBOARD_NEIGHBOURS.items()
        for near in nears
    )


def test_one_slip_queries_are_one_edit_from_the_prefix(queries: list[EvalQuery]) -> None:
    for query in _of(queries, ONE_SLIP):
        typed = typed_form(query.target_title)
        assert typed.startswith(query.intended)
        assert OSA.distance(query.text, query.intended) == 1, query
        assert distance_to_prefixes(query.text, typed) == 1, query
        assert query.text[0] == query.intended[0]  # slips spare the first character
        assert query.note in {"sub", "insert", "delete", "transpose", "double"}


def test_substitution_slips_hit_a_neighbouring_key(queries: list[EvalQuery]) -> None:
    for query in _of(queries, ONE_SLIP):
        if query.note != "sub":
            continue
        (position,) = [
            index
            for index, (a, b) in enumerate(zip(query.text, query.intended, strict=True))
            if a != b
        ]
        assert query.text[position] in KEYBOARD_NEIGHBOURS[query.intended[position]]


def test_two_slip_queries_are_two_edits_from_any_prefix(queries: list[EvalQuery]) -> None:
    for query in _of(queries, TWO_SLIPS):
        typed = typed_form(query.target_title)
        assert typed.startswith(query.intended)
        assert len(query.intended) >= min(MIN_TWO_SLIP_CHARS, len(typed))
        assert OSA.distance(query.text, query.intended) == 2, query
        assert distance_to_prefixes(query.text, typed) == 2, query


def test_phonetic_queries_are_one_rule_away(queries: list[EvalQuery]) -> None:
    names = {rule.name for rule in PHONETIC_RULES}
    found = _of(queries, PHONETIC)
    for query in found:
        typed = typed_form(query.target_title)
        assert query.note in names
        assert typed.startswith(query.intended)
        assert query.text in phonetic_variants(query.intended, query.note), query
        assert not typed.startswith(query.text)
    # Every kind of rewrite shows up, not only doubled and single consonants.
    groups = {rule.name: rule.group for rule in PHONETIC_RULES}
    assert {groups[query.note] for query in found} == {rule.group for rule in PHONETIC_RULES}


def test_phonetic_rules() -> None:
    assert "fantom" in phonetic_variants("phantom", "ph>f")
    assert "kasablanka" not in phonetic_variants("casablanca", "c>k")  # one rewrite at a time
    assert "kasablanca" in phonetic_variants("casablanca", "c>k")
    assert "freind" in phonetic_variants("friend", "ie>ei")
    assert "goodfelas" in phonetic_variants("goodfellas", "double>single")
    assert "night" in phonetic_variants("knight", "silent-kn")
    assert phonetic_variants("ink", "silent-kn") == set()


def test_word_start_queries_start_at_a_later_word(queries: list[EvalQuery]) -> None:
    for query in _of(queries, WORD_START):
        words = typed_form(query.target_title).split()
        starts = [" ".join(words[index:]) for index in range(1, len(words))]
        assert any(rest.startswith(query.text) for rest in starts), query
        assert not " ".join(words).startswith(query.text)


def test_initials_queries_are_initials(queries: list[EvalQuery]) -> None:
    assert initials_of("The Big Lebowski", drop_article=False) == "tbl"
    assert initials_of("The Lord of the Rings: The Two Towers", drop_article=True) == "lotr"
    assert initials_of("Big", drop_article=False) is None
    for query in _of(queries, INITIALS):
        assert query.text in {
            initials_of(query.target_title, drop_article=True),
            initials_of(query.target_title, drop_article=False),
        }
        assert len(query.text) >= 3


def test_diacritic_queries(fixture_records: list[Record]) -> None:
    found = diacritic_queries(fixture_records, limit=100, seed=0)
    assert found == diacritic_queries(fixture_records, limit=100, seed=0)
    texts = {query.text for query in found}
    assert {"amelie", "amél", "die strasse", "strasse"} <= texts
    for query in found:
        assert query.category == DIACRITICS
        assert not query.target_title.isascii()
    assert len(diacritic_queries(fixture_records, limit=5)) == 5


# Metrics -----------------------------------------------------------------------------------------


def test_metrics_on_a_hand_made_example() -> None:
    assert first_hit(["x", "a", "b"], frozenset({"b", "a"})) == 2
    assert first_hit(["x"] * 10 + ["a"], frozenset({"a"})) is None
    outcomes = [
        Outcome("clean", 1, 0.001),
        Outcome("clean", 3, 0.002),
        Outcome("typo", None, 0.003, text_rank=2),
        Outcome("typo", 6, 0.004),
    ]
    summary = summarize(outcomes)
    assert summary.queries == 4
    assert summary.success_at_1 == 0.25
    assert summary.success_at_5 == 0.5
    assert summary.mrr_at_10 == pytest.approx((1 + 1 / 3 + 0 + 1 / 6) / 4)
    assert summary.text_mrr_at_10 == pytest.approx((0 + 0 + 1 / 2 + 0) / 4)
    assert summary.p50_ms == pytest.approx(2.0)
    assert summary.p99_ms == pytest.approx(4.0)
    table = summarize_by_category(outcomes, overall_excludes=["typo"])
    assert list(table) == ["clean", "typo", OVERALL]
    assert table["clean"].mrr_at_10 == pytest.approx((1 + 1 / 3) / 2)
    assert table["typo"].success_at_5 == 0.0
    assert table[OVERALL] == summarize(outcomes[:2])


def test_percentile_is_nearest_rank() -> None:
    values = [float(value) for value in range(1, 101)]
    assert percentile(values, 0.5) == 50.0
    assert percentile(values, 0.99) == 99.0
    assert percentile([7.0], 0.99) == 7.0
    assert math.isnan(percentile([], 0.5))


# Systems -----------------------------------------------------------------------------------------


def test_exact_prefix_peer(fixture_records: list[Record]) -> None:
    peer = ExactPrefix(fixture_records)
    assert peer.suggest("the big", 3) == ["big-lebowski-1998", "big-sleep-1946", "big-sleep-1978"]
    assert peer.suggest("THE BIG S", 10) == ["big-sleep-1946", "big-sleep-1978"]
    assert peer.suggest("big lebowski", 10) == []  # no article folding
    assert peer.suggest("teh big", 10) == []  # no correction
    assert peer.suggest("", 2) == ["lotr-1-2001", "lotr-2-2002"]


def test_rapidfuzz_peer(fixture_records: list[Record]) -> None:
    peer = RapidFuzzWRatio(fixture_records)
    assert peer.suggest("the big lebowsky", 3)[0] == "big-lebowski-1998"
    assert len(peer.suggest("alien", 4)) == 4


def test_symspell_peer(fixture_records: list[Record]) -> None:
    pytest.importorskip("symspellpy")
    peer = build_peers(["symspell"], fixture_records)[0]
    assert peer.suggest("the big lebowsky", 3)[0] == "big-lebowski-1998"
    assert peer.suggest("teh bigg leb", 3)[0] == "big-lebowski-1998"


def test_fast_autocomplete_peer(fixture_records: list[Record]) -> None:
    pytest.importorskip("fast_autocomplete")
    try:
        peer = build_peers(["fast-autocomplete"], fixture_records, warn=pytest.skip)[0]
    except IndexError:
        pytest.skip("fast-autocomplete needs python-Levenshtein or pylev")
    assert peer.suggest("the big leb", 3)[0] == "big-lebowski-1998"


def test_a_missing_peer_is_skipped_with_the_install_hint(
    fixture_records: list[Record], monkeypatch: pytest.MonkeyPatch
) -> None:
    def missing(records: object) -> ExactPrefix:
        raise PeerUnavailable("skipping peer 'x': pip install -e '.[eval]'")

    monkeypatch.setitem(PEERS, "exact-prefix", missing)
    messages: list[str] = []
    assert build_peers(["exact-prefix"], fixture_records, warn=messages.append) == []
    assert messages and "pip install -e '.[eval]'" in messages[0]
    with pytest.raises(ValueError, match="unknown peer"):
        build_peers(["nope"], fixture_records)


def test_ours_and_exact_prefix_on_a_slice(
    movies: Autocomplete, movie_records: list[Record], queries: list[EvalQuery]
) -> None:
    sliced = [query for category in CATEGORIES for query in _of(queries, category)[:8]]
    ours = run_system(Ours(movies), sliced, warmup=["the big"])
    exact = run_system(ExactPrefix(movie_records), sliced)
    assert ours.system == "ours" and exact.system == "exact-prefix"
    assert len(ours.ids) == len(ours.seconds) == len(sliced)
    assert all(len(ids) <= 10 for ids in ours.ids)
    assert all(seconds >= 0 for seconds in ours.seconds + exact.seconds)
    table = {found.system: summarize_by_category(found.outcomes(sliced)) for found in (ours, exact)}
    # Exact prefixes reach nothing once a letter is wrong; the engine reaches most.
    assert table["exact-prefix"][ONE_SLIP].success_at_5 == 0.0
    assert table["ours"][ONE_SLIP].success_at_5 >= 0.5
    assert table["ours"][CLEAN].success_at_5 >= 0.75
    report = markdown(table, _info(), chart="chart.png")
    assert "| clean | 8 |" in report and "![MRR@10" in report
    assert any("ahead of exact-prefix" in target.description for target in targets(table))


class _Echo:
    def __init__(self, name: str) -> None:
        self.name = name
        self.asked: list[str] = []

    def suggest(self, query: str, k: int) -> list[str]:
        self.asked.append(query)
        return [f"{self.name}:{query}"]


def test_systems_take_turns_and_answers_keep_query_order(queries: list[EvalQuery]) -> None:
    sliced = queries[:25]
    first, second = _Echo("a"), _Echo("b")
    answers = run_systems([first, second], sliced, warmup=["w"], blocks=4, seed=1)
    for name in ("a", "b"):
        assert answers[name].ids == [[f"{name}:{query.text}"] for query in sliced]
        assert len(answers[name].seconds) == len(sliced)
    asked = [text for text in first.asked if text != "w"]
    assert first.asked[0] == "w" and sorted(asked) == sorted(query.text for query in sliced)
    assert asked != [query.text for query in sliced]  # shuffled into blocks
    assert first.asked.count("w") == 1 + 4  # warmed up once, then before each block


def _info() -> RunInfo:
    return RunInfo("autocomplete eval", "today", "here", {"x": "1"}, 8, 0)


def test_bar_chart(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from autocomplete.tools.evaluation.report import bar_chart

    table = {
        "ours": summarize_by_category([Outcome("clean", 1, 0.001)]),
        "peer": summarize_by_category([Outcome("clean", 2, 0.002)]),
    }
    path = bar_chart(table, tmp_path / "chart.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_eval_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="autocomplete")
    add_command(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(
        [
            "eval",
            "--queries-per-category",
            "3",
            "--peers",
            "exact-prefix",
            "--output-dir",
            str(tmp_path),
            "--no-chart",
            "--dump",
            str(tmp_path / "dump.jsonl"),
        ]
    )
    assert args.run(args) == 0
    report = (tmp_path / "results.md").read_text(encoding="utf-8")
    assert "--queries-per-category 3" in report
    assert "| ours |" in report and "| exact-prefix |" in report
    assert "diacritics" in report
    assert len((tmp_path / "dump.jsonl").read_text(encoding="utf-8").splitlines()) >= 21
    assert "# Evaluation" in capsys.readouterr().out
    with pytest.raises(ValueError, match="unknown peer"):
        args.run(parser.parse_args(["eval", "--peers", "nope"]))
