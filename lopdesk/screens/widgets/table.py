"""A table that draws only the visible lines (Line API), for registers of 20,000 entries.

Textual's DataTable builds every row up front (~2.8 s for 20,000 rows, house-style.md);
this view keeps plain tuples, filters them with a precomputed lower-case search text and
renders a line only when it scrolls into view. For a register of 200,000 lines even one
`Row` per line is too much: `LazyRows` makes a row only when it is drawn or under the
cursor, and a filter hands the table the indexes it kept (`set_picked`).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from functools import lru_cache
from typing import Any

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from lopdesk.screens.widgets.columns import (  # noqa: F401 (the table's public names)
    DETAIL_LINES,
    MAX_MEAN_LINES,
    UNCAPPED,
    Column,
    WrappedLayout,
    atomic,
    detail_lines,
    fit,
    flex_texts,
    layout,
    widen_to_values,
    wrap_cell,
    wrap_header,
    wrapped_height,
)
from lopdesk.screens.widgets.columns import columns as columns  # screens' column tables
from lopdesk.screens.widgets.rows import (
    Cell,
    Highlighted,
    LazyRows,
    Row,
    RowMessage,
    Selected,
    cell_text,
    position,
    words_filter,
)
from lopdesk.screens.widgets.table_cursor import CursorMoves


@lru_cache(maxsize=256)
def _style(text: str) -> Style:
    return Style.parse(text) if text else Style()


class VirtualTable(CursorMoves, ScrollView, can_focus=True):
    """Rows of cells with a cursor; the first line is a fixed header."""

    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Omhoog", show=False),
        Binding("down,j", "cursor(1)", "Omlaag", show=False),
        Binding("pageup", "page(-1)", "Pagina omhoog", show=False),
        Binding("pagedown", "page(1)", "Pagina omlaag", show=False),
        Binding("home", "jump(0)", "Begin", show=False),
        Binding("end", "jump(-1)", "Einde", show=False),
        Binding("enter", "select", "Openen", show=False),
    ]
    COMPONENT_CLASSES = {
        "virtual-table--header",
        "virtual-table--cursor",
        "virtual-table--empty",
        "virtual-table--detail",
    }
    DEFAULT_CSS = """
    VirtualTable { height: 1fr; background: $surface; }
    VirtualTable > .virtual-table--header { text-style: bold; background: $panel; }
    VirtualTable > .virtual-table--cursor { background: $accent 40%; text-style: bold; }
    VirtualTable:focus > .virtual-table--cursor { background: $accent; color: $text; }
    VirtualTable > .virtual-table--empty { color: $text-muted; text-style: italic; }
    VirtualTable > .virtual-table--detail { color: $text-muted; background: $panel; }
    """

    cursor: reactive[int] = reactive(0, always_update=True, init=False)

    RowMessage, Highlighted, Selected = RowMessage, Highlighted, Selected

    def __init__(self, columns: Sequence[Column], *, empty: str = "Geen gegevens.",
                 formatter: Callable[[Any], Sequence[Cell]] | None = None,
                 searcher: Callable[[Any], str] | None = None,
                 legend: Sequence[str] = (), follow_end: bool = False, wrap: bool = True,
                 mean_lines: float = MAX_MEAN_LINES,
                 name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.columns = list(columns)
        self.formatter = formatter
        self.searcher, self.empty_text = searcher, empty
        self._loaded = False  # rows given once: "laden…" until then, not "Geen …"
        # parts shown in the detail line when no value of the row is cut (those that fit)
        self.legend = list(legend)
        # like a log viewer: a cursor on the last line follows the lines added after it
        self.follow_end = follow_end
        # a flexible cell too long for its column wraps over more lines of its row instead
        # of being cut (a table of a list of rows; LazyRows keep one line a row)
        self.wrap = wrap
        self.wants: dict[int, int] = {}  # the widest value of a column (`set_wants`)
        self.mean_lines = mean_lines  # taller rows on average: a `drop` column is left out
        self._tops: list[int] | None = None  # the first line of each row, and the end
        self._rows: Sequence[Row] = []
        self._view: Sequence[Row] = []
        self._filter: Callable[[Row], bool] | None = None
        self._picked: Sequence[int] | None = None
        self._cache: dict[tuple[int, bool], Strip] = {}
        self._grown: dict[int, int] = {}  # fixed column -> widest value seen
        self._widths = [c.width for c in self.columns]
        self._headers = [[c.label] for c in self.columns]
        self._header_h = 1
        self._width = sum(w + 1 for w in self._widths)
        self._relayout_due = False
        self._laid_out_for = 0  # the width the columns were shared for
        self._heights: dict[tuple[str, ...], int] = {}  # flexible texts -> lines (_reflow)
        self._layout = WrappedLayout()  # the widths of a wrapping table, once per width
        self._detail_memo: tuple[tuple, list[str]] | None = None  # (key, width, widths, row)

    # -- data -----------------------------------------------------------------

    @property
    def rows(self) -> Sequence[Row]:
        """The rows shown (after the filter)."""
        return self._view

    @property
    def all_rows(self) -> Sequence[Row]:
        return self._rows

    @property
    def current(self) -> Row | None:
        if 0 <= self.cursor < len(self._view):
            return self._view[self.cursor]
        return None

    def set_rows(self, rows: Sequence[Row]) -> None:
        """Replace the rows (a list, or LazyRows), keeping the cursor on the same key where
        it still exists; with `follow_end`, a cursor on the last line goes to the new last
        line (lines added at the end come into view)."""
        at_end = self.follow_end and len(self._view) > 0 and self.cursor == len(self._view) - 1
        key = self.current.key if self.current else None
        self._rows = rows
        self._picked = None
        self._apply(key, relayout=True)
        if at_end and self._view:
            self.cursor = len(self._view) - 1

    def set_picked(self, picked: Sequence[int] | None) -> None:
        """Show only these rows of a LazyRows source (ascending indexes), or all (None):
        the filter of a screen that reads its own columns, without a Row per line."""
        key = self.current.key if self.current else None
        self._filter = None
        self._picked = picked
        self._apply(key)

    def _search_text(self, row: Row) -> str:
        if not row.search:
            if self.searcher is not None:
                row.search = self.searcher(row.data).lower()
            else:
                row.search = " ".join(c if isinstance(c, str) else c[0]
                                      for c in self.cells(row)).lower()
        return row.search

    def cells(self, row: Row) -> Sequence[Cell]:
        if not row.cells and self.formatter is not None:
            row.cells = self.formatter(row.data)
        return row.cells

    def redraw(self) -> None:
        """Draw again after the formatter's inputs changed (cells are rebuilt)."""
        if self.formatter is not None:
            made: Iterable[Row] = (self._rows.made.values() if isinstance(self._rows, LazyRows)
                                   else self._rows)
            for row in made:
                row.cells = ()
        self._cache.clear()
        self._detail_memo = None
        if self.wrap and self._laid_out_for:
            self._relayout()
        self._set_virtual_size()
        self.refresh()

    def set_filter(self, predicate: Callable[[Row], bool] | None) -> None:
        key = self.current.key if self.current else None
        self._filter = predicate
        self._picked = None
        self._apply(key)

    def text_filter(self, text: str) -> Callable[[Row], bool] | None:
        """Every word must occur in the row (case-insensitive)."""
        return words_filter(text, self._search_text)

    def _apply(self, key: Hashable | None, relayout: bool = False) -> None:
        """The rows kept; `relayout`: new rows (a filter keeps a wrapping table's widths)."""
        self._loaded = True
        pred = self._filter
        rows = self._rows
        if isinstance(rows, LazyRows):
            rows = rows.subset(self._picked)
        self._view = rows if pred is None else [r for r in rows if pred(r)]
        self._cache.clear()
        self._detail_memo = None
        self._tops = None
        if self.wrap and self._laid_out_for:
            self._relayout() if relayout else self._reflow()
        self._set_virtual_size()
        index = 0
        if key is not None:
            found = position(self._view, key)
            index = min(self.cursor, max(0, len(self._view) - 1)) if found is None else found
        self.cursor = index
        self.refresh()

    def move_to_key(self, key: Hashable) -> bool:
        found = position(self._view, key)
        if found is None:
            return False
        self.cursor = found
        return True

    # -- cursor ---------------------------------------------------------------

    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, len(self._view) - 1)) if self._view else 0

    def watch_cursor(self, old: int, new: int) -> None:
        for index in (old, new):
            for sub in range(self._top(index + 1) - self._top(index) if self._tops else 1):
                self._cache.pop((index, True, sub), None)
                self._cache.pop((index, False, sub), None)
        self._set_virtual_size()  # the detail of the new row may take more lines
        self._scroll_cursor_visible()
        self.refresh()
        self.post_message(self.Highlighted(self, self.current))

    # -- layout -------------------------------------------------------------

    def _set_virtual_size(self) -> None:
        self.virtual_size = Size(self._width, self._top(len(self._view)) + self._header_h
                                 + len(self._detail_lines()))

    def _relayout(self) -> None:
        """Widths for the current size: flexible columns share it, fixed ones fit their
        widest value; headers wrap over at most two lines."""
        self._relayout_due, self._detail_memo = False, None
        available = self._laid_out_for = self._available()
        before = self._widths
        if self._wrapping:
            widen_to_values(self.columns, cells := [*map(self.cells, self._rows)], self._grown)
            self._widths = self._layout.widths(self.columns, self._grown, available,
                                               flex_texts(self.columns, cells), self.mean_lines)
        else:
            self._widths = layout(self.columns, self._grown, available, self.wants)
        self._headers = [wrap_header(c.label, w) if w else [""]
                         for c, w in zip(self.columns, self._widths, strict=True)]
        self._header_h = max(len(h) for h in self._headers) if self._headers else 1
        self._width = sum(w + 1 for w in self._widths if w)
        self._cache.clear()
        if self._widths != before:
            self._heights.clear()  # the lines of a text hold while its column keeps its width
        self._reflow()
        self._set_virtual_size()
        self.refresh()

    def _available(self) -> int:
        """The width to share: less the scrollbar's when more rows than lines will show it."""
        region = self.scrollable_content_region
        if region.width and not self.show_vertical_scrollbar \
                and self.styles.overflow_y == "auto" and region.height \
                and len(self._view) + self._header_h > region.height:
            return max(1, region.width - self.styles.scrollbar_size_vertical)
        return region.width or self.size.width

    def _cell_lines(self, index: int, text: str) -> list[str]:
        """The lines of a cell of column `index` in its width (wrapped or whole)."""
        width = self._widths[index]
        if self.wrap and self.columns[index].flexible and cell_len(text) > width \
                and not atomic(text):
            return wrap_cell(text, width, UNCAPPED)
        return [text]

    def _reflow(self) -> None:
        """The lines each row takes in a wrapping table."""
        if not self._wrapping:
            self._tops = None
            return
        flex = [i for i, c in enumerate(self.columns) if c.flexible and self._widths[i]]
        heights = self._heights  # the lines of a row's flexible texts, for these widths
        tops, line = [], 0
        for row in self._view:
            tops.append(line)
            cells = self.cells(row)
            texts = tuple(cell_text(cells[i]) for i in flex if i < len(cells))
            if texts not in heights:
                heights[texts] = max((wrapped_height(t, self._widths[i]) for i, t
                                      in zip(flex, texts, strict=False)), default=1)
            line += heights[texts]
        tops.append(line)
        self._tops = tops

    def _grow(self, index: int, width: int) -> None:
        """A column met a wider value it may not cut: widen it (ids, numbers and dates are
        never cut)."""
        self._grown[index] = width
        if not self._relayout_due:
            self._relayout_due = True
            self.call_after_refresh(self._relayout)

    _wrapping = property(lambda self: self.wrap and not isinstance(self._rows, LazyRows))

    def set_wants(self, wants: dict[int, int]) -> None:
        """The widest value of some columns, read by the screen from its data (LazyRows)."""
        if wants != self.wants:
            self.wants = wants
            if self._laid_out_for:
                self._relayout()

    def cut_cells(self, row: Row) -> list[tuple[str, str]]:
        """(column label, whole value) of the cells of `row` not whole in their column (a
        wrapped cell is whole over its lines)."""
        wrapping = self._wrapping
        return [(col.label, text) for col, width, text in
                zip(self.columns, self._widths, map(cell_text, self.cells(row)), strict=False)
                if cell_len(text) > width
                and (not width or not wrapping or not col.flexible or atomic(text))]

    # -- drawing --------------------------------------------------------------

    def _header(self, y: int) -> Strip:
        style = self.get_component_rich_style("virtual-table--header")
        text = " ".join(fit(lines[y] if y < len(lines) else "", w, c.align)
                        for c, w, lines in zip(self.columns, self._widths, self._headers,
                                               strict=True) if w) + " "
        return Strip([Segment(text, style)], cell_len(text))

    def _detail_lines(self) -> list[str]:
        """Under the table: the whole value of every cut cell of the cursor's row, over at
        most DETAIL_LINES lines (a low table: one), else the legend of the table's marks."""
        width = self.scrollable_content_region.width or self.size.width
        row = self.current
        key = (row.key if row is not None else None, width, tuple(self._widths), id(row))
        if self._detail_memo is not None and self._detail_memo[0] == key:
            return self._detail_memo[1]
        cut = self.cut_cells(row) if row is not None and width > 0 else []
        most = DETAIL_LINES if self.size.height >= self._header_h + 4 + DETAIL_LINES else 1
        lines = detail_lines(cut, self.legend, width, most)
        self._detail_memo = (key, lines)
        return lines

    def _detail(self, y: int, width: int) -> Strip:
        style = self.get_component_rich_style("virtual-table--detail")
        lines = self._detail_lines()
        text = lines[y] if y < len(lines) else ""
        return Strip([Segment(" " + text, style)]) if text else Strip.blank(width, style)

    def _line(self, index: int, is_cursor: bool, sub: int = 0, base: Style | None = None) -> Strip:
        """Line `sub` of row `index` (a row of a wrapping table may take several); `base`:
        the widget's rich_style when the caller has it (it walks every ancestor's styles)."""
        cached = self._cache.get((index, is_cursor, sub))
        if cached is not None:
            return cached
        row = self._view[index]
        base = (base or self.rich_style) + _style(row.style)
        if is_cursor:
            base = base + self.get_component_rich_style("virtual-table--cursor")
        segments: list[Segment] = []
        for i, (col, width, cell) in enumerate(zip(self.columns, self._widths, self.cells(row),
                                                   strict=False)):
            if not width:  # left out for want of room: shown in the detail line
                continue
            text, extra = (cell, "") if isinstance(cell, str) else cell
            if cell_len(text) > width and (not col.flexible or atomic(text)):
                self._grow(i, cell_len(text))
            if self._tops is not None:
                lines = self._cell_lines(i, text)
                text = lines[sub] if sub < len(lines) else ""
                if sub and not text:
                    extra = ""
            style = base + _style(extra) if extra and not is_cursor else base
            if extra and is_cursor:  # keep the colour's meaning readable under the cursor
                style = base + Style(bold=True)
            segments.append(Segment(fit(text, width, col.align, col.cut), style))
            segments.append(Segment(" ", base))
        strip = Strip(segments, self._width)
        if len(self._cache) > 2000:
            self._cache.clear()
        self._cache[(index, is_cursor, sub)] = strip
        return strip

    def row_lines(self, index: int) -> list[str]:
        """The text of each line row `index` draws (more than one when a cell wraps)."""
        return [self._line(index, index == self.cursor, sub).text
                for sub in range(self._top(index + 1) - self._top(index) if self._tops else 1)]

    def notify_style_update(self) -> None:
        """The styles changed (the focus came or went: the cursor's colour): the drawn lines
        are drawn again, else the cursor keeps the colour of before until something else
        clears them."""
        super().notify_style_update()
        self._cache.clear()

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style  # once a line, not once per use
        if width and self._available() != self._laid_out_for:
            # a scrollbar came or went (no resize): shared again before this line is drawn,
            # else lines for the old width are cut at the edge or lose words until a redraw
            self._relayout()
        height = self.scrollable_content_region.height
        scroll_x = int(self.scroll_x)
        detail = len(self._detail_lines())
        if y < self._header_h:
            strip = self._header(y)
        elif y >= height - detail and height > self._header_h + detail:
            return self._detail(y - height + detail, width).crop_extend(0, width, base)
        else:
            index, sub = self._row_at(int(self.scroll_y) + y - self._header_h)
            if not self._view and y == self._header_h:
                style = self.get_component_rich_style("virtual-table--empty")
                text = self.empty_text if self._loaded else "laden…"
                strip = Strip([Segment(" " + text, style)])
            elif index >= len(self._view):
                return Strip.blank(width, base)
            else:
                strip = self._line(index, index == self.cursor, sub, base)
        return strip.crop_extend(scroll_x, scroll_x + width, base)

    def on_resize(self) -> None:
        if self._available() != self._laid_out_for:
            self._relayout()  # same width (a screen back on top): no new widths to work out
        self._set_virtual_size()  # then a cursor placed before the size comes in view:
        self.call_after_refresh(self._scroll_cursor_visible)
        self.call_after_refresh(self._scroll_cursor_visible)

    def on_unmount(self) -> None:  # rows freed now, not by a full GC (a screen is cyclic)
        self._rows = self._view = []
