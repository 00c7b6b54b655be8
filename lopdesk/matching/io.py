"""Files in, files out: the stateless allocation of formats.md around the numpy core.

`run_allocation(INPUT_DIR, OUTPUT_DIR, seed=, tiebreak=, improve=)` reads levels.csv,
children.csv and applications.csv, checks every rule of formats.md (an error names file,
line and column; nothing is written), runs the engine and writes assignments.csv,
waitlist.csv, levels.csv, run.json and a copy of the input (input/) into OUTPUT_DIR
atomically, group-readable and private to the group (matching/outdir.py).
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from lopdesk.errors import InvalidInput
from lopdesk.matching.codes import TIEBREAKS
from lopdesk.matching.core import (
    ENGINE_VERSION,
    Problem,
    Result,
    deferred_acceptance,
    level_summary,
    waitlists,
)
from lopdesk.matching.csvout import as_bytes, csv_bytes, numbers
from lopdesk.matching.io_read import (  # noqa: F401  (_int, _required, _rows: hague_io)
    DEFAULT_PRIORITY_ORDER,
    KNOWN_GROUPS,
    GroupNames,
    _fast_applications,
    _int,
    _required,
    _rows,
    _slow_applications,
    bulk_applications,
    read_children,
    read_levels,
)
from lopdesk.matching.outdir import check_out_dir, write_folder

INPUT_FILES = ("levels.csv", "children.csv", "applications.csv")

Progress = Callable[[str, float], None]


@dataclass
class Inputs:
    """A parsed, checked input folder: the Problem plus the ids and names to write back."""

    problem: Problem
    level_ids: list[str]
    school_ids: list[str]
    level_names: list[str]
    child_ids: list[str]
    group_names: GroupNames  # per application: the group the level honours, or "none"
    priority_orders: list[list[str]]
    hashes: dict[str, str]
    seed: int
    tiebreak: str
    lottery_given: bool


# --- reading -----------------------------------------------------------------------


def _hash_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def draw_lottery(seed: int, child_id: str, level_id: str | None = None) -> float:
    """The lottery number of a child (single) or of a child at a level (multiple), from the
    recorded seed and the ids only, never from the order of rows (ALC-03). Lower = earlier."""
    key = f"lopdesk-lottery/1/{seed}/{child_id}" + ("" if level_id is None else f"/{level_id}")
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return int.from_bytes(digest[:7], "big") / float(1 << 56)


def _lotteries(seed: int, child_ids: list[str], given: list[float | None]) -> np.ndarray:
    """draw_lottery of every child without a given number, with the hash of the common
    prefix computed once; when none is given, the numbers are taken from all the digests
    at once (the first 7 bytes, big-endian, over 2**56, as draw_lottery takes them)."""
    base = hashlib.sha256(f"lopdesk-lottery/1/{seed}/".encode())
    if given.count(None) < len(given):
        return np.array([draw_lottery(seed, cid) if g is None else g
                         for cid, g in zip(child_ids, given, strict=True)], dtype=np.float64)
    if not child_ids:
        return np.zeros(0, dtype=np.float64)

    def digest(cid: bytes, copy: Callable = base.copy) -> bytes:
        h = copy()
        h.update(cid)
        return h.digest()

    raw = b"".join(map(digest, as_bytes(child_ids).tolist()))
    first = np.frombuffer(raw, dtype=">u8").reshape(-1, 4)[:, 0] >> np.uint64(8)
    return first.astype(np.float64) / float(1 << 56)


def read_input(input_dir: Path, *, seed: int | None = None, tiebreak: str = "single") -> Inputs:
    input_dir = Path(input_dir)
    if tiebreak not in TIEBREAKS:
        raise InvalidInput(f"onbekende tie-break '{tiebreak}': kies single of multiple",
                           field="tiebreak")
    if not input_dir.is_dir():
        raise InvalidInput(f"invoermap {input_dir} bestaat niet", field="INPUT_DIR")
    if seed is None:
        seed = secrets.randbelow(2**31)
    if seed < 0:
        raise InvalidInput(f"zaad {seed} moet ≥ 0 zijn", field="seed")

    (level_ids, school_ids, level_names, caps, r_ind, r_non, prec, crit, orders,
     level_index) = read_levels(input_dir)
    child_index, child_ids, indicator, given = read_children(input_dir, tiebreak)

    # applications.csv: a vectorised reader; any doubt and the row-by-row reader
    # finds the exact line and column of the problem
    a_child, a_rank, a_level, app_distance, (table, a_codes) = _applications(
        input_dir / "applications.csv", child_index, child_ids, level_index, level_ids, crit,
        orders)
    order = _ordered(a_child, a_rank)  # by child, then rank
    app_child, app_rank, app_level = a_child[order], a_rank[order], a_level[order]
    app_distance, codes = app_distance[order], a_codes[order]
    n_apps = int(app_child.size)
    ranks = np.empty((len(level_ids), max(len(table), 1)), dtype=np.int64)
    for lv, lv_order in enumerate(orders):
        for g, name in enumerate(table):
            ranks[lv, g] = lv_order.index(name) if name in lv_order else len(lv_order)
    group_rank = ranks[app_level, codes] if n_apps else np.zeros(0, np.int64)
    n_groups = np.array([len(o) for o in orders], dtype=np.int64)
    priority = group_rank < (n_groups[app_level] if n_apps else np.zeros(0, np.int64))
    names = [*table, "none"]
    group_names = GroupNames(names, np.where(priority, codes, len(table)))
    del a_child, a_rank, a_level, a_codes, order
    if tiebreak == "single":
        child_lot = np.array(_lotteries(seed, child_ids, given), dtype=np.float64)
        app_lottery = child_lot[app_child] if n_apps else np.zeros(0)
    else:
        app_lottery = np.array([draw_lottery(seed, child_ids[c], level_ids[lv])
                                for c, lv in zip(app_child.tolist(), app_level.tolist(),
                                                 strict=True)], dtype=np.float64)
    problem = Problem(
        n_children=len(child_ids), n_levels=len(level_ids), app_child=app_child,
        app_level=app_level, app_rank=app_rank, app_group=group_rank, app_priority=priority,
        app_distance=app_distance, app_lottery=app_lottery,
        child_indicator=np.array(indicator, dtype=bool),
        level_capacity=np.array(caps, dtype=np.int64),
        level_reserved_indicator=np.array(r_ind, dtype=np.int64),
        level_reserved_non_indicator=np.array(r_non, dtype=np.int64),
        level_precedence=np.array(prec, dtype=np.int64),
        level_criterion=np.array(crit, dtype=np.int64))
    hashes = {f: _hash_file(input_dir / f) for f in INPUT_FILES}
    hashes["combined"] = hashlib.sha256(
        "".join(hashes[f] for f in INPUT_FILES).encode()).hexdigest()
    return Inputs(problem, level_ids, school_ids, level_names, child_ids, group_names, orders,
                  hashes, seed, tiebreak, given.count(None) < len(given))


def _applications(path: Path, child_index: Mapping[str, int], child_ids: list[str],
                  level_index: dict[str, int], level_ids: list[str], crit: list[int],
                  orders: list[list[str]]) -> tuple:
    """applications.csv as arrays, the groups as (names, codes): whole byte columns for a
    plain file, else split strings, else row by row (which names the place of a problem)."""
    found = bulk_applications(path, child_ids, level_ids, crit)
    if found is not None:
        return found
    found = _fast_applications(path, child_index, level_index, crit)
    if found is None:
        found = _slow_applications(path, child_index, level_index, crit, orders)
    *arrays, group = found
    if group.size == 0:
        return (*arrays, ([], np.zeros(0, dtype=np.int64)))
    table, codes = np.unique(group, return_inverse=True)
    return (*arrays, (table.tolist(), codes.reshape(-1).astype(np.int64)))


# --- running and writing -----------------------------------------------------------


def solve(inputs: Inputs, improve: bool = False) -> Result:
    result = deferred_acceptance(inputs.problem)
    if improve:
        from lopdesk.matching.improve import improvement_cycles

        result = improvement_cycles(inputs.problem, result)
    return result


def csv_text(header: list[str], rows: list[list]) -> str:
    """One output file of the engine: header and rows as CSV text, LF line ends."""
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


def outputs(inputs: Inputs, result: Result) -> dict[str, bytes]:
    """The bytes of every output file except run.json, built column by column."""
    p = inputs.problem
    child_text, level_text = as_bytes(inputs.child_ids), as_bytes(inputs.level_ids)
    # ids sorted as text: UTF-8 bytes sort as their code points do
    order = np.argsort(child_text, kind="stable")
    assigned = result.assigned_app[order]
    placed = assigned >= 0
    app = np.where(placed, assigned, 0)
    none = np.zeros(order.size, dtype="S1")
    assign_cols = [child_text[order],
                   np.where(placed, level_text[p.app_level[app]] if p.n_applications else none,
                            none),
                   np.where(placed, numbers(p.app_rank[app]) if p.n_applications else none,
                            none)]
    w_apps, w_pos = waitlists(p, result)
    # sorted by level id (as text), then position
    level_text_rank = np.empty(p.n_levels, dtype=np.int64)
    level_text_rank[np.argsort(level_text, kind="stable")] = np.arange(p.n_levels)
    w_level = p.app_level[w_apps]
    worder = _ordered(level_text_rank[w_level], w_pos)
    wait_cols = [child_text[p.app_child[w_apps][worder]], level_text[w_level[worder]],
                 numbers(w_pos[worder])]
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
        "assignments.csv": csv_bytes(["child_id", "level_id", "choice_rank"], assign_cols),
        "waitlist.csv": csv_bytes(["child_id", "level_id", "position"], wait_cols),
        "levels.csv": csv_text(["level_id", "capacity", "assigned", "assigned_indicator",
                                 "cutoff", "applicants", "reserved_indicator",
                                 "reserved_non_indicator"], level_rows).encode("utf-8"),
    }


def _ordered(major: np.ndarray, minor: np.ndarray) -> np.ndarray:
    """np.lexsort((minor, major)) for non-negative integers, without a sort when they are
    in that order already (a file listed by child and rank, levels.csv by id)."""
    if major.size == 0:
        return np.zeros(0, dtype=np.int64)
    key = major * np.int64(int(minor.max()) + 1) + minor
    if (key[1:] >= key[:-1]).all():
        return np.arange(key.size)
    return np.argsort(key, kind="stable")


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


def _os_user() -> str:
    """The OS account of the process (never USER/LOGNAME, which anyone can set)."""
    import pwd

    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        return f"uid{os.geteuid()}"


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
        "assignments_sha256": hashlib.sha256(files["assignments.csv"]).hexdigest(),
        "counts": counts(inputs, result),
        "started_at": started.isoformat(timespec="seconds"),
        "user": user or _os_user(),
    }
    def finish(rec: dict) -> None:
        rec["timings_s"] = {"read": round(t1 - t0, 4), "engine": round(t2 - t1, 4),
                            "write": round(time.perf_counter() - t2, 4)}

    copies = {f"input/{name}": input_dir / name for name in INPUT_FILES}
    write_folder(out_dir, files, record, before_record=finish, copies=copies)
    report("klaar", 1.0)
    return record
