"""Speed of the terminal app: prints three figures against their targets.

- launch → first screen (Overzicht with the demo area drawn)     target ≤ 1.5 s
- open a register of 20,000 entries (rows shown)                  target ≤ 0.3 s
- filter that register (search text typed)                        target ≤ 0.1 s

Runs headless (App.run_test) on a temporary SQLite file: `python benchmarks/tui.py`.
Set LOPDESK_BENCH_DEMO=small for a quicker run; `--quick` (the test suite's smoke run)
uses the small demo area and a register of 2,000 lines and judges no target.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ENTRIES = 20_000
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _figures import figure  # noqa: E402


def build(path: Path, entries: int = ENTRIES, demo_size: str | None = None):
    from lopdesk import demo
    from lopdesk.config import Settings
    from lopdesk.db import Database
    from lopdesk.domain import areas, registers
    from lopdesk.domain.models import Child
    from lopdesk.domain.setup import initialise

    db = Database(Settings.from_cli(str(path), "bench"))
    initialise(db)
    demo.generate(db, size=demo_size or os.environ.get("LOPDESK_BENCH_DEMO", "normal"))
    areas.create_area(db, "BIG", "Groot gebied")
    areas.create_school(db, "BIG1", "BIG", "Grote school")
    start = datetime(2027, 3, 1, 8, tzinfo=UTC)
    areas.create_level(db, "BIG-L1", "BIG1", school_year=2027, regime="new",
                       kind="primary_grade", label="1", capacity=entries * 3 // 4,
                       enrolment_start=start)
    with db.write() as s:  # set-up only: children and entries in bulk
        s.add_all(Child(id=f"B{i:05d}", first_name=f"Kind{i}", last_name=f"Groot{i % 97}")
                  for i in range(entries))
        s.flush()
        rows = [{"level_id": "BIG-L1", "child_id": f"B{i:05d}",
                 "requested_at": start + timedelta(seconds=i), "contingent": "non_indicator",
                 "status": "realised" if i < entries * 3 // 4 else "non_realised",
                 "reason": None if i < entries * 3 // 4 else "capacity"}
                for i in range(entries)]
        registers.bulk_append(s, "bench", rows, rule="REG-06", message="bench", source="import")
    return db


async def measure(db, entries: int = ENTRIES) -> dict[str, float]:
    from lopdesk.app import make_app
    from lopdesk.screens.register import RegisterScreen
    from lopdesk.screens.widgets.table import VirtualTable

    async def until(pilot, predicate, timeout: float = 30.0) -> None:
        end = time.perf_counter() + timeout
        while not predicate():
            if time.perf_counter() > end:
                raise RuntimeError("timed out")
            await pilot.pause(0.005)

    out: dict[str, float] = {}
    t0 = time.perf_counter()
    app = make_app(db)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: len(app.screen.query_one(VirtualTable).rows) > 0)
        await pilot.pause()
        out["launch"] = time.perf_counter() - t0

        t1 = time.perf_counter()
        await app.push_screen(RegisterScreen("BIG-L1"))
        await until(pilot, lambda: isinstance(app.screen, RegisterScreen)
                    and len(app.screen.query_one(VirtualTable).rows) == entries)
        await pilot.pause()
        out["open"] = time.perf_counter() - t1

        screen = app.screen
        await until(pilot, lambda: not [w for w in app.workers if w.is_running
                                        and w.group not in ("poll", "index")])
        await pilot.pause()
        t2 = time.perf_counter()
        screen.text = "groot42"
        screen.apply_filter()
        await pilot.pause()
        out["filter"] = time.perf_counter() - t2
        out["filter_rows"] = len(screen.query_one(VirtualTable).rows)
    return out


def measure_reads(db) -> dict[str, float]:
    """The read alone, outside the app: the old list versus the screen's fast read."""
    from lopdesk.domain import register_view, registers

    out = {}
    for label, fn in (("lezen: registers.list_entries", registers.list_entries),
                      ("lezen: register_view.register_lines", register_view.register_lines)):
        fn(db, "BIG-L1")  # warm the page cache
        t = time.perf_counter()
        fn(db, "BIG-L1")
        out[label] = time.perf_counter() - t
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="small demo area, 2.000 lines, no targets judged (smoke run)")
    args = ap.parse_args(argv)
    entries = 2_000 if args.quick else ENTRIES
    t_import = time.perf_counter()
    import textual  # noqa: F401  (part of the real launch cost)

    import_cost = time.perf_counter() - t_import
    with tempfile.TemporaryDirectory(prefix="lopdesk-bench-") as tmp:
        print(f"opbouw demogebied + register van {entries} lijnen…", file=sys.stderr)
        db = build(Path(tmp) / "bench.db", entries, "small" if args.quick else None)
        res = asyncio.run(measure(db, entries))
        reads = measure_reads(db)
        db.dispose()
    launch = res["launch"] + import_cost
    rows = [
        ("start tot eerste scherm (demogebied)", launch, 1.5),
        (f"register van {entries} lijnen openen", res["open"], 0.3),
        (f"register filteren ({res['filter_rows']} treffers)", res["filter"], 0.1),
    ]
    ok = True
    for label, value, target in rows:
        good = value <= target
        ok &= good
        print(f"{label:<44} {value:6.3f} s  (doel ≤ {target} s) {'OK' if good else 'TE TRAAG'}")
    figure("app: start to first screen, in-process (demo area)", f"{launch:.3f} s", "<= 0.8 s")
    figure(f"app: open a register of {entries:,} lines", f"{res['open']:.3f} s",
           "<= 0.15 s" if entries <= 20_000 else "<= 1 s")
    figure(f"app: filter a register of {entries:,} lines", f"{res['filter']:.3f} s",
           "<= 0.2 s")
    for label, value in reads.items():
        print(f"  {label:<42} {value:6.3f} s")
    return 0 if ok or args.quick else 1


if __name__ == "__main__":
    sys.exit(main())
