"""NGI-03: every refusal gets its LOP notification record, in the transaction that refuses.

The registers write refusals and call this module; the mediation cell builds on both.
It imports neither, so registers and mediation never import each other.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import bindparam, func, insert, select
from sqlmodel import Session

from lopdesk.domain import audit
from lopdesk.domain.areas import get_or_404
from lopdesk.domain.bulk import insert_rows
from lopdesk.domain.mediation_models import LopNotification
from lopdesk.domain.models import CapacityLevel, RegisterEntry, RegisterEvent, School
from lopdesk.domain.types import utcnow

_NOTIFICATION = LopNotification.__table__  # type: ignore[attr-defined]
_INSERT_NOTIFICATION = insert(_NOTIFICATION).returning(_NOTIFICATION.c.id)
_IDS_PER_QUERY = 900  # below SQLite's bound-parameter limit


class NewRefusal(NamedTuple):
    """What the register already knows of an entry it just refused (the fast path)."""

    child_id: str
    school_id: str | None
    mandate: bool | None
    refused_at: datetime  # the entry's 'created' event, its first refusal


def refusal_moment(s: Session, entry_id: int) -> datetime | None:
    """When the entry first became non-realised (its register history, REG-02)."""
    return s.execute(
        select(RegisterEvent.at)
        .where(RegisterEvent.entry_id == entry_id, RegisterEvent.to_status == "non_realised")
        .order_by(RegisterEvent.id).limit(1)
    ).scalar()


def entry_or_404(s: Session, entry_id: int) -> RegisterEntry:
    return get_or_404(s, RegisterEntry, entry_id, "inschrijving", field="entry_id")


def school_of_level(s: Session, level_id: str) -> School:
    level = get_or_404(s, CapacityLevel, level_id, "capaciteitsniveau")
    return get_or_404(s, School, level.school_id, "school")


def notify_lop(s: Session, user: str, entry_ids: list, at: datetime | None,
               new: NewRefusal | None = None) -> None:
    """NGI-03 for refusals just written: one record per entry that has none yet."""
    if new is not None and len(entry_ids) == 1 and new.school_id is not None:
        # A request refused right now has no notification yet and its refusal moment is
        # its creation: the record notify_refusal_in writes, in two statements.
        values = {"entry_id": entry_ids[0], "child_id": new.child_id,
                  "school_id": new.school_id, "refused_at": new.refused_at,
                  "sent_under_mandate": bool(new.mandate), "notice_id": None,
                  "created_at": at or utcnow(), "created_by": user}
        notification_id = s.connection().execute(_INSERT_NOTIFICATION, values).scalar_one()
        audit.append(s, user, "lop_notification.create", "lop_notification", notification_id,
                     {"entry_id": entry_ids[0], "school_id": new.school_id, "rule": "NGI-03"})
        return
    if len(entry_ids) == 1:
        notify_refusal_in(s, user, entry_ids[0], at)
    else:
        notify_refusals_in(s, user, entry_ids=entry_ids, at=at)


def notify_refusal_in(s: Session, user: str, entry_id: int,
                      at: datetime | None = None) -> LopNotification | None:
    """NGI-03: the LOP notification record of one refusal (created once).

    Called in the transaction that refuses; `notify_refusals_in` catches up on refusals
    written before.
    """
    existing = s.execute(
        select(LopNotification).where(LopNotification.entry_id == entry_id)
    ).scalar()
    if existing is not None:
        return existing
    entry = entry_or_404(s, entry_id)
    refused_at = refusal_moment(s, entry_id)
    if refused_at is None:
        return None
    school = school_of_level(s, entry.level_id)
    row = LopNotification(entry_id=entry_id, child_id=entry.child_id, school_id=school.id,
                          refused_at=refused_at, sent_under_mandate=school.mandates_lop_notices,
                          created_at=at or utcnow(), created_by=user)
    s.add(row)
    s.flush()
    audit.record(s, user, "lop_notification.create", "lop_notification", row.id,
                 {"entry_id": entry_id, "school_id": school.id, "rule": "NGI-03"})
    return row


def notify_refusals_in(s: Session, user: str, *, entry_ids: Sequence[int] | None = None,
                       area_id: str | None = None, at: datetime | None = None) -> int:
    """NGI-03 in bulk (imports, allocation results, catching up): one notification per
    refusal that has none yet, one audit record for the batch. Returns how many. Any
    number of `entry_ids` (a million-line import): they are asked for in parts below
    SQLite's bound-parameter limit."""
    if entry_ids is None:
        written = _notify_part(s, user, None, area_id, at or utcnow())
    else:
        now = at or utcnow()
        written = sum(_notify_part(s, user, list(entry_ids[i:i + _IDS_PER_QUERY]), area_id, now)
                      for i in range(0, len(entry_ids), _IDS_PER_QUERY))
    if written:
        audit.record(s, user, "lop_notification.create", "lop_notification", "*",
                     {"count": written, "area_id": area_id, "rule": "NGI-03"})
    return written


def _notify_part(s: Session, user: str, entry_ids: list[int] | None, area_id: str | None,
                 now: datetime) -> int:
    first = (select(RegisterEvent.entry_id, func.min(RegisterEvent.at).label("refused_at"))
             .where(RegisterEvent.to_status == "non_realised")
             .group_by(RegisterEvent.entry_id))
    if entry_ids is not None:
        first = first.where(RegisterEvent.entry_id.in_(bindparam("ids", expanding=True)))
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
    rows = [{"entry_id": eid, "child_id": cid, "school_id": sid, "refused_at": refused,
             "sent_under_mandate": bool(mandate), "notice_id": None, "created_at": now,
             "created_by": user}
            for eid, cid, sid, mandate, refused in s.execute(
                q, {} if entry_ids is None else {"ids": entry_ids}).all()]
    insert_rows(s, _NOTIFICATION, rows)
    return len(rows)
