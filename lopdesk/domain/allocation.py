"""The central allocation on applications stored in the database (domain §9, REG-07).

A round's applications are written out in the files of formats.md and allocated by the same
engine as the stateless `lopdesk allocate` (so both ways give the same result for the same
input and seed); the results are then written into the registers in one transaction and
the run record is stored (ALC-05). A second run of a round is refused unless it explicitly
replaces the first; the replaced run and its register entries stay on record (withdrawn).
"""

from __future__ import annotations

import csv
import json
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlmodel import Session

from lopdesk.db import Database
from lopdesk.domain import audit, replacement
from lopdesk.domain.access import reading, require
from lopdesk.domain.allocation_models import (
    AllocationRound,
    AllocationRun,
    AllocationWaitlist,
    Application,
    RoundLevel,
)
from lopdesk.domain.allocation_queries import RunNames as RunNames
from lopdesk.domain.allocation_queries import RunRow as RunRow
from lopdesk.domain.allocation_queries import list_rounds as list_rounds
from lopdesk.domain.allocation_queries import list_runs as list_runs
from lopdesk.domain.allocation_queries import run_names as run_names
from lopdesk.domain.areas import get_or_404, refuse_existing
from lopdesk.domain.codes import CRITERIA, PRECEDENCES, PRIORITY_GROUPS, TIEBREAKS
from lopdesk.domain.errors import Conflict, ImportError_, InvalidInput, RuleViolation
from lopdesk.domain.models import (
    Area,
    CapacityLevel,
    Child,
    RegisterEntry,
    School,
)
from lopdesk.domain.registers import bulk_append, level_state, set_status_in
from lopdesk.domain.round_files import export_round
from lopdesk.domain.types import utcnow
from lopdesk.labels import fmt_datetime


def create_round(db: Database, round_id: str, area_id: str, school_year: int, name: str, *,
                 tiebreak: str = "single", at: datetime | None = None) -> AllocationRound:
    if tiebreak not in TIEBREAKS:
        raise InvalidInput(f"onbekende loting '{tiebreak}' (single of multiple).",
                           field="tiebreak")
    with db.write() as s:
        require(s, db.user, "allocation.run")
        get_or_404(s, Area, area_id, "gebied")
        refuse_existing(s, AllocationRound, round_id, "ronde", field="round_id")
        rnd = AllocationRound(id=round_id, area_id=area_id, school_year=school_year, name=name,
                              tiebreak=tiebreak, created_at=at or utcnow())
        s.add(rnd)
        s.flush()
        audit.record(s, db.user, "round.create", "allocation_round", round_id,
                     {"school_year": school_year})
        return rnd


def add_round_level(db: Database, round_id: str, level_id: str, *, capacity: int | None = None,
                    reserved_indicator: int = 0, reserved_non_indicator: int = 0,
                    precedence: str = "priority_first", criterion: str = "random",
                    priority_order: str = "sibling_staff>sibling>staff") -> RoundLevel:
    """A level takes part; its places default to its free places now (CAP-04)."""
    if precedence not in PRECEDENCES:
        raise InvalidInput(f"onbekende voorrangsregel '{precedence}'.", field="precedence")
    if criterion not in CRITERIA:
        raise InvalidInput(f"onbekend criterium '{criterion}'.", field="criterion")
    groups = [g.strip() for g in priority_order.split(">")] if priority_order.strip() else []
    unknown = [g for g in groups if g not in PRIORITY_GROUPS or g == "none"]
    if unknown or len(set(groups)) != len(groups):
        raise InvalidInput(f"ongeldige voorrangsvolgorde '{priority_order}': gebruik "
                           "sibling_staff, sibling en staff, gescheiden door '>'.",
                           field="priority_order")
    with db.write() as s:
        require(s, db.user, "allocation.run")
        rnd = get_or_404(s, AllocationRound, round_id, "ronde")
        level = get_or_404(s, CapacityLevel, level_id, "capaciteitsniveau")
        school = s.get(School, level.school_id)
        if school is not None and school.area_id != rnd.area_id:
            raise RuleViolation(f"niveau {level_id} hoort bij gebied {school.area_id}, de ronde "
                                f"bij {rnd.area_id}.", rule="ALC-01")
        if level.school_year != rnd.school_year:
            raise RuleViolation(f"niveau {level_id} is van schooljaar {level.school_year}, de "
                                f"ronde van {rnd.school_year}.", rule="ALC-01")
        if capacity is None:
            capacity = level_state(s, level).free_places() or 0
        if min(capacity, reserved_indicator, reserved_non_indicator) < 0:
            raise InvalidInput("plaatsen kunnen niet negatief zijn.", field="capacity")
        if reserved_indicator + reserved_non_indicator > capacity:
            raise InvalidInput("gereserveerde plaatsen zijn meer dan de capaciteit.",
                               field="reserved_indicator")
        # ALC-04 and domain §2: each regime its own precedence and reserves
        if level.regime == "old" and precedence != "contingent":
            raise RuleViolation(f"niveau {level_id} valt onder het oude regime: dubbele "
                                "contingentering, kies --precedence contingent.", rule="ALC-04")
        if level.regime == "new":
            if precedence != "priority_first":
                raise RuleViolation("de voorrang 'dubbele contingentering' hoort bij het oude "
                                    "regime; kies 'eerst voorrangsgroepen'.", rule="ALC-04")
            if reserved_non_indicator > 0:
                raise RuleViolation("in het nieuwe regime is er enkel een reserve voor de "
                                    "ondervertegenwoordigde groep (reserve indicatorleerlingen).",
                                    field="reserved_non_indicator", rule="ALC-04")
            if reserved_indicator * 5 > capacity:  # at most 20 % (domain §2)
                raise RuleViolation(f"de reserve ({reserved_indicator}) is meer dan 20 % van "
                                    f"de {capacity} plaatsen.", rule="ALC-04")
        row = RoundLevel(round_id=round_id, level_id=level_id, capacity=capacity,
                         reserved_indicator=reserved_indicator,
                         reserved_non_indicator=reserved_non_indicator, precedence=precedence,
                         criterion=criterion, priority_order=priority_order)
        s.merge(row)
        audit.record(s, db.user, "round.level", "round_level", f"{round_id}/{level_id}",
                     {"capacity": capacity, "precedence": precedence, "criterion": criterion})
        return row


def add_applications(db: Database, round_id: str, child_id: str, level_ids: list[str], *,
                     priority_groups: dict[str, str] | None = None,
                     distances: dict[str, float] | None = None,
                     at: datetime | None = None) -> int:
    """Store a child's ranked list (1 = first choice); replaces an earlier list of the child."""
    if len(set(level_ids)) != len(level_ids):
        raise InvalidInput("een school staat twee keer op de lijst.", field="level_ids")
    groups = priority_groups or {}
    for g in groups.values():
        if g not in PRIORITY_GROUPS:
            raise InvalidInput(f"onbekende voorrangsgroep '{g}'.", field="priority_group")
    with db.write() as s:
        require(s, db.user, "allocation.run")
        rnd = get_or_404(s, AllocationRound, round_id, "ronde")
        if rnd.status != "open":
            raise RuleViolation("de ronde werd al toegewezen; aanmeldingen liggen vast.",
                                rule="ALC-05")
        get_or_404(s, Child, child_id, "kind")
        taking_part = set(s.execute(select(RoundLevel.level_id)
                                    .where(RoundLevel.round_id == round_id)).scalars())
        for lv in level_ids:
            if lv not in taking_part:
                raise InvalidInput(f"niveau '{lv}' neemt niet deel aan ronde {round_id}.",
                                   field="level_id")
        for old in s.execute(select(Application).where(Application.round_id == round_id,
                                                       Application.child_id == child_id)
                             ).scalars():
            s.delete(old)
        s.flush()
        when = at or utcnow()
        for rank, lv in enumerate(level_ids, 1):
            s.add(Application(round_id=round_id, child_id=child_id, rank=rank, level_id=lv,
                              priority_group=groups.get(lv, "none"),
                              distance_m=(distances or {}).get(lv), submitted_at=when))
        audit.record(s, db.user, "round.applications", "application", f"{round_id}/{child_id}",
                     {"levels": level_ids})
        return len(level_ids)


def import_applications(db: Database, round_id: str, path: Path,
                        sheet: str | None = None) -> int:
    """applications.csv of formats.md (or one sheet of a workbook) into a round; nothing is
    written when a row is wrong. Cells get the checks of every import (csvin)."""
    from lopdesk.domain.sheets import open_table

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ImportError_(path.name, 1, None, f"bestand niet leesbaar: {exc}") from None
    table = open_table(path.name, raw, ("child_id", "rank", "level_id"), sheet)
    name = table.name
    lists: dict[str, dict[int, tuple[str, str, float | None]]] = {}
    with db.read() as s:
        children = set(s.execute(select(Child.id)).scalars())
        levels = set(s.execute(select(RoundLevel.level_id)
                               .where(RoundLevel.round_id == round_id)).scalars())
    def cell(row: dict, line: int, col: str, required: bool = True) -> str:
        v = (row.get(col) or "").strip()
        if required and not v:
            raise ImportError_(name, line, col, "lege verplichte cel")
        return v

    for row in table.rows():
        line = table.line
        child, level = cell(row, line, "child_id"), cell(row, line, "level_id")
        try:
            rank = int(cell(row, line, "rank"))
            if rank < 1:
                raise ValueError
        except ValueError:
            raise ImportError_(name, line, "rank", "moet een geheel getal ≥ 1 zijn") from None
        if child not in children:
            raise ImportError_(name, line, "child_id", f"onbekend kind '{child}'")
        if level not in levels:
            raise ImportError_(name, line, "level_id", f"niveau '{level}' neemt niet deel")
        group = cell(row, line, "priority_group", False) or "none"
        if group not in PRIORITY_GROUPS:
            raise ImportError_(name, line, "priority_group", f"onbekende groep '{group}'")
        dist_text = cell(row, line, "distance_m", False)
        dist = None
        if dist_text:
            try:
                dist = float(dist_text)
                if dist < 0:
                    raise ValueError
            except ValueError:
                raise ImportError_(name, line, "distance_m", "moet een getal ≥ 0 zijn") from None
        mine = lists.setdefault(child, {})
        if rank in mine:
            raise ImportError_(name, line, "rank", f"rang {rank} komt twee keer voor bij {child}")
        if any(lv == level for lv, _, _ in mine.values()):
            raise ImportError_(name, line, "level_id", f"{level} staat twee keer bij {child}")
        mine[rank] = (level, group, dist)
    count = 0
    with db.write() as s:
        require(s, db.user, "allocation.run")
        rnd = get_or_404(s, AllocationRound, round_id, "ronde")
        if rnd.status != "open":
            raise RuleViolation("de ronde werd al toegewezen.", rule="ALC-05")
        now = utcnow()
        for child, ranks in lists.items():
            for old in s.execute(select(Application).where(Application.round_id == round_id,
                                                           Application.child_id == child)
                                 ).scalars():
                s.delete(old)
            s.flush()  # the deletes first: a new row may take an old (child, rank)
            for new_rank, rank in enumerate(sorted(ranks), 1):
                level, group, dist = ranks[rank]
                s.add(Application(round_id=round_id, child_id=child, rank=new_rank,
                                  level_id=level, priority_group=group, distance_m=dist,
                                  submitted_at=now))
                count += 1
        audit.record(s, db.user, "round.import", "allocation_round", round_id,
                     {"file": name, "rows": count})
    return count


def _engine_run(input_dir: Path, out_dir: Path, seed: int | None, tiebreak: str,
                improve: bool) -> dict:
    from lopdesk.matching.io import run_allocation  # numpy only when a run happens

    try:
        return run_allocation(input_dir, out_dir, seed=seed, tiebreak=tiebreak, improve=improve)
    except ImportError_ as exc:  # the round's data, exported by us: say what to fix there
        raise InvalidInput(f"de ronde kan niet worden toegewezen: {exc.message} (in de "
                           "uitgevoerde {exc.file}; vul de afstand of de adrescoördinaten "
                           "aan, of pas het niveau van de ronde aan)") from None


def preview_replacement(db: Database, round_id: str) -> replacement.Impact | None:
    """What replacing the round's active run would touch, before anything is written."""
    with reading(db) as s:
        get_or_404(s, AllocationRound, round_id, "ronde")
        return replacement.impact_in(s, round_id)


@dataclass(frozen=True)
class Replace:
    """How a run replaces the active one: `keep_later_events` confirms carrying later facts
    over (otherwise they refuse the replacement, ALC-05); `reason` goes into the PV."""

    keep_later_events: bool = False
    reason: str = ""


@dataclass
class RoundRun:
    run_id: int
    round_id: str
    seed: int
    children: int
    placed: int
    unplaced: int
    entries_written: int
    replaced_run: int | None
    output_dir: str | None = None
    summary: dict = field(default_factory=dict)


def run_round(db: Database, round_id: str, *, seed: int | None = None,
              tiebreak: str | None = None, improve: bool = False, replace: bool = False,
              keep_output: Path | None = None, keep_later_events: bool = False,
              replace_reason: str = "", at: datetime | None = None) -> RoundRun:
    """Allocate a round and write the results into the registers (REG-07) in one transaction.

    Replacing an active run never silently undoes later work: see replacement.py."""
    how = Replace(keep_later_events, replace_reason.strip()) if replace else None
    with reading(db, "allocation.run") as s:
        rnd = get_or_404(s, AllocationRound, round_id, "ronde")
        active = s.execute(select(AllocationRun.id).where(AllocationRun.round_id == round_id,
                                                          AllocationRun.status == "active")
                           ).scalar()
        if active is not None and not replace:
            raise RuleViolation(
                f"ronde {round_id} werd al toegewezen (toewijzing {active}). Een nieuwe toewijzing "
                "vervangt die enkel als u uitdrukkelijk vervangen kiest; de vervangen toewijzing "
                "blijft bewaard.",
                field="replace", rule="ALC-05")
        impact = replacement.impact_in(s, round_id) if how else None
        if how and not how.keep_later_events:
            replacement.refuse_unconfirmed(impact, round_id)
        adjust = replacement.adjustments(impact) if impact and how else None
        n_apps = s.execute(select(func.count()).where(Application.round_id == round_id)
                           ).scalar_one()
        if n_apps == 0:
            raise RuleViolation(f"ronde {round_id} heeft geen aanmeldingen.", rule="ALC-01")
        latest = s.execute(select(func.max(Application.submitted_at))
                           .where(Application.round_id == round_id)).scalar()
        if at is not None and latest is not None and at < latest:
            raise RuleViolation(f"een toewijzing op {fmt_datetime(at)} kan geen aanmelding van "
                                f"{fmt_datetime(latest)} toewijzen: kies een later tijdstip.",
                                rule="ALC-05")
        tb = tiebreak or rnd.tiebreak
        s.expunge(rnd)  # keep its loaded values through the rollback below
        with tempfile.TemporaryDirectory(prefix="lopdesk-round-") as tmp:
            inp, out = Path(tmp) / "input", Path(tmp) / "output"
            export_round(s, round_id, inp, adjust)
            s.rollback()  # end the read transaction before the engine runs
            summary = _engine_run(inp, out, seed, tb, improve)
            run_json = json.loads((out / "run.json").read_text(encoding="utf-8"))
            # the cut-offs go on record with the run (the notary's proces-verbaal shows them)
            level_rows = csv.DictReader(
                (out / "levels.csv").read_text(encoding="utf-8").splitlines())
            run_json.setdefault("counts", {})["cutoffs"] = {
                r["level_id"]: r["cutoff"] for r in level_rows}
            assignments_text = (out / "assignments.csv").read_text(encoding="utf-8")
            assignments = list(csv.DictReader(assignments_text.splitlines()))
            waitlist = list(csv.DictReader(
                (out / "waitlist.csv").read_text(encoding="utf-8").splitlines()))
            if keep_output is not None:
                import shutil

                shutil.copytree(out, keep_output, dirs_exist_ok=True)
    used_seed = int(run_json.get("seed", seed or 0))
    return _store_run(db, rnd, run_json, assignments_text, assignments, waitlist, used_seed,
                      tb, improve, how, impact, summary, keep_output, at=at)


def _store_run(db: Database, rnd: AllocationRound, run_json: dict, assignments_text: str,
               assignments: list[dict], waitlist: list[dict], seed: int, tiebreak: str,
               improve: bool, how: Replace | None, impact: replacement.Impact | None,
               summary: dict, keep_output: Path | None, *,
               at: datetime | None = None) -> RoundRun:
    with db.write() as s:
        require(s, db.user, "allocation.run")
        active = s.execute(select(AllocationRun).where(AllocationRun.round_id == rnd.id,
                                                       AllocationRun.status == "active")
                           ).scalar()
        if active is not None and how is None:  # someone else ran it meanwhile
            raise RuleViolation(f"ronde {rnd.id} werd intussen toegewezen (toewijzing "
                                f"{active.id}).", rule="ALC-05")
        if how is not None and not replacement.same_facts(
                impact, replacement.impact_in(s, rnd.id)):
            raise Conflict(f"ronde {rnd.id}: de registers veranderden terwijl de toewijzing "
                           "liep; bekijk de gevolgen opnieuw en start de vervanging opnieuw.")
        now = (at or utcnow()).replace(microsecond=0)
        # A replacement keeps the moment of the lines it replaces, never the re-run moment
        # (NGI-01: the date and hour of the request as in the register).
        lines_at = impact.lines_at if impact is not None else now
        hashes = run_json.get("input_sha256") or run_json.get("inputs") or {}
        run = AllocationRun(
            round_id=rnd.id, seed=seed, tiebreak=tiebreak, improve=improve,
            options=audit.canonical(run_json.get("options", {})),
            engine_version=str(run_json.get("engine_version", "")),
            input_hash=audit.canonical(hashes) if isinstance(hashes, dict) else str(hashes),
            output_hash=str(run_json.get("assignments_sha256")
                            or run_json.get("output_sha256", "")),
            counts=audit.canonical(run_json.get("counts", {})),
            started_at=now, ended_at=now, user=db.user, assignments_csv=assignments_text,
            replaces=active.id if active is not None else None,
            replace_reason=how.reason if how and active is not None else "",
            adjustments=audit.canonical(replacement.run_record(
                s, rnd.id, impact, bool(how and how.keep_later_events))))
        s.add(run)
        s.flush()
        assert run.id is not None
        replaced = None
        if active is not None:
            replaced = active.id
            active.status = "replaced"
            active.replaced_by = run.id
            s.add(active)
            old_entries = s.execute(select(RegisterEntry).where(
                RegisterEntry.allocation_run_id == active.id,
                RegisterEntry.status.in_(["realised", "non_realised"]))).scalars().all()
            kept = {tuple(p) for p in replacement.adjustments(impact).get("kept_places", [])} \
                if impact is not None and how is not None and how.keep_later_events else set()
            for e in old_entries:
                if e.status == "realised" and (e.child_id, e.level_id) in kept:
                    continue  # a place taken after the run stays taken
                set_status_in(s, db.user, e, "withdrawn", reason=f"toewijzing {active.id} "
                              f"vervangen door toewijzing {run.id}", rule="ALC-05", at=now)
        rows, placed = _register_rows(s, rnd.id, run.id, lines_at, assignments, waitlist)
        if lines_at != now:  # the line keeps its moment; its creation is dated now (REG-02)
            for row in rows:
                row["history"] = [(now, None, row["status"], row["event_reason"], "REG-07")]
        ids = bulk_append(s, db.user, rows, rule="REG-07", message="aanmeldingsprocedure",
                          source="allocation")
        if impact is not None and active is not None:
            replacement.carry_over_in(s, db.user, impact, run.id, now)
        rnd_row = s.get(AllocationRound, rnd.id)
        assert rnd_row is not None
        rnd_row.status = "allocated"
        s.add(rnd_row)
        audit.record(s, db.user, "allocation.run", "allocation_run", run.id,
                     {"round_id": rnd.id, "seed": seed, "replaced": replaced,
                      "replace_reason": run.replace_reason,
                      "kept_later_events": bool(how and how.keep_later_events),
                      "output_hash": run.output_hash, "entries": len(ids)})
        return RoundRun(run.id, rnd.id, seed, len(assignments), placed,
                        len(assignments) - placed, len(ids), replaced,
                        str(keep_output) if keep_output else None, summary)


def rerun_to_folder(db: Database, run_id: int, out_dir: Path) -> dict:
    """Re-run a stored run from the round's applications with its seed and options (ALC-05):
    the explanation of a stored run (ALC-06) and the notary's check both use this."""
    with reading(db) as s:
        run = get_or_404(s, AllocationRun, run_id, "toewijzing")
        with tempfile.TemporaryDirectory(prefix="lopdesk-rerun-") as tmp:
            inp = Path(tmp) / "input"
            export_round(s, run.round_id, inp, json.loads(run.adjustments or "{}"))
            return _engine_run(inp, out_dir, run.seed, run.tiebreak, run.improve)


def _register_rows(s: Session, round_id: str, run_id: int, lines_at: datetime,
                   assignments: list[dict], waitlist: list[dict]) -> tuple[list[dict], int]:
    """REG-07: the register lines of a run (realised, then non-realised with the waiting-list
    position) and the number of children placed; the waiting lists are stored too. The lines
    are dated `lines_at`: the run, or for a replacement the lines it replaces."""
    indicator = dict(s.execute(select(Child.id, Child.indicator)).all())
    groups: dict[tuple[str, str], str] = {}
    submitted: dict[tuple[str, str], datetime] = {}
    for child_id, level_id, group, at in s.execute(
            select(Application.child_id, Application.level_id, Application.priority_group,
                   Application.submitted_at).where(Application.round_id == round_id)):
        groups[(child_id, level_id)] = group
        submitted[(child_id, level_id)] = at
    rows: list[dict] = []

    def line(r: dict, status: str, why: str, **extra: object) -> None:
        # REG-07: the lines are written at the moment of the run, in the engine's order
        # (no false 'earlier timestamp' flags); the application date is in the event.
        key = (r["child_id"], r["level_id"])
        rows.append({"level_id": r["level_id"], "child_id": r["child_id"],
                     "requested_at": lines_at, "priority_group": groups.get(key, "none"),
                     "contingent": "indicator" if indicator.get(r["child_id"])
                     else "non_indicator",
                     "status": status, "allocation_run_id": run_id, **extra,
                     "event_reason": f"{why}, aangemeld {fmt_datetime(submitted.get(key))}"})

    # REG-07: realised at the ticket school, in the order of the engine's output ...
    placed = [a for a in assignments if a.get("level_id")]
    for a in placed:
        line(a, "realised", f"toewijzing (keuze {a.get('choice_rank')})")
    # ... then non-realised with the waiting-list position at every school ranked higher.
    for w in sorted(waitlist, key=lambda w: (w["level_id"], int(w["position"]))):
        line(w, "non_realised", f"wachtlijst positie {w['position']}", reason="capacity",
             waitlist_position=int(w["position"]))
        s.add(AllocationWaitlist(run_id=run_id, child_id=w["child_id"],
                                 level_id=w["level_id"], position=int(w["position"])))
    return rows, len(placed)


def explain_run(db: Database, run_id: int, child_id: str) -> list:
    """ALC-06 for a stored run: the run is repeated from the round's applications with its
    seed and options, then the engine explains the child's outcome per level of its list."""
    from lopdesk.matching.explain import explain_child

    with tempfile.TemporaryDirectory(prefix="lopdesk-explain-") as tmp:
        out = Path(tmp) / "out"
        rerun_to_folder(db, run_id, out)
        return explain_child(out, child_id)
