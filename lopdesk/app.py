"""The lopdesk terminal app: one mode per main screen, global bindings, the palette providers,
Dutch system commands, the change poll and the one handler of worker errors.

`make_app(db)` is used by the CLI (bare `lopdesk`), the tests and the benchmark.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.command import CommandPalette
from textual.screen import ModalScreen, Screen

from lopdesk.config import Settings
from lopdesk.db import Database
from lopdesk.screens.allocation import AllocationScreen
from lopdesk.screens.base import DataScreen
from lopdesk.screens.capacity import CapacityScreen
from lopdesk.screens.commands import ActionsProvider, CasesProvider, JumpProvider
from lopdesk.screens.deferred import DeferredScreen
from lopdesk.screens.help import HelpScreen
from lopdesk.screens.mediation import MediationScreen
from lopdesk.screens.overview import OverviewScreen


class LopdeskApp(App):
    TITLE = "lopdesk"
    ENABLE_COMMAND_PALETTE = True
    COMMAND_PALETTE_DISPLAY = "^p"
    COMMANDS = App.COMMANDS | {ActionsProvider, JumpProvider, CasesProvider}
    MODES = {
        "overzicht": OverviewScreen,
        "uitgesteld": DeferredScreen,
        "capaciteit": CapacityScreen,
        "allocatie": AllocationScreen,
        "bemiddeling": MediationScreen,
    }
    DEFAULT_MODE = "overzicht"
    BINDINGS = [
        Binding("1", "switch_mode('overzicht')", "Overzicht", id="go.overzicht"),
        Binding("2", "switch_mode('uitgesteld')", "Uitgesteld", id="go.uitgesteld"),
        Binding("3", "switch_mode('capaciteit')", "Capaciteit", id="go.capaciteit"),
        Binding("4", "switch_mode('allocatie')", "Allocatie", id="go.allocatie", show=False),
        Binding("5", "switch_mode('bemiddeling')", "Bemiddeling", id="go.bemiddeling",
                show=False),
        Binding("f1,question_mark", "help", "Help", id="app.help"),
        Binding("ctrl+r", "reload", "Vernieuwen", id="app.reload", show=False),
        Binding("ctrl+q", "quit", "Stoppen", id="app.quit", priority=True),
    ]

    def __init__(self, db: Database, *, poll_interval: float | None = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        super().__init__()
        self.db = db
        self.data_version: int = 0
        self.poll_interval = poll_interval or db.settings.poll_interval
        self.counters: list[Any] = []  # LevelCounters of the area, for the palette
        # "Now" for deadlines and what binds (WL-01, NGI-04): injectable, so that tests and
        # snapshots show the same screen on any day.
        self._clock = clock
        self._polling = False
        self.theme = "textual-dark"

    def now(self) -> datetime:
        """The injected clock, else the database's (a demo's training clock, lopdesk.clock)."""
        return self._clock() if self._clock is not None else self.db.now()

    @property
    def training_label(self) -> str | None:
        """"oefenomgeving · <date>" on a demo database's training clock, else None."""
        if self.db.training is None:
            return None
        from lopdesk.labels import fmt_date

        return f"oefenomgeving · {fmt_date(self.now())}"

    # -- start ------------------------------------------------------------------------

    def on_mount(self) -> None:
        label = self.training_label
        if label is not None:
            self.title = f"lopdesk · {label}"
        self.set_interval(self.poll_interval, self._poll)
        self.run_worker(self._first_version, thread=True, group="poll", exit_on_error=False)

    def _first_version(self) -> None:
        try:
            self.data_version = self.db.data_version()
        except Exception:  # a missing audit head only means: nothing written yet
            self.data_version = 0

    # -- change poll (another user's commit shows within ~1 s) --------------------------

    def _poll(self) -> None:
        if self._polling:  # never overlap polls
            return
        self._polling = True
        self.run_worker(self._poll_job, thread=True, group="poll", exit_on_error=False)

    def _poll_job(self) -> None:
        try:
            version = self.db.data_version()
        except Exception:
            version = None
        finally:
            self._polling = False
        if version is not None and version != self.data_version:
            self.call_from_thread(self._changed, version)

    def _changed(self, version: int) -> None:
        self.data_version = version
        screen = self.screen
        if isinstance(screen, ModalScreen):
            return  # the screen below reloads when the dialog closes (on_screen_resume)
        if isinstance(screen, DataScreen):
            screen.data_changed()

    def action_reload(self) -> None:
        screen = self.screen
        if isinstance(screen, DataScreen):
            screen.reload()

    # -- errors (one place) -----------------------------------------------------------

    def report_error(self, exc: BaseException) -> None:
        from lopdesk.errors import Conflict, DomainError, PermissionDenied
        from lopdesk.parse import ParseError

        if isinstance(exc, Conflict):
            self.notify(exc.message, title="Conflict: intussen gewijzigd", severity="warning",
                        timeout=10)
            screen = self.screen
            if isinstance(screen, DataScreen):
                screen.reload()
        elif isinstance(exc, PermissionDenied):
            self.notify(exc.message, title="Geen toegang", severity="error", timeout=8)
        elif isinstance(exc, ParseError):
            self.notify(exc.message, title="Ongeldige invoer", severity="error", timeout=10)
        elif isinstance(exc, DomainError):
            title = f"Geweigerd ({exc.rule})" if exc.rule else "Geweigerd"
            self.notify(exc.message, title=title, severity="error", timeout=10)
        else:
            self.notify(f"{type(exc).__name__}: {exc}", title="Onverwachte fout",
                        severity="error", timeout=10)

    # -- help, palette, system commands --------------------------------------------------

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def action_command_palette(self) -> None:
        if self.use_command_palette and not CommandPalette.is_open(self):
            self.push_screen(CommandPalette(
                placeholder="Zoek een actie, school, niveau of kind…", id="--command-palette"))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield SystemCommand("Systeem: thema wijzigen", "Kies een ander kleurenthema",
                            self.action_change_theme)
        yield SystemCommand("Systeem: schermafdruk", "Bewaar een SVG-afbeelding van het scherm",
                            lambda: self.set_timer(0.1, self.deliver_screenshot))
        yield SystemCommand("Systeem: stoppen", "lopdesk afsluiten", self.action_quit)


def make_app(db: Database | Settings, **kwargs: Any) -> LopdeskApp:
    """The app on a database (or on settings, for which a database is opened)."""
    if isinstance(db, Settings):
        db = Database(db)
    return LopdeskApp(db, **kwargs)
