"""The Hague variant (AanmeldenPO; domain.md §9): periods, school lottery, central lottery,
vacancy rounds. Pure numpy on arrays, built on the deferred-acceptance core.

- School lottery: at its first-choice school only, a child competes with the others who
  chose that school first, ordered by the school's own priority rules (in the order the
  school chose them) and then the lottery.
- Children with a confirmed care need (*zorgplicht*) take part in the school lottery only:
  not in the central lottery, and, while unplaced, not in a vacancy round (a central
  lottery too). One who holds a place keeps it as any placed child does.
- Central lottery: the others who lost at their first choice, DA with a single
  tie-break and no priorities, over their further choices and the places left.
- Vacancy round (opt-in: parents sign their child up): unplaced children (their lists
  possibly extended) and children placed lower than their first choice (who keep that
  place as a fallback) compete for the open and freed places by their lists. A placed
  child who did not sign up keeps its place. A child with a fallback holds absolute priority at
  its own school, so a place it leaves is at once open to the others in the same round.
- Periods: 1 -> 2 -> vacancy round 1 -> 3 -> 4 -> vacancy round 2; open places roll over
  to the next period; places freed by a withdrawal go to the next vacancy round.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from lopdesk.matching.core import Problem, deferred_acceptance

PERIODS = ("1", "2", "V1", "3", "4", "V2")
NEXT_PERIOD = {"1": "2", "2": "V1", "V1": "3", "3": "4", "4": "V2", "V2": None}
PRIORITY_RULES = ("sibling", "preschool", "neighbourhood", "staff")


def next_period(period: str) -> str | None:
    return NEXT_PERIOD[period]


def next_vacancy_round(period: str) -> str | None:
    """Where places freed by a withdrawal in `period` go."""
    seen = False
    for p in PERIODS:
        if p == period:
            seen = True
            continue
        if seen and p.startswith("V"):
            return p
    return None


def answer_deadline(period: str, offered_on: date) -> date:
    """Parents answer within 4 weeks, 8 in period 3; silence or refusal withdraws."""
    return offered_on + timedelta(weeks=8 if period == "3" else 4)


@dataclass
class HagueProblem:
    """Children's lists over schools, with per (child, school) priority-rule flags."""

    n_children: int
    n_schools: int
    app_child: np.ndarray  # int64[A] sorted by child, rank
    app_school: np.ndarray  # int64[A]
    app_rank: np.ndarray  # int64[A]
    app_rules: np.ndarray  # bool[A, 4]: the child has rule r (PRIORITY_RULES) at that school
    school_places: np.ndarray  # int64[m] places open in this run
    school_rules: list[list[int]]  # per school: its priority rules, strongest first
    care_need: np.ndarray  # bool[n]
    lottery: np.ndarray  # float64[n], lower = earlier
    fallback_school: np.ndarray  # int64[n]: current placement (vacancy round), -1 = none
    fallback_rank: np.ndarray  # int64[n]: its rank on the child's list, 0 = none
    signed_up: np.ndarray | None = None  # bool[n]: may compete in a vacancy round; None = all


@dataclass
class HagueResult:
    school: np.ndarray  # int64[n], -1 = no place
    rank: np.ndarray  # int64[n], 0 = no place
    stage: list[str]  # per child: school_lottery | central | vacancy | fallback | ""
    first_choice_position: np.ndarray  # int64[n]: place in line at the first choice, 0 = n/a
    open_after: np.ndarray  # int64[m]


def _sub_problem(n: int, m: int, child: np.ndarray, level: np.ndarray, rank: np.ndarray,
                 group: np.ndarray, capacity: np.ndarray, lottery: np.ndarray) -> Problem:
    order = np.lexsort((rank, child))
    child, level, rank, group = child[order], level[order], rank[order], group[order]
    a = child.size
    return Problem(
        n_children=n, n_levels=m, app_child=child, app_level=level, app_rank=rank,
        app_group=group, app_priority=np.zeros(a, dtype=bool),
        app_distance=np.full(a, np.nan), app_lottery=lottery[child] if a else np.zeros(0),
        child_indicator=np.zeros(n, dtype=bool), level_capacity=capacity.astype(np.int64),
        level_reserved_indicator=np.zeros(m, dtype=np.int64),
        level_reserved_non_indicator=np.zeros(m, dtype=np.int64),
        level_precedence=np.ones(m, dtype=np.int64),  # no reserves: plain order
        level_criterion=np.zeros(m, dtype=np.int64))


def _rule_group(p: HagueProblem, apps: np.ndarray) -> np.ndarray:
    """Per application: index of the strongest of the school's rules the child meets."""
    out = np.empty(apps.size, dtype=np.int64)
    for k, a in enumerate(apps.tolist()):
        rules = p.school_rules[int(p.app_school[a])]
        out[k] = next((i for i, r in enumerate(rules) if p.app_rules[a, r]), len(rules))
    return out


def main_period(p: HagueProblem) -> HagueResult:
    """Periods 1-4: the school lottery at the first choice, then the central lottery."""
    n, m = p.n_children, p.n_schools
    school = np.full(n, -1, dtype=np.int64)
    rank = np.zeros(n, dtype=np.int64)
    stage = [""] * n
    first = np.flatnonzero(p.app_rank == _first_rank(p))
    # School lottery: only first choices, the school's priority rules, then the lottery.
    sp = _sub_problem(n, m, p.app_child[first], p.app_school[first], p.app_rank[first],
                      _rule_group(p, first), p.school_places, p.lottery)
    res = deferred_acceptance(sp)
    position = np.zeros(n, dtype=np.int64)
    position[sp.app_child] = res.place[np.arange(sp.n_applications)] + 1
    won = res.assigned_app >= 0
    school[won] = sp.app_level[res.assigned_app[won]]
    rank[won] = sp.app_rank[res.assigned_app[won]]
    for c in np.flatnonzero(won).tolist():
        stage[c] = "school_lottery"
    left = p.school_places - np.bincount(school[won], minlength=m)
    # Central lottery: those who lost, without care need, over their further choices.
    losers = ~won & ~p.care_need
    cen = np.flatnonzero(losers[p.app_child])
    cen = cen[p.app_rank[cen] > _first_rank(p)[cen]]
    cp = _sub_problem(n, m, p.app_child[cen], p.app_school[cen], p.app_rank[cen],
                      np.zeros(cen.size, dtype=np.int64), left, p.lottery)
    res2 = deferred_acceptance(cp)
    got = res2.assigned_app >= 0
    school[got] = cp.app_level[res2.assigned_app[got]]
    rank[got] = cp.app_rank[res2.assigned_app[got]]
    for c in np.flatnonzero(got).tolist():
        stage[c] = "central"
    open_after = p.school_places - np.bincount(school[school >= 0], minlength=m)
    return HagueResult(school, rank, stage, position, open_after)


def _first_rank_of_child(p: HagueProblem) -> np.ndarray:
    out = np.full(p.n_children, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(out, p.app_child, p.app_rank)
    return out


def _first_rank(p: HagueProblem) -> np.ndarray:
    """Per application, the rank of the child's first choice (lists may start above 1)."""
    return _first_rank_of_child(p)[p.app_child]


def vacancy_round(p: HagueProblem) -> HagueResult:
    """Signed-up children, unplaced (without care need) or placed below their first choice,
    compete for the open and freed places; a child's current place is its fallback (absolute
    priority there). Every other placed child keeps its place."""
    n, m = p.n_children, p.n_schools
    has_fb = p.fallback_school >= 0
    first_rank = _first_rank_of_child(p)
    # Children at their first choice do not take part (nothing better to want); an
    # unplaced care-need child takes part in the school lottery only; the round is opt-in.
    at_first = has_fb & (p.fallback_rank == first_rank)
    signed_up = np.ones(n, dtype=bool) if p.signed_up is None else p.signed_up
    take_part = ~at_first & signed_up & ~(p.care_need & ~has_fb)
    keeps = has_fb & ~take_part  # its place stays; nobody else competes for it
    apps = np.flatnonzero(take_part[p.app_child])
    fb_limit = np.where(has_fb, p.fallback_rank, np.iinfo(np.int64).max)
    apps = apps[p.app_rank[apps] <= fb_limit[p.app_child[apps]]]
    group = np.ones(apps.size, dtype=np.int64)
    own = has_fb[p.app_child[apps]] & (p.app_school[apps] == p.fallback_school[p.app_child[apps]])
    group[own] = 0  # the fallback: the child keeps its place whatever the lottery
    holders = np.bincount(p.fallback_school[has_fb & take_part], minlength=m)
    vp = _sub_problem(n, m, p.app_child[apps], p.app_school[apps], p.app_rank[apps], group,
                      p.school_places + holders, p.lottery)
    res = deferred_acceptance(vp)
    school = np.where(keeps, p.fallback_school, -1)
    rank = np.where(keeps, p.fallback_rank, 0)
    stage = ["fallback" if keeps[c] else "" for c in range(n)]
    got = res.assigned_app >= 0
    school[got] = vp.app_level[res.assigned_app[got]]
    rank[got] = vp.app_rank[res.assigned_app[got]]
    for c in np.flatnonzero(got).tolist():
        moved = not has_fb[c] or school[c] != p.fallback_school[c]
        stage[c] = "vacancy" if moved else "fallback"
    total = p.school_places + np.bincount(p.fallback_school[has_fb], minlength=m)
    open_after = total - np.bincount(school[school >= 0], minlength=m)
    return HagueResult(school, rank, stage, np.zeros(n, dtype=np.int64), open_after)
