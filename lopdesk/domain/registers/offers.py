"""Freed places: offers in waiting-list order and the cascade (WL-01..03).

`fill`, `offer_next` and `answer_offer` are one transaction each; `fill_in` works inside a
caller's session, so that a capacity raise and the cascade it causes commit together.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from lopdesk.db import Database
from lopdesk.domain import audit
from lopdesk.domain.access import require
from lopdesk.domain.areas import get_or_404, level_places_in
from lopdesk.domain.errors import RuleViolation
from lopdesk.domain.models import Area, CapacityLevel, Offer, RegisterEntry, School
from lopdesk.domain.registers.store import (
    binding,
    blocking_offer,
    child_name,
    freed_contingent,
    level_binding,
    level_state,
    open_offer_entries,
    per_contingent,
    reply_deadline,
    set_status_in,
    waiting_entries,
)
from lopdesk.domain.registers.views import FillReport, FillStep
from lopdesk.domain.types import utcnow
from lopdesk.labels import fmt_date, fmt_datetime


def _next_candidate(s: Session, level: CapacityLevel) -> tuple[RegisterEntry | None, str]:
    busy = open_offer_entries(s, level.id)
    rule = "WL-01"
    contingent = None
    if per_contingent(s, level):
        contingent = freed_contingent(s, level)
        rule = "WL-02"
    for cand in waiting_entries(s, level.id, contingent):
        if cand.id not in busy:
            return cand, rule
    if contingent is not None:  # nobody of that contingent waits: the other list (WL-02)
        for cand in waiting_entries(s, level.id):
            if cand.id not in busy:
                return cand, rule
    return None, rule


def _places_to_offer(s: Session, level: CapacityLevel) -> int:
    free = level_state(s, level).free_places()
    if free is None:
        return 0
    return max(0, free - len(open_offer_entries(s, level.id)))


def _create_offer(s: Session, user: str, level_id: str, cand: RegisterEntry, rule: str,
                  at: datetime) -> None:
    assert cand.id is not None
    offer = Offer(level_id=level_id, entry_id=cand.id, offered_at=at, offered_by=user,
                  rule_id=rule, contingent=cand.contingent if rule == "WL-02" else None,
                  reply_by=reply_deadline(s, level_id, at))
    s.add(offer)
    s.flush()
    audit.record(s, user, "offer.create", "offer", offer.id,
                 {"level_id": level_id, "entry_id": cand.id, "rule": rule})


def fill_in(s: Session, user: str, level_ids: list[str] | None, *, accept: bool,
            at: datetime, report: FillReport | None = None) -> FillReport:
    """Offer (or, with accept, give) freed places in waiting-list order, with the cascade."""
    report = report or FillReport()
    queue = list(level_ids) if level_ids is not None else _levels_with_waiting(s)
    seen_guard = 0
    while queue:
        seen_guard += 1
        if seen_guard > 100_000:  # a cascade always ends; this only guards against a bug
            raise RuntimeError("cascade did not end")
        level_id = queue.pop(0)
        level = get_or_404(s, CapacityLevel, level_id, "capaciteitsniveau", field="level_id")
        binds, deadline = binding(s, level, at)
        if not binds:
            report.skipped.append(level_id)
            continue
        while _places_to_offer(s, level) > 0:
            cand, rule = _next_candidate(s, level)
            if cand is None:
                break
            assert cand.id is not None
            if not accept:
                _create_offer(s, user, level_id, cand, rule, at)
                report.steps.append(FillStep(
                    level_id, cand.id, cand.seq, cand.child_id, child_name(s, cand.child_id),
                    "offered", rule,
                    f"volgende op de wachtlijst (bindend t.e.m. {fmt_date(deadline)}); "
                    f"antwoord t.e.m. {fmt_date(reply_deadline(s, level_id, at))}"))
                continue
            released = _realise_from_waiting(s, user, level, cand, rule, at, report)
            queue.extend(r for r in released if r not in queue)
    return name_places_in(s, report)


def name_places_in(s: Session, report: FillReport, *level_ids: str) -> FillReport:
    """The report with every level it names in words (`places`), for its wording."""
    named = {st.level_id for st in report.steps} | set(report.skipped) | set(level_ids)
    report.places.update(level_places_in(s, named - report.places.keys()))
    return report


def _realise_from_waiting(s: Session, user: str, level: CapacityLevel, cand: RegisterEntry,
                          rule: str, at: datetime, report: FillReport) -> list[str]:
    """The child takes the freed place; its lower tickets are released (WL-03)."""
    assert cand.id is not None
    name = child_name(s, cand.child_id)
    set_status_in(s, user, cand, "realised", reason="vrijgekomen plaats in volgorde van de "
                  "wachtlijst", rule=rule, at=at)
    report.steps.append(FillStep(level.id, cand.id, cand.seq, cand.child_id, name, "realised",
                                 rule, "vrijgekomen plaats"))
    released: list[str] = []
    others = s.execute(
        select(RegisterEntry).join(CapacityLevel, CapacityLevel.id == RegisterEntry.level_id)
        .where(RegisterEntry.child_id == cand.child_id, RegisterEntry.id != cand.id,
               RegisterEntry.status == "realised",
               CapacityLevel.school_year == level.school_year,
               CapacityLevel.kind == level.kind, CapacityLevel.label == level.label)
    ).scalars().all()
    for other in others:
        set_status_in(s, user, other, "withdrawn", reason=f"plaats vrijgegeven: kind nam een "
                      f"plaats in {level.id} (hogere keuze)", rule="WL-03", at=at)
        assert other.id is not None
        report.steps.append(FillStep(other.level_id, other.id, other.seq, other.child_id, name,
                                     "released", "WL-03", f"vrijgegeven voor {level.id}"))
        released.append(other.level_id)
    # Waiting positions of this child elsewhere at lower levels stay: the parents decide.
    return released


def _levels_with_waiting(s: Session) -> list[str]:
    ids = s.execute(
        select(RegisterEntry.level_id).where(RegisterEntry.status == "non_realised").distinct()
    ).scalars().all()
    return sorted(ids)


def _area_levels(s: Session, area_id: str) -> list[str]:
    get_or_404(s, Area, area_id, "gebied")
    return [lv for lv in _levels_with_waiting(s)
            if s.execute(select(School.area_id).join(CapacityLevel,
                                                     CapacityLevel.school_id == School.id)
                         .where(CapacityLevel.id == lv)).scalar() == area_id]


def fill(db: Database, level_id: str | None = None, *, accept: bool = False,
         at: datetime | None = None, area_id: str | None = None,
         preview: bool = False) -> FillReport:
    """Offer freed places of one level, one area or every level (WL-01..03).

    With preview the same steps are taken in a transaction that is rolled back: the report
    says what would happen and nothing is written."""
    with db.write() as s:
        require(s, db.user, "register.write")
        levels = ([level_id] if level_id else _area_levels(s, area_id) if area_id else None)
        report = fill_in(s, db.user, levels, accept=accept, at=at or utcnow())
        if preview:
            s.rollback()
            report.preview = True
        return report


def offer_next(db: Database, level_id: str, at: datetime | None = None) -> FillReport:
    """Offer one freed place of a level to the next child on its waiting list (WL-01)."""
    now = at or utcnow()
    with db.write() as s:
        require(s, db.user, "register.write")
        level, binds, deadline = level_binding(s, level_id, now)
        if not binds:
            raise RuleViolation(
                f"na {fmt_date(deadline)} volgt een vrije plaats de wachtlijst niet meer: "
                "ze is gewoon vrij (vrije inschrijving).", rule="WL-01")
        if _places_to_offer(s, level) <= 0:
            earlier = blocking_offer(s, level_id)
            if earlier is not None:  # the free place is already out with a colleague's offer
                raise RuleViolation(
                    f"deze plaats is al aangeboden door {earlier.offered_by} om "
                    f"{fmt_datetime(earlier.offered_at)} aan {child_name(s, earlier.child_id)} "
                    f"(nr. {earlier.seq}); antwoord verwacht t.e.m. "
                    f"{fmt_date(earlier.reply_by) if earlier.reply_by else '—'}.",
                    rule="WL-01")
            raise RuleViolation("er is geen vrije plaats om aan te bieden.", rule="CAP-04")
        cand, _ = _next_candidate(s, level)
        if cand is None:
            raise RuleViolation("niemand staat nog op de wachtlijst van dit niveau.",
                                rule="WL-01")
        report = FillReport()
        rule = "WL-02" if per_contingent(s, level) else "WL-01"
        assert cand.id is not None
        _create_offer(s, db.user, level_id, cand, rule, now)
        report.steps.append(FillStep(level_id, cand.id, cand.seq, cand.child_id,
                                     child_name(s, cand.child_id), "offered", rule,
                                     f"bindend t.e.m. {fmt_date(deadline)}; antwoord t.e.m. "
                                     f"{fmt_date(reply_deadline(s, level_id, now))}"))
        return name_places_in(s, report)


def answer_offer(db: Database, offer_id: int, *, accept: bool,
                 at: datetime | None = None) -> FillReport:
    """Accept: the child is enrolled and its lower ticket released and offered on (WL-03).
    Decline: the child leaves the waiting list and the place goes to the next child."""
    now = at or utcnow()
    with db.write() as s:
        require(s, db.user, "register.write")
        offer = get_or_404(s, Offer, offer_id, "aanbod", field="offer_id")
        if offer.status != "open":
            raise RuleViolation(f"aanbod {offer_id} werd al beantwoord.", rule="WL-01")
        entry = s.get(RegisterEntry, offer.entry_id)
        level = s.get(CapacityLevel, offer.level_id)
        assert entry is not None and level is not None
        offer.status = "accepted" if accept else "declined"
        offer.answered_at = now
        offer.answered_by = db.user
        s.add(offer)
        s.flush()
        audit.record(s, db.user, "offer.answer", "offer", offer_id, {"accept": accept})
        report = FillReport()
        if accept:
            released = _realise_from_waiting(s, db.user, level, entry, offer.rule_id, now,
                                             report)
            fill_in(s, db.user, released, accept=False, at=now, report=report)
        else:
            set_status_in(s, db.user, entry, "withdrawn", reason="vrijgekomen plaats geweigerd",
                          rule="WL-01", at=now)
            report.steps.append(FillStep(level.id, entry.id or 0, entry.seq, entry.child_id,
                                         child_name(s, entry.child_id), "declined", "WL-01",
                                         "plaats geweigerd"))
            fill_in(s, db.user, [level.id], accept=False, at=now, report=report)
        return report
