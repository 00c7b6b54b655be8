"""CAP-01..08: capacity, raises, free places, the board field, full declarations, ANK."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from builders import START, area, basic, children, level, school, t

from lopdesk import present
from lopdesk.domain import areas, capacity, counters, registers
from lopdesk.domain.errors import InvalidInput, RuleViolation
from lopdesk.domain.models import AppUser, Task


def test_CAP_01_capacity_cannot_first_appear_after_start(db):
    basic(db, capacity=None)
    with pytest.raises(RuleViolation) as err:
        capacity.set_capacity(db, "L1", 20, at=t(days=1))
    assert err.value.rule == "CAP-01"


def test_CAP_01_without_capacity_nobody_is_refused_for_capacity(db):
    lv, kids = basic(db, capacity=None, n_children=3)
    views = [registers.add_request(db, lv, k, at=t(i)) for i, k in enumerate(kids)]
    assert [v.status for v in views] == ["realised"] * 3


def test_CAP_01_capacity_set_before_start_is_free(db):
    basic(db, capacity=2)
    capacity.set_capacity(db, "L1", 1, at=START.replace(month=2))
    capacity.set_capacity(db, "L1", 5, at=START.replace(month=2))
    assert counters.area_counters(db)[0].capacity == 5


def test_CAP_02_capacity_cannot_be_lowered_after_start(db):
    basic(db, capacity=10)
    with pytest.raises(RuleViolation) as err:
        capacity.set_capacity(db, "L1", 9, at=t(days=3))
    assert err.value.rule == "CAP-02"
    assert "verlaagd" in str(err.value) and "01/03/2027" in str(err.value)
    assert counters.area_counters(db)[0].capacity == 10


def test_CAP_03_raise_after_start_needs_lop_decision(db):
    basic(db, capacity=2)
    with pytest.raises(RuleViolation) as err:
        capacity.set_capacity(db, "L1", 3, at=t(days=3))
    assert err.value.rule == "CAP-03"
    d = capacity.request_raise(db, "L1", 3, reason="extra klaslokaal")
    out = capacity.decide_raise(db, d.id, approve=True, reason="ok", decision_ref="LOP-7",
                                at=t(days=4))
    assert out.status == "approved" and out.capacity == 3
    rows = capacity.list_decisions(db)
    assert rows[0].decided_by == "tester" and rows[0].decision_ref == "LOP-7"
    assert rows[0].decided_at is not None


def test_CAP_03_a_decision_is_shown_with_its_id_date_and_who(db):
    """CAP-03 requires an id, a date and who: wherever a decision is shown it carries the
    LOP decision number and the decider's full name (the account too), then the reason."""
    basic(db, capacity=2)
    with db.write() as s:
        s.get(AppUser, "tester").full_name = "Tess Verbeke"
    d = capacity.request_raise(db, "L1", 3, reason="extra klaslokaal")
    capacity.decide_raise(db, d.id, approve=True, reason="Extra klaslokaal bevestigd",
                          decision_ref="LOP-7", at=t(days=4))
    (row,) = capacity.list_decisions(db)
    assert row.decided_by_name == "Tess Verbeke"
    assert present.decision_words(row) == (
        "LOP-7 · 05/03/2027 · Tess Verbeke (tester): Extra klaslokaal bevestigd")
    d2 = capacity.request_raise(db, "L1", 4, reason="nog een klas")
    capacity.decide_raise(db, d2.id, approve=True, reason="ok", at=t(days=5))
    auto = capacity.list_decisions(db)[1]
    assert present.decision_words(auto).startswith(f"LOP-20270306-{d2.id} · 06/03/2027 · ")
    # 22:30 UTC on 14 April 2027 is 15 April in Brussels: the automatic number says so
    d3 = capacity.request_raise(db, "L1", 5, reason="nog een klas")
    capacity.decide_raise(db, d3.id, approve=True, reason="ok",
                          at=datetime(2027, 4, 14, 22, 30, tzinfo=UTC))
    assert capacity.list_decisions(db)[2].decision_ref == f"LOP-20270415-{d3.id}"


def test_CAP_03_rejected_raise_keeps_capacity(db):
    basic(db, capacity=2)
    d = capacity.request_raise(db, "L1", 5, reason="vraag")
    capacity.decide_raise(db, d.id, approve=False, reason="geen lokaal", at=t(days=2))
    assert counters.area_counters(db)[0].capacity == 2
    with pytest.raises(RuleViolation):
        capacity.decide_raise(db, d.id, approve=True, reason="toch", at=t(days=3))


def test_CAP_03_outside_lop_raise_creates_inform_task(db):
    area(db, "X", in_lop=False)
    school(db, "S9", "X")
    level(db, "L9", "S9", capacity=2)
    res = capacity.set_capacity(db, "L9", 4, at=t(days=2))
    assert res.task_id is not None
    with db.read() as s:
        task = s.get(Task, res.task_id)
    assert task.kind == "inform_boards" and "L9" in task.text


def test_CAP_03_approved_raise_goes_to_waiting_list_with_preview(db):
    lv, kids = basic(db, capacity=1, n_children=3)
    for i, k in enumerate(kids):
        registers.add_request(db, lv, k, at=t(i))
    d = capacity.request_raise(db, lv, 2, reason="extra")
    preview = capacity.preview_raise(db, d.id, at=t(days=5))
    assert [(s.child_id, s.action) for s in preview.cascade.steps] == [(kids[1], "realised")]
    # the preview wrote nothing
    assert counters.area_counters(db)[0].capacity == 1
    assert capacity.list_decisions(db)[0].status == "pending"
    capacity.decide_raise(db, d.id, approve=True, reason="ok", at=t(days=5), accept_all=True)
    statuses = [e.status for e in registers.list_entries(db, lv)]
    assert statuses == ["realised", "realised", "non_realised"]


def test_CAP_04_free_places_never_below_zero_and_seated_above_capacity_is_not_error(db):
    lv, kids = basic(db, capacity=3)
    res = capacity.set_seated(db, lv, indicator=2, non_indicator=3)
    assert "CAP-04" == res.rule and res.message
    c = counters.area_counters(db)[0]
    assert c.free_places == 0 and c.seated == 5
    v = registers.add_request(db, lv, kids[0], at=t(1))
    assert v.status == "non_realised" and v.reason == "capacity"


def test_CAP_04_free_places_is_capacity_minus_seated_minus_realised(db):
    lv, kids = basic(db, capacity=5)
    capacity.set_seated(db, lv, indicator=1, non_indicator=1)
    registers.add_request(db, lv, kids[0], at=t(1))
    assert counters.area_counters(db)[0].free_places == 2


@pytest.mark.parametrize("value", ["", "0", "JA", "12", "1"])
def test_CAP_05_board_field_accepts(db, value):
    basic(db)
    capacity.set_free_places_field(db, "L1", value)
    assert counters.area_counters(db)[0].free_places_field == value


@pytest.mark.parametrize("value", ["ja", "-1", "07", "1.5", "vol", "NEE", " 0x1"])
def test_CAP_05_board_field_refuses_anything_else(db, value):
    basic(db)
    with pytest.raises(RuleViolation) as err:
        capacity.set_free_places_field(db, "L1", value)
    assert err.value.rule == "CAP-05"


def _secondary(db):
    area(db, "SEC", education="secondary")
    school(db, "SS1", "SEC")
    level(db, "G2A", "SS1", kind="admin_group", label="6247", capacity=2, year=2027,
          grade=2)
    level(db, "G3A", "SS1", kind="admin_group", label="6248", capacity=2, year=2027,
          grade=3)
    level(db, "G1A", "SS1", kind="secondary_1a", label="1A", capacity=2, year=2027)
    return children(db, 4, prefix="S")


def test_CAP_06_full_declaration_spans_groups_and_refuses_until_lifted(db):
    kids = _secondary(db)
    registers.add_request(db, "G2A", kids[0], at=t(1))
    decl = capacity.declare_full(db, ["G2A", "G3A"], reason="volzet", at=t(days=1))
    rows = capacity.list_declarations(db)
    assert dict(rows[0].levels) == {"G2A": 1, "G3A": 0}  # count at declaration stored
    by_id = {c.level_id: c for c in counters.area_counters(db)}
    assert by_id["G2A"].free_places == 0 and by_id["G3A"].free_places == 0
    assert by_id["G2A"].full
    v = registers.add_request(db, "G3A", kids[1], at=t(days=2))
    assert v.status == "non_realised" and v.reason == "full_declaration" and v.rule == "CAP-06"
    capacity.lift_full(db, decl.id, reason="plaats", at=t(days=3))
    # after lifting, the child refused as "volzet" is first in line (WL-01), then free again
    v = registers.add_request(db, "G3A", kids[2], at=t(days=4))
    assert v.status == "non_realised" and v.rule == "WL-01"
    registers.fill(db, "G3A", accept=True, at=t(days=5))
    statuses = {e.child_id: e.status for e in registers.list_entries(db, "G3A")}
    assert statuses[kids[1]] == "realised"
    assert registers.add_request(db, "G2A", kids[3], at=t(days=6)).status == "realised"
    with db.read() as s:
        from sqlalchemy import select

        from lopdesk.domain.models import AuditRecord
        actions = s.execute(select(AuditRecord.action)).scalars().all()
    assert "full.declare" in actions and "full.lift" in actions


def test_CAP_06_only_secondary_years_2_to_7(db):
    _secondary(db)
    with pytest.raises(RuleViolation) as err:
        capacity.declare_full(db, ["G1A"], reason="x")
    assert err.value.rule == "CAP-06"


def test_CAP_07_overcapacity_needs_configured_category(db):
    lv, kids = basic(db, capacity=1)
    registers.add_request(db, lv, kids[0], at=t(1))
    with pytest.raises(RuleViolation) as err:
        registers.add_request(db, lv, kids[1], at=t(2), overcapacity_category="zomaar")
    assert err.value.rule == "CAP-07"
    areas.add_overcapacity_category(db, "new", "*", "sibling_reorientation",
                                    "broer/zus na heroriëntering")
    v = registers.add_request(db, lv, kids[1], at=t(3),
                              overcapacity_category="sibling_reorientation")
    assert v.status == "realised" and v.overcapacity_category == "sibling_reorientation"
    c = counters.area_counters(db)[0]
    assert c.overcapacity == 1 and c.free_places == 0 and c.pending_raises == 0


def test_CAP_07_overcapacity_enrolments_do_not_use_places(db):
    """Capacity 3: two enrolments above capacity and one ordinary one leave 2 free places,
    in the counters, in the level state and for the next request (CAP-04/07)."""
    lv, kids = basic(db, capacity=3, n_children=4)
    areas.add_overcapacity_category(db, "new", "*", "sibling_reorientation", "broer/zus")
    for i in range(2):
        registers.add_request(db, lv, kids[i], at=t(i),
                              overcapacity_category="sibling_reorientation")
    registers.add_request(db, lv, kids[2], at=t(3))
    c = counters.area_counters(db)[0]
    assert (c.realised, c.overcapacity, c.free_places) == (3, 2, 2)
    with db.read() as s:
        from lopdesk.domain.models import CapacityLevel

        assert registers.level_state(s, s.get(CapacityLevel, lv)).free_places() == 2
    assert registers.add_request(db, lv, kids[3], at=t(4)).status == "realised"
    assert counters.area_counters(db)[0].free_places == 1


def test_CAP_07_category_of_other_regime_refused(db):
    lv, kids = basic(db, capacity=1)
    areas.add_overcapacity_category(db, "old", "*", "ank", "ANK")
    with pytest.raises(RuleViolation):
        registers.add_request(db, lv, kids[0], at=t(1), overcapacity_category="ank")


def test_CAP_08_ank_capacity_minimum_by_site_size(db):
    area(db)
    school(db, "S1", pupils=80)
    school(db, "S2", pupils=300)
    level(db, "L1", "S1")
    level(db, "L2", "S2")
    with pytest.raises(RuleViolation) as err:
        capacity.set_ank_capacity(db, "L1", 3)
    assert err.value.rule == "CAP-08"
    capacity.set_ank_capacity(db, "L1", 4)
    with pytest.raises(RuleViolation):
        capacity.set_ank_capacity(db, "L2", 7)
    capacity.set_ank_capacity(db, "L2", 8)
    capacity.set_ank_capacity(db, "L2", None)  # optional


def test_negative_capacity_is_bad_input(db):
    basic(db)
    with pytest.raises(InvalidInput):
        capacity.set_capacity(db, "L1", -1)


def test_CAP_02_register_with_requests_counts_as_started(db):
    """The register, not the wall clock: once a request is in, the capacity cannot go down
    even when the start date lies ahead of the computer's clock."""
    lv, kids = basic(db, capacity=2)
    registers.add_request(db, lv, kids[0], at=t(0))
    with pytest.raises(RuleViolation) as err:
        capacity.set_capacity(db, lv, 1, at=START - timedelta(days=30))
    assert err.value.rule == "CAP-02" and "eerste inschrijving" in str(err.value)
