"""The notice of a non-realised enrolment (NGI-01, NGI-03, NGI-04): what it must state, the
level as it was at the refusal, the drafted grounds, and the guard that refuses an
incomplete notice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from lopdesk.db import Database
from lopdesk.domain.access import reading
from lopdesk.domain.areas import get_or_404
from lopdesk.domain.codes import CAPACITY_REASONS, CLR_DAYS
from lopdesk.domain.errors import RuleViolation
from lopdesk.domain.extracts.environment import (
    audit_document,
    loads,
    meta,
    render_context,
    render_document,
    template_name,
)
from lopdesk.domain.extracts.register import level_head
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
from lopdesk.labels import REASON, STATUS, fmt_datetime

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
        d = loads(detail)
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
        d = loads(detail)
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

    with reading(db) as s:
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

    with reading(db) as s:
        entry = get_or_404(s, RegisterEntry, entry_id, "inschrijving")
        level = get_or_404(s, CapacityLevel, entry.level_id, "capaciteitsniveau")
        school = get_or_404(s, School, level.school_id, "school")
        area = get_or_404(s, Area, school.area_id, "gebied")
        child = get_or_404(s, Child, entry.child_id, "kind")
        e = {"id": entry.id, "seq": entry.seq, "requested_at": entry.requested_at,
             "status": entry.status, "reason": entry.reason, "source": entry.source,
             "priority_group": entry.priority_group, "contingent": entry.contingent,
             "waitlist_position": entry.waitlist_position}
        head = level_head(level, school)
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
        "meta": meta(db.user, "Mededeling van niet-gerealiseerde inschrijving",
                     generated_at or db.now()),
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
        "clr_deadline": signed_on + timedelta(days=CLR_DAYS) if signed_on else None,
        "mandated": mandated,
    }
    return ctx


def check_notice(ctx: dict[str, Any]) -> None:
    """NGI-01: refuse, naming every missing field."""
    missing = missing_notice_fields(ctx)
    if missing:
        raise IncompleteNotice(missing)


def render_notice_context(ctx: dict[str, Any], fmt: str = "html",
                          templates_dir: Path | None = None) -> str | bytes:
    check_notice(ctx)
    return render_context("notice", fmt, ctx, templates_dir)


def render_notice(db: Database, entry_id: int, fmt: str = "html", **kw: Any) -> str | bytes:
    """The refusal notice of a non-realised entry; refuses when incomplete (NGI-01)."""
    template_name("notice", fmt)
    ctx = notice_context(db, entry_id, **kw)
    check_notice(ctx)
    audit_document(db, "notice", "register_entry", entry_id,
                    {"format": fmt, "signed_on": str(ctx["signed_on"])})
    return render_document(db, "notice", fmt, ctx, lop_name=ctx["area"]["name"])

