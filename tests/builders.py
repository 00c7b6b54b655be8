"""Small hand-made scenarios built through the services (shared by the rule tests)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from lopdesk.domain import areas

if TYPE_CHECKING:
    from lopdesk.db import Database

START = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)  # enrolments start (Brussels 09:00)


def t(minutes: int = 0, days: int = 0) -> datetime:
    """A moment after the start of enrolments."""
    return START + timedelta(days=days, minutes=minutes)


def area(db, area_id: str = "A", *, in_lop: bool = True, per_contingent: bool = False,
         education: str = "primary") -> str:
    areas.create_area(db, area_id, f"Gebied {area_id}", in_lop=in_lop,
                      per_contingent_lists=per_contingent, education=education)
    return area_id


def school(db, school_id: str, area_id: str = "A", **kw) -> str:
    areas.create_school(db, school_id, area_id, f"School {school_id}", **kw)
    return school_id


def level(db, level_id: str, school_id: str, *, capacity: int | None = 2, regime: str = "new",
          kind: str = "primary_grade", label: str = "1", year: int = 2027,
          ratio: float | None = None, start: datetime | None = START, **kw) -> str:
    areas.create_level(db, level_id, school_id, school_year=year, regime=regime, kind=kind,
                       label=label, capacity=capacity, indicator_ratio=ratio,
                       enrolment_start=start, **kw)
    return level_id


def children(db, n: int, *, prefix: str = "K", indicator: bool | list[bool] = False,
             start: int = 0) -> list[str]:
    ids = []
    for i in range(start, start + n):
        ind = indicator[i - start] if isinstance(indicator, list) else indicator
        cid = f"{prefix}{i:03d}"
        areas.create_child(db, cid, f"Voornaam{i}", f"Achternaam{i}", indicator=ind)
        ids.append(cid)
    return ids


def basic(db, capacity: int = 2, n_children: int = 4, **kw) -> tuple[str, list[str]]:
    """Area A, school S1, level L1 (new regime, grade 1, 2027) and some children."""
    area(db)
    school(db, "S1")
    level(db, "L1", "S1", capacity=capacity, **kw)
    return "L1", children(db, n_children)


def small_demo(path, day) -> Database:
    """The small demo area (seed 2027) as of `day`, built in a new SQLite file at `path`."""
    from lopdesk import demo
    from lopdesk.config import Settings
    from lopdesk.db import Database
    from lopdesk.domain.setup import initialise

    db = Database(Settings.from_cli(str(path), "tester"))
    initialise(db)
    demo.generate(db, size="small", seed=2027, today=day)
    return db
