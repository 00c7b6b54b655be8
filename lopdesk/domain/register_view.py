"""Fast reads for the app's register screen (a register of 20,000 entries opens in < 0.3 s).

`registers.list_entries` builds a NamedTuple per entry from an ORM-session result and turns
every timestamp into an aware datetime: ~1 s for 20,000 entries. Here one Core select
returns plain tuples (`Line`, fields by name); the timestamp stays as the driver gives it
(a string on SQLite, a datetime on PostgreSQL) and `requested_at()` converts it only for
the lines that are drawn.

Why the worker thread made it slower still (0.17 s alone, 0.6-0.9 s in the app): Python's
sqlite3 releases the GIL around every sqlite3_step, i.e. once per row. While the UI thread
is busy (mounting and drawing the screen, timers), the worker must win the GIL back 20,000
times and waits each time — a GIL convoy. On SQLite the select therefore aggregates the
register into ONE value (json_group_array) that is parsed in one go; PostgreSQL's driver
already receives the whole result at once, so it keeps the plain select.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from operator import itemgetter
from typing import Any

from sqlalchemy import String, func, select, type_coerce

from lopdesk.db import Database
from lopdesk.domain import registers
from lopdesk.domain.access import require
from lopdesk.domain.areas import get_or_404
from lopdesk.domain.calendar import area_free_days, order_binds, waiting_list_deadline
from lopdesk.domain.models import CapacityLevel, Child, RegisterEntry, School
from lopdesk.domain.types import utcnow

FIELDS = ("id", "seq", "requested_raw", "child_id", "child_name", "priority_group",
          "contingent", "status", "reason", "out_of_order", "overcapacity_category",
          "waitlist_position", "version", "search")


class Line(tuple):
    """One register entry as a plain tuple; fields read like registers.EntryRow
    (line.seq, line.status, ...). `search` is the lower-case text the filter looks in."""

    __slots__ = ()


for _i, _name in enumerate(FIELDS):
    setattr(Line, _name, property(itemgetter(_i)))


def _columns() -> list:
    return [
        RegisterEntry.id, RegisterEntry.seq,
        # Raw driver value: no per-row datetime parsing (see requested_at below).
        type_coerce(RegisterEntry.requested_at, String),
        RegisterEntry.child_id, (Child.first_name + " " + Child.last_name),
        RegisterEntry.priority_group, RegisterEntry.contingent, RegisterEntry.status,
        RegisterEntry.reason, RegisterEntry.out_of_order, RegisterEntry.overcapacity_category,
        RegisterEntry.waitlist_position, RegisterEntry.version,
    ]


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while many acyclic objects are made (a full collection
    of the app's heap costs ~0.1 s and would run several times for 20,000 lines)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _lines(rows) -> list[Line]:
    # The search text is built here, in the worker: the first filter does not pay for it.
    return [Line((*r, f"{r[1]} {r[4]} {r[3]}".lower())) for r in rows]


def register_lines(db: Database, level_id: str) -> list[Line]:
    """Every entry of a register in order (REG-01) as plain tuples (one Core select)."""
    with db.read() as s:
        require(s, db.user, "read")
        get_or_404(s, CapacityLevel, level_id, "capaciteitsniveau")
        conn = s.connection()
        where = RegisterEntry.level_id == level_id
        if conn.dialect.name == "sqlite":
            packed = conn.execute(
                select(func.json_group_array(func.json_array(*_columns())))
                .select_from(RegisterEntry).join(Child, Child.id == RegisterEntry.child_id)
                .where(where)).scalar()
            with gc_paused():
                rows = json.loads(packed or "[]")
                rows.sort(key=itemgetter(1))  # by number (REG-01)
                return _lines(rows)
        rows = conn.execute(
            select(*_columns()).join(Child, Child.id == RegisterEntry.child_id)
            .where(where).order_by(RegisterEntry.seq)).all()
    with gc_paused():
        return _lines(rows)


@lru_cache(maxsize=4096)
def _parse(raw: str) -> datetime:
    return datetime.fromisoformat(raw).replace(tzinfo=UTC)


def requested_at(line: Any) -> datetime:
    """The line's timestamp as an aware UTC datetime (converted when drawn, not when read)."""
    raw = line.requested_raw
    if isinstance(raw, datetime):
        return raw.astimezone(UTC) if raw.tzinfo else raw.replace(tzinfo=UTC)
    return _parse(raw)


@dataclass
class WaitingOrder:
    """The waiting list of a level as entry ids in order, and until when it binds (WL-01)."""

    level_id: str
    deadline: date
    binds: bool
    per_contingent: bool
    ids: list[int]


def waiting_order(db: Database, level_id: str, at: datetime | None = None) -> WaitingOrder:
    """Like registers.waiting_list, without reading the whole register a second time."""
    now = at or utcnow()
    with db.read() as s:
        require(s, db.user, "read")
        level = get_or_404(s, CapacityLevel, level_id, "capaciteitsniveau")
        deadline = registers.deadline_for(s, level)
        q = registers.waiting_query(level_id).with_only_columns(RegisterEntry.id)
        ids = list(s.connection().execute(q).scalars())
        per_c = registers.per_contingent(s, level)
    return WaitingOrder(level_id, deadline, order_binds(now, deadline), per_c, ids)


def level_deadlines(db: Database, level_ids: list[str],
                    at: datetime | None = None) -> dict[str, tuple[date, bool]]:
    """WL-01 deadline and whether the order still binds, for many levels at once."""
    now = at or utcnow()
    if not level_ids:
        return {}
    with db.read() as s:
        require(s, db.user, "read")
        rows = s.connection().execute(
            select(CapacityLevel.id, CapacityLevel.school_year, CapacityLevel.kind,
                   CapacityLevel.label, School.area_id)
            .join(School, School.id == CapacityLevel.school_id)
            .where(CapacityLevel.id.in_(sorted(set(level_ids))))).all()
        free = {area: area_free_days(s, area) for area in {r.area_id for r in rows}}
    out: dict[str, tuple[date, bool]] = {}
    for lid, year, kind, label, area in rows:
        deadline = waiting_list_deadline(year, kind, label, free[area])
        out[lid] = (deadline, order_binds(now, deadline))
    return out
