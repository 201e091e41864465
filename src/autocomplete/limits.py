"""Limits and defaults, in one place so that every module enforces the same bounds."""

from __future__ import annotations

DEFAULT_K = 10
"""Suggestions returned when the caller does not say how many."""

MAX_K = 100
"""Largest ``k`` accepted by ``suggest``; bigger requests are a caller bug, not a wish."""

MAX_QUERY_CHARS = 200
"""Normalized queries are cut to this many characters (no title prefix is longer in practice)."""

MAX_RAW_QUERY_CHARS = 1_000
"""Raw input read before normalizing, so a 100,000-character query costs no more than this."""

PRECOMPUTED_TOP = 32
"""Suggestions stored for every wide prefix; a larger ``k`` there falls back to a range scan."""

WIDE_PREFIX_ENTRIES = 16
"""A prefix matching more index entries than this gets a precomputed top list."""
