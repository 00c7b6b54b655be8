"""Whole-process figures of the command line and the app, as a user meets them.

    .venv/bin/python benchmarks/cli.py [--quick] [--size large]

- `lopdesk counters` on the demo area, the whole process (best of 5)   target <= 0.35 s
- `lopdesk` to the first screen, the whole process (large demo area)   target <= 0.8 s
  (headless: the process starts, opens the app with Textual's test driver, and reports
  when the overview table has its rows; the time is measured from outside)

`--quick` builds the small demo area and runs each once, judging no target.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _figures import figure  # noqa: E402

FIRST_SCREEN = """
import asyncio, sys
from lopdesk.app import make_app
from lopdesk.config import Settings
from lopdesk.db import Database
from lopdesk.screens.widgets.table import VirtualTable

async def main():
    app = make_app(Database(Settings.from_cli(sys.argv[1])))
    async with app.run_test(size=(120, 40)) as pilot:
        while True:
            try:
                if len(app.screen.query_one(VirtualTable).rows) > 0:
                    break
            except Exception:
                pass
            await pilot.pause(0.005)
        print("READY", flush=True)

asyncio.run(main())
"""


def _wall(cmd: list[str], env: dict[str, str], until: str | None = None) -> float:
    t = time.perf_counter()
    if until is None:
        subprocess.run(cmd, env=env, check=True, capture_output=True)
        return time.perf_counter() - t
    with subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.strip() == until:
                wall = time.perf_counter() - t
                break
        else:
            raise RuntimeError("the app never showed its first screen")
        proc.wait(timeout=120)
    return wall


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--size", default="large", help="demo size for the figures (large)")
    args = ap.parse_args()
    size = "small" if args.quick else args.size
    runs = 1 if args.quick else 5
    lopdesk = str(Path(sys.executable).with_name("lopdesk"))
    with tempfile.TemporaryDirectory(prefix="lopdesk-bench-cli-") as tmp:
        db = str(Path(tmp) / "demo.db")
        env = {**os.environ, "LOPDESK_DB": db}
        subprocess.run([lopdesk, "demo", "--size", size], env=env, check=True,
                       capture_output=True)
        counters = min(_wall([lopdesk, "counters"], env) for _ in range(runs))
        first = min(_wall([sys.executable, "-c", FIRST_SCREEN, db], env, until="READY")
                    for _ in range(runs))
    print(f"lopdesk counters ({size} demo), whole process: {counters:.3f} s (target <= 0.35 s)")
    print(f"lopdesk to first screen ({size} demo), whole process: {first:.3f} s "
          "(target <= 0.8 s)")
    figure(f"lopdesk counters, whole process ({size} demo)", f"{counters:.2f} s", "<= 0.35 s")
    figure(f"lopdesk to first screen, whole process ({size} demo)", f"{first:.2f} s",
           "<= 0.8 s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
