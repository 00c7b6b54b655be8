"""Pilot tests of what a LOP expert met in a keys-only run-through at 80x24: register
numbers instead of ids, titles, pickers, hints, messages and the breadcrumb."""

from __future__ import annotations

from datetime import UTC, datetime

import builders as b
from builders import t
from test_tui import SIZE, notes, palette_hits, recording, settle, table_text

from lopdesk.domain import mediation, registers

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)


def make(db):
    from lopdesk.app import make_app

    return recording(make_app(db, clock=lambda: NOW))


def name(app) -> str:
    return type(app.screen).__name__


def refused_case(db) -> dict:
    """L1 (capacity 2) refuses K002; S2's level L2 has free places; a case is open for K002
    with a proposal for L2. L1's three lines take the first entry ids, so L2's new line has
    register number 1 but entry id 4."""
    level, kids = b.basic(db, capacity=2, n_children=4)
    entries = [registers.add_request(db, level, kid, at=t(i)) for i, kid in enumerate(kids[:3])]
    b.school(db, "S2")
    b.level(db, "L2", "S2", capacity=5)
    case = mediation.open_case(db, kids[2], request_on=NOW.date(), at=NOW)
    return {"kids": kids, "entries": entries, "child": kids[2], "case": case}


async def propose_and_accept(app, pilot, case_id: int) -> None:
    """Open the case, propose the first school offered (v, Enter), accept it (a, Ctrl+S)."""
    from lopdesk.screens.case import CaseScreen

    await settle(app, pilot)
    await app.push_screen(CaseScreen(case_id))
    await settle(app, pilot)
    for key in ("v", "enter", "a", "ctrl+s"):
        await pilot.press(key)
        await settle(app, pilot)


async def test_MED_03_accepted_proposal_shows_the_register_number(db):
    s = refused_case(db)

    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await propose_and_accept(app, pilot, s["case"].id)
        (line,) = registers.list_entries(db, "L2")
        assert (line.seq, line.id) == (1, 4)
        assert any("als nr. 1." in n for n in notes(app)), notes(app)
        text = table_text(app.screen, "#proposals")
        assert "nr. 1" in text and "nr. 4" not in text, text


def two_level_round(db) -> dict:
    """Area A, L1 with three requests, and a round R1 on L2 that has been run once."""
    from lopdesk.domain import allocation

    level, kids = b.basic(db, capacity=2, n_children=5)
    for i, kid in enumerate(kids[:3]):
        registers.add_request(db, level, kid, at=t(i))
    b.level(db, "L2", "S1", capacity=5, label="2")
    allocation.create_round(db, "R1", "A", 2027, "Ronde 1")
    allocation.add_round_level(db, "R1", "L2", capacity=1)
    for kid in kids[3:5]:
        allocation.add_applications(db, "R1", kid, ["L2"])
    return {"kids": kids}


async def test_titles_leave_loading_on_offers_and_periods(db):
    """A screen opened on top shows "laden…" until its data is in, then its breadcrumb."""
    from test_tui import open_register

    b.basic(db, capacity=2, n_children=2)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("a")  # Overzicht: the offers of the area
        await settle(app, pilot)
        assert name(app) == "OffersScreen"
        title = str(app.screen.query_one("#title").render())
        assert "laden" not in title and "Overzicht › Aanbiedingen" in title, title
        await pilot.press("escape")
        await open_register(app, pilot, "L1")
        await pilot.press("P")
        await settle(app, pilot)
        assert name(app) == "PeriodsScreen"
        title = str(app.screen.query_one("#title").render())
        assert "laden" not in title and "leerjaar 1 · 2027-2028 › Periodes" in title, title
        assert "L1" not in title.replace("School S1", "")  # the level named, not coded


async def test_ALC_05_pv_dialog_lists_the_runs_with_the_current_one_chosen(db):
    from textual.widgets import Select

    from lopdesk.domain import allocation
    from lopdesk.screens.documents import open_pv

    two_level_round(db)
    first = allocation.run_round(db, "R1", seed=1, at=NOW)
    second = allocation.run_round(db, "R1", seed=2, replace=True, keep_later_events=True,
                                  replace_reason="test", at=NOW)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        open_pv(app)
        await settle(app, pilot)
        await pilot.pause(0.2)
        assert name(app) == "FormDialog"
        select = app.screen.query_one("#f-run", Select)
        labels = [str(prompt) for prompt, _v in select._options]
        assert any(f"toewijzing {second.run_id} · R1" in x and "geldig" in x
                   for x in labels), labels
        assert any(f"toewijzing {first.run_id} · R1" in x and "vervangen" in x
                   for x in labels), labels
        assert select.value == second.run_id
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert name(app) == "PreviewScreen"
        assert f"toewijzing {second.run_id}" in str(app.screen.query_one("#title").render())


async def test_checkbox_checked_and_unchecked_look_different(db):
    """Without colour (tmux, a screen reader's text) a checked box must still read as
    checked: "▐✔▌" checked, "▐ ▌" not."""
    from test_tui_nav import screen_text

    from lopdesk.screens.dialogs import FormDialog, FormField

    b.basic(db, capacity=2, n_children=1)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(FormDialog("Vinkjes", [FormField("on", "Aan", "check", True),
                                               FormField("off", "Uit", "check", False)]))
        await settle(app, pilot)
        text = screen_text(app)
        on = next(line for line in text.splitlines() if "Aan" in line)
        off = next(line for line in text.splitlines() if "Uit" in line)
        assert "✔" in on and "X" not in on, on
        assert "✔" not in off and "X" not in off, off


def test_date_hints_are_one_form_that_parse_accepts():
    """Every day or moment field shows the one Dutch form of lopdesk.parse (dd/mm/jjjj,
    dd/mm/jjjj uu:mm), and a value typed in that form is accepted; no form spells its own
    date example (an ISO one, or another order) in a placeholder."""
    import re
    from pathlib import Path

    from lopdesk.screens.dialogs import _PLACEHOLDER, FormField

    assert (_PLACEHOLDER["day"], _PLACEHOLDER["moment"]) == ("dd/mm/jjjj", "dd/mm/jjjj uu:mm")
    assert FormField("d", "Datum", "day").parse("05/03/2027").isoformat() == "2027-03-05"
    assert FormField("m", "Tijdstip", "moment").parse("01/03/2027 09:00").isoformat() == \
        "2027-03-01T08:00:00+00:00"  # Brussels winter time
    screens = Path(__file__).parent.parent / "lopdesk" / "screens"
    own = [f"{p.name}: {m[0]}" for p in sorted(screens.glob("*.py"))
           for m in re.finditer(r'placeholder="[^"]*\d{2,4}[-/]\d{2}[-/]\d{2,4}[^"]*"',
                                p.read_text())]
    assert own == [], own


async def test_moment_fields_of_the_forms_show_the_one_hint(db):
    from textual.widgets import Input

    from lopdesk.screens.periods import PeriodsScreen

    b.basic(db, capacity=2, n_children=1)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.push_screen(PeriodsScreen("L1"))
        await settle(app, pilot)
        await pilot.press("n")
        await settle(app, pilot)
        assert [app.screen.query_one(f"#f-{k}", Input).placeholder for k in ("start", "end")] \
            == ["dd/mm/jjjj uu:mm"] * 2
        await pilot.press("escape")
        from lopdesk.screens.case import open_case_dialog

        open_case_dialog(app, "K000")
        await settle(app, pilot)
        assert app.screen.query_one("#f-request_on", Input).value == "10/03/2027"


async def test_child_picker_keeps_its_label_and_says_not_found(db):
    """REG-01 add form: the child picker's label stays in view while matches show; a search
    that finds nothing says so and offers a new child, which the form then creates."""
    from test_tui import open_register, type_text
    from test_tui_nav import screen_text

    from lopdesk.screens.widgets.picker import Picker

    b.basic(db, capacity=2, n_children=12)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_register(app, pilot, "L1")
        await pilot.press("a")
        await settle(app, pilot)
        await type_text(pilot, "voornaam")  # every child matches: the list opens
        await settle(app, pilot)
        await pilot.pause(0.2)
        assert "Kind (zoek op naam" in screen_text(app), screen_text(app)
        picker = app.screen.query_one("#f-child_id", Picker)
        for _ in "voornaam":
            await pilot.press("backspace")
        await type_text(pilot, "zzzq")
        await settle(app, pilot)
        chosen = str(picker.query_one(".chosen").render())
        assert "Niet gevonden: 'zzzq'." in chosen and "Nieuw?" in chosen, chosen
        await pilot.press("tab", "tab", "tab", "tab")  # group, category, moment: voornaam
        await type_text(pilot, "Zoë")
        await pilot.press("tab")
        await type_text(pilot, "Zeeman")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        lines = registers.list_entries(db, "L1")
        assert any(e.child_name == "Zoë Zeeman" for e in lines), (notes(app), lines)


def test_MED_02_likely_outcome_of_a_case():
    from lopdesk.domain.mediation import likely_outcome

    assert likely_outcome(["S2", "S3"], []) == ("other_school", "S3")
    assert likely_outcome(["S2"], ["S1"]) == ("other_school", "S2")
    assert likely_outcome([], ["S1"]) == ("same_school", "S1")
    assert likely_outcome([], ["S1", "S4"]) == (None, None)
    assert likely_outcome([], []) == (None, None)


async def test_MED_02_close_form_prefilled_from_the_placement(db):
    """After an accepted proposal the close form proposes 'another school' and that school;
    its school field says what it expects."""
    from test_tui_nav import screen_text
    from textual.widgets import Select

    from lopdesk.screens.widgets.picker import Picker

    s = refused_case(db)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await propose_and_accept(app, pilot, s["case"].id)
        await pilot.press("x")
        await settle(app, pilot)
        assert app.screen.query_one("#f-outcome", Select).value == "other_school"
        assert app.screen.query_one("#f-school_id", Picker).value == "S2"
        assert "School waar het kind terecht kan" in screen_text(app)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        view = mediation.get_case(db, s["case"].id)
        assert (view.status, view.outcome, view.outcome_school_id) == (
            "closed", "other_school", "S2")


async def test_REG_03_withdraw_mentions_o_only_when_a_place_was_freed(db):
    """Withdrawing a waiting (non-realised) line frees no place: no hint to offer one;
    withdrawing a realised line does (WL-01)."""
    from test_tui import scenario, type_text

    from lopdesk.screens.register import RegisterScreen

    s = scenario(db)  # L1 capacity 2: nr. 1, 2 realised, nr. 3 waiting
    waiting, realised = s["entries"][2], s["entries"][0]
    assert (waiting.status, realised.status) == ("non_realised", "realised")
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        for entry in (waiting, realised):
            await app.push_screen(RegisterScreen("L1", focus_entry=entry.id))
            await settle(app, pilot)
            await pilot.press("x")
            await settle(app, pilot)
            await type_text(pilot, "verhuisd")
            await pilot.press("enter")
            await settle(app, pilot)
        said = [n for n in notes(app) if "ingetrokken" in n]
        assert len(said) == 2, notes(app)
        assert "Nr. 3 ingetrokken" in said[0] and "'o'" not in said[0], said
        assert "geen plaats vrij" in said[0], said
        assert "Nr. 1 ingetrokken" in said[1] and "met 'o'" in said[1], said


def test_REG_03_cli_withdraw_names_fill_only_for_a_freed_place(db, db_path):
    from conftest import invoke_as
    from typer.testing import CliRunner

    from lopdesk.cli import app as cli

    level, kids = b.basic(db, capacity=2, n_children=3)
    entries = [registers.add_request(db, level, kid, at=t(i)) for i, kid in enumerate(kids)]

    def withdraw(entry) -> str:
        result = invoke_as("tester", CliRunner(), cli, ["--db", str(db_path), "register",
                                                        "withdraw", str(entry.id), "-r", "weg"])
        assert result.exit_code == 0, result.output
        return result.output

    out = withdraw(entries[2])  # waiting: nothing freed
    assert "ingetrokken" in out and "fill" not in out, out
    assert "lopdesk fill L1" in withdraw(entries[0])


async def test_CAP_03_approval_preview_opens_at_the_top(db):
    """The preview of a raise request is read first: the dialog opens scrolled to the top
    (the intro's first line in view), with the focus in the reason field all the same."""
    from test_tui import scenario, type_text
    from test_tui_layout import focused_in_view
    from textual.containers import VerticalScroll
    from textual.widgets import Input

    from lopdesk.domain import capacity

    s = scenario(db)
    more = b.children(db, 12, start=10)
    for i, kid in enumerate(more):
        registers.add_request(db, "L1", kid, at=t(10 + i))
    capacity.request_raise(db, "L1", 9, reason="extra lokaal", at=t(100))
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("3")
        await settle(app, pilot)
        await pilot.press("g")
        await settle(app, pilot)
        await pilot.pause(0.2)
        assert name(app) == "FormDialog"
        body = app.screen.query_one(VerticalScroll)
        assert body.max_scroll_y > 0  # the preview is longer than the dialog
        assert body.scroll_y == 0
        assert isinstance(app.focused, Input) and app.focused.id == "f-reason"
        focused_in_view(app)  # below the preview, the field typed in is in view
        await type_text(pilot, "ok")
        assert app.focused.value == "ok"
        # The fields get the lines they need, the preview all the rest of the 24 lines;
        # PgDn pages through the preview while the field keeps the focus and its text.
        fields = app.screen.query_one(".body", VerticalScroll)
        assert body.has_class("intro")
        assert fields.region.height == fields.virtual_size.height
        assert body.region.height + fields.region.height == 24 - app.screen.FRAME_LINES
        await pilot.press("pagedown")
        await pilot.pause()
        assert body.scroll_y > 0
        assert isinstance(app.focused, Input) and app.focused.value == "ok"
        focused_in_view(app)
        del s


async def test_breadcrumb_after_palette_jumps(db):
    """A jump to a main screen resets the trail; a register or case opened from the palette
    adds exactly one step, and one already in the trail is gone back to, not repeated."""
    from test_tui import type_text

    s = refused_case(db)
    app = make(db)

    async def jump(query: str) -> str:
        await pilot.press("ctrl+p")
        await type_text(pilot, query)
        await palette_hits(pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        return str(app.screen.query_one("#title").render()).strip()

    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert (await jump("L1")).startswith("Overzicht › School S1 › ")
        title = await jump("L2")
        assert title.count("›") == 4, title
        assert "Overzicht › School S1 ›" in title and "› School S2 ›" in title, title
        title = await jump(f"dossier {s['case'].id}")
        assert title.count("›") == 5 and title.endswith("lopend"), title
        title = await jump("L1")  # already in the trail: back to it
        assert title.count("›") == 2 and title.startswith("Overzicht › School S1 › "), title
        assert len(app.screen_stack) == 2
        assert (await jump("ga naar overzicht")).startswith("Overzicht ·")
        assert len(app.screen_stack) == 1
        title = await jump("L2")
        assert title.count("›") == 2 and title.startswith("Overzicht › School S2 › "), title


async def test_ALC_06_explanation_dialog_does_not_repeat_its_title(db):
    from test_tui_expert_year import full_name
    from test_tui_nav import screen_text

    from lopdesk.domain import allocation
    from lopdesk.screens.allocation import ResultsScreen, rerun_and_read

    two_level_round(db)
    run = allocation.run_round(db, "R1", seed=42, at=NOW)
    results = rerun_and_read(db, run.run_id, "Ronde R1")
    (loser,) = results.unplaced()
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.push_screen(ResultsScreen(results))
        await settle(app, pilot)
        await pilot.press("e")
        await settle(app, pilot)
        assert name(app) == "TextDialog"
        text = screen_text(app)
        assert text.count(f"Uitleg voor {full_name(db, loser)}, {loser} (ALC-06)") == 1, text
        assert "Keuze 1: L2" in text


async def test_CAP_05_nog_plaatsen_vrij_with_no_free_place_is_flagged(db):
    """The board's default "Nog plaatsen vrij" while Vrij is 0 disagrees (CAP-05/CAP-04)."""
    from test_tui import scenario

    scenario(db)  # L1: capacity 2, 2 realised, board left empty
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        text = table_text(app.screen)
        assert "≠0" in text, text
        assert "LOP-bord ≠ berekend: 1" in str(app.screen.query_one("#summary").render())
        # the register of that level says it too
        await pilot.press("end", "enter")
        await settle(app, pilot)
        counts = str(app.screen.query_one("#counts").render())
        assert "LOP-bord: Nog plaatsen vrij (≠ berekend" in counts, counts


async def test_NGI_03_record_the_delivery_of_a_refusal_notice_from_the_register(db):
    """M on a refused line: a form (mode, day), a confirmation, then the domain records the
    notice (late flag, CLR deadline) with its audit record."""
    from sqlalchemy import select
    from test_tui import scenario

    from lopdesk.domain.models import AuditRecord
    from lopdesk.screens.register import RegisterScreen

    s = scenario(db)  # nr. 3 is refused (non-realised)
    refused = s["entries"][2]
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.push_screen(RegisterScreen("L1", focus_entry=refused.id))
        await settle(app, pilot)
        await pilot.press("M")
        await settle(app, pilot)
        assert name(app) == "FormDialog"
        await pilot.press("ctrl+s")  # receipt, today (the app's clock)
        await settle(app, pilot)
        assert name(app) == "ConfirmDialog"
        assert "nr. 3" in app.screen.body and "tegen ontvangstbewijs" in app.screen.body
        await pilot.press("j")
        await settle(app, pilot)
        (notice,) = mediation.list_notices(db)
        assert (notice.entry_id, notice.delivery_mode, notice.delivered_on.isoformat()) == (
            refused.id, "receipt", "2027-03-10")
        assert notice.late  # refused on 01/03 (builders.t), delivered 10/03: NGI-02
        # the level in words, never its code
        said = [n for n in notes(app)
                if "Mededeling voor School S1 · leerjaar 1 · 2027-2028 nr. 3 vastgelegd" in n]
        assert said and "te laat" in said[0] and "CLR t.e.m." in said[0], notes(app)
        # the form closed on the confirmation, it is not left open under it
        assert name(app) == "RegisterScreen"
        assert not any(type(x).__name__ == "FormDialog" for x in app.screen_stack)
        with db.read() as x:
            assert x.execute(select(AuditRecord).where(
                AuditRecord.action == "notice.record")).scalars().first() is not None


async def test_NGI_03_record_notice_only_offered_on_a_refused_line(db):
    from test_tui import scenario

    from lopdesk.screens.register import RegisterScreen

    s = scenario(db)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.push_screen(RegisterScreen("L1", focus_entry=s["entries"][0].id))
        await settle(app, pilot)
        await pilot.press("M")  # a realised line: nothing to record
        await settle(app, pilot)
        assert name(app) == "RegisterScreen"
