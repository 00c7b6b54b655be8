"""`lopdesk case …`, `notice …`, `child show`: the mediation cell from the command line.

Refusal notices (NGI-02..04), mediation cases (MED-01..02), proposals (MED-03) and the
child's file, whose opening by a mediation-cell member is audited (domain §10).
"""

from __future__ import annotations

from datetime import date

import typer

from lopdesk.commands import common
from lopdesk.commands.dutch_help import choices
from lopdesk.labels import CASE_EVENT_KIND, distance

case_app = typer.Typer(help="Bemiddelingsdossiers: openen, opvolgen, voorstellen, afsluiten.",
                       no_args_is_help=True)
notice_app = typer.Typer(help="Mededelingen van niet-gerealiseerde inschrijving (MNGI).",
                         no_args_is_help=True)
child_app = typer.Typer(help="Het dossier van een kind.", no_args_is_help=True)

CASE_COLUMNS = [("id", "dossier"), ("child_id", "kind"), ("child_name", "naam"),
                ("status", "status"), ("trigger", "aanleiding"), ("reason", "reden"),
                ("opened_at", "geopend"), ("next_deadline", "eerstvolgende termijn"),
                ("schools", "weigerende scholen"), ("outcome", "uitkomst")]
NOTICE_COLUMNS = [("id", "id"), ("level_id", "niveau"), ("seq", "nr"), ("child_id", "kind"),
                  ("school_name", "school"), ("sent_by", "verstuurd door"),
                  ("delivery_mode", "wijze"), ("delivered_on", "datum"),
                  ("late", "te laat"), ("clr_deadline", "klacht CLR tot")]
CANDIDATE_COLUMNS = [("rank", "#"), ("level_id", "niveau"), ("school_name", "school"),
                     ("neighbourhood", "wijk"), ("free_places", "vrije plaatsen"),
                     ("free_places_status", "LOP-veld"), ("distance", "afstand")]


def parse_day(value: str | None, what: str = "datum") -> date | None:
    from lopdesk import parse

    try:
        return parse.day(value, what)
    except parse.ParseError as exc:
        raise common.fail(str(exc), common.EXIT_INPUT) from None


def _entry_id(db, entry: str, level: str | None = None) -> int:
    from lopdesk import parse

    return parse.entry_id(db, entry, level)


def _case_row_dict(r) -> dict:
    from lopdesk.domain.mediation import CASE_OUTCOME, CASE_STATUS, CASE_TRIGGER, REFUSAL_REASON
    from lopdesk.labels import fmt_date

    return {"id": r.id, "child_id": r.child_id, "child_name": r.child_name,
            "status": CASE_STATUS.get(r.status, r.status),
            "trigger": CASE_TRIGGER.get(r.trigger, r.trigger),
            "reason": REFUSAL_REASON.get(r.reason, r.reason), "opened_at": fmt_date(r.opened_at),
            "next_deadline": fmt_date(r.next_deadline), "schools": ", ".join(r.schools),
            "outcome": CASE_OUTCOME.get(r.outcome or "", "")}


def _notice_dict(n) -> dict:
    from lopdesk.domain.mediation import NOTICE_MODE, NOTICE_SENDER
    from lopdesk.labels import fmt_date

    return {"id": n.id, "level_id": n.level_id, "seq": n.seq, "child_id": n.child_id,
            "school_name": n.school_name, "sent_by": NOTICE_SENDER.get(n.sent_by, n.sent_by),
            "delivery_mode": NOTICE_MODE.get(n.delivery_mode, n.delivery_mode),
            "delivered_on": fmt_date(n.delivered_on), "late": "TE LAAT" if n.late else "",
            "clr_deadline": fmt_date(n.clr_deadline)}


def _print_notice(n) -> None:
    from lopdesk.domain.mediation import NOTICE_MODE, NOTICE_SENDER, REFUSAL_REASON
    from lopdesk.labels import fmt_date, fmt_datetime

    common.echo(f"Mededeling {n.id}: {n.level_id} nr. {n.seq}, kind {n.child_id}")
    common.echo(f"  weigering        {fmt_datetime(n.refused_at)} "
               f"({REFUSAL_REASON.get(n.reason, n.reason)})")
    common.echo(f"  bezorgd          {NOTICE_MODE[n.delivery_mode]} op {fmt_date(n.delivered_on)}"
               f" ({n.days_after_refusal} dagen na de weigering)"
               + ("  TE LAAT (NGI-02: binnen 4 kalenderdagen)" if n.late else ""))
    common.echo(f"  verstuurd door   {NOTICE_SENDER[n.sent_by]}")
    common.echo(f"  beslisser en verwerkingsverantwoordelijke: {n.decision_maker} (NGI-03)")
    common.echo(f"  melding aan LOP  {n.notification_id or '—'}")
    common.echo(f"  klacht bij de CLR tot en met {fmt_date(n.clr_deadline)} (NGI-04)")
    if n.case_id:
        common.echo(f"  bemiddelingsdossier {n.case_id}")


def _print_case(v) -> None:
    from lopdesk.present import case_lines

    common.echo("\n".join(case_lines(v)))


# --- case ---------------------------------------------------------------------------------


@case_app.command("open")
@common.handle_errors
def case_open(child: str = typer.Argument(..., help="Kind (pseudoniem id)."),
              request_date: str | None = typer.Option(
                  None, "--request-date", help="Datum van de vraag van de ouders (MED-01)."),
              requested_by: str = typer.Option("ouders", "--by", help="Wie vroeg het."),
              entries: list[str] = typer.Option([], "--entry",
                                                help="Weigering (ID of NIVEAU:NR); "
                                                     "standaard alle niet-gerealiseerde."),
              note: str = typer.Option("", "--note"),
              at: str | None = common.AT_OPTION,
              confirm: bool = typer.Option(False, "--confirm-placed-elsewhere",
                                           help="Ook als het kind al ingeschreven is in "
                                                "een andere school (zelfde jaar en "
                                                "leerjaar)."),
              as_json: bool = common.JSON_OPTION) -> None:
    """Een bemiddelingsdossier openen op vraag van de ouders (capaciteitsweigering)."""
    from lopdesk.domain import mediation

    with common.database() as db:
        ids = [_entry_id(db, e) for e in entries] or None
        view = mediation.open_case(db, child, request_on=parse_day(request_date),
                                   requested_by=requested_by, entry_ids=ids, note=note,
                                   at=common.parse_when(at),
                                   confirm_placed_elsewhere=confirm)
    common.emit(view, True) if as_json else common.echo(
        f"dossier {view.id} geopend voor {view.child_name} ({view.child_id}) met "
        f"{len(view.refusals)} weigering(en)")


@case_app.command("list")
@common.handle_errors
def case_list(status: str | None = typer.Option(None, "--status",
                                                help="open, waiting of closed."),
              area: str | None = typer.Option(None, "--area"),
              child: str | None = typer.Option(None, "--child"),
              plenary: bool = typer.Option(False, "--plenary",
                                           help="Voor de LOP-plenaire: enkel aantallen en "
                                                "pseudoniemen."),
              at: str | None = common.AT_OPTION,
              as_json: bool = common.JSON_OPTION) -> None:
    """De dossiers: lopend en wachtend eerst, op eerstvolgende termijn."""
    from lopdesk.domain import mediation

    with common.database() as db:
        if plenary:
            summary = mediation.plenary_summary(db, area, at=common.parse_when(at))
        else:
            rows = mediation.list_cases(db, status=status, area_id=area, child_id=child,
                                        at=common.parse_when(at))
    if plenary:
        _print_plenary(summary, as_json)
        return
    if as_json:
        common.emit(rows, True)
    else:
        common.emit([_case_row_dict(r) for r in rows], False, CASE_COLUMNS,
                    title="Bemiddelingsdossiers")


def _print_plenary(summary, as_json: bool) -> None:
    from lopdesk.domain.mediation import CASE_OUTCOME, CASE_STATUS, CASE_TRIGGER, REFUSAL_REASON

    if as_json:
        common.emit(summary, True)
        return
    where = f" ({summary.area_id})" if summary.area_id else ""
    common.echo(f"Bemiddeling — overzicht voor de LOP-plenaire{where}")
    common.echo("  dossiers: " + ", ".join(f"{CASE_STATUS[k]} {n}"
                                          for k, n in summary.cases_by_status.items()))
    common.echo("  aanleiding: " + ", ".join(f"{CASE_TRIGGER[k]} {n}"
                                            for k, n in summary.cases_by_trigger.items()))
    common.echo("  uitkomst: " + ", ".join(f"{CASE_OUTCOME[k]} {n}"
                                          for k, n in summary.cases_by_outcome.items()))
    common.echo(f"  mededelingen: {summary.notices} (te laat {summary.notices_late}, via LOP "
               f"{summary.notices_by_lop}); weigeringen zonder mededeling "
               f"{summary.refusals_without_notice}")
    common.emit([{"pseudonym": c.pseudonym, "status": CASE_STATUS[c.status],
                  "reason": REFUSAL_REASON.get(c.reason, c.reason), "schools": c.refusing_schools,
                  "proposals": c.proposals, "days": c.days_open,
                  "outcome": CASE_OUTCOME.get(c.outcome or "", "")} for c in summary.cases], False,
                [("pseudonym", "dossier"), ("status", "status"), ("reason", "reden"),
                 ("schools", "weigerende scholen"), ("proposals", "voorstellen"), ("days", "dagen"),
                 ("outcome", "uitkomst")])


@case_app.command("show")
@common.handle_errors
def case_show(case_id: int = typer.Argument(...), at: str | None = common.AT_OPTION,
              as_json: bool = common.JSON_OPTION) -> None:
    """Een dossier met weigeringen, partijen, voorstellen en tijdlijn."""
    from lopdesk.domain import mediation

    with common.database() as db:
        view = mediation.get_case(db, case_id, at=common.parse_when(at))
    common.emit(view, True) if as_json else _print_case(view)


ADD_KINDS = ("party", "meeting", "contact", "note", "clr", "refusal")


@case_app.command("add")
@common.handle_errors
def case_add(case_id: int = typer.Argument(...),
             kind: str = typer.Argument(..., help=choices("Soort", {
                 **{k: CASE_EVENT_KIND[k] for k in ("party", "meeting", "contact", "note")},
                 "clr": CASE_EVENT_KIND["clr_complaint"], "refusal": CASE_EVENT_KIND["refusal"]})),
             text: str = typer.Argument("", help="Wat er gebeurde (of notitie bij clr)."),
             role: str | None = typer.Option(None, "--role",
                                             help="Partij: parents, school, clb, lop, "
                                                  "mediator, other."),
             name: str | None = typer.Option(None, "--name", help="Naam van de partij."),
             contact: str = typer.Option("", "--contact", help="Contactgegevens."),
             on: str | None = typer.Option(None, "--on", help="Datum (overleg, contact, "
                                                              "klacht CLR)."),
             entry: str | None = typer.Option(None, "--entry", help="Weigering (ID of "
                                                                   "NIVEAU:NR)."),
             at: str | None = common.AT_OPTION,
             as_json: bool = common.JSON_OPTION) -> None:
    """Iets toevoegen aan een dossier: partij, overleg, contact, notitie, klacht CLR,
    weigering."""
    from lopdesk.domain import mediation

    if kind not in ADD_KINDS:
        raise common.fail(f"onbekende soort '{kind}' (kies uit {', '.join(ADD_KINDS)}).",
                          common.EXIT_INPUT)
    when = common.parse_when(at)
    day = parse_day(on)
    with common.database() as db:
        if kind == "party":
            if not role or not name:
                raise common.fail("een partij heeft --role en --name nodig.", common.EXIT_INPUT)
            result = mediation.add_party(db, case_id, role, name, contact, at=when)
        elif kind == "clr":
            if day is None:
                raise common.fail("geef met --on de datum van de klacht bij de CLR.",
                                  common.EXIT_INPUT)
            result = mediation.record_clr_complaint(db, case_id, filed_on=day, note=text,
                                                    at=when)
        elif kind == "refusal":
            if not entry:
                raise common.fail("geef de weigering met --entry (ID of NIVEAU:NR).",
                                  common.EXIT_INPUT)
            result = mediation.add_refusal(db, case_id, _entry_id(db, entry), at=when)
        else:
            result = mediation.add_event(db, case_id, kind, text, occurred_on=day, at=when)
    common.emit(result, True) if as_json else common.echo(f"dossier {case_id}: {kind} toegevoegd")


@case_app.command("propose")
@common.handle_errors
def case_propose(case_id: int = typer.Argument(...),
                 level: str | None = typer.Option(None, "--level",
                                                  help="Dit niveau voorstellen; zonder: toon "
                                                       "de scholen met vrije plaatsen."),
                 note: str = typer.Option("", "--note"),
                 at: str | None = common.AT_OPTION,
                 as_json: bool = common.JSON_OPTION) -> None:
    """Scholen met vrije plaatsen voor het kind, dichtstbij eerst (MED-03), of er één
    voorstellen."""
    from lopdesk.domain import mediation
    from lopdesk.present import no_candidate_text
    with common.database() as db:
        if level is not None:
            prop = mediation.propose(db, case_id, level, note=note, at=common.parse_when(at))
            common.emit(prop, True) if as_json else common.echo(
                f"voorstel {prop.id}: {prop.school_name} ({prop.level_id}); wacht op antwoord")
            return
        choice = mediation.proposal_choice(db, case_id, at=common.parse_when(at))
    cands = choice.candidates
    if as_json or not cands:  # none: why, naming the free places a waiting list holds
        common.emit(cands, True) if as_json else common.echo(no_candidate_text(choice.held))
        return
    common.emit([{"rank": i, "level_id": c.level_id, "school_name": c.school_name,
                  "neighbourhood": c.neighbourhood,
                  "free_places": "geen capaciteit" if c.free_places is None else c.free_places,
                  "free_places_status": c.free_places_status,
                  "distance": "" if c.distance_m is None else distance(c.distance_m)}
                 for i, c in enumerate(cands, 1)], False, CANDIDATE_COLUMNS,
                title=f"Vrije plaatsen voor dossier {case_id} (dichtstbij eerst)")


@case_app.command("answer")
@common.handle_errors
def case_answer(proposal_id: int = typer.Argument(...),
                accept: bool = typer.Option(..., "--accept/--decline"),
                overcapacity: str | None = typer.Option(
                    None, "--overcapacity", help="Categorie voor inschrijving boven capaciteit."),
                note: str = typer.Option("", "--note"),
                at: str | None = common.AT_OPTION,
                as_json: bool = common.JSON_OPTION) -> None:
    """Het antwoord van de ouders op een voorstel; aanvaarden schrijft het kind in."""
    from lopdesk.domain import mediation

    with common.database() as db:
        result = mediation.answer_proposal(db, proposal_id, accept=accept,
                                           overcapacity_category=overcapacity, note=note,
                                           at=common.parse_when(at))
    if as_json:
        common.emit(result, True)
    elif result.entry is not None:
        common.echo(f"voorstel {proposal_id} aanvaard: ingeschreven in {result.entry.level_id} "
                   f"als nr. {result.entry.seq}")
    else:
        common.echo(f"voorstel {proposal_id} geweigerd")


@case_app.command("close")
@common.handle_errors
def case_close(case_id: int = typer.Argument(...),
               outcome: str | None = typer.Option(
                   None, "--outcome", help="same_school, other_school, no_agreement, withdrawn."),
               school: str | None = typer.Option(None, "--school", help="Waar het kind "
                                                 "ingeschreven is (elk gebied)."),
               note: str = typer.Option("", "--note"),
               version: int | None = typer.Option(None, "--version"),
               confirm: bool = typer.Option(False, "--confirm-contradiction", help="Toch, "
                                            "al spreken feiten of register de uitkomst tegen."),
               at: str | None = common.AT_OPTION,
               as_json: bool = common.JSON_OPTION) -> None:
    """Een dossier afsluiten met zijn uitkomst (MED-02: nooit zonder uitkomst)."""
    from lopdesk.domain import mediation

    with common.database() as db:
        view = mediation.close_case(db, case_id, outcome, school_id=school, note=note,
                                    at=common.parse_when(at), expected_version=version,
                                    confirm_contradiction=confirm)
    common.emit(view, True) if as_json else common.echo(
        f"dossier {case_id} afgesloten: {mediation.CASE_OUTCOME[view.outcome or '']}")


@case_app.command("auto-reason")
@common.handle_errors
def case_auto_reason(code: str | None = typer.Argument(None),
                     label: str = typer.Option("", "--label"),
                     off: bool = typer.Option(False, "--off", help="Niet meer automatisch."),
                     as_json: bool = common.JSON_OPTION) -> None:
    """Gronden waarvoor een dossier automatisch opent (MED-01); zonder CODE: de lijst."""
    from lopdesk.domain import mediation

    with common.database() as db:
        if code:
            mediation.set_auto_reason(db, code, label=label, active=not off)
        rows = mediation.auto_reasons(db)
    common.emit([{"code": r.code, "label": r.label, "active": r.active} for r in rows], as_json,
                [("code", "code"), ("label", "omschrijving"), ("active", "actief")])


# --- notice ---------------------------------------------------------------------------------


@notice_app.command("record")
@common.handle_errors
def notice_record(entry: str = typer.Argument(..., help="Weigering: ID of NIVEAU:NR."),
                  mode: str = typer.Option(..., "--mode",
                                           help="receipt (tegen ontvangstbewijs) of "
                                                "registered_post (aangetekend)."),
                  on: str = typer.Option(..., "--date", help="Datum van de mededeling."),
                  reason: str | None = typer.Option(None, "--reason",
                                                    help="Grond (standaard die van het "
                                                         "register), bv. exclusion."),
                  sent_by: str | None = typer.Option(None, "--sent-by",
                                                     help="school of lop (mandaat)."),
                  level: str | None = typer.Option(None, "--level"),
                  note: str = typer.Option("", "--note"),
                  at: str | None = common.AT_OPTION,
                  confirm: bool = typer.Option(False, "--confirm-open-offer",
                                               help="Ook als het kind een open aanbod van "
                                                    "een vrijgekomen plaats heeft."),
                  as_json: bool = common.JSON_OPTION) -> None:
    """De bezorging van een mededeling van niet-gerealiseerde inschrijving vastleggen."""
    from lopdesk.domain import mediation

    day = parse_day(on)
    if day is None:  # --date '' : the option is there, its value empty
        from lopdesk.parse import DAY_EXAMPLE

        raise common.fail(f"--date: de datum van de mededeling ontbreekt (bv. {DAY_EXAMPLE}).")
    with common.database() as db:
        view = mediation.record_notice(db, _entry_id(db, entry, level), mode=mode,
                                       delivered_on=day, reason=reason, sent_by=sent_by,
                                       note=note, at=common.parse_when(at),
                                       confirm_open_offer=confirm)
    common.emit(view, True) if as_json else _print_notice(view)


@notice_app.command("list")
@common.handle_errors
def notice_list(area: str | None = typer.Option(None, "--area"),
                late: bool = typer.Option(False, "--late", help="Enkel te late mededelingen."),
                child: str | None = typer.Option(None, "--child"),
                missing: bool = typer.Option(False, "--missing",
                                             help="Weigeringen zonder mededeling."),
                at: str | None = common.AT_OPTION,
                as_json: bool = common.JSON_OPTION) -> None:
    """Geregistreerde mededelingen, of met --missing de weigeringen zonder mededeling."""
    from lopdesk.domain import mediation
    from lopdesk.labels import fmt_date, fmt_datetime

    with common.database() as db:
        if missing:
            rows = mediation.missing_notices(db, area_id=area, at=common.parse_when(at))
        else:
            notices = mediation.list_notices(db, area_id=area, late=True if late else None,
                                             child_id=child)
    if missing:
        if as_json:
            common.emit(rows, True)
            return
        common.emit([{"level_id": r.level_id, "seq": r.seq, "child_id": r.child_id,
                      "school_name": r.school_name, "refused_at": fmt_datetime(r.refused_at),
                      "due_on": fmt_date(r.due_on), "overdue": "TE LAAT" if r.overdue else ""}
                     for r in rows], False,
                    [("level_id", "niveau"), ("seq", "nr"), ("child_id", "kind"),
                     ("school_name", "school"), ("refused_at", "weigering"),
                     ("due_on", "bezorgen tegen"), ("overdue", "")],
                    title="Weigeringen zonder mededeling")
        return
    if as_json:
        common.emit(notices, True)
    else:
        common.emit([_notice_dict(n) for n in notices], False, NOTICE_COLUMNS, title="Mededelingen")


@notice_app.command("show")
@common.handle_errors
def notice_show(notice_id: int = typer.Argument(...), as_json: bool = common.JSON_OPTION) -> None:
    """Eén mededeling: bezorging, melding aan het LOP, termijn voor de CLR."""
    from lopdesk.domain import mediation

    with common.database() as db:
        view = mediation.get_notice(db, notice_id)
    common.emit(view, True) if as_json else _print_notice(view)


@notice_app.command("notify")
@common.handle_errors
def notice_notify(area: str | None = typer.Option(None, "--area"),
                  as_json: bool = common.JSON_OPTION) -> None:
    """De ontbrekende meldingen aan het LOP aanmaken, één per weigering (NGI-03)."""
    from lopdesk.domain import mediation

    with common.database() as db:
        n = mediation.notify_refusals(db, area)
    common.emit({"created": n}, True) if as_json else common.echo(f"{n} melding(en) aangemaakt")


# --- child --------------------------------------------------------------------------------


@child_app.command("show")
@common.handle_errors
def child_show(child: str = typer.Argument(...), at: str | None = common.AT_OPTION,
               as_json: bool = common.JSON_OPTION) -> None:
    """Het dossier van een kind: alle aanvragen, weigeringen, mededelingen, plaatsen op
    wachtlijsten en termijnen in het gebied (opening door de bemiddelingscel wordt gelogd)."""
    from lopdesk.domain import mediation
    from lopdesk.labels import STATUS, fmt_date, fmt_datetime

    with common.database() as db:
        f = mediation.child_file(db, child, at=common.parse_when(at))
    if as_json:
        common.emit(f, True)
        return
    common.echo(f"Kind {f.child_id}: {f.first_name} {f.last_name}"
               + (f", geboren {fmt_date(f.birth_date)}" if f.birth_date else ""))
    if f.address:
        common.echo(f"  adres {f.address}")
    common.echo("Aanvragen:")
    for e in f.entries:
        line = (f"  {fmt_datetime(e.requested_at)}  {e.school_name} {e.level_id} nr. {e.seq}: "
                f"{STATUS.get(e.status, e.status)}")
        if e.overcapacity_category:
            line += f" (boven capaciteit: {e.overcapacity_category})"
        if e.waiting_position is not None:
            line += (f"; wachtlijst plaats {e.waiting_position} "
                     f"(bindend t.e.m. {fmt_date(e.waiting_deadline)})")
        if e.notice is not None:
            line += (f"; mededeling {fmt_date(e.notice.delivered_on)}"
                     + (" TE LAAT" if e.notice.late else "")
                     + f", CLR tot {fmt_date(e.notice.clr_deadline)}")
        elif e.refused_at is not None:
            line += "; geen mededeling geregistreerd"
        common.echo(line)
    if f.cases:
        common.echo("Dossiers:")
        for c in f.cases:
            d = _case_row_dict(c)
            common.echo(f"  {c.id}: {d['status']} ({d['trigger']}), geopend {d['opened_at']}"
                       + (f", {d['outcome']}" if c.outcome else ""))
    if f.deadlines:
        common.echo("Termijnen:")
        for dl in f.deadlines:
            common.echo(f"  {fmt_date(dl.on)}  {dl.text}")


def install(app: typer.Typer) -> None:
    app.add_typer(case_app, name="case")
    app.add_typer(notice_app, name="notice")
    app.add_typer(child_app, name="child")
