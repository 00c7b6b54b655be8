"""`lopdesk capacity …` and `lopdesk full …`: capacity, raises, the board field, volzet."""

from __future__ import annotations

import typer

from lopdesk.commands.common import JSON_OPTION, database, emit, handle_errors, parse_when

capacity_app = typer.Typer(help="Capaciteit, verhogingen en vrije plaatsen.", no_args_is_help=True)
full_app = typer.Typer(help="Volzetverklaringen (secundair, 2de-7de jaar).", no_args_is_help=True)


def _result(res, as_json: bool) -> None:
    if as_json:
        emit(res, True)
    else:
        extra = f" — {res.message}" if res.message else ""
        typer.echo(f"{res.level_id}: capaciteit {res.capacity} [{res.rule or ''}]{extra}")


@capacity_app.command("set")
@handle_errors
def capacity_set(level: str = typer.Argument(...), capacity: int = typer.Argument(..., min=0),
                 reason: str = typer.Option("", "--reason", "-r"),
                 version: int | None = typer.Option(None, "--version"),
                 at: str | None = typer.Option(None, "--at"),
                 as_json: bool = JSON_OPTION) -> None:
    """De capaciteit vastleggen (vóór de start) of wijzigen (CAP-01..03)."""
    from lopdesk.domain import capacity as cap

    with database() as db:
        _result(cap.set_capacity(db, level, capacity, at=parse_when(at), reason=reason,
                                 expected_version=version), as_json)


@capacity_app.command("seated")
@handle_errors
def capacity_seated(level: str = typer.Argument(...),
                    indicator: int = typer.Option(..., "--indicator", min=0),
                    non_indicator: int = typer.Option(..., "--non-indicator", min=0),
                    as_json: bool = JSON_OPTION) -> None:
    """Het aantal zittende leerlingen per contingent."""
    from lopdesk.domain import capacity as cap

    with database() as db:
        _result(cap.set_seated(db, level, indicator=indicator, non_indicator=non_indicator),
                as_json)


@capacity_app.command("request-raise")
@handle_errors
def capacity_request_raise(level: str = typer.Argument(...),
                           capacity: int = typer.Argument(..., min=0),
                           reason: str = typer.Option(..., "--reason", "-r"),
                           as_json: bool = JSON_OPTION) -> None:
    """Een capaciteitsverhoging aanvragen (beslissing door het LOP, CAP-03)."""
    from lopdesk.domain import capacity as cap

    with database() as db:
        d = cap.request_raise(db, level, capacity, reason=reason)
    emit(d, True) if as_json else typer.echo(
        f"aanvraag {d.id}: {level} {d.current_capacity} → {d.requested_capacity}")


def _outcome(out, as_json: bool, preview: bool = False) -> None:
    if as_json:
        emit(out, True)
        return
    head = "VOORBEELD (niets gewijzigd, iedereen aanvaardt): " if preview else ""
    typer.echo(f"{head}aanvraag {out.decision_id}: {out.status}; {out.level_id} capaciteit "
               f"{out.capacity}")
    for st in out.cascade.steps:
        typer.echo(f"  {st.level_id} nr. {st.seq}: {st.child_name} — {st.action} [{st.rule}] "
                   f"{st.why}")


@capacity_app.command("decide")
@handle_errors
def capacity_decide(decision: int = typer.Argument(...),
                    approve: bool = typer.Option(..., "--approve/--reject"),
                    reason: str = typer.Option(..., "--reason", "-r"),
                    ref: str | None = typer.Option(None, "--ref", help="Beslissingsnummer LOP."),
                    at: str | None = typer.Option(None, "--at"),
                    as_json: bool = JSON_OPTION) -> None:
    """Een aanvraag goedkeuren of afwijzen; nieuwe plaatsen gaan naar de wachtlijst."""
    from lopdesk.domain import capacity as cap

    with database() as db:
        _outcome(cap.decide_raise(db, decision, approve=approve, reason=reason,
                                  decision_ref=ref, at=parse_when(at)), as_json)


@capacity_app.command("preview")
@handle_errors
def capacity_preview(decision: int = typer.Argument(...),
                     at: str | None = typer.Option(None, "--at"),
                     as_json: bool = JSON_OPTION) -> None:
    """Welke kinderen de nieuwe plaatsen zouden krijgen, met de trapsgewijze gevolgen."""
    from lopdesk.domain import capacity as cap

    with database() as db:
        _outcome(cap.preview_raise(db, decision, at=parse_when(at)), as_json, preview=True)


@capacity_app.command("requests")
@handle_errors
def capacity_requests(status: str | None = typer.Option(None, "--status"),
                      as_json: bool = JSON_OPTION) -> None:
    """Aanvragen tot capaciteitsverhoging."""
    from lopdesk.domain import capacity as cap

    with database() as db:
        rows = cap.list_decisions(db, status)
    emit(rows, as_json, [("id", "id"), ("level_id", "niveau"), ("current_capacity", "van"),
                         ("requested_capacity", "naar"), ("status", "status"),
                         ("reason", "reden"), ("decided_by", "beslist door")])


@capacity_app.command("free-places")
@handle_errors
def capacity_free_places(level: str = typer.Argument(...),
                         value: str = typer.Argument(..., help="leeg, 0, JA of een getal"),
                         as_json: bool = JSON_OPTION) -> None:
    """Het LOP-veld vrije plaatsen (CAP-05)."""
    from lopdesk.domain import capacity as cap

    with database() as db:
        _result(cap.set_free_places_field(db, level, value), as_json)


@capacity_app.command("ank")
@handle_errors
def capacity_ank(level: str = typer.Argument(...),
                 capacity: int | None = typer.Argument(None, help="Leeg om te schrappen."),
                 as_json: bool = JSON_OPTION) -> None:
    """Capaciteit voor anderstalige nieuwkomers (CAP-08)."""
    from lopdesk.domain import capacity as cap

    with database() as db:
        _result(cap.set_ank_capacity(db, level, capacity), as_json)


@full_app.command("declare")
@handle_errors
def full_declare(levels: list[str] = typer.Argument(..., help="Administratieve groepen."),
                 reason: str = typer.Option("", "--reason", "-r"),
                 at: str | None = typer.Option(None, "--at"),
                 as_json: bool = JSON_OPTION) -> None:
    """Niveaus volzet verklaren (CAP-06); gemeld aan het LOP."""
    from lopdesk.domain import capacity as cap

    with database() as db:
        d = cap.declare_full(db, levels, reason=reason, at=parse_when(at))
    emit(d, True) if as_json else typer.echo(
        f"volzetverklaring {d.id}: {', '.join(levels)} (gemeld aan het LOP)")


@full_app.command("lift")
@handle_errors
def full_lift(declaration: int = typer.Argument(...),
              reason: str = typer.Option("", "--reason", "-r"),
              at: str | None = typer.Option(None, "--at"),
              as_json: bool = JSON_OPTION) -> None:
    """Een volzetverklaring opheffen (gemeld aan het LOP)."""
    from lopdesk.domain import capacity as cap

    with database() as db:
        d = cap.lift_full(db, declaration, reason=reason, at=parse_when(at))
    emit(d, True) if as_json else typer.echo(f"volzetverklaring {d.id} opgeheven")


@full_app.command("list")
@handle_errors
def full_list(as_json: bool = JSON_OPTION) -> None:
    """Alle volzetverklaringen."""
    from lopdesk.domain import capacity as cap

    with database() as db:
        rows = cap.list_declarations(db)
    emit(rows, as_json, [("id", "id"), ("declared_at", "verklaard"), ("lifted_at", "opgeheven"),
                         ("levels", "groepen"), ("reason", "reden")])


def install(app: typer.Typer) -> None:
    app.add_typer(capacity_app, name="capacity")
    app.add_typer(full_app, name="full")
