"""Pilot tests at 80x24: the app's confirm dialogs ask in words and never name a CLI flag
(MED-01, MED-02), MED-03's explanation names every level, and a new child's birth date
refused in the add-request form shows under that field with the focus there (forms save
while open: docs/decisions.md)."""

from __future__ import annotations

import builders as b
from builders import t
from test_tui import SIZE, make, notes, open_register, scenario, settle, type_text
from test_tui_form_refusal import (
    case_scenario,
    open_case_screen,
    open_close_form_for_another_school,
)
from test_tui_form_refusal import make as make_at_now

from lopdesk.domain import mediation, registers


def form(app):
    return app.screen if type(app.screen).__name__ == "FormDialog" else None


async def test_MED_02_close_at_a_school_without_enrolment_asks_in_words(db):
    """'Ingeschreven in een andere school' at S2, where the register shows the child
    enrolled nowhere: a confirm dialog names what the register shows, no CLI flag; 'n'
    keeps the form, 'j' closes the case at S2."""
    case_id = case_scenario(db)
    app = make_at_now(db)
    async with app.run_test(size=SIZE) as pilot:
        form_ = await open_close_form_for_another_school(app, pilot, case_id)
        form_.set_focus(form_._focus_target("school_id"))
        await settle(app, pilot)
        await type_text(pilot, "S2")
        await settle(app, pilot)
        await pilot.press("enter")  # takes the highlighted school
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        confirm = app.screen
        assert type(confirm).__name__ == "ConfirmDialog", (notes(app), form_.errors,
                                                           form_.values())
        assert "Het register toont geen inschrijving" in confirm.body
        assert "School S2" in confirm.body and "(MED-02)" in confirm.body
        assert "--" not in confirm.body and "confirm" not in confirm.body
        await pilot.press("n")
        await settle(app, pilot)
        assert app.screen is form_ and mediation.get_case(db, case_id).status != "closed"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        await pilot.press("j")
        await settle(app, pilot)
        view = mediation.get_case(db, case_id)
        assert (view.status, view.outcome, view.outcome_school_id) == (
            "closed", "other_school", "S2")


async def refused_new_child(app, pilot, born: str):
    """The add-request form of L1 for a new child Nora Peeters born `born`, saved in one
    burst: the form, still open."""
    await settle(app, pilot)
    await open_register(app, pilot)
    await pilot.press("a", "tab", "tab", "tab", "tab", *"Nora", "tab", *"Peeters", "tab",
                      *born, "ctrl+s")
    await settle(app, pilot)
    dialog = form(app)
    assert dialog is not None, notes(app)
    assert app.focused is dialog.query_one("#f-birth_date")
    assert dialog.values()["first_name"] == "Nora"
    return dialog


async def test_new_child_birth_date_not_a_date_shows_under_its_field(db):
    scenario(db)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        dialog = await refused_new_child(app, pilot, "31/02/2021")
        assert "geen datum" in dialog.errors["birth_date"]
        line = str(dialog.query_one("#form-error").render())  # checked in place, or saved
        assert line in ("", "Niet bewaard: zie 'Nieuw kind: geboortedatum'.")


async def test_new_child_born_in_another_year_than_the_nursery_level(db):
    """A nursery level is for one birth year: a new child born in another year is
    refused under its birth date (no child is made)."""
    b.area(db)
    b.school(db, "S1")
    b.level(db, "L1", "S1", capacity=5, kind="nursery_birth_year", label="2025")
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        dialog = await refused_new_child(app, pilot, "12/05/2024")
        assert dialog.errors["birth_date"].startswith(
            "Het nieuwe kind is geboren in 2024; dit niveau is voor geboortejaar 2025")
        assert str(dialog.query_one("#form-error").render()) == (
            "Niet bewaard: zie 'Nieuw kind: geboortedatum'.")
        assert registers.list_entries(db, "L1") == []


async def test_MED_03_no_school_to_propose_names_every_held_level(db):
    """MED-03 finds no school: the app shows why in a dialog, naming each of the four
    levels whose freed place its waiting list takes first (WL-01), as the CLI does."""
    from test_mediation import open_case, refused

    refused(db)
    for n in range(2, 6):
        b.school(db, f"S{n}", x=100.0 * n, y=0.0)
        b.level(db, f"L{n}", f"S{n}", capacity=1)
        first, second = b.children(db, 2, prefix=f"W{n}")
        entry = registers.add_request(db, f"L{n}", first, at=t(1))
        registers.add_request(db, f"L{n}", second, at=t(2))
        registers.withdraw(db, entry.id, reason="verhuisd", at=t(days=2))
    case_id = open_case(db)
    app = make(db, clock=lambda: t(days=8))
    async with app.run_test(size=SIZE) as pilot:
        await open_case_screen(app, pilot, case_id)
        await pilot.press("v")  # propose: no school to propose, a dialog says why
        await settle(app, pilot)
        dialog = app.screen
        assert type(dialog).__name__ == "TextDialog", notes(app)
        for n in range(2, 6):
            assert f"School S{n} · leerjaar 1 · 2027-2028 (1 vrij, 1 op de wachtlijst)" \
                in dialog.body
        assert "4 niveaus hebben een vrije plaats" in dialog.body
        assert "andere" not in dialog.body
