"""Closing a case (MED-02): only with an outcome; closing date and who are recorded. An
outcome against the case's facts or the register is recorded only once confirmed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from lopdesk.db import Database
from lopdesk.domain import audit
from lopdesk.domain.areas import get_or_404
from lopdesk.domain.errors import Conflict, NeedsConfirmation
from lopdesk.domain.mediation.common import (
    add_event,
    case_enrolments,
    case_update,
    child_level,
    flush_case,
    refusing_schools,
)
from lopdesk.domain.mediation.rows import case_view
from lopdesk.domain.mediation.rules import (
    case_likely_outcome,
    check_outcome,
    closing_question,
    closing_school,
    contradiction,
    not_enrolled,
)
from lopdesk.domain.mediation.views import CaseView
from lopdesk.domain.mediation_models import CaseProposal, MediationCase
from lopdesk.domain.models import School
from lopdesk.domain.types import utcnow
from lopdesk.labels import CASE_OUTCOME, school_year_label


def close_case(db: Database, case_id: int, outcome: str | None, *,
               school_id: str | None = None, note: str = "", at: datetime | None = None,
               expected_version: int | None = None,
               confirm_contradiction: bool = False) -> CaseView:
    """MED-02: a case closes only with an outcome; closing date and who are recorded. An
    outcome the case's facts contradict (an accepted proposal, a placement at a refusing
    school), or an 'enrolled' outcome at a school of any area where the register shows no
    enrolment of the child for the case's school year, needs `confirm_contradiction`; only
    the outcomes that name a school record one."""
    outcome = check_outcome(outcome)
    now = at or utcnow()
    with case_update(db, case_id) as (s, case):
        if expected_version is not None and case.version != expected_version:
            raise Conflict(f"Dossier {case_id}")
        accepted = None
        if outcome == "other_school" and school_id is None:
            accepted = s.execute(
                select(CaseProposal.school_id)
                .where(CaseProposal.case_id == case_id, CaseProposal.answer == "accepted")
                .order_by(CaseProposal.answered_at.desc(), CaseProposal.id.desc())
            ).scalars().first()
        if school_id is not None:
            get_or_404(s, School, school_id, "school")
        school_id = closing_school(outcome, school_id, refusing_schools(s, case_id), accepted)
        if not confirm_contradiction:
            _check_facts(s, case, outcome, school_id, now)
        case.outcome = outcome
        case.outcome_school_id = school_id
        case.status = "closed"
        case.closed_at = now
        case.closed_by = db.user
        s.add(case)
        flush_case(s, case)
        school = s.get(School, school_id) if school_id else None
        add_event(s, db.user, case, "closed", f"afgesloten: {CASE_OUTCOME[outcome]}"
                  + (f" ({school.name})" if school else "") + (f": {note}" if note else ""),
                  at=now, ref_id=None, rule="MED-02")
        audit.record(s, db.user, "case.close", "mediation_case", case_id,
                     {"outcome": outcome, "school_id": school_id})
        return case_view(s, case, now)


def _check_facts(s: Session, case: MediationCase, outcome: str, school_id: str | None,
                 now: datetime) -> None:
    """MED-02: an outcome against the case's facts, or naming a school where the register
    shows no enrolment of the child, is recorded only once confirmed."""
    view = case_view(s, case, now)
    names = {p.school_id: p.school_name for p in view.proposals}
    names.update({r.school_id: r.school_name for r in view.refusals})
    facts = [contradiction(outcome, school_id, case_likely_outcome(view), names)]
    if school_id is not None:
        facts.append(_register_fact(s, case, view, school_id))
    question = closing_question([f for f in facts if f], outcome)
    if question is not None:
        raise NeedsConfirmation(question, rule="MED-02", field="outcome",
                                confirm="contradiction")


def _register_fact(s: Session, case: MediationCase, view: CaseView,
                   school_id: str) -> str | None:
    """What the register shows when it has no enrolment (realised) of the child at the
    school for the school year of the case's refusals; None when it has one."""
    places = case_enrolments(s, case)
    if any(sid == school_id for sid, _ in places):
        return None
    school = s.get(School, school_id)
    year = school_year_label(child_level(s, case).school_year)
    return not_enrolled(f"{view.child_name} ({view.child_id})",
                        school.name if school else school_id, year,
                        [words for _, words in places])
