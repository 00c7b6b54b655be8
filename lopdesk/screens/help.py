"""Help: every key that works where you are — the app's keys (1-5, palette, help, stop) and
the keys of the current screen that its state allows now — from the same bindings as the
footer and the palette, with the screen's Dutch title (never a class name)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen, Screen

from lopdesk import labels
from lopdesk.labels import SCREEN_TITLE
from lopdesk.screens.dialogs import DIALOG_CSS
from lopdesk.screens.keys import key_names, key_table
from lopdesk.screens.simple_dialogs import text_frame

GENERAL = """Bladeren
  ↑↓ PgUp PgDn Home End   in een tabel (ook j/k)
  Enter       openen · Esc  één stap terug of annuleren · Tab  volgend veld

Wat een collega wijzigt verschijnt binnen 2 seconden.
Wijzigde iemand dezelfde gegevens eerst, dan krijgt u een melding
'Conflict' en blijft uw invoer bewaard.
"""


def key_lines(screen: Screen, bindings: list[Binding], allowed) -> list[str]:
    """One line per binding with a description and an id (Textual's own English bindings
    have none), keys of one action together."""
    lines: list[str] = []
    seen: set[tuple[str, str]] = set()
    for b in bindings:
        if not b.description or not b.id or (b.action, b.description) in seen:
            continue
        if not allowed(b):
            continue
        seen.add((b.action, b.description))
        shown = key_display(screen, b)
        lines.append(f"  {shown:<11} {b.description}")
    return lines


def key_display(screen: Screen, binding: Binding) -> str:
    return key_names(screen.app, binding)


def where(screen: Screen) -> str:
    """The breadcrumb of a lopdesk screen, else its title from labels."""
    crumb = getattr(screen, "breadcrumb", None)
    if callable(crumb):
        return crumb()
    return SCREEN_TITLE.get(getattr(screen, "SCREEN_ID", ""), "")


class HelpScreen(ModalScreen[None]):
    BINDINGS = key_table("help", "escape,q,f1,question_mark close Sluiten | Terug naar het scherm")
    # opaque: the screen under it is not drawn beside the pop-up (text cut at its edges
    # would read as cut words); the title line names that screen
    DEFAULT_CSS = "HelpScreen { align: center middle; background: $background; }" + \
        DIALOG_CSS + \
        "HelpScreen .body { max-height: 20; }"
    AUTO_FOCUS = "#help-body"

    def __init__(self, under: Screen) -> None:
        super().__init__()
        self._under = under

    def text(self) -> str:
        under = self._under
        lines = ["Overal", *key_lines(under, list(self.app.BINDINGS), lambda b: True), ""]
        title = where(under)
        lines.append(f"Op dit scherm ({title})" if title else "Op dit scherm")
        mine = key_lines(under, list(type(under).BINDINGS),
                         lambda b: under.check_action(b.action.split("(")[0], ()) is True)
        lines.extend(mine or ["  (geen eigen toetsen)"])
        later = key_lines(under, list(type(under).BINDINGS),
                          lambda b: under.check_action(b.action.split("(")[0], ()) is not True)
        if later:  # shown so they can be learnt, apart: they would be refused now
            lines += ["", "Nu niet mogelijk (niets gekozen, of de toestand laat het niet toe)",
                      *later]
        # every title and mark of the screen's tables (the one table in labels.py)
        legend = labels.legend(getattr(under, "SCREEN_ID", "")) or getattr(under, "LEGEND", ())
        if legend:
            lines += ["", "Tekens in de tabel", *[f"  {part}" for part in legend]]
        return "\n".join([*lines, "", GENERAL])

    def compose(self) -> ComposeResult:
        yield from text_frame("Help — sneltoetsen", self.text(), "help-body", "Esc: sluiten")

    def on_mount(self) -> None:
        self.query_one("#help-body").focus()

    def action_close(self) -> None:
        self.dismiss(None)
