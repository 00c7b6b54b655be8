"""Small array helpers of the allocation engine: runs of equal keys, ranges, stable orders.

Pure numpy, shared by the engine's modules."""

from __future__ import annotations

import numpy as np


def group_starts(sorted_keys: np.ndarray) -> np.ndarray:
    """For a sorted key array, the index where each element's run of equal keys begins."""
    n = sorted_keys.size
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    new = np.ones(n, dtype=bool)
    new[1:] = sorted_keys[1:] != sorted_keys[:-1]
    idx = np.where(new, np.arange(n), 0)
    return np.maximum.accumulate(idx)


def runs(sorted_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For a sorted key array: the distinct keys, where each run starts, each run's length."""
    if sorted_keys.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    new = np.empty(sorted_keys.size, dtype=bool)
    new[0] = True
    np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=new[1:])
    first = np.flatnonzero(new)
    counts = np.diff(np.append(first, sorted_keys.size))
    return sorted_keys[first], first, counts


def expand(starts: np.ndarray, counts: np.ndarray, out: np.ndarray | None = None
           ) -> np.ndarray:
    """The concatenated ranges [start, start + count) for each pair, as one int64 array
    (written into `out` when given)."""
    counts = counts.astype(np.int64)
    offsets = np.asarray(starts, dtype=np.int64) - (np.cumsum(counts) - counts)
    return np.add(np.repeat(offsets, counts), np.arange(int(counts.sum()), dtype=np.int64),
                  out=out)


def stable_order(values: np.ndarray) -> np.ndarray:
    """np.argsort(values, kind="stable") for int64 values, as one value sort with the index
    packed into the low bits when the values are non-negative and small enough."""
    n = values.size
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    index_bits = max(1, (n - 1).bit_length())
    if values.min() < 0 or int(values.max()).bit_length() + index_bits > 62:
        return np.argsort(values, kind="stable")
    packed = values << index_bits
    packed |= np.arange(n, dtype=np.int64)
    packed.sort()
    packed &= (1 << index_bits) - 1
    return packed
