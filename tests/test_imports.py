"""CSV imports (formats.md): all rows or none, errors name file, line and column."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lopdesk.cli import app
from lopdesk.domain import registers
from lopdesk.domain.counters import area_counters
from lopdesk.domain.directory import list_children, list_levels, list_schools
from lopdesk.domain.errors import ImportError_, PermissionDenied
from lopdesk.domain.imports import import_csv

SCENARIO = Path(__file__).parent.parent / "fixtures" / "scenario_small"
KINDS = ("areas", "schools", "levels", "children", "register")


@pytest.fixture
def files(tmp_path: Path) -> Path:
    target = tmp_path / "files"
    shutil.copytree(SCENARIO, target)
    return target


def load(db, files: Path, upto: str = "register") -> None:
    for kind in KINDS:
        import_csv(db, kind, files / f"{kind}.csv")
        if kind == upto:
            break


def test_import_whole_area(db, files):
    load(db, files)
    assert [s.id for s in list_schools(db)] == ["S001", "S002"]
    assert len(list_levels(db)) == 3
    assert list_children(db, "peeters")[0].id == "K0001"
    entries = registers.list_entries(db, "S001-2027-K2024")
    assert [(e.seq, e.child_id, e.priority_group, e.contingent) for e in entries] == [
        (1, "K0001", "sibling", "indicator"), (2, "K0002", "none", "non_indicator")]
    counters = {c.level_id: c for c in area_counters(db)}
    assert counters["S001-2027-K2024"].free_places == 22
    assert counters["S001-2027-L1"].seated == 14
    # every imported entry has its 'created' event (REG-02)
    hist = registers.entry_history(db, entries[0].id)
    assert hist and hist[0].kind == "created"


def _count(db) -> tuple[int, int, int]:
    return (len(list_schools(db)), len(list_levels(db)), len(list_children(db, limit=1000)))


ERRORS = [
    ("schools", "school_id,area_id,name\nS9,GENT,X\nS9,GENT,Y\n", "regel 3, kolom 'school_id'"),
    ("schools", "school_id,area_id,name\nS9,NOPE,X\n", "regel 2, kolom 'area_id'"),
    ("schools", "school_id,name\nS9,X\n", "regel 1, kolom 'area_id'"),
    ("schools", "school_id,area_id,name,x,y\nS9,GENT,X,12,\n", "kolom 'y'"),
    ("levels", "level_id,school_id,school_year,regime,kind,label,capacity\n"
     "LX,S001,2027,new,primary_grade,1,-2\n", "regel 2, kolom 'capacity'"),
    ("levels", "level_id,school_id,school_year,regime,kind,label\n"
     "LX,S001,2027,newest,primary_grade,1\n", "kolom 'regime'"),
    ("levels", "level_id,school_id,school_year,regime,kind,label\n"
     "LX,S404,2027,new,primary_grade,1\n", "regel 2, kolom 'school_id'"),
    ("children", "child_id,first_name,last_name,birth_date\nK9,A,B,2024-13-01\n",
     "regel 2, kolom 'birth_date'"),
    ("children", "child_id,first_name,last_name\nK9,A,\n", "kolom 'last_name'"),
    ("children", "child_id,first_name,last_name,rijksregisternummer\nK9,A,B,1\n",
     "kolom 'rijksregisternummer'"),
    ("children", "child_id,first_name,last_name\n85.07.30-033.61,A,B\n", "kolom 'child_id'"),
    ("children", "child_id,first_name,last_name\nK0001,A,B\n", "regel 2, kolom 'child_id'"),
]


@pytest.mark.parametrize("kind,text,where", ERRORS)
def test_bad_rows_name_the_place_and_write_nothing(db, files, kind, text, where):
    load(db, files, upto="children")
    before = _count(db)
    bad = files / f"bad_{kind}.csv"
    # a valid first row, so that a half-written import would show
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(ImportError_) as err:
        import_csv(db, kind, bad)
    assert where in str(err.value)
    assert str(err.value).startswith(f"bad_{kind}.csv")
    assert _count(db) == before


REGISTER_HEADER = "school_id,level_id,child_id,requested_at,priority_group,indicator,status\n"


@pytest.mark.parametrize("rows,where", [
    ("S001,S001-2027-K2024,K0003,2027-03-01T09:00:00,none,0,realised\n"
     "S001,S001-2027-K2024,K0004,2027-03-01T08:59:59,none,0,realised\n",
     "regel 3, kolom 'requested_at'"),
    ("S001,S001-2027-K2024,K0003,2027-03-01,none,0,realised\n", "kolom 'requested_at'"),
    ("S001,S001-2027-K2024,K0003,2027-03-01T09:00:00,vip,0,realised\n",
     "kolom 'priority_group'"),
    ("S001,S001-2027-K2024,K0003,2027-03-01T09:00:00,none,0,accepted\n", "kolom 'status'"),
    ("S002,S001-2027-K2024,K0003,2027-03-01T09:00:00,none,0,realised\n", "kolom 'school_id'"),
    ("S001,S001-2027-K2024,K0999,2027-03-01T09:00:00,none,0,realised\n", "kolom 'child_id'"),
    ("S001,S001-2027-K2024,K0003,2027-03-01T09:00:00,none,0,realised\n"
     "S001,S001-2027-K2024,K0003,2027-03-01T09:00:01,none,0,realised\n",
     "regel 3, kolom 'child_id'"),
])
def test_register_import_rules(db, files, rows, where):
    load(db, files, upto="children")
    f = files / "reg.csv"
    f.write_text(REGISTER_HEADER + rows, encoding="utf-8")
    with pytest.raises(ImportError_) as err:
        import_csv(db, "register", f)
    assert where in str(err.value)
    assert registers.list_entries(db, "S001-2027-K2024") == []


def test_register_import_not_earlier_than_the_level_s_last_entry(db, files):
    load(db, files)
    again = files / "later.csv"
    again.write_text(REGISTER_HEADER
                     + "S001,S001-2027-K2024,K0003,2027-03-01T09:00:30,none,0,realised\n")
    with pytest.raises(ImportError_, match="regel 2, kolom 'requested_at'"):
        import_csv(db, "register", again)
    again.write_text(REGISTER_HEADER
                     + "S001,S001-2027-K2024,K0003,2027-03-01T09:05:00,none,0,realised\n")
    import_csv(db, "register", again)
    assert [e.seq for e in registers.list_entries(db, "S001-2027-K2024")] == [1, 2, 3]


def test_import_needs_the_right_role(db, files):
    from conftest import as_user

    with pytest.raises(PermissionDenied):
        import_csv(as_user(db, "kijker"), "areas", files / "areas.csv")


def test_cli_import_and_listings(db_path, files, monkeypatch):
    monkeypatch.setenv("LOPDESK_DB", str(db_path))
    runner = CliRunner()
    for kind in KINDS:
        r = runner.invoke(app, ["import", kind, str(files / f"{kind}.csv")])
        assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["counters", "--json"])
    assert r.exit_code == 0 and '"S002-2027-L1"' in r.stdout
    r = runner.invoke(app, ["import", "register", str(files / "register.csv")])
    assert r.exit_code == 2 and "register.csv, regel 2" in r.output
    r = runner.invoke(app, ["import", "schools", str(files / "missing.csv")])
    assert r.exit_code == 2 and "bestaat niet" in r.output
    r = runner.invoke(app, ["import", "children", "x", "--template"])
    assert r.exit_code == 0 and r.stdout.startswith("child_id,first_name,last_name")
    for cmd in (["schools"], ["levels", "--school", "S001"], ["children", "Maes"],
                ["area", "list"]):
        r = runner.invoke(app, cmd)
        assert r.exit_code == 0, (cmd, r.output)


def test_directory_reads_for_the_app(db, files):
    from lopdesk.domain import directory

    load(db, files)
    refused = directory.refused_children(db)
    assert [(r.child_id, [q.level_id for q in r.requests]) for r in refused] == [
        ("K0004", ["S002-2027-L1"]), ("K0003", ["S001-2027-L1"])] or \
        sorted(r.child_id for r in refused) == ["K0003", "K0004"]
    assert all(len({q.level_id for q in r.requests}) == len(r.requests) for r in refused)
    assert directory.list_periods(db, "S001-2027-L1") == []
    assert directory.list_children(db, "noor")[0].id == "K0003"


def test_register_import_warns_above_capacity_and_indicator_mismatch(db, files):
    load(db, files, upto="children")
    f = files / "over.csv"
    rows = "".join(f"S001,S001-2027-L1,K000{i},2027-03-01T09:0{i}:00,none,{1 if i == 3 else 0},"
                   "realised\n" for i in (1, 2, 3))
    f.write_text(REGISTER_HEADER + rows, encoding="utf-8")
    # S001-2027-L1: capacity 20, 14 seated; make it tight
    from lopdesk.domain import capacity

    capacity.set_capacity(db, "S001-2027-L1", 16, at=datetime(2027, 1, 1, tzinfo=UTC))
    summary = import_csv(db, "register", f)
    assert any("S001-2027-L1: 17 plaatsen" in w for w in summary.warnings)
    assert any("regel 4: indicator" in w for w in summary.warnings)  # K0003 is not indicator
