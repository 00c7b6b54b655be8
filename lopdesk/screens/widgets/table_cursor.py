"""The cursor of a VirtualTable: the rows' lines, moving by a line, a page or to an end, and
the click that places it (mixed into VirtualTable, which owns the `cursor` reactive)."""

from __future__ import annotations

from bisect import bisect_right
from typing import Any

from textual.events import Click


class CursorMoves:
    """Mixed into VirtualTable: `self` is the table (cursor, rows, sizes, scrolling)."""

    cursor: int
    _tops: list[int] | None
    _view: Any
    _header_h: int

    @property
    def body_height(self) -> int:
        """Lines for rows: the region less the header and the detail lines."""
        return max(1, self.scrollable_content_region.height - self._header_h
                   - len(self._detail_lines()))

    def _scroll_cursor_visible(self) -> None:
        body = self.body_height
        top = int(self.scroll_y)
        first, end = self._top(self.cursor), self._top(self.cursor + 1)
        # force: before its scrollbar is shown (rows just set), Textual would ignore it
        if first < top:
            self.scroll_to(y=first, animate=False, immediate=True, force=True)
        elif end > top + body:
            y = self._whole_rows_from(max(0, min(first, end - body)), first)
            self.scroll_to(y=y, animate=False, immediate=True, force=True)

    def _whole_rows_from(self, y: int, limit: int) -> int:
        """`y`, or the start of the next row when `y` falls inside a row of several lines
        (the view never begins with the rest of a row), but not beyond line `limit`."""
        index, sub = self._row_at(y)
        return min(self._top(index + 1), limit) if sub else y

    def _top(self, index: int) -> int:
        """The first line of row `index` (of the line after the rows for len(rows))."""
        if self._tops is None:
            return index
        return self._tops[max(0, min(index, len(self._tops) - 1))]

    def _row_at(self, line: int) -> tuple[int, int]:
        """The row drawn on body line `line`, and which of its lines it is."""
        if self._tops is None:
            return line, 0
        index = bisect_right(self._tops, line) - 1
        return index, line - self._tops[max(0, index)]

    def action_cursor(self, delta: int) -> None:
        self.cursor += delta

    def action_page(self, direction: int) -> None:
        """A page down (up): the cursor and the view move together by the lines of a page,
        so the cursor keeps its place on the screen, as in a pager (the view never moves
        by just the line the cursor passed its edge with)."""
        body = self.body_height
        top = int(self.scroll_y)
        first = self._top(self.cursor)
        on_screen = max(0, min(first - top, body - 1))
        last = max(0, self._top(len(self._view)) - 1)
        self.cursor = self._row_at(max(0, min(first + direction * body, last)))[0]
        first = self._top(self.cursor)
        self.scroll_to(y=self._whole_rows_from(max(0, first - on_screen), first),
                       animate=False, immediate=True)

    def action_jump(self, where: int) -> None:
        self.cursor = 0 if where == 0 else len(self._view) - 1

    def action_select(self) -> None:
        if self.current is not None:
            self.post_message(self.Selected(self, self.current))

    def on_click(self, event: Click) -> None:
        y = event.y
        if self._header_h <= y < self._header_h + self.body_height:
            index = self._row_at(int(self.scroll_y) + y - self._header_h)[0]
            if index >= len(self._view):
                return
            self.cursor = index
            if event.chain >= 2:
                self.action_select()
