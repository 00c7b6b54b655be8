"""Pilot tests of a LOP expert's year in the app at 80x24: offers of freed places with their
cascade (WL-01..03), periods (REG-04/05), the Overzicht's filters, sort, totals and board
check (CAP-04/05), and a mediation answer with its moment (MED-03)."""

from __future__ import annotations

from datetime import UTC, datetime

import builders as b
from builders import t
from conftest import as_user
from test_tui import (
    SIZE,
    notes,
    open_register,
    press_offer,
    recording,
    settle,
    table_text,
    type_text,
)

from lopdesk.domain import areas, capacity, ops, registers

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)  # the app's clock: WL-01 lists still bind


def make(db):
    from lopdesk.app import make_app

    return recording(make_app(db, clock=lambda: NOW))


def freed(db) -> dict:
    """L1 (capacity 1): one realised line withdrawn, two children waiting."""
    level, kids = b.basic(db, capacity=1, n_children=4)
    entries = [registers.add_request(db, level, k, at=t(i)) for i, k in enumerate(kids[:3])]
    registers.withdraw(db, entries[0].id, reason="verhuisd", at=t(days=2))
    return {"kids": kids, "entries": entries}


async def test_WL_01_offer_on_the_line_then_decline_shows_the_cascade(db):
    s = freed(db)
    registers.offer_next(db, "L1", at=t(days=3))
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_register(app, pilot)
        screen = app.screen
        assert "aangeboden 1" in str(screen.query_one("#counts").render())
        assert "aangeboden" in table_text(screen)
        await pilot.press("end", "up")  # the offered child, nr. 2
        await pilot.press("W")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "ConfirmDialog"
        assert "weigert de aangeboden plaats" in app.screen.body
        await pilot.press("j")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "TextDialog"
        body = app.screen.body
        assert "Voornaam1 Achternaam1" in body and "geweigerd" in body
        assert "Voornaam2 Achternaam2" in body and "aangeboden" in body
    offers = registers.list_offers(db, "L1")
    assert [(o.child_id, o.status) for o in offers] == [
        (s["kids"][1], "declined"), (s["kids"][2], "open")]


async def test_WL_01_a_colleagues_offer_is_named_not_CAP_04(db):
    freed(db)
    ops.add_user(db, "collega", "lop_expert")
    other = as_user(db, "collega")
    registers.offer_next(other, "L1", at=t(days=3))
    other.dispose()
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await press_offer(app, pilot)
        if type(app.screen).__name__ == "ConfirmDialog":
            await pilot.press("j")
            await settle(app, pilot)
        text = " ".join(notes(app))
        assert "al aangeboden door collega" in text and "CAP-04" not in text


async def test_WL_03_offers_list_accept_and_fill_preview(db):
    s = freed(db)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        from lopdesk.screens.offers import OffersScreen

        await app.push_screen(OffersScreen(area_id="A"))
        await settle(app, pilot)
        assert "Geen aanbiedingen" in str(app.screen.query_one("VirtualTable").render_line(0))\
            or not app.screen.query_one("VirtualTable").rows
        await pilot.press("f")  # preview first: nothing is written
        await settle(app, pilot)
        assert type(app.screen).__name__ == "ConfirmDialog"
        assert app.screen.body.startswith("VOORBEELD")
        assert registers.list_offers(db, "L1") == []
        await pilot.press("j")
        await settle(app, pilot)
        await pilot.press("escape")  # the result dialog
        await settle(app, pilot)
        assert "Voornaam1" in table_text(app.screen) and "aangeboden" in table_text(app.screen)
        await pilot.press("home", "a")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "ConfirmDialog", (notes(app), app.screen_stack)
        await pilot.press("j")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "TextDialog", notes(app)
        assert "gerealiseerd" in app.screen.body
    statuses = {e.child_id: e.status for e in registers.list_entries(db, "L1")}
    assert statuses[s["kids"][1]] == "realised"


async def test_REG_04_periods_view_running_period_and_close(db):
    b.area(db)
    b.school(db, "S1")
    b.level(db, "O1", "S1", capacity=1, regime="old")
    kids = b.children(db, 3)
    areas.create_period(db, "O1", kind="priority", group="sibling", starts_at=t(0))
    for i, kid in enumerate(kids):
        registers.add_request(db, "O1", kid, priority_group="sibling", at=t(i + 1))
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_register(app, pilot, "O1")
        assert "loopt: voorrangsperiode" in str(app.screen.query_one("#title").render())
        await pilot.press("a")
        await settle(app, pilot)
        form = app.screen
        assert form.query_one("#f-group").value == "sibling"  # the running period's group
        await pilot.press("escape")
        await settle(app, pilot)
        await pilot.press("P")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "PeriodsScreen"
        assert "loopt" in table_text(app.screen)
        await pilot.press("c")
        await settle(app, pilot)
        body = app.screen.body
        assert "VOORBEELD" in body and "Voornaam1 Achternaam1" in body
        assert "uitgesteld → niet-gerealiseerd" in body and "{" not in body
        await pilot.press("j")
        await settle(app, pilot)
        assert "afgesloten" in table_text(app.screen)


async def test_overzicht_free_filter_exact_level_sort_totals_and_board_check(db):
    b.basic(db, capacity=2, n_children=3)
    b.level(db, "L2", "S1", capacity=30, label="2")
    b.level(db, "L3", "S1", capacity=10, label="3")
    registers.add_request(db, "L1", "K000", at=t(1))
    registers.add_request(db, "L1", "K001", at=t(2))
    capacity.set_free_places_field(db, "L3", "4")  # board says 4, computed 10: flagged
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        text = table_text(app.screen)
        assert "Σ Gebied A" in text and "≠10" in text
        area_row = app.screen.query_one("VirtualTable").all_rows[0]
        assert area_row.cells[1:5] == ["40", "", "42", "0"]  # free 0+30+10, board, cap, seated
        # L3 (board 4, computed 10) and L1 (empty board "Nog plaatsen vrij", computed 0)
        assert "LOP-bord ≠ berekend: 2" in str(app.screen.query_one("#summary").render())
        await pilot.press("p")  # only free places > 0
        text = table_text(app.screen)
        assert "leerjaar 1" not in text and "leerjaar 2" in text
        await pilot.press("p", "o")
        await settle(app, pilot)
        await pilot.press("enter", "down", "down", "enter")  # the second column: Vrij
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        levels = [r.data.level_id for r in app.screen.query_one("VirtualTable").all_rows
                  if r.key[0] == "level"]
        assert levels == ["L1", "L3", "L2"]  # 0, 10, 28 free places
        await pilot.press("f")
        await settle(app, pilot)
        await pilot.press("tab", "tab")
        await type_text(pilot, "3")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        levels = [r.data.level_id for r in app.screen.query_one("VirtualTable").all_rows
                  if r.key[0] == "level"]
        assert levels == ["L3"]


async def test_MED_03_accept_with_the_moment_given(db):
    from test_tui_mediation import refused_scenario

    from lopdesk.domain import mediation

    s = refused_scenario(db)
    now = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
    case = mediation.open_case(db, s["child"], request_on=now.date(), at=now)
    mediation.propose(db, case.id, "L2", at=now)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        from lopdesk.screens.case import CaseScreen

        await app.push_screen(CaseScreen(case.id))
        await settle(app, pilot)
        await pilot.press("a")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "FormDialog"
        await pilot.press("tab", "tab", "tab")
        await type_text(pilot, "09/03/2027 14:30")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
    (line,) = registers.list_entries(db, "L2")
    assert line.status == "realised"
    assert line.requested_at == datetime(2027, 3, 9, 13, 30, tzinfo=UTC)  # 14:30 Brussels


async def test_CAP_03_raise_detail_names_the_school_and_preview_agrees(db):
    level, kids = b.basic(db, capacity=1, n_children=3)
    for i, k in enumerate(kids):
        registers.add_request(db, level, k, at=t(i))
    decision = capacity.request_raise(db, "L1", 2, reason="extra lokaal", at=t(100))
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("3")
        await settle(app, pilot)
        assert "School S1" in table_text(app.screen, "#decisions")
        await pilot.press("i")
        await settle(app, pilot)
        body = app.screen.body
        assert "School: School S1 (S1)" in body and "Capaciteit: 1 → 2" in body
        await pilot.press("escape", "g")
        await settle(app, pilot)
        intro = app.screen._intro
        # the preview says what approval does now: an offer, not an enrolment
        assert "worden deze plaatsen aangeboden" in intro
        assert "Voornaam1 Achternaam1" in intro and "aangeboden" in intro
        assert "gerealiseerd" not in intro
    assert [d.status for d in capacity.list_decisions(db) if d.id == decision.id] == [
        "pending"]


def one_place_round(db):
    """Two children apply for one place of L2 (round R1, seed 42): the run and its results."""
    from lopdesk.domain import allocation
    from lopdesk.screens.allocation import rerun_and_read

    b.basic(db, capacity=2, n_children=5)
    b.level(db, "L2", "S1", capacity=5, label="2")
    allocation.create_round(db, "R1", "A", 2027, "Ronde 1")
    allocation.add_round_level(db, "R1", "L2", capacity=1)
    for kid in ("K003", "K004"):
        allocation.add_applications(db, "R1", kid, ["L2"])
    run = allocation.run_round(db, "R1", seed=42)
    return run, rerun_and_read(db, run.run_id, "Ronde R1")


async def test_ALC_06_explanation_of_the_child_under_the_cursor_is_the_cli_text(db):
    from test_tui_expert_year import full_name
    from typer.testing import CliRunner

    from lopdesk.cli import app as cli
    from lopdesk.screens.allocation import ResultsScreen

    run, results = one_place_round(db)
    (loser,) = results.unplaced()
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.push_screen(ResultsScreen(results))
        await settle(app, pilot)
        await pilot.press("e")  # the child under the cursor: no question asked
        await settle(app, pilot)
        assert type(app.screen).__name__ == "TextDialog"
        shown = app.screen.body
    out = CliRunner().invoke(cli, ["allocate", "explain", str(run.run_id), loser, "--run"])
    assert out.exit_code == 0, out.output
    assert out.stdout.strip() == shown.strip()
    # the child and the school by name beside their ids; the numbers are labelled
    assert shown.startswith(f"Uitleg voor {full_name(db, loser)}, {loser} (ALC-06)"), shown
    assert "Keuze 1: L2 · School S1" in shown and "rangnummer: " in shown
    assert "Rangnummer: de plaats van het kind" in shown


async def test_ALC_06_results_name_the_children_and_count_the_run(db):
    """The unplaced list names each child beside its id; the run's counts are on screen
    in words, whole (the runs table keeps only numbers that are never cut)."""
    from test_tui_expert_year import full_name

    from lopdesk.screens.allocation import ResultsScreen

    run, results = one_place_round(db)
    (loser,) = results.unplaced()
    app = make(db)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        await app.push_screen(ResultsScreen(results))
        await settle(app, pilot)
        unplaced = table_text(app.screen, "#unplaced")
        # the waiting place by its school and level in words (the level's id beside it)
        assert full_name(db, loser) in unplaced, unplaced
        assert "School S1 · leerjaar 2 · 2027-2028: plaats 1" in unplaced, unplaced
        assert "School S1" in table_text(app.screen, "#cutoffs")
        counts = str(app.screen.query_one("#counts").render())
        assert "kinderen: 2" in counts and "zonder toewijzing: 1" in counts, counts


def test_WL_01_an_open_offer_past_its_reply_deadline_reads_verlopen():
    from datetime import UTC, datetime

    from lopdesk.screens.offers import offer_cells

    class Offer:  # the fields offer_cells reads
        status, level_id, seq, child_name, offered_by = "open", "L1", 3, "Lotte", "an"
        school_name = "School S1"
        offered_at = datetime(2027, 3, 1, 8, tzinfo=UTC)
        reply_by = datetime(2027, 3, 8, 22, 59, 59, tzinfo=UTC)

    assert offer_cells(Offer(), datetime(2027, 3, 8, 22, 59, 59, tzinfo=UTC))[0][0] == "aangeboden"
    assert offer_cells(Offer(), datetime(2027, 3, 8, 23, 0, 0, tzinfo=UTC))[0] == ("verlopen",
                                                                              "bold red")


async def test_WL_01_an_offer_from_the_app_is_dated_on_the_apps_clock(db):
    """A domain default (`at or utcnow()`) is taken on the app's clock, as the demo's
    training clock: an offer made with `o` is not dated on the system's day."""
    freed(db)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await press_offer(app, pilot)
        assert type(app.screen).__name__ == "ConfirmDialog"
        await pilot.press("j")
        await settle(app, pilot)
    offers = registers.list_offers(db, "L1")
    assert [o.offered_at for o in offers] == [NOW]


async def test_periods_table_keeps_every_word_whole_at_80_columns(db):
    """'voorrangsperiode' beside two moments was broken into 'voorrangsperiod' / 'e' at
    80 columns; the table says 'voorrang' (its title says periodes) and cuts no word."""
    from datetime import timedelta

    from lopdesk.screens.periods import PeriodsScreen

    b.area(db)
    b.school(db, "S1")
    b.level(db, "O1", "S1", capacity=1, regime="old")
    areas.create_period(db, "O1", kind="priority", group="sibling", starts_at=t(0),
                        ends_at=t(0) + timedelta(days=20))
    areas.create_period(db, "O1", kind="priority", group="staff",
                        starts_at=t(0) + timedelta(days=21))
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.push_screen(PeriodsScreen("O1"))
        await settle(app, pilot)
        table = app.screen.query_one("VirtualTable")
        assert len(table.rows) == 2
        text = [("".join(seg.text for seg in table.render_line(y))).split()
                for y in range(8)]
        words = [w for line in text for w in line]
        assert words.count("voorrang") == 2, text
        assert not any(w.startswith("voorrangsperiod") or w == "e" for w in words), text
