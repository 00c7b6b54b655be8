"""Closing a priority period of the old regime (REG-05); one transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from lopdesk.db import Database
from lopdesk.domain import audit
from lopdesk.domain.access import require
from lopdesk.domain.areas import get_or_404, level_places_in
from lopdesk.domain.errors import RuleViolation
from lopdesk.domain.models import CapacityLevel, Period, RegisterEntry
from lopdesk.domain.registers.rules import contingent_seats, plan_close
from lopdesk.domain.registers.store import (
    child_name,
    level_state,
    lock_register,
    set_status_in,
)
from lopdesk.domain.registers.views import ClosePlan
from lopdesk.domain.types import utcnow
from lopdesk.labels import fmt_date


def close_period(db: Database, period_id: int, *, preview: bool = False,
                 at: datetime | None = None) -> ClosePlan:
    """Close a priority period of the old regime; with preview nothing is written."""
    with db.write() as s:
        require(s, db.user, "register.write")
        period = get_or_404(s, Period, period_id, "periode", field="period_id")
        if period.closed_at is not None:
            raise RuleViolation(f"periode {period_id} werd al afgesloten op "
                                f"{fmt_date(period.closed_at)}.", rule="REG-05")
        level = s.get(CapacityLevel, period.level_id)
        assert level is not None
        if level.regime != "old" or period.kind != "priority":
            raise RuleViolation("enkel een voorrangsperiode van het oude regime wordt zo "
                                "afgesloten.", rule="REG-05")
        lock_register(s, level.id)
        state = level_state(s, level)
        deferred = list(s.execute(
            select(RegisterEntry).where(RegisterEntry.level_id == level.id,
                                        RegisterEntry.status == "deferred")
        ).scalars())
        plan = ClosePlan(period_id, level.id, contingent_seats(level), state.contingent_free(),
                         plan_close(state, deferred))
        plan.place = level_places_in(s, [level.id]).get(level.id, "")
        for ch in plan.changes:  # the preview names children, never bare ids
            ch.child_name = child_name(s, ch.child_id)
        if preview:
            s.rollback()
            return plan
        now = at or utcnow()
        by_id = {e.id: e for e in deferred}
        for ch in plan.changes:
            entry = by_id[ch.entry_id]
            if ch.to_status == "non_realised":
                entry.reason = "capacity"
            set_status_in(s, db.user, entry, ch.to_status, reason=ch.why, rule=ch.rule, at=now)
        period.closed_at = now
        period.closed_by = db.user
        s.add(period)
        audit.record(s, db.user, "period.close", "period", period_id,
                     {"level_id": level.id, "changes": len(plan.changes)})
        plan.applied = True
        return plan
