"""Proposals (MED-03): the schools of the area with a free place at the child's level,
nearest first; proposing one to the parents and recording their answer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from lopdesk.db import Database
from lopdesk.domain import audit, registers
from lopdesk.domain.access import reading, require
from lopdesk.domain.areas import get_or_404
from lopdesk.domain.calendar import order_binds, school_year_end
from lopdesk.domain.errors import InvalidInput, RuleViolation
from lopdesk.domain.mediation.common import (
    add_event,
    case_enrolments,
    case_update,
    child_level,
    get_case_or_404,
    running_case,
    touch,
)
from lopdesk.domain.mediation.rows import proposal_row
from lopdesk.domain.mediation.rules import candidate_order, distance, place_words
from lopdesk.domain.mediation.views import (
    AnswerView,
    Candidate,
    HeldPlace,
    ProposalChoice,
    ProposalRow,
)
from lopdesk.domain.mediation_models import CaseProposal, MediationCase
from lopdesk.domain.models import CapacityLevel, Child, RegisterEntry, School, Site
from lopdesk.domain.types import utcnow
from lopdesk.labels import PROPOSAL_ANSWER, free_places_board, plural


def _like_levels(s: Session, case: MediationCase) -> list[Any]:
    """(level, school, site) of the area's levels like the child's refused one: the same
    school year, kind of education and grade / birth year / group (glossary: capacity
    level), so a primary child is never offered a secondary school."""
    wanted = child_level(s, case)
    return list(s.execute(
        select(CapacityLevel, School, Site)
        .join(School, School.id == CapacityLevel.school_id)
        .outerjoin(Site, Site.id == CapacityLevel.site_id)
        .where(School.area_id == case.area_id, CapacityLevel.school_year == wanted.school_year,
               CapacityLevel.kind == wanted.kind, CapacityLevel.label == wanted.label)
    ).all())


def _distance(child: Child | None, school: School, site: Site | None) -> float | None:
    x = site.x if site is not None and site.x is not None else school.x
    y = site.y if site is not None and site.y is not None else school.y
    dist = distance(child.x if child else None, child.y if child else None, x, y)
    return None if dist is None else round(dist, 1)


def closing_schools(db: Database, case_id: int) -> list[tuple[School, float | None, bool]]:
    """(school, distance, enrolled) of every school a case can close at with an 'enrolled'
    outcome (MED-02): any school of the directory, of any area, as close_case accepts;
    first those where the register shows the child enrolled for the case's school year,
    then the area's schools with a level like the child's nearest first (MED-03 order),
    then the others by name. close_case asks to confirm a school without that enrolment."""
    with reading(db) as s:
        case = get_case_or_404(s, case_id)
        child = s.get(Child, case.child_id)
        enrolled = {school_id for school_id, _words in case_enrolments(s, case)}
        best: dict[str, tuple[School, float | None]] = {}
        for _level, school, site in _like_levels(s, case):
            d = _distance(child, school, site)
            if school.id not in best or (d is not None and (best[school.id][1] is None
                                                            or d < best[school.id][1])):
                best[school.id] = (school, d)
        near = sorted(best.values(), key=lambda p: candidate_order(p[1], p[0].name, p[0].id))
        rest = [(sc, None) for sc in s.execute(select(School).order_by(School.name, School.id))
                .scalars() if sc.id not in best]
        return sorted([(sc, d, sc.id in enrolled) for sc, d in near + rest],
                      key=lambda row: not row[2])  # stable: the enrolled ones first


def _candidates(s: Session, case: MediationCase, at: datetime) -> list[Candidate]:
    """MED-03: levels of the area like the child's, with a free place for this child now,
    nearest first (unknown distances last, then by school name)."""
    return _choice(s, case, at).candidates


def _choice(s: Session, case: MediationCase, at: datetime) -> ProposalChoice:
    """The candidates (MED-03), and the levels whose free place a binding waiting list
    takes first (WL-01): those are named, not proposed."""
    child = s.get(Child, case.child_id)
    rows = _like_levels(s, case)
    enrolled = set(s.execute(
        select(RegisterEntry.level_id).where(RegisterEntry.child_id == case.child_id,
                                             RegisterEntry.status == "realised")
    ).scalars())
    out: list[Candidate] = []
    held: list[HeldPlace] = []
    for level, school, site in rows:
        if level.id in enrolled or not enrolment_open(level, at):
            continue
        free = registers.level_state(s, level).free_places()
        if free is not None and free <= 0:
            continue
        if free is not None:
            # WL-01: while the order binds, a freed place goes to the waiting list first.
            deadline = registers.deadline_for(s, level)
            waiting = len(registers.waiting_entries(s, level.id))
            if order_binds(at, deadline) and waiting:
                held.append(HeldPlace(level.id, place_words(school.name, level), free,
                                      waiting, deadline))
                continue
        out.append(Candidate(level.id, school.id, school.name, school.neighbourhood,
                             level.regime, free, free_places_board(level.free_places_field),
                             _distance(child, school, site)))
    out.sort(key=lambda c: candidate_order(c.distance_m, c.school_name, c.level_id))
    held.sort(key=lambda h: (h.place, h.level_id))
    return ProposalChoice(out, held)


def enrolment_open(level: CapacityLevel, at: datetime) -> bool:
    """MED-03: a level can take the child at `at` only between the start of its enrolments
    (CAP-01) and the end of its school year's registers."""
    if level.enrolment_start is not None and at < level.enrolment_start:
        return False
    return at <= school_year_end(level.school_year)


def proposals_for(db: Database, case_id: int, at: datetime | None = None) -> list[Candidate]:
    """MED-03: the schools the cell can propose now, nearest first."""
    with reading(db) as s:
        return _candidates(s, get_case_or_404(s, case_id), at or utcnow())


def proposal_choice(db: Database, case_id: int,
                    at: datetime | None = None) -> ProposalChoice:
    """MED-03: the schools the cell can propose now, and the free places held back for a
    waiting list (WL-01), so an empty list says why."""
    with reading(db) as s:
        return _choice(s, get_case_or_404(s, case_id), at or utcnow())


def _check_proposable(s: Session, case: MediationCase, level: CapacityLevel,
                      school: School) -> None:
    """The child's level, in the case's area, and not already waiting for an answer."""
    wanted = child_level(s, case)
    if (level.school_year, level.kind, level.label) != (wanted.school_year, wanted.kind,
                                                          wanted.label):
        raise InvalidInput(f"{level.id} is niet het niveau van het kind "
                           f"({wanted.kind} {wanted.label}, {wanted.school_year}).",
                           field="level_id")
    if school.area_id != case.area_id:
        raise InvalidInput(f"{school.name} ligt niet in het gebied van het dossier.",
                           field="level_id")
    pending = s.execute(
        select(CaseProposal.id).where(CaseProposal.case_id == case.id,
                                      CaseProposal.level_id == level.id,
                                      CaseProposal.answer.is_(None))
    ).scalar()
    if pending is not None:
        raise InvalidInput(f"{school.name} werd al voorgesteld (voorstel {pending}); "
                           "wacht op het antwoord.", field="level_id")


def propose(db: Database, case_id: int, level_id: str, *, note: str = "",
            at: datetime | None = None) -> ProposalRow:
    """Record a school proposed to the parents (MED-02); the case waits for their answer."""
    now = at or utcnow()
    with case_update(db, case_id) as (s, case):
        level = get_or_404(s, CapacityLevel, level_id, "capaciteitsniveau")
        school = get_or_404(s, School, level.school_id, "school")
        _check_proposable(s, case, level, school)
        cand = {c.level_id: c for c in _candidates(s, case, now)}.get(level_id)
        free = registers.level_state(s, level).free_places()
        prop = CaseProposal(case_id=case_id, level_id=level_id, school_id=school.id,
                            proposed_at=now, proposed_by=db.user, free_places=free,
                            distance_m=cand.distance_m if cand else None)
        s.add(prop)
        s.flush()
        free_txt = ("geen capaciteit vastgelegd" if free is None
                    else plural(free, "vrije plaats", "vrije plaatsen"))
        if cand is None:
            free_txt += ", niet in de lijst van vrije plaatsen"
        add_event(s, db.user, case, "proposal", f"{place_words(school.name, level)}, "
                  f"{free_txt}" + (f": {note}" if note else ""), at=now, ref_id=prop.id,
                  rule="MED-03")
        touch(s, case)
        audit.record(s, db.user, "case.propose", "case_proposal", prop.id,
                     {"case_id": case_id, "level_id": level_id, "free_places": free})
        return proposal_row(s, prop)


def _enrol_in(s: Session, user: str, prop: CaseProposal, case: MediationCase,
              school: School, overcapacity_category: str | None,
              at: datetime) -> registers.EntryView:
    """Accepting enrols the child: a realised request, or an overcapacity enrolment with its
    category (CAP-07), in the register (REG-01)."""
    already = s.execute(
        select(RegisterEntry.seq).where(RegisterEntry.level_id == prop.level_id,
                                        RegisterEntry.child_id == case.child_id,
                                        RegisterEntry.status == "realised")
    ).scalar()
    if already is not None:
        raise RuleViolation(f"het kind is al ingeschreven in {prop.level_id} "
                            f"(nr. {already}).", rule="REG-03")
    view = registers.add_request_in(s, user, prop.level_id, case.child_id, at=at,
                                    overcapacity_category=overcapacity_category,
                                    source="mediation")
    if view.status != "realised":
        # Rolls the whole answer back, the register number included (REG-01).
        raise RuleViolation(
            f"{school.name} heeft geen vrije plaats meer voor het kind ({view.message}); "
            "aanvaarden kan enkel als inschrijving boven capaciteit met een categorie "
            "(CAP-07).", rule="MED-03")
    return view


def answer_proposal(db: Database, proposal_id: int, *, accept: bool,
                    overcapacity_category: str | None = None, note: str = "",
                    at: datetime | None = None) -> AnswerView:
    """The parents' answer. Accepting enrols the child at that school: a realised request,
    or an overcapacity enrolment with its category (CAP-07), in the register (REG-01)."""
    now = at or utcnow()
    with db.write() as s:
        require(s, db.user, "mediation.write")
        prop = get_or_404(s, CaseProposal, proposal_id, "voorstel", field="proposal_id")
        case = running_case(s, prop.case_id)
        if prop.answer is not None:
            raise RuleViolation(f"voorstel {proposal_id} werd al beantwoord "
                                f"({PROPOSAL_ANSWER[prop.answer]}).", rule="MED-02")
        school = get_or_404(s, School, prop.school_id, "school")
        view = None
        if accept:
            view = _enrol_in(s, db.user, prop, case, school, overcapacity_category, now)
            prop.entry_id = view.id
            prop.overcapacity_category = overcapacity_category
        prop.answer = "accepted" if accept else "declined"
        prop.answered_at = now
        prop.answered_by = db.user
        s.add(prop)
        s.flush()
        where = place_words(school.name, s.get(CapacityLevel, prop.level_id))
        text = f"{where}: {PROPOSAL_ANSWER[prop.answer]}"
        if view is not None:
            text += f", ingeschreven als nr. {view.seq}"
            if overcapacity_category:
                text += f" boven capaciteit ({overcapacity_category})"
        add_event(s, db.user, case, "answer", text + (f": {note}" if note else ""), at=now,
                  ref_id=prop.id,
                  rule="CAP-07" if overcapacity_category and accept else "MED-02")
        touch(s, case)
        audit.record(s, db.user, "case.answer", "case_proposal", proposal_id,
                     {"accept": accept, "entry_id": prop.entry_id,
                      "overcapacity_category": overcapacity_category})
        return AnswerView(proposal_row(s, prop), view)
