"""Excel imports (.xlsx): the same rows and checks as CSV, errors naming sheet, row and
column, and the cells a real workbook holds (dates, numbers as text, leading zeros)."""

from __future__ import annotations

import csv
import shutil
import time
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from test_imports import SCENARIO, _count
from test_rounds import round_  # noqa: F401

from lopdesk.domain import allocation, registers
from lopdesk.domain.directory import list_children, list_levels, list_schools
from lopdesk.domain.errors import ImportError_
from lopdesk.domain.imports import import_csv
from lopdesk.domain.sheets import cell_text, column_letter

KINDS = ("areas", "schools", "levels", "children", "register")
NUMERIC = {"x", "y", "pupils", "capacity", "seated_indicator", "seated_non_indicator",
           "school_year", "indicator_ratio"}


def typed(col: str, value: str):
    """A CSV cell as Excel would store it when typed in: numbers, dates and moments."""
    if value == "":
        return None
    if col in NUMERIC:
        return float(value)
    if col == "birth_date":
        return date.fromisoformat(value)
    if col in ("requested_at", "enrolment_start"):
        return datetime.fromisoformat(value)
    return value


def workbook(path: Path, sheets: dict[str, list[list]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def scenario_workbook(tmp_path: Path, kind: str, sheet: str = "Blad1") -> Path:
    with open(SCENARIO / f"{kind}.csv", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    data = [[typed(c, v) for c, v in zip(header, r, strict=True)] for r in rows[1:]]
    return workbook(tmp_path / f"{kind}.xlsx", {sheet: [header, *data]})


def test_import_whole_area_from_workbooks_with_typed_cells(db, tmp_path):
    for kind in KINDS:
        summary = import_csv(db, kind, scenario_workbook(tmp_path, kind))
        assert summary.rows > 0
    assert [s.id for s in list_schools(db)] == ["S001", "S002"]
    assert len(list_levels(db)) == 3
    kid = list_children(db, "peeters")[0]
    assert kid.id == "K0001" and kid.birth_date == date(2024, 2, 11)
    entries = registers.list_entries(db, "S001-2027-K2024")
    assert [(e.seq, e.child_id) for e in entries] == [(1, "K0001"), (2, "K0002")]
    # 09:00:12 in Brussels on 1 March (winter time, UTC+1)
    assert entries[0].requested_at.strftime("%H:%M:%S") == "08:00:12"


def test_sheet_option_and_unknown_sheet(db, tmp_path):
    path = tmp_path / "gebied.xlsx"
    workbook(path, {"Uitleg": [["lees mij"]],
                    "Gebieden": [["area_id", "name"], ["GENT", "LOP Gent"]]})
    with pytest.raises(ImportError_, match="kopregel|verplichte kolom"):
        import_csv(db, "areas", path)  # the first sheet is the explanation
    assert import_csv(db, "areas", path, sheet="Gebieden").rows == 1
    with pytest.raises(ImportError_, match="blad 'Nope' bestaat niet .*Uitleg, Gebieden"):
        import_csv(db, "areas", path, sheet="Nope")


def test_sheet_option_on_a_csv_is_refused(db, tmp_path):
    shutil.copy(SCENARIO / "areas.csv", tmp_path / "areas.csv")
    with pytest.raises(ImportError_, match="--sheet geldt enkel"):
        import_csv(db, "areas", tmp_path / "areas.csv", sheet="X")


def _areas(db, tmp_path):
    import_csv(db, "areas", SCENARIO / "areas.csv")


def test_errors_name_sheet_row_and_column_and_write_nothing(db, tmp_path):
    _areas(db, tmp_path)
    path = workbook(tmp_path / "scholen.xlsx", {"Scholen": [
        ["school_id", "area_id", "name"], ["S9", "GENT", "X"], ["S8", "GENT", "Y"],
        ["S9", "GENT", "Z"]]})
    before = _count(db)
    with pytest.raises(ImportError_) as err:
        import_csv(db, "schools", path)
    assert str(err.value).startswith("scholen.xlsx, blad 'Scholen', regel 4, kolom 'school_id'")
    assert _count(db) == before


def test_numbers_stored_as_text_keep_leading_zeros(db, tmp_path):
    _areas(db, tmp_path)
    path = workbook(tmp_path / "s.xlsx", {"S": [["school_id", "area_id", "name", "pupils"],
                                               ["012345", "GENT", "Nul", "0320"]]})
    import_csv(db, "schools", path)
    school = list_schools(db)[0]
    assert school.id == "012345"


def test_a_number_in_an_id_column_is_refused(db, tmp_path):
    _areas(db, tmp_path)
    path = workbook(tmp_path / "s.xlsx", {"S": [["school_id", "area_id", "name"],
                                               [12345, "GENT", "Getal"]]})
    with pytest.raises(ImportError_, match="regel 2, kolom 'school_id'.*voorloopnullen"):
        import_csv(db, "schools", path)
    assert list_schools(db) == []


def test_empty_sheet_is_refused(db, tmp_path):
    path = workbook(tmp_path / "leeg.xlsx", {"Leeg": []})
    with pytest.raises(ImportError_, match="leeg.xlsx, blad 'Leeg'.*leeg blad"):
        import_csv(db, "areas", path)


def test_merged_header_cells_are_refused(db, tmp_path):
    path = tmp_path / "merged.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["area_id", "naam", ""])
    ws.append(["GENT", "LOP Gent", ""])
    ws.merge_cells("B1:C1")
    wb.save(path)
    with pytest.raises(ImportError_, match=r"regel 1: samengevoegde cellen B1:C1"):
        import_csv(db, "areas", path)


def test_formulas_are_refused_naming_the_cell(db, tmp_path):
    path = workbook(tmp_path / "f.xlsx", {"Blad1": [["area_id", "name"],
                                                    ["GENT", '=CONCAT("LOP ","Gent")']]})
    with pytest.raises(ImportError_, match="regel 2: formule in cel B2"):
        import_csv(db, "areas", path)


def test_text_that_only_looks_like_a_formula_is_data(db, tmp_path):
    path = tmp_path / "t.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["area_id", "name"])
    ws.append(["GENT", "x"])
    ws["B2"].value = "=geen formule"
    ws["B2"].data_type = "s"
    wb.save(path)
    assert import_csv(db, "areas", path).rows == 1


def test_cell_checks_of_csv_apply_to_a_sheet(db, tmp_path):
    _areas(db, tmp_path)
    path = workbook(tmp_path / "k.xlsx", {"K": [
        ["child_id", "first_name", "last_name"], ["K1", "Anna", "Peeters\u202e"]]})
    with pytest.raises(ImportError_, match="regel 2, kolom 'last_name'.*stuurteken"):
        import_csv(db, "children", path)
    path = workbook(tmp_path / "i.xlsx", {"K": [
        ["child_id", "first_name", "last_name", "rijksregisternummer"], ["K1", "A", "B", "x"]]})
    with pytest.raises(ImportError_, match="rijksregisternummer"):
        import_csv(db, "children", path)


def test_not_a_workbook(db, tmp_path):
    path = tmp_path / "kapot.xlsx"
    path.write_bytes(b"PK\x03\x04 dit is geen werkboek")
    with pytest.raises(ImportError_, match="geen leesbaar Excel-bestand"):
        import_csv(db, "areas", path)


def test_round_applications_from_a_workbook(db, round_, tmp_path):  # noqa: F811
    path = workbook(tmp_path / "a.xlsx", {"Aanmeldingen": [
        ["child_id", "rank", "level_id"], ["K000", 1.0, "L2"], ["K000", 2.0, "L1"]]})
    assert allocation.import_applications(db, "R27", path) == 2
    path = workbook(tmp_path / "b.xlsx", {"Aanmeldingen": [
        ["child_id", "rank", "level_id"], ["K000", 1.5, "L2"]]})
    with pytest.raises(ImportError_, match="b.xlsx, blad 'Aanmeldingen', regel 2, kolom 'rank'"):
        allocation.import_applications(db, "R27", path)


def test_cell_text_turns_excel_values_into_csv_text():
    assert cell_text("w", 2, "capacity", 24.0) == "24"
    assert cell_text("w", 2, "indicator_ratio", 0.35) == "0.35"
    assert cell_text("w", 2, "indicator", True) == "1"
    assert cell_text("w", 2, "birth_date", date(2024, 2, 11)) == "2024-02-11"
    assert cell_text("w", 2, "requested_at", datetime(2027, 3, 1, 9, 0, 12, 500)) == \
        "2027-03-01T09:00:12"
    assert cell_text("w", 2, "child_id", "007") == "007"
    assert [column_letter(i) for i in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]


def test_a_5000_row_sheet_reads_quickly(db, tmp_path):
    """The benchmark (benchmarks/xlsx_import.py) measures 100,000 rows; here a smaller one."""
    _areas(db, tmp_path)
    rows = [["child_id", "first_name", "last_name", "birth_date", "indicator"]]
    rows += [[f"K{i:06d}", f"Voornaam{i}", "Achternaam", date(2024, 1 + i % 12, 1), i % 2]
             for i in range(5000)]
    path = workbook(tmp_path / "k.xlsx", {"Kinderen": rows})
    started = time.perf_counter()
    assert import_csv(db, "children", path).rows == 5000
    assert time.perf_counter() - started < 30


def test_a_table_that_starts_in_column_b_keeps_row_numbers(db, tmp_path):
    path = tmp_path / "b.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    for ref, value in (("B1", "area_id"), ("C1", "name"), ("B2", "GENT"), ("C2", "LOP"),
                       ("B4", "GENT"), ("C4", "dubbel")):
        ws[ref] = value
    wb.save(path)
    with pytest.raises(ImportError_, match="blad 'Sheet', regel 4, kolom 'area_id'"):
        import_csv(db, "areas", path)
