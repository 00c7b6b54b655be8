"""Exports as tables, for a spreadsheet: the register extract, the free-places board, the
LOP report's tables, and an allocation run's results and waiting lists.

A table has Dutch column titles and a type per column (text, int, float, share, date,
moment), so the Excel writer can give each cell its real type; the same tables are
written as CSV (`,` or, for Excel, `;` with a BOM). Writers: `xlsx_bytes`, `csv_bytes`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from lopdesk.db import Database
from lopdesk.domain.extracts.environment import FORMULA_STARTS, audit_document, csv_cell
from lopdesk.labels import (
    CONTINGENT,
    PRIORITY_GROUP,
    REASON,
    STATUS,
    free_places_board,
    to_local,
)

# Column types: how a value is written into a cell and how Excel shows it.
TYPES = ("text", "int", "float", "share", "date", "moment")
NUMBER_FORMATS = {"date": "DD/MM/YYYY", "moment": "DD/MM/YYYY HH:MM:SS", "share": "0.0%",
                  "float": "0.000"}
MAX_SHEET_TITLE = 31  # Excel's limit


@dataclass
class Table:
    """One sheet: a title (the sheet's name) and (title, type) columns."""

    title: str
    columns: list[tuple[str, str]]
    rows: list[list[Any]] = field(default_factory=list)


# --- building the tables ------------------------------------------------------------------


def _coded(table: dict[str, str], code: str | None) -> str:
    return table.get(code or "", code or "")


def register_tables(db: Database, **kw: Any) -> list[Table]:
    """The register extract (not the plenary one) as one row per register entry, as
    register.csv has it; kw as register_context. On record as a document (domain §10)."""
    from lopdesk.domain.extracts.register import register_context

    if kw.get("pseudonymise"):
        from lopdesk.domain.errors import InvalidInput

        raise InvalidInput("het plenaire uittreksel bestaat niet als rekenblad (enkel "
                           "tellingen en pseudoniemen: gebruik html, pdf of csv).",
                           field="format")
    ctx = register_context(db, **kw)
    audit_document(db, "register", ctx["scope"]["kind"], ctx["scope"]["id"],
                   {"format": "xlsx", "school_year": ctx["school_year"]})
    table = Table("Register", [
        ("School", "text"), ("Schoolnaam", "text"), ("Niveau", "text"),
        ("Niveaunaam", "text"), ("Schooljaar", "text"), ("Capaciteit", "int"),
        ("Vrije plaatsen", "int"), ("LOP-bord", "text"), ("Nr.", "int"),
        ("Tijdstip aanvraag", "moment"), ("Kind", "text"), ("Naam", "text"),
        ("Geboortedatum", "date"), ("Indicator", "text"), ("Voorrang", "text"),
        ("Contingent", "text"), ("Status", "text"), ("Reden", "text"),
        ("Wachtlijstpositie", "int"), ("Boven capaciteit", "text")])
    for lv in ctx["levels"]:
        cs = lv["capacity_sheet"]
        pupils = {p["ref"]: p for p in lv["pupils"]}
        for e in lv["entries"]:
            p = pupils.get(e["child"], {})
            table.rows.append([
                lv["school"]["id"], lv["school"]["name"], lv["id"], lv["name"],
                lv["school_year_label"], cs["capacity"], cs["free_places"],
                free_places_board(cs["free_places_field"]), e["seq"], e["requested_at"],
                e["child"], e["name"], p.get("birth_date"),
                "ja" if p.get("indicator") else "nee", _coded(PRIORITY_GROUP,
                                                              e["priority_group"]),
                _coded(CONTINGENT, e["contingent"]), _coded(STATUS, e["status"]),
                _coded(REASON, e["reason"]), e["waitlist_position"],
                e["overcapacity_category"] or ""])
    return [table]


BOARD_COLUMNS = [("Niveau", "text"), ("School", "text"), ("Wijk", "text"),
                 ("Label", "text"), ("Schooljaar", "int"), ("Capaciteit", "int"),
                 ("Zittend", "int"), ("Gerealiseerd", "int"), ("Uitgesteld", "int"),
                 ("Niet-gerealiseerd", "int"), ("Vrije plaatsen", "int"),
                 ("Vrije plaatsen LOP", "text"), ("Volzet verklaard", "text"),
                 ("Laatste wijziging", "moment")]


def board_tables(db: Database, area_id: str | None = None,
                 school_year: int | None = None) -> list[Table]:
    """The free-places board (CAP-04, CAP-05): the counters of every level."""
    from lopdesk.domain.counters import area_counters

    table = Table("Vrije plaatsen", list(BOARD_COLUMNS))
    for r in area_counters(db, area_id, school_year):
        table.rows.append([
            r.level_id, r.school_name, r.neighbourhood, r.label, r.school_year, r.capacity,
            r.seated_indicator + r.seated_non_indicator,
            r.realised_indicator + r.realised_non_indicator,
            r.deferred_indicator + r.deferred_non_indicator,
            r.non_realised_indicator + r.non_realised_non_indicator, r.free_places,
            free_places_board(r.free_places_field), "ja" if r.full else "nee",
            r.last_change])
    return [table]


def report_tables(db: Database, area_id: str, school_year: int) -> list[Table]:
    """The LOP report's tables: counters, free-places board, refusals, social mix."""
    from lopdesk.domain.extracts.report import report_context

    ctx = report_context(db, area_id, school_year)
    counts = Table("Tellers", [
        ("School", "text"), ("Niveau", "text"), ("Regime", "text"), ("Capaciteit", "int"),
        ("Zittend indicator", "int"), ("Zittend niet-indicator", "int"),
        ("Contingent indicator", "int"), ("Contingent niet-indicator", "int"),
        ("Gerealiseerd indicator", "int"), ("Gerealiseerd niet-indicator", "int"),
        ("Uitgesteld indicator", "int"), ("Uitgesteld niet-indicator", "int"),
        ("NGI indicator", "int"), ("NGI niet-indicator", "int"), ("Ingetrokken", "int"),
        ("Boven capaciteit", "int"), ("Vrije plaatsen", "int"), ("Volzet", "text")])
    board = Table("Vrije-plaatsenbord", [("School", "text"), ("Niveau", "text"),
                                         ("LOP-bord", "text"), ("Vrije plaatsen", "int")])
    refusals = Table("Weigeringen", [("School", "text"), ("Geweigerde kinderen", "int"),
                                     ("Op een wachtlijst", "int"), ("Zonder plaats", "int")])
    mix = Table("Sociale mix", [("School", "text"), ("Wijk", "text"), ("Leerlingen", "int"),
                                ("Aandeel school", "share"), ("Aandeel wijk", "share"),
                                ("Aandeel gebied", "share")])
    for sc in ctx["schools"]:
        for lv in sc["levels"]:
            counts.rows.append([
                sc["name"], lv["level_id"], "oud" if lv["regime"] == "old" else "nieuw",
                lv["capacity"], lv["seated_indicator"], lv["seated_non_indicator"],
                lv["seats_indicator"], lv["seats_non_indicator"], lv["realised_indicator"],
                lv["realised_non_indicator"], lv["deferred_indicator"],
                lv["deferred_non_indicator"], lv["non_realised_indicator"],
                lv["non_realised_non_indicator"], lv["withdrawn"], lv["overcapacity"],
                lv["free_places"], "ja" if lv["full"] else "nee"])
            board.rows.append([sc["name"], lv["level_id"], lv["board"], lv["free_places"]])
        refusals.rows.append([sc["name"], sc["refused_children"], sc["waiting_children"],
                              sc["refused_without_place"]])
        mix.rows.append([sc["name"], sc["neighbourhood"], sc["pupils"], sc["share"],
                         sc["neighbourhood_share"], sc["area_share"]])
    return [counts, board, refusals, mix]


def results_tables(db: Database, run_id: int) -> list[Table]:
    """An allocation run's results (one row per child) and waiting lists (one row per
    child and level, in order). Names of children: on record as a document."""
    from lopdesk.domain.extracts.results import read_results

    data = read_results(db, run_id)
    audit_document(db, "results", "allocation_run", run_id, {"format": "table"})
    results = Table("Toewijzing", [("Kind", "text"), ("Naam", "text"), ("Niveau", "text"),
                                   ("School", "text"), ("Keuze", "int")])
    for a in data["assignments"]:
        results.rows.append([a["child_id"], a["name"], a["level_id"], a["school"],
                             a["choice_rank"]])
    waiting = Table("Wachtlijsten", [("Niveau", "text"), ("School", "text"),
                                     ("Positie", "int"), ("Kind", "text"), ("Naam", "text")])
    for w in data["waitlists"]:
        waiting.rows.append([w["level_id"], w["school"], w["position"], w["child_id"],
                             w["name"]])
    return [results, waiting]


# --- writers --------------------------------------------------------------------------------


def _plain(value: Any, kind: str) -> Any:
    """A cell value for CSV: moments in Brussels time, dates as dd/mm/yyyy."""
    if value is None:
        return ""
    if kind == "moment" and isinstance(value, datetime):
        return to_local(value).strftime("%d/%m/%Y %H:%M:%S")
    if kind == "date" and isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if kind == "share" and isinstance(value, float):
        return f"{value:.4f}"
    return value


def csv_bytes(table: Table, *, excel: bool = False) -> bytes:
    """One table as CSV: `,` and UTF-8; for Excel (`--excel-csv`) `;`, decimal commas,
    CRLF and a BOM, so that a double-click in Excel (nl-BE) shows the columns."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";" if excel else ",",
                        lineterminator="\r\n" if excel else "\n")
    writer.writerow([csv_cell(title) for title, _ in table.columns])
    for row in table.rows:
        cells = []
        for value, (_, kind) in zip(row, table.columns, strict=True):
            v = _plain(value, kind)
            if excel and isinstance(v, float):
                v = str(v).replace(".", ",")
            elif excel and kind == "share" and isinstance(v, str):
                v = v.replace(".", ",")
            cells.append(csv_cell(v))
        writer.writerow(cells)
    text = buf.getvalue()
    return ("\ufeff" + text).encode("utf-8") if excel else text.encode("utf-8")


def excel_csv(text: str) -> bytes:
    """A comma-separated CSV text (a template's csv) as Excel's nl-BE CSV: `;`, CRLF, BOM."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    for row in csv.reader(io.StringIO(text, newline="")):
        writer.writerow(row)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _xlsx_value(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "moment" and isinstance(value, datetime):
        return to_local(value).replace(tzinfo=None)  # Excel has no zones: Brussels time
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    return value


def xlsx_bytes(tables: Sequence[Table]) -> bytes:
    """The tables as one workbook, a sheet each: typed cells (numbers, dates, moments in
    Brussels time, shares as percentages), a bold frozen header row and an autofilter.
    Text is never a formula: a value that starts like one gets a leading quote (as in CSV)
    and is stored as a string."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    bold = Font(bold=True)
    for table in tables:
        sheet = book.create_sheet(_sheet_title(table.title))
        sheet.append([title for title, _ in table.columns])
        for cell in sheet[1]:
            cell.font = bold
        for row in table.rows:
            sheet.append([_xlsx_value(v, kind) for v, (_, kind) in
                          zip(row, table.columns, strict=True)])
        for index, (title, kind) in enumerate(table.columns, start=1):
            letter = get_column_letter(index)
            width = max([len(title)] + [len(str(r[index - 1] or "")) for r in table.rows[:200]])
            sheet.column_dimensions[letter].width = min(60, max(8, width + 2))
            fmt = NUMBER_FORMATS.get(kind)
            if fmt is not None or kind == "text":
                for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                    if kind == "text" and isinstance(cell.value, str):
                        cell.data_type = "s"  # never read back as a formula
                    elif fmt is not None and cell.value is not None:
                        cell.number_format = fmt
        sheet.freeze_panes = "A2"
        last = get_column_letter(len(table.columns))
        sheet.auto_filter.ref = f"A1:{last}{max(1, len(table.rows) + 1)}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _sheet_title(title: str) -> str:
    """Excel refuses []:*?/\\ in a sheet name and more than 31 characters."""
    clean = "".join("-" if ch in "[]:*?/\\" else ch for ch in title)
    return clean[:MAX_SHEET_TITLE] or "Blad"
