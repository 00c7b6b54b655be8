"""Stable improvement cycles after DA with a single tie-break (Erdil & Ergin 2008; ALC-07).

The lottery breaks ties in the levels' true priorities (priority group and criterion).
Breaking them can cost efficiency: two children may each hold the other's preferred
place. A *stable improvement cycle* lets such children move together, each strictly
better off, without anyone with a higher true priority at the new level being passed
over. Repeating until no cycle is left keeps the matching stable under the true
priorities after every cycle.

Levels with reserved seats do not take part (nobody moves into them, so nobody leaves
them): a move there could change who holds a reserved seat, which the reserve rules
decide on their own. docs/decisions.md records this choice.
"""

from __future__ import annotations

import numpy as np

from lopdesk.matching.core import Problem, Result, ticket_ranks


def improvement_cycles(problem: Problem, result: Result, max_cycles: int = 1_000_000) -> Result:
    """Apply stable improvement cycles until none is left; returns a new Result."""
    weak = problem.weak_ranks()
    assigned = result.assigned_app.copy()
    n, m = problem.n_children, problem.n_levels
    eligible_level = ((problem.level_reserved_indicator == 0)
                      & (problem.level_reserved_non_indicator == 0))
    original_rank = ticket_ranks(problem, assigned, 0)
    cycles = 0
    big = np.iinfo(np.int64).max
    while cycles < max_cycles:
        ticket_rank = ticket_ranks(problem, assigned, big)
        # Envy: applications ranked higher than the child's ticket, at levels that take part.
        envy = np.flatnonzero((problem.app_rank < ticket_rank[problem.app_child])
                              & eligible_level[problem.app_level]
                              & (assigned[problem.app_child] >= 0))
        if envy.size == 0:
            break
        # D_s: among all children envying s (placed or not), those of the best true priority.
        all_envy = np.flatnonzero((problem.app_rank < ticket_rank[problem.app_child])
                                  & eligible_level[problem.app_level])
        best = np.full(m, big, dtype=np.int64)
        np.minimum.at(best, problem.app_level[all_envy], weak[all_envy])
        top = envy[weak[envy] == best[problem.app_level[envy]]]
        if top.size == 0:
            break
        cycle = _find_cycle(problem, assigned, top, n, m)
        if cycle is None:
            break
        for app in cycle:  # each child in the cycle moves to the level it points to
            assigned[problem.app_child[app]] = app
        cycles += 1
    new_rank = ticket_ranks(problem, assigned, 0)
    gained = int(np.count_nonzero((assigned >= 0) & (new_rank < original_rank)))
    return Result(assigned_app=assigned, place=result.place, rounds=result.rounds,
                  proposals=result.proposals, improved_children=gained,
                  improvement_cycles=cycles, stats=dict(result.stats))


def _find_cycle(problem: Problem, assigned: np.ndarray, top: np.ndarray, n: int,
                m: int) -> list[int] | None:
    """A cycle level -> child (in D_level) -> the child's level -> ... as a list of the
    applications the children in it move to; None when there is none."""
    # Edges: level s -> applications in D_s (child wants s); child -> its current level.
    out: dict[int, list[int]] = {}
    for app in top.tolist():
        out.setdefault(int(problem.app_level[app]), []).append(app)
    child_level = np.full(n, -1, dtype=np.int64)
    child_level[assigned >= 0] = problem.app_level[assigned[assigned >= 0]]
    dead: set[int] = set()
    for start in list(out):
        if start in dead:
            continue
        path: list[int] = []  # applications taken (level -> child edges)
        on_path: dict[int, int] = {}  # level -> index in path where we left it
        level = start
        while True:
            if level in on_path:
                return path[on_path[level]:]
            options = [a for a in out.get(level, ()) if child_level[problem.app_child[a]] >= 0
                       and int(child_level[problem.app_child[a]]) not in dead]
            if not options:
                dead.add(level)
                if not path:
                    break
                # step back: forget this level, try another edge from the previous one
                prev_app = path.pop()
                prev_level = int(problem.app_level[prev_app])
                on_path.pop(prev_level, None)
                out[prev_level] = [a for a in out.get(prev_level, ()) if a != prev_app]
                level = prev_level
                continue
            app = options[0]
            on_path[level] = len(path)
            path.append(app)
            level = int(child_level[problem.app_child[app]])
    return None
