"""The mediation cell: refusal notices (NGI-02..04), cases (MED-01..02), proposals (MED-03)
and the child's file with its read audit (domain §10).

Every public write is one transaction that checks the role and writes its audit record;
the case timeline (case_event) only grows. Codes stay English; the labels below are the
Dutch terms shown to users.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from lopdesk.db import Database
from lopdesk.domain import audit, registers
from lopdesk.domain.access import require
from lopdesk.domain.areas import get_or_404
from lopdesk.domain.calendar import order_binds
from lopdesk.domain.errors import Conflict, InvalidInput, NotFound, RuleViolation
from lopdesk.domain.mediation_models import (
    CASE_OUTCOMES,
    NOTICE_MODES,
    NOTICE_SENDERS,
    PARTY_ROLES,
    CaseAutoReason,
    CaseEvent,
    CaseParty,
    CaseProposal,
    CaseRefusal,
    LopNotification,
    MediationCase,
    RefusalNotice,
)
from lopdesk.domain.models import CapacityLevel, Child, RegisterEntry, RegisterEvent, School, Site
from lopdesk.domain.types import utcnow
from lopdesk.labels import REASON, fmt_date, free_places_board, to_local

NOTICE_DAYS = 4  # NGI-02: calendar days to hand over or post the notice
CLR_DAYS = 30  # NGI-04: calendar days to complain to the CLR

# Refusal grounds. The register knows the capacity ones; a notice may give another ground.
REFUSAL_REASON = {  # the register's grounds (labels.REASON) and the notice-only ones
    **REASON,
    "exclusion": "uitsluiting na tuchtprocedure",
    "other": "andere reden",
}
CAPACITY_REASONS = frozenset({"capacity", "full_declaration", "waiting_list", "allocation"})
NOTICE_MODE = {"receipt": "tegen ontvangstbewijs", "registered_post": "aangetekend"}
NOTICE_SENDER = {"school": "school", "lop": "LOP (mandaat van de school)"}
CASE_STATUS = {"open": "lopend", "waiting": "wacht op antwoord", "closed": "afgesloten"}
CASE_TRIGGER = {"parent_request": "vraag van de ouders", "automatic": "automatisch"}
CASE_OUTCOME = {
    "same_school": "ingeschreven in dezelfde school",
    "other_school": "ingeschreven in een andere school",
    "no_agreement": "geen akkoord",
    "withdrawn": "ingetrokken",
}
PARTY_ROLE = {"parents": "ouders", "school": "school", "clb": "CLB", "lop": "LOP",
              "mediator": "bemiddelaar", "other": "andere"}
EVENT_KIND = {
    "opened": "geopend", "refusal": "weigering", "party": "partij", "meeting": "overleg",
    "contact": "contact", "proposal": "voorstel", "answer": "antwoord",
    "clr_complaint": "klacht CLR", "note": "notitie", "closed": "afgesloten",
}
ANSWER = {"accepted": "aanvaard", "declined": "geweigerd"}


# --- views ---------------------------------------------------------------------------


@dataclass
class NoticeView:
    id: int
    entry_id: int
    child_id: str
    level_id: str
    seq: int
    school_id: str
    school_name: str
    decision_maker: str  # NGI-03: always the school, also under mandate
    controller: str
    sent_by: str
    reason: str
    refused_at: datetime
    delivery_mode: str
    delivered_on: date
    days_after_refusal: int
    late: bool  # NGI-02
    clr_deadline: date  # NGI-04
    notification_id: int | None
    note: str
    recorded_by: str
    recorded_at: datetime
    case_id: int | None = None  # the case it belongs to (or opened automatically, MED-01)


@dataclass
class MissingNotice:
    """A refusal without a recorded notice yet (NGI-02 follow-up)."""

    entry_id: int
    child_id: str
    level_id: str
    seq: int
    school_id: str
    school_name: str
    refused_at: datetime
    due_on: date
    overdue: bool


@dataclass
class RefusalRow:
    entry_id: int
    level_id: str
    seq: int
    school_id: str
    school_name: str
    status: str
    reason: str
    refused_at: datetime | None
    notice_id: int | None
    delivered_on: date | None
    late: bool | None
    clr_deadline: date | None


@dataclass
class PartyRow:
    id: int
    role: str
    name: str
    contact: str
    added_at: datetime
    added_by: str


@dataclass
class TimelineRow:
    id: int
    at: datetime
    user: str
    kind: str
    occurred_on: date | None
    text: str
    ref_id: int | None
    rule_id: str | None


@dataclass
class ProposalRow:
    id: int
    case_id: int
    level_id: str
    school_id: str
    school_name: str
    proposed_at: datetime
    proposed_by: str
    free_places: int | None
    distance_m: float | None
    answer: str | None
    answered_at: datetime | None
    entry_id: int | None
    overcapacity_category: str | None


@dataclass
class CaseRow:
    id: int
    child_id: str
    child_name: str
    area_id: str
    status: str
    trigger: str
    reason: str
    opened_at: datetime
    next_deadline: date | None
    outcome: str | None
    closed_at: datetime | None
    open_proposals: int
    schools: list[str]


@dataclass
class CaseView:
    id: int
    child_id: str
    child_name: str
    area_id: str
    trigger: str
    reason: str
    request_on: date | None
    requested_by: str
    opened_at: datetime
    opened_by: str
    status: str
    clr_complaint_on: date | None
    clr_complaint_note: str
    outcome: str | None
    outcome_school_id: str | None
    closed_at: datetime | None
    closed_by: str | None
    version: int
    next_deadline: date | None
    refusals: list[RefusalRow] = field(default_factory=list)
    parties: list[PartyRow] = field(default_factory=list)
    proposals: list[ProposalRow] = field(default_factory=list)
    timeline: list[TimelineRow] = field(default_factory=list)


@dataclass
class Candidate:
    """A school with free places at the child's level (MED-03)."""

    level_id: str
    school_id: str
    school_name: str
    neighbourhood: str
    regime: str
    free_places: int | None  # CAP-04; None: no capacity set (every request is realised)
    free_places_status: str  # CAP-05: the LOP free-places field as on the board
    distance_m: float | None


@dataclass
class Deadline:
    on: date
    kind: str  # clr | waiting_list | notice
    text: str
    entry_id: int | None = None


@dataclass
class FileEntry:
    entry_id: int
    level_id: str
    school_id: str
    school_name: str
    area_id: str
    school_year: int
    regime: str
    level_kind: str
    level_label: str
    seq: int
    requested_at: datetime
    status: str
    reason: str | None
    refused_at: datetime | None
    overcapacity_category: str | None
    waiting_position: int | None
    waiting_deadline: date | None
    waiting_binds: bool | None
    notice: NoticeView | None


@dataclass
class ChildFile:
    child_id: str
    first_name: str
    last_name: str
    birth_date: date | None
    address: str
    entries: list[FileEntry]
    cases: list[CaseRow]
    deadlines: list[Deadline]


@dataclass
class AnswerView:
    proposal: ProposalRow
    entry: registers.EntryView | None


# --- small helpers -----------------------------------------------------------------------


def local_day(moment: datetime) -> date:
    return to_local(moment).date()


def notice_is_late(refused_at: datetime, delivered_on: date) -> bool:
    """NGI-02: later than 4 calendar days after the refusal (Brussels calendar day)."""
    return delivered_on > local_day(refused_at) + timedelta(days=NOTICE_DAYS)


def clr_deadline(delivered_on: date) -> date:
    """NGI-04: notice date + 30 calendar days."""
    return delivered_on + timedelta(days=CLR_DAYS)


def refusal_moment(s: Session, entry_id: int) -> datetime | None:
    """When the entry first became non-realised (its register history, REG-02)."""
    return s.execute(
        select(RegisterEvent.at)
        .where(RegisterEvent.entry_id == entry_id, RegisterEvent.to_status == "non_realised")
        .order_by(RegisterEvent.id).limit(1)
    ).scalar()


def _child_name(child: Child | None, fallback: str) -> str:
    return f"{child.first_name} {child.last_name}".strip() if child else fallback


def _school_of(s: Session, level_id: str) -> School:
    level = get_or_404(s, CapacityLevel, level_id, "capaciteitsniveau")
    return get_or_404(s, School, level.school_id, "school")


def _entry(s: Session, entry_id: int) -> RegisterEntry:
    entry = s.get(RegisterEntry, entry_id)
    if entry is None:
        raise NotFound(f"inschrijving {entry_id} bestaat niet.", field="entry_id")
    return entry


def _case(s: Session, case_id: int) -> MediationCase:
    case = s.get(MediationCase, case_id)
    if case is None:
        raise NotFound(f"bemiddelingsdossier {case_id} bestaat niet.", field="case_id")
    return case


def _open_case(s: Session, case_id: int) -> MediationCase:
    case = _case(s, case_id)
    if case.status == "closed":
        raise RuleViolation(f"dossier {case_id} is afgesloten op {fmt_date(case.closed_at)}; "
                            "er kan niets meer aan toegevoegd worden.", rule="MED-02")
    return case


def _event(s: Session, user: str, case: MediationCase, kind: str, text: str, *, at: datetime,
           occurred_on: date | None = None, ref_id: int | None = None,
           rule: str | None = None) -> CaseEvent:
    assert case.id is not None
    ev = CaseEvent(case_id=case.id, at=at, user=user, kind=kind, occurred_on=occurred_on,
                   text=text, ref_id=ref_id, rule_id=rule)
    s.add(ev)
    s.flush()
    return ev


def _touch(s: Session, case: MediationCase) -> None:
    """Recompute open/waiting from the unanswered proposals (bumps the case version)."""
    assert case.id is not None
    waiting = s.execute(
        select(func.count()).select_from(CaseProposal)
        .where(CaseProposal.case_id == case.id, CaseProposal.answer.is_(None))
    ).scalar_one()
    case.status = "waiting" if waiting else "open"
    s.add(case)
    _flush_case(s, case)


def _flush_case(s: Session, case: MediationCase) -> None:
    try:
        s.flush()
    except StaleDataError:
        raise Conflict(f"Dossier {case.id}") from None


def _refusal_reason(s: Session, entry: RegisterEntry) -> str:
    notice = s.execute(
        select(RefusalNotice.reason).where(RefusalNotice.entry_id == entry.id)
    ).scalar()
    return notice or entry.reason or "capacity"


def _auto_reasons(s: Session) -> set[str]:
    return set(s.execute(
        select(CaseAutoReason.code).where(CaseAutoReason.active.is_(True))
    ).scalars())


def _valid_reason(s: Session, reason: str) -> None:
    if reason not in REFUSAL_REASON and reason not in _auto_reasons(s):
        raise InvalidInput(f"onbekende reden van weigering '{reason}' (kies uit "
                           f"{', '.join(REFUSAL_REASON)}).", field="reason")


# --- refusal notices and LOP notifications (NGI-02..04) ---------------------------------------


def notify_refusal_in(s: Session, user: str, entry_id: int,
                      at: datetime | None = None) -> LopNotification | None:
    """NGI-03: the LOP notification record of one refusal (created once).

    Meant to be called in the transaction that refuses (see the report for registers.py);
    `notify_refusals` catches up on refusals written before.
    """
    existing = s.execute(
        select(LopNotification).where(LopNotification.entry_id == entry_id)
    ).scalar()
    if existing is not None:
        return existing
    entry = _entry(s, entry_id)
    refused_at = refusal_moment(s, entry_id)
    if refused_at is None:
        return None
    school = _school_of(s, entry.level_id)
    row = LopNotification(entry_id=entry_id, child_id=entry.child_id, school_id=school.id,
                          refused_at=refused_at, sent_under_mandate=school.mandates_lop_notices,
                          created_at=at or utcnow(), created_by=user)
    s.add(row)
    s.flush()
    audit.record(s, user, "lop_notification.create", "lop_notification", row.id,
                 {"entry_id": entry_id, "school_id": school.id, "rule": "NGI-03"})
    return row


def notify_refusals_in(s: Session, user: str, *, entry_ids: list[int] | None = None,
                       area_id: str | None = None, at: datetime | None = None) -> int:
    """NGI-03 in bulk (imports, allocation results, catching up): one notification per
    refusal that has none yet, one audit record for the batch. Returns how many."""
    from sqlalchemy import insert

    first = (select(RegisterEvent.entry_id, func.min(RegisterEvent.at).label("refused_at"))
             .where(RegisterEvent.to_status == "non_realised")
             .group_by(RegisterEvent.entry_id))
    if entry_ids is not None:
        if not entry_ids:
            return 0
        first = first.where(RegisterEvent.entry_id.in_(entry_ids))
    sub = first.subquery()
    q = (select(RegisterEntry.id, RegisterEntry.child_id, School.id,
                School.mandates_lop_notices, sub.c.refused_at)
         .join(sub, sub.c.entry_id == RegisterEntry.id)
         .join(CapacityLevel, CapacityLevel.id == RegisterEntry.level_id)
         .join(School, School.id == CapacityLevel.school_id)
         .outerjoin(LopNotification, LopNotification.entry_id == RegisterEntry.id)
         .where(LopNotification.id.is_(None))
         .order_by(RegisterEntry.id))
    if area_id:
        q = q.where(School.area_id == area_id)
    now = at or utcnow()
    rows = [{"entry_id": eid, "child_id": cid, "school_id": sid, "refused_at": refused,
             "sent_under_mandate": bool(mandate), "notice_id": None, "created_at": now,
             "created_by": user}
            for eid, cid, sid, mandate, refused in s.execute(q).all()]
    if rows:
        s.execute(insert(LopNotification), rows)
        audit.record(s, user, "lop_notification.create", "lop_notification", "*",
                     {"count": len(rows), "area_id": area_id, "rule": "NGI-03"})
    return len(rows)


def notify_refusals(db: Database, area_id: str | None = None) -> int:
    """NGI-03: create the missing LOP notification records; returns how many were made."""
    with db.write() as s:
        require(s, db.user, "mediation.write")
        return notify_refusals_in(s, db.user, area_id=area_id)


def record_notice(db: Database, entry_id: int, *, mode: str, delivered_on: date,
                  reason: str | None = None, sent_by: str | None = None, note: str = "",
                  at: datetime | None = None) -> NoticeView:
    """NGI-02..04: record how and when the refusal notice reached the parents.

    Flags a notice later than 4 calendar days, computes the CLR deadline, writes the LOP
    notification (NGI-03) and, for a configured ground, opens a case (MED-01).
    """
    if mode not in NOTICE_MODES:
        raise InvalidInput(f"onbekende wijze van overhandiging '{mode}' (kies uit "
                           "receipt = tegen ontvangstbewijs, registered_post = aangetekend).",
                           field="mode")
    if sent_by is not None and sent_by not in NOTICE_SENDERS:
        raise InvalidInput(f"verzender '{sent_by}' bestaat niet (school of lop).",
                           field="sent_by")
    now = at or utcnow()
    with db.write() as s:
        require(s, db.user, "mediation.write")
        entry = _entry(s, entry_id)
        refused_at = refusal_moment(s, entry_id)
        if refused_at is None:
            raise RuleViolation(f"inschrijving {entry.level_id} nr. {entry.seq} werd nooit "
                                "niet-gerealiseerd: er is geen mededeling nodig.",
                                rule="NGI-02")
        if delivered_on < local_day(refused_at):
            raise InvalidInput(f"de mededeling kan niet dateren van vóór de weigering "
                               f"({fmt_date(refused_at)}).", field="delivered_on")
        if s.execute(select(RefusalNotice.id)
                     .where(RefusalNotice.entry_id == entry_id)).scalar() is not None:
            raise InvalidInput(f"voor inschrijving {entry.level_id} nr. {entry.seq} is de "
                               "mededeling al geregistreerd.", field="entry_id")
        school = _school_of(s, entry.level_id)
        sender = sent_by or ("lop" if school.mandates_lop_notices else "school")
        if sender == "lop" and not school.mandates_lop_notices:
            raise RuleViolation(f"{school.name} gaf het LOP geen mandaat om mededelingen te "
                                "versturen.", rule="NGI-03")
        ground = reason or entry.reason or "capacity"
        _valid_reason(s, ground)
        notice = RefusalNotice(
            entry_id=entry_id, child_id=entry.child_id, level_id=entry.level_id,
            school_id=school.id, sent_by=sender, reason=ground, refused_at=refused_at,
            delivery_mode=mode, delivered_on=delivered_on,
            late=notice_is_late(refused_at, delivered_on),
            clr_deadline=clr_deadline(delivered_on), note=note, recorded_at=now,
            recorded_by=db.user)
        s.add(notice)
        s.flush()
        notification = notify_refusal_in(s, db.user, entry_id, now)
        assert notification is not None
        notification.notice_id = notice.id
        notification.sent_under_mandate = sender == "lop"
        s.add(notification)
        audit.record(s, db.user, "notice.record", "refusal_notice", notice.id,
                     {"entry_id": entry_id, "mode": mode, "delivered_on": delivered_on,
                      "late": notice.late, "sent_by": sender, "reason": ground})
        if ground in _auto_reasons(s):
            _open_automatic(s, db.user, entry, ground, now)
        s.flush()
        return _notice_view(s, notice)


def _notice_view(s: Session, n: RefusalNotice) -> NoticeView:
    assert n.id is not None
    entry = s.get(RegisterEntry, n.entry_id)
    school = s.get(School, n.school_id)
    notif = s.execute(select(LopNotification.id)
                      .where(LopNotification.entry_id == n.entry_id)).scalar()
    case_id = s.execute(
        select(CaseRefusal.case_id).where(CaseRefusal.entry_id == n.entry_id)
        .order_by(CaseRefusal.case_id.desc())
    ).scalars().first()
    name = school.name if school else n.school_id
    return NoticeView(
        id=n.id, entry_id=n.entry_id, child_id=n.child_id, level_id=n.level_id,
        seq=entry.seq if entry else 0, school_id=n.school_id, school_name=name,
        decision_maker=name, controller=name, sent_by=n.sent_by, reason=n.reason,
        refused_at=n.refused_at, delivery_mode=n.delivery_mode, delivered_on=n.delivered_on,
        days_after_refusal=(n.delivered_on - local_day(n.refused_at)).days, late=n.late,
        clr_deadline=n.clr_deadline, notification_id=notif, note=n.note,
        recorded_by=n.recorded_by, recorded_at=n.recorded_at, case_id=case_id)


def get_notice(db: Database, notice_id: int) -> NoticeView:
    with db.read() as s:
        require(s, db.user, "read")
        n = s.get(RefusalNotice, notice_id)
        if n is None:
            raise NotFound(f"mededeling {notice_id} bestaat niet.", field="notice_id")
        return _notice_view(s, n)


def notice_for_entry(db: Database, entry_id: int) -> NoticeView | None:
    with db.read() as s:
        require(s, db.user, "read")
        n = s.execute(select(RefusalNotice).where(RefusalNotice.entry_id == entry_id)).scalar()
        return _notice_view(s, n) if n else None


def list_notices(db: Database, *, area_id: str | None = None, late: bool | None = None,
                 child_id: str | None = None) -> list[NoticeView]:
    with db.read() as s:
        require(s, db.user, "read")
        q = (select(RefusalNotice).join(School, School.id == RefusalNotice.school_id)
             .order_by(RefusalNotice.delivered_on, RefusalNotice.id))
        if area_id:
            q = q.where(School.area_id == area_id)
        if late is not None:
            q = q.where(RefusalNotice.late.is_(late))
        if child_id:
            q = q.where(RefusalNotice.child_id == child_id)
        return [_notice_view(s, n) for n in s.execute(q).scalars()]


def _missing_query(area_id: str | None):
    first = (select(RegisterEvent.entry_id, func.min(RegisterEvent.at).label("refused_at"))
             .where(RegisterEvent.to_status == "non_realised")
             .group_by(RegisterEvent.entry_id).subquery())
    q = (select(RegisterEntry.id, RegisterEntry.child_id, RegisterEntry.level_id,
                RegisterEntry.seq, School.id, School.name, first.c.refused_at)
         .join(first, first.c.entry_id == RegisterEntry.id)
         .join(CapacityLevel, CapacityLevel.id == RegisterEntry.level_id)
         .join(School, School.id == CapacityLevel.school_id)
         .outerjoin(RefusalNotice, RefusalNotice.entry_id == RegisterEntry.id)
         .where(RefusalNotice.id.is_(None))
         .order_by(first.c.refused_at, RegisterEntry.id))
    if area_id:
        q = q.where(School.area_id == area_id)
    return q


def missing_notices(db: Database, *, area_id: str | None = None,
                    at: datetime | None = None) -> list[MissingNotice]:
    """Refusals still without a recorded notice; overdue after 4 calendar days (NGI-02)."""
    today = local_day(at or utcnow())
    with db.read() as s:
        require(s, db.user, "read")
        rows = []
        for eid, cid, lid, seq, sid, sname, refused in s.execute(_missing_query(area_id)):
            due = local_day(refused) + timedelta(days=NOTICE_DAYS)
            rows.append(MissingNotice(eid, cid, lid, seq, sid, sname, refused, due, today > due))
        return rows


# --- opening cases (MED-01) -----------------------------------------------------------------


def _link_refusal(s: Session, user: str, case: MediationCase, entry: RegisterEntry,
                  at: datetime, why: str) -> None:
    assert case.id is not None and entry.id is not None
    if s.get(CaseRefusal, (case.id, entry.id)) is not None:
        return
    s.add(CaseRefusal(case_id=case.id, entry_id=entry.id))
    school = _school_of(s, entry.level_id)
    reason = _refusal_reason(s, entry)
    _event(s, user, case, "refusal",
           f"{school.name} ({entry.level_id} nr. {entry.seq}): "
           f"{REFUSAL_REASON.get(reason, reason)}{why}", at=at, ref_id=entry.id, rule="MED-02")


def _lock_child(s: Session, child_id: str) -> None:
    """PostgreSQL: two users opening a case for one child queue here (SQLite's BEGIN
    IMMEDIATE already serialises writers), so a child never gets two running cases."""
    s.execute(select(Child.id).where(Child.id == child_id).with_for_update())


def _current_case(s: Session, child_id: str) -> MediationCase | None:
    return s.execute(
        select(MediationCase).where(MediationCase.child_id == child_id,
                                    MediationCase.status != "closed")
        .order_by(MediationCase.id.desc())
    ).scalars().first()


def _open_automatic(s: Session, user: str, entry: RegisterEntry, reason: str,
                    at: datetime) -> MediationCase:
    """MED-01: a configured ground opens a case without a parent request (or joins the
    child's running case)."""
    _lock_child(s, entry.child_id)
    case = _current_case(s, entry.child_id)
    if case is not None:
        _link_refusal(s, user, case, entry, at, " — automatisch gekoppeld")
        _touch(s, case)
        return case
    school = _school_of(s, entry.level_id)
    case = MediationCase(child_id=entry.child_id, area_id=school.area_id, trigger="automatic",
                         reason=reason, opened_at=at, opened_by=user, status="open")
    s.add(case)
    s.flush()
    _event(s, user, case, "opened",
           f"automatisch geopend: {REFUSAL_REASON.get(reason, reason)}", at=at, rule="MED-01")
    _link_refusal(s, user, case, entry, at, "")
    audit.record(s, user, "case.open", "mediation_case", case.id,
                 {"child_id": entry.child_id, "trigger": "automatic", "reason": reason,
                  "entry_id": entry.id, "rule": "MED-01"})
    return case


def open_case(db: Database, child_id: str, *, request_on: date | None,
              requested_by: str = "ouders", entry_ids: list[int] | None = None,
              note: str = "", at: datetime | None = None) -> CaseView:
    """MED-01: open a case on a logged parent request after a capacity refusal."""
    if request_on is None:
        raise RuleViolation("een bemiddeling voor een capaciteitsweigering start op een "
                            "gelogde vraag van de ouders: geef de datum van de vraag.",
                            rule="MED-01")
    if not requested_by.strip():
        raise InvalidInput("vermeld wie de bemiddeling vroeg.", field="requested_by")
    now = at or utcnow()
    with db.write() as s:
        require(s, db.user, "mediation.write")
        get_or_404(s, Child, child_id, "kind")
        _lock_child(s, child_id)
        running = _current_case(s, child_id)
        if running is not None:
            raise RuleViolation(f"kind {child_id} heeft al een lopend dossier ({running.id}); "
                                "voeg de weigering daar toe.", rule="MED-01")
        if entry_ids:
            entries = [_entry(s, i) for i in entry_ids]
            for e in entries:
                if e.child_id != child_id:
                    raise InvalidInput(f"inschrijving {e.id} is niet van kind {child_id}.",
                                       field="entry_ids")
                if refusal_moment(s, e.id or 0) is None:
                    raise RuleViolation(f"inschrijving {e.level_id} nr. {e.seq} is geen "
                                        "weigering.", rule="MED-01")
        else:
            entries = list(s.execute(
                select(RegisterEntry).where(RegisterEntry.child_id == child_id,
                                            RegisterEntry.status == "non_realised")
                .order_by(RegisterEntry.requested_at, RegisterEntry.id)
            ).scalars())
        if not entries:
            raise RuleViolation(f"kind {child_id} heeft geen niet-gerealiseerde inschrijving; "
                                "er is niets te bemiddelen.", rule="MED-01")
        reasons = [_refusal_reason(s, e) for e in entries]
        if not any(r in CAPACITY_REASONS for r in reasons):
            raise RuleViolation("een vraag van de ouders opent enkel een dossier voor een "
                                "weigering wegens capaciteit; de andere gronden openen "
                                "automatisch.", rule="MED-01")
        school = _school_of(s, entries[-1].level_id)
        case = MediationCase(child_id=child_id, area_id=school.area_id,
                             trigger="parent_request",
                             reason=next(r for r in reasons if r in CAPACITY_REASONS),
                             request_on=request_on, requested_by=requested_by.strip(),
                             opened_at=now, opened_by=db.user, status="open")
        s.add(case)
        s.flush()
        _event(s, db.user, case, "opened",
               f"geopend op vraag van {case.requested_by} van {fmt_date(request_on)}"
               + (f": {note}" if note else ""), at=now, occurred_on=request_on, rule="MED-01")
        for e in entries:
            _link_refusal(s, db.user, case, e, now, "")
        audit.record(s, db.user, "case.open", "mediation_case", case.id,
                     {"child_id": child_id, "trigger": "parent_request",
                      "request_on": request_on, "entries": [e.id for e in entries],
                      "rule": "MED-01"})
        return _case_view(s, case, now)


def set_auto_reason(db: Database, code: str, *, label: str = "", active: bool = True) -> None:
    """MED-01: configure a refusal ground that opens a case automatically."""
    if not code.strip():
        raise InvalidInput("geef een code voor de reden.", field="code")
    with db.write() as s:
        require(s, db.user, "admin")
        row = s.get(CaseAutoReason, code)
        if row is None:
            row = CaseAutoReason(code=code, label=label or code, active=active)
        else:
            row.active = active
            row.label = label or row.label
        s.add(row)
        s.flush()
        audit.record(s, db.user, "case_auto_reason.set", "case_auto_reason", code,
                     {"label": row.label, "active": active})


def auto_reasons(db: Database) -> list[CaseAutoReason]:
    with db.read() as s:
        require(s, db.user, "read")
        return list(s.execute(select(CaseAutoReason).order_by(CaseAutoReason.code)).scalars())


# --- updating cases (MED-02) ----------------------------------------------------------------


def add_refusal(db: Database, case_id: int, entry_id: int,
                at: datetime | None = None) -> TimelineRow:
    now = at or utcnow()
    with db.write() as s:
        require(s, db.user, "mediation.write")
        case = _open_case(s, case_id)
        entry = _entry(s, entry_id)
        if entry.child_id != case.child_id:
            raise InvalidInput(f"inschrijving {entry_id} is niet van kind {case.child_id}.",
                               field="entry_id")
        if refusal_moment(s, entry_id) is None:
            raise RuleViolation(f"inschrijving {entry.level_id} nr. {entry.seq} is geen "
                                "weigering.", rule="MED-02")
        if s.get(CaseRefusal, (case_id, entry_id)) is not None:
            raise InvalidInput("deze weigering hoort al bij het dossier.", field="entry_id")
        _link_refusal(s, db.user, case, entry, now, "")
        _touch(s, case)
        audit.record(s, db.user, "case.refusal", "mediation_case", case_id,
                     {"entry_id": entry_id})
        return _last_event(s, case_id)


def add_party(db: Database, case_id: int, role: str, name: str, contact: str = "",
              at: datetime | None = None) -> PartyRow:
    if role not in PARTY_ROLES:
        raise InvalidInput(f"onbekende rol '{role}' (kies uit {', '.join(PARTY_ROLES)}).",
                           field="role")
    if not name.strip():
        raise InvalidInput("geef de naam van de partij.", field="name")
    now = at or utcnow()
    with db.write() as s:
        require(s, db.user, "mediation.write")
        case = _open_case(s, case_id)
        party = CaseParty(case_id=case_id, role=role, name=name.strip(), contact=contact,
                          added_at=now, added_by=db.user)
        s.add(party)
        s.flush()
        _event(s, db.user, case, "party", f"{PARTY_ROLE[role]}: {party.name}"
               + (f" ({contact})" if contact else ""), at=now, ref_id=party.id, rule="MED-02")
        _touch(s, case)
        audit.record(s, db.user, "case.party", "mediation_case", case_id,
                     {"party_id": party.id, "role": role})
        assert party.id is not None
        return PartyRow(party.id, role, party.name, contact, now, db.user)


def add_event(db: Database, case_id: int, kind: str, text: str, *,
              occurred_on: date | None = None, at: datetime | None = None) -> TimelineRow:
    """A meeting, contact or note on the case's timeline (MED-02)."""
    if kind not in ("meeting", "contact", "note"):
        raise InvalidInput(f"soort '{kind}' kan zo niet toegevoegd worden (meeting, contact "
                           "of note).", field="kind")
    if not text.strip():
        raise InvalidInput("beschrijf kort wat er gebeurde.", field="text")
    now = at or utcnow()
    with db.write() as s:
        require(s, db.user, "mediation.write")
        case = _open_case(s, case_id)
        _event(s, db.user, case, kind, text.strip(), at=now,
               occurred_on=occurred_on or local_day(now), rule="MED-02")
        _touch(s, case)
        audit.record(s, db.user, f"case.{kind}", "mediation_case", case_id,
                     {"occurred_on": occurred_on})
        return _last_event(s, case_id)


def record_clr_complaint(db: Database, case_id: int, *, filed_on: date, note: str = "",
                         at: datetime | None = None) -> TimelineRow:
    """MED-02: the parents complained to the CLR (within the NGI-04 deadline or not)."""
    now = at or utcnow()
    with db.write() as s:
        require(s, db.user, "mediation.write")
        case = _open_case(s, case_id)
        case.clr_complaint_on = filed_on
        case.clr_complaint_note = note
        deadlines = [d for d in s.execute(
            select(RefusalNotice.clr_deadline)
            .join(CaseRefusal, CaseRefusal.entry_id == RefusalNotice.entry_id)
            .where(CaseRefusal.case_id == case_id)).scalars()]
        late = bool(deadlines) and filed_on > max(deadlines)
        _event(s, db.user, case, "clr_complaint",
               f"klacht bij de CLR ingediend op {fmt_date(filed_on)}"
               + (" (na de termijn van 30 dagen)" if late else "") + (f": {note}" if note else ""),
               at=now, occurred_on=filed_on, rule="NGI-04")
        _touch(s, case)
        audit.record(s, db.user, "case.clr_complaint", "mediation_case", case_id,
                     {"filed_on": filed_on, "after_deadline": late})
        return _last_event(s, case_id)


# --- proposals (MED-03) -----------------------------------------------------------------


def _child_level(s: Session, case: MediationCase) -> CapacityLevel:
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


def distance(ax: float | None, ay: float | None, bx: float | None,
             by: float | None) -> float | None:
    if None in (ax, ay, bx, by):
        return None
    return math.hypot(float(ax) - float(bx), float(ay) - float(by))  # type: ignore[arg-type]


def _candidates(s: Session, case: MediationCase, at: datetime) -> list[Candidate]:
    """MED-03: levels of the area like the child's, with a free place for this child now,
    nearest first (unknown distances last, then by school name)."""
    wanted = _child_level(s, case)
    child = s.get(Child, case.child_id)
    rows = s.execute(
        select(CapacityLevel, School, Site)
        .join(School, School.id == CapacityLevel.school_id)
        .outerjoin(Site, Site.id == CapacityLevel.site_id)
        .where(School.area_id == case.area_id, CapacityLevel.school_year == wanted.school_year,
               CapacityLevel.kind == wanted.kind, CapacityLevel.label == wanted.label)
    ).all()
    enrolled = set(s.execute(
        select(RegisterEntry.level_id).where(RegisterEntry.child_id == case.child_id,
                                             RegisterEntry.status == "realised")
    ).scalars())
    out: list[Candidate] = []
    for level, school, site in rows:
        if level.id in enrolled:
            continue
        free = registers.level_state(s, level).free_places()
        if free is not None and free <= 0:
            continue
        if free is not None:
            # WL-01: while the order binds, a freed place goes to the waiting list first.
            deadline = registers.deadline_for(s, level)
            if order_binds(at, deadline) and registers._waiting(s, level.id):
                continue
        x = site.x if site is not None and site.x is not None else school.x
        y = site.y if site is not None and site.y is not None else school.y
        dist = distance(child.x if child else None, child.y if child else None, x, y)
        out.append(Candidate(level.id, school.id, school.name, school.neighbourhood,
                             level.regime, free, free_places_board(level.free_places_field),
                             None if dist is None else round(dist, 1)))
    out.sort(key=lambda c: (c.distance_m is None, c.distance_m or 0.0, c.school_name,
                            c.level_id))
    return out


def proposals_for(db: Database, case_id: int, at: datetime | None = None) -> list[Candidate]:
    """MED-03: the schools the cell can propose now, nearest first."""
    with db.read() as s:
        require(s, db.user, "read")
        return _candidates(s, _case(s, case_id), at or utcnow())


def propose(db: Database, case_id: int, level_id: str, *, note: str = "",
            at: datetime | None = None) -> ProposalRow:
    """Record a school proposed to the parents (MED-02); the case waits for their answer."""
    now = at or utcnow()
    with db.write() as s:
        require(s, db.user, "mediation.write")
        case = _open_case(s, case_id)
        level = get_or_404(s, CapacityLevel, level_id, "capaciteitsniveau")
        school = get_or_404(s, School, level.school_id, "school")
        wanted = _child_level(s, case)
        if (level.school_year, level.kind, level.label) != (wanted.school_year, wanted.kind,
                                                              wanted.label):
            raise InvalidInput(f"{level_id} is niet het niveau van het kind "
                               f"({wanted.kind} {wanted.label}, {wanted.school_year}).",
                               field="level_id")
        if school.area_id != case.area_id:
            raise InvalidInput(f"{school.name} ligt niet in het gebied van het dossier.",
                               field="level_id")
        pending = s.execute(
            select(CaseProposal.id).where(CaseProposal.case_id == case_id,
                                          CaseProposal.level_id == level_id,
                                          CaseProposal.answer.is_(None))
        ).scalar()
        if pending is not None:
            raise InvalidInput(f"{school.name} werd al voorgesteld (voorstel {pending}); "
                               "wacht op het antwoord.", field="level_id")
        cand = {c.level_id: c for c in _candidates(s, case, now)}.get(level_id)
        free = registers.level_state(s, level).free_places()
        prop = CaseProposal(case_id=case_id, level_id=level_id, school_id=school.id,
                            proposed_at=now, proposed_by=db.user, free_places=free,
                            distance_m=cand.distance_m if cand else None)
        s.add(prop)
        s.flush()
        free_txt = "geen capaciteit vastgelegd" if free is None else f"{free} vrije plaats(en)"
        if cand is None:
            free_txt += ", niet in de lijst van vrije plaatsen"
        _event(s, db.user, case, "proposal", f"voorstel: {school.name} ({level_id}), "
               f"{free_txt}" + (f": {note}" if note else ""), at=now, ref_id=prop.id,
               rule="MED-03")
        _touch(s, case)
        audit.record(s, db.user, "case.propose", "case_proposal", prop.id,
                     {"case_id": case_id, "level_id": level_id, "free_places": free})
        return _proposal_row(s, prop)


def answer_proposal(db: Database, proposal_id: int, *, accept: bool,
                    overcapacity_category: str | None = None, note: str = "",
                    at: datetime | None = None) -> AnswerView:
    """The parents' answer. Accepting enrols the child at that school: a realised request,
    or an overcapacity enrolment with its category (CAP-07), in the register (REG-01)."""
    now = at or utcnow()
    with db.write() as s:
        require(s, db.user, "mediation.write")
        prop = s.get(CaseProposal, proposal_id)
        if prop is None:
            raise NotFound(f"voorstel {proposal_id} bestaat niet.", field="proposal_id")
        case = _open_case(s, prop.case_id)
        if prop.answer is not None:
            raise RuleViolation(f"voorstel {proposal_id} werd al beantwoord "
                                f"({ANSWER[prop.answer]}).", rule="MED-02")
        school = get_or_404(s, School, prop.school_id, "school")
        view = None
        if accept:
            already = s.execute(
                select(RegisterEntry.seq).where(RegisterEntry.level_id == prop.level_id,
                                                RegisterEntry.child_id == case.child_id,
                                                RegisterEntry.status == "realised")
            ).scalar()
            if already is not None:
                raise RuleViolation(f"het kind is al ingeschreven in {prop.level_id} "
                                    f"(nr. {already}).", rule="REG-03")
            view = registers.add_request_in(s, db.user, prop.level_id, case.child_id, at=now,
                                            overcapacity_category=overcapacity_category,
                                            source="mediation")
            if view.status != "realised":
                # Rolls the whole answer back, the register number included (REG-01).
                raise RuleViolation(
                    f"{school.name} heeft geen vrije plaats meer voor het kind ({view.message}); "
                    "aanvaarden kan enkel als inschrijving boven capaciteit met een categorie "
                    "(CAP-07).", rule="MED-03")
            prop.entry_id = view.id
            prop.overcapacity_category = overcapacity_category
        prop.answer = "accepted" if accept else "declined"
        prop.answered_at = now
        prop.answered_by = db.user
        s.add(prop)
        s.flush()
        text = f"{school.name} ({prop.level_id}): {ANSWER[prop.answer]}"
        if view is not None:
            text += f", ingeschreven als nr. {view.seq}"
            if overcapacity_category:
                text += f" boven capaciteit ({overcapacity_category})"
        _event(s, db.user, case, "answer", text + (f": {note}" if note else ""), at=now,
               ref_id=prop.id, rule="CAP-07" if overcapacity_category and accept else "MED-02")
        _touch(s, case)
        audit.record(s, db.user, "case.answer", "case_proposal", proposal_id,
                     {"accept": accept, "entry_id": prop.entry_id,
                      "overcapacity_category": overcapacity_category})
        return AnswerView(_proposal_row(s, prop), view)


# --- closing (MED-02) ---------------------------------------------------------------------


def close_case(db: Database, case_id: int, outcome: str | None, *,
               school_id: str | None = None, note: str = "", at: datetime | None = None,
               expected_version: int | None = None) -> CaseView:
    """MED-02: a case closes only with an outcome; closing date and who are recorded."""
    if not outcome:
        raise RuleViolation("een dossier kan niet afgesloten worden zonder uitkomst (kies uit "
                            + ", ".join(f"{k} = {v}" for k, v in CASE_OUTCOME.items()) + ").",
                            rule="MED-02")
    if outcome not in CASE_OUTCOMES:
        raise InvalidInput(f"onbekende uitkomst '{outcome}' (kies uit "
                           f"{', '.join(CASE_OUTCOMES)}).", field="outcome")
    now = at or utcnow()
    with db.write() as s:
        require(s, db.user, "mediation.write")
        case = _open_case(s, case_id)
        if expected_version is not None and case.version != expected_version:
            raise Conflict(f"Dossier {case_id}")
        refusing = _refusing_schools(s, case_id)
        if outcome in ("same_school", "other_school") and school_id is None:
            if outcome == "same_school" and len(refusing) == 1:
                school_id = refusing[0]
            elif outcome == "other_school":
                school_id = s.execute(
                    select(CaseProposal.school_id)
                    .where(CaseProposal.case_id == case_id, CaseProposal.answer == "accepted")
                    .order_by(CaseProposal.answered_at.desc(), CaseProposal.id.desc())
                ).scalars().first()
        if outcome in ("same_school", "other_school") and school_id is None:
            raise RuleViolation("bij deze uitkomst hoort de school waar het kind terecht "
                                "kan (--school), of een aanvaard voorstel.", rule="MED-02")
        if school_id is not None:
            get_or_404(s, School, school_id, "school")
            if outcome == "same_school" and school_id not in refusing:
                raise InvalidInput(f"school {school_id} weigerde het kind niet; kies "
                                   "other_school.", field="school_id")
            if outcome == "other_school" and school_id in refusing:
                raise InvalidInput(f"school {school_id} weigerde het kind; kies same_school.",
                                   field="school_id")
        case.outcome = outcome
        case.outcome_school_id = school_id
        case.status = "closed"
        case.closed_at = now
        case.closed_by = db.user
        s.add(case)
        _flush_case(s, case)
        school = s.get(School, school_id) if school_id else None
        _event(s, db.user, case, "closed", f"afgesloten: {CASE_OUTCOME[outcome]}"
               + (f" ({school.name})" if school else "") + (f": {note}" if note else ""),
               at=now, ref_id=None, rule="MED-02")
        audit.record(s, db.user, "case.close", "mediation_case", case_id,
                     {"outcome": outcome, "school_id": school_id})
        return _case_view(s, case, now)


# --- reading cases ---------------------------------------------------------------------


def _refusing_schools(s: Session, case_id: int) -> list[str]:
    return sorted(set(s.execute(
        select(CapacityLevel.school_id)
        .join(RegisterEntry, RegisterEntry.level_id == CapacityLevel.id)
        .join(CaseRefusal, CaseRefusal.entry_id == RegisterEntry.id)
        .where(CaseRefusal.case_id == case_id)
    ).scalars()))


def _proposal_row(s: Session, p: CaseProposal) -> ProposalRow:
    assert p.id is not None
    school = s.get(School, p.school_id)
    return ProposalRow(p.id, p.case_id, p.level_id, p.school_id,
                       school.name if school else p.school_id, p.proposed_at, p.proposed_by,
                       p.free_places, p.distance_m, p.answer, p.answered_at, p.entry_id,
                       p.overcapacity_category)


def _last_event(s: Session, case_id: int) -> TimelineRow:
    ev = s.execute(select(CaseEvent).where(CaseEvent.case_id == case_id)
                   .order_by(CaseEvent.id.desc())).scalars().first()
    assert ev is not None and ev.id is not None
    return TimelineRow(ev.id, ev.at, ev.user, ev.kind, ev.occurred_on, ev.text, ev.ref_id,
                       ev.rule_id)


def _refusal_rows(s: Session, case_id: int) -> list[RefusalRow]:
    rows = s.execute(
        select(RegisterEntry, School, RefusalNotice)
        .join(CaseRefusal, CaseRefusal.entry_id == RegisterEntry.id)
        .join(CapacityLevel, CapacityLevel.id == RegisterEntry.level_id)
        .join(School, School.id == CapacityLevel.school_id)
        .outerjoin(RefusalNotice, RefusalNotice.entry_id == RegisterEntry.id)
        .where(CaseRefusal.case_id == case_id)
        .order_by(RegisterEntry.requested_at, RegisterEntry.id)
    ).all()
    out = []
    for e, school, n in rows:
        assert e.id is not None
        out.append(RefusalRow(
            e.id, e.level_id, e.seq, school.id, school.name, e.status,
            n.reason if n else (e.reason or "capacity"), refusal_moment(s, e.id),
            n.id if n else None, n.delivered_on if n else None, n.late if n else None,
            n.clr_deadline if n else None))
    return out


def _deadlines(s: Session, child_id: str, entry_ids: list[int] | None,
               at: datetime) -> list[Deadline]:
    """Coming deadlines: the CLR complaint (NGI-04), the waiting-list order (WL-01) and the
    notice still to be delivered (NGI-02)."""
    today = local_day(at)
    q = select(RegisterEntry).where(RegisterEntry.child_id == child_id)
    if entry_ids is not None:
        q = q.where(RegisterEntry.id.in_(entry_ids))
    out: list[Deadline] = []
    for e in s.execute(q).scalars():
        assert e.id is not None
        n = s.execute(select(RefusalNotice).where(RefusalNotice.entry_id == e.id)).scalar()
        if n is not None and n.clr_deadline >= today:
            out.append(Deadline(n.clr_deadline, "clr", f"klacht bij de CLR ({e.level_id})",
                                e.id))
        refused = refusal_moment(s, e.id)
        if n is None and refused is not None:
            due = local_day(refused) + timedelta(days=NOTICE_DAYS)
            if due >= today:
                out.append(Deadline(due, "notice", f"mededeling bezorgen ({e.level_id})", e.id))
        if e.status == "non_realised":
            level = s.get(CapacityLevel, e.level_id)
            assert level is not None
            wl = registers.deadline_for(s, level)
            if wl >= today:
                out.append(Deadline(wl, "waiting_list", f"wachtlijst {e.level_id}", e.id))
    out.sort(key=lambda d: (d.on, d.kind))
    return out


def _case_row(s: Session, case: MediationCase, at: datetime) -> CaseRow:
    assert case.id is not None
    child = s.get(Child, case.child_id)
    entry_ids = list(s.execute(select(CaseRefusal.entry_id)
                               .where(CaseRefusal.case_id == case.id)).scalars())
    deadlines = [] if case.status == "closed" else _deadlines(s, case.child_id, entry_ids, at)
    open_props = s.execute(
        select(func.count()).select_from(CaseProposal)
        .where(CaseProposal.case_id == case.id, CaseProposal.answer.is_(None))
    ).scalar_one()
    return CaseRow(case.id, case.child_id, _child_name(child, case.child_id), case.area_id,
                   case.status, case.trigger, case.reason, case.opened_at,
                   deadlines[0].on if deadlines else None, case.outcome, case.closed_at,
                   int(open_props), _refusing_schools(s, case.id))


def _case_view(s: Session, case: MediationCase, at: datetime) -> CaseView:
    assert case.id is not None and case.version is not None
    row = _case_row(s, case, at)
    parties = [PartyRow(p.id or 0, p.role, p.name, p.contact, p.added_at, p.added_by)
               for p in s.execute(select(CaseParty).where(CaseParty.case_id == case.id)
                                  .order_by(CaseParty.id)).scalars()]
    proposals = [_proposal_row(s, p) for p in s.execute(
        select(CaseProposal).where(CaseProposal.case_id == case.id)
        .order_by(CaseProposal.id)).scalars()]
    timeline = [TimelineRow(e.id or 0, e.at, e.user, e.kind, e.occurred_on, e.text, e.ref_id,
                            e.rule_id)
                for e in s.execute(select(CaseEvent).where(CaseEvent.case_id == case.id)
                                   .order_by(CaseEvent.id)).scalars()]
    return CaseView(
        id=case.id, child_id=case.child_id, child_name=row.child_name, area_id=case.area_id,
        trigger=case.trigger, reason=case.reason, request_on=case.request_on,
        requested_by=case.requested_by, opened_at=case.opened_at, opened_by=case.opened_by,
        status=case.status, clr_complaint_on=case.clr_complaint_on,
        clr_complaint_note=case.clr_complaint_note, outcome=case.outcome,
        outcome_school_id=case.outcome_school_id, closed_at=case.closed_at,
        closed_by=case.closed_by, version=case.version, next_deadline=row.next_deadline,
        refusals=_refusal_rows(s, case.id), parties=parties, proposals=proposals,
        timeline=timeline)


def get_case(db: Database, case_id: int, at: datetime | None = None, *,
             audit_read: bool = True) -> CaseView:
    """A case with its timeline. A case names the child and its refusals: a read by a
    mediation-cell member is recorded like a read of the child's file (domain §10)."""
    now = at or utcnow()
    with db.read() as s:
        role = require(s, db.user, "mediation.read_child")
        view = _case_view(s, _case(s, case_id), now)
    if role == "mediation" and audit_read:
        with db.write() as s:
            audit.record(s, db.user, "case.read", "mediation_case", case_id,
                         {"child_id": view.child_id}, at=now)
    return view


def list_cases(db: Database, *, status: str | None = None, area_id: str | None = None,
               child_id: str | None = None, at: datetime | None = None) -> list[CaseRow]:
    """Cases for the cell: open and waiting first, then by the next deadline."""
    now = at or utcnow()
    with db.read() as s:
        require(s, db.user, "mediation.read_child")
        q = select(MediationCase).order_by(MediationCase.id)
        if status:
            q = q.where(MediationCase.status == status)
        if area_id:
            q = q.where(MediationCase.area_id == area_id)
        if child_id:
            q = q.where(MediationCase.child_id == child_id)
        rows = [_case_row(s, c, now) for c in s.execute(q).scalars()]
    rows.sort(key=lambda r: (r.status == "closed", r.next_deadline is None,
                             r.next_deadline or date.max, r.id))
    return rows


def case_timeline(db: Database, case_id: int) -> list[TimelineRow]:
    with db.read() as s:
        require(s, db.user, "mediation.read_child")
        _case(s, case_id)
        return [TimelineRow(e.id or 0, e.at, e.user, e.kind, e.occurred_on, e.text, e.ref_id,
                            e.rule_id)
                for e in s.execute(select(CaseEvent).where(CaseEvent.case_id == case_id)
                                   .order_by(CaseEvent.id)).scalars()]


# --- the child's file (domain §10) ------------------------------------------------------------


def child_file(db: Database, child_id: str, *, at: datetime | None = None,
               audit_read: bool = True) -> ChildFile:
    """All the child's requests, refusals, notices, waiting positions and deadlines across
    the area. A mediation-cell member's opening is audited (who, when, which child).

    audit_read=False is for a screen that refreshes a file it already opened (the read
    was recorded then; recording every refresh would itself trigger refreshes).
    """
    now = at or utcnow()
    with db.read() as s:
        role = require(s, db.user, "mediation.read_child")
        child = get_or_404(s, Child, child_id, "kind")
        rows = s.execute(
            select(RegisterEntry, CapacityLevel, School)
            .join(CapacityLevel, CapacityLevel.id == RegisterEntry.level_id)
            .join(School, School.id == CapacityLevel.school_id)
            .where(RegisterEntry.child_id == child_id)
            .order_by(RegisterEntry.requested_at, RegisterEntry.id)
        ).all()
        entries: list[FileEntry] = []
        for e, level, school in rows:
            assert e.id is not None
            position = deadline = binds = None
            if e.status == "non_realised":
                waiting = [w.id for w in registers._waiting(s, level.id)]
                position = waiting.index(e.id) + 1 if e.id in waiting else None
                deadline = registers.deadline_for(s, level)
                binds = order_binds(now, deadline)
            n = s.execute(select(RefusalNotice).where(RefusalNotice.entry_id == e.id)).scalar()
            entries.append(FileEntry(
                e.id, level.id, school.id, school.name, school.area_id, level.school_year,
                level.regime, level.kind, level.label, e.seq, e.requested_at, e.status,
                e.reason, refusal_moment(s, e.id), e.overcapacity_category, position, deadline,
                binds, _notice_view(s, n) if n else None))
        cases = [_case_row(s, c, now) for c in s.execute(
            select(MediationCase).where(MediationCase.child_id == child_id)
            .order_by(MediationCase.id)).scalars()]
        deadlines = _deadlines(s, child_id, None, now)
        result = ChildFile(child.id, child.first_name, child.last_name, child.birth_date,
                           child.address, entries, cases, deadlines)
    if role == "mediation" and audit_read:
        with db.write() as s:
            audit.record(s, db.user, "child.read", "child", child_id,
                         {"entries": len(entries), "cases": [c.id for c in cases]}, at=now)
    return result


# --- the LOP plenary: counts and pseudonyms only (domain §10) ---------------------------------


@dataclass
class PlenaryCase:
    pseudonym: str  # a number in this list only: not the child's id, not its name
    status: str
    trigger: str
    reason: str
    refusing_schools: int
    proposals: int
    days_open: int
    outcome: str | None


@dataclass
class PlenarySummary:
    area_id: str | None
    cases_by_status: dict[str, int]
    cases_by_outcome: dict[str, int]
    cases_by_trigger: dict[str, int]
    notices: int
    notices_late: int
    notices_by_mode: dict[str, int]
    notices_by_lop: int
    refusals_without_notice: int
    cases: list[PlenaryCase]


def plenary_summary(db: Database, area_id: str | None = None,
                    at: datetime | None = None) -> PlenarySummary:
    """What the LOP plenary may see: counts, and cases under a list-only pseudonym."""
    now = at or utcnow()
    with db.read() as s:
        require(s, db.user, "read")
        missing = s.execute(select(func.count())
                            .select_from(_missing_query(area_id).order_by(None).subquery())
                            ).scalar_one()
        q = select(MediationCase).order_by(MediationCase.opened_at, MediationCase.id)
        if area_id:
            q = q.where(MediationCase.area_id == area_id)
        cases = list(s.execute(q).scalars())
        by_status = {k: 0 for k in CASE_STATUS}
        by_outcome = {k: 0 for k in CASE_OUTCOMES}
        by_trigger = {k: 0 for k in CASE_TRIGGER}
        plenary: list[PlenaryCase] = []
        for i, c in enumerate(cases, 1):
            assert c.id is not None
            by_status[c.status] = by_status.get(c.status, 0) + 1
            by_trigger[c.trigger] = by_trigger.get(c.trigger, 0) + 1
            if c.outcome:
                by_outcome[c.outcome] = by_outcome.get(c.outcome, 0) + 1
            end = c.closed_at or now
            n_props = s.execute(select(func.count()).select_from(CaseProposal)
                                .where(CaseProposal.case_id == c.id)).scalar_one()
            plenary.append(PlenaryCase(f"dossier {i}", c.status, c.trigger, c.reason,
                                       len(_refusing_schools(s, c.id)), int(n_props),
                                       (local_day(end) - local_day(c.opened_at)).days,
                                       c.outcome))
        nq = select(RefusalNotice).join(School, School.id == RefusalNotice.school_id)
        if area_id:
            nq = nq.where(School.area_id == area_id)
        notices = list(s.execute(nq).scalars())
        by_mode = {k: 0 for k in NOTICE_MODES}
        for n in notices:
            by_mode[n.delivery_mode] = by_mode.get(n.delivery_mode, 0) + 1
        return PlenarySummary(area_id, by_status, by_outcome, by_trigger, len(notices),
                              sum(n.late for n in notices), by_mode,
                              sum(n.sent_by == "lop" for n in notices), missing, plenary)
