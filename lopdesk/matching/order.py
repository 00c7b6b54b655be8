"""Each level's strict order of its applicants (domain.md ALC-02, ALC-03) as arrays.

Pure numpy. The order is lexicographic on (level, priority group, rank key, tie-break),
where the tie-break is the lottery then the child's index, on distance levels preceded by
the distance to the millimetre. It is computed with value sorts of packed int64 keys
(numpy sorts plain int64 values several times faster than it argsorts them): the low bits
of a sorted key name an entry of a decode table, so no argsort of a million keys is needed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from lopdesk.matching.arrays import expand, stable_order

if TYPE_CHECKING:
    from lopdesk.matching.core import Problem

# the distance of an application without one, in metres: behind every real distance
UNKNOWN_DISTANCE_M = 1e12


def strict_order(values: np.ndarray, low: np.ndarray | None = None) -> np.ndarray:
    """np.lexsort((low, values)) — by value, ties by `low` (default: the index) — with the
    fast unstable argsort when no two values are equal, which is the usual case for
    lottery numbers."""
    order = np.argsort(values)
    ranked = values[order]
    if ranked.size > 1 and (ranked[1:] == ranked[:-1]).any():
        return np.lexsort((np.arange(values.size) if low is None else low, values))
    return order


def _base_line(p: Problem, spare: int) -> tuple[np.ndarray, np.ndarray]:
    """(line, at): all applications in one line whose order, within every level, is the
    lottery then the child's index, followed by `spare` unset entries; `at` is each
    application's index in that line."""
    a_n = p.n_applications
    line = np.empty(a_n + spare, dtype=np.int64)
    lot = p.child_lottery()
    if np.array_equal(p.app_lottery, lot[p.app_child]):  # single tie-break
        by_child = strict_order(lot)
        counts = np.diff(p.child_start)[by_child]
        expand(p.child_start[by_child], counts, out=line[:a_n])
        shift = np.empty(p.n_children, dtype=np.int64)  # line index minus application index
        shift[by_child] = np.cumsum(counts) - counts - p.child_start[by_child]
        at = shift[p.app_child]
        at += np.arange(a_n)
        return line, at
    line[:a_n] = strict_order(p.app_lottery, p.app_child)  # multiple: one per application
    at = np.empty(a_n, dtype=np.int64)
    at[line[:a_n]] = np.arange(a_n)
    return line, at


def _millimetres(distance: np.ndarray) -> np.ndarray:
    dist = np.nan_to_num(distance, nan=UNKNOWN_DISTANCE_M)
    dist *= 1000
    return np.rint(dist, out=dist).astype(np.int64)


def tie_line(p: Problem) -> tuple[np.ndarray, np.ndarray]:
    """(line, tie): a decode table of applications and each application's index in it,
    such that within every level the tie index orders the applications by the level's
    tie-break: the lottery, then the child's index (which only decides when two lottery
    numbers are exactly equal); on the distance levels the distance to the millimetre
    first (finer differences are noise), then the lottery. The distance applications get
    indices after all others (a level is either on distance or not)."""
    crit = p.level_criterion
    near = np.flatnonzero(((crit == 1) | (crit == 3))[p.app_level])
    a_n = p.n_applications
    line, tie = _base_line(p, near.size)
    if near.size == 0:
        return line, tie
    dist = p.app_distance[near]
    known = ~np.isnan(dist)
    line_bits = max(1, (a_n - 1).bit_length())
    mm = np.zeros(near.size, dtype=np.int64)
    if np.isfinite(dist[known]).all():
        kept = dist[known] * 1000
        mm[known] = np.rint(kept, out=kept)
    top = int(mm.max()) + 1
    if (mm.min() < 0 or top >= UNKNOWN_DISTANCE_M * 1000 or not np.isfinite(dist[known]).all()
            or top.bit_length() + line_bits > 62):  # rare: a stable sort on (mm, line index)
        near = near[np.argsort(tie[near])]
        near = near[stable_order(_millimetres(p.app_distance[near]))]
    else:
        mm[~known] = top  # behind every known distance, as UNKNOWN_DISTANCE_M is
        mm <<= line_bits
        mm |= tie[near]
        mm.sort()
        mm &= (1 << line_bits) - 1
        near = line[mm]
    del mm
    tie[near] = np.arange(a_n, line.size)
    line[a_n:] = near
    return line, tie


def places(p: Problem) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(place, pos, order): each application's 0-based place in its level's strict order,
    its index in the (level, place) order of all applications, and the applications in
    that order. Equivalent to a lexicographic sort on (level, group, rank key, distance,
    lottery, child): one value sort of packed int64 keys (level, group, rank key, tie
    index) orders them."""
    a_n = p.n_applications
    line, tie = tie_line(p)
    crit = p.level_criterion
    key = np.multiply(p.app_rank, ((crit == 2) | (crit == 3))[p.app_level], dtype=np.int64)
    tie_bits = max(1, (line.size - 1).bit_length())
    rank_bits = max(1, int(key.max()).bit_length())
    group_bits = max(1, int(p.app_group.max()).bit_length())
    level_bits = max(1, int(p.n_levels).bit_length())
    if tie_bits + rank_bits + group_bits + level_bits <= 62 and p.app_group.min() >= 0:
        key <<= tie_bits
        key |= tie
        np.left_shift(p.app_group, rank_bits + tie_bits, out=tie, dtype=np.int64)
        key |= tie
        np.left_shift(p.app_level, group_bits + rank_bits + tie_bits, out=tie,
                      dtype=np.int64)
        key |= tie
        del tie
        key.sort()
        key &= (1 << tie_bits) - 1
        order = line[key]
        del key
    else:  # very large inputs: the same order with a lexicographic sort
        order = np.lexsort((tie, key, p.app_group, p.app_level))
    del line
    pos = np.empty(a_n, dtype=np.int64)
    pos[order] = np.arange(a_n)
    place = p.level_starts()[p.app_level]
    np.subtract(pos, place, out=place)
    return place, pos, order
