"""Read-only listings of the area: areas, schools, levels, children (for CLI and screens)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, or_, select

from lopdesk.db import Database
from lopdesk.domain.access import reading
from lopdesk.domain.calendar import school_year_end
from lopdesk.domain.mediation.rules import placed_elsewhere
from lopdesk.domain.models import (
    Area,
    CapacityLevel,
    Child,
    OvercapacityCategory,
    Period,
    RegisterEntry,
    School,
)
from lopdesk.domain.query import where_given


@dataclass
class AreaRow:
    id: str
    name: str
    education: str
    in_lop: bool
    schools: int


@dataclass
class SchoolRow:
    id: str
    area_id: str
    name: str
    neighbourhood: str
    address: str
    levels: int


@dataclass
class LevelRow:
    id: str
    school_id: str
    school_year: int
    regime: str
    kind: str
    label: str
    capacity: int | None
    entries: int


@dataclass
class ChildRow:
    id: str
    first_name: str
    last_name: str
    birth_date: date | None
    indicator: bool
    household_id: str | None
    requests: int


def list_areas(db: Database) -> list[AreaRow]:
    with reading(db) as s:
        n = dict(s.execute(select(School.area_id, func.count()).group_by(School.area_id)).all())
        return [AreaRow(a.id, a.name, a.education, a.in_lop, n.get(a.id, 0))
                for a in s.execute(select(Area).order_by(Area.id)).scalars()]


def list_schools(db: Database, area_id: str | None = None) -> list[SchoolRow]:
    with reading(db) as s:
        n = dict(s.execute(select(CapacityLevel.school_id, func.count())
                           .group_by(CapacityLevel.school_id)).all())
        q = select(School).order_by(School.name, School.id)
        if area_id:
            q = q.where(School.area_id == area_id)
        return [SchoolRow(x.id, x.area_id, x.name, x.neighbourhood, x.address, n.get(x.id, 0))
                for x in s.execute(q).scalars()]


def list_levels(db: Database, school_id: str | None = None, area_id: str | None = None,
                school_year: int | None = None) -> list[LevelRow]:
    with reading(db) as s:
        n = dict(s.execute(select(RegisterEntry.level_id, func.count())
                           .group_by(RegisterEntry.level_id)).all())
        q = where_given(
            select(CapacityLevel).join(School, School.id == CapacityLevel.school_id)
            .order_by(CapacityLevel.school_id, CapacityLevel.school_year, CapacityLevel.id),
            (CapacityLevel.school_id, school_id), (School.area_id, area_id),
            (CapacityLevel.school_year, school_year))
        return [LevelRow(lv.id, lv.school_id, lv.school_year, lv.regime, lv.kind, lv.label,
                         lv.capacity, n.get(lv.id, 0)) for lv in s.execute(q).scalars()]


def list_children(db: Database, search: str | None = None, limit: int = 200) -> list[ChildRow]:
    """Children by id or name (case-insensitive part of it), at most `limit`."""
    with reading(db) as s:
        q = select(Child).order_by(Child.last_name, Child.first_name, Child.id).limit(limit)
        if search:
            like = f"%{search.lower()}%"
            q = q.where(or_(func.lower(Child.id).like(like),
                            func.lower(Child.first_name).like(like),
                            func.lower(Child.last_name).like(like),
                            func.lower(Child.first_name + " " + Child.last_name).like(like)))
        kids = list(s.execute(q).scalars())
        ids = [k.id for k in kids]
        n = dict(s.execute(select(RegisterEntry.child_id, func.count())
                           .where(RegisterEntry.child_id.in_(ids))
                           .group_by(RegisterEntry.child_id)).all()) if ids else {}
        return [ChildRow(k.id, k.first_name, k.last_name, k.birth_date, k.indicator,
                         k.household_id, n.get(k.id, 0)) for k in kids]


@dataclass
class NonRealisedRow:
    """A non-realised register line: what a refusal notice (NGI-01) can be made for."""

    entry_id: int
    seq: int
    child_id: str
    first_name: str
    last_name: str
    birth_date: date | None
    school_id: str
    school_name: str
    where: str  # the school's address, else its neighbourhood (sites of one name differ)
    kind: str
    label: str
    school_year: int


def non_realised_entries(db: Database, child_id: str | None = None) -> list[NonRealisedRow]:
    """Every non-realised line (of one child when given), newest school year first, then
    by the child's name: one read, for choosing the line of a refusal notice."""
    with reading(db) as s:
        q = where_given(
            select(RegisterEntry.id, RegisterEntry.seq, Child.id, Child.first_name,
                   Child.last_name, Child.birth_date, School.id, School.name, School.address,
                   School.neighbourhood, CapacityLevel.kind, CapacityLevel.label,
                   CapacityLevel.school_year)
            .join(CapacityLevel, CapacityLevel.id == RegisterEntry.level_id)
            .join(School, School.id == CapacityLevel.school_id)
            .join(Child, Child.id == RegisterEntry.child_id)
            .where(RegisterEntry.status == "non_realised")
            .order_by(CapacityLevel.school_year.desc(), Child.last_name, Child.first_name,
                      Child.id, RegisterEntry.level_id),
            (RegisterEntry.child_id, child_id))
        return [NonRealisedRow(eid, seq, cid, first, last, born, sid, sname,
                               address or neighbourhood or "", kind, label, year)
                for (eid, seq, cid, first, last, born, sid, sname, address, neighbourhood,
                     kind, label, year) in s.execute(q).all()]


# --- reads the app needs (one query each, no per-level loops) -----------------------


@dataclass
class PeriodRow:
    id: int
    level_id: str
    kind: str
    group: str | None
    starts_at: datetime
    ends_at: datetime | None
    closed_at: datetime | None
    school_year_ends: datetime | None = None  # the registers of its school year end then

    @property
    def open(self) -> bool:
        return self.closed_at is None

    def ended(self, at: datetime) -> bool:
        """Past its end, or past the end of its school year's registers."""
        return any(end is not None and end <= at for end in (self.ends_at,
                                                              self.school_year_ends))

    def running(self, at: datetime) -> bool:
        """Started, not ended and not closed at `at`."""
        return self.closed_at is None and self.starts_at <= at and not self.ended(at)

    def phase(self, at: datetime) -> str:
        """Where the period stands at `at` (codes.PERIOD_PHASES): the one answer the app
        and the command line show, both asked with the database's clock."""
        if self.closed_at is not None:
            return "closed"
        if self.starts_at > at:
            return "planned"
        return "ended" if self.ended(at) else "running"


def list_periods(db: Database, level_id: str | None = None) -> list[PeriodRow]:
    """The periods of a level, or of every level (REG-04), oldest first."""
    with reading(db) as s:
        q = (select(Period, CapacityLevel.school_year)
             .join(CapacityLevel, CapacityLevel.id == Period.level_id)
             .order_by(Period.level_id, Period.starts_at, Period.id))
        if level_id is not None:
            q = q.where(Period.level_id == level_id)
        return [PeriodRow(p.id or 0, p.level_id, p.kind, p.group, p.starts_at, p.ends_at,
                          p.closed_at, school_year_end(year)) for p, year in s.execute(q).all()]


@dataclass
class CategoryRow:
    code: str
    label: str
    regime: str
    level_kind: str


def list_overcapacity_categories(db: Database, level_id: str | None = None
                                 ) -> list[CategoryRow]:
    """The overcapacity categories (CAP-07), those valid for a level when one is given."""
    with reading(db) as s:
        q = select(OvercapacityCategory).order_by(OvercapacityCategory.code)
        if level_id:
            level = s.get(CapacityLevel, level_id)
            if level is None:
                return []
            q = q.where(OvercapacityCategory.regime == level.regime,
                        OvercapacityCategory.level_kind.in_([level.kind, "*"]))
        return [CategoryRow(c.code, c.label, c.regime, c.level_kind)
                for c in s.execute(q).scalars()]


@dataclass
class RefusedRequest:
    level_id: str
    school_id: str
    school_name: str
    school_year: int
    label: str
    seq: int
    status: str
    reason: str | None
    waitlist_position: int | None
    kind: str = ""  # the level's kind, to show it in words with its label
    place: int | None = None  # a non-realised request's place on its waiting list (REG-07)


@dataclass
class RefusedChild:
    child_id: str
    name: str
    indicator: bool
    requests: list[RefusedRequest]
    # MED-01: the child's realised enrolment at another school for the same school year
    # and grade as one of these requests (it already has a place), if any
    placed: RefusedRequest | None = None


def refused_children(db: Database, area_id: str | None = None,
                     school_year: int | None = None) -> list[RefusedChild]:
    """Children with deferred or non-realised requests, once each with all their schools
    (one grouped read, for the Uitgesteld / Niet-gerealiseerd view and the plenary)."""
    with reading(db) as s:
        q = (select(RegisterEntry.child_id, RegisterEntry.level_id, RegisterEntry.seq,
                    RegisterEntry.status, RegisterEntry.reason,
                    RegisterEntry.waitlist_position, CapacityLevel.school_id, School.name,
                    CapacityLevel.school_year, CapacityLevel.label, Child.first_name,
                    Child.last_name, Child.indicator, CapacityLevel.kind)
             .join(CapacityLevel, CapacityLevel.id == RegisterEntry.level_id)
             .join(School, School.id == CapacityLevel.school_id)
             .join(Child, Child.id == RegisterEntry.child_id)
             .where(RegisterEntry.status.in_(["deferred", "non_realised", "realised"]))
             .order_by(Child.last_name, Child.first_name, RegisterEntry.child_id,
                       RegisterEntry.level_id))
        if area_id:
            q = q.where(School.area_id == area_id)
        if school_year:
            q = q.where(CapacityLevel.school_year == school_year)
        out: dict[str, RefusedChild] = {}
        realised: dict[str, list[RefusedRequest]] = {}
        for (cid, lv, seq, status, reason, pos, sid, sname, year, label, first, last,
             ind, kind) in s.connection().execute(q).all():
            request = RefusedRequest(lv, sid, sname, year, label, seq, status, reason, pos,
                                     kind)
            if status == "realised":
                realised.setdefault(cid, []).append(request)
                continue
            row = out.get(cid)
            if row is None:
                row = out[cid] = RefusedChild(cid, f"{first} {last}".strip(), bool(ind), [])
            row.requests.append(request)
        for cid, places in realised.items():
            if cid in out:  # in the same read: no query per child
                out[cid].placed = placed_elsewhere(out[cid].requests, places)
        _waiting_places(out.values())
        return list(out.values())


def _waiting_places(children: Iterable[RefusedChild]) -> None:
    """Each non-realised request's place on its level's waiting list, in the registers'
    order (REG-07): allocation positions first, then by register number. Every
    non-realised entry of a level is read (a filter on area or year keeps whole levels)."""
    levels: dict[str, list[RefusedRequest]] = {}
    for child in children:
        for r in child.requests:
            if r.status == "non_realised":
                levels.setdefault(r.level_id, []).append(r)
    for waiting in levels.values():
        waiting.sort(key=lambda r: (r.waitlist_position is None, r.waitlist_position or 0,
                                    r.seq))
        for place, r in enumerate(waiting, 1):
            r.place = place
