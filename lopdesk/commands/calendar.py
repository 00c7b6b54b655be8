"""`lopdesk calendar …`: school days and deadlines (WL-04)."""

from __future__ import annotations

import typer

from lopdesk import parse
from lopdesk.commands.common import JSON_OPTION, echo, emit, handle_errors

calendar_app = typer.Typer(help="Schooldagen en uiterste data.", no_args_is_help=True)


def _free_days(area: str | None):
    if area is None:
        return []
    from lopdesk.commands.common import database
    from lopdesk.domain.calendar import area_free_days

    with database() as db, db.read() as s:
        return area_free_days(s, area)


@calendar_app.command("fifth-school-day")
@handle_errors
def fifth_school_day(year: int = typer.Argument(..., min=1900, max=2200),
                     area: str | None = typer.Option(None, "--area",
                                                     help="Vrije dagen van dit gebied."),
                     as_json: bool = JSON_OPTION) -> None:
    """De vijfde schooldag van oktober (uiterste datum van de wachtlijst, WL-01/WL-04)."""
    from lopdesk.domain.calendar import fifth_school_day_of_october

    day = fifth_school_day_of_october(year, _free_days(area))
    emit({"year": year, "date": day.isoformat()}, True) if as_json else echo(day.isoformat())


@calendar_app.command("first-school-day-of-march")
@handle_errors
def first_school_day_of_march(year: int = typer.Argument(..., min=1900, max=2200),
                              area: str | None = typer.Option(None, "--area"),
                              as_json: bool = JSON_OPTION) -> None:
    """De eerste schooldag van maart, na de krokusvakantie (oud regime, WL-04)."""
    from lopdesk.domain.calendar import first_school_day_of_march as f

    day = f(year, _free_days(area))
    emit({"year": year, "date": day.isoformat()}, True) if as_json else echo(day.isoformat())


@calendar_app.command("add")
@handle_errors
def calendar_add(area: str = typer.Argument(...), day: str = typer.Argument(...),
                 kind: str = typer.Option("free_day", "--kind", help="holiday of free_day"),
                 label: str = typer.Option("", "--label"),
                 as_json: bool = JSON_OPTION) -> None:
    """Een vakantiedag of vrije dag toevoegen aan de kalender van een gebied."""
    from lopdesk.commands.common import database
    from lopdesk.domain import areas

    d = parse.day(day, "datum")
    if d is None:
        raise parse.ParseError("datum", day, "geen datum")
    with database() as db:
        areas.add_calendar_day(db, area, d, kind=kind, label=label)
    if as_json:
        emit({"area_id": area, "date": d.isoformat(), "kind": kind, "label": label}, True)
    else:
        echo(f"{d.isoformat()} toegevoegd aan de kalender van {area}")


def install(app: typer.Typer) -> None:
    app.add_typer(calendar_app, name="calendar")
