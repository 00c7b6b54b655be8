"""Findings of a LOP expert's run-through at 80×24: keys a dialog names work in it, a line's
history shows its offers (WL-01), results name levels in words, a shortened text says so."""

from __future__ import annotations

import pytest
from builders import t
from test_tui import SIZE, make, scenario, settle, type_text

from lopdesk.domain import capacity


@pytest.mark.parametrize(("key", "then", "status"), [
    ("g", ["ctrl+s"], "approved"),  # the approval form, after its preview
    ("w", ["enter"], "rejected"),
])
async def test_CAP_03_the_keys_a_raise_detail_names_work_in_it(db, key, then, status):
    """The detail of an open raise says "g: goedkeuren · w: afwijzen": those keys work in
    the dialog itself, and do what they do on the list (a form with a reason)."""
    scenario(db)
    decision = capacity.request_raise(db, "L1", 3, reason="extra lokaal", at=t(100))
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        for keys in (["3"], ["i"]):  # Capaciteit, the raise's detail
            await pilot.press(*keys)
            await settle(app, pilot)
        assert type(app.screen).__name__ == "TextDialog"
        assert "g: goedkeuren (met voorbeeld) · w: afwijzen" in app.screen.body
        await pilot.press(key)
        await settle(app, pilot)
        assert type(app.screen).__name__ == "FormDialog"
        await type_text(pilot, "beslist op de plenaire")
        await pilot.press(*then)
        await settle(app, pilot)
        (d,) = [x for x in capacity.list_decisions(db) if x.id == decision.id]
        assert (d.status, d.decision_reason) == (status, "beslist op de plenaire")


def test_a_text_shortened_to_whole_words_ends_with_a_mark():
    """A cell that drops words says so with "…" (the detail line has the whole value); a
    text that fits, or is only shortened to an initial, has no mark."""
    from lopdesk.screens.widgets.columns import fit

    assert fit("Basisschool De Boomgaard Ledeberg", 20, "left") == "Basisschool De…     "
    assert fit("Maximiliaan Vandenbroucke", 18, "left", "initials") == "M. Vandenbroucke  "
    assert fit("Maximiliaan Vandenbroucke Peeters", 18, "left", "initials") \
        == "M. Vandenbroucke… "
    assert fit("De Linde", 10, "left") == "De Linde  "


async def test_help_covers_the_case_list_cleanly(db):
    """At 80×24 the help pop-up leaves two columns each side: the case list under it is not
    drawn there (its text, cut at the pop-up's edge, read as cut words)."""
    from test_tui_form_refusal import case_scenario
    from test_tui_form_refusal import make as make_at_now

    case_scenario(db)
    app = make_at_now(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("5")
        await settle(app, pilot)
        assert "K002" in app.export_screenshot()  # the case's child, on the list
        await pilot.press("question_mark")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "HelpScreen"
        assert "K002" not in app.export_screenshot()


async def test_REG_03_after_a_withdrawal_the_register_keeps_its_footer(db):
    """The withdrawn line refuses `x` and `t`: they stay in the footer, dimmed, so the
    footer keeps the register's keys as they were (and the help names them as refused)."""
    from test_tui import open_register

    scenario(db)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_register(app, pilot)
        footer = app.screen.query_one("KeyFooter")
        before = [k.description for k in footer.query("FooterKey")]
        assert "Intrekken" in before
        await pilot.press("x")
        await settle(app, pilot)
        await type_text(pilot, "verhuisd")
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.pause()
        assert app.screen.query_one("VirtualTable").current.data.status == "withdrawn"
        after = [k.description for k in footer.query("FooterKey")]
        assert after == before
        assert app.screen.check_action("withdraw", ()) is not True  # refused: does nothing


def _offered(db) -> dict:
    """L1 (capacity 1): the realised line withdrawn, its place offered to nr. 2."""
    from test_tui_year import freed

    from lopdesk.domain import registers

    s = freed(db)
    registers.offer_next(db, "L1", at=t(days=3))
    return s


def _declined_then_offered_on(db) -> dict:
    """As `_offered`; nr. 2 declines, and the place is offered to nr. 3 (still open)."""
    from lopdesk.domain import registers

    s = _offered(db)
    offer = registers.list_offers(db, "L1", "open")[0]
    registers.answer_offer(db, offer.id, accept=False, at=t(days=4))
    return s


async def test_WL_01_register_opened_from_the_offers_names_its_school_once(db):
    """From the offers of a level, Enter opens the child's register line: the breadcrumb
    and the title name the school once, with no level code, as from the overview."""
    from test_tui_burst import make as make_at_now
    from textual.widgets import Static

    from lopdesk.screens.offers import OffersScreen

    _offered(db)
    app = make_at_now(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        school = app.area.level("L1").school_name
        await app.push_screen(OffersScreen("L1"))
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "RegisterScreen"
        title = " ".join(str(app.screen.query_one("#title", Static).render()).split())
        assert title.startswith("Overzicht › Aanbiedingen › "), title
        assert title.count(school) == 1, title
        assert "L1" not in title.split(), title


def test_WL_01_a_lines_history_holds_its_offers_in_time_order(db):
    from lopdesk.domain import registers
    from lopdesk.present import history_lines

    s = _declined_then_offered_on(db)
    second, third = s["entries"][1].id, s["entries"][2].id
    steps = registers.entry_timeline(db, second, at=t(days=5))
    assert [getattr(e, "offer_id", None) is not None and e.kind or e.to_status
            for e in steps] == ["non_realised", "offered", "declined", "withdrawn"]
    assert [e.at for e in steps] == sorted(e.at for e in steps)
    lines = [x for x in history_lines(steps) if not x.startswith(" ")]  # reasons under
    assert "vrijgekomen plaats aangeboden, antwoord t.e.m." in lines[1] and "[WL-01]" in lines[1]
    assert "aanbod geweigerd [WL-01]" in lines[2]
    assert "niet-gerealiseerd → ingetrokken" in lines[3]
    # the third line's offer is open: past its reply deadline it has expired
    reply_by = registers.list_offers(db, "L1", "open")[0].reply_by
    assert [e.kind for e in registers.entry_offers(db, third, at=reply_by)] == ["offered"]
    late = registers.entry_offers(db, third, at=reply_by + (t(days=1) - t()))
    assert [e.kind for e in late] == ["offered", "expired"]
    assert "antwoordtermijn verstreken" in history_lines(late)[1]


async def test_WL_01_h_on_a_register_line_shows_its_offers(db):
    """Nr. 2's history: the place offered to it, declined, and the line withdrawn."""
    from test_tui import open_register
    from test_tui_burst import make as make_at_now

    _declined_then_offered_on(db)
    app = make_at_now(db)
    async with app.run_test(size=SIZE) as pilot:
        for step in (settle, open_register):
            await step(app, pilot)
        await pilot.press("down", "h")  # nr. 2
        await settle(app, pilot)
        body = getattr(app.screen, "body", "")
        assert body.index("vrijgekomen plaats aangeboden") < body.index("aanbod geweigerd") \
            < body.index("niet-gerealiseerd → ingetrokken")


PLACE = "School S1 · leerjaar 1 · 2027-2028"  # L1 of builders.basic, as a user reads it


def test_results_name_the_level_in_words_not_its_code(db):
    """Filling freed places (WL-01) and a raise (CAP-03) are worded with the school and the
    level in words, in the app and on the command line alike (present)."""
    from lopdesk.domain import registers
    from lopdesk.present import decision_lines, fill_lines, fill_summary

    _declined_then_offered_on(db)
    offer = registers.list_offers(db, "L1", "open")[0]  # to nr. 3
    report = registers.answer_offer(db, offer.id, accept=False, at=t(days=5))
    assert fill_lines(report)[0].startswith(f"{PLACE} nr. 3: "), fill_lines(report)
    assert fill_summary(report).startswith(f"{PLACE} nr. 3: ")
    decision = capacity.request_raise(db, "L1", 3, reason="extra lokaal", at=t(days=6))
    outcome = capacity.preview_raise(db, decision.id, at=t(days=7))
    lines = decision_lines(outcome, preview=True)
    assert f"; {PLACE}: capaciteit 3" in lines[0], lines
    assert not any(" L1 " in f" {x} " for x in lines), lines
    late = registers.fill(db, "L1", at=t(days=400))  # past the deadline: no longer binds
    assert fill_lines(late)[-1].startswith(f"{PLACE}: na de uiterste datum"), fill_lines(late)


def test_REG_05_close_plan_names_the_level_in_words(db):
    import builders as b

    from lopdesk.domain import areas, registers
    from lopdesk.present import close_plan_lines

    b.area(db)
    b.school(db, "S1")
    b.level(db, "L1", "S1", regime="old", capacity=4, ratio=0.5, year=2022,
            start=b.START.replace(year=2022))
    p = areas.create_period(db, "L1", kind="priority",
                            starts_at=t().replace(year=2022))
    plan = registers.close_period(db, p.id, preview=True, at=t(days=20).replace(year=2022))
    head = close_plan_lines(plan, preview=True)[0]
    assert "(School S1 · leerjaar 1 · 2022-2023)" in head and "(L1)" not in head, head


async def test_pgdn_in_the_register_moves_the_view_by_a_page(db):
    """PgDn moves the cursor and the view by a page together: from the top, and after a
    PgUp (the cursor at the top of the view) the view moved by one line only."""
    import builders as b
    from test_tui import open_register

    from lopdesk.domain import registers

    level, kids = b.basic(db, capacity=2, n_children=60)
    for i, kid in enumerate(kids):
        registers.add_request(db, level, kid, at=t(i))
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_register(app, pilot)
        table = app.screen.query_one("VirtualTable")
        page = table.body_height
        assert page > 5
        await pilot.press("pagedown")
        await pilot.pause()
        assert (table.cursor, int(table.scroll_y)) == (page, page)
        await pilot.press("pagedown", "pageup")
        await pilot.pause()
        assert (table.cursor, int(table.scroll_y)) == (page, page)
        await pilot.press("down", "down", "pagedown")
        await pilot.pause()
        assert (table.cursor, int(table.scroll_y)) == (2 * page + 2, 2 * page)
        await pilot.press("end", "pageup")
        await pilot.pause()
        assert table.cursor == 59 - page
        assert table.scroll_y <= table.cursor < table.scroll_y + page  # in view
