"""Capacity, raises, the free-places field, full declarations and ANK capacity (CAP-01..08)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from lopdesk.db import Database
from lopdesk.domain import audit
from lopdesk.domain.access import reading, require
from lopdesk.domain.areas import get_or_404
from lopdesk.domain.errors import Conflict, InvalidInput, RuleViolation
from lopdesk.domain.models import (
    AppUser,
    Area,
    CapacityDecision,
    CapacityLevel,
    FullDeclaration,
    FullDeclarationLevel,
    RegisterEntry,
    School,
    Site,
    Task,
)
from lopdesk.domain.query import where_given
from lopdesk.domain.registers import FillReport, fill_in, level_state, name_places_in
from lopdesk.domain.types import utcnow
from lopdesk.labels import DECISION_STATUS, fmt_date, local_day


def _level(s: Session, level_id: str, expected_version: int | None = None) -> CapacityLevel:
    level = get_or_404(s, CapacityLevel, level_id, "capaciteitsniveau")
    if expected_version is not None and level.version != expected_version:
        raise Conflict(f"Capaciteitsniveau {level_id}")
    return level


def _started(s: Session, level: CapacityLevel, at: datetime) -> bool:
    """Enrolment has started at the start date, or as soon as the register holds a request
    (the register, not the wall clock, decides: a capacity cannot move under requests)."""
    if level.enrolment_start is not None and at >= level.enrolment_start:
        return True
    return s.execute(select(RegisterEntry.id).where(RegisterEntry.level_id == level.id)
                     .limit(1)).first() is not None


def _area(s: Session, level: CapacityLevel) -> Area:
    school = s.get(School, level.school_id)
    assert school is not None
    area = s.get(Area, school.area_id)
    assert area is not None
    return area


def _save(s: Session, level: CapacityLevel) -> None:
    level.updated_at = utcnow()
    s.add(level)
    try:
        s.flush()
    except StaleDataError:
        raise Conflict(f"Capaciteitsniveau {level.id}") from None


@dataclass
class CapacityResult:
    level_id: str
    capacity: int | None
    rule: str | None = None
    message: str = ""
    task_id: int | None = None


def set_capacity(db: Database, level_id: str, capacity: int, *, at: datetime | None = None,
                 expected_version: int | None = None, reason: str = "") -> CapacityResult:
    """Set or change a capacity. Before the start anything goes (CAP-01); after the start it is
    never lowered (CAP-02) and raised only through an approved LOP decision (CAP-03), except
    outside a LOP area, where a raise creates an 'inform the other boards' task."""
    if capacity < 0:
        raise InvalidInput("capaciteit kan niet negatief zijn.", field="capacity")
    now = at or utcnow()
    with db.write() as s:
        require(s, db.user, "capacity.write")
        level = _level(s, level_id, expected_version)
        old = level.capacity
        result = CapacityResult(level_id, capacity)
        if _started(s, level, now):
            by_date = level.enrolment_start is not None and now >= level.enrolment_start
            start = (fmt_date(level.enrolment_start) if by_date
                     else "de eerste inschrijving in het register")
            if old is None:
                raise RuleViolation(
                    f"de capaciteit moet vastliggen vóór de start van de inschrijvingen op "
                    f"{start}; een weigering op basis van capaciteit is anders ongeldig.",
                    rule="CAP-01")
            if capacity < old:
                raise RuleViolation(
                    f"capaciteit kan niet verlaagd worden na de start van de inschrijvingen "
                    f"op {start} ({old} → {capacity}).", rule="CAP-02")
            if capacity > old:
                if _area(s, level).in_lop:
                    raise RuleViolation(
                        "een verhoging na de start vraagt een goedgekeurde beslissing van het "
                        "LOP: gebruik 'capaciteit verhogen aanvragen' (request-raise).",
                        rule="CAP-03")
                task = Task(kind="inform_boards", level_id=level_id, created_at=now,
                            text=f"Informeer de andere schoolbesturen: capaciteit van "
                                 f"{level_id} verhoogd van {old} naar {capacity}.")
                s.add(task)
                s.flush()
                result.task_id = task.id
                result.rule = "CAP-03"
                result.message = "buiten een LOP-gebied: taak 'andere besturen informeren'"
        else:
            result.rule = "CAP-01"
        level.capacity = capacity
        _save(s, level)
        audit.record(s, db.user, "capacity.set", "capacity_level", level_id,
                     {"from": old, "to": capacity, "reason": reason})
        return result


def set_seated(db: Database, level_id: str, *, indicator: int, non_indicator: int,
               expected_version: int | None = None) -> CapacityResult:
    """Seated pupils count against capacity; above capacity is not an error (CAP-04)."""
    if indicator < 0 or non_indicator < 0:
        raise InvalidInput("aantal zittende leerlingen kan niet negatief zijn.", field="seated")
    with db.write() as s:
        require(s, db.user, "capacity.write")
        level = _level(s, level_id, expected_version)
        old = (level.seated_indicator, level.seated_non_indicator)
        level.seated_indicator, level.seated_non_indicator = indicator, non_indicator
        _save(s, level)
        audit.record(s, db.user, "capacity.seated", "capacity_level", level_id,
                     {"from": old, "to": (indicator, non_indicator)})
        msg = ""
        if level.capacity is not None and indicator + non_indicator > level.capacity:
            msg = "meer zittende leerlingen dan capaciteit: geen vrije plaatsen (CAP-04)"
        return CapacityResult(level_id, level.capacity, "CAP-04", msg)


def request_raise(db: Database, level_id: str, new_capacity: int, *, reason: str,
                  at: datetime | None = None) -> CapacityDecision:
    if not reason.strip():
        raise InvalidInput("geef de reden van de aanvraag op.", field="reason")
    with db.write() as s:
        require(s, db.user, "capacity.write")
        level = _level(s, level_id)
        if level.capacity is None:
            raise RuleViolation("dit niveau heeft nog geen capaciteit.", rule="CAP-01")
        if new_capacity <= level.capacity:
            raise RuleViolation(
                f"een verhoging moet boven de huidige capaciteit ({level.capacity}) liggen; "
                "verlagen kan niet na de start.", rule="CAP-02")
        decision = CapacityDecision(level_id=level_id, current_capacity=level.capacity,
                                    requested_capacity=new_capacity, reason=reason,
                                    requested_by=db.user, requested_at=at or utcnow())
        s.add(decision)
        s.flush()
        audit.record(s, db.user, "capacity.request_raise", "capacity_decision", decision.id,
                     {"level_id": level_id, "to": new_capacity, "reason": reason})
        return decision


@dataclass
class RaiseOutcome:
    decision_id: int
    status: str
    level_id: str
    capacity: int
    cascade: FillReport = field(default_factory=FillReport)


def _decide_in(s: Session, user: str, decision_id: int, *, approve: bool, reason: str,
               decision_ref: str | None, at: datetime, accept_all: bool) -> RaiseOutcome:
    decision = get_or_404(s, CapacityDecision, decision_id, "capaciteitsaanvraag",
                          field="decision_id")
    if decision.status != "pending":
        raise RuleViolation(f"aanvraag {decision_id} werd al beslist "
                            f"({DECISION_STATUS.get(decision.status, decision.status)}).",
                            rule="CAP-03")
    level = _level(s, decision.level_id)
    decision.status = "approved" if approve else "rejected"
    decision.decided_by = user
    decision.decided_at = at
    decision.decision_reason = reason
    # the automatic number carries the Brussels day of the decision, as the user sees it
    decision.decision_ref = decision_ref or f"LOP-{local_day(at):%Y%m%d}-{decision_id}"
    s.add(decision)
    outcome = RaiseOutcome(decision_id, decision.status, level.id, level.capacity or 0)
    if approve:
        if level.capacity is not None and decision.requested_capacity < level.capacity:
            raise RuleViolation("de gevraagde capaciteit ligt onder de huidige.", rule="CAP-02")
        level.capacity = decision.requested_capacity
        _save(s, level)
        outcome.capacity = level.capacity
        # The new places go to the waiting list first (WL-01), with the cascade (WL-03).
        fill_in(s, user, [level.id], accept=accept_all, at=at, report=outcome.cascade)
    audit.record(s, user, "capacity.decide", "capacity_decision", decision_id,
                 {"approve": approve, "reason": reason, "ref": decision.decision_ref})
    name_places_in(s, outcome.cascade, level.id)  # the level in words (present)
    return outcome


def decide_raise(db: Database, decision_id: int, *, approve: bool, reason: str,
                 decision_ref: str | None = None, at: datetime | None = None,
                 accept_all: bool = False) -> RaiseOutcome:
    """CAP-03: the LOP approves or rejects a raise (decision id, date, who)."""
    if not reason.strip():
        raise InvalidInput("geef de motivering van de beslissing op.", field="reason")
    with db.write() as s:
        require(s, db.user, "capacity.decide")
        return _decide_in(s, db.user, decision_id, approve=approve, reason=reason,
                          decision_ref=decision_ref, at=at or utcnow(), accept_all=accept_all)


def preview_raise(db: Database, decision_id: int, at: datetime | None = None, *,
                  accept_all: bool = True) -> RaiseOutcome:
    """Exactly which children would get the new places, and the cascade their moves cause,
    if everyone accepted (or, without accept_all, the offers an approval makes now): the
    approval is carried out in a transaction that is rolled back."""
    with db.write() as s:
        require(s, db.user, "capacity.decide")
        outcome = _decide_in(s, db.user, decision_id, approve=True, reason="voorbeeld",
                             decision_ref="voorbeeld", at=at or utcnow(),
                             accept_all=accept_all)
        s.rollback()
        return outcome


@dataclass
class DecisionRow:
    id: int
    level_id: str
    current_capacity: int
    requested_capacity: int
    reason: str
    requested_by: str
    requested_at: datetime
    status: str
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None
    decision_ref: str | None  # CAP-03: the LOP's decision id
    decided_by_name: str = ""  # the decider's full name where the users table knows it


def list_decisions(db: Database, status: str | None = None) -> list[DecisionRow]:
    """The raise requests with their decisions (CAP-03: id, date, who by full name)."""
    with reading(db) as s:
        q = where_given(select(CapacityDecision, AppUser.full_name)
                        .outerjoin(AppUser, AppUser.name == CapacityDecision.decided_by)
                        .order_by(CapacityDecision.id),
                        (CapacityDecision.status, status))
        return [DecisionRow(d.id, d.level_id, d.current_capacity, d.requested_capacity,
                            d.reason, d.requested_by, d.requested_at, d.status, d.decided_by,
                            d.decided_at, d.decision_reason, d.decision_ref, name or "")
                for d, name in s.execute(q).all()]


def validate_free_places_field(value: str) -> str:
    """CAP-05: empty, '0', 'JA' or a positive integer; anything else is refused."""
    v = value.strip()
    if v in ("", "0", "JA"):
        return v
    if v.isdigit() and int(v) > 0 and not v.startswith("0"):
        return v
    raise RuleViolation(
        f"'{value}' is geen geldige waarde voor vrije plaatsen: leeg (nog plaatsen vrij), "
        "0 (volzet), JA (plaatsen, aantal niet bekendgemaakt) of een positief getal.",
        rule="CAP-05")


def set_free_places_field(db: Database, level_id: str, value: str,
                          expected_version: int | None = None) -> CapacityResult:
    clean = validate_free_places_field(value)
    with db.write() as s:
        require(s, db.user, "capacity.write")
        level = _level(s, level_id, expected_version)
        old = level.free_places_field
        level.free_places_field = clean
        _save(s, level)
        audit.record(s, db.user, "capacity.free_places_field", "capacity_level", level_id,
                     {"from": old, "to": clean})
        return CapacityResult(level_id, level.capacity, "CAP-05")


def set_ank_capacity(db: Database, level_id: str, capacity: int | None) -> CapacityResult:
    """CAP-08: optional; when set at least 4 (site ≤ 100 pupils) or 8 (> 100)."""
    with db.write() as s:
        require(s, db.user, "capacity.write")
        level = _level(s, level_id)
        if capacity is not None:
            site = s.get(Site, level.site_id)
            minimum = 8 if site is not None and site.pupils > 100 else 4
            if capacity < minimum:
                raise RuleViolation(
                    f"ANK-capaciteit is minstens {minimum} voor een vestigingsplaats met "
                    f"{site.pupils if site else 0} leerlingen.", rule="CAP-08")
        level.ank_capacity = capacity
        _save(s, level)
        audit.record(s, db.user, "capacity.ank", "capacity_level", level_id, {"to": capacity})
        return CapacityResult(level_id, level.capacity, "CAP-08")


# --- full declarations (CAP-06) -------------------------------------------------------------


def _check_declarable(s: Session, level: CapacityLevel) -> None:
    """CAP-06: only an administrative group of the 2nd to 7th year, in secondary education."""
    school = s.get(School, level.school_id)
    area = s.get(Area, school.area_id) if school is not None else None
    why = None
    if level.kind != "admin_group":
        why = "is geen administratieve groep"
    elif area is None or area.education != "secondary":
        why = "hoort niet bij een gebied van het secundair onderwijs"
    elif level.grade is None:
        why = "heeft geen leerjaar (kolom grade van levels.csv)"
    elif not 2 <= level.grade <= 7:
        why = f"is een administratieve groep van het {level.grade}ste jaar"
    if why is not None:
        raise RuleViolation(
            f"{level.id} {why}: een volzetverklaring kan enkel voor een administratieve "
            "groep van het 2de tot 7de jaar secundair.", rule="CAP-06")


def declare_full(db: Database, level_ids: list[str], *, reason: str,
                 at: datetime | None = None) -> FullDeclaration:
    """Secondary years 2-7: stores each level's count, free places become 0; reported."""
    if not level_ids:
        raise InvalidInput("geef minstens één administratieve groep op.", field="level_ids")
    now = at or utcnow()
    with db.write() as s:
        require(s, db.user, "capacity.write")
        levels = [_level(s, lid) for lid in dict.fromkeys(level_ids)]
        for level in levels:
            _check_declarable(s, level)
            existing = s.execute(
                select(FullDeclaration.id)
                .join(FullDeclarationLevel,
                      FullDeclarationLevel.declaration_id == FullDeclaration.id)
                .where(FullDeclarationLevel.level_id == level.id,
                       FullDeclaration.lifted_at.is_(None))).scalar()
            if existing is not None:
                raise RuleViolation(f"{level.id} is al volzet verklaard (verklaring "
                                    f"{existing}).", rule="CAP-06")
        decl = FullDeclaration(reason=reason, declared_at=now, declared_by=db.user)
        s.add(decl)
        s.flush()
        for level in levels:
            st = level_state(s, level)
            count = level.seated_indicator + level.seated_non_indicator + st.realised_total
            s.add(FullDeclarationLevel(declaration_id=decl.id, level_id=level.id,
                                       count_at_declaration=count))
        audit.record(s, db.user, "full.declare", "full_declaration", decl.id,
                     {"levels": [lv.id for lv in levels], "reason": reason,
                      "reported_to_lop": True})
        return decl


def lift_full(db: Database, declaration_id: int, *, reason: str,
              at: datetime | None = None) -> FullDeclaration:
    with db.write() as s:
        require(s, db.user, "capacity.write")
        decl = get_or_404(s, FullDeclaration, declaration_id, "volzetverklaring",
                          field="declaration_id")
        if decl.lifted_at is not None:
            raise RuleViolation(f"volzetverklaring {declaration_id} werd al opgeheven.",
                                rule="CAP-06")
        decl.lifted_at = at or utcnow()
        decl.lifted_by = db.user
        decl.lift_reason = reason
        s.add(decl)
        audit.record(s, db.user, "full.lift", "full_declaration", declaration_id,
                     {"reason": reason, "reported_to_lop": True})
        return decl


@dataclass
class DeclarationRow:
    id: int
    reason: str
    declared_at: datetime
    declared_by: str
    lifted_at: datetime | None
    levels: list[tuple[str, int]]


def list_declarations(db: Database) -> list[DeclarationRow]:
    with reading(db) as s:
        out = []
        for d in s.execute(select(FullDeclaration).order_by(FullDeclaration.id)).scalars():
            levels = s.execute(select(FullDeclarationLevel.level_id,
                                      FullDeclarationLevel.count_at_declaration)
                               .where(FullDeclarationLevel.declaration_id == d.id)).all()
            out.append(DeclarationRow(d.id or 0, d.reason, d.declared_at, d.declared_by,
                                      d.lifted_at, [tuple(r) for r in levels]))
        return out
