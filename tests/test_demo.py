"""The demo area: built through the services, consistent, and reproducible."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from test_tui_expert_year import rows

from lopdesk import demo
from lopdesk.domain import allocation, audit, registers
from lopdesk.domain.counters import area_counters
from lopdesk.domain.directory import list_areas, list_levels


def test_demo_small_is_consistent(db):
    # built on a day after the next school year's allocation (1 April), so that the round
    # below has run; on other days it is upcoming or open (tests/test_demo_today.py)
    demo.generate(db, size="small", seed=2027, today=date(2027, 4, 15))
    areas = list_areas(db)
    assert len(areas) >= 1 and sum(a.schools for a in areas) >= 10
    levels = list_levels(db)
    regimes = {lv.regime for lv in levels}
    assert regimes == {"old", "new"}  # both legal regimes side by side
    counters = area_counters(db)
    assert any(c.realised for c in counters) and any(c.waiting for c in counters)
    assert all(c.free_places is None or c.free_places >= 0 for c in counters)
    # never more children realised than the capacity (seated pupils above it are allowed)
    for c in counters:
        if c.capacity is not None and c.seated <= c.capacity:
            assert c.realised - c.overcapacity + c.seated <= c.capacity, c.level_id
    # every register numbered 1..N without gaps (REG-01)
    by_level = defaultdict(list)
    for lv in levels[:40]:
        for e in registers.list_entries(db, lv.id):
            by_level[lv.id].append(e.seq)
    for seqs in by_level.values():
        assert sorted(seqs) == list(range(1, len(seqs) + 1))
    # the 2027 application round was allocated into the registers (REG-07)
    runs = allocation.list_runs(db)
    assert runs and runs[0].status == "active" and runs[0].output_hash
    with db.read() as s:
        assert audit.verify(s) == []
    # the invented history is the invented colleagues'; the builder only built the area
    by_user = defaultdict(set)
    # "user" quoted: on PostgreSQL a bare user is the session's role, not the column
    for user, action in rows(db, 'SELECT "user", action FROM audit_record'):
        by_user[user].add(action.split(".")[0])
    assert set(by_user) == {db.user, "an.deprez", "bram.declercq"}, dict(by_user)
    assert by_user[db.user] <= {"demo", "user", "audit"}, by_user[db.user]
    assert {"register", "allocation"} <= by_user["an.deprez"], by_user["an.deprez"]
    assert {"case", "notice"} <= by_user["bram.declercq"], by_user["bram.declercq"]
    assert rows(db, "SELECT DISTINCT opened_by FROM mediation_case") == [("bram.declercq",)]
    assert rows(db, 'SELECT DISTINCT "user" FROM allocation_run') == [("an.deprez",)]


def test_demo_is_deterministic(db, tmp_path):
    from lopdesk.config import Settings
    from lopdesk.db import Database
    from lopdesk.domain.setup import initialise

    demo.generate(db, size="small", seed=5)
    other = Database(Settings.from_cli(str(tmp_path / "other.db"), "tester"))
    initialise(other)
    demo.generate(other, size="small", seed=5)
    first = [(c.level_id, c.realised, c.waiting, c.free_places) for c in area_counters(db)]
    second = [(c.level_id, c.realised, c.waiting, c.free_places) for c in area_counters(other)]
    other.dispose()
    assert first == second


def test_demo_keeps_a_colleague_account_that_exists_already(db):
    """An account of the demo's colleagues added before the demo is kept, not refused
    halfway through building the area."""
    from lopdesk.domain import ops

    ops.add_user(db, "an.deprez", "lop_expert", "An Deprez")
    demo.generate(db, size="small", seed=2027, today=date(2027, 4, 15))
    assert [u.name for u in ops.list_users(db)].count("an.deprez") == 1
    assert allocation.list_runs(db)[0].user == "an.deprez"
