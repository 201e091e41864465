from __future__ import annotations

import math
import threading
from pathlib import Path

import pytest

from autocomplete import Autocomplete
from autocomplete.limits import MAX_K


def _texts(engine: Autocomplete, query: str, k: int = 10) -> list[str]:
    return [item.text for item in engine.suggest(query, k)]


def test_prefix_finds_titles_by_popularity(small_engine: Autocomplete) -> None:
    assert _texts(small_engine, "the big")[:3] == [
        "The Big Lebowski",
        "The Big Sleep",
        "The Big Sleep",
    ]
    assert "The Bigamist" in _texts(small_engine, "the big")


def test_diacritics_punctuation_ampersand_and_case(small_engine: Autocomplete) -> None:
    assert _texts(small_engine, "amelie")[0] == "Amélie"
    assert _texts(small_engine, "AMÉL")[0] == "Amélie"
    assert _texts(small_engine, "schindlers list")[0] == "Schindler's List"
    assert _texts(small_engine, "rock and roll")[0] == "Rock & Roll High School"
    assert _texts(small_engine, "rock & r")[0] == "Rock & Roll High School"
    assert _texts(small_engine, "strasse")[0] == "Die Straße"


def test_leading_article_is_optional(small_engine: Autocomplete) -> None:
    assert _texts(small_engine, "big lebowski")[0] == "The Big Lebowski"
    assert _texts(small_engine, "the big lebowski")[0] == "The Big Lebowski"
    assert _texts(small_engine, "avventura")[0] == "L'Avventura"
    assert _texts(small_engine, "l'avv")[0] == "L'Avventura"


def test_word_start_matches_rank_below_whole_title_prefixes(small_engine: Autocomplete) -> None:
    results = small_engine.suggest("lebowski")
    assert {item.text for item in results} == {"The Big Lebowski", "Lebowski Fest"}
    # "Lebowski Fest" has 5 votes against 50,000, yet a whole-title prefix beats a word start
    # only when popularity is comparable; here popularity wins, and the match kinds are right.
    kinds = {item.text: item.match for item in results}
    assert kinds == {"The Big Lebowski": "word", "Lebowski Fest": "title"}
    assert _texts(small_engine, "fellowship of")[0].startswith("The Lord of the Rings")


def test_exact_title_beats_longer_more_popular_completion(small_engine: Autocomplete) -> None:
    assert _texts(small_engine, "alien")[:2] == ["Alien", "Aliens"]
    assert _texts(small_engine, "alie")[:2] == ["Aliens", "Alien"]


def test_aliases_reach_titles(small_engine: Autocomplete) -> None:
    found = small_engine.suggest("lotr")
    assert [item.id for item in found] == ["lotr-1-2001", "lotr-2-2002"]
    assert all(item.match == "alias" for item in found)
    assert small_engine.suggest("lotr 2")[0].id == "lotr-2-2002"


def test_remakes_are_distinguishable(small_engine: Autocomplete) -> None:
    labels = [item.label for item in small_engine.suggest("the big sleep")]
    assert labels == ["The Big Sleep (1946)", "The Big Sleep (1978)"]


def test_spans_highlight_the_typed_characters(small_engine: Autocomplete) -> None:
    (lebowski,) = [s for s in small_engine.suggest("lebow") if s.id == "big-lebowski-1998"]
    start, end = lebowski.spans[0]
    assert lebowski.text[start:end] == "Lebow"
    schindler = small_engine.suggest("schindlers l")[0]
    start, end = schindler.spans[0]
    assert schindler.text[start:end] == "Schindler's L"
    amelie = small_engine.suggest("ame")[0]
    assert amelie.text[slice(*amelie.spans[0])] == "Amé"


def test_suggestion_carries_metadata_and_score_parts(small_engine: Autocomplete) -> None:
    top = small_engine.suggest("schindler")[0]
    assert top.metadata["year"] == 1993
    assert top.metadata["votes"] == 90000
    assert top.id == "schindlers-list-1993"
    assert top.score == pytest.approx(top.prior)  # whole-title prefix: prior only
    assert top.corrected is False
    with pytest.raises(AttributeError):
        top.text = "changed"  # type: ignore[misc]


def test_empty_query_returns_the_most_popular(small_engine: Autocomplete) -> None:
    assert _texts(small_engine, "", 3) == [
        "The Lord of the Rings: The Fellowship of the Ring",
        "The Lord of the Rings: The Two Towers",
        "Schindler's List",
    ]
    assert _texts(small_engine, "   \t", 1) == ["The Lord of the Rings: The Fellowship of the Ring"]


def test_no_match_returns_empty_list(small_engine: Autocomplete) -> None:
    assert small_engine.suggest("qqqqqqqqqqqqqqqq") == []


def test_k_limits_results(small_engine: Autocomplete) -> None:
    assert len(small_engine.suggest("the", 2)) == 2
    assert len(small_engine.suggest("", MAX_K)) == len(small_engine)


@pytest.mark.parametrize(
    ("query", "k", "error", "message"),
    [
        (None, 10, TypeError, "query must be a str"),
        (b"the", 10, TypeError, "query must be a str"),
        ("the", 0, ValueError, "k must be between"),
        ("the", MAX_K + 1, ValueError, "k must be between"),
        ("the", "10", TypeError, "k must be an int"),
        ("the", True, TypeError, "k must be an int"),
    ],
)
def test_bad_arguments_are_rejected_clearly(
    small_engine: Autocomplete, query: object, k: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        small_engine.suggest(query, k)  # type: ignore[arg-type]


def test_huge_query_is_bounded(small_engine: Autocomplete) -> None:
    query = "the big " + "x" * 100_000
    # The garbage last word matches nothing, so it is dropped (and the answer says so).
    found = small_engine.suggest(query)
    assert found[0].text == "The Big Lebowski"
    assert found[0].corrected and found[0].corrected_query == "the big"
    assert small_engine.suggest("qqqqqqqqqqqq " + "x" * 100_000) == []
    assert small_engine.suggest("the big lebowski" + " " * 100_000)[0].text == "The Big Lebowski"
    # The work is capped at MAX_RAW_QUERY_CHARS characters read: the time it takes is measured
    # in benchmarks/test_bench_bounds.py, not asserted here.


def test_save_and_load(small_engine: Autocomplete, tmp_path: Path) -> None:
    small_engine.save(tmp_path / "index")
    loaded = Autocomplete.load(tmp_path / "index")
    for query in ["the big", "amelie", "lotr", "", "alien"]:
        assert small_engine.suggest(query) == loaded.suggest(query)


def test_many_threads_get_the_same_answers(small_engine: Autocomplete) -> None:
    queries = ["the big", "amelie", "lotr", "alien", "rock", "big", "l", "s"]
    expected = {query: small_engine.suggest(query) for query in queries}
    failures: list[str] = []

    def hammer() -> None:
        for _ in range(300):
            for query in queries:
                if small_engine.suggest(query) != expected[query]:
                    failures.append(query)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def test_in_memory_records_build_the_same_way() -> None:
    engine = Autocomplete.from_catalog(
        [{"title": "Heat", "score": 3}, {"title": "Heathers", "score": 9}],
        weight_field="score",
    )
    assert [item.text for item in engine.suggest("heat")] == ["Heat", "Heathers"]
    # "heath" is one edit from "heat", but the exact "Heathers" is far likelier than that
    # typo (see CORRECTION_MARGIN), so nothing is padded in.
    assert [item.id for item in engine.suggest("heath")] == ["2"]


def test_synonyms_are_aliases_ranked_by_the_same_model(small_engine: Autocomplete) -> None:
    hola = small_engine.suggest("hello")[0]
    assert (hola.text, hola.match, hola.corrected) == ("Hola", "alias", False)
    # A slip in a synonym is corrected through the same channel as a slip in a title.
    slipped = small_engine.suggest("hwllo")[0]
    assert (slipped.text, slipped.corrected, slipped.corrected_query) == ("Hola", True, "hello")


def test_clicks_bring_in_a_title_the_text_does_not_reach(small_engine: Autocomplete) -> None:
    engine = Autocomplete(small_engine.index, feedback="memory://")
    assert engine.suggest("qqq zz") == []
    # Nothing lifts a plain request: no suggestion explains anything.
    plain = engine.suggest("ho")
    assert plain and all(suggestion.explanation == () for suggestion in plain)
    for session in range(40):
        engine.record_impression("qqq zz", ["alien-1979", "hola-2008"], f"s{session}")
        engine.record_click("qqq zz", "hola-2008", 2, f"s{session}", dwell_ms=30_000)
    assert engine.feedback is not None
    engine.feedback.refresh()
    (hola,) = engine.suggest("qqq zz")
    assert (hola.text, hola.match, hola.spans) == ("Hola", "feedback", ())
    assert hola.feedback > 0 and hola.score == pytest.approx(hola.prior + hola.feedback)
    assert hola.explanation == (f"clicks ({hola.feedback:+.2f})",)
    engine.close()


# The call on the class (the project's card) and highlights of alias matches ------------------


def test_suggest_called_on_the_class_answers_from_the_shared_engine() -> None:
    from_class = Autocomplete.suggest("the big")
    assert [s.text for s in from_class][:2] == ["The Big Lebowski", "The Big Sleep"]
    assert Autocomplete.shared() is Autocomplete.shared()
    assert [s.id for s in Autocomplete.shared().suggest("the big")] == [s.id for s in from_class]


def test_the_shared_engine_is_built_once_under_concurrent_first_calls() -> None:
    from concurrent.futures import ThreadPoolExecutor

    Autocomplete._shared = None  # as in a fresh process
    with ThreadPoolExecutor(8) as pool:
        engines = list(pool.map(lambda _: Autocomplete.shared(), range(8)))
    assert len({id(engine) for engine in engines}) == 1


def test_an_instance_still_answers_from_its_own_catalog(small_engine: Autocomplete) -> None:
    own = small_engine.suggest("ame")
    assert own and own[0].text == "Amélie"
    assert all(s.text != "Amélie" for s in Autocomplete.suggest("ame"))


def test_both_calls_type_check(tmp_path: Path) -> None:
    import subprocess
    import sys

    program = tmp_path / "calls.py"
    program.write_text(
        "from autocomplete import Autocomplete, Suggestion\n"
        "a: list[Suggestion] = Autocomplete.suggest('the big')\n"
        "b: list[Suggestion] = Autocomplete().suggest('the big', 5, where={'year': (1990, 1999)})\n"
        "c: list[Suggestion] = Autocomplete.suggest(3)\n"
    )
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(program)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    # The two good calls pass and the bad argument is caught: the signature survives.
    assert "calls.py:2" not in run.stdout and "calls.py:3" not in run.stdout, run.stdout
    assert 'calls.py:4: error: Argument 1 has incompatible type "int"' in run.stdout, run.stdout


def test_alias_matches_highlight_the_title_words_they_stand_for(movies: Autocomplete) -> None:
    found = {s.text: s for s in movies.suggest("godfather")}
    part_two = found["The Godfather: Part II"]
    assert part_two.match == "alias" and part_two.matched_alias == "godfather 2"
    assert [part_two.text[start:end] for start, end in part_two.spans] == ["Godfather"]
    direct = found["The Godfather"]
    assert direct.matched_alias is None and direct.spans


def test_an_alias_with_no_word_in_common_is_named(movies: Autocomplete) -> None:
    top = movies.suggest("spirited aw")[0]
    assert top.text == "Sen to Chihiro no kamikakushi"
    # Named as the catalog writes it, not as the index normalizes it.
    assert top.spans == () and top.matched_alias == "Spirited Away"


# Structured errors and what the web app asks the facade ---------------------------------------


def test_filter_errors_name_their_field(movies: Autocomplete) -> None:
    from autocomplete import FilterError

    with pytest.raises(FilterError) as unknown_value:
        movies.suggest("the", where={"genres": "Anime"})
    assert unknown_value.value.field == "genres"
    with pytest.raises(FilterError) as unknown_field:
        movies.suggest("the", where={"colour": "red"})
    assert unknown_field.value.field == "colour"
    with pytest.raises(FilterError) as malformed:
        movies.suggest("the", where=["genres"])  # type: ignore[arg-type]
    assert malformed.value.field is None
    assert isinstance(malformed.value, ValueError)  # callers catching ValueError still do


def test_context_errors_say_they_are_about_the_context(movies: Autocomplete) -> None:
    from autocomplete import ContextError

    with pytest.raises(ContextError) as error:
        movies.suggest("the", context={"clicked": "m1"})
    assert error.value.field == "context"


def test_learned_lists_what_clicks_moved_through_the_facade() -> None:
    engine = Autocomplete(Autocomplete.shared().index, feedback="memory://")
    try:
        assert engine.learned("the big") == []
        for session in range(12):
            shown = [s.id for s in engine.suggest("the big", 10)]
            engine.record_impression("the big", shown, f"s{session}", client=f"10.0.{session}.1")
            engine.record_click(
                "the big", shown[6], 7, f"s{session}", dwell_ms=60_000, client=f"10.0.{session}.1"
            )
        learned = engine.learned("the big", 5, refresh_wait_s=1.0)
        assert learned and learned[0][0].id == shown[6] and learned[0][1] > 0
        assert engine.metadata_columns is engine.index.columns
    finally:
        engine.close()


def test_above_keeps_exactly_the_answers_that_score_more() -> None:
    """``suggest(above=s)``, the bound a caller merging several indexes passes, returns the
    unbounded answer's suggestions scoring more than ``s`` (it only skips work that could not
    reach them). The one difference, by design: no last-resort reading of a query nothing
    matched, since the caller's other index matched it."""
    from autocomplete.index.bundled import bundled_records
    from autocomplete.tools.evaluation.queries import CATEGORIES, generate_queries

    engine = Autocomplete.shared()
    bounding = Autocomplete(engine.index)  # its memos never see the unbounded answers
    queries = generate_queries(bundled_records(), per_category=25, seed=3, categories=CATEGORIES)
    compared = fell_back = 0
    for query in queries:
        full = engine.suggest(query.text, 10)
        for position in (0, 4, 9):
            if position >= len(full):
                continue
            floor = full[position].score
            bounded = bounding.suggest(query.text, 10, above=floor)
            expected = [suggestion for suggestion in full if suggestion.score > floor]
            compared += 1
            if bounded != expected:
                assert bounded == [] and " " in query.text.strip(), query.text
                fell_back += 1
    assert compared > 300
    assert fell_back <= compared // 20
    with pytest.raises(TypeError, match="above must be a number"):
        engine.suggest("the big", above="1")  # type: ignore[arg-type]


def test_corrected_retrievals_read_back_from_their_memo_answer_the_same() -> None:
    """The memo of corrected retrievals keeps them as plain tuples and makes the candidates
    again on a hit: a request that is not memoized whole (a session context) asked twice gets
    the same answer as on a fresh engine, through the memo the second time."""
    from autocomplete.index.bundled import bundled_records
    from autocomplete.tools.evaluation.queries import ONE_SLIP, TWO_SLIPS, generate_queries

    index = Autocomplete.shared().index
    engine = Autocomplete(index)
    queries = generate_queries(
        bundled_records(), per_category=20, seed=4, categories=(ONE_SLIP, TWO_SLIPS)
    )
    context = {"queries": ["alien"]}
    first = [engine.suggest(query.text, 10, context=context) for query in queries]
    assert len(engine._corrected) > 20  # the typos were corrected, and kept
    again = [engine.suggest(query.text, 10, context=context) for query in queries]
    fresh = Autocomplete(index)
    assert again == first == [fresh.suggest(query.text, 10, context=context) for query in queries]
    assert any(suggestion.corrected for answer in again for suggestion in answer)


def test_new_suggestion_is_the_suggestion_its_fields_make() -> None:
    """The engine builds suggestions by setting their slots directly (``new_suggestion``): it
    takes every field, in the order ``Suggestion`` declares them, and builds an equal value
    (a field added to ``Suggestion`` and not to it fails here)."""
    import dataclasses
    import inspect
    from types import MappingProxyType

    from autocomplete import Suggestion
    from autocomplete.engine.suggestion import new_suggestion

    names = [field.name for field in dataclasses.fields(Suggestion)]
    assert list(inspect.signature(new_suggestion).parameters) == names
    values = (
        "Léon", "m1", -3.25, MappingProxyType({"year": 1994}), "Léon (1994)", "alias",
        ((0, 4),), -5.5, -1.5, 0.25, 0.5, True, "leon", True, ("why",), "The Professional",
    )  # fmt: skip
    built = new_suggestion(*values)
    expected = Suggestion(*values)
    assert type(built) is Suggestion
    assert built == expected and repr(built) == repr(expected)
    assert [getattr(built, name) for name in names] == list(values)
    assert built.spans == expected.spans
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.score = 0.0  # type: ignore[misc]


def test_a_kept_answer_leaves_the_memos_of_its_parts_alone() -> None:
    """A plain request's whole answer is memoized, so a repeat never retrieves its parts again:
    its corrected and exact retrievals are not kept. A request of another kind (``above=``,
    a session context) keeps them, and both answer as a fresh engine does."""
    from autocomplete.index.bundled import bundled_records
    from autocomplete.tools.evaluation.queries import ONE_SLIP, generate_queries

    index = Autocomplete.shared().index
    queries = [
        query.text
        for query in generate_queries(
            bundled_records(), per_category=30, seed=6, categories=(ONE_SLIP,)
        )
    ]
    plain = Autocomplete(index)
    answers = [plain.suggest(query, 10) for query in queries]
    assert any(suggestion.corrected for answer in answers for suggestion in answer)
    assert len(plain._answers) == len(set(queries))
    assert len(plain._corrected) == 0 and len(plain._exact) == 0
    assert [plain.suggest(query, 10) for query in queries] == answers  # from the kept answers
    bounded = Autocomplete(index)
    for query, answer in zip(queries, answers, strict=True):
        assert bounded.suggest(query, 10, above=-math.inf) == answer  # kept whole too
    assert len(bounded._corrected) == 0
    for query, answer in zip(queries, answers, strict=True):
        floor = answer[-1].score if answer else -math.inf
        assert bounded.suggest(query, 10, above=floor - 1.0) == answer
    assert len(bounded._corrected) > 0  # not kept whole: its parts are
    context = {"queries": ["alien"]}
    lifted = Autocomplete(index)
    first = [lifted.suggest(query, 10, context=context) for query in queries]
    assert len(lifted._corrected) > 0 and len(lifted._answers) == 0
    assert first == [Autocomplete(index).suggest(query, 10, context=context) for query in queries]
