"""`lopdesk extract register|notice|report|pv|case`: documents from templates.

`--format html|csv|txt|pdf|typ` (register and report also xlsx; csv with --excel-csv as
`;` with a BOM) (default: from the suffix of --out, else txt) and `--out
PATH` (stdout when omitted; a file is written whole or not at all, mode 0640). A PDF is
never written to a terminal: it needs --out (or stdout redirected to a file or pipe). Templates come
from LOPDESK_TEMPLATES first (only when group and others cannot write there), then the
package.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from lopdesk import parse
from lopdesk.commands.common import database, fail, handle_errors

extract_app = typer.Typer(help="Documenten: registeruittreksels, mededelingen, rapporten, "
                          "proces-verbaal, bemiddelingsdossier.", no_args_is_help=True)

FORMAT_OPTION = typer.Option(None, "--format", "-f",
                             help="html, csv, txt, pdf, typ (Typst-bron) of xlsx (register, "
                             "rapport); standaard: volgens --out, anders txt.")
OUT_OPTION = typer.Option(None, "--out", "-o", help="Bestand (standaard: stdout).")
EXCEL_CSV_OPTION = typer.Option(False, "--excel-csv",
                                help="CSV met ; en BOM, zodat Excel de kolommen toont.")


def _excel_csv(text: str | bytes, fmt: str, excel_csv: bool) -> str | bytes:
    if not excel_csv:
        return text
    if fmt != "csv":
        raise fail("--excel-csv geldt enkel voor --format csv")
    from lopdesk.domain import documents

    return documents.excel_csv(text if isinstance(text, str) else text.decode("utf-8"))


def _format(fmt: str | None, out: Path | None) -> str:
    if fmt:
        return fmt.lower()
    if out is not None and out.suffix.lower().lstrip(".") in ("html", "htm", "csv", "txt", "pdf",
                                                              "typ", "xlsx"):
        return {"htm": "html"}.get(out.suffix.lower().lstrip("."), out.suffix.lower()[1:])
    return "txt"


def _write(text: str | bytes, out: Path | None) -> None:
    if out is None:
        if isinstance(text, bytes):
            if sys.stdout.isatty():
                raise fail("--format pdf: geef --out BESTAND.pdf (een PDF hoort niet op het "
                           "scherm)")
            sys.stdout.flush()
            sys.stdout.buffer.write(text)
            sys.stdout.buffer.flush()
            return
        sys.stdout.write(text)
        return
    from lopdesk.commands.export import write_file

    write_file(out, text if isinstance(text, bytes) else text.encode("utf-8"))


def _tables_or_text(chosen: str, out: Path | None, excel_csv: bool,
                    tables: Callable[[Any], list], text: Callable[[Any], str | bytes]) -> None:
    """Register and report: a workbook of tables for xlsx, else the rendered document."""
    from lopdesk.commands.export import write_tables

    with database() as db:
        made = tables(db) if chosen == "xlsx" else text(db)
    if chosen == "xlsx":
        write_tables(made, out, "xlsx")
    else:
        _write(_excel_csv(made, chosen, excel_csv), out)


def _entry_id(db, entry: str, level: str | None) -> int:
    return parse.entry_id(db, entry, level)


@extract_app.command("register")
@handle_errors
def extract_register(
    level: str | None = typer.Option(None, "--level", help="Eén capaciteitsniveau."),
    school: str | None = typer.Option(None, "--school", help="Alle niveaus van een school."),
    area: str | None = typer.Option(None, "--area", help="Alle niveaus van een gebied."),
    year: int | None = typer.Option(None, "--year", help="Schooljaar (bv. 2027 = 2027-2028)."),
    plenary: bool = typer.Option(False, "--plenary",
                                 help="Gepseudonimiseerd uittreksel voor de plenaire vergadering."),
    fmt: str | None = FORMAT_OPTION, out: Path | None = OUT_OPTION,
    excel_csv: bool = EXCEL_CSV_OPTION,
) -> None:
    """Uittreksel uit het inschrijvingsregister (capaciteitsblad, leerlingenblad, registerblad)."""
    from lopdesk.domain import documents

    chosen = _format(fmt, out)
    kw = {"level_id": level, "school_id": school, "area_id": area, "school_year": year,
          "pseudonymise": plenary}
    _tables_or_text(chosen, out, excel_csv, lambda db: documents.register_tables(db, **kw),
                    lambda db: documents.render_register(db, chosen, **kw))


@extract_app.command("notice")
@handle_errors
def extract_notice(
    entry: str = typer.Argument(..., help="Inschrijving: ID of NIVEAU:NR."),
    level: str | None = typer.Option(None, "--level"),
    signed_on: str | None = typer.Option(None, "--date",
                                         help="Datum van ondertekening (standaard vandaag "
                                              "op de klok van de databank)."),
    signed_by: str = typer.Option("", "--signed-by", help="Naam van wie ondertekent."),
    motivation: str | None = typer.Option(None, "--motivation",
                                          help="Motivering (standaard volgens de reden)."),
    legal_ground: str | None = typer.Option(None, "--legal-ground", help="Juridische grond."),
    factual_ground: str | None = typer.Option(None, "--factual-ground",
                                              help="Feitelijke grond."),
    fmt: str | None = FORMAT_OPTION, out: Path | None = OUT_OPTION,
) -> None:
    """Mededeling van niet-gerealiseerde inschrijving (NGI-01); weigert als iets ontbreekt."""
    from lopdesk.domain import documents
    from lopdesk.labels import to_local

    day = parse.day(signed_on, "--date")
    with database() as db:
        text = documents.render_notice(
            db, _entry_id(db, entry, level), _format(fmt, out),
            signed_on=day or to_local(db.now()).date(),  # today on the database's clock
            signed_by=signed_by, motivation=motivation, legal_ground=legal_ground,
            factual_ground=factual_ground)
    _write(text, out)


@extract_app.command("report")
@handle_errors
def extract_report(
    area_arg: str | None = typer.Argument(None,
                                          help="Gebied (of --area, zoals bij 'register')."),
    area_opt: str | None = typer.Option(None, "--area", help="Gebied."),
    year: int = typer.Option(..., "--year", help="Schooljaar (bv. 2027 = 2027-2028)."),
    fmt: str | None = FORMAT_OPTION, out: Path | None = OUT_OPTION,
    excel_csv: bool = EXCEL_CSV_OPTION,
) -> None:
    """LOP-rapport: tellers, vrije-plaatsenbord, weigeringen en sociale mix."""
    from lopdesk.domain import documents

    if area_arg and area_opt and area_arg != area_opt:
        raise fail(f"twee verschillende gebieden: '{area_arg}' en --area '{area_opt}'")
    area = area_opt or area_arg
    if not area:
        raise fail("geef het gebied op: --area GEBIED")
    chosen = _format(fmt, out)
    _tables_or_text(chosen, out, excel_csv, lambda db: documents.report_tables(db, area, year),
                    lambda db: documents.render_report(db, area, year, chosen))


@extract_app.command("pv")
@handle_errors
def extract_pv(
    run: int = typer.Argument(..., help="Nummer van de toewijzing (zie 'lopdesk round runs')."),
    verify: bool = typer.Option(False, "--verify",
                                help="Eerst herberekenen: uitvoer-hash vergelijken en grenzen."),
    fmt: str | None = FORMAT_OPTION, out: Path | None = OUT_OPTION,
) -> None:
    """Proces-verbaal van een toewijzing (ALC-05)."""
    from lopdesk.domain import documents

    with database() as db:
        text = documents.render_pv(db, run, _format(fmt, out), verify=verify)
    _write(text, out)


@extract_app.command("case")
@handle_errors
def extract_case(
    case_id: str | None = typer.Argument(None, help="Bemiddelingsdossier."),
    data: Path | None = typer.Option(None, "--data",
                                     help="Dossier als JSON-bestand (in plaats van een id)."),
    fmt: str | None = FORMAT_OPTION, out: Path | None = OUT_OPTION,
) -> None:
    """Samenvatting van een bemiddelingsdossier voor de partijen."""
    import json

    from lopdesk.domain import documents

    if case_id is None and data is None:
        raise fail("geef een dossier-id of --data BESTAND.json")
    case = None
    if data is not None:
        try:
            case = json.loads(data.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise fail(f"{data}: geen leesbaar JSON-bestand ({exc})") from None
        if not isinstance(case, dict):
            raise fail(f"{data}: verwacht een JSON-object")
    with database() as db:
        text = documents.render_case(db, case_id, _format(fmt, out), case=case)
    _write(text, out)


def install(app: typer.Typer) -> None:
    app.add_typer(extract_app, name="extract")
