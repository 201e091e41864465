"""The multi-word categories of ``autocomplete eval`` and the FTS5 and tantivy peers."""

from __future__ import annotations

from pathlib import Path

import pytest

from autocomplete.catalog.loader import Record, load_catalog
from autocomplete.index.bundled import bundled_catalog_path
from autocomplete.rank.multiword import WordCosts
from autocomplete.tools.evaluation.fit_words import _Case, _rank, objective
from autocomplete.tools.evaluation.peers import PEERS, SqliteFts5, Tantivy
from autocomplete.tools.evaluation.queries import (
    CATEGORIES,
    MULTIWORD_CATEGORIES,
    OUT_OF_ORDER,
    SKIPPED_WORDS,
    STOP_WORDS,
    TITLE_YEAR,
    EvalQuery,
    generate_queries,
    typed_form,
)

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def movie_records() -> list[Record]:
    records, _ = load_catalog(
        bundled_catalog_path(), text_field="title", weight_field="votes", id_field="id"
    )
    return records


@pytest.fixture(scope="module")
def queries(movie_records: list[Record]) -> list[EvalQuery]:
    return generate_queries(movie_records, per_category=40, seed=7, categories=MULTIWORD_CATEGORIES)


def _of(queries: list[EvalQuery], category: str) -> list[EvalQuery]:
    found = [query for query in queries if query.category == category]
    assert len(found) == 40, category
    return found


def _is_subsequence(words: list[str], title: list[str]) -> bool:
    remaining = iter(title)
    return all(any(word == candidate for candidate in remaining) for word in words)


def test_the_new_categories_are_reported_after_the_old_ones() -> None:
    assert CATEGORIES[-3:] == (SKIPPED_WORDS, OUT_OF_ORDER, TITLE_YEAR)


def test_skipped_words_keep_the_order_and_leave_words_out(queries: list[EvalQuery]) -> None:
    stop_left_out = content_left_out = 0
    for query in _of(queries, SKIPPED_WORDS):
        title = typed_form(query.target_title).split()
        words = query.text.split()
        assert len(words) >= 2
        assert _is_subsequence(words[:-1], title)
        assert any(word.startswith(words[-1]) for word in title)
        # Not a stretch of the title from a word start: the prefix categories cover those.
        assert not any(
            " ".join(title[start:]).startswith(query.text) for start in range(len(title))
        )
        intended = query.intended.split()
        left_out = [word for word in title[: title.index(intended[-1])] if word not in intended]
        stop_left_out += sum(word in STOP_WORDS for word in left_out)
        content_left_out += sum(word not in STOP_WORDS for word in left_out)
    assert stop_left_out and content_left_out


def test_out_of_order_queries_are_title_words_in_another_order(queries: list[EvalQuery]) -> None:
    for query in _of(queries, OUT_OF_ORDER):
        title = typed_form(query.target_title).split()
        intended = query.intended.split()
        assert all(word in title and word not in STOP_WORDS for word in intended)
        assert not _is_subsequence(intended, title)
        assert intended[-1].startswith(query.text.split()[-1])


def test_title_year_queries_name_a_remake_by_its_year(
    queries: list[EvalQuery], movie_records: list[Record]
) -> None:
    by_id = {record.id: record for record in movie_records}
    for query in _of(queries, TITLE_YEAR):
        record = by_id[query.target_id]
        assert query.text == f"{typed_form(record.text)} {record.metadata['year']}"
        assert len(query.same_text_ids) >= 2  # another title has the same text


def test_fts5_and_tantivy_peers(movie_records: list[Record]) -> None:
    assert {"fts5", "tantivy"} <= set(PEERS)
    titles = {record.id: record.text for record in movie_records}
    for peer in (SqliteFts5(movie_records), Tantivy(movie_records)):
        found = [titles[i] for i in peer.suggest("harry potter chamber", 5)]
        assert found[0] == "Harry Potter and the Chamber of Secrets", peer.name
        assert [titles[i] for i in peer.suggest("lebowski bi", 1)] == ["The Big Lebowski"]
        assert len(peer.suggest("", 3)) == 3
    # tantivy forgives a typo in a word of 4+ letters; FTS5 does not.
    tantivy_found = Tantivy(movie_records).suggest("hary potter chamber", 1)
    assert [titles[i] for i in tantivy_found] == ["Harry Potter and the Chamber of Secrets"]
    assert SqliteFts5(movie_records).suggest("hary poter chamber", 1) == []


def test_the_fit_ranks_by_merged_scores() -> None:
    case = _Case(
        "skipped_words",
        "b",
        prefix=(("a", -5.0),),
        words=(("b", -4.0, 0.0, 1, 0, 0, 0, False),),
    )
    cheap = WordCosts(entry=0.5, stop_skip=0.25, content_skip=1.0, inversion=1.0)
    dear = WordCosts(entry=3.0, stop_skip=0.25, content_skip=1.0, inversion=1.0)
    assert _rank(case, cheap) == 1 and _rank(case, dear) == 2
    assert objective([case], cheap)["mean"] == 1.0


def test_the_report_checks_the_multiword_targets() -> None:
    from autocomplete.tools.evaluation.metrics import OVERALL, Summary
    from autocomplete.tools.evaluation.report import targets

    def summary(at_1: float, at_5: float) -> Summary:
        return Summary(300, at_1, at_5, at_1, 0.1, 1.0, at_1, 0.2)

    table = {
        "ours": {
            SKIPPED_WORDS: summary(0.8, 0.96),
            OUT_OF_ORDER: summary(0.8, 0.85),
            TITLE_YEAR: summary(0.97, 1.0),
            OVERALL: summary(0.8, 0.9),
        }
    }
    met = {target.description: target.met for target in targets(table)}
    assert met["ours success@5 on skipped_words >= 0.95"] is True
    assert met["ours success@5 on out_of_order >= 0.9"] is False
    assert met["ours success@1 on title_year >= 0.95"] is True


def test_eval_without_the_word_reading_is_the_before_engine() -> None:
    from autocomplete.tools.evaluation import evaluate

    def quiet(message: str) -> None:
        return None

    after = evaluate(queries_per_category=20, seed=0, log=quiet)
    before = evaluate(queries_per_category=20, seed=0, log=quiet, word_reading=False)
    for category in (SKIPPED_WORDS, OUT_OF_ORDER):
        assert after.table["ours"][category].success_at_5 >= 0.85
        assert before.table["ours"][category].success_at_5 <= 0.6
    # One-word queries are not read as scattered words: their rankings are the same.
    assert after.table["ours"]["initials"].mrr_at_10 == before.table["ours"]["initials"].mrr_at_10
