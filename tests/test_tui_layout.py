"""Layout that uses the terminal, tried at 80x24: the focused field of a form stays in
view under a long preview, ids and dates are never cut, the detail line under a table
follows its rows, an open register follows its end like a log viewer."""

from __future__ import annotations

import asyncio

import builders as b
import pytest
from builders import t
from test_rerun_keeps_later_work import _later_work, year  # noqa: F401 (fixture)
from test_tui import SIZE, make, settle, type_text
from test_tui_rerun import _open_run_dialog

from lopdesk.domain import registers


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


async def test_allocation_run_form_keeps_the_focused_field_in_view(db, year):  # noqa: F811
    """The raise approval form: test_tui_expert.test_CAP_03_approval_preview_opens_at_the_top."""
    _later_work(db)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await _open_run_dialog(app, pilot)
        intro = app.screen.query_one(".intro")
        assert intro.scroll_y == 0  # the preview opens at its top
        focused_in_view(app)
        await pilot.press("tab", "tab", "tab", "tab")
        await pilot.pause(0.2)
        assert app.focused.id == "f-reason"
        focused_in_view(app)


def bottom_lines(table, n: int) -> list[str]:
    """The last `n` lines the table draws (its detail lines), as text."""
    height = table.scrollable_content_region.height
    return [table.render_line(y).text.strip() for y in range(height - n, height)]


async def test_detail_line_follows_the_rows_after_a_rerun(db, year):  # noqa: F811
    """After a re-run the runs reload: the detail under the table describes the row under
    the cursor as it is now, not the row it described before."""
    from lopdesk.domain import allocation

    app = make(db)
    # narrow: the seed, who and when are left out of the runs table, into its detail line
    async with app.run_test(size=(48, 24)) as pilot:
        await pilot.press("4")  # held until the first screen is there (type-ahead)
        await settle(app, pilot)
        runs = app.screen.query_one("#runs")
        app.screen.set_focus(runs)
        await pilot.pause()
        (old,) = allocation.list_runs(db, "R27")
        first = " ".join(bottom_lines(runs, 3))
        assert f"Zaad: {old.seed} ·" in first, first
        await asyncio.to_thread(allocation.run_round, db, "R27", seed=old.seed + 1,
                                replace=True, keep_later_events=True)
        app.screen.data_changed()
        await settle(app, pilot)
        await pilot.pause(0.1)
        row = runs.current
        top = runs.rows[0]
        assert top.key != row.key == old.id  # the new run came on top; the cursor stayed
        shown = " ".join(bottom_lines(runs, 3))
        # the row under the cursor, not the one now at its former place
        assert f"Zaad: {old.seed} ·" in shown and f"Zaad: {old.seed + 1}" not in shown, shown
        assert top.cells[2] == str(old.seed + 1)


def drawn(table) -> list[str]:
    """The lines the table draws on screen (header, rows, detail), as text."""
    return [table.render_line(y).text for y in range(table.scrollable_content_region.height)]


LONG_LEVEL = "BAO021-2027-K2024-A"  # a level id longer than its column asks
LONG_NAME = ("Maximiliaan-Alexander", "Vandenbroucke-Van de Velde")


def long_values(db) -> None:
    """A level with a long id, periods that start and end on odd seconds, and an offer to
    a child with a long name (capacity 1: the second is offered the freed place)."""
    from datetime import timedelta

    from lopdesk.domain import areas

    b.area(db)
    b.school(db, "S1")
    b.level(db, LONG_LEVEL, "S1", capacity=1, regime="old")
    areas.create_child(db, "K0123456", "Lucas", "Maes")
    areas.create_child(db, "K0123457", *LONG_NAME)
    start = t(0) - timedelta(days=20, seconds=-7)
    areas.create_period(db, LONG_LEVEL, kind="priority", group="sibling", starts_at=start,
                        ends_at=start + timedelta(days=5, seconds=50))
    first = registers.add_request(db, LONG_LEVEL, "K0123456", at=t(1))
    registers.add_request(db, LONG_LEVEL, "K0123457", at=t(2))
    registers.withdraw(db, first.id, reason="verhuisd", at=t(3))
    registers.fill(db, LONG_LEVEL, at=t(4))


async def test_ids_numbers_and_dates_are_never_cut_at_80_columns(db):
    from lopdesk.labels import fmt_datetime
    from lopdesk.screens.offers import OffersScreen
    from lopdesk.screens.periods import PeriodsScreen

    long_values(db)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.push_screen(PeriodsScreen(LONG_LEVEL))
        await settle(app, pilot)
        await pilot.pause(0.1)
        period = app.screen.table.current.data
        lines = drawn(app.screen.table)
        row = lines[app.screen.table._header_h]
        for moment in (period.starts_at, period.ends_at):
            assert fmt_datetime(moment) in row, (moment, lines)  # odd seconds shown whole
        await pilot.press("escape")
        await app.push_screen(OffersScreen(LONG_LEVEL))
        await settle(app, pilot)
        await pilot.pause(0.1)
        lines = drawn(app.screen.table)
        row = lines[app.screen.table._header_h]
        # a long name wraps over the lines of its row, every word whole
        words = " ".join(app.screen.table.row_lines(0)).split()
        # the school and the level in words, whole (the level's id may go to the detail line)
        for shown in ("School S1", "leerjaar 1 · 2027-2028"):
            assert all(w in words for w in shown.split()), lines
        assert "…" not in " ".join(app.screen.table.row_lines(0)), lines
        name = " ".join(LONG_NAME)
        if name not in row:
            assert all(w in words for w in name.split()), lines
            assert "…" not in row, lines


def test_a_flexible_column_never_cuts_an_id_or_a_date():
    """An id, a number or a date seen in a flexible column is its floor; names are not."""
    from lopdesk.screens.widgets.table import Column, atomic, layout

    cols = [Column("Kind", 22), Column("Niveau", 12), Column("Begin", 16)]
    assert layout(cols, {1: 19, 2: 19}, 60)[1:] == [19, 19]
    assert layout(cols, {1: 19, 2: 19}, 60)[0] >= 20  # the name keeps the rest
    assert [atomic(v) for v in ("BAO021-2027-K2024", "13/04/2027 09:00", "K0123456", "12",
                                "Lucas Maes", "1ste leerjaar", "vrije inschrijving")] \
        == [True, True, True, True, False, False, False]


async def test_board_is_whole_at_120_columns(db):
    """CAP-05 board text ("≠0 Nog plaatsen vrij": the flag and the words) is never cut at
    120x36, also when the overview is long enough for a scrollbar (the columns are shared
    again for the narrower width); the column left out shows in the detail line."""
    from lopdesk.labels import free_places_board

    level, kids = b.basic(db, capacity=2, n_children=2)
    for i, kid in enumerate(kids):
        registers.add_request(db, level, kid, at=t(i))
    for n in range(2, 14):  # more rows than the screen: a vertical scrollbar
        b.school(db, f"S{n}")
        for g in (1, 2, 3):
            b.level(db, f"L{n}-{g}", f"S{n}", capacity=20, label=str(g))
    app = make(db)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        await pilot.pause(0.2)
        table = app.screen.table
        assert table.max_scroll_y > 0
        lines = drawn(table)
        full = f"≠0 {free_places_board('')}"
        assert any(full in line for line in lines), lines
        width = table.scrollable_content_region.width
        assert table.virtual_size.width <= width, (table.virtual_size, width)


async def test_register_follows_its_end_like_a_log_viewer(db):
    """A colleague adds a line (another connection; the app polls): a cursor on the last
    line follows to the new one, in view; a cursor elsewhere stays on its line."""
    from conftest import as_user
    from test_tui import open_register, wait_until

    level, kids = b.basic(db, capacity=2, n_children=40)
    for i, kid in enumerate(kids[:30]):  # more lines than the screen shows
        registers.add_request(db, level, kid, at=t(i))
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_register(app, pilot, level)
        table = app.screen.query_one("VirtualTable")
        await pilot.press("end")
        await pilot.pause()
        assert table.cursor == len(table.rows) - 1 == 29

        other = as_user(db, "expert")
        added = await asyncio.to_thread(registers.add_request, other, level, kids[30], at=t(60))
        await wait_until(pilot, lambda: len(table.rows) == 31, timeout=3.0)
        await pilot.pause(0.1)
        assert table.current.key == added.id and table.cursor == 30
        top = int(table.scroll_y)
        assert top <= table.cursor < top + table.body_height  # the new line is in view

        await pilot.press("home", "down", "down")
        await pilot.pause()
        kept = table.current.key
        await asyncio.to_thread(registers.add_request, other, level, kids[31], at=t(61))
        await wait_until(pilot, lambda: len(table.rows) == 32, timeout=3.0)
        await pilot.pause(0.1)
        assert table.current.key == kept and table.cursor == 2
        other.dispose()


def test_usual_birth_year_of_each_level_kind():
    """Nursery: the label is the birth year (the rule); grade g of school year Y: born in
    Y-6-(g-1); secondary 1A/1B: born in Y-12; an administrative group: no year."""
    from lopdesk.domain.birth_years import usual_birth_year

    assert usual_birth_year("nursery_birth_year", "2024", 2027) == 2024
    assert usual_birth_year("primary_grade", "1", 2027) == 2021
    assert usual_birth_year("primary_grade", "3", 2027) == 2019
    assert usual_birth_year("secondary_1a", "1A", 2027) == 2015
    assert usual_birth_year("secondary_1b", "1B", 2026) == 2014
    assert usual_birth_year("admin_group", "6246", 2027) is None
    assert usual_birth_year("primary_grade", "x", 2027) is None


async def test_add_request_offers_the_children_of_the_levels_birth_year_first(db):
    from datetime import date

    from test_tui import open_register, wait_until

    from lopdesk.domain import areas

    b.basic(db, n_children=0)  # L1: grade 1 of school year 2027-2028
    # sorted by name the older Maes comes first; the one born in 2021 fits grade 1
    for cid, first, born in (("K0000001", "Lucas", date(2019, 5, 1)),
                             ("K0000002", "Lucas", date(2021, 5, 1)),
                             ("K0000003", "Anna", date(2020, 1, 1))):
        areas.create_child(db, cid, first, "Maes", birth_date=born)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await open_register(app, pilot, "L1")
        await pilot.press("a")
        await wait_until(pilot, lambda: app.screen.query("#f-child_id"), timeout=3.0)
        picker = app.screen.query_one("#f-child_id")
        await wait_until(pilot, lambda: picker.loaded, timeout=3.0)
        await type_text(pilot, "maes")
        await pilot.pause(0.1)
        assert [c.key for c in picker._shown] == ["K0000002", "K0000003", "K0000001"]
        assert picker.value == "K0000002"  # Tab takes the child of the right age


# -- no value cut without its whole text on screen (the demo: long school names) ----------

@pytest.fixture(scope="module")
def demo_area(tmp_path_factory):
    from datetime import date

    from lopdesk import demo
    from lopdesk.config import Settings
    from lopdesk.db import Database
    from lopdesk.domain.setup import initialise

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    db = Database(Settings.from_cli(str(path), "tester"))
    initialise(db)
    demo.generate(db, size="small", seed=2027, today=date(2026, 12, 1))
    yield db
    db.dispose()


async def assert_nothing_cut(pilot, table, most: int = 60) -> None:
    """Every row (the first `most`) under the cursor: the text it draws has no "…", and a
    value that is not whole in its columns (a column left out) is whole in the detail
    line under the table."""
    assert table.rows, table.id
    for index in range(min(most, len(table.rows))):
        table.cursor = index
        await pilot.pause()
        row = table.rows[index]
        drawn = table.row_lines(index)
        # "…" only marks words left out of a value shown whole in the detail line
        assert not any("…" in line for line in drawn) or table.cut_cells(row), \
            (table.id, drawn)
        detail = "".join(table._detail_lines()).replace(" ", "")
        for label, value in table.cut_cells(row):
            assert f"{label}:{value}".replace(" ", "") in detail, (table.id, label, value)


@pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=["80x24", "120x36"])
async def test_overview_capacity_and_child_file_show_every_value_whole(demo_area, size):
    """Long school names wrap onto a second line of their row instead of being cut; a
    column left out for want of room shows its value in the detail line (issue 13)."""
    from lopdesk.screens.widgets.table import VirtualTable

    app = make(demo_area)
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        table = app.screen.query_one(VirtualTable)
        await assert_nothing_cut(pilot, table)
        if size == (120, 36):  # the names whole in their column, not in the detail line
            names = [r for r in table.rows if r.key[0] == "school"]
            assert names and not any(label == "School / niveau" for r in names
                                     for label, _value in table.cut_cells(r))
        await pilot.press("3")
        await settle(app, pilot)
        decisions = app.screen.query_one("#decisions", VirtualTable)
        assert decisions.columns[2].label == "Niveau"  # two raises of one school differ
        await assert_nothing_cut(pilot, decisions)
        await pilot.press("5")
        await settle(app, pilot)
        await pilot.press("f")
        await settle(app, pilot)
        file = app.screen.query_one("#file-table", VirtualTable)
        assert "Klacht CLR t.e.m." in [c.label for c in file.columns]
        await assert_nothing_cut(pilot, file)


async def test_the_mediation_hint_line_fits_80_columns(demo_area):
    from textual.widgets import Static

    app = make(demo_area)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("5")
        await settle(app, pilot)
        summary = app.screen.query_one("#summary", Static)
        assert summary.size.height == 1
        assert "n: nieuw" in str(summary.render())


async def test_messages_show_at_the_top_not_over_the_lines_under_the_table(demo_area):
    """A message (a toast) covers neither the detail/legend line under the table nor the
    summary and the keys: it shows at the top right, over the end of the title bar."""
    from textual.widgets._toast import Toast

    from lopdesk.screens.widgets.table import VirtualTable

    app = make(demo_area)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("3")
        await settle(app, pilot)
        app.notify("Aanvraag 9 bewaard: BAO001-2027-L1 24→26.")
        await pilot.pause(0.3)
        toast = app.screen.query_one(Toast)
        table = app.screen.query_one("#decisions", VirtualTable)
        assert toast.region.y <= 1 and toast.region.bottom <= table.region.y + 1
        assert toast.region.x >= SIZE[0] // 2 - 1  # the right half


async def test_a_register_opened_on_a_line_shows_that_line(demo_area):
    """From the refused list a register opens on the child's line: that line is under the
    cursor and in view, also when it lies below the first screenful (read before the
    table had its size)."""
    from sqlalchemy import text

    from lopdesk.screens.register import RegisterScreen
    from lopdesk.screens.widgets.table import VirtualTable

    with demo_area.read() as s:
        level_id, seq = s.execute(text(
            "SELECT level_id, max(seq) FROM register_entry GROUP BY level_id "
            "ORDER BY count(*) DESC LIMIT 1")).one()
    app = make(demo_area)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.push_screen(RegisterScreen(level_id, focus_seq=seq - 1))
        await settle(app, pilot)
        await pilot.pause(0.1)
        table = app.screen.query_one(VirtualTable)
        assert table.current.cells[0].strip() == str(seq - 1)
        top = int(table.scroll_y)
        assert top <= table.cursor < top + table.body_height, (top, table.cursor)


async def test_a_long_field_label_wraps_whole_in_a_form(db):
    """A field's label longer than the dialog is wide wraps; no word of it is lost."""
    from test_tui_nav import screen_text

    from lopdesk.screens.dialogs import FormDialog, FormField

    label = ("School waar het kind terecht kan (enkel bij inschrijving; leeg = de enige "
             "weigerende school of die van het aanvaarde voorstel)")
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.push_screen(FormDialog("Dossier afsluiten", [FormField("note", label)]))
        await settle(app, pilot)
        text = " ".join(line.strip(" █▌▐") for line in screen_text(app).splitlines())
        assert " ".join(text.split()).count("van het aanvaarde voorstel)") == 1, text
