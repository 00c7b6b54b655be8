"""The boundaries of the rules: each `<`/`<=` of domain.md tried on both sides of its edge.

Start moment (CAP-01/02), the waiting-list deadline day (WL-01), 100 pupils (CAP-08, in
test_mutation_gaps), 4 calendar days (NGI-02), 30 days (NGI-04), the 20 % reserve (ALC-04),
a raise to the same capacity (CAP-02/03) and an equal timestamp (REG-01).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from builders import START, area, basic, children, level, school, t

from lopdesk.domain import allocation, capacity, mediation, registers
from lopdesk.domain.errors import RuleViolation
from lopdesk.labels import BRUSSELS

SECOND = timedelta(seconds=1)


def local(y: int, m: int, d: int, hh: int = 12, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=BRUSSELS).astimezone(UTC)


# --- CAP-01/02: the start moment belongs to "after the start" -------------------------------


def test_CAP_02_lowering_at_exactly_the_start_moment_is_refused(db):
    basic(db, capacity=10)
    with pytest.raises(RuleViolation) as err:
        capacity.set_capacity(db, "L1", 9, at=START)
    assert err.value.rule == "CAP-02"


def test_CAP_02_lowering_one_second_before_the_start_is_allowed(db):
    basic(db, capacity=10)
    res = capacity.set_capacity(db, "L1", 9, at=START - SECOND)
    assert (res.capacity, res.rule) == (9, "CAP-01")


def test_CAP_01_first_capacity_at_exactly_the_start_moment_is_refused(db):
    basic(db, capacity=None)
    with pytest.raises(RuleViolation) as err:
        capacity.set_capacity(db, "L1", 20, at=START)
    assert err.value.rule == "CAP-01"


def test_CAP_01_first_capacity_one_second_before_the_start_is_allowed(db):
    basic(db, capacity=None)
    assert capacity.set_capacity(db, "L1", 20, at=START - SECOND).capacity == 20


def test_CAP_03_raise_at_exactly_the_start_moment_needs_a_decision(db):
    basic(db, capacity=10)
    with pytest.raises(RuleViolation) as err:
        capacity.set_capacity(db, "L1", 11, at=START)
    assert err.value.rule == "CAP-03"
    assert capacity.set_capacity(db, "L1", 11, at=START - SECOND).capacity == 11


def test_CAP_01_request_one_second_before_the_start_is_refused_at_the_start_accepted(db):
    lv, kids = basic(db, capacity=2, n_children=2)
    with pytest.raises(RuleViolation) as err:
        registers.add_request(db, lv, kids[0], at=START - SECOND)
    assert err.value.rule == "CAP-01"
    assert registers.add_request(db, lv, kids[0], at=START).status == "realised"


def test_CAP_02_raise_request_must_exceed_the_current_capacity(db):
    basic(db, capacity=10)
    with pytest.raises(RuleViolation) as err:
        capacity.request_raise(db, "L1", 10, reason="gelijk")
    assert err.value.rule == "CAP-02"
    assert capacity.request_raise(db, "L1", 11, reason="één meer").requested_capacity == 11


# --- WL-01: the deadline day is included until 23:59:59 Brussels ---------------------------


def _waiting(db, **kw):
    lv, kids = basic(db, capacity=1, n_children=2, **kw)
    first = registers.add_request(db, lv, kids[0], at=t(1))
    registers.add_request(db, lv, kids[1], at=t(2))
    return lv, kids, first


def test_WL_01_fifth_school_day_of_october_binds_until_its_last_second(db):
    # 2027: Fri 1, Mon 4 … Thu 7 October is the fifth school day (CEST, UTC+2)
    lv, kids, first = _waiting(db)
    registers.withdraw(db, first.id, reason="weg", at=local(2027, 10, 1))
    last_second = local(2027, 10, 7, 23, 59, 59)
    assert last_second == datetime(2027, 10, 7, 21, 59, 59, tzinfo=UTC)
    view = registers.waiting_list(db, lv, at=last_second)
    assert view.deadline == date(2027, 10, 7) and view.binds
    assert not registers.waiting_list(db, lv, at=last_second + SECOND).binds
    rep = registers.offer_next(db, lv, at=last_second)
    assert [s.child_id for s in rep.steps] == [kids[1]]


def test_WL_01_day_after_the_deadline_the_place_is_simply_free(db):
    lv, kids, first = _waiting(db)
    registers.withdraw(db, first.id, reason="weg", at=local(2027, 10, 1))
    with pytest.raises(RuleViolation) as err:
        registers.offer_next(db, lv, at=local(2027, 10, 8, 0, 0, 0))
    assert err.value.rule == "WL-01"
    rep = registers.fill(db, lv, accept=True, at=local(2027, 10, 8, 0, 0, 0))
    assert rep.steps == [] and rep.skipped == [lv]


def test_WL_01_new_request_on_the_last_second_waits_and_after_it_is_realised(db):
    lv, kids, first = _waiting(db)
    registers.withdraw(db, first.id, reason="weg", at=local(2027, 10, 1))
    a, b = children(db, 2, start=80)
    v = registers.add_request(db, lv, a, at=local(2027, 10, 7, 23, 59, 59))
    assert (v.status, v.rule) == ("non_realised", "WL-01")
    assert registers.add_request(db, lv, b, at=local(2027, 10, 8, 0, 0, 0)).status == "realised"


def test_WL_01_youngest_nursery_birth_year_binds_through_30_june(db):
    # school year 2027-28: the youngest birth year is 2025; its deadline is 30 June 2028
    lv, _ = basic(db, capacity=1, n_children=0, kind="nursery_birth_year", label="2025")
    view = registers.waiting_list(db, lv, at=local(2028, 6, 30, 23, 59, 59))
    assert view.deadline == date(2028, 6, 30) and view.binds
    assert not registers.waiting_list(db, lv, at=local(2028, 7, 1, 0, 0, 0)).binds


def test_WL_01_older_nursery_birth_year_follows_the_october_deadline(db):
    area(db)
    school(db, "S1")
    level(db, "N24", "S1", kind="nursery_birth_year", label="2024")
    view = registers.waiting_list(db, "N24", at=local(2027, 10, 7, 23, 59, 59))
    assert view.deadline == date(2027, 10, 7) and view.binds
    assert not registers.waiting_list(db, "N24", at=local(2027, 10, 8, 0, 0, 0)).binds


# --- NGI-02: 4 calendar days (Brussels) not late, 5 late; NGI-04: + 30 days ----------------


def _two_refusals(db):
    """Refused just after midnight Brussels on 2 March (still 1 March in UTC)."""
    lv, kids = basic(db, capacity=1, n_children=3)
    registers.add_request(db, lv, kids[0], at=t(1))
    r1 = registers.add_request(db, lv, kids[1], at=local(2027, 3, 2, 0, 30))
    r2 = registers.add_request(db, lv, kids[2], at=local(2027, 3, 2, 0, 40))
    assert r1.status == r2.status == "non_realised"
    return kids, r1, r2


def test_NGI_02_day_4_is_on_time_day_5_is_late(db):
    _, r1, r2 = _two_refusals(db)
    on_time = mediation.record_notice(db, r1.id, mode="receipt", delivered_on=date(2027, 3, 6))
    assert (on_time.days_after_refusal, on_time.late) == (4, False)
    late = mediation.record_notice(db, r2.id, mode="registered_post",
                                   delivered_on=date(2027, 3, 7))
    assert (late.days_after_refusal, late.late) == (5, True)
    assert [n.entry_id for n in mediation.list_notices(db, late=True)] == [r2.id]


def test_NGI_04_clr_deadline_is_30_calendar_days_and_that_day_is_in_time(db):
    kids, r1, r2 = _two_refusals(db)
    n1 = mediation.record_notice(db, r1.id, mode="receipt", delivered_on=date(2027, 3, 6))
    assert n1.clr_deadline == date(2027, 4, 5)
    n2 = mediation.record_notice(db, r2.id, mode="receipt", delivered_on=date(2027, 3, 5))
    assert n2.clr_deadline == date(2027, 4, 4)
    case1 = mediation.open_case(db, kids[1], request_on=date(2027, 3, 8), entry_ids=[r1.id])
    row = mediation.record_clr_complaint(db, case1.id, filed_on=date(2027, 4, 5))
    assert "na de termijn" not in row.text and row.rule_id == "NGI-04"
    case2 = mediation.open_case(db, kids[2], request_on=date(2027, 3, 8), entry_ids=[r2.id])
    row = mediation.record_clr_complaint(db, case2.id, filed_on=date(2027, 4, 5))
    assert "na de termijn van 30 dagen" in row.text


# --- ALC-04: the reserve is at most 20 % of the places --------------------------------------


@pytest.mark.parametrize("places,reserve,ok", [
    (10, 2, True), (10, 3, False),   # exactly 20 % allowed, one more refused
    (12, 2, True), (12, 3, False),   # 2.4 seats: 3 is 25 %
    (15, 3, True), (14, 3, False),   # 3/15 = 20 %, 3/14 > 20 %
    (4, 0, True), (4, 1, False),
])
def test_ALC_04_reserve_at_most_20_percent(db, places, reserve, ok):
    basic(db, capacity=30, n_children=0)
    allocation.create_round(db, "R1", "A", 2027, "Aanmeldingen")
    if ok:
        row = allocation.add_round_level(db, "R1", "L1", capacity=places,
                                         reserved_indicator=reserve)
        assert (row.capacity, row.reserved_indicator) == (places, reserve)
    else:
        with pytest.raises(RuleViolation) as err:
            allocation.add_round_level(db, "R1", "L1", capacity=places,
                                       reserved_indicator=reserve)
        assert err.value.rule == "ALC-04"


# --- REG-01: an equal timestamp is not "earlier" ------------------------------------------


def test_REG_01_same_second_is_not_flagged_one_second_earlier_is(db):
    lv, kids = basic(db, capacity=5, n_children=3)
    registers.add_request(db, lv, kids[0], at=t(10))
    assert not registers.add_request(db, lv, kids[1], at=t(10)).out_of_order
    assert registers.add_request(db, lv, kids[2], at=t(10) - SECOND).out_of_order
