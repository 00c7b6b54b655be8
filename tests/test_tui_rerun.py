"""The re-run from the app (ALC-05): the dialog shows what a replacement would touch and
replaces only with the later facts kept."""

from __future__ import annotations

from test_rerun_keeps_later_work import _later_work, year  # noqa: F401 (fixture)
from test_tui import make, notes, palette_hits, refusals, settle, type_text

from lopdesk.domain import allocation


async def _open_run_dialog(app, pilot):
    await settle(app, pilot)
    await pilot.press("ctrl+p")
    await type_text(pilot, "ronde toewijzen")
    await palette_hits(pilot)
    await pilot.press("down", "enter")
    await settle(app, pilot)
    await pilot.pause(0.2)
    assert type(app.screen).__name__ == "FormDialog", notes(app)


async def test_ALC_05_rerun_dialog_shows_impact_and_keeps_later_facts(db, year):  # noqa: F811
    gone, *_ = _later_work(db)
    app = make(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_run_dialog(app, pilot)
        text = " ".join(str(w.render()) for w in app.screen.query("Static, Label"))
        assert f"L1 nr. {gone.seq}" in text and "L2: 2 → 3" in text
        await type_text(pilot, "5")
        await pilot.press("tab", "tab", "space")  # replace, without keeping: refused
        await pilot.press("ctrl+s")
        await settle(app, pilot, timeout=30)
        assert any("ALC-05" in n for n in refusals(app)), refusals(app)
        await pilot.press("escape")  # the refused form stays open with the input: leave it
        await settle(app, pilot)
        assert [r.status for r in allocation.list_runs(db, "R27")] == ["active"]
        await _open_run_dialog(app, pilot)
        await type_text(pilot, "5")
        await pilot.press("tab", "tab", "space", "tab", "space", "tab")
        await type_text(pilot, "afstanden verbeterd")
        await pilot.press("ctrl+s")
        await settle(app, pilot, timeout=30)
        assert type(app.screen).__name__ == "ResultsScreen", notes(app)
    runs = allocation.list_runs(db, "R27")
    assert [r.status for r in runs] == ["replaced", "active"]
