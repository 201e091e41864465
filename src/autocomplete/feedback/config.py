"""``FeedbackConfig``: every tunable weight and limit of the feedback layer, in one place.

The feedback term of a suggestion's score (see ``autocomplete.rank.scoring``) for a normalized query
``P`` and a title ``d`` is, in nats::

    feedback(P, d) = clip(click(P, d) + explicit(d), -max_demotion, max_boost)

    click(P, d)    = boost_weight * ln(alpha / prior_mean)        (0 with no evidence)
    alpha          = (C+ + a) / (V + C- + a + b)
    a              = prior_mean * prior_strength,   b = prior_strength - a
    explicit(d)    = explicit_weight * ln((L + explicit_prior) / (D + explicit_prior))

where every contribution below is decayed by ``2 ** (-age / half_life_s)``:

* ``C+`` is the click credit. A click at 1-based position ``p`` of the list shown for ``q``
  earns ``min(p ** propensity_exponent, max_click_weight)`` at ``q`` itself: the inverse of the
  examination propensity ``theta_p = p ** -propensity_exponent`` of the position-based click
  model, clipped (inverse propensity weighting as in Joachims, Swaminathan & Schnabel 2017,
  "Unbiased learning-to-rank with biased feedback", whose experiments use the same
  ``(1/p) ** eta`` curve; Joachims et al. 2005 saw attention fall that steeply with rank in eye
  tracking). So a click at rank 8 counts up to ``max_click_weight`` times one at rank 1.
* Clicks generalize to the shorter prefixes of ``q``: a prefix ``k`` characters shorter gets
  ``prefix_decay ** k`` of a click and of a view (no position weight: the position was for
  ``q``'s list), down to ``min_prefix_chars`` and while the weight is at least
  ``min_prefix_weight``. Queries longer than ``max_prefix_chars`` are neither learned from nor
  boosted, which bounds the key space.
* ``V`` is views: every title listed in the impression the click answered gets one view at
  ``q`` (a title shown and passed over is evidence against it); at each shorter prefix the
  session typed on its way to ``q``, the titles it was shown there (if that impression was
  recorded) and the clicked title get that prefix's weight. Lists of a session that never
  clicks teach nothing: abandoning is not a judgement of the titles shown.
* ``C-`` is negative credit: a click with a dwell under ``short_dwell_ms`` earns
  ``short_dwell_weight`` instead of 1 (a negative weight counts its magnitude into ``C-``, a
  positive one is a weak click); an unknown dwell counts as a normal click.
* The Beta(a, b) prior (mean ``prior_mean``, worth ``prior_strength`` views) keeps one click on a
  new title from counting for much: with the defaults one rank-1 click moves a title by about
  0.7 nats, one rank-8 click by 1.6, and a hundred consistent clicks by 4-6.
* ``L`` and ``D`` are the sums of explicit likes and dislikes (ratings scaled into [-1, 1]) of
  ``d``, each session's latest judgement counting once. They apply at every prefix where ``d``
  has click-model evidence (i.e. wherever it has been shown and chosen among).

The served term is then bounded by the *breadth* of its support (``s`` distinct client networks
gave ``(P, d)`` evidence, ``T`` distinct networks sent ``P`` any traffic, both over the last
one to two ``breadth_window_s``; see ``autocomplete.feedback.breadth``)::

    |feedback(P, d)| <= limit * min(1, s / (breadth_min_clients + breadth_share * T))

with ``limit`` = ``max_boost`` for a lift and ``max_demotion`` for a penalty. So however many
sessions a few networks invent, they move a title by a bounded amount, and the more popular
the prefix the less.

The guard (``autocomplete.feedback.guard``) decides which events count at all, and bounds what
one session can contribute to any (prefix, title): at most one click's credit
(``max_click_weight``) and one view, so one session moves any boost by at most
``boost_weight * ln(1 + max_click_weight / a)`` nats.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

DAY_S = 86_400.0


@dataclass(frozen=True)
class FeedbackConfig:
    # The click model.
    boost_weight: float = 1.5
    """Multiplies ``ln(alpha / prior_mean)``; 1.0 makes the click term a plain log-odds ratio."""
    half_life_s: float = 3 * DAY_S
    """Evidence loses half its weight after this long, so trends rise and fade."""
    prior_mean: float = 0.05
    """Beta prior mean: the click credit per view of a title with no evidence."""
    prior_strength: float = 30.0
    """Beta prior weight, in views: how much evidence it takes to move a title far (30 and
    ``max_click_weight`` 3 were chosen on the simulation, see docs/feedback/results.md)."""
    propensity_exponent: float = 1.0
    """``theta_p = p ** -propensity_exponent``: the chance a user looks at position ``p``."""
    max_click_weight: float = 3.0
    """Clip on a click's inverse-propensity weight, bounding the variance of deep clicks."""
    prefix_decay: float = 0.85
    """Weight kept per character when a click generalizes to a shorter prefix."""
    min_prefix_chars: int = 1
    """Shortest prefix that learns from clicks on longer queries."""
    max_prefix_chars: int = 64
    """Longest query learned from or boosted (bounds the key space)."""
    min_prefix_weight: float = 0.05
    """Generalization stops where a prefix's weight would fall below this."""
    short_dwell_ms: int = 2_000
    """A click followed by less dwell than this is a bounce."""
    short_dwell_weight: float = -0.5
    """What a bounce counts for, in clicks (negative: evidence against the title)."""
    explicit_weight: float = 1.0
    """Multiplies the explicit likes/dislikes log ratio."""
    explicit_prior: float = 1.0
    """Pseudo-count of likes and of dislikes every title starts with."""
    max_boost: float = 6.0
    """Largest feedback term, in nats."""
    max_demotion: float = 3.0
    """Largest feedback penalty, in nats."""
    min_abs_boost: float = 0.05
    """Feedback terms smaller than this (in magnitude) are not served."""
    max_boosted_per_prefix: int = 32
    """Titles served per prefix: this many promoted and this many demoted, strongest first."""

    # Breadth of support (see ``autocomplete.feedback.breadth``).
    breadth_min_clients: float = 10.0
    """Distinct client networks a (prefix, title) needs, at the least, for its full feedback
    term; with fewer the term is scaled down in proportion."""
    breadth_share: float = 0.2
    """...and this share of the distinct networks that sent the prefix any traffic: a popular
    prefix needs a proportionally broader following before a title moves there."""
    breadth_window_s: float = 3 * DAY_S
    """Support counts for two windows of this length (the current and the previous one)."""
    breadth_sketch_size: int = 32
    """Smallest unit hashes a breadth sketch keeps: exact counts below it, about
    ``1 / sqrt(k - 2)`` relative error above (18% at 32)."""
    max_traffic_prefixes: int = 20_000
    """Prefixes whose traffic breadth is kept; beyond it the weaker half is forgotten (a
    forgotten prefix counts as one with little traffic)."""

    # The guard.
    session_ttl_s: float = 1_800.0
    """A session idle this long is closed: its contributions can no longer be revoked."""
    max_clicks_per_session: int = 20
    """Distinct (query, title) clicks one session can contribute; later ones are ignored."""
    bot_clicks: int = 100
    """A session with this many clicks is a bot: everything it contributed is revoked."""
    regular_min_clicks: int = 8
    """Clicks needed before a session's click rhythm is judged."""
    regular_max_cv: float = 0.1
    """Inter-click intervals varying less than this (std / mean) are machine-made: a bot."""
    require_impression: bool = True
    """Ignore clicks that do not match an impression of the same session (query, id, position)."""
    max_unmatched_clicks: int = 3
    """A session with this many clicks matching no impression is a bot."""
    session_events_per_minute: float = 120.0
    """Rate limit per session (token bucket, bursts of one minute's worth); excess is ignored."""
    client_events_per_minute: float = 1_200.0
    """Rate limit per client (IP or API key) over all its sessions (keystrokes included)."""
    client_click_budget: int = 30
    """Clicks one client (all its sessions) can contribute per ``client_vote_window_s``..."""
    client_click_burst: int = 5
    """...of which at most this many at once (a token bucket: a click farm fires in bursts)."""
    max_client_votes_per_key: int = 5
    """Sessions of one client that can click one (query, title) within ``client_vote_window_s``."""
    client_vote_window_s: float = DAY_S
    """Window of ``client_click_budget`` and ``max_client_votes_per_key``."""
    client_bot_sessions: int = 3
    """A client with this many bot sessions is blocked for ``blocked_ttl_s``."""
    blocked_ttl_s: float = DAY_S
    """How long a bot session or blocked client stays ignored."""
    max_open_sessions: int = 5_000
    """Open sessions kept; the least recently seen one beyond it is closed early, as if idle
    (its contributions become permanent), so memory does not grow with invented session ids."""
    max_clients: int = 10_000
    """Clients (addresses, API keys) whose budgets are kept; the least recently seen one beyond
    it is forgotten (and starts afresh if it returns)."""
    max_blocked_sessions: int = 10_000
    """Bot session ids remembered as blocked; the oldest beyond it are forgotten."""

    # Refresh.
    refresh_interval_s: float = 1.0
    """A background thread pulls new events this often; 0 means only explicit ``refresh()``."""
    sweep_prefixes_per_refresh: int = 2_000
    """At most this many prefixes re-scored per refresh for time decay alone."""
    store_retry_s: float = 1.0
    """After the store fails, what needs it is refused at once for this long (the ``Retry-After``
    of the web API's 503), then the store is tried again."""

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if item.type == "bool":
                if not isinstance(value, bool):
                    raise TypeError(f"{item.name} must be a bool, got {type(value).__name__}")
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(f"{item.name} must be a number, got {type(value).__name__}")
            if item.type == "int" and not isinstance(value, int):
                raise TypeError(f"{item.name} must be an int, got {type(value).__name__}")
            if not math.isfinite(value):
                raise ValueError(f"{item.name} must be finite, got {value}")
        self._check_ranges()

    def _check_ranges(self) -> None:
        positive = (
            "boost_weight", "half_life_s", "prior_strength", "max_click_weight",
            "min_prefix_chars", "max_prefix_chars", "min_prefix_weight", "explicit_prior",
            "max_boost", "max_boosted_per_prefix", "session_ttl_s", "max_clicks_per_session",
            "bot_clicks", "regular_min_clicks", "max_unmatched_clicks",
            "session_events_per_minute", "client_events_per_minute", "client_click_budget",
            "client_click_burst",
            "max_client_votes_per_key",
            "client_vote_window_s", "client_bot_sessions", "blocked_ttl_s",
            "sweep_prefixes_per_refresh", "store_retry_s", "breadth_window_s",
            "breadth_sketch_size", "max_traffic_prefixes", "max_open_sessions", "max_clients",
            "max_blocked_sessions",
        )  # fmt: skip
        for name in positive:
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        non_negative = (
            "propensity_exponent", "short_dwell_ms", "explicit_weight", "max_demotion",
            "min_abs_boost", "regular_max_cv", "refresh_interval_s", "breadth_min_clients",
            "breadth_share",
        )  # fmt: skip
        for name in non_negative:
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative, got {getattr(self, name)}")
        if not 0 < self.prior_mean < 1:
            raise ValueError(f"prior_mean must be in (0, 1), got {self.prior_mean}")
        if self.max_click_weight < 1:
            raise ValueError(f"max_click_weight must be at least 1, got {self.max_click_weight}")
        if not 0 < self.prefix_decay <= 1:
            raise ValueError(f"prefix_decay must be in (0, 1], got {self.prefix_decay}")
        if self.min_prefix_weight > 1:
            raise ValueError(f"min_prefix_weight must be at most 1, got {self.min_prefix_weight}")
        if self.min_prefix_chars > self.max_prefix_chars:
            raise ValueError("min_prefix_chars must not exceed max_prefix_chars")
        if not -1 <= self.short_dwell_weight <= 1:
            raise ValueError(
                f"short_dwell_weight must be in [-1, 1], got {self.short_dwell_weight}"
            )
        if self.breadth_sketch_size < 3:
            raise ValueError("breadth_sketch_size must be at least 3")
        if self.regular_min_clicks < 3:
            raise ValueError("regular_min_clicks must be at least 3 (two intervals)")

    @property
    def prior_clicks(self) -> float:
        """``a``: the prior's pseudo-clicks."""
        return self.prior_mean * self.prior_strength

    @property
    def max_session_shift(self) -> float:
        """The most one session can raise any (prefix, title) click term, in nats."""
        return self.boost_weight * math.log1p(self.max_click_weight / self.prior_clicks)
