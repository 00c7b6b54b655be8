"""Status changes by hand and withdrawals (REG-02, REG-03, WL-01); one transaction each."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from lopdesk.db import Database
from lopdesk.domain.access import require
from lopdesk.domain.errors import InvalidInput, RuleViolation
from lopdesk.domain.models import CapacityLevel, Offer, RegisterEntry
from lopdesk.domain.registers.store import (
    binding,
    child_name,
    freed_contingent,
    level_state,
    load_entry,
    per_contingent,
    set_status_in,
    waiting_entries,
)
from lopdesk.domain.registers.views import EntryView, entry_view
from lopdesk.domain.types import utcnow
from lopdesk.labels import STATUS, fmt_date


def change_status(db: Database, entry_id: int, to_status: str, *, reason: str,
                  rule: str | None = None, expected_version: int | None = None,
                  at: datetime | None = None) -> EntryView:
    """A manual status change. Realising a waiting child follows WL-01 and needs a place."""
    if to_status not in STATUS:  # bad input (exit 2); a known but forbidden change is REG-03
        choices = ", ".join(f"{code} ({text})" for code, text in STATUS.items())
        raise InvalidInput(f"onbekende status '{to_status}': kies uit {choices}.",
                           field="to_status")
    if not reason.strip():
        raise InvalidInput("geef een reden op voor de statuswijziging.", field="reason")
    with db.write() as s:
        require(s, db.user, "register.write")
        entry = load_entry(s, entry_id, expected_version)
        now = at or utcnow()
        if entry.status == "non_realised" and to_status == "realised":
            level = s.get(CapacityLevel, entry.level_id)
            assert level is not None
            free = level_state(s, level).free_places()
            if free is not None and free <= 0:
                raise RuleViolation(
                    "er is geen vrije plaats in dit niveau; een plaats komt vrij door een "
                    "intrekking of een goedgekeurde capaciteitsverhoging.", rule="CAP-04")
            _guard_waiting_order(s, level, entry, now)
            rule = rule or "WL-01"
        set_status_in(s, db.user, entry, to_status, reason=reason, rule=rule, at=now)
        return entry_view(entry, rule)


def _guard_waiting_order(s: Session, level: CapacityLevel, entry: RegisterEntry,
                         at: datetime) -> None:
    """WL-01: before the deadline nobody passes a higher-placed child that has not declined."""
    binds, deadline = binding(s, level, at)
    if not binds:
        return
    contingent = freed_contingent(s, level) if per_contingent(s, level) else None
    for candidate in waiting_entries(s, level.id, contingent):
        if candidate.id == entry.id:
            return
        raise RuleViolation(
            f"tot en met {fmt_date(deadline)} gaat een vrije plaats in volgorde van de "
            f"wachtlijst: eerst {child_name(s, candidate.child_id)} (nr. {candidate.seq}), "
            "zolang die niet weigerde.", rule="WL-01")


def withdraw(db: Database, entry_id: int, *, reason: str, expected_version: int | None = None,
             at: datetime | None = None) -> EntryView:
    """REG-03: realised → withdrawn or non_realised → withdrawn. A freed place is not given
    away here: `fill`/`offer_next` offer it in waiting-list order (WL-01)."""
    if not reason.strip():
        raise InvalidInput("geef een reden op voor de intrekking.", field="reason")
    with db.write() as s:
        require(s, db.user, "register.write")
        entry = load_entry(s, entry_id, expected_version)
        freed = entry.status == "realised" and entry.overcapacity_category is None
        set_status_in(s, db.user, entry, "withdrawn", reason=reason, rule="REG-03", at=at)
        # An open offer for a withdrawn child lapses.
        for offer in s.execute(select(Offer).where(Offer.entry_id == entry_id,
                                                   Offer.status == "open")).scalars():
            offer.status = "declined"
            offer.answered_at = at or utcnow()
            offer.answered_by = db.user
        view = entry_view(entry, "REG-03")
        view.freed_place = freed
        return view
