"""Register import figures: lines per second and peak memory of the import process.

    .venv/bin/python benchmarks/imports.py [--rows 100000] [--million] [--quick]

Sets up a database with 400 levels and the children, writes register.csv with one line
per child, then imports it in a separate process (`import_csv(db, "register", ...)`) and
reports its wall time and peak resident memory (ru_maxrss of that process alone).
Targets: >= 40,000 lines/s and <= 150 MB at 100,000 lines; 1,000,000 lines <= 300 MB.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _figures import figure  # noqa: E402

IMPORT = """
import json, resource, sys, time
from lopdesk.config import Settings
from lopdesk.db import Database
from lopdesk.domain.imports import import_csv
db = Database(Settings.from_cli(sys.argv[1], "bench"))
t = time.perf_counter()
import_csv(db, "register", sys.argv[2])
print(json.dumps({"seconds": time.perf_counter() - t,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def setup(d: Path, n: int) -> Path:
    from lopdesk.config import Settings
    from lopdesk.db import Database
    from lopdesk.domain.imports import import_csv
    from lopdesk.domain.setup import initialise

    db_path = d / "b.db"
    db = Database(Settings.from_cli(str(db_path), "bench"))
    initialise(db)
    (d / "areas.csv").write_text("area_id,name\nA,Bench\n")
    (d / "schools.csv").write_text("school_id,area_id,name\n" + "".join(
        f"S{i:03d},A,School {i}\n" for i in range(100)))
    (d / "levels.csv").write_text(
        "level_id,school_id,school_year,regime,kind,label,capacity\n" + "".join(
            f"L{i:03d},S{i // 4:03d},2027,new,primary_grade,{i % 4 + 1},10000\n"
            for i in range(400)))
    with open(d / "children.csv", "w") as f:
        f.write("child_id,first_name,last_name,indicator\n")
        f.writelines(f"K{i:07d},Voornaam{i},Naam{i},{i % 3 == 0:d}\n" for i in range(n))
    start = datetime(2027, 3, 1, 9, 0)
    with open(d / "register.csv", "w") as f:
        f.write("school_id,level_id,child_id,requested_at,priority_group,indicator,status\n")
        f.writelines(f"S{(i % 400) // 4:03d},L{i % 400:03d},K{i:07d},"
                     f"{(start + timedelta(seconds=i)).isoformat()},none,{i % 3 == 0:d},"
                     f"{'realised' if i < n * 0.8 else 'non_realised'}\n" for i in range(n))
    for kind in ("areas", "schools", "levels", "children"):
        import_csv(db, kind, d / f"{kind}.csv")
    db.dispose()
    return db_path


def measure(n: int) -> tuple[float, float]:
    import json

    with tempfile.TemporaryDirectory(prefix="lopdesk-bench-import-") as tmp:
        db_path = setup(Path(tmp), n)
        proc = subprocess.run([sys.executable, "-c", IMPORT, str(db_path),
                               str(Path(tmp) / "register.csv")],
                              capture_output=True, text=True, check=True)
        rec = json.loads(proc.stdout.strip().splitlines()[-1])
    return rec["seconds"], rec["peak_mb"]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--million", action="store_true", help="also 1,000,000 lines")
    ap.add_argument("--quick", action="store_true", help="2,000 lines: a smoke run")
    args = ap.parse_args()
    sizes = [2_000] if args.quick else [args.rows] + ([1_000_000] if args.million else [])
    for n in sizes:
        secs, peak = measure(n)
        target = ">= 40,000 lines/s, <= 150 MB" if n <= 100_000 else "completes, <= 300 MB"
        print(f"register import {n:,} lines: {secs:.2f} s = {n / secs:,.0f} lines/s, "
              f"peak {peak:,.0f} MB (target {target})")
        figure(f"register import, {n:,} lines", f"{n / secs:,.0f} lines/s, peak {peak:,.0f} MB",
               target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
