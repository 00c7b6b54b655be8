"""The read side of central allocation: rounds and their stored runs (ALC-05)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from lopdesk.db import Database
from lopdesk.domain.access import reading
from lopdesk.domain.allocation_models import AllocationRound, AllocationRun
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
