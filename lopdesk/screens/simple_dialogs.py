"""The small dialogs: a question with a preview (ConfirmDialog) and a read-only text
(TextDialog); their frame (DIALOG_CSS) is shared by every dialog."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from lopdesk.screens.keys import key_table

DIALOG_CSS = """
.dialog { width: 76; max-width: 100%; height: auto; max-height: 100%;
          border: thick $accent; background: $surface; padding: 0 1; }
.dialog > .title { text-style: bold; width: 100%; background: $accent 30%; }
.dialog .body { height: auto; max-height: 14; }
.dialog .buttons { height: 3; align-horizontal: right; }
.dialog Button { margin-left: 1; min-width: 10; }
.dialog Input, .dialog Select { width: 100%; }
.dialog .field-label { margin-top: 0; color: $text-muted; width: 100%; }
.dialog .hint { color: $text-muted; width: 100%; }
.dialog VirtualTable { height: 14; }
"""


class ConfirmDialog(ModalScreen[bool]):
    """A question with a preview of what will happen; Enter/j confirms, Escape/n cancels."""

    BINDINGS = key_table("confirm", """
    escape,n    no=answer(False)    Annuleren | Niets doen en terug
    j,y         yes=answer(True)    Ja, uitvoeren | Uitvoeren wat hierboven staat
    """)
    DEFAULT_CSS = "ConfirmDialog { align: center middle; }" + DIALOG_CSS
    AUTO_FOCUS = "#yes"  # focused while composed: Enter typed at once confirms

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


class TextDialog(ModalScreen[str | None]):
    """Read-only text (history, explanations); Escape or Enter closes. `keys`: the keys of
    the screen below that the text names ("g: goedkeuren"): such a key closes the dialog
    with its action's name, which the caller runs (as the key does on the list)."""

    BINDINGS = key_table("text", "escape,enter,q  close  Sluiten | Terug naar het scherm")
    DEFAULT_CSS = "TextDialog { align: center middle; }" + DIALOG_CSS + \
        "TextDialog .body { max-height: 20; }"
    AUTO_FOCUS = "#text-body"

    def __init__(self, title: str, body: str, keys: dict[str, str] | None = None) -> None:
        super().__init__()
        self.body = body  # the text (public: what the user reads, as the CLI prints it)
        self._title = title
        self.keys = keys or {}  # key -> action of the screen below

    def shown(self) -> str:
        """The body under the title bar, without a first line that repeats the title (a
        shared text such as the ALC-06 explanation opens with it)."""
        head, _, rest = self.body.partition("\n")
        return rest.lstrip("\n") if head.strip() == self._title.strip() else self.body

    def compose(self) -> ComposeResult:
        yield from text_frame(self._title, self.shown(), "text-body", "Enter of Esc: sluiten")

    def on_mount(self) -> None:
        self.query_one("#text-body").focus()

    def action_close(self) -> None:
        self.dismiss(None)

    def on_key(self, event: events.Key) -> None:
        action = self.keys.get(event.key)
        if action is not None:
            event.stop()
            self.dismiss(action)


def text_frame(title: str, text: str, body_id: str, hint: str) -> ComposeResult:
    """A dialog of read-only text: its title bar, the text in a scrolling body, the hint."""
    with Vertical(classes="dialog"):
        yield Label(title, classes="title")
        with VerticalScroll(classes="body", id=body_id):
            yield Static(text, markup=False)
        yield Label(hint, classes="hint")
