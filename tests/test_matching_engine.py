"""The allocation engine on random arrays (ALC-01..04), beyond the small hypothesis cases.

Instances with reserves (both precedences), priority groups, every criterion, many exact
ties in the lottery and in the distance (to the millimetre, unknown distances last) and
enough children per level for many rounds with cut-offs. The engine must give the same
places as the plain lexicographic order, the same assignment as a one-proposal-at-a-time
deferred acceptance with the plain choice function of ALC-04, and waiting lists and
cut-offs read plainly from that assignment.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_matching import reference_da

from lopdesk.matching.core import Problem, deferred_acceptance, level_summary, waitlists

DISTANCES = np.array([0.0, 0.0004, 0.0006, 1.0, 1.0002, 2.5, np.nan])


def random_problem(seed: int, n: int, m: int, k: int, multiple: bool,
                   indicator_share: float = 0.4, loose_priority: bool = False) -> Problem:
    """`loose_priority`: the priority flag drawn apart from the group (the choice function
    must still agree with the reference, whatever the order puts first)."""
    rng = np.random.default_rng(seed)
    child: list[int] = []
    level: list[int] = []
    rank: list[int] = []
    for c in range(n):
        chosen = rng.permutation(m)[: rng.integers(0, k + 1)]
        child += [c] * chosen.size
        level += chosen.tolist()
        rank += list(range(1, chosen.size + 1))
    a_n = len(child)
    cap = rng.integers(0, 7, m)
    r_ind = np.minimum(rng.integers(0, 4, m), cap)
    r_non = np.minimum(rng.integers(0, 4, m), cap - r_ind)
    group = rng.integers(0, 3, a_n)  # 2 = no priority group at that level
    child_lot = rng.integers(0, 4, n) / 4  # few values: many exact ties
    app = np.array(child, dtype=np.int64)
    lottery = rng.integers(0, 3, a_n) / 3 if multiple else child_lot[app]
    return Problem(
        n_children=n, n_levels=m, app_child=app, app_level=np.array(level, dtype=np.int64),
        app_rank=np.array(rank, dtype=np.int64), app_group=group,
        app_priority=rng.random(a_n) < 0.3 if loose_priority else group < 2,
        app_distance=DISTANCES[rng.integers(0, DISTANCES.size, a_n)], app_lottery=lottery,
        child_indicator=rng.random(n) < indicator_share, level_capacity=cap,
        level_reserved_indicator=r_ind, level_reserved_non_indicator=r_non,
        level_precedence=rng.integers(0, 2, m), level_criterion=rng.integers(0, 4, m))


def plain_places(p: Problem) -> np.ndarray:
    """ALC-02/03 written out: group, rank key, distance to the mm (unknown last), lottery,
    child index; one lexicographic sort, places counted per level."""
    crit = p.level_criterion[p.app_level]
    rank_key = np.where((crit == 2) | (crit == 3), p.app_rank, 0)
    mm = np.rint(np.where(np.isnan(p.app_distance), 1e12, p.app_distance) * 1000)
    dist_key = np.where((crit == 1) | (crit == 3), mm, 0)
    order = np.lexsort((p.app_child, p.app_lottery, dist_key, rank_key, p.app_group,
                        p.app_level))
    place = np.empty(p.n_applications, dtype=np.int64)
    for lv in range(p.n_levels):
        at = order[p.app_level[order] == lv]
        place[at] = np.arange(at.size)
    return place


@pytest.mark.parametrize("seed", range(16))
def test_ALC_01_04_engine_equals_plain_reference_with_reserves(seed):
    p = random_problem(seed, n=120, m=7, k=5, multiple=seed % 3 == 2,
                       indicator_share=(0.4, 0.1, 0.03, 0.97)[seed % 4],
                       loose_priority=seed % 2 == 1)
    place = p.places()
    assert (place == plain_places(p)).all()
    res = deferred_acceptance(p, place)
    assert (res.assigned_app == reference_da(p, place)).all()
    assert res.rounds > 2  # the instances do exercise several rounds
    # waiting lists: every level ranked above the ticket, numbered in the level's order
    w, pos = waitlists(p, res)
    ticket = np.where(res.assigned_app >= 0, p.app_rank[np.maximum(res.assigned_app, 0)],
                      10**9)
    expected = []
    for lv in range(p.n_levels):
        waiting = [a for a in range(p.n_applications)
                   if p.app_level[a] == lv and p.app_rank[a] < ticket[p.app_child[a]]]
        waiting.sort(key=lambda a: place[a])
        expected += [(a, i + 1) for i, a in enumerate(waiting)]
    assert list(zip(w.tolist(), pos.tolist(), strict=True)) == expected
    # cut-off: the last admitted place per level
    summary = level_summary(p, res)
    for lv in range(p.n_levels):
        held = [a for a in res.assigned_app.tolist() if a >= 0 and p.app_level[a] == lv]
        assert summary.last_place[lv] == (max(place[held]) if held else -1)


def test_ALC_01_engine_on_a_larger_instance_with_long_queues():
    """Few seats, long lists: most children are rejected many times (cut-offs at work)."""
    p = random_problem(99, n=400, m=12, k=8, multiple=False)
    res = deferred_acceptance(p)
    assert (res.assigned_app == reference_da(p, res.place)).all()
    assert res.rounds > 5
