"""WL-01..04: freed places in waiting-list order until the deadline, cascade, calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from builders import START, area, basic, children, level, school, t

from lopdesk.domain import areas, registers
from lopdesk.domain.calendar import (
    fifth_school_day_of_october,
    first_school_day_of_march,
    waiting_list_deadline,
)
from lopdesk.domain.errors import RuleViolation
from lopdesk.labels import BRUSSELS


def local(y, m, d, hh=12, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=BRUSSELS).astimezone(UTC)


@pytest.mark.parametrize("year,expected", [
    (2020, "10-07"), (2021, "10-07"), (2022, "10-07"), (2023, "10-06"), (2024, "10-07"),
    (2025, "10-07"), (2028, "10-06"), (2029, "10-05")])
def test_WL_04_fifth_school_day_of_october(year, expected):
    assert fifth_school_day_of_october(year).strftime("%m-%d") == expected


@pytest.mark.parametrize("year,expected", [
    (2019, "03-01"), (2022, "03-07"), (2025, "03-10"), (2028, "03-06")])
def test_WL_04_first_school_day_of_march_skips_spring_break(year, expected):
    assert first_school_day_of_march(year).strftime("%m-%d") == expected


def test_WL_04_configured_free_days_are_not_school_days():
    assert fifth_school_day_of_october(2029, [date(2029, 10, 2)]) == date(2029, 10, 8)


def _full_with_waiting(db, n=3):
    lv, kids = basic(db, capacity=1, n_children=n)
    views = [registers.add_request(db, lv, k, at=t(i)) for i, k in enumerate(kids)]
    return lv, kids, views


def test_WL_01_freed_place_goes_to_first_on_list_and_others_are_refused(db):
    lv, kids, views = _full_with_waiting(db, 3)
    registers.withdraw(db, views[0].id, reason="verhuisd", at=t(days=30))
    # nobody may pass the first child on the list
    with pytest.raises(RuleViolation) as err:
        registers.change_status(db, views[2].id, "realised", reason="voorgaan", at=t(days=31))
    assert err.value.rule == "WL-01" and "Voornaam1" in str(err.value)
    # a new request is not enrolled on the freed place either
    extra = children(db, 1, start=50)[0]
    assert registers.add_request(db, lv, extra, at=t(days=31)).rule == "WL-01"
    report = registers.offer_next(db, lv, at=t(days=31))
    assert report.steps[0].child_id == kids[1] and "07/10/2027" in report.steps[0].why
    # declining passes the place to the next child
    offer = registers.list_offers(db, lv, "open")[0]
    rep = registers.answer_offer(db, offer.id, accept=False, at=t(days=32))
    assert [s.action for s in rep.steps] == ["declined", "offered"]
    assert rep.steps[1].child_id == kids[2]


def test_WL_01_deadline_day_included_and_day_after_free(db):
    lv, kids, views = _full_with_waiting(db, 2)
    registers.withdraw(db, views[0].id, reason="weg", at=local(2027, 10, 1))
    deadline = fifth_school_day_of_october(2027)
    assert deadline == date(2027, 10, 7)
    # on the deadline day (late evening) the order still binds
    rep = registers.offer_next(db, lv, at=local(2027, 10, 7, 23, 30))
    assert rep.steps[0].child_id == kids[1]
    offer = registers.list_offers(db, lv, "open")[0]
    registers.answer_offer(db, offer.id, accept=False, at=local(2027, 10, 7, 23, 40))
    # the day after: the place is simply free
    with pytest.raises(RuleViolation) as err:
        registers.offer_next(db, lv, at=local(2027, 10, 8, 8))
    assert err.value.rule == "WL-01" and "gewoon vrij" in str(err.value)
    extra = children(db, 1, start=60)[0]
    assert registers.add_request(db, lv, extra, at=local(2027, 10, 8, 9)).status == "realised"


def test_WL_01_fill_after_deadline_skips_level(db):
    lv, kids, views = _full_with_waiting(db, 2)
    registers.withdraw(db, views[0].id, reason="weg", at=local(2027, 10, 9))
    rep = registers.fill(db, lv, accept=True, at=local(2027, 10, 9))
    assert rep.steps == [] and rep.skipped == [lv]


def test_WL_01_nursery_youngest_birth_year_until_30_june():
    assert waiting_list_deadline(2027, "nursery_birth_year", "2025") == date(2028, 6, 30)
    assert waiting_list_deadline(2027, "nursery_birth_year", "2023") == date(2027, 10, 7)
    assert waiting_list_deadline(2027, "primary_grade", "1") == date(2027, 10, 7)


def test_WL_01_nursery_level_binds_until_30_june(db):
    lv, kids = basic(db, capacity=1, n_children=2, kind="nursery_birth_year", label="2025")
    a = registers.add_request(db, lv, kids[0], at=t(1))
    registers.add_request(db, lv, kids[1], at=t(2))
    registers.withdraw(db, a.id, reason="weg", at=local(2028, 6, 1))
    rep = registers.fill(db, lv, accept=True, at=local(2028, 6, 30, 20))
    assert [s.child_id for s in rep.steps] == [kids[1]]


def test_WL_02_per_contingent_lists(db):
    area(db, per_contingent=True)
    school(db, "S1")
    level(db, "L1", "S1", regime="old", capacity=2, ratio=0.5, year=2022,
          start=START.replace(year=2022))
    kids = children(db, 4, indicator=[True, False, False, True])
    areas.create_period(db, "L1", kind="free", starts_at=START.replace(year=2022))
    v = [registers.add_request(db, "L1", k, at=START.replace(year=2022, minute=i))
         for i, k in enumerate(kids)]
    assert [x.status for x in v] == ["realised", "realised", "non_realised", "non_realised"]
    # the indicator child leaves: its indicator seat goes to the first indicator child (K003),
    # although a non-indicator child (K002) stands higher on the common list
    registers.withdraw(db, v[0].id, reason="weg", at=datetime(2022, 5, 1, tzinfo=UTC))
    rep = registers.fill(db, "L1", accept=True, at=datetime(2022, 5, 2, tzinfo=UTC))
    assert [(s.child_id, s.rule) for s in rep.steps] == [(kids[3], "WL-02")]


def test_WL_03_cascade_releases_lower_ticket_and_offers_it(db):
    area(db)
    school(db, "S1")
    school(db, "S2")
    level(db, "A1", "S1", capacity=1)
    level(db, "B1", "S2", capacity=1)
    kids = children(db, 4)
    x, y, z, w = kids
    ax = registers.add_request(db, "A1", x, at=t(1))  # X has first choice A
    registers.add_request(db, "A1", y, at=t(2))  # Y waits at A ...
    registers.add_request(db, "B1", y, at=t(3))  # ... and holds a place at B
    registers.add_request(db, "B1", z, at=t(4))  # Z waits at B
    registers.add_request(db, "B1", w, at=t(5))
    registers.withdraw(db, ax.id, reason="verhuisd", at=t(days=40))
    rep = registers.fill(db, "A1", accept=True, at=t(days=41))
    steps = [(s.level_id, s.child_id, s.action, s.rule) for s in rep.steps]
    assert steps == [("A1", y, "realised", "WL-01"), ("B1", y, "released", "WL-03"),
                     ("B1", z, "realised", "WL-01")]
    status_b = {e.child_id: e.status for e in registers.list_entries(db, "B1")}
    assert status_b == {y: "withdrawn", z: "realised", w: "non_realised"}
    # every step is logged in the entries' history
    hist = registers.entry_history(db, registers.find_entry(db, "B1", 1).id)
    assert hist[-1].rule_id == "WL-03"


def test_WL_03_accepting_an_offer_cascades_as_offers(db):
    area(db)
    school(db, "S1")
    school(db, "S2")
    level(db, "A1", "S1", capacity=1)
    level(db, "B1", "S2", capacity=1)
    x, y, z = children(db, 3)
    ax = registers.add_request(db, "A1", x, at=t(1))
    registers.add_request(db, "A1", y, at=t(2))
    registers.add_request(db, "B1", y, at=t(3))
    registers.add_request(db, "B1", z, at=t(4))
    registers.withdraw(db, ax.id, reason="weg", at=t(days=3))
    registers.offer_next(db, "A1", at=t(days=3))
    offer = registers.list_offers(db, "A1", "open")[0]
    rep = registers.answer_offer(db, offer.id, accept=True, at=t(days=4))
    assert [(s.level_id, s.child_id, s.action) for s in rep.steps] == [
        ("A1", y, "realised"), ("B1", y, "released"), ("B1", z, "offered")]
