"""The counters' quick read (plain SQL through the sqlite3 driver, no SQLAlchemy) gives the
same figures as SQLAlchemy's connection and as the ORM (CAP-04, CAP-05, CAP-07, WL-01)."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from datetime import UTC, date, datetime

import pytest
from conftest import as_user
from sqlalchemy import func, select

from lopdesk import demo
from lopdesk.domain.counters import _area_counters, area_counters
from lopdesk.domain.errors import PermissionDenied
from lopdesk.domain.models import CapacityLevel, RegisterEntry

AT = datetime(2027, 4, 20, 10, 0, tzinfo=UTC)


@pytest.fixture
def demo_db(db):
    # after the 2027 round (1 April): realised, waiting, deferred and overcapacity lines
    demo.generate(db, size="small", seed=2027, today=date(2027, 4, 15))
    return db


@pytest.mark.parametrize("area, year", [(None, None), (None, 2027), ("__first__", None),
                                        ("__first__", 2026)])
def test_plain_read_and_sqlalchemy_give_the_same_counters(demo_db, area, year):
    if area == "__first__":
        area = area_counters(demo_db, at=AT)[0].area_id
    plain = _area_counters(demo_db, area, year, AT, through_engine=False)
    core = _area_counters(demo_db, area, year, AT, through_engine=True)
    assert plain, "the demo has levels"
    assert [asdict(c) for c in plain] == [asdict(c) for c in core]
    assert all(c.area_id == area for c in plain) if area else True
    assert all(c.school_year == year for c in plain) if year else True


@pytest.mark.parametrize("area, year", [(None, 2027), ("__first__", None),
                                        ("__first__", 2026), ("__last__", 2026)])
def test_counters_of_a_part_equal_that_part_of_all_counters(demo_db, area, year):
    """An area's or a year's counters (a register's header) count the same lines as the
    counters of everything, cut to that part: the count query is cut like the levels."""
    everything = area_counters(demo_db, at=AT)
    if area in ("__first__", "__last__"):
        area = everything[0 if area == "__first__" else -1].area_id
    part = area_counters(demo_db, area, year, at=AT)
    expected = [asdict(c) for c in everything
                if (area is None or c.area_id == area) and (year is None or c.school_year == year)]
    assert part and [asdict(c) for c in part] == expected
    assert any(c.realised for c in part)


def test_plain_counters_match_the_orm(demo_db):
    counters = area_counters(demo_db, at=AT)
    with demo_db.read() as s:
        levels = {lv.id: lv for lv in s.execute(select(CapacityLevel)).scalars()}
        lines = Counter(s.execute(select(RegisterEntry.level_id, RegisterEntry.status)).all())
        over = Counter(lid for (lid,) in s.execute(
            select(RegisterEntry.level_id).where(RegisterEntry.status == "realised",
                                                 RegisterEntry.overcapacity_category
                                                 .is_not(None))).all())
        changed = dict(s.execute(select(RegisterEntry.level_id,
                                        func.max(RegisterEntry.status_changed_at))
                                 .group_by(RegisterEntry.level_id)).all())
    assert len(counters) == len(levels)
    assert sum(c.realised for c in counters) > 0 and sum(c.waiting for c in counters) > 0
    for c in counters:
        level = levels[c.level_id]
        assert c.capacity == level.capacity
        assert c.seated == level.seated_indicator + level.seated_non_indicator
        assert c.realised == lines[(c.level_id, "realised")]
        assert c.waiting == lines[(c.level_id, "non_realised")]
        assert c.deferred_indicator + c.deferred_non_indicator == lines[(c.level_id,
                                                                         "deferred")]
        assert c.overcapacity == over[c.level_id]
        assert c.free_places_field == level.free_places_field
        # the stored moments come back as aware UTC datetimes, as from the typed columns
        expected = max(d for d in (level.updated_at, changed.get(c.level_id)) if d) \
            if (level.updated_at or changed.get(c.level_id)) else None
        assert c.last_change == expected
        assert c.last_change is None or c.last_change.tzinfo is not None
        if c.capacity is not None and not c.full:  # CAP-04, CAP-07
            assert c.free_places == max(0, c.capacity - c.seated - c.realised + c.overcapacity)


def test_plain_counters_refuse_an_unknown_user(demo_db):
    stranger = as_user(demo_db, "nobody-known")
    with pytest.raises(PermissionDenied, match="niet gekend"):
        area_counters(stranger)
    stranger.dispose()

