"""Read-only listings of the area: areas, schools, levels, children (for CLI and screens)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, select

from lopdesk.db import Database
from lopdesk.domain.access import require
from lopdesk.domain.models import Area, CapacityLevel, Child, RegisterEntry, School


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
    with db.read() as s:
        require(s, db.user, "read")
        n = dict(s.execute(select(School.area_id, func.count()).group_by(School.area_id)).all())
        return [AreaRow(a.id, a.name, a.education, a.in_lop, n.get(a.id, 0))
                for a in s.execute(select(Area).order_by(Area.id)).scalars()]


def list_schools(db: Database, area_id: str | None = None) -> list[SchoolRow]:
    with db.read() as s:
        require(s, db.user, "read")
        n = dict(s.execute(select(CapacityLevel.school_id, func.count())
                           .group_by(CapacityLevel.school_id)).all())
        q = select(School).order_by(School.name, School.id)
        if area_id:
            q = q.where(School.area_id == area_id)
        return [SchoolRow(x.id, x.area_id, x.name, x.neighbourhood, x.address, n.get(x.id, 0))
                for x in s.execute(q).scalars()]


def list_levels(db: Database, school_id: str | None = None, area_id: str | None = None,
                school_year: int | None = None) -> list[LevelRow]:
    with db.read() as s:
        require(s, db.user, "read")
        n = dict(s.execute(select(RegisterEntry.level_id, func.count())
                           .group_by(RegisterEntry.level_id)).all())
        q = (select(CapacityLevel).join(School, School.id == CapacityLevel.school_id)
             .order_by(CapacityLevel.school_id, CapacityLevel.school_year, CapacityLevel.id))
        if school_id:
            q = q.where(CapacityLevel.school_id == school_id)
        if area_id:
            q = q.where(School.area_id == area_id)
        if school_year:
            q = q.where(CapacityLevel.school_year == school_year)
        return [LevelRow(lv.id, lv.school_id, lv.school_year, lv.regime, lv.kind, lv.label,
                         lv.capacity, n.get(lv.id, 0)) for lv in s.execute(q).scalars()]


def list_children(db: Database, search: str | None = None, limit: int = 200) -> list[ChildRow]:
    """Children by id or name (case-insensitive part of it), at most `limit`."""
    with db.read() as s:
        require(s, db.user, "read")
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
