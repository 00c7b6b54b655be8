"""Creating the area's structure: area, schools and sites, capacity levels, children,
periods, overcapacity categories and calendar days. Every write is audited."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session, select

from lopdesk.db import Database
from lopdesk.domain import audit
from lopdesk.domain.access import require
from lopdesk.domain.calendar import school_year_end
from lopdesk.domain.codes import LEVEL_KINDS, PERIOD_KINDS, PRIORITY_GROUPS, REGIMES, ROUNDING_RULES
from lopdesk.domain.errors import InvalidInput, NotFound, RuleViolation
from lopdesk.domain.models import (
    Area,
    CalendarDay,
    CapacityLevel,
    Child,
    OvercapacityCategory,
    Period,
    RegisterCounter,
    School,
    Site,
)
from lopdesk.domain.types import utcnow
from lopdesk.labels import fmt_date, level_words


def get_or_404(session: Session, model, key, what: str, *, field: str | None = None):
    """The row of model with primary key `key`, or NotFound naming it: "gebied 'G1' bestaat
    niet." (a text key in quotes, a number without) for field (what, unless given)."""
    row = session.get(model, key)
    if row is None:
        shown = key if isinstance(key, int) else f"'{key}'"
        raise NotFound(f"{what} {shown} bestaat niet.", field=field or what)
    return row


def level_places_in(session: Session, level_ids) -> dict[str, str]:
    """Level id → the level as a user reads it, never its code: 'De Linde · leerjaar 1 ·
    2026-2027' (results worded by lopdesk.present, in the app and on the command line)."""
    ids = sorted(set(level_ids))
    if not ids:
        return {}
    rows = session.exec(
        select(CapacityLevel.id, CapacityLevel.kind, CapacityLevel.label,
               CapacityLevel.school_year, School.name)
        .join(School, School.id == CapacityLevel.school_id)
        .where(CapacityLevel.id.in_(ids))  # type: ignore[attr-defined]
    ).all()
    return {i: f"{name} · {level_words(kind, label, year)}" for i, kind, label, year, name in rows}


def refuse_existing(session: Session, model, key, what: str, *, field: str) -> None:
    """Refuse to create a row whose primary key is taken: "school 'S1' bestaat al."."""
    if session.get(model, key) is not None:
        raise InvalidInput(f"{what} '{key}' bestaat al.", field=field)


def create_area(db: Database, area_id: str, name: str, *, education: str = "primary",
                in_lop: bool = True, per_contingent_lists: bool = False,
                chair_contact: str = "", offer_reply_days: int = 5) -> Area:
    if not 1 <= offer_reply_days <= 30:
        raise InvalidInput("de antwoordtermijn voor een aanbod is 1 tot 30 schooldagen.",
                           field="offer_reply_days")
    with db.write() as s:
        require(s, db.user, "data.import")
        refuse_existing(s, Area, area_id, "gebied", field="area_id")
        area = Area(id=area_id, name=name, education=education, in_lop=in_lop,
                    per_contingent_lists=per_contingent_lists, chair_contact=chair_contact,
                    offer_reply_days=offer_reply_days)
        s.add(area)
        s.flush()
        audit.record(s, db.user, "area.create", "area", area_id, {"name": name})
        return area


def create_school(db: Database, school_id: str, area_id: str, name: str, *,
                  neighbourhood: str = "", address: str = "", x: float | None = None,
                  y: float | None = None, pupils: int = 0) -> School:
    """A school with its main site (same id)."""
    with db.write() as s:
        require(s, db.user, "data.import")
        get_or_404(s, Area, area_id, "gebied")
        refuse_existing(s, School, school_id, "school", field="school_id")
        school = School(id=school_id, area_id=area_id, name=name, neighbourhood=neighbourhood,
                        address=address, x=x, y=y)
        s.add(school)
        s.flush()
        s.add(Site(id=school_id, school_id=school_id, name=name, address=address, x=x, y=y,
                   pupils=pupils))
        audit.record(s, db.user, "school.create", "school", school_id, {"name": name})
        return school



def check_grade(kind: str, grade: int | None) -> None:
    """The year of an administrative group: 1-7 (secondary); other kinds carry none."""
    if grade is None:
        return
    if kind != "admin_group":
        raise InvalidInput("enkel een administratieve groep heeft een leerjaar (grade).",
                           field="grade")
    if not 1 <= grade <= 7:
        raise InvalidInput(f"leerjaar {grade} van een administratieve groep ligt niet "
                           "tussen 1 en 7.", field="grade")


def create_level(db: Database, level_id: str, school_id: str, *, school_year: int, regime: str,
                 kind: str, label: str, capacity: int | None = None, seated_indicator: int = 0,
                 seated_non_indicator: int = 0, indicator_ratio: float | None = None,
                 rounding: str = "half_up", enrolment_start: datetime | None = None,
                 site_id: str | None = None, name: str = "",
                 grade: int | None = None) -> CapacityLevel:
    if regime not in REGIMES:
        raise InvalidInput(f"onbekend regime '{regime}' (oud: old, nieuw: new).", field="regime")
    if kind not in LEVEL_KINDS:
        raise InvalidInput(f"onbekende soort niveau '{kind}'.", field="kind")
    if rounding not in ROUNDING_RULES:
        raise InvalidInput(f"onbekende afrondingsregel '{rounding}'.", field="rounding")
    if capacity is not None and capacity < 0:
        raise InvalidInput("capaciteit kan niet negatief zijn.", field="capacity")
    if indicator_ratio is not None and not 0 <= indicator_ratio <= 1:
        raise InvalidInput("gewenste indicatorverhouding ligt tussen 0 en 1.",
                           field="indicator_ratio")
    check_grade(kind, grade)
    with db.write() as s:
        require(s, db.user, "data.import")
        get_or_404(s, School, school_id, "school")
        refuse_existing(s, CapacityLevel, level_id, "capaciteitsniveau", field="level_id")
        level = CapacityLevel(
            id=level_id, school_id=school_id, site_id=site_id or school_id,
            school_year=school_year, regime=regime, kind=kind, label=label,
            name=name or label, grade=grade, capacity=capacity, seated_indicator=seated_indicator,
            seated_non_indicator=seated_non_indicator, indicator_ratio=indicator_ratio,
            rounding=rounding, enrolment_start=enrolment_start, updated_at=utcnow(),
        )
        s.add(level)
        s.flush()
        s.add(RegisterCounter(level_id=level_id, last_seq=0))
        audit.record(s, db.user, "level.create", "capacity_level", level_id,
                     {"capacity": capacity, "regime": regime})
        return level


def create_child(db: Database, child_id: str, first_name: str, last_name: str, *,
                 birth_date: date | None = None, indicator: bool = False,
                 household_id: str | None = None, address: str = "",
                 x: float | None = None, y: float | None = None) -> Child:
    with db.write() as s:
        require(s, db.user, "register.write")
        refuse_existing(s, Child, child_id, "kind", field="child_id")
        child = Child(id=child_id, first_name=first_name, last_name=last_name,
                      birth_date=birth_date, indicator=indicator, household_id=household_id,
                      address=address, x=x, y=y)
        s.add(child)
        s.flush()
        audit.record(s, db.user, "child.create", "child", child_id, {})
        return child


def create_period(db: Database, level_id: str, *, kind: str, starts_at: datetime,
                  group: str | None = None, ends_at: datetime | None = None) -> Period:
    """A priority period (old regime only, REG-04) or the free enrolment (REG-06)."""
    if kind not in PERIOD_KINDS:
        raise InvalidInput(f"onbekende periode '{kind}' (priority of free).", field="kind")
    if group is not None and (group not in PRIORITY_GROUPS or group == "none"):
        raise InvalidInput(f"onbekende groep '{group}' voor een voorrangsperiode (kies "
                           "sibling_staff, sibling of staff; geen groep = de periode met "
                           "dubbele contingentering).", field="group")
    if kind == "free" and group is not None:
        raise InvalidInput("de vrije inschrijving heeft geen voorrangsgroep.", field="group")
    if ends_at is not None and ends_at <= starts_at:
        raise InvalidInput("een periode eindigt na haar begin.", field="ends_at")
    with db.write() as s:
        require(s, db.user, "register.write")
        level = get_or_404(s, CapacityLevel, level_id, "capaciteitsniveau")
        if kind == "priority" and level.regime != "old":
            raise RuleViolation(
                "voorrangsperiodes met contingenten bestaan enkel in het oude regime; "
                "in het nieuwe regime gaan voorrangsgroepen via de aanmeldingsprocedure.",
                rule="REG-04",
            )
        _check_period_fits(s, level, starts_at, ends_at)
        period = Period(level_id=level_id, kind=kind, group=group, starts_at=starts_at,
                        ends_at=ends_at)
        s.add(period)
        s.flush()
        audit.record(s, db.user, "period.create", "period", period.id,
                     {"level_id": level_id, "kind": kind, "group": group})
        return period


def _period_end(p: Period) -> datetime | None:
    ends = [t for t in (p.ends_at, p.closed_at) if t is not None]
    return min(ends) if ends else None


def _check_period_fits(s: Session, level: CapacityLevel, starts_at: datetime,
                       ends_at: datetime | None) -> None:
    """REG-04: one level runs one period at a time, within its school year."""
    if starts_at > school_year_end(level.school_year):
        raise RuleViolation(
            f"de registers van schooljaar {level.school_year}-{level.school_year + 1} zijn "
            f"afgesloten op {fmt_date(school_year_end(level.school_year))}: daar komt geen "
            "periode meer bij.", rule="REG-04")
    for other in s.execute(select(Period).where(Period.level_id == level.id)).scalars():
        other_end = _period_end(other)
        if ((other_end is None or starts_at < other_end)
                and (ends_at is None or other.starts_at < ends_at)):
            until = f"t.e.m. {fmt_date(other_end)}" if other_end else "zonder einde"
            raise RuleViolation(
                f"deze periode overlapt met periode {other.id} van {level.id} (vanaf "
                f"{fmt_date(other.starts_at)}, {until}); sluit die eerst af of kies andere "
                "data.", rule="REG-04")


def add_overcapacity_category(db: Database, regime: str, level_kind: str, code: str,
                              label: str) -> OvercapacityCategory:
    with db.write() as s:
        require(s, db.user, "capacity.write")
        cat = OvercapacityCategory(regime=regime, level_kind=level_kind, code=code, label=label)
        s.add(cat)
        s.flush()
        audit.record(s, db.user, "overcapacity_category.create", "overcapacity_category",
                     cat.id, {"code": code})
        return cat


def add_calendar_day(db: Database, area_id: str, day: date, *, kind: str = "free_day",
                     label: str = "") -> CalendarDay:
    with db.write() as s:
        require(s, db.user, "data.import")
        get_or_404(s, Area, area_id, "gebied")
        row = CalendarDay(area_id=area_id, day=day, kind=kind, label=label)
        s.add(row)
        s.flush()
        audit.record(s, db.user, "calendar.add", "calendar_day", row.id,
                     {"day": day.isoformat(), "kind": kind})
        return row



def add_new_child_in(s: Session, user: str, first_name: str, last_name: str, *,
                     birth_date: date | None = None) -> Child:
    """A child that is not yet known (the add-request form): the id is the next free
    'N' number, so it never collides with the ids of an imported list."""
    first, last = first_name.strip(), last_name.strip()
    if not first or not last:
        raise InvalidInput("een nieuw kind heeft een voornaam en een familienaam.",
                           field="first_name")
    taken = {cid for (cid,) in s.execute(select(Child.id).where(Child.id.like("N%")))}
    n = len(taken) + 1
    while f"N{n:06d}" in taken:
        n += 1
    child = Child(id=f"N{n:06d}", first_name=first, last_name=last, birth_date=birth_date)
    s.add(child)
    s.flush()
    audit.record(s, user, "child.create", "child", child.id, {})
    return child

