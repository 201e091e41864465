"""Many short byte strings held in one buffer, sorted and compared in NumPy.

The index build makes tens of millions of keys (one per way of reaching a title). As Python
strings in a dict of lists they take a few hundred bytes each and sort at Python speed; here
they are one ``uint8`` buffer plus start and length columns (about 13 bytes of overhead each),
and every step below is a handful of whole-array NumPy passes.

Keys are UTF-8, and UTF-8 orders bytewise exactly as its code points do, so sorting the bytes
gives the order ``sorted()`` gives the ``str`` keys. Strings are compared 8 bytes at a time,
read big-endian as one ``uint64`` and padded with zero bytes past their end; that is only
sound for strings without a zero byte, which normalized keys never hold (``normalize`` keeps
letters, digits and single spaces; initials keys start with ``\\x01``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

WORD_BYTES = 8
"""Bytes compared per sorting round (one ``uint64``)."""

DECODE_CHUNK = 1 << 18
"""Strings gathered and decoded to ``str`` at a time: bounds the temporary copies."""

SEPARATOR = 10
"""The byte (``\\n``) that ends every string in the buffer; no normalized key holds it."""

Bytes = npt.NDArray[np.uint8]
Positions = npt.NDArray[np.int64]


@dataclass(frozen=True)
class ByteStrings:
    """Strings ``buffer[starts[i] : starts[i] + lengths[i]]``, each followed by ``SEPARATOR``."""

    buffer: Bytes  # ends with WORD_BYTES zero bytes, so any word read stays inside it
    starts: Positions
    lengths: Positions

    @classmethod
    def from_separated(cls, data: bytes | bytearray) -> ByteStrings:
        """The strings of ``data``, each of which ends with one ``SEPARATOR`` byte."""
        buffer = np.zeros(len(data) + WORD_BYTES, dtype=np.uint8)
        buffer[: len(data)] = np.frombuffer(data, dtype=np.uint8)
        ends = np.flatnonzero(buffer[: len(data)] == SEPARATOR)
        starts = np.empty(len(ends), dtype=np.int64)
        starts[:1] = 0
        starts[1:] = ends[:-1] + 1
        return cls(buffer, starts, ends - starts)

    def __len__(self) -> int:
        return len(self.starts)

    def words(self, items: Positions, offset: int) -> npt.NDArray[np.uint64]:
        """Bytes ``[offset, offset + 8)`` of each string ``items``, big-endian, zero-padded."""
        window = np.lib.stride_tricks.sliding_window_view(self.buffer, WORD_BYTES)
        # Exhausted strings are all padding; clipping keeps their reads inside the buffer.
        rows = window[np.minimum(self.starts[items] + offset, len(window) - 1)]
        rows[np.arange(WORD_BYTES) >= (self.lengths[items] - offset)[:, None]] = 0
        return rows.view(">u8").ravel().astype(np.uint64)

    def sort(self, order: Positions) -> tuple[Positions, npt.NDArray[np.bool_]]:
        """``order`` (a permutation of the strings) stably sorted by string; and for each
        sorted position whether its string differs from the previous one (a new distinct key).

        Most-significant-word first: all strings are ordered by their first 8 bytes, then only
        the runs still tied are ordered by their next 8, and so on; a run ends when its strings
        differ or are all used up (then they are equal).
        """
        order = order.copy()
        count = len(order)
        boundary = np.zeros(count, dtype=np.bool_)
        boundary[:1] = True
        pending = np.arange(count, dtype=np.int64)  # sorted positions in still-tied runs
        offset = 0
        while len(pending):
            items = order[pending]
            groups = np.cumsum(boundary)[pending]
            words = self.words(items, offset)
            resorted = np.lexsort((words, groups))
            items = items[resorted]
            words = words[resorted]
            order[pending] = items
            changed = np.empty(len(pending), dtype=np.bool_)
            changed[:1] = False
            changed[1:] = words[1:] != words[:-1]
            boundary[pending[changed]] = True
            offset += WORD_BYTES
            # A run stays tied while it has two strings or more and some are longer still.
            groups = np.cumsum(boundary)[pending]
            run_starts = np.flatnonzero(np.diff(groups, prepend=-1))
            run_sizes = np.diff(np.append(run_starts, len(pending)))
            longer = np.maximum.reduceat(self.lengths[items] > offset, run_starts)
            pending = pending[np.repeat((run_sizes > 1) & longer, run_sizes)]
        return order, boundary

    def common_prefix_bytes(self, left: Positions, right: Positions) -> Positions:
        """How many leading bytes each pair of strings ``left[i]``, ``right[i]`` share."""
        shared = np.zeros(len(left), dtype=np.int64)
        pending = np.arange(len(left), dtype=np.int64)
        offset = 0
        window = np.lib.stride_tricks.sliding_window_view(self.buffer, WORD_BYTES)
        while len(pending):
            rows = []
            for side in (left[pending], right[pending]):
                row = window[np.minimum(self.starts[side] + offset, len(window) - 1)]
                row[np.arange(WORD_BYTES) >= (self.lengths[side] - offset)[:, None]] = 0
                rows.append(row)
            equal = rows[0] == rows[1]
            same = np.where(equal.all(axis=1), WORD_BYTES, np.argmin(equal, axis=1))
            limit = np.minimum(self.lengths[left[pending]], self.lengths[right[pending]])
            shared[pending] = np.minimum(offset + same, limit)
            offset += WORD_BYTES
            pending = pending[(same == WORD_BYTES) & (limit > offset)]
        return shared

    def is_ascii(self) -> bool:
        return bool(len(self.buffer) == 0 or self.buffer.max() < 0x80)

    def non_ascii(self) -> npt.NDArray[np.bool_]:
        """Per string: it holds a byte >= 0x80 (a character beyond ASCII)."""
        high = np.concatenate(([0], np.cumsum(self.buffer >= 0x80, dtype=np.int64)))
        found: npt.NDArray[np.bool_] = high[self.starts + self.lengths] > high[self.starts]
        return found

    def decoded(self, items: Positions) -> Iterator[str]:
        """The strings ``items`` as ``str``, in that order, decoded ``DECODE_CHUNK`` at a time."""
        for first in range(0, len(items), DECODE_CHUNK):
            chunk = items[first : first + DECODE_CHUNK]
            # Each string with its separator: one gather, one decode, one split per chunk.
            sizes = self.lengths[chunk] + 1
            ends = np.cumsum(sizes)
            gather = np.arange(int(ends[-1]), dtype=np.int64) + np.repeat(
                self.starts[chunk] - (ends - sizes), sizes
            )
            text = self.buffer[gather].tobytes().decode("utf-8")
            yield from text.split("\n")[:-1]
