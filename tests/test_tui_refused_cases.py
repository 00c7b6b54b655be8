"""The refused list shows each school's place on its waiting list (#n, as the register) and
counts what its filter shows; the case list counts a case's proposals and gives a closed
case no deadline."""

from __future__ import annotations

import builders as b
from builders import t
from test_tui import SIZE, settle, type_text
from test_tui_mediation import NOW, closed_case_with_open_proposal, make, refused_scenario

from lopdesk.domain import mediation, registers


async def main_screen(app, pilot, key: str):
    """The main screen of `key`, its rows in: its table."""
    await settle(app, pilot)
    await pilot.press(key)
    await settle(app, pilot)
    return app.screen.query_one("VirtualTable")


def _title(app) -> str:
    return " ".join(str(app.screen.query_one("#title").render()).split())


async def test_the_refused_list_shows_the_waiting_place_and_counts_what_it_shows(db):
    """REG-07: L1 (capacity 1) refuses K002 and K003, in that order: places #1 and #2 on
    its waiting list, as the register shows them; a search counts the children it shows,
    'van' all of them."""
    level, kids = b.basic(db, capacity=1, n_children=4)
    for i, kid in enumerate(kids[:3]):
        registers.add_request(db, level, kid, at=t(i))
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        table = await main_screen(app, pilot, "2")
        texts = {r.key: r.data for r in table.rows}
        assert list(texts) == [kids[1], kids[2]]
        from lopdesk.screens.deferred import places_text

        assert places_text(texts[kids[1]]).endswith(": NGI #1")
        assert places_text(texts[kids[2]]).endswith(": NGI #2")
        drawn = " ".join(" ".join(table.row_lines(i)) for i in range(len(table.rows)))
        assert "NGI #1" in drawn and "NGI #2" in drawn
        assert "· 2 kinderen (0 bij meer dan één school)" in _title(app)
        await pilot.press("slash")
        await type_text(pilot, kids[2])
        await settle(app, pilot)
        assert [r.key for r in table.rows] == [kids[2]]
        assert "· 1 kind van 2 (0 bij meer dan één school)" in _title(app)


async def test_the_case_list_counts_proposals_and_a_closed_case_has_no_deadline(db):
    """MED-03: a case with one proposal shows 1 under Vs (answered or not, open or
    closed); MED-02: a closed case has no deadline, its Termijn is empty."""
    case_id = closed_case_with_open_proposal(db)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        table = await main_screen(app, pilot, "5")
        cells = [c if isinstance(c, str) else c[0] for c in table.cells(table.rows[0])]
        labels = [c.label for c in table.columns]
        assert table.rows[0].key == case_id
        assert cells[labels.index("Vs")] == "1"
        assert cells[labels.index("Termijn")] == ""
        assert cells[labels.index("Status")] == "afgesloten"


def test_a_running_case_counts_its_proposal(db):
    s = refused_scenario(db)
    case = mediation.open_case(db, s["child"], request_on=NOW.date(), at=NOW)
    mediation.propose(db, case.id, "L2", at=NOW)
    row = next(c for c in mediation.list_cases(db, at=NOW) if c.id == case.id)
    assert (row.open_proposals, row.proposals) == (1, 1)
