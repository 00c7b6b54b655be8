"""Pure rules of the mediation cell, without a database: notice deadlines (NGI-02, NGI-04),
the ground a parent request opens a case for (MED-01), closing (MED-02) and the order of
candidate schools (MED-03)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from lopdesk.domain.codes import (
    CAPACITY_REASONS,
    CASE_OUTCOMES,
    CASE_OUTCOMES_WITH_SCHOOL,
    CLR_DAYS,
)
from lopdesk.domain.errors import InvalidInput, RuleViolation
from lopdesk.labels import CASE_OUTCOME, level_words, local_day

NOTICE_DAYS = 4  # NGI-02: calendar days to hand over or post the notice


def place_words(school_name: str, level) -> str:
    """A school and one of its levels (kind, label, school_year) as a user reads them in a
    timeline or a deadline: 'De Regenboog · kleuters 2024 · 2026-2027', never the codes."""
    return f"{school_name} · {level_words(level.kind, level.label, level.school_year)}"


def placed_elsewhere(refused: Sequence[Any], realised: Iterable[Any]) -> Any | None:
    """MED-01: the first of a child's realised enrolments (`realised`) for the same school
    year, kind and grade as one of its refusals (`refused`), at a school that refused none
    of them: the child already has a place. Both give school_year, kind, label and
    school_id (a level, or a request of the list of refused children)."""
    wanted = {(r.school_year, r.kind, r.label) for r in refused}
    schools = {r.school_id for r in refused}
    return next((p for p in realised if (p.school_year, p.kind, p.label) in wanted
                 and p.school_id not in schools), None)


def notice_due(refused_at: datetime) -> date:
    """NGI-02: the last calendar day to hand over or post the notice."""
    return local_day(refused_at) + timedelta(days=NOTICE_DAYS)


def notice_is_late(refused_at: datetime, delivered_on: date) -> bool:
    """NGI-02: later than 4 calendar days after the refusal (Brussels calendar day)."""
    return delivered_on > notice_due(refused_at)


def clr_deadline(delivered_on: date) -> date:
    """NGI-04: notice date + 30 calendar days."""
    return delivered_on + timedelta(days=CLR_DAYS)


def clr_complaint_late(filed_on: date, deadlines: Iterable[date]) -> bool:
    """NGI-04: a complaint after the last CLR deadline of the case's notices (none: not late)."""
    known = list(deadlines)
    return bool(known) and filed_on > max(known)


def parent_request_reason(reasons: Sequence[str]) -> str:
    """MED-01: a parent request opens a case only for a capacity refusal; the case carries
    the first capacity ground among the refusals."""
    for reason in reasons:
        if reason in CAPACITY_REASONS:
            return reason
    raise RuleViolation("een vraag van de ouders opent enkel een dossier voor een weigering "
                        "wegens capaciteit; de andere gronden openen automatisch.",
                        rule="MED-01")


def check_outcome(outcome: str | None) -> str:
    """MED-02: no close without an outcome, and only a known one."""
    if not outcome:
        raise RuleViolation("een dossier kan niet afgesloten worden zonder uitkomst (kies: "
                            + ", ".join(CASE_OUTCOME.values()) + ").",
                            rule="MED-02", field="outcome")
    if outcome not in CASE_OUTCOMES:
        raise InvalidInput(f"onbekende uitkomst '{outcome}' (kies uit "
                           f"{', '.join(CASE_OUTCOMES)}).", field="outcome")
    return outcome


def closing_school(outcome: str, school_id: str | None, refusing: Sequence[str],
                   accepted_school: str | None) -> str | None:
    """MED-02: the school an outcome names. Enrolled at the same school: one of the refusing
    schools (the only one when none is given); at another school: one that did not refuse
    (by default the school of the latest accepted proposal). The other outcomes name no
    school: none is recorded, even when one is given."""
    if outcome not in CASE_OUTCOMES_WITH_SCHOOL:
        return None
    if school_id is None:
        if outcome == "same_school" and len(refusing) == 1:
            school_id = refusing[0]
        elif outcome == "other_school":
            school_id = accepted_school
    if school_id is None:
        raise RuleViolation("bij deze uitkomst hoort de school waar het kind terecht "
                            "kan, of een aanvaard voorstel.", field="school_id", rule="MED-02")
    if outcome == "same_school" and school_id not in refusing:
        raise InvalidInput(f"school {school_id} weigerde het kind niet; kies '"
                           f"{CASE_OUTCOME['other_school']}'.", field="school_id")
    if outcome == "other_school" and school_id in refusing:
        raise InvalidInput(f"school {school_id} weigerde het kind; kies '"
                           f"{CASE_OUTCOME['same_school']}'.", field="school_id")
    return school_id


def likely_outcome(accepted_schools: Sequence[str],
                   realised_refusing: Sequence[str]) -> tuple[str | None, str | None]:
    """MED-02: the outcome (and school) the case's state points to, to prefill closing: the
    child placed through an accepted proposal (the latest given last) is enrolled at
    another school; a refusing school that has since realised the enrolment is the same
    school; otherwise nothing is assumed."""
    if accepted_schools:
        return "other_school", accepted_schools[-1]
    if len(realised_refusing) == 1:
        return "same_school", realised_refusing[0]
    return None, None


def case_likely_outcome(view) -> tuple[str | None, str | None]:
    """likely_outcome of a case view (its proposals and refusals as they are now)."""
    return likely_outcome(
        [p.school_id for p in sorted(view.proposals, key=lambda p: (p.answered_at, p.id))
         if p.answer == "accepted"],
        sorted({r.school_id for r in view.refusals if r.status == "realised"}))


def contradiction(outcome: str, school_id: str | None, likely: tuple[str | None, str | None],
                  school_names: dict[str, str]) -> str | None:
    """MED-02: the case's fact (`likely`, from likely_outcome: an accepted proposal, or a
    refusing school that realised the enrolment) an outcome contradicts, as a sentence;
    None when it agrees with them or they point nowhere."""
    fact, fact_school = likely
    if fact is None or (outcome == fact and (school_id is None or school_id == fact_school)):
        return None
    where = school_names.get(fact_school or "", fact_school or "")
    if fact == "other_school":
        return f"De ouders aanvaardden het voorstel van {where} en het kind is daar ingeschreven"
    return f"Het kind is intussen ingeschreven in {where}, een school die het weigerde"


def not_enrolled(child: str, school_name: str, school_year: str,
                 places: Sequence[str]) -> str:
    """MED-02: an 'enrolled' outcome names a school where the register shows no enrolment
    of the child for the case's school year; what the register shows instead."""
    shown = f"wel in {', '.join(places)}" if places else "ook niet in een andere school"
    return (f"Het register toont geen inschrijving van {child} in {school_name} voor "
            f"{school_year}, {shown}")


def closing_question(facts: Sequence[str], outcome: str) -> str | None:
    """MED-02: the facts an outcome goes against, as one question to confirm (None: none)."""
    if not facts:
        return None
    return (f"{'; '.join(facts)}; bevestig dat u het dossier toch afsluit met de uitkomst "
            f"'{CASE_OUTCOME[outcome]}'.")


def distance(ax: float | None, ay: float | None, bx: float | None,
             by: float | None) -> float | None:
    """Straight-line distance in metres between two points; None when one is unknown."""
    if ax is None or ay is None or bx is None or by is None:
        return None
    return math.hypot(float(ax) - float(bx), float(ay) - float(by))


def candidate_order(distance_m: float | None, school_name: str,
                    level_id: str) -> tuple[bool, float, str, str]:
    """MED-03: nearest first, unknown distances last, then by school name and level."""
    return (distance_m is None, distance_m or 0.0, school_name, level_id)


def case_order(status: str, next_deadline: date | None, case_id: int) -> tuple:
    """Cases for the cell: running ones first, then by the next deadline (none last)."""
    return (status == "closed", next_deadline is None, next_deadline or date.max, case_id)
