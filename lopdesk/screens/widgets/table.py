"""A table that draws only the visible lines (Line API), for registers of 20,000 entries.

Textual's DataTable builds every row up front (~2.8 s for 20,000 rows, house-style.md);
this view keeps plain tuples, filters them with a precomputed lower-case search text and
renders a line only when it scrolls into view.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.events import Click
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

# A cell is a string, or (string, rich style string) for a coloured cell.
Cell = str | tuple[str, str]


@dataclass(frozen=True)
class Column:
    label: str
    width: int
    align: str = "left"  # left | right


@dataclass(slots=True)
class Row:
    """A line of the table. `cells` may be left empty: the table's formatter then builds
    them from `data` when the line is first drawn (20,000 rows open without formatting)."""

    key: Hashable
    cells: Sequence[Cell] = ()
    style: str = ""  # style of the whole line (e.g. group rows)
    data: Any = None
    search: str = field(default="", repr=False)


@lru_cache(maxsize=256)
def _style(text: str) -> Style:
    return Style.parse(text) if text else Style()


def _fit(text: str, width: int, align: str) -> str:
    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + "…" if width > 1 else set_cell_size(text, width)
    pad = width - cell_len(text)
    return (" " * pad + text) if align == "right" else (text + " " * pad)


class VirtualTable(ScrollView, can_focus=True):
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
    }
    DEFAULT_CSS = """
    VirtualTable { height: 1fr; background: $surface; }
    VirtualTable > .virtual-table--header { text-style: bold; background: $panel; }
    VirtualTable > .virtual-table--cursor { background: $accent 40%; text-style: bold; }
    VirtualTable:focus > .virtual-table--cursor { background: $accent; color: $text; }
    VirtualTable > .virtual-table--empty { color: $text-muted; text-style: italic; }
    """

    cursor: reactive[int] = reactive(0, always_update=True, init=False)

    class RowMessage(Message):
        """A message about a row of the table (`control` is the table, for @on)."""

        def __init__(self, table: VirtualTable, row: Row | None) -> None:
            self.table = table
            self.row = row
            super().__init__()

        @property
        def control(self) -> VirtualTable:
            return self.table

    class Highlighted(RowMessage):
        """The cursor moved (row is None in an empty table)."""

    class Selected(RowMessage):
        """Enter or a double click on a row."""

        row: Row

        def __init__(self, table: VirtualTable, row: Row) -> None:
            super().__init__(table, row)

    def __init__(self, columns: Sequence[Column], *, empty: str = "Geen gegevens.",
                 formatter: Callable[[Any], Sequence[Cell]] | None = None,
                 searcher: Callable[[Any], str] | None = None,
                 name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.columns = list(columns)
        self.formatter = formatter
        self.searcher = searcher
        self.empty_text = empty
        self._rows: list[Row] = []
        self._view: list[Row] = []
        self._filter: Callable[[Row], bool] | None = None
        self._cache: dict[tuple[int, bool], Strip] = {}
        self._width = sum(c.width + 1 for c in self.columns)

    # -- data -----------------------------------------------------------------

    @property
    def rows(self) -> list[Row]:
        """The rows shown (after the filter)."""
        return self._view

    @property
    def all_rows(self) -> list[Row]:
        return self._rows

    @property
    def current(self) -> Row | None:
        if 0 <= self.cursor < len(self._view):
            return self._view[self.cursor]
        return None

    def set_rows(self, rows: list[Row]) -> None:
        """Replace the rows, keeping the cursor on the same key where it still exists."""
        key = self.current.key if self.current else None
        self._rows = rows
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
            for row in self._rows:
                row.cells = ()
        self._cache.clear()
        self.refresh()

    def set_filter(self, predicate: Callable[[Row], bool] | None) -> None:
        key = self.current.key if self.current else None
        self._filter = predicate
        self._apply(key)

    def text_filter(self, text: str) -> Callable[[Row], bool] | None:
        """Every word must occur in the row (case-insensitive)."""
        words = text.lower().split()
        if not words:
            return None
        search = self._search_text
        if len(words) == 1:
            word = words[0]
            return lambda row: word in (row.search or search(row))
        return lambda row: all(w in (row.search or search(row)) for w in words)

    def _apply(self, key: Hashable | None) -> None:
        pred = self._filter
        self._view = self._rows if pred is None else [r for r in self._rows if pred(r)]
        self._cache.clear()
        self.virtual_size = Size(self._width, len(self._view) + 1)
        index = 0
        if key is not None:
            for i, row in enumerate(self._view):
                if row.key == key:
                    index = i
                    break
            else:
                index = min(self.cursor, max(0, len(self._view) - 1))
        self.cursor = index
        self.refresh()

    def move_to_key(self, key: Hashable) -> bool:
        for i, row in enumerate(self._view):
            if row.key == key:
                self.cursor = i
                return True
        return False

    # -- cursor ---------------------------------------------------------------

    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, len(self._view) - 1)) if self._view else 0

    def watch_cursor(self, old: int, new: int) -> None:
        self._cache.pop((old, True), None)
        self._cache.pop((old, False), None)
        self._cache.pop((new, True), None)
        self._cache.pop((new, False), None)
        self._scroll_cursor_visible()
        self.refresh()
        self.post_message(self.Highlighted(self, self.current))

    def _scroll_cursor_visible(self) -> None:
        body = max(1, self.scrollable_content_region.height - 1)
        top = int(self.scroll_y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + body:
            self.scroll_to(y=self.cursor - body + 1, animate=False, immediate=True)

    def action_cursor(self, delta: int) -> None:
        self.cursor += delta

    def action_page(self, direction: int) -> None:
        body = max(1, self.scrollable_content_region.height - 1)
        self.cursor += direction * body

    def action_jump(self, where: int) -> None:
        self.cursor = 0 if where == 0 else len(self._view) - 1

    def action_select(self) -> None:
        if self.current is not None:
            self.post_message(self.Selected(self, self.current))

    def on_click(self, event: Click) -> None:
        y = event.y
        if y >= 1:
            self.cursor = int(self.scroll_y) + y - 1
            if event.chain >= 2:
                self.action_select()

    # -- drawing --------------------------------------------------------------

    def _header(self) -> Strip:
        style = self.get_component_rich_style("virtual-table--header")
        text = " ".join(_fit(c.label, c.width, c.align) for c in self.columns) + " "
        return Strip([Segment(text, style)], cell_len(text))

    def _line(self, index: int, is_cursor: bool) -> Strip:
        cached = self._cache.get((index, is_cursor))
        if cached is not None:
            return cached
        row = self._view[index]
        base = self.rich_style + _style(row.style)
        if is_cursor:
            base = base + self.get_component_rich_style("virtual-table--cursor")
        segments: list[Segment] = []
        for col, cell in zip(self.columns, self.cells(row), strict=False):
            text, extra = (cell, "") if isinstance(cell, str) else cell
            style = base + _style(extra) if extra and not is_cursor else base
            if extra and is_cursor:  # keep the colour's meaning readable under the cursor
                style = base + Style(bold=True)
            segments.append(Segment(_fit(text, col.width, col.align), style))
            segments.append(Segment(" ", base))
        strip = Strip(segments, self._width)
        if len(self._cache) > 2000:
            self._cache.clear()
        self._cache[(index, is_cursor)] = strip
        return strip

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        scroll_x = int(self.scroll_x)
        if y == 0:
            strip = self._header()
        else:
            index = int(self.scroll_y) + y - 1
            if not self._view and y == 1:
                style = self.get_component_rich_style("virtual-table--empty")
                strip = Strip([Segment(" " + self.empty_text, style)])
            elif index >= len(self._view):
                return Strip.blank(width, self.rich_style)
            else:
                strip = self._line(index, index == self.cursor)
        return strip.crop_extend(scroll_x, scroll_x + width, self.rich_style)

    def on_resize(self) -> None:
        self._cache.clear()
