"""A LOP expert's year in the app: the nine everyday tasks, each from the keyboard at 80x24, on
the demo area built as of three days of the year (`demo --today`): 1 December (the school
year in progress, the next one in preparation), 15 April (the next year's round allocated)
and 20 September (waiting lists binding until the fifth school day of October, WL-01).

Each demo is built once per day; every test works on its own copy of the database file and
runs the real app on the demo's training clock. Keys only (pilot.press); the assertions read
the screen (table text, dialog bodies, notifications) and the database through the domain's
read functions afterwards."""

from __future__ import annotations

import shutil
from datetime import date

import pytest
import test_tui
from conftest import sqlite_only
from sqlalchemy import text
from test_tui import SIZE, notes, palette_hits, recording, settle, table_text, type_text, wait_until

from lopdesk import demo
from lopdesk.config import Settings
from lopdesk.db import Database
from lopdesk.demo_states import SPECIAL_SCHOOL
from lopdesk.domain import allocation, capacity, mediation, ops, registers
from lopdesk.domain.setup import initialise
from lopdesk.labels import BRUSSELS

DAYS = ["2026-12-01", "2027-04-15", "2027-09-20"]


# The demos are SQLite files built here, whatever LOPDESK_TEST_PG_URL says: the PostgreSQL
# run would repeat exactly the SQLite run, so it leaves them out.
pytestmark = sqlite_only

@pytest.fixture(scope="module", params=DAYS)
def demo_file(request, tmp_path_factory):
    """The small demo as of one day, built once for the module."""
    day = date.fromisoformat(request.param)
    path = tmp_path_factory.mktemp(f"demo-{request.param}") / "demo.db"
    db = Database(Settings.from_cli(str(path), "tester"))
    initialise(db)
    demo.generate(db, size="small", seed=2027, today=day)
    ops.add_user(db, "collega", "lop_expert")
    db.dispose()
    return path, day


@pytest.fixture
def demo_db(demo_file, tmp_path):
    """A copy of the day's demo for one test."""
    src, day = demo_file
    target = tmp_path / "demo.db"
    for suffix in ("", "-wal"):
        if src.with_name(src.name + suffix).exists():
            shutil.copy(src.with_name(src.name + suffix), target.with_name(target.name + suffix))
    db = Database(Settings.from_cli(str(target), "tester"))
    yield db, day
    db.dispose()


def make(db):
    from lopdesk.app import make_app

    return recording(make_app(db))


def rows(db: Database, sql: str, **params) -> list:
    with db.read() as s:
        return list(s.execute(text(sql), params).all())


def current_year(day: date) -> int:
    return day.year if day.month >= 9 else day.year - 1


def name(app) -> str:
    return type(app.screen).__name__


async def jump(app, pilot, words: str) -> None:
    """The palette (Ctrl+P): type, take the first hit."""
    await pilot.press("ctrl+p")
    await type_text(pilot, words)
    await palette_hits(pilot)
    await pilot.press("down", "enter")
    await settle(app, pilot)


async def open_level(app, pilot, level_id: str) -> None:
    await jump(app, pilot, level_id)
    assert name(app) == "RegisterScreen" and app.screen.level_id == level_id, notes(app)


async def shown(app, pilot, words: str, selector: str = "VirtualTable") -> None:
    """Wait (at most 2 s) until `words` is in the table; else say what the screen shows."""
    try:
        await wait_until(pilot, lambda: words in table_text(app.screen, selector))
    except AssertionError:
        raise AssertionError(f"{words!r} not shown on {name(app)}; notes: {notes(app)}; "
                             f"table: {table_text(app.screen, selector)[:300]!r}"
                             ) from None


def full_name(db: Database, child_id: str) -> str:
    (first, last), = rows(db, "SELECT first_name, last_name FROM child WHERE id = :c",
                          c=child_id)
    return f"{first} {last}"


# --- 1. free places ---------------------------------------------------------------------


async def test_1_find_the_levels_with_free_places(demo_db):
    """CAP-04: the Overzicht's filter 'Vrij > 0' keeps exactly the levels with free places."""
    from lopdesk.domain import counters

    db, day = demo_db
    expected = {c.level_id for c in counters.area_counters(db, at=db.now())
                if (c.free_places or 0) > 0}
    assert expected
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("p")
        await settle(app, pilot)
        table = app.screen.query_one("VirtualTable")
        shown = [r.data for r in table.all_rows if r.key[0] == "level"]
        assert {c.level_id for c in shown} == expected
        title = str(app.screen.query_one("#title").render())
        assert f"{len(expected)} niveaus · vrije plaatsen" in title, title
        screen_text = table_text(app.screen)
        assert shown[0].school_name[:14] in screen_text
        await pilot.press("p")  # off again: the full levels come back
        await settle(app, pilot)
        assert len([r for r in table.all_rows if r.key[0] == "level"]) > len(shown)


# --- 2. the register --------------------------------------------------------------------


async def test_2_register_search_history_add_and_withdraw(demo_db):
    """REG-01/02/03: a request added now is numbered and dated on the day; a realised line
    withdrawn shows 'ingetrokken' and keeps its history."""
    db, day = demo_db
    year = current_year(day)
    level_id, newcomer = rows(db, (
        "SELECT l.id, c.id FROM capacity_level l, child c WHERE l.school_year = :y AND "
        "l.kind = 'primary_grade' AND l.regime = 'old' AND l.school_id NOT LIKE 'BUO%' AND "
        "NOT EXISTS (SELECT 1 FROM register_entry e WHERE e.level_id = l.id AND "
        "e.child_id = c.id) ORDER BY l.id, c.id LIMIT 1"), y=year)[0]
    before = registers.list_entries(db, level_id)
    target = next(e for e in before if e.status == "realised")
    who = full_name(db, target.child_id)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_level(app, pilot, level_id)
        table = app.screen.query_one("VirtualTable")
        assert len(table.rows) == len(before)

        await pilot.press("a")  # a request for a child by id, now
        await settle(app, pilot)
        assert name(app) == "FormDialog"
        await type_text(pilot, newcomer)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        await wait_until(pilot, lambda: len(table.rows) == len(before) + 1)
        assert full_name(db, newcomer).split()[0] in table_text(app.screen)

        await pilot.press("slash")
        await type_text(pilot, who)
        await pilot.press("enter")
        await settle(app, pilot)
        assert [r.data.child_id for r in table.rows] == [target.child_id]
        await pilot.press("h")
        await settle(app, pilot)
        assert name(app) == "TextDialog"
        assert "gerealiseerd" in app.screen.body
        await pilot.press("escape")
        await settle(app, pilot)

        await pilot.press("x")
        await settle(app, pilot)
        await type_text(pilot, "ouders verhuizen")
        await pilot.press("enter")
        await settle(app, pilot)
        await shown(app, pilot, f"{who} INT")  # the line's status: ingetrokken
        assert any("ingetrokken" in n for n in notes(app)), notes(app)
    after = {e.child_id: e for e in registers.list_entries(db, level_id)}
    assert after[target.child_id].status == "withdrawn"
    added = after[newcomer]
    assert added.seq == max(e.seq for e in before) + 1  # REG-01: no gap
    assert added.requested_at.astimezone(BRUSSELS).date() == day
    kinds = [(h.from_status, h.to_status) for h in registers.entry_history(db, target.id)]
    assert kinds[-1] == ("realised", "withdrawn") and len(kinds) >= 2  # REG-02


# --- 3. closing a priority period -------------------------------------------------------


async def test_3_close_a_priority_period_and_see_the_top_up(demo_db):
    """REG-05: the ended period of the special school is closed; the non-indicator contingent
    is topped up with the deferred indicator children, named in the preview."""
    db, day = demo_db
    year = current_year(day) + 1
    level_id = f"{SPECIAL_SCHOOL}-{year}-L1"
    deferred = [e for e in registers.list_entries(db, level_id) if e.status == "deferred"]
    assert len(deferred) == 2
    names = [full_name(db, e.child_id) for e in deferred]
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_level(app, pilot, level_id)
        await pilot.press("P")
        await settle(app, pilot)
        assert name(app) == "PeriodsScreen"
        assert "afgelopen" in table_text(app.screen)
        await pilot.press("c")  # the first period: the one that ended
        await settle(app, pilot)
        assert name(app) == "ConfirmDialog", notes(app)
        body = app.screen.body
        assert "VOORBEELD" in body and "{" not in body
        for who in names:
            assert f"{who} (" in body
        assert body.count("uitgesteld → gerealiseerd") == 2, body
        await pilot.press("j")
        await settle(app, pilot)
        await shown(app, pilot, "afgesloten")
        assert any("2 wijzigingen" in n for n in notes(app)), notes(app)
    statuses = {e.id: e.status for e in registers.list_entries(db, level_id)}
    assert [statuses[e.id] for e in deferred] == ["realised", "realised"]


# --- 4. raise requests ------------------------------------------------------------------


async def test_4_raise_request_preview_approve_and_reject(demo_db):
    """CAP-03: a pending raise is approved after a preview that names the children who get
    the places; the next one is rejected with a reason."""
    db, day = demo_db
    pending = sorted((d for d in capacity.list_decisions(db) if d.status == "pending"),
                     key=lambda d: -d.id)
    assert len(pending) >= 2
    first, second = pending[:2]
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("3")
        await settle(app, pilot)
        assert "open" in str(app.screen.query_one("#t-dec").render())
        await pilot.press("i")
        await settle(app, pilot)
        assert name(app) == "TextDialog"
        assert (f"Capaciteit: {first.current_capacity} → {first.requested_capacity}"
                in app.screen.body)
        await pilot.press("escape", "g")
        await settle(app, pilot)
        assert name(app) == "FormDialog"
        intro = app.screen._intro
        assert "{" not in intro and first.level_id in intro or "School" in intro, intro
        await type_text(pilot, "goedgekeurd op de plenaire")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert name(app) == "CapacityScreen", notes(app)
        # the cursor stays on the decided request; the open ones are listed first
        await pilot.press("home", "w")
        await settle(app, pilot)
        await type_text(pilot, "geen lokaal vrij")
        await pilot.press("enter")
        await settle(app, pilot)
        assert name(app) == "CapacityScreen", notes(app)
        await shown(app, pilot, "afgewezen", "#decisions")
    decided = {d.id: d for d in capacity.list_decisions(db)}
    assert (decided[first.id].status, decided[first.id].decided_by) == ("approved", "tester")
    assert (decided[second.id].status, decided[second.id].decision_reason) == (
        "rejected", "geen lokaal vrij")


# --- 5. offers of freed places ----------------------------------------------------------


async def test_5_offers_accept_decline_and_cascade(demo_db):
    """WL-01..03: the open offers of the area; one accepted (the child realised), one
    declined (the next child on the list is offered the place, shown in Dutch)."""
    db, day = demo_db
    open_offers = [o for o in registers.list_offers(db) if o.status == "open"]
    assert len(open_offers) >= 2
    assert all(o.reply_by > db.now() for o in open_offers)  # still waiting for the parents
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("a")  # the offers of the area
        await settle(app, pilot)
        assert name(app) == "OffersScreen"
        table = app.screen.query_one("VirtualTable")
        shown = [r.data for r in table.rows if r.data.status == "open"]
        assert len(shown) == len(open_offers)
        assert table_text(app.screen).count("aangeboden") == len(open_offers)  # not verlopen
        accepted = table.current.data
        await pilot.press("a")
        await settle(app, pilot)
        assert name(app) == "ConfirmDialog", notes(app)
        await pilot.press("j")
        await settle(app, pilot)
        assert name(app) == "TextDialog", notes(app)
        assert "gerealiseerd" in app.screen.body
        await pilot.press("escape")
        await settle(app, pilot)
        await pilot.press("s")  # only the open ones
        await settle(app, pilot)
        declined = table.current.data
        assert declined.status == "open" and declined.id != accepted.id
        await pilot.press("w")
        await settle(app, pilot)
        assert name(app) == "ConfirmDialog", notes(app)
        await pilot.press("j")
        await settle(app, pilot)
        assert name(app) == "TextDialog", notes(app)
        body = app.screen.body
        assert "geweigerd" in body and declined.child_name in body
    offers = {o.id: o for o in registers.list_offers(db)}
    assert offers[accepted.id].status == "accepted"
    assert offers[declined.id].status == "declined"
    entries = {e.id: e for e in registers.list_entries(db, accepted.level_id)}
    assert entries[accepted.entry_id].status == "realised"


async def test_5_a_freed_place_is_offered_to_the_first_waiting_child(demo_db):
    """WL-01: a withdrawal frees a place while the list binds; `o` offers it to the first
    child on the waiting list."""
    db, day = demo_db
    candidates = rows(db, (
        "SELECT l.id FROM capacity_level l WHERE l.regime = 'old' AND l.school_year = :y "
        "AND EXISTS (SELECT 1 FROM register_entry e WHERE e.level_id = l.id AND "
        "e.status = 'non_realised') AND NOT EXISTS (SELECT 1 FROM offer o JOIN "
        "register_entry e ON e.id = o.entry_id WHERE e.level_id = l.id AND "
        "o.status = 'open') ORDER BY l.id"), y=current_year(day))
    level_id = next(lid for (lid,) in candidates
                    if registers.waiting_list(db, lid, at=db.now()).binds)
    view = registers.waiting_list(db, level_id, at=db.now())
    first = view.entries[0]
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_level(app, pilot, level_id)
        await pilot.press("s")  # realised lines only
        await settle(app, pilot)
        await pilot.press("x")
        await settle(app, pilot)
        await type_text(pilot, "verhuisd")
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press("s", "s", "s", "s")  # every line again
        await pilot.press("o")
        await settle(app, pilot)
        assert name(app) == "ConfirmDialog", notes(app)
        assert first.child_name.split()[0] in app.screen.body
        await pilot.press("j")
        await settle(app, pilot)
        await shown(app, pilot, "aangeboden")
    offered = [o for o in registers.list_offers(db, level_id) if o.status == "open"]
    assert [o.entry_id for o in offered] == [first.id]


# --- 6. the allocation ------------------------------------------------------------------


async def test_6_run_explain_and_rerun_safely(demo_db):
    """ALC-05/06: the run dialog shows the later withdrawal; replacing without keeping it is
    refused (ALC-05); with the explicit choice the withdrawn child stays withdrawn."""
    db, day = demo_db
    round_id = f"aanmelding-1a-{current_year(day)}"
    (old_run,) = [r for r in allocation.list_runs(db, round_id) if r.status == "active"]
    (gone_child,) = [c for (c,) in rows(db, (
        "SELECT e.child_id FROM register_entry e JOIN capacity_level l ON l.id = e.level_id "
        "WHERE l.kind = 'secondary_1a' AND e.status = 'withdrawn'"))]
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await jump(app, pilot, "ronde toewijzen")
        await pilot.pause(0.2)
        assert name(app) == "FormDialog", notes(app)
        intro = app.screen._intro
        assert round_id in intro and "latere gebeurtenis" in intro
        assert full_name(db, gone_child) in intro or gone_child in intro
        await type_text(pilot, "5")
        await pilot.press("tab", "tab", "space")  # replace, without keeping: refused
        await pilot.press("ctrl+s")
        await settle(app, pilot, timeout=30)
        assert any("ALC-05" in n for n in test_tui.refusals(app)), test_tui.refusals(app)
        await pilot.press("escape")  # the refused form stays open with the input: leave it
        await settle(app, pilot)
        assert [r.status for r in allocation.list_runs(db, round_id)] == ["active"]
        await jump(app, pilot, "ronde toewijzen")
        await pilot.pause(0.2)
        assert name(app) == "FormDialog", notes(app)
        await type_text(pilot, "5")
        await pilot.press("tab", "tab", "space", "tab", "space", "tab")
        await type_text(pilot, "invoer gecorrigeerd")
        await pilot.press("ctrl+s")
        await settle(app, pilot, timeout=30)
        assert name(app) == "ResultsScreen", notes(app)
        await pilot.press("e")  # the child under the cursor
        await settle(app, pilot)
        assert name(app) == "TextDialog"
        assert app.screen.body.startswith("Uitleg voor") and "(ALC-06)" in app.screen.body
    runs = allocation.list_runs(db, round_id)
    assert [(r.id, r.status) for r in runs][0] == (old_run.id, "replaced")
    assert runs[-1].status == "active"
    lines = rows(db, (
        "SELECT e.status FROM register_entry e JOIN capacity_level l ON l.id = e.level_id "
        "WHERE l.kind = 'secondary_1a' AND e.child_id = :c ORDER BY e.id DESC LIMIT 1"),
        c=gone_child)
    assert lines[0][0] == "withdrawn"  # the later withdrawal is carried over


# --- 7. mediation -----------------------------------------------------------------------


async def test_7_mediation_open_propose_place_and_close(demo_db):
    """MED-01..03: a case for a refused toddler without one; the proposal lists only open
    levels with free places (the demo keeps one nursery class with room and nobody waiting:
    a binding waiting list goes first, WL-01); the accepted proposal places the child on the
    day; the case closes with an outcome."""
    db, day = demo_db
    year = current_year(day)
    refused = rows(db, (
        "SELECT e.child_id FROM register_entry e JOIN capacity_level l ON l.id = e.level_id "
        "WHERE l.school_year = :y AND l.kind = 'nursery_birth_year' AND l.regime = 'old' AND "
        "e.status = 'non_realised' AND NOT EXISTS (SELECT 1 FROM mediation_case c WHERE "
        "c.child_id = e.child_id) AND NOT EXISTS (SELECT 1 FROM register_entry r WHERE "
        "r.child_id = e.child_id AND r.status = 'realised') AND (SELECT count(*) FROM child a "
        "JOIN child b ON a.first_name = b.first_name AND a.last_name = b.last_name WHERE "
        "a.id = e.child_id) = 1 ORDER BY e.id LIMIT 1"), y=year)  # a name found once
    (child_id,) = refused[0]
    who = full_name(db, child_id)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("2")
        await settle(app, pilot)
        await pilot.press("slash")
        await type_text(pilot, who)
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen.query_one("VirtualTable").current.key == child_id
        await pilot.press("n")
        await settle(app, pilot)
        assert name(app) == "FormDialog"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert name(app) == "CaseScreen", notes(app)
        case_id = app.screen.case_id
        await pilot.press("v")
        await settle(app, pilot)
        assert name(app) == "PickDialog", notes(app)
        picks = app.screen.query_one("VirtualTable").rows
        assert picks, "no level with free places"
        level_id = picks[0].key
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press("a")
        await settle(app, pilot)
        assert name(app) == "FormDialog", notes(app)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert any(f"ingeschreven in register {level_id}" in n for n in notes(app)), notes(app)
        await pilot.press("x")
        await settle(app, pilot)
        # MED-02: after the accepted proposal the form proposes "andere school" itself
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        await wait_until(pilot, lambda: "afgesloten" in str(
            app.screen.query_one("#title").render()))
    view = mediation.get_case(db, case_id)
    assert (view.child_id, view.status, view.outcome) == (child_id, "closed", "other_school")
    placed = [e for e in registers.list_entries(db, level_id) if e.child_id == child_id]
    assert [e.status for e in placed] == ["realised"]
    assert placed[0].requested_at.astimezone(BRUSSELS).date() == day


# --- 8. documents -----------------------------------------------------------------------


async def test_8_save_a_register_extract_and_a_proces_verbaal(demo_db, tmp_path):
    """A register extract of a level and the PV of the secondary round's run (ALC-05),
    previewed and saved as files only their owner reads."""
    db, day = demo_db
    round_id = f"aanmelding-1a-{current_year(day)}"
    (run,) = [r for r in allocation.list_runs(db, round_id) if r.status == "active"]
    level_id = f"SO001-{current_year(day)}-1A"
    out = tmp_path / "docs"
    out.mkdir()
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_level(app, pilot, level_id)
        await pilot.press("d")
        await settle(app, pilot)
        assert name(app) == "PreviewScreen", notes(app)
        await wait_until(pilot, lambda: app.screen.text is not None, timeout=10)
        assert level_id in app.screen.text
        await pilot.press("s")
        await settle(app, pilot)
        await pilot.press("tab")  # the format (html), then the folder
        await pilot.press("ctrl+u")
        await type_text(pilot, str(out))
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        await wait_until(pilot, lambda: app.screen.saved is not None)
        await pilot.press("escape", "escape")
        await settle(app, pilot)
        await jump(app, pilot, "proces-verbaal")
        assert name(app) == "FormDialog", notes(app)
        await type_text(pilot, str(run.id))
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert name(app) == "PreviewScreen", notes(app)
        await wait_until(pilot, lambda: app.screen.text is not None, timeout=10)
        assert round_id in app.screen.text and str(run.seed) in app.screen.text
        await pilot.press("s")
        await settle(app, pilot)
        await pilot.press("tab", "ctrl+u")
        await type_text(pilot, str(out))
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        await wait_until(pilot, lambda: app.screen.saved is not None)
    saved = sorted(p.name for p in out.iterdir())
    assert saved == sorted([f"pv-run-{run.id}.html", f"register-{level_id}.html"]), saved
    for p in out.iterdir():
        assert p.stat().st_mode & 0o007 == 0 and p.stat().st_size > 0  # never world-readable


# --- 9. a colleague's change ------------------------------------------------------------


async def test_9_a_colleagues_change_appears(demo_db):
    """Two users, one database: a request a colleague adds shows in the open register
    within two seconds, with the colleague named in its history."""
    import asyncio

    from conftest import as_user

    db, day = demo_db
    year = current_year(day)
    level_id, child_id = rows(db, (
        "SELECT l.id, c.id FROM capacity_level l, child c WHERE l.school_year = :y AND "
        "l.kind = 'primary_grade' AND l.regime = 'old' AND l.school_id NOT LIKE 'BUO%' AND "
        "NOT EXISTS (SELECT 1 FROM register_entry e WHERE e.level_id = l.id AND "
        "e.child_id = c.id) ORDER BY l.id DESC, c.id DESC LIMIT 1"), y=year)[0]
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_level(app, pilot, level_id)
        table = app.screen.query_one("VirtualTable")
        n = len(table.rows)
        other = as_user(db, "collega")
        entry = await asyncio.to_thread(registers.add_request, other, level_id, child_id)
        other.dispose()
        # the poll runs every second (2 s on a quiet machine: test_tui); loaded CI gets 5 s
        await wait_until(pilot, lambda: len(table.rows) == n + 1, timeout=5.0)
        assert full_name(db, child_id).split()[0] in table_text(app.screen)
        await pilot.press("end", "h")
        await settle(app, pilot)
        assert name(app) == "TextDialog" and "collega" in app.screen.body
    assert registers.get_entry(db, entry.id).child_id == child_id
