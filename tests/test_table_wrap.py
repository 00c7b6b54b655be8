"""Wrapped cells keep every word (a word is broken only when wider than its column), a
wrapping table is drawn for the width it has from its first lines, and its filter is fast."""

from __future__ import annotations

import time

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len

from lopdesk.screens.widgets.columns import UNCAPPED, wrap_cell

WORD = st.text(alphabet=st.sampled_from(list("abzDE-(),.·▾é0")), min_size=1, max_size=14)


@settings(max_examples=400, deadline=None)
@given(st.lists(WORD, min_size=1, max_size=10), st.integers(0, 12), st.sampled_from(["", "  "]))
def test_a_wrapped_cell_gives_back_its_words_in_order(words, extra, indent):
    text = indent + " ".join(words)
    width = max(cell_len(w) for w in text.split()) + extra
    lines = wrap_cell(text, width, UNCAPPED)
    assert " ".join(lines).split() == text.split(), (text, width, lines)
    assert all(cell_len(line) <= width for line in lines), (text, width, lines)


def test_the_tester_s_school_names_keep_every_word():
    for text in ("Basisschool De Regenboog (BAO001)", "Basisschool De Boomgaard Ledeberg",
                 "Vrije basisschool De Linde Sint-Amandsberg (BAO055)"):
        for width in range(15, 40):
            assert " ".join(wrap_cell(text, width, UNCAPPED)).split() == text.split()


SCHOOLS = ("Vrije basisschool De Kleine Prins Brugse Poort (kleuters 2024 · 2026-2027): NGI "
           "#{n}; GO! basisschool Het Spoor Wondelgem (kleuters 2024 · 2026-2027): NGI #{m}")


def _app(rows: int):
    from textual.app import App

    from lopdesk.screens.widgets.table import Column, Row, VirtualTable

    cols = [Column("Kind", 20), Column("Id", 8, flex=False), Column("Scholen", 40)]

    class One(App):
        def compose(self):
            yield VirtualTable(cols, formatter=lambda d: d, id="t")

    def make(count: int) -> list[Row]:
        return [Row(i, data=[f"Kind Nummer {i}", f"K{i:06d}", SCHOOLS.format(n=i, m=i % 7)])
                for i in range(count)]

    return One(), make


async def test_a_wrapping_table_is_drawn_for_the_width_it_has_once_a_scrollbar_comes():
    """Rows that bring a scrollbar narrow the table without a resize: every line is drawn
    for the new width, from the first frame (lines drawn for the old width were cut at the
    edge, and the words of a wrapped line that no longer fit were dropped, until the widths
    were shared again after that frame)."""
    app, make = _app(0)
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one("#t")
        table.set_rows(make(1))
        await pilot.pause()
        drawn_for: list[tuple[int, int]] = []
        render_line = table.render_line

        def recorded(y: int):
            strip = render_line(y)
            drawn_for.append((table._laid_out_for, table.scrollable_content_region.width))
            return strip

        table.render_line = recorded
        table.set_rows(make(30))  # taller than the screen: a vertical scrollbar comes
        await pilot.pause()
        await pilot.pause()
        width = table.scrollable_content_region.width
        assert width < 80 and drawn_for
        assert all(laid == width for laid, width in drawn_for), set(drawn_for)
        assert table._width <= width
        lines = [table.render_line(y).text for y in range(1, 20)]
        assert all(cell_len(line) <= width for line in lines)
        words = " ".join(lines).split()
        first = SCHOOLS.format(n=0, m=0)
        assert first in " ".join(w for w in words if w not in ("Kind", "Nummer", "0",
                                                               "K000000")), lines


async def test_a_filter_of_a_long_wrapping_table_is_fast():
    """3000 wrapped rows: a filter only counts the lines of the rows it keeps (the widths
    stay those of all rows), well under 0.3 s."""
    app, make = _app(0)
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one("#t")
        table.set_rows(make(3000))
        await pilot.pause()
        widths = list(table._widths)
        for text in ("nummer 1", "wondelgem", "", "k0029"):
            started = time.perf_counter()
            table.set_filter(table.text_filter(text))
            assert time.perf_counter() - started < 0.3, text
        assert table._widths == widths
        assert len(table.rows) == 100  # K002900 … K002999


def test_a_wrapping_table_never_reaches_past_its_width():
    """The mediation list at 78 cells (80 less the scrollbar): the fixed columns and the
    longest words ("Sint-Barbara", "Maximiliaan-Alexander") do not fit together. The table
    stays within its width (past the edge a word would be cut: "Sint-Barbar"); the
    flexible columns give way and the words wrap whole or break after their hyphen."""
    from lopdesk.screens.widgets.columns import Column, flex_texts, layout_wrapped

    columns = [Column("Nr", 4, "right"), Column("Kind", 20, flex=True),
               Column("Id", 8, flex=False), Column("Status", 17, flex=False),
               Column("Termijn", 10, flex=False), Column("Vs", 2, "right"),
               Column("Scholen", 14, flex=True)]
    rows = [("1", "Maximiliaan-Alexander Vandenbroucke-Van de Velde", "K003299", "lopend",
             "30/06/2027", "1", "Stedelijke basisschool Sint-Barbara Drongen (BAO034)")]
    texts = flex_texts(columns, rows)
    widths = layout_wrapped(columns, {}, 78, texts)
    assert sum(w + 1 for w in widths if w) <= 78, widths
    scholen = wrap_cell(rows[0][6], widths[6], UNCAPPED)
    assert "".join(scholen).replace(" ", "") == rows[0][6].replace(" ", "")
    assert all(cell_len(line) <= widths[6] for line in scholen)


async def test_a_wrapping_table_is_laid_out_once_per_width_and_data(monkeypatch):
    """The widths of a wrapping table are worked out once for its rows and its width: not
    again when the scrollbar its rows bring comes, nor for an id wider than its column in
    a row not drawn yet, nor for the same rows again; a new width or new rows do."""
    from lopdesk.screens.widgets import columns
    from lopdesk.screens.widgets.table import Row

    calls: list[int] = []
    real = columns.layout_wrapped

    def counted(cols, grown, available, texts, *args):
        if texts:  # the empty table before its rows come costs nothing
            calls.append(available)
        return real(cols, grown, available, texts, *args)

    monkeypatch.setattr(columns, "layout_wrapped", counted)
    app, make = _app(0)
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one("#t")
        rows = make(40)  # taller than the screen: a vertical scrollbar comes
        rows[35] = Row(35, data=["Kind Nummer 35", "K0000035-X", SCHOOLS.format(n=35, m=0)])
        table.set_rows(rows)
        await pilot.pause()
        await pilot.pause()
        width = table.scrollable_content_region.width
        assert calls == [width] and width < 80
        assert table._widths[1] == len("K0000035-X")  # the wide id, before it is drawn
        table.set_rows(make(40)[:35] + [rows[35]] + make(40)[36:])  # the same rows again
        await pilot.pause()
        assert calls == [width]
        await pilot.resize_terminal(100, 24)
        await pilot.pause()
        await pilot.pause()
        assert calls == [width, table.scrollable_content_region.width]


async def test_a_scrolled_wrapping_table_never_begins_with_the_rest_of_a_row():
    """Moving down line by line or a page at a time, the first line in view is a row's
    first line (its kind, name, date), never the second half of a wrapped row."""
    app, make = _app(0)
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one("#t")
        table.set_rows(make(40))
        await pilot.pause()
        table.focus()
        assert table._tops is not None and table._top(1) > 1  # rows of several lines
        for key in ["down"] * 12 + ["pagedown"] * 3 + ["up"] * 5 + ["pagedown"]:
            await pilot.press(key)
            await pilot.pause()
            top = int(table.scroll_y)
            assert table._row_at(top)[1] == 0, (key, top, table._row_at(top))
            first, end = table._top(table.cursor), table._top(table.cursor + 1)
            assert top <= first and end <= top + table.body_height  # the cursor's row whole
