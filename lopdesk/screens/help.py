"""Help: every key of the current screen and of the app, from the same bindings as the footer."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Label, Static

from lopdesk.screens.dialogs import DIALOG_CSS

GENERAL = """Algemeen
  Ctrl+P      opdrachtenpalet: elke actie, en springen naar school, niveau of kind
  1 2 3 4     Overzicht · Uitgesteld/NGI · Capaciteit · Allocatie
  ↑↓ PgUp PgDn Home End   bladeren in een tabel (ook j/k)
  Enter       openen · Esc  terug of annuleren · Tab  volgend veld
  F1 of ?     deze hulp · Ctrl+R vernieuwen · Ctrl+Q stoppen

Wat een collega wijzigt verschijnt binnen 2 seconden. Wijzigde iemand hetzelfde
record eerst, dan krijgt u een melding 'Conflict' en blijft uw invoer bewaard.
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,f1,question_mark", "close", "Sluiten")]
    DEFAULT_CSS = "HelpScreen { align: center middle; }" + DIALOG_CSS + \
        "HelpScreen .body { max-height: 20; }"

    def __init__(self, under: Screen) -> None:
        super().__init__()
        self._under = under

    def compose(self) -> ComposeResult:
        lines = [GENERAL, f"Toetsen op dit scherm ({self._under.__class__.__name__[:-6]})"]
        seen = set()
        for _key, active in self._under.active_bindings.items():
            b = active.binding
            if not b.description or (b.action, b.description) in seen:
                continue
            seen.add((b.action, b.description))
            shown = self.app.get_key_display(b)
            lines.append(f"  {shown:<11} {b.description}")
        with Vertical(classes="dialog"):
            yield Label("Help — sneltoetsen", classes="title")
            with VerticalScroll(classes="body", id="help-body"):
                yield Static("\n".join(lines), markup=False)
            yield Label("Esc: sluiten", classes="hint")

    def on_mount(self) -> None:
        self.query_one("#help-body").focus()

    def action_close(self) -> None:
        self.dismiss(None)
