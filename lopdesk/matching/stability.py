"""The stability check of an allocation (ALC-01): blocking pairs under the strict order.

A plain, slow reading of the definition on top of the engine's choice function, for tests
and checks; the engine itself never needs it."""

from __future__ import annotations

import numpy as np

from lopdesk.matching.core import Problem, Result, choose


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
