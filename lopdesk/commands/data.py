"""`lopdesk import …`, `lopdesk area create`, and the listings of the area."""

from __future__ import annotations

from pathlib import Path

import typer

from lopdesk.commands.common import JSON_OPTION, database, emit, fail, handle_errors

import_app = typer.Typer(help="CSV-bestanden inlezen: alles of niets (formats.md).",
                         no_args_is_help=True)
area_app = typer.Typer(help="LOP-werkingsgebieden.", no_args_is_help=True)

KIND_HELP = "areas, schools, levels, children of register"


def _import(kind: str, file: Path, as_json: bool) -> None:
    from lopdesk.domain.imports import import_csv

    with database() as db:
        summary = import_csv(db, kind, file)
    if as_json:
        emit(summary, True)
    else:
        typer.echo(f"{summary.file}: {summary.rows} rijen ingelezen ({kind})")


def _make_import(kind: str):
    @handle_errors
    def command(file: Path = typer.Argument(..., help=f"Het CSV-bestand ({kind})."),
                template: bool = typer.Option(False, "--template",
                                              help="Toon enkel de kopregel van dit bestand."),
                as_json: bool = JSON_OPTION) -> None:
        if template:
            from lopdesk.domain.imports import export_template

            typer.echo(export_template(kind), nl=False)
            return
        _import(kind, file, as_json)

    command.__doc__ = f"{kind}.csv inlezen (docs/formats-lopdesk.md)."
    return command


for _kind in ("areas", "schools", "levels", "children", "register"):
    import_app.command(_kind)(_make_import(_kind))


@area_app.command("create")
@handle_errors
def area_create(area_id: str = typer.Argument(...), name: str = typer.Argument(...),
                education: str = typer.Option("primary", "--education",
                                              help="primary of secondary."),
                per_contingent: bool = typer.Option(False, "--per-contingent-lists"),
                as_json: bool = JSON_OPTION) -> None:
    """Een werkingsgebied aanmaken."""
    from lopdesk.domain import areas

    if education not in ("primary", "secondary"):
        raise fail(f"--education: '{education}' moet primary of secondary zijn")
    with database() as db:
        area = areas.create_area(db, area_id, name, education=education,
                                 per_contingent_lists=per_contingent)
    emit(area, True) if as_json else typer.echo(f"gebied {area_id} aangemaakt")


@area_app.command("list")
@handle_errors
def area_list(as_json: bool = JSON_OPTION) -> None:
    """De werkingsgebieden."""
    from lopdesk.domain.directory import list_areas

    with database() as db:
        rows = list_areas(db)
    emit(rows, as_json, [("id", "gebied"), ("name", "naam"), ("education", "onderwijs"),
                         ("schools", "scholen")])


@handle_errors
def schools_cmd(area: str | None = typer.Option(None, "--area"),
                as_json: bool = JSON_OPTION) -> None:
    """De scholen van het gebied."""
    from lopdesk.domain.directory import list_schools

    with database() as db:
        rows = list_schools(db, area)
    emit(rows, as_json, [("id", "school"), ("name", "naam"), ("neighbourhood", "wijk"),
                         ("area_id", "gebied"), ("levels", "niveaus")])


@handle_errors
def levels_cmd(school: str | None = typer.Option(None, "--school"),
               area: str | None = typer.Option(None, "--area"),
               year: int | None = typer.Option(None, "--year"),
               as_json: bool = JSON_OPTION) -> None:
    """De capaciteitsniveaus."""
    from lopdesk.domain.directory import list_levels

    with database() as db:
        rows = list_levels(db, school, area, year)
    emit(rows, as_json, [("id", "niveau"), ("school_id", "school"), ("school_year", "jaar"),
                         ("regime", "regime"), ("kind", "soort"), ("label", "label"),
                         ("capacity", "capaciteit"), ("entries", "inschrijvingen")])


@handle_errors
def children_cmd(search: str | None = typer.Argument(None, help="Deel van naam of id."),
                 limit: int = typer.Option(200, "--limit", min=1),
                 as_json: bool = JSON_OPTION) -> None:
    """Kinderen zoeken op naam of id."""
    from lopdesk.domain.directory import list_children

    with database() as db:
        rows = list_children(db, search, limit)
    emit(rows, as_json, [("id", "kind"), ("last_name", "naam"), ("first_name", "voornaam"),
                         ("birth_date", "geboren"), ("indicator", "indicator"),
                         ("requests", "aanvragen")])


@handle_errors
def counters_cmd(area: str | None = typer.Option(None, "--area"),
                 year: int | None = typer.Option(None, "--year"),
                 level: str | None = typer.Option(None, "--level"),
                 as_json: bool = JSON_OPTION) -> None:
    """De tellers per niveau: capaciteit, bezet, gerealiseerd, uitgesteld, vrije plaatsen."""
    from lopdesk.domain.counters import area_counters

    with database() as db:
        rows = area_counters(db, area, year)
    if level:
        rows = [r for r in rows if r.level_id == level]
        if not rows:
            raise fail(f"capaciteitsniveau '{level}' bestaat niet")
    data = [{**r.__dict__, "realised": r.realised, "seated": r.seated,
             "deferred": r.deferred_indicator + r.deferred_non_indicator} for r in rows]
    emit(data, as_json, [("level_id", "niveau"), ("school_name", "school"),
                         ("label", "label"), ("capacity", "cap."), ("seated", "bezet"),
                         ("realised", "gereal."), ("deferred", "uitgest."),
                         ("waiting", "niet-gereal."), ("free_places", "vrij"),
                         ("free_places_field", "vrije plaatsen LOP"), ("full", "volzet")])


def install(app: typer.Typer) -> None:
    app.add_typer(import_app, name="import")
    app.add_typer(area_app, name="area")
    app.command("schools")(schools_cmd)
    app.command("levels")(levels_cmd)
    app.command("children")(children_cmd)
    app.command("counters")(counters_cmd)
