"""Foundation figures: CSV import speed, area counters, single-writer requests.

    .venv/bin/python benchmarks/foundation.py [--rows 20000] [--demo-db /tmp/demo.db]

--demo-db also times the counters of an existing demo database (`lopdesk --db PATH demo`;
the acting user must be known there, e.g. the one who built it). Targets: import >= 20,000
rows/s, counters of the whole area <= 50 ms, a request well under 5 ms.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from lopdesk.config import Settings
from lopdesk.db import Database
from lopdesk.domain import registers
from lopdesk.domain.counters import area_counters
from lopdesk.domain.imports import import_csv
from lopdesk.domain.setup import initialise


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=20_000)
    ap.add_argument("--demo-db", help="also time the counters of this demo database")
    ap.add_argument("--quick", action="store_true", help="1,000 rows, 50 writes: a smoke run")
    args = ap.parse_args()
    n = 1_000 if args.quick else args.rows
    writes = 50 if args.quick else 500
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        db = Database(Settings.from_cli(str(d / "b.db"), "bench"))
        initialise(db)
        (d / "areas.csv").write_text("area_id,name\nA,Bench\n")
        (d / "schools.csv").write_text("school_id,area_id,name\n" + "".join(
            f"S{i:03d},A,School {i}\n" for i in range(100)))
        (d / "levels.csv").write_text(
            "level_id,school_id,school_year,regime,kind,label,capacity\n" + "".join(
                f"L{i:03d},S{i // 4:03d},2027,new,primary_grade,{i % 4 + 1},40\n"
                for i in range(400)) + "FREE,S000,2027,new,primary_grade,6,1000\n")
        (d / "children.csv").write_text("child_id,first_name,last_name,indicator\n" + "".join(
            f"K{i:06d},Voornaam{i},Naam{i},{i % 3 == 0:d}\n" for i in range(n)))
        start = datetime(2027, 3, 1, 9, 0)
        (d / "register.csv").write_text(
            "school_id,level_id,child_id,requested_at,priority_group,indicator,status\n"
            + "".join(f"S{(i % 400) // 4:03d},L{i % 400:03d},K{i:06d},"
                      f"{(start + timedelta(seconds=i)).isoformat()},none,{i % 3 == 0:d},"
                      f"{'realised' if i < n * 0.8 else 'non_realised'}\n" for i in range(n)))
        for kind in ("areas", "schools", "levels"):
            import_csv(db, kind, d / f"{kind}.csv")
        for kind in ("children", "register"):
            t = time.perf_counter()
            import_csv(db, kind, d / f"{kind}.csv")
            dt = time.perf_counter() - t
            print(f"import {kind:9s} {n:>7} rows  {dt:6.2f} s  {n / dt:8.0f} rows/s")
        time_counters(db, "area counters")
        (d / "more.csv").write_text("child_id,first_name,last_name\n" + "".join(
            f"X{i:05d},A,B\n" for i in range(writes)))
        import_csv(db, "children", d / "more.csv")
        t = time.perf_counter()
        at = datetime(2027, 4, 1, 8, tzinfo=UTC)
        for i in range(writes):
            registers.add_request(db, f"L{i % 400:03d}", f"X{i:05d}",
                                  at=at + timedelta(seconds=i))
        dt = time.perf_counter() - t
        # the levels are full: these are refusals (REG-06 and the NGI-03 notification)
        print(f"add_request, one process: {writes} in {dt:.2f} s = {writes / dt:.0f} writes/s "
              f"({dt / writes * 1000:.1f} ms each)")
        t = time.perf_counter()
        for i in range(writes):
            registers.add_request(db, "FREE", f"X{i:05d}", at=at + timedelta(seconds=i))
        dt = time.perf_counter() - t
        print(f"add_request, free places: {writes} in {dt:.2f} s = {writes / dt:.0f} writes/s "
              f"({dt / writes * 1000:.1f} ms each)")
        db.dispose()
    if args.demo_db:
        demo = Database(Settings.from_cli(args.demo_db))  # the acting user: the OS account
        time_counters(demo, f"demo counters ({args.demo_db})")
        demo.dispose()


def time_counters(db: Database, what: str) -> None:
    area_counters(db)  # warm
    times = []
    for _ in range(7):
        t = time.perf_counter()
        rows = area_counters(db)
        times.append(time.perf_counter() - t)
    print(f"{what}: {len(rows)} levels, best {min(times) * 1000:.0f} ms, "
          f"median {sorted(times)[3] * 1000:.0f} ms")


if __name__ == "__main__":
    main()
