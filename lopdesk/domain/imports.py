"""CSV imports of areas, schools, levels, children and registers (formats.md,
docs/formats-lopdesk.md).

An error names the file, the line and the column (ImportError_), and nothing of that
import reaches the database. Areas, schools, levels and children are checked completely
before their one write transaction, then written with bulk inserts. A register, which can
hold a million lines, is streamed: read, checked and written part by part inside one
transaction that any bad line rolls back (register_import). Every import gets one audit
record, and every register entry its 'created' event (REG-02).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from lopdesk.db import Database
from lopdesk.domain import audit, audit_rows
from lopdesk.domain.access import require
from lopdesk.domain.areas import check_grade
from lopdesk.domain.bulk import insert_rows
from lopdesk.domain.codes import EDUCATIONS, LEVEL_KINDS, REGIMES, ROUNDING_RULES
from lopdesk.domain.errors import ImportError_, InvalidInput
from lopdesk.domain.models import (
    Area,
    CapacityLevel,
    Child,
    RegisterCounter,
    School,
    Site,
)
from lopdesk.domain.register_import import check_child_id
from lopdesk.domain.sheets import open_path
from lopdesk.domain.types import utcnow
from lopdesk.matching.csvin import (
    DAY_PROBLEM,
    MAX_CAPACITY,
    MAX_PUPILS,
    MOMENT_PROBLEM,
    SCHOOL_YEARS,
    int_problem,
    parse_day,
    parse_int,
    parse_moment,
)

KINDS = ("areas", "schools", "levels", "children", "register")

Progress = Callable[[int, int], None]
# A kind's writer: writes its rows in the caller's transaction and returns how many.
Write = Callable[[Session], int]


@dataclass
class ImportSummary:
    kind: str
    file: str
    rows: int
    created: int
    sha256: str
    warnings: list[str] = field(default_factory=list)


class _Reader:
    """Rows of a CSV file with the helpers that turn cells into values or named errors."""

    def __init__(self, path: Path, required: tuple[str, ...], sheet: str | None = None):
        self._file, self.sha256 = open_path(path, required, sheet)
        self.name = self._file.name  # "file.xlsx, blad 'X'" for a workbook
        self.header = self._file.header
        self.line = 1

    def close(self) -> None:
        self._file.close()

    def rows(self):
        for row in self._file.rows():
            self.line = self._file.line
            yield row

    def error(self, column: str | None, message: str) -> ImportError_:
        return ImportError_(self.name, self.line, column, message)

    def text(self, row: dict, col: str, required: bool = True, default: str = "") -> str:
        value = row.get(col, "")
        if value == "":
            if required:
                raise self.error(col, "lege verplichte waarde")
            return default
        return value

    def integer(self, row: dict, col: str, *, default: int | None = None,
                minimum: int | None = 0, maximum: int | None = None,
                required: bool = True) -> int | None:
        raw = row.get(col, "")
        if raw == "":
            if default is not None or not required:
                return default
            raise self.error(col, "lege verplichte waarde")
        value = parse_int(raw)
        if value is None:
            raise self.error(col, int_problem(raw))
        if minimum is not None and value < minimum:
            raise self.error(col, f"{value} is kleiner dan {minimum}")
        if maximum is not None and value > maximum:
            raise self.error(col, f"{value} is groter dan {maximum}")
        return value

    def number(self, row: dict, col: str) -> float | None:
        raw = row.get(col, "")
        if raw == "":
            return None
        try:
            value = float(raw.replace(",", "."))
        except ValueError:
            raise self.error(col, f"'{raw}' is geen getal") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise self.error(col, f"'{raw}' is geen eindig getal")
        return value

    def point(self, row: dict) -> tuple[float | None, float | None]:
        """The x and y columns: both given or neither."""
        x, y = self.number(row, "x"), self.number(row, "y")
        if (x is None) != (y is None):
            raise self.error("y" if y is None else "x", "x en y horen samen")
        return x, y

    def flag(self, row: dict, col: str, default: bool = False) -> bool:
        raw = row.get(col, "").lower()
        if raw == "":
            return default
        if raw in ("1", "ja", "true", "yes", "j"):
            return True
        if raw in ("0", "nee", "false", "no", "n"):
            return False
        raise self.error(col, f"'{row.get(col)}' moet 0 of 1 zijn")

    def choice(self, row: dict, col: str, options: tuple[str, ...], default: str | None = None
               ) -> str:
        raw = row.get(col, "")
        if raw == "" and default is not None:
            return default
        if raw not in options:
            raise self.error(col, f"'{raw}' is geen geldige waarde ({', '.join(options)})")
        return raw

    def day(self, row: dict, col: str) -> date | None:
        return self._parsed(row, col, parse_day, DAY_PROBLEM, required=False)

    def moment(self, row: dict, col: str, required: bool = True) -> datetime | None:
        return self._parsed(row, col, parse_moment, MOMENT_PROBLEM, required)

    def _parsed(self, row: dict, col: str, parse: Callable[[str], Any], problem: str,
                required: bool) -> Any:
        """The cell parsed by `parse` (None when it cannot be read, then refused with
        `problem`); an empty cell is None, or refused when `required`."""
        raw = row.get(col, "")
        if raw == "":
            if required:
                raise self.error(col, "lege verplichte waarde")
            return None
        value = parse(raw)
        if value is None:
            raise self.error(col, f"'{raw}' {problem}")
        return value

    def unique(self, seen: dict[str, int], key: str, col: str, what: str) -> None:
        if key in seen:
            raise self.error(col, f"{what} '{key}' staat al op regel {seen[key]}")
        seen[key] = self.line

    def key(self, row: dict, col: str, seen: dict[str, int], what: str) -> str:
        """The row's own key in `col`, refused when an earlier line holds it."""
        key = self.text(row, col)
        self.unique(seen, key, col, what)
        return key

    def reference(self, row: dict, col: str, first_lines: dict[str, int]) -> str:
        """The key of another record in `col`; the first line naming each key is kept, to
        refuse an unknown one there."""
        key = self.text(row, col)
        first_lines.setdefault(key, self.line)
        return key


def _existing(s, model, ids: set[str]) -> set[str]:
    found: set[str] = set()
    id_list = sorted(ids)
    for start in range(0, len(id_list), 900):  # stay under SQLite's parameter limit
        part = id_list[start:start + 900]
        found.update(s.execute(select(model.id).where(model.id.in_(part))).scalars())
    return found


def _bulk(s, model, rows: list[dict]) -> None:
    table = model.__table__
    insert_rows(s, table, rows)
    key = list(table.primary_key.columns)[0].name
    if rows and key in rows[0]:
        audit_rows.touch(s, table.name, key, (r[key] for r in rows))


def _refuse_first(reader: _Reader, lines: dict[str, int], keys: set[str], col: str,
                  message: Callable[[str], str]) -> None:
    """Refuse at the earliest line (of `lines`) that holds one of `keys`."""
    if keys:
        key = min(keys, key=lambda k: lines[k])
        reader.line = lines[key]
        raise reader.error(col, message(key))


def _duplicate_in_db(s, reader: _Reader, model, lines: dict[str, int], col: str,
                     what: str) -> None:
    _refuse_first(reader, lines, _existing(s, model, set(lines)), col,
                  lambda key: f"{what} '{key}' bestaat al in de databank")


def _missing_in_db(s, reader: _Reader, model, lines: dict[str, int], col: str,
                   message: Callable[[str], str]) -> None:
    _refuse_first(reader, lines, set(lines) - _existing(s, model, set(lines)), col, message)


# --- one table row per kind --------------------------------------------------------


@dataclass(frozen=True)
class _Kind:
    """How one kind of file is read and written: each row's own key (refused when repeated in
    the file or already in the database), the record it belongs to (refused when unknown), its
    values from the cells, and the tables its rows fill."""

    model: type
    key: str  # the key column
    what: str  # the key's Dutch name in messages
    values: Callable[[_Reader, dict, str, str], dict]  # (reader, row, key, parent key)
    parent: tuple[str, type, Callable[[str], str]] | None = None  # column, model, message
    check: Callable[[Session, _Reader, list[dict], dict[str, int]], None] | None = None
    tables: Callable[[list[dict]], list[tuple[type, list[dict]]]] | None = None

    def __call__(self, db: Database, reader: _Reader) -> Write:
        rows: list[dict] = []
        lines: dict[str, int] = {}
        parent_lines: dict[str, int] = {}
        for row in reader.rows():
            key = reader.key(row, self.key, lines, self.what)
            parent = reader.reference(row, self.parent[0], parent_lines) if self.parent else ""
            rows.append(self.values(reader, row, key, parent))

        def write(s) -> int:
            if self.parent:
                column, model, message = self.parent
                _missing_in_db(s, reader, model, parent_lines, column, message)
            if self.check:
                self.check(s, reader, rows, lines)
            _duplicate_in_db(s, reader, self.model, lines, self.key, self.what)
            for model, table_rows in (self.tables(rows) if self.tables else [(self.model, rows)]):
                _bulk(s, model, table_rows)
            return len(rows)
        return write


def _area(reader: _Reader, row: dict, aid: str, _parent: str) -> dict:
    return {"id": aid, "name": reader.text(row, "name"),
            "education": reader.choice(row, "education", EDUCATIONS, "primary"),
            "in_lop": reader.flag(row, "in_lop", True),
            "per_contingent_lists": reader.flag(row, "per_contingent_lists"),
            "chair_contact": reader.text(row, "chair_contact", required=False)}


def _school(reader: _Reader, row: dict, sid: str, area_id: str) -> dict:
    x, y = reader.point(row)
    return {"id": sid, "area_id": area_id, "name": reader.text(row, "name"),
            "neighbourhood": reader.text(row, "neighbourhood", required=False),
            "address": reader.text(row, "address", required=False), "x": x, "y": y,
            "mandates_lop_notices": reader.flag(row, "mandates_lop_notices"),
            "_pupils": reader.integer(row, "pupils", default=0, maximum=MAX_PUPILS)}


def _school_tables(rows: list[dict]) -> list[tuple[type, list[dict]]]:
    """Each school with its one site, which holds the pupil count."""
    pupils = [r.pop("_pupils") for r in rows]
    sites = [{"id": r["id"], "school_id": r["id"], "name": r["name"], "address": r["address"],
              "x": r["x"], "y": r["y"], "pupils": p} for r, p in zip(rows, pupils, strict=True)]
    return [(School, rows), (Site, sites)]


def _level(reader: _Reader, row: dict, lid: str, sid: str) -> dict:
    ratio = reader.number(row, "indicator_ratio")
    if ratio is not None and not 0 <= ratio <= 1:
        raise reader.error("indicator_ratio", f"{ratio} ligt niet tussen 0 en 1")
    year = reader.integer(row, "school_year", minimum=SCHOOL_YEARS[0], maximum=SCHOOL_YEARS[1])
    label = reader.text(row, "label")
    kind = reader.choice(row, "kind", LEVEL_KINDS)
    grade = reader.integer(row, "grade", required=False)
    try:
        check_grade(kind, grade)
    except InvalidInput as exc:
        raise reader.error("grade", exc.message) from None
    return {
        "id": lid, "school_id": sid, "site_id": reader.text(row, "site_id", False, sid),
        "school_year": year, "regime": reader.choice(row, "regime", REGIMES),
        "kind": kind, "label": label, "grade": grade,
        "name": reader.text(row, "name", required=False, default=label),
        "capacity": reader.integer(row, "capacity", required=False, maximum=MAX_CAPACITY),
        "seated_indicator": reader.integer(row, "seated_indicator", default=0,
                                           maximum=MAX_CAPACITY),
        "seated_non_indicator": reader.integer(row, "seated_non_indicator", default=0,
                                               maximum=MAX_CAPACITY),
        "indicator_ratio": ratio,
        "rounding": reader.choice(row, "rounding", ROUNDING_RULES, "half_up"),
        "enrolment_start": reader.moment(row, "enrolment_start", required=False),
        "free_places_field": "", "updated_at": utcnow(), "version": 1,
    }


def _check_sites(s, reader: _Reader, rows: list[dict], lines: dict[str, int]) -> None:
    """Refuse a level on a site that does not exist, at its first line."""
    sites = {r["site_id"] for r in rows}
    unknown_sites = sites - _existing(s, Site, sites)
    if unknown_sites:
        key = sorted(unknown_sites)[0]
        reader.line = min(lines[r["id"]] for r in rows if r["site_id"] == key)
        raise reader.error("site_id", f"vestiging '{key}' bestaat niet")


def _level_tables(rows: list[dict]) -> list[tuple[type, list[dict]]]:
    """Each level with its register counter (REG-01)."""
    return [(CapacityLevel, rows),
            (RegisterCounter, [{"level_id": r["id"], "last_seq": 0} for r in rows])]


def _child(reader: _Reader, row: dict, cid: str, _parent: str) -> dict:
    check_child_id(reader, cid)
    x, y = reader.point(row)
    return {"id": cid, "first_name": reader.text(row, "first_name"),
            "last_name": reader.text(row, "last_name"),
            "birth_date": reader.day(row, "birth_date"),
            "indicator": reader.flag(row, "indicator"),
            "household_id": reader.text(row, "household_id", required=False) or None,
            "address": reader.text(row, "address", required=False), "x": x, "y": y}


_areas = _Kind(Area, "area_id", "gebied", _area)
_schools = _Kind(School, "school_id", "school", _school,
                 parent=("area_id", Area,
                         lambda key: f"gebied '{key}' bestaat niet (importeer eerst areas.csv "
                         "of maak het aan met 'lopdesk area create')"),
                 tables=_school_tables)
_levels = _Kind(CapacityLevel, "level_id", "capaciteitsniveau", _level,
                parent=("school_id", School, lambda key: f"school '{key}' bestaat niet"),
                check=_check_sites, tables=_level_tables)
_children = _Kind(Child, "child_id", "kind", _child)


def _register(db: Database, reader: _Reader) -> Write:
    """Streamed inside the write transaction (register_import); its warnings are the
    writer's `warnings`."""
    from lopdesk.domain.register_import import import_rows

    warnings: list[str] = []

    def write(s) -> int:
        return import_rows(s, db.user, reader, warnings)
    write.warnings = warnings  # type: ignore[attr-defined]
    return write


PARSERS: dict[str, tuple[tuple[str, ...], Callable, str]] = {
    "areas": (("area_id", "name"), _areas, "data.import"),
    "schools": (("school_id", "area_id", "name"), _schools, "data.import"),
    "levels": (("level_id", "school_id", "school_year", "regime", "kind", "label"), _levels,
               "data.import"),
    "children": (("child_id", "first_name", "last_name"), _children, "data.import"),
    "register": (("school_id", "level_id", "child_id", "requested_at", "priority_group",
                  "indicator", "status"), _register, "register.write"),
}


def import_csv(db: Database, kind: str, path: Path | str,
               sheet: str | None = None) -> ImportSummary:
    """Import one CSV file or one sheet of an Excel workbook (the first, or `sheet`) of the
    given kind: all rows or none."""
    if kind not in PARSERS:
        raise InvalidInput(f"onbekend soort import '{kind}' ({', '.join(KINDS)})", field="kind")
    path = Path(path)
    required, parser, permission = PARSERS[kind]
    with db.read() as s:  # refuse an unknown user or a missing right before reading the file
        require(s, db.user, permission)
    reader = _Reader(path, required, sheet)
    try:
        write = parser(db, reader)
        with db.write() as s:
            require(s, db.user, permission)
            rows = write(s)
            audit.record(s, db.user, f"import.{kind}", "import", path.name,
                         {"rows": rows, "sha256": reader.sha256})
    finally:
        reader.close()
    return ImportSummary(kind, path.name, rows, rows, reader.sha256,
                         list(getattr(write, "warnings", [])))


def export_template(kind: str) -> str:
    """The header line of an import file, for users who start from an empty sheet."""
    required, _parser, _perm = PARSERS[kind]
    optional: dict[str, tuple[str, ...]] = {
        "areas": ("education", "in_lop", "per_contingent_lists", "chair_contact"),
        "schools": ("neighbourhood", "address", "x", "y", "pupils", "mandates_lop_notices"),
        "levels": ("name", "grade", "capacity", "seated_indicator", "seated_non_indicator",
                   "indicator_ratio", "rounding", "enrolment_start", "site_id"),
        "children": ("birth_date", "indicator", "household_id", "address", "x", "y"),
        "register": (),
    }
    return ",".join(required + optional[kind]) + "\n"
