"""The key footer is rebuilt only when what it shows changes, and the table's cursor shows
the focus whatever the footer does.

Textual's Footer rebuilds its keys on every bindings signal (each cursor move, focus change
and database result); a cursor move that leaves every key as it was must not rebuild them.
"""

from __future__ import annotations

from contextlib import asynccontextmanager

import builders as b
from test_tui import SIZE, make, settle

from lopdesk.screens.widgets.footer import KeyFooter
from lopdesk.screens.widgets.table import VirtualTable

WIDE = (200, 40)  # every key of the overview fits


def scenario(db) -> None:
    """Area A with one school of four levels, so the cursor can move over levels."""
    b.area(db)
    b.school(db, "S1")
    for i in range(1, 5):
        b.level(db, f"L{i}", "S1", capacity=2, label=str(i))


def shown_keys(footer: KeyFooter) -> list[tuple[str, bool]]:
    """The keys on show, as a person reads them: description and enabled or not."""
    return [(k.description, not k.disabled) for k in footer.query("FooterKey")]


@asynccontextmanager
async def overview(db):
    """The overview of `scenario` at a width where every key fits: pilot, table, footer."""
    scenario(db)
    app = make(db)
    async with app.run_test(size=WIDE) as pilot:
        await settle(app, pilot)
        assert app.screen.focused is app.screen.query_one(VirtualTable)
        yield pilot, app.screen.query_one(VirtualTable), app.screen.query_one(KeyFooter)


async def to_first_level(pilot, table: VirtualTable) -> None:
    while table.current.key[0] != "level":
        await pilot.press("down")
    await settle(pilot.app, pilot)


async def test_cursor_move_without_key_change_does_not_rebuild_the_footer(db):
    async with overview(db) as (pilot, table, footer):
        # the cursor on a level row: "LOP-bord" (a key that needs a level) is offered
        await to_first_level(pilot, table)
        before = footer.rebuilds
        keys = shown_keys(footer)
        assert ("LOP-bord", True) in keys
        for level in ("L2", "L3", "L4"):  # from level to level: the same keys
            await pilot.press("down")
            await settle(pilot.app, pilot)
            assert table.current.key == ("level", level)
            assert shown_keys(footer) == keys
            assert footer.rebuilds == before, "a cursor move rebuilt an unchanged footer"


async def test_a_change_of_enabled_keys_rebuilds_the_footer(db):
    async with overview(db) as (pilot, table, footer):
        await pilot.press("home")
        await settle(pilot.app, pilot)
        assert table.current.key[0] != "level"  # the area's total row comes first
        assert "LOP-bord" not in dict(shown_keys(footer))  # refused keys are not offered
        before = footer.rebuilds
        await to_first_level(pilot, table)
        assert ("LOP-bord", True) in shown_keys(footer)
        assert footer.rebuilds == before + 1
        assert pilot.app.screen.focused is table  # a rebuild leaves the focus where it was


async def test_the_cursor_shows_the_focus_when_it_comes_and_goes(db):
    """The table draws its cursor in the focused colour while it has the focus and dimmed
    without it, at once: no drawn line keeps the colour of before."""
    scenario(db)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        table = app.screen.query_one(VirtualTable)
        y = table._header_h + table.cursor - int(table.scroll_y)

        def cursor_style():
            return table.render_line(y)._segments[0].style

        focused = cursor_style()
        app.screen.set_focus(None)
        await pilot.pause()
        blurred = cursor_style()
        assert blurred != focused
        app.screen.set_focus(table)
        await pilot.pause()
        assert cursor_style() == focused
