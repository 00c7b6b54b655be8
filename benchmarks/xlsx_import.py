"""Excel import figures: a 100,000-row children sheet.

    .venv/bin/python benchmarks/xlsx_import.py           # 100,000 rows
    .venv/bin/python benchmarks/xlsx_import.py --quick   # 2,000 rows: a smoke run

Writes the sheet once (openpyxl, write-only), then in a fresh process each: reading and
checking every cell (sheets.open_table, the same checks as a CSV file), and the whole
`import children` into a new database; prints seconds and peak memory (max RSS) of each.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path


def write_sheet(path: Path, n: int) -> float:
    from openpyxl import Workbook

    started = time.perf_counter()
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Kinderen")
    sheet.append(["child_id", "first_name", "last_name", "birth_date", "indicator",
                  "household_id", "address", "x", "y"])
    for i in range(n):
        sheet.append([f"K{i:07d}", f"Voornaam{i}", f"Achternaam{i % 997}",
                      date(2023 + i % 2, 1 + i % 12, 1 + i % 28), i % 2, f"H{i // 2:07d}",
                      f"Straat {i % 300} 9000 Gent", float(i % 5000), float(i % 7000)])
    book.save(path)
    return time.perf_counter() - started


def measure(mode: str, path: Path, db_file: Path) -> None:
    """One measurement in this (fresh) process; prints rows and seconds."""
    started = time.perf_counter()
    if mode == "read":
        from lopdesk.domain.sheets import open_table

        table = open_table(path.name, path.read_bytes(), ("child_id", "first_name",
                                                          "last_name"))
        rows = sum(1 for _ in table.rows())
    else:
        from lopdesk.config import Settings
        from lopdesk.db import Database
        from lopdesk.domain.imports import import_csv
        from lopdesk.domain.setup import initialise

        db = Database(Settings.from_cli(str(db_file), "bench"))
        initialise(db)
        rows = import_csv(db, "children", path).rows
        db.dispose()
    print(f"{rows} {time.perf_counter() - started:.2f}")


def run(mode: str, path: Path, db_file: Path) -> tuple[str, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    proc = subprocess.run([sys.executable, __file__, "--measure", mode, str(path),
                           str(db_file)], capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        raise SystemExit(proc.stdout + proc.stderr)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return proc.stdout.strip(), max(peak, before) / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--quick", action="store_true", help="2,000 rows: a smoke run")
    ap.add_argument("--measure", nargs=3, metavar=("MODE", "XLSX", "DB"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        measure(args.measure[0], Path(args.measure[1]), Path(args.measure[2]))
        return
    n = 2_000 if args.quick else args.rows
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "kinderen.xlsx"
        seconds = write_sheet(path, n)
        print(f"sheet of {n:,} rows written in {seconds:.1f} s "
              f"({path.stat().st_size / 1e6:.1f} MB)")
        for mode, what in (("read", "read and check every cell"),
                           ("import", "import children (all or nothing)")):
            out, peak_mb = run(mode, path, Path(tmp) / f"{mode}.db")
            rows, secs = out.split()
            print(f"{what}: {int(rows):,} rows in {float(secs):.2f} s, "
                  f"peak memory {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
