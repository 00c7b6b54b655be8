"""`lopdesk round …`: the central allocation on applications stored in the database."""

from __future__ import annotations

from pathlib import Path

import typer

from lopdesk.commands import common
from lopdesk.commands.dutch_help import choices
from lopdesk.labels import CRITERION, PRECEDENCE, PRIORITY_GROUP, TIEBREAK

# The groups an order of priority names (everyone else comes after them).
PRIORITY_ORDER_HELP = ("Volgorde van de voorrangsgroepen, met > ertussen. " + choices(
    "Groepen", {code: text for code, text in PRIORITY_GROUP.items() if code != "none"}))

round_app = typer.Typer(help="Aanmeldingsrondes in de databank: aanmeldingen, toewijzing.",
                        no_args_is_help=True)

@round_app.command("create")
@common.handle_errors
def round_create(round_id: str = typer.Argument(...), area: str = typer.Option(..., "--area"),
                 year: int = typer.Option(..., "--year", help="Schooljaar (2027 = 2027-2028)."),
                 name: str = typer.Option("", "--name"),
                 tiebreak: str = typer.Option("single", "--tiebreak",
                                              help=choices("Loting", TIEBREAK)),
                 at: str | None = common.AT_OPTION,
                 as_json: bool = common.JSON_OPTION) -> None:
    """Een aanmeldingsronde aanmaken."""
    from lopdesk.domain import allocation

    when = common.parse_when(at)
    with common.database() as db:
        rnd = allocation.create_round(db, round_id, area, year, name or round_id,
                                      tiebreak=tiebreak, at=when)
    common.emit(rnd, True) if as_json else common.echo(f"ronde {rnd.id} aangemaakt")


@round_app.command("level")
@common.handle_errors
def round_level(round_id: str = typer.Argument(...), level: str = typer.Argument(...),
                capacity: int | None = typer.Option(None, "--capacity",
                                                    help="Standaard: de vrije plaatsen."),
                reserved_indicator: int = typer.Option(0, "--reserved-indicator"),
                reserved_non_indicator: int = typer.Option(0, "--reserved-non-indicator"),
                precedence: str = typer.Option("priority_first", "--precedence",
                                               help=choices("Voorrang", PRECEDENCE)),
                criterion: str = typer.Option("random", "--criterion",
                                              help=choices("Ordening", CRITERION)),
                priority_order: str = typer.Option("sibling_staff>sibling>staff",
                                                   "--priority-order",
                                                   help=PRIORITY_ORDER_HELP),
                as_json: bool = common.JSON_OPTION) -> None:
    """Een niveau laten deelnemen aan de ronde, met zijn plaatsen en ordeningsregels."""
    from lopdesk.domain import allocation

    with common.database() as db:
        row = allocation.add_round_level(
            db, round_id, level, capacity=capacity, reserved_indicator=reserved_indicator,
            reserved_non_indicator=reserved_non_indicator, precedence=precedence,
            criterion=criterion, priority_order=priority_order)
    if as_json:
        common.emit(row, True)
    else:
        common.echo(f"{level} neemt deel met {row.capacity} plaatsen")


@round_app.command("apply")
@common.handle_errors
def round_apply(round_id: str = typer.Argument(...), child: str = typer.Argument(...),
                levels: list[str] = typer.Argument(..., help="Niveaus in volgorde van voorkeur."),
                at: str | None = common.AT_OPTION,
                as_json: bool = common.JSON_OPTION) -> None:
    """De gerangschikte lijst van een kind opslaan (vervangt een vorige lijst)."""
    from lopdesk.domain import allocation

    when = common.parse_when(at)
    with common.database() as db:
        n = allocation.add_applications(db, round_id, child, levels, at=when)
    if as_json:
        common.emit({"round_id": round_id, "child_id": child, "levels": levels, "saved": n}, True)
    else:
        common.echo(f"{child}: {n} keuzes opgeslagen")


@round_app.command("import")
@common.handle_errors
def round_import(round_id: str = typer.Argument(...),
                 file: Path = typer.Argument(..., help="applications.csv of .xlsx "
                                             "(formats.md)."),
                 sheet: str | None = typer.Option(
                     None, "--sheet", help="Blad van het Excel-bestand (standaard het eerste)."),
                 as_json: bool = common.JSON_OPTION) -> None:
    """Aanmeldingen inlezen; bij een fout wordt niets opgeslagen."""
    from lopdesk.domain import allocation

    with common.database() as db:
        n = allocation.import_applications(db, round_id, file, sheet)
    if as_json:
        common.emit({"round_id": round_id, "file": str(file), "rows": n}, True)
    else:
        common.echo(f"{n} aanmeldingen ingelezen in ronde {round_id}")


@round_app.command("export")
@common.handle_errors
def round_export(round_id: str = typer.Argument(...), out: Path = typer.Option(..., "--out")
                 ) -> None:
    """De ronde wegschrijven als invoermap voor 'lopdesk allocate'."""
    from lopdesk.domain import allocation

    with common.database() as db, db.read() as s:
        allocation.export_round(s, round_id, out)
    common.echo(f"invoerbestanden in {out}")


@round_app.command("run")
@common.handle_errors
def round_run(round_id: str = typer.Argument(...),
              seed: int | None = typer.Option(None, "--seed",
                                              help="Zaad van de loting; standaard getrokken."),
              tiebreak: str | None = typer.Option(
                  None, "--tiebreak",
                  help=choices("Loting (standaard die van de ronde)", TIEBREAK)),
              improve: bool = typer.Option(False, "--improve"),
              replace: bool = typer.Option(False, "--replace",
                                           help="Een vorige toewijzing uitdrukkelijk vervangen."),
              keep_later_events: bool = typer.Option(
                  False, "--keep-later-events",
                  help="Met --replace: vervangen en de latere feiten behouden (intrekkingen, "
                       "weigeringen, goedgekeurde capaciteit, aanbiedingen, mededelingen)."),
              preview: bool = typer.Option(
                  False, "--preview",
                  help="Met --replace: enkel tonen wat de vervanging zou raken; niets schrijven."),
              reason: str = typer.Option("", "--reason",
                                         help="Met --replace: waarom (komt in het PV)."),
              out: Path | None = typer.Option(None, "--out", help="Bewaar ook de uitvoermap."),
              at: str | None = common.AT_OPTION,
              as_json: bool = common.JSON_OPTION) -> None:
    """Toewijzen en de resultaten in de registers schrijven (REG-07).

    Een vervanging (--replace) wordt geweigerd zolang er latere feiten zijn op de lijnen van
    de vorige toewijzing (ALC-05); --preview toont ze, --keep-later-events behoudt ze."""
    from lopdesk.domain import allocation

    if (keep_later_events or preview or reason) and not replace:
        raise common.fail("--keep-later-events, --preview en --reason horen bij --replace.")
    when = common.parse_when(at)
    with common.database() as db:
        if preview:
            impact = allocation.preview_replacement(db, round_id)
            if impact is None:
                raise common.fail(f"ronde {round_id} heeft geen geldige toewijzing om te "
                                  "vervangen.")
            if as_json:
                common.emit(impact, True)
            else:
                common.echo("\n".join(impact.lines()))
            return
        res = allocation.run_round(db, round_id, seed=seed, tiebreak=tiebreak, improve=improve,
                                   replace=replace, keep_output=out,
                                   keep_later_events=keep_later_events, replace_reason=reason,
                                   at=when)
    if as_json:
        common.emit(res, True)
    else:
        common.echo(f"toewijzing {res.run_id} van ronde {res.round_id} (zaad {res.seed}): "
                   f"{res.placed} van {res.children} kinderen geplaatst, {res.unplaced} niet; "
                   f"{res.entries_written} registerlijnen geschreven"
                   + (f"; toewijzing {res.replaced_run} vervangen" if res.replaced_run else ""))


@round_app.command("runs")
@common.handle_errors
def round_runs(round_id: str | None = typer.Argument(None),
               as_json: bool = common.JSON_OPTION) -> None:
    """De toewijzingen (met zaad, hashes en wie) van een ronde."""
    from lopdesk.domain import allocation
    from lopdesk.labels import RUN_STATUS, fmt_datetime, label

    with common.database() as db:
        rows = allocation.list_runs(db, round_id)
    common.emit(rows, as_json,
                [("id", "toewijzing"), ("round_id", "ronde"), ("status", "status"),
                 ("seed", "zaad"),
                 ("output_hash", "uitvoer-hash"), ("user", "door"), ("started_at", "tijdstip")],
                shown=lambda r: {**r.__dict__, "status": label(RUN_STATUS, r.status),
                                 "started_at": fmt_datetime(r.started_at)})


@round_app.command("list")
@common.handle_errors
def round_list(as_json: bool = common.JSON_OPTION) -> None:
    """Alle aanmeldingsrondes."""
    from lopdesk.domain import allocation
    from lopdesk.labels import ROUND_STATUS, label, school_year_label

    with common.database() as db:
        rows = allocation.list_rounds(db)
    common.emit(rows, as_json,
                [("id", "ronde"), ("area_id", "gebied"), ("school_year", "schooljaar"),
                 ("status", "status"), ("name", "naam")],
                shown=lambda r: {**r.model_dump(), "status": label(ROUND_STATUS, r.status),
                                 "school_year": school_year_label(r.school_year)})


def install(app: typer.Typer) -> None:
    app.add_typer(round_app, name="round")
