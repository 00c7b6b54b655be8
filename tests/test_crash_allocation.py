"""Crash safety of an allocation run: SIGKILL while the results are being written
into the registers leaves the round either allocated with all its lines or untouched."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time

from sqlalchemy import func, select

from lopdesk.domain import allocation, areas, audit
from lopdesk.domain.allocation_models import AllocationRun
from lopdesk.domain.models import RegisterEntry

CHILD = textwrap.dedent("""
    import sys
    from lopdesk.config import Settings
    from lopdesk.db import Database
    from lopdesk.domain import allocation
    db = Database(Settings.from_cli(sys.argv[1], "tester"))
    print("start", flush=True)
    allocation.run_round(db, "R", seed=3)
    print("committed", flush=True)
""")


def _round(db, n_children: int = 1500) -> None:
    import csv
    import tempfile
    from pathlib import Path

    from lopdesk.domain.imports import import_csv

    areas.create_area(db, "A", "Gebied A")
    tmp = Path(tempfile.mkdtemp())
    (tmp / "schools.csv").write_text("school_id,area_id,name\n" + "".join(
        f"S{i},A,School {i}\n" for i in range(10)))
    (tmp / "levels.csv").write_text("level_id,school_id,school_year,regime,kind,label,"
                                    "capacity\n" + "".join(
                                        f"L{i},S{i},2027,new,primary_grade,1,100\n"
                                        for i in range(10)))
    with open(tmp / "children.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["child_id", "first_name", "last_name"])
        w.writerows([f"K{i:05d}", "A", "B"] for i in range(n_children))
    for kind in ("schools", "levels", "children"):
        import_csv(db, kind, tmp / f"{kind}.csv")
    allocation.create_round(db, "R", "A", 2027, "Ronde")
    for i in range(10):
        allocation.add_round_level(db, "R", f"L{i}")
    with open(tmp / "applications.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["child_id", "rank", "level_id"])
        for c in range(n_children):
            for r in range(3):
                w.writerow([f"K{c:05d}", r + 1, f"L{(c + r * 3) % 10}"])
    allocation.import_applications(db, "R", tmp / "applications.csv")


def _state(db) -> tuple[int, int, str]:
    with db.read() as s:
        runs = s.execute(select(func.count()).select_from(AllocationRun)).scalar_one()
        lines = s.execute(select(func.count()).select_from(RegisterEntry)
                          .where(RegisterEntry.allocation_run_id.is_not(None))).scalar_one()
        status = allocation.list_rounds(db)[0].status
        assert audit.verify(s) == []
    return runs, lines, status


def test_sigkill_during_allocation_run_all_or_nothing(db):
    _round(db)
    outcomes = set()
    for delay in (0.5, 1.5, 3.0):
        proc = subprocess.Popen([sys.executable, "-c", CHILD, str(db.url)],
                                stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "start"
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        runs, lines, status = _state(db)
        if runs == 0:  # killed before the commit: nothing of it
            assert lines == 0 and status == "open"
            outcomes.add("none")
        else:  # committed before the kill: all of it
            assert runs == 1 and status == "allocated"
            assert lines >= 1500  # every child placed or waiting somewhere
            outcomes.add("all")
            break
    # the database is not locked: a new run (or a replacing one) works
    result = allocation.run_round(db, "R", seed=4, replace="all" in outcomes)
    assert result.placed + result.unplaced == 1500
