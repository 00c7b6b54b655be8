"""The checks of an imported register (register.csv) against what the database holds, and
the warnings the import reports: rows whose indicator differs from the child's, and levels
where the source register seats more children than the capacity (CAP-04)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from lopdesk.domain.models import CapacityLevel, Child, RegisterEntry
from lopdesk.labels import fmt_datetime

CHUNK = 900  # ids per IN (...) query: below SQLite's bound-parameter limit


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def against_database(s: Session, reader: Any, rows: list[dict], line_of: list[int]) -> None:
    """Every row's level, school and child exist; it is not earlier than the level's last
    entry (REG-01) and the child has no running request there yet. `reader.error` names
    the file, line and column."""
    levels = sorted({r["level_id"] for r in rows})
    children = sorted({r["child_id"] for r in rows})
    known: dict[str, str] = {}
    last: dict[str, datetime] = {}
    open_pairs: set[tuple[str, str]] = set()
    if levels:
        known = dict(s.execute(select(CapacityLevel.id, CapacityLevel.school_id)
                               .where(CapacityLevel.id.in_(levels))).all())
        last = dict(s.execute(select(RegisterEntry.level_id, func.max(RegisterEntry.requested_at))
                              .where(RegisterEntry.level_id.in_(levels))
                              .group_by(RegisterEntry.level_id)).all())
        open_pairs = set(s.execute(select(RegisterEntry.level_id, RegisterEntry.child_id)
                                   .where(RegisterEntry.level_id.in_(levels),
                                          RegisterEntry.status != "withdrawn")).all())
    known_children = _existing_children(s, children)
    for r, line in zip(rows, line_of, strict=True):
        reader.line = line
        level_id, child_id = r["level_id"], r["child_id"]
        if level_id not in known:
            raise reader.error("level_id", f"capaciteitsniveau '{level_id}' bestaat niet")
        if known[level_id] != r["_school"]:
            raise reader.error("school_id", f"niveau {level_id} hoort bij school "
                               f"{known[level_id]}, niet bij {r['_school']}")
        if child_id not in known_children:
            raise reader.error("child_id", f"kind '{child_id}' bestaat niet "
                               "(importeer eerst children.csv)")
        prev = last.get(level_id)
        if prev is not None and r["requested_at"] < _aware(prev):
            raise reader.error("requested_at", f"vroeger dan de laatste inschrijving in "
                               f"het register van {level_id} ({fmt_datetime(_aware(prev))})")
        if r["status"] != "withdrawn" and (level_id, child_id) in open_pairs:
            raise reader.error("child_id", f"kind '{child_id}' staat al in het "
                               f"register van {level_id}")


def _existing_children(s: Session, ids: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(ids), CHUNK):
        found.update(s.execute(select(Child.id).where(
            Child.id.in_(ids[start:start + CHUNK]))).scalars())
    return found


def contingent_warnings(s: Session, file: str, rows: list[dict], line_of: list[int]
                        ) -> list[str]:
    """Rows whose indicator differs from the child's (the row is followed)."""
    ids = sorted({r["child_id"] for r in rows})
    indicator_of: dict[str, bool] = {}
    for start in range(0, len(ids), CHUNK):
        indicator_of.update(s.execute(select(Child.id, Child.indicator).where(
            Child.id.in_(ids[start:start + CHUNK]))).all())
    warnings = []
    for r, line in zip(rows, line_of, strict=True):
        own = "indicator" if indicator_of.get(r["child_id"]) else "non_indicator"
        if own != r["contingent"]:
            warnings.append(f"{file}, regel {line}: indicator van de rij wijkt af "
                            f"van die van kind {r['child_id']} (de rij wordt gevolgd)")
    return warnings


def capacity_warnings(s: Session, levels: set[str]) -> list[str]:
    """The source register decided the statuses; say where it gives more places than the
    level has (CAP-04), so that the LOP can check it."""
    from lopdesk.domain.registers import level_state, places_over

    warnings = []
    for level_id in sorted(levels):
        level = s.get(CapacityLevel, level_id)
        if level is None or level.capacity is None:
            continue
        st = level_state(s, level)
        over = places_over(level.capacity, sum(st.seated.values()), st.realised_total)
        if over:
            warnings.append(f"{level_id}: {level.capacity + over} plaatsen bezet of "
                            f"gerealiseerd bij een capaciteit van {level.capacity} "
                            "(controleer het bronregister)")
    return warnings
