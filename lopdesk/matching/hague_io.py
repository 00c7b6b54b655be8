"""Files for the Hague variant (docs/hague.md): read, check, run, write.

INPUT_DIR: period.csv (one row: period, offered_on), schools.csv, children.csv,
applications.csv, and for a vacancy round placements.csv, withdrawals.csv (optional) and
participants.csv (optional: the round is opt-in).
OUTPUT_DIR: assignments.csv, first_choice.csv, rollover.csv, run.json.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np

from lopdesk.errors import ImportError_, InvalidInput
from lopdesk.matching.core import ENGINE_VERSION
from lopdesk.matching.csvin import DAY_PROBLEM, MAX_CAPACITY, MAX_RANK, parse_day
from lopdesk.matching.hague import (
    PERIODS,
    PRIORITY_RULES,
    HagueProblem,
    HagueResult,
    answer_deadline,
    main_period,
    next_period,
    next_vacancy_round,
    vacancy_round,
)
from lopdesk.matching.io import (
    _int,
    _os_user,
    _required,
    _rows,
    csv_text,
    draw_lottery,
)
from lopdesk.matching.outdir import check_out_dir, write_folder

MIN_LIST = 5  # schools on a list, unless the sibling rule applies at the first choice
SIBLING = PRIORITY_RULES.index("sibling")
NEIGHBOURHOOD = PRIORITY_RULES.index("neighbourhood")


@dataclass
class _Schools:
    ids: list[str] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)
    places: list[int] = field(default_factory=list)
    rules: list[list[int]] = field(default_factory=list)


@dataclass
class _Children:
    ids: list[str] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)
    lines: list[int] = field(default_factory=list)
    care: list[bool] = field(default_factory=list)
    lottery: list[float] = field(default_factory=list)


# (child, rank, school, rule flags, line in applications.csv)
App = tuple[int, int, int, list[bool], int]


def _read_period(input_dir: Path) -> tuple[str, date | None]:
    rows = _rows(input_dir / "period.csv", ("period",))
    if len(rows) != 1:
        raise ImportError_("period.csv", 2, None, "verwacht precies één regel")
    line, row = rows[0]
    period = row["period"]
    if period not in PERIODS:
        raise ImportError_("period.csv", line, "period",
                           f"'{period}' is geen periode ({', '.join(PERIODS)})")
    offered_on = None
    if row.get("offered_on"):
        offered_on = parse_day(row["offered_on"])
        if offered_on is None:
            raise ImportError_("period.csv", line, "offered_on",
                               f"'{row['offered_on']}' {DAY_PROBLEM}")
    return period, offered_on


def _flag(name: str, line: int, row: dict[str, str], col: str) -> bool:
    value = row.get(col, "") or "0"
    if value not in ("0", "1"):
        raise ImportError_(name, line, col, f"'{value}' moet 0 of 1 zijn")
    return value == "1"


def _read_schools(input_dir: Path) -> _Schools:
    out = _Schools()
    for line, row in _rows(input_dir / "schools.csv", ("school_id", "places")):
        sid = _required("schools.csv", line, row, "school_id")
        if sid in out.index:
            raise ImportError_("schools.csv", line, "school_id", f"school '{sid}' staat er "
                               "twee keer")
        own = _int("schools.csv", line, row, "places", maximum=MAX_CAPACITY)
        carried = _int("schools.csv", line, row, "carried_over", default=0,
                       maximum=MAX_CAPACITY)
        public = _flag("schools.csv", line, row, "public")
        names = [r.strip() for r in row.get("priority_rules", "").split(">") if r.strip()]
        bad = [r for r in names if r not in PRIORITY_RULES]
        if bad or len(names) > 4 or len(set(names)) != len(names):
            raise ImportError_("schools.csv", line, "priority_rules",
                               f"ongeldige voorrangsregels '{row.get('priority_rules')}' "
                               f"(maximaal vier uit {', '.join(PRIORITY_RULES)})")
        if public and "neighbourhood" in names:
            raise ImportError_("schools.csv", line, "priority_rules",
                               f"school '{sid}' is een openbare school (public = 1) en mag de "
                               "buurtregel 'neighbourhood' niet gebruiken")
        out.index[sid] = len(out.ids)
        out.ids.append(sid)
        out.places.append(own + carried)
        out.rules.append([PRIORITY_RULES.index(r) for r in names])
    return out


def _read_children(input_dir: Path, seed: int) -> _Children:
    out = _Children()
    for line, row in _rows(input_dir / "children.csv", ("child_id",)):
        cid = _required("children.csv", line, row, "child_id")
        if cid in out.index:
            raise ImportError_("children.csv", line, "child_id", f"kind '{cid}' staat er "
                               "twee keer")
        out.care.append(_flag("children.csv", line, row, "care_need"))
        out.index[cid] = len(out.ids)
        out.ids.append(cid)
        out.lines.append(line)
        out.lottery.append(draw_lottery(seed, cid))
    return out


def _read_applications(input_dir: Path, kids: _Children, schools: _Schools) -> list[App]:
    apps: list[App] = []
    seen: set[tuple[int, int]] = set()
    seen_school: set[tuple[int, int]] = set()
    for line, row in _rows(input_dir / "applications.csv", ("child_id", "rank", "school_id")):
        cid = _required("applications.csv", line, row, "child_id")
        if cid not in kids.index:
            raise ImportError_("applications.csv", line, "child_id",
                               f"kind '{cid}' staat niet in children.csv")
        rank = _int("applications.csv", line, row, "rank", minimum=1, maximum=MAX_RANK)
        sid = _required("applications.csv", line, row, "school_id")
        if sid not in schools.index:
            raise ImportError_("applications.csv", line, "school_id",
                               f"school '{sid}' staat niet in schools.csv")
        c, s = kids.index[cid], schools.index[sid]
        if (c, rank) in seen:
            raise ImportError_("applications.csv", line, "rank", f"kind '{cid}' heeft al een "
                               f"keuze {rank}")
        if (c, s) in seen_school:
            raise ImportError_("applications.csv", line, "school_id", f"kind '{cid}' koos "
                               f"'{sid}' al")
        seen.add((c, rank))
        seen_school.add((c, s))
        flags = [r.strip() for r in row.get("priorities", "").split("|") if r.strip()]
        bad = [f for f in flags if f not in PRIORITY_RULES]
        if bad:
            raise ImportError_("applications.csv", line, "priorities",
                               f"onbekende voorrang '{bad[0]}' ({', '.join(PRIORITY_RULES)})")
        apps.append((c, rank, s, [r in flags for r in PRIORITY_RULES], line))
    apps.sort(key=lambda a: (a[0], a[1]))
    return apps


def _short_lists(apps: list[App], kids: _Children, schools: _Schools, allow: bool) -> int:
    """The intake rule: a list names at least five schools, unless the sibling rule applies
    at the first choice (the child has a sibling there and that school uses the rule).
    Refused unless `allow` (a LOP that does not use the rule); returns how many are short."""
    by_child: dict[int, list[App]] = {}
    for a in apps:  # sorted by child, rank: the first one seen is the first choice
        by_child.setdefault(a[0], []).append(a)
    short = 0
    for c, cid in enumerate(kids.ids):
        own = by_child.get(c, [])
        if len(own) >= MIN_LIST:
            continue
        if own and own[0][3][SIBLING] and SIBLING in schools.rules[own[0][2]]:
            continue
        short += 1
        if allow:
            continue
        where = ("applications.csv", own[0][4]) if own else ("children.csv", kids.lines[c])
        count = {0: "geen enkele school", 1: "maar 1 school"}.get(len(own),
                                                                   f"maar {len(own)} scholen")
        raise ImportError_(where[0], where[1], "child_id",
                           f"kind '{cid}' heeft {count} op de lijst; de regel vraagt minstens "
                           f"{MIN_LIST} scholen, tenzij de broer-of-zusregel geldt op de eerste "
                           "keuze (een LOP dat deze regel niet gebruikt, geeft "
                           "--allow-short-lists)")
    return short


def _read_participants(path: Path, kids: _Children) -> np.ndarray:
    """participants.csv: the children signed up for this vacancy round (opt-in)."""
    signed = np.zeros(len(kids.ids), dtype=bool)
    for line, row in _rows(path, ("child_id",)):
        cid = _required("participants.csv", line, row, "child_id")
        if cid not in kids.index:
            raise ImportError_("participants.csv", line, "child_id",
                               f"kind '{cid}' staat niet in children.csv")
        if signed[kids.index[cid]]:
            raise ImportError_("participants.csv", line, "child_id", f"kind '{cid}' staat er "
                               "twee keer")
        signed[kids.index[cid]] = True
    return signed


@dataclass
class _Vacancy:
    fb_school: np.ndarray
    fb_rank: np.ndarray
    freed: np.ndarray
    signed_up: np.ndarray
    opt_in: bool


def _read_vacancy(input_dir: Path, apps: list[App], kids: _Children,
                  schools: _Schools) -> tuple[_Vacancy, list[App]]:
    n, m = len(kids.ids), len(schools.ids)
    v = _Vacancy(np.full(n, -1, dtype=np.int64), np.zeros(n, dtype=np.int64),
                 np.zeros(m, dtype=np.int64), np.ones(n, dtype=bool), False)
    rank_of = {(a[0], a[2]): a[1] for a in apps}
    for line, row in _rows(input_dir / "placements.csv", ("child_id", "school_id")):
        cid, sid = row.get("child_id", ""), row.get("school_id", "")
        if cid not in kids.index:
            raise ImportError_("placements.csv", line, "child_id", f"kind '{cid}' staat "
                               "niet in children.csv")
        if sid not in schools.index:
            raise ImportError_("placements.csv", line, "school_id", f"school '{sid}' "
                               "staat niet in schools.csv")
        c, s = kids.index[cid], schools.index[sid]
        if (c, s) not in rank_of:
            raise ImportError_("placements.csv", line, "school_id", f"'{sid}' staat niet "
                               f"op de lijst van '{cid}'")
        v.fb_school[c], v.fb_rank[c] = s, rank_of[(c, s)]
    ppath = input_dir / "participants.csv"
    if ppath.exists():
        v.signed_up, v.opt_in = _read_participants(ppath, kids), True
    wpath = input_dir / "withdrawals.csv"
    if wpath.exists():
        for line, row in _rows(wpath, ("child_id",)):
            cid = row.get("child_id", "")
            if cid not in kids.index:
                raise ImportError_("withdrawals.csv", line, "child_id",
                                   f"kind '{cid}' staat niet in children.csv")
            c = kids.index[cid]
            if v.fb_school[c] >= 0:  # a withdrawn place is free in this vacancy round
                v.freed[v.fb_school[c]] += 1
                v.fb_school[c], v.fb_rank[c] = -1, 0
            v.signed_up[c] = False  # withdrawn: takes no further part
            apps = [a for a in apps if a[0] != c]
    return v, apps


def run_hague(input_dir: Path | str, out_dir: Path | str, *, seed: int | None = None,
              user: str | None = None, allow_short_lists: bool = False) -> dict:
    """Read INPUT_DIR, run one period (or vacancy round), write OUTPUT_DIR (docs/hague.md)."""
    input_dir, out_dir = Path(input_dir), Path(out_dir)
    if not input_dir.is_dir():
        raise InvalidInput(f"invoermap {input_dir} bestaat niet", field="INPUT_DIR")
    check_out_dir(out_dir)
    if seed is None:
        seed = secrets.randbelow(2**31)
    started = datetime.now(UTC)
    period, offered_on = _read_period(input_dir)
    schools = _read_schools(input_dir)
    kids = _read_children(input_dir, seed)
    apps = _read_applications(input_dir, kids, schools)
    short = _short_lists(apps, kids, schools, allow_short_lists)
    n, m = len(kids.ids), len(schools.ids)
    vacancy = period.startswith("V")
    if vacancy:
        v, apps = _read_vacancy(input_dir, apps, kids, schools)
    else:
        if (input_dir / "participants.csv").exists():
            raise ImportError_("participants.csv", 1, None, "aanmelden voor een vacatureronde "
                               f"kan alleen in V1 of V2, niet in periode {period}")
        v = _Vacancy(np.full(n, -1, dtype=np.int64), np.zeros(n, dtype=np.int64),
                     np.zeros(m, dtype=np.int64), np.ones(n, dtype=bool), False)
    a_n = len(apps)
    problem = HagueProblem(
        n_children=n, n_schools=m,
        app_child=np.array([a[0] for a in apps], dtype=np.int64).reshape(a_n),
        app_school=np.array([a[2] for a in apps], dtype=np.int64).reshape(a_n),
        app_rank=np.array([a[1] for a in apps], dtype=np.int64).reshape(a_n),
        app_rules=np.array([a[3] for a in apps], dtype=bool).reshape(a_n, 4),
        school_places=np.array(schools.places, dtype=np.int64) + v.freed,
        school_rules=schools.rules, care_need=np.array(kids.care, dtype=bool),
        lottery=np.array(kids.lottery, dtype=np.float64),
        fallback_school=v.fb_school, fallback_rank=v.fb_rank, signed_up=v.signed_up)
    result = vacancy_round(problem) if vacancy else main_period(problem)
    files = _output_files(period, offered_on, result, kids, schools)
    record = _record(input_dir, period, seed, files, result, n, m)
    record["options"] = {"allow_short_lists": allow_short_lists, "opt_in": v.opt_in}
    record["counts"]["short_lists"] = short
    if v.opt_in:
        record["counts"]["signed_up"] = int(v.signed_up.sum())
    record["started_at"] = started.isoformat(timespec="seconds")
    record["user"] = user or _os_user()
    write_folder(out_dir, files, record)
    return record


def _output_files(period: str, offered_on: date | None, result: HagueResult, kids: _Children,
                  schools: _Schools) -> dict[str, str]:
    answer_by = answer_deadline(period, offered_on).isoformat() if offered_on else ""
    order = sorted(range(len(kids.ids)), key=lambda i: kids.ids[i])
    assign_rows = []
    for c in order:
        if result.school[c] >= 0:
            assign_rows.append([kids.ids[c], schools.ids[result.school[c]],
                                int(result.rank[c]), result.stage[c], answer_by])
        else:
            assign_rows.append([kids.ids[c], "", "", "", ""])
    first_rows = [[kids.ids[c], int(result.first_choice_position[c])] for c in order
                  if result.first_choice_position[c] > 0]
    target = next_period(period) or ""
    roll = [[schools.ids[s], int(result.open_after[s]), target]
            for s in range(len(schools.ids))]
    return {
        "assignments.csv": csv_text(["child_id", "school_id", "choice_rank", "stage", "answer_by"],
                                    assign_rows),
        "first_choice.csv": csv_text(["child_id", "position"], first_rows),
        "rollover.csv": csv_text(["school_id", "open_places", "to_period"], roll),
    }


def _record(input_dir: Path, period: str, seed: int, files: dict[str, str],
            result: HagueResult, n: int, m: int) -> dict:
    placed = int((result.school >= 0).sum())
    return {
        "engine_version": ENGINE_VERSION, "mechanism": "hague", "period": period,
        "next_period": next_period(period), "withdrawals_go_to": next_vacancy_round(period),
        "seed": seed,
        "input_sha256": {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
                         for p in sorted(input_dir.glob("*.csv"))},
        "assignments_sha256": hashlib.sha256(files["assignments.csv"].encode()).hexdigest(),
        "counts": {"children": n, "schools": m, "placed": placed, "unplaced": n - placed,
                   "school_lottery": result.stage.count("school_lottery"),
                   "central": result.stage.count("central"),
                   "vacancy": result.stage.count("vacancy"),
                   "fallback": result.stage.count("fallback"),
                   "open_places": int(result.open_after.sum())},
    }
