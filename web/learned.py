"""What click feedback has taught the engine about a prefix, as the API and the page show it."""

from __future__ import annotations

import math
from typing import Any

from autocomplete import Autocomplete

REFRESH_WAIT_S = 0.3
"""Longest wait for the background refresh before answering from what it has published (the
request then makes no store call of its own, so a hung store cannot hold it)."""


def learned_titles(engine: Autocomplete, prefix: str, k: int) -> list[dict[str, Any]]:
    """The titles feedback moves most for ``prefix``, most lifted first.

    Raises ``StoreUnavailableError`` while the click store is down (see
    ``FeedbackLayer.health``).

    ``boost`` is the feedback term added to a title's score, in nats; ``lift`` is ``e ** boost``,
    the factor by which feedback multiplies the title's odds of being the one meant (above 1 for
    a title people chose, below 1 for one they passed over).
    """
    titles: list[dict[str, Any]] = []
    for view, boost in engine.learned(prefix, k, refresh_wait_s=REFRESH_WAIT_S):
        titles.append(
            {
                "text": view.text,
                "id": view.id,
                "label": view.label,
                "boost": round(boost, 3),
                "lift": round(math.exp(boost), 2),
            }
        )
    return titles
