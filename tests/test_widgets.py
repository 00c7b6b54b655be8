"""The table's layout (names flex, ids and numbers never cut, headers wrap) and the
picker's matching, without a terminal."""

from __future__ import annotations

from lopdesk.screens.widgets.picker import Choice, matches
from lopdesk.screens.widgets.table import Column, layout, wrap_header

COLUMNS = [Column("Nr", 5, "right"), Column("Kind", 22), Column("Id", 8, flex=False),
           Column("Reden", 12)]


def test_name_columns_share_the_width_and_ids_keep_theirs():
    assert layout(COLUMNS, {}, 200) == [5, 22 + 97, 8, 12 + 52]
    # an id wider than asked (seen while drawing) gets its whole width
    assert layout(COLUMNS, {2: 10}, 200)[2] == 10


def test_short_of_room_the_name_is_served_first_and_stays_readable():
    widths = layout(COLUMNS, {}, 50)
    assert widths[0] == 5 and widths[2] == 8  # numbers and ids are never cut
    assert widths[1] == 22 and widths[3] == 11  # the name in full first, the reason the rest
    assert layout(COLUMNS, {}, 30)[1] == 20  # never under 20: the table scrolls sideways


def test_headers_wrap_between_words():
    assert wrap_header("Groepen (aantal bij verklaring)", 16) == ["Groepen (aantal",
                                                                  "bij verklaring)"]
    assert wrap_header("Nr", 5) == ["Nr"]


def test_picker_matches_every_word_exact_id_first_and_caps():
    kids = [Choice(f"K{i:07d}", f"Maes, Lucas · K{i:07d}",
                   f"lucas maes 02/04/2021 K{i:07d}".lower()) for i in range(200)]
    assert [c.key for c in matches(kids, "K0000012")][:1] == ["K0000012"]
    assert len(matches(kids, "lucas maes")) == 50
    assert matches(kids, "lucas 03/04") == []


def test_a_wrapped_cell_breaks_between_words_under_its_tree_mark():
    from lopdesk.screens.widgets.columns import wrap_cell

    name = "▾ Stedelijke basisschool De Zonnebloem Elisabethbegijnhof-Prinsenhof"
    assert wrap_cell(name, 40) == ["▾ Stedelijke basisschool De Zonnebloem",
                                   "  Elisabethbegijnhof-Prinsenhof"]
    # a word wider than the column breaks after its hyphen; its pieces join with nothing
    assert wrap_cell("Sluizeken-Tolhuis-Ham", 12) == ["Sluizeken-", "Tolhuis-Ham"]
    assert wrap_cell("kort", 8) == ["kort"]
    # more than three lines: the third ends with the mark (the detail line has it whole)
    assert wrap_cell("een twee drie vier vijf", 5) == ["een", "twee", "drie…"]


def test_wrapping_columns_follow_their_texts_and_drop_before_rows_grow_tall():
    from lopdesk.screens.widgets.columns import layout_wrapped

    columns = [Column("Naam", 30), Column("Vrij", 4, "right"), Column("Bord", 20, drop=1)]
    rows = {("▾ Stedelijke basisschool De Zonnebloem Elisabethbegijnhof", ""): 1,
            ("   leerjaar 1 · 2027-2028", "Nog plaatsen vrij"): 9}
    # wide: every text whole on one line, the room to spare shared as the columns ask
    widths = layout_wrapped(columns, {}, 100, rows)
    assert widths[0] >= 56 and widths[2] >= 17 and widths[0] + widths[2] == 100 - 4 - 3
    assert widths[2] > 17
    # 60 cells: the board keeps its one line, the long name takes two
    widths = layout_wrapped(columns, {}, 60, rows)
    assert widths[2] == 17 and widths[0] == 60 - 4 - 17 - 3
    # 40 cells: the board would take three lines a row: it is left out (detail line)
    assert layout_wrapped(columns, {}, 40, rows) == [40 - 4 - 2, 4, 0]


async def test_a_table_says_laden_until_its_rows_come_then_its_empty_text():
    """Before the first rows a table is loading, not empty ("Geen …" only when it is)."""
    from textual.app import App

    from lopdesk.screens.widgets.table import VirtualTable

    class One(App):
        def compose(self):
            yield VirtualTable([Column("Naam", 20)], empty="Geen aanvragen.")

    app = One()
    async with app.run_test(size=(40, 10)) as pilot:
        table = app.query_one(VirtualTable)
        assert "laden…" in table.render_line(1).text
        table.set_rows([])
        await pilot.pause()
        assert "Geen aanvragen." in table.render_line(1).text


def test_picker_puts_a_word_that_starts_before_one_inside_another_word():
    """"Linde" finds Basisschool De Linde before De Vlinder (a wrong school picked by
    Ctrl+S would be recorded); "Linde Sint" too, whatever the order in the list."""
    schools = [Choice("BAO005", "Basisschool De Vlinder · BAO005"),
               Choice("SO005", "Secundaire school De Vlinder · SO005"),
               Choice("BAO040", "Vrije basisschool De Linde Sint-Amandsberg · BAO040")]
    assert [c.key for c in matches(schools, "Linde")] == ["BAO040", "BAO005", "SO005"]
    assert [c.key for c in matches(schools, "linde sint")][:1] == ["BAO040"]
    assert [c.key for c in matches(schools, "amandsberg")] == ["BAO040"]
