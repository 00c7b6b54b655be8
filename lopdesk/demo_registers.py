"""The old-regime registers of the demo area (school year 2022-23), simulated with the
register's own rules (decide_request, plan_close) and written in bulk."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace

import numpy as np
from sqlalchemy import insert

from lopdesk.db import Database
from lopdesk.demo_data import AREA_ID, calendar_days, local
from lopdesk.domain import audit
from lopdesk.domain.access import require
from lopdesk.domain.calendar import waiting_list_deadline
from lopdesk.domain.models import CapacityLevel, Period
from lopdesk.domain.registers import bulk_append
from lopdesk.domain.registers.rules import (
    GROUP_RANK,
    LevelState,
    OpenPeriod,
    contingent_seats,
    decide_request,
    plan_close,
)


def _simulate_old_level(lv: dict, reqs: list[tuple], rng: np.random.Generator) -> list[dict]:
    """REG-04, REG-05 and REG-06 for one old-regime level, in arrival order: the register's
    own rules (decide_request, plan_close) on the simulated counts."""
    level = CapacityLevel(**{k: v for k, v in lv.items() if k != "version"})
    assert contingent_seats(level) is not None
    realised = {"indicator": 0, "non_indicator": 0}
    rows: list[dict] = []
    y = lv["school_year"]
    # arrival: priority children in the first period, others in the contingent period,
    # a second or third choice in free enrolment
    periods = [("p1", local(y, 1, 10)), ("p2", local(y, 3, 7)), ("free", local(y, 4, 25))]
    open_period = {"p1": OpenPeriod("priority", "sibling_staff"),
                   "p2": OpenPeriod("priority", None), "free": None}
    free_days = [d for d, _kind, _label in calendar_days(y)]
    deadline = waiting_list_deadline(y, lv["kind"], lv["label"], free_days)
    timeline: list[tuple[datetime, tuple]] = []
    for req in reqs:
        cid, group, indicator, rank = req
        phase = "p1" if group != "none" and rank == 0 else ("p2" if rank == 0 else "free")
        base = dict(periods)[phase]
        timeline.append((base + timedelta(seconds=int(rng.integers(0, 5 * 24 * 3600))), req))
    timeline.sort(key=lambda x: (x[0], x[1][0]))
    closed: set[str] = set()

    def close_until(phase: str) -> None:
        """Close the priority periods that end before `phase` starts (REG-05)."""
        ends = {"p1": periods[1][1], "p2": periods[2][1]}
        for key in ("p1", "p2")[: {"p1": 0, "p2": 1, "free": 2}[phase]]:
            if key not in closed:
                _close_simulated(level, rows, realised, ends[key] - timedelta(minutes=1))
                closed.add(key)

    for at, (cid, group, indicator, _rank) in timeline:
        phase = "p1" if at < periods[1][1] else ("p2" if at < periods[2][1] else "free")
        close_until(phase)
        c = "indicator" if indicator else "non_indicator"
        waiting = any(r["status"] == "non_realised" for r in rows)
        decision = decide_request(LevelState(level, dict(realised), None), contingent=c,
                                  priority_group=group, at=at, period=open_period[phase],
                                  waiting_deadline=deadline if waiting else None)
        status = decision.status
        if status == "realised":
            realised[c] += 1
        why = {"realised": "plaats vrij", "deferred": "contingent volzet",
               "non_realised": "capaciteit bereikt"}[status]
        rows.append({"level_id": lv["id"], "child_id": cid, "requested_at": at,
                     "priority_group": group, "contingent": c, "status": status,
                     "reason": decision.reason,
                     "history": [(at, None, status, why, decision.rule)]})
    close_until("free")
    # Group ranks kept for determinism of ties in plan_close
    assert all(r["priority_group"] in GROUP_RANK for r in rows)
    return rows


def _close_simulated(level: CapacityLevel, rows: list[dict], realised: dict[str, int],
                     at: datetime) -> None:
    """REG-05 on the simulated rows: plan_close on the deferred ones, applied in place."""
    deferred = [SimpleNamespace(id=i, seq=i, child_id=r["child_id"],
                                contingent=r["contingent"],
                                priority_group=r["priority_group"], status="deferred")
                for i, r in enumerate(rows) if r["status"] == "deferred"]
    state = LevelState(level, dict(realised), None)
    for ch in plan_close(state, deferred):
        r = rows[ch.entry_id]
        r["status"] = ch.to_status
        if ch.to_status == "non_realised":
            r["reason"] = "capacity"
        else:
            realised[r["contingent"]] += 1
        r["history"].append((at, "deferred", ch.to_status, ch.why, "REG-05"))


def old_regime_registers(db: Database, rng: np.random.Generator, levels: list[dict],
                          requests: dict[str, list[tuple]]) -> int:
    rows: list[dict] = []
    periods: list[dict] = []
    for lv in levels:
        if lv["regime"] != "old":
            continue
        y = lv["school_year"]
        rows.extend(_simulate_old_level(lv, requests[lv["id"]], rng))
        periods += [
            {"level_id": lv["id"], "kind": "priority", "group": "sibling_staff",
             "starts_at": local(y, 1, 10), "ends_at": local(y, 3, 6, 23, 59),
             "closed_at": local(y, 3, 6, 23, 59), "closed_by": db.user},
            {"level_id": lv["id"], "kind": "priority", "group": None,
             "starts_at": local(y, 3, 7), "ends_at": local(y, 4, 24, 23, 59),
             "closed_at": local(y, 4, 24, 23, 59), "closed_by": db.user},
            {"level_id": lv["id"], "kind": "free", "group": None,
             "starts_at": local(y, 4, 25), "ends_at": None, "closed_at": None,
             "closed_by": None},
        ]
    with db.write() as s:
        require(s, db.user, "data.import")
        s.execute(insert(Period), periods)
        bulk_append(s, db.user, rows, rule=None, message="", source="request")
        audit.record(s, db.user, "demo.registers", "area", AREA_ID,
                     {"school_year": levels[0]["school_year"], "entries": len(rows)})
    return len(rows)
