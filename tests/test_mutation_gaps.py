"""Tests that catch small plausible bugs in the rules, each one a mutant no test saw before.

Every expected value is written out here, never taken from the code under test: a rule
computed in two places is checked through the path a user takes (add_request, change_status,
fill, offer_next, declare_full, run_allocation), not through a helper that shares the bug.
"""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from builders import area, basic, children, level, school, t

from lopdesk.domain import areas, capacity, counters, documents, registers
from lopdesk.domain.errors import RuleViolation
from lopdesk.labels import BRUSSELS
from lopdesk.matching.io import run_allocation


def local(y: int, m: int, d: int, hh: int = 12, mm: int = 0, ss: int = 0) -> datetime:
    """A Brussels wall-clock moment as an aware UTC datetime."""
    return datetime(y, m, d, hh, mm, ss, tzinfo=BRUSSELS).astimezone(UTC)


def _full_with_waiting(db, n: int = 2):
    """Level L1, capacity 1: the first child realised, the others on the waiting list."""
    lv, kids = basic(db, capacity=1, n_children=n)
    views = [registers.add_request(db, lv, k, at=t(i)) for i, k in enumerate(kids)]
    return lv, kids, views


# --- WL-01/04: the area's free days move the deadline, also through fill and offers ---------


def test_WL_01_area_free_day_moves_the_deadline_for_offers_and_requests(db):
    """School year 2027: 1 Oct is a Friday, so the fifth school day is Thu 7 Oct; a free day
    on Mon 4 Oct makes it Fri 8 Oct. On 8 Oct the waiting-list order must still bind."""
    lv, kids, views = _full_with_waiting(db, 2)
    areas.add_calendar_day(db, "A", date(2027, 10, 4), label="facultatieve vrije dag")
    registers.withdraw(db, views[0].id, reason="verhuisd", at=local(2027, 10, 1))
    assert registers.waiting_list(db, lv, at=local(2027, 10, 8)).deadline == date(2027, 10, 8)
    assert registers.waiting_list(db, lv, at=local(2027, 10, 8, 23, 59, 59)).binds
    # a new request on 8 Oct is not enrolled on the freed place (WL-01 via add_request)
    extra = children(db, 1, start=70)[0]
    v = registers.add_request(db, lv, extra, at=local(2027, 10, 8, 10))
    assert (v.status, v.rule) == ("non_realised", "WL-01")
    assert "08/10/2027" in v.message
    # the freed place is offered to the first child on the list (WL-01 via offer_next)
    rep = registers.offer_next(db, lv, at=local(2027, 10, 8, 11))
    assert [(s.child_id, s.action) for s in rep.steps] == [(kids[1], "offered")]
    assert "08/10/2027" in rep.steps[0].why


def test_WL_01_area_free_day_keeps_fill_binding(db):
    lv, kids, views = _full_with_waiting(db, 2)
    areas.add_calendar_day(db, "A", date(2027, 10, 4), label="vrije dag")
    registers.withdraw(db, views[0].id, reason="weg", at=local(2027, 10, 1))
    rep = registers.fill(db, lv, accept=True, at=local(2027, 10, 8, 15))
    assert [(s.child_id, s.action, s.rule) for s in rep.steps] == [
        (kids[1], "realised", "WL-01")]
    assert rep.skipped == []


# --- CAP-06: a full declaration means 0 free places on every register path -----------------


def _secondary(db) -> list[str]:
    area(db, "SEC", education="secondary")
    school(db, "SS1", "SEC")
    level(db, "G2A", "SS1", kind="admin_group", label="6247", capacity=3, year=2027,
          grade=2)
    return children(db, 4, prefix="S")


def test_CAP_06_declared_full_group_refuses_realising_a_waiting_child(db):
    """Capacity 3 with one pupil leaves 2 places by the counts, but the declaration says 0:
    a refused child cannot be realised by hand, nor by fill, nor offered a place."""
    kids = _secondary(db)
    registers.add_request(db, "G2A", kids[0], at=t(1))
    decl = capacity.declare_full(db, ["G2A"], reason="volzet", at=t(days=1))
    refused = registers.add_request(db, "G2A", kids[1], at=t(days=2))
    assert (refused.status, refused.reason) == ("non_realised", "full_declaration")
    with pytest.raises(RuleViolation) as err:
        registers.change_status(db, refused.id, "realised", reason="toch", at=t(days=3))
    assert err.value.rule == "CAP-04"
    rep = registers.fill(db, "G2A", accept=True, at=t(days=3))
    assert rep.steps == []
    rep = registers.fill(db, "G2A", accept=False, at=t(days=3))
    assert rep.steps == [] and registers.list_offers(db, "G2A") == []
    with pytest.raises(RuleViolation) as err:
        registers.offer_next(db, "G2A", at=t(days=3))
    assert err.value.rule == "CAP-04"
    assert registers.get_entry(db, refused.id).status == "non_realised"
    # lifted: the two places are there again and go to the waiting child first
    capacity.lift_full(db, decl.id, reason="plaats", at=t(days=4))
    rep = registers.fill(db, "G2A", accept=True, at=t(days=5))
    assert [(s.child_id, s.action) for s in rep.steps] == [(kids[1], "realised")]


def test_CAP_06_count_at_declaration_includes_seated_pupils(db):
    kids = _secondary(db)
    capacity.set_seated(db, "G2A", indicator=1, non_indicator=1)
    registers.add_request(db, "G2A", kids[0], at=t(1))
    capacity.declare_full(db, ["G2A"], reason="volzet", at=t(days=1))
    # 2 seated + 1 realised in the register
    assert capacity.list_declarations(db)[0].levels == [("G2A", 3)]


# --- CAP-07/04: overcapacity enrolments do not use a place --------------------------------


def test_CAP_07_overcapacity_enrolment_leaves_the_places_free(db):
    """Capacity 2 with one enrolment above capacity: two ordinary children still fit, the
    third is refused; a freed place goes to the waiting child."""
    lv, kids = basic(db, capacity=2, n_children=4)
    areas.add_overcapacity_category(db, "new", "*", "sibling_reorientation", "broer/zus")
    over = registers.add_request(db, lv, kids[0], at=t(1),
                                 overcapacity_category="sibling_reorientation")
    assert over.status == "realised"
    c = counters.area_counters(db)[0]
    assert (c.free_places, c.overcapacity) == (2, 1)
    a = registers.add_request(db, lv, kids[1], at=t(2))
    b = registers.add_request(db, lv, kids[2], at=t(3))
    assert (a.status, b.status) == ("realised", "realised")
    c = counters.area_counters(db)[0]
    assert (c.free_places, c.realised) == (0, 3)
    waiting = registers.add_request(db, lv, kids[3], at=t(4))
    assert (waiting.status, waiting.reason) == ("non_realised", "capacity")
    # freed place (level_state path): 2 − 1 ordinary realised = 1 place for the waiting child
    registers.withdraw(db, b.id, reason="weg", at=t(days=2))
    rep = registers.fill(db, lv, accept=True, at=t(days=3))
    assert [(s.child_id, s.action) for s in rep.steps] == [(kids[3], "realised")]


def test_CAP_07_overcapacity_does_not_block_realising_by_hand(db):
    lv, kids = basic(db, capacity=1, n_children=3)
    areas.add_overcapacity_category(db, "new", "*", "sibling_reorientation", "broer/zus")
    registers.add_request(db, lv, kids[0], at=t(1), overcapacity_category="sibling_reorientation")
    a = registers.add_request(db, lv, kids[1], at=t(2))
    w = registers.add_request(db, lv, kids[2], at=t(3))
    assert (a.status, w.status) == ("realised", "non_realised")
    registers.withdraw(db, a.id, reason="weg", at=t(days=1))
    v = registers.change_status(db, w.id, "realised", reason="vrije plaats", at=t(days=2))
    assert v.status == "realised"


# --- CAP-08: the ANK minimum switches above 100 pupils ------------------------------------


def test_CAP_08_site_of_exactly_100_pupils_needs_4(db):
    area(db)
    school(db, "S100", pupils=100)
    level(db, "L100", "S100")
    with pytest.raises(RuleViolation) as err:
        capacity.set_ank_capacity(db, "L100", 3)
    assert err.value.rule == "CAP-08" and "minstens 4" in str(err.value)
    assert capacity.set_ank_capacity(db, "L100", 4).rule == "CAP-08"


def test_CAP_08_site_of_101_pupils_needs_8(db):
    area(db)
    school(db, "S101", pupils=101)
    level(db, "L101", "S101")
    with pytest.raises(RuleViolation) as err:
        capacity.set_ank_capacity(db, "L101", 7)
    assert err.value.rule == "CAP-08" and "minstens 8" in str(err.value)
    assert capacity.set_ank_capacity(db, "L101", 8).rule == "CAP-08"


# --- NGI-01: the required fields of a refusal notice, written out ---------------------------

# domain.md NGI-01, in its own order; register position and capacity only when capacity is
# the reason, the LOP chair only inside a LOP area.
NGI_01_REQUIRED = ["motivation", "legal_ground", "factual_ground", "requested_at",
                   "register_position", "capacity", "chair_contact", "clr_contact",
                   "parents_address", "signed_on"]


def _complete_notice_ctx() -> dict:
    return {"motivation": "capaciteit bereikt", "legal_ground": "Decreet basisonderwijs",
            "factual_ground": "alle plaatsen zijn ingenomen",
            "requested_at": "01/03/2027 09:03:00", "register_position": 3, "capacity": 4,
            "chair_contact": "voorzitter@lop.be", "clr_contact": "CLR, Brussel",
            "parents_address": "Dorpsstraat 1, 9000 Gent", "signed_on": date(2027, 3, 5),
            "capacity_reason": True, "in_lop": True}


def test_NGI_01_every_required_field_is_checked():
    assert documents.missing_notice_fields(_complete_notice_ctx()) == []
    for key in NGI_01_REQUIRED:
        ctx = _complete_notice_ctx()
        ctx[key] = None
        assert documents.missing_notice_fields(ctx) == [key], key
        ctx[key] = "  "
        assert documents.missing_notice_fields(ctx) == [key], key


def test_NGI_01_capacity_fields_only_for_capacity_refusals_and_chair_only_in_a_lop():
    ctx = _complete_notice_ctx()
    ctx.update(capacity_reason=False, register_position=None, capacity=None)
    assert documents.missing_notice_fields(ctx) == []
    ctx = _complete_notice_ctx()
    ctx.update(in_lop=False, chair_contact="")
    assert documents.missing_notice_fields(ctx) == []


def test_NGI_01_required_fields_are_exactly_the_rulebook_list():
    assert sorted(documents.NOTICE_FIELDS) == sorted(NGI_01_REQUIRED)


# --- ALC-02: each level's own priority order and the rank in rank+distance ------------------


def _write(folder: Path, name: str, rows: list[dict]) -> None:
    cols = list(dict.fromkeys(k for r in rows for k in r))
    with open(folder / name, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=cols, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def _allocate(tmp_path: Path, levels: list[dict], kids: list[str], apps: list[dict],
              seed: int) -> dict[str, str]:
    inp = tmp_path / "in"
    inp.mkdir(exist_ok=True)
    _write(inp, "levels.csv", levels)
    _write(inp, "children.csv", [{"child_id": k, "indicator": 0} for k in kids])
    _write(inp, "applications.csv", apps)
    out = tmp_path / f"out{seed}"
    run_allocation(inp, out, seed=seed)
    with open(out / "assignments.csv", encoding="utf-8", newline="") as f:
        return {r["child_id"]: r["level_id"] for r in csv.DictReader(f)}


@pytest.mark.parametrize("seed", range(4))
def test_ALC_02_level_uses_its_own_priority_order(tmp_path, seed):
    """Level L honours staff before sibling (not the default sibling first): with one place,
    the staff child wins, whatever the lottery."""
    levels = [{"level_id": "L", "school_id": "S", "capacity": 1,
               "priority_order": "staff>sibling"}]
    apps = [{"child_id": "sib", "rank": 1, "level_id": "L", "priority_group": "sibling"},
            {"child_id": "stf", "rank": 1, "level_id": "L", "priority_group": "staff"},
            {"child_id": "non", "rank": 1, "level_id": "L", "priority_group": "none"}]
    got = _allocate(tmp_path, levels, ["sib", "stf", "non"], apps, seed)
    assert got == {"sib": "", "stf": "L", "non": ""}


@pytest.mark.parametrize("seed", range(4))
def test_ALC_02_rank_distance_puts_first_choice_before_nearer(tmp_path, seed):
    """B (distance) takes z (100 m) before y (500 m); y then asks A as its second choice.
    A is rank+distance: x, farther away (900 m) but with A as first choice, keeps A."""
    levels = [{"level_id": "A", "school_id": "SA", "capacity": 1,
               "criterion": "rank+distance"},
              {"level_id": "B", "school_id": "SB", "capacity": 1, "criterion": "distance"}]
    apps = [{"child_id": "x", "rank": 1, "level_id": "A", "distance_m": 900},
            {"child_id": "y", "rank": 1, "level_id": "B", "distance_m": 500},
            {"child_id": "y", "rank": 2, "level_id": "A", "distance_m": 100},
            {"child_id": "z", "rank": 1, "level_id": "B", "distance_m": 100}]
    got = _allocate(tmp_path, levels, ["x", "y", "z"], apps, seed)
    assert got == {"x": "A", "y": "", "z": "B"}
