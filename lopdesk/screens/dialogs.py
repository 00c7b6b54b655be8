"""Typed dialogs: confirm (bool), a small form (dict | None), a list to pick from, a text view.

Every dialog closes with Escape (cancel) and confirms from the keyboard alone.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from lopdesk.screens.widgets.table import Column, Row, VirtualTable

DIALOG_CSS = """
.dialog { width: 76; max-width: 100%; height: auto; max-height: 100%;
          border: thick $accent; background: $surface; padding: 0 1; }
.dialog > .title { text-style: bold; width: 100%; background: $accent 30%; }
.dialog .body { height: auto; max-height: 14; }
.dialog .buttons { height: 3; align-horizontal: right; }
.dialog Button { margin-left: 1; min-width: 10; }
.dialog Input, .dialog Select { width: 100%; }
.dialog .field-label { margin-top: 0; color: $text-muted; }
.dialog .hint { color: $text-muted; }
.dialog VirtualTable { height: 14; }
"""


class ConfirmDialog(ModalScreen[bool]):
    """A question with a preview of what will happen; Enter/j confirms, Escape/n cancels."""

    BINDINGS = [
        Binding("escape,n", "answer(False)", "Annuleren"),
        Binding("j,y", "answer(True)", "Ja, uitvoeren"),
    ]
    DEFAULT_CSS = "ConfirmDialog { align: center middle; }" + DIALOG_CSS

    def __init__(self, title: str, body: str, *, yes: str = "Uitvoeren", no: str = "Annuleren",
                 danger: bool = False) -> None:
        super().__init__()
        self.body = body  # the text shown (public: what the user reads)
        self._title, self._yes, self._no = title, yes, no
        self._danger = danger

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self._title, classes="title")
            with VerticalScroll(classes="body"):
                yield Static(self.body, markup=False)
            with Horizontal(classes="buttons"):
                yield Button(self._no, id="no")
                yield Button(self._yes, id="yes", variant="error" if self._danger
                             else "primary")

    def on_mount(self) -> None:
        self.query_one("#yes", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)


class TextDialog(ModalScreen[None]):
    """Read-only text (history, explanations); Escape or Enter closes."""

    BINDINGS = [Binding("escape,enter,q", "close", "Sluiten")]
    DEFAULT_CSS = "TextDialog { align: center middle; }" + DIALOG_CSS + \
        "TextDialog .body { max-height: 20; }"

    def __init__(self, title: str, body: str) -> None:
        super().__init__()
        self.body = body  # the text shown (public: what the user reads)
        self._title = title

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self._title, classes="title")
            with VerticalScroll(classes="body", id="text-body"):
                yield Static(self.body, markup=False)
            yield Label("Enter of Esc: sluiten", classes="hint")

    def on_mount(self) -> None:
        self.query_one("#text-body").focus()

    def action_close(self) -> None:
        self.dismiss(None)


@dataclass
class FormField:
    key: str
    label: str
    kind: str = "text"  # text | select | check
    value: Any = ""
    options: Sequence[tuple[str, Any]] = field(default_factory=list)
    placeholder: str = ""
    required: bool = False


class FormDialog(ModalScreen[dict | None]):
    """A few fields; Enter in the last field or Ctrl+S submits, Escape cancels.

    Values are returned as typed in; the caller's domain service validates them and its
    Dutch message comes back as a notification (the input is kept for a retry).
    """

    BINDINGS = [
        Binding("escape", "cancel", "Annuleren"),
        Binding("ctrl+s", "submit", "Bewaren"),
    ]
    DEFAULT_CSS = "FormDialog { align: center middle; }" + DIALOG_CSS

    def __init__(self, title: str, fields: Sequence[FormField], *, intro: str = "",
                 submit: str = "Bewaren") -> None:
        super().__init__()
        self._title, self._fields, self._intro, self._submit = title, list(fields), intro, submit

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self._title, classes="title")
            with VerticalScroll(classes="body"):
                if self._intro:
                    yield Static(self._intro, markup=False)
                for f in self._fields:
                    if f.kind == "check":
                        yield Checkbox(f.label, bool(f.value), id=f"f-{f.key}")
                        continue
                    yield Label(f.label + (" *" if f.required else ""), classes="field-label")
                    if f.kind == "select":
                        yield Select(list(f.options), value=f.value if f.value is not None
                                     else Select.NULL, allow_blank=not f.required,
                                     id=f"f-{f.key}", prompt="(kies)")
                    else:
                        yield Input(str(f.value or ""), placeholder=f.placeholder,
                                    id=f"f-{f.key}")
            yield Label("Ctrl+S of Enter in het laatste veld: bewaren · Esc: annuleren",
                        classes="hint")
            with Horizontal(classes="buttons"):
                yield Button("Annuleren", id="cancel")
                yield Button(self._submit, id="submit", variant="primary")

    def on_mount(self) -> None:
        if self._fields:
            self.query_one(f"#f-{self._fields[0].key}").focus()

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in self._fields:
            widget = self.query_one(f"#f-{f.key}")
            if isinstance(widget, Input):
                out[f.key] = widget.value.strip()
            elif isinstance(widget, Select):
                out[f.key] = None if widget.value is Select.NULL else widget.value
            elif isinstance(widget, Checkbox):
                out[f.key] = widget.value
        return out

    def on_input_submitted(self, event: Input.Submitted) -> None:
        inputs = list(self.query(Input))
        if inputs and event.input is inputs[-1]:
            self.action_submit()
        else:
            self.focus_next()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "submit":
            self.action_submit()
        else:
            self.action_cancel()

    def action_submit(self) -> None:
        values = self.values()
        for f in self._fields:
            if f.required and values.get(f.key) in ("", None):
                self.notify(f"'{f.label}' is verplicht.", severity="warning")
                self.query_one(f"#f-{f.key}").focus()
                return
        self.dismiss(values)

    def action_cancel(self) -> None:
        self.dismiss(None)


class PickDialog(ModalScreen[Hashable | None]):
    """Pick one row of a list (Enter), with a filter; Escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Annuleren")]
    DEFAULT_CSS = "PickDialog { align: center middle; }" + DIALOG_CSS

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
