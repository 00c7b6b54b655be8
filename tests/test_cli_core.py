"""The CLI contract: exit codes 0/1/2, --json, clear messages, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from builders import basic, t
from conftest import invoke_as
from typer.testing import CliRunner

from lopdesk.cli import COMMAND_MODULES, app
from lopdesk.domain import registers

runner = CliRunner()


def run(db_path, *args):
    result = invoke_as("tester", runner, app, ["--db", str(db_path), *args])
    assert "Traceback" not in result.output
    return result


@pytest.fixture
def level(db):
    lv, kids = basic(db, capacity=1, n_children=3)
    return lv, kids


def test_register_add_list_show_withdraw(db, db_path, level):
    lv, kids = level
    r = run(db_path, "register", "add", lv, kids[0], "--at", "2027-03-02T09:00:12", "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["status"] == "realised" and data["seq"] == 1
    r = run(db_path, "register", "add", lv, kids[1], "--at", "2027-03-02T09:01:00")
    assert r.exit_code == 0
    r = run(db_path, "register", "list", lv, "--json")
    rows = json.loads(r.stdout)
    assert [x["status"] for x in rows] == ["realised", "non_realised"]
    r = run(db_path, "register", "show", f"{lv}:2")
    assert r.exit_code == 0 and "niet-gerealiseerd" in r.stdout
    r = run(db_path, "register", "withdraw", f"{lv}:1", "--reason", "verhuisd",
            "--at", "2027-05-01T10:00:00")
    assert r.exit_code == 0
    r = run(db_path, "fill", lv, "--accept", "--at", "2027-05-02T10:00:00", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["steps"][0]["child_id"] == kids[1]


def test_exit_codes_rule_vs_bad_input(db, db_path, level):
    lv, kids = level
    r = run(db_path, "register", "add", "NOPE", kids[0])
    assert r.exit_code == 2 and "NOPE" in r.stderr
    r = run(db_path, "capacity", "set", lv, "0", "--at", "2027-04-01T00:00:00")
    assert r.exit_code == 1 and "CAP-02" in r.stderr
    r = run(db_path, "register", "add", lv, kids[0], "--at", "gisteren")
    assert r.exit_code == 2 and "gisteren" in r.stderr
    r = run(db_path, "capacity", "free-places", lv, "veel")
    assert r.exit_code == 1 and "CAP-05" in r.stderr


def test_period_close_preview_cli(db, db_path):
    from builders import START, area, children, level, school

    from lopdesk.domain import areas
    area(db)
    school(db, "S1")
    level(db, "L1", "S1", regime="old", capacity=2, ratio=0.5, year=2022,
          start=START.replace(year=2022))
    kids = children(db, 3)
    p = areas.create_period(db, "L1", kind="priority", starts_at=START.replace(year=2022))
    for i, k in enumerate(kids):
        registers.add_request(db, "L1", k, at=START.replace(year=2022, minute=i))
    r = run(db_path, "period", "close", str(p.id), "--preview")
    assert r.exit_code == 0 and "VOORBEELD" in r.stdout
    r = run(db_path, "period", "close", str(p.id), "--json")
    assert json.loads(r.stdout)["applied"] is True


def test_calendar_commands(db_path):
    r = run(db_path, "calendar", "fifth-school-day", "2023")
    assert r.exit_code == 0 and r.stdout.strip() == "2023-10-06"
    r = run(db_path, "calendar", "first-school-day-of-march", "2025", "--json")
    assert json.loads(r.stdout)["date"] == "2025-03-10"


def test_capacity_raise_flow_cli(db, db_path, level):
    lv, kids = level
    for i, k in enumerate(kids):
        registers.add_request(db, lv, k, at=t(i))
    r = run(db_path, "capacity", "request-raise", lv, "2", "--reason", "extra lokaal", "--json")
    dec = json.loads(r.stdout)["id"]
    r = run(db_path, "capacity", "preview", str(dec), "--at", "2027-04-01T10:00:00")
    assert r.exit_code == 0 and "Voornaam1" in r.stdout
    r = run(db_path, "capacity", "decide", str(dec), "--approve", "--reason", "ok",
            "--at", "2027-04-01T10:00:00")
    assert r.exit_code == 0 and "aangeboden" not in r.stderr


def test_missing_database_is_clear(tmp_path):
    r = runner.invoke(app, ["--db", str(tmp_path / "none.db"), "register", "list", "L1"])
    assert r.exit_code == 2 and "lopdesk init" in r.stderr


def test_every_command_module_installs():
    import importlib
    for name in COMMAND_MODULES:
        module = importlib.import_module(name)
        assert hasattr(module, "install"), name


def test_headless_imports_do_not_load_textual():
    # A headless register command needs neither the app (Textual), nor the allocation
    # engine (numpy), nor the document templates (jinja2): they load only when used.
    code = ("import sys, lopdesk.cli, lopdesk.domain.registers, lopdesk.domain.capacity, "
            "lopdesk.parse, lopdesk.present; "
            "print('textual' in sys.modules, 'numpy' in sys.modules, 'jinja2' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out[0] == "False", "the CLI must not import Textual"
    assert out[1] == "False", "a register command must not import numpy"
    assert out[2] == "False", "a register command must not import jinja2"


def test_a_listing_command_loads_no_heavy_module(tmp_path):
    # `lopdesk counters` (and every table a command prints) needs neither rich's table
    # layout nor numpy, jinja2, alembic or Textual: a whole process stays short. On SQLite
    # the counters read through the driver itself: no SQLAlchemy, SQLModel or models.
    from lopdesk.config import Settings
    from lopdesk.db import Database
    from lopdesk.domain.setup import initialise

    path = tmp_path / "c.db"
    db = Database(Settings.from_cli(str(path)))  # the OS account, as the process will be
    initialise(db)
    db.dispose()
    heavy = ("numpy", "jinja2", "alembic", "textual", "rich.console", "rich.table",
             "sqlalchemy", "sqlmodel", "lopdesk.domain.models")
    code = ("import sys; sys.argv = ['lopdesk', '--db', sys.argv[1], 'counters']\n"
            "from lopdesk.cli import main\n"
            "try:\n    main()\nexcept SystemExit as exc:\n    code = exc.code\n"
            f"print([m for m in {heavy!r} if m in sys.modules], code, file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                          text=True, timeout=120)
    assert proc.stderr.strip().splitlines()[-1] in ("[] 0", "[] None"), proc.stderr


def test_each_command_is_built_from_its_own_module():
    # `lopdesk X` builds only X's module (lopdesk.cli.COMMANDS_OF): the table must say
    # exactly what each module installs, or a command would be missing from its quick path.
    import importlib

    import typer

    from lopdesk.cli import COMMANDS_OF, modules_for

    assert tuple(COMMANDS_OF) == COMMAND_MODULES
    for name in COMMAND_MODULES:
        root = typer.Typer()
        importlib.import_module(name).install(root)
        installed = {c.name or c.callback.__name__ for c in root.registered_commands}
        installed |= {g.name or g.typer_instance.info.name for g in root.registered_groups}
        assert installed == set(COMMANDS_OF[name]), name
    assert modules_for(["counters", "--json"]) == ("lopdesk.commands.data",)
    assert modules_for(["--db", "x.db", "allocate", "in"]) == ("lopdesk.commands.allocate",)
    assert modules_for(["--db=x.db", "round", "runs"]) == ("lopdesk.commands.rounds",)
    assert modules_for([]) == () and modules_for(["--db", "x.db"]) == ()
    assert modules_for(["--help"]) == COMMAND_MODULES
    assert modules_for(["countres"]) == COMMAND_MODULES  # the suggestion needs them all


def test_one_module_command_line_behaves_as_the_whole(tmp_path):
    # the same answers through `main` (one module) as through the whole command line
    def run(argv):
        return subprocess.run([sys.executable, "-m", "lopdesk.cli", *argv],
                              capture_output=True, text=True, timeout=120)

    missing = str(tmp_path / "none.db")
    for argv in (["--db", missing, "counters"], ["--db", missing, "counters", "--year", "x"],
                 ["countres"], ["--db", missing]):
        quick = run(argv)
        whole = subprocess.run(
            [sys.executable, "-c", "import sys; from lopdesk.cli import app; "
             "sys.argv[0] = '-m'; app(prog_name='python -m lopdesk.cli')", *argv],
            capture_output=True, text=True, timeout=120)
        assert (quick.returncode, quick.stdout) == (whole.returncode, whole.stdout), argv
        assert quick.stderr.replace("lopdesk.cli", "") == whole.stderr.replace(
            "lopdesk.cli", ""), argv
