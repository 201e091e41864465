"""The click model: position-debiased, Beta-smoothed, decayed click evidence -> log boosts.

This module turns accepted events into evidence and evidence into boosts; which events are
accepted, and how much one session may contribute, is the guard's and the learner's business.
The formula and its defaults are documented in ``autocomplete.feedback.config``.

References: reading clicks relative to the titles passed over and the position curve of
examination (Joachims, Granka, Pan, Hembrooke & Gay 2005, "Accurately interpreting clickthrough
data as implicit feedback"); the position-based and cascade click models (Craswell, Zoeter,
Taylor & Ramsey 2008) and the DBN model (Chapelle & Zhang 2009), of which the position-based
one is used here; inverse propensity weighting of clicks (Joachims, Swaminathan & Schnabel
2017, "Unbiased learning-to-rank with biased feedback").

Decay is kept cheap by storing every sum in *reference units*: a contribution ``x`` made at time
``t`` is stored as ``x * 2 ** ((t - origin) / half_life)``, so sums are never rewritten as time
passes; reading at time ``now`` multiplies by ``2 ** (-(now - origin) / half_life)``. When the
exponent grows large the origin is moved forward (``rebase``) and every sum rescaled once.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping

from autocomplete.feedback import breadth
from autocomplete.feedback.aggregates import Aggregates, ExplicitStats, KeyStats
from autocomplete.feedback.breadth import Sketch
from autocomplete.feedback.config import FeedbackConfig

REBASE_HALF_LIVES = 256.0
"""Move the origin forward once the reference scale exceeds ``2 ** REBASE_HALF_LIVES``."""

PRUNE_BELOW = 1e-4
"""Evidence decayed below this (in views and clicks) is forgotten when its prefix is swept."""


def propensity(position: int, config: FeedbackConfig) -> float:
    """``theta_p``: the chance that a user examines 1-based ``position``."""
    return math.pow(position, -config.propensity_exponent)


def click_credit(position: int, dwell_ms: int | None, config: FeedbackConfig) -> float:
    """A click's signed credit at the query it was made on (inverse propensity, dwell-weighted).

    Negative for a bounce (its magnitude is then counted against the title, without a position
    weight: a bounce at any rank says the same).
    """
    dwell = dwell_weight(dwell_ms, config)
    if dwell < 0:
        return dwell
    return dwell * min(1.0 / propensity(position, config), config.max_click_weight)


def dwell_weight(dwell_ms: int | None, config: FeedbackConfig) -> float:
    """1 for a click that held the user (or of unknown dwell), ``short_dwell_weight`` if not."""
    if dwell_ms is None or dwell_ms >= config.short_dwell_ms:
        return 1.0
    return config.short_dwell_weight


def prefix_weights(query: str, config: FeedbackConfig) -> list[tuple[str, float]]:
    """``query`` with weight 1, then its shorter prefixes with their decaying weights.

    Empty for queries outside ``[min_prefix_chars, max_prefix_chars]``; blank prefixes and
    prefixes that only differ by a trailing space from a longer one are still distinct keys
    (the engine treats "the big " and "the big" differently).
    """
    if not config.min_prefix_chars <= len(query) <= config.max_prefix_chars or not query.strip():
        return []
    found = [(query, 1.0)]
    weight = 1.0
    for length in range(len(query) - 1, config.min_prefix_chars - 1, -1):
        weight *= config.prefix_decay
        if weight < config.min_prefix_weight:
            break
        prefix = query[:length]
        if prefix.strip():
            found.append((prefix, weight))
    return found


def click_boost(positive: float, negative: float, views: float, config: FeedbackConfig) -> float:
    """The click term in nats for decayed sums ``C+``, ``C-`` and ``V`` (unclipped)."""
    prior_clicks = config.prior_clicks
    alpha = (positive + prior_clicks) / (views + negative + config.prior_strength)
    return config.boost_weight * math.log(alpha / config.prior_mean)


def explicit_boost(likes: float, dislikes: float, config: FeedbackConfig) -> float:
    """The explicit term in nats for decayed sums of likes ``L`` and dislikes ``D``."""
    prior = config.explicit_prior
    return config.explicit_weight * math.log((likes + prior) / (dislikes + prior))


def feedback_boost(click: float, explicit: float, config: FeedbackConfig) -> float:
    """The served feedback term: the sum of both, clipped to the configured bounds."""
    return min(max(click + explicit, -config.max_demotion), config.max_boost)


def breadth_factor(support: float, traffic: float, config: FeedbackConfig) -> float:
    """The share of its full feedback term a (prefix, title) may have: ``support`` distinct
    networks gave it evidence, ``traffic`` distinct networks used the prefix."""
    needed = config.breadth_min_clients + config.breadth_share * traffic
    if needed <= 0 or support >= needed:
        return 1.0
    return support / needed


def select_served(boosts: Mapping[str, float], limit: int) -> dict[str, float]:
    """The ``limit`` strongest promotions and ``limit`` strongest demotions of ``boosts``."""
    promoted = [(boost, item) for item, boost in boosts.items() if boost > 0]
    demoted = [(-boost, item) for item, boost in boosts.items() if boost < 0]
    if len(promoted) > limit:
        promoted = heapq.nlargest(limit, promoted)
    if len(demoted) > limit:
        demoted = heapq.nlargest(limit, demoted)
    served = {item: boost for boost, item in promoted}
    served.update((item, -boost) for boost, item in demoted)
    return served


LINK = "\x00"
"""Separates the prefixes in a title's reverse-link string (queries never contain it)."""


class ClickStats:
    """Decayed evidence sums per (prefix, title) and per title, and the boosts they give.

    Not thread-safe: one learner owns it.

    Every sum is a float in a dict keyed by strings, and a title's reverse links are one string:
    such dicts are never tracked by CPython's cycle collector, and updating them allocates no
    tracked object. A model of millions of keys updated a thousand times a second therefore
    neither triggers nor lengthens full collections, which pause every thread (``suggest``
    included).
    """

    def __init__(self, config: FeedbackConfig, origin: float) -> None:
        self._config = config
        self._origin = origin
        self._rate = math.log(2.0) / config.half_life_s
        # prefix -> title -> sum; negative credit is sparse (only bounces have it).
        self._views: dict[str, dict[str, float]] = {}
        self._positive: dict[str, dict[str, float]] = {}
        self._negative: dict[str, dict[str, float]] = {}
        self._likes: dict[str, float] = {}
        self._dislikes: dict[str, float] = {}
        self._prefixes_of: dict[str, str] = {}
        self._touched: set[str] = set()
        # Breadth sketches: prefix -> title -> units with evidence; prefix -> units with traffic.
        self._support: dict[str, dict[str, Sketch]] = {}
        self._traffic: dict[str, Sketch] = {}

    @property
    def origin(self) -> float:
        return self._origin

    def scale(self, timestamp: float) -> float:
        """The reference-unit multiplier of a contribution made at ``timestamp``."""
        return math.exp(self._rate * (timestamp - self._origin))

    def needs_rebase(self, now: float) -> bool:
        return (now - self._origin) * self._rate > REBASE_HALF_LIVES * math.log(2.0)

    def rebase(self, now: float) -> float:
        """Move the origin to ``now``; returns the factor the stored sums were scaled by."""
        factor = 1.0 / self.scale(now)
        for table in (self._views, self._positive, self._negative):
            for sums in table.values():
                for item, value in sums.items():
                    sums[item] = value * factor
        for flat in (self._likes, self._dislikes):
            for item, value in flat.items():
                flat[item] = value * factor
        self._origin = now
        return factor

    # Updates (reference units) ---------------------------------------------------------------

    def add_key(
        self, prefix: str, item: str, positive: float, negative: float, views: float
    ) -> None:
        viewed = self._views.get(prefix)
        if viewed is None:
            viewed = self._views[prefix] = {}
            self._positive[prefix] = {}
            self._negative[prefix] = {}
        old_views = viewed.get(item)
        if old_views is None:
            old_views = 0.0
            links = self._prefixes_of.get(item)
            self._prefixes_of[item] = prefix if links is None else links + LINK + prefix
        # Revoking a contribution subtracts what was added; clamp the rounding residue.
        views += old_views
        viewed[item] = views if views > 0.0 else 0.0
        if positive:
            clicked = self._positive[prefix]
            positive += clicked.get(item, 0.0)
            clicked[item] = positive if positive > 0.0 else 0.0
        if negative:
            bounced = self._negative[prefix]
            negative += bounced.get(item, 0.0)
            bounced[item] = negative if negative > 0.0 else 0.0
        self._touched.add(prefix)

    def add_explicit(self, item: str, likes: float, dislikes: float) -> None:
        self._likes[item] = max(self._likes.get(item, 0.0) + likes, 0.0)
        self._dislikes[item] = max(self._dislikes.get(item, 0.0) + dislikes, 0.0)
        links = self._prefixes_of.get(item)
        if links is not None:
            self._touched.update(links.split(LINK))

    def epoch(self, timestamp: float) -> int:
        """The breadth generation ``timestamp`` falls in."""
        return math.floor(timestamp / self._config.breadth_window_s)

    def add_support(self, prefix: str, item: str, unit: int, timestamp: float) -> None:
        """Count unit (hashed) among the networks that gave (``prefix``, ``item``) evidence."""
        supported = self._support.get(prefix)
        if supported is None:
            supported = self._support[prefix] = {}
        old = supported.get(item, breadth.EMPTY)
        new = breadth.add(old, unit, self.epoch(timestamp), self._config.breadth_sketch_size)
        if new is not old:
            supported[item] = new
            self._touched.add(prefix)

    def add_traffic(self, prefix: str, unit: int, timestamp: float) -> None:
        """Count unit (hashed) among the networks that used ``prefix``."""
        traffic = self._traffic
        old = traffic.get(prefix, breadth.EMPTY)
        new = breadth.add(old, unit, self.epoch(timestamp), self._config.breadth_sketch_size)
        if new is old:
            return
        traffic[prefix] = new
        if prefix in self._views:
            self._touched.add(prefix)
        if len(traffic) > self._config.max_traffic_prefixes:
            self._forget_weak_traffic(timestamp)

    def _forget_weak_traffic(self, now: float) -> None:
        """Keep the busier half of the prefixes' traffic sketches (the ones the bound needs)."""
        epoch, k = self.epoch(now), self._config.breadth_sketch_size
        ranked = sorted(
            self._traffic, key=lambda prefix: breadth.estimate(self._traffic[prefix], epoch, k)
        )
        for prefix in ranked[: len(ranked) // 2]:
            del self._traffic[prefix]

    def support(self, prefix: str, item: str, now: float) -> float:
        """Distinct networks (estimated) that gave (``prefix``, ``item``) evidence lately."""
        sketch = self._support.get(prefix, {}).get(item)
        if sketch is None:
            return 0.0
        return breadth.estimate(sketch, self.epoch(now), self._config.breadth_sketch_size)

    def traffic(self, prefix: str, now: float) -> float:
        """Distinct networks (estimated) that used ``prefix`` lately."""
        sketch = self._traffic.get(prefix)
        if sketch is None:
            return 0.0
        return breadth.estimate(sketch, self.epoch(now), self._config.breadth_sketch_size)

    @property
    def traffic_prefixes(self) -> int:
        return len(self._traffic)

    def take_touched(self) -> set[str]:
        """The prefixes whose evidence changed since the last call."""
        touched, self._touched = self._touched, set()
        return touched

    # Reading -----------------------------------------------------------------------------------

    def prefixes(self) -> list[str]:
        return list(self._views)

    @property
    def prefix_count(self) -> int:
        return len(self._views)

    def __len__(self) -> int:
        """The number of (prefix, title) keys with evidence."""
        return sum(len(viewed) for viewed in self._views.values())

    def prefix_boosts(self, prefix: str, now: float) -> dict[str, float]:
        """Every title with evidence under ``prefix`` and its feedback term at ``now``.

        Each term is scaled by ``breadth_factor`` of its support and the prefix's traffic.
        Terms smaller than ``min_abs_boost`` are left out; evidence decayed to nothing is
        forgotten on the way.
        """
        viewed = self._views.get(prefix)
        if not viewed:
            return {}
        clicked = self._positive[prefix]
        bounced = self._negative[prefix]
        config = self._config
        decay = 1.0 / self.scale(now)
        prune_below = PRUNE_BELOW / decay
        likes, dislikes = self._likes, self._dislikes
        supported = self._support.get(prefix, {})
        epoch, k = self.epoch(now), config.breadth_sketch_size
        traffic = self.traffic(prefix, now)
        boosts: dict[str, float] = {}
        forgotten: list[str] = []
        for item, views in viewed.items():
            positive = clicked.get(item, 0.0)
            negative = bounced.get(item, 0.0)
            if views < prune_below and positive < prune_below and negative < prune_below:
                forgotten.append(item)
                continue
            click = click_boost(positive * decay, negative * decay, views * decay, config)
            liked = likes.get(item)
            judged = (
                0.0
                if liked is None
                else explicit_boost(liked * decay, dislikes[item] * decay, config)
            )
            boost = feedback_boost(click, judged, config)
            sketch = supported.get(item)
            support = 0.0 if sketch is None else breadth.estimate(sketch, epoch, k)
            boost *= breadth_factor(support, traffic, config)
            if abs(boost) >= config.min_abs_boost:
                boosts[item] = boost
        for item in forgotten:
            self._forget(prefix, item)
        if not viewed:
            del self._views[prefix], self._positive[prefix], self._negative[prefix]
            self._support.pop(prefix, None)
        return boosts

    def _forget(self, prefix: str, item: str) -> None:
        del self._views[prefix][item]
        self._positive[prefix].pop(item, None)
        self._negative[prefix].pop(item, None)
        supported = self._support.get(prefix)
        if supported is not None:
            supported.pop(item, None)
        links = self._prefixes_of.get(item)
        if links is not None:
            kept = [other for other in links.split(LINK) if other != prefix]
            if kept:
                self._prefixes_of[item] = LINK.join(kept)
            else:
                del self._prefixes_of[item]

    # Compaction --------------------------------------------------------------------------------

    def to_aggregates(self, now: float, through_seq: int) -> Aggregates:
        """The sums decayed to ``now``, as a document a store can keep."""
        decay = 1.0 / self.scale(now)
        keys: dict[tuple[str, str], KeyStats] = {}
        for prefix, viewed in self._views.items():
            clicked, bounced = self._positive[prefix], self._negative[prefix]
            for item, views in viewed.items():
                keys[prefix, item] = (
                    clicked.get(item, 0.0) * decay,
                    bounced.get(item, 0.0) * decay,
                    views * decay,
                )
        explicit: dict[str, ExplicitStats] = {
            item: (liked * decay, self._dislikes[item] * decay)
            for item, liked in self._likes.items()
        }
        support = {key: self.support(*key, now) for key in keys}
        traffic = {prefix: self.traffic(prefix, now) for prefix in self._traffic}
        return Aggregates(now, through_seq, keys, explicit, support, traffic)

    def add_aggregates(self, aggregates: Aggregates) -> None:
        """Fold compacted sums in (they were decayed to ``aggregates.as_of``)."""
        scale = self.scale(aggregates.as_of)
        for (prefix, item), (positive, negative, views) in aggregates.keys.items():
            self.add_key(prefix, item, positive * scale, negative * scale, views * scale)
        for item, (likes, dislikes) in aggregates.explicit.items():
            self.add_explicit(item, likes * scale, dislikes * scale)
        # The units behind compacted evidence are gone: sketches of the same counts stand in.
        # Aggregates from before breadth was counted carry none; their views (one per session
        # in that model) stand in for support.
        epoch, k = self.epoch(aggregates.as_of), self._config.breadth_sketch_size
        support = aggregates.support
        if support is None:
            support = {key: views for key, (_, _, views) in aggregates.keys.items()}
        for (prefix, item), count in support.items():
            self._support.setdefault(prefix, {})[item] = breadth.synthetic(count, epoch, k)
        for prefix, count in (aggregates.traffic or {}).items():
            self._traffic[prefix] = breadth.synthetic(count, epoch, k)
