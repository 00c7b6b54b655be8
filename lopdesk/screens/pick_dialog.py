"""A dialog that picks one row of a list, with a filter line."""

from __future__ import annotations

from collections.abc import Hashable, Sequence

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from lopdesk.screens.dialogs import DIALOG_CSS
from lopdesk.screens.keys import key_table
from lopdesk.screens.widgets.table import Column, Row, VirtualTable


class PickDialog(ModalScreen[Hashable | None]):
    """Pick one row of a list (Enter), with a filter; Escape cancels."""

    BINDINGS = key_table("pick", "escape  cancel  Annuleren | Niets kiezen en terug")
    DEFAULT_CSS = "PickDialog { align: center middle; }" + DIALOG_CSS
    AUTO_FOCUS = "VirtualTable"

    def __init__(self, title: str, columns: Sequence[Column], rows: list[Row], *,
                 intro: str = "") -> None:
        super().__init__()
        self._title, self._columns, self._rows, self._intro = title, columns, rows, intro

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self._title, classes="title")
            if self._intro:
                yield Static(self._intro, markup=False)
            yield Input(placeholder="filter…", id="pick-filter")
            yield VirtualTable(self._columns, id="pick-table")
            yield Label("Enter: kiezen · ↑↓: bladeren · Esc: annuleren", classes="hint")

    def on_mount(self) -> None:
        self.query_one("#pick-filter", Input).cursor_blink = False
        table = self.query_one(VirtualTable)
        table.set_rows(self._rows)
        table.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        table = self.query_one(VirtualTable)
        table.set_filter(table.text_filter(event.value))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.query_one(VirtualTable).focus()

    def on_virtual_table_selected(self, event: VirtualTable.Selected) -> None:
        self.dismiss(event.row.key)

    def action_cancel(self) -> None:
        self.dismiss(None)
