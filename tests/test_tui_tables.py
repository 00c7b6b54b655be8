"""No table cuts a word at 80x24 and 120x36 (issue 13): on the demo with long children's
names, the register (one line a row: widths from its data, a name shortened by whole words),
the refused list, a case's timeline and proposal picker, the offers, the allocation's
results draw no "…" in a row, and every value is whole in its row or in the detail line;
the register's title tells apart sites of the same name; a preview's heading wraps."""

from __future__ import annotations

import pytest
from test_tui import make, settle

LONG_FIRST, LONG_LAST = "Maximiliaan-Alexander", "Vandenbroucke-Van de Velde"
LONG_NAME = f"{LONG_FIRST} {LONG_LAST}"  # 48 cells: wider than a name column at 80


@pytest.fixture(scope="module")
def long_names(tmp_path_factory):
    """The small demo on 15/04/2027, every child whose id ends in 3 or 7 renamed to
    LONG_NAME."""
    from datetime import date

    from sqlalchemy import text

    from lopdesk import demo
    from lopdesk.config import Settings
    from lopdesk.db import Database
    from lopdesk.domain.setup import initialise

    path = tmp_path_factory.mktemp("tables") / "demo.db"
    db = Database(Settings.from_cli(str(path), "tester"))
    initialise(db)
    demo.generate(db, size="small", seed=2027, today=date(2027, 4, 15))
    with db.write() as s:
        s.execute(text("UPDATE child SET first_name = :f, last_name = :l "
                       "WHERE id LIKE '%3' OR id LIKE '%7'"), {"f": LONG_FIRST, "l": LONG_LAST})
    yield db
    db.dispose()


def _busiest_level(db) -> str:
    """The level with the most register lines of a long-named child."""
    from sqlalchemy import text

    with db.read() as s:
        return s.execute(text(
            "SELECT level_id FROM register_entry WHERE child_id LIKE '%3' OR child_id LIKE "
            "'%7' GROUP BY level_id ORDER BY count(*) DESC LIMIT 1")).scalar_one()


async def assert_nothing_cut(pilot, table, most: int = 40) -> None:
    """The first `most` rows and the first `most` that hold LONG_NAME, each under the
    cursor: no "…" in the lines it draws unless a value is not whole, and a value not
    whole in its row (a column left out, a name shortened) is whole in the detail line."""
    assert table.rows, table.id
    long = [i for i, r in enumerate(table.rows)
            if any(LONG_NAME in (c if isinstance(c, str) else c[0]) for c in table.cells(r))]
    for index in sorted({*range(min(most, len(table.rows))), *long[:most]}):
        table.cursor = index
        await pilot.pause()
        drawn = table.row_lines(index)
        # "…" only marks words left out of a value shown whole in the detail line
        assert not any("…" in line for line in drawn) or table.cut_cells(table.rows[index]), \
            (table.id, drawn)
        detail = "".join(table._detail_lines()).replace(" ", "")
        for label, value in table.cut_cells(table.rows[index]):
            assert f"{label}:{value}".replace(" ", "") in detail, (table.id, label, value)


async def opened(app, pilot, screen) -> None:
    """`screen` opened on the first screen, its data in and drawn."""
    await settle(app, pilot)
    await app.push_screen(screen)
    await settle(app, pilot)
    await pilot.pause(0.1)


SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=["80x24", "120x36"])


@SIZES
async def test_the_register_fits_the_width_and_shortens_names_by_whole_words(long_names,
                                                                              size):
    from lopdesk.screens.register import RegisterScreen
    from lopdesk.screens.widgets.table import VirtualTable

    level_id = _busiest_level(long_names)
    app = make(long_names)
    async with app.run_test(size=size) as pilot:
        await opened(app, pilot, RegisterScreen(level_id))
        table = app.screen.query_one(VirtualTable)
        assert table._width <= size[0]  # no column beyond the edge (no sideways scroll)
        labels = [c.label for c, w in zip(table.columns, table._widths, strict=True) if w]
        for label in ("Nr", "Tijdstip", "Kind", "St", "Wacht/reden", "Id"):
            assert label in labels, labels  # what a register is read by stays in the row
        await assert_nothing_cut(pilot, table)
        long_rows = [i for i, r in enumerate(table.rows[:60]) if r.data.child_name == LONG_NAME]
        assert long_rows
        table.cursor = long_rows[0]
        await pilot.pause()
        line = table.row_lines(long_rows[0])[0]
        if LONG_NAME not in line:  # shortened: the first name as its initial, no word cut
            assert "M. Vandenbroucke-Van" in line, line
            assert f"Kind: {LONG_NAME}" in " ".join(table._detail_lines())
        if size == (120, 36):
            assert LONG_NAME in line, line  # whole at 120 columns


async def test_the_register_title_tells_apart_sites_of_the_same_name(long_names):
    """Three sites are named "Basisschool De Boomgaard" in the demo: the title adds the
    neighbourhood, as the overview does."""
    from sqlalchemy import text
    from textual.widgets import Static

    from lopdesk.screens.register import RegisterScreen

    with long_names.read() as s:
        level_id, hood = s.execute(text(
            "SELECT l.id, s.neighbourhood FROM capacity_level l JOIN school s ON "
            "s.id = l.school_id WHERE s.name = 'Basisschool De Boomgaard' "
            "ORDER BY l.id LIMIT 1")).one()
    app = make(long_names)
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(app, pilot, RegisterScreen(level_id))
        title = app.screen.query_one("#title", Static)
        text_ = " ".join(str(title.render()).split())
        assert f"Basisschool De Boomgaard, {' '.join(hood.split())}" in text_, text_
        assert title.size.height >= 2  # wrapped, not cut at the edge


@SIZES
async def test_the_small_tables_wrap_instead_of_cutting(long_names, size):
    from lopdesk.screens.case import CaseScreen
    from lopdesk.screens.offers import OffersScreen
    from lopdesk.screens.widgets.table import VirtualTable

    app = make(long_names)
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        await pilot.press("2")  # Uitgesteld / Niet-gerealiseerd
        await settle(app, pilot)
        refused = app.screen.query_one(VirtualTable)
        assert any(r.data.name == LONG_NAME for r in refused.rows)
        await assert_nothing_cut(pilot, refused)
        await pilot.press("5")  # mediation: the first case
        await settle(app, pilot)
        cases = app.screen.query_one(VirtualTable)
        await assert_nothing_cut(pilot, cases)
        await app.push_screen(CaseScreen(cases.rows[0].data.id))
        await settle(app, pilot)
        await assert_nothing_cut(pilot, app.screen.query_one("#timeline", VirtualTable))
        await pilot.press("v")  # the schools with free places
        await settle(app, pilot)
        await pilot.pause(0.2)
        await assert_nothing_cut(pilot, app.screen.query_one("#pick-table", VirtualTable))
        await pilot.press("escape")
        await app.push_screen(OffersScreen())
        await settle(app, pilot)
        await pilot.pause(0.1)
        await assert_nothing_cut(pilot, app.screen.query_one("#offers-table", VirtualTable))


@SIZES
async def test_the_allocation_results_wrap_the_waiting_places(long_names, size):
    from sqlalchemy import text

    from lopdesk.screens.allocation import ResultsScreen, rerun_and_read
    from lopdesk.screens.widgets.table import VirtualTable

    with long_names.read() as s:
        run_id, round_id = s.execute(text(
            "SELECT id, round_id FROM allocation_run ORDER BY id LIMIT 1")).one()
    results = rerun_and_read(long_names, run_id, f"Ronde {round_id}")
    app = make(long_names)
    async with app.run_test(size=size) as pilot:
        await opened(app, pilot, ResultsScreen(results))
        for table_id in ("#cutoffs", "#unplaced"):
            await assert_nothing_cut(pilot, app.screen.query_one(table_id, VirtualTable))


async def test_a_preview_heading_wraps_at_80_columns(long_names):
    """The heading of a register extract's preview is longer than 80 columns: it wraps
    over two lines, every word of it on screen."""
    from textual.widgets import Static

    from lopdesk.screens.register import RegisterScreen

    level_id = _busiest_level(long_names)
    app = make(long_names)
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(app, pilot, RegisterScreen(level_id))
        await pilot.press("d")
        await settle(app, pilot)
        await pilot.pause(0.2)
        assert type(app.screen).__name__ == "PreviewScreen"
        title = app.screen.query_one("#title", Static)
        words = str(title.render()).split()
        assert words[-2:] == ["Esc:", "terug"] and len(" ".join(words)) > 80
        assert title.size.height >= 2, title.size
