"""The register's pure rules (registers/rules.py), table-driven and without a database.

Every expected value is written out here, never taken from the code under test.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import NamedTuple

import pytest

from lopdesk.domain.errors import RuleViolation
from lopdesk.domain.registers.rules import (
    Level,
    LevelState,
    OpenPeriod,
    contingent_seats,
    decide_request,
    free_places,
    places_over,
    plan_close,
    round_seats,
    transition_allowed,
)

STATUSES = ("realised", "deferred", "non_realised", "withdrawn")

# REG-03 written out: (from, to) pairs the law allows; every other pair is refused.
ALLOWED = {
    ("deferred", "realised"),
    ("deferred", "non_realised"),
    ("non_realised", "realised"),
    ("realised", "withdrawn"),
    ("non_realised", "withdrawn"),
}


@pytest.mark.parametrize("from_status", STATUSES)
@pytest.mark.parametrize("to_status", STATUSES)
def test_REG_03_every_transition_pair(from_status, to_status):
    expected = (from_status, to_status) in ALLOWED
    assert transition_allowed(from_status, to_status) is expected


def test_REG_03_unknown_status_allows_nothing():
    assert not transition_allowed("unknown", "realised")
    assert not transition_allowed("realised", "unknown")


# --- CAP-04 / CAP-06 / CAP-07: free places ---------------------------------------------------

@pytest.mark.parametrize(("capacity", "seated", "realised", "full", "expected"), [
    (None, 0, 0, False, None),  # no capacity: no free places to count (CAP-04)
    (None, 3, 5, True, None),
    (30, 0, 0, False, 30),
    (30, 2, 10, False, 18),  # capacity − seated − realised
    (30, 2, 28, False, 0),  # exactly full
    (30, 5, 30, False, 0),  # overbooked: never below 0
    (30, 40, 0, False, 0),  # seated above capacity is not an error
    (30, 2, 10, True, 0),  # an active full declaration leaves 0 (CAP-06)
    (30, 0, 0, True, 0),
])
def test_CAP_04_free_places(capacity, seated, realised, full, expected):
    assert free_places(capacity, seated, realised, full=full) == expected


@pytest.mark.parametrize(("capacity", "seated", "realised", "expected"), [
    (30, 2, 10, 0),
    (30, 2, 28, 0),
    (30, 2, 29, 1),
    (30, 40, 0, 10),
])
def test_CAP_04_places_over_capacity(capacity, seated, realised, expected):
    assert places_over(capacity, seated, realised) == expected


@pytest.mark.parametrize(("capacity", "seated_i", "seated_n", "realised", "full", "expected"), [
    (20, 1, 2, {"indicator": 4, "non_indicator": 5}, None, 8),  # 20 − 3 − 9
    (20, 0, 0, {"indicator": 20, "non_indicator": 0}, None, 0),
    (20, 0, 0, {"indicator": 3, "non_indicator": 3}, 7, 0),  # CAP-06 with room left
    (None, 0, 0, {"indicator": 3, "non_indicator": 3}, None, None),
])
def test_CAP_04_level_state_free_places(capacity, seated_i, seated_n, realised, full, expected):
    state = LevelState(Level(capacity, seated_i, seated_n), realised, full)
    assert state.free_places() == expected


def test_CAP_07_overcapacity_enrolments_are_not_counted_by_the_state():
    """The state holds the realised enrolments without the overcapacity ones: with capacity 10,
    8 seated-or-realised and 3 enrolments above capacity, 2 places are still free."""
    state = LevelState(Level(10, 2, 0), {"indicator": 3, "non_indicator": 3}, None)
    assert state.free_places() == 2
    assert free_places(10, 2, 6) == 2  # the counters pass realised − overcapacity: 9 − 3


# --- REG-05: contingent seats ----------------------------------------------------------------

@pytest.mark.parametrize(("value", "rule", "expected"), [
    (7.5, "half_up", 8),
    (7.5, "down", 7),
    (7.5, "up", 8),
    (6.6000000000000005, "half_up", 7),
    (6.6000000000000005, "down", 6),
    (6.2, "up", 7),
    (6.2, "half_up", 6),
    (7.0, "up", 7),
])
def test_REG_05_round_seats(value, rule, expected):
    assert round_seats(value, rule) == expected


@pytest.mark.parametrize(("level", "expected"), [
    (Level(25, indicator_ratio=0.3), {"indicator": 8, "non_indicator": 17}),  # 7.5 half up
    (Level(25, indicator_ratio=0.3, rounding="down"), {"indicator": 7, "non_indicator": 18}),
    (Level(20, indicator_ratio=0.33), {"indicator": 7, "non_indicator": 13}),
    (Level(20, indicator_ratio=1.5), {"indicator": 20, "non_indicator": 0}),  # clamped
    (Level(20, indicator_ratio=0.0), {"indicator": 0, "non_indicator": 20}),
    (Level(20, indicator_ratio=None), None),  # no contingents
    (Level(None, indicator_ratio=0.5), None),
])
def test_REG_05_contingent_seats(level, expected):
    assert contingent_seats(level) == expected


@pytest.mark.parametrize(("seated", "realised", "full", "expected"), [
    ((0, 0), (0, 0), None, {"indicator": 10, "non_indicator": 10}),
    ((0, 0), (4, 3), None, {"indicator": 6, "non_indicator": 7}),
    # indicator holds 12 of its 10 seats: the 2 extra use non-indicator seats
    ((0, 0), (12, 3), None, {"indicator": 0, "non_indicator": 5}),
    # seated pupils count in their contingent
    ((3, 1), (5, 5), None, {"indicator": 2, "non_indicator": 4}),
    # never more than the level's free places; a full declaration leaves none (CAP-06)
    ((0, 0), (1, 1), 4, {"indicator": 0, "non_indicator": 0}),
])
def test_REG_05_contingent_free(seated, realised, full, expected):
    state = LevelState(Level(20, seated[0], seated[1], indicator_ratio=0.5),
                       {"indicator": realised[0], "non_indicator": realised[1]}, full)
    assert state.contingent_free() == expected


# --- REG-04 / REG-06 / CAP-06 / CAP-07 / WL-01: what becomes of a new request ----------------

AT = datetime(2022, 9, 1, 8, 0, tzinfo=UTC)
DEADLINE = date(2022, 10, 7)  # fifth school day of October 2022 (WL-04)
P1 = OpenPeriod("priority", "sibling_staff")
P2 = OpenPeriod("priority", None)  # the contingent period: every child
FREE = OpenPeriod("free", None)


def state(capacity, realised=(0, 0), *, ratio=None, full=None, seated=(0, 0)):
    return LevelState(Level(capacity, seated[0], seated[1], indicator_ratio=ratio),
                      {"indicator": realised[0], "non_indicator": realised[1]}, full)


DECISIONS = [
    # (case, state, contingent, group, period, waiting deadline, at, overcapacity, forced,
    #  source, expected (status, reason, rule))
    ("allocation result", state(10, (10, 0)), "indicator", "none", None, None, AT, None,
     "realised", "allocation", ("realised", None, "REG-07")),
    ("import keeps its status", state(10), "indicator", "none", None, None, AT, None,
     "non_realised", "import", ("non_realised", None, None)),
    ("overcapacity on a full level", state(10, (5, 5)), "indicator", "none", None, None, AT,
     "staff_child", None, "request", ("realised", None, "CAP-07")),
    ("overcapacity on a declared-full level", state(10, full=3), "indicator", "none", None,
     None, AT, "staff_child", None, "request", ("realised", None, "CAP-07")),
    ("declared full with room", state(10, (1, 1), full=3), "indicator", "none", None, None,
     AT, None, None, "request", ("non_realised", "full_declaration", "CAP-06")),
    ("declared full in a priority period", state(10, ratio=0.5, full=3), "indicator",
     "sibling", P1, None, AT, None, None, "request",
     ("non_realised", "full_declaration", "CAP-06")),
    ("priority period, own contingent free", state(10, (4, 5), ratio=0.5), "indicator",
     "sibling", P1, None, AT, None, None, "request", ("realised", None, "REG-04")),
    ("priority period, own contingent full", state(10, (5, 0), ratio=0.5), "indicator",
     "sibling", P1, None, AT, None, None, "request", ("deferred", None, "REG-04")),
    ("contingent period, other contingent full", state(10, (0, 5), ratio=0.5),
     "indicator", "none", P2, None, AT, None, None, "request", ("realised", None, "REG-04")),
    ("contingent period, own contingent full", state(10, (0, 5), ratio=0.5),
     "non_indicator", "none", P2, None, AT, None, None, "request",
     ("deferred", None, "REG-04")),
    ("priority period without contingents, room", state(10, (4, 5)), "indicator", "staff",
     P1, None, AT, None, None, "request", ("realised", None, "REG-04")),
    ("priority period without contingents, full", state(10, (5, 5)), "indicator", "staff",
     P1, None, AT, None, None, "request", ("deferred", None, "REG-04")),
    ("priority period without capacity", state(None), "indicator", "staff", P1, None, AT,
     None, None, "request", ("realised", None, "REG-04")),
    ("free period, no capacity", state(None, (50, 50)), "indicator", "none", FREE, None, AT,
     None, None, "request", ("realised", None, "CAP-01")),
    ("free enrolment, room", state(10, (4, 5)), "indicator", "none", None, None, AT, None,
     None, "request", ("realised", None, "REG-06")),
    ("free enrolment, full", state(10, (5, 5)), "indicator", "none", None, None, AT, None,
     None, "request", ("non_realised", "capacity", "REG-06")),
    ("free enrolment, seated fill the level", state(10, (4, 4), seated=(1, 1)),
     "indicator", "none", None, None, AT, None, None, "request",
     ("non_realised", "capacity", "REG-06")),
    ("free place, someone waits, order binds", state(10, (4, 5)), "indicator", "none",
     None, DEADLINE, AT, None, None, "request", ("non_realised", "waiting_list", "WL-01")),
    ("deadline day, last second (Brussels 23:59:59)", state(10, (4, 5)), "indicator",
     "none", FREE, DEADLINE, datetime(2022, 10, 7, 21, 59, 59, tzinfo=UTC), None, None,
     "request", ("non_realised", "waiting_list", "WL-01")),
    ("day after the deadline (Brussels midnight)", state(10, (4, 5)), "indicator", "none",
     FREE, DEADLINE, datetime(2022, 10, 7, 22, 0, 0, tzinfo=UTC), None, None, "request",
     ("realised", None, "REG-06")),
    ("full level, someone waits", state(10, (5, 5)), "indicator", "none", None, DEADLINE,
     AT, None, None, "request", ("non_realised", "capacity", "REG-06")),
]


@pytest.mark.parametrize(
    ("case", "st", "contingent", "group", "period", "deadline", "at", "overcapacity",
     "forced", "source", "expected"), DECISIONS, ids=[d[0] for d in DECISIONS])
def test_decide_request(case, st, contingent, group, period, deadline, at, overcapacity,
                        forced, source, expected):
    decision = decide_request(st, contingent=contingent, priority_group=group, at=at,
                              period=period, waiting_deadline=deadline,
                              overcapacity_category=overcapacity, forced_status=forced,
                              source=source)
    assert (decision.status, decision.reason, decision.rule) == expected
    assert decision.message or forced is not None  # every rule says why


@pytest.mark.parametrize(("period", "group"), [
    (OpenPeriod("priority", "sibling_staff"), "none"),
    (OpenPeriod("priority", "sibling"), "staff"),
    (OpenPeriod("priority", "staff"), "sibling"),
])
def test_REG_04_priority_period_refuses_other_groups(period, group):
    with pytest.raises(RuleViolation) as err:
        decide_request(state(10, ratio=0.5), contingent="indicator", priority_group=group,
                       at=AT, period=period)
    assert err.value.rule == "REG-04"


@pytest.mark.parametrize(("period", "group"), [
    (OpenPeriod("priority", "sibling_staff"), "sibling_staff"),
    (OpenPeriod("priority", "sibling_staff"), "staff"),
    (OpenPeriod("priority", "sibling"), "sibling_staff"),
    (OpenPeriod("priority", "staff"), "sibling_staff"),
    (OpenPeriod("priority", None), "none"),
])
def test_REG_04_priority_period_admits_its_groups(period, group):
    decision = decide_request(state(10, ratio=0.5), contingent="indicator",
                              priority_group=group, at=AT, period=period)
    assert decision.status == "realised"


# --- REG-05: closing a priority period -------------------------------------------------------


class Entry(NamedTuple):
    id: int
    seq: int
    contingent: str
    priority_group: str
    child_id: str = "K"
    status: str = "deferred"


IND, NON = "indicator", "non_indicator"

CLOSES = [
    ("own contingent first, by priority group, then both full",
     Level(4, indicator_ratio=0.5), (1, 2),
     [Entry(1, 1, IND, "none"), Entry(2, 2, NON, "sibling"), Entry(3, 3, NON, "none"),
      Entry(4, 4, IND, "sibling")],
     [(4, "realised"), (1, "non_realised"), (2, "non_realised"), (3, "non_realised")]),
    ("top-up from the other contingent, per priority group then register order",
     Level(4, indicator_ratio=0.5), (0, 2),
     [Entry(1, 1, NON, "none"), Entry(2, 2, NON, "sibling"), Entry(3, 3, NON, "none")],
     [(2, "realised"), (1, "realised"), (3, "non_realised")]),
    ("no contingents: free places in register order",
     Level(3), (1, 0),
     [Entry(7, 3, IND, "none"), Entry(5, 1, NON, "none"), Entry(6, 2, IND, "sibling")],
     [(5, "realised"), (6, "realised"), (7, "non_realised")]),
    ("no capacity: everyone realised",
     Level(None), (0, 0),
     [Entry(2, 2, IND, "none"), Entry(1, 1, NON, "none")],
     [(1, "realised"), (2, "realised")]),
    ("nothing deferred", Level(4, indicator_ratio=0.5), (2, 2), [], []),
]


@pytest.mark.parametrize(("case", "level", "realised", "deferred", "expected"), CLOSES,
                         ids=[c[0] for c in CLOSES])
def test_REG_05_plan_close(case, level, realised, deferred, expected):
    st = LevelState(level, {"indicator": realised[0], "non_indicator": realised[1]}, None)
    changes = plan_close(st, deferred)
    assert [(c.entry_id, c.to_status) for c in changes] == expected
    assert all(c.rule == "REG-05" and c.from_status == "deferred" for c in changes)


def test_REG_05_top_up_says_which_contingent():
    st = LevelState(Level(4, indicator_ratio=0.5), {"indicator": 0, "non_indicator": 2}, None)
    (change,) = plan_close(st, [Entry(1, 1, NON, "none")])
    assert change.why.startswith("aanvulling: indicator")


WHY = [  # (level, realised per contingent, deferred out of register order, expected changes)
    ("no contingents: register order, then no place",
     Level(2), (1, 0),
     [Entry(9, 3, IND, "none"), Entry(8, 2, NON, "none")],
     [(8, 2, "realised", "vrije plaats"), (9, 3, "non_realised", "geen plaats meer")]),
    ("own contingent, top-up of the other, both full",
     Level(4, indicator_ratio=0.5), (1, 1),
     [Entry(5, 4, NON, "none"), Entry(4, 3, IND, "none"), Entry(3, 2, NON, "none"),
      Entry(2, 1, NON, "none")],
     [(4, 3, "realised", "plaats in eigen contingent"),
      (2, 1, "realised", "plaats in eigen contingent"),
      (3, 2, "non_realised", "beide contingenten volzet"),
      (5, 4, "non_realised", "beide contingenten volzet")]),
    ("the non-indicator contingent topped up with an indicator request",
     Level(4, indicator_ratio=0.5), (2, 1),
     [Entry(7, 6, IND, "none"), Entry(6, 5, IND, "none")],
     [(6, 5, "realised", "aanvulling: niet-indicatorcontingent niet volzet"),
      (7, 6, "non_realised", "beide contingenten volzet")]),
]


@pytest.mark.parametrize(("case", "level", "realised", "deferred", "expected"), WHY,
                         ids=[c[0] for c in WHY])
def test_REG_05_plan_close_orders_by_number_and_says_why(case, level, realised, deferred,
                                                         expected):
    st = LevelState(level, {"indicator": realised[0], "non_indicator": realised[1]}, None)
    changes = plan_close(st, deferred)
    assert [(c.entry_id, c.seq, c.to_status, c.why) for c in changes] == expected
