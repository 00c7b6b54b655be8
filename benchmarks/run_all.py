"""`make bench`: every benchmark in turn, then all their figures in ONE table.

    .venv/bin/python benchmarks/run_all.py [--quick] [--pg-url URL]

Each script's own text goes to the terminal as it runs; the table at the end holds the
lines each printed with `_figures.figure` (measure, figure, target).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _figures import parse, table  # noqa: E402

SCRIPTS = ("allocation.py", "imports.py", "cli.py", "tui.py", "refused.py", "load.py")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--pg-url", help="PostgreSQL server for load.py (16 writers)")
    args = ap.parse_args()
    here = Path(__file__).resolve().parent
    rows: list[tuple[str, str, str]] = []
    failed = []
    for script in SCRIPTS:
        cmd = [sys.executable, str(here / script)] + (["--quick"] if args.quick else [])
        if script == "load.py" and args.pg_url and not args.quick:
            cmd += ["--pg-url", args.pg_url]
        print(f"== {script}", flush=True)
        proc = subprocess.run(cmd, capture_output=True, text=True)
        sys.stdout.write(proc.stdout)
        sys.stderr.write(proc.stderr[-4000:])
        rows += parse(proc.stdout)
        if proc.returncode:
            failed.append(script)
    print()
    print(table(rows))
    if failed:
        print(f"targets missed or errors in: {', '.join(failed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
