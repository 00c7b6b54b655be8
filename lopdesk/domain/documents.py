"""Documents from Jinja2 templates: register extracts, refusal notices (NGI-01), the LOP
report, the proces-verbaal of an allocation run (ALC-05) and the mediation case summary.

Each document is a context dict built from the database through the services, rendered by
one template per format (`<kind>.<format>.j2`). A LOP overrides any template by putting a
file of the same name in its own folder (Settings.templates_dir, env LOPDESK_TEMPLATES);
the package templates are the fallback. Jinja2 is imported only when a document is made
(house-style: keep it out of the start path).

Privacy (domain §10): the plenary variant of an extract carries pseudonyms only (the
context never holds names, birth dates or free-text reasons), and no national register
number exists in any context. Documents that name children are recorded in the audit trail.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from lopdesk import __version__
from lopdesk.db import Database
from lopdesk.domain import audit
from lopdesk.domain.access import require
from lopdesk.domain.allocation_models import (
    AllocationRound,
    AllocationRun,
    AllocationWaitlist,
    RoundLevel,
)
from lopdesk.domain.areas import get_or_404
from lopdesk.domain.counters import LevelCounters, area_counters
from lopdesk.domain.errors import InvalidInput, NotFound, RuleViolation
from lopdesk.domain.models import (
    Area,
    AuditRecord,
    CapacityDecision,
    CapacityLevel,
    Child,
    RegisterEntry,
    RegisterEvent,
    School,
)
from lopdesk.domain.types import utcnow
from lopdesk.labels import (
    CONTINGENT,
    DECISION_STATUS,
    EDUCATION,
    LEVEL_KIND,
    PRIORITY_GROUP,
    REASON,
    REGIME,
    STATUS,
    fmt_date,
    fmt_datetime,
    free_places_board,
    school_year_label,
    to_local,
)

PACKAGE_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

# Which formats each document has (a template `<kind>.<fmt>.j2` per pair).
FORMATS: dict[str, tuple[str, ...]] = {
    "register": ("html", "csv", "txt"),
    "register_plenary": ("html", "csv", "txt"),
    "notice": ("html", "txt"),
    "report": ("html", "csv", "txt"),
    "pv": ("html", "txt"),
    "case": ("html", "txt"),
}

# NGI-01: what a refusal notice cannot be issued without (key -> Dutch name in messages).
NOTICE_FIELDS: dict[str, str] = {
    "motivation": "motivering",
    "legal_ground": "juridische grond (verwijzing naar de regelgeving)",
    "factual_ground": "feitelijke grond",
    "requested_at": "datum en uur van de aanvraag zoals in het register",
    "register_position": "plaats in het register / op de wachtlijst",
    "capacity": "capaciteit",
    "chair_contact": "contactgegevens van de voorzitter van het LOP",
    "clr_contact": "contactgegevens van de Commissie inzake Leerlingenrechten",
    "parents_address": "adres van de ouders",
    "signed_on": "datum van ondertekening",
}
# Reasons for which capacity is the ground: then position and capacity are required too.
CAPACITY_REASONS = frozenset({"capacity", "waiting_list", "full_declaration", "allocation"})
CLR_COMPLAINT_DAYS = 30  # NGI-04

# Default legal references per education and regime; a LOP that wants the exact article
# passes --legal-ground or overrides the notice template.
LEGAL_GROUND: dict[tuple[str, str], str] = {
    ("primary", "new"): (
        "Decreet basisonderwijs van 25 februari 1997, bepalingen over het inschrijvingsrecht, "
        "zoals gewijzigd bij het decreet van 17 mei 2019 (omzendbrief BaO/2022/02)"),
    ("primary", "old"): (
        "Decreet basisonderwijs van 25 februari 1997, bepalingen over het inschrijvingsrecht, "
        "zoals gewijzigd bij het decreet van 25 november 2011 (omzendbrief BaO/2012/01)"),
    ("secondary", "new"): (
        "Codex Secundair Onderwijs, bepalingen over het inschrijvingsrecht, zoals gewijzigd "
        "bij het decreet van 17 mei 2019 (omzendbrief SO/2022/02)"),
    ("secondary", "old"): (
        "Codex Secundair Onderwijs, bepalingen over het inschrijvingsrecht, zoals gewijzigd "
        "bij het decreet van 25 november 2011 (omzendbrief SO/2012/01)"),
}


class IncompleteNotice(RuleViolation):
    """NGI-01: a refusal notice lacks required fields; `missing` lists every one of them."""

    def __init__(self, missing: list[str]):
        self.missing = missing
        names = ", ".join(NOTICE_FIELDS.get(k, k) for k in missing)
        super().__init__(
            f"de mededeling van niet-gerealiseerde inschrijving kan niet worden opgemaakt; "
            f"ontbrekende gegevens: {names}.", rule="NGI-01", field=missing[0])


# --- the Jinja2 environment ---------------------------------------------------------------


def _csvrow(values: Any) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(["" if v is None else v for v in values])
    return buf.getvalue()


def _pct(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "—"
    return f"{value * 100:.{digits}f}".replace(".", ",") + " %"


def _num(value: float | None, digits: int = 3) -> str:
    if value is None:
        return "—"
    return f"{value:.{digits}f}".replace(".", ",")


def _textbar(share: float | None, width: int = 40, marker: float | None = None) -> str:
    """A text bar of `width` cells for a share in [0, 1]; `|` marks a reference share."""
    cells = [" "] * width
    if share is not None:
        for i in range(min(width, round(share * width))):
            cells[i] = "#"
    if marker is not None:
        pos = min(width - 1, max(0, round(marker * width) - 1))
        cells[pos] = "|"
    return "".join(cells)


def _any_date(value: Any) -> str:
    """A date, a datetime or an ISO date text as dd/mm/yyyy; anything else as it is."""
    if isinstance(value, date | datetime):
        return fmt_date(value)
    if isinstance(value, str) and len(value) >= 10:
        try:
            return fmt_date(date.fromisoformat(value[:10]))
        except ValueError:
            return value
    return "" if value is None else str(value)


def _yesno(value: Any) -> str:
    return "ja" if value else "nee"


def environment(templates_dir: Path | None = None):
    """Jinja2 environment: the LOP's folder first, then the package templates."""
    import jinja2

    loaders: list[jinja2.BaseLoader] = []
    if templates_dir is not None:
        loaders.append(jinja2.FileSystemLoader(str(templates_dir)))
    loaders.append(jinja2.FileSystemLoader(str(PACKAGE_TEMPLATES)))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=lambda name: bool(name) and ".html" in name,
        undefined=jinja2.StrictUndefined,  # a typo in a template fails, never prints blank
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update({
        "dt": fmt_datetime, "d": fmt_date, "status": lambda c: STATUS.get(c or "", c or ""),
        "group": lambda c: PRIORITY_GROUP.get(c or "", c or ""),
        "contingent": lambda c: CONTINGENT.get(c or "", c or ""),
        "regime": lambda c: REGIME.get(c or "", c or ""),
        "reason": lambda c: REASON.get(c or "", c or ""),
        "board": free_places_board, "pct": _pct, "num": _num, "csvrow": _csvrow,
        "textbar": _textbar, "yesno": _yesno, "year": school_year_label, "anydate": _any_date,
    })
    return env


def template_name(kind: str, fmt: str) -> str:
    if kind not in FORMATS:
        raise InvalidInput(f"onbekend document '{kind}'.", field="kind")
    if fmt not in FORMATS[kind]:
        raise InvalidInput(f"formaat '{fmt}' bestaat niet voor {kind} (kies uit "
                           f"{', '.join(FORMATS[kind])}).", field="format")
    return f"{kind}.{fmt}.j2"


def render_context(kind: str, fmt: str, context: dict[str, Any],
                   templates_dir: Path | None = None) -> str:
    """Render a ready context with the template of `kind` and `fmt`."""
    env = environment(templates_dir)
    return env.get_template(template_name(kind, fmt)).render(**context)


def _meta(db: Database, title: str, generated_at: datetime | None) -> dict[str, Any]:
    return {"title": title, "generated_at": generated_at or utcnow(),
            "generated_by": db.user, "version": __version__}


def _audit_document(db: Database, kind: str, entity: str, entity_id: Any,
                    detail: dict[str, Any]) -> None:
    """A document naming children is a read of their data: on record (domain §10)."""
    with db.write() as s:
        require(s, db.user, "documents")
        audit.record(s, db.user, f"document.{kind}", entity, entity_id, detail)


# --- register extract (three parts) --------------------------------------------------------


def _level_head(level: CapacityLevel, school: School) -> dict[str, Any]:
    return {
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
        "rounding": level.rounding, "enrolment_start": level.enrolment_start,
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
    with db.read() as s:
        require(s, db.user, "read")
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
    counters: dict[str, LevelCounters] = {}
    for area_of in sorted({sc.area_id for _, sc in pairs}):
        for c in area_counters(db, area_of, school_year):
            if c.level_id in set(level_ids):
                counters[c.level_id] = c
    by_level: dict[str, list[Any]] = {}
    for e in entries:
        by_level.setdefault(e.level_id, []).append(e)
    if pseudonymise:
        return _plenary_context(db, scope, school_year, area, pairs, by_level, counters,
                                decisions, pseudonym_key, generated_at)

    def ref(child_id: str) -> str:
        return child_id

    levels = []
    for level, school in pairs:
        rows = by_level.get(level.id, [])
        register_rows = []
        pupils: dict[str, dict[str, Any]] = {}
        for e in rows:
            child = children.get(e.child_id)
            r = ref(e.child_id)
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
                } for ev in events.get(e.id, [])],
            })
        levels.append({
            **_level_head(level, school),
            "capacity_sheet": _capacity_sheet(level, counters.get(level.id),
                                              decisions.get(level.id, [])),
            "pupils": list(pupils.values()),
            "entries": register_rows,
        })
    return {
        "meta": _meta(db, "Uittreksel inschrijvingsregister", generated_at),
        "scope": scope, "school_year": school_year,
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


def _plenary_context(db: Database, scope: dict[str, Any], school_year: int | None,
                     area: Area | None, pairs: list[Any], by_level: dict[str, list[Any]],
                     counters: dict[str, LevelCounters],
                     decisions: dict[str, list[CapacityDecision]], key: str | None,
                     generated_at: datetime | None) -> dict[str, Any]:
    """Domain §10: the plenary sees counts, and per child only a pseudonym, the status and
    the date of the request. Register number, indicator and priority group side by side
    let a school re-identify a child, so they appear only as counts. Pseudonyms follow a
    keyed hash (a fresh key per extract), not the register order, and rows are sorted by
    date and status: the row order gives nothing of the register away either."""
    import hashlib
    import secrets

    key = key if key is not None else secrets.token_hex(16)
    child_ids = sorted({e.child_id for rows in by_level.values() for e in rows},
                       key=lambda c: hashlib.sha256(f"{key}/{c}".encode()).hexdigest())
    pseudonym = {c: f"P{i:04d}" for i, c in enumerate(child_ids, 1)}
    order = {st: i for i, st in enumerate(PLENARY_STATUSES)}
    levels = []
    for level, school in pairs:
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
            **_level_head(level, school),
            "capacity_sheet": _capacity_sheet(level, counters.get(level.id),
                                              decisions.get(level.id, [])),
            "counts": counts, "total": len(rows), "children": kids,
        })
    return {
        "meta": _meta(db, "Uittreksel inschrijvingsregister (gepseudonimiseerd, plenaire "
                          "vergadering LOP)", generated_at),
        "scope": scope, "school_year": school_year,
        "area": {"id": area.id, "name": area.name} if area else {"id": "", "name": ""},
        "pseudonymised": True, "note": PLENARY_NOTE, "groups": list(PLENARY_GROUPS),
        "levels": levels,
    }


def render_register(db: Database, fmt: str = "html", **kw: Any) -> str:
    """A register extract; kw as register_context (level_id / school_id / area_id, ...).
    The plenary variant has its own templates (register_plenary.*): a LOP's own register
    template can never show it more than counts and pseudonyms."""
    name = template_name("register_plenary" if kw.get("pseudonymise") else "register", fmt)
    ctx = register_context(db, **kw)
    if not ctx["pseudonymised"]:
        _audit_document(db, "register", ctx["scope"]["kind"], ctx["scope"]["id"],
                        {"format": fmt, "school_year": ctx["school_year"]})
    env = environment(db.settings.templates_dir)
    return env.get_template(name).render(**ctx)


# --- refusal notice (NGI-01, NGI-03, NGI-04) -----------------------------------------------


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def missing_notice_fields(ctx: dict[str, Any]) -> list[str]:
    """NGI-01: every required field that is empty; position and capacity only when capacity
    is the reason; the LOP chair only inside a LOP area."""
    missing = []
    for key in NOTICE_FIELDS:
        if key in ("register_position", "capacity") and not ctx.get("capacity_reason"):
            continue
        if key == "chair_contact" and not ctx.get("in_lop", True):
            continue
        if _blank(ctx.get(key)):
            missing.append(key)
    return missing


@dataclass
class _Change:
    """One change of a level's capacity or seated pupils, as the audit trail has it."""

    kind: str  # capacity | seated
    audit_id: int | None
    at: datetime  # fallback order when the refusal has no audit record of its own
    before: Any
    after: Any
    decision: CapacityDecision | None = None


def _refusal_audit_id(s: Any, entry_id: int) -> int | None:
    """The audit record written in the transaction that refused the entry: the audit trail
    is hash-chained and so in commit order, which register timestamps are not (a request may
    be entered later with its own, earlier timestamp; demo and imports carry past times)."""
    from lopdesk.domain.mediation_models import LopNotification

    for rid, action, detail in s.execute(
            select(AuditRecord.id, AuditRecord.action, AuditRecord.detail)
            .where(AuditRecord.entity == "register_entry",
                   AuditRecord.entity_id == str(entry_id),
                   AuditRecord.action.in_(["register.add", "register.status"]))
            .order_by(AuditRecord.id)).all():
        d = _loads(detail)
        if not isinstance(d, dict):
            continue
        if (d.get("status") if action == "register.add" else d.get("to")) == "non_realised":
            return int(rid)
    # Bulk writes (allocation results, imports) audit the batch's NGI-03 notifications.
    note = s.execute(select(LopNotification.id, LopNotification.created_at)
                     .where(LopNotification.entry_id == entry_id)).first()
    if note is None:
        return None
    rid = s.execute(select(AuditRecord.id).where(
        AuditRecord.entity == "lop_notification", AuditRecord.entity_id == str(note.id))
        .order_by(AuditRecord.id).limit(1)).scalar()
    if rid is None:
        rid = s.execute(select(AuditRecord.id).where(
            AuditRecord.action == "lop_notification.create", AuditRecord.entity_id == "*",
            AuditRecord.at >= note.created_at).order_by(AuditRecord.id).limit(1)).scalar()
    return rid


def _level_changes(s: Any, level: CapacityLevel) -> list[_Change]:
    """Capacity and seated changes of a level (capacity.set, capacity.seated and approved
    LOP decisions, CAP-03), in audit order."""
    changes: list[_Change] = []
    for rid, at, action, detail in s.execute(
            select(AuditRecord.id, AuditRecord.at, AuditRecord.action, AuditRecord.detail)
            .where(AuditRecord.entity == "capacity_level", AuditRecord.entity_id == level.id,
                   AuditRecord.action.in_(["capacity.set", "capacity.seated"]))
            .order_by(AuditRecord.id)).all():
        d = _loads(detail)
        if not isinstance(d, dict) or d.get("from") == d.get("to"):
            continue
        kind = "capacity" if action == "capacity.set" else "seated"
        conv = (lambda v: v) if kind == "capacity" else (
            lambda v: tuple(v) if isinstance(v, list | tuple) else None)
        changes.append(_Change(kind, rid, at, conv(d.get("from")), conv(d.get("to"))))
    decisions = list(s.execute(select(CapacityDecision).where(
        CapacityDecision.level_id == level.id, CapacityDecision.status == "approved")
        .order_by(CapacityDecision.id)).scalars())
    if decisions:
        audit_ids = dict(s.execute(select(AuditRecord.entity_id, AuditRecord.id).where(
            AuditRecord.entity == "capacity_decision", AuditRecord.action == "capacity.decide",
            AuditRecord.entity_id.in_([str(d.id) for d in decisions]))).all())
        for d in decisions:
            changes.append(_Change("capacity", audit_ids.get(str(d.id)),
                                   d.decided_at or d.requested_at, d.current_capacity,
                                   d.requested_capacity, d))
    changes.sort(key=lambda c: (c.audit_id is None, c.audit_id or 0, c.at))
    return changes


def _value_at(changes: list[_Change], kind: str, before: Any, current: Any) -> Any:
    """The value in force at the refusal: set by the last change before it, else what the
    first change after it started from, else the level's value now."""
    mine = [c for c in changes if c.kind == kind]
    earlier = [c for c in mine if before(c)]
    if earlier:
        return earlier[-1].after
    later = [c for c in mine if not before(c)]
    return later[0].before if later else current


def refusal_facts(db: Database, entry_id: int) -> dict[str, Any]:
    """NGI-01: the level as it was when the entry was refused (the first event to
    non_realised, mediation.refusal_moment): capacity, seated and realised pupils, for the
    old regime the two contingents (REG-05), and the raises approved since."""
    from lopdesk.domain import mediation
    from lopdesk.domain.registers import round_seats

    with db.read() as s:
        require(s, db.user, "read")
        entry = get_or_404(s, RegisterEntry, entry_id, "inschrijving")
        level = get_or_404(s, CapacityLevel, entry.level_id, "capaciteitsniveau")
        moment = mediation.refusal_moment(s, entry_id)
        refusal = s.execute(
            select(RegisterEvent.id, RegisterEvent.at, RegisterEvent.rule_id,
                   RegisterEvent.reason)
            .where(RegisterEvent.entry_id == entry_id,
                   RegisterEvent.to_status == "non_realised")
            .order_by(RegisterEvent.id).limit(1)).first()
        changes = _level_changes(s, level)
        ref_audit = _refusal_audit_id(s, entry_id) if refusal is not None else None
        # The register at the refusal: every entry's last status up to that event (REG-02).
        status: dict[int, tuple[str, str]] = {}
        if refusal is not None:
            for eid, contingent, over, ev_at, ev_id, to_status in s.execute(
                    select(RegisterEntry.id, RegisterEntry.contingent,
                           RegisterEntry.overcapacity_category, RegisterEvent.at,
                           RegisterEvent.id, RegisterEvent.to_status)
                    .join(RegisterEvent, RegisterEvent.entry_id == RegisterEntry.id)
                    .where(RegisterEntry.level_id == level.id, RegisterEvent.at <= refusal.at)
                    .order_by(RegisterEvent.at, RegisterEvent.id)).all():
                if over is None and to_status and (ev_at, ev_id) <= (refusal.at, refusal.id):
                    status[eid] = (to_status, contingent)
        current_seated = (level.seated_indicator, level.seated_non_indicator)
        current_capacity, ratio, rounding = level.capacity, level.indicator_ratio, level.rounding
        regime = level.regime
    if refusal is None:
        return {"at": None, "capacity": current_capacity, "seated": sum(current_seated),
                "realised": None, "double_contingent": None, "raised_since": []}

    def before(c: _Change) -> bool:
        if ref_audit is not None and c.audit_id is not None:
            return c.audit_id < ref_audit
        return c.at <= refusal.at

    capacity_then = _value_at(changes, "capacity", before, current_capacity)
    seated = _value_at(changes, "seated", before, current_seated) or current_seated
    realised = {"indicator": 0, "non_indicator": 0}
    for st, contingent in status.values():
        if st == "realised":
            realised[contingent] = realised.get(contingent, 0) + 1
    double = None
    if (regime == "old" and refusal.rule_id == "REG-05" and ratio is not None
            and capacity_then is not None):
        # REG-05: both contingents full at the close of the priority period.
        ind = max(0, min(capacity_then, round_seats(capacity_then * ratio, rounding)))
        seats = {"indicator": ind, "non_indicator": capacity_then - ind}
        taken = {"indicator": seated[0] + realised["indicator"],
                 "non_indicator": seated[1] + realised["non_indicator"]}
        double = {"seats": seats, "taken": taken, "ratio": ratio, "rounding": rounding}
    raised = [{"from": c.before, "to": c.after, "on": c.at,
               "ref": (c.decision.decision_ref or "") if c.decision else ""}
              for c in changes if c.kind == "capacity" and not before(c)
              and c.after is not None and c.before is not None and c.after > c.before]
    return {"at": moment or refusal.at, "capacity": capacity_then,
            "seated": seated[0] + seated[1], "realised": sum(realised.values()),
            "double_contingent": double, "raised_since": raised,
            "current_capacity": current_capacity}


def _default_grounds(reason: str | None, level: dict[str, Any], entry: dict[str, Any],
                     facts: dict[str, Any]) -> tuple[str, str]:
    """Draft motivation and factual ground from the register's reason (NGI-01), with the
    level as it was at the refusal."""
    capacity = facts["capacity"]
    where = (f"{level['name']} in {level['school']['name']} voor het schooljaar "
             f"{level['school_year_label']}")
    asked = (f"De aanvraag tot inschrijving werd geregistreerd op "
             f"{fmt_datetime(entry['requested_at'])} onder nummer {entry['seq']} van het "
             f"inschrijvingsregister.")
    when = fmt_datetime(facts["at"]) if facts.get("at") else ""
    taken = ""
    if facts.get("realised") is not None:
        taken = (f"{facts['seated']} zittende "
                 f"{'leerling' if facts['seated'] == 1 else 'leerlingen'} en "
                 f"{facts['realised']} gerealiseerde "
                 f"{'inschrijving' if facts['realised'] == 1 else 'inschrijvingen'}")
    double = facts.get("double_contingent")
    if reason == "capacity" and double:
        seats, used = double["seats"], double["taken"]
        return (f"Bij de afsluiting van de voorrangsperiode waren beide contingenten van "
                f"{where} volzet (dubbele contingentering): er is geen plaats voor uw kind.",
                f"{asked} Bij de weigering op {when} bedroeg de capaciteit {capacity} "
                f"plaatsen, verdeeld in een contingent van {seats['indicator']} plaatsen voor "
                f"indicatorleerlingen en een contingent van {seats['non_indicator']} plaatsen "
                f"voor niet-indicatorleerlingen. Beide contingenten waren volzet: "
                f"{used['indicator']} van de {seats['indicator']} plaatsen voor "
                f"indicatorleerlingen en {used['non_indicator']} van de "
                f"{seats['non_indicator']} plaatsen voor niet-indicatorleerlingen waren "
                f"ingenomen. De uitgestelde aanvragen die dan overbleven, werden in de "
                f"volgorde van het register niet gerealiseerd.")
    at_refusal = f"Op het moment van de weigering ({when})" if when else "Op dat moment"
    if reason == "capacity" and entry.get("source") == "allocation":
        return (f"In de aanmeldingsprocedure kon aan uw kind geen plaats worden toegewezen in "
                f"{where}: de capaciteit van {capacity} plaatsen is bereikt.",
                f"{asked} Bij de toewijzing werden alle {capacity} plaatsen ingenomen door "
                f"kinderen die volgens de ordening vóór uw kind kwamen.")
    if reason == "capacity":
        return (f"De capaciteit van {where} is bereikt: er is geen vrije plaats voor uw kind.",
                f"{asked} {at_refusal} bedroeg de capaciteit {capacity} plaatsen en waren "
                f"alle {capacity} plaatsen ingenomen"
                + (f" ({taken})." if taken else "."))
    if reason == "full_declaration":
        return (f"{where} werd door het schoolbestuur volzet verklaard.",
                f"{asked} {at_refusal} gold de volzetverklaring en was er geen vrije plaats "
                f"(capaciteit {capacity}).")
    if reason == "waiting_list":
        return (f"De vrije plaats in {where} gaat eerst naar de kinderen die al op de wachtlijst "
                f"staan.",
                f"{asked} Kinderen die eerder geweigerd werden, hebben voorrang op die plaats "
                f"(capaciteit {capacity} op het moment van de weigering).")
    return "", ""


def notice_context(db: Database, entry_id: int, *, signed_on: date | None,
                   motivation: str | None = None, legal_ground: str | None = None,
                   factual_ground: str | None = None, signed_by: str = "",
                   generated_at: datetime | None = None) -> dict[str, Any]:
    """Everything NGI-01 names for the refusal of one register entry.

    Motivation, legal and factual ground are drafted from the register's reason when not
    given; an explicit empty text counts as missing. The capacity is the one in force at
    the refusal, not today's (a later raise does not rewrite the refusal).
    """
    from lopdesk.domain import registers

    with db.read() as s:
        require(s, db.user, "read")
        entry = get_or_404(s, RegisterEntry, entry_id, "inschrijving")
        level = get_or_404(s, CapacityLevel, entry.level_id, "capaciteitsniveau")
        school = get_or_404(s, School, level.school_id, "school")
        area = get_or_404(s, Area, school.area_id, "gebied")
        child = get_or_404(s, Child, entry.child_id, "kind")
        e = {"id": entry.id, "seq": entry.seq, "requested_at": entry.requested_at,
             "status": entry.status, "reason": entry.reason, "source": entry.source,
             "priority_group": entry.priority_group, "contingent": entry.contingent,
             "waitlist_position": entry.waitlist_position}
        head = _level_head(level, school)
        area_d = {"id": area.id, "name": area.name, "education": area.education,
                  "in_lop": area.in_lop}
        child_d = {"id": child.id, "name": f"{child.first_name} {child.last_name}".strip(),
                   "birth_date": child.birth_date}
        parents_address = child.address
        chair, clr = area.chair_contact, area.clr_contact
        mandated = school.mandates_lop_notices
    if e["status"] != "non_realised":
        raise RuleViolation(
            f"een mededeling van niet-gerealiseerde inschrijving kan enkel voor een "
            f"niet-gerealiseerde inschrijving; nr. {e['seq']} is "
            f"{STATUS.get(e['status'], e['status'])}.", rule="NGI-01", field="entry")
    capacity_reason = (e["reason"] or "capacity") in CAPACITY_REASONS
    position = deadline = None
    if capacity_reason:
        waiting = registers.waiting_list(db, level.id)
        deadline = waiting.deadline
        for i, row in enumerate(waiting.entries, 1):
            if row.id == entry_id:
                position = i
                break
    facts = refusal_facts(db, entry_id)
    default_motivation, default_facts = _default_grounds(
        e["reason"] or "capacity", head, e, facts)
    ctx: dict[str, Any] = {
        "meta": _meta(db, "Mededeling van niet-gerealiseerde inschrijving", generated_at),
        "entry": e, "level": head, "area": area_d, "child": child_d,
        "reason_label": REASON.get(e["reason"] or "", e["reason"] or ""),
        "capacity_reason": capacity_reason, "in_lop": area.in_lop,
        "motivation": default_motivation if motivation is None else motivation,
        "legal_ground": LEGAL_GROUND.get((area.education, level.regime), "")
        if legal_ground is None else legal_ground,
        "factual_ground": default_facts if factual_ground is None else factual_ground,
        "requested_at": e["requested_at"],
        "register_seq": e["seq"],
        "register_position": position,
        "waitlist_deadline": deadline,
        "capacity": facts["capacity"],  # NGI-01: at the refusal
        "refusal": facts,
        "chair_contact": chair, "clr_contact": clr, "parents_address": parents_address,
        "signed_on": signed_on, "signed_by": signed_by,
        "clr_deadline": signed_on + timedelta(days=CLR_COMPLAINT_DAYS) if signed_on else None,
        "mandated": mandated,
    }
    return ctx


def check_notice(ctx: dict[str, Any]) -> None:
    """NGI-01: refuse, naming every missing field."""
    missing = missing_notice_fields(ctx)
    if missing:
        raise IncompleteNotice(missing)


def render_notice_context(ctx: dict[str, Any], fmt: str = "html",
                          templates_dir: Path | None = None) -> str:
    check_notice(ctx)
    return render_context("notice", fmt, ctx, templates_dir)


def render_notice(db: Database, entry_id: int, fmt: str = "html", **kw: Any) -> str:
    """The refusal notice of a non-realised entry; refuses when incomplete (NGI-01)."""
    template_name("notice", fmt)
    ctx = notice_context(db, entry_id, **kw)
    check_notice(ctx)
    _audit_document(db, "notice", "register_entry", entry_id,
                    {"format": fmt, "signed_on": str(ctx["signed_on"])})
    return render_context("notice", fmt, ctx, db.settings.templates_dir)


# --- LOP report ------------------------------------------------------------------------------


def dissimilarity(pairs: list[tuple[int, int]]) -> float | None:
    """Duncan's index D = ½ Σ |aᵢ/A − bᵢ/B| over schools (a = indicator, b = other pupils)."""
    total_a = sum(a for a, _ in pairs)
    total_b = sum(b for _, b in pairs)
    if total_a == 0 or total_b == 0:
        return None
    return 0.5 * sum(abs(a / total_a - b / total_b) for a, b in pairs)


def _share(ind: int, other: int) -> float | None:
    return ind / (ind + other) if ind + other else None


def report_context(db: Database, area_id: str, school_year: int, *,
                   generated_at: datetime | None = None) -> dict[str, Any]:
    """Counters, the free-places board, refusals (children once) and the social mix."""
    with db.read() as s:
        require(s, db.user, "read")
        area = get_or_404(s, Area, area_id, "gebied")
        area_d = {"id": area.id, "name": area.name, "education": area.education,
                  "education_label": EDUCATION.get(area.education, area.education)}
        level_ids = list(s.execute(
            select(CapacityLevel.id).join(School, School.id == CapacityLevel.school_id)
            .where(School.area_id == area_id, CapacityLevel.school_year == school_year)
        ).scalars())
        ever_refused: list[tuple[str, str]] = []
        current: list[tuple[str, str, str]] = []
        if level_ids:
            ever_refused = [tuple(r) for r in s.execute(
                select(CapacityLevel.school_id, RegisterEntry.child_id).distinct()
                .join(RegisterEntry, RegisterEntry.level_id == CapacityLevel.id)
                .join(RegisterEvent, RegisterEvent.entry_id == RegisterEntry.id)
                .join(School, School.id == CapacityLevel.school_id)
                .where(School.area_id == area_id, CapacityLevel.school_year == school_year,
                       RegisterEvent.to_status == "non_realised")).all()]
            current = [tuple(r) for r in s.execute(
                select(CapacityLevel.school_id, RegisterEntry.child_id, RegisterEntry.status)
                .distinct()
                .join(RegisterEntry, RegisterEntry.level_id == CapacityLevel.id)
                .join(School, School.id == CapacityLevel.school_id)
                .where(School.area_id == area_id, CapacityLevel.school_year == school_year,
                       RegisterEntry.status.in_(["non_realised", "realised"]))).all()]
    counters = area_counters(db, area_id, school_year)
    placed = {c for _, c, st in current if st == "realised"}
    waiting_by_school: dict[str, set[str]] = {}
    for sid, cid, st in current:
        if st == "non_realised":
            waiting_by_school.setdefault(sid, set()).add(cid)
    refused_by_school: dict[str, set[str]] = {}
    for sid, cid in ever_refused:
        refused_by_school.setdefault(sid, set()).add(cid)
    schools: dict[str, dict[str, Any]] = {}
    for c in counters:
        sc = schools.setdefault(c.school_id, {
            "id": c.school_id, "name": c.school_name, "neighbourhood": c.neighbourhood,
            "levels": [], "ind": 0, "non": 0})
        sc["levels"].append({**asdict(c), "board": free_places_board(c.free_places_field),
                             "realised": c.realised, "seated": c.seated})
        sc["ind"] += c.seated_indicator + c.realised_indicator
        sc["non"] += c.seated_non_indicator + c.realised_non_indicator
    hoods: dict[str, list[int]] = {}
    for sc in schools.values():
        h = hoods.setdefault(sc["neighbourhood"], [0, 0])
        h[0] += sc["ind"]
        h[1] += sc["non"]
    area_ind = sum(sc["ind"] for sc in schools.values())
    area_non = sum(sc["non"] for sc in schools.values())
    area_share = _share(area_ind, area_non)
    school_rows = []
    for sc in schools.values():
        refused = refused_by_school.get(sc["id"], set())
        waiting = waiting_by_school.get(sc["id"], set())
        h_ind, h_non = hoods[sc["neighbourhood"]]
        school_rows.append({
            **sc,
            "pupils": sc["ind"] + sc["non"],
            "share": _share(sc["ind"], sc["non"]),
            "neighbourhood_share": _share(h_ind, h_non),
            "area_share": area_share,
            "refused_children": len(refused),
            "waiting_children": len(waiting),
            "refused_without_place": len(refused - placed),
        })
    all_refused = {cid for _, cid in ever_refused}
    all_waiting = {cid for _, cid, st in current if st == "non_realised"}
    hood_rows = [{"name": name, "indicator": v[0], "pupils": v[0] + v[1],
                  "share": _share(v[0], v[1])} for name, v in sorted(hoods.items())]
    totals = {k: sum(getattr(c, k) or 0 for c in counters) for k in (
        "capacity", "seated_indicator", "seated_non_indicator", "realised_indicator",
        "realised_non_indicator", "deferred_indicator", "deferred_non_indicator",
        "non_realised_indicator", "non_realised_non_indicator", "withdrawn", "overcapacity",
        "free_places")}
    # The chart: one bar per school, with neighbourhood and area marks (SVG and text).
    chart_rows = [{"name": r["name"], "share": r["share"] or 0.0,
                   "neighbourhood_share": r["neighbourhood_share"], "area_share": area_share}
                  for r in school_rows]
    return {
        "meta": _meta(db, "LOP-rapport", generated_at),
        "area": area_d, "school_year": school_year,
        "school_year_label": school_year_label(school_year),
        "schools": school_rows, "neighbourhoods": hood_rows, "totals": totals,
        "refusals": {"children": len(all_refused), "waiting_children": len(all_waiting),
                     "without_place": len(all_refused - placed),
                     "school_sum": sum(r["refused_children"] for r in school_rows)},
        "mix": {"indicator": area_ind, "pupils": area_ind + area_non, "share": area_share,
                "dissimilarity": dissimilarity([(r["ind"], r["non"]) for r in school_rows])},
        "chart": {"rows": chart_rows, "row_height": 22, "label_width": 260, "bar_width": 360,
                  "height": 22 * len(chart_rows) + 40},
    }


def render_report(db: Database, area_id: str, school_year: int, fmt: str = "html",
                  **kw: Any) -> str:
    name = template_name("report", fmt)
    ctx = report_context(db, area_id, school_year, **kw)
    env = environment(db.settings.templates_dir)
    return env.get_template(name).render(**ctx)


# --- proces-verbaal of an allocation run (ALC-05) ------------------------------------------

# Dutch labels of the engine's codes, for the PV and `allocate explain` (the engine and its
# files keep the codes; formats.md).
PRECEDENCE_LABEL = {
    "priority_first": "eerst voorrangsgroepen",
    "contingent": "dubbele contingentering (indicator / niet-indicator)",
}
CRITERION_LABEL = {
    "random": "toeval",
    "distance": "afstand (dichtstbij eerst)",
    "rank+random": "eerst keuzevolgorde, dan toeval",
    "rank+distance": "eerst keuzevolgorde, dan afstand",
}
GROUP_LABEL = {
    "sibling_staff": "broer/zus en kind van personeel",
    "sibling": "broer/zus",
    "staff": "kind van personeel",
    "none": "geen voorrang",
}
TIEBREAK_LABEL = {
    "single": "één getal per kind (single tie-break)",
    "multiple": "één getal per kind en school (multiple tie-break)",
}
LOTTERY_LABEL = {
    "drawn from seed and child id": "afgeleid van seed en kind-id",
    "given": "gegeven in de invoer",
}
OPTION_LABEL = {"tiebreak": "loting", "improve": "verbeteringscycli", "lottery": "lotnummers"}
COUNT_LABEL = {
    "applications": "aanmeldingen", "children": "kinderen", "levels": "niveaus",
    "places": "plaatsen", "placed": "met een toewijzing", "unplaced": "zonder toewijzing",
    "first_choice": "toewijzing eerste keuze", "proposals": "voorstellen",
    "da_rounds": "rondes uitgestelde aanvaarding", "improvement_cycles": "verbeteringscycli",
    "improved_children": "kinderen beter af door verbetering",
}
_CUTOFF = re.compile(r"\b(sibling_staff|sibling|staff|none) #(\d+)\b")


def group_label(code: str | None) -> str:
    return GROUP_LABEL.get(code or "", code or "")


def priority_order_label(order: str | None) -> str:
    """'sibling_staff>sibling>staff' as 'broer/zus en kind van personeel > broer/zus > ...'."""
    groups = [g.strip() for g in (order or "").split(">") if g.strip()]
    return " > ".join(group_label(g) for g in groups) if groups else "geen voorrang"


def cutoff_label(text: str | None) -> str:
    """An engine cut-off ('none #30') in Dutch ('geen voorrang, nr. 30'), also inside a
    sentence; text that is already Dutch stays as it is."""
    return _CUTOFF.sub(lambda m: f"{group_label(m.group(1))}, nr. {m.group(2)}", text or "")


def _option_value(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return _yesno(value)
    if key == "tiebreak":
        return TIEBREAK_LABEL.get(str(value), str(value))
    if key == "lottery":
        return LOTTERY_LABEL.get(str(value), str(value))
    return "" if value is None else str(value)


def option_rows(options: dict[str, Any]) -> list[dict[str, str]]:
    """A run's options as Dutch label and value, in a fixed order (known ones first)."""
    keys = [k for k in OPTION_LABEL if k in options] + sorted(
        k for k in options if k not in OPTION_LABEL)
    return [{"key": k, "label": OPTION_LABEL.get(k, k), "value": _option_value(k, options[k])}
            for k in keys]


def count_rows(counts: dict[str, Any]) -> list[dict[str, Any]]:
    """The engine's plain counts (numbers and texts) with Dutch labels."""
    return [{"key": k, "label": COUNT_LABEL.get(k, k), "value": v}
            for k, v in sorted(counts.items())
            if isinstance(v, int | float | str) and not isinstance(v, bool)]



def _loads(text: str | None) -> Any:
    if not text:
        return {}
    try:
        return json.loads(text)
    except ValueError:
        return text


def _cutoffs(counts: Any) -> dict[str, str]:
    """Cut-offs as the engine reported them in the run's counts, when it did."""
    if not isinstance(counts, dict):
        return {}
    raw = counts.get("cutoffs") or counts.get("cutoff") or {}
    if isinstance(raw, dict):
        return {str(k): "" if v is None else str(v) for k, v in raw.items()}
    levels = counts.get("levels")
    if isinstance(levels, list):
        return {str(r.get("level_id")): str(r.get("cutoff") or "") for r in levels
                if isinstance(r, dict) and r.get("level_id")}
    return {}


def verify_run(db: Database, run_id: int) -> dict[str, Any]:
    """Re-run a stored run (ALC-05) and return the output hash and the levels' cut-offs."""
    import hashlib
    import tempfile

    from lopdesk.domain import allocation

    with tempfile.TemporaryDirectory(prefix="lopdesk-pv-") as tmp:
        out = Path(tmp) / "output"
        allocation.rerun_to_folder(db, run_id, out)
        digest = hashlib.sha256((out / "assignments.csv").read_bytes()).hexdigest()
        cutoffs: dict[str, str] = {}
        levels_file = out / "levels.csv"
        if levels_file.exists():
            for row in csv.DictReader(levels_file.read_text(encoding="utf-8").splitlines()):
                cutoffs[row.get("level_id", "")] = row.get("cutoff") or ""
    return {"output_hash": digest, "cutoffs": cutoffs}


def pv_context(db: Database, run_id: int, *, verify: bool = False,
               generated_at: datetime | None = None) -> dict[str, Any]:
    """Everything a notary signs and anyone needs to re-run: hashes, seed, options, engine
    version, counts, rank distribution, unplaced children, cut-offs. With `verify` the run
    is re-run first: the PV then says whether the output hash is the same, and it takes
    the cut-offs from the re-run when the run record did not keep them."""
    with db.read() as s:
        require(s, db.user, "read")
        run = get_or_404(s, AllocationRun, run_id, "allocatierun")
        rnd = get_or_404(s, AllocationRound, run.round_id, "ronde")
        area = s.get(Area, rnd.area_id)
        levels = s.execute(
            select(RoundLevel, CapacityLevel.name, CapacityLevel.label, School.name)
            .join(CapacityLevel, CapacityLevel.id == RoundLevel.level_id)
            .join(School, School.id == CapacityLevel.school_id)
            .where(RoundLevel.round_id == rnd.id).order_by(RoundLevel.level_id)).all()
        waitlisted = Counter(s.execute(select(AllocationWaitlist.level_id)
                                       .where(AllocationWaitlist.run_id == run_id)).scalars())
        assignments = list(csv.DictReader(run.assignments_csv.splitlines()))
        child_ids = sorted({a["child_id"] for a in assignments})
        indicator: dict[str, bool] = {}
        for start in range(0, len(child_ids), 5000):
            indicator.update(s.execute(select(Child.id, Child.indicator).where(
                Child.id.in_(child_ids[start:start + 5000]))).all())
        run_d = {k: getattr(run, k) for k in (
            "id", "round_id", "status", "replaced_by", "seed", "tiebreak", "improve",
            "engine_version", "input_hash", "output_hash", "started_at", "ended_at", "user")}
        round_d = {"id": rnd.id, "name": rnd.name, "school_year": rnd.school_year,
                   "school_year_label": school_year_label(rnd.school_year),
                   "area_id": rnd.area_id, "area_name": area.name if area else rnd.area_id}
    options = _loads(run.options)
    counts = _loads(run.counts)
    hashes = _loads(run.input_hash)
    input_hashes = ([{"file": k, "sha256": v} for k, v in sorted(hashes.items())]
                    if isinstance(hashes, dict) else [{"file": "", "sha256": str(hashes)}])
    ranks: Counter[int] = Counter()
    unplaced: list[str] = []
    assigned: Counter[str] = Counter()
    assigned_ind: Counter[str] = Counter()
    for a in assignments:
        if a.get("level_id"):
            assigned[a["level_id"]] += 1
            assigned_ind[a["level_id"]] += 1 if indicator.get(a["child_id"]) else 0
            if a.get("choice_rank"):
                ranks[int(a["choice_rank"])] += 1
        else:
            unplaced.append(a["child_id"])
    n = len(assignments)
    cutoffs = _cutoffs(counts)
    verification = None
    if verify:
        check = verify_run(db, run_id)
        verification = {"output_hash": check["output_hash"],
                        "matches": check["output_hash"] == run_d["output_hash"]}
        cutoffs = cutoffs or check["cutoffs"]
    level_rows = [{
        "level_id": rl.level_id, "name": lname or label, "school": sname,
        "capacity": rl.capacity, "reserved_indicator": rl.reserved_indicator,
        "reserved_non_indicator": rl.reserved_non_indicator, "precedence": rl.precedence,
        "criterion": rl.criterion, "priority_order": rl.priority_order,
        "precedence_label": PRECEDENCE_LABEL.get(rl.precedence, rl.precedence),
        "criterion_label": CRITERION_LABEL.get(rl.criterion, rl.criterion),
        "priority_order_label": priority_order_label(rl.priority_order),
        "assigned": assigned.get(rl.level_id, 0),
        "assigned_indicator": assigned_ind.get(rl.level_id, 0),
        "waitlisted": waitlisted.get(rl.level_id, 0),
        "cutoff": cutoffs.get(rl.level_id, ""),
        "cutoff_label": cutoff_label(cutoffs.get(rl.level_id, "")),
    } for rl, lname, label, sname in levels]
    return {
        "meta": _meta(db, "Proces-verbaal van een toewijzing", generated_at),
        "run": run_d, "round": round_d,
        "options": options if isinstance(options, dict) else {"": options},
        "option_rows": option_rows(options if isinstance(options, dict) else {"": options}),
        "counts": counts if isinstance(counts, dict) else {"": counts},
        "count_rows": count_rows(counts if isinstance(counts, dict) else {"": counts}),
        "tiebreak_label": TIEBREAK_LABEL.get(run.tiebreak, run.tiebreak),
        "input_hashes": input_hashes,
        "children": n, "placed": n - len(unplaced), "unplaced": unplaced,
        "rank_distribution": [{"rank": r, "children": ranks[r],
                               "share": ranks[r] / n if n else None} for r in sorted(ranks)],
        "levels": level_rows,
        "cutoffs_known": bool(cutoffs),
        "verification": verification,
    }


def render_pv(db: Database, run_id: int, fmt: str = "html", **kw: Any) -> str:
    name = template_name("pv", fmt)
    ctx = pv_context(db, run_id, **kw)
    env = environment(db.settings.templates_dir)
    return env.get_template(name).render(**ctx)


# --- mediation case summary (MED-02) --------------------------------------------------------

CASE_OUTCOME = {
    "same_school": "ingeschreven in dezelfde school",
    "other_school": "ingeschreven in een andere school",
    "no_agreement": "geen akkoord",
    "withdrawn": "ingetrokken",
}
CASE_LISTS = ("schools", "notices", "parties", "meetings", "proposals")


def case_context(case: dict[str, Any], *, generated_at: datetime | None = None,
                 user: str = "") -> dict[str, Any]:
    """A case summary from a plain dict (works before and after the mediation tables):
    missing keys become empty so a template never fails on an absent part."""
    c: dict[str, Any] = {
        "id": "", "child": {}, "level": "", "trigger": "", "opened_on": None,
        "status": "", "clr_complaint": "", "outcome": "", "closed_on": None, "notes": "",
    }
    c.update({k: v for k, v in case.items() if v is not None})
    for key in CASE_LISTS:
        c[key] = list(c.get(key) or [])
    child = c.get("child") or {}
    if isinstance(child, str):
        child = {"id": child}
    c["child"] = {"id": child.get("id", ""), "name": child.get("name", ""),
                  "birth_date": child.get("birth_date")}
    c["outcome_label"] = CASE_OUTCOME.get(c["outcome"], c["outcome"])
    for key in ("opened_on", "closed_on"):
        if isinstance(c[key], str) and c[key]:
            c[key] = date.fromisoformat(c[key][:10])
    return {"meta": {"title": "Samenvatting bemiddelingsdossier",
                     "generated_at": generated_at or utcnow(), "generated_by": user,
                     "version": __version__},
            "case": c}


def case_from_view(view: Any) -> dict[str, Any]:
    """lopdesk.domain.mediation's CaseView as the plain dict the case templates read."""
    from lopdesk.domain import mediation

    def label(table: str, code: str | None) -> str:
        return getattr(mediation, table, {}).get(code or "", code or "")

    schools: list[str] = []
    for r in view.refusals:
        if r.school_name not in schools:
            schools.append(r.school_name)
    return {
        "id": str(view.id),
        "child": {"id": view.child_id, "name": view.child_name},
        "level": ", ".join(sorted({r.level_id for r in view.refusals})),
        "trigger": label("CASE_TRIGGER", view.trigger)
        + (f" ({label('REFUSAL_REASON', view.reason)})" if view.reason else ""),
        "opened_on": view.request_on or view.opened_at.date(),
        "status": label("CASE_STATUS", view.status),
        "schools": [{"name": n} for n in schools],
        "notices": [{"school": r.school_name,
                     "date": f"nr. {r.seq}, mededeling {fmt_date(r.delivered_on)}",
                     "mode": (f"klacht CLR tot {fmt_date(r.clr_deadline)}"
                              + (" (laattijdig)" if r.late else ""))}
                    for r in view.refusals if r.notice_id is not None],
        "parties": [{"role": label("PARTY_ROLE", p.role), "name": p.name}
                    for p in view.parties],
        "meetings": [{"date": fmt_date(ev.occurred_on or ev.at),
                      "summary": f"{label('EVENT_KIND', ev.kind)}: {ev.text}"}
                     for ev in view.timeline],
        "proposals": [{"school": p.school_name, "date": fmt_date(p.proposed_at),
                       "answer": label("ANSWER", p.answer) if p.answer else "open"}
                      for p in view.proposals],
        "clr_complaint": (f"ingediend op {fmt_date(view.clr_complaint_on)}"
                          + (f": {view.clr_complaint_note}" if view.clr_complaint_note else "")
                          if view.clr_complaint_on else ""),
        "outcome": view.outcome or "",
        "closed_on": view.closed_at.date() if view.closed_at else None,
    }


def load_case(db: Database, case_id: str) -> dict[str, Any]:
    """The case from lopdesk.domain.mediation when that module exists (MED-02)."""
    import importlib
    import importlib.util

    if importlib.util.find_spec("lopdesk.domain.mediation") is None:
        raise NotFound("bemiddelingsdossiers zijn nog niet beschikbaar in deze versie; "
                       "geef het dossier als JSON-bestand (--data).", field="case")
    mediation: Any = importlib.import_module("lopdesk.domain.mediation")
    if not str(case_id).isdigit():
        raise InvalidInput(f"'{case_id}' is geen dossiernummer.", field="case")
    return case_from_view(mediation.get_case(db, int(case_id)))


def render_case(db: Database, case_id: str | None = None, fmt: str = "html", *,
                case: dict[str, Any] | None = None,
                generated_at: datetime | None = None) -> str:
    name = template_name("case", fmt)
    data = case if case is not None else load_case(db, case_id or "")
    ctx = case_context(data, generated_at=generated_at, user=db.user)
    _audit_document(db, "case", "mediation_case", ctx["case"]["id"] or case_id or "",
                    {"format": fmt})
    env = environment(db.settings.templates_dir)
    return env.get_template(name).render(**ctx)
