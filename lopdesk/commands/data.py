"""`lopdesk import …`, `lopdesk area create`, and the listings of the area."""

from __future__ import annotations

from pathlib import Path

import typer

from lopdesk.commands.common import JSON_OPTION, database, echo, emit, fail, handle_errors
from lopdesk.commands.dutch_help import choices
from lopdesk.labels import EDUCATION

import_app = typer.Typer(help="CSV- of Excel-bestanden (.xlsx) inlezen: alles of niets "
                         "(formats.md).",
                         no_args_is_help=True)
area_app = typer.Typer(help="LOP-werkingsgebieden.", no_args_is_help=True)

KIND_HELP = "areas, schools, levels, children of register"


def _import(kind: str, file: Path | None, as_json: bool, sheet: str | None = None) -> None:
    if file is None:
        raise fail(f"geef het CSV-bestand of Excel-bestand op (of --template voor de kopregel van "
                   f"{kind}.csv)")
    from lopdesk.domain.imports import import_csv

    with database() as db:
        summary = import_csv(db, kind, file, sheet)
    if as_json:
        emit(summary, True)
    else:
        echo(f"{summary.file}: {summary.rows} rijen ingelezen ({kind})")
    for warning in summary.warnings:
        echo(f"waarschuwing: {warning}", err=True)


def _make_import(kind: str):
    @handle_errors
    def command(file: Path | None = typer.Argument(
                    None, help=f"Het CSV- of Excel-bestand ({kind}); niet nodig met "
                    "--template."),
                sheet: str | None = typer.Option(
                    None, "--sheet", help="Blad van het Excel-bestand (standaard het eerste)."),
                template: bool = typer.Option(False, "--template",
                                              help="Toon enkel de kopregel van dit bestand."),
                as_json: bool = JSON_OPTION) -> None:
        if template:
            from lopdesk.domain.imports import export_template

            echo(export_template(kind), nl=False)
            return
        _import(kind, file, as_json, sheet)

    command.__doc__ = f"{kind}.csv inlezen (docs/formats-lopdesk.md)."
    return command


for _kind in ("areas", "schools", "levels", "children", "register"):
    import_app.command(_kind)(_make_import(_kind))


@area_app.command("create")
@handle_errors
def area_create(area_id: str = typer.Argument(...), name: str = typer.Argument(...),
                education: str = typer.Option("primary", "--education",
                                              help=choices("Onderwijs", EDUCATION)),
                per_contingent: bool = typer.Option(False, "--per-contingent-lists"),
                reply_days: int = typer.Option(5, "--offer-reply-days",
                                               help="Schooldagen om op een aanbod van een "
                                                    "vrijgekomen plaats te antwoorden."),
                as_json: bool = JSON_OPTION) -> None:
    """Een werkingsgebied aanmaken."""
    from lopdesk.domain import areas

    if education not in ("primary", "secondary"):
        raise fail(f"--education: '{education}' moet primary of secondary zijn")
    with database() as db:
        area = areas.create_area(db, area_id, name, education=education,
                                 per_contingent_lists=per_contingent,
                                 offer_reply_days=reply_days)
    emit(area, True) if as_json else echo(f"gebied {area_id} aangemaakt")


@area_app.command("list")
@handle_errors
def area_list(as_json: bool = JSON_OPTION) -> None:
    """De werkingsgebieden."""
    from lopdesk.domain.directory import list_areas
    from lopdesk.labels import EDUCATION, label

    with database() as db:
        rows = list_areas(db)
    emit(rows, as_json,
         [("id", "gebied"), ("name", "naam"), ("education", "onderwijs"),
          ("schools", "scholen")],
         shown=lambda r: {**_fields(r), "education": label(EDUCATION, r.education)})


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
    from lopdesk.labels import LEVEL_KIND, REGIME, label, school_year_label

    with database() as db:
        rows = list_levels(db, school, area, year)
    emit(rows, as_json,
         [("id", "niveau"), ("school_id", "school"), ("school_year", "schooljaar"),
          ("regime", "regime"), ("kind", "soort"), ("label", "label"),
          ("capacity", "capaciteit"), ("entries", "inschrijvingen")],
         shown=lambda r: {**_fields(r), "regime": label(REGIME, r.regime),
                          "kind": label(LEVEL_KIND, r.kind),
                          "school_year": school_year_label(r.school_year)})


@handle_errors
def children_cmd(search: str | None = typer.Argument(None, help="Deel van naam of id."),
                 limit: int = typer.Option(200, "--limit", min=1),
                 as_json: bool = JSON_OPTION) -> None:
    """Kinderen zoeken op naam of id."""
    from lopdesk.domain.directory import list_children
    from lopdesk.labels import fmt_date, yes_no

    with database() as db:
        rows = list_children(db, search, limit)
    emit(rows, as_json,
         [("id", "kind"), ("last_name", "naam"), ("first_name", "voornaam"),
          ("birth_date", "geboren"), ("indicator", "indicator"), ("requests", "aanvragen")],
         shown=lambda r: {**_fields(r), "indicator": yes_no(r.indicator),
                          "birth_date": fmt_date(r.birth_date)})


@handle_errors
def counters_cmd(area: str | None = typer.Option(None, "--area"),
                 year: int | None = typer.Option(None, "--year"),
                 level: str | None = typer.Option(None, "--level"),
                 as_json: bool = JSON_OPTION) -> None:
    """De tellers per niveau: capaciteit, bezet, gerealiseerd, uitgesteld, vrije plaatsen."""
    from lopdesk.domain.counters import area_counters
    from lopdesk.labels import free_places_board, yes_no

    with database() as db:
        rows = area_counters(db, area, year)
    if level:
        rows = [r for r in rows if r.level_id == level]
        if not rows:
            raise fail(f"capaciteitsniveau '{level}' bestaat niet")
    data = [{**r.__dict__, "realised": r.realised, "seated": r.seated,
             "deferred": r.deferred_indicator + r.deferred_non_indicator} for r in rows]
    # As JSON the machine codes: the field as stored, full as true/false.
    emit(data, as_json,
         [("level_id", "niveau"), ("school_name", "school"), ("label", "label"),
          ("capacity", "cap."), ("seated", "bezet"), ("realised", "gereal."),
          ("deferred", "uitgest."), ("waiting", "niet-gereal."), ("free_places", "vrij"),
          ("free_places_field", "vrije plaatsen LOP"), ("full", "volzet")],
         shown=lambda d: {**d, "free_places_field": free_places_board(d["free_places_field"]),
                          "full": yes_no(d["full"])})


def _fields(row) -> dict:
    """A listing row (dataclass or named tuple) as a dict."""
    if hasattr(row, "_asdict"):
        return row._asdict()
    return dict(row.__dict__)


def install(app: typer.Typer) -> None:
    app.add_typer(import_app, name="import")
    app.add_typer(area_app, name="area")
    app.command("schools")(schools_cmd)
    app.command("levels")(levels_cmd)
    app.command("children")(children_cmd)
    app.command("counters")(counters_cmd)
