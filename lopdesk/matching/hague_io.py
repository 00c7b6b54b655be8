"""Files for the Hague variant (docs/hague.md): read, check, run, write.

INPUT_DIR: period.csv (one row: period, offered_on), schools.csv, children.csv,
applications.csv, and for a vacancy round placements.csv and withdrawals.csv.
OUTPUT_DIR: assignments.csv, first_choice.csv, rollover.csv, run.json.
"""

from __future__ import annotations

import csv
import hashlib
import io
import secrets
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np

from lopdesk.domain.errors import ImportError_, InvalidInput
from lopdesk.matching.core import ENGINE_VERSION
from lopdesk.matching.hague import (
    PERIODS,
    PRIORITY_RULES,
    HagueProblem,
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
    draw_lottery,
)
from lopdesk.matching.outdir import check_out_dir, write_folder


def _text(header: list[str], rows: list[list]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def run_hague(input_dir: Path | str, out_dir: Path | str, *, seed: int | None = None,
              user: str | None = None) -> dict:
    input_dir, out_dir = Path(input_dir), Path(out_dir)
    if not input_dir.is_dir():
        raise InvalidInput(f"invoermap {input_dir} bestaat niet", field="INPUT_DIR")
    check_out_dir(out_dir)
    if seed is None:
        seed = secrets.randbelow(2**31)
    started = datetime.now(UTC)

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
        try:
            offered_on = date.fromisoformat(row["offered_on"])
        except ValueError:
            raise ImportError_("period.csv", line, "offered_on",
                               f"'{row['offered_on']}' is geen datum") from None

    school_ids: list[str] = []
    school_index: dict[str, int] = {}
    places: list[int] = []
    rules: list[list[int]] = []
    for line, row in _rows(input_dir / "schools.csv", ("school_id", "places")):
        sid = _required("schools.csv", line, row, "school_id")
        if sid in school_index:
            raise ImportError_("schools.csv", line, "school_id", f"school '{sid}' staat er "
                               "twee keer")
        own = _int("schools.csv", line, row, "places")
        carried = _int("schools.csv", line, row, "carried_over", default=0)
        names = [r.strip() for r in row.get("priority_rules", "").split(">") if r.strip()]
        bad = [r for r in names if r not in PRIORITY_RULES]
        if bad or len(names) > 4 or len(set(names)) != len(names):
            raise ImportError_("schools.csv", line, "priority_rules",
                               f"ongeldige voorrangsregels '{row.get('priority_rules')}' "
                               f"(maximaal vier uit {', '.join(PRIORITY_RULES)})")
        school_index[sid] = len(school_ids)
        school_ids.append(sid)
        places.append(own + carried)
        rules.append([PRIORITY_RULES.index(r) for r in names])

    child_ids: list[str] = []
    child_index: dict[str, int] = {}
    care: list[bool] = []
    lottery: list[float] = []
    for line, row in _rows(input_dir / "children.csv", ("child_id",)):
        cid = _required("children.csv", line, row, "child_id")
        if cid in child_index:
            raise ImportError_("children.csv", line, "child_id", f"kind '{cid}' staat er "
                               "twee keer")
        flag = row.get("care_need", "") or "0"
        if flag not in ("0", "1"):
            raise ImportError_("children.csv", line, "care_need", f"'{flag}' moet 0 of 1 zijn")
        child_index[cid] = len(child_ids)
        child_ids.append(cid)
        care.append(flag == "1")
        lottery.append(draw_lottery(seed, cid))

    apps: list[tuple[int, int, int, list[bool]]] = []
    seen: set[tuple[int, int]] = set()
    seen_school: set[tuple[int, int]] = set()
    for line, row in _rows(input_dir / "applications.csv", ("child_id", "rank", "school_id")):
        cid = _required("applications.csv", line, row, "child_id")
        if cid not in child_index:
            raise ImportError_("applications.csv", line, "child_id",
                               f"kind '{cid}' staat niet in children.csv")
        rank = _int("applications.csv", line, row, "rank", minimum=1)
        sid = _required("applications.csv", line, row, "school_id")
        if sid not in school_index:
            raise ImportError_("applications.csv", line, "school_id",
                               f"school '{sid}' staat niet in schools.csv")
        c, s = child_index[cid], school_index[sid]
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
        apps.append((c, rank, s, [r in flags for r in PRIORITY_RULES]))
    apps.sort(key=lambda a: (a[0], a[1]))

    n, m = len(child_ids), len(school_ids)
    fb_school = np.full(n, -1, dtype=np.int64)
    fb_rank = np.zeros(n, dtype=np.int64)
    freed = np.zeros(m, dtype=np.int64)
    vacancy = period.startswith("V")
    if vacancy:
        rank_of = {(a[0], a[2]): a[1] for a in apps}
        for line, row in _rows(input_dir / "placements.csv", ("child_id", "school_id")):
            cid, sid = row.get("child_id", ""), row.get("school_id", "")
            if cid not in child_index:
                raise ImportError_("placements.csv", line, "child_id", f"kind '{cid}' staat "
                                   "niet in children.csv")
            if sid not in school_index:
                raise ImportError_("placements.csv", line, "school_id", f"school '{sid}' "
                                   "staat niet in schools.csv")
            c, s = child_index[cid], school_index[sid]
            if (c, s) not in rank_of:
                raise ImportError_("placements.csv", line, "school_id", f"'{sid}' staat niet "
                                   f"op de lijst van '{cid}'")
            fb_school[c], fb_rank[c] = s, rank_of[(c, s)]
        wpath = input_dir / "withdrawals.csv"
        if wpath.exists():
            for line, row in _rows(wpath, ("child_id",)):
                cid = row.get("child_id", "")
                if cid not in child_index:
                    raise ImportError_("withdrawals.csv", line, "child_id",
                                       f"kind '{cid}' staat niet in children.csv")
                c = child_index[cid]
                if fb_school[c] >= 0:  # a withdrawn place is free in this vacancy round
                    freed[fb_school[c]] += 1
                    fb_school[c], fb_rank[c] = -1, 0
                care[c] = True  # withdrawn: takes no further part
                apps = [a for a in apps if a[0] != c]
    a_n = len(apps)
    problem = HagueProblem(
        n_children=n, n_schools=m,
        app_child=np.array([a[0] for a in apps], dtype=np.int64).reshape(a_n),
        app_school=np.array([a[2] for a in apps], dtype=np.int64).reshape(a_n),
        app_rank=np.array([a[1] for a in apps], dtype=np.int64).reshape(a_n),
        app_rules=np.array([a[3] for a in apps], dtype=bool).reshape(a_n, 4),
        school_places=np.array(places, dtype=np.int64) + freed, school_rules=rules,
        care_need=np.array(care, dtype=bool), lottery=np.array(lottery, dtype=np.float64),
        fallback_school=fb_school, fallback_rank=fb_rank)
    result = vacancy_round(problem) if vacancy else main_period(problem)

    answer_by = answer_deadline(period, offered_on).isoformat() if offered_on else ""
    assign_rows = []
    for c in sorted(range(n), key=lambda i: child_ids[i]):
        if result.school[c] >= 0:
            assign_rows.append([child_ids[c], school_ids[result.school[c]],
                                int(result.rank[c]), result.stage[c], answer_by])
        else:
            assign_rows.append([child_ids[c], "", "", "", ""])
    first_rows = [[child_ids[c], int(result.first_choice_position[c])]
                  for c in sorted(range(n), key=lambda i: child_ids[i])
                  if result.first_choice_position[c] > 0]
    target = next_period(period)
    roll = [[school_ids[s], int(result.open_after[s]), target or ""] for s in range(m)]
    files = {
        "assignments.csv": _text(["child_id", "school_id", "choice_rank", "stage", "answer_by"],
                                 assign_rows),
        "first_choice.csv": _text(["child_id", "position"], first_rows),
        "rollover.csv": _text(["school_id", "open_places", "to_period"], roll),
    }
    placed = int((result.school >= 0).sum())
    record = {
        "engine_version": ENGINE_VERSION, "mechanism": "hague", "period": period,
        "next_period": target, "withdrawals_go_to": next_vacancy_round(period),
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
        "started_at": started.isoformat(timespec="seconds"),
        "user": user or _os_user(),
    }
    write_folder(out_dir, files, record)
    return record
