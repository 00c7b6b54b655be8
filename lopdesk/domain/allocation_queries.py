"""The read side of central allocation: rounds and their stored runs (ALC-05)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from lopdesk.db import Database
from lopdesk.domain.access import reading
from lopdesk.domain.allocation_models import AllocationRound, AllocationRun
from lopdesk.domain.models import CapacityLevel, Child, School
from lopdesk.domain.query import where_given


@dataclass
class RunRow:
    id: int
    round_id: str
    status: str
    seed: int
    tiebreak: str
    improve: bool
    engine_version: str
    input_hash: str
    output_hash: str
    counts: dict
    started_at: datetime
    user: str
    replaced_by: int | None


def list_runs(db: Database, round_id: str | None = None) -> list[RunRow]:
    with reading(db) as s:
        q = where_given(select(AllocationRun).order_by(AllocationRun.id),
                        (AllocationRun.round_id, round_id))
        return [RunRow(r.id or 0, r.round_id, r.status, r.seed, r.tiebreak, r.improve,
                       r.engine_version, r.input_hash, r.output_hash, json.loads(r.counts),
                       r.started_at, r.user, r.replaced_by) for r in s.execute(q).scalars()]


def list_rounds(db: Database) -> list[AllocationRound]:
    with reading(db) as s:
        return list(s.execute(select(AllocationRound).order_by(AllocationRound.id)).scalars())


@dataclass
class RunNames:
    """The names a person reads beside a run's ids (ALC-06): children and levels' schools."""

    children: dict[str, str]  # child id → first and last name
    schools: dict[str, str]  # level id → school name


NAMES_PER_QUERY = 900  # ids per IN (...): below SQLite's smallest bound-parameter limit


def run_names(db: Database, child_ids: Iterable[str], level_ids: Iterable[str]) -> RunNames:
    """Names of the children and of the levels' schools of a run's results; ids that are
    not in the database (an output folder of another area) simply have no name."""
    children, schools = sorted(set(child_ids)), sorted(set(level_ids))
    names = RunNames({}, {})
    with reading(db) as s:
        for i in range(0, len(children), NAMES_PER_QUERY):
            part = children[i:i + NAMES_PER_QUERY]
            for cid, first, last in s.execute(select(
                    Child.id, Child.first_name, Child.last_name).where(Child.id.in_(part))):
                names.children[cid] = f"{first} {last}".strip()
        for i in range(0, len(schools), NAMES_PER_QUERY):
            part = schools[i:i + NAMES_PER_QUERY]
            for lid, school in s.execute(select(CapacityLevel.id, School.name).join(
                    School, School.id == CapacityLevel.school_id).where(
                    CapacityLevel.id.in_(part))):
                names.schools[lid] = school
    return names
