"""`lopdesk export board|results`: tables for a spreadsheet, and the table writer that
`lopdesk extract register|report --format xlsx` shares.

The format follows --out: `.xlsx` (typed columns, frozen header, autofilter, a sheet per
table) or `.csv` (`,` and UTF-8; with --excel-csv `;` and a BOM, so a double-click in
Excel shows the columns). A file is written whole or not at all, mode 0640.
"""

from __future__ import annotations

from pathlib import Path

import typer

from lopdesk.commands.common import database, echo, fail, handle_errors

export_app = typer.Typer(help="Tabellen voor een rekenblad (.xlsx of .csv): vrije-plaatsenbord, "
                         "toewijzing en wachtlijsten.", no_args_is_help=True)

OUT_OPTION = typer.Option(..., "--out", "-o", help="Bestand: .xlsx of .csv.")
EXCEL_CSV_OPTION = typer.Option(False, "--excel-csv",
                                help="CSV met ; en BOM, zodat Excel de kolommen toont.")
TABLE_OPTION = typer.Option(None, "--table",
                            help="Welke tabel in een CSV-bestand (standaard de eerste).")


def table_format(out: Path, fmt: str | None = None) -> str:
    chosen = (fmt or out.suffix.lstrip(".")).lower()
    if chosen not in ("xlsx", "csv"):
        raise fail(f"--out {out}: kies een bestand op .xlsx of .csv")
    return chosen


def write_tables(tables: list, out: Path | None, fmt: str, *, excel_csv: bool = False,
                 table: str | None = None) -> None:
    """Write tables as a workbook or one table as CSV (to stdout when `out` is None)."""

    from lopdesk.domain import documents

    if fmt == "xlsx":
        data = documents.xlsx_bytes(tables)
    else:
        names = [t.title for t in tables]
        chosen = tables[0]
        if table is not None:
            match = [t for t in tables if t.title.casefold() == table.casefold()]
            if not match:
                raise fail(f"--table: '{table}' bestaat niet (kies uit {', '.join(names)})")
            chosen = match[0]
        data = documents.csv_bytes(chosen, excel=excel_csv)
    write_bytes(data, out, binary=fmt == "xlsx")


def write_bytes(data: bytes, out: Path | None, *, binary: bool) -> None:
    import sys

    if out is None:
        if binary and sys.stdout.isatty():
            raise fail("geef --out BESTAND: dit formaat hoort niet op het scherm")
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    write_file(out, data)


def write_file(out: Path, data: bytes) -> None:
    """Write --out whole or not at all, 0640: the group reads it, others do not."""
    from lopdesk.files import write_private_atomic

    try:
        write_private_atomic(out, data)
    except OSError as exc:
        raise fail(f"--out {out}: kan het bestand niet schrijven "
                   f"({exc.strerror or exc}); er is niets geschreven") from None
    echo(f"geschreven naar {out}", err=True)


@export_app.command("board")
@handle_errors
def export_board(area: str | None = typer.Option(None, "--area", help="Gebied."),
                 year: int | None = typer.Option(None, "--year", help="Schooljaar."),
                 out: Path = OUT_OPTION, excel_csv: bool = EXCEL_CSV_OPTION) -> None:
    """Het vrije-plaatsenbord: de tellers van elk niveau (CAP-04, CAP-05)."""
    from lopdesk.domain import documents

    fmt = table_format(out)
    with database() as db:
        tables = documents.board_tables(db, area, year)
    write_tables(tables, out, fmt, excel_csv=excel_csv)


@export_app.command("results")
@handle_errors
def export_results(run: int = typer.Argument(..., help="Nummer van de toewijzing (zie "
                                             "'lopdesk round runs')."),
                   out: Path = OUT_OPTION, excel_csv: bool = EXCEL_CSV_OPTION,
                   table: str | None = TABLE_OPTION) -> None:
    """De plaatsen en de wachtlijsten van een toewijzing (tabellen Toewijzing en
    Wachtlijsten)."""
    from lopdesk.domain import documents

    fmt = table_format(out)
    with database() as db:
        tables = documents.results_tables(db, run)
    write_tables(tables, out, fmt, excel_csv=excel_csv, table=table)


def install(app: typer.Typer) -> None:
    app.add_typer(export_app, name="export")
