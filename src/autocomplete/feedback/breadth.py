"""Breadth of support: how many distinct clients stand behind a piece of feedback evidence.

A click farm can invent session ids without end and rotate a few addresses; what it cannot
cheaply multiply is *networks*. So the learner counts, for every (prefix, title) key, the
distinct client units that gave it evidence, and for every prefix the distinct units that
sent it any traffic, and the click model bounds a title's feedback term by the ratio (see
``ClickStats.prefix_boosts`` and the ``breadth_*`` settings of ``FeedbackConfig``).

A *unit* is the client's network: an IPv4 /24 or an IPv6 /64 counts once, whatever the
number of addresses or sessions in it; a client that is not an address (an API key) is its own
unit; an event without a client is counted by its session id (the library's default, where
the application has not said who the user is: there the bound is only as strong as its
session ids are honest).

Counting is done with a *k-minimum-values* sketch (Bar-Yossef et al. 2002; Beyer et al. 2007):
each unit is hashed to 64 bits and a key keeps only the ``k`` smallest hashes it has seen. The
count is exact while fewer than ``k`` units have been seen and an unbiased estimate (error
about ``1 / sqrt(k - 2)``) beyond; repeating a unit never changes it, so one client sending a
thousand events counts as one. A sketch costs at most ``8 * k`` bytes whatever the traffic.

"Over time": a sketch keeps two generations of ``breadth_window_s`` each and counts the units
of the current and the previous one, so support older than two windows no longer counts.
"""

from __future__ import annotations

import hashlib
import ipaddress
import struct
from typing import NamedTuple

HASH_SPACE = float(2**64)
"""Hashes are uniform in [0, 2**64)."""

IPV4_NETWORK_BITS = 24
"""Addresses of one IPv4 /24 are one unit."""

IPV6_NETWORK_BITS = 64
"""Addresses of one IPv6 /64 (one customer's LAN, usually) are one unit."""


def client_unit(client: str | None, session_id: str) -> str:
    """The unit whose breadth an event counts towards: its client's network, else its session.

    >>> client_unit("203.0.113.7", "s1"), client_unit("2001:db8::1", "s1"), client_unit(None, "s1")
    ('net:203.0.113.0/24', 'net:2001:db8::/64', 'session:s1')
    """
    if client is None:
        return "session:" + session_id
    try:
        address = ipaddress.ip_address(client.strip())
    except ValueError:
        return "client:" + client
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    bits = IPV4_NETWORK_BITS if address.version == 4 else IPV6_NETWORK_BITS
    network = ipaddress.ip_network(f"{address}/{bits}", strict=False)
    return f"net:{network}"


def unit_hash(unit: str) -> int:
    """A unit's 64-bit hash: the same in every process, so replays count the same."""
    return int.from_bytes(hashlib.blake2b(unit.encode(), digest_size=8).digest(), "big")


class Sketch(NamedTuple):
    """The k smallest unit hashes seen in generation ``epoch`` and in the one before it.

    Immutable: ``add`` returns the new sketch (or the same one when nothing changed). Each
    generation is its sorted hashes packed as big-endian 8-byte words: a full sketch of
    ``k = 32`` costs about 600 bytes, and bytes are never tracked by the cycle collector.
    """

    epoch: int
    current: bytes
    previous: bytes


EMPTY = Sketch(0, b"", b"")


def _unpack(packed: bytes) -> tuple[int, ...]:
    return struct.unpack(f">{len(packed) // 8}Q", packed)


def _pack(hashes: list[int]) -> bytes:
    return struct.pack(f">{len(hashes)}Q", *hashes)


def add(sketch: Sketch, hashed: int, epoch: int, k: int) -> Sketch:
    """``sketch`` having also seen the unit hashed to ``hashed`` in generation ``epoch``."""
    sketch = roll(sketch, epoch)
    current = sketch.current
    if len(current) >= 8 * k and hashed >= int.from_bytes(current[-8:], "big"):
        return sketch  # not among the k smallest: the common case at busy keys
    hashes = _unpack(current)
    if hashed in hashes:
        return sketch
    merged = sorted((*hashes, hashed))[:k]
    return Sketch(sketch.epoch, _pack(merged), sketch.previous)


def roll(sketch: Sketch, epoch: int) -> Sketch:
    """``sketch`` as seen from generation ``epoch`` (older generations dropped)."""
    if epoch <= sketch.epoch:
        return sketch
    if epoch == sketch.epoch + 1:
        return Sketch(epoch, b"", sketch.current)
    return Sketch(epoch, b"", b"")


def estimate(sketch: Sketch, epoch: int, k: int) -> float:
    """Distinct units seen in generation ``epoch`` and the one before it."""
    sketch = roll(sketch, epoch)
    if not sketch.previous:
        union = _unpack(sketch.current)
    else:
        union = tuple(sorted(set(_unpack(sketch.current)).union(_unpack(sketch.previous)))[:k])
    if len(union) < k:
        return float(len(union))
    return (k - 1) / ((union[-1] + 1) / HASH_SPACE)


def synthetic(count: float, epoch: int, k: int) -> Sketch:
    """A sketch whose estimate is about ``count``: for sums restored from compacted aggregates,
    whose units are no longer known."""
    whole = max(round(count), 0)
    if whole == 0:
        return Sketch(epoch, b"", b"")
    if whole < k:
        # Hashes in the upper half of the space, away from where most real units land.
        step = (2**63) // whole
        return Sketch(epoch, _pack([2**63 + step * index for index in range(whole)]), b"")
    spacing = int(HASH_SPACE / whole)
    return Sketch(epoch, _pack([spacing * (index + 1) - 1 for index in range(k)]), b"")
