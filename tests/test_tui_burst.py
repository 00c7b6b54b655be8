"""Every form of the app typed in one burst, as a terminal delivers a paste or fast typing:
all key events are in the app's queue at once, starting with the key that opens the dialog,
and nothing waits in between (not even for the dialog's data to be read). The values must
land in the fields the user meant, and no key may reach the screen below the dialog."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime

import builders as b
from builders import t
from test_tui import SIZE, notes, open_register, recording, scenario, settle
from textual import events
from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key

from lopdesk.domain import allocation, capacity, mediation, registers

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)


def make(db):
    from lopdesk.app import make_app

    return recording(make_app(db, clock=lambda: NOW))


def key_event(key: str) -> events.Key:
    """The Key event a terminal sends for `key` (a character or a key name)."""
    if len(key) == 1 and not key.isalnum():
        key = _character_to_key(key)
    try:
        char: str | None = unicodedata.lookup(
            _get_unicode_name_from_key(REPLACED_KEYS.get(key, key)))
    except KeyError:
        char = key if len(key) == 1 else None
    return events.Key(key, char)


def keys_of(*parts: str) -> list[str]:
    """Key names from words: 'tab' stays a key, any other part is typed character by
    character."""
    out: list[str] = []
    for p in parts:
        out += [p] if p in ("tab", "enter", "escape", "end", "up", "down", "space") \
            or p.startswith("ctrl+") or len(p) == 1 else list(p)
    return out


async def burst(app, pilot, *parts: str) -> dict | None:
    """Post every key at once (no pause between them), wait until the app is idle and
    return the values of the form that is open then (None when no form is open)."""
    for key in keys_of(*parts):
        app.post_message(key_event(key))
    await settle(app, pilot)
    await settle(app, pilot)
    screen = app.screen
    return screen.values() if type(screen).__name__ == "FormDialog" else None


def screen_name(app) -> str:
    return type(app.screen).__name__


# --- register -----------------------------------------------------------------------------


async def test_register_add_withdraw_status_in_one_burst(db):
    s = scenario(db)
    kid = s["kids"][3]
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_register(app, pilot)
        v = await burst(app, pilot, "a", kid, "tab", "tab", "tab", "2027-03-02T10:00:00")
        assert v is not None, notes(app)
        assert (v["child_id"], v["at"], v["first_name"]) == (kid, "2027-03-02T10:00:00", "")
        await burst(app, pilot, "escape")
        v = await burst(app, pilot, "x", "verhuisd")
        assert v == {"reason": "verhuisd"}
        await burst(app, pilot, "escape")
        v = await burst(app, pilot, "t", "tab", "fout", "ctrl+s")
        assert v is None, notes(app)
    assert registers.list_entries(db, "L1")[0].status != "realised" or any(
        "Nr. 1" in n for n in notes(app))


async def test_register_notice_and_history_in_one_burst(db):
    scenario(db)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_register(app, pilot)
        await pilot.press("end")  # the refused line (nr. 3)
        v = await burst(app, pilot, "m", "tab", "Jan Peeters")
        assert v is not None and v["signed_by"] == "Jan Peeters", notes(app)
        await burst(app, pilot, "escape")
        # The history is read first; keys typed meanwhile wait for its dialog.
        await burst(app, pilot, "h", "s")
        assert screen_name(app) == "TextDialog"
        assert app.screen_stack[-2].status_filter is None  # 's' did not reach the register


async def test_offer_answer_confirmed_in_one_burst(db):
    level, kids = b.basic(db, capacity=1, n_children=4)
    entries = [registers.add_request(db, level, k, at=t(i)) for i, k in enumerate(kids[:3])]
    registers.withdraw(db, entries[0].id, reason="verhuisd", at=t(days=2))
    registers.offer_next(db, "L1", at=t(days=3))
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_register(app, pilot)
        await pilot.press("end", "up")  # the offered child, nr. 2
        await burst(app, pilot, "W", "j")
        assert screen_name(app) == "TextDialog", notes(app)
    offers = registers.list_offers(db, "L1")
    assert [(o.child_id, o.status) for o in offers] == [(kids[1], "declined"), (kids[2], "open")]


async def test_period_form_in_one_burst(db):
    scenario(db)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_register(app, pilot)
        await burst(app, pilot, "P")
        assert screen_name(app) == "PeriodsScreen"
        v = await burst(app, pilot, "n", "tab", "tab", "01/09/2027 09:00", "tab",
                        "30/09/2027 16:00")
        assert v is not None, notes(app)
        assert (v["kind"], v["start"], v["end"]) == ("priority", "01/09/2027 09:00",
                                                     "30/09/2027 16:00")


# --- capacity -----------------------------------------------------------------------------


async def test_capacity_forms_in_one_burst(db):
    scenario(db)
    b.level(db, "G2", "S1", capacity=3, label="2")
    capacity.request_raise(db, "L1", 3, reason="extra lokaal", at=t(100))
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        v = await burst(app, pilot, "3", "n", "L1", "tab", "50", "tab", "extra klas")
        assert v is not None and (v["level_id"], v["capacity"], v["reason"]) == (
            "L1", "50", "extra klas"), notes(app)
        await burst(app, pilot, "escape")
        # Approving shows a preview read from the database first: the keys typed meanwhile
        # go to the dialog, not to the list below ('w' would reject, 'd' declare).
        v = await burst(app, pilot, "g", "wordt gedaan", "tab", "LOP-7")
        assert v == {"reason": "wordt gedaan", "ref": "LOP-7"}, notes(app)
        await burst(app, pilot, "escape")
        v = await burst(app, pilot, "w", "geen lokaal")
        assert v == {"reason": "geen lokaal"}, notes(app)
        await burst(app, pilot, "escape")
        v = await burst(app, pilot, "d", "G2", "tab", "vol")
        assert v == {"levels": "G2", "reason": "vol"}, notes(app)
    assert [d.status for d in capacity.list_decisions(db)] == ["pending"]


# --- overview -----------------------------------------------------------------------------


async def test_overview_forms_in_one_burst(db):
    scenario(db)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        v = await burst(app, pilot, "f", "tab", "tab", "1")
        assert v is not None and v["label"] == "1", notes(app)
        await burst(app, pilot, "escape")
        await pilot.press("end")  # a level
        v = await burst(app, pilot, "e", "ctrl+u", "7")
        assert v == {"value": "7"}, notes(app)


# --- mediation ----------------------------------------------------------------------------


def refused(db) -> dict:
    level, kids = b.basic(db, capacity=2, n_children=4)
    for i, kid in enumerate(kids[:3]):
        registers.add_request(db, level, kid, at=t(i))
    b.school(db, "S2")
    b.level(db, "L2", "S2", capacity=5)
    return {"kids": kids, "child": kids[2]}


async def open_case_screen(app, pilot, case_id: int) -> None:
    from lopdesk.screens.case import CaseScreen

    await app.push_screen(CaseScreen(case_id))
    await settle(app, pilot)


async def test_case_open_in_one_burst(db):
    s = refused(db)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        v = await burst(app, pilot, "5", "n", s["child"], "tab", "ctrl+u", "04/03/2027",
                        "tab", "tab", "belde op")
        assert v is not None, (notes(app), [type(x).__name__ for x in app.screen_stack])
        assert (v["child_id"], v["request_on"], v["note"]) == (s["child"], "04/03/2027",
                                                                "belde op")


async def test_case_forms_in_one_burst(db):
    s = refused(db)
    case = mediation.open_case(db, s["child"], request_on=NOW.date(), at=NOW)
    mediation.propose(db, case.id, "L2", at=NOW)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_case_screen(app, pilot, case.id)
        v = await burst(app, pilot, "p", "tab", "Jan Peeters", "tab", "0470")
        assert v is not None and (v["role"], v["name"], v["contact"]) == (
            "parents", "Jan Peeters", "0470"), notes(app)
        await burst(app, pilot, "escape")
        for key in ("m", "c"):
            v = await burst(app, pilot, key, "tab", "gesprek op school")
            assert v is not None and v["text"] == "gesprek op school", (key, notes(app))
            await burst(app, pilot, "escape")
        v = await burst(app, pilot, "k", "tab", "ingediend")
        assert v is not None and v["note"] == "ingediend", notes(app)
        await burst(app, pilot, "escape")
        v = await burst(app, pilot, "a", "tab", "tab", "ja", "tab", "09/03/2027 14:30")
        assert v is not None and (v["note"], v["at"]) == ("ja", "09/03/2027 14:30"), notes(app)
        await burst(app, pilot, "escape")
        v = await burst(app, pilot, "x", "tab", "tab", "klaar")
        assert v is not None and v["note"] == "klaar", notes(app)


# --- documents ----------------------------------------------------------------------------


async def test_document_forms_in_one_burst(db):
    s = refused(db)
    case = mediation.open_case(db, s["child"], request_on=NOW.date(), at=NOW)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_case_screen(app, pilot, case.id)
        await burst(app, pilot, "d")
        assert screen_name(app) == "PreviewScreen", notes(app)
        v = await burst(app, pilot, "s", "tab", "ctrl+u", "/tmp/x")
        assert v is not None and v["folder"] == "/tmp/x", notes(app)


# --- allocation ---------------------------------------------------------------------------


async def test_run_dialog_in_one_burst(db):
    b.basic(db, capacity=2, n_children=5)
    b.level(db, "L2", "S1", capacity=5, label="2")
    allocation.create_round(db, "R1", "A", 2027, "Ronde 1")
    allocation.add_round_level(db, "R1", "L2", capacity=1)
    for kid in ("K003", "K004"):
        allocation.add_applications(db, "R1", kid, ["L2"])
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await burst(app, pilot, "4")
        # The replacement impact is read before the dialog opens: the seed typed meanwhile
        # lands in the seed field.
        v = await burst(app, pilot, "r", "42")
        assert v is not None and v["seed"] == "42", notes(app)


async def test_letters_typed_in_the_search_line_stay_there(db):
    scenario(db)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        # 'a' (offers), 'o' (sort) and 'e' (board) are keys of the Overzicht: typed into its
        # search line they are text.
        await burst(app, pilot, "/", "school a", "enter", "o")
        assert screen_name(app) == "FormDialog", notes(app)  # Enter left the line: 'o' sorts
        assert app.screen_stack[-2].filters.text == "school a"
