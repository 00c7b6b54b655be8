"""REG-01..07: the register (numbers, history, statuses, periods, free enrolment)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from builders import START, area, basic, children, level, school, t
from sqlalchemy import select

from lopdesk.domain import areas, registers
from lopdesk.domain.errors import Conflict, InvalidInput, RuleViolation
from lopdesk.domain.models import RegisterEntry, RegisterEvent


def test_REG_01_sequence_numbers_gap_free_and_timestamp_to_the_second(db):
    lv, kids = basic(db, capacity=10, n_children=5)
    for i, k in enumerate(kids):
        registers.add_request(db, lv, k, at=t(i) + timedelta(microseconds=123456))
    rows = registers.list_entries(db, lv)
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5]
    assert all(r.requested_at.microsecond == 0 for r in rows)


def test_REG_01_earlier_timestamp_is_flagged_not_reordered(db):
    lv, kids = basic(db, capacity=10, n_children=3)
    registers.add_request(db, lv, kids[0], at=t(10))
    v = registers.add_request(db, lv, kids[1], at=t(5))
    assert v.out_of_order and v.seq == 2
    rows = registers.list_entries(db, lv)
    assert [r.child_id for r in rows] == kids[:2]  # order = sequence number
    assert registers.entry_history(db, v.id)[0].reason.endswith("vorige inschrijving")
    assert not registers.add_request(db, lv, kids[2], at=t(11)).out_of_order


def test_REG_01_numbers_are_per_register(db):
    area(db)
    school(db, "S1")
    level(db, "L1", "S1")
    level(db, "L2", "S1", label="2")
    kids = children(db, 2)
    assert registers.add_request(db, "L1", kids[0], at=t(1)).seq == 1
    assert registers.add_request(db, "L2", kids[1], at=t(1)).seq == 1


def test_REG_02_append_only_history_replays_state(db):
    lv, kids = basic(db, capacity=1, n_children=2)
    a = registers.add_request(db, lv, kids[0], at=t(1))
    registers.withdraw(db, a.id, reason="verhuisd", at=t(days=10))
    hist = registers.entry_history(db, a.id)
    assert [(h.kind, h.from_status, h.to_status, h.rule_id) for h in hist] == [
        ("created", None, "realised", "REG-06"), ("status", "realised", "withdrawn", "REG-03")]
    assert all(h.user == "tester" for h in hist)
    assert registers.status_at(db, a.id, t(2)) == "realised"
    assert registers.status_at(db, a.id, t(days=11)) == "withdrawn"
    assert registers.status_at(db, a.id, t(0) - timedelta(days=1)) is None
    with db.read() as s:  # nothing deleted: the entry still exists, events only grow
        assert s.get(RegisterEntry, a.id) is not None
        assert len(s.execute(select(RegisterEvent)).all()) == 2


@pytest.mark.parametrize("start,to,ok", [
    ("deferred", "realised", True), ("deferred", "non_realised", True),
    ("non_realised", "withdrawn", True), ("realised", "withdrawn", True),
    ("realised", "deferred", False), ("realised", "non_realised", False),
    ("withdrawn", "realised", False), ("deferred", "withdrawn", False),
    ("non_realised", "deferred", False),
])
def test_REG_03_allowed_transitions(db, start, to, ok):
    lv, kids = basic(db, capacity=1, n_children=1)
    v = registers.add_request(db, lv, kids[0], at=t(1))
    with db.write() as s:  # put the entry in the starting state directly
        e = s.get(RegisterEntry, v.id)
        e.status = start
    if ok:
        assert registers.change_status(db, v.id, to, reason="test").status == to
    else:
        with pytest.raises(RuleViolation) as err:
            registers.change_status(db, v.id, to, reason="test")
        assert err.value.rule == "REG-03"


def test_REG_03_non_realised_to_realised_needs_a_place(db):
    lv, kids = basic(db, capacity=1, n_children=2)
    registers.add_request(db, lv, kids[0], at=t(1))
    b = registers.add_request(db, lv, kids[1], at=t(2))
    with pytest.raises(RuleViolation) as err:
        registers.change_status(db, b.id, "realised", reason="toch", at=t(3))
    assert err.value.rule == "CAP-04"


def test_REG_03_status_change_needs_reason(db):
    lv, kids = basic(db, capacity=1, n_children=1)
    v = registers.add_request(db, lv, kids[0], at=t(1))
    with pytest.raises(InvalidInput):
        registers.withdraw(db, v.id, reason=" ")


def _old_level(db, capacity=4, ratio=0.5, per_contingent=False):
    area(db, per_contingent=per_contingent)
    school(db, "S1")
    level(db, "L1", "S1", regime="old", capacity=capacity, ratio=ratio, year=2022,
          start=START.replace(year=2022))
    return "L1"


def _t22(minutes=0, days=0):
    return t(minutes, days).replace(year=2022)


def test_REG_04_priority_period_realised_while_contingent_has_places(db):
    lv = _old_level(db, capacity=4, ratio=0.5)  # 2 indicator + 2 non-indicator seats
    kids = children(db, 4, indicator=[True, True, True, False])
    p = areas.create_period(db, lv, kind="priority", group=None, starts_at=_t22())
    statuses = [registers.add_request(db, lv, k, at=_t22(i)).status for i, k in enumerate(kids)]
    assert statuses == ["realised", "realised", "deferred", "realised"]
    assert p.id is not None


def test_REG_04_only_the_period_group_may_enrol(db):
    lv = _old_level(db)
    kids = children(db, 3)
    areas.create_period(db, lv, kind="priority", group="sibling_staff", starts_at=_t22())
    assert registers.add_request(db, lv, kids[0], priority_group="sibling",
                                 at=_t22(1)).status == "realised"
    assert registers.add_request(db, lv, kids[1], priority_group="staff",
                                 at=_t22(2)).status == "realised"
    with pytest.raises(RuleViolation) as err:
        registers.add_request(db, lv, kids[2], priority_group="none", at=_t22(3))
    assert err.value.rule == "REG-04"
    assert len(registers.list_entries(db, lv)) == 2  # nothing half-written


def test_REG_04_priority_periods_only_in_old_regime(db):
    lv, _ = basic(db)
    with pytest.raises(RuleViolation):
        areas.create_period(db, lv, kind="priority", starts_at=t())


def test_REG_05_close_tops_up_other_contingent_by_group_then_order(db):
    lv = _old_level(db, capacity=4, ratio=0.5)
    ind = children(db, 1, prefix="I", indicator=True)
    non = children(db, 4, prefix="N", indicator=False)
    p = areas.create_period(db, lv, kind="priority", starts_at=_t22())
    registers.add_request(db, lv, ind[0], at=_t22(1))  # realised (ind 1/2)
    for i, k in enumerate(non):  # 2 realised, 2 deferred
        group = "sibling" if i == 3 else "none"
        registers.add_request(db, lv, k, priority_group=group, at=_t22(2 + i))
    preview = registers.close_period(db, p.id, preview=True, at=_t22(days=20))
    assert [(c.child_id, c.to_status) for c in preview.changes] == [
        (non[3], "realised"), (non[2], "non_realised")]
    assert not preview.applied
    assert [e.status for e in registers.list_entries(db, lv)].count("deferred") == 2
    plan = registers.close_period(db, p.id, at=_t22(days=20))
    assert plan.applied
    # the sibling (group first) took the one free indicator seat; both contingents now full
    statuses = {e.child_id: e.status for e in registers.list_entries(db, lv)}
    assert statuses[non[3]] == "realised"
    assert statuses[non[2]] == "non_realised"
    with pytest.raises(RuleViolation):
        registers.close_period(db, p.id)


def test_REG_05_full_contingent_keeps_deferred_when_other_not_full(db):
    lv = _old_level(db, capacity=4, ratio=0.5)
    non = children(db, 3, prefix="N")
    p = areas.create_period(db, lv, kind="priority", starts_at=_t22())
    for i, k in enumerate(non):
        registers.add_request(db, lv, k, at=_t22(i))
    plan = registers.close_period(db, p.id, preview=True)
    # indicator contingent has 2 free seats: the deferred non-indicator request is topped up
    assert [(c.child_id, c.to_status) for c in plan.changes] == [(non[2], "realised")]


def test_REG_05_contingent_rounding_is_explicit(db):
    from lopdesk.domain.models import CapacityLevel
    lvl = CapacityLevel(id="x", school_id="s", site_id="s", school_year=2022, regime="old",
                        kind="primary_grade", label="1", capacity=25, indicator_ratio=0.3)
    assert registers.contingent_seats(lvl) == {"indicator": 8, "non_indicator": 17}  # 7.5 → 8
    lvl.rounding = "down"
    assert registers.contingent_seats(lvl) == {"indicator": 7, "non_indicator": 18}
    lvl.rounding = "up"
    lvl.indicator_ratio = 0.21  # 5.25
    assert registers.contingent_seats(lvl)["indicator"] == 6


def test_REG_06_free_enrolment_in_arrival_order(db):
    lv, kids = basic(db, capacity=2, n_children=4)
    statuses = [registers.add_request(db, lv, k, at=t(i)).status for i, k in enumerate(kids)]
    assert statuses == ["realised", "realised", "non_realised", "non_realised"]


def test_REG_06_old_regime_after_periods_no_contingents(db):
    lv = _old_level(db, capacity=2, ratio=0.5)
    kids = children(db, 3, indicator=True)
    areas.create_period(db, lv, kind="free", starts_at=_t22())
    statuses = [registers.add_request(db, lv, k, at=_t22(i)).status for i, k in enumerate(kids)]
    assert statuses == ["realised", "realised", "non_realised"]  # no contingent cap of 1


def test_REG_07_waiting_list_orders_allocation_positions_before_free_period(db):
    lv, kids = basic(db, capacity=1, n_children=4)
    registers.add_request(db, lv, kids[0], at=t(1))
    b = registers.add_request(db, lv, kids[1], at=t(2))
    c = registers.add_request(db, lv, kids[2], at=t(3))
    with db.write() as s:  # as written by an allocation run: positions 1..N
        s.get(RegisterEntry, c.id).waitlist_position = 1
    order = [e.child_id for e in registers.waiting_list(db, lv, at=t(4)).entries]
    assert order == [kids[2], kids[1]]
    assert b.seq < c.seq


def test_conflict_when_entry_changed_by_someone_else(db):
    lv, kids = basic(db, capacity=1, n_children=1)
    v = registers.add_request(db, lv, kids[0], at=t(1))
    registers.withdraw(db, v.id, reason="eerste gebruiker", expected_version=v.version)
    with pytest.raises(Conflict):
        registers.change_status(db, v.id, "withdrawn", reason="tweede",
                                expected_version=v.version)


def test_unknown_ids_are_clear(db):
    from lopdesk.domain.errors import NotFound
    basic(db)
    with pytest.raises(NotFound, match="NOPE"):
        registers.add_request(db, "NOPE", "K000")
    with pytest.raises(NotFound, match="kind"):
        registers.add_request(db, "L1", "ZZZ")
    with pytest.raises(InvalidInput):
        registers.add_request(db, "L1", "K000", priority_group="vip")
    assert registers.list_entries(db, "L1") == []


@pytest.mark.parametrize("sql", [
    "DELETE FROM register_entry",
    "DELETE FROM register_event",
    "UPDATE register_event SET reason = 'vervalst'",
    "DELETE FROM audit_record",
])
def test_REG_02_database_refuses_deleting_history(db, sql):
    from sqlalchemy import text
    from sqlalchemy.exc import DatabaseError
    lv, kids = basic(db, capacity=1, n_children=1)
    registers.add_request(db, lv, kids[0], at=t(1))
    with pytest.raises(DatabaseError, match="append-only"):
        with db.write() as s:
            s.execute(text(sql))
    assert len(registers.list_entries(db, lv)) == 1


def test_REG_04_period_with_unknown_group_refused(db):
    area(db)
    school(db, "SX")
    level(db, "LX", "SX", capacity=4, regime="old", ratio=0.25, year=2022,
          start=START.replace(year=2022))
    with pytest.raises(InvalidInput, match="onbekende groep"):
        areas.create_period(db, "LX", kind="priority", group="bogus",
                             starts_at=START.replace(year=2022))


def test_REG_01_one_running_request_per_child_and_register(db):
    lv, kids = basic(db, capacity=1, n_children=2)
    registers.add_request(db, lv, kids[0], at=t(0))
    with pytest.raises(RuleViolation) as err:
        registers.add_request(db, lv, kids[0], at=t(1))
    assert err.value.rule == "REG-01" and "nr. 1" in str(err.value)
    refused = registers.add_request(db, lv, kids[1], at=t(2))
    assert refused.seq == 2  # the refused attempt gave its number back
    registers.withdraw(db, refused.id, reason="verhuisd", at=t(3))
    assert registers.add_request(db, lv, kids[1], at=t(4)).seq == 3  # after withdrawal: ok


def test_REG_05_top_up_uses_the_other_contingent_s_seats(db):
    """Capacity 4, ratio 0.25: 1 indicator seat, 3 non-indicator seats. Three indicator
    siblings: one realised, two topped up into non-indicator seats at the close. In the
    contingent period only one non-indicator seat is left: capacity is never exceeded."""
    area(db)
    school(db, "SO")
    start = START.replace(year=2022)
    level(db, "LO", "SO", capacity=4, regime="old", ratio=0.25, year=2022, start=start)
    ind = children(db, 3, prefix="I", indicator=True)
    non = children(db, 4, prefix="N")
    p1 = areas.create_period(db, "LO", kind="priority", group="sibling_staff", starts_at=start,
                             ends_at=start + timedelta(days=30))
    for i, k in enumerate(ind):
        registers.add_request(db, "LO", k, priority_group="sibling",
                              at=start + timedelta(minutes=i))
    registers.close_period(db, p1.id, at=start + timedelta(days=30))
    areas.create_period(db, "LO", kind="priority", starts_at=start + timedelta(days=31),
                        ends_at=start + timedelta(days=60))
    got = [registers.add_request(db, "LO", k, at=start + timedelta(days=32, minutes=i)).status
           for i, k in enumerate(non)]
    assert got == ["realised", "deferred", "deferred", "deferred"]
    realised = [e for e in registers.list_entries(db, "LO") if e.status == "realised"]
    assert len(realised) == 4


def test_nursery_birth_year_level_takes_only_that_birth_year(db):
    from datetime import date

    area(db)
    school(db, "SK")
    level(db, "K25", "SK", capacity=5, kind="nursery_birth_year", label="2025")
    areas.create_child(db, "OLD", "Oud", "Kind", birth_date=date(2021, 5, 1))
    areas.create_child(db, "YES", "Juist", "Kind", birth_date=date(2025, 2, 1))
    with pytest.raises(InvalidInput, match="geboortejaar 2025"):
        registers.add_request(db, "K25", "OLD", at=t(0))
    assert registers.add_request(db, "K25", "YES", at=t(1)).status == "realised"
