from __future__ import annotations

import json
import random
from pathlib import Path
from types import MappingProxyType

import pytest
import xxhash

from autocomplete.catalog.loader import Record
from autocomplete.index.build import build_index
from autocomplete.index.catalog_index import CatalogIndex, IndexFormatError
from autocomplete.limits import PRECOMPUTED_TOP, WIDE_PREFIX_ENTRIES
from autocomplete.text.normalize import normalize

WORDS = ["red", "blue", "green", "big", "small", "night", "day", "star", "war", "love"]


def _records(count: int, seed: int = 7) -> list[Record]:
    rng = random.Random(seed)
    records = []
    for number in range(count):
        words = rng.choices(WORDS, k=rng.randint(1, 4))
        records.append(
            Record(
                id=f"t{number}",
                text=" ".join(words).title(),
                weight=float(rng.randint(0, 5000)),
                metadata=MappingProxyType({"n": number}),
            )
        )
    return records


@pytest.fixture(scope="module")
def random_index() -> tuple[list[Record], CatalogIndex]:
    records = _records(3000)
    return records, build_index(records)


def _brute_force_top(records: list[Record], index: CatalogIndex, prefix: str, k: int) -> list[int]:
    """Best entry score per title among all entries whose key starts with prefix."""
    best: dict[int, float] = {}
    arrays = index.arrays
    for entry in range(index.entry_count):
        title = int(arrays.entry_title[entry])
        normalized = index.normalized_titles[title]
        offset = int(arrays.entry_offset[entry])
        key = normalized[offset:] + " "
        if key.startswith(prefix):
            score = float(arrays.entry_score[entry])
            best[title] = max(best.get(title, float("-inf")), score)
    ranked = sorted(best.items(), key=lambda item: -item[1])
    return [title for title, _ in ranked[:k]]


@pytest.mark.parametrize("prefix", ["r", "b", "bi", "big ", "star w", "dark city", "zzz", "moon s"])
@pytest.mark.parametrize("k", [1, 10, PRECOMPUTED_TOP + 5])
def test_top_entries_match_brute_force(
    random_index: tuple[list[Record], CatalogIndex], prefix: str, k: int
) -> None:
    records, index = random_index
    found = index.top_entries(prefix, k)
    titles = [int(index.arrays.entry_title[entry]) for entry in found]
    expected = _brute_force_top(records, index, prefix, k)
    # Ties may order differently; compare the scores rank by rank and the sets where untied.
    found_scores = [float(index.arrays.entry_score[entry]) for entry in found]
    assert len(titles) == len(expected)
    assert len(set(titles)) == len(titles)
    expected_scores = sorted(
        (
            max(
                float(index.arrays.entry_score[e])
                for e in range(index.entry_count)
                if int(index.arrays.entry_title[e]) == title
                and (
                    index.normalized_titles[title][int(index.arrays.entry_offset[e]) :] + " "
                ).startswith(prefix)
            )
            for title in expected
        ),
        reverse=True,
    )
    assert found_scores == pytest.approx(expected_scores)


def test_wide_prefixes_are_precomputed_and_narrow_ones_are_not(
    random_index: tuple[list[Record], CatalogIndex],
) -> None:
    _, index = random_index
    assert "b" in index.wide_prefixes
    lo, hi = index.prefix_range("b") or (0, 0)
    assert hi - lo > WIDE_PREFIX_ENTRIES
    narrow = next(
        text
        for text in (normalize(record.text) for record in _records(3000))
        if (span := index.prefix_range(text + " ")) and span[1] - span[0] <= WIDE_PREFIX_ENTRIES
    )
    assert narrow + " " not in index.wide_prefixes


def test_entries_cover_title_article_word_and_alias() -> None:
    records = [
        Record("1", "The Big Lebowski", 10.0, MappingProxyType({}), ("dude movie",)),
        Record("2", "L'Avventura", 5.0, MappingProxyType({})),
    ]
    index = build_index(records)
    assert index.key_range("the big lebowski ") is not None
    assert index.key_range("big lebowski ") is not None
    assert index.key_range("lebowski ") is not None
    assert index.key_range("dude movie ") is not None
    assert index.key_range("avventura ") is not None
    assert index.key_range("lavventura ") is not None
    assert index.key_range("the big") is None  # keys are whole texts; prefixes go via ranges


def test_save_and_load_round_trip(
    tmp_path: Path, random_index: tuple[list[Record], CatalogIndex]
) -> None:
    records, index = random_index
    index.save(tmp_path / "idx")
    loaded = CatalogIndex.load(tmp_path / "idx")
    assert loaded.title_count == index.title_count
    assert loaded.entry_count == index.entry_count
    for prefix in ["r", "star", "big b", "q"]:
        assert loaded.top_entries(prefix, 10) == index.top_entries(prefix, 10)
    title = 1234
    assert loaded.describe(title).text == records[title].text
    assert loaded.describe(title).id == records[title].id
    assert loaded.describe(title).metadata == {"n": title}


def test_load_rejects_missing_and_foreign_directories(tmp_path: Path) -> None:
    with pytest.raises(IndexFormatError, match="no manifest"):
        CatalogIndex.load(tmp_path)
    (tmp_path / "manifest.json").write_text('{"format_version": 999}')
    with pytest.raises(IndexFormatError, match="format 999"):
        CatalogIndex.load(tmp_path)


def test_load_names_a_missing_file(tmp_path: Path) -> None:
    index = build_index(_records(50))
    index.save(tmp_path)
    (tmp_path / "entry_score.npy").unlink()
    with pytest.raises(IndexFormatError, match=r"entry_score\.npy: missing from the saved index"):
        CatalogIndex.load(tmp_path)


def test_load_refuses_a_file_whose_checksum_does_not_match(tmp_path: Path) -> None:
    index = build_index(_records(50))
    index.save(tmp_path)
    path = tmp_path / "spelling" / "postings_first.npy"
    data = bytearray(path.read_bytes())
    # Same size, one bit changed in an offset between the first and the last (which load
    # itself checks): only the checksum can tell.
    data[(128 + len(data)) // 2] ^= 0x10
    path.write_bytes(bytes(data))
    damaged = r"postings_first\.npy: damaged .*checksum"
    with pytest.raises(IndexFormatError, match=damaged):
        CatalogIndex.load(tmp_path)
    # Checked in the background, the same damage is found there, and said again on every ask.
    loaded = CatalogIndex.load(tmp_path, verify="background")
    for _ in range(2):
        with pytest.raises(IndexFormatError, match=damaged):
            loaded.verification.wait()
    assert not loaded.verification.serving


def test_load_refuses_an_edited_manifest_but_not_a_reformatted_one(tmp_path: Path) -> None:
    index = build_index(_records(50))
    index.save(tmp_path)
    manifest_path = tmp_path / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    # The same content laid out differently reads the same.
    manifest_path.write_text(json.dumps(manifest))
    assert CatalogIndex.load(tmp_path).title_count == 50
    manifest["info"]["titles"] = 51
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(IndexFormatError, match=r"manifest\.json: damaged"):
        CatalogIndex.load(tmp_path)
    manifest["info"]["titles"] = 50
    manifest["files"]["keys.marisa"]["bytes"] += 1
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(IndexFormatError, match=r"manifest\.json: damaged"):
        CatalogIndex.load(tmp_path)


def test_the_manifest_lists_every_file_with_its_checksum(tmp_path: Path) -> None:
    index = build_index(_records(50))
    index.save(tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    on_disk = {
        path.relative_to(tmp_path).as_posix()
        for path in tmp_path.rglob("*")
        if path.is_file() and path.name != "manifest.json"
    }
    assert set(manifest["files"]) == on_disk
    assert manifest["checksum"] == "xxh3_64"
    facts = manifest["files"]["spelling/postings.npy"]
    assert facts["bytes"] == (tmp_path / "spelling" / "postings.npy").stat().st_size
    assert facts["xxh3_64"] == xxhash.xxh3_64_hexdigest(
        (tmp_path / "spelling" / "postings.npy").read_bytes()
    )


def test_remakes_get_the_year_in_their_label() -> None:
    records = [
        Record("a", "Hamlet", 10.0, MappingProxyType({"year": 1948})),
        Record("b", "Hamlet", 20.0, MappingProxyType({"year": 1996})),
        Record("c", "Heat", 20.0, MappingProxyType({"year": 1995})),
    ]
    index = build_index(records)
    assert index.describe(0).label == "Hamlet (1948)"
    assert index.describe(1).label == "Hamlet (1996)"
    assert index.describe(2).label == "Heat"


def test_save_atomically_leaves_no_half_index(
    tmp_path: Path, random_index: tuple[list[Record], CatalogIndex]
) -> None:
    _, index = random_index
    target = tmp_path / "cache" / "idx"
    assert index.save_atomically(target) == target
    # A second save (another process racing to the same cache entry) keeps the first copy.
    index.save_atomically(target)
    assert sorted(path.name for path in target.parent.iterdir()) == ["idx"]
    assert CatalogIndex.load(target).title_count == index.title_count


def _varied_records() -> list[Record]:
    """Titles that share long prefixes, repeat, carry aliases and characters beyond ASCII
    (whose UTF-8 bytes and characters differ in count), with metadata of several kinds."""
    rng = random.Random(11)
    words = [*WORDS, "été", "ètre", "straße", "страна", "東京", "amélie", "a", "the"]
    records = []
    for number in range(2500):
        text = " ".join(rng.choices(words, k=rng.randint(1, 6))).title()
        aliases = (f"{text} alias", "日本 " + text) if number % 7 == 0 else ()
        metadata = {"year": 1900 + number % 100, "genres": [rng.choice(WORDS)]}
        if number % 5 == 0:
            metadata["note"] = f"n{number}"
        records.append(
            Record(
                f"t{number}", text, float(rng.randint(0, 50)), MappingProxyType(metadata), aliases
            )
        )
    return records


def test_a_stream_builds_the_index_a_list_builds(tmp_path: Path) -> None:
    records = _varied_records()
    build_index(records).save(tmp_path / "listed")
    build_index(iter(records)).save(tmp_path / "streamed")  # read once, never indexed
    listed = sorted(
        path.relative_to(tmp_path / "listed") for path in (tmp_path / "listed").rglob("*")
    )
    assert listed == sorted(
        path.relative_to(tmp_path / "streamed") for path in (tmp_path / "streamed").rglob("*")
    )
    different = [
        str(name)
        for name in listed
        if (tmp_path / "listed" / name).is_file()
        and name.name != "manifest.json"
        and (tmp_path / "listed" / name).read_bytes() != (tmp_path / "streamed" / name).read_bytes()
    ]
    assert different == []


def test_keys_are_laid_out_in_sorted_order_with_their_ranges() -> None:
    records = _varied_records()
    index = build_index(records)
    keys = sorted(index.keys.keys())
    assert len(keys) == index.info["keys"]
    ends = [int(index.arrays.key_end[index.keys[key]]) for key in keys]
    firsts = [int(index.arrays.key_first[index.keys[key]]) for key in keys]
    # Sorted keys own consecutive entry ranges that tile all entries, in key order.
    assert firsts[0] == 0 and ends[-1] == index.entry_count
    assert all(end == first for end, first in zip(ends, firsts[1:], strict=False))
    # Every wide prefix's range is exactly the entries of the keys starting with it.
    for prefix, row in list(index.wide_prefixes.items())[:200]:
        under = [rank for rank, key in enumerate(keys) if key.startswith(prefix)]
        assert int(index.arrays.wide_first[row]) == firsts[under[0]]
        assert int(index.arrays.wide_end[row]) == ends[under[-1]]


def test_title_initials_are_the_first_characters_of_the_normalized_titles(tmp_path: Path) -> None:
    texts = ["Éclair", "東京物語", "Ωmega", "Zoo", "9 Songs", "", "?", "Ärger", "ärger", "ω"]
    index = build_index([Record(f"t{n}", text, 1.0) for n, text in enumerate(texts)])
    expected = frozenset(normalize(text)[:1] for text in texts) - {""}
    assert expected == {"e", "東", "ω", "z", "9", "a"}  # normalization folds what it can
    assert index.title_initials == expected
    # Read from the saved blob too, where the last title ends the buffer.
    assert CatalogIndex.load(index.save(tmp_path / "saved")).title_initials == expected


def test_prefix_ranges_span_every_key_under_the_prefix(
    random_index: tuple[list[Record], CatalogIndex],
) -> None:
    """``prefix_range`` of a narrow prefix (read from its keys in one loop) is the range from
    the first entry of its keys to the end of the last, for every prefix of every key."""
    _, index = random_index
    first, end = index.arrays.key_first, index.arrays.key_end
    prefixes = {key[:length] for key in index.keys.iterkeys() for length in range(1, len(key) + 1)}
    narrow = 0
    for prefix in sorted(prefixes):
        ids = [key_id for _, key_id in index.keys.items(prefix)]
        expected = (int(first[ids].min()), int(end[ids].max()))
        assert index.prefix_range(prefix) == expected, prefix
        narrow += index.wide_prefixes.get(prefix) is None
    assert narrow > 100
