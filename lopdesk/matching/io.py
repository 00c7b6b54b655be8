"""Files in, files out: the stateless allocation of formats.md around the numpy core.

`run_allocation(INPUT_DIR, OUTPUT_DIR, seed=, tiebreak=, improve=)` reads levels.csv,
children.csv and applications.csv, checks every rule of formats.md (an error names file,
line and column; nothing is written), runs the engine and writes assignments.csv,
waitlist.csv, levels.csv, run.json and a copy of the input (input/) into OUTPUT_DIR
atomically (a
temporary folder renamed at the end, so a failed run leaves no folder behind).
"""

from __future__ import annotations

import csv
import getpass
import hashlib
import io
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from lopdesk.errors import InvalidInput
from lopdesk.matching.core import (
    ENGINE_VERSION,
    Result,
    deferred_acceptance,
    level_summary,
    waitlists,
)
from lopdesk.matching.reader import INPUT_FILES, Inputs, draw_lottery, read_input

__all__ = ["Inputs", "draw_lottery", "read_input", "run_allocation", "solve"]

Progress = Callable[[str, float], None]


def solve(inputs: Inputs, improve: bool = False) -> Result:
    result = deferred_acceptance(inputs.problem)
    if improve:
        from lopdesk.matching.improve import improvement_cycles

        result = improvement_cycles(inputs.problem, result)
    return result


def _csv_text(header: list[str], rows: list[list]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def cutoff_label(inputs: Inputs, app: int, place: np.ndarray) -> str:
    """The last admitted child's priority group and number (its place in the level's order)."""
    if app < 0:
        return ""
    return f"{inputs.group_names[app]} #{int(place[app]) + 1}"


def outputs(inputs: Inputs, result: Result) -> dict[str, str]:
    """The text of every output file except run.json."""
    p = inputs.problem
    order = sorted(range(p.n_children), key=lambda c: inputs.child_ids[c])
    assigned = result.assigned_app.tolist()
    app_level, app_rank = p.app_level.tolist(), p.app_rank.tolist()
    assign_rows = []
    for c in order:
        a = assigned[c]
        if a >= 0:
            assign_rows.append([inputs.child_ids[c], inputs.level_ids[app_level[a]],
                                app_rank[a]])
        else:
            assign_rows.append([inputs.child_ids[c], "", ""])
    w_apps, w_pos = waitlists(p, result)
    # sorted by level id (as text), then position: with numpy, the rows built once
    level_text_rank = np.empty(p.n_levels, dtype=np.int64)
    level_text_rank[sorted(range(p.n_levels), key=lambda i: inputs.level_ids[i])] = \
        np.arange(p.n_levels)
    w_level = p.app_level[w_apps]
    order = np.lexsort((w_pos, level_text_rank[w_level]))
    child_names = np.array(inputs.child_ids, dtype=object)
    level_names = np.array(inputs.level_ids, dtype=object)
    wait_rows = list(zip(child_names[p.app_child[w_apps][order]].tolist(),
                         level_names[w_level[order]].tolist(), w_pos[order].tolist(),
                         strict=True))
    summary = level_summary(p, result)
    level_rows = []
    for lv in sorted(range(p.n_levels), key=lambda i: inputs.level_ids[i]):
        level_rows.append([inputs.level_ids[lv], int(p.level_capacity[lv]),
                           int(summary.assigned[lv]), int(summary.assigned_indicator[lv]),
                           cutoff_label(inputs, int(summary.last_app[lv]), result.place),
                           int(summary.applicants[lv]),
                           int(p.level_reserved_indicator[lv]),
                           int(p.level_reserved_non_indicator[lv])])
    return {
        "assignments.csv": _csv_text(["child_id", "level_id", "choice_rank"], assign_rows),
        "waitlist.csv": _csv_text(["child_id", "level_id", "position"], wait_rows),
        "levels.csv": _csv_text(["level_id", "capacity", "assigned", "assigned_indicator",
                                 "cutoff", "applicants", "reserved_indicator",
                                 "reserved_non_indicator"], level_rows),
    }


def counts(inputs: Inputs, result: Result) -> dict:
    p = inputs.problem
    placed = result.assigned_app >= 0
    ranks = p.app_rank[result.assigned_app[placed]]
    dist = {str(int(r)): int(c) for r, c in zip(*np.unique(ranks, return_counts=True),
                                                 strict=True)}
    return {
        "children": p.n_children, "levels": p.n_levels, "applications": p.n_applications,
        "places": int(p.level_capacity.sum()), "placed": int(placed.sum()),
        "unplaced": int((~placed).sum()), "first_choice": dist.get("1", 0),
        "rank_distribution": dist, "da_rounds": result.rounds, "proposals": result.proposals,
        "improvement_cycles": result.improvement_cycles,
        "improved_children": result.improved_children,
    }


def check_out_dir(out_dir: Path) -> None:
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise InvalidInput(f"uitvoermap {out_dir} bestaat al en is niet leeg: kies een nieuwe "
                           "map (eerdere resultaten worden nooit overschreven)", field="--out")


def write_folder(out_dir: Path, files: dict[str, str], record: dict,
                 before_record: Callable[[dict], None] | None = None,
                 copies: dict[str, Path] | None = None) -> None:
    """Write the output files and run.json into a temporary folder next to `out_dir`, then
    rename it: a failed run leaves no folder behind, a finished one is complete."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        for fname, text in files.items():
            (tmp / fname).write_text(text, encoding="utf-8", newline="")
        for fname, source in (copies or {}).items():  # the input, kept with its results
            (tmp / fname).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, tmp / fname)
        if before_record is not None:
            before_record(record)
        record["ended_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        (tmp / "run.json").write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n",
                                      encoding="utf-8")
        if out_dir.exists():
            out_dir.rmdir()
        tmp.rename(out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def run_allocation(input_dir: Path | str, out_dir: Path | str, *, seed: int | None = None,
                   tiebreak: str = "single", improve: bool = False, user: str | None = None,
                   progress: Progress | None = None) -> dict:
    """The stateless run of formats.md; returns the run record (also written as run.json)."""
    input_dir, out_dir = Path(input_dir), Path(out_dir)
    check_out_dir(out_dir)
    started = datetime.now(UTC)
    report = progress or (lambda _step, _frac: None)
    t0 = time.perf_counter()
    report("invoer lezen", 0.0)
    inputs = read_input(input_dir, seed=seed, tiebreak=tiebreak)
    t1 = time.perf_counter()
    report("toewijzen", 0.3)
    result = solve(inputs, improve)
    t2 = time.perf_counter()
    report("resultaten schrijven", 0.8)
    files = outputs(inputs, result)
    mechanism = "DA-STB" if tiebreak == "single" else "DA-MTB"
    record = {
        "engine_version": ENGINE_VERSION,
        "mechanism": mechanism + ("+SIC" if improve else ""),
        "options": {"tiebreak": tiebreak, "improve": improve,
                    "lottery": "given" if inputs.lottery_given else "drawn from seed and child id"},
        "seed": inputs.seed,
        "input_sha256": inputs.hashes,
        "assignments_sha256": hashlib.sha256(files["assignments.csv"].encode()).hexdigest(),
        "counts": counts(inputs, result),
        "started_at": started.isoformat(timespec="seconds"),
        "user": user or os.environ.get("LOPDESK_USER") or getpass.getuser(),
    }
    def finish(rec: dict) -> None:
        rec["timings_s"] = {"read": round(t1 - t0, 4), "engine": round(t2 - t1, 4),
                            "write": round(time.perf_counter() - t2, 4)}

    copies = {f"input/{name}": input_dir / name for name in INPUT_FILES}
    write_folder(out_dir, files, record, before_record=finish, copies=copies)
    report("klaar", 1.0)
    return record
