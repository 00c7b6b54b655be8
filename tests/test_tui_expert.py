"""Pilot tests of what a LOP expert met in a keys-only run-through at 80x24: register
numbers instead of ids, titles, pickers, hints, messages and the breadcrumb."""

from __future__ import annotations

from datetime import UTC, datetime

import builders as b
from builders import t
from test_tui import SIZE, notes, recording, settle, table_text

from lopdesk.domain import mediation, registers

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)


def make(db):
    from lopdesk.app import make_app

    return recording(make_app(db, clock=lambda: NOW))


def name(app) -> str:
    return type(app.screen).__name__


def refused_case(db) -> dict:
    """L1 (capacity 2) refuses K002; S2's level L2 has free places; a case is open for K002
    with a proposal for L2. L1's three lines take the first entry ids, so L2's new line has
    register number 1 but entry id 4."""
    level, kids = b.basic(db, capacity=2, n_children=4)
    entries = [registers.add_request(db, level, kid, at=t(i)) for i, kid in enumerate(kids[:3])]
    b.school(db, "S2")
    b.level(db, "L2", "S2", capacity=5)
    case = mediation.open_case(db, kids[2], request_on=NOW.date(), at=NOW)
    return {"kids": kids, "entries": entries, "child": kids[2], "case": case}


async def test_MED_03_accepted_proposal_shows_the_register_number(db):
    s = refused_case(db)
    from lopdesk.screens.case import CaseScreen

    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.push_screen(CaseScreen(s["case"].id))
        await settle(app, pilot)
        await pilot.press("v")
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press("a")
        await settle(app, pilot)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        (line,) = registers.list_entries(db, "L2")
        assert (line.seq, line.id) == (1, 4)
        assert any("als nr. 1." in n for n in notes(app)), notes(app)
        text = table_text(app.screen, "#proposals")
        assert "nr. 1" in text and "nr. 4" not in text, text
