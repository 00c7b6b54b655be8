"""The summary of a mediation case (MED-02) for the parties, from the mediation module's
view or from a plain dict (a JSON file)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from lopdesk.db import Database
from lopdesk.domain.errors import InvalidInput
from lopdesk.domain.extracts.environment import (
    audit_document,
    meta,
    render_document,
    template_name,
)
from lopdesk.labels import CASE_OUTCOME, fmt_date, local_day, proposal_answer

CASE_LISTS = ("schools", "notices", "parties", "meetings", "proposals")


def case_context(case: dict[str, Any], *, generated_at: datetime | None = None,
                 user: str = "") -> dict[str, Any]:
    """A case summary from a plain dict (a JSON file or case_from_view):
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
    return {"meta": meta(user, "Samenvatting bemiddelingsdossier", generated_at), "case": c}


def _event_summary(kind: str, text: str) -> str:
    """'overleg: …'; a text that starts with its kind already ('geopend op vraag van …')
    is not prefixed twice."""
    return text if text.lower().startswith(kind.lower()) else f"{kind}: {text}"


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
        # in words, with the code a colleague finds it by in the register
        "level": ", ".join(sorted({f"{r.level_words or r.level_id} ({r.level_id})"
                                   for r in view.refusals})),
        "trigger": label("CASE_TRIGGER", view.trigger)
        + (f" ({label('REFUSAL_REASON', view.reason)})" if view.reason else ""),
        "opened_on": view.request_on or local_day(view.opened_at),
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
                      "summary": _event_summary(label("EVENT_KIND", ev.kind), ev.text)}
                     for ev in view.timeline],
        "proposals": [{"school": p.school_name, "date": fmt_date(p.proposed_at),
                       "answer": proposal_answer(p.answer, view.status)}
                      for p in view.proposals],
        "clr_complaint": (f"ingediend op {fmt_date(view.clr_complaint_on)}"
                          + (f": {view.clr_complaint_note}" if view.clr_complaint_note else "")
                          if view.clr_complaint_on else ""),
        "outcome": view.outcome or "",
        "closed_on": local_day(view.closed_at) if view.closed_at else None,
    }


def load_case(db: Database, case_id: str) -> dict[str, Any]:
    """The case as lopdesk.domain.mediation keeps it (MED-02)."""
    from lopdesk.domain import mediation

    if not str(case_id).isdigit():
        raise InvalidInput(f"'{case_id}' is geen dossiernummer.", field="case")
    return case_from_view(mediation.get_case(db, int(case_id)))


def render_case(db: Database, case_id: str | None = None, fmt: str = "html", *,
                case: dict[str, Any] | None = None,
                generated_at: datetime | None = None) -> str | bytes:
    template_name("case", fmt)
    data = case if case is not None else load_case(db, case_id or "")
    ctx = case_context(data, generated_at=generated_at or db.now(), user=db.user)
    audit_document(db, "case", "mediation_case", ctx["case"]["id"] or case_id or "",
                    {"format": fmt})
    return render_document(db, "case", fmt, ctx)
