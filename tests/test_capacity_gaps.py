"""CAP-04/06/08 details a mutation run of capacity.py found untested: seated pupils at and
around their edges, the stored ANK capacity, the filter of the decision list, the lifting of a
full declaration (who, when, why, reported to the LOP) and the audit trail (domain §10)."""

from __future__ import annotations

import json

import pytest
from builders import area, basic, children, level, school, t
from sqlalchemy import select

from lopdesk.domain import capacity, registers
from lopdesk.domain.errors import InvalidInput, NotFound, RuleViolation
from lopdesk.domain.models import AuditRecord, CapacityLevel, FullDeclaration


def _audit(db, action: str) -> list[tuple[str, str, str, dict]]:
    with db.read() as s:
        rows = s.execute(select(AuditRecord.user, AuditRecord.entity, AuditRecord.entity_id,
                                AuditRecord.detail).where(AuditRecord.action == action)
                         .order_by(AuditRecord.id)).all()
    # the row hashes (`_rows`, REG-02) are checked by test_tamper; here: what was changed
    return [(u, e, i, {k: v for k, v in json.loads(d).items() if k != "_rows"})
            for u, e, i, d in rows]


# --- CAP-04: seated pupils ----------------------------------------------------------------


def test_CAP_04_zero_seated_pupils_is_accepted(db):
    basic(db, capacity=3)
    res = capacity.set_seated(db, "L1", indicator=0, non_indicator=0)
    assert (res.level_id, res.capacity, res.rule, res.message) == ("L1", 3, "CAP-04", "")


@pytest.mark.parametrize("ind,non", [(-1, 0), (0, -1), (-1, -1)])
def test_CAP_04_negative_seated_pupils_are_bad_input(db, ind, non):
    basic(db, capacity=3)
    with pytest.raises(InvalidInput) as err:
        capacity.set_seated(db, "L1", indicator=ind, non_indicator=non)
    assert err.value.field == "seated" and "negatief" in str(err.value)


def test_CAP_04_seated_equal_to_capacity_is_no_warning_one_more_is(db):
    basic(db, capacity=3)
    assert capacity.set_seated(db, "L1", indicator=1, non_indicator=2).message == ""
    msg = capacity.set_seated(db, "L1", indicator=2, non_indicator=2).message
    assert msg.startswith("meer zittende leerlingen dan capaciteit")


def test_CAP_04_seated_change_is_audited_with_old_and_new(db):
    basic(db, capacity=3)
    capacity.set_seated(db, "L1", indicator=1, non_indicator=1)
    capacity.set_seated(db, "L1", indicator=2, non_indicator=0)
    rows = _audit(db, "capacity.seated")
    assert [(u, e, i) for u, e, i, _ in rows] == [("tester", "capacity_level", "L1")] * 2
    assert rows[1][3] == {"from": [1, 1], "to": [2, 0]}


# --- CAP-08: the ANK capacity is stored ---------------------------------------------------


def test_CAP_08_ank_capacity_is_stored_and_can_be_cleared(db):
    area(db)
    school(db, "S1", pupils=50)
    level(db, "L1", "S1")
    capacity.set_ank_capacity(db, "L1", 6)
    with db.read() as s:
        assert s.get(CapacityLevel, "L1").ank_capacity == 6
    capacity.set_ank_capacity(db, "L1", None)
    with db.read() as s:
        assert s.get(CapacityLevel, "L1").ank_capacity is None
    rows = _audit(db, "capacity.ank")
    assert [(u, e, i, d) for u, e, i, d in rows] == [
        ("tester", "capacity_level", "L1", {"to": 6}),
        ("tester", "capacity_level", "L1", {"to": None})]


# --- CAP-03: the list of raise decisions ----------------------------------------------------


def test_CAP_03_decision_list_filters_by_status_in_request_order(db):
    basic(db, capacity=2)
    d1 = capacity.request_raise(db, "L1", 3, reason="lokaal", at=t(days=1))
    d2 = capacity.request_raise(db, "L1", 4, reason="tweede lokaal", at=t(days=2))
    capacity.decide_raise(db, d1.id, approve=False, reason="nee", at=t(days=3))
    rows = capacity.list_decisions(db)
    assert [(r.id, r.status) for r in rows] == [(d1.id, "rejected"), (d2.id, "pending")]
    pending = capacity.list_decisions(db, "pending")
    assert [(r.id, r.level_id, r.current_capacity, r.requested_capacity, r.reason,
             r.requested_by, r.requested_at) for r in pending] == [
        (d2.id, "L1", 2, 4, "tweede lokaal", "tester", t(days=2))]
    rejected = capacity.list_decisions(db, "rejected")[0]
    assert (rejected.decision_reason, rejected.decided_at) == ("nee", t(days=3))


# --- CAP-06: declaring and lifting, who and when, reported to the LOP ------------------------


def _groups(db) -> list[str]:
    area(db, "SEC", education="secondary")
    school(db, "SS1", "SEC")
    level(db, "G2A", "SS1", kind="admin_group", label="6247", capacity=2, grade=2)
    level(db, "G3A", "SS1", kind="admin_group", label="6248", capacity=2, grade=3)
    return children(db, 2, prefix="S")


def test_CAP_06_declaration_needs_at_least_one_group(db):
    _groups(db)
    with pytest.raises(InvalidInput) as err:
        capacity.declare_full(db, [], reason="x")
    assert err.value.field == "level_ids"


def test_CAP_06_declaration_and_lifting_are_timestamped_and_reported(db):
    _groups(db)
    d1 = capacity.declare_full(db, ["G2A"], reason="eerste", at=t(days=1))
    d2 = capacity.declare_full(db, ["G3A"], reason="tweede", at=t(days=2))
    capacity.lift_full(db, d1.id, reason="plaats vrij", at=t(days=5))
    rows = capacity.list_declarations(db)
    assert [(r.id, r.reason, r.declared_at, r.declared_by, r.lifted_at, r.levels)
            for r in rows] == [
        (d1.id, "eerste", t(days=1), "tester", t(days=5), [("G2A", 0)]),
        (d2.id, "tweede", t(days=2), "tester", None, [("G3A", 0)])]
    with db.read() as s:
        decl = s.get(FullDeclaration, d1.id)
        assert (decl.lifted_by, decl.lift_reason) == ("tester", "plaats vrij")
    declared = _audit(db, "full.declare")
    assert declared[0][3] == {"levels": ["G2A"], "reason": "eerste", "reported_to_lop": True}
    lifted = _audit(db, "full.lift")
    assert lifted == [("tester", "full_declaration", str(d1.id),
                       {"reason": "plaats vrij", "reported_to_lop": True})]


def test_CAP_06_lifting_twice_or_an_unknown_declaration_is_refused(db):
    _groups(db)
    decl = capacity.declare_full(db, ["G2A"], reason="volzet", at=t(days=1))
    capacity.lift_full(db, decl.id, reason="plaats", at=t(days=2))
    with pytest.raises(RuleViolation) as err:
        capacity.lift_full(db, decl.id, reason="nog eens", at=t(days=3))
    assert err.value.rule == "CAP-06" and "al opgeheven" in str(err.value)
    with pytest.raises(NotFound) as nf:
        capacity.lift_full(db, 999, reason="x")
    assert nf.value.field == "declaration_id"


def test_CAP_06_a_lifted_group_can_be_declared_full_again(db):
    kids = _groups(db)
    decl = capacity.declare_full(db, ["G2A"], reason="volzet", at=t(days=1))
    capacity.lift_full(db, decl.id, reason="plaats", at=t(days=2))
    registers.add_request(db, "G2A", kids[0], at=t(days=3))
    again = capacity.declare_full(db, ["G2A"], reason="weer volzet", at=t(days=4))
    assert capacity.list_declarations(db)[-1].levels == [("G2A", 1)]
    v = registers.add_request(db, "G2A", kids[1], at=t(days=5))
    assert (v.status, v.rule) == ("non_realised", "CAP-06")
    assert again.id != decl.id


# --- CAP-01/02/03: capacity changes at their edges ----------------------------------------


def test_CAP_01_capacity_zero_is_a_valid_capacity(db):
    basic(db, capacity=None)
    assert capacity.set_capacity(db, "L1", 0, at=t(days=-1)).capacity == 0


def test_CAP_02_same_capacity_after_the_start_is_neither_refused_nor_a_raise(db):
    basic(db, capacity=10)
    res = capacity.set_capacity(db, "L1", 10, at=t(days=3))
    assert (res.level_id, res.capacity, res.rule, res.task_id) == ("L1", 10, None, None)


def test_CAP_02_message_names_the_start_date_at_the_start_moment(db):
    basic(db, capacity=10)
    with pytest.raises(RuleViolation) as err:
        capacity.set_capacity(db, "L1", 9, at=t(0))
    assert "01/03/2027" in str(err.value) and "eerste inschrijving" not in str(err.value)


def test_CAP_03_rejection_outcome_keeps_the_capacity(db):
    basic(db, capacity=2)
    d = capacity.request_raise(db, "L1", 5, reason="lokaal")
    out = capacity.decide_raise(db, d.id, approve=False, reason="geen lokaal", at=t(days=2))
    assert (out.decision_id, out.status, out.level_id, out.capacity) == (d.id, "rejected",
                                                                         "L1", 2)
    row = capacity.list_decisions(db)[0]
    assert (row.status, row.decided_by, row.decision_reason) == ("rejected", "tester",
                                                                 "geen lokaal")


def test_CAP_02_approving_an_older_request_below_the_raised_capacity_is_refused(db):
    basic(db, capacity=2)
    small = capacity.request_raise(db, "L1", 3, reason="klein")
    big = capacity.request_raise(db, "L1", 5, reason="groot")
    capacity.decide_raise(db, big.id, approve=True, reason="ok", at=t(days=2))
    with pytest.raises(RuleViolation) as err:
        capacity.decide_raise(db, small.id, approve=True, reason="ok", at=t(days=3))
    assert err.value.rule == "CAP-02"
    with db.read() as s:
        assert s.get(CapacityLevel, "L1").capacity == 5
