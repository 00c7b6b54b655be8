"""The Overzicht at 80 columns: a level's name stays whole, a school's name too (a long one
wraps onto a second line of its row, docs/decisions.md); schools (sites) that share a name
are told apart by their number."""

from __future__ import annotations

import builders as b
from test_tui import make, settle

from lopdesk.domain import areas
from lopdesk.present import school_names
from lopdesk.screens.widgets.columns import fit as _fit
from lopdesk.screens.widgets.table import Column


def _two_sint_jozefs(db) -> None:
    b.area(db)
    areas.create_school(db, "S1", "A", "Vrije Basisschool Sint-Jozef", neighbourhood="Rabot")
    areas.create_school(db, "S2", "A", "Vrije Basisschool Sint-Jozef", neighbourhood="Muide")
    areas.create_school(db, "S3", "A", "Stedelijke Basisschool De Wereldreiziger Oostakker",
                        neighbourhood="Oostakker")
    for level_id, school_id in (("L1", "S1"), ("L2", "S2"), ("L3", "S3")):
        b.level(db, level_id, school_id)


class _Level:
    def __init__(self, school_id: str, school_name: str) -> None:
        self.school_id = school_id
        self.school_name = school_name


def test_school_names_tell_apart_schools_of_one_name():
    levels = [_Level("S1", "Sint-Jozef"), _Level("S1", "Sint-Jozef"),
              _Level("S2", "Sint-Jozef"), _Level("S3", "De Linde")]
    assert school_names(levels) == {"S1": "Sint-Jozef (S1)", "S2": "Sint-Jozef (S2)",
                                    "S3": "De Linde"}


def test_middle_cut_keeps_both_ends():
    assert _fit("Basisschool De Boomgaard Ledeberg", 20, "left", "middle") \
        == "Basisschoo… Ledeberg"  # 10 cells of the start, the mark, 9 of the end
    # the end cut keeps whole words and marks the words it dropped with "…" (no word is
    # cut; the detail line shows the whole value)
    assert _fit("Basisschool De Boomgaard Ledeberg", 20, "left") == "Basisschool De…     "
    assert _fit("Basisschool De Boomgaard Ledeberg", 20, "left", "initials") \
        == "B. De Boomgaard…    "
    assert _fit("kort", 8, "left", "middle") == "kort    "
    assert Column("x", 30, cut="middle").cut == "middle"


def _rows(app) -> list[str]:
    table = app.screen.query_one("VirtualTable")
    height = table.scrollable_content_region.height
    return [table.render_line(y).text for y in range(height)]


async def test_overview_at_80_columns_names_levels_whole_and_tells_schools_apart(db):
    _two_sint_jozefs(db)
    app = make(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        text = "\n".join(_rows(app))
        # two schools of one name: told apart by their number
        assert "▾ Vrije Basisschool Sint-Jozef (S1)" in text
        assert "▾ Vrije Basisschool Sint-Jozef (S2)" in text
        # a long name whole, over two lines of its row (the second under the name)
        assert "▾ Stedelijke Basisschool De Wereldreiziger Oostakker" in text or (
            "▾ Stedelijke Basisschool De" in text and "\n  Wereldreiziger Oostakker" in text)
        assert "…" not in text
        assert "   leerjaar 1 · 2027-2028  " in text  # a level's name whole, year included
        table = app.screen.query_one("VirtualTable")
        table.move_to_key(("school", "S3"))
        await pilot.pause()
        assert not [label for label, _v in table.cut_cells(table.current)
                    if label == "School / niveau"]


def test_a_school_row_names_its_neighbourhood_once_and_a_level_its_kind_once():
    """The neighbourhood goes with the school's name (not under "Gewijzigd", a column of
    moments), unless the name already holds it; a first year A reads "1A", not "1A 1A"."""
    from types import SimpleNamespace

    from lopdesk.screens.overview import level_title, school_title

    assert school_title("Basisschool De Linde", "Muide") == "Basisschool De Linde, Muide"
    assert school_title("Basisschool De Boomgaard Ledeberg", "Ledeberg") \
        == "Basisschool De Boomgaard Ledeberg"
    assert school_title("De Linde", "") == "De Linde"
    first_a = SimpleNamespace(kind="secondary_1a", label="1A", school_year=2026)
    assert level_title(first_a) == "1A · 2026-2027"
    grade = SimpleNamespace(kind="primary_grade", label="1", school_year=2027)
    assert level_title(grade) == "leerjaar 1 · 2027-2028"


async def test_the_changed_column_holds_only_moments(db):
    _two_sint_jozefs(db)
    app = make(db)
    async with app.run_test(size=(200, 50)) as pilot:
        await settle(app, pilot)
        table = app.screen.query_one("VirtualTable")
        last = [row.cells[-1] for row in table.rows if row.key[0] == "school"]
        assert last and all(cell == "" for cell in last), last
