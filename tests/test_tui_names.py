"""Names beside ids (pickers, not ids): the mediation case list, the offers of freed places
and the form that opens a case show the school's or the child's name with its id, at 80x24
from the keyboard."""

from __future__ import annotations

from test_tui import SIZE, settle
from test_tui_mediation import NOW, make, refused_scenario

from lopdesk.domain import mediation, registers


async def first_row_cells(app, pilot, table_id: str) -> list:
    """The cells of the first row of a table once the screen has loaded."""
    await settle(app, pilot)
    table = app.screen.query_one(table_id)
    return table.formatter(table.rows[0].data)


async def test_case_list_names_the_refusing_schools(db):
    """The Scholen column reads the school's name as every screen names it ('School S1'),
    neither the bare id nor the name with its id; at 80 columns the opening date gives way
    (its value shows in the detail line)."""
    s = refused_scenario(db)
    mediation.open_case(db, s["child"], request_on=NOW.date(), at=NOW)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("5")
        assert (await first_row_cells(app, pilot, "#cases-table"))[6] == "School S1"
        table = app.screen.query_one("#cases-table")
        cells = [c if isinstance(c, str) else c[0] for c in table.cells(table.rows[0])]
        assert not any("(S1)" in c for c in cells), cells
        assert table.text_filter("S1")(table.rows[0])  # the search still finds the id


async def test_offers_name_the_school(db):
    """An offer shows the school's name beside the level id (WL-01)."""
    s = refused_scenario(db)
    registers.withdraw(db, s["entries"][0].id, reason="verhuisd")
    registers.fill(db, "L1", at=NOW)
    assert [o.school_name for o in registers.list_offers(db, "L1")] == ["School S1"]
    from lopdesk.screens.offers import OffersScreen

    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.push_screen(OffersScreen(level_id="L1"))
        cells = await first_row_cells(app, pilot, "#offers-table")
        assert cells[1:5] == ["School S1", "leerjaar 1 · 2027-2028", "3", "Voornaam2 Achternaam2"]


def test_proposals_give_the_school_name_room_at_80_columns():
    """With a long level id (BAO061-2026-K2024) the distance gives way at 80 columns so
    the school's name keeps at least 24 cells (the detail line shows what is cut)."""
    from lopdesk.screens.case import PROPOSAL_COLUMNS
    from lopdesk.screens.widgets.columns import layout

    labels = [c.label for c in PROPOSAL_COLUMNS]
    for width in (80,):
        widths = layout(PROPOSAL_COLUMNS, {labels.index("Niveau"): 17}, width)
        assert widths[labels.index("Afst.")] == 0
        assert widths[labels.index("School")] >= 24
    wide = layout(PROPOSAL_COLUMNS, {labels.index("Niveau"): 17}, 120)
    assert wide[labels.index("Afst.")] > 0


async def test_open_case_form_names_the_child_before_the_list_is_read(db, monkeypatch):
    """MED-01 from the Uitgesteld screen: the form's Kind field shows the child's name with
    its id at once (not just 'K002'), and opens the case even while the picker's list of
    all children is still being read."""
    import threading

    from lopdesk.domain import directory
    from lopdesk.screens.widgets import picker

    s = refused_scenario(db)
    release = threading.Event()
    real = directory.non_realised_entries  # what the picker of refused children reads

    def slow_children(database, *args, **kwargs):
        release.wait(10)
        return real(database, *args, **kwargs)

    monkeypatch.setattr(directory, "non_realised_entries", slow_children)
    app = make(db)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            await pilot.press("2")
            await settle(app, pilot)
            await pilot.press("n")
            await pilot.pause()
            await pilot.pause()
            assert type(app.screen).__name__ == "FormDialog"
            field = app.screen.query_one("#f-child_id", picker.Picker)
            assert not field.loaded
            chosen = str(field.query_one(".chosen").render())
            assert chosen == f"→ Voornaam2 Achternaam2 · {s['child']}"
            await pilot.press("ctrl+s")
            await settle(app, pilot)
            assert type(app.screen).__name__ == "CaseScreen"
            assert mediation.get_case(db, app.screen.case_id).child_id == s["child"]
    finally:
        release.set()


async def test_board_dialog_tells_schools_of_one_name_apart(db):
    """The LOP-bord dialog (e) named 'De Linde — leerjaar 1' for either of two schools
    called De Linde; it now names the school as the overview does, with its neighbourhood."""
    import builders as b

    from lopdesk.domain import areas

    b.area(db)
    areas.create_school(db, "S1", "A", "De Linde", neighbourhood="Muide")
    areas.create_school(db, "S2", "A", "De Linde", neighbourhood="Rabot")
    b.level(db, "L1", "S1")
    b.level(db, "L2", "S2")
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        table = app.screen.query_one("VirtualTable")
        assert table.move_to_key(("level", "L2"))
        await pilot.press("e")
        await settle(app, pilot)
        assert "Rabot" in app.screen._intro.splitlines()[0], app.screen._intro


def test_every_screen_names_a_school_with_its_neighbourhood_like_the_overview():
    """'Basisschool De Boomgaard' is unique, but 'De Boomgaard Ledeberg' is another school:
    the overview and the breadcrumb say 'Basisschool De Boomgaard, Drongen', and so must the
    dialogs and lists that name schools through the area index."""
    from types import SimpleNamespace as L

    from lopdesk.screens.area_index import AreaIndex

    index = AreaIndex.of([
        L(level_id="A1", school_id="B9", school_name="Basisschool De Boomgaard",
          neighbourhood="Drongen"),
        L(level_id="A2", school_id="B10", school_name="Basisschool De Boomgaard Ledeberg",
          neighbourhood="Ledeberg"),
        L(level_id="A3", school_id="B11", school_name="De Linde", neighbourhood=""),
    ])
    assert index.school_name("B9") == "Basisschool De Boomgaard, Drongen"
    assert index.school_name("B10") == "Basisschool De Boomgaard Ledeberg"
    assert index.school_name("B11") == "De Linde"
