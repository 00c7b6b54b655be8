"""Refusal notices and LOP notifications (NGI-02..04): recording how and when the notice
reached the parents, and catching up on missing NGI-03 notification records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from lopdesk.db import Database
from lopdesk.domain import audit
from lopdesk.domain.access import reading, require
from lopdesk.domain.codes import NOTICE_MODES, NOTICE_SENDERS
from lopdesk.domain.errors import InvalidInput, NeedsConfirmation, RuleViolation
from lopdesk.domain.mediation.cases import open_automatic_in
from lopdesk.domain.mediation.common import active_auto_reasons, check_reason
from lopdesk.domain.mediation.rows import notice_views
from lopdesk.domain.mediation.rules import clr_deadline, local_day, notice_due, notice_is_late
from lopdesk.domain.mediation.views import NoticeView
from lopdesk.domain.mediation_models import RefusalNotice
from lopdesk.domain.models import Offer, RegisterEntry
from lopdesk.domain.refusals import (
    entry_or_404,
    notify_refusal_in,
    notify_refusals_in,
    refusal_moment,
    school_of_level,
)
from lopdesk.domain.types import utcnow
from lopdesk.labels import fmt_date


def notify_refusals(db: Database, area_id: str | None = None) -> int:
    """NGI-03: create the missing LOP notification records; returns how many were made."""
    with db.write() as s:
        require(s, db.user, "mediation.write")
        return notify_refusals_in(s, db.user, area_id=area_id)


def _check_notice_input(mode: str, sent_by: str | None) -> None:
    if mode not in NOTICE_MODES:
        raise InvalidInput(f"onbekende wijze van overhandiging '{mode}' (kies uit "
                           "receipt = tegen ontvangstbewijs, registered_post = aangetekend).",
                           field="mode")
    if sent_by is not None and sent_by not in NOTICE_SENDERS:
        raise InvalidInput(f"verzender '{sent_by}' bestaat niet (school of lop).",
                           field="sent_by")


def _refuse_if_open_offer(s, child_id: str) -> None:
    row = s.execute(
        select(Offer.level_id, RegisterEntry.seq, Offer.reply_by)
        .join(RegisterEntry, RegisterEntry.id == Offer.entry_id)
        .where(RegisterEntry.child_id == child_id, Offer.status == "open")).first()
    if row is not None:
        until = f" (antwoord t.e.m. {fmt_date(row.reply_by)})" if row.reply_by else ""
        raise NeedsConfirmation(
            f"dit kind heeft een open aanbod van een vrijgekomen plaats in {row.level_id} "
            f"nr. {row.seq}{until}; bevestig dat u de mededeling toch registreert.",
            rule="WL-01", confirm="open_offer")


@dataclass(frozen=True)
class NoticeFacts:
    """What the delivery form of one register line shows before anything is recorded."""

    refused_at: datetime | None  # None: the line was never non-realised (no notice needed)
    due: date | None  # NGI-02: the last calendar day to deliver in time
    mandated: bool  # NGI-03: the school lets the LOP send its notices
    school_name: str
    recorded: NoticeView | None  # the notice already recorded for the line, if any


def notice_facts(db: Database, entry_id: int) -> NoticeFacts:
    """The refusal moment and due day (NGI-02), the school's mandate (NGI-03) and a notice
    already recorded: so that a form offers only what `record_notice` accepts."""
    with reading(db) as s:
        entry = entry_or_404(s, entry_id)
        refused_at = refusal_moment(s, entry_id)
        school = school_of_level(s, entry.level_id)
        recorded = notice_views(s, RefusalNotice.entry_id == entry_id)
        return NoticeFacts(refused_at, notice_due(refused_at) if refused_at else None,
                           bool(school.mandates_lop_notices), school.name,
                           recorded[0] if recorded else None)


def record_notice(db: Database, entry_id: int, *, mode: str, delivered_on: date,
                  reason: str | None = None, sent_by: str | None = None, note: str = "",
                  at: datetime | None = None, confirm_open_offer: bool = False) -> NoticeView:
    """NGI-02..04: record how and when the refusal notice reached the parents.

    Flags a notice later than 4 calendar days, computes the CLR deadline, writes the LOP
    notification (NGI-03) and, for a configured ground, opens a case (MED-01). A child who
    holds an open offer of a freed place (WL-01) may be about to get a place: that needs
    `confirm_open_offer`.
    """
    _check_notice_input(mode, sent_by)
    now = at or utcnow()
    with db.write() as s:
        require(s, db.user, "mediation.write")
        entry = entry_or_404(s, entry_id)
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
        if not confirm_open_offer:
            _refuse_if_open_offer(s, entry.child_id)
        school = school_of_level(s, entry.level_id)
        sender = sent_by or ("lop" if school.mandates_lop_notices else "school")
        if sender == "lop" and not school.mandates_lop_notices:
            raise RuleViolation(f"{school.name} gaf het LOP geen mandaat om mededelingen te "
                                "versturen.", rule="NGI-03")
        ground = reason or entry.reason or "capacity"
        check_reason(s, ground)
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
        if ground in active_auto_reasons(s):
            open_automatic_in(s, db.user, entry, ground, now)
        s.flush()
        return notice_views(s, RefusalNotice.id == notice.id)[0]
