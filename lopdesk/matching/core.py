"""Child-proposing deferred acceptance with priority groups, reserved seats and tie-breaks.

Pure numpy on arrays (domain.md ALC-01..04): no files, no database, no Textual.

Applications are rows (child, level, choice rank, priority group, distance, lottery),
sorted by child then choice rank. Each level orders its applicants strictly once
(`place`): priority group, then its criterion, then the lottery, then the child's index
(which only decides when two lottery numbers are exactly equal). The level's choice
function applies that order phase by phase so that reserved seats are topped up *inside*
the deferred acceptance (ALC-04), never in a second pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

ENGINE_VERSION = "lopdesk-da 1.0.0"

PRIORITY_FIRST, CONTINGENT = 0, 1


@dataclass
class Problem:
    """An allocation problem as arrays. A = applications, n = children, m = levels."""

    n_children: int
    n_levels: int
    app_child: np.ndarray  # int64[A], sorted by child then rank
    app_level: np.ndarray  # int64[A]
    app_rank: np.ndarray  # int64[A], the child's choice rank (1 = first choice)
    app_group: np.ndarray  # int64[A], 0 = strongest group the level honours; larger = weaker
    app_priority: np.ndarray  # bool[A], in a priority group the level honours
    app_distance: np.ndarray  # float64[A], NaN when unknown
    app_lottery: np.ndarray  # float64[A] in [0,1): the child's number (single) or per level
    child_indicator: np.ndarray  # bool[n]
    level_capacity: np.ndarray  # int64[m]
    level_reserved_indicator: np.ndarray  # int64[m]
    level_reserved_non_indicator: np.ndarray  # int64[m]
    level_precedence: np.ndarray  # int64[m]: PRIORITY_FIRST or CONTINGENT
    level_criterion: np.ndarray  # int64[m]: index into codes.CRITERIA

    def __post_init__(self) -> None:
        counts = np.bincount(self.app_child, minlength=self.n_children)
        self.child_start = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
        self.app_indicator = self.child_indicator[self.app_child]

    def sort_key(self, place: np.ndarray) -> np.ndarray:
        """One int64 per application ordering by (level, place): cached for the run."""
        cached = getattr(self, "_sort_key", None)
        if cached is None or cached[0] is not place:
            key = self.app_level * np.int64(max(self.n_applications, 1)) + place
            self._sort_key = (place, key)
            return key
        return cached[1]

    @property
    def n_applications(self) -> int:
        return int(self.app_child.shape[0])

    def criterion_keys(self) -> tuple[np.ndarray, np.ndarray]:
        """(rank key, distance key) per application, zero where the level does not use them."""
        crit = self.level_criterion[self.app_level]
        uses_rank = (crit == 2) | (crit == 3)
        uses_distance = (crit == 1) | (crit == 3)
        rank_key = np.where(uses_rank, self.app_rank, 0)
        dist = np.nan_to_num(self.app_distance, nan=np.inf)
        dist_key = np.where(uses_distance, dist, 0.0)
        return rank_key, dist_key

    def places(self) -> np.ndarray:
        """Each application's 0-based place in its level's strict order (ALC-02, ALC-03).

        Equivalent to a lexicographic sort on (level, group, rank key, distance, lottery,
        child), done as one sort of packed int64 keys: the lottery with the child index
        becomes a dense rank, distance ties are resolved once on the distance levels."""
        a_n = self.n_applications
        if a_n == 0:
            return np.zeros(0, dtype=np.int64)
        rank_key, _ = self.criterion_keys()
        # the lottery and the child index as one dense rank (lower = earlier in line)
        if np.all(self.app_lottery == self.child_lottery()[self.app_child]):
            lot = self.child_lottery()
            by_child = np.lexsort((np.arange(self.n_children), lot))
            child_rank = np.empty(self.n_children, dtype=np.int64)
            child_rank[by_child] = np.arange(self.n_children)
            tie = child_rank[self.app_child]
        else:  # multiple tie-break: one number per application
            by_app = np.lexsort((self.app_child, self.app_lottery))
            tie = np.empty(a_n, dtype=np.int64)
            tie[by_app] = np.arange(a_n)
        crit = self.level_criterion[self.app_level]
        on_distance = (crit == 1) | (crit == 3)
        if on_distance.any():
            idx = np.flatnonzero(on_distance)
            dist = np.nan_to_num(self.app_distance[idx], nan=1e12)
            # distances compared to the millimetre (finer differences are noise), packed
            # with the lottery rank into one sort key
            mm = np.rint(dist * 1000).astype(np.int64)
            t_bits = max(1, int(tie.max()).bit_length())
            if int(mm.max()).bit_length() + t_bits <= 62:
                sub = idx[np.argsort((mm << t_bits) | tie[idx])]
            else:
                sub = idx[np.lexsort((tie[idx], mm))]
            tie = tie.copy()
            tie[sub] = np.arange(sub.size)  # (distance, lottery) as one rank there
        tie_bits = max(1, int(tie.max()).bit_length())
        rank_bits = max(1, int(rank_key.max()).bit_length())
        group_bits = max(1, int(self.app_group.max()).bit_length())
        level_bits = max(1, int(self.n_levels).bit_length())
        if tie_bits + rank_bits + group_bits + level_bits <= 62:
            key = ((self.app_level << (group_bits + rank_bits + tie_bits))
                   | (self.app_group << (rank_bits + tie_bits))
                   | (rank_key << tie_bits) | tie)
            order = np.argsort(key)  # keys are unique within a level
        else:  # very large inputs: the same order with a lexicographic sort
            order = np.lexsort((tie, rank_key, self.app_group, self.app_level))
        place = np.empty(a_n, dtype=np.int64)
        lv = self.app_level[order]
        starts = _group_starts(lv)
        place[order] = np.arange(a_n) - starts
        return place

    def child_lottery(self) -> np.ndarray:
        """Each child's number (single tie-break): its lottery at any of its applications."""
        lot = np.zeros(self.n_children, dtype=np.float64)
        lot[self.app_child] = self.app_lottery
        return lot

    def weak_ranks(self) -> np.ndarray:
        """Each application's rank in its level's order *without* the lottery (ties share it).

        This is the level's true priority; the lottery only breaks its ties. Stability in
        the improvement cycles (ALC-07) is judged on it."""
        rank_key, dist_key = self.criterion_keys()
        order = np.lexsort((dist_key, rank_key, self.app_group, self.app_level))
        lv = self.app_level[order]
        key_changed = np.ones(order.size, dtype=bool)
        if order.size:
            same = ((lv[1:] == lv[:-1]) & (self.app_group[order][1:] == self.app_group[order][:-1])
                    & (rank_key[order][1:] == rank_key[order][:-1])
                    & (dist_key[order][1:] == dist_key[order][:-1]))
            key_changed[1:] = ~same
        dense = np.cumsum(key_changed) - 1
        starts = _group_starts(lv)
        weak = np.empty(order.size, dtype=np.int64)
        weak[order] = dense - dense[starts]
        return weak


@dataclass
class Result:
    """The outcome of a run: per child the application it holds (-1 = no place)."""

    assigned_app: np.ndarray  # int64[n]
    place: np.ndarray  # int64[A]
    rounds: int
    proposals: int
    improved_children: int = 0
    improvement_cycles: int = 0
    stats: dict = field(default_factory=dict)

    def assigned_level(self, problem: Problem) -> np.ndarray:
        return np.where(self.assigned_app >= 0, problem.app_level[self.assigned_app], -1)

    def assigned_rank(self, problem: Problem) -> np.ndarray:
        return np.where(self.assigned_app >= 0, problem.app_rank[self.assigned_app], 0)


def ticket_ranks(problem: Problem, assigned_app: np.ndarray, missing: int) -> np.ndarray:
    """Per child the choice rank of its ticket, or `missing` when it has none."""
    out = np.full(assigned_app.shape[0], missing, dtype=np.int64)
    has = assigned_app >= 0
    out[has] = problem.app_rank[assigned_app[has]]
    return out


def _group_starts(sorted_keys: np.ndarray) -> np.ndarray:
    """For a sorted key array, the index where each element's run of equal keys begins."""
    n = sorted_keys.size
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    new = np.ones(n, dtype=bool)
    new[1:] = sorted_keys[1:] != sorted_keys[:-1]
    idx = np.where(new, np.arange(n), 0)
    return np.maximum.accumulate(idx)


def _count_within(mask: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Running count of `mask` within each group (inclusive), groups given by `starts`."""
    cs = np.cumsum(mask, dtype=np.int64)
    base = cs[starts] - mask[starts]
    return cs - base


def choose(problem: Problem, apps: np.ndarray, place: np.ndarray) -> np.ndarray:
    """Every level's choice among the applications `apps` (any order) -> bool mask over apps.

    priority_first: priority-group children first (they count against their contingent's
    reserve), then the rest of each reserve to the best remaining children of that
    contingent, then the open and unfilled seats to the best remaining of all.
    contingent: indicator seats to the best indicator children, non-indicator seats to
    the best non-indicator children (priority groups first within each, as the order
    already does), then seats left over to the best remaining of either.
    """
    if apps.size == 0:
        return np.zeros(0, dtype=bool)
    order = np.argsort(problem.sort_key(place)[apps], kind="stable")
    chosen = choose_sorted(problem, apps[order])
    out = np.zeros(apps.size, dtype=bool)
    out[order] = chosen
    return out


def choose_sorted(problem: Problem, sa: np.ndarray) -> np.ndarray:
    """`choose` for applications already sorted by (level, place): a mask in that order.

    A level without reserved seats simply keeps the first `capacity` of its order (its
    priority children are first in that order already); only levels with reserves go
    through the phases."""
    lv = problem.app_level[sa]
    starts = _group_starts(lv)
    position = np.arange(sa.size) - starts
    has_reserve = ((problem.level_reserved_indicator + problem.level_reserved_non_indicator)
                   > 0)[lv]
    chosen = ~has_reserve & (position < problem.level_capacity[lv])
    if has_reserve.any():
        sub = np.flatnonzero(has_reserve)
        chosen[sub] = _choose_with_reserves(problem, sa[sub], lv[sub])
    return chosen


def _choose_with_reserves(problem: Problem, sa: np.ndarray, lv: np.ndarray) -> np.ndarray:
    """The phases of ALC-04 for applications sorted by (level, place)."""
    m = problem.n_levels
    starts = _group_starts(lv)
    ind = problem.app_indicator[sa]
    prio = problem.app_priority[sa]
    cap = problem.level_capacity
    r_ind = problem.level_reserved_indicator
    r_non = problem.level_reserved_non_indicator
    pf = problem.level_precedence == PRIORITY_FIRST
    chosen = np.zeros(sa.size, dtype=bool)

    def take(eligible: np.ndarray, limit: np.ndarray) -> np.ndarray:
        got = eligible & (_count_within(eligible, starts) <= limit[lv])
        return got

    # Phase 1 (priority_first only): priority-group children, up to the capacity.
    got = take(prio, np.where(pf, cap, 0))
    chosen |= got
    k_ind = np.bincount(lv, weights=got & ind, minlength=m).astype(np.int64)
    k_non = np.bincount(lv, weights=got & ~ind, minlength=m).astype(np.int64)
    remaining = cap - k_ind - k_non
    # Phase 2: the indicator reserve (what priority children did not already use).
    lim_ind = np.minimum(np.where(pf, np.maximum(r_ind - k_ind, 0), r_ind), remaining)
    got = take(ind & ~chosen, lim_ind)
    chosen |= got
    remaining -= np.bincount(lv, weights=got, minlength=m).astype(np.int64)
    # Phase 3: the non-indicator reserve.
    lim_non = np.minimum(np.where(pf, np.maximum(r_non - k_non, 0), r_non), remaining)
    got = take(~ind & ~chosen, lim_non)
    chosen |= got
    remaining -= np.bincount(lv, weights=got, minlength=m).astype(np.int64)
    # Phase 4: open seats and unfilled reserves (the top-up) to the best remaining of all.
    got = take(~chosen, remaining)
    chosen |= got
    return chosen


def deferred_acceptance(problem: Problem, place: np.ndarray | None = None) -> Result:
    """Child-proposing deferred acceptance (ALC-01), all free children proposing per round.

    With choice functions like ours (substitutable, size-monotone) the outcome does not
    depend on the order of proposals, so proposing in rounds gives the same matching as
    one proposal at a time. The held applications stay sorted by (level, place), so a
    round costs one merge and a few linear passes, never a full sort."""
    if place is None:
        place = problem.places()
    n = problem.n_children
    start = problem.child_start
    next_app = start[:-1].copy()
    end = start[1:]
    app_child = problem.app_child
    key = problem.sort_key(place)
    stride = np.int64(max(problem.n_applications, 1))  # key = level * stride + place
    # `held` stays sorted by (level, place): new proposals are merged in, never re-sorted
    app_level = problem.app_level
    held = np.zeros(0, dtype=np.int64)
    held_key = np.zeros(0, dtype=np.int64)
    touched = np.zeros(problem.n_levels, dtype=bool)
    free = np.flatnonzero(next_app < end)
    rounds = proposals = 0
    while free.size:
        rounds += 1
        new = next_app[free]
        next_app[free] += 1
        proposals += int(new.size)
        new = new[np.argsort(key[new])]
        # only the levels that received proposals choose again
        new_key = key[new]
        touched[app_level[new]] = True
        at = touched[held_key // stride]
        touched[app_level[new]] = False
        if at.sum() * 2 > at.size:  # most levels were proposed to: choose everywhere
            cand = np.insert(held, np.searchsorted(held_key, new_key), new)
            keep = choose_sorted(problem, cand)
            held = cand[keep]
            held_key = key[held]
        else:  # only the levels that received proposals choose again
            old, old_key = held[at], held_key[at]
            cand = np.insert(old, np.searchsorted(old_key, new_key), new)
            keep = choose_sorted(problem, cand)
            kept = cand[keep]
            rest, rest_key = held[~at], held_key[~at]
            kept_key = key[kept]
            pos = np.searchsorted(rest_key, kept_key)
            held = np.insert(rest, pos, kept)
            held_key = np.insert(rest_key, pos, kept_key)
        rejected = app_child[cand[~keep]]
        free = rejected[next_app[rejected] < end[rejected]]
    assigned = np.full(n, -1, dtype=np.int64)
    assigned[app_child[held]] = held
    return Result(assigned_app=assigned, place=place, rounds=rounds, proposals=proposals)


def waitlists(problem: Problem, result: Result) -> tuple[np.ndarray, np.ndarray]:
    """Waiting-list positions: (applications, 1-based positions) for every level a child
    ranked higher than its ticket, ordered by the level's order (1 = next)."""
    rank_of_ticket = ticket_ranks(problem, result.assigned_app, np.iinfo(np.int64).max)
    waiting = np.flatnonzero(problem.app_rank < rank_of_ticket[problem.app_child])
    if waiting.size == 0:
        return waiting, np.zeros(0, dtype=np.int64)
    lv = problem.app_level[waiting]
    order = np.lexsort((result.place[waiting], lv))
    w = waiting[order]
    starts = _group_starts(lv[order])
    pos = np.arange(w.size) - starts + 1
    return w, pos


@dataclass
class LevelSummary:
    assigned: np.ndarray  # int64[m]
    assigned_indicator: np.ndarray  # int64[m]
    last_place: np.ndarray  # int64[m]: the last admitted child's place (0-based), -1 if none
    last_app: np.ndarray  # int64[m]: that child's application, -1 if none
    applicants: np.ndarray  # int64[m]


def level_summary(problem: Problem, result: Result) -> LevelSummary:
    m = problem.n_levels
    held = result.assigned_app[result.assigned_app >= 0]
    lv = problem.app_level[held]
    assigned = np.bincount(lv, minlength=m).astype(np.int64)
    assigned_ind = np.bincount(lv, weights=problem.app_indicator[held],
                               minlength=m).astype(np.int64)
    last_place = np.full(m, -1, dtype=np.int64)
    np.maximum.at(last_place, lv, result.place[held])
    last_app = np.full(m, -1, dtype=np.int64)
    if held.size:
        is_last = result.place[held] == last_place[lv]
        last_app[lv[is_last]] = held[is_last]
    applicants = np.bincount(problem.app_level, minlength=m).astype(np.int64)
    return LevelSummary(assigned, assigned_ind, last_place, last_app, applicants)


def is_stable(problem: Problem, result: Result) -> list[tuple[int, int]]:
    """Blocking pairs (child, level) under the strict order: a child that prefers a level
    to its ticket and would be chosen there from the level's children plus itself.
    Also reports (child, -1) for a child its own level would not keep. Empty = stable."""
    blocking: list[tuple[int, int]] = []
    assigned = result.assigned_app
    by_level: dict[int, list[int]] = {}
    for c in range(problem.n_children):
        if assigned[c] >= 0:
            by_level.setdefault(int(problem.app_level[assigned[c]]), []).append(int(assigned[c]))
    for lvl, apps in by_level.items():
        arr = np.array(apps, dtype=np.int64)
        if not choose(problem, arr, result.place).all() or arr.size > problem.level_capacity[lvl]:
            blocking.append((-1, lvl))
    for c in range(problem.n_children):
        lo, hi = problem.child_start[c], problem.child_start[c + 1]
        limit = problem.app_rank[assigned[c]] if assigned[c] >= 0 else np.iinfo(np.int64).max
        for a in range(lo, hi):
            if problem.app_rank[a] >= limit:
                continue
            lvl = int(problem.app_level[a])
            arr = np.array(by_level.get(lvl, []) + [a], dtype=np.int64)
            if choose(problem, arr, result.place)[-1]:
                blocking.append((c, lvl))
    return blocking
