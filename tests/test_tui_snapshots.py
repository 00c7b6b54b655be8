"""SVG snapshots of the main screens at 80x24 on a small fixed database (fixed timestamps,
a fixed clock for the app: nothing on screen depends on today).

Regenerate on purpose only, after looking at the change:
    .venv/bin/pytest tests/test_tui_snapshots.py --snapshot-update
"""

from __future__ import annotations

from datetime import UTC, datetime

import builders as b
import pytest
from builders import t
from sqlalchemy import update
from test_tui import settle

from lopdesk.domain import capacity, mediation, registers
from lopdesk.domain.models import CapacityLevel

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
SIZE = (80, 24)


@pytest.fixture
def fixed(db):
    """Two schools; L1 refuses two children; a raise request; one mediation case."""
    b.area(db)
    b.school(db, "S1")
    b.school(db, "S2")
    b.level(db, "L1", "S1", capacity=2)
    b.level(db, "L2", "S2", capacity=5)
    b.level(db, "L3", "S2", capacity=1, label="2")
    kids = b.children(db, 6)
    for i, kid in enumerate(kids[:4]):
        registers.add_request(db, "L1", kid, at=t(i))
    registers.add_request(db, "L2", kids[4], at=t(10))
    registers.add_request(db, "L3", kids[3], at=t(11))
    capacity.request_raise(db, "L1", 3, reason="extra lokaal", at=t(100))
    mediation.open_case(db, kids[2], request_on=NOW.date(), at=NOW)
    with db.write() as s:  # creation stamps the levels with today: fix them
        s.execute(update(CapacityLevel).values(updated_at=t(0)))
    return db


def make(db):
    from lopdesk.app import make_app

    return make_app(db, clock=lambda: NOW, poll_interval=60)


def before(*keys: str, register: str | None = None):
    async def run(pilot) -> None:
        app = pilot.app
        await settle(app, pilot)
        if register:
            from lopdesk.screens.register import RegisterScreen

            await app.push_screen(RegisterScreen(register))
            await settle(app, pilot)
        for key in keys:
            await pilot.press(key)
            await settle(app, pilot)
        await pilot.pause(0.1)

    return run


def test_snapshot_overzicht(fixed, snap_compare):
    assert snap_compare(make(fixed), terminal_size=SIZE, run_before=before())


def test_snapshot_register(fixed, snap_compare):
    assert snap_compare(make(fixed), terminal_size=SIZE, run_before=before(register="L1"))


def test_snapshot_uitgesteld(fixed, snap_compare):
    assert snap_compare(make(fixed), terminal_size=SIZE, run_before=before("2"))


def test_snapshot_capaciteit(fixed, snap_compare):
    assert snap_compare(make(fixed), terminal_size=SIZE, run_before=before("3"))


def test_snapshot_bemiddeling(fixed, snap_compare):
    assert snap_compare(make(fixed), terminal_size=SIZE, run_before=before("5"))


def test_snapshot_case_view(fixed, snap_compare):
    assert snap_compare(make(fixed), terminal_size=SIZE, run_before=before("5", "enter"))
