"""The allocation on applications stored in the database: REG-07 and ALC-05 on record."""

from __future__ import annotations

import pytest
from builders import area, children, level, school, t

from lopdesk.domain import allocation, registers
from lopdesk.domain.errors import ImportError_, RuleViolation


@pytest.fixture
def round_(db):
    area(db)
    for s in ("S1", "S2", "S3"):
        school(db, s)
        level(db, f"L{s[1]}", s, capacity=2)
    kids = children(db, 5)
    allocation.create_round(db, "R27", "A", 2027, "Aanmelding 2027")
    for lv in ("L1", "L2", "L3"):
        allocation.add_round_level(db, "R27", lv)
    # everybody wants L1 first, then L2, then L3: 2 + 2 + 1 placed
    for k in kids:
        allocation.add_applications(db, "R27", k, ["L1", "L2", "L3"])
    return kids


def test_REG_07_results_written_into_registers(db, round_):
    res = allocation.run_round(db, "R27", seed=42)
    assert res.placed == 5 and res.unplaced == 0
    l1 = registers.list_entries(db, "L1")
    assert [e.status for e in l1].count("realised") == 2
    waiting = [e for e in l1 if e.status == "non_realised"]
    assert sorted(e.waitlist_position for e in waiting) == [1, 2, 3]
    # a child placed at its 3rd choice waits at its 1st and 2nd
    l3 = registers.list_entries(db, "L3")
    third = [e.child_id for e in l3 if e.status == "realised"]
    assert len(third) == 1
    at_l2 = {e.child_id: e.status for e in registers.list_entries(db, "L2")}
    assert at_l2[third[0]] == "non_realised"
    # free-period refusals come after them (N+1, ...)
    late = children(db, 1, start=90)[0]
    registers.add_request(db, "L1", late, at=t(days=10))
    order = [e.child_id for e in registers.waiting_list(db, "L1").entries]
    assert order[-1] == late and len(order) == 4


def test_ALC_05_second_run_refused_unless_replacing(db, round_):
    first = allocation.run_round(db, "R27", seed=1)
    with pytest.raises(RuleViolation) as err:
        allocation.run_round(db, "R27", seed=2)
    assert err.value.rule == "ALC-05"
    second = allocation.run_round(db, "R27", seed=2, replace=True)
    runs = allocation.list_runs(db, "R27")
    assert [(r.id, r.status) for r in runs] == [(first.run_id, "replaced"),
                                                 (second.run_id, "active")]
    assert runs[0].replaced_by == second.run_id and runs[0].output_hash
    l1 = registers.list_entries(db, "L1")
    # the first run's lines stay on record, withdrawn; the new run's lines follow them
    assert [e.status for e in l1[:5]].count("withdrawn") == 5
    assert [e.status for e in l1[5:]].count("realised") == 2


def test_ALC_05_same_seed_same_assignments(db, round_, tmp_path):
    a = allocation.run_round(db, "R27", seed=7, keep_output=tmp_path / "a")
    allocation.rerun_to_folder(db, a.run_id, tmp_path / "b")
    assert (tmp_path / "a" / "assignments.csv").read_bytes() == \
        (tmp_path / "b" / "assignments.csv").read_bytes()


def test_applications_import_errors_name_line_and_column(db, round_, tmp_path):
    f = tmp_path / "applications.csv"
    f.write_text("child_id,rank,level_id\nK000,1,L1\nK001,x,L2\n", encoding="utf-8")
    with pytest.raises(ImportError_) as err:
        allocation.import_applications(db, "R27", f)
    assert "applications.csv, regel 3, kolom 'rank'" in str(err.value)
    f.write_text("child_id,rank,level_id\nK000,1,L1\nK000,1,L2\n", encoding="utf-8")
    with pytest.raises(ImportError_, match="regel 3"):
        allocation.import_applications(db, "R27", f)
    f.write_text("child_id,level_id\n", encoding="utf-8")
    with pytest.raises(ImportError_, match="kolom 'rank'"):
        allocation.import_applications(db, "R27", f)


def test_ALC_04_round_levels_follow_their_regime_area_and_year(db, round_):
    area(db, "B")
    school(db, "SB", "B")
    level(db, "LB", "SB", capacity=10)
    level(db, "L28", "S1", capacity=10, year=2028)
    level(db, "LO", "S2", capacity=10, regime="old", ratio=0.3)
    for lv, kw, rule in (("LB", {}, "ALC-01"), ("L28", {}, "ALC-01"),
                         ("L1", {"precedence": "contingent"}, "ALC-04"),
                         ("L1", {"reserved_non_indicator": 1}, "ALC-04"),
                         ("LO", {}, "ALC-04")):
        with pytest.raises(RuleViolation) as err:
            allocation.add_round_level(db, "R27", lv, **kw)
        assert err.value.rule == rule, (lv, kw)
    # at most 20 % reserved for the under-represented group (new regime)
    allocation.add_round_level(db, "R27", "L2", capacity=10, reserved_indicator=2)
    with pytest.raises(RuleViolation, match="20 %"):
        allocation.add_round_level(db, "R27", "L2", capacity=10, reserved_indicator=3)
    allocation.add_round_level(db, "R27", "LO", precedence="contingent", reserved_indicator=3,
                               reserved_non_indicator=7)
    with pytest.raises(Exception, match="voorrangsvolgorde"):
        allocation.add_round_level(db, "R27", "L3", priority_order="staff>bogus")


def test_REG_07_lines_written_at_the_run_without_false_flags(db, round_):
    allocation.run_round(db, "R27", seed=3)
    allocation.run_round(db, "R27", seed=4, replace=True)
    for lv in ("L1", "L2", "L3"):
        assert not any(e.out_of_order for e in registers.list_entries(db, lv))


def test_round_export_is_never_world_readable(db, round_, tmp_path):
    """The exported files name children and their indicator (domain §10): 0640 / 0750."""
    import os
    import stat

    old = os.umask(0)
    try:
        with db.read() as s:
            allocation.export_round(s, "R27", tmp_path / "export")
    finally:
        os.umask(old)
    folder = tmp_path / "export"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o750
    for name in ("levels.csv", "children.csv", "applications.csv"):
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o640, name
    assert (folder / "children.csv").read_text(encoding="utf-8").startswith("child_id,indicator")
