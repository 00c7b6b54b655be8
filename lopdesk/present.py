"""Results in Dutch lines, one wording for the CLI and the app.

Each function turns a domain result (a fill report, a capacity decision, a period-closing
plan, a mediation case) into plain text lines; the CLI prints them, the screens show them
in a dialog, a notification or a panel. No printing and no Textual here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from lopdesk.labels import (
    CONTINGENT,
    DECISION_STATUS,
    EXPLAIN_OUTCOME,
    FILL_ACTION,
    OFFER_EVENT,
    PERIOD_PHASE,
    PRIORITY_GROUP,
    STATUS,
    contingent_counts,
    fmt_date,
    fmt_datetime,
    label,
    level_words,
    plural,
    proposal_answer,
)

if TYPE_CHECKING:
    from lopdesk.domain.allocation_queries import RunNames
    from lopdesk.domain.capacity import RaiseOutcome
    from lopdesk.domain.mediation import CaseView, NoticeView, RefusalRow
    from lopdesk.domain.registers import ClosePlan, EntryView, FillReport, FillStep
    from lopdesk.matching.explain import Explanation

NOTHING_TO_OFFER = "Geen vrijgekomen plaatsen aan te bieden."
NOBODY_GETS_A_PLACE = ("Niemand op de wachtlijst krijgt een plaats (geen wachtenden of de "
                       "volgorde bindt niet meer).")
PREVIEW = "VOORBEELD — niets gewijzigd. "


# --- filling freed places (WL-01..03) ---------------------------------------------------


def withdrawn(view: EntryView, how_to_offer: str) -> str:
    """REG-03: 'nr. 3 ingetrokken.', and how to offer the place only when one was freed."""
    text = f"nr. {view.seq} ingetrokken."
    if view.freed_place:
        return text + f" De vrijgekomen plaats biedt u aan {how_to_offer} (WL-01)."
    return text + " Er kwam geen plaats vrij (de inschrijving was niet gerealiseerd)."


def fill_step(step: FillStep, places: dict[str, str] | None = None) -> str:
    """One step: who, on which level (in words: `places`, FillReport.places) and number,
    what happened and by which rule."""
    where = (places or {}).get(step.level_id, step.level_id)
    return (f"{where} nr. {step.seq}: {step.child_name} ({step.child_id}) — "
            f"{label(FILL_ACTION, step.action)} [{step.rule}] {step.why}")


def fill_lines(report: FillReport, *, indent: str = "", empty: str = NOTHING_TO_OFFER
               ) -> list[str]:
    """Every step of filling freed places, then the levels whose order no longer binds."""
    lines = [indent + fill_step(st, report.places) for st in report.steps]
    if report.preview:
        lines.insert(0, indent + PREVIEW.strip())
    if not report.steps:
        lines.append(indent + empty)
    lines += [f"{indent}{report.places.get(lv, lv)}: na de uiterste datum; vrije plaatsen "
              "zijn gewoon vrij (WL-01)" for lv in report.skipped]
    return lines


def fill_summary(report: FillReport) -> str:
    """A fill report on one line (for a notification)."""
    return "; ".join(fill_step(st, report.places) for st in report.steps) or NOTHING_TO_OFFER


def _notice_step(ev: Any) -> str:
    from lopdesk.labels import NOTICE_MODE, NOTICE_SENDER

    return (f"mededeling {label(NOTICE_MODE, ev.delivery_mode)} bezorgd op "
            f"{fmt_date(ev.delivered_on)} door {label(NOTICE_SENDER, ev.sent_by)}"
            + (", te laat" if ev.late else ""))


def history_lines(steps: Iterable[Any]) -> list[str]:
    """A register line's history (REG-02) with the offers made to it (WL-01), in time
    order: 'moment  who: what [rule]', a reason on the line under it."""
    lines = []
    for ev in steps:
        rule = f" [{ev.rule_id}]" if ev.rule_id else ""
        if hasattr(ev, "delivered_on"):  # the refusal notice's delivery (NGI-02)
            what = _notice_step(ev)
        elif hasattr(ev, "offer_id"):  # a step of an offer
            what = label(OFFER_EVENT, ev.kind)
            if ev.kind == "offered" and ev.reply_by is not None:
                what += f", antwoord t.e.m. {fmt_date(ev.reply_by)}"
        elif ev.kind == "status":
            what = (f"{STATUS.get(ev.from_status or '', '—')} → "
                    f"{STATUS.get(ev.to_status or '', '')}")
        else:
            what = f"ingeschreven: {STATUS.get(ev.to_status or '', '')}"
        who = f"{ev.user}: " if ev.user else ""
        lines.append(f"{fmt_datetime(ev.at)}  {who}{what}{rule}")
        if ev.reason:
            lines.append(f"    {ev.reason}")
    return lines


# --- capacity decisions (CAP-03) ----------------------------------------------------------


def _place(places: dict[str, str], level_id: str) -> str:
    """'De Linde · leerjaar 1 · 2026-2027:' (its code only when its words are not known)."""
    return f"{places[level_id]}:" if level_id in places else level_id


def decision_lines(outcome: RaiseOutcome, *, preview: bool = False) -> list[str]:
    """A decision on a capacity raise and where the new places went (WL-01, WL-03)."""
    head = "VOORBEELD (niets gewijzigd, iedereen aanvaardt): " if preview else ""
    return ([f"{head}aanvraag {outcome.decision_id}: "
             f"{label(DECISION_STATUS, outcome.status)}; "
             f"{_place(outcome.cascade.places, outcome.level_id)} capaciteit "
             f"{outcome.capacity}"]
            + fill_lines(outcome.cascade, indent="  ", empty=NOBODY_GETS_A_PLACE))


# --- closing a priority period (REG-05) ---------------------------------------------------


def close_plan_lines(plan: ClosePlan, *, preview: bool = False) -> list[str]:
    """The seats per contingent and every status change the closing makes (or would make)."""
    lines = [(PREVIEW if preview else "")
             + f"Periode {plan.period_id} ({plan.place or plan.level_id}): "
             f"{len(plan.changes)} wijzigingen; "
             f"plaatsen per contingent: {contingent_counts(plan.seats)}; "
             f"vrij: {contingent_counts(plan.free_before)}"]
    for ch in plan.changes:
        who = f"{ch.child_name} ({ch.child_id})" if ch.child_name else ch.child_id
        lines.append(f"  Nr. {ch.seq}, {who}, {label(CONTINGENT, ch.contingent)}: "
                     f"{label(STATUS, ch.from_status)} → {label(STATUS, ch.to_status)}; "
                     f"[{ch.rule}] {ch.why}.")
    if not plan.changes:
        lines.append("  geen: er staan geen uitgestelde aanvragen open.")
    return lines


def period_group(kind: str, group: str | None) -> str:
    """Who a period admits: its priority group, every child by contingent, or everyone."""
    if kind == "free":
        return "iedereen (vrij)"
    return label(PRIORITY_GROUP, group) if group else "iedereen (contingenten)"


def period_state(p, now) -> str:
    """The period's phase at `now` (PeriodRow.phase) in words, with what the command line
    adds: 'afgesloten <moment>', and 'afgelopen, niet afgesloten' for a priority period."""
    phase = p.phase(now)
    if phase == "closed":
        return f"{PERIOD_PHASE['closed']} {fmt_datetime(p.closed_at)}"
    if phase == "ended" and p.kind == "priority":
        return f"{PERIOD_PHASE['ended']}, niet afgesloten"
    return label(PERIOD_PHASE, phase)


# --- mediation cases (MED-01..03) ----------------------------------------------------------


def _mediation_labels():  # the mediation tables are loaded only when a case is shown
    from lopdesk.domain import mediation

    return mediation


def case_status(view: CaseView) -> str:
    """'lopend' or 'afgesloten: andere school'."""
    m = _mediation_labels()
    status = label(m.CASE_STATUS, view.status)
    if view.outcome:
        status += f": {label(m.CASE_OUTCOME, view.outcome)}"
    return status


def case_title(view: CaseView) -> str:
    return f"Dossier {view.id} · {view.child_name} ({view.child_id}) · {case_status(view)}"


def case_opening(view: CaseView) -> str:
    """Why and when the case was opened."""
    m = _mediation_labels()
    trigger = label(m.CASE_TRIGGER, view.trigger)
    if view.request_on:
        trigger += f" ({view.requested_by}, {fmt_date(view.request_on)})"
    return (f"{trigger} · {label(m.REFUSAL_REASON, view.reason)} · geopend "
            f"{fmt_date(view.opened_at)} door {view.opened_by}")


def refusal_notice(r: RefusalRow) -> str:
    """NGI-01/04: the notice of a refusal and the CLR deadline it starts."""
    if not r.notice_id:
        return "geen mededeling geregistreerd"
    return (f"mededeling {fmt_date(r.delivered_on)}" + (" (laat)" if r.late else "")
            + f", CLR t.e.m. {fmt_date(r.clr_deadline)}")


def notice_recorded(n: NoticeView) -> str:
    """NGI-02..04: a recorded delivery of a refusal notice, in one sentence."""
    from lopdesk.labels import NOTICE_MODE

    text = (f"Mededeling voor {n.place or n.level_id} nr. {n.seq} vastgelegd: "
            f"{label(NOTICE_MODE, n.delivery_mode)} op {fmt_date(n.delivered_on)}, "
            f"{n.days_after_refusal} dagen na de weigering"
            + (" — te laat (NGI-02: binnen 4 kalenderdagen)" if n.late else "")
            + f". Klacht bij de CLR t.e.m. {fmt_date(n.clr_deadline)} (NGI-04).")
    if n.case_id:
        text += f" Bemiddelingsdossier {n.case_id}."
    return text


def case_lines(view: CaseView) -> list[str]:
    """The whole case: opening, refusals, parties, proposals and the timeline."""
    m = _mediation_labels()
    v = view
    lines = [f"Dossier {v.id}: {v.child_name} ({v.child_id}), gebied {v.area_id} — "
             f"{label(m.CASE_STATUS, v.status)}",
             "  " + case_opening(v)]
    if v.next_deadline:
        lines.append(f"  eerstvolgende termijn {fmt_date(v.next_deadline)}")
    if v.clr_complaint_on:
        lines.append(f"  klacht CLR  {fmt_date(v.clr_complaint_on)} {v.clr_complaint_note}")
    if v.outcome:
        lines.append(f"  uitkomst    {label(m.CASE_OUTCOME, v.outcome)}"
                     + (f" ({v.outcome_school_id})" if v.outcome_school_id else "")
                     + f", afgesloten {fmt_datetime(v.closed_at)} door {v.closed_by}")
    lines.append("Weigeringen:")
    lines += [f"  {r.school_name} {r.level_id} nr. {r.seq}: {label(STATUS, r.status)} "
              f"({label(m.REFUSAL_REASON, r.reason)}); {refusal_notice(r)}"
              for r in v.refusals]
    if v.parties:
        lines.append("Partijen:")
        lines += [f"  {label(m.PARTY_ROLE, p.role)}: {p.name} {p.contact}".rstrip()
                  for p in v.parties]
    if v.proposals:
        lines.append("Voorstellen:")
        lines += [f"  {p.id}: {p.school_name} ({p.level_id}) {fmt_date(p.proposed_at)} — "
                  + proposal_answer(p.answer, v.status) for p in v.proposals]
    lines.append("Tijdlijn:")
    lines += [f"  {fmt_datetime(e.at)}  {e.user:<12} {label(m.EVENT_KIND, e.kind):<10} "
              f"{e.text}" + (f"  [{e.rule_id}]" if e.rule_id else "") for e in v.timeline]
    return lines


# --- why a child got what it got (ALC-06) --------------------------------------------------

EXPLANATION_COLUMNS = [("choice_rank", "keuze"), ("level_id", "niveau"),
                       ("priority_group", "groep"), ("number", "nummer"), ("cutoff", "grens"),
                       ("outcome", "uitkomst"), ("position", "wachtlijst"), ("reason", "reden")]


def explanation_rows(rows: list[Explanation]) -> list[dict]:
    """The engine's explanation with Dutch values (its codes stay in --json; formats.md)."""
    from lopdesk.domain.documents import cutoff_label, group_label

    return [{**r.__dict__, "outcome": label(EXPLAIN_OUTCOME, r.outcome),
             "priority_group": group_label(r.priority_group),
             "cutoff": cutoff_label(r.cutoff), "reason": cutoff_label(r.reason)} for r in rows]


def explanation_lines(rows: list[Explanation], names: RunNames | None = None) -> list[str]:
    """The same explanation as lines: per level of the child's list its school, group,
    rank number and cut-off, then the outcome and why."""
    schools = names.schools if names is not None else {}
    lines = []
    for r in explanation_rows(rows):
        school = schools.get(r["level_id"])
        where = f", plaats {r['position']}" if r["position"] else ""
        lines += [f"Keuze {r['choice_rank']}: {r['level_id']}" + (f" · {school}" if school
                                                                  else ""),
                  f"  voorrangsgroep: {r['priority_group']} · rangnummer: {r['number']} · "
                  f"grens: {r['cutoff'] or '-'}",
                  f"  {r['outcome']}{where}: {r['reason']}"]
    return lines


EXPLANATION_LEGEND = ("Rangnummer: de plaats van het kind in de volgorde van dat niveau "
                      "(voorrangsgroep, criterium, loting). Grens: het rangnummer van het "
                      "laatst toegelaten kind. Plaats: de plaats op de wachtlijst.")


def explanation_title(child_id: str, names: RunNames | None = None) -> str:
    name = names.children.get(child_id) if names is not None else None
    return f"Uitleg voor {name}, {child_id} (ALC-06)" if name else \
        f"Uitleg voor {child_id} (ALC-06)"


def explanation_text(child_id: str, rows: list[Explanation],
                     names: RunNames | None = None) -> str:
    """The one explanation text of `allocate explain` and the app: a title, then per level
    of the child's list its group and rank number, the cut-off, the outcome and why; a
    legend of the numbers at the end."""
    return "\n".join([explanation_title(child_id, names), "",
                      *explanation_lines(rows, names), "", EXPLANATION_LEGEND])


def school_title(name: str, neighbourhood: str) -> str:
    """A school's name with its neighbourhood, unless the name already says it."""
    if not neighbourhood or neighbourhood.lower() in name.lower():
        return name
    return f"{name}, {neighbourhood}"


def level_title(c: Any) -> str:
    """A level (anything with kind, label, school_year) in words: 'leerjaar 1 · 2026-2027'."""
    return level_words(c.kind, c.label, c.school_year)


def school_names(levels: Iterable[Any], by_place: bool = False) -> dict[str, str]:
    """School id → the name a table shows: a name that several schools (sites) share gets
    the school's number, so they are told apart (`levels` carry school_id, school_name);
    by_place: it gets its neighbourhood instead (`levels` carry neighbourhood too), and the
    number only where the neighbourhood does not tell them apart either."""
    ids_of: dict[str, set[str]] = {}
    hood: dict[str, str] = {}
    for c in levels:
        ids_of.setdefault(c.school_name, set()).add(c.school_id)
        if by_place:
            hood.setdefault(c.school_id, c.neighbourhood)
    out: dict[str, str] = {}
    for name, ids in ids_of.items():
        placed = {sid: school_title(name, hood.get(sid, "")) for sid in ids}
        told_apart = by_place and len(set(placed.values())) == len(ids)
        for sid in ids:
            out[sid] = (name if len(ids) == 1 else placed[sid] if told_apart
                        else f"{name} ({sid})")
    return out


def no_candidate_text(held: list[Any]) -> str:
    """MED-03 found no school to propose: why, naming every level whose free place its
    waiting list takes first (WL-01; `held` carry place, free_places, waiting, until). The
    app and the CLI show this one text whole (it wraps)."""
    if not held:
        return ("Geen school van het gebied heeft nu een vrije plaats op het niveau van het "
                "kind (MED-03).")
    days = {h.until for h in held}
    one_day = len(days) == 1
    named = "; ".join(f"{h.place} ({h.free_places} vrij, {h.waiting} op de wachtlijst"
                      + ("" if one_day else f", tot en met {fmt_date(h.until)}") + ")"
                      for h in held)
    return ("Geen school kan het kind nu een plaats geven (MED-03): "
            f"{plural(len(held), 'niveau heeft', 'niveaus hebben')} een vrije plaats, maar "
            "die gaat eerst naar de kinderen op de eigen wachtlijst"
            + (f", tot en met {fmt_date(min(days))}" if one_day else "")
            + f" (WL-01): {named}.")


def decider(d: Any) -> str:
    """Who decided a capacity raise: the full name with the account, or the account alone
    when no full name is known ('Jan Peeters (jan)', 'root')."""
    name = (d.decided_by_name or "").strip()
    account = d.decided_by or ""
    return f"{name} ({account})" if name and name != account else account


def decision_words(d: Any, *, moment: bool = False) -> str:
    """A decided raise as a user reads it (CAP-03: id, date, who), then its reason:
    'LOP-20270415-3 · 15/04/2027 · Jan Peeters (jan): Extra klaslokaal'."""
    if d.decided_at is None:
        return ""
    when = fmt_datetime(d.decided_at) if moment else fmt_date(d.decided_at)
    head = " · ".join(x for x in (d.decision_ref or "", when, decider(d)) if x)
    return head + (f": {d.decision_reason}" if d.decision_reason else "")


def notice_already(n: NoticeView) -> str:
    """A line's refusal notice is recorded once (NGI-02): what was recorded, instead of an
    empty form that would be refused at the end."""
    from lopdesk.labels import NOTICE_MODE, NOTICE_SENDER

    return (f"De mededeling is al geregistreerd: {label(NOTICE_MODE, n.delivery_mode)} "
            f"bezorgd op {fmt_date(n.delivered_on)} door {label(NOTICE_SENDER, n.sent_by)}"
            + (", te laat (NGI-02)" if n.late else "")
            + f"; klacht bij de CLR t.e.m. {fmt_date(n.clr_deadline)} (NGI-04).")


def notice_lateness(refused_at: Any, due: Any, delivered_on: Any) -> str:
    """NGI-02 in the confirmation, before recording: a delivery after the due day is late."""
    if due is None or delivered_on <= due:
        return ""
    from lopdesk.labels import local_day

    days = (delivered_on - local_day(refused_at)).days
    return (f" Dat is {days} dagen na de weigering: te laat (NGI-02: binnen 4 kalenderdagen, "
            f"uiterlijk {fmt_date(due)}).")


def fill_counts(report: FillReport) -> str:
    """What filling new or freed places did, counted in words (WL-01..03): 'op de
    wachtlijst: 2 aangeboden, 1 gerealiseerd'; nothing done says so."""
    from lopdesk.labels import FILL_ACTION

    counts: dict[str, int] = {}
    for st in report.steps:
        counts[st.action] = counts.get(st.action, 0) + 1
    if not counts:
        return "niemand op de wachtlijst kreeg een plaats"
    return "op de wachtlijst: " + ", ".join(
        f"{n} {label(FILL_ACTION, action)}" for action, n in counts.items())
