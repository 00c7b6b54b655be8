"""Register extracts (three parts: capacity sheet, pupil sheet, register sheet with each
entry's history) and their plenary variant.

Privacy (domain §10): the plenary variant carries pseudonyms only (the context never holds
names, birth dates or free-text reasons), and no national register number exists in any
context. An extract that names children is recorded in the audit trail.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from lopdesk.db import Database
from lopdesk.domain import audit
from lopdesk.domain.access import reading
from lopdesk.domain.areas import get_or_404
from lopdesk.domain.counters import LevelCounters, area_counters
from lopdesk.domain.errors import InvalidInput
from lopdesk.domain.extracts.environment import (
    audit_document,
    meta,
    render_document,
    template_name,
)
from lopdesk.domain.models import (
    Area,
    CapacityDecision,
    CapacityLevel,
    Child,
    RegisterEntry,
    RegisterEvent,
    School,
)
from lopdesk.labels import (
    DECISION_STATUS,
    LEVEL_KIND,
    REGIME,
    ROUNDING_RULE,
    STATUS,
    school_year_label,
    to_local,
)


def _qualifier(name: str, kind_label: str, label: str) -> str:
    """What follows a level's name in a letter, only when it adds to it: 'leerjaar 1' after
    '1ste leerjaar', '1A' (not '1A 1A') after '1ste leerjaar A', nothing after 'Kleuter geb.
    2025' (its label is in the name already)."""
    if label in name.split():
        return ""
    return label if kind_label == label else f"{kind_label} {label}"


def level_head(level: CapacityLevel, school: School) -> dict[str, Any]:
    kind_label = LEVEL_KIND.get(level.kind, level.kind)
    return {
        "qualifier": _qualifier(level.name or level.label, kind_label, level.label),
        "id": level.id, "name": level.name or level.label, "label": level.label,
        "kind": level.kind, "kind_label": LEVEL_KIND.get(level.kind, level.kind),
        "school_year": level.school_year, "school_year_label": school_year_label(
            level.school_year),
        "regime": level.regime, "regime_label": REGIME.get(level.regime, level.regime),
        "school": {"id": school.id, "name": school.name, "address": school.address,
                   "neighbourhood": school.neighbourhood},
    }


def _capacity_sheet(level: CapacityLevel, c: LevelCounters | None,
                    decisions: list[CapacityDecision]) -> dict[str, Any]:
    seats = None
    if c is not None and c.seats_indicator is not None:
        seats = {"indicator": c.seats_indicator, "non_indicator": c.seats_non_indicator}
    return {
        "capacity": level.capacity, "indicator_ratio": level.indicator_ratio,
        "rounding": ROUNDING_RULE.get(level.rounding, level.rounding),
        "enrolment_start": level.enrolment_start,
        "seated_indicator": level.seated_indicator,
        "seated_non_indicator": level.seated_non_indicator,
        "seated": level.seated_indicator + level.seated_non_indicator,
        "contingent_seats": seats,
        "realised_indicator": c.realised_indicator if c else 0,
        "realised_non_indicator": c.realised_non_indicator if c else 0,
        "deferred": (c.deferred_indicator + c.deferred_non_indicator) if c else 0,
        "non_realised": (c.non_realised_indicator + c.non_realised_non_indicator) if c else 0,
        "withdrawn": c.withdrawn if c else 0,
        "overcapacity": c.overcapacity if c else 0,
        "free_places": c.free_places if c else None,
        "free_places_field": level.free_places_field,
        "full": c.full if c else False,
        "ank_capacity": level.ank_capacity,
        "decisions": [{
            "requested_at": d.requested_at, "current": d.current_capacity,
            "requested": d.requested_capacity, "reason": d.reason,
            "status": DECISION_STATUS.get(d.status, d.status), "decided_at": d.decided_at,
            "decided_by": d.decided_by or "", "ref": d.decision_ref or "",
        } for d in decisions],
    }


def _change_text(kind: str, from_status: str | None, to_status: str | None) -> str:
    if kind == "created":
        return f"aangemaakt: {STATUS.get(to_status or '', to_status or '')}"
    return (f"{STATUS.get(from_status or '', from_status or '—')} → "
            f"{STATUS.get(to_status or '', to_status or '')}")


@dataclass
class _Register:
    """What an extract reads from the database in one transaction."""

    scope: dict[str, Any]
    area: Area | None
    pairs: list[Any]  # (CapacityLevel, School), in extract order
    by_level: dict[str, list[Any]]  # level id -> entry rows in register order
    events: dict[int, list[Any]]
    children: dict[str, Child]
    decisions: dict[str, list[CapacityDecision]]


def _scoped_levels(s: Any, level_id: str | None, school_id: str | None,
                   area_id: str | None, school_year: int | None) -> tuple[Any, dict[str, Any]]:
    q = (select(CapacityLevel, School).join(School, School.id == CapacityLevel.school_id)
         .order_by(School.name, School.id, CapacityLevel.school_year, CapacityLevel.id))
    if level_id:
        get_or_404(s, CapacityLevel, level_id, "capaciteitsniveau")
        q = q.where(CapacityLevel.id == level_id)
        scope = {"kind": "level", "id": level_id}
    elif school_id:
        get_or_404(s, School, school_id, "school")
        q = q.where(CapacityLevel.school_id == school_id)
        scope = {"kind": "school", "id": school_id}
    else:
        get_or_404(s, Area, area_id, "gebied")
        q = q.where(School.area_id == area_id)
        scope = {"kind": "area", "id": area_id}
    if school_year:
        q = q.where(CapacityLevel.school_year == school_year)
    return q, scope


def _read_register(db: Database, level_id: str | None, school_id: str | None,
                   area_id: str | None, school_year: int | None,
                   pseudonymise: bool) -> _Register:
    with reading(db) as s:
        q, scope = _scoped_levels(s, level_id, school_id, area_id, school_year)
        pairs = s.execute(q).all()
        level_ids = [lv.id for lv, _ in pairs]
        area = s.get(Area, pairs[0][1].area_id) if pairs else (
            s.get(Area, area_id) if area_id else None)
        entries = s.execute(
            select(RegisterEntry.id, RegisterEntry.level_id, RegisterEntry.seq,
                   RegisterEntry.requested_at, RegisterEntry.child_id,
                   RegisterEntry.priority_group, RegisterEntry.contingent, RegisterEntry.status,
                   RegisterEntry.reason, RegisterEntry.out_of_order,
                   RegisterEntry.overcapacity_category, RegisterEntry.waitlist_position,
                   RegisterEntry.source)
            .where(RegisterEntry.level_id.in_(level_ids))
            .order_by(RegisterEntry.level_id, RegisterEntry.seq)).all() if level_ids else []
        # The plenary variant needs neither the history nor the children (domain §10).
        entry_ids = [] if pseudonymise else [e.id for e in entries]
        events: dict[int, list[Any]] = {}
        for start in range(0, len(entry_ids), 5000):  # stay under bind-parameter limits
            part = entry_ids[start:start + 5000]
            for ev in s.execute(
                    select(RegisterEvent.entry_id, RegisterEvent.at, RegisterEvent.user,
                           RegisterEvent.kind, RegisterEvent.from_status,
                           RegisterEvent.to_status, RegisterEvent.reason, RegisterEvent.rule_id)
                    .where(RegisterEvent.entry_id.in_(part))
                    .order_by(RegisterEvent.entry_id, RegisterEvent.id)).all():
                events.setdefault(ev.entry_id, []).append(ev)
        child_ids = [] if pseudonymise else sorted({e.child_id for e in entries})
        children: dict[str, Child] = {}
        for start in range(0, len(child_ids), 5000):
            for ch in s.execute(select(Child).where(
                    Child.id.in_(child_ids[start:start + 5000]))).scalars():
                children[ch.id] = ch
        decisions: dict[str, list[CapacityDecision]] = {}
        if level_ids:
            for d in s.execute(select(CapacityDecision)
                               .where(CapacityDecision.level_id.in_(level_ids))
                               .order_by(CapacityDecision.id)).scalars():
                decisions.setdefault(d.level_id, []).append(d)
    by_level: dict[str, list[Any]] = {}
    for e in entries:
        by_level.setdefault(e.level_id, []).append(e)
    return _Register(scope, area, pairs, by_level, events, children, decisions)


def _level_counters(db: Database, pairs: list[Any],
                    school_year: int | None) -> dict[str, LevelCounters]:
    level_ids = {lv.id for lv, _ in pairs}
    counters: dict[str, LevelCounters] = {}
    for area_of in sorted({sc.area_id for _, sc in pairs}):
        for c in area_counters(db, area_of, school_year):
            if c.level_id in level_ids:
                counters[c.level_id] = c
    return counters


def _register_rows(rows: list[Any], reg: _Register) -> tuple[list[Any], list[Any]]:
    """The pupil sheet (each child once, with its latest status) and the register sheet
    (each entry with its history) of one level."""
    register_rows = []
    pupils: dict[str, dict[str, Any]] = {}
    for e in rows:
        child = reg.children.get(e.child_id)
        r = e.child_id
        name = "" if child is None else f"{child.first_name} {child.last_name}".strip()
        if r not in pupils:
            pupils[r] = {
                "ref": r, "name": name,
                "birth_date": None if child is None else child.birth_date,
                "indicator": bool(child.indicator) if child else False,
                "contingent": e.contingent, "first_seq": e.seq, "status": e.status}
        else:
            pupils[r]["status"] = e.status  # the latest entry of the child decides
        register_rows.append({
            "seq": e.seq, "requested_at": e.requested_at, "child": r, "name": name,
            "priority_group": e.priority_group, "contingent": e.contingent,
            "status": e.status, "reason": e.reason, "out_of_order": e.out_of_order,
            "overcapacity_category": e.overcapacity_category,
            "waitlist_position": e.waitlist_position, "source": e.source,
            "history": [{
                "at": ev.at, "user": ev.user, "change": _change_text(
                    ev.kind, ev.from_status, ev.to_status),
                "rule": ev.rule_id or "", "reason": ev.reason or "",
            } for ev in reg.events.get(e.id, [])],
        })
    return list(pupils.values()), register_rows


def register_context(db: Database, *, level_id: str | None = None,
                     school_id: str | None = None, area_id: str | None = None,
                     school_year: int | None = None, pseudonymise: bool = False,
                     pseudonym_key: str | None = None,
                     generated_at: datetime | None = None) -> dict[str, Any]:
    """The three parts of the register (capacity sheet, pupil sheet, register sheet with each
    entry's history) for one level, every level of a school, or every level of an area.

    With `pseudonymise` the plenary variant instead (domain §10, see _plenary_context)."""
    scopes = [x for x in (level_id, school_id, area_id) if x]
    if len(scopes) != 1:
        raise InvalidInput("kies precies één van niveau, school of gebied.", field="scope")
    reg = _read_register(db, level_id, school_id, area_id, school_year, pseudonymise)
    counters = _level_counters(db, reg.pairs, school_year)
    if pseudonymise:
        return _plenary_context(db, reg, school_year, counters, pseudonym_key, generated_at)
    levels = []
    for level, school in reg.pairs:
        pupils, register_rows = _register_rows(reg.by_level.get(level.id, []), reg)
        levels.append({
            **level_head(level, school),
            "capacity_sheet": _capacity_sheet(level, counters.get(level.id),
                                              reg.decisions.get(level.id, [])),
            "pupils": pupils,
            "entries": register_rows,
        })
    area = reg.area
    return {
        "meta": meta(db.user, "Uittreksel inschrijvingsregister", generated_at or db.now(),
                     audit.head(db)),
        "scope": reg.scope, "school_year": school_year,
        "area": {"id": area.id, "name": area.name} if area else {"id": "", "name": ""},
        "pseudonymised": False,
        "levels": levels,
    }


PLENARY_STATUSES = ("realised", "deferred", "non_realised", "withdrawn")
PLENARY_GROUPS = ("sibling_staff", "sibling", "staff", "none")
PLENARY_NOTE = (
    "Gepseudonimiseerd uittreksel voor de plenaire vergadering van het LOP (domein §10): "
    "per niveau tellingen per status, contingent en voorrangsgroep; per kind enkel een "
    "pseudoniem dat alleen binnen dit uittreksel geldt, de status en de datum van de "
    "aanvraag. Geen namen, geboortedata, registernummers, indicatorstatus of voorrangsgroep "
    "per kind.")


def _plenary_context(db: Database, reg: _Register, school_year: int | None,
                     counters: dict[str, LevelCounters], key: str | None,
                     generated_at: datetime | None) -> dict[str, Any]:
    """Domain §10: the plenary sees counts, and per child only a pseudonym, the status and
    the date of the request. Register number, indicator and priority group side by side
    let a school re-identify a child, so they appear only as counts. Pseudonyms follow a
    keyed hash (a fresh key per extract), not the register order, and rows are sorted by
    date and status: the row order gives nothing of the register away either."""
    import hashlib
    import secrets

    key = key if key is not None else secrets.token_hex(16)
    by_level, area = reg.by_level, reg.area
    child_ids = sorted({e.child_id for rows in by_level.values() for e in rows},
                       key=lambda c: hashlib.sha256(f"{key}/{c}".encode()).hexdigest())
    pseudonym = {c: f"P{i:04d}" for i, c in enumerate(child_ids, 1)}
    order = {st: i for i, st in enumerate(PLENARY_STATUSES)}
    levels = []
    for level, school in reg.pairs:
        rows = by_level.get(level.id, [])
        counts = []
        for st in PLENARY_STATUSES:
            mine = [e for e in rows if e.status == st]
            contingent = Counter(e.contingent for e in mine)
            group = Counter(e.priority_group for e in mine)
            counts.append({"status": st, "total": len(mine),
                           "indicator": contingent.get("indicator", 0),
                           "non_indicator": contingent.get("non_indicator", 0),
                           "groups": {g: group.get(g, 0) for g in PLENARY_GROUPS}})
        kids = sorted(({"child": pseudonym[e.child_id], "status": e.status,
                        "date": to_local(e.requested_at).date()} for e in rows),
                      key=lambda r: (r["date"], order.get(r["status"], 9), r["child"]))
        levels.append({
            **level_head(level, school),
            "capacity_sheet": _capacity_sheet(level, counters.get(level.id),
                                              reg.decisions.get(level.id, [])),
            "counts": counts, "total": len(rows), "children": kids,
        })
    return {
        "meta": meta(db.user, "Uittreksel inschrijvingsregister (gepseudonimiseerd, "
                              "plenaire vergadering LOP)", generated_at or db.now(),
                     audit.head(db)),
        "scope": reg.scope, "school_year": school_year,
        "area": {"id": area.id, "name": area.name} if area else {"id": "", "name": ""},
        "pseudonymised": True, "note": PLENARY_NOTE, "groups": list(PLENARY_GROUPS),
        "levels": levels,
    }


def render_register(db: Database, fmt: str = "html", **kw: Any) -> str | bytes:
    """A register extract; kw as register_context (level_id / school_id / area_id, ...).
    The plenary variant has its own templates (register_plenary.*): a LOP's own register
    template can never show it more than counts and pseudonyms."""
    name = template_name("register_plenary" if kw.get("pseudonymise") else "register", fmt)
    ctx = register_context(db, **kw)
    if not ctx["pseudonymised"]:
        audit_document(db, "register", ctx["scope"]["kind"], ctx["scope"]["id"],
                        {"format": fmt, "school_year": ctx["school_year"]})
    return render_document(db, name.split(".")[0], fmt, ctx, lop_name=ctx["area"]["name"])

