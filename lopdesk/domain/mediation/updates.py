"""Updating a running case (MED-02): refusals, parties, meetings and contacts, and a CLR
complaint (NGI-04). Each call is one transaction that adds to the case's timeline."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from lopdesk.db import Database
from lopdesk.domain import audit
from lopdesk.domain.codes import MANUAL_EVENT_KINDS, PARTY_ROLES
from lopdesk.domain.errors import InvalidInput, RuleViolation
from lopdesk.domain.mediation.common import add_event as add_event_in
from lopdesk.domain.mediation.common import case_update, link_refusal, touch
from lopdesk.domain.mediation.rows import last_event
from lopdesk.domain.mediation.rules import clr_complaint_late, local_day
from lopdesk.domain.mediation.views import PartyRow, TimelineRow
from lopdesk.domain.mediation_models import CaseParty, CaseRefusal, RefusalNotice
from lopdesk.domain.refusals import entry_or_404, refusal_moment
from lopdesk.domain.types import utcnow
from lopdesk.labels import PARTY_ROLE, fmt_date


def add_refusal(db: Database, case_id: int, entry_id: int,
                at: datetime | None = None) -> TimelineRow:
    """MED-02: another refusal of the same child joins the case."""
    now = at or utcnow()
    with case_update(db, case_id) as (s, case):
        entry = entry_or_404(s, entry_id)
        if entry.child_id != case.child_id:
            raise InvalidInput(f"inschrijving {entry_id} is niet van kind {case.child_id}.",
                               field="entry_id")
        if refusal_moment(s, entry_id) is None:
            raise RuleViolation(f"inschrijving {entry.level_id} nr. {entry.seq} is geen "
                                "weigering.", rule="MED-02")
        if s.get(CaseRefusal, (case_id, entry_id)) is not None:
            raise InvalidInput("deze weigering hoort al bij het dossier.", field="entry_id")
        link_refusal(s, db.user, case, entry, now, "")
        touch(s, case)
        audit.record(s, db.user, "case.refusal", "mediation_case", case_id,
                     {"entry_id": entry_id})
        return last_event(s, case_id)


def add_party(db: Database, case_id: int, role: str, name: str, contact: str = "",
              at: datetime | None = None) -> PartyRow:
    """MED-02: a party of the case (parents, school, CLB, …)."""
    if role not in PARTY_ROLES:
        raise InvalidInput(f"onbekende rol '{role}' (kies uit {', '.join(PARTY_ROLES)}).",
                           field="role")
    if not name.strip():
        raise InvalidInput("geef de naam van de partij.", field="name")
    now = at or utcnow()
    with case_update(db, case_id) as (s, case):
        party = CaseParty(case_id=case_id, role=role, name=name.strip(), contact=contact,
                          added_at=now, added_by=db.user)
        s.add(party)
        s.flush()
        add_event_in(s, db.user, case, "party", f"{PARTY_ROLE[role]}: {party.name}"
                     + (f" ({contact})" if contact else ""), at=now, ref_id=party.id,
                     rule="MED-02")
        touch(s, case)
        audit.record(s, db.user, "case.party", "mediation_case", case_id,
                     {"party_id": party.id, "role": role})
        assert party.id is not None
        return PartyRow(party.id, role, party.name, contact, now, db.user)


def add_event(db: Database, case_id: int, kind: str, text: str, *,
              occurred_on: date | None = None, at: datetime | None = None) -> TimelineRow:
    """A meeting, contact or note on the case's timeline (MED-02)."""
    if kind not in MANUAL_EVENT_KINDS:
        raise InvalidInput(f"soort '{kind}' kan zo niet toegevoegd worden (meeting, contact "
                           "of note).", field="kind")
    if not text.strip():
        raise InvalidInput("beschrijf kort wat er gebeurde.", field="text")
    now = at or utcnow()
    with case_update(db, case_id) as (s, case):
        add_event_in(s, db.user, case, kind, text.strip(), at=now,
                     occurred_on=occurred_on or local_day(now), rule="MED-02")
        touch(s, case)
        audit.record(s, db.user, f"case.{kind}", "mediation_case", case_id,
                     {"occurred_on": occurred_on})
        return last_event(s, case_id)


def record_clr_complaint(db: Database, case_id: int, *, filed_on: date, note: str = "",
                         at: datetime | None = None) -> TimelineRow:
    """MED-02: the parents complained to the CLR (within the NGI-04 deadline or not)."""
    now = at or utcnow()
    with case_update(db, case_id) as (s, case):
        case.clr_complaint_on = filed_on
        case.clr_complaint_note = note
        late = clr_complaint_late(filed_on, s.execute(
            select(RefusalNotice.clr_deadline)
            .join(CaseRefusal, CaseRefusal.entry_id == RefusalNotice.entry_id)
            .where(CaseRefusal.case_id == case_id)).scalars())
        add_event_in(s, db.user, case, "clr_complaint",
                     f"klacht bij de CLR ingediend op {fmt_date(filed_on)}"
                     + (" (na de termijn van 30 dagen)" if late else "")
                     + (f": {note}" if note else ""),
                     at=now, occurred_on=filed_on, rule="NGI-04")
        touch(s, case)
        audit.record(s, db.user, "case.clr_complaint", "mediation_case", case_id,
                     {"filed_on": filed_on, "after_deadline": late})
        return last_event(s, case_id)
