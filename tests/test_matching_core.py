"""ALC-01/02/03 on a hand-made Problem: the Result helpers, ticket ranks and waiting lists,
with the expected arrays written out."""

from __future__ import annotations

import numpy as np

from lopdesk.matching.core import (
    PRIORITY_FIRST,
    Problem,
    Result,
    deferred_acceptance,
    level_summary,
    ticket_ranks,
    waitlists,
)
from lopdesk.matching.stability import is_stable


def _problem(n_levels: int = 2, criterion: tuple[int, ...] = (0, 0),
             group: tuple[int, ...] = (0, 0, 0, 0),
             distance: tuple[float, ...] = (np.nan,) * 4) -> Problem:
    """Level 0 and 1, one seat each, criterion random. Child 0 (lottery 0.1) and child 2 (0.3)
    list only level 0; child 1 (0.2) lists level 0, then level 1."""
    i64 = np.int64
    return Problem(
        n_children=3, n_levels=n_levels,
        app_child=np.array([0, 1, 1, 2], dtype=i64),
        app_level=np.array([0, 0, 1, 0], dtype=i64),
        app_rank=np.array([1, 1, 2, 1], dtype=i64),
        app_group=np.array(group, dtype=i64),
        app_priority=np.zeros(4, dtype=bool),
        app_distance=np.array(distance, dtype=np.float64),
        app_lottery=np.array([0.1, 0.2, 0.2, 0.3]),
        child_indicator=np.zeros(3, dtype=bool),
        level_capacity=np.ones(n_levels, dtype=i64),
        level_reserved_indicator=np.zeros(n_levels, dtype=i64),
        level_reserved_non_indicator=np.zeros(n_levels, dtype=i64),
        level_precedence=np.full(n_levels, PRIORITY_FIRST, dtype=i64),
        level_criterion=np.array(criterion + (0,) * (n_levels - len(criterion)), dtype=i64),
    )


def test_ALC_01_result_levels_ranks_and_waiting_lists():
    p = _problem()
    r = deferred_acceptance(p)
    assert r.assigned_app.tolist() == [0, 2, -1]
    assert r.assigned_level(p).tolist() == [0, 1, -1]
    assert r.assigned_rank(p).tolist() == [1, 2, 0]
    assert ticket_ranks(p, r.assigned_app, 99).tolist() == [1, 2, 99]
    apps, positions = waitlists(p, r)
    # child 1 (0.2) and child 2 (0.3) wait at level 0, in lottery order
    assert p.app_child[apps].tolist() == [1, 2]
    assert p.app_level[apps].tolist() == [0, 0]
    assert positions.tolist() == [1, 2]
    assert (r.rounds, r.proposals) == (2, 4)  # round 1: all three ask level 0; round 2: child 1


def test_ALC_06_level_summary_with_an_empty_level():
    p = _problem(n_levels=3)
    summary = level_summary(p, deferred_acceptance(p))
    assert summary.assigned.tolist() == [1, 1, 0]
    assert summary.assigned_indicator.tolist() == [0, 0, 0]
    assert summary.last_place.tolist() == [0, 0, -1]
    assert summary.last_app.tolist() == [0, 2, -1]
    assert summary.applicants.tolist() == [3, 1, 0]


def test_ALC_07_weak_ranks_share_ties_and_follow_group_then_distance():
    # level 0 on distance: children 0 and 1 at 100 m tie in group 0; child 2 is nearer
    # (50 m) but in a weaker group; level 1 has child 1 alone
    p = _problem(criterion=(1, 0), group=(0, 0, 0, 1), distance=(100.0, 100.0, np.nan, 50.0))
    assert p.weak_ranks().tolist() == [0, 0, 0, 1]
    p = _problem(criterion=(1, 0), distance=(300.0, 100.0, np.nan, 200.0))
    assert p.weak_ranks().tolist() == [2, 0, 0, 1]


def test_ALC_01_is_stable_reports_blocking_pairs():
    p = _problem()
    place = p.places()
    assert is_stable(p, deferred_acceptance(p)) == []
    # child 2 (worst number) holds level 0: children 0 and 1 both block with level 0
    bad = Result(assigned_app=np.array([-1, 2, 3]), place=place, rounds=0, proposals=0)
    assert is_stable(p, bad) == [(0, 0), (1, 0)]
    # two children on one seat: the level itself is reported
    over = Result(assigned_app=np.array([0, 2, 3]), place=place, rounds=0, proposals=0)
    assert is_stable(p, over) == [(-1, 0)]


def test_ALC_04_priority_children_use_up_the_reserve_first():
    """priority_first, 3 seats, 1 reserved for indicator children. The priority child is an
    indicator child: it fills the reserve, so the two other seats go to the best of the rest
    (non-indicator n1, n2), not to the indicator child i2."""
    i64 = np.int64
    # children: 0 = p (priority, indicator), 1 = i2 (indicator), 2 = n1, 3 = n2, 4 = n3
    p = Problem(
        n_children=5, n_levels=1,
        app_child=np.arange(5, dtype=i64), app_level=np.zeros(5, dtype=i64),
        app_rank=np.ones(5, dtype=i64), app_group=np.array([0, 1, 1, 1, 1], dtype=i64),
        app_priority=np.array([True, False, False, False, False]),
        app_distance=np.full(5, np.nan), app_lottery=np.array([0.9, 0.5, 0.1, 0.2, 0.6]),
        child_indicator=np.array([True, True, False, False, False]),
        level_capacity=np.array([3], dtype=i64),
        level_reserved_indicator=np.array([1], dtype=i64),
        level_reserved_non_indicator=np.zeros(1, dtype=i64),
        level_precedence=np.array([PRIORITY_FIRST], dtype=i64),
        level_criterion=np.zeros(1, dtype=i64))
    r = deferred_acceptance(p)
    assert r.assigned_app.tolist() == [0, -1, 2, 3, -1]
