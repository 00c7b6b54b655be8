"""`lopdesk allocate …`: the stateless central allocation on files (formats.md).

    lopdesk allocate INPUT_DIR --out OUTPUT_DIR [--seed N] [--tiebreak single|multiple] [--improve]
    lopdesk allocate explain OUTPUT_DIR CHILD_ID      (or --run N for a run stored in the database)
    lopdesk allocate hague INPUT_DIR --out OUTPUT_DIR [--seed N] [--allow-short-lists]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from typer.core import TyperGroup

from lopdesk.commands.common import JSON_OPTION, database, echo, emit, fail, handle_errors
from lopdesk.commands.dutch_help import choices
from lopdesk.labels import TIEBREAK


class _DefaultToRun(TyperGroup):
    """`allocate INPUT_DIR …` is short for `allocate run INPUT_DIR …`."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


allocate_app = typer.Typer(cls=_DefaultToRun, no_args_is_help=True,
                           help="Centrale toewijzing van aanmeldingen (aanmeldingsprocedure).")


def _print_summary(record: dict, out: Path) -> None:
    c = record["counts"]
    echo(f"{record['mechanism']} zaad {record['seed']}: {c['children']} kinderen, "
               f"{c['placed']} toegewezen ({c['first_choice']} eerste keuze), "
               f"{c['unplaced']} zonder plaats")
    dist = ", ".join(f"keuze {k}: {v}" for k, v in sorted(c["rank_distribution"].items(),
                                                          key=lambda kv: int(kv[0])))
    if dist:
        echo(f"verdeling: {dist}")
    if record["options"].get("improve"):
        echo(f"verbeteringscycli: {c['improvement_cycles']}, "
                   f"{c['improved_children']} kinderen beter af")
    echo(f"assignments.csv sha256 {record['assignments_sha256']}")
    echo(f"resultaten in {out}")


@allocate_app.command("run")
@handle_errors
def allocate_run(
    input_dir: Path = typer.Argument(..., help="Map met levels.csv, children.csv, "
                                     "applications.csv."),
    out: Path = typer.Option(..., "--out", help="Nieuwe map voor de resultaten."),
    seed: int | None = typer.Option(None, "--seed", help="Zaad van de loting; standaard "
                                    "getrokken en bewaard."),
    tiebreak: str = typer.Option("single", "--tiebreak", help=choices("Loting", TIEBREAK)),
    improve: bool = typer.Option(False, "--improve", help="Stabiele verbeteringscycli (ALC-07)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """De toewijzing uitvoeren op bestanden (uitgestelde aanvaarding)."""
    from lopdesk.commands.common import acting_user
    from lopdesk.matching.io import run_allocation

    record = run_allocation(input_dir, out, seed=seed, tiebreak=tiebreak, improve=improve,
                            user=acting_user())
    if as_json:
        emit(record, True)
    else:
        _print_summary(record, out)


@allocate_app.command("explain")
@handle_errors
def allocate_explain(
    target: str = typer.Argument(..., help="Uitvoermap van een toewijzing, of met --run het "
                                 "nummer van een toewijzing in de databank."),
    child: str = typer.Argument(..., help="Het kind (pseudoniem)."),
    run: bool = typer.Option(False, "--run",
                             help="DOEL is het nummer van een toewijzing in de databank."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Waarom kreeg een kind (geen) plaats bij elke school van zijn lijst (ALC-06)."""
    from lopdesk.matching.explain import explain_child
    from lopdesk.present import explanation_text

    names = None
    if run:
        if not target.isdigit():
            raise fail(f"--run verwacht het nummer van een toewijzing, niet '{target}'")
        from lopdesk.domain import allocation

        with database() as db:
            rows = allocation.explain_run(db, int(target), child)
            if not as_json:
                names = allocation.run_names(db, [child], [r.level_id for r in rows])
    else:
        rows = explain_child(Path(target), child)
    if as_json:
        emit(rows, True)
        return
    # The app shows the same Dutch text; the engine's codes stay in --json (formats.md).
    echo(explanation_text(child, rows, names))


@allocate_app.command("hague")
@handle_errors
def allocate_hague(
    input_dir: Path = typer.Argument(..., help="Map met de bestanden van docs/hague.md."),
    out: Path = typer.Option(..., "--out", help="Nieuwe map voor de resultaten."),
    seed: int | None = typer.Option(None, "--seed", help="Zaad van de loting; standaard "
                                    "getrokken en bewaard."),
    allow_short_lists: bool = typer.Option(
        False, "--allow-short-lists", help="Lijsten van minder dan vijf scholen toelaten (voor "
        "een LOP dat die regel niet gebruikt); de toewijzing bewaart dat."),
    as_json: bool = JSON_OPTION,
) -> None:
    """De Haagse variant: schoolloting, centrale loting en vacatureronde (docs/hague.md)."""
    from lopdesk.commands.common import acting_user
    from lopdesk.matching.hague_io import run_hague

    record = run_hague(input_dir, out, seed=seed, user=acting_user(),
                       allow_short_lists=allow_short_lists)
    if as_json:
        emit(record, True)
    else:
        c = record["counts"]
        echo(f"periode {record['period']} zaad {record['seed']}: "
                   f"{c['placed']} geplaatst, {c['unplaced']} zonder plaats, "
                   f"{c['school_lottery']} via de schoolloting")
        if record["options"]["allow_short_lists"]:
            echo(f"let op: lijsten van minder dan vijf scholen toegelaten "
                       f"(--allow-short-lists), {c['short_lists']} kinderen met een korte lijst")
        if record["options"]["opt_in"]:
            echo(f"vacatureronde: {c['signed_up']} kinderen aangemeld (participants.csv)")
        echo(f"resultaten in {out}")


def install(app: typer.Typer) -> None:
    app.add_typer(allocate_app, name="allocate")
