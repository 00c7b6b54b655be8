"""What the first screen loads: the overview is drawn before SQLAlchemy, SQLModel, the
models, numpy, jinja2 or alembic are imported (they load with the screens that need them);
`lopdesk allocate` on files needs neither the ORM nor pydantic."""

from __future__ import annotations

import subprocess
import sys

import pytest
from builders import basic
from conftest import PG_URL

FIRST_SCREEN = """
import asyncio, sys
from lopdesk.app import make_app
from lopdesk.config import Settings
from lopdesk.db import Database
from lopdesk.screens.widgets.table import VirtualTable

HEAVY = ("sqlalchemy", "sqlmodel", "pydantic", "lopdesk.domain.models", "numpy", "jinja2",
         "alembic", "lopdesk.screens.allocation", "lopdesk.screens.commands")

async def main():
    app = make_app(Database(Settings.from_cli(sys.argv[1], "tester")))
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(2000):
            if app.screen.query(VirtualTable) and app.screen.query_one(VirtualTable).rows:
                break
            await pilot.pause(0.01)
        rows = len(app.screen.query_one(VirtualTable).rows)
        print(rows, [m for m in HEAVY if m in sys.modules])

asyncio.run(main())
"""


@pytest.mark.skipif(bool(PG_URL), reason="on PostgreSQL the plain reads go through "
                    "SQLAlchemy's engine by design (Database.read_plain)")
def test_first_screen_loads_no_orm_numpy_or_templates(db, db_path):
    basic(db)  # an area with a school and a level
    out = subprocess.run([sys.executable, "-c", FIRST_SCREEN, str(db_path)],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    rows, loaded = out.stdout.strip().split(" ", 1)
    assert int(rows) > 0, out.stdout  # the overview has drawn its rows
    assert loaded == "[]", loaded


def test_file_allocation_loads_no_orm_or_pydantic(tmp_path):
    inp = tmp_path / "in"
    inp.mkdir()
    (inp / "levels.csv").write_text("level_id,school_id,capacity\nL1,S1,1\n")
    (inp / "children.csv").write_text("child_id,indicator\nK1,0\nK2,1\n")
    (inp / "applications.csv").write_text("child_id,rank,level_id\nK1,1,L1\nK2,1,L1\n")
    code = ("import sys\nsys.argv = ['lopdesk', 'allocate', sys.argv[1], '--out', sys.argv[2],"
            " '--seed', '7']\nfrom lopdesk.cli import main\n"
            "try:\n    main()\nexcept SystemExit as exc:\n    code = exc.code\n"
            "print([m for m in ('sqlalchemy', 'sqlmodel', 'pydantic', 'textual', 'jinja2')"
            " if m in sys.modules], code, file=sys.stderr)")
    out = subprocess.run([sys.executable, "-c", code, str(inp), str(tmp_path / "out")],
                         capture_output=True, text=True, timeout=300)
    assert out.stderr.strip().splitlines()[-1] in ("[] 0", "[] None"), out.stderr
    assert (tmp_path / "out" / "assignments.csv").exists()
