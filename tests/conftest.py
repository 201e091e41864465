from __future__ import annotations

from pathlib import Path

import pytest

from autocomplete import Autocomplete

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def small_engine() -> Autocomplete:
    """A hand-made catalog with the cases the bundled (ASCII) catalog cannot show."""
    return Autocomplete.from_catalog(
        FIXTURES / "engine_catalog.jsonl",
        weight_field="votes",
        id_field="id",
        alias_field="aliases",
    )


@pytest.fixture(scope="session")
def movies() -> Autocomplete:
    """The bundled movie catalog (index built once per test session, then cached)."""
    return Autocomplete()
