"""`lopdesk register …`, `period …`, `fill`, `offer …`: the register from the command line."""

from __future__ import annotations

import typer

from lopdesk import parse, present
from lopdesk.commands.common import (
    AT_OPTION,
    JSON_OPTION,
    database,
    echo,
    emit,
    handle_errors,
    parse_when,
)
from lopdesk.commands.dutch_help import choices
from lopdesk.labels import OUT_OF_ORDER_CLI, PERIOD_KIND, PRIORITY_GROUP, STATUS

register_app = typer.Typer(help="Inschrijvingsregister van een capaciteitsniveau.",
                           no_args_is_help=True)
period_app = typer.Typer(help="Voorrangsperiodes en vrije inschrijving.", no_args_is_help=True)
offer_app = typer.Typer(help="Vrijgekomen plaatsen aanbieden (wachtlijst).",
                        no_args_is_help=True)

ENTRY_COLUMNS = [("seq", "nr"), ("requested_at", "tijdstip"), ("child_id", "kind"),
                 ("child_name", "naam"), ("priority_group", "voorrang"),
                 ("contingent", "contingent"), ("status", "status"), ("flags", "")]


def _entry_dict(row) -> dict:
    from lopdesk.labels import CONTINGENT, PRIORITY_GROUP, STATUS, fmt_datetime

    flags = []
    if row.out_of_order:
        flags.append("tijdstip!")
    if row.overcapacity_category:
        flags.append(f"overcap:{row.overcapacity_category}")
    return {"id": row.id, "seq": row.seq, "requested_at": fmt_datetime(row.requested_at),
            "child_id": row.child_id, "child_name": row.child_name,
            "priority_group": PRIORITY_GROUP.get(row.priority_group, row.priority_group),
            "contingent": CONTINGENT.get(row.contingent, row.contingent),
            "status": STATUS.get(row.status, row.status), "flags": " ".join(flags)}


def _status_code(value: str) -> str:
    """A status as code (realised), Dutch label (gerealiseerd) or short (GER): the code."""
    from lopdesk.labels import STATUS, STATUS_SHORT

    v = value.strip()
    for table in (STATUS, STATUS_SHORT):
        for code, text in table.items():
            if v.lower() == text.lower():
                return code
    return v


@register_app.command("add")
@handle_errors
def register_add(
    level: str = typer.Argument(..., help="Capaciteitsniveau."),
    child: str = typer.Argument(..., help="Kind (pseudoniem id)."),
    group: str = typer.Option("none", "--group", "-g",
                              help=choices("Voorrangsgroep", PRIORITY_GROUP)),
    at: str | None = typer.Option(None, "--at", help="Tijdstip van de aanvraag (ISO 8601)."),
    overcapacity: str | None = typer.Option(None, "--overcapacity",
                                            help="Categorie voor inschrijving boven capaciteit."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Een aanvraag tot inschrijving in het register opnemen."""
    from lopdesk.domain import registers
    from lopdesk.labels import STATUS

    with database() as db:
        view = registers.add_request(db, level, child, priority_group=group,
                                     at=parse_when(at), overcapacity_category=overcapacity)
    if as_json:
        emit(view, True)
    else:
        echo(f"{view.level_id} nr. {view.seq}: {STATUS[view.status]} "
                   f"({view.rule}: {view.message})"
                   + ("  LET OP: tijdstip vroeger dan de vorige inschrijving"
                      if view.out_of_order else ""))


@register_app.command("list", help="Alle inschrijvingen van een register, in volgorde.\n\n"
                      + OUT_OF_ORDER_CLI)
@handle_errors
def register_list(level: str = typer.Argument(...),
                  status: str | None = typer.Option(None, "--status"),
                  as_json: bool = JSON_OPTION) -> None:
    """Alle inschrijvingen van een register, in volgorde."""
    from lopdesk.domain import registers

    with database() as db:
        rows = registers.list_entries(db, level)
    if status:
        rows = [r for r in rows if r.status == _status_code(status)]
    if as_json:
        emit([r._asdict() for r in rows], True)
    else:
        emit([_entry_dict(r) for r in rows], False, ENTRY_COLUMNS, title=f"Register {level}")
        if any(r.out_of_order for r in rows):  # what the flag means, beside the data
            echo(OUT_OF_ORDER_CLI, err=True)


@register_app.command("show")
@handle_errors
def register_show(entry: str = typer.Argument(..., help="ID of NIVEAU:NR."),
                  level: str | None = typer.Option(None, "--level"),
                  as_json: bool = JSON_OPTION) -> None:
    """Eén inschrijving met haar volledige geschiedenis."""
    from lopdesk.domain import registers
    from lopdesk.labels import STATUS, fmt_datetime

    with database() as db:
        entry_id = parse.entry_id(db, entry, level)
        view = registers.get_entry(db, entry_id)
        history = registers.entry_history(db, entry_id)
        steps = registers.entry_timeline(db, entry_id) if not as_json else []
    if as_json:
        emit({"entry": view, "history": [h._asdict() for h in history]}, True)
        return
    echo(f"{view.level_id} nr. {view.seq}  kind {view.child_id}  "
               f"{STATUS[view.status]}  aangevraagd {fmt_datetime(view.requested_at)}")
    for line in present.history_lines(steps):  # with the offers made to it (WL-01)
        echo(f"  {line}")


@register_app.command("withdraw")
@handle_errors
def register_withdraw(entry: str = typer.Argument(..., help="ID of NIVEAU:NR."),
                      reason: str = typer.Option(..., "--reason", "-r"),
                      level: str | None = typer.Option(None, "--level"),
                      version: int | None = typer.Option(None, "--version",
                                                         help="Verwachte versie (conflicten)."),
                      at: str | None = AT_OPTION,
                      as_json: bool = JSON_OPTION) -> None:
    """Een inschrijving intrekken (gerealiseerd of niet-gerealiseerd → ingetrokken)."""
    from lopdesk.domain import registers

    with database() as db:
        view = registers.withdraw(db, parse.entry_id(db, entry, level), reason=reason,
                                  expected_version=version, at=parse_when(at))
    emit(view, as_json) if as_json else echo(
        f"{view.level_id} " + present.withdrawn(view, f"met 'lopdesk fill {view.level_id}'"))


@register_app.command("status")
@handle_errors
def register_status(entry: str = typer.Argument(...),
                    to: str = typer.Argument(..., help=choices("Nieuwe status", {
                                    k: v for k, v in STATUS.items() if k != "deferred"})),
                    reason: str = typer.Option(..., "--reason", "-r"),
                    level: str | None = typer.Option(None, "--level"),
                    version: int | None = typer.Option(None, "--version"),
                    at: str | None = AT_OPTION,
                    as_json: bool = JSON_OPTION) -> None:
    """De status van een inschrijving wijzigen (enkel wat REG-03 toelaat)."""
    from lopdesk.domain import registers
    from lopdesk.labels import STATUS, label

    with database() as db:
        view = registers.change_status(db, parse.entry_id(db, entry, level), _status_code(to),
                                       reason=reason, expected_version=version,
                                       at=parse_when(at))
    emit(view, as_json) if as_json else echo(
        f"{view.level_id} nr. {view.seq}: {label(STATUS, view.status)}")


@register_app.command("waiting")
@handle_errors
def register_waiting(level: str = typer.Argument(...), at: str | None = AT_OPTION,
                     as_json: bool = JSON_OPTION) -> None:
    """De wachtlijst van een niveau en tot wanneer de volgorde bindt (WL-01)."""
    from lopdesk.domain import registers
    from lopdesk.labels import fmt_date

    with database() as db:
        view = registers.waiting_list(db, level, at=parse_when(at))
    if as_json:
        emit({"level_id": view.level_id, "deadline": view.deadline, "binds": view.binds,
              "per_contingent": view.per_contingent,
              "entries": [r._asdict() for r in view.entries]}, True)
        return
    state = "bindt" if view.binds else "bindt niet meer"
    echo(f"Wachtlijst {level}: volgorde {state} (t.e.m. {fmt_date(view.deadline)})")
    emit([{**_entry_dict(r), "pos": i} for i, r in enumerate(view.entries, 1)], False,
         [("pos", "pos")] + ENTRY_COLUMNS)


@period_app.command("open")
@handle_errors
def period_open(level: str = typer.Argument(...),
                kind: str = typer.Option("priority", "--kind",
                                         help=choices("Soort", PERIOD_KIND)),
                group: str | None = typer.Option(None, "--group",
                                                 help=choices(
                                                     "Voorrangsgroep van de periode",
                                                     PRIORITY_GROUP)),
                start: str = typer.Option(..., "--start"),
                end: str | None = typer.Option(None, "--end"),
                as_json: bool = JSON_OPTION) -> None:
    """Een voorrangsperiode of de vrije inschrijving openen."""
    from lopdesk.domain import areas

    with database() as db:
        p = areas.create_period(db, level, kind=kind, group=group, starts_at=parse_when(start),
                                ends_at=parse_when(end))
    emit(p, as_json) if as_json else echo(f"periode {p.id} geopend voor {level}")


@period_app.command("list")
@handle_errors
def period_list(level: str | None = typer.Argument(None, help="Niveau (standaard: alle)."),
                at: str | None = typer.Option(
                    None, "--at", help="Toestand op dit moment (standaard: nu op de klok van "
                    "de databank)."),
                as_json: bool = JSON_OPTION) -> None:
    """De voorrangsperiodes en vrije inschrijvingen, per niveau in volgorde."""
    from lopdesk.domain import directory
    from lopdesk.labels import fmt_datetime, label
    from lopdesk.present import period_group, period_state

    with database() as db:
        rows = directory.list_periods(db, level)
        now = parse_when(at) or db.now()  # the database's clock, as the app (a demo's)
    if as_json:
        emit(rows, True)
        return
    emit([{"id": p.id, "level_id": p.level_id, "kind": label(PERIOD_KIND, p.kind),
           "group": period_group(p.kind, p.group), "starts_at": fmt_datetime(p.starts_at),
           "ends_at": fmt_datetime(p.ends_at) if p.ends_at else "—",
           "state": period_state(p, now)}
          for p in rows], False,
         [("id", "id"), ("level_id", "niveau"), ("kind", "soort"), ("group", "groep"),
          ("starts_at", "begin"), ("ends_at", "einde"), ("state", "toestand")])


@period_app.command("close")
@handle_errors
def period_close(period_id: int = typer.Argument(...),
                 preview: bool = typer.Option(False, "--preview",
                                              help="Toon enkel wat er zou veranderen."),
                 at: str | None = AT_OPTION,
                 as_json: bool = JSON_OPTION) -> None:
    """Een voorrangsperiode afsluiten (REG-05): aanvullen, uitgesteld → (niet-)gerealiseerd."""
    from lopdesk.domain import registers
    from lopdesk.present import close_plan_lines

    with database() as db:
        plan = registers.close_period(db, period_id, preview=preview, at=parse_when(at))
    if as_json:
        emit(plan, True)
        return
    echo("\n".join(close_plan_lines(plan, preview=preview)))


def _print_fill(report, as_json: bool) -> None:
    from lopdesk.present import fill_lines

    if as_json:
        emit(report, True)
        return
    echo("\n".join(fill_lines(report)))


@handle_errors
def fill_cmd(level: str | None = typer.Argument(None, help="Niveau (standaard: alle)."),
             area: str | None = typer.Option(None, "--area",
                                             help="Enkel de niveaus van dit gebied."),
             accept: bool = typer.Option(False, "--accept",
                                         help="Plaatsen meteen toekennen (iedereen aanvaardt)."),
             preview: bool = typer.Option(False, "--preview",
                                          help="Toon enkel wat er zou gebeuren."),
             at: str | None = AT_OPTION,
             as_json: bool = JSON_OPTION) -> None:
    """Vrijgekomen plaatsen aanbieden in volgorde van de wachtlijst, tot de uiterste datum."""
    from lopdesk.domain import registers

    with database() as db:
        report = registers.fill(db, level, accept=accept, at=parse_when(at), area_id=area,
                                preview=preview)
    _print_fill(report, as_json)


@offer_app.command("next")
@handle_errors
def offer_next(level: str = typer.Argument(...), at: str | None = AT_OPTION,
               as_json: bool = JSON_OPTION) -> None:
    """Eén vrije plaats aanbieden aan het volgende kind op de wachtlijst."""
    from lopdesk.domain import registers

    with database() as db:
        _print_fill(registers.offer_next(db, level, at=parse_when(at)), as_json)


@offer_app.command("list")
@handle_errors
def offer_list(level: str | None = typer.Option(None, "--level"),
               status: str | None = typer.Option(None, "--status"),
               as_json: bool = JSON_OPTION) -> None:
    """Aanbiedingen van vrijgekomen plaatsen."""
    from lopdesk.domain import registers
    from lopdesk.labels import OFFER_STATUS, fmt_datetime, label

    if status:  # the Dutch label is accepted too (aangeboden, aanvaard, geweigerd)
        status = next((c for c, t in OFFER_STATUS.items() if t == status.lower()), status)
    with database() as db:
        rows = registers.list_offers(db, level, status)
    if as_json:
        emit(rows, True)
        return
    emit([{**r.__dict__, "status": label(OFFER_STATUS, r.status),
           "offered_at": fmt_datetime(r.offered_at),
           "reply_by": fmt_datetime(r.reply_by) if r.reply_by else "—"} for r in rows], False,
         [("id", "id"), ("level_id", "niveau"), ("seq", "nr"), ("child_name", "kind"),
          ("status", "status"), ("offered_at", "aangeboden op"), ("offered_by", "door"),
          ("reply_by", "antwoord t.e.m."), ("rule_id", "regel")])


@offer_app.command("answer")
@handle_errors
def offer_answer(offer_id: int = typer.Argument(...),
                 accept: bool = typer.Option(..., "--accept/--decline"),
                 at: str | None = AT_OPTION,
                 as_json: bool = JSON_OPTION) -> None:
    """Het antwoord van de ouders op een aanbod (aanvaarden of weigeren)."""
    from lopdesk.domain import registers

    with database() as db:
        _print_fill(registers.answer_offer(db, offer_id, accept=accept, at=parse_when(at)),
                    as_json)


def install(app: typer.Typer) -> None:
    app.add_typer(register_app, name="register")
    app.add_typer(period_app, name="period")
    app.command("fill")(fill_cmd)
    app.add_typer(offer_app, name="offer")
