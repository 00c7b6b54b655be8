"""Opening cases (MED-01): on a logged parent request after a capacity refusal, and
automatically for the configured grounds."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlmodel import Session

from lopdesk.db import Database
from lopdesk.domain import audit
from lopdesk.domain.access import reading, require
from lopdesk.domain.areas import get_or_404
from lopdesk.domain.errors import InvalidInput, NeedsConfirmation, RuleViolation
from lopdesk.domain.mediation.common import (
    add_event,
    current_case,
    link_refusal,
    lock_child,
    realised_places,
    refusal_reason,
    touch,
)
from lopdesk.domain.mediation.rows import case_view
from lopdesk.domain.mediation.rules import parent_request_reason, placed_elsewhere
from lopdesk.domain.mediation.views import CaseView
from lopdesk.domain.mediation_models import CaseAutoReason, MediationCase
from lopdesk.domain.models import CapacityLevel, Child, RegisterEntry
from lopdesk.domain.refusals import entry_or_404, refusal_moment, school_of_level
from lopdesk.domain.types import utcnow
from lopdesk.labels import REFUSAL_REASON, fmt_date


def open_automatic_in(s: Session, user: str, entry: RegisterEntry, reason: str,
                      at: datetime) -> MediationCase:
    """MED-01: a configured ground opens a case without a parent request (or joins the
    child's running case)."""
    lock_child(s, entry.child_id)
    case = current_case(s, entry.child_id)
    if case is not None:
        link_refusal(s, user, case, entry, at, " — automatisch gekoppeld")
        touch(s, case)
        return case
    school = school_of_level(s, entry.level_id)
    case = MediationCase(child_id=entry.child_id, area_id=school.area_id, trigger="automatic",
                         reason=reason, opened_at=at, opened_by=user, status="open")
    s.add(case)
    s.flush()
    add_event(s, user, case, "opened",
              f"automatisch geopend: {REFUSAL_REASON.get(reason, reason)}", at=at,
              rule="MED-01")
    link_refusal(s, user, case, entry, at, "")
    audit.record(s, user, "case.open", "mediation_case", case.id,
                 {"child_id": entry.child_id, "trigger": "automatic", "reason": reason,
                  "entry_id": entry.id, "rule": "MED-01"})
    return case


def _refusals_to_mediate(s: Session, child_id: str,
                         entry_ids: list[int] | None) -> list[RegisterEntry]:
    """The given refusals of the child (each checked), or all its non-realised entries."""
    if entry_ids:
        entries = [entry_or_404(s, i) for i in entry_ids]
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
    return entries


def _refuse_if_placed_elsewhere(s: Session, child_id: str,
                                entries: list[RegisterEntry]) -> None:
    """A child enrolled (realised) at another school for the same school year, kind and
    grade as a refusal already has a place: MED-01 still allows a case (the parents may
    seek their preferred school; MED-02 knows the outcome 'another school'), but only once
    the user confirms it, told where the child is enrolled."""
    refused = [lv for lv in (s.get(CapacityLevel, e.level_id) for e in entries) if lv]
    rows = realised_places(s, child_id)
    level = placed_elsewhere(refused, [lv for lv, _, _ in rows])
    if level is not None:
        seq, name = next((q, n) for lv, q, n in rows if lv is level)
        child = s.get(Child, child_id)
        who = f"{child.first_name} {child.last_name} ({child_id})" if child else child_id
        raise NeedsConfirmation(
            f"{who} is al ingeschreven in {name} ({level.id} nr. {seq}) voor "
            "hetzelfde schooljaar en leerjaar; bevestig dat u toch een bemiddeling "
            "opent.", rule="MED-01", confirm="placed_elsewhere")


def open_case(db: Database, child_id: str, *, request_on: date | None,
              requested_by: str = "ouders", entry_ids: list[int] | None = None,
              note: str = "", at: datetime | None = None,
              confirm_placed_elsewhere: bool = False) -> CaseView:
    """MED-01: open a case on a logged parent request after a capacity refusal. A child
    already enrolled at another school for that year and grade needs
    `confirm_placed_elsewhere`."""
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
        lock_child(s, child_id)
        running = current_case(s, child_id)
        if running is not None:
            raise RuleViolation(f"kind {child_id} heeft al een lopend dossier ({running.id}); "
                                "voeg de weigering daar toe.", rule="MED-01")
        entries = _refusals_to_mediate(s, child_id, entry_ids)
        if not confirm_placed_elsewhere:
            _refuse_if_placed_elsewhere(s, child_id, entries)
        reason = parent_request_reason([refusal_reason(s, e) for e in entries])
        school = school_of_level(s, entries[-1].level_id)
        case = MediationCase(child_id=child_id, area_id=school.area_id,
                             trigger="parent_request", reason=reason,
                             request_on=request_on, requested_by=requested_by.strip(),
                             opened_at=now, opened_by=db.user, status="open")
        s.add(case)
        s.flush()
        add_event(s, db.user, case, "opened",
                  f"geopend op vraag van {case.requested_by} van {fmt_date(request_on)}"
                  + (f": {note}" if note else ""), at=now, occurred_on=request_on,
                  rule="MED-01")
        for e in entries:
            link_refusal(s, db.user, case, e, now, "")
        audit.record(s, db.user, "case.open", "mediation_case", case.id,
                     {"child_id": child_id, "trigger": "parent_request",
                      "request_on": request_on, "entries": [e.id for e in entries],
                      "rule": "MED-01"})
        return case_view(s, case, now)


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
    """MED-01: the configured grounds (active or not)."""
    with reading(db) as s:
        return list(s.execute(select(CaseAutoReason).order_by(CaseAutoReason.code)).scalars())
