"""Register import figures: lines per second and peak memory of the import process.

    .venv/bin/python benchmarks/imports.py [--rows 100000] [--million] [--quick]
                                           [--baseline REV | --no-baseline] [--pg URL]

Sets up a database with 400 levels and the children, writes register.csv with one line
per child (a fifth of them refused, so the LOP notifications are written too), then
imports it in a separate process (`import_csv(db, "register", ...)`) and reports its wall
time and peak resident memory (ru_maxrss of that process alone).

The machine is shared and noisy, so the same run also imports the same file into a copy
of the same database with the code of a baseline commit (`git archive REV lopdesk`, by
default the last commit before the import streamed) and prints the ratio beside the
absolute figures. The baseline is skipped for runs above 100,000 lines (it holds every
row in memory: about 5 GB at a million) and in --quick mode.
With --pg (a PostgreSQL server URL, e.g. postgresql+psycopg://postgres@127.0.0.1:55441/
postgres) the databases are made on that server instead (COPY there; executemany in the
baseline). Targets: >= 40,000 lines/s and <= 150 MB at 100,000 lines; 1,000,000 lines <= 300 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from datetime import datetime, timedelta
from io import BytesIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _figures import figure  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BASELINE = "89c8c72"  # the last commit whose register import held the whole file
BASELINE_MAX_ROWS = 100_000

IMPORT = """
import json, resource, sys, time
from lopdesk.config import Settings
from lopdesk.db import Database
from lopdesk.domain.imports import import_csv
db = Database(Settings.from_cli(sys.argv[1], "bench"))
t = time.perf_counter()
summary = import_csv(db, "register", sys.argv[2])
print(json.dumps({"seconds": time.perf_counter() - t, "rows": summary.rows,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def setup(d: Path, n: int, db_path: str) -> None:
    """The database (areas, schools, levels through the imports; the children inserted
    directly, in parts) and register.csv."""
    from lopdesk.config import Settings
    from lopdesk.db import Database
    from lopdesk.domain.bulk import insert_rows
    from lopdesk.domain.imports import import_csv
    from lopdesk.domain.models import Child
    from lopdesk.domain.setup import initialise

    db = Database(Settings.from_cli(db_path, "bench"))
    initialise(db)
    (d / "areas.csv").write_text("area_id,name\nA,Bench\n")
    (d / "schools.csv").write_text("school_id,area_id,name\n" + "".join(
        f"S{i:03d},A,School {i}\n" for i in range(100)))
    (d / "levels.csv").write_text(
        "level_id,school_id,school_year,regime,kind,label,capacity\n" + "".join(
            f"L{i:03d},S{i // 4:03d},2027,new,primary_grade,{i % 4 + 1},10000\n"
            for i in range(400)))
    for kind in ("areas", "schools", "levels"):
        import_csv(db, kind, d / f"{kind}.csv")
    for start in range(0, n, 50_000):
        with db.write() as s:
            insert_rows(s, Child.__table__, [  # type: ignore[attr-defined]
                {"id": f"K{i:07d}", "first_name": f"Voornaam{i}", "last_name": f"Naam{i}",
                 "indicator": i % 3 == 0} for i in range(start, min(n, start + 50_000))])
    start_at = datetime(2027, 3, 1, 9, 0)
    with open(d / "register.csv", "w") as f:
        f.write("school_id,level_id,child_id,requested_at,priority_group,indicator,status\n")
        f.writelines(f"S{(i % 400) // 4:03d},L{i % 400:03d},K{i:07d},"
                     f"{(start_at + timedelta(seconds=i)).isoformat()},none,{i % 3 == 0:d},"
                     f"{'realised' if i < n * 0.8 else 'non_realised'}\n" for i in range(n))
    db.dispose()


class Databases:
    """The set-up database and its copies: files, or databases on a PostgreSQL server."""

    def __init__(self, d: Path, pg_url: str | None):
        self.d, self.pg_url = d, pg_url
        self.names: list[str] = []
        self.base = self.make("base", template=None)

    def make(self, name: str, template: str | None) -> str:
        if self.pg_url is None:
            path = self.d / f"{name}.db"
            if template is not None:
                shutil.copy(template, path)
            return str(path)
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        full = f"lopdesk_bench_{os.getpid()}_{name}"
        admin = create_engine(self.pg_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{full}"'))
            like = f' TEMPLATE "{make_url(template).database}"' if template else ""
            conn.execute(text(f'CREATE DATABASE "{full}"{like}'))
        admin.dispose()
        self.names.append(full)
        return make_url(self.pg_url).set(database=full).render_as_string(hide_password=False)

    def drop(self) -> None:
        if self.pg_url is None:
            return
        from sqlalchemy import create_engine, text

        admin = create_engine(self.pg_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for name in self.names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def baseline_code(rev: str, into: Path) -> Path | None:
    """The lopdesk package of commit `rev`, unpacked into `into`; None without git."""
    try:
        raw = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "lopdesk"],
                             capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    with tarfile.open(fileobj=BytesIO(raw)) as tar:
        tar.extractall(into, filter="data")
    return into


def run_import(db: str, csv: Path, code: Path) -> dict:
    """One import in a fresh process whose `lopdesk` is the package under `code`."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    proc = subprocess.run([sys.executable, "-c", IMPORT, db, str(csv)],
                          capture_output=True, text=True, env=env, cwd=code)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def measure(n: int, baseline: str | None, pg_url: str | None) -> tuple[dict, dict | None]:
    with tempfile.TemporaryDirectory(prefix="lopdesk-bench-import-") as tmp:
        d = Path(tmp)
        dbs = Databases(d, pg_url)
        try:
            setup(d, n, dbs.base)
            old = None
            if baseline and n <= BASELINE_MAX_ROWS:
                code = baseline_code(baseline, d / "baseline")
                if code is None:
                    print(f"baseline {baseline} not available (git archive failed): skipped")
                else:
                    old = run_import(dbs.make("old", dbs.base), d / "register.csv", code)
            new = run_import(dbs.make("new", dbs.base), d / "register.csv", ROOT)
        finally:
            dbs.drop()
        assert new["rows"] == n, new
    return new, old


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--million", action="store_true", help="also 1,000,000 lines")
    ap.add_argument("--only-million", action="store_true", help="only 1,000,000 lines")
    ap.add_argument("--quick", action="store_true", help="2,000 lines: a smoke run")
    ap.add_argument("--baseline", default=BASELINE, help="commit to compare with")
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--pg", metavar="URL", help="a PostgreSQL server instead of SQLite")
    args = ap.parse_args()
    sizes = [2_000] if args.quick else [1_000_000] if args.only_million else (
        [args.rows] + ([1_000_000] if args.million else []))
    baseline = None if args.quick or args.no_baseline else args.baseline
    for n in sizes:
        new, old = measure(n, baseline, args.pg)
        secs, peak = new["seconds"], new["peak_mb"]
        target = ">= 40,000 lines/s, <= 150 MB" if n <= 100_000 else "completes, <= 300 MB"
        where = " (PostgreSQL)" if args.pg else ""
        print(f"register import{where} {n:,} lines: {secs:.2f} s = {n / secs:,.0f} lines/s, "
              f"peak {peak:,.0f} MB (target {target})")
        value = f"{n / secs:,.0f} lines/s, peak {peak:,.0f} MB"
        if old is not None:
            print(f"  baseline {baseline} in the same run: {old['seconds']:.2f} s = "
                  f"{n / old['seconds']:,.0f} lines/s, peak {old['peak_mb']:,.0f} MB; "
                  f"speed x{old['seconds'] / secs:.2f}, memory x{peak / old['peak_mb']:.2f}")
            value += f" (x{old['seconds'] / secs:.1f} speed, x{peak / old['peak_mb']:.2f} memory " \
                     f"vs {baseline})"
        figure(f"register import{where}, {n:,} lines", value, target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
