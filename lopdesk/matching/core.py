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

PRECEDENCES = ("priority_first", "contingent")
CRITERIA = ("random", "distance", "rank+random", "rank+distance")
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
    level_criterion: np.ndarray  # int64[m]: index into CRITERIA

    def __post_init__(self) -> None:
        counts = np.bincount(self.app_child, minlength=self.n_children)
        self.child_start = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
        self.app_indicator = self.child_indicator[self.app_child]

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
        """Each application's 0-based place in its level's strict order (ALC-02, ALC-03)."""
        rank_key, dist_key = self.criterion_keys()
        order = np.lexsort((self.app_child, self.app_lottery, dist_key, rank_key,
                            self.app_group, self.app_level))
        place = np.empty(self.n_applications, dtype=np.int64)
        lv = self.app_level[order]
        starts = _group_starts(lv)
        place[order] = np.arange(order.size) - starts
        return place

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
    m = problem.n_levels
    lv_all = problem.app_level[apps]
    order = np.lexsort((place[apps], lv_all))
    sa = apps[order]
    lv = lv_all[order]
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
    out = np.zeros(apps.size, dtype=bool)
    out[order] = chosen
    return out


def deferred_acceptance(problem: Problem, place: np.ndarray | None = None) -> Result:
    """Child-proposing deferred acceptance (ALC-01), all free children proposing per round.

    With choice functions like ours (substitutable, size-monotone) the outcome does not
    depend on the order of proposals, so proposing in rounds gives the same matching as
    one proposal at a time."""
    if place is None:
        place = problem.places()
    n = problem.n_children
    start = problem.child_start
    next_app = start[:-1].copy()
    end = start[1:]
    held = np.zeros(0, dtype=np.int64)
    holding = np.zeros(n, dtype=bool)
    rounds = proposals = 0
    while True:
        free = np.flatnonzero(~holding & (next_app < end))
        if free.size == 0:
            break
        rounds += 1
        new = next_app[free]
        next_app[free] += 1
        proposals += int(new.size)
        cand = np.concatenate((held, new))
        keep = choose(problem, cand, place)
        held = cand[keep]
        holding[:] = False
        holding[problem.app_child[held]] = True
    assigned = np.full(n, -1, dtype=np.int64)
    assigned[problem.app_child[held]] = held
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
