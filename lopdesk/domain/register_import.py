"""The import of a register (register.csv), streamed: the file is read, checked and written
a part of CHUNK_LINES lines at a time inside one write transaction, so a file of a million
lines needs no more memory than one part (formats.md, docs/formats-lopdesk.md).

All or nothing stays: any bad line raises and the transaction rolls back. Errors come in
file order and name the file, the line and the column. Checked are the cells, the
chronological order of each level's rows in the file, and against the database: the level
and its school, the child, the level's last entry (REG-01) and the child's running request
at that level (in the database or earlier in the file). The warnings: rows whose indicator
differs from the child's, and levels where the source register seats more children than
the capacity (CAP-04).

The audit trail: every part's rows are sealed (audit_rows) in a record of their own,
"import.register.part", before the next part is written; the last part's rows go into the
import's own record, as for a file of one part (REG-02).
"""

from __future__ import annotations

import re
from array import array
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from lopdesk.domain import audit
from lopdesk.domain.bulk import rows_in
from lopdesk.domain.codes import CONTINGENTS, PRIORITY_GROUPS, STATUSES
from lopdesk.domain.errors import ImportError_
from lopdesk.domain.models import CapacityLevel, RegisterEntry
from lopdesk.labels import fmt_datetime
from lopdesk.matching.csvin import parse_moment

CHUNK_LINES = 5000  # lines per part: parsed, checked and inserted together
CHUNK = 900  # ids per IN (...) query: below SQLite's bound-parameter limit
MAX_LINE_WARNINGS = 1000  # warnings of single lines; the rest are counted in one more
# Privacy (domain §10): a national register number never enters lopdesk. Columns named
# like one and values that are one are refused by csvin; a child_id merely shaped like one
# (11 digits, any check digits) is refused too, since a mistyped number is still personal.
RRN_PATTERN = re.compile(r"^\d{2}\.?\d{2}\.?\d{2}[-.]?\d{3}\.?\d{2}$")


# Plain SQL through the driver (bulk.rows_in): {keys} is the part's list of child ids.
_CHILDREN = "SELECT id, indicator FROM child WHERE id IN ({keys})"
_RUNNING = ("SELECT id, level_id, child_id FROM register_entry "
            "WHERE child_id IN ({keys}) AND status != 'withdrawn'")


def check_child_id(reader: Any, child_id: str) -> None:
    if RRN_PATTERN.match(child_id):
        raise reader.error("child_id", "dit lijkt een rijksregisternummer: gebruik een "
                           "pseudoniem (privacy)")


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass
class _State:
    """What the import keeps between parts: per level, never per line, except the ids and
    lines of the rows written (8 bytes each) to name the line of an earlier duplicate."""

    last_in_file: dict[str, datetime] = field(default_factory=dict)
    school_of: dict[str, str | None] = field(default_factory=dict)  # None: no such level
    last_in_db: dict[str, datetime] = field(default_factory=dict)
    ids: array = field(default_factory=lambda: array("q"))
    lines: array = field(default_factory=lambda: array("q"))
    refused: array = field(default_factory=lambda: array("q"))
    part: str = ""  # the lines of the part written last, for its audit record
    mismatches: int = 0  # rows whose indicator differs from the child's


def import_rows(s: Session, user: str, reader: Any, warnings: list[str]) -> int:
    """Read, check and append every row of `reader` (imports._Reader) in the caller's
    transaction; returns the number of rows. `reader.error` names the place."""
    from lopdesk.domain.refusals import notify_refusals_in

    st = _State()
    rows: list[dict] = []
    lines: list[int] = []
    records = reader.rows()
    while True:
        try:
            for row in records:
                rows.append(_parse(reader, row, st.last_in_file))
                lines.append(reader.line)
                if len(rows) == CHUNK_LINES:
                    break
        except ImportError_:
            _check(s, reader, rows, lines, st, [])  # an earlier line's problem comes first
            raise
        if not rows:
            break
        _write_part(s, user, reader, rows, lines, st, warnings)
        rows, lines = [], []
    notify_refusals_in(s, user, entry_ids=st.refused)  # NGI-03, one record for the import
    if st.mismatches > MAX_LINE_WARNINGS:
        warnings.append(f"{reader.name}: nog {st.mismatches - MAX_LINE_WARNINGS} regels "
                        "waarvan de indicator afwijkt van die van het kind (niet elk getoond)")
    warnings.extend(capacity_warnings(s, {lv for lv, school in st.school_of.items() if school}))
    return len(st.ids)


# The cells of a well-formed row read directly; any other row goes through the reader's
# helpers, which name its first problem.
_FLAGS = {"": False, "1": True, "ja": True, "true": True, "yes": True, "j": True,
          "0": False, "nee": False, "false": False, "no": False, "n": False}
_GROUPS = frozenset(PRIORITY_GROUPS)
_STATUSES = frozenset(STATUSES)


def _parse(reader: Any, row: dict, last_at: dict[str, datetime]) -> dict:
    """One row's cells, and the order of the level's rows in the file (REG-01)."""
    get = row.get
    school_id, level_id, child_id = get("school_id", ""), get("level_id", ""), get("child_id", "")
    raw_at, group, status = get("requested_at", ""), get("priority_group") or "none", \
        get("status", "")
    indicator = _FLAGS.get(get("indicator", "").lower())
    at = parse_moment(raw_at) if raw_at else None
    if (not (school_id and level_id and child_id) or at is None or indicator is None
            or group not in _GROUPS or status not in _STATUSES or RRN_PATTERN.match(child_id)):
        school_id, level_id, child_id, at, group, indicator, status = _cells(reader, row)
    prev = last_at.get(level_id)
    if prev is not None and at < prev:
        raise reader.error("requested_at", f"vroeger dan de vorige regel van {level_id} "
                           f"({fmt_datetime(prev)}): rijen van één niveau "
                           "staan in chronologische volgorde")
    last_at[level_id] = at
    return {"level_id": level_id, "child_id": child_id, "requested_at": at,
            "priority_group": group, "_school": school_id,
            "contingent": CONTINGENTS[0] if indicator else CONTINGENTS[1],
            "status": status, "reason": "capacity" if status == "non_realised" else None}


def _cells(reader: Any, row: dict) -> tuple[str, str, str, datetime, str, bool, str]:
    """The row's cells through the reader's helpers: the first bad one raises."""
    school_id = reader.text(row, "school_id")
    level_id = reader.text(row, "level_id")
    child_id = reader.text(row, "child_id")
    check_child_id(reader, child_id)
    at = reader.moment(row, "requested_at")
    group = reader.choice(row, "priority_group", PRIORITY_GROUPS, "none")
    indicator = reader.flag(row, "indicator")
    status = reader.choice(row, "status", STATUSES)
    return school_id, level_id, child_id, at, group, indicator, status


def _write_part(s: Session, user: str, reader: Any, rows: list[dict], lines: list[int],
                st: _State, warnings: list[str]) -> None:
    from lopdesk.domain.registers import bulk_append

    if st.part:  # seal the previous part's rows before this part adds its own
        audit.append(s, user, "import.register.part", "import", reader.name,
                     {"lines": st.part})
    _check(s, reader, rows, lines, st, warnings)
    for r in rows:
        del r["_school"]
    ids = bulk_append(s, user, rows, rule="REG-01", message=f"import {reader.name}",
                      source="import", notify=False)
    st.ids.extend(ids)
    st.lines.extend(lines)
    st.refused.extend(i for i, r in zip(ids, rows, strict=True) if r["status"] == "non_realised")
    st.part = f"{lines[0]}-{lines[-1]}"


def _check(s: Session, reader: Any, rows: list[dict], lines: list[int], st: _State,
           warnings: list[str]) -> None:
    """The part's rows against the database, in file order (see the module text)."""
    if not rows:
        return
    _learn_levels(s, st, {r["level_id"] for r in rows})
    children = sorted({r["child_id"] for r in rows})
    indicator_of: dict[str, bool] = {cid: bool(flag) for cid, flag in
                                     rows_in(s, _CHILDREN, children, CHUNK)}
    # (level, child) -> id of a running request
    running = {(level_id, child_id): eid
               for eid, level_id, child_id in rows_in(s, _RUNNING, children, CHUNK)}
    here: dict[tuple[str, str], int] = {}  # running requests of this part: line
    for r, line in zip(rows, lines, strict=True):
        reader.line = line
        _check_row(reader, r, st, indicator_of, running, here)
        own = "indicator" if indicator_of[r["child_id"]] else "non_indicator"
        if own != r["contingent"]:
            st.mismatches += 1
            if st.mismatches <= MAX_LINE_WARNINGS:
                warnings.append(f"{reader.name}, regel {line}: indicator van de rij wijkt "
                                f"af van die van kind {r['child_id']} (de rij wordt gevolgd)")


def _check_row(reader: Any, r: dict, st: _State, indicator_of: dict[str, bool],
               running: dict[tuple[str, str], int], here: dict[tuple[str, str], int]) -> None:
    level_id, child_id = r["level_id"], r["child_id"]
    school = st.school_of[level_id]
    if school is None:
        raise reader.error("level_id", f"capaciteitsniveau '{level_id}' bestaat niet")
    if school != r["_school"]:
        raise reader.error("school_id", f"niveau {level_id} hoort bij school "
                           f"{school}, niet bij {r['_school']}")
    if child_id not in indicator_of:
        raise reader.error("child_id", f"kind '{child_id}' bestaat niet "
                           "(importeer eerst children.csv)")
    prev = st.last_in_db.get(level_id)
    if prev is not None and r["requested_at"] < prev:
        raise reader.error("requested_at", f"vroeger dan de laatste inschrijving in "
                           f"het register van {level_id} ({fmt_datetime(prev)})")
    if r["status"] == "withdrawn":
        return
    key = (level_id, child_id)
    earlier = here.get(key)
    if earlier is None and key in running:
        eid = running[key]
        if eid not in st.ids:
            raise reader.error("child_id", f"kind '{child_id}' staat al in het "
                               f"register van {level_id}")
        earlier = st.lines[st.ids.index(eid)]
    if earlier is not None:
        raise reader.error("child_id", f"kind '{child_id}' heeft al een lopende "
                           f"aanvraag bij {level_id} (regel {earlier})")
    here[key] = reader.line


def _learn_levels(s: Session, st: _State, levels: set[str]) -> None:
    """School and last entry of the levels met for the first time: before this import
    wrote to them, so the last entry is the database's own (REG-01)."""
    new = sorted(levels - st.school_of.keys())
    for start in range(0, len(new), CHUNK):
        part = new[start:start + CHUNK]
        st.school_of.update(dict.fromkeys(part))
        st.school_of.update(s.execute(select(CapacityLevel.id, CapacityLevel.school_id)
                                      .where(CapacityLevel.id.in_(part))).all())
        st.last_in_db.update(
            (lv, _aware(at)) for lv, at in s.execute(
                select(RegisterEntry.level_id, func.max(RegisterEntry.requested_at))
                .where(RegisterEntry.level_id.in_(part))
                .group_by(RegisterEntry.level_id)).all() if at is not None)


def capacity_warnings(s: Session, levels: set[str]) -> list[str]:
    """The source register decided the statuses; say where it gives more places than the
    level has (CAP-04), so that the LOP can check it. One grouped query per part of the
    levels: realised entries outside overcapacity, as level_state counts them."""
    from lopdesk.domain.registers import places_over

    counted = (select(func.count()).where(RegisterEntry.level_id == CapacityLevel.id,
                                          RegisterEntry.status == "realised",
                                          RegisterEntry.overcapacity_category.is_(None))
               .correlate(CapacityLevel).scalar_subquery())
    warnings = []
    ordered = sorted(levels)
    for start in range(0, len(ordered), CHUNK):
        for level_id, capacity, seated, realised in s.execute(
                select(CapacityLevel.id, CapacityLevel.capacity,
                       CapacityLevel.seated_indicator + CapacityLevel.seated_non_indicator,
                       counted)
                .where(CapacityLevel.id.in_(ordered[start:start + CHUNK]),
                       CapacityLevel.capacity.is_not(None))
                .order_by(CapacityLevel.id)):
            over = places_over(capacity, seated, realised)
            if over:
                warnings.append(f"{level_id}: {capacity + over} plaatsen bezet of "
                                f"gerealiseerd bij een capaciteit van {capacity} "
                                "(controleer het bronregister)")
    return warnings
