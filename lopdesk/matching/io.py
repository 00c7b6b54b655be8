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
import math
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from lopdesk.domain.errors import ImportError_, InvalidInput
from lopdesk.matching.core import (
    CRITERIA,
    ENGINE_VERSION,
    PRECEDENCES,
    Problem,
    Result,
    deferred_acceptance,
    level_summary,
    waitlists,
)
from lopdesk.matching.outdir import check_out_dir, write_folder

DEFAULT_PRIORITY_ORDER = "sibling_staff>sibling>staff"
TIEBREAKS = ("single", "multiple")
KNOWN_GROUPS = frozenset({"none", "sibling_staff", "sibling", "staff"})
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
    group_names: list[str]  # per application: the group the level honours, or "none"
    priority_orders: list[list[str]]
    hashes: dict[str, str]
    seed: int
    tiebreak: str
    lottery_given: bool


# --- reading -----------------------------------------------------------------------


def _rows(path: Path, required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    name = path.name
    if not path.is_file():
        raise ImportError_(name, 0, None, f"bestand ontbreekt in {path.parent}")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportError_(name, 0, None, f"geen geldige UTF-8 ({exc.reason})") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise ImportError_(name, 1, None, "leeg bestand: de kopregel ontbreekt") from None
    header = [h.strip() for h in header]
    for col in required:
        if col not in header:
            raise ImportError_(name, 1, col, "verplichte kolom ontbreekt")
    dupes = {h for h in header if h and header.count(h) > 1}
    if dupes:
        raise ImportError_(name, 1, sorted(dupes)[0], "kolom staat twee keer in de kopregel")
    rows = []
    try:
        for values in reader:
            line = reader.line_num
            if not values or all(not v.strip() for v in values):
                continue  # blank lines are harmless
            if len(values) > len(header):
                raise ImportError_(name, line, None,
                                   f"{len(values)} velden, de kopregel heeft er {len(header)}")
            row = {h: (values[i].strip() if i < len(values) else "")
                   for i, h in enumerate(header)}
            rows.append((line, row))
    except csv.Error as exc:
        raise ImportError_(name, reader.line_num, None, f"onleesbare CSV ({exc})") from None
    return rows


def _required(name: str, line: int, row: dict[str, str], col: str) -> str:
    value = row.get(col, "")
    if value == "":
        raise ImportError_(name, line, col, "lege verplichte waarde")
    return value


def _int(name: str, line: int, row: dict[str, str], col: str, default: int | None = None,
         minimum: int = 0) -> int:
    raw = row.get(col, "")
    if raw == "":
        if default is None:
            raise ImportError_(name, line, col, "lege verplichte waarde")
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImportError_(name, line, col, f"'{raw}' is geen geheel getal") from None
    if value < minimum:
        raise ImportError_(name, line, col, f"{value} is kleiner dan {minimum}")
    return value


def _hash_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def draw_lottery(seed: int, child_id: str, level_id: str | None = None) -> float:
    """The lottery number of a child (single) or of a child at a level (multiple), from the
    recorded seed and the ids only, never from the order of rows (ALC-03). Lower = earlier."""
    key = f"lopdesk-lottery/1/{seed}/{child_id}" + ("" if level_id is None else f"/{level_id}")
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return int.from_bytes(digest[:7], "big") / float(1 << 56)


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
        raise InvalidInput(f"seed {seed} moet ≥ 0 zijn", field="seed")

    # levels.csv
    name = "levels.csv"
    level_ids: list[str] = []
    school_ids: list[str] = []
    level_names: list[str] = []
    caps, r_ind, r_non, prec, crit, orders = [], [], [], [], [], []
    level_index: dict[str, int] = {}
    for line, row in _rows(input_dir / name, ("level_id", "school_id", "capacity")):
        lid = _required(name, line, row, "level_id")
        if lid in level_index:
            raise ImportError_(name, line, "level_id", f"niveau '{lid}' staat er twee keer")
        sid = _required(name, line, row, "school_id")
        cap = _int(name, line, row, "capacity")
        ri = _int(name, line, row, "reserved_indicator", default=0)
        rn = _int(name, line, row, "reserved_non_indicator", default=0)
        if ri + rn > cap:
            raise ImportError_(name, line, "reserved_indicator",
                               f"gereserveerde plaatsen ({ri} + {rn}) boven de capaciteit {cap}")
        p = row.get("precedence", "") or "priority_first"
        if p not in PRECEDENCES:
            raise ImportError_(name, line, "precedence",
                               f"onbekende voorrang '{p}' (priority_first of contingent)")
        c = row.get("criterion", "") or "random"
        if c not in CRITERIA:
            raise ImportError_(name, line, "criterion",
                               f"onbekend criterium '{c}' ({', '.join(CRITERIA)})")
        raw_order = row["priority_order"] if "priority_order" in row else DEFAULT_PRIORITY_ORDER
        groups = [g.strip() for g in raw_order.split(">")] if raw_order.strip() else []
        if any(not g for g in groups) or len(set(groups)) != len(groups):
            raise ImportError_(name, line, "priority_order",
                               f"ongeldige volgorde '{raw_order}' "
                               "(bv. sibling_staff>sibling>staff)")
        if "none" in groups:
            raise ImportError_(name, line, "priority_order", "'none' is geen voorrangsgroep")
        level_index[lid] = len(level_ids)
        level_ids.append(lid)
        school_ids.append(sid)
        level_names.append(row.get("name", "") or lid)
        caps.append(cap)
        r_ind.append(ri)
        r_non.append(rn)
        prec.append(PRECEDENCES.index(p))
        crit.append(CRITERIA.index(c))
        orders.append(groups)

    # children.csv
    name = "children.csv"
    child_index: dict[str, int] = {}
    child_ids: list[str] = []
    indicator: list[bool] = []
    given: list[float | None] = []
    for line, row in _rows(input_dir / name, ("child_id", "indicator")):
        cid = _required(name, line, row, "child_id")
        if cid in child_index:
            raise ImportError_(name, line, "child_id", f"kind '{cid}' staat er twee keer")
        ind = _required(name, line, row, "indicator")
        if ind not in ("0", "1"):
            raise ImportError_(name, line, "indicator", f"'{ind}' moet 0 of 1 zijn")
        raw = row.get("lottery", "")
        lot: float | None = None
        if raw != "":
            try:
                lot = float(raw)
            except ValueError:
                raise ImportError_(name, line, "lottery", f"'{raw}' is geen getal") from None
            if not (0.0 <= lot < 1.0) or math.isnan(lot):
                raise ImportError_(name, line, "lottery", f"{raw} ligt niet in [0,1)")
            if tiebreak == "multiple":
                raise ImportError_(name, line, "lottery",
                                   "een gegeven lotnummer kan enkel met --tiebreak single")
        child_index[cid] = len(child_ids)
        child_ids.append(cid)
        indicator.append(ind == "1")
        given.append(lot)
    if any(g is not None for g in given) and any(g is None for g in given):
        first = next(i for i, g in enumerate(given) if g is None)
        raise ImportError_(name, first + 2, "lottery",
                           f"kind '{child_ids[first]}' heeft geen lotnummer terwijl andere "
                           "kinderen er een hebben: geef ze allemaal of geen enkel")

    # applications.csv: a vectorised reader; any doubt and the row-by-row reader below
    # finds the exact line and column of the problem
    fast = _fast_applications(input_dir / "applications.csv", child_index, level_index,
                              crit)
    if fast is None:
        fast = _slow_applications(input_dir / "applications.csv", child_index, level_index,
                                  crit, orders)
    a_child, a_rank, a_level, app_distance, a_group = fast
    order = np.lexsort((a_rank, a_child))
    app_child, app_rank, app_level = a_child[order], a_rank[order], a_level[order]
    app_distance, a_group = app_distance[order], a_group[order]
    n_apps = int(app_child.size)
    table, codes = np.unique(a_group, return_inverse=True) if n_apps else (
        np.array([], dtype=str), np.zeros(0, dtype=np.int64))
    ranks = np.empty((len(level_ids), max(len(table), 1)), dtype=np.int64)
    for lv, lv_order in enumerate(orders):
        for g, name in enumerate(table.tolist()):
            ranks[lv, g] = lv_order.index(name) if name in lv_order else len(lv_order)
    group_rank = ranks[app_level, codes.reshape(-1)] if n_apps else np.zeros(0, np.int64)
    n_groups = np.array([len(o) for o in orders], dtype=np.int64)
    priority = group_rank < (n_groups[app_level] if n_apps else np.zeros(0, np.int64))
    group_names = np.where(priority, a_group, "none") if n_apps else np.array([], dtype=str)
    if tiebreak == "single":
        child_lot = np.array([g if g is not None else draw_lottery(seed, cid)
                              for cid, g in zip(child_ids, given, strict=True)],
                             dtype=np.float64)
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
                  hashes, seed, tiebreak, any(g is not None for g in given))


def _slow_applications(path: Path, child_index: dict[str, int], level_index: dict[str, int],
                       crit: list[int], orders: list[list[str]]) -> tuple:
    """Row by row, every check of formats.md with its line and column."""
    name = path.name
    known_groups = {"none", "sibling_staff", "sibling", "staff"} | {g for o in orders for g in o}
    apps: list[tuple[int, int, int, str, float]] = []
    seen: dict[int, dict[int, int]] = {}
    seen_level: dict[tuple[int, int], int] = {}
    for line, row in _rows(path, ("child_id", "rank", "level_id")):
        cid = _required(name, line, row, "child_id")
        if cid not in child_index:
            raise ImportError_(name, line, "child_id", f"kind '{cid}' staat niet in children.csv")
        rank = _int(name, line, row, "rank", minimum=1)
        lid = _required(name, line, row, "level_id")
        if lid not in level_index:
            raise ImportError_(name, line, "level_id", f"niveau '{lid}' staat niet in levels.csv")
        c, lv = child_index[cid], level_index[lid]
        if rank in seen.setdefault(c, {}):
            raise ImportError_(name, line, "rank",
                               f"kind '{cid}' heeft al een keuze {rank} (regel {seen[c][rank]})")
        if (c, lv) in seen_level:
            raise ImportError_(name, line, "level_id", f"kind '{cid}' koos '{lid}' al "
                               f"(regel {seen_level[(c, lv)]})")
        seen[c][rank] = line
        seen_level[(c, lv)] = line
        group = row.get("priority_group", "") or "none"
        if group not in known_groups:
            raise ImportError_(name, line, "priority_group",
                               f"onbekende voorrangsgroep '{group}' (geen niveau noemt ze)")
        raw = row.get("distance_m", "")
        dist = math.nan
        if raw != "":
            try:
                dist = float(raw)
            except ValueError:
                raise ImportError_(name, line, "distance_m", f"'{raw}' is geen getal") from None
            if not math.isfinite(dist) or dist < 0:
                raise ImportError_(name, line, "distance_m", f"afstand {raw} moet ≥ 0 zijn")
        if math.isnan(dist) and CRITERIA[crit[lv]] in ("distance", "rank+distance"):
            raise ImportError_(name, line, "distance_m",
                               f"niveau '{lid}' ordent op afstand: de afstand ontbreekt")
        apps.append((c, rank, lv, group, dist))
    n = len(apps)
    return (np.fromiter((a[0] for a in apps), dtype=np.int64, count=n),
            np.fromiter((a[1] for a in apps), dtype=np.int64, count=n),
            np.fromiter((a[2] for a in apps), dtype=np.int64, count=n),
            np.fromiter((a[4] for a in apps), dtype=np.float64, count=n),
            np.array([a[3] for a in apps], dtype=str) if n else np.array([], dtype=str))


def _fast_applications(path: Path, child_index: dict[str, int], level_index: dict[str, int],
                       crit: list[int]) -> tuple | None:
    """The same result as `_slow_applications` for a plain, correct file, with string
    splitting and whole-column numpy conversions; None as soon as anything is unusual
    (quotes, ragged lines, a bad value): the slow reader then names the place."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None
    if '"' in text or "\r" in text.replace("\r\n", "\n"):
        return None
    lowered = text.lower()
    if "nan" in lowered or "inf" in lowered:  # let the slow reader judge such numbers
        return None
    lines = text.replace("\r\n", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines:
        return None
    header = [h.strip() for h in lines[0].split(",")]
    width = len(header)
    n = len(lines) - 1
    if len(set(header)) != width or not all(c in header for c in ("child_id", "rank",
                                                                  "level_id")):
        return None
    if n == 0:
        return (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64),
                np.zeros(0, np.float64), np.array([], dtype=str))
    flat = ",".join(lines[1:]).split(",")
    if len(flat) != width * n or text.count(",") != (width - 1) * (n + 1):
        return None  # a line with too many or too few fields

    def col(name: str) -> list[str] | None:
        return flat[header.index(name)::width] if name in header else None

    children = list(map(child_index.get, col("child_id")))  # type: ignore[arg-type]
    levels = list(map(level_index.get, col("level_id")))  # type: ignore[arg-type]
    if None in children or None in levels:
        return None
    child = np.array(children, dtype=np.int64)
    level = np.array(levels, dtype=np.int64)
    try:
        rank = np.array(col("rank"), dtype=np.int64)
    except ValueError:
        return None
    if (rank < 1).any():
        return None
    groups_col = col("priority_group")
    if groups_col is None:
        group = np.full(n, "none")
    else:
        if not set(groups_col) <= KNOWN_GROUPS | {""}:
            return None  # another group than the standard ones: let the slow reader check
        group = np.array(groups_col, dtype=str)
        group[group == ""] = "none"
    dist_col = col("distance_m")
    if dist_col is None:
        dist = np.full(n, np.nan)
    else:
        empty = np.array([x == "" for x in dist_col], dtype=bool)
        try:
            dist = np.array([x or "nan" for x in dist_col], dtype=np.float64)
        except ValueError:
            return None
        if (dist[~empty] < 0).any():
            return None
    on_distance = np.isin(np.array(crit, dtype=np.int64)[level], (1, 3))
    if (on_distance & np.isnan(dist)).any():
        return None
    for a, b in ((child, rank), (child, level)):  # duplicate choice or rank of a child
        key = np.sort(a * np.int64(max(int(b.max()) + 1, 1)) + b)
        if (key[1:] == key[:-1]).any():
            return None
    return child, rank, level, dist, group


# --- running and writing -----------------------------------------------------------


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
        "assignments_sha256": hashlib.sha256(files["assignments.csv"].encode()).hexdigest(),
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
