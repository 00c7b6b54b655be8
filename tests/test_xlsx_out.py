"""Exports for a spreadsheet: .xlsx with typed columns, a frozen header, an autofilter,
Dutch titles and neutralised formula-looking text; CSV for Excel (`;`, BOM)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import openpyxl
import pytest
from test_documents import AT, cli, scene  # noqa: F401

from lopdesk.domain import documents
from lopdesk.domain.extracts.tables import Table, csv_bytes, excel_csv, xlsx_bytes
from lopdesk.domain.models import Child


def book(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data))


def test_xlsx_has_typed_cells_frozen_header_autofilter_and_neutralised_text():
    table = Table("Proef", [("Naam", "text"), ("Aantal", "int"), ("Geboren", "date"),
                           ("Tijdstip", "moment"), ("Aandeel", "share")],
                  [["=HYPERLINK(\"x\")", 3, date(2021, 1, 10),
                    datetime(2027, 3, 1, 8, 0, 12, tzinfo=UTC), 0.25],
                   ["@SUM(A1)", None, None, None, None],
                   ["0123", 0, None, None, None]])
    ws = book(xlsx_bytes([table]))["Proef"]
    assert [c.value for c in ws[1]] == ["Naam", "Aantal", "Geboren", "Tijdstip", "Aandeel"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:E4"
    assert ws["A2"].value == "'=HYPERLINK(\"x\")" and ws["A2"].data_type == "s"
    assert ws["A3"].value == "'@SUM(A1)"
    assert ws["A4"].value == "0123" and ws["A4"].data_type == "s"
    assert ws["B2"].value == 3 and ws["B2"].data_type == "n"
    assert ws["C2"].value == datetime(2021, 1, 10) and ws["C2"].number_format == "DD/MM/YYYY"
    assert ws["D2"].value == datetime(2027, 3, 1, 9, 0, 12)  # Brussels time, no zone
    assert ws["E2"].value == 0.25 and ws["E2"].number_format == "0.0%"


def test_excel_csv_has_bom_semicolons_and_decimal_commas():
    table = Table("T", [("Naam", "text"), ("Aandeel", "share"), ("Getal", "float")],
                  [["Peeters; Anna", 0.5, 1.25], ["=1+1", None, None]])
    data = csv_bytes(table, excel=True)
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert text.splitlines() == ["Naam;Aandeel;Getal", '"Peeters; Anna";0,5000;1,25',
                                 "'=1+1;;"]
    assert csv_bytes(table).decode().splitlines()[1] == "Peeters; Anna,0.5000,1.25"
    assert excel_csv("a,b\n\"x,y\",2\n").decode("utf-8-sig") == 'a;b\r\nx,y;2\r\n'


def test_register_xlsx(scene):  # noqa: F811
    ws = book(xlsx_bytes(documents.register_tables(scene, level_id="L1")))["Register"]
    head = [c.value for c in ws[1]]
    assert head[:3] == ["School", "Schoolnaam", "Niveau"] and "Tijdstip aanvraag" in head
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 4
    first = dict(zip(head, rows[0], strict=True))
    assert first["Nr."] == 1 and first["Kind"] == "K000" and first["Naam"] == "Anna Peeters"
    assert first["Geboortedatum"] == datetime(2021, 1, 10)
    assert isinstance(first["Tijdstip aanvraag"], datetime)
    assert first["Capaciteit"] == 4


def test_plenary_register_is_not_a_spreadsheet(scene):  # noqa: F811
    from lopdesk.domain.errors import InvalidInput

    with pytest.raises(InvalidInput, match="plenaire"):
        documents.register_tables(scene, area_id="A", pseudonymise=True)


def test_report_xlsx_has_a_sheet_per_table(scene):  # noqa: F811
    wb = book(xlsx_bytes(documents.report_tables(scene, "A", 2027)))
    assert wb.sheetnames == ["Tellers", "Vrije-plaatsenbord", "Weigeringen", "Sociale mix"]
    mix = list(wb["Sociale mix"].iter_rows(min_row=2, values_only=True))
    assert mix[0][0] == "School S1" and mix[0][3] == pytest.approx(0.5)


def test_board_and_results(scene):  # noqa: F811
    board = documents.board_tables(scene, "A", 2027)[0]
    assert [r[0] for r in board.rows] == ["L1", "L2"]
    results, waiting = documents.results_tables(scene, 1)
    assert results.rows[0] == ["K000", "Anna Peeters", "L1", "School S1", 1]
    assert results.rows[3][:3] == ["K003", "Daan Claes", ""]
    assert [(r[0], r[2], r[3]) for r in waiting.rows] == [("L1", 1, "K001"), ("L1", 2, "K003"),
                                                          ("L2", 1, "K003")]


def test_a_name_that_looks_like_a_formula_is_neutralised_in_every_export(scene):  # noqa: F811
    with scene.write() as s:
        kid = s.get(Child, "K000")
        kid.first_name = "=cmd|'/c calc'!A0"
        s.add(kid)
    ws = book(xlsx_bytes(documents.results_tables(scene, 1)))["Toewijzing"]
    assert ws["B2"].value.startswith("'=") and ws["B2"].data_type == "s"
    text = csv_bytes(documents.results_tables(scene, 1)[0], excel=True).decode("utf-8-sig")
    assert "\n'=cmd" not in text and ";'=cmd" in text


def test_cli_exports(scene, db_path, tmp_path):  # noqa: F811
    out = tmp_path / "r.xlsx"
    r = cli(db_path, "extract", "register", "--level", "L1", "--out", str(out))
    assert r.exit_code == 0, r.output
    assert out.stat().st_mode & 0o777 == 0o640
    assert book(out.read_bytes()).sheetnames == ["Register"]
    r = cli(db_path, "extract", "report", "A", "--year", "2027", "-f", "csv", "--excel-csv")
    assert r.exit_code == 0, r.output
    assert r.stdout_bytes.startswith(b"\xef\xbb\xbf") and b";" in r.stdout_bytes
    rows = list(csv.reader(io.StringIO(r.stdout_bytes.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "school_id" and len(rows) == 3
    out = tmp_path / "bord.csv"
    r = cli(db_path, "export", "board", "--area", "A", "--out", str(out), "--excel-csv")
    assert r.exit_code == 0, r.output
    assert out.read_bytes().decode("utf-8-sig").startswith("Niveau;School;Wijk")
    out = tmp_path / "w.csv"
    r = cli(db_path, "export", "results", "1", "--out", str(out), "--table", "wachtlijsten")
    assert r.exit_code == 0, r.output
    assert out.read_text().splitlines()[0] == "Niveau,School,Positie,Kind,Naam"
    out = tmp_path / "res.xlsx"
    assert cli(db_path, "export", "results", "1", "--out", str(out)).exit_code == 0
    assert book(out.read_bytes()).sheetnames == ["Toewijzing", "Wachtlijsten"]
    assert cli(db_path, "export", "results", "1", "--out", str(tmp_path / "x.ods")
               ).exit_code == 2
    assert cli(db_path, "extract", "pv", "1", "-f", "txt", "--excel-csv").exit_code == 2
    assert cli(db_path, "extract", "notice", "L1:3", "-f", "xlsx").exit_code == 2
