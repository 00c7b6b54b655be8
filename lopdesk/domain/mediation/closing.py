"""Closing a case (MED-02): only with an outcome; closing date and who are recorded."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from lopdesk.db import Database
from lopdesk.domain import audit
from lopdesk.domain.areas import get_or_404
from lopdesk.domain.errors import Conflict, NeedsConfirmation
from lopdesk.domain.mediation.common import (
    add_event,
    case_update,
    flush_case,
    refusing_schools,
)
from lopdesk.domain.mediation.rows import case_view
from lopdesk.domain.mediation.rules import (
    case_likely_outcome,
    check_outcome,
    closing_school,
    contradiction,
)
from lopdesk.domain.mediation.views import CaseView
from lopdesk.domain.mediation_models import CaseProposal
from lopdesk.domain.models import School
from lopdesk.domain.types import utcnow
from lopdesk.labels import CASE_OUTCOME


def close_case(db: Database, case_id: int, outcome: str | None, *,
               school_id: str | None = None, note: str = "", at: datetime | None = None,
               expected_version: int | None = None,
               confirm_contradiction: bool = False) -> CaseView:
    """MED-02: a case closes only with an outcome; closing date and who are recorded. An
    outcome the case's facts contradict (an accepted proposal, a placement at a refusing
    school) needs `confirm_contradiction`; only the outcomes that name a school record one."""
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
            _check_facts(case_view(s, case, now), outcome, school_id)
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


def _check_facts(view: CaseView, outcome: str, school_id: str | None) -> None:
    """MED-02: an outcome against the case's facts is recorded only once confirmed."""
    names = {p.school_id: p.school_name for p in view.proposals}
    names.update({r.school_id: r.school_name for r in view.refusals})
    question = contradiction(outcome, school_id, case_likely_outcome(view), names)
    if question is not None:
        raise NeedsConfirmation(question, rule="MED-02", field="outcome")
