"""Tables to views for the mediation cell, batched: one grouped query per aspect (refusals
with their notices, free days, open proposals, …) for any number of cases or entries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import case as when
from sqlalchemy import func, select
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session

from lopdesk.domain import registers
from lopdesk.domain.areas import level_places_in
from lopdesk.domain.calendar import waiting_list_deadline
from lopdesk.domain.mediation.rules import local_day, notice_due, place_words
from lopdesk.domain.mediation.views import (
    CaseRow,
    CaseView,
    Deadline,
    NoticeView,
    PartyRow,
    ProposalRow,
    RefusalRow,
    TimelineRow,
)
from lopdesk.domain.mediation_models import (
    CaseEvent,
    CaseParty,
    CaseProposal,
    CaseRefusal,
    LopNotification,
    MediationCase,
    RefusalNotice,
)
from lopdesk.domain.models import (
    CalendarDay,
    CapacityLevel,
    Child,
    RegisterEntry,
    RegisterEvent,
    School,
)
from lopdesk.labels import level_words


@dataclass
class EntryFacts:
    """A register entry with its level, school, first refusal (REG-02) and notice."""

    entry: RegisterEntry
    level: CapacityLevel
    school: School
    refused_at: datetime | None
    notice: RefusalNotice | None
    case_id: int | None = None  # set when loaded for cases


def _first_refusal() -> ColumnElement:
    """Per entry, when it first became non-realised (refusals.refusal_moment as a column)."""
    return (select(RegisterEvent.at)
            .where(RegisterEvent.entry_id == RegisterEntry.id,
                   RegisterEvent.to_status == "non_realised")
            .order_by(RegisterEvent.id).limit(1)
            .correlate(RegisterEntry).scalar_subquery())


def load_entries(s: Session, *, child_id: str | None = None,
                 case_ids: list[int] | None = None) -> list[EntryFacts]:
    """The child's entries, or those of the cases (one per case and entry), in register
    time order; one query."""
    cols = [RegisterEntry, CapacityLevel, School, RefusalNotice, _first_refusal()]
    if case_ids is not None:
        if not case_ids:
            return []
        q = (select(CaseRefusal.case_id, *cols)
             .join(RegisterEntry, RegisterEntry.id == CaseRefusal.entry_id)
             .where(CaseRefusal.case_id.in_(case_ids)))
    else:
        q = select(*cols).where(RegisterEntry.child_id == child_id)
    q = (q.join(CapacityLevel, CapacityLevel.id == RegisterEntry.level_id)
         .join(School, School.id == CapacityLevel.school_id)
         .outerjoin(RefusalNotice, RefusalNotice.entry_id == RegisterEntry.id)
         .order_by(RegisterEntry.requested_at, RegisterEntry.id))
    if case_ids is not None:
        return [EntryFacts(e, lv, sc, refused, n, cid)
                for cid, e, lv, sc, n, refused in s.execute(q).all()]
    return [EntryFacts(e, lv, sc, refused, n) for e, lv, sc, n, refused in s.execute(q).all()]


def free_days(s: Session, area_ids: Iterable[str]) -> dict[str, list[date]]:
    """The configured free days of the areas (WL-04), one query."""
    wanted = sorted(set(area_ids))
    out: dict[str, list[date]] = {a: [] for a in wanted}
    if wanted:
        for area_id, day in s.execute(select(CalendarDay.area_id, CalendarDay.day)
                                      .where(CalendarDay.area_id.in_(wanted))).all():
            out[area_id].append(day)
    return out


def waiting_deadline(f: EntryFacts, days: dict[str, list[date]]) -> date:
    """WL-01 for the entry's level (as registers.deadline_for, from preloaded free days)."""
    lv = f.level
    return waiting_list_deadline(lv.school_year, lv.kind, lv.label, days.get(f.school.area_id, []))


def waiting_positions(s: Session, facts: list[EntryFacts]) -> dict[int, int]:
    """Each non-realised entry's place on its level's waiting list, one query. The order is
    the registers' (REG-07): allocation positions first, then by register number."""
    ids = [f.entry.id for f in facts if f.entry.status == "non_realised"]
    if not ids:
        return {}
    order = (when((RegisterEntry.waitlist_position.is_(None), 1), else_=0),
             RegisterEntry.waitlist_position, RegisterEntry.seq)
    place = func.row_number().over(partition_by=RegisterEntry.level_id, order_by=order)
    sub = (select(RegisterEntry.id.label("id"), place.label("place"))
           .where(RegisterEntry.status == "non_realised",
                  RegisterEntry.level_id.in_(sorted({f.level.id for f in facts})))
           .subquery())
    return {int(i): int(p) for i, p in s.execute(select(sub.c.id, sub.c.place)
                                                 .where(sub.c.id.in_(ids))).all()}


def deadlines(facts: Iterable[EntryFacts], days: dict[str, list[date]],
              today: date) -> list[Deadline]:
    """Coming deadlines: the CLR complaint (NGI-04), the notice still to be delivered
    (NGI-02) and the waiting-list order (WL-01)."""
    out: list[Deadline] = []
    for f in facts:
        e, n = f.entry, f.notice
        where = place_words(f.school.name, f.level)
        if n is not None and n.clr_deadline >= today:
            out.append(Deadline(n.clr_deadline, "clr", f"klacht bij de CLR ({where})",
                                e.id))
        if n is None and f.refused_at is not None:
            due = notice_due(f.refused_at)
            if due >= today:
                out.append(Deadline(due, "notice", f"mededeling bezorgen ({where})",
                                    e.id))
        if e.status == "non_realised":
            wl = waiting_deadline(f, days)
            if wl >= today:
                out.append(Deadline(wl, "waiting_list", f"wachtlijst {where}", e.id))
    out.sort(key=lambda d: (d.on, d.kind, d.entry_id or 0))
    return out


def notice_views(s: Session, *where: ColumnElement[bool],
                 area_id: str | None = None) -> list[NoticeView]:
    """Notices with their register number, school, NGI-03 notification and case, one query,
    by delivery date."""
    case_id = (select(func.max(CaseRefusal.case_id))
               .where(CaseRefusal.entry_id == RefusalNotice.entry_id)
               .correlate(RefusalNotice).scalar_subquery())
    q = (select(RefusalNotice, RegisterEntry.seq, School.name, LopNotification.id, case_id)
         .outerjoin(RegisterEntry, RegisterEntry.id == RefusalNotice.entry_id)
         .outerjoin(School, School.id == RefusalNotice.school_id)
         .outerjoin(LopNotification, LopNotification.entry_id == RefusalNotice.entry_id)
         .where(*where)
         .order_by(RefusalNotice.delivered_on, RefusalNotice.id))
    if area_id:
        q = q.where(School.area_id == area_id)
    out = []
    found = s.execute(q).all()
    places = level_places_in(s, (row[0].level_id for row in found))
    for n, seq, school_name, notification_id, cid in found:
        assert n.id is not None
        name = school_name or n.school_id
        out.append(NoticeView(
            id=n.id, entry_id=n.entry_id, child_id=n.child_id, level_id=n.level_id,
            seq=seq or 0, school_id=n.school_id, school_name=name, decision_maker=name,
            controller=name, sent_by=n.sent_by, reason=n.reason, refused_at=n.refused_at,
            delivery_mode=n.delivery_mode, delivered_on=n.delivered_on,
            days_after_refusal=(n.delivered_on - local_day(n.refused_at)).days, late=n.late,
            clr_deadline=n.clr_deadline, notification_id=notification_id, note=n.note,
            recorded_by=n.recorded_by, recorded_at=n.recorded_at, case_id=cid,
            place=places.get(n.level_id, "")))
    return out


def _child_names(s: Session, child_ids: Iterable[str]) -> dict[str, str]:
    wanted = sorted(set(child_ids))
    if not wanted:
        return {}
    rows = s.execute(select(Child.id, Child.first_name, Child.last_name)
                     .where(Child.id.in_(wanted))).all()
    return {cid: f"{first} {last}".strip() for cid, first, last in rows}


def _proposal_counts(s: Session, case_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Each case's proposals: (not answered yet, all)."""
    unanswered = func.sum(when((CaseProposal.answer.is_(None), 1), else_=0))
    return {int(cid): (int(n or 0), int(total)) for cid, n, total in s.execute(
        select(CaseProposal.case_id, unanswered, func.count())
        .where(CaseProposal.case_id.in_(case_ids)).group_by(CaseProposal.case_id)).all()}


def case_rows_with_facts(s: Session, cases: list[MediationCase],
                         at: datetime) -> tuple[list[CaseRow], dict[int, list[EntryFacts]]]:
    """Rows for the cases in the given order, and each case's refusals; a fixed number of
    queries whatever the number of cases."""
    ids = [c.id for c in cases if c.id is not None]
    if not ids:
        return [], {}
    names = _child_names(s, (c.child_id for c in cases))
    facts: dict[int, list[EntryFacts]] = defaultdict(list)
    for f in load_entries(s, case_ids=ids):
        assert f.case_id is not None
        facts[f.case_id].append(f)
    running = [f for c in cases if c.status != "closed" for f in facts[c.id or 0]]
    days = free_days(s, (f.school.area_id for f in running
                         if f.entry.status == "non_realised"))
    props = _proposal_counts(s, ids)
    today = local_day(at)
    rows = []
    for c in cases:
        assert c.id is not None
        mine = facts[c.id]
        schools = {f.school.id: f.school.name for f in mine}
        coming = [] if c.status == "closed" else deadlines(
            (f for f in mine if f.entry.child_id == c.child_id), days, today)
        rows.append(CaseRow(c.id, c.child_id, names.get(c.child_id, c.child_id), c.area_id,
                            c.status, c.trigger, c.reason, c.opened_at,
                            coming[0].on if coming else None, c.outcome, c.closed_at,
                            # MED-02: a closed case waits for no answer any more
                            0 if c.status == "closed" else props.get(c.id, (0, 0))[0],
                            sorted(schools), [schools[k] for k in sorted(schools)],
                            props.get(c.id, (0, 0))[1]))
    return rows, facts


def case_rows(s: Session, cases: list[MediationCase], at: datetime) -> list[CaseRow]:
    return case_rows_with_facts(s, cases, at)[0]


def refusal_row(f: EntryFacts) -> RefusalRow:
    e, n = f.entry, f.notice
    assert e.id is not None
    return RefusalRow(e.id, e.level_id, e.seq, f.school.id, f.school.name, e.status,
                      n.reason if n else (e.reason or "capacity"), f.refused_at,
                      n.id if n else None, n.delivered_on if n else None,
                      n.late if n else None, n.clr_deadline if n else None,
                      level_words(f.level.kind, f.level.label, f.level.school_year))


def proposal_rows(s: Session, *where: ColumnElement[bool]) -> list[ProposalRow]:
    """The proposals with their free places now (CAP-04), read at every load."""
    out = []
    free_now: dict[str, int | None] = {}
    for p, name, seq, level in s.execute(
            select(CaseProposal, School.name, RegisterEntry.seq, CapacityLevel)
            .outerjoin(School, School.id == CaseProposal.school_id)
            .outerjoin(RegisterEntry, RegisterEntry.id == CaseProposal.entry_id)
            .outerjoin(CapacityLevel, CapacityLevel.id == CaseProposal.level_id)
            .where(*where).order_by(CaseProposal.id)).all():
        assert p.id is not None
        if p.level_id not in free_now:
            free_now[p.level_id] = (None if level is None
                                    else registers.level_state(s, level).free_places())
        out.append(ProposalRow(p.id, p.case_id, p.level_id, p.school_id, name or p.school_id,
                               p.proposed_at, p.proposed_by, p.free_places, p.distance_m,
                               p.answer, p.answered_at, p.entry_id, p.overcapacity_category,
                               seq, free_now[p.level_id]))
    return out


def proposal_row(s: Session, p: CaseProposal) -> ProposalRow:
    return proposal_rows(s, CaseProposal.id == p.id)[0]


def _timeline_row(e: CaseEvent) -> TimelineRow:
    return TimelineRow(e.id or 0, e.at, e.user, e.kind, e.occurred_on, e.text, e.ref_id,
                       e.rule_id)


def timeline(s: Session, case_id: int) -> list[TimelineRow]:
    return [_timeline_row(e) for e in s.execute(
        select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)).scalars()]


def last_event(s: Session, case_id: int) -> TimelineRow:
    ev = s.execute(select(CaseEvent).where(CaseEvent.case_id == case_id)
                   .order_by(CaseEvent.id.desc()).limit(1)).scalars().first()
    assert ev is not None and ev.id is not None
    return _timeline_row(ev)


def case_view(s: Session, case: MediationCase, at: datetime) -> CaseView:
    """One case with its refusals, parties, proposals and timeline."""
    assert case.id is not None and case.version is not None
    rows, facts = case_rows_with_facts(s, [case], at)
    row = rows[0]
    parties = [PartyRow(p.id or 0, p.role, p.name, p.contact, p.added_at, p.added_by)
               for p in s.execute(select(CaseParty).where(CaseParty.case_id == case.id)
                                  .order_by(CaseParty.id)).scalars()]
    return CaseView(
        id=case.id, child_id=case.child_id, child_name=row.child_name, area_id=case.area_id,
        trigger=case.trigger, reason=case.reason, request_on=case.request_on,
        requested_by=case.requested_by, opened_at=case.opened_at, opened_by=case.opened_by,
        status=case.status, clr_complaint_on=case.clr_complaint_on,
        clr_complaint_note=case.clr_complaint_note, outcome=case.outcome,
        outcome_school_id=case.outcome_school_id, closed_at=case.closed_at,
        closed_by=case.closed_by, version=case.version, next_deadline=row.next_deadline,
        refusals=[refusal_row(f) for f in facts[case.id]], parties=parties,
        proposals=proposal_rows(s, CaseProposal.case_id == case.id),
        timeline=timeline(s, case.id))
