"""Layout that uses the terminal, tried at 80x24: the focused field of a form stays in
view under a long preview, ids and dates are never cut, the detail line under a table
follows its rows, an open register follows its end like a log viewer."""

from __future__ import annotations

import builders as b
from builders import t
from test_rerun_keeps_later_work import _later_work, year  # noqa: F401 (fixture)
from test_tui import SIZE, make, notes, palette_hits, scenario, settle, type_text

from lopdesk.domain import capacity, registers


def focused_in_view(app) -> None:
    """The focused widget lies whole inside the screen and inside the form's field area
    (not clipped under the preview: the user sees what is typed)."""
    focused = app.focused
    assert focused is not None
    region = focused.region
    assert region.height > 0, focused
    assert app.screen.region.contains_region(region), (region, app.screen.region)
    body = app.screen.query_one(".body")
    assert body.region.contains_region(region), (region, body.region)


async def test_raise_approval_form_keeps_the_focused_field_in_view(db):
    scenario(db)
    for i, kid in enumerate(b.children(db, 12, start=10)):
        registers.add_request(db, "L1", kid, at=t(10 + i))
    capacity.request_raise(db, "L1", 9, reason="extra lokaal", at=t(100))
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("3")
        await settle(app, pilot)
        await pilot.press("g")
        await settle(app, pilot)
        await pilot.pause(0.2)
        assert type(app.screen).__name__ == "FormDialog", notes(app)
        focused_in_view(app)
        await type_text(pilot, "ok")
        assert app.focused.value == "ok"  # typed where the user sees it
        await pilot.press("tab")  # the next field too
        await pilot.pause(0.1)
        assert type(app.focused).__name__ == "Input"
        focused_in_view(app)


async def test_allocation_run_form_keeps_the_focused_field_in_view(db, year):  # noqa: F811
    _later_work(db)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+p")
        await type_text(pilot, "ronde toewijzen")
        await palette_hits(pilot)
        await pilot.press("down", "enter")
        await settle(app, pilot)
        await pilot.pause(0.2)
        assert type(app.screen).__name__ == "FormDialog", notes(app)
        intro = app.screen.query_one(".intro")
        assert intro.scroll_y == 0  # the preview opens at its top
        focused_in_view(app)
        await pilot.press("tab", "tab", "tab", "tab")
        await pilot.pause(0.2)
        assert app.focused.id == "f-reason"
        focused_in_view(app)
