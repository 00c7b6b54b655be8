"""The contingent counters of the whole area in a few grouped queries (CAP-04, CAP-05)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, NamedTuple

from lopdesk import clock as clocks
from lopdesk.domain.access import require_plain
from lopdesk.domain.calendar import order_binds, waiting_list_deadline
from lopdesk.domain.registers.rules import contingent_seats, free_places
from lopdesk.plainsql import as_date, as_utc

if TYPE_CHECKING:
    from lopdesk.db import Database


@dataclass
class LevelCounters:
    level_id: str
    school_id: str
    school_name: str
    neighbourhood: str
    area_id: str
    school_year: int
    regime: str
    kind: str
    label: str
    capacity: int | None
    seated_indicator: int
    seated_non_indicator: int
    seats_indicator: int | None  # contingent seats (old regime)
    seats_non_indicator: int | None
    realised_indicator: int
    realised_non_indicator: int
    deferred_indicator: int
    deferred_non_indicator: int
    non_realised_indicator: int
    non_realised_non_indicator: int
    withdrawn: int
    overcapacity: int
    free_places: int | None  # CAP-04, never below 0
    free_places_field: str  # CAP-05
    full: bool  # active full declaration (CAP-06)
    waiting: int
    pending_raises: int
    last_change: datetime | None
    version: int
    waiting_binds: bool = True  # WL-01: the waiting list still binds a freed place
    open_offers: int = 0  # freed places offered and not yet answered (WL-01)

    @property
    def waiting_binding(self) -> int:
        """The children on a waiting list that still binds (WL-01)."""
        return self.waiting if self.waiting_binds else 0

    @property
    def board_disagrees(self) -> bool:
        return board_disagrees(self.free_places_field, self.free_places)

    @property
    def realised(self) -> int:
        return self.realised_indicator + self.realised_non_indicator

    @property
    def seated(self) -> int:
        return self.seated_indicator + self.seated_non_indicator


def board_disagrees(board: str, free: int | None) -> bool:
    """CAP-05 against CAP-04: a value the LOP put on its board that the computed free places
    deny. JA claims places; 0 claims none; a number claims that many. The empty default
    shows "Nog plaatsen vrij", so it claims places too; without a capacity there is nothing
    to compare."""
    if free is None:
        return False
    value = (board or "").strip().upper()
    if value in ("", "JA"):
        return free == 0
    if value.isdigit():
        return int(value) != free
    return False


class _Seats(NamedTuple):
    """What contingent_seats reads of a level (REG-05)."""

    capacity: int | None
    seated_indicator: int
    seated_non_indicator: int
    indicator_ratio: float | None
    rounding: str


# Plain SQL over the tables of domain.models (lopdesk.plainsql): the counters are the one
# read of `lopdesk counters` and of every refresh, with no ORM entities for 400+ levels.
# The last register change is one value per level, not one per (status, contingent)
# group (a seek into ix_register_counts per level).
_LEVELS_SQL = """
SELECT l.id, l.school_id, s.name, s.neighbourhood, s.area_id, l.school_year, l.regime,
       l.kind, l.label, l.capacity, l.seated_indicator, l.seated_non_indicator,
       l.indicator_ratio, l.rounding, l.free_places_field, l.updated_at, l.version,
       (SELECT max(r.status_changed_at) FROM register_entry r WHERE r.level_id = l.id)
FROM capacity_level l JOIN school s ON s.id = l.school_id
WHERE {where}
ORDER BY s.name, l.school_year, l.id
"""
# Reads the covering index ix_register_counts alone (migration 0004): no table rows.
# count(column) counts the non-NULL values: the lines above capacity (CAP-07).
_COUNTS_SQL = """
SELECT level_id, status, contingent, count(overcapacity_category), count(*)
FROM register_entry GROUP BY level_id, status, contingent
"""
# The lines of the chosen levels only (area, year): a register's header counts its own
# area, not every line of the school year in every area.
_COUNTS_OF_SQL = """
SELECT r.level_id, r.status, r.contingent, count(r.overcapacity_category), count(*)
FROM register_entry r JOIN capacity_level l ON l.id = r.level_id
JOIN school s ON s.id = l.school_id
WHERE {where} GROUP BY r.level_id, r.status, r.contingent
"""
_FULL_SQL = """
SELECT fl.level_id FROM full_declaration_level fl
JOIN full_declaration f ON f.id = fl.declaration_id WHERE f.lifted_at IS NULL
"""
_PENDING_SQL = ("SELECT level_id, count(*) FROM capacity_decision WHERE status = 'pending' "
                "GROUP BY level_id")
_OFFERS_SQL = "SELECT level_id, count(*) FROM offer WHERE status = 'open' GROUP BY level_id"
_FREE_DAYS_SQL = "SELECT area_id, day FROM calendar_day"


def area_counters(db: Database, area_id: str | None = None,
                  school_year: int | None = None,
                  at: datetime | None = None) -> list[LevelCounters]:
    """Every level's counters; `at` decides which waiting lists still bind (WL-01)."""
    return _area_counters(db, area_id, school_year, at, through_engine=False)


def _area_counters(db: Database, area_id: str | None, school_year: int | None,
                   at: datetime | None, through_engine: bool) -> list[LevelCounters]:
    """area_counters; through_engine reads SQLite through SQLAlchemy too (the tests compare
    both ways)."""
    now = at or clocks.now()
    where = ["1 = 1"]
    if area_id:
        where.append("s.area_id = :area")
    if school_year:
        where.append("l.school_year = :year")
    params = {"area": area_id, "year": school_year}
    with db.read_plain(through_engine) as query:
        require_plain(query, db.user, "read")
        levels = [_level_row(row)
                  for row in query(_LEVELS_SQL.format(where=" AND ".join(where)), params)]
        counts: dict[str, dict[tuple[str, str], int]] = {}
        overc: dict[str, int] = {}
        for level_id, status, contingent, n_over, n in query(
                _COUNTS_OF_SQL.format(where=" AND ".join(where)) if len(where) > 1
                else _COUNTS_SQL, params):
            counts.setdefault(level_id, {})[(status, contingent)] = n
            if status == "realised" and n_over:
                overc[level_id] = overc.get(level_id, 0) + int(n_over)
        full = {row[0] for row in query(_FULL_SQL)}
        pending = dict(query(_PENDING_SQL))
        offers = dict(query(_OFFERS_SQL))
        free_days: dict[str, list[date]] = {}
        for area, day in query(_FREE_DAYS_SQL):
            free_days.setdefault(area, []).append(as_date(day))
    out = [_counters(level, counts.get(level[0], {}), overc.get(level[0], 0),
                     level[0] in full, pending.get(level[0], 0)) for level in levels]
    deadlines: dict[tuple, bool] = {}
    for c in out:
        key = (c.area_id, c.school_year, c.kind, c.label)
        if key not in deadlines:
            deadline = waiting_list_deadline(c.school_year, c.kind, c.label,
                                             free_days.get(c.area_id, []))
            deadlines[key] = order_binds(now, deadline)
        c.waiting_binds = deadlines[key]
        c.open_offers = offers.get(c.level_id, 0)
    return out


def _level_row(row: tuple) -> tuple:
    """A row of _LEVELS_SQL with its two moments as aware UTC datetimes."""
    *head, updated, version, changed = row
    return (*head, as_utc(updated), version, as_utc(changed))


def _counters(level: tuple, c: dict[tuple[str, str], int], n_over: int, is_full: bool,
              pending: int) -> LevelCounters:
    """One level's counters from its row and its register counts per (status, contingent)."""
    (lid, school_id, school_name, neighbourhood, level_area, year, regime, kind, label,
     capacity, seated_i, seated_n, ratio, rounding, fp_field, updated, version,
     changed) = level
    ri = c.get(("realised", "indicator"), 0)
    rn = c.get(("realised", "non_indicator"), 0)
    nri = c.get(("non_realised", "indicator"), 0)
    nrn = c.get(("non_realised", "non_indicator"), 0)
    # CAP-04 on the grouped counts: the realised lines above capacity (CAP-07) need no
    # place, a full declaration (CAP-06) leaves none.
    free = free_places(capacity, seated_i + seated_n, ri + rn - n_over, full=is_full)
    seats = contingent_seats(_Seats(capacity, seated_i, seated_n, ratio, rounding))
    if updated is None:
        last_change = changed
    elif changed is None:
        last_change = updated
    else:
        last_change = max(updated, changed)
    return LevelCounters(
        level_id=lid, school_id=school_id, school_name=school_name,
        neighbourhood=neighbourhood, area_id=level_area, school_year=year,
        regime=regime, kind=kind, label=label, capacity=capacity,
        seated_indicator=seated_i, seated_non_indicator=seated_n,
        seats_indicator=seats["indicator"] if seats else None,
        seats_non_indicator=seats["non_indicator"] if seats else None,
        realised_indicator=ri, realised_non_indicator=rn,
        deferred_indicator=c.get(("deferred", "indicator"), 0),
        deferred_non_indicator=c.get(("deferred", "non_indicator"), 0),
        non_realised_indicator=nri, non_realised_non_indicator=nrn,
        withdrawn=c.get(("withdrawn", "indicator"), 0) + c.get(("withdrawn", "non_indicator"),
                                                                0),
        overcapacity=n_over, free_places=free, free_places_field=fp_field,
        full=is_full, waiting=nri + nrn,
        pending_raises=pending, last_change=last_change,
        version=version or 0,
    )
