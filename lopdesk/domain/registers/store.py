"""The register's shared steps inside a caller's session: counts, numbering, events,
status changes, waiting lists (REG-01..03, CAP-04, WL-01/02)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import case, func, select, update
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from lopdesk.domain import audit
from lopdesk.domain.areas import get_or_404
from lopdesk.domain.calendar import (
    area_free_days,
    end_of_day,
    nth_school_day,
    order_binds,
    waiting_list_deadline,
)
from lopdesk.domain.errors import Conflict, RuleViolation
from lopdesk.domain.models import (
    Area,
    CapacityLevel,
    Child,
    FullDeclaration,
    FullDeclarationLevel,
    Offer,
    RegisterCounter,
    RegisterEntry,
    RegisterEvent,
    School,
)
from lopdesk.domain.refusals import entry_or_404, notify_lop
from lopdesk.domain.registers.rules import LevelState, contingent_seats, transition_allowed
from lopdesk.domain.types import utcnow
from lopdesk.labels import BRUSSELS, STATUS

# --- counting (CAP-04, REG-05) ------------------------------------------------------------


def level_state(s: Session, level: CapacityLevel) -> LevelState:
    rows = s.execute(
        select(RegisterEntry.contingent, func.count())
        .where(RegisterEntry.level_id == level.id, RegisterEntry.status == "realised",
               RegisterEntry.overcapacity_category.is_(None))
        .group_by(RegisterEntry.contingent)
    ).all()
    realised = {"indicator": 0, "non_indicator": 0}
    for contingent, n in rows:
        realised[contingent] = n
    return LevelState(level, realised, active_full_declaration(s, level.id))


def active_full_declaration(s: Session, level_id: str) -> int | None:
    return s.execute(
        select(FullDeclaration.id)
        .join(FullDeclarationLevel, FullDeclarationLevel.declaration_id == FullDeclaration.id)
        .where(FullDeclarationLevel.level_id == level_id, FullDeclaration.lifted_at.is_(None))
    ).scalar()


# --- numbering and events (REG-01, REG-02) ------------------------------------------------


def next_seq(s: Session, level_id: str) -> int:
    """REG-01: the UPDATE takes the register's row lock, so numbers stay gap-free."""
    seq = s.execute(
        update(RegisterCounter)
        .where(RegisterCounter.level_id == level_id)
        .values(last_seq=RegisterCounter.last_seq + 1)
        .returning(RegisterCounter.last_seq)
    ).scalar()
    if seq is None:
        current = s.execute(
            select(func.coalesce(func.max(RegisterEntry.seq), 0))
            .where(RegisterEntry.level_id == level_id)
        ).scalar_one()
        s.add(RegisterCounter(level_id=level_id, last_seq=current + 1))
        s.flush()
        seq = current + 1
    return int(seq)


def lock_register(s: Session, level_id: str) -> None:
    """Take the register's lock without consuming a number (PostgreSQL row lock)."""
    s.execute(update(RegisterCounter).where(RegisterCounter.level_id == level_id)
              .values(last_seq=RegisterCounter.last_seq))


def add_event(s: Session, user: str, entry: RegisterEntry, kind: str, *, at: datetime,
              from_status: str | None, to_status: str | None, reason: str,
              rule: str | None) -> None:
    assert entry.id is not None
    s.add(RegisterEvent(entry_id=entry.id, at=at, user=user, kind=kind,
                        from_status=from_status, to_status=to_status, reason=reason,
                        rule_id=rule))


def load_entry(s: Session, entry_id: int, expected_version: int | None) -> RegisterEntry:
    entry = entry_or_404(s, entry_id)
    if expected_version is not None and entry.version != expected_version:
        raise Conflict(f"Inschrijving {entry.seq} van {entry.level_id}")
    return entry


def set_status_in(s: Session, user: str, entry: RegisterEntry, to_status: str, *, reason: str,
                  rule: str | None, at: datetime | None = None) -> None:
    """A status change inside the caller's transaction: REG-03 checked, the event (REG-02),
    the LOP notification of a refusal (NGI-03) and the audit record written."""
    if not transition_allowed(entry.status, to_status):
        raise RuleViolation(
            f"de status van inschrijving {entry.seq} kan niet van '{STATUS[entry.status]}' "
            f"naar '{STATUS.get(to_status, to_status)}' gaan.", rule="REG-03")
    when = at or utcnow()
    old = entry.status
    entry.status = to_status
    entry.status_changed_at = when
    if to_status == "realised":
        entry.reason = None
    s.add(entry)
    try:
        s.flush()
    except StaleDataError:
        raise Conflict(f"Inschrijving {entry.seq} van {entry.level_id}") from None
    add_event(s, user, entry, "status", at=when, from_status=old, to_status=to_status,
              reason=reason, rule=rule)
    if to_status == "non_realised":
        notify_lop(s, user, [entry.id], when)
    audit.record(s, user, "register.status", "register_entry", entry.id,
                 {"from": old, "to": to_status, "reason": reason, "rule": rule})


# --- waiting lists (WL-01, WL-02, REG-07) -------------------------------------------------


def deadline_for(s: Session, level: CapacityLevel) -> date:
    school = s.get(School, level.school_id)
    free = area_free_days(s, school.area_id) if school else []
    return waiting_list_deadline(level.school_year, level.kind, level.label, free)


def binding(s: Session, level: CapacityLevel, at: datetime) -> tuple[bool, date]:
    """Whether freed places still follow the waiting list at `at`, and until when (WL-01)."""
    deadline = deadline_for(s, level)
    return order_binds(at, deadline), deadline


def level_binding(s: Session, level_id: str, at: datetime) -> tuple[CapacityLevel, bool, date]:
    """The level, whether its freed places still follow the waiting list at `at`, and until
    when (WL-01)."""
    level = get_or_404(s, CapacityLevel, level_id, "capaciteitsniveau")
    return (level, *binding(s, level, at))


def waiting_query(level_id: str):
    # REG-07: allocation positions first (1..N), free-period refusals after them, by number.
    return (
        select(RegisterEntry)
        .where(RegisterEntry.level_id == level_id, RegisterEntry.status == "non_realised")
        .order_by(case((RegisterEntry.waitlist_position.is_(None), 1), else_=0),
                  RegisterEntry.waitlist_position, RegisterEntry.seq)
    )


def waiting_entries(s: Session, level_id: str,
                    contingent: str | None = None) -> list[RegisterEntry]:
    """The waiting list of a level in order, optionally of one contingent (WL-02)."""
    q = waiting_query(level_id)
    if contingent is not None:
        q = q.where(RegisterEntry.contingent == contingent)
    return list(s.execute(q).scalars())


def open_offer_entries(s: Session, level_id: str) -> set[int]:
    return set(s.execute(
        select(Offer.entry_id).where(Offer.level_id == level_id, Offer.status == "open")
    ).scalars())


def reply_deadline(s: Session, level_id: str, offered_at: datetime) -> datetime:
    """The last moment the parents can answer an offer: the end of the n-th school day after
    the day of the offer, n being the area's reply term (WL-01, WL-04; docs/decisions.md)."""
    level = s.get(CapacityLevel, level_id)
    school = s.get(School, level.school_id) if level else None
    area = s.get(Area, school.area_id) if school else None
    days = area.offer_reply_days if area else 5
    free = area_free_days(s, area.id) if area else []
    day = offered_at.astimezone(BRUSSELS).date() + timedelta(days=1)
    return end_of_day(nth_school_day(day, max(1, days), free))


@dataclass
class OpenOffer:
    offered_by: str
    offered_at: datetime
    reply_by: datetime | None
    child_id: str
    seq: int


def blocking_offer(s: Session, level_id: str) -> OpenOffer | None:
    """The latest open offer of a level: who already offered its free place, and to whom."""
    row = s.execute(
        select(Offer.offered_by, Offer.offered_at, Offer.reply_by, RegisterEntry.child_id,
               RegisterEntry.seq)
        .join(RegisterEntry, RegisterEntry.id == Offer.entry_id)
        .where(Offer.level_id == level_id, Offer.status == "open")
        .order_by(Offer.id.desc())
    ).first()
    return OpenOffer(*row) if row else None


def per_contingent(s: Session, level: CapacityLevel) -> bool:
    """WL-02 applies to old-regime levels of areas that keep per-contingent lists."""
    if level.regime != "old" or contingent_seats(level) is None:
        return False
    school = s.get(School, level.school_id)
    area = s.get(Area, school.area_id) if school else None
    return bool(area and area.per_contingent_lists)


def freed_contingent(s: Session, level: CapacityLevel) -> str | None:
    free = level_state(s, level).contingent_free()
    if not free:
        return None
    if free["indicator"] > 0 and free["non_indicator"] == 0:
        return "indicator"
    if free["non_indicator"] > 0 and free["indicator"] == 0:
        return "non_indicator"
    return None


def child_name(s: Session, child_id: str) -> str:
    child = s.get(Child, child_id)
    return f"{child.first_name} {child.last_name}".strip() if child else child_id
