"""Pilot tests of forms the domain refuses, and of the keys a form and a screen offer, at
80x24: a refused save keeps the form open with what was typed, the Dutch message at the
field the error names and the focus there (every form goes through FormDialog's save)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import builders as b
from builders import t
from test_tui import SIZE, recording, settle, type_text

from lopdesk.domain import mediation, registers

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)


def make(db):
    from lopdesk.app import make_app

    return recording(make_app(db, clock=lambda: NOW))


def case_scenario(db) -> int:
    """L1 (capacity 2) refuses K002, who has a case; S2 has a level of the same grade."""
    from test_tui_burst import refused

    child = refused(db)["child"]
    return mediation.open_case(db, child, request_on=date(2027, 3, 9), at=NOW).id


async def open_case_screen(app, pilot, case_id: int) -> None:
    from lopdesk.screens.case import CaseScreen

    await settle(app, pilot)
    await app.push_screen(CaseScreen(case_id))
    await settle(app, pilot)


async def open_close_form_for_another_school(app, pilot, case_id: int):
    """The case's close form (x) with the outcome 'ingeschreven in een andere school'."""
    await open_case_screen(app, pilot, case_id)
    await pilot.press("x")
    await settle(app, pilot)
    form = app.screen
    assert type(form).__name__ == "FormDialog"
    form.query_one("#f-outcome").value = "other_school"
    return form


async def test_MED_02_refused_close_keeps_the_form_open_at_the_school_field(db):
    """MED-02: 'ingeschreven in een andere school' without a school (and no accepted
    proposal) is refused by the domain: the form stays open with the note typed, the
    message is under the school field, which has the focus; naming the school then closes
    the case (the register shows the child enrolled there since)."""
    case_id = case_scenario(db)
    child = mediation.get_case(db, case_id).child_id
    assert registers.add_request(db, "L2", child, at=NOW).status == "realised"
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        form = await open_close_form_for_another_school(app, pilot, case_id)
        form.set_focus(form.query_one("#f-note"))
        await type_text(pilot, "belde de ouders")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.screen is form  # never closed: no second key press needed
        assert mediation.get_case(db, case_id).status != "closed"
        assert "school" in form.errors["school_id"].lower()
        assert "MED-02" in form.errors["school_id"]
        line = str(form.query_one("#form-error").render())
        assert line == "Niet bewaard: zie 'School waar het kind terecht kan'."
        assert form.query_one("#f-school_id").has_focus_within
        assert form.values()["note"] == "belde de ouders"
        assert form.values()["outcome"] == "other_school"

        await type_text(pilot, "S2")
        await settle(app, pilot)
        await pilot.press("enter")  # takes the highlighted school
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.screen is not form
        view = mediation.get_case(db, case_id)
        assert (view.status, view.outcome, view.outcome_school_id) == (
            "closed", "other_school", "S2")


async def test_a_refusal_without_a_field_shows_above_the_buttons(db):
    """A save refused with a message that names no field of the form: the form stays
    open and says why above its buttons; in a form of one field the message goes under
    that field."""
    from lopdesk.errors import RuleViolation
    from lopdesk.screens.dialogs import FormDialog, FormField
    from lopdesk.screens.form_save import SavingForm

    def save(values: dict) -> None:
        assert SavingForm.saving is not None
        raise RuleViolation("dat mag niet.", rule="REG-03")

    b.basic(db)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        form = FormDialog("Proef", [FormField("a", "Iets", value="x"),
                                    FormField("b", "Nog iets", value="y")], save=save)
        await app.push_screen(form)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.screen is form
        assert str(form.query_one("#form-error").render()) == \
            "Niet bewaard: dat mag niet. (REG-03)"
        await pilot.press("escape")
        await settle(app, pilot)
        one = FormDialog("Proef", [FormField("a", "Iets", value="x")], save=save)
        await app.push_screen(one)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        # under the field the refusal reads as a sentence: a capital first
        assert app.screen is one and one.errors == {"a": "Dat mag niet. (REG-03)"}
        assert str(one.query_one("#form-error").render()) == "Niet bewaard: zie 'Iets'."


async def test_MED_03_case_school_picker_offers_schools_of_the_childs_level_first(db):
    """The school a case closes at (MED-02) is picked first among the schools with a level
    like the child's refused one (same school year, kind and grade), nearest first
    (MED-03): the nearer secondary school comes only after them (docs/decisions.md)."""
    from lopdesk.domain import areas

    b.area(db)
    b.school(db, "S1", x=500.0, y=0.0)
    b.level(db, "L1", "S1", capacity=1)
    b.school(db, "S2", x=100.0, y=0.0)
    b.level(db, "L2", "S2", capacity=5)
    b.school(db, "S3", x=2000.0, y=0.0)
    b.level(db, "L3", "S3", capacity=5)
    b.level(db, "L3b", "S3", capacity=5, label="2")  # another grade of a fitting school
    b.school(db, "SO1", x=10.0, y=0.0)
    b.level(db, "SO1-1A", "SO1", capacity=50, kind="secondary_1a", label="1A")
    b.school(db, "S4", x=50.0, y=0.0)
    b.level(db, "L4", "S4", capacity=5, label="2")  # primary, but another grade
    for kid in ("K1", "K2"):
        areas.create_child(db, kid, "Voornaam", kid, x=0.0, y=0.0)
    registers.add_request(db, "L1", "K1", at=t(0))
    registers.add_request(db, "L1", "K2", at=t(1))
    case_id = mediation.open_case(db, "K2", request_on=date(2027, 3, 9), at=NOW).id
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await open_case_screen(app, pilot, case_id)
        await pilot.press("x")
        await settle(app, pilot)
        picker = app.screen.query_one("#f-school_id")
        # every school close_case accepts; the others only after the fitting ones, by name
        assert [c.key for c in picker.choices] == ["S2", "S1", "S3", "S4", "SO1"]
        assert "100 m" in picker.choices[0].label


def placed_elsewhere_scenario(db) -> None:
    """K2 is refused at L1 (S1, capacity 1) and enrolled (realised) at L2 of S2, the same
    school year and grade; K3 is refused at L1 and enrolled only in another grade."""
    b.basic(db, capacity=1, n_children=0)
    b.school(db, "S2")
    b.level(db, "L2", "S2", capacity=5)
    b.level(db, "L2b", "S2", capacity=5, label="2")
    for kid in ("K1", "K2", "K3"):
        from lopdesk.domain import areas

        areas.create_child(db, kid, "Voornaam", kid)
    registers.add_request(db, "L1", "K1", at=t(0))
    registers.add_request(db, "L1", "K2", at=t(1))
    registers.add_request(db, "L1", "K3", at=t(2))
    registers.add_request(db, "L2", "K2", at=t(3))
    registers.add_request(db, "L2b", "K3", at=t(4))


def test_MED_01_a_child_enrolled_elsewhere_needs_a_confirmed_case(db):
    """MED-01 allows a case on a parent request after a capacity refusal, also for a child
    enrolled at another school (MED-02 even has that outcome); the domain asks to confirm
    it, naming the school. Another grade elsewhere is no place for this refusal."""
    import pytest

    from lopdesk.errors import NeedsConfirmation

    placed_elsewhere_scenario(db)
    with pytest.raises(NeedsConfirmation) as refused:
        mediation.open_case(db, "K2", request_on=date(2027, 3, 9), at=NOW)
    assert "School S2" in refused.value.message and "L2 nr. 1" in refused.value.message
    assert refused.value.rule == "MED-01"
    view = mediation.open_case(db, "K2", request_on=date(2027, 3, 9), at=NOW,
                               confirm_placed_elsewhere=True)
    assert view.child_id == "K2"
    assert mediation.open_case(db, "K3", request_on=date(2027, 3, 9), at=NOW).child_id == "K3"


async def test_MED_01_open_case_form_asks_to_confirm_a_child_enrolled_elsewhere(db):
    """The open-case form says the child is enrolled at School S2 and asks; 'n' goes back
    to the form (still filled in), 'j' opens the case."""
    from lopdesk.screens.case import open_case_dialog

    placed_elsewhere_scenario(db)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        open_case_dialog(app, "K2", child_name="Voornaam K2")
        await settle(app, pilot)
        form = app.screen
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        confirm = app.screen
        assert type(confirm).__name__ == "ConfirmDialog" and "School S2" in confirm.body
        assert "--" not in confirm.body  # the CLI's flag is named by the CLI alone
        await pilot.press("n")
        await settle(app, pilot)
        assert app.screen is form and form.values()["child_id"] == "K2"
        assert mediation.list_cases(db) == []
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        await pilot.press("j")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "CaseScreen"
        assert [c.child_id for c in mediation.list_cases(db)] == ["K2"]


def first_keys_missing(screen) -> list[str]:
    """The screen's keys marked `first` that it offers now but its footer leaves out."""
    from lopdesk.screens.keys import key_of
    from lopdesk.screens.widgets.footer import KeyFooter

    shown = {k.action for k in screen.query_one(KeyFooter).query("FooterKey")}
    offered = [b for _n, b, enabled, _t in screen.active_bindings.values()
               if b.show and enabled and key_of(b) is not None and key_of(b).first]
    return [b.description for b in offered if b.action not in shown]


async def test_footers_at_80_columns_show_the_first_keys_of_every_main_screen(db):
    """At 80x24 the footer of every main screen (1-5) and of the case screen shows the
    screen's most important keys (closing a case among them), whole."""
    from lopdesk.screens.keys import REGISTRY

    case_id = case_scenario(db)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("down", "down")  # a level row: the LOP-bord key is offered
        for number in "12345":
            await pilot.press(number)
            await settle(app, pilot)
            await pilot.pause()
            screen = app.screen
            assert first_keys_missing(screen) == [], (number, screen.SCREEN_ID)
        await open_case_screen(app, pilot, case_id)
        await pilot.pause()
        assert first_keys_missing(app.screen) == []
        shown = [k.description for k in app.screen.query("FooterKey")]
        assert "Afsluiten" in shown and "Voorstel" in shown and "Antwoord" in shown
    firsts = {k.screen for k in REGISTRY.values() if k.first}
    assert {"overview", "deferred", "capacity", "allocation", "mediation", "case"} <= firsts


async def test_WL_01_enter_on_an_offer_opens_the_childs_register_line(db):
    """Enter in the offers list opens the register of the offer's level at the child's
    line (its history, its keys); the help says what Enter does there."""
    from test_tui import scenario as register_scenario

    from lopdesk.screens.help import HelpScreen
    from lopdesk.screens.offers import OffersScreen

    s = register_scenario(db)
    registers.withdraw(db, s["entries"][0].id, reason="verhuisd")
    registers.offer_next(db, "L1")
    offer = registers.list_offers(db, "L1")[0]
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.push_screen(OffersScreen(level_id="L1"))
        await settle(app, pilot)
        await pilot.press("f1")
        await settle(app, pilot)
        assert isinstance(app.screen, HelpScreen)
        assert "Registerlijn" in str(app.screen.query_one(".body").query_one("Static").render())
        await pilot.press("escape")
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "RegisterScreen"
        assert app.screen.level_id == "L1"
        assert app.screen.table.current.key == offer.entry_id


async def test_form_hint_names_only_the_keys_that_work_in_that_form(db):
    """PgUp/PgDn are named (and bound) only when the preview is longer than its room;
    Enter in the last field only when that field is typed in (it then saves)."""
    from lopdesk.screens.dialogs import FormDialog, FormField

    b.basic(db)
    app = make(db)
    short = FormDialog("Kort", [FormField("a", "Iets")], intro="Een korte uitleg.")
    long = FormDialog("Lang", [FormField("a", "Iets"), FormField("b", "Soort", "choice",
                                                                  options=[("x", "x")])],
                      intro="\n".join(f"lijn {i}" for i in range(60)))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        for form, pages, enter in ((short, False, True), (long, True, False)):
            await app.push_screen(form)
            await settle(app, pilot)
            await pilot.pause()
            hint = str(form.query_one("#form-hint").render())
            assert ("PgUp/PgDn" in hint) is pages, hint
            assert ("Enter in het laatste veld" in hint) is enter, hint
            assert bool(form.check_action("preview_down", ())) is pages
            await pilot.press("escape")
            await settle(app, pilot)


async def test_a_refusal_after_the_form_was_closed_with_esc_still_reaches_the_user(db,
                                                                                  monkeypatch):
    """Esc while the save's domain call runs closes the form; when the domain then refuses
    (MED-02: no school), the refusal is shown in the app's error place, not lost."""
    import threading

    from test_tui import notes

    from lopdesk.domain import mediation as domain_mediation

    case_id = case_scenario(db)
    release = threading.Event()
    real = domain_mediation.close_case

    def slow_close(*args, **kwargs):
        release.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(domain_mediation, "close_case", slow_close)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        form = await open_close_form_for_another_school(app, pilot, case_id)
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is not form
        release.set()
        for _ in range(50):
            await pilot.pause(0.05)
            if any("MED-02" in n for n in notes(app)):
                break
        assert any("MED-02" in n for n in notes(app)), notes(app)
        assert mediation.get_case(db, case_id).status != "closed"
