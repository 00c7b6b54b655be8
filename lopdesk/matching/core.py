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

from lopdesk.matching.arrays import expand, group_starts, runs
from lopdesk.matching.order import places as level_orders

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
        """Each application's 0-based place in its level's strict order (ALC-02, ALC-03):
        see `order.places`. The positions in the (level, place) order are kept for the run."""
        if self.n_applications == 0:
            return np.zeros(0, dtype=np.int64)
        place, pos, by_pos = level_orders(self)
        self._positions = (place, pos, by_pos)
        return place

    def level_starts(self) -> np.ndarray:
        """int64[m + 1]: where each level's applications begin in the (level, place) order."""
        cached = getattr(self, "_level_starts", None)
        if cached is None or cached[0] is not self.app_level:
            counts = np.bincount(self.app_level, minlength=self.n_levels)
            starts = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
            self._level_starts = cached = (self.app_level, starts)
        return cached[1]

    def positions(self, place: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(pos, by_pos): each application's index in the (level, place) order of all
        applications, and the applications in that order. Cached for the run."""
        cached = getattr(self, "_positions", None)
        if cached is not None and cached[0] is place:
            return cached[1], cached[2]
        pos = self.level_starts()[self.app_level] + place
        by_pos = np.empty(pos.size, dtype=np.int64)
        by_pos[pos] = np.arange(pos.size)
        self._positions = (place, pos, by_pos)
        return pos, by_pos

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
        starts = group_starts(lv)
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
    """`choose` for applications already sorted by (level, place): a mask in that order."""
    lv = problem.app_level[sa]
    pf = problem.level_precedence[lv] == PRIORITY_FIRST
    cls = problem.app_indicator[sa] | ((problem.app_priority[sa] & pf).astype(np.int64) << 1)
    return _choose_classes(problem, lv, cls)


def _choose_classes(problem: Problem, lv: np.ndarray, cls: np.ndarray,
                    level_runs: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """The choice for applications sorted by (level, place), given each one's level and
    class (bit 0: indicator child; bit 1: priority child at a priority_first level), and
    optionally the runs of equal level (levels, counts) when the caller knows them.

    A level without reserved seats simply keeps the first `capacity` of its order (its
    priority children are first in that order already), and so does a level with no more
    applicants than seats (every phase passes its unused seats on, so all are taken);
    only the other levels with reserves go through the phases."""
    if level_runs is None:
        levels, _, counts = runs(lv)
    else:
        levels, counts = level_runs
    capacity = problem.level_capacity[levels]
    has_reserve = (problem.level_reserved_indicator[levels]
                   + problem.level_reserved_non_indicator[levels]) > 0
    has_reserve &= counts > capacity
    # each run keeps its first `limit` (a level that goes through the phases: none here)
    limit = np.where(has_reserve, 0, capacity)
    chosen = expand(np.zeros(levels.size, dtype=np.int64) - limit, counts) < 0
    if has_reserve.any():
        sub = expand((np.cumsum(counts) - counts)[has_reserve], counts[has_reserve])
        res_counts = counts[has_reserve]
        chosen[sub] = _choose_with_reserves(problem, cls[sub], levels[has_reserve], res_counts)
    return chosen


def _choose_with_reserves(problem: Problem, cls: np.ndarray, levels: np.ndarray,
                          counts: np.ndarray) -> np.ndarray:
    """The phases of ALC-04 for applications sorted by (level, place), given their classes
    (see `_choose_classes`); `levels` and `counts` give the runs of equal level. Limits and
    counts are per run."""
    last = np.cumsum(counts) - 1
    first = last - counts + 1
    run = np.repeat(np.arange(levels.size), counts)
    ind = (cls & 1).astype(bool)
    cap = problem.level_capacity[levels].astype(np.int64)
    r_ind = problem.level_reserved_indicator[levels].astype(np.int64)
    r_non = problem.level_reserved_non_indicator[levels].astype(np.int64)
    pf = problem.level_precedence[levels] == PRIORITY_FIRST

    def take(eligible: np.ndarray, limit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The first `limit` eligible of each run, and how many that is per run."""
        cs = np.cumsum(eligible)
        before = cs[first] - eligible[first]
        got = eligible & (cs <= (before + limit)[run])
        return got, np.minimum(cs[last] - before, limit)

    # Phase 1 (priority_first only): priority-group children, up to the capacity.
    prio = cls >= 2
    if prio.any():
        chosen, k_all = take(prio, cap)
        cs = np.cumsum(chosen & ind)
        k_ind = cs[last] - cs[first] + (chosen & ind)[first]
    else:
        chosen = np.zeros(cls.size, dtype=bool)
        k_all = k_ind = np.zeros(levels.size, dtype=np.int64)
    remaining = cap - k_all
    # Phase 2: the indicator reserve (what priority children did not already use).
    lim_ind = np.minimum(np.where(pf, np.maximum(r_ind - k_ind, 0), r_ind), remaining)
    got, n_got = take(ind & ~chosen, lim_ind)
    chosen |= got
    remaining -= n_got
    # Phase 3: the non-indicator reserve.
    lim_non = np.minimum(np.where(pf, np.maximum(r_non - (k_all - k_ind), 0), r_non),
                         remaining)
    if lim_non.any():
        got, n_got = take(~ind & ~chosen, lim_non)
        chosen |= got
        remaining -= n_got
    # Phase 4: open seats and unfilled reserves (the top-up) to the best remaining of all.
    got, _ = take(~chosen, remaining)
    chosen |= got
    return chosen


class _Seats:
    """The applications each level holds during deferred acceptance.

    Every application is one int64 code: (position in the (level, place) order, level,
    class, child) packed from high to low bits, so codes sort like positions and a round
    reads level, class and child without looking anything up. Held codes sit in per-level
    slots (as many as the capacity), sorted. A full level rejects at once a proposal
    behind its last held application when the choice could not take it anyway: its
    cut-off, kept per class. Only the proposals in front of the cut-offs and the held
    lists of the levels they reach are merged and chosen again; other levels are not
    looked at.

    Why a cut-off is safe for a full level holding H (C(H) = H) and a proposal a behind all
    of H: without reserves, the level keeps its first `capacity`. With reserves, if H
    already has as many children of a's contingent as that reserve, phases 2 and 3 pick
    from H before reaching a, and phase 4 has exactly as many seats as H has children left,
    all before a; a priority child at a priority_first level is only passed over in phase 1
    when H is all priority children. Rejected from H + a means rejected from any superset
    (substitutability), so the whole round agrees."""

    def __init__(self, problem: Problem, pos: np.ndarray, by_pos: np.ndarray) -> None:
        m, a_n = problem.n_levels, problem.n_applications
        self.problem, self.by_pos = problem, by_pos
        level_bits = max(1, (m - 1).bit_length())
        child_bits = max(1, (problem.n_children - 1).bit_length())
        pos_bits = max(1, (a_n - 1).bit_length())
        if pos_bits + level_bits + 2 + child_bits > 63:  # no room for the child: look it up
            child_bits = 0
        self.child_bits, self.level_shift = child_bits, child_bits + 2
        self.pos_shift = child_bits + 2 + level_bits
        self.level_mask = (1 << level_bits) - 1
        self.code = self._codes(pos)
        self.cap = problem.level_capacity.astype(np.int64)
        self.start = np.concatenate(([0], np.cumsum(self.cap))).astype(np.int64)
        self.slots = np.empty(int(self.start[-1]), dtype=np.int64)
        self.count = np.zeros(m, dtype=np.int64)
        self.n_ind = np.zeros(m, dtype=np.int64)  # held indicator children
        self.n_prio = np.zeros(m, dtype=np.int64)  # held class-2/3 applications
        self.r_ind = problem.level_reserved_indicator.astype(np.int64)
        self.r_non = problem.level_reserved_non_indicator.astype(np.int64)
        self.plain = (self.r_ind + self.r_non) == 0
        self.big = np.int64(a_n)
        # a proposal at a position >= cut[level * 4 + class] is rejected without choosing
        self.cut = np.repeat(np.where(self.cap > 0, self.big, np.int64(-1)), 4)

    def _codes(self, pos: np.ndarray) -> np.ndarray:
        p = self.problem
        if self.pos_shift + max(1, (p.n_applications - 1).bit_length()) > 63:
            raise ValueError("too many applications to pack into int64 codes")
        pf = p.level_precedence == PRIORITY_FIRST
        code = np.left_shift(pos, self.pos_shift)
        part = np.left_shift(p.app_level, 2, dtype=np.int64)
        part |= p.app_indicator
        prio = pf[p.app_level]
        prio &= p.app_priority
        part += prio  # twice: the class's bit 1
        part += prio
        del prio
        part <<= self.child_bits
        code |= part
        if self.child_bits:
            code |= p.app_child
        return code

    def children(self, codes: np.ndarray) -> np.ndarray:
        if self.child_bits:
            return codes & ((1 << self.child_bits) - 1)
        return self.problem.app_child[self.by_pos[codes >> self.pos_shift]]

    def propose(self, new: np.ndarray) -> np.ndarray:
        """One round: the levels choose among what they hold and the proposals `new`
        (codes). Returns the codes rejected in this round."""
        lc_mask = (self.level_mask << 2) | 3
        ok = (new >> self.pos_shift) < self.cut[(new >> self.child_bits) & lc_mask]
        at_once = new[~ok]
        new = new[ok]
        if new.size == 0:
            return at_once
        n_new = np.bincount((new >> self.level_shift) & self.level_mask,
                            minlength=self.count.size)
        touched = np.flatnonzero(n_new)
        held = self.count[touched]
        cand = np.concatenate((self.slots[expand(self.start[touched], held)], new))
        cand.sort()  # codes sort like positions: (level, place) order
        counts = held + n_new[touched]
        cls = (cand >> self.child_bits) & 3
        keep = _choose_classes(self.problem, None, cls, (touched, counts))
        first = np.cumsum(counts) - counts
        n_kept = np.add.reduceat(keep, first)
        cls *= keep
        self.count[touched] = n_kept
        self.n_ind[touched] = np.add.reduceat(cls & 1, first)
        self.n_prio[touched] = np.add.reduceat(cls >> 1, first)
        self.slots[expand(self.start[touched], n_kept)] = cand[keep]
        self._cut_offs(touched)
        return np.concatenate((at_once, cand[~keep]))

    def _cut_offs(self, levels: np.ndarray) -> None:
        """Renew the cut-offs of `levels` (each with capacity > 0) after a choice."""
        cap, count = self.cap[levels], self.count[levels]
        last = self.slots[self.start[levels] + cap - 1] >> self.pos_shift
        worst = np.where(count == cap, last, self.big)
        n_ind = self.n_ind[levels]
        cut = self.cut.reshape(-1, 4)
        cut[levels, 0] = np.where(count - n_ind >= self.r_non[levels], worst, self.big)
        cut[levels, 1] = np.where(n_ind >= self.r_ind[levels], worst, self.big)
        prio_cut = np.where(self.plain[levels] | (self.n_prio[levels] == cap), worst, self.big)
        cut[levels, 2] = prio_cut
        cut[levels, 3] = prio_cut

    def held(self) -> np.ndarray:
        """The held applications (application indices)."""
        codes = self.slots[expand(self.start[:-1], self.count)]
        return self.by_pos[codes >> self.pos_shift]


def deferred_acceptance(problem: Problem, place: np.ndarray | None = None) -> Result:
    """Child-proposing deferred acceptance (ALC-01), all free children proposing per round.

    With choice functions like ours (substitutable, size-monotone) the outcome does not
    depend on the order of proposals, so proposing in rounds gives the same matching as
    one proposal at a time. A round costs the proposals it makes plus the held lists of
    the levels they reach (see `_Seats`), never a pass over everything held."""
    if place is None:
        place = problem.places()
    seats = _Seats(problem, *problem.positions(place))
    start = problem.child_start
    next_app = start[:-1].copy()
    end = start[1:]
    free = np.flatnonzero(next_app < end)
    rounds = proposals = 0
    while free.size:
        rounds += 1
        new = next_app[free]
        next_app[free] = new + 1
        proposals += int(new.size)
        rejected = seats.children(seats.propose(seats.code[new]))
        free = rejected[next_app[rejected] < end[rejected]]
    held = seats.held()
    assigned = np.full(problem.n_children, -1, dtype=np.int64)
    assigned[problem.app_child[held]] = held
    return Result(assigned_app=assigned, place=place, rounds=rounds, proposals=proposals)


def waitlists(problem: Problem, result: Result) -> tuple[np.ndarray, np.ndarray]:
    """Waiting-list positions: (applications, 1-based positions) for every level a child
    ranked higher than its ticket, ordered by the level's order (1 = next)."""
    rank_of_ticket = ticket_ranks(problem, result.assigned_app, np.iinfo(np.int64).max)
    waiting = problem.app_rank < rank_of_ticket[problem.app_child]
    _, by_pos = problem.positions(result.place)
    at = np.flatnonzero(waiting[by_pos])  # the waiting applications' (level, place) positions
    w = by_pos[at]
    first = np.searchsorted(at, problem.level_starts()[:-1])  # each level's first in `at`
    counts = np.diff(np.append(first, at.size))
    return w, np.arange(1, w.size + 1) - np.repeat(first, counts)


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
