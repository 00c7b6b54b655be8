"""Every form of the app typed in one burst (Pilot key presses without pauses): the keys
land in the field the user meant, typed fields are checked in place (Dutch message under
the field, dialog open, input kept), and children, levels and schools are picked by name."""

from __future__ import annotations

import builders as b
from builders import t
from test_tui import SIZE, make, notes, open_register, scenario, settle

from lopdesk.domain import areas, registers


def form(app):
    return app.screen if type(app.screen).__name__ == "FormDialog" else None


async def test_register_add_typed_in_one_burst(db):
    s = scenario(db)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_register(app, pilot)
        kid = s["kids"][3]
        await pilot.press("a", *kid, "tab", "tab", "tab", *"2027-03-02T10:00:00")
        dialog = form(app)
        assert dialog is not None
        await settle(app, pilot)
        values = dialog.values()
        assert values["child_id"] == kid
        assert values["at"] == "2027-03-02T10:00:00"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert form(app) is None, notes(app)
        entries = registers.list_entries(db, "L1")
        assert entries[-1].child_id == kid


async def test_wrong_moment_shows_under_the_field_and_keeps_the_input(db):
    s = scenario(db)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_register(app, pilot)
        await pilot.press("a", *s["kids"][3], "tab", "tab", "tab", *"morgen", "ctrl+s")
        await settle(app, pilot)
        dialog = form(app)
        assert dialog is not None  # still open
        assert "geen tijdstip" in dialog.errors["at"]
        assert dialog.values()["at"] == "morgen"
        assert app.focused is dialog.query_one("#f-at")


async def test_child_picked_by_name_and_birth_date(db):
    b.area(db)
    b.school(db, "S1")
    b.level(db, "L1", "S1", capacity=5)
    from datetime import date
    areas.create_child(db, "K0123456", "Lucas", "Maes", birth_date=date(2021, 4, 2))
    areas.create_child(db, "K0123457", "Lucas", "Maes", birth_date=date(2021, 9, 30))
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_register(app, pilot)
        await pilot.press("a", *"lucas 30/09", "tab")
        await settle(app, pilot)
        assert form(app).values()["child_id"] == "K0123457"


async def test_add_request_for_a_new_child(db):
    scenario(db)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_register(app, pilot)
        await pilot.press("a", "tab", "tab", "tab", *"02/03/2027 10:00", "tab", *"Nora",
                          "tab", *"Peeters", "tab", *"12/05/2021", "ctrl+s")
        await settle(app, pilot)
        assert form(app) is None, notes(app)
        new = [e for e in registers.list_entries(db, "L1") if e.child_id.startswith("N")]
        assert [e.child_name for e in new] == ["Nora Peeters"], notes(app)


async def test_no_child_and_no_new_names_is_refused_in_place(db):
    scenario(db)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_register(app, pilot)
        await pilot.press("a", "ctrl+s")
        await settle(app, pilot)
        assert "nieuw kind" in form(app).errors["child_id"] or "Kind" in form(app).errors[
            "child_id"]
        _ = t


async def values_after(app, pilot, *keys: str) -> dict:
    """Press `keys` without pauses (each key as soon as the previous one is handled) and
    return the values of the form that is open afterwards."""
    await pilot.press(*keys)
    await settle(app, pilot)
    dialog = form(app)
    assert dialog is not None, notes(app)
    return dialog.values()


async def test_capacity_request_typed_in_one_burst(db):
    scenario(db)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        v = await values_after(app, pilot, "3", "n", *"L1", "tab", *"50", "tab",
                               *"extra klas")
        assert (v["level_id"], v["capacity"], v["reason"]) == ("L1", "50", "extra klas")


async def test_capacity_request_wrong_number_is_refused_in_place(db):
    scenario(db)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("3", "n", *"L1", "tab", *"vijftig", "tab", *"extra", "ctrl+s")
        await settle(app, pilot)
        dialog = form(app)
        assert dialog is not None
        assert dialog.errors["capacity"] == (
            "Nieuwe capaciteit: 'vijftig' is geen geheel getal.")
        assert app.focused is dialog.query_one("#f-capacity")


async def test_case_open_typed_in_one_burst(db):
    s = scenario(db)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        v = await values_after(app, pilot, "5", "n", *s["kids"][2], "tab",
                               *"04/03/2027", "tab", "tab", *"belde op")
        assert (v["child_id"], v["request_on"], v["note"]) == (
            s["kids"][2], "04/03/2027", "belde op")


async def test_register_withdraw_and_status_typed_in_one_burst(db):
    scenario(db)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_register(app, pilot)
        v = await values_after(app, pilot, "x", *"verhuisd")
        assert v == {"reason": "verhuisd"}
        await pilot.press("escape")
        v = await values_after(app, pilot, "t", "tab", *"fout")
        assert v["reason"] == "fout"


async def test_report_form_year_checked_in_place(db):
    from lopdesk.screens.documents import open_report

    scenario(db)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        open_report(app, area_id="A", school_year=2027)
        await settle(app, pilot)
        await pilot.press("tab", *"27", "ctrl+s")
        await settle(app, pilot)
        assert "kleiner dan 2000" in form(app).errors["year"]


def test_a_field_checked_in_place_says_its_message_as_a_sentence():
    """DomainError's str() is the bare message (lower case); what a form shows under a
    field is the sentence, as the CLI prints it."""
    from lopdesk.screens.form_fields import FieldValidator, FormField

    result = FieldValidator(FormField("on", "datum van de vraag", "day")).validate("31/02/2027")
    (message,) = result.failure_descriptions
    assert message[0].isupper() and message.lower().startswith("datum van de vraag"), message
