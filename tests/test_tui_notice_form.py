"""NGI-02/03 in the register's delivery form (M): the form is opened on the line's facts.
A notice already recorded is shown instead of an empty form that the domain would refuse
at the end; the LOP is offered as sender only under the school's mandate (NGI-03); a
delivery after the 4 calendar days is called late in the confirmation, before it is
recorded (NGI-02)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from test_tui import SIZE, notes, scenario, settle
from test_tui_expert import make, name

from lopdesk.domain import mediation
from lopdesk.domain.models import School

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)  # the test app's clock (test_tui_expert.make)


def mandate(db, school_id: str = "S1") -> None:
    with db.write() as s:
        school = s.get(School, school_id)
        school.mandates_lop_notices = True
        s.add(school)


async def open_form(app, pilot, entry_id: int, key: str = "M") -> None:
    """The register of L1 on the line `entry_id`, and `key` pressed on it (M: the form)."""
    from lopdesk.screens.register import RegisterScreen

    await app.push_screen(RegisterScreen("L1", focus_entry=entry_id))
    await settle(app, pilot)
    await pilot.press(key)
    await settle(app, pilot)


def senders(app) -> list:
    from textual.widgets import Select

    return [v for _, v in app.screen.query_one("#f-sent_by", Select)._options
            if v is not Select.NULL]


def test_NGI_02_03_notice_facts(db):
    s = scenario(db)
    refused = s["entries"][2]
    facts = mediation.notice_facts(db, refused.id)
    assert facts.refused_at is not None and facts.due == date(2027, 3, 5)  # refused 01/03
    assert (facts.mandated, facts.recorded) == (False, None)
    assert mediation.notice_facts(db, s["entries"][0].id).refused_at is None  # realised
    mandate(db)
    mediation.record_notice(db, refused.id, mode="receipt", delivered_on=date(2027, 3, 3))
    facts = mediation.notice_facts(db, refused.id)
    assert facts.mandated and facts.recorded.delivered_on == date(2027, 3, 3)


async def test_NGI_03_lop_offered_as_sender_only_under_the_schools_mandate(db):
    s = scenario(db)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_form(app, pilot, s["entries"][2].id)
        assert name(app) == "FormDialog"
        assert senders(app) == ["school"]
        assert "Geen mandaat voor het LOP" in app.screen._intro
        await pilot.press("escape")
        await settle(app, pilot)
        mandate(db)
        await pilot.press("M")
        await settle(app, pilot)
        assert senders(app) == ["school", "lop"]
        assert "mandaat" not in app.screen._intro


async def test_NGI_02_late_delivery_named_in_the_confirmation(db):
    s = scenario(db)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_form(app, pilot, s["entries"][2].id)
        assert "tijdig bezorgd t.e.m. 05/03/2027" in app.screen._intro
        await pilot.press("ctrl+s")  # delivered today, 10/03: 9 days after 01/03
        await settle(app, pilot)
        assert name(app) == "ConfirmDialog"
        assert "9 dagen na de weigering: te laat" in app.screen.body, app.screen.body
        assert "uiterlijk 05/03/2027" in app.screen.body


async def test_NGI_02_a_recorded_notice_is_shown_not_asked_again(db):
    s = scenario(db)
    refused = s["entries"][2]
    mediation.record_notice(db, refused.id, mode="registered_post",
                            delivered_on=date(2027, 3, 4))
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_form(app, pilot, refused.id)
        assert name(app) == "RegisterScreen"
        said = [n for n in notes(app) if "al geregistreerd" in n]
        assert said and "aangetekend bezorgd op 04/03/2027" in said[0], notes(app)


async def test_NGI_02_the_recorded_delivery_shows_in_the_lines_history(db):
    """After M, the line's history (h) says the notice was delivered, how, when, by whom
    and that it was late; so does `lopdesk register show`."""
    from lopdesk import present
    from lopdesk.domain import registers

    s = scenario(db)
    refused = s["entries"][2]
    mediation.record_notice(db, refused.id, mode="registered_post",
                            delivered_on=date(2027, 3, 9), note="via de post")
    lines = present.history_lines(registers.entry_timeline(db, refused.id))
    notice = [line for line in lines if "mededeling" in line]
    assert len(notice) == 1 and notice[0].endswith(
        "mededeling aangetekend bezorgd op 09/03/2027 door school, te laat [NGI-02]"), lines
    assert lines[lines.index(notice[0]) + 1].strip() == "via de post"
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_form(app, pilot, refused.id, key="h")
        assert "aangetekend bezorgd op 09/03/2027" in app.screen.body, app.screen.body
