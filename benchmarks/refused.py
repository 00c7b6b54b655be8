"""Speed of the list of refused children (Uitgesteld / Niet-gerealiseerd), the mediation
cell's worklist, on the normal demo area (about 8,600 deferred or refused lines):

- the domain read (`directory.refused_children`) and the screen's gathering (`gather`)
- the screen opened in the app: from the key press to every row shown      target ≤ 1 s

    .venv/bin/python benchmarks/refused.py [--db /tmp/x.db] [--runs 5] [--profile]

Without --db a normal demo area is built in a temporary folder first (about 10 s); with
--db an existing database is used (built by `lopdesk --db PATH demo` when missing). Each
figure is the median of --runs runs. --profile prints where the time of one open goes;
--quick (the suite's smoke run) uses the small demo area once and judges no target.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _figures import figure  # noqa: E402
from tui import _profiler, _report, calibration, until  # noqa: E402

TARGET = 1.0


def open_db(path: Path, size: str = "normal"):
    from lopdesk.config import Settings
    from lopdesk.db import Database

    if not path.exists():
        from lopdesk import demo
        from lopdesk.domain.setup import initialise

        db = Database(Settings.from_cli(str(path)))
        initialise(db)
        demo.generate(db, size=size)
        return db
    return Database(Settings.from_cli(str(path)))


def timed(fn, runs: int) -> float:
    fn()  # warm the page cache
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return statistics.median(out)


async def open_screen(db, runs: int, profile: bool) -> tuple[float, int, float, float]:
    """The median time from switching to the screen to its rows shown; the rows; the
    longest the UI thread was busy without a break (a frozen screen) during the opens; and
    the median processor time of an open (both threads: what a shared machine's load does
    not stretch)."""
    from lopdesk.app import make_app
    from lopdesk.screens.deferred import DeferredScreen
    from lopdesk.screens.widgets.table import VirtualTable

    app = make_app(db)
    times, cpu = [], []
    stall = 0.0
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: len(app.screen.query_one(VirtualTable).rows) > 0)
        await until(pilot, lambda: bool(app.area.levels))
        for n in range(runs + 1):  # the first open warms up (imports, styles)
            await until(pilot, lambda: not [w for w in app.workers if w.is_running
                                            and w.group not in ("poll", "index")])
            prof = _profiler(profile and n == runs)
            beats: list[float] = []
            timer = app.set_interval(0.01, lambda beats=beats: beats.append(time.perf_counter()))
            t, c = time.perf_counter(), time.process_time()
            await app.switch_mode("deferred")
            screen = app.screen
            await until(pilot, lambda screen=screen: isinstance(screen, DeferredScreen)
                        and screen.children_rows
                        and len(screen.query_one(VirtualTable).rows) > 0)
            await pilot.pause()
            took, used = time.perf_counter() - t, time.process_time() - c
            timer.stop()
            beats = [t, *beats, time.perf_counter()]
            if n:
                times.append(took)
                cpu.append(used)
                stall = max(stall, max(b - a for a, b in zip(beats, beats[1:], strict=False)))
            if prof is not None:
                prof.disable()
                _report(prof, "UI en werkdraad tijdens het openen")
            rows = len(screen.query_one(VirtualTable).rows)
            await app.switch_mode("overview")
            app.remove_mode("deferred")
            app.add_mode("deferred", DeferredScreen)
            await pilot.pause()
    return statistics.median(times), rows, stall, statistics.median(cpu)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", help="an existing database (built with the demo when missing)")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--quick", action="store_true",
                    help="small demo area, one run, no target judged (the suite's smoke run)")
    args = ap.parse_args(argv)
    if args.quick:
        args.runs, args.db = 1, None
    from lopdesk.domain import directory
    from lopdesk.screens import deferred

    base = calibration()
    with tempfile.TemporaryDirectory(prefix="lopdesk-bench-") as tmp:
        db = open_db(Path(args.db) if args.db else Path(tmp) / "refused.db",
                     "small" if args.quick else "normal")
        read = timed(lambda: directory.refused_children(db), args.runs)
        gathered = timed(lambda: deferred.gather(db), args.runs)
        if args.profile:
            prof = _profiler(True)
            deferred.gather(db)
            prof.disable()
            _report(prof, "gather (werkdraad)")
        opened, rows, stall, cpu = asyncio.run(open_screen(db, args.runs, args.profile))
        db.dispose()
    base = min(base, calibration())
    print(f"{'kalibratie (vaste Python-last, de basislijn)':<44} {base:6.3f} s")
    print(f"{'lezen (directory.refused_children)':<44} {read:6.3f} s")
    print(f"{'verzamelen (deferred.gather)':<44} {gathered:6.3f} s")
    good = opened <= TARGET
    print(f"{f'scherm openen tot {rows} kinderen getoond':<44} {opened:6.3f} s "
          f"({opened / base:.2f}× kalibratie; doel ≤ {TARGET} s) {'OK' if good else 'TE TRAAG'}")
    print(f"{'  … processortijd van het openen':<44} {cpu:6.3f} s")
    print(f"{'langste blokkering van de UI-draad':<44} {stall:6.3f} s")
    figure("app: open the list of refused children (normal demo)",
           f"{opened:.3f} s ({opened / base:.2f}× calibration)", f"<= {TARGET} s")
    return 0 if good or args.quick else 1


if __name__ == "__main__":
    sys.exit(main())
