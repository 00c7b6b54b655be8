"""The LOP report: counters, the free-places board, refusals (each child once) and the
social mix of the area's schools (share of indicator pupils, Duncan's dissimilarity)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import select

from lopdesk.db import Database
from lopdesk.domain.access import reading
from lopdesk.domain.areas import get_or_404
from lopdesk.domain.counters import LevelCounters, area_counters
from lopdesk.domain.extracts.environment import meta, render_document, template_name
from lopdesk.domain.models import Area, CapacityLevel, RegisterEntry, RegisterEvent, School
from lopdesk.errors import InvalidInput
from lopdesk.labels import EDUCATION, free_places_board, school_year_label


def dissimilarity(pairs: list[tuple[int, int]]) -> float | None:
    """Duncan's index D = ½ Σ |aᵢ/A − bᵢ/B| over schools (a = indicator, b = other pupils)."""
    total_a = sum(a for a, _ in pairs)
    total_b = sum(b for _, b in pairs)
    if total_a == 0 or total_b == 0:
        return None
    return 0.5 * sum(abs(a / total_a - b / total_b) for a, b in pairs)


def _share(ind: int, other: int) -> float | None:
    return ind / (ind + other) if ind + other else None


def _read_refusals(s: Any, area_id: str, school_year: int
                   ) -> tuple[list[tuple[str, str]], list[tuple[str, str, str]]]:
    """(school, child) for every refusal ever made, and (school, child, status) for the
    realised and non-realised entries now, in the area's levels of the school year."""
    level_ids = list(s.execute(
        select(CapacityLevel.id).join(School, School.id == CapacityLevel.school_id)
        .where(School.area_id == area_id, CapacityLevel.school_year == school_year)
    ).scalars())
    if not level_ids:
        return [], []
    ever_refused = [tuple(r) for r in s.execute(
        select(CapacityLevel.school_id, RegisterEntry.child_id).distinct()
        .join(RegisterEntry, RegisterEntry.level_id == CapacityLevel.id)
        .join(RegisterEvent, RegisterEvent.entry_id == RegisterEntry.id)
        .join(School, School.id == CapacityLevel.school_id)
        .where(School.area_id == area_id, CapacityLevel.school_year == school_year,
               RegisterEvent.to_status == "non_realised")).all()]
    current = [tuple(r) for r in s.execute(
        select(CapacityLevel.school_id, RegisterEntry.child_id, RegisterEntry.status)
        .distinct()
        .join(RegisterEntry, RegisterEntry.level_id == CapacityLevel.id)
        .join(School, School.id == CapacityLevel.school_id)
        .where(School.area_id == area_id, CapacityLevel.school_year == school_year,
               RegisterEntry.status.in_(["non_realised", "realised"]))).all()]
    return ever_refused, current


def _schools(counters: list[LevelCounters]) -> dict[str, dict[str, Any]]:
    """Per school its levels and its indicator and other pupils (seated and realised)."""
    schools: dict[str, dict[str, Any]] = {}
    for c in counters:
        sc = schools.setdefault(c.school_id, {
            "id": c.school_id, "name": c.school_name, "neighbourhood": c.neighbourhood,
            "levels": [], "ind": 0, "non": 0})
        sc["levels"].append({**asdict(c), "board": free_places_board(c.free_places_field),
                             "realised": c.realised, "seated": c.seated})
        sc["ind"] += c.seated_indicator + c.realised_indicator
        sc["non"] += c.seated_non_indicator + c.realised_non_indicator
    return schools


def _school_rows(schools: dict[str, dict[str, Any]], hoods: dict[str, list[int]],
                 area_share: float | None, ever_refused: list[tuple[str, str]],
                 current: list[tuple[str, str, str]], placed: set[str]) -> list[dict[str, Any]]:
    waiting_by_school: dict[str, set[str]] = {}
    for sid, cid, st in current:
        if st == "non_realised":
            waiting_by_school.setdefault(sid, set()).add(cid)
    refused_by_school: dict[str, set[str]] = {}
    for sid, cid in ever_refused:
        refused_by_school.setdefault(sid, set()).add(cid)
    school_rows = []
    for sc in schools.values():
        refused = refused_by_school.get(sc["id"], set())
        waiting = waiting_by_school.get(sc["id"], set())
        h_ind, h_non = hoods[sc["neighbourhood"]]
        school_rows.append({
            **sc,
            "pupils": sc["ind"] + sc["non"],
            "share": _share(sc["ind"], sc["non"]),
            "neighbourhood_share": _share(h_ind, h_non),
            "area_share": area_share,
            "refused_children": len(refused),
            "waiting_children": len(waiting),
            "refused_without_place": len(refused - placed),
        })
    return school_rows


def _no_levels(db: Database, area_id: str, school_year: int) -> None:
    """A report of a year without levels would be all zeros: refused, naming the years
    the area does have (the form's year is easily one off between two school years)."""
    with reading(db) as s:
        years = sorted(set(s.execute(
            select(CapacityLevel.school_year).join(School, School.id == CapacityLevel.school_id)
            .where(School.area_id == area_id)).scalars()))
    have = ", ".join(school_year_label(y) for y in years) or "geen enkel schooljaar"
    raise InvalidInput(f"gebied {area_id} heeft geen capaciteitsniveaus in schooljaar "
                       f"{school_year_label(school_year)}; wel in: {have}.", field="year")


def report_context(db: Database, area_id: str, school_year: int, *,
                   generated_at: datetime | None = None) -> dict[str, Any]:
    """Counters, the free-places board, refusals (children once) and the social mix."""
    with reading(db) as s:
        area = get_or_404(s, Area, area_id, "gebied")
        area_d = {"id": area.id, "name": area.name, "education": area.education,
                  "education_label": EDUCATION.get(area.education, area.education)}
        ever_refused, current = _read_refusals(s, area_id, school_year)
    counters = area_counters(db, area_id, school_year)
    if not counters:
        _no_levels(db, area_id, school_year)
    placed = {c for _, c, st in current if st == "realised"}
    schools = _schools(counters)
    hoods: dict[str, list[int]] = {}
    for sc in schools.values():
        h = hoods.setdefault(sc["neighbourhood"], [0, 0])
        h[0] += sc["ind"]
        h[1] += sc["non"]
    area_ind = sum(sc["ind"] for sc in schools.values())
    area_non = sum(sc["non"] for sc in schools.values())
    area_share = _share(area_ind, area_non)
    school_rows = _school_rows(schools, hoods, area_share, ever_refused, current, placed)
    all_refused = {cid for _, cid in ever_refused}
    all_waiting = {cid for _, cid, st in current if st == "non_realised"}
    hood_rows = [{"name": name, "indicator": v[0], "pupils": v[0] + v[1],
                  "share": _share(v[0], v[1])} for name, v in sorted(hoods.items())]
    totals = {k: sum(getattr(c, k) or 0 for c in counters) for k in (
        "capacity", "seated_indicator", "seated_non_indicator", "realised_indicator",
        "realised_non_indicator", "deferred_indicator", "deferred_non_indicator",
        "non_realised_indicator", "non_realised_non_indicator", "withdrawn", "overcapacity",
        "free_places")}
    # The chart: one bar per school, with neighbourhood and area marks (SVG and text).
    chart_rows = [{"name": r["name"], "share": r["share"] or 0.0,
                   "neighbourhood_share": r["neighbourhood_share"], "area_share": area_share}
                  for r in school_rows]
    return {
        "meta": meta(db.user, "LOP-rapport", generated_at or db.now()),
        "area": area_d, "school_year": school_year,
        "school_year_label": school_year_label(school_year),
        "schools": school_rows, "neighbourhoods": hood_rows, "totals": totals,
        "refusals": {"children": len(all_refused), "waiting_children": len(all_waiting),
                     "without_place": len(all_refused - placed),
                     "school_sum": sum(r["refused_children"] for r in school_rows)},
        "mix": {"indicator": area_ind, "pupils": area_ind + area_non, "share": area_share,
                "dissimilarity": dissimilarity([(r["ind"], r["non"]) for r in school_rows])},
        "chart": {"rows": chart_rows, "row_height": 22, "label_width": 260, "bar_width": 360,
                  "height": 22 * len(chart_rows) + 40},
    }


def render_report(db: Database, area_id: str, school_year: int, fmt: str = "html",
                  **kw: Any) -> str | bytes:
    template_name("report", fmt)
    ctx = report_context(db, area_id, school_year, **kw)
    return render_document(db, "report", fmt, ctx, lop_name=ctx["area"]["name"])

