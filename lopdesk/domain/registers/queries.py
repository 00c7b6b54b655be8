"""The register's read side: entries, history, replay, waiting lists and offers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from lopdesk.db import Database
from lopdesk.domain.access import reading
from lopdesk.domain.areas import get_or_404
from lopdesk.domain.errors import NotFound
from lopdesk.domain.models import (
    CapacityLevel,
    Child,
    Offer,
    RegisterEntry,
    RegisterEvent,
    School,
)
from lopdesk.domain.registers.store import (
    level_binding,
    load_entry,
    per_contingent,
    waiting_entries,
)
from lopdesk.domain.registers.views import (
    EntryRow,
    EntryView,
    EventRow,
    NoticeEvent,
    OfferEvent,
    OfferRow,
    WaitingView,
    entry_view,
)
from lopdesk.domain.types import utcnow


def list_entries(db: Database, level_id: str) -> list[EntryRow]:
    """All entries of a register in order (REG-01), as light tuples."""
    with reading(db) as s:
        get_or_404(s, CapacityLevel, level_id, "capaciteitsniveau")
        rows = s.execute(
            select(RegisterEntry.id, RegisterEntry.seq, RegisterEntry.requested_at,
                   RegisterEntry.child_id,
                   (Child.first_name + " " + Child.last_name),
                   RegisterEntry.priority_group, RegisterEntry.contingent, RegisterEntry.status,
                   RegisterEntry.reason, RegisterEntry.out_of_order,
                   RegisterEntry.overcapacity_category, RegisterEntry.waitlist_position,
                   RegisterEntry.version)
            .join(Child, Child.id == RegisterEntry.child_id)
            .where(RegisterEntry.level_id == level_id)
            .order_by(RegisterEntry.seq)
        ).all()
    return [EntryRow(*r) for r in rows]


def get_entry(db: Database, entry_id: int) -> EntryView:
    with reading(db) as s:
        return entry_view(load_entry(s, entry_id, None))


def find_entry(db: Database, level_id: str, seq: int) -> EntryView:
    with reading(db) as s:
        entry = s.execute(select(RegisterEntry).where(RegisterEntry.level_id == level_id,
                                                      RegisterEntry.seq == seq)).scalar()
        if entry is None:
            raise NotFound(f"register {level_id} heeft geen nummer {seq}.", field="seq")
        return entry_view(entry)


def entry_history(db: Database, entry_id: int) -> list[EventRow]:
    """REG-02: every event of an entry, oldest first."""
    with reading(db) as s:
        load_entry(s, entry_id, None)
        rows = s.execute(
            select(RegisterEvent.id, RegisterEvent.at, RegisterEvent.user, RegisterEvent.kind,
                   RegisterEvent.from_status, RegisterEvent.to_status, RegisterEvent.reason,
                   RegisterEvent.rule_id)
            .where(RegisterEvent.entry_id == entry_id).order_by(RegisterEvent.id)
        ).all()
    return [EventRow(*r) for r in rows]


def entry_offers(db: Database, entry_id: int, at: datetime | None = None) -> list[OfferEvent]:
    """WL-01: the offers of a freed place made to an entry, step by step (made, then
    accepted, declined or ended; an offer still open past its reply deadline at `at` has
    expired), oldest first."""
    now = at or utcnow()
    with reading(db) as s:
        load_entry(s, entry_id, None)
        rows = s.execute(
            select(Offer.id, Offer.offered_at, Offer.offered_by, Offer.status, Offer.rule_id,
                   Offer.reply_by, Offer.answered_at, Offer.answered_by, Offer.end_reason)
            .where(Offer.entry_id == entry_id).order_by(Offer.id)
        ).all()
    out = []
    for oid, offered_at, by, status, rule, reply_by, answered_at, answered_by, why in rows:
        out.append(OfferEvent(offered_at, by, "offered", oid, rule, reply_by))
        if status != "open" and answered_at is not None:
            out.append(OfferEvent(answered_at, answered_by or "", status, oid, rule,
                                  reason=why or ""))
        elif status == "open" and reply_by is not None and reply_by < now:
            out.append(OfferEvent(reply_by, "", "expired", oid, rule, reply_by))
    return sorted(out, key=lambda e: e.at)


def entry_notices(db: Database, entry_id: int) -> list[NoticeEvent]:
    """NGI-02..04: the recorded delivery of the entry's refusal notice (at most one)."""
    from lopdesk.domain.mediation_models import RefusalNotice

    with reading(db) as s:
        rows = s.execute(select(RefusalNotice).where(RefusalNotice.entry_id == entry_id)
                         ).scalars().all()
        return [NoticeEvent(n.recorded_at, n.recorded_by, n.delivery_mode, n.delivered_on,
                            n.late, n.sent_by, reason=n.note) for n in rows]


def entry_timeline(db: Database, entry_id: int, at: datetime | None = None
                   ) -> list[EventRow | OfferEvent | NoticeEvent]:
    """REG-02, WL-01 and NGI-02: the events of an entry, the steps of the offers made to
    it and the delivery of its refusal notice, in time order (at one moment the offer's
    answer before the status change it causes)."""
    steps: list[EventRow | OfferEvent | NoticeEvent] = [
        *entry_offers(db, entry_id, at), *entry_history(db, entry_id),
        *entry_notices(db, entry_id)]
    return sorted(steps, key=lambda e: (e.at, isinstance(e, EventRow)))


def status_at(db: Database, entry_id: int, moment: datetime) -> str | None:
    """REG-02: replay the events to the status an entry had at `moment` (None: not yet)."""
    status = None
    for ev in entry_history(db, entry_id):
        if ev.at > moment:
            break
        status = ev.to_status or status
    return status


def waiting_list(db: Database, level_id: str, at: datetime | None = None) -> WaitingView:
    """The waiting list of a level in order, and until when that order binds (WL-01)."""
    with reading(db) as s:
        level, binds, deadline = level_binding(s, level_id, at or utcnow())
        ids = [e.id for e in waiting_entries(s, level_id)]
        per_c = per_contingent(s, level)
    by_id = {r.id: r for r in list_entries(db, level_id)}
    return WaitingView(level_id, deadline, binds, per_c, [by_id[i] for i in ids])


def list_offers(db: Database, level_id: str | None = None,
                status: str | None = None, area_id: str | None = None) -> list[OfferRow]:
    """Offers of freed places, of one level, one area or everywhere, oldest first."""
    with reading(db) as s:
        q = (select(Offer.id, Offer.level_id, Offer.entry_id, RegisterEntry.seq,
                    RegisterEntry.child_id, (Child.first_name + " " + Child.last_name),
                    Offer.status, Offer.rule_id, Offer.offered_at, Offer.reply_by,
                    Offer.offered_by, School.name)
             .join(RegisterEntry, RegisterEntry.id == Offer.entry_id)
             .join(Child, Child.id == RegisterEntry.child_id)
             .join(CapacityLevel, CapacityLevel.id == Offer.level_id)
             .join(School, School.id == CapacityLevel.school_id).order_by(Offer.id))
        if level_id:
            q = q.where(Offer.level_id == level_id)
        if area_id:
            q = q.where(School.area_id == area_id)
        if status:
            q = q.where(Offer.status == status)
        return [OfferRow(*r) for r in s.execute(q).all()]
