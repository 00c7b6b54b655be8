"""The states of the demo area an expert meets on an ordinary day (lopdesk.demo): refusal
notices delivered, late and missing (NGI-02); mediation cases open, with a proposal and
closed (MED-01..03); an old-regime priority period of the next school year that has ended
and waits to be closed, with deferred requests (REG-04/05); the secondary sub-area's central
round for the first year A of the school year in progress, run last April and followed by a
withdrawal, so that a re-run meets later work (ALC-05). Every moment lies before the demo
day (demo_data.Timeline); the next priority period is only scheduled."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from lopdesk.db import Database
from lopdesk.demo_data import AREA_ID, SEC_AREA_ID, Timeline, local, office_hours
from lopdesk.domain.models import CapacityLevel, Child, RegisterEntry
from lopdesk.labels import BRUSSELS

SPECIAL_SCHOOL = "BUO001"


def add(expert: Database, mediator: Database, tl: Timeline) -> None:
    """The states, each by the colleague whose work it is: notices and cases by the
    mediation cell, the rest by the LOP expert."""
    refused = _refusals(expert, tl)
    _notices(mediator, refused[:12])
    _cases(mediator, refused[12:], tl)
    _special_school(expert, tl)
    _secondary_round(expert, tl)


def _refusals(db: Database, tl: Timeline) -> list[tuple[int, str, object]]:
    """Non-realised requests of the school year in progress, one per child, in register
    order: (entry id, child id, moment of the refusal)."""
    with db.read() as s:
        rows = s.execute(
            select(RegisterEntry.id, RegisterEntry.child_id, RegisterEntry.status_changed_at,
                   RegisterEntry.requested_at)
            .join(CapacityLevel, CapacityLevel.id == RegisterEntry.level_id)
            .where(CapacityLevel.school_year == tl.current, CapacityLevel.regime == "old",
                   RegisterEntry.status == "non_realised")
            .order_by(RegisterEntry.id)).all()
    seen: set[str] = set()
    out = []
    for entry_id, child_id, changed, requested in rows:
        if child_id not in seen:
            seen.add(child_id)
            out.append((entry_id, child_id, changed or requested))
    return out


def _notices(db: Database, refused: list) -> None:
    """NGI-02: the first notices delivered in time, the next ones late, the rest missing."""
    from lopdesk.domain.mediation import record_notice

    for n, (entry_id, _child, at) in enumerate(refused[:8]):
        days = 2 if n < 5 else 7  # > 4 calendar days: late
        delivered = at.astimezone(BRUSSELS).date() + timedelta(days=days)
        # handed over in the past, before any offer that is open today (WL-01)
        record_notice(db, entry_id, mode="receipt" if n % 2 else "registered_post",
                      delivered_on=delivered, confirm_open_offer=True,
                      at=local(delivered.year, delivered.month, delivered.day, 16))


def _cases(db: Database, refused: list, tl: Timeline) -> None:
    """Mediation cases at every stage: open, with a proposal waiting for the parents'
    answer, and closed after the parents accepted a proposed school (MED-02)."""
    from lopdesk.domain.mediation import (
        answer_proposal,
        close_case,
        open_case,
        proposals_for,
        propose,
    )

    stages = ["open", "proposal", "closed", "open", "proposal"]
    for stage, (entry_id, child_id, _at) in zip(stages, refused, strict=False):
        opened = tl.recent(0.15)
        case = open_case(db, child_id, request_on=opened.astimezone(BRUSSELS).date(),
                         entry_ids=[entry_id], note="ouders vragen hulp bij het zoeken",
                         at=opened, confirm_placed_elsewhere=True)
        if stage == "open":
            continue
        candidates = proposals_for(db, case.id, at=tl.recent(0.3))
        if not candidates:
            continue
        prop = propose(db, case.id, candidates[0].level_id, note="dichtstbijzijnde vrije plaats",
                       at=tl.recent(0.3))
        if stage == "closed":
            answer_proposal(db, prop.id, accept=True, at=tl.recent(0.5))
            close_case(db, case.id, "other_school", school_id=candidates[0].school_id,
                       note="ingeschreven in de voorgestelde school", at=tl.recent(0.55))


def _special_school(db: Database, tl: Timeline) -> None:
    """A school under the old regime (as special education still is) whose priority period
    for siblings and staff children of the next school year has ended and waits to be
    closed by the expert (REG-05), with deferred requests; the next period is scheduled."""
    from lopdesk.domain import areas, registers

    starts, ends = tl.recent(0.05), tl.recent(0.95)
    areas.create_school(db, SPECIAL_SCHOOL, AREA_ID, "Buitengewoon basisonderwijs De Triangel",
                        neighbourhood="Binnenstad", address="Triangelstraat 1, 9000 Gent",
                        x=0.0, y=0.0, pupils=120)
    level_id = f"{SPECIAL_SCHOOL}-{tl.next}-L1"
    areas.create_level(db, level_id, SPECIAL_SCHOOL, school_year=tl.next, regime="old",
                       kind="primary_grade", label="1", name="1ste leerjaar", capacity=6,
                       indicator_ratio=0.5, enrolment_start=starts)
    areas.create_period(db, level_id, kind="priority", group="sibling_staff", starts_at=starts,
                        ends_at=ends)
    areas.create_period(db, level_id, kind="priority", starts_at=tl.cutoff + timedelta(days=7),
                        ends_at=tl.cutoff + timedelta(days=35))
    with db.read() as s:
        kids = list(s.execute(select(Child.id, Child.indicator).order_by(Child.id.desc())
                              .limit(40)).all())
    # more indicator children than their contingent's 3 seats: the last two wait (REG-04);
    # one non-indicator child leaves that contingent 2 seats for the top-up at closing (REG-05)
    chosen = [k for k, ind in kids if ind][:5] + [k for k, ind in kids if not ind][:1]
    span = (ends - starts).total_seconds()
    for n, kid in enumerate(chosen):
        at = office_hours(starts + timedelta(seconds=int(span * (n + 1) / (len(chosen) + 2))))
        registers.add_request(db, level_id, kid, priority_group="sibling", at=at)


def _secondary_round(db: Database, tl: Timeline) -> None:
    """The first year A of the secondary sub-area in the school year in progress: a central
    round (applications in March, run on 1 April, REG-07) with more children than places,
    and one ticket given up in May: a later event a re-run must carry over (ALC-05)."""
    from lopdesk.domain import allocation, areas, registers

    year = tl.current
    round_id = f"aanmelding-1a-{year}"  # listed before the next year's primary round
    with db.read() as s:
        kids = list(s.execute(select(Child.id).order_by(Child.id).offset(100).limit(16))
                    .scalars())
    level_ids = []
    for sid in ("SO001", "SO002"):  # the first two secondary schools (any size)
        lid = f"{sid}-{year}-1A"
        areas.create_level(db, lid, sid, school_year=year, regime="new", kind="secondary_1a",
                           label="1A", name="1ste leerjaar A", capacity=6,
                           enrolment_start=local(year, 3, 1))
        level_ids.append(lid)
    allocation.create_round(db, round_id, SEC_AREA_ID, year,
                            f"Aanmeldingen 1A {year}-{year + 1} (secundair)",
                            at=local(year, 1, 15, 10))
    for lid in level_ids:
        allocation.add_round_level(db, round_id, lid, capacity=6, criterion="random")
    for n, kid in enumerate(kids):
        allocation.add_applications(db, round_id, kid, level_ids[::1 if n % 3 else -1],
                                    at=local(year, 3, 2 + n, 10))
    allocation.run_round(db, round_id, seed=tl.current, at=local(year, 4, 1, 10))
    placed = [e for e in registers.list_entries(db, level_ids[0]) if e.status == "realised"]
    registers.withdraw(db, placed[0].id, reason="andere school gekozen",
                       at=local(year, 5, 10, 11))
