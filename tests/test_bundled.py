from __future__ import annotations

from pathlib import Path

import pytest

from autocomplete.index.bundled import bundled_index, cache_directory


def test_bundled_index_is_cached_and_stale_copies_go(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUTOCOMPLETE_CACHE_DIR", str(tmp_path))
    assert cache_directory() == tmp_path
    stale = tmp_path / "movies-0000-v0-w48-t32"
    stale.mkdir()
    first = bundled_index()
    cached = [path.name for path in tmp_path.iterdir()]
    assert len(cached) == 1 and cached[0].startswith("movies-") and cached[0] != stale.name
    # The second start maps the cached copy instead of building again.
    built_at = first.info["build_seconds"]
    second = bundled_index()
    assert second.title_count == first.title_count == 58_788
    assert second.info["build_seconds"] == built_at
    assert [path.name for path in tmp_path.iterdir()] == cached
