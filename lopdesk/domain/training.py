"""The training marker of a demo database: the day it was built for (lopdesk.clock).

Only `lopdesk demo` writes it, and only into a new database (no area, no register line,
no marker yet): a real database can never be switched to a training clock.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import text

from lopdesk import clock as clocks
from lopdesk.db import Database
from lopdesk.domain import audit
from lopdesk.domain.access import require
from lopdesk.domain.errors import RuleViolation
from lopdesk.labels import BRUSSELS

_COUNT_DATA = text("SELECT (SELECT count(*) FROM area) + (SELECT count(*) FROM register_entry)"
                   " + (SELECT count(*) FROM setting)")
_INSERT = text("INSERT INTO setting (key, value) VALUES (:key, :value)")


def start_training(db: Database, day: date, real_now: datetime) -> clocks.TrainingClock:
    """Mark a new, empty database as a demo on the training clock of `day` (lopdesk.clock)."""
    offset = clocks.training_offset(day, real_now, BRUSSELS)
    with db.write() as s:
        require(s, db.user, "data.import")
        if s.execute(_COUNT_DATA).scalar_one():
            raise RuleViolation(
                "deze databank bevat al gegevens: alleen een nieuwe databank kan een "
                "oefenomgeving met een eigen datum worden (lopdesk demo --today).",
                rule="REG-02")
        s.execute(_INSERT, [{"key": clocks.TRAINING_DAY, "value": day.isoformat()},
                            {"key": clocks.TRAINING_OFFSET,
                             "value": str(round(offset.total_seconds()))}])
        audit.record(s, db.user, "demo.training_clock", "setting", clocks.TRAINING_DAY,
                     {"day": day.isoformat()})
    db.forget_clock()
    clock = db.training
    assert clock is not None
    return clock
