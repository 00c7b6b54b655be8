"""REG-03: every pair of statuses (4 × 4, same status included) through change_status."""

from __future__ import annotations

import pytest
from builders import basic, t

from lopdesk.domain import registers
from lopdesk.domain.errors import RuleViolation
from lopdesk.domain.models import RegisterEntry

STATUSES = ("realised", "deferred", "non_realised", "withdrawn")

# domain.md REG-03, written out: the only allowed changes.
ALLOWED = {
    ("deferred", "realised"),
    ("deferred", "non_realised"),
    ("non_realised", "realised"),  # a freed place or a raise
    ("realised", "withdrawn"),
    ("non_realised", "withdrawn"),
}

PAIRS = [(a, b, (a, b) in ALLOWED) for a in STATUSES for b in STATUSES]


def test_REG_03_table_has_sixteen_pairs_and_five_allowed():
    assert len(PAIRS) == 16 and sum(ok for _, _, ok in PAIRS) == 5


@pytest.mark.parametrize("start,to,allowed", PAIRS,
                         ids=[f"{a}->{b}" for a, b, _ in PAIRS])
def test_REG_03_every_transition_pair(db, start, to, allowed):
    # capacity 1 and a single entry: a place is free whenever the entry is not realised,
    # so only REG-03 can refuse a change here
    lv, kids = basic(db, capacity=1, n_children=1)
    v = registers.add_request(db, lv, kids[0], at=t(1))
    with db.write() as s:  # put the entry in the starting status directly
        e = s.get(RegisterEntry, v.id)
        e.status = start
    before = len(registers.entry_history(db, v.id))
    if allowed:
        out = registers.change_status(db, v.id, to, reason="test", at=t(days=1))
        assert out.status == to
        assert registers.get_entry(db, v.id).status == to
        last = registers.entry_history(db, v.id)[-1]
        assert (last.from_status, last.to_status) == (start, to)
    else:
        with pytest.raises(RuleViolation) as err:
            registers.change_status(db, v.id, to, reason="test", at=t(days=1))
        assert err.value.rule == "REG-03"
        assert registers.get_entry(db, v.id).status == start
        assert len(registers.entry_history(db, v.id)) == before  # nothing written


@pytest.mark.parametrize("start", STATUSES)
def test_REG_03_withdraw_follows_the_same_table(db, start):
    lv, kids = basic(db, capacity=1, n_children=1)
    v = registers.add_request(db, lv, kids[0], at=t(1))
    with db.write() as s:
        s.get(RegisterEntry, v.id).status = start
    if (start, "withdrawn") in ALLOWED:
        assert registers.withdraw(db, v.id, reason="weg", at=t(days=1)).status == "withdrawn"
    else:
        with pytest.raises(RuleViolation) as err:
            registers.withdraw(db, v.id, reason="weg", at=t(days=1))
        assert err.value.rule == "REG-03"
