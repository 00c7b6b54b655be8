"""CAP-03 from the capacity screen as a LOP expert does it: the level picker shows each
level's current capacity (the new one is typed against it), the request just made gets
the cursor (so `g` decides on it, not on the row that was there), and the approval says
in words what the waiting list got (WL-01..03)."""

from __future__ import annotations

from builders import t
from test_tui import SIZE, make, notes, scenario, settle, type_text, wait_until

from lopdesk.domain import capacity
from lopdesk.screens.widgets.picker import level_choices


def test_level_picker_shows_the_current_capacity(db):
    scenario(db)  # L1 has capacity 2
    (choice,) = level_choices(db)
    assert "capaciteit 2" in choice.label and choice.label.endswith("· L1")


async def test_CAP_03_new_request_gets_the_cursor_and_approval_says_what_the_list_got(db):
    import builders as b

    s = scenario(db)  # L1 full: nr. 3 waits
    b.level(db, "L2", "S1", capacity=5, label="2")
    older = capacity.request_raise(db, "L2", 6, reason="ouder", at=t(50))
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("3")
        await settle(app, pilot)
        table = app.screen.query_one("#decisions")
        assert table.current.key == older.id  # the cursor on a request seen before
        await pilot.press("n")
        await settle(app, pilot)
        await type_text(pilot, "L1")
        await pilot.press("tab")
        await type_text(pilot, "3")
        await pilot.press("tab")
        await type_text(pilot, "extra lokaal")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        new = max(capacity.list_decisions(db), key=lambda d: d.id)
        assert new.id != older.id and new.level_id == "L1"
        await wait_until(pilot, lambda: table.current is not None
                         and table.current.key == new.id)
        await pilot.press("g")
        await settle(app, pilot)
        await type_text(pilot, "goedgekeurd op plenaire")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        said = [n for n in notes(app) if f"Aanvraag {new.id} goedgekeurd" in n]
        assert said and "capaciteit 3; op de wachtlijst: 1 " in said[0], notes(app)
        assert "stappen" not in said[0]
    decided = {d.id: d.status for d in capacity.list_decisions(db)}
    assert (decided[new.id], decided[older.id]) == ("approved", "pending")
    assert s["entries"][2].id  # nr. 3 is the child the new place went to
