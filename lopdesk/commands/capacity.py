"""`lopdesk capacity …` and `lopdesk full …`: capacity, raises, the board field, volzet."""

from __future__ import annotations

import typer

from lopdesk.commands import common

capacity_app = typer.Typer(help="Capaciteit, verhogingen en vrije plaatsen.", no_args_is_help=True)
full_app = typer.Typer(help="Volzetverklaringen (secundair, 2de-7de jaar).", no_args_is_help=True)


def _result(res, as_json: bool) -> None:
    if as_json:
        common.emit(res, True)
    else:
        extra = f" — {res.message}" if res.message else ""
        common.echo(f"{res.level_id}: capaciteit {res.capacity} [{res.rule or ''}]{extra}")


@capacity_app.command("set")
@common.handle_errors
def capacity_set(level: str = typer.Argument(...), capacity: int = typer.Argument(..., min=0),
                 reason: str = typer.Option("", "--reason", "-r"),
                 version: int | None = typer.Option(None, "--version"),
                 at: str | None = common.AT_OPTION,
                 as_json: bool = common.JSON_OPTION) -> None:
    """De capaciteit vastleggen (vóór de start) of wijzigen (CAP-01..03)."""
    from lopdesk.domain import capacity as cap

    with common.database() as db:
        _result(cap.set_capacity(db, level, capacity, at=common.parse_when(at), reason=reason,
                                 expected_version=version), as_json)


@capacity_app.command("seated")
@common.handle_errors
def capacity_seated(level: str = typer.Argument(...),
                    indicator: int = typer.Option(..., "--indicator", min=0),
                    non_indicator: int = typer.Option(..., "--non-indicator", min=0),
                    as_json: bool = common.JSON_OPTION) -> None:
    """Het aantal zittende leerlingen per contingent."""
    from lopdesk.domain import capacity as cap

    with common.database() as db:
        _result(cap.set_seated(db, level, indicator=indicator, non_indicator=non_indicator),
                as_json)


@capacity_app.command("request-raise")
@common.handle_errors
def capacity_request_raise(level: str = typer.Argument(...),
                           capacity: int = typer.Argument(..., min=0),
                           reason: str = typer.Option(..., "--reason", "-r"),
                           at: str | None = common.AT_OPTION,
                           as_json: bool = common.JSON_OPTION) -> None:
    """Een capaciteitsverhoging aanvragen (beslissing door het LOP, CAP-03)."""
    from lopdesk.domain import capacity as cap

    when = common.parse_when(at)
    with common.database() as db:
        d = cap.request_raise(db, level, capacity, reason=reason, at=when)
    common.emit(d, True) if as_json else common.echo(
        f"aanvraag {d.id}: {level} {d.current_capacity} → {d.requested_capacity}")


def _outcome(out, as_json: bool, preview: bool = False) -> None:
    from lopdesk.present import decision_lines

    if as_json:
        common.emit(out, True)
        return
    common.echo("\n".join(decision_lines(out, preview=preview)))


@capacity_app.command("decide")
@common.handle_errors
def capacity_decide(decision: int = typer.Argument(...),
                    approve: bool = typer.Option(..., "--approve/--reject"),
                    reason: str = typer.Option(..., "--reason", "-r"),
                    ref: str | None = typer.Option(None, "--ref", help="Beslissingsnummer LOP."),
                    at: str | None = common.AT_OPTION,
                    as_json: bool = common.JSON_OPTION) -> None:
    """Een aanvraag goedkeuren of afwijzen; nieuwe plaatsen gaan naar de wachtlijst."""
    from lopdesk.domain import capacity as cap

    with common.database() as db:
        _outcome(cap.decide_raise(db, decision, approve=approve, reason=reason,
                                  decision_ref=ref, at=common.parse_when(at)), as_json)


@capacity_app.command("preview")
@common.handle_errors
def capacity_preview(decision: int = typer.Argument(...),
                     at: str | None = common.AT_OPTION,
                     as_json: bool = common.JSON_OPTION) -> None:
    """Welke kinderen de nieuwe plaatsen zouden krijgen, met de trapsgewijze gevolgen."""
    from lopdesk.domain import capacity as cap

    with common.database() as db:
        _outcome(cap.preview_raise(db, decision, at=common.parse_when(at)), as_json, preview=True)


@capacity_app.command("requests")
@common.handle_errors
def capacity_requests(status: str | None = typer.Option(None, "--status"),
                      as_json: bool = common.JSON_OPTION) -> None:
    """Aanvragen tot capaciteitsverhoging."""
    from lopdesk.domain import capacity as cap
    from lopdesk.labels import DECISION_STATUS, label
    from lopdesk.present import decision_words

    if status:  # the Dutch label is accepted too (aangevraagd, goedgekeurd, afgewezen)
        status = next((c for c, t in DECISION_STATUS.items() if t == status.lower()), status)
    with common.database() as db:
        rows = cap.list_decisions(db, status)
    common.emit(rows, as_json,
                [("id", "id"), ("level_id", "niveau"), ("current_capacity", "van"),
                 ("requested_capacity", "naar"), ("status", "status"), ("reason", "reden"),
                 ("decision", "beslissing")],
                shown=lambda r: {**r.__dict__, "status": label(DECISION_STATUS, r.status),
                                 "decision": decision_words(r)})


@capacity_app.command("free-places")
@common.handle_errors
def capacity_free_places(level: str = typer.Argument(...),
                         value: str = typer.Argument(..., help="leeg, 0, JA of een getal"),
                         as_json: bool = common.JSON_OPTION) -> None:
    """Het LOP-veld vrije plaatsen (CAP-05)."""
    from lopdesk.domain import capacity as cap
    from lopdesk.labels import free_places_board

    with common.database() as db:
        res = cap.set_free_places_field(db, level, value)
    if as_json:
        common.emit(res, True)
        return
    field = cap.validate_free_places_field(value)  # as stored (the domain accepted it)
    common.echo(f"{res.level_id}: vrije plaatsen (LOP-veld) {free_places_board(field)} "
               f"[{res.rule}]")
    _warn_above_capacity(field, res.capacity, "het LOP-veld vrije plaatsen")


def _warn_above_capacity(value: str | int | None, capacity: int | None, what: str) -> None:
    """More than the capacity is allowed but almost always a typo: say so on stderr."""
    if value is None or capacity is None or not str(value).isdigit():
        return
    if int(value) > capacity:
        common.warn(f"{what} ({value}) is groter dan de capaciteit ({capacity}) van dit niveau.")


def _ank_value(text: str | None) -> int | None:
    """CAP-08 input: omitted = remove; else a whole number (the minimum is the domain's)."""
    if text is None:
        return None
    value = text.strip()
    if not value.isdigit():
        raise common.fail(f"ANK-capaciteit '{text}' is geen geheel getal: geef een aantal "
                          "(minstens 4, of 8 bij meer dan 100 leerlingen) of laat het weg om "
                          "te schrappen.")
    if len(value) > 5 or int(value) > common.INT_BOUNDS["capacity"][1]:
        raise common.fail(f"ANK-capaciteit {value[:20]} is groter dan "
                          f"{common.INT_BOUNDS['capacity'][1]}")
    return int(value)


@capacity_app.command("ank")
@common.handle_errors
def capacity_ank(level: str = typer.Argument(...),
                 capacity: str | None = typer.Argument(
                     None, help="Aantal plaatsen; weglaten om de ANK-capaciteit te schrappen."),
                 as_json: bool = common.JSON_OPTION) -> None:
    """Capaciteit voor anderstalige nieuwkomers (CAP-08)."""
    from lopdesk.domain import capacity as cap

    value = _ank_value(capacity)
    with common.database() as db:
        res = cap.set_ank_capacity(db, level, value)
    if as_json:
        common.emit(res, True)
        return
    shown = "geschrapt" if value is None else str(value)
    common.echo(f"{res.level_id}: ANK-capaciteit {shown} [{res.rule}]")
    _warn_above_capacity(value, res.capacity, "de ANK-capaciteit")


@full_app.command("declare")
@common.handle_errors
def full_declare(levels: list[str] = typer.Argument(..., help="Administratieve groepen."),
                 reason: str = typer.Option("", "--reason", "-r"),
                 at: str | None = common.AT_OPTION,
                 as_json: bool = common.JSON_OPTION) -> None:
    """Niveaus volzet verklaren (CAP-06); gemeld aan het LOP."""
    from lopdesk.domain import capacity as cap

    with common.database() as db:
        d = cap.declare_full(db, levels, reason=reason, at=common.parse_when(at))
    common.emit(d, True) if as_json else common.echo(
        f"volzetverklaring {d.id}: {', '.join(levels)} (gemeld aan het LOP)")


@full_app.command("lift")
@common.handle_errors
def full_lift(declaration: int = typer.Argument(...),
              reason: str = typer.Option("", "--reason", "-r"),
              at: str | None = common.AT_OPTION,
              as_json: bool = common.JSON_OPTION) -> None:
    """Een volzetverklaring opheffen (gemeld aan het LOP)."""
    from lopdesk.domain import capacity as cap

    with common.database() as db:
        d = cap.lift_full(db, declaration, reason=reason, at=common.parse_when(at))
    common.emit(d, True) if as_json else common.echo(f"volzetverklaring {d.id} opgeheven")


@full_app.command("list")
@common.handle_errors
def full_list(as_json: bool = common.JSON_OPTION) -> None:
    """Alle volzetverklaringen."""
    from lopdesk.domain import capacity as cap
    from lopdesk.labels import fmt_datetime, level_counts

    with common.database() as db:
        rows = cap.list_declarations(db)
    common.emit(rows, as_json,
                [("id", "id"), ("declared_at", "verklaard"), ("lifted_at", "opgeheven"),
                 ("levels", "groepen (aantal bij verklaring)"), ("reason", "reden")],
                shown=lambda r: {**r.__dict__, "declared_at": fmt_datetime(r.declared_at),
                                 "lifted_at": fmt_datetime(r.lifted_at),
                                 "levels": level_counts(r.levels)})


def install(app: typer.Typer) -> None:
    app.add_typer(capacity_app, name="capacity")
    app.add_typer(full_app, name="full")
