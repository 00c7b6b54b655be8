"""Replacing an allocation run without undoing later work (ALC-05, REG-02, WL-01..03).

Between a run and its replacement the registers live on: parents withdraw or decline an
offered place, the LOP approves capacity raises, offers are open, notices were handed
over. A replacement first measures those later facts (`impact_in`). Without an explicit
confirmation it refuses when there are any; with it (`keep_later_events`) the facts are
carried over: a child who withdrew takes no part, a declined school is left out of the
child's list, approved capacities are used, open offers on replaced lines end with a
reason, notices of replaced refusals are marked superseded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlmodel import Session

from lopdesk.domain import audit
from lopdesk.domain.allocation_models import AllocationRun, RoundLevel
from lopdesk.domain.errors import RuleViolation
from lopdesk.domain.mediation_models import RefusalNotice
from lopdesk.domain.models import (
    CapacityDecision,
    CapacityLevel,
    Child,
    Offer,
    RegisterEntry,
    RegisterEvent,
    School,
)
from lopdesk.labels import STATUS, fmt_date, fmt_datetime


@dataclass(frozen=True)
class LineRef:
    """A register line named the way a LOP expert finds it back."""

    entry_id: int
    school: str
    level_id: str
    seq: int
    child_id: str
    child_name: str
    status_now: str = ""

    def text(self) -> str:
        return f"{self.school}, {self.level_id} nr. {self.seq}: {self.child_name}"


@dataclass(frozen=True)
class LaterEvent:
    line: LineRef
    at: datetime
    user: str
    from_status: str | None
    to_status: str | None
    reason: str
    rule: str | None = None


@dataclass(frozen=True)
class CapacityChange:
    level_id: str
    school: str
    used: int  # the capacity the earlier run allocated
    approved: int  # the capacity approved since (CAP-03)
    decided_at: datetime | None


@dataclass(frozen=True)
class OpenOffer:
    offer_id: int
    line: LineRef
    offered_at: datetime


@dataclass(frozen=True)
class SentNotice:
    notice_id: int
    line: LineRef
    delivered_on: date


@dataclass
class Impact:
    """What replacing the active run of a round would touch."""

    run_id: int
    run_at: datetime
    lines_at: datetime  # the moment of the run's register lines (kept by the replacement)
    previous_adjustments: dict = field(default_factory=dict)
    later_events: list[LaterEvent] = field(default_factory=list)
    capacity_changes: list[CapacityChange] = field(default_factory=list)
    open_offers: list[OpenOffer] = field(default_factory=list)
    notices: list[SentNotice] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.later_events or self.capacity_changes or self.open_offers
                    or self.notices)

    def withdrawn_children(self) -> set[str]:
        """Children who gave up their ticket after the run: they take no part again.

        A ticket released because the child took a higher place (WL-03) is no withdrawal."""
        return {e.line.child_id for e in self.later_events
                if e.from_status == "realised" and e.to_status == "withdrawn"
                and e.rule != "WL-03"}

    def declined(self) -> set[tuple[str, str]]:
        """(child, level) a child declined or left after the run: left out of its list."""
        return {(e.line.child_id, e.line.level_id) for e in self.later_events
                if e.from_status == "non_realised" and e.to_status == "withdrawn"}

    def kept_places(self) -> set[tuple[str, str]]:
        """(child, level) places a child took after the run (a freed place, WL-01..03) and
        still holds: the enrolment stays; the child takes no part in the new run."""
        return {(e.line.child_id, e.line.level_id) for e in self.later_events
                if e.from_status == "non_realised" and e.to_status == "realised"
                and e.line.status_now == "realised"}

    def capacities(self) -> dict[str, int]:
        return {c.level_id: c.approved for c in self.capacity_changes}

    def lines(self) -> list[str]:
        """The impact in Dutch sentences, one fact a line."""
        out = [f"Toewijzing {self.run_id} van {fmt_datetime(self.run_at)} wordt vervangen."]
        if self.empty:
            return [*out, "Sindsdien veranderde niets aan de lijnen van die toewijzing."]
        if self.later_events:
            n = _count(len(self.later_events), "latere gebeurtenis", "latere gebeurtenissen")
            out.append(f"{n} op lijnen van die toewijzing:")
            out += [f"  {e.line.text()}: {STATUS.get(e.from_status or '', '?')} → "
                    f"{STATUS.get(e.to_status or '', '?')} op {fmt_datetime(e.at)} door "
                    f"{e.user} ({e.reason})" for e in self.later_events]
        if self.capacity_changes:
            out.append("Capaciteit gewijzigd sinds de toewijzing (de goedgekeurde wordt gebruikt):")
            out += [f"  {c.school}, {c.level_id}: {c.used} → {c.approved}"
                    + (f" (goedgekeurd {fmt_datetime(c.decided_at)})" if c.decided_at else "")
                    for c in self.capacity_changes]
        if self.open_offers:
            out.append("Open aanbiedingen die vervallen:")
            out += [f"  {o.line.text()} (aangeboden {fmt_datetime(o.offered_at)})"
                    for o in self.open_offers]
        if self.notices:
            out.append("Mededelingen al bezorgd (worden als vervangen gemarkeerd):")
            out += [f"  {n.line.text()} (bezorgd {fmt_date(n.delivered_on)})"
                    for n in self.notices]
        return out


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _lines(s: Session, entry_ids: set[int]) -> dict[int, LineRef]:
    if not entry_ids:
        return {}
    rows = s.execute(
        select(RegisterEntry.id, School.name, RegisterEntry.level_id, RegisterEntry.seq,
               RegisterEntry.child_id, Child.first_name, Child.last_name, RegisterEntry.status)
        .join(CapacityLevel, CapacityLevel.id == RegisterEntry.level_id)
        .join(School, School.id == CapacityLevel.school_id)
        .join(Child, Child.id == RegisterEntry.child_id)
        .where(RegisterEntry.id.in_(sorted(entry_ids)))).all()
    return {r[0]: LineRef(r[0], r[1], r[2], r[3], r[4], f"{r[5]} {r[6]}", r[7]) for r in rows}


def impact_in(s: Session, round_id: str) -> Impact | None:
    """What replacing the round's active run would touch; None when it has no active run."""
    run = s.execute(select(AllocationRun).where(AllocationRun.round_id == round_id,
                                                AllocationRun.status == "active")).scalar()
    if run is None:
        return None
    assert run.id is not None
    run_lines = select(RegisterEntry.id).where(RegisterEntry.allocation_run_id == run.id)
    lines_at = s.execute(select(func.min(RegisterEntry.requested_at))
                         .where(RegisterEntry.allocation_run_id == run.id)).scalar()
    impact = Impact(run.id, run.started_at, lines_at or run.started_at,
                    json.loads(run.adjustments or "{}"))
    events = s.execute(
        select(RegisterEvent.entry_id, RegisterEvent.at, RegisterEvent.user,
               RegisterEvent.from_status, RegisterEvent.to_status, RegisterEvent.reason,
               RegisterEvent.rule_id)
        .where(RegisterEvent.entry_id.in_(run_lines), RegisterEvent.kind != "created")
        .order_by(RegisterEvent.at, RegisterEvent.id)).all()
    offers = s.execute(select(Offer.id, Offer.entry_id, Offer.offered_at)
                       .where(Offer.entry_id.in_(run_lines), Offer.status == "open")
                       .order_by(Offer.id)).all()
    notices = s.execute(select(RefusalNotice.id, RefusalNotice.entry_id,
                               RefusalNotice.delivered_on)
                        .where(RefusalNotice.entry_id.in_(run_lines),
                               RefusalNotice.superseded_at.is_(None))
                        .order_by(RefusalNotice.id)).all()
    refs = _lines(s, {e[0] for e in events} | {o[1] for o in offers} | {n[1] for n in notices})
    impact.later_events = [LaterEvent(refs[e[0]], e[1], e[2], e[3], e[4], e[5] or "", e[6])
                           for e in events]
    impact.open_offers = [OpenOffer(o[0], refs[o[1]], o[2]) for o in offers]
    impact.notices = [SentNotice(n[0], refs[n[1]], n[2]) for n in notices]
    impact.capacity_changes = _capacity_changes(s, round_id, run.started_at,
                                                impact.previous_adjustments)
    return impact


def level_capacities_in(s: Session, round_id: str) -> dict[str, int | None]:
    """The capacity of every level of the round now (stored with each run)."""
    return dict(s.execute(select(CapacityLevel.id, CapacityLevel.capacity)
                          .join(RoundLevel, RoundLevel.level_id == CapacityLevel.id)
                          .where(RoundLevel.round_id == round_id)).all())


def _capacity_changes(s: Session, round_id: str, since: datetime,
                      carried: dict) -> list[CapacityChange]:
    """Raises approved after the run (CAP-03) add their places to what the run used."""
    used = dict(s.execute(select(RoundLevel.level_id, RoundLevel.capacity)
                          .where(RoundLevel.round_id == round_id)).all())
    used.update({lv: cap for lv, cap in carried.get("capacities", {}).items() if lv in used})
    now = level_capacities_in(s, round_id)
    at_run = carried.get("level_capacities_at_run")
    decided: dict[str, tuple[int, datetime | None]] = {}
    for level_id, before, after, decided_at in s.execute(
            select(CapacityDecision.level_id, CapacityDecision.current_capacity,
                   CapacityDecision.requested_capacity, CapacityDecision.decided_at)
            .where(CapacityDecision.level_id.in_(sorted(used)),
                   CapacityDecision.status == "approved",
                   CapacityDecision.decided_at >= since)
            .order_by(CapacityDecision.decided_at, CapacityDecision.id)):
        gained = decided.get(level_id, (0, None))[0] + max(after - before, 0)
        decided[level_id] = (gained, decided_at)
    schools = dict(s.execute(select(CapacityLevel.id, School.name)
                             .join(School, School.id == CapacityLevel.school_id)
                             .where(CapacityLevel.id.in_(sorted(used)))).all())
    changes = []
    for lv in sorted(used):
        if at_run is not None:  # exact: the level's capacity then and now
            gained = (now.get(lv) or 0) - (at_run.get(lv) or 0)
        else:  # a run stored before capacities were kept: the decisions since
            gained = decided.get(lv, (0, None))[0]
        if gained > 0:
            changes.append(CapacityChange(lv, schools.get(lv, ""), used[lv],
                                          used[lv] + gained, decided.get(lv, (0, None))[1]))
    return changes


def refuse_unconfirmed(impact: Impact | None, round_id: str) -> None:
    """ALC-05: later facts are never undone silently."""
    if impact is None or impact.empty:
        return
    raise RuleViolation(
        f"ronde {round_id}: de toewijzing die vervangen zou worden heeft latere feiten. "
        + " ".join(impact.lines()[1:])
        + " Vervang enkel met uitdrukkelijke bevestiging dat die feiten behouden blijven "
          "(latere gebeurtenissen behouden).", rule="ALC-05")


def same_facts(a: Impact | None, b: Impact | None) -> bool:
    """Did nothing change between the impact shown and the one at the write?"""
    def key(i: Impact | None):
        if i is None:
            return None
        return (i.run_id, [(e.line.entry_id, e.at, e.to_status) for e in i.later_events],
                [(c.level_id, c.approved) for c in i.capacity_changes])
    return key(a) == key(b)


def carry_over_in(s: Session, user: str, impact: Impact, new_run_id: int,
                  at: datetime) -> None:
    """End the open offers on replaced lines and mark their notices superseded."""
    reason = f"lijn vervangen door toewijzing {new_run_id}"
    for o in impact.open_offers:
        offer = s.get(Offer, o.offer_id)
        if offer is None or offer.status != "open":
            continue
        offer.status = "ended"
        offer.answered_at = at
        offer.answered_by = user
        offer.end_reason = reason
        s.add(offer)
        audit.record(s, user, "offer.end", "offer", o.offer_id, {"reason": reason})
    for n in impact.notices:
        notice = s.get(RefusalNotice, n.notice_id)
        if notice is None or notice.superseded_at is not None:
            continue
        notice.superseded_at = at
        notice.superseded_by_run = new_run_id
        s.add(notice)
        audit.record(s, user, "notice.supersede", "refusal_notice", n.notice_id,
                     {"run": new_run_id})


def adjustments(impact: Impact) -> dict:
    """The input changes a confirmed replacement makes, stored with the run (ALC-05).

    They add to those of the run it replaces, so a later replacement keeps them too."""
    before = impact.previous_adjustments
    children = set(before.get("without_children", [])) | impact.withdrawn_children()
    pairs = {tuple(p) for p in before.get("without_applications", [])} | impact.declined()
    capacities = {**before.get("capacities", {}), **impact.capacities()}
    kept = {tuple(p) for p in before.get("kept_places", [])} | impact.kept_places()
    return {"without_children": sorted(children),
            "without_applications": sorted([c, lv] for c, lv in pairs),
            "kept_places": sorted([c, lv] for c, lv in kept),
            "capacities": dict(sorted(capacities.items()))}


def run_record(s: Session, round_id: str, impact: Impact | None, keep: bool) -> dict:
    """What a run stores of its input's history: the carried facts (when a confirmed
    replacement) and the levels' capacities at the run, to measure later raises."""
    record = adjustments(impact) if impact is not None and keep else {}
    record["level_capacities_at_run"] = dict(sorted(level_capacities_in(s, round_id).items()))
    return record
