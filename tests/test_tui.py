"""Pilot-driven tests of the terminal app: each flow from the keyboard, at 80x24.

Tests wait for the app's workers (never fixed sleeps, except the two-user poll test which
waits at most 2 s for the change to appear) and assert on public state: the notifications
the app showed (recorded from the public `notify`), dialog bodies, table rows.
"""

from __future__ import annotations

import asyncio
import time
import weakref

import builders as b
from builders import t
from conftest import as_user

from lopdesk.domain import areas, capacity, registers

SIZE = (80, 24)


async def settle(app, pilot, timeout: float = 10.0) -> None:
    """Wait for the screens' database workers (the change poll aside) to complete, then for
    what their results scheduled; results that start new workers are waited for too."""
    from textual.worker import WorkerCancelled, WorkerFailed, WorkerState

    async def drain() -> None:
        while True:
            await pilot.pause()
            busy = [w for w in app.workers if w.group not in ("poll", "index")
                    and w.state in (WorkerState.PENDING, WorkerState.RUNNING)]
            if not busy:
                return
            try:
                await app.workers.wait_for_complete(busy)
            except (WorkerCancelled, WorkerFailed):  # reported by the app's error handler
                pass

    await asyncio.wait_for(drain(), timeout)
    if not getattr(app, "area_loaded", True):  # names shown from the area index
        await wait_until(pilot, lambda: app.area_loaded, timeout)
        await asyncio.wait_for(drain(), timeout)
    await pilot.wait_for_scheduled_animations()


async def palette_hits(pilot, timeout: float = 10.0) -> None:
    """Wait until the open command palette lists at least one hit for what was typed."""
    from textual.command import CommandList

    def hits() -> bool:
        found = pilot.app.screen.query(CommandList)
        return bool(found) and any(not found.first().get_option_at_index(i).disabled
                                   for i in range(found.first().option_count))

    await wait_until(pilot, hits, timeout)
    await pilot.pause(0.3)  # the search of the last typed letter may still be replacing them
    await wait_until(pilot, hits, timeout)


async def wait_until(pilot, predicate, timeout: float = 2.0) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return time.monotonic() - start
        await pilot.pause(0.05)
    raise AssertionError(f"condition not met within {timeout:.1f} s")


def table_text(screen, selector: str = "VirtualTable") -> str:
    table = screen.query_one(selector)
    return "\n".join(
        " ".join(c if isinstance(c, str) else c[0] for c in table.cells(r)) for r in table.rows)


_NOTES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def recording(app):
    """Record every notification the app shows ('title: message'), through its public
    `notify` (screens and widgets notify through the app)."""
    seen: list[str] = []
    notify = app.notify

    def record(message, *, title: str = "", **kw):
        seen.append(f"{title}: {message}")
        return notify(message, title=title, **kw)

    app.notify = record
    _NOTES[app] = seen
    return app


def notes(app) -> list[str]:
    return list(_NOTES.get(app, []))


def refusals(app) -> list[str]:
    """The notifications, and the refusal an open form shows under its fields and above
    its buttons (a refused save keeps its form open and says why there)."""
    shown = notes(app)
    for line in app.screen.query("#form-error"):
        shown.append(str(line.render()))
    shown.extend(getattr(app.screen, "errors", {}).values())
    return shown


async def type_text(pilot, text: str) -> None:
    await pilot.press(*[{" ": "space"}.get(ch, ch) for ch in text])


def scenario(db) -> dict:
    """Area A, school S1, level L1 (capacity 2) with 3 requests: 2 realised, 1 waiting."""
    level, kids = b.basic(db, capacity=2, n_children=5)
    entries = [registers.add_request(db, level, kid, at=t(i)) for i, kid in enumerate(kids[:3])]
    return {"level": level, "kids": kids, "entries": entries}


def make(db, **kw):
    from lopdesk.app import make_app

    return recording(make_app(db, **kw))


async def open_register(app, pilot, level_id: str = "L1") -> None:
    from lopdesk.screens.register import RegisterScreen

    await app.push_screen(RegisterScreen(level_id))
    await settle(app, pilot)


async def press_offer(app, pilot) -> None:
    """Once the app is up: the register of L1, and `o` (offer a freed place, WL-01)."""
    await settle(app, pilot)
    await open_register(app, pilot)
    await pilot.press("o")
    await settle(app, pilot)


# --- 1. Overzicht ---------------------------------------------------------------------


async def test_overzicht_area_schools_levels_and_board(db):
    scenario(db)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        text = table_text(app.screen)
        assert "Gebied A" in text and "School S1" in text and "leerjaar 1" in text
        assert "Nog plaatsen vrij" in text  # CAP-05 default
        level = app.screen.query_one("VirtualTable").all_rows[-1].data
        assert (level.realised, level.waiting, level.free_places) == (2, 1, 0)


async def test_CAP_05_board_colours_and_edit(db):
    scenario(db)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("end", "e")
        await settle(app, pilot)
        await pilot.press("ctrl+u")
        await type_text(pilot, "zeven")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert any("CAP-05" in n for n in refusals(app))
        await pilot.press("ctrl+u", "0", "ctrl+s")  # the refused form is still open
        await settle(app, pilot)
        await wait_until(pilot, lambda: "0 (volzet)" in table_text(app.screen))
        table = app.screen.query_one("VirtualTable")
        cell = table.cells(table.all_rows[-1])[2]
        assert cell[0] == "0 (volzet)" and "red" in cell[1]  # only '0' is red


async def test_overzicht_filters(db):
    scenario(db)
    b.level(db, "L2", "S1", capacity=30, label="2")
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert "leerjaar 2" in table_text(app.screen)
        await pilot.press("w")  # only levels with a waiting list
        text = table_text(app.screen)
        assert "leerjaar 1" in text and "leerjaar 2" not in text
        await pilot.press("w", "slash")
        await type_text(pilot, "L2")
        text = table_text(app.screen)
        assert "leerjaar 2" in text and "leerjaar 1" not in text


# --- 2. Register ------------------------------------------------------------------------


async def test_register_entries_filter_and_history(db):
    scenario(db)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("end", "enter")  # the level row opens its register
        await settle(app, pilot)
        assert type(app.screen).__name__ == "RegisterScreen"
        assert len(app.screen.query_one("VirtualTable").rows) == 3
        assert "volgende: Voornaam2" in str(app.screen.query_one("#guard").render())
        await pilot.press("s", "s", "s")  # realised → deferred → non-realised
        assert [r.data.status for r in app.screen.query_one("VirtualTable").rows] == [
            "non_realised"]
        # the filter stays in sight while it is on, and an empty table says why
        line = app.screen.query_one("#filter")
        assert line.display and "Filter: niet-gerealiseerd · 1 van 3" in str(line.render())
        await pilot.press("s")  # withdrawn: none
        assert not app.screen.query_one("VirtualTable").rows
        assert "met status ingetrokken" in app.screen.query_one("VirtualTable").empty_text
        await pilot.press("s")  # every status again: the line is gone
        assert not app.screen.query_one("#filter").display
        await pilot.press("slash")
        await type_text(pilot, "voornaam1")
        assert len(app.screen.query_one("VirtualTable").rows) == 1
        await pilot.press("enter", "h")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "TextDialog"
        assert "ingeschreven: gerealiseerd" in app.screen.body


async def test_register_add_request_and_overcapacity(db):
    s = scenario(db)
    areas.add_overcapacity_category(db, "new", "*", "ank", "anderstalige nieuwkomer")
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_register(app, pilot)
        await pilot.press("a")
        await settle(app, pilot)
        await type_text(pilot, s["kids"][3])
        await pilot.press("tab", "tab", "enter")  # the category choice list (CAP-07)
        await pilot.pause()
        await pilot.press("down", "enter")
        await pilot.pause()
        await pilot.press("tab")
        await type_text(pilot, "2027-03-02T10:00:00")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        await wait_until(pilot, lambda: len(app.screen.query_one("VirtualTable").rows) == 4)
        last = app.screen.query_one("VirtualTable").rows[-1].data
        assert (last.status, last.overcapacity_category) == ("realised", "ank")  # CAP-07


async def test_WL_01_offer_next_shows_guard(db):
    s = scenario(db)
    registers.withdraw(db, s["entries"][0].id, reason="verhuisd")
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await press_offer(app, pilot)
        assert type(app.screen).__name__ == "ConfirmDialog"
        assert "Voornaam2" in app.screen.body and "bindt t.e.m." in app.screen.body
        await pilot.press("j")
        await settle(app, pilot)
        offers = registers.list_offers(db, "L1")
        assert [o.child_id for o in offers] == [s["kids"][2]]


async def test_register_withdraw_and_conflict(db):
    s = scenario(db)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_register(app, pilot)
        # a colleague withdraws entry 1 first (another Database object)
        other = as_user(db, "expert")
        registers.withdraw(other, s["entries"][0].id, reason="collega")
        other.dispose()
        await pilot.press("x")
        await settle(app, pilot)
        await type_text(pilot, "ouders verhuizen")
        await pilot.press("enter")
        await settle(app, pilot)
        assert any(n.startswith("Conflict") for n in notes(app)), notes(app)
        # the input is kept for a retry
        assert app.screen._drafts["withdraw"]["reason"] == "ouders verhuizen"


async def test_REG_05_close_period_preview_then_confirm(db):
    b.area(db)
    b.school(db, "S1")
    b.level(db, "O1", "S1", capacity=1, regime="old")
    kids = b.children(db, 3)
    period = areas.create_period(db, "O1", kind="priority", starts_at=t(0))
    for i, kid in enumerate(kids):
        registers.add_request(db, "O1", kid, at=t(i + 1))
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_register(app, pilot, "O1")
        await pilot.press("p")
        await settle(app, pilot)
        if type(app.screen).__name__ == "FormDialog":  # no period list in the domain yet
            await type_text(pilot, str(period.id))
            await pilot.press("ctrl+s")
            await settle(app, pilot)
        assert type(app.screen).__name__ == "ConfirmDialog"
        assert "uitgesteld → niet-gerealiseerd" in app.screen.body
        await pilot.press("j")
        await settle(app, pilot)
        statuses = [e.status for e in registers.list_entries(db, "O1")]
        assert statuses == ["realised", "non_realised", "non_realised"]


# --- 3. Uitgesteld / Niet-gerealiseerd ---------------------------------------------------


async def test_uitgesteld_one_row_per_child(db):
    s = scenario(db)
    b.level(db, "L2", "S1", capacity=0, label="2")
    registers.add_request(db, "L2", s["kids"][2], at=t(10))
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("2")
        await settle(app, pilot)
        rows = app.screen.query_one("VirtualTable").rows
        assert [r.key for r in rows] == [s["kids"][2]]  # refused twice, shown once
        assert len(rows[0].data.places) == 2
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "RegisterScreen"


# --- 4. Capaciteit ----------------------------------------------------------------------


async def test_CAP_03_approve_with_preview(db):
    s = scenario(db)
    decision = capacity.request_raise(db, "L1", 3, reason="extra lokaal", at=t(100))
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("3")
        await settle(app, pilot)
        await pilot.press("g")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "FormDialog"
        assert s["kids"][2] in app.screen._intro  # who gets the new place
        await type_text(pilot, "goedgekeurd op plenaire")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        d = [x for x in capacity.list_decisions(db) if x.id == decision.id][0]
        assert d.status == "approved" and d.decided_by == "tester"


async def test_CAP_03_reject_with_reason(db):
    scenario(db)
    decision = capacity.request_raise(db, "L1", 3, reason="extra lokaal", at=t(100))
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("3")
        await settle(app, pilot)
        await pilot.press("w")
        await settle(app, pilot)
        await type_text(pilot, "geen lokaal")
        await pilot.press("enter")
        await settle(app, pilot)
        d = [x for x in capacity.list_decisions(db) if x.id == decision.id][0]
        assert (d.status, d.decision_reason) == ("rejected", "geen lokaal")


# --- 5. Allocatie -----------------------------------------------------------------------


async def test_allocatie_run_from_palette(db):
    from lopdesk.domain import allocation

    s = scenario(db)
    b.level(db, "L2", "S1", capacity=5, label="2")
    allocation.create_round(db, "R1", "A", 2027, "Ronde 1")
    allocation.add_round_level(db, "R1", "L2", capacity=1)
    for kid in s["kids"][3:5]:
        allocation.add_applications(db, "R1", kid, ["L2"])
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+p")
        await type_text(pilot, "ronde toewijzen")
        await palette_hits(pilot)
        await pilot.press("down", "enter")
        await settle(app, pilot)
        await pilot.pause(0.2)
        scr = app.screen
        assert type(scr).__name__ == "FormDialog", (notes(app), getattr(scr, "_pending", 0),
                                                     getattr(scr, "_loaded", 0), app.current_mode)
        await type_text(pilot, "42")
        await pilot.press("ctrl+s")
        await settle(app, pilot, timeout=30)
        assert type(app.screen).__name__ == "ResultsScreen"
        assert len(app.screen.results.unplaced()) == 1
        assert "keuze 1" in str(app.screen.query_one("#chart").render())
        runs = allocation.list_runs(db, "R1")
        assert runs[0].seed == 42


# --- 6. Palette, 7. help ------------------------------------------------------------------


async def test_palette_jumps_to_register(db):
    scenario(db)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+p")
        await type_text(pilot, "L1")
        await palette_hits(pilot)
        await pilot.press("down", "enter")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "RegisterScreen"
        assert app.screen.level_id == "L1"


async def test_palette_jumps_to_child(db):
    s = scenario(db)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+p")
        await type_text(pilot, "Voornaam2 ")
        await palette_hits(pilot)
        await pilot.press("enter")  # the first hit: the child (its file)
        await settle(app, pilot)
        assert type(app.screen).__name__ == "ChildFileScreen"
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen.query_one("VirtualTable").current.data.child_id == s["kids"][2]


async def test_help_lists_the_keys_of_the_screen(db):
    scenario(db)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_register(app, pilot)
        await pilot.press("f1")
        await pilot.pause()
        assert type(app.screen).__name__ == "HelpScreen"
        text = str(app.screen.query_one("#help-body Static").render())
        for label in ("Intrekken", "Plaats aanbieden", "Periode afsluiten", "Ctrl+P"):
            assert label in text


# --- 8. Together in one database --------------------------------------------------------


async def test_two_users_change_appears_within_2_seconds(db):
    s = scenario(db)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_register(app, pilot)
        assert len(app.screen.query_one("VirtualTable").rows) == 3
        other = as_user(db, "expert")
        await asyncio.to_thread(registers.add_request, other, "L1", s["kids"][4], at=t(50))
        other.dispose()
        # wait_until raises unless the change shows within 2 s
        await wait_until(
            pilot, lambda: len(app.screen.query_one("VirtualTable").rows) == 4, timeout=2.0)
