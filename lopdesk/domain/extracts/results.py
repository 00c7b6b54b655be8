"""An allocation run's results and waiting lists as rows with the children's names and the
schools' names: what a LOP sends to the schools after a round (REG-07)."""

from __future__ import annotations

import csv
from typing import Any

from sqlalchemy import select

from lopdesk.db import Database
from lopdesk.domain.access import reading
from lopdesk.domain.allocation_models import AllocationRun, AllocationWaitlist
from lopdesk.domain.areas import get_or_404
from lopdesk.domain.models import CapacityLevel, Child, School

_CHUNK = 5000  # ids per IN (...) query


def read_results(db: Database, run_id: int) -> dict[str, Any]:
    """{"assignments": [...], "waitlists": [...]} of one run, in the run's own order
    (assignments) and by level and position (waiting lists)."""
    with reading(db) as s:
        run = get_or_404(s, AllocationRun, run_id, "toewijzing")
        assignments = list(csv.DictReader(run.assignments_csv.splitlines()))
        waits = s.execute(select(AllocationWaitlist.level_id, AllocationWaitlist.position,
                                 AllocationWaitlist.child_id)
                          .where(AllocationWaitlist.run_id == run_id)
                          .order_by(AllocationWaitlist.level_id,
                                    AllocationWaitlist.position)).all()
        ids = sorted({a["child_id"] for a in assignments} | {w.child_id for w in waits})
        names: dict[str, str] = {}
        for start in range(0, len(ids), _CHUNK):
            for cid, first, last in s.execute(select(Child.id, Child.first_name,
                                                     Child.last_name)
                                              .where(Child.id.in_(ids[start:start + _CHUNK]))):
                names[cid] = f"{first} {last}".strip()
        schools = dict(s.execute(select(CapacityLevel.id, School.name)
                                 .join(School, School.id == CapacityLevel.school_id)).all())
    return {
        "assignments": [{"child_id": a["child_id"], "name": names.get(a["child_id"], ""),
                         "level_id": a.get("level_id") or "",
                         "school": schools.get(a.get("level_id") or "", ""),
                         "choice_rank": int(a["choice_rank"]) if a.get("choice_rank") else None}
                        for a in assignments],
        "waitlists": [{"level_id": w.level_id, "school": schools.get(w.level_id, ""),
                       "position": w.position, "child_id": w.child_id,
                       "name": names.get(w.child_id, "")} for w in waits],
    }
