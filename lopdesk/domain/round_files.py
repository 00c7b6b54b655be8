"""A round's applications written out as the input files of formats.md (ALC-01..05).

The same engine then reads them as it reads a LOP's own files, so a database round and
`lopdesk allocate` give the same result for the same input and seed.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from lopdesk.domain.allocation_models import Application, RoundLevel
from lopdesk.domain.models import CapacityLevel, Child, School, Site
from lopdesk.files import make_private_folder, write_private_atomic


def _round_capacity(s: Session, round_id: str, level_id: str) -> int:
    rl = s.get(RoundLevel, (round_id, level_id))
    return rl.capacity if rl is not None else 0


@contextmanager
def _private_csv(path: Path) -> Iterator[Any]:
    """A csv writer whose text lands in `path` whole, mode 0640 whatever the umask."""
    buffer = io.StringIO()
    yield csv.writer(buffer, lineterminator="\n")
    write_private_atomic(path, buffer.getvalue().encode("utf-8"))


def export_round(s: Session, round_id: str, folder: Path, adjust: dict | None = None) -> None:
    """Write the round as the three input files of formats.md.

    `adjust` (a replacing run's carried-over facts, see replacement.adjustments): children
    and (child, level) applications left out, capacities approved since the earlier run."""
    adjust = adjust or {}
    capacities = dict(adjust.get("capacities", {}))
    without_children = set(adjust.get("without_children", []))
    for child_id, level_id in adjust.get("kept_places", []):  # enrolled outside the run
        without_children.add(child_id)
        kept_at = capacities.get(level_id)
        capacities[level_id] = (kept_at if kept_at is not None else _round_capacity(
            s, round_id, level_id)) - 1
    without_pairs = {tuple(p) for p in adjust.get("without_applications", [])}
    # the files name children and their indicator: group-readable at most (0750/0640)
    make_private_folder(folder)
    levels = s.execute(select(RoundLevel, CapacityLevel.school_id, CapacityLevel.name)
                       .join(CapacityLevel, CapacityLevel.id == RoundLevel.level_id)
                       .where(RoundLevel.round_id == round_id)
                       .order_by(RoundLevel.level_id)).all()
    with _private_csv(folder / "levels.csv") as w:
        w.writerow(["level_id", "school_id", "name", "capacity", "reserved_indicator",
                    "reserved_non_indicator", "precedence", "criterion", "priority_order"])
        for rl, school_id, name in levels:
            w.writerow([rl.level_id, school_id, name,
                        capacities.get(rl.level_id, rl.capacity), rl.reserved_indicator,
                        rl.reserved_non_indicator, rl.precedence, rl.criterion,
                        rl.priority_order])
    apps = s.execute(select(Application.child_id, Application.rank, Application.level_id,
                            Application.priority_group, Application.distance_m)
                     .where(Application.round_id == round_id)
                     .order_by(Application.child_id, Application.rank)).all()
    apps = [a for a in apps
            if a[0] not in without_children and (a[0], a[2]) not in without_pairs]
    child_ids = sorted({a[0] for a in apps})
    indicator: dict[str, bool] = {}
    child_xy: dict[str, tuple[float, float]] = {}
    for start in range(0, len(child_ids), 900):
        for cid, ind, x, y in s.execute(select(Child.id, Child.indicator, Child.x, Child.y)
                                        .where(Child.id.in_(child_ids[start:start + 900]))):
            indicator[cid] = ind
            if x is not None and y is not None:
                child_xy[cid] = (x, y)
    # A distance not given with the application is the straight line from the child's
    # address to the level's site (or school) when both are known.
    site_xy: dict[str, tuple[float, float]] = {}
    for lv_id, sx, sy, scx, scy in s.execute(
            select(CapacityLevel.id, Site.x, Site.y, School.x, School.y)
            .join(RoundLevel, RoundLevel.level_id == CapacityLevel.id)
            .join(Site, Site.id == CapacityLevel.site_id)
            .join(School, School.id == CapacityLevel.school_id)
            .where(RoundLevel.round_id == round_id)):
        if sx is not None and sy is not None:
            site_xy[lv_id] = (sx, sy)
        elif scx is not None and scy is not None:
            site_xy[lv_id] = (scx, scy)
    with _private_csv(folder / "children.csv") as w:
        w.writerow(["child_id", "indicator"])
        for cid in child_ids:
            w.writerow([cid, 1 if indicator.get(cid) else 0])
    with _private_csv(folder / "applications.csv") as w:
        w.writerow(["child_id", "rank", "level_id", "priority_group", "distance_m"])
        for cid, rank, lv, group, dist in apps:
            if dist is None and cid in child_xy and lv in site_xy:
                (cx, cy), (lx, ly) = child_xy[cid], site_xy[lv]
                dist = round(math.hypot(cx - lx, cy - ly), 1)
            w.writerow([cid, rank, lv, group, "" if dist is None else repr(float(dist))])
