"""`lopdesk allocate …`: the stateless central allocation on files (formats.md).

    lopdesk allocate INPUT_DIR --out OUTPUT_DIR [--seed N] [--tiebreak single|multiple] [--improve]
    lopdesk allocate explain OUTPUT_DIR CHILD_ID      (or --run N for a run stored in the database)
    lopdesk allocate hague INPUT_DIR --out OUTPUT_DIR [--seed N]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from typer.core import TyperGroup

from lopdesk.commands.common import JSON_OPTION, database, emit, fail, handle_errors


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
    typer.echo(f"{record['mechanism']} seed {record['seed']}: {c['children']} kinderen, "
               f"{c['placed']} toegewezen ({c['first_choice']} eerste keuze), "
               f"{c['unplaced']} zonder plaats")
    dist = ", ".join(f"keuze {k}: {v}" for k, v in sorted(c["rank_distribution"].items(),
                                                          key=lambda kv: int(kv[0])))
    if dist:
        typer.echo(f"verdeling: {dist}")
    if record["options"].get("improve"):
        typer.echo(f"verbeteringscycli: {c['improvement_cycles']}, "
                   f"{c['improved_children']} kinderen beter af")
    typer.echo(f"assignments.csv sha256 {record['assignments_sha256']}")
    typer.echo(f"resultaten in {out}")


@allocate_app.command("run")
@handle_errors
def allocate_run(
    input_dir: Path = typer.Argument(..., help="Map met levels.csv, children.csv, "
                                     "applications.csv."),
    out: Path = typer.Option(..., "--out", help="Nieuwe map voor de resultaten."),
    seed: int | None = typer.Option(None, "--seed", help="Standaard: getrokken en bewaard."),
    tiebreak: str = typer.Option("single", "--tiebreak", help="single of multiple."),
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
    target: str = typer.Argument(..., help="Uitvoermap van een allocatie, of het nummer van "
                                 "een run in de databank met --run."),
    child: str = typer.Argument(..., help="Het kind (pseudoniem)."),
    run: bool = typer.Option(False, "--run", help="TARGET is een run in de databank."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Waarom kreeg een kind (geen) plaats bij elke school van zijn lijst (ALC-06)."""
    import tempfile

    from lopdesk.matching.explain import OUTCOME_LABEL, explain_child

    if run:
        if not target.isdigit():
            raise fail(f"--run verwacht een runnummer, niet '{target}'")
        from lopdesk.domain import allocation

        with database() as db, tempfile.TemporaryDirectory() as tmp:
            allocation.rerun_to_folder(db, int(target), Path(tmp) / "out")
            rows = explain_child(Path(tmp) / "out", child)
    else:
        rows = explain_child(Path(target), child)
    if as_json:
        emit(rows, True)
        return
    # The table speaks Dutch; the engine's codes stay in --json (formats.md).
    from lopdesk.domain.documents import cutoff_label, group_label

    data = [{**r.__dict__, "outcome": OUTCOME_LABEL[r.outcome],
             "priority_group": group_label(r.priority_group),
             "cutoff": cutoff_label(r.cutoff), "reason": cutoff_label(r.reason)} for r in rows]
    emit(data, False, [("choice_rank", "keuze"), ("level_id", "niveau"),
                       ("priority_group", "groep"), ("number", "nummer"),
                       ("cutoff", "grens"), ("outcome", "uitkomst"),
                       ("position", "wachtlijst"), ("reason", "reden")],
         title=f"Uitleg voor {child}")


@allocate_app.command("hague")
@handle_errors
def allocate_hague(
    input_dir: Path = typer.Argument(..., help="Map met de bestanden van docs/hague.md."),
    out: Path = typer.Option(..., "--out", help="Nieuwe map voor de resultaten."),
    seed: int | None = typer.Option(None, "--seed"),
    as_json: bool = JSON_OPTION,
) -> None:
    """De Haagse variant: schoolloting, centrale loting en vacatureronde (docs/hague.md)."""
    from lopdesk.commands.common import acting_user
    from lopdesk.matching.hague_io import run_hague

    record = run_hague(input_dir, out, seed=seed, user=acting_user())
    if as_json:
        emit(record, True)
    else:
        c = record["counts"]
        typer.echo(f"periode {record['period']} seed {record['seed']}: "
                   f"{c['placed']} geplaatst, {c['unplaced']} zonder plaats, "
                   f"{c['school_lottery']} via de schoolloting")
        typer.echo(f"resultaten in {out}")


def install(app: typer.Typer) -> None:
    app.add_typer(allocate_app, name="allocate")
