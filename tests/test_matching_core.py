"""ALC-01/02/03 on a hand-made Problem: the Result helpers, ticket ranks and waiting lists,
with the expected arrays written out."""

from __future__ import annotations

import numpy as np

from lopdesk.matching.core import (
    PRIORITY_FIRST,
    Problem,
    deferred_acceptance,
    ticket_ranks,
    waitlists,
)


def _problem() -> Problem:
    """Level 0 and 1, one seat each, criterion random. Child 0 (lottery 0.1) and child 2 (0.3)
    list only level 0; child 1 (0.2) lists level 0, then level 1."""
    i64 = np.int64
    return Problem(
        n_children=3, n_levels=2,
        app_child=np.array([0, 1, 1, 2], dtype=i64),
        app_level=np.array([0, 0, 1, 0], dtype=i64),
        app_rank=np.array([1, 1, 2, 1], dtype=i64),
        app_group=np.zeros(4, dtype=i64),
        app_priority=np.zeros(4, dtype=bool),
        app_distance=np.full(4, np.nan),
        app_lottery=np.array([0.1, 0.2, 0.2, 0.3]),
        child_indicator=np.zeros(3, dtype=bool),
        level_capacity=np.array([1, 1], dtype=i64),
        level_reserved_indicator=np.zeros(2, dtype=i64),
        level_reserved_non_indicator=np.zeros(2, dtype=i64),
        level_precedence=np.full(2, PRIORITY_FIRST, dtype=i64),
        level_criterion=np.zeros(2, dtype=i64),
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
