from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from autocomplete import Autocomplete, CatalogError, load_catalog
from autocomplete.catalog.loader import CatalogNotFoundError, CatalogStream


def _write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, str):
        text = text.encode("utf-8")
    path.write_bytes(gzip.compress(text) if path.suffix == ".gz" else text)
    return path


def test_csv_with_weights_aliases_and_metadata(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "books.csv",
        "name,sales,isbn,tags,year,price\n"
        'Dune,900,978-0441,"sf|classic",1965,9.99\n'
        '"War and Peace, Vol. 1",120,978-1400,,1869,\n',
    )
    records, report = load_catalog(
        path, text_field="name", weight_field="sales", id_field="isbn", alias_field="tags"
    )
    assert report.loaded == 2 and report.skipped == 0
    dune, war = records
    assert (dune.id, dune.text, dune.weight) == ("978-0441", "Dune", 900.0)
    assert dune.aliases == ("sf", "classic")
    assert dict(dune.metadata) == {"year": 1965, "price": 9.99, "sales": 900}
    assert war.text == "War and Peace, Vol. 1"
    assert war.aliases == ()
    assert "price" not in war.metadata  # empty cells are left out, not stored as ""


def test_jsonl_gz_and_line_number_ids(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "films.jsonl.gz",
        '{"title": "Amélie", "votes": 5}\n\n'
        '{"title": "Alien", "votes": 7.5, "genres": ["Horror"]}\n',
    )
    records, report = load_catalog(path, weight_field="votes")
    assert [(r.id, r.text, r.weight) for r in records] == [
        ("1", "Amélie", 5.0),
        ("3", "Alien", 7.5),
    ]
    assert records[1].metadata["genres"] == ["Horror"]
    assert report.source == str(path)


def test_in_memory_records() -> None:
    records, _ = load_catalog([{"title": "Heat", "w": 3}, {"title": "Ronin"}], weight_field=None)
    assert [(r.id, r.text, r.weight) for r in records] == [("1", "Heat", 0.0), ("2", "Ronin", 0.0)]
    assert records[0].metadata["w"] == 3


@pytest.mark.parametrize(
    ("name", "content", "line", "field", "problem"),
    [
        ("a.jsonl", '{"title": "ok", "votes": 1}\n{"votes": 2}\n', 2, "title", "missing title"),
        ("a.jsonl", '{"title": "   ", "votes": 1}\n', 1, "title", "empty title"),
        ("a.jsonl", '{"title": 12, "votes": 1}\n', 1, "title", "must be a string"),
        ("a.jsonl", '{"title": "x", "votes": "many"}\n', 1, "votes", "must be a number"),
        ("a.jsonl", '{"title": "x", "votes": -3}\n', 1, "votes", ">= 0"),
        ("a.jsonl", '{"title": "x", "votes": NaN}\n', 1, "votes", "finite"),
        ("a.jsonl", '{"title": "x"}\n', 1, "votes", "missing weight"),
        ("a.jsonl", '{"title": "x", "votes": 1}\n{"title": "y"\n', 2, None, "not valid JSON"),
        ("a.jsonl", '["x", 1]\n', 1, None, "expected a JSON object"),
        ("a.csv", "title,votes\nok,1\nbad,lots\n", 3, "votes", "must be a number"),
        ("a.csv", "title,votes\nok,1,extra\n", 2, None, "3 cells where the header has 2"),
        ("a.csv", "title,votes\n,4\n", 2, "title", "missing title"),
        ("a.jsonl", '{"title": "x", "votes": 1, "aka": [1]}\n', 1, "aka", "list of strings"),
    ],
)
def test_bad_records_name_file_line_and_field(
    tmp_path: Path, name: str, content: str, line: int, field: str | None, problem: str
) -> None:
    path = _write(tmp_path / name, content)
    with pytest.raises(CatalogError, match=problem) as caught:
        load_catalog(path, weight_field="votes", alias_field="aka")
    error = caught.value
    assert (error.source, error.line, error.field) == (str(path), line, field)
    assert f"line {line}" in str(error) and str(path) in str(error)


def test_undecodable_bytes_are_reported_at_their_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "latin1.csv", "title\nCaf\xe9\n".encode("latin-1"))
    with pytest.raises(CatalogError, match=r"line 2: bytes that are not UTF-8 at column 4"):
        load_catalog(path)


def test_duplicate_ids_are_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.jsonl", '{"id": "a", "title": "X"}\n{"id": "a", "title": "Y"}\n')
    expected = r"line 2, field 'id': duplicate id 'a' \(first seen on line 1\)"
    with pytest.raises(CatalogError, match=expected):
        load_catalog(path, id_field="id")


def test_skip_mode_counts_every_bad_record_and_keeps_the_rest(tmp_path: Path) -> None:
    lines = [f'{{"title": "good {n}", "votes": 1}}' for n in range(3)]
    lines.insert(1, '{"title": "", "votes": 1}')
    lines.insert(3, "{broken")
    path = _write(tmp_path / "s.jsonl", "\n".join(lines) + "\n")
    path.write_bytes(path.read_bytes() + b'{"title": "caf\xe9", "votes": 1}\n')
    records, report = load_catalog(path, weight_field="votes", on_error="skip")
    assert [r.text for r in records] == ["good 0", "good 1", "good 2"]
    assert report.skipped == 3
    assert [reason.split(": ", 1)[0] for reason in report.skipped_reasons] == [
        f"{path}, line 2, field 'title'",
        f"{path}, line 4",
        f"{path}, line 6",
    ]


def test_file_level_problems(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="catalog file not found"):
        load_catalog(tmp_path / "missing.csv")
    with pytest.raises(CatalogError, match="unknown catalog format"):
        load_catalog(_write(tmp_path / "x.txt", "title\n"))
    with pytest.raises(CatalogError, match="duplicate column names"):
        load_catalog(_write(tmp_path / "dup.csv", "title,title\na,b\n"))
    truncated = tmp_path / "cut.jsonl.gz"
    truncated.write_bytes(gzip.compress(b'{"title": "a"}\n' * 100)[:40])
    with pytest.raises(CatalogError, match="unreadable"):
        load_catalog(truncated)
    with pytest.raises(ValueError, match="on_error"):
        load_catalog([], on_error="ignore")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("empty.csv", "", "no records: the file is empty (not even a header)"),
        ("blank.csv", "\n \n", "no records: the file is empty (not even a header)"),
        (
            "header.csv",
            "title,votes\n",
            "no records: the file has only its header ('title', 'votes')",
        ),
        ("empty.jsonl", "", "no records: the catalog is empty"),
        ("blank.jsonl.gz", "\n\n", "no records: the catalog is empty"),
    ],
)
def test_a_catalog_without_records_is_refused_by_name(
    tmp_path: Path, name: str, content: str, problem: str
) -> None:
    # Before: these loaded as nothing and the priors failed with "math domain error".
    path = _write(tmp_path / name, content)
    for on_error in ("raise", "skip"):
        with pytest.raises(CatalogError) as caught:
            load_catalog(path, on_error=on_error)  # type: ignore[arg-type]
        assert str(caught.value) == f"{path}: {problem}"
    with pytest.raises(CatalogError, match="no records"):
        Autocomplete.from_catalog(path)
    with pytest.raises(CatalogError, match=r"^<records>: no records"):
        load_catalog([])


def test_a_catalog_whose_every_record_is_bad_says_so_after_skipping(tmp_path: Path) -> None:
    path = _write(tmp_path / "bad.csv", "title,votes\nAlien,lots\nHeat,-1\n")
    with pytest.raises(CatalogError) as caught:
        load_catalog(path, weight_field="votes", on_error="skip")
    assert str(caught.value) == (
        f"{path}: no usable records: every record was bad (2 skipped); the first: "
        f"{path}, line 2, field 'votes': weight must be a number, got 'lots'"
    )


@pytest.mark.parametrize(
    ("content", "options", "field", "problem"),
    [
        (
            "name,votes\nAlien,5\n",
            {},
            "title",
            "the header has no column 'title'; its columns are 'name', 'votes'; "
            "name the title column with --text-field (text_field in Python)",
        ),
        (
            "title;votes\nAlien;5\n",
            {},
            "title",
            "the header has no column 'title'; its columns are 'title;votes' "
            "(the file looks ';'-separated; a CSV catalog uses commas)",
        ),
        (
            "name\tvotes\nAlien\t5\n",
            {"text_field": "name"},
            "name",
            "the header has no column 'name'; its columns are 'name\\tvotes' "
            "(the file looks tab-separated; a CSV catalog uses commas)",
        ),
        (
            "title,votes\nAlien,5\n",
            {"weight_field": "count"},
            "count",
            "the header has no column 'count'; its columns are 'title', 'votes'",
        ),
        (
            "title,votes\nAlien,5\n",
            {"id_field": "isbn"},
            "isbn",
            "the header has no column 'isbn'; its columns are 'title', 'votes'",
        ),
        (
            "\n" + ",".join(f"c{n}" for n in range(25)) + "\n" + ",".join("x" * 25) + "\n",
            {},
            "title",
            "its columns are " + ", ".join(f"'c{n}'" for n in range(20)) + " and 5 more;",
        ),
    ],
)
def test_a_header_without_a_named_column_lists_the_columns_it_has(
    tmp_path: Path, content: str, options: dict[str, str], field: str, problem: str
) -> None:
    # Before: every row failed alone, "line 2, field 'title': missing title", even when skipping.
    path = _write(tmp_path / "h.csv", content)
    header_line = 2 if content.startswith("\n") else 1  # a blank first line counts
    for on_error in ("raise", "skip"):
        with pytest.raises(CatalogError) as caught:
            load_catalog(path, on_error=on_error, **options)  # type: ignore[arg-type]
        error = caught.value
        assert (error.source, error.line, error.field) == (str(path), header_line, field)
        assert problem in error.problem
    # The alias column is optional per record, so a header without it is fine.
    records, _ = load_catalog(_write(tmp_path / "ok.csv", "title\nAlien\n"), alias_field="aka")
    assert records[0].aliases == ()


def test_a_jsonl_record_without_its_title_lists_the_fields_it_has(tmp_path: Path) -> None:
    path = _write(tmp_path / "n.jsonl", '{"name": "Alien", "votes": 5}\n')
    with pytest.raises(CatalogError) as caught:
        load_catalog(path)
    assert caught.value.problem == "missing title (the record's fields: 'name', 'votes')"


def test_a_missing_catalog_is_not_found_whatever_its_suffix(tmp_path: Path) -> None:
    # Before: "nope.idx" was "unknown catalog format", as if the file existed.
    for name in ("nope.idx", "nope.csv", "nope.jsonl.gz", "nope"):
        with pytest.raises(CatalogNotFoundError) as caught:
            load_catalog(tmp_path / name)
        assert str(caught.value) == f"{tmp_path / name}: catalog file not found"
        assert isinstance(caught.value, FileNotFoundError)
    with pytest.raises(CatalogError, match="is a directory, not a catalog file"):
        load_catalog(tmp_path)


def test_a_lone_surrogate_is_a_bad_line_and_skipping_skips_it(tmp_path: Path) -> None:
    # JSON may escape half of a UTF-16 pair; the string then is not text and cannot be encoded.
    # Before: UnicodeEncodeError from the index build, with on_error="skip" too.
    path = _write(
        tmp_path / "s.jsonl",
        '{"title": "Alien"}\n'
        '{"title": "Casa\\ud800blanca"}\n'
        '{"title": "Heat", "tags": ["ok", {"n\\udfffote": 1}]}\n'
        '{"title": "Clapperboard \\ud83c\\udfac"}\n',  # a whole pair is one character: fine
    )
    with pytest.raises(CatalogError) as caught:
        load_catalog(path)
    error = caught.value
    assert (error.line, error.field) == (2, "title")
    assert error.problem.startswith(
        "lone surrogate '\\ud800' at character 5 of 'Casa\\ud800blanca'"
    )
    str(error).encode("utf-8")  # the message itself prints anywhere

    records, report = load_catalog(path, on_error="skip")
    assert [r.text for r in records] == ["Alien", "Clapperboard 🎬"]
    assert report.skipped == 2
    assert [reason.split(": ", 1)[0] for reason in report.skipped_reasons] == [
        f"{path}, line 2, field 'title'",
        f"{path}, line 3, field 'tags'",
    ]
    engine = Autocomplete.from_catalog(path, on_error="skip")
    assert [s.text for s in engine.suggest("cla")] == ["Clapperboard 🎬"]

    with pytest.raises(CatalogError, match=r"^<records>, line 2, field 'year': lone surrogate"):
        load_catalog([{"title": "Alien"}, {"title": "Heat", "year": "19\udc0095"}])


def test_bundled_catalog_file_is_complete() -> None:
    path = Path(__file__).resolve().parents[1] / "data" / "movies.jsonl.gz"
    records, report = load_catalog(path, weight_field="votes", id_field="id")
    assert report.loaded == 58_788 and report.skipped == 0
    texts = {r.text for r in records}
    assert {"The Big Lebowski", "L'avventura", "La Dolce vita"} <= texts
    # Remakes and namesakes: 2,285 source titles occur more than once (2,781 repeats).
    counts: dict[object, int] = {}
    for record in records:
        counts[record.metadata["imdb_title"]] = counts.get(record.metadata["imdb_title"], 0) + 1
    assert sum(1 for count in counts.values() if count > 1) == 2_285
    assert len(records) - len(counts) == 2_781
    # Restoring articles can only merge titles ("Foo, The" and "The Foo"), never split them.
    assert len(texts) <= len(counts)
    lebowski = next(r for r in records if r.text == "The Big Lebowski")
    assert lebowski.metadata["year"] == 1998 and "Comedy" in lebowski.metadata["genres"]  # type: ignore[operator]
    assert json.loads(json.dumps(dict(lebowski.metadata)))["imdb_title"] == "Big Lebowski, The"


def test_a_stream_yields_what_load_catalog_returns_and_then_its_report(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "films.jsonl",
        '{"id": "a", "title": "Alien", "votes": 5}\n'
        '{"id": "b", "title": "", "votes": 1}\n'
        '{"id": "a", "title": "Aliens", "votes": 3}\n'
        '{"id": "c", "title": "Heat", "votes": 2, "year": 1995}\n',
    )
    options = {"weight_field": "votes", "id_field": "id", "on_error": "skip"}
    records, report = load_catalog(path, **options)  # type: ignore[arg-type]
    stream = CatalogStream(path, **options)  # type: ignore[arg-type]
    with pytest.raises(RuntimeError):
        stream.report()  # not read yet
    assert list(stream) == records
    assert stream.report() == report
    assert (report.loaded, report.skipped) == (2, 2)
    with pytest.raises(RuntimeError):
        list(stream)  # read once


def test_a_stream_raises_where_load_catalog_raises(tmp_path: Path) -> None:
    with pytest.raises(CatalogNotFoundError):
        CatalogStream(tmp_path / "missing.jsonl")  # at once, before any record is read
    with pytest.raises(CatalogError, match="unknown catalog format"):
        CatalogStream(_write(tmp_path / "films.txt", "Alien\n"))
    bad = _write(tmp_path / "bad.jsonl", '{"title": "Alien"}\n{"title": 3}\n')
    stream = iter(CatalogStream(bad))
    assert next(stream).text == "Alien"
    with pytest.raises(CatalogError, match="line 2"):
        next(stream)
    with pytest.raises(CatalogError, match="the catalog is empty"):
        list(CatalogStream(_write(tmp_path / "empty.jsonl", "\n")))
