"""The contingent counters of the whole area in a few grouped queries (CAP-04, CAP-05)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from lopdesk.db import Database
from lopdesk.domain.access import require
from lopdesk.domain.calendar import order_binds, waiting_list_deadline
from lopdesk.domain.models import (
    CalendarDay,
    CapacityDecision,
    CapacityLevel,
    FullDeclaration,
    FullDeclarationLevel,
    Offer,
    RegisterEntry,
    School,
)
from lopdesk.domain.registers.rules import contingent_seats, free_places
from lopdesk.domain.types import utcnow


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
    waiting_binds: bool = True  # WL-01: the waiting list still binds a freed place
    open_offers: int = 0  # freed places offered and not yet answered (WL-01)

    @property
    def waiting_binding(self) -> int:
        """The children on a waiting list that still binds (WL-01)."""
        return self.waiting if self.waiting_binds else 0

    @property
    def board_disagrees(self) -> bool:
        return board_disagrees(self.free_places_field, self.free_places)

    @property
    def realised(self) -> int:
        return self.realised_indicator + self.realised_non_indicator

    @property
    def seated(self) -> int:
        return self.seated_indicator + self.seated_non_indicator


def board_disagrees(board: str, free: int | None) -> bool:
    """CAP-05 against CAP-04: a value the LOP put on its board that the computed free places
    deny. JA claims places; 0 claims none; a number claims that many. The empty default
    shows "Nog plaatsen vrij", so it claims places too; without a capacity there is nothing
    to compare."""
    if free is None:
        return False
    value = (board or "").strip().upper()
    if value in ("", "JA"):
        return free == 0
    if value.isdigit():
        return int(value) != free
    return False


# Only the columns the counters need (no ORM entities: 400+ levels on every refresh).
_LEVEL_COLUMNS = (
    CapacityLevel.id, CapacityLevel.school_id, School.name, School.neighbourhood,
    School.area_id, CapacityLevel.school_year, CapacityLevel.regime, CapacityLevel.kind,
    CapacityLevel.label, CapacityLevel.capacity, CapacityLevel.seated_indicator,
    CapacityLevel.seated_non_indicator, CapacityLevel.indicator_ratio, CapacityLevel.rounding,
    CapacityLevel.free_places_field, CapacityLevel.updated_at, CapacityLevel.version,
    # the level's last register change: one value per level, not one per (status,
    # contingent) group to convert in Python (a seek into ix_register_counts per level)
    select(func.max(RegisterEntry.status_changed_at))
    .where(RegisterEntry.level_id == CapacityLevel.id).scalar_subquery(),
)


def area_counters(db: Database, area_id: str | None = None,
                  school_year: int | None = None,
                  at: datetime | None = None) -> list[LevelCounters]:
    """Every level's counters; `at` decides which waiting lists still bind (WL-01)."""
    now = at or utcnow()
    with db.read() as s:
        require(s, db.user, "read")
        lq = (select(*_LEVEL_COLUMNS)
              .join(School, School.id == CapacityLevel.school_id)
              .order_by(School.name, CapacityLevel.school_year, CapacityLevel.id))
        if area_id:
            lq = lq.where(School.area_id == area_id)
        if school_year:
            lq = lq.where(CapacityLevel.school_year == school_year)
        conn = s.connection()  # Core rows: no ORM loading of 400+ levels and ~2,000 groups
        levels = conn.execute(lq).all()
        # Reads the covering index ix_register_counts alone (migration 0004): no table rows.
        # count(column) counts the non-NULL values: the lines above capacity (CAP-07).
        counts_q = (
            select(RegisterEntry.level_id, RegisterEntry.status, RegisterEntry.contingent,
                   func.count(RegisterEntry.overcapacity_category), func.count())
            .group_by(RegisterEntry.level_id, RegisterEntry.status, RegisterEntry.contingent)
        )
        if school_year:
            counts_q = counts_q.join(CapacityLevel, CapacityLevel.id == RegisterEntry.level_id)\
                .where(CapacityLevel.school_year == school_year)
        counts: dict[str, dict[tuple[str, str], int]] = {}
        overc: dict[str, int] = {}
        for level_id, status, contingent, n_over, n in conn.execute(counts_q).all():
            counts.setdefault(level_id, {})[(status, contingent)] = n
            if status == "realised" and n_over:
                overc[level_id] = overc.get(level_id, 0) + int(n_over)
        full = set(s.execute(
            select(FullDeclarationLevel.level_id)
            .join(FullDeclaration, FullDeclaration.id == FullDeclarationLevel.declaration_id)
            .where(FullDeclaration.lifted_at.is_(None))).scalars())
        pending = dict(s.execute(
            select(CapacityDecision.level_id, func.count())
            .where(CapacityDecision.status == "pending")
            .group_by(CapacityDecision.level_id)).all())
        offers = dict(s.execute(
            select(Offer.level_id, func.count()).where(Offer.status == "open")
            .group_by(Offer.level_id)).all())
        free_days: dict[str, list] = {}
        for area, day in s.execute(select(CalendarDay.area_id, CalendarDay.day)).all():
            free_days.setdefault(area, []).append(day)
    out = [_counters(level, counts.get(level[0], {}), overc.get(level[0], 0),
                     level[0] in full, pending.get(level[0], 0)) for level in levels]
    deadlines: dict[tuple, bool] = {}
    for c in out:
        key = (c.area_id, c.school_year, c.kind, c.label)
        if key not in deadlines:
            deadline = waiting_list_deadline(c.school_year, c.kind, c.label,
                                             free_days.get(c.area_id, []))
            deadlines[key] = order_binds(now, deadline)
        c.waiting_binds = deadlines[key]
        c.open_offers = offers.get(c.level_id, 0)
    return out


def _counters(level: Any, c: dict[tuple[str, str], int], n_over: int, is_full: bool,
              pending: int) -> LevelCounters:
    """One level's counters from its row and its register counts per (status, contingent)."""
    (lid, school_id, school_name, neighbourhood, level_area, year, regime, kind, label,
     capacity, seated_i, seated_n, _ratio, _rounding, fp_field, updated, version,
     changed) = level
    ri = c.get(("realised", "indicator"), 0)
    rn = c.get(("realised", "non_indicator"), 0)
    nri = c.get(("non_realised", "indicator"), 0)
    nrn = c.get(("non_realised", "non_indicator"), 0)
    # CAP-04 on the grouped counts: the realised lines above capacity (CAP-07) need no
    # place, a full declaration (CAP-06) leaves none.
    free = free_places(capacity, seated_i + seated_n, ri + rn - n_over, full=is_full)
    seats = contingent_seats(level)  # the row carries capacity, ratio and rounding
    if updated is None:
        last_change = changed
    elif changed is None:
        last_change = updated
    else:
        last_change = max(updated, changed)
    return LevelCounters(
        level_id=lid, school_id=school_id, school_name=school_name,
        neighbourhood=neighbourhood, area_id=level_area, school_year=year,
        regime=regime, kind=kind, label=label, capacity=capacity,
        seated_indicator=seated_i, seated_non_indicator=seated_n,
        seats_indicator=seats["indicator"] if seats else None,
        seats_non_indicator=seats["non_indicator"] if seats else None,
        realised_indicator=ri, realised_non_indicator=rn,
        deferred_indicator=c.get(("deferred", "indicator"), 0),
        deferred_non_indicator=c.get(("deferred", "non_indicator"), 0),
        non_realised_indicator=nri, non_realised_non_indicator=nrn,
        withdrawn=c.get(("withdrawn", "indicator"), 0) + c.get(("withdrawn", "non_indicator"),
                                                                0),
        overcapacity=n_over, free_places=free, free_places_field=fp_field,
        full=is_full, waiting=nri + nrn,
        pending_raises=pending, last_change=last_change,
        version=version or 0,
    )
