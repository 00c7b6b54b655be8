"""Allocation engine figures.

    .venv/bin/python benchmarks/allocation.py            # 100k x 10 x 2,000 and 1M x 10 x 20,000
    .venv/bin/python benchmarks/allocation.py --quick    # 2,000 children: a smoke run

Prints, for 100,000 children x 10 choices x 2,000 levels (priority groups, reserves, all
criteria): the engine seconds (places + deferred acceptance + waiting lists), the whole
`lopdesk allocate` command (CSV in, CSV out) and its peak memory; for 1,000,000 children
x 10 choices x 20,000 levels the engine seconds on arrays.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from lopdesk.matching.core import Problem, deferred_acceptance, level_summary, waitlists

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _figures import figure  # noqa: E402


def make_arrays(n: int, k: int, m: int, seed: int = 1) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    # each child picks k distinct levels near a 'home' level (popular levels more often)
    home = (rng.pareto(1.5, n) * m / 20).astype(np.int64) % m
    step = max(1, m // 64)
    offsets = np.argsort(rng.random((n, 32)), axis=1)[:, :k]
    levels = (home[:, None] + offsets * step) % m
    child = np.repeat(np.arange(n, dtype=np.int64), k)
    rank = np.tile(np.arange(1, k + 1, dtype=np.int64), n)
    cap = np.maximum(1, rng.poisson(0.9 * n / m, m)).astype(np.int64)
    res_ind = np.where(rng.random(m) < 0.5, (cap * 0.2).astype(np.int64), 0)
    return {"child": child, "level": levels.ravel().astype(np.int64), "rank": rank,
            "group": np.where(rng.random(n * k) < 0.1, 1, 3).astype(np.int64),
            "distance": rng.uniform(50, 9000, n * k), "indicator": rng.random(n) < 0.3,
            "lottery": rng.random(n), "cap": cap, "res_ind": res_ind,
            "prec": (rng.random(m) < 0.3).astype(np.int64),
            "crit": rng.integers(0, 4, m).astype(np.int64)}


def problem_of(a: dict[str, np.ndarray], n: int, m: int) -> Problem:
    return Problem(n_children=n, n_levels=m, app_child=a["child"], app_level=a["level"],
                   app_rank=a["rank"], app_group=a["group"], app_priority=a["group"] < 3,
                   app_distance=a["distance"], app_lottery=a["lottery"][a["child"]],
                   child_indicator=a["indicator"], level_capacity=a["cap"],
                   level_reserved_indicator=a["res_ind"],
                   level_reserved_non_indicator=np.zeros(m, dtype=np.int64),
                   level_precedence=a["prec"], level_criterion=a["crit"])


def engine_seconds(n: int, k: int, m: int) -> tuple[float, dict]:
    a = make_arrays(n, k, m)
    t = time.perf_counter()
    p = problem_of(a, n, m)
    place = p.places()
    t_place = time.perf_counter() - t
    res = deferred_acceptance(p, place)
    t_da = time.perf_counter() - t - t_place
    waitlists(p, res)
    level_summary(p, res)
    total = time.perf_counter() - t
    return total, {"places": t_place, "da": t_da, "rounds": res.rounds,
                   "placed": int((res.assigned_app >= 0).sum())}


def write_csv(folder: Path, a: dict[str, np.ndarray], n: int, m: int) -> None:
    folder.mkdir(parents=True)
    crit = ["random", "distance", "rank+random", "rank+distance"]
    with open(folder / "levels.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["level_id", "school_id", "capacity", "reserved_indicator", "precedence",
                    "criterion"])
        w.writerows([f"L{i:05d}", f"S{i // 2:05d}", int(a["cap"][i]), int(a["res_ind"][i]),
                     "contingent" if a["prec"][i] else "priority_first", crit[a["crit"][i]]]
                    for i in range(m))
    with open(folder / "children.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["child_id", "indicator"])
        w.writerows([f"K{c:07d}", int(a["indicator"][c])] for c in range(n))
    with open(folder / "applications.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["child_id", "rank", "level_id", "priority_group", "distance_m"])
        groups = np.where(a["group"] < 3, "sibling", "none")
        w.writerows([f"K{c:07d}", r, f"L{lv:05d}", g, f"{d:.1f}"] for c, r, lv, g, d in zip(
            a["child"].tolist(), a["rank"].tolist(), a["level"].tolist(), groups.tolist(),
            a["distance"].tolist(), strict=True))


def whole_command(n: int, k: int, m: int) -> tuple[float, float, dict]:
    with tempfile.TemporaryDirectory() as tmp:
        inp = Path(tmp) / "in"
        write_csv(inp, make_arrays(n, k, m), n, m)
        code = ("import json,resource,sys; from lopdesk.cli import main; "
                "sys.argv=['lopdesk','allocate',sys.argv[1],'--out',sys.argv[2],'--seed','7',"
                "'--json'];\ntry: main()\nexcept SystemExit: pass\n"
                "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)")
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        t = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", code, str(inp), str(Path(tmp) / "out")],
                              capture_output=True, text=True, check=True, env=env)
        wall = time.perf_counter() - t
        import json

        rec = json.loads(proc.stdout)
        peak_mb = int(proc.stderr.strip().splitlines()[-1]) / 1024
        return wall, peak_mb, rec


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-million", action="store_true",
                    help="skip the 1M x 10 x 20,000 whole command (minutes to set up)")
    args = ap.parse_args()
    sizes = [(2_000, 5, 50)] if args.quick else [(100_000, 10, 2_000)]
    for n, k, m in sizes:
        secs, info = engine_seconds(n, k, m)
        print(f"engine  {n:>9,} children x {k} choices x {m:,} levels: {secs:6.2f} s "
              f"(places {info['places']:.2f} s, DA {info['da']:.2f} s, {info['rounds']} "
              f"rounds, {info['placed']:,} placed)  target <= 0.2 s at 100k")
        figure(f"engine, {n:,} x {k} x {m:,}", f"{secs:.2f} s", "<= 0.2 s")
        whole(n, k, m, "<= 1.5 s")
    if not args.quick:
        n, k, m = 1_000_000, 10, 20_000
        secs, info = engine_seconds(n, k, m)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"engine  {n:>9,} children x {k} choices x {m:,} levels: {secs:6.2f} s "
              f"(places {info['places']:.2f} s, DA {info['da']:.2f} s, {info['rounds']} "
              f"rounds)  target <= 4 s;  peak memory of this process {peak:,.0f} MB")
        figure(f"engine, {n:,} x {k} x {m:,}", f"{secs:.2f} s", "<= 4 s")
        if not args.no_million:
            whole(n, k, m, "<= 15 s, <= 3 GB")


def baseline_seconds() -> float:
    """The bare interpreter's start (`python -c pass`), timed in the same run: the machine
    is shared, so the ratio to it is printed beside each whole-process figure."""
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.perf_counter() - t


def whole(n: int, k: int, m: int, target: str) -> None:
    base = baseline_seconds()
    wall, peak, rec = whole_command(n, k, m)
    t = rec["timings_s"]
    print(f"command {n:>9,} children: {wall:6.2f} s wall (read {t['read']:.2f}, engine "
          f"{t['engine']:.2f}, write {t['write']:.2f}), peak memory {peak:,.0f} MB; "
          f"python -c pass {base:.3f} s  target {target}")
    figure(f"lopdesk allocate, {n:,} x {k} x {m:,}, whole process",
           f"{wall:.2f} s (read {t['read']:.2f} s, {wall / base:.0f}x python -c pass), "
           f"peak {peak:,.0f} MB", target)


if __name__ == "__main__":
    main()
