"""CAP-06: a full declaration only for administrative groups of the 2nd-7th year secondary."""

from __future__ import annotations

from pathlib import Path

import pytest
from builders import area, level, school

from lopdesk.domain import areas, capacity
from lopdesk.domain.errors import ImportError_, InvalidInput, RuleViolation
from lopdesk.domain.imports import import_csv


def _secondary(db):
    area(db, "SEC", education="secondary")
    school(db, "SS1", "SEC")


@pytest.mark.parametrize("grade", [2, 7])
def test_CAP_06_years_2_and_7_can_be_declared_full(db, grade):
    _secondary(db)
    level(db, "G", "SS1", kind="admin_group", label="6300", grade=grade)
    assert capacity.declare_full(db, ["G"], reason="volzet").id is not None


@pytest.mark.parametrize("grade, words", [(1, "1ste jaar"), (None, "geen leerjaar")])
def test_CAP_06_first_year_or_unknown_year_refused(db, grade, words):
    _secondary(db)
    level(db, "G", "SS1", kind="admin_group", label="6246", grade=grade)
    with pytest.raises(RuleViolation) as err:
        capacity.declare_full(db, ["G"], reason="volzet")
    assert err.value.rule == "CAP-06" and words in err.value.message
    assert capacity.list_declarations(db) == []


def test_CAP_06_admin_group_in_a_primary_area_refused(db):
    area(db, "PRI", education="primary")
    school(db, "PS1", "PRI")
    level(db, "G", "PS1", kind="admin_group", label="6247", grade=2)
    with pytest.raises(RuleViolation) as err:
        capacity.declare_full(db, ["G"], reason="volzet")
    assert err.value.rule == "CAP-06" and "secundair" in err.value.message


def test_CAP_06_one_bad_level_refuses_the_whole_declaration(db):
    _secondary(db)
    level(db, "G2", "SS1", kind="admin_group", label="6247", grade=2)
    level(db, "G1", "SS1", kind="admin_group", label="6246", grade=1)
    with pytest.raises(RuleViolation):
        capacity.declare_full(db, ["G2", "G1"], reason="volzet")
    assert capacity.list_declarations(db) == []


@pytest.mark.parametrize("kind, grade", [("admin_group", 8), ("admin_group", 0),
                                         ("primary_grade", 2)])
def test_grade_only_1_to_7_and_only_for_admin_groups(db, kind, grade):
    _secondary(db)
    with pytest.raises(InvalidInput) as err:
        areas.create_level(db, "X", "SS1", school_year=2027, regime="new", kind=kind,
                           label="6247", grade=grade)
    assert err.value.field == "grade"


def test_levels_csv_reads_the_grade_and_names_a_bad_one(db, tmp_path: Path):
    _secondary(db)
    head = "level_id,school_id,school_year,regime,kind,label,grade\n"
    good = tmp_path / "levels.csv"
    good.write_text(head + "G3,SS1,2027,new,admin_group,6248,3\n", encoding="utf-8")
    import_csv(db, "levels", good)
    assert capacity.declare_full(db, ["G3"], reason="volzet").id is not None
    bad = tmp_path / "bad.csv"
    bad.write_text(head + "G4,SS1,2027,new,admin_group,6249,4\n"
                   "G9,SS1,2027,new,admin_group,6250,9\n", encoding="utf-8")
    with pytest.raises(ImportError_) as err:
        import_csv(db, "levels", bad)
    assert err.value.line == 3 and err.value.column == "grade"
    assert "tussen 1 en 7" in str(err.value)
