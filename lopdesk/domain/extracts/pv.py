"""The proces-verbaal of an allocation run (ALC-05): hashes, seed, options, engine version,
counts, rank distribution, unplaced children and cut-offs, optionally checked by a re-run;
and the Dutch wording of the engine's codes that `allocate explain` shares."""

from __future__ import annotations

import csv
import re
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from lopdesk.db import Database
from lopdesk.domain import audit
from lopdesk.domain.access import reading
from lopdesk.domain.allocation_models import (
    AllocationRound,
    AllocationRun,
    AllocationWaitlist,
    RoundLevel,
)
from lopdesk.domain.areas import get_or_404
from lopdesk.domain.extracts.environment import (
    loads,
    meta,
    render_document,
    template_name,
    yesno,
)
from lopdesk.domain.models import Area, CapacityLevel, Child, School
from lopdesk.labels import (
    CRITERION,
    LOTTERY,
    PRECEDENCE,
    PRIORITY_GROUP,
    RUN_COUNT,
    RUN_OPTION,
    TIEBREAK,
    school_year_label,
)

_CUTOFF = re.compile(r"\b(sibling_staff|sibling|staff|none) #(\d+)\b")


def group_label(code: str | None) -> str:
    return PRIORITY_GROUP.get(code or "", code or "")


def priority_order_label(order: str | None) -> str:
    """'sibling_staff>sibling>staff' as 'broer/zus en kind van personeel > broer/zus > ...'."""
    groups = [g.strip() for g in (order or "").split(">") if g.strip()]
    return " > ".join(group_label(g) for g in groups) if groups else "geen voorrang"


def cutoff_label(text: str | None) -> str:
    """An engine cut-off ('none #30') in Dutch ('geen voorrang, nr. 30'), also inside a
    sentence; text that is already Dutch stays as it is."""
    return _CUTOFF.sub(lambda m: f"{group_label(m.group(1))}, nr. {m.group(2)}", text or "")


def _option_value(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return yesno(value)
    if key == "tiebreak":
        return TIEBREAK.get(str(value), str(value))
    if key == "lottery":
        return LOTTERY.get(str(value), str(value))
    return "" if value is None else str(value)


def option_rows(options: dict[str, Any]) -> list[dict[str, str]]:
    """A run's options as Dutch label and value, in a fixed order (known ones first)."""
    keys = [k for k in RUN_OPTION if k in options] + sorted(
        k for k in options if k not in RUN_OPTION)
    return [{"key": k, "label": RUN_OPTION.get(k, k), "value": _option_value(k, options[k])}
            for k in keys]


def count_rows(counts: dict[str, Any]) -> list[dict[str, Any]]:
    """The engine's plain counts (numbers and texts) with Dutch labels."""
    return [{"key": k, "label": RUN_COUNT.get(k, k), "value": v}
            for k, v in sorted(counts.items())
            if isinstance(v, int | float | str) and not isinstance(v, bool)]


def _cutoffs(counts: Any) -> dict[str, str]:
    """Cut-offs as the engine reported them in the run's counts, when it did."""
    if not isinstance(counts, dict):
        return {}
    raw = counts.get("cutoffs") or counts.get("cutoff") or {}
    if isinstance(raw, dict):
        return {str(k): "" if v is None else str(v) for k, v in raw.items()}
    levels = counts.get("levels")
    if isinstance(levels, list):
        return {str(r.get("level_id")): str(r.get("cutoff") or "") for r in levels
                if isinstance(r, dict) and r.get("level_id")}
    return {}


def verify_run(db: Database, run_id: int) -> dict[str, Any]:
    """Re-run a stored run (ALC-05) and return the output hash and the levels' cut-offs."""
    import hashlib
    import tempfile

    from lopdesk.domain import allocation

    with tempfile.TemporaryDirectory(prefix="lopdesk-pv-") as tmp:
        out = Path(tmp) / "output"
        allocation.rerun_to_folder(db, run_id, out)
        digest = hashlib.sha256((out / "assignments.csv").read_bytes()).hexdigest()
        cutoffs: dict[str, str] = {}
        levels_file = out / "levels.csv"
        if levels_file.exists():
            for row in csv.DictReader(levels_file.read_text(encoding="utf-8").splitlines()):
                cutoffs[row.get("level_id", "")] = row.get("cutoff") or ""
    return {"output_hash": digest, "cutoffs": cutoffs}


def _read_run(db: Database, run_id: int) -> dict[str, Any]:
    """The run record, its round, the levels of the round and who was waitlisted where,
    and the run's assignments with each child's indicator."""
    with reading(db) as s:
        run = get_or_404(s, AllocationRun, run_id, "toewijzing")
        rnd = get_or_404(s, AllocationRound, run.round_id, "ronde")
        area = s.get(Area, rnd.area_id)
        levels = s.execute(
            select(RoundLevel, CapacityLevel.name, CapacityLevel.label, School.name)
            .join(CapacityLevel, CapacityLevel.id == RoundLevel.level_id)
            .join(School, School.id == CapacityLevel.school_id)
            .where(RoundLevel.round_id == rnd.id).order_by(RoundLevel.level_id)).all()
        waitlisted = Counter(s.execute(select(AllocationWaitlist.level_id)
                                       .where(AllocationWaitlist.run_id == run_id)).scalars())
        assignments = list(csv.DictReader(run.assignments_csv.splitlines()))
        child_ids = sorted({a["child_id"] for a in assignments})
        indicator: dict[str, bool] = {}
        for start in range(0, len(child_ids), 5000):
            indicator.update(s.execute(select(Child.id, Child.indicator).where(
                Child.id.in_(child_ids[start:start + 5000]))).all())
        run_d = {k: getattr(run, k) for k in (
            "id", "round_id", "status", "replaced_by", "seed", "tiebreak", "improve",
            "engine_version", "input_hash", "output_hash", "started_at", "ended_at", "user",
            "replaces", "replace_reason")}
        run_d["carried"] = carried_facts(loads(run.adjustments))
        round_d = {"id": rnd.id, "name": rnd.name, "school_year": rnd.school_year,
                   "school_year_label": school_year_label(rnd.school_year),
                   "area_id": rnd.area_id, "area_name": area.name if area else rnd.area_id}
        return {"run": run_d, "round": round_d, "levels": levels, "waitlisted": waitlisted,
                "assignments": assignments, "indicator": indicator,
                "options": loads(run.options), "counts": loads(run.counts),
                "hashes": loads(run.input_hash)}


def _level_rows(levels: list[Any], assignments: list[dict[str, str]],
                indicator: dict[str, bool], waitlisted: Counter[str],
                cutoffs: dict[str, str]) -> list[dict[str, Any]]:
    assigned: Counter[str] = Counter()
    assigned_ind: Counter[str] = Counter()
    for a in assignments:
        if a.get("level_id"):
            assigned[a["level_id"]] += 1
            assigned_ind[a["level_id"]] += 1 if indicator.get(a["child_id"]) else 0
    return [{
        "level_id": rl.level_id, "name": lname or label, "school": sname,
        "capacity": rl.capacity, "reserved_indicator": rl.reserved_indicator,
        "reserved_non_indicator": rl.reserved_non_indicator, "precedence": rl.precedence,
        "criterion": rl.criterion, "priority_order": rl.priority_order,
        "precedence_label": PRECEDENCE.get(rl.precedence, rl.precedence),
        "criterion_label": CRITERION.get(rl.criterion, rl.criterion),
        "priority_order_label": priority_order_label(rl.priority_order),
        "assigned": assigned.get(rl.level_id, 0),
        "assigned_indicator": assigned_ind.get(rl.level_id, 0),
        "waitlisted": waitlisted.get(rl.level_id, 0),
        "cutoff": cutoffs.get(rl.level_id, ""),
        "cutoff_label": cutoff_label(cutoffs.get(rl.level_id, "")),
    } for rl, lname, label, sname in levels]


def carried_facts(adjust: dict | None) -> str:
    """The later facts a replacing run carried over (ALC-05), in one Dutch sentence."""
    adjust = adjust or {}
    parts = []
    if adjust.get("without_children"):
        parts.append(f"{len(adjust['without_children'])} ingetrokken kind(eren) niet meer "
                     "meegenomen")
    if adjust.get("without_applications"):
        parts.append(f"{len(adjust['without_applications'])} geweigerde keuze(s) weggelaten")
    if adjust.get("kept_places"):
        parts.append(f"{len(adjust['kept_places'])} later ingenomen plaats(en) behouden")
    if adjust.get("capacities"):
        parts.append("goedgekeurde capaciteit gebruikt: " + ", ".join(
            f"{lv} {cap}" for lv, cap in adjust["capacities"].items()))
    return "; ".join(parts)


def pv_context(db: Database, run_id: int, *, verify: bool = False,
               generated_at: datetime | None = None) -> dict[str, Any]:
    """Everything a notary signs and anyone needs to re-run: hashes, seed, options, engine
    version, counts, rank distribution, unplaced children, cut-offs. With `verify` the run
    is re-run first: the PV then says whether the output hash is the same, and it takes
    the cut-offs from the re-run when the run record did not keep them."""
    data = _read_run(db, run_id)
    run_d, assignments = data["run"], data["assignments"]
    options, counts, hashes = data["options"], data["counts"], data["hashes"]
    input_hashes = ([{"file": k, "sha256": v} for k, v in sorted(hashes.items())]
                    if isinstance(hashes, dict) else [{"file": "", "sha256": str(hashes)}])
    ranks: Counter[int] = Counter()
    unplaced: list[str] = []
    for a in assignments:
        if not a.get("level_id"):
            unplaced.append(a["child_id"])
        elif a.get("choice_rank"):
            ranks[int(a["choice_rank"])] += 1
    n = len(assignments)
    cutoffs = _cutoffs(counts)
    verification = None
    if verify:
        check = verify_run(db, run_id)
        verification = {"output_hash": check["output_hash"],
                        "matches": check["output_hash"] == run_d["output_hash"]}
        cutoffs = cutoffs or check["cutoffs"]
    options = options if isinstance(options, dict) else {"": options}
    counts = counts if isinstance(counts, dict) else {"": counts}
    return {
        "meta": meta(db.user, "Proces-verbaal van een toewijzing", generated_at or db.now(),
                     audit.head(db)),
        "run": run_d, "round": data["round"],
        "options": options, "option_rows": option_rows(options),
        "counts": counts, "count_rows": count_rows(counts),
        "tiebreak_label": TIEBREAK.get(run_d["tiebreak"], run_d["tiebreak"]),
        "input_hashes": input_hashes,
        "children": n, "placed": n - len(unplaced), "unplaced": unplaced,
        "rank_distribution": [{"rank": r, "children": ranks[r],
                               "share": ranks[r] / n if n else None} for r in sorted(ranks)],
        "levels": _level_rows(data["levels"], assignments, data["indicator"],
                              data["waitlisted"], cutoffs),
        "cutoffs_known": bool(cutoffs),
        "verification": verification,
    }


def render_pv(db: Database, run_id: int, fmt: str = "html", **kw: Any) -> str | bytes:
    template_name("pv", fmt)
    ctx = pv_context(db, run_id, **kw)
    hashes = [(h["file"] or "invoer", h["sha256"]) for h in ctx["input_hashes"]]
    hashes.append(("assignments.csv", ctx["run"]["output_hash"]))
    return render_document(db, "pv", fmt, ctx, lop_name=ctx["round"]["area_name"],
                           hashes=hashes)

