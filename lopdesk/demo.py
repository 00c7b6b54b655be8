"""The demo area: a Ghent-like primary LOP with a secondary sub-area, deterministic from a seed.

- ~100 schools in 25 neighbourhoods (size "normal"), indicator share per neighbourhood
  between 10 % and 70 %, schools placed around their neighbourhood's centre.
- Built around a demo day (today, or `--today`; demo_data.Timeline): per school two capacity
  levels in each of two school years, the youngest nursery birth year and the first grade.
  The school year in progress runs under the old regime (priority period for siblings and
  staff children, the double-contingent period, free enrolment, all last spring); the next
  one under the new regime (capacities set, a central application round upcoming, open or
  allocated depending on the day). No event lies after the demo day.
- About 4,000 children per birth year; ~15 % siblings, ~2 % staff children.
- Withdrawals since September with their freed places filled from the waiting list (the
  latest still offered, with a reply deadline), pending and decided capacity raises,
  overcapacity categories, a school calendar, notices delivered, late and missing, mediation
  cases at every stage, an old-regime priority period waiting to be closed, and the
  secondary first year's central round run last April with a later withdrawal (demo_states).
- A secondary sub-area with administrative groups of years 2-7 and full declarations (one
  active, one lifted).

Registers are simulated with the same rules as the services (REG-04/05/06, CAP-04) and
written in bulk; withdrawals, offers, raises and declarations go through the services.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date, timedelta

import numpy as np
from sqlalchemy import insert, select

from lopdesk.db import Database
from lopdesk.demo_data import (
    AREA_ID,
    FIRST_NAMES,
    LAST_NAMES,
    LOP_EXPERT,
    MEDIATOR,
    NEIGHBOURHOODS,
    OVERCAPACITY,
    SCHOOL_KINDS,
    SCHOOL_WORDS,
    SEC_AREA_ID,
    SIZES,
    Timeline,
    calendar_days,
    local,
    office_hours,
    timeline,
)
from lopdesk.demo_registers import old_regime_registers
from lopdesk.domain import audit, audit_rows
from lopdesk.domain.access import require
from lopdesk.domain.models import (
    Area,
    CalendarDay,
    CapacityLevel,
    Child,
    OvercapacityCategory,
    RegisterCounter,
    RegisterEntry,
    School,
    Site,
)
from lopdesk.labels import BRUSSELS


@dataclass
class DemoSummary:
    size: str
    seed: int
    schools: int
    levels: int
    children: int
    entries: int
    seconds: float
    day: str = ""  # the demo day (ISO): the training clock starts there


class AreaNotEmpty(Exception):
    pass


def has_demo(db: Database) -> bool:
    with db.read() as s:
        return s.get(Area, AREA_ID) is not None


def generate(db: Database, *, size: str = "normal", seed: int = 2027,
             force: bool = False, today: date | None = None) -> DemoSummary:
    """The demo area as of `today` (default: today), in a new database that then runs on
    the training clock of that day (lopdesk.clock)."""
    import time

    from lopdesk import demo_states
    from lopdesk.clock import system_now
    from lopdesk.domain import training

    if size not in SIZES:
        from lopdesk.domain.errors import InvalidInput

        raise InvalidInput(f"onbekende grootte '{size}' (small, normal, large).", field="size")
    t0 = time.perf_counter()
    cfg = SIZES[size]
    rng = np.random.default_rng(seed)
    with db.read() as s:
        require(s, db.user, "data.import")
        if s.get(Area, AREA_ID) is not None and not force:
            raise AreaNotEmpty(AREA_ID)
    if force:
        _refuse_force_on_data(db)
    real_now = system_now()
    day = today or real_now.astimezone(BRUSSELS).date()
    training.start_training(db, day, real_now)
    tl = timeline(day)
    expert, mediator = (_colleague(db, *who) for who in (LOP_EXPERT, MEDIATOR))

    n_nb = cfg["neighbourhoods"]
    side = math.ceil(math.sqrt(n_nb))
    nb_centres = [(1500.0 * (i % side) + rng.normal(0, 150), 1500.0 * (i // side)
                   + rng.normal(0, 150)) for i in range(n_nb)]
    nb_indicator = np.round(rng.uniform(0.10, 0.70, n_nb), 2)
    schools = _make_schools(rng, cfg["schools"], NEIGHBOURHOODS[:n_nb], nb_centres)
    levels = _make_levels(rng, schools, nb_indicator, tl)
    _write_structure(db, rng, schools, levels, size, seed, tl)
    children, requests, applications = _make_children(
        rng, cfg["cohort"], nb_centres, nb_indicator, schools, levels, tl)
    with db.write() as s:
        require(s, db.user, "data.import")
        for start in range(0, len(children), 5000):
            s.execute(insert(Child), children[start:start + 5000])
        audit.record(s, db.user, "demo.children", "child", "*", {"count": len(children)})

    level_index = {lv["id"]: lv for lv in levels}
    try:
        entries = old_regime_registers(expert, rng, levels, requests)
        entries += _new_regime(expert, rng, seed, levels, level_index, applications, tl)
        _after_the_start(expert, rng, levels, tl)
        _secondary(expert, rng, cfg["sec_schools"], tl)
        demo_states.add(expert, mediator, tl)
    finally:
        expert.dispose()
        mediator.dispose()
    with db.read() as s:
        from sqlalchemy import func

        total = s.execute(select(func.count()).select_from(RegisterEntry)).scalar_one()
    return DemoSummary(size, seed, len(schools), len(levels), len(children), total,
                       round(time.perf_counter() - t0, 2), day.isoformat())


def _colleague(db: Database, name: str, role: str, full_name: str) -> Database:
    """The database as an invented colleague sees it, after adding the account. Where the
    database decides who acts (a PostgreSQL role that is no superuser) this is simply the
    session user again, and the demo's history is then that account's."""
    from lopdesk.domain import ops

    if name not in {u.name for u in ops.list_users(db)}:  # an account added before stays
        ops.add_user(db, name, role, full_name)
    return Database(replace(db.settings, user=name))


def _make_schools(rng: np.random.Generator, n: int, nb_names: list[str],
                  nb_centres: list[tuple[float, float]]) -> list[dict]:
    """Schools placed around their neighbourhood's centre ("nb": the neighbourhood index)."""
    n_nb = len(nb_names)
    schools: list[dict] = []
    for i in range(n):
        nb = i % n_nb
        cx, cy = nb_centres[nb]
        name = f"{SCHOOL_KINDS[i % len(SCHOOL_KINDS)]} {SCHOOL_WORDS[i % len(SCHOOL_WORDS)]}"
        if i >= len(SCHOOL_WORDS):
            name += f" {nb_names[nb]}"
        schools.append({"id": f"BAO{i + 1:03d}", "area_id": AREA_ID, "name": name,
                        "neighbourhood": nb_names[nb], "address": f"{nb_names[nb]}straat "
                        f"{i + 1}, 9000 Gent", "x": round(cx + rng.normal(0, 350), 1),
                        "y": round(cy + rng.normal(0, 350), 1),
                        "mandates_lop_notices": bool(i % 3 == 0), "nb": nb})
    return schools


def _make_levels(rng: np.random.Generator, schools: list[dict],
                 nb_indicator: np.ndarray, tl: Timeline) -> list[dict]:
    """Per school the youngest nursery birth year and grade 1, in both school years."""
    levels: list[dict] = []
    for sc in schools:
        ratio = float(nb_indicator[sc["nb"]])
        for year, regime in ((tl.current, "old"), (tl.next, "new")):
            for kind, label in (("nursery_birth_year", str(year - 2)), ("primary_grade", "1")):
                cap = int(rng.choice([18, 20, 22, 24, 26, 28, 44, 48]))
                seated = int(rng.integers(0, 4)) if kind == "primary_grade" else 0
                seated_ind = int(round(seated * ratio))
                start = local(year, 1, 10) if regime == "old" else local(year, 3, 1)
                # capacities are set before the start (CAP-01)
                updated = local(year - 1, 11, 15) if regime == "old" else tl.capacities_set
                lv_name = ("Kleuter geb. " + label) if kind == "nursery_birth_year" else \
                    "1ste leerjaar"
                levels.append({
                    "id": f"{sc['id']}-{year}-{'K' + label if kind[0] == 'n' else 'L1'}",
                    "school_id": sc["id"], "site_id": sc["id"], "school_year": year,
                    "regime": regime, "kind": kind, "label": label, "name": lv_name,
                    "capacity": cap, "seated_indicator": seated_ind,
                    "seated_non_indicator": seated - seated_ind,
                    "indicator_ratio": ratio if regime == "old" else None,
                    "rounding": "half_up", "enrolment_start": start,
                    "free_places_field": "", "updated_at": updated, "version": 1,
                })
    return levels


def _write_structure(db: Database, rng: np.random.Generator, schools: list[dict],
                     levels: list[dict], size: str, seed: int, tl: Timeline) -> None:
    with db.write() as s:
        require(s, db.user, "data.import")
        s.execute(insert(Area), [
            {"id": AREA_ID, "name": "LOP Gent basisonderwijs", "education": "primary",
             "in_lop": True, "per_contingent_lists": False,
             "chair_contact": "Voorzitter LOP Gent bao, Woodrow Wilsonplein 1, 9000 Gent, "
                              "lop.gent@example.org",
             "clr_contact": Area.model_fields["clr_contact"].default, "parent_area_id": None},
            {"id": SEC_AREA_ID, "name": "LOP Gent secundair (deelgebied)",
             "education": "secondary", "in_lop": True, "per_contingent_lists": False,
             "chair_contact": "Voorzitter LOP Gent so, 9000 Gent",
             "clr_contact": Area.model_fields["clr_contact"].default,
             "parent_area_id": AREA_ID},
        ])
        s.execute(insert(School), [{k: v for k, v in sc.items() if k != "nb"}
                                   for sc in schools])
        s.execute(insert(Site), [{"id": sc["id"], "school_id": sc["id"], "name": sc["name"],
                                  "address": sc["address"], "x": sc["x"], "y": sc["y"],
                                  "pupils": int(rng.integers(80, 450))} for sc in schools])
        s.execute(insert(CapacityLevel), levels)
        audit_rows.touch(s, "capacity_level", "id", (lv["id"] for lv in levels))
        s.execute(insert(RegisterCounter), [{"level_id": lv["id"], "last_seq": 0}
                                            for lv in levels])
        s.execute(insert(OvercapacityCategory), [
            {"regime": r, "level_kind": k, "code": c, "label": lab}
            for r, k, c, lab in OVERCAPACITY])
        cal = calendar_days(tl.current) + calendar_days(tl.next)
        s.execute(insert(CalendarDay), [{"area_id": AREA_ID, "day": d, "kind": k, "label": lab}
                                        for d, k, lab in cal])
        audit.record(s, db.user, "demo.structure", "area", AREA_ID,
                     {"size": size, "seed": seed, "schools": len(schools),
                      "levels": len(levels), "day": tl.day.isoformat()})


def _make_children(rng: np.random.Generator, n: int, nb_centres: list[tuple[float, float]],
                   nb_indicator: np.ndarray, schools: list[dict], levels: list[dict],
                   tl: Timeline) -> tuple[list[dict], dict[str, list[tuple]],
                              list[tuple[str, list[str], dict[str, str]]]]:
    """`n` children per birth year and school year with their chosen schools: requests in
    the old regime, applications to the central round in the new one."""
    n_nb = len(nb_centres)
    school_xy = np.array([[sc["x"], sc["y"]] for sc in schools])
    children: list[dict] = []
    requests: dict[str, list[tuple]] = {lv["id"]: [] for lv in levels}
    applications: list[tuple[str, list[str], dict[str, str]]] = []
    child_no = 0
    for year in (tl.current, tl.next):
        for kind_code, birth_year in (("K", year - 2), ("L1", year - 6)):
            nbs = rng.integers(0, n_nb, n)
            for j in range(n):
                child_no += 1
                nb = int(nbs[j])
                cx, cy = nb_centres[nb]
                x, y = cx + rng.normal(0, 500), cy + rng.normal(0, 500)
                indicator = bool(rng.random() < nb_indicator[nb])
                cid = f"K{child_no:06d}"
                household = f"H{child_no:06d}"
                children.append({
                    "id": cid, "first_name": FIRST_NAMES[int(rng.integers(len(FIRST_NAMES)))],
                    "last_name": LAST_NAMES[int(rng.integers(len(LAST_NAMES)))],
                    "birth_date": date(birth_year, int(rng.integers(1, 13)),
                                       int(rng.integers(1, 29))),
                    "indicator": indicator, "household_id": household,
                    "address": f"{NEIGHBOURHOODS[nb]}laan {int(rng.integers(1, 200))}, 9000 Gent",
                    "x": round(float(x), 1), "y": round(float(y), 1), "duplicate_key": None})
                dist = np.hypot(school_xy[:, 0] - x, school_xy[:, 1] - y)
                near = np.argsort(dist)[:6]
                k = int(rng.choice([1, 2, 3], p=[0.45, 0.35, 0.20]))
                chosen = [int(c) for c in rng.choice(near, size=k, replace=False)]
                r = rng.random()
                group = "sibling" if r < 0.15 else ("staff" if r < 0.17 else
                                                    ("sibling_staff" if r < 0.175 else "none"))
                suffix = f"K{birth_year}" if kind_code == "K" else "L1"
                lv_ids = [f"{schools[c]['id']}-{year}-{suffix}" for c in chosen]
                groups = {lv_ids[0]: group} if group != "none" else {}
                if year == tl.current:
                    for rank, lv_id in enumerate(lv_ids):
                        requests[lv_id].append((cid, groups.get(lv_id, "none"), indicator,
                                                rank))
                else:
                    applications.append((cid, lv_ids, groups))
    return children, requests, applications


def _refuse_force_on_data(db: Database) -> None:
    from lopdesk.domain.errors import RuleViolation

    raise RuleViolation(
        "het demogebied bestaat al in deze databank; gebruik een nieuwe databank "
        "(--db) voor een nieuw demogebied (registers worden nooit gewist, REG-02).",
        rule="REG-02")


def _new_regime(db: Database, rng: np.random.Generator, seed: int, levels: list[dict],
                level_index: dict[str, dict],
                applications: list[tuple[str, list[str], dict[str, str]]], tl: Timeline) -> int:
    """The next school year's application round (1-21 March): upcoming, open (the
    applications made so far) or allocated on 1 April (when the engine is installed)."""
    from lopdesk.domain import allocation
    from lopdesk.domain.allocation_models import Application, RoundLevel

    year = tl.next
    round_id = f"aanmelding-{year}"
    allocation.create_round(db, round_id, AREA_ID, year, f"Aanmeldingen {year}-{year + 1}",
                            at=tl.capacities_set + timedelta(days=3))
    opens, run_at = local(year, 3, 1), local(year, 4, 1, 10)
    # one draw per child whatever the day: the same seed gives the same children
    moments = [opens + timedelta(seconds=int(x))
               for x in rng.integers(0, 20 * 24 * 3600, len(applications))]
    with db.write() as s:
        require(s, db.user, "allocation.run")
        rl = []
        for lv in levels:
            if lv["regime"] != "new":
                continue
            cap = lv["capacity"] - lv["seated_indicator"] - lv["seated_non_indicator"]
            reserve = int(math.floor(cap * 0.2 * rng.random()))  # up to 20 % (new regime)
            rl.append({"round_id": round_id, "level_id": lv["id"], "capacity": cap,
                       "reserved_indicator": reserve, "reserved_non_indicator": 0,
                       "precedence": "priority_first",
                       "criterion": ["random", "distance", "rank+random"][len(rl) % 3],
                       "priority_order": "sibling_staff>sibling>staff"})
        s.execute(insert(RoundLevel), rl)
        apps = []
        for (cid, lv_ids, groups), submitted in zip(applications, moments, strict=True):
            if submitted >= tl.cutoff:
                continue  # not applied yet on the demo day
            for rank, lv_id in enumerate(lv_ids, 1):
                apps.append({"round_id": round_id, "child_id": cid, "rank": rank,
                             "level_id": lv_id, "priority_group": groups.get(lv_id, "none"),
                             "distance_m": None, "submitted_at": submitted})
        for start in range(0, len(apps), 5000):
            s.execute(insert(Application), apps[start:start + 5000])
        audit.record(s, db.user, "demo.applications", "allocation_round", round_id,
                     {"applications": len(apps)}, at=min(tl.cutoff, run_at))
    if not apps or tl.cutoff <= run_at:
        return 0
    try:
        import lopdesk.matching.io  # noqa: F401
    except ImportError:
        return 0
    run = allocation.run_round(db, round_id, seed=seed, at=run_at)
    return run.entries_written


def _after_the_start(db: Database, rng: np.random.Generator, levels: list[dict],
                     tl: Timeline) -> None:
    """Withdrawals since 1 September with their freed places filled from the waiting list
    while it binds (WL-01; the latest are still offered), and capacity raises for the next
    school year: some decided, some pending."""
    from lopdesk.domain import capacity, registers

    old_levels = [lv["id"] for lv in levels if lv["regime"] == "old"]
    picks = rng.choice(len(old_levels), size=min(len(old_levels), 40), replace=False)
    # on a demo day at the very start of the school year the withdrawals fall just before it
    first = min(local(tl.current, 9, 1, 10), tl.cutoff - timedelta(hours=36))
    span = (tl.cutoff - timedelta(hours=12) - first).total_seconds()
    for n, i in enumerate(picks):
        lv_id = old_levels[int(i)]
        rows = [r for r in registers.list_entries(db, lv_id) if r.status == "realised"]
        if not rows:
            continue
        row = rows[int(rng.integers(len(rows)))]
        accepted = n < 0.7 * len(picks)
        # the places still on offer were freed in the last days: their reply deadline runs
        when = (office_hours(first + timedelta(seconds=int(span * n / len(picks))))
                if accepted else tl.recent(0.8 + 0.15 * n / len(picks)))
        registers.withdraw(db, row.id, reason="verhuisd" if n % 2 else "andere school gekozen",
                           at=when)
        # the latest freed places are still on offer, waiting for the parents' answer
        registers.fill(db, lv_id, accept=accepted, at=when + timedelta(hours=2))
    new_levels = [lv for lv in levels if lv["regime"] == "new"]
    for n, i in enumerate(rng.choice(len(new_levels), size=min(8, len(new_levels)),
                                     replace=False)):
        lv = new_levels[int(i)]
        d = capacity.request_raise(db, lv["id"], lv["capacity"] + 2,
                                   reason="extra klaslokaal beschikbaar" if n % 2 else
                                   "bijkomende leerkracht toegekend",
                                   at=tl.recent(0.1 + 0.05 * n))
        if n < 3:
            capacity.decide_raise(db, d.id, approve=n != 2,
                                  reason="goedgekeurd door het LOP" if n != 2 else
                                  "geen bijkomende ruimte",
                                  decision_ref=f"LOP-{tl.next}-{n + 1}",
                                  at=tl.recent(0.6 + 0.02 * n), accept_all=True)


def _secondary(db: Database, rng: np.random.Generator, n_schools: int, tl: Timeline) -> None:
    """A secondary sub-area in the school year in progress: administrative groups of years
    2-7, requests since last spring and full declarations (CAP-06; one active, one lifted)."""
    from lopdesk.domain import areas, capacity, registers

    year = tl.current
    groups = [("6247", "2de jaar A-stroom", 2), ("6248", "3de jaar ASO", 3),
              ("6249", "4de jaar ASO", 4), ("6250", "5de jaar ASO", 5)]
    level_ids: list[str] = []
    for i in range(n_schools):
        sid = f"SO{i + 1:03d}"
        areas.create_school(db, sid, SEC_AREA_ID, f"Secundaire school {SCHOOL_WORDS[i]}",
                            neighbourhood=NEIGHBOURHOODS[i], address=f"Schoolstraat {i + 1}, "
                            "9000 Gent", x=1000.0 * i, y=800.0, pupils=600)
        for code, label, grade in groups:
            lid = f"{sid}-{year}-{code}"
            areas.create_level(db, lid, sid, school_year=year, regime="new",
                               kind="admin_group", label=code, name=label, grade=grade,
                               capacity=int(rng.integers(20, 30)), seated_indicator=8,
                               seated_non_indicator=int(rng.integers(10, 18)),
                               enrolment_start=local(year, 3, 1))
            level_ids.append(lid)
    with db.read() as s:
        kids = list(s.execute(select(Child.id).order_by(Child.id).limit(60)).scalars())
    for n, kid in enumerate(kids[:40]):
        registers.add_request(db, level_ids[n % len(level_ids)], kid,
                              at=local(year, 5, 2, 9, n))
    d1 = capacity.declare_full(db, level_ids[:2], reason="volzet na heroriënteringen",
                               at=tl.recent(0.3))
    d2 = capacity.declare_full(db, level_ids[4:6], reason="tijdelijk volzet",
                               at=tl.recent(0.35))
    capacity.lift_full(db, d2.id, reason="plaats vrijgekomen", at=tl.recent(0.6))
    for n, kid in enumerate(kids[40:46]):
        registers.add_request(db, level_ids[n % 2], kid,
                              at=tl.recent(0.7) + timedelta(minutes=n))
    assert d1.id is not None

