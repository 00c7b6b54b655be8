"""Import files as tables: a CSV file, or one sheet of an Excel workbook (`.xlsx`).

A sheet becomes the same rows the CSV reader yields (lopdesk.matching.csvin.CsvFile), so
every check of a CSV cell (control characters, INSZ, bounds, required columns, the
all-or-nothing rule of the callers) applies to a workbook too. What a real Excel cell
holds is turned into the text a CSV would hold (docs/formats-lopdesk.md, "Excel in"):

- text as it is (a number stored as text keeps its leading zeros);
- a whole number as its digits (12.0 → "12"), another number with a decimal point;
- a date as JJJJ-MM-DD, a date with a time as JJJJ-MM-DDTuu:mm:ss (Brussels time);
- TRUE/FALSE as 1/0;
- a number in an id column (`*_id`, `id`) is refused: Excel has then already dropped any
  leading zeros ("0123" → 123) and lopdesk cannot know which id was meant;
- a formula is refused, naming its cell: lopdesk reads values, not calculations (a
  workbook saved by a tool that does not calculate has no value for it at all);
- merged cells are refused, naming the range (only the first cell holds the value).

python-calamine reads the workbook (a Rust reader: 100,000 rows in a fraction of the time
openpyxl needs, with merged ranges); the formula check reads the sheet's XML itself.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path, PurePosixPath
from typing import Any
from xml.etree import ElementTree

from lopdesk.errors import ImportError_
from lopdesk.matching.csvin import CsvFile

XLSX_SUFFIXES = (".xlsx", ".xlsm")
ZIP_MAGIC = b"PK\x03\x04"
_FORMULA = re.compile(rb'<c r="([A-Z]{1,3}[0-9]+)"[^>]*?(?<!/)>(?:(?!</c>).){0,200}?<f[ >/]',
                      re.DOTALL)
_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
       "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
       "p": "http://schemas.openxmlformats.org/package/2006/relationships"}


def is_workbook(name: str, raw: bytes) -> bool:
    return name.lower().endswith(XLSX_SUFFIXES) or raw.startswith(ZIP_MAGIC)


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _no_sheet(name: str, sheet: str | None) -> None:
    if sheet:
        raise ImportError_(name, 0, None, "--sheet geldt enkel voor een Excel-bestand "
                           "(.xlsx); dit is een CSV-bestand")


def open_table(name: str, raw: bytes, required: tuple[str, ...],
               sheet: str | None = None) -> CsvFile:
    """The checked table of an import file: CSV, or the first sheet (or `sheet`) of a
    workbook. Errors name the file and sheet, the row and the column."""
    if not is_workbook(name, raw):
        _no_sheet(name, sheet)
        return CsvFile(name, raw, required)
    return _sheet_table(name, raw, required, sheet)


def open_path(path: Path, required: tuple[str, ...], sheet: str | None = None
              ) -> tuple[CsvFile, str]:
    """`open_table` for a file on disk, with its SHA-256: a CSV file is read as its rows are
    consumed (any size in little memory); a workbook is read whole."""
    name = path.name
    if not path.is_file():
        raise ImportError_(name, 0, None, f"bestand {path} bestaat niet")
    with open(path, "rb") as f:
        magic = f.read(len(ZIP_MAGIC))
    if not is_workbook(name, magic):
        _no_sheet(name, sheet)
        return CsvFile.from_path(name, path, required)
    raw = path.read_bytes()
    return _sheet_table(name, raw, required, sheet), hashlib.sha256(raw).hexdigest()


def _sheet_table(name: str, raw: bytes, required: tuple[str, ...],
                 sheet: str | None) -> CsvFile:
    import python_calamine

    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(raw))
    except Exception as exc:  # calamine raises its own types per cause (zip, xml, password)
        raise ImportError_(name, 0, None, f"geen leesbaar Excel-bestand (.xlsx): "
                           f"{type(exc).__name__}") from None
    names = list(book.sheet_names)
    if not names:
        raise ImportError_(name, 0, None, "het werkboek heeft geen bladen")
    if sheet is not None and sheet not in names:
        raise ImportError_(name, 0, None, f"blad '{sheet}' bestaat niet (bladen: "
                           f"{', '.join(names)})")
    chosen = sheet if sheet is not None else names[0]
    where = f"{name}, blad '{chosen}'"
    data = book.get_sheet_by_name(chosen)
    merged = list(data.merged_cell_ranges or [])
    if merged:
        (r1, c1), (r2, c2) = merged[0]
        cells = f"{column_letter(c1)}{r1 + 1}:{column_letter(c2)}{r2 + 1}"
        raise ImportError_(where, r1 + 1, None, f"samengevoegde cellen {cells}: maak ze los "
                           "(één waarde per cel, één kolomnaam per kolom)")
    formula = first_formula(raw, names.index(chosen))
    if formula is not None:
        raise ImportError_(where, int(re.sub(r"[A-Z]", "", formula)), None,
                           f"formule in cel {formula}: lopdesk leest enkel waarden; kopieer "
                           "de cellen en plak ze als waarden")
    return CsvFile.from_records(where, _records(where, data), required)


def _records(where: str, data: Any) -> Iterator[tuple[int, list[str]]]:
    """(row number, cell texts) from the sheet's first row; trailing empty cells dropped.
    calamine yields every row from the first, but the columns from the first used one."""
    start_col = data.start[1] if data.start else 0
    names: list[str | None] = []  # the header of each cell of a row, by position
    for offset, cells in enumerate(data.iter_rows()):
        line = offset + 1
        values = [""] * start_col + [
            value if type(value) is str  # the common case, kept fast for big sheets
            else cell_text(where, line, names[i] if i < len(names) else None, value)
            for i, value in enumerate(cells)]
        while values and values[-1] == "":
            values.pop()
        if line == 1:
            names = [v.strip() for v in values[start_col:]]
        yield line, values


def cell_text(where: str, line: int, column: str | None, value: Any) -> str:
    """A cell's value as the text a CSV cell would hold (see the module text)."""
    if value is None or isinstance(value, str):
        return value or ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        if column is not None and (column == "id" or column.endswith("_id")):
            raise ImportError_(where, line, column, "een getal in een id-kolom: Excel laat "
                               "daarbij voorloopnullen weg; maak de kolom op als Tekst en "
                               "typ de id's opnieuw (of importeer als CSV)")
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


def _sheet_path(archive: zipfile.ZipFile, index: int) -> str | None:
    """The part name of the index-th sheet, from workbook.xml and its relationships."""
    try:
        book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError):
        return None
    sheets = book.findall("m:sheets/m:sheet", _NS)
    if index >= len(sheets):
        return None
    rid = sheets[index].get(f"{{{_NS['r']}}}id")
    for rel in rels.findall("p:Relationship", _NS):
        if rel.get("Id") == rid:
            target = rel.get("Target", "")
            if target.startswith("/"):
                return target.lstrip("/")
            return str(PurePosixPath("xl") / target)
    return None


def first_formula(raw: bytes, index: int) -> str | None:
    """The reference (e.g. "E2") of the first formula cell of the index-th sheet."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            part = _sheet_path(archive, index)
            if part is None:
                return None
            xml = archive.read(part)
    except (zipfile.BadZipFile, KeyError):
        return None
    if b"<f" not in xml:
        return None
    match = _FORMULA.search(xml)
    return match.group(1).decode("ascii") if match else None
