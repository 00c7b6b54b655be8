"""The list of refused children (Uitgesteld / Niet-gerealiseerd), the mediation cell's
worklist: a child who already has a place at another school for the same school year and
grade is marked in the list (MED-01), from the same read as the list (no query a row)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import event
from test_tui import SIZE, settle
from test_tui_form_refusal import make, placed_elsewhere_scenario

from lopdesk.domain import directory
from lopdesk.domain.mediation.rules import placed_elsewhere


def _lv(school: str, label: str = "1", year: int = 2027, kind: str = "primary_grade"):
    return SimpleNamespace(school_id=school, label=label, school_year=year, kind=kind)


@pytest.mark.parametrize(("realised", "placed"), [
    (_lv("S2"), True),                       # same year, kind and grade, another school
    (_lv("S1"), False),                      # the refusing school itself
    (_lv("S2", label="2"), False),           # another grade
    (_lv("S2", year=2026), False),           # another school year
    (_lv("S2", kind="secondary_1a"), False),  # another kind of level
])
def test_MED_01_placed_elsewhere_rule(realised, placed):
    refused = [_lv("S1"), _lv("S3", label="3")]
    assert (placed_elsewhere(refused, [realised]) is realised) is placed


def test_MED_01_placed_elsewhere_is_any_refusal_of_the_child():
    """Refused at S1 (grade 1) and S3 (grade 3), enrolled at S3 for grade 1: S3 refused the
    child, so that enrolment is no place elsewhere; at S4 for grade 3 it is."""
    refused = [_lv("S1"), _lv("S3", label="3")]
    at_s3, at_s4 = _lv("S3"), _lv("S4", label="3")
    assert placed_elsewhere(refused, [at_s3]) is None
    assert placed_elsewhere(refused, [at_s3, at_s4]) is at_s4


def test_MED_01_refused_children_name_the_place_elsewhere_in_one_read(db):
    """K2 is refused at L1 (S1) and enrolled at L2 of S2, the same year and grade: the list
    gives that enrolment; K3 is enrolled at S2 only in another grade: no place. The list
    is read in the same few statements whatever the number of children."""
    placed_elsewhere_scenario(db)
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    engine = db.reader
    event.listen(engine, "before_cursor_execute", count)
    try:
        rows = {ch.child_id: ch for ch in directory.refused_children(db)}
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert sorted(rows) == ["K2", "K3"]
    placed = rows["K2"].placed
    assert placed is not None
    assert (placed.school_id, placed.level_id, placed.school_name, placed.status) == (
        "S2", "L2", "School S2", "realised")
    assert rows["K3"].placed is None
    assert 1 <= len(statements) <= 3  # the role check and the one read of the list


async def test_MED_01_the_list_marks_a_child_enrolled_elsewhere(db):
    """Uitgesteld / Niet-gerealiseerd at 80x24: K2 shows 'ja' under Elders and, after its
    schools, where it is enrolled; K3 shows nothing there; the help explains the column."""
    placed_elsewhere_scenario(db)
    app = make(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("2")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "DeferredScreen"
        table = app.screen.query_one("VirtualTable")
        titles = [c.label for c in table.columns]
        cells = {r.key: dict(zip(titles, table.cells(r), strict=True)) for r in table.rows}
        assert cells["K2"]["Elders"] == ("ja", "bold")
        assert cells["K2"]["Scholen en posities"].endswith("; ingeschreven in School S2")
        assert cells["K3"]["Elders"] == ""
        assert "ingeschreven" not in cells["K3"]["Scholen en posities"]
        drawn = "\n".join(line for i in range(len(table.rows)) for line in table.row_lines(i))
        assert " ja " in drawn  # the column is drawn at 80 columns, not left out
        await pilot.press("f1")
        await settle(app, pilot)
        help_text = str(app.screen.query_one("#help-body Static").render())
        assert "Elders = ja: het kind is al ingeschreven (gerealiseerd) in een andere " \
               "school" in " ".join(help_text.split())
