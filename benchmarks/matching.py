"""Allocation engine figures: synthetic areas of growing size, DA-STB with and without
improvement cycles, through the file adapter (read, engine, write) as a LOP runs it.

    .venv/bin/python benchmarks/matching.py [--sizes 5000,20000,100000]
"""

from __future__ import annotations

import argparse
import csv
import random
import tempfile
import time
from pathlib import Path

from lopdesk.matching.io import run_allocation


def make_input(folder: Path, children: int, levels: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    folder.mkdir(parents=True)
    with open(folder / "levels.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["level_id", "school_id", "capacity", "reserved_indicator", "precedence",
                    "criterion"])
        per = max(1, int(children * 0.95 / levels))
        for i in range(levels):
            w.writerow([f"L{i:04d}", f"S{i // 2:04d}", per, per // 4 if i % 3 == 0 else 0,
                        "contingent" if i % 5 == 0 else "priority_first",
                        ["random", "distance", "rank+random", "rank+distance"][i % 4]])
    with open(folder / "children.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["child_id", "indicator"])
        for c in range(children):
            w.writerow([f"K{c:06d}", int(rng.random() < 0.3)])
    popular = [rng.paretovariate(1.2) for _ in range(levels)]
    with open(folder / "applications.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["child_id", "rank", "level_id", "priority_group", "distance_m"])
        for c in range(children):
            chosen = set()
            while len(chosen) < rng.randint(1, 5):
                chosen.add(rng.choices(range(levels), popular)[0])
            for r, lv in enumerate(chosen, 1):
                group = "sibling" if rng.random() < 0.1 else "none"
                w.writerow([f"K{c:06d}", r, f"L{lv:04d}", group, rng.randint(100, 9000)])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="5000,20000,100000")
    args = ap.parse_args()
    print(f"{'children':>9} {'levels':>6} {'apps':>7} {'read s':>7} {'engine s':>8} "
          f"{'write s':>7} {'rounds':>6} {'placed':>7} {'improve s':>9} {'gained':>6}")
    for n in (int(x) for x in args.sizes.split(",")):
        levels = max(20, n // 40)
        with tempfile.TemporaryDirectory() as tmp:
            inp = Path(tmp) / "in"
            make_input(inp, n, levels)
            rec = run_allocation(inp, Path(tmp) / "out", seed=7, user="bench")
            t = time.perf_counter()
            rec2 = run_allocation(inp, Path(tmp) / "out2", seed=7, improve=True, user="bench")
            t_imp = time.perf_counter() - t
            c, tm = rec["counts"], rec["timings_s"]
            print(f"{n:>9} {levels:>6} {c['applications']:>7} {tm['read']:>7.2f} "
                  f"{tm['engine']:>8.3f} {tm['write']:>7.2f} {c['da_rounds']:>6} "
                  f"{c['placed']:>7} {t_imp:>9.2f} {rec2['counts']['improved_children']:>6}")


if __name__ == "__main__":
    main()
