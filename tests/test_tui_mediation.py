"""Pilot tests of the mediation screens and the document preview, from
the keyboard at 80x24, with a fixed clock (the app's `now`)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import builders as b
from builders import t
from conftest import as_user
from sqlalchemy import select
from test_tui import (
    SIZE,
    notes,
    palette_hits,
    recording,
    refusals,
    settle,
    type_text,
    wait_until,
)

from lopdesk.domain import mediation, registers
from lopdesk.domain.models import AuditRecord

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)


def make(db):
    from lopdesk.app import make_app

    return recording(make_app(db, clock=lambda: NOW))


def refused_scenario(db) -> dict:
    """L1 (capacity 2) refuses K002; S2 has level L2 of the same grade with free places."""
    level, kids = b.basic(db, capacity=2, n_children=4)
    entries = [registers.add_request(db, level, kid, at=t(i)) for i, kid in enumerate(kids[:3])]
    b.school(db, "S2")
    b.level(db, "L2", "S2", capacity=5)
    return {"kids": kids, "entries": entries, "child": kids[2]}


def name(app) -> str:
    return type(app.screen).__name__


async def test_case_request_date_defaults_to_the_brussels_day(db):
    """At 23:30 UTC it is already the next day in Brussels: the open-case form's date of the
    parents' request defaults to that day, not to the UTC day before."""
    from lopdesk.app import make_app

    s = refused_scenario(db)
    late = datetime(2027, 3, 10, 23, 30, tzinfo=UTC)
    app = recording(make_app(db, clock=lambda: late))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("2")
        await settle(app, pilot)
        assert app.screen.query_one("VirtualTable").current.key == s["child"]
        await pilot.press("n")
        await settle(app, pilot)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert name(app) == "CaseScreen", notes(app)
        view = mediation.get_case(db, app.screen.case_id, at=late)
        assert view.request_on == date(2027, 3, 11)


async def test_case_flow_open_propose_accept_close(db):
    s = refused_scenario(db)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("2")  # Uitgesteld / Niet-gerealiseerd: the refused child
        await settle(app, pilot)
        assert app.screen.query_one("VirtualTable").current.key == s["child"]
        await pilot.press("n")  # open a case (MED-01), child and date filled in
        await settle(app, pilot)
        assert name(app) == "FormDialog"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert name(app) == "CaseScreen", notes(app)
        case_id = app.screen.case_id
        view = mediation.get_case(db, case_id, at=NOW)
        assert (view.child_id, view.trigger, view.request_on) == (s["child"], "parent_request",
                                                                   NOW.date())

        await pilot.press("v")  # MED-03: schools with free places, nearest first
        await settle(app, pilot)
        assert name(app) == "PickDialog"
        assert [r.key for r in app.screen.query_one("VirtualTable").rows] == ["L2"]
        await pilot.press("enter")
        await settle(app, pilot)
        assert mediation.get_case(db, case_id).status == "waiting"

        await pilot.press("a")  # the parents accept: into the register of S2
        await settle(app, pilot)
        assert name(app) == "FormDialog"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        lines = registers.list_entries(db, "L2")
        assert [(e.child_id, e.status) for e in lines] == [(s["child"], "realised")]
        assert any("ingeschreven in register L2" in n for n in notes(app)), notes(app)

        await pilot.press("x")  # closing without an outcome is refused (MED-02)
        await settle(app, pilot)
        await pilot.press("enter")  # the outcome list, prefilled: back to no outcome
        await pilot.pause()
        await pilot.press("up", "up", "enter")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert any("MED-02" in n and "zonder uitkomst" in n for n in refusals(app))
        assert mediation.get_case(db, case_id).status != "closed"

        # the refused form is still open, its focus on the outcome
        await pilot.press("enter")  # the outcome list
        await pilot.pause()
        await pilot.press("down", "down", "enter")  # other_school
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        view = mediation.get_case(db, case_id)
        assert (view.status, view.outcome, view.outcome_school_id) == ("closed", "other_school",
                                                                        "S2")
        await wait_until(pilot, lambda: "afgesloten" in str(
            app.screen.query_one("#title").render()))
        kinds = [e.kind for e in view.timeline]
        assert kinds == ["opened", "refusal", "proposal", "answer", "closed"]


async def test_case_list_and_palette(db):
    s = refused_scenario(db)
    case = mediation.open_case(db, s["child"], request_on=NOW.date(), at=NOW)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("5")
        await settle(app, pilot)
        assert name(app) == "MediationScreen"
        rows = app.screen.query_one("VirtualTable").rows
        assert [r.key for r in rows] == [case.id]
        await pilot.press("s", "s", "s")  # closed only
        assert app.screen.query_one("VirtualTable").rows == []
        await pilot.press("escape")
        await pilot.press("ctrl+p")
        await type_text(pilot, f"dossier {case.id}")
        await palette_hits(pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert name(app) == "CaseScreen" and app.screen.case_id == case.id


async def test_child_file_read_audited_once(db):
    s = refused_scenario(db)
    cell = as_user(db, "bemiddelaar")
    app = make(cell)

    def reads() -> int:
        with db.read() as x:
            return len(list(x.execute(select(AuditRecord).where(
                AuditRecord.action == "child.read",
                AuditRecord.entity_id == s["child"])).scalars()))

    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+p")
        await type_text(pilot, s["child"].lower())
        await palette_hits(pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert name(app) == "ChildFileScreen"
        text = str(app.screen.query_one("#title").render())
        assert "Voornaam2" in text
        assert reads() == 1
        screen = app.screen
        screen.reload()  # a poll refresh: not a new opening
        await settle(app, pilot)
        assert reads() == 1
        await pilot.press("n")  # a case can be opened from the file
        await settle(app, pilot)
        assert name(app) == "FormDialog"
    cell.dispose()


async def test_document_preview_and_save(db, tmp_path):
    refused_scenario(db)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        from lopdesk.screens.register import RegisterScreen

        await app.push_screen(RegisterScreen("L1"))
        await settle(app, pilot)
        await pilot.press("ctrl+p")
        await type_text(pilot, "registeruittreksel")
        await palette_hits(pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert name(app) == "PreviewScreen"
        await wait_until(pilot, lambda: app.screen.text is not None, timeout=5)
        assert "Voornaam2" in app.screen.text
        log = app.screen.query_one("Log")
        assert log.line_count > 10
        await pilot.press("s")
        await settle(app, pilot)
        assert name(app) == "FormDialog"
        await pilot.press("tab")  # format html (default), then the folder
        await pilot.press("ctrl+u")
        await type_text(pilot, str(tmp_path / "uit"))
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        await wait_until(pilot, lambda: app.screen.saved is not None, timeout=5)
        path = tmp_path / "uit" / "register-L1.html"
        assert path.exists() and "<html" in path.read_text().lower()
        assert any(path.name in n and str(path.parent) in n for n in notes(app))


async def test_document_preview_saves_a_pdf(db, tmp_path):
    refused_scenario(db)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        from lopdesk.domain import documents
        from lopdesk.screens.documents import DocSpec, preview

        preview(app, DocSpec("register", "registeruittreksel L1", "register-L1",
                             lambda d, fmt: documents.render_register(d, fmt, level_id="L1")))
        await settle(app, pilot)
        await wait_until(pilot, lambda: app.screen.text is not None, timeout=5)
        await pilot.press("p")  # PDF bewaren: only the folder is asked
        await settle(app, pilot)
        assert name(app) == "FormDialog"
        await pilot.press("ctrl+u")
        await type_text(pilot, str(tmp_path / "pdf"))
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        await wait_until(pilot, lambda: app.screen.saved is not None, timeout=10)
        path = tmp_path / "pdf" / "register-L1.pdf"
        assert path.read_bytes().startswith(b"%PDF-")
        assert path.stat().st_mode & 0o777 == 0o640


async def test_notice_preview_refuses_incomplete(db):
    s = refused_scenario(db)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        from lopdesk.screens.register import RegisterScreen

        await app.push_screen(RegisterScreen("L1", focus_entry=s["entries"][2].id))
        await settle(app, pilot)
        await pilot.press("m")
        await settle(app, pilot)
        assert name(app) == "FormDialog"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert name(app) == "PreviewScreen"
        await settle(app, pilot)
        # Rendered, or refused with the list of missing fields (NGI-01): never half a notice.
        if app.screen.text is None:
            assert any("NGI-01" in n for n in notes(app)), notes(app)
        else:
            assert "Voornaam2" in app.screen.text


def closed_case_with_open_proposal(db) -> int:
    """A case with a proposal nobody answered, closed with 'geen akkoord'."""
    s = refused_scenario(db)
    case = mediation.open_case(db, s["child"], request_on=NOW.date(), at=NOW)
    mediation.propose(db, case.id, "L2", at=NOW)
    mediation.close_case(db, case.id, "no_agreement", at=NOW)
    return case.id


def test_unanswered_proposal_of_closed_case_reads_lapsed(db):
    """MED-02: a closed case waits for nothing; its unanswered proposal reads as lapsed in
    `case show` (the stored answer stays empty)."""
    from lopdesk.present import case_lines

    case_id = closed_case_with_open_proposal(db)
    view = mediation.get_case(db, case_id, at=NOW)
    assert [p.answer for p in view.proposals] == [None]
    text = "\n".join(case_lines(view))
    assert "vervallen (dossier afgesloten)" in text
    assert "wacht op antwoord" not in text


def test_case_summary_document_says_lapsed_for_a_closed_case(db):
    """MED-02 in the summary for the parties: an unanswered proposal of a closed case is
    not 'open'."""
    from lopdesk.domain.extracts.case import case_from_view

    case_id = closed_case_with_open_proposal(db)
    c = case_from_view(mediation.get_case(db, case_id, at=NOW))
    assert [p["answer"] for p in c["proposals"]] == ["vervallen (dossier afgesloten)"]


async def test_case_screen_closed_case_proposal_not_waiting(db):
    """MED-02 on the case screen: the proposal row of a closed case does not say 'wacht'."""
    from lopdesk.screens.case import CaseScreen

    case_id = closed_case_with_open_proposal(db)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.push_screen(CaseScreen(case_id))
        await settle(app, pilot)
        row = app.screen.query_one("#proposals").rows[0]
        answer = row.cells[-1]
        text = answer[0] if isinstance(answer, tuple) else answer
        assert text == "vervallen"
        title = str(app.screen.query_one("#props-title").render())
        assert "dossier afgesloten" in title and "vervallen" in title


def test_closed_case_counts_no_open_proposal(db):
    """MED-02: the case list counts no open proposal for a closed case."""
    case_id = closed_case_with_open_proposal(db)
    row = next(c for c in mediation.list_cases(db, at=NOW) if c.id == case_id)
    assert (row.status, row.open_proposals) == ("closed", 0)


async def test_MED_02_closed_case_offers_no_key_that_adds_to_it(db):
    """A closed case takes nothing more: the footer and the help do not offer v, a, p, m,
    c, k or x (they were shown and then refused), and pressing them changes nothing."""
    from test_tui_burst import open_case_screen

    from lopdesk.screens.widgets.footer import KeyFooter

    case_id = closed_case_with_open_proposal(db)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_case_screen(app, pilot, case_id)
        shown = [k.description for k in app.screen.query_one(KeyFooter).query("FooterKey")]
        assert not {"Voorstel", "Antwoord", "Partij", "Afsluiten"} & set(shown), shown
        keys = {"v": "propose", "a": "answer", "p": "party", "m": "meeting", "c": "contact",
                "k": "complaint", "x": "close_case"}
        for key, action in keys.items():
            assert app.screen.check_action(action, ()) is False
            await pilot.press(key)
            await settle(app, pilot)
            assert name(app) == "CaseScreen"
        assert not any("Geweigerd" in n for n in notes(app))


async def test_add_form_names_the_school_and_level_without_codes(db):
    """The register's add form names the school and level as every screen does, not
    'Aanvraag toevoegen aan L1' (the case list's schools: test_tui_names)."""
    refused_scenario(db)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        from lopdesk.screens.register import RegisterScreen

        await app.push_screen(RegisterScreen("L1"))
        await settle(app, pilot)
        await pilot.press("a")
        await settle(app, pilot)
        assert app.screen._title == "Aanvraag toevoegen aan School S1 · leerjaar 1 · 2027-2028"
