"""Fast reads for the app's register screen (a register of 200,000 entries opens in < 1 s).

`registers.list_entries` builds a NamedTuple per entry from an ORM-session result and turns
every timestamp into an aware datetime: ~1 s for 20,000 entries. Here the register comes
back column by column (`RegisterLines`): on SQLite one select aggregates each column into
ONE string (group_concat) that Python splits in one C call, so a line costs no Python
object until the screen draws it (`lines[i]` makes a `Line` tuple, fields by name). The
timestamp stays as the driver gives it; `requested_at()` converts it only when drawn.

Why one aggregated value rather than rows: Python's sqlite3 releases the GIL around every
sqlite3_step, i.e. once per row. While the UI thread is busy (mounting and drawing the
screen, timers), the worker must win the GIL back for every row and waits each time — a
GIL convoy. PostgreSQL's driver receives the whole result at once, so it keeps the plain
select (and turns the rows into columns).
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from operator import itemgetter
from typing import Any

from sqlalchemy import String, and_, func, select, type_coerce

from lopdesk.db import Database
from lopdesk.domain import registers
from lopdesk.domain.access import reading
from lopdesk.domain.allocation_models import AllocationRun
from lopdesk.domain.areas import get_or_404
from lopdesk.domain.calendar import area_free_days, order_binds, waiting_list_deadline
from lopdesk.domain.models import CapacityLevel, Child, RegisterEntry, School
from lopdesk.domain.types import utcnow

FIELDS = ("id", "seq", "requested_raw", "child_id", "child_name", "priority_group",
          "contingent", "status", "reason", "out_of_order", "overcapacity_category",
          "waitlist_position", "version", "search", "superseded")
SEPARATOR = "\x1f"  # ASCII unit separator: never typed in a name or a code


class Line(tuple):
    """One register entry as a plain tuple; fields read like registers.EntryRow
    (line.seq, line.status, ...). `search` is the lower-case text the filter looks in;
    `superseded`: a line of a replaced allocation run that the replacement withdrew
    (ALC-05), kept on record (REG-02)."""

    __slots__ = ()


for _i, _name in enumerate(FIELDS):
    setattr(Line, _name, property(itemgetter(_i)))


@dataclass(frozen=True)
class Widest:
    """The widest values of a register's columns (characters), and its sets of codes."""

    name: int
    child_id: int
    overcapacity: int
    seq: int
    rank: int
    reasons: frozenset[str]
    groups: frozenset[str]


class RegisterLines(Sequence[Line]):
    """A register in order (REG-01) as the rows the driver gave (lists): no object per line
    until one is asked for (`lines[i]` makes the `Line` of row i when the screen draws it).
    `where` filters on the columns without making lines."""

    def __init__(self, rows: list, search: list[str], widest: Widest | None = None) -> None:
        self.rows = rows
        self.search = search
        self._widest = widest
        self.ids: list[int] = [r[0] for r in rows]
        self.superseded = sum(1 for r in rows if r[SUPERSEDED])
        self.out_of_order = sum(1 for r in rows if r[OUT_OF_ORDER])  # REG-01 marks
        self._columns: dict[int, list] = {}
        self._positions: dict[int, int] | None = None

    def __len__(self) -> int:
        return len(self.rows)

    def widest(self) -> Widest:
        """The widest values of the register (the screen's column widths): from the read's
        own aggregates on SQLite, else measured on the columns once."""
        if self._widest is None:
            def most(name: str) -> int:
                return max(map(len, filter(None, self.column(name))), default=0)

            self._widest = Widest(
                most("child_name"), most("child_id"), most("overcapacity_category"),
                max(self.column("seq"), default=0),
                max(filter(None, self.column("waitlist_position")), default=0),
                frozenset(filter(None, self.column("reason"))),
                frozenset(filter(None, self.column("priority_group"))))
        return self._widest

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self.rows)))]
        row = self.rows[i]
        return Line((*row[:SUPERSEDED], self.search[i], bool(row[SUPERSEDED])))

    def column(self, name: str) -> list:
        """One field of every line (e.g. "status"), read once."""
        i = ROW_FIELDS.index(name)
        if i not in self._columns:
            get = itemgetter(i)
            self._columns[i] = [get(r) for r in self.rows]
        return self._columns[i]

    def position(self, entry_id: int) -> int | None:
        """Where the entry is in the register (None: not in it)."""
        return self._index().get(entry_id)

    def positions(self, entry_ids: list[int]) -> list[int]:
        """Where these entries are, in their order (those not in the register left out)."""
        index = self._index()
        return [p for p in map(index.get, entry_ids) if p is not None]

    def _index(self) -> dict[int, int]:
        if self._positions is None:
            self._positions = dict(zip(self.ids, range(len(self.ids)), strict=True))
        return self._positions

    def where(self, text: str = "", status: str | None = None,
              hide_superseded: bool = False) -> list[int] | None:
        """The positions of the lines whose search text holds every word of `text`, with
        that status, without the superseded lines when asked; None when nothing filters."""
        words = text.lower().split()
        if not words and status is None and not (hide_superseded and self.superseded):
            return None
        search = self.search
        picked: list[int] | range = range(len(self.rows))
        if words:
            first = words[0]
            picked = [i for i, t in enumerate(search) if first in t]
            for w in words[1:]:
                picked = [i for i in picked if w in search[i]]
        if status is not None:
            col = self.column("status")
            picked = [i for i in picked if col[i] == status]
        if hide_superseded and self.superseded:
            gone = self.column("superseded")
            picked = [i for i in picked if not gone[i]]
        return list(picked)


class LinesAt(Sequence[Line]):
    """Some lines of a register (e.g. its waiting list, 50,000 of 200,000 lines), each made
    only when read."""

    def __init__(self, lines: RegisterLines, places: list[int]) -> None:
        self.lines = lines
        self.places = places

    def __len__(self) -> int:
        return len(self.places)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self.lines[p] for p in self.places[i]]
        return self.lines[self.places[i]]


# A row as the driver gives it: the fields of a Line without the search text.
ROW_FIELDS = tuple(f for f in FIELDS if f != "search")
SUPERSEDED = ROW_FIELDS.index("superseded")
OUT_OF_ORDER = ROW_FIELDS.index("out_of_order")


def _columns() -> list:
    """The columns of a line, in the order of ROW_FIELDS."""
    replaced = select(AllocationRun.id).where(AllocationRun.status == "replaced")
    return [
        RegisterEntry.id, RegisterEntry.seq,
        # Raw driver value: no per-row datetime parsing (see requested_at below).
        type_coerce(RegisterEntry.requested_at, String),
        RegisterEntry.child_id, (Child.first_name + " " + Child.last_name),
        RegisterEntry.priority_group, RegisterEntry.contingent, RegisterEntry.status,
        RegisterEntry.reason, RegisterEntry.out_of_order, RegisterEntry.overcapacity_category,
        RegisterEntry.waitlist_position, RegisterEntry.version,
        # ALC-05: a line the replacement of its run withdrew
        and_(RegisterEntry.allocation_run_id.in_(replaced),
             RegisterEntry.status == "withdrawn"),
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


def register_lines(db: Database, level_id: str) -> RegisterLines:
    """Every entry of a register in order (REG-01), lines made on demand (see the module)."""
    with reading(db) as s:
        get_or_404(s, CapacityLevel, level_id, "capaciteitsniveau")
        conn = s.connection()
        where = RegisterEntry.level_id == level_id
        base = select().select_from(RegisterEntry).join(Child, Child.id == RegisterEntry.child_id)
        with gc_paused():
            if conn.dialect.name == "sqlite":
                # the widest values come with the same scan, at C speed (`_measures`)
                packed, *most = conn.execute(base.add_columns(
                    func.json_group_array(func.json_array(*_columns())), *_measures())
                    .where(where)).one()
                rows = json.loads(packed or "[]")
                rows.sort(key=itemgetter(1))  # by number (REG-01)
                return _with_search(rows, _widest(most))
            rows = [list(r) for r in conn.execute(base.add_columns(*_columns())
                                                  .where(where).order_by(RegisterEntry.seq))]
            return _with_search(rows)


def _measures() -> list:
    """SQLite aggregates of what `RegisterLines.widest` measures (codes hold no comma)."""
    return [func.max(func.length(Child.first_name + " " + Child.last_name)),
            func.max(func.length(RegisterEntry.child_id)),
            func.max(func.length(RegisterEntry.overcapacity_category)),
            func.max(RegisterEntry.seq), func.max(RegisterEntry.waitlist_position),
            func.group_concat(RegisterEntry.reason.distinct()),
            func.group_concat(RegisterEntry.priority_group.distinct())]


def _widest(most: list) -> Widest:
    *numbers, reasons, groups = most
    name, child_id, overcapacity, seq, rank = (int(n or 0) for n in numbers)
    return Widest(name, child_id, overcapacity, seq, rank,
                  frozenset(filter(None, (reasons or "").split(","))),
                  frozenset(filter(None, (groups or "").split(","))))


def register_head(db: Database, level_id: str, limit: int = 100) -> tuple[int, RegisterLines]:
    """How many lines the register has, and its first `limit` lines (REG-01 order): what the
    screen shows while `register_lines` reads the rest (an index range on the number)."""
    with reading(db) as s:
        get_or_404(s, CapacityLevel, level_id, "capaciteitsniveau")
        conn = s.connection()
        where = RegisterEntry.level_id == level_id
        count = conn.execute(select(func.count()).select_from(RegisterEntry)
                             .where(where)).scalar_one()
        rows = [list(r) for r in conn.execute(
            select(*_columns()).join(Child, Child.id == RegisterEntry.child_id)
            .where(where).order_by(RegisterEntry.seq).limit(limit))]
    return count, _with_search(rows)


def _with_search(rows: list, widest: Widest | None = None) -> RegisterLines:
    # The filter's text (number, name, child id), made in the worker and lower-cased in
    # one call for the whole register.
    text = SEPARATOR.join([f"{r[1]} {r[4]} {r[3]}" for r in rows]).lower()
    return RegisterLines(rows, text.split(SEPARATOR) if rows else [], widest)


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
    with reading(db) as s:
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
    with reading(db) as s:
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
