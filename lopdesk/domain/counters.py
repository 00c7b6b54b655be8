"""The contingent counters of the whole area in a few grouped queries (CAP-04, CAP-05)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select

from lopdesk.db import Database
from lopdesk.domain.access import require
from lopdesk.domain.models import (
    CapacityDecision,
    CapacityLevel,
    FullDeclaration,
    FullDeclarationLevel,
    RegisterEntry,
    School,
)
from lopdesk.domain.registers import contingent_seats


@dataclass
class LevelCounters:
    level_id: str
    school_id: str
    school_name: str
    neighbourhood: str
    area_id: str
    school_year: int
    regime: str
    kind: str
    label: str
    capacity: int | None
    seated_indicator: int
    seated_non_indicator: int
    seats_indicator: int | None  # contingent seats (old regime)
    seats_non_indicator: int | None
    realised_indicator: int
    realised_non_indicator: int
    deferred_indicator: int
    deferred_non_indicator: int
    non_realised_indicator: int
    non_realised_non_indicator: int
    withdrawn: int
    overcapacity: int
    free_places: int | None  # CAP-04, never below 0
    free_places_field: str  # CAP-05
    full: bool  # active full declaration (CAP-06)
    waiting: int
    pending_raises: int
    last_change: datetime | None
    version: int

    @property
    def realised(self) -> int:
        return self.realised_indicator + self.realised_non_indicator

    @property
    def seated(self) -> int:
        return self.seated_indicator + self.seated_non_indicator


def area_counters(db: Database, area_id: str | None = None,
                  school_year: int | None = None) -> list[LevelCounters]:
    with db.read() as s:
        require(s, db.user, "read")
        lq = (select(CapacityLevel, School.name, School.neighbourhood, School.area_id)
              .join(School, School.id == CapacityLevel.school_id)
              .order_by(School.name, CapacityLevel.school_year, CapacityLevel.id))
        if area_id:
            lq = lq.where(School.area_id == area_id)
        if school_year:
            lq = lq.where(CapacityLevel.school_year == school_year)
        levels = s.execute(lq).all()
        over = RegisterEntry.overcapacity_category.is_not(None)
        counts_q = (
            select(RegisterEntry.level_id, RegisterEntry.status, RegisterEntry.contingent,
                   func.sum(case((over, 1), else_=0)), func.count(),
                   func.max(RegisterEntry.status_changed_at))
            .group_by(RegisterEntry.level_id, RegisterEntry.status, RegisterEntry.contingent)
        )
        if school_year:
            counts_q = counts_q.join(CapacityLevel, CapacityLevel.id == RegisterEntry.level_id)\
                .where(CapacityLevel.school_year == school_year)
        counts: dict[str, dict[tuple[str, str], int]] = {}
        overc: dict[str, int] = {}
        last: dict[str, datetime] = {}
        for level_id, status, contingent, n_over, n, changed in s.execute(counts_q).all():
            counts.setdefault(level_id, {})[(status, contingent)] = n
            if status == "realised" and n_over:
                overc[level_id] = overc.get(level_id, 0) + int(n_over)
            if changed is not None and (level_id not in last or changed > last[level_id]):
                last[level_id] = changed
        full = set(s.execute(
            select(FullDeclarationLevel.level_id)
            .join(FullDeclaration, FullDeclaration.id == FullDeclarationLevel.declaration_id)
            .where(FullDeclaration.lifted_at.is_(None))).scalars())
        pending = dict(s.execute(
            select(CapacityDecision.level_id, func.count())
            .where(CapacityDecision.status == "pending")
            .group_by(CapacityDecision.level_id)).all())
    out: list[LevelCounters] = []
    for level, school_name, neighbourhood, level_area in levels:
        c = counts.get(level.id, {})
        n_over = overc.get(level.id, 0)
        ri = c.get(("realised", "indicator"), 0)
        rn = c.get(("realised", "non_indicator"), 0)
        realised_in_capacity = ri + rn - n_over
        if level.capacity is None:
            free = None
        elif level.id in full:
            free = 0
        else:
            used = level.seated_indicator + level.seated_non_indicator + realised_in_capacity
            free = max(0, level.capacity - used)
        seats = contingent_seats(level)
        updated = level.updated_at
        changed = last.get(level.id)
        last_change = max((d for d in (updated, changed) if d is not None), default=None)
        out.append(LevelCounters(
            level_id=level.id, school_id=level.school_id, school_name=school_name,
            neighbourhood=neighbourhood, area_id=level_area, school_year=level.school_year,
            regime=level.regime, kind=level.kind, label=level.label, capacity=level.capacity,
            seated_indicator=level.seated_indicator,
            seated_non_indicator=level.seated_non_indicator,
            seats_indicator=seats["indicator"] if seats else None,
            seats_non_indicator=seats["non_indicator"] if seats else None,
            realised_indicator=ri, realised_non_indicator=rn,
            deferred_indicator=c.get(("deferred", "indicator"), 0),
            deferred_non_indicator=c.get(("deferred", "non_indicator"), 0),
            non_realised_indicator=c.get(("non_realised", "indicator"), 0),
            non_realised_non_indicator=c.get(("non_realised", "non_indicator"), 0),
            withdrawn=c.get(("withdrawn", "indicator"), 0) + c.get(("withdrawn", "non_indicator"),
                                                                    0),
            overcapacity=n_over, free_places=free, free_places_field=level.free_places_field,
            full=level.id in full,
            waiting=c.get(("non_realised", "indicator"), 0)
            + c.get(("non_realised", "non_indicator"), 0),
            pending_raises=pending.get(level.id, 0), last_change=last_change,
            version=level.version or 0,
        ))
    return out
