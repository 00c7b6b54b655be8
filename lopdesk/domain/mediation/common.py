"""Lookups, timeline writes and the case transaction shared by the mediation use cases."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from lopdesk.db import Database
from lopdesk.domain.access import require
from lopdesk.domain.areas import get_or_404
from lopdesk.domain.codes import NOTICE_ONLY_REASONS
from lopdesk.domain.errors import Conflict, InvalidInput, RuleViolation
from lopdesk.domain.mediation.rules import place_words
from lopdesk.domain.mediation_models import (
    CaseAutoReason,
    CaseEvent,
    CaseProposal,
    CaseRefusal,
    MediationCase,
    RefusalNotice,
)
from lopdesk.domain.models import CapacityLevel, Child, RegisterEntry, School
from lopdesk.domain.refusals import school_of_level
from lopdesk.labels import REASON, REFUSAL_REASON, fmt_date


def get_case_or_404(s: Session, case_id: int) -> MediationCase:
    return get_or_404(s, MediationCase, case_id, "bemiddelingsdossier", field="case_id")


def running_case(s: Session, case_id: int) -> MediationCase:
    """A case that still takes additions (MED-02: a closed case is final)."""
    case = get_case_or_404(s, case_id)
    if case.status == "closed":
        raise RuleViolation(f"dossier {case_id} is afgesloten op {fmt_date(case.closed_at)}; "
                            "er kan niets meer aan toegevoegd worden.", rule="MED-02")
    return case


@contextmanager
def case_update(db: Database, case_id: int) -> Iterator[tuple[Session, MediationCase]]:
    """One write transaction on a case that still takes additions (MED-02), for a user
    with the mediation.write role."""
    with db.write() as s:
        require(s, db.user, "mediation.write")
        yield s, running_case(s, case_id)


def add_event(s: Session, user: str, case: MediationCase, kind: str, text: str, *,
              at: datetime, occurred_on: date | None = None, ref_id: int | None = None,
              rule: str | None = None) -> CaseEvent:
    """Append one line to the case's timeline (append-only, like REG-02)."""
    assert case.id is not None
    ev = CaseEvent(case_id=case.id, at=at, user=user, kind=kind, occurred_on=occurred_on,
                   text=text, ref_id=ref_id, rule_id=rule)
    s.add(ev)
    s.flush()
    return ev


def touch(s: Session, case: MediationCase) -> None:
    """Recompute open/waiting from the unanswered proposals (bumps the case version)."""
    assert case.id is not None
    waiting = s.execute(
        select(func.count()).select_from(CaseProposal)
        .where(CaseProposal.case_id == case.id, CaseProposal.answer.is_(None))
    ).scalar_one()
    case.status = "waiting" if waiting else "open"
    s.add(case)
    flush_case(s, case)


def flush_case(s: Session, case: MediationCase) -> None:
    """Write the case; another user's change in between is a Conflict (optimistic lock)."""
    try:
        s.flush()
    except StaleDataError:
        raise Conflict(f"Dossier {case.id}") from None


def refusal_reason(s: Session, entry: RegisterEntry) -> str:
    """The ground of a refusal: the notice's when recorded, else the register's."""
    notice = s.execute(
        select(RefusalNotice.reason).where(RefusalNotice.entry_id == entry.id)
    ).scalar()
    return notice or entry.reason or "capacity"


def active_auto_reasons(s: Session) -> set[str]:
    """MED-01: the configured grounds that open a case automatically."""
    return set(s.execute(
        select(CaseAutoReason.code).where(CaseAutoReason.active.is_(True))
    ).scalars())


def check_reason(s: Session, reason: str) -> None:
    known = (*REASON, *NOTICE_ONLY_REASONS)
    if reason not in known and reason not in active_auto_reasons(s):
        raise InvalidInput(f"onbekende reden van weigering '{reason}' (kies uit "
                           f"{', '.join(known)}).", field="reason")


def link_refusal(s: Session, user: str, case: MediationCase, entry: RegisterEntry,
                 at: datetime, why: str) -> None:
    """Attach a refusal to the case (once) with its line on the timeline (MED-02)."""
    assert case.id is not None and entry.id is not None
    if s.get(CaseRefusal, (case.id, entry.id)) is not None:
        return
    s.add(CaseRefusal(case_id=case.id, entry_id=entry.id))
    school = school_of_level(s, entry.level_id)
    reason = refusal_reason(s, entry)
    where = place_words(school.name, s.get(CapacityLevel, entry.level_id))
    add_event(s, user, case, "refusal", f"{where} nr. {entry.seq}: "
              f"{REFUSAL_REASON.get(reason, reason)}{why}", at=at, ref_id=entry.id,
              rule="MED-02")


def lock_child(s: Session, child_id: str) -> None:
    """PostgreSQL: two users opening a case for one child queue here (SQLite's BEGIN
    IMMEDIATE already serialises writers), so a child never gets two running cases."""
    s.execute(select(Child.id).where(Child.id == child_id).with_for_update())


def current_case(s: Session, child_id: str) -> MediationCase | None:
    """The child's running case, if any (MED-01: at most one)."""
    return s.execute(
        select(MediationCase).where(MediationCase.child_id == child_id,
                                    MediationCase.status != "closed")
        .order_by(MediationCase.id.desc())
    ).scalars().first()


def refusing_schools(s: Session, case_id: int) -> list[str]:
    return sorted(set(s.execute(
        select(CapacityLevel.school_id)
        .join(RegisterEntry, RegisterEntry.level_id == CapacityLevel.id)
        .join(CaseRefusal, CaseRefusal.entry_id == RegisterEntry.id)
        .where(CaseRefusal.case_id == case_id)
    ).scalars()))


def child_level(s: Session, case: MediationCase) -> CapacityLevel:
    """The level the child is looking for: that of the case's latest refusal."""
    row = s.execute(
        select(CapacityLevel)
        .join(RegisterEntry, RegisterEntry.level_id == CapacityLevel.id)
        .join(CaseRefusal, CaseRefusal.entry_id == RegisterEntry.id)
        .where(CaseRefusal.case_id == case.id)
        .order_by(RegisterEntry.requested_at.desc(), RegisterEntry.id.desc())
    ).scalars().first()
    if row is None:
        raise RuleViolation(f"dossier {case.id} heeft geen weigering: het niveau van het kind "
                            "is onbekend.", rule="MED-03")
    return row


def realised_places(s: Session, child_id: str) -> list[Any]:
    """(level, seq, school name) of every enrolment of the child the register shows
    (realised), oldest request first."""
    return list(s.execute(
        select(CapacityLevel, RegisterEntry.seq, School.name)
        .join(RegisterEntry, RegisterEntry.level_id == CapacityLevel.id)
        .join(School, School.id == CapacityLevel.school_id)
        .where(RegisterEntry.child_id == child_id, RegisterEntry.status == "realised")
        .order_by(RegisterEntry.requested_at, RegisterEntry.id)).all())


def case_enrolments(s: Session, case: MediationCase) -> list[tuple[str, str]]:
    """(school id, place in words) of the child's enrolments the register shows (realised)
    for the school year of the case's refusals: where an 'enrolled' outcome may close
    without a question (MED-02)."""
    year = child_level(s, case).school_year
    return [(level.school_id, f"{place_words(name, level)} nr. {seq}")
            for level, seq, name in realised_places(s, case.child_id)
            if level.school_year == year]
