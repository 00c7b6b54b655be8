"""The mediation cell's reads: notices (NGI-02..04), cases (MED-02), the child's file with
its read audit and the plenary's counts (domain §10). Lists are batched: a fixed number of
queries whatever the number of cases or entries."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import Select, func, select
from sqlmodel import Session

from lopdesk.db import Database
from lopdesk.domain import audit
from lopdesk.domain.access import reading, require
from lopdesk.domain.areas import get_or_404
from lopdesk.domain.calendar import order_binds
from lopdesk.domain.codes import CASE_OUTCOMES, CASE_STATUSES, CASE_TRIGGERS, NOTICE_MODES
from lopdesk.domain.errors import NotFound
from lopdesk.domain.mediation import rows as build
from lopdesk.domain.mediation.common import get_case_or_404
from lopdesk.domain.mediation.rules import case_order, local_day, notice_due
from lopdesk.domain.mediation.views import (
    CaseRow,
    CaseView,
    ChildFile,
    FileEntry,
    MissingNotice,
    NoticeView,
    PlenaryCase,
    PlenarySummary,
    TimelineRow,
)
from lopdesk.domain.mediation_models import (
    CaseProposal,
    CaseRefusal,
    MediationCase,
    RefusalNotice,
)
from lopdesk.domain.models import CapacityLevel, Child, RegisterEntry, RegisterEvent, School
from lopdesk.domain.query import where_given
from lopdesk.domain.types import utcnow

# --- notices (NGI-02..04) ---------------------------------------------------------------------


def get_notice(db: Database, notice_id: int) -> NoticeView:
    with reading(db) as s:
        found = build.notice_views(s, RefusalNotice.id == notice_id)
        if not found:
            raise NotFound(f"mededeling {notice_id} bestaat niet.", field="notice_id")
        return found[0]


def list_notices(db: Database, *, area_id: str | None = None, late: bool | None = None,
                 child_id: str | None = None) -> list[NoticeView]:
    with reading(db) as s:
        where = []
        if late is not None:
            where.append(RefusalNotice.late.is_(late))
        if child_id:
            where.append(RefusalNotice.child_id == child_id)
        return build.notice_views(s, *where, area_id=area_id)


def _missing_query(area_id: str | None) -> Select:
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
    with reading(db) as s:
        rows = []
        for eid, cid, lid, seq, sid, sname, refused in s.execute(_missing_query(area_id)):
            due = notice_due(refused)
            rows.append(MissingNotice(eid, cid, lid, seq, sid, sname, refused, due, today > due))
        return rows


# --- cases (MED-02) ---------------------------------------------------------------------------


def get_case(db: Database, case_id: int, at: datetime | None = None, *,
             audit_read: bool = True) -> CaseView:
    """A case with its timeline. A case names the child and its refusals: a read by a
    mediation-cell member is recorded like a read of the child's file (domain §10)."""
    now = at or utcnow()
    with db.read() as s:
        role = require(s, db.user, "mediation.read_child")
        view = build.case_view(s, get_case_or_404(s, case_id), now)
    if role == "mediation" and audit_read:
        with db.write() as s:
            audit.record(s, db.user, "case.read", "mediation_case", case_id,
                         {"child_id": view.child_id}, at=now)
    return view


def list_cases(db: Database, *, status: str | None = None, area_id: str | None = None,
               child_id: str | None = None, at: datetime | None = None) -> list[CaseRow]:
    """Cases for the cell: open and waiting first, then by the next deadline."""
    now = at or utcnow()
    with reading(db, "mediation.read_child") as s:
        q = where_given(select(MediationCase).order_by(MediationCase.id),
                        (MediationCase.status, status), (MediationCase.area_id, area_id),
                        (MediationCase.child_id, child_id))
        rows = build.case_rows(s, list(s.execute(q).scalars()), now)
    rows.sort(key=lambda r: case_order(r.status, r.next_deadline, r.id))
    return rows


def case_timeline(db: Database, case_id: int) -> list[TimelineRow]:
    with reading(db, "mediation.read_child") as s:
        get_case_or_404(s, case_id)
        return build.timeline(s, case_id)


# --- the child's file (domain §10) ------------------------------------------------------------


def _file_entries(s: Session, facts: list[build.EntryFacts], days: dict[str, list[date]],
                  now: datetime) -> list[FileEntry]:
    """The child's requests with waiting positions and notices, a fixed number of queries."""
    places = build.waiting_positions(s, facts)
    notices = {n.entry_id: n for n in build.notice_views(
        s, RefusalNotice.entry_id.in_([f.entry.id for f in facts]))} if facts else {}
    out = []
    for f in facts:
        e, level, school = f.entry, f.level, f.school
        assert e.id is not None
        position = deadline = binds = None
        if e.status == "non_realised":
            position = places.get(e.id)
            deadline = build.waiting_deadline(f, days)
            binds = order_binds(now, deadline)
        out.append(FileEntry(
            e.id, level.id, school.id, school.name, school.area_id, level.school_year,
            level.regime, level.kind, level.label, e.seq, e.requested_at, e.status,
            e.reason, f.refused_at, e.overcapacity_category, position, deadline, binds,
            notices.get(e.id)))
    return out


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
        facts = build.load_entries(s, child_id=child_id)
        days = build.free_days(s, (f.school.area_id for f in facts
                                   if f.entry.status == "non_realised"))
        entries = _file_entries(s, facts, days, now)
        cases = build.case_rows(s, list(s.execute(
            select(MediationCase).where(MediationCase.child_id == child_id)
            .order_by(MediationCase.id)).scalars()), now)
        result = ChildFile(child.id, child.first_name, child.last_name, child.birth_date,
                           child.address, entries, cases,
                           build.deadlines(facts, days, local_day(now)))
    if role == "mediation" and audit_read:
        with db.write() as s:
            audit.record(s, db.user, "child.read", "child", child_id,
                         {"entries": len(entries), "cases": [c.id for c in cases]}, at=now)
    return result


# --- the LOP plenary: counts and pseudonyms only (domain §10) ---------------------------------


def _count_by(values: Iterable[str], codes: Iterable[str]) -> dict[str, int]:
    out = {k: 0 for k in codes}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return out


def plenary_summary(db: Database, area_id: str | None = None,
                    at: datetime | None = None) -> PlenarySummary:
    """What the LOP plenary may see: counts, and cases under a list-only pseudonym."""
    now = at or utcnow()
    with reading(db) as s:
        missing = s.execute(select(func.count())
                            .select_from(_missing_query(area_id).order_by(None).subquery())
                            ).scalar_one()
        q = select(MediationCase).order_by(MediationCase.opened_at, MediationCase.id)
        if area_id:
            q = q.where(MediationCase.area_id == area_id)
        cases = list(s.execute(q).scalars())
        ids = [c.id for c in cases]
        props = dict(s.execute(select(CaseProposal.case_id, func.count())
                               .where(CaseProposal.case_id.in_(ids))
                               .group_by(CaseProposal.case_id)).all()) if ids else {}
        schools: dict[int, set[str]] = {i: set() for i in ids if i is not None}
        if ids:
            for cid, sid in s.execute(
                    select(CaseRefusal.case_id, CapacityLevel.school_id)
                    .join(RegisterEntry, RegisterEntry.id == CaseRefusal.entry_id)
                    .join(CapacityLevel, CapacityLevel.id == RegisterEntry.level_id)
                    .where(CaseRefusal.case_id.in_(ids))).all():
                schools[cid].add(sid)
        plenary = [PlenaryCase(f"dossier {i}", c.status, c.trigger, c.reason,
                               len(schools[c.id or 0]), int(props.get(c.id, 0)),
                               (local_day(c.closed_at or now) - local_day(c.opened_at)).days,
                               c.outcome)
                   for i, c in enumerate(cases, 1)]
        nq = select(RefusalNotice).join(School, School.id == RefusalNotice.school_id)
        if area_id:
            nq = nq.where(School.area_id == area_id)
        notices = list(s.execute(nq).scalars())
        return PlenarySummary(
            area_id, _count_by((c.status for c in cases), CASE_STATUSES),
            _count_by((c.outcome for c in cases if c.outcome), CASE_OUTCOMES),
            _count_by((c.trigger for c in cases), CASE_TRIGGERS), len(notices),
            sum(n.late for n in notices), _count_by((n.delivery_mode for n in notices),
                                                   NOTICE_MODES),
            sum(n.sent_by == "lop" for n in notices), missing, plenary)
