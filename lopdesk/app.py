"""The lopdesk terminal app: one mode per main screen, global bindings, the palette providers,
Dutch system commands, the change poll and the one handler of worker errors.

`make_app(db)` is used by the CLI (bare `lopdesk`), the tests and the benchmark.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.command import CommandPalette
from textual.screen import ModalScreen, Screen

from lopdesk.config import Settings
from lopdesk.db import Database
from lopdesk.labels import KEY_NAME, SCREEN_TITLE, local_day
from lopdesk.labels import MODES as MODE_ORDER
from lopdesk.screens.area_index import AreaIndex
from lopdesk.screens.base import DataScreen, DbResults, db_work
from lopdesk.screens.help import HelpScreen
from lopdesk.screens.keys import Key, key_table, register
from lopdesk.screens.overview import OverviewScreen
from lopdesk.screens.typeahead import TypeAhead

# The number key of each main screen: 1-5 in the order of labels.MODES.
MODE_KEYS = {mode: str(i) for i, mode in enumerate(MODE_ORDER, 1)}
MODE_TOOLTIP = {
    "overview": "Gebied, scholen en niveaus met hun tellers en het LOP-bord",
    "deferred": "Eén lijn per uitgesteld of niet-gerealiseerd kind over het gebied",
    "capacity": "Verhogingen van de capaciteit en volzetverklaringen",
    "allocation": "Rondes van de aanmeldingsprocedure toewijzen en hun resultaten",
    "mediation": "Bemiddelingsdossiers en hun termijnen",
}



def _later(module: str, name: str) -> Callable[[], Any]:
    """What `module` defines as `name`, imported at the first call: the other main screens
    and the palette's providers load when first used, not before the first screen."""

    def load() -> Any:
        return getattr(importlib.import_module(module), name)

    return load


def _screen_later(module: str, name: str) -> Callable[[], Screen]:
    """A main screen (a mode's base) made at its first visit."""
    cls = _later(module, name)
    return lambda: cls()()


class LopdeskApp(TypeAhead, DbResults, App):
    TITLE = "lopdesk"
    # Messages at the top right, one line high: over the end of the title bar, never over
    # the detail or legend line, the summary, the keys or a form's fields and buttons.
    CSS = """
    ToastRack { dock: top; align: right top; margin-bottom: 0; }
    Toast { padding: 0 1; margin-top: 0; }
    """
    ENABLE_COMMAND_PALETTE = True
    COMMAND_PALETTE_DISPLAY = "^p"
    # Textual's own system commands are English: ours replace them (get_system_commands).
    COMMANDS = App.COMMANDS | {_later("lopdesk.screens.commands", name)
                               for name in ("ActionsProvider", "JumpProvider", "CasesProvider")}
    MODES = {
        "overview": OverviewScreen,
        "deferred": _screen_later("lopdesk.screens.deferred", "DeferredScreen"),
        "capacity": _screen_later("lopdesk.screens.capacity", "CapacityScreen"),
        "allocation": _screen_later("lopdesk.screens.allocation", "AllocationScreen"),
        "mediation": _screen_later("lopdesk.screens.mediation", "MediationScreen"),
    }
    DEFAULT_MODE = "overview"
    INDEX_DELAY = 0.5  # seconds after the first screen before the area index is read
    BINDINGS = [
        *[register(Key(key, "app", f"go.{mode}", f"go('{mode}')", SCREEN_TITLE[mode],
                       f"{MODE_TOOLTIP[mode]} (bovenaan)", hidden=mode not in MODE_ORDER[:3],
                       everywhere=True, group="Ga naar", verb=SCREEN_TITLE[mode]))
          for mode, key in MODE_KEYS.items()],
        # Our own palette binding (Textual would add one described in English), help,
        # reload and stop; the palette lists help and reload too (their `palette=`).
        *key_table("app", """
        ctrl+p              palette=command_palette     Palet
            | Elke actie, en springen naar school, niveau of kind | hidden, priority, display=^p
        f1,question_mark    help                        Help | Alle toetsen die hier werken
            | everywhere, palette=Help: sneltoetsen
        ctrl+r              reload                      Vernieuwen | Gegevens opnieuw inlezen
            | hidden, everywhere, palette=Systeem: vernieuwen
        ctrl+q              quit                        Stoppen | lopdesk afsluiten | priority
        """),
    ]

    def get_key_display(self, binding: Binding) -> str:
        """Keys as printed on the keyboard: Esc, Tab, F1 (Textual writes esc, tab, f1)."""
        modifiers, key = binding.parse_key()
        if binding.key_display or modifiers or key not in KEY_NAME:
            return super().get_key_display(binding)
        return KEY_NAME[key]

    def __init__(self, db: Database, *, poll_interval: float | None = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        super().__init__()
        self.db = db
        self.data_version: int = 0
        self.poll_interval = poll_interval or db.settings.poll_interval
        self.area = AreaIndex()  # read-only; replaced whole by the change poll
        self.area_loaded = False  # the first index is in (names shown from it are final)
        # "Now" for deadlines and what binds (WL-01, NGI-04): injectable, so that tests and
        # snapshots show the same screen on any day.
        self._clock = clock
        self._polling = False
        # Where the last document was saved: the next save proposes the same folder.
        self.document_folder: str | None = None
        self.theme = "textual-dark"

    def now(self) -> datetime:
        """The injected clock, else the database's (a demo's training clock, lopdesk.clock)."""
        return self._clock() if self._clock is not None else self.db.now()

    def today(self) -> date:
        """Today in Brussels: the day a LOP means by "vandaag" (defaults, deadlines)."""
        return local_day(self.now())

    @property
    def training_label(self) -> str | None:
        """"oefenomgeving · <date>" on a demo database's training clock, else None."""
        if self.db.training is None:
            return None
        from lopdesk.labels import fmt_date

        return f"oefenomgeving · {fmt_date(self.now())}"

    def on_command_palette_closed(self, event: CommandPalette.Closed) -> None:
        self.palette_closed()

    # -- start ------------------------------------------------------------------------

    def on_mount(self) -> None:
        label = self.training_label
        if label is not None:
            self.title = f"lopdesk · {label}"
        self.set_interval(self.poll_interval, self._poll)
        self.run_worker(self._first_version, thread=True, group="poll", exit_on_error=False)
        # The index after the first screen is drawn: its read would compete with the
        # first screen's load for the interpreter.
        self.set_timer(self.INDEX_DELAY, self.refresh_area)

    def refresh_area(self) -> None:
        """Read the area index again (off the UI thread); the old one stays until then."""
        from lopdesk.domain.counters import area_counters

        db_work(self, area_counters, on_done=self._area_loaded, on_error=self._area_failed,
                group="index", exclusive=True)

    def _area_failed(self, _error: BaseException) -> None:
        self.area_loaded = True  # the screens show ids instead; the next change retries

    def _area_loaded(self, levels: list) -> None:
        self.area = AreaIndex.of(levels)
        self.area_loaded = True
        for screen in self.screen_stack:  # names shown from the index can be filled in now
            refreshed = getattr(screen, "area_refreshed", None)
            if refreshed is not None:
                refreshed()

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
        self.refresh_area()
        screen = self.screen
        if isinstance(screen, ModalScreen):
            return  # the screen below reloads when the dialog closes (on_screen_resume)
        if isinstance(screen, DataScreen):
            screen.data_changed()

    def action_reload(self) -> None:
        screen = self.screen
        if isinstance(screen, DataScreen):
            screen.reload()

    # -- navigation: number keys go to the top of a main screen ------------------------

    async def action_go(self, mode: str) -> None:
        """Show main screen `mode` at its top: the screens opened on top of it in that mode
        (a register, a case, a child's file) are closed."""
        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)
        if mode != self.current_mode:
            await self.switch_mode(mode)
        while len(self.screen_stack) > 1:
            await self.pop_screen()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "go" and isinstance(self.screen, ModalScreen) \
                and not isinstance(self.screen, HelpScreen):
            return False  # a dialog being filled in is never left by a number key
        return True

    # -- errors (one place) -----------------------------------------------------------

    def report_error(self, exc: BaseException) -> None:
        """The app's one error place: a refusal's message as a sentence (lopdesk.errors)."""
        from lopdesk.errors import Conflict, DomainError, PermissionDenied, sentence
        from lopdesk.parse import ParseError

        if not isinstance(exc, DomainError):
            self.notify(f"{type(exc).__name__}: {exc}", title="Onverwachte fout",
                        severity="error", timeout=10)
            return
        text = sentence(exc.message)
        if isinstance(exc, Conflict):
            self.notify(text, title="Conflict: intussen gewijzigd", severity="warning",
                        timeout=10)
            screen = self.screen
            if isinstance(screen, DataScreen):
                screen.reload()
        elif isinstance(exc, PermissionDenied):
            self.notify(text, title="Geen toegang", severity="error", timeout=8)
        elif isinstance(exc, ParseError):
            self.notify(text, title="Ongeldige invoer", severity="error", timeout=10)
        else:
            title = f"Geweigerd ({exc.rule})" if exc.rule else "Geweigerd"
            self.notify(text, title=title, severity="error", timeout=10)

    # -- help, palette, system commands --------------------------------------------------

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def action_command_palette(self) -> None:
        if self.use_command_palette and not CommandPalette.is_open(self):
            from lopdesk.screens.commands import DutchPalette

            self.push_screen(DutchPalette(
                placeholder="Zoek een actie, school, niveau of kind…", id="--command-palette"))

    def action_help_quit(self) -> None:
        """Ctrl+C copies (in a field); whoever meant to stop is told how, in Dutch."""
        self.notify("Stoppen doet u met Ctrl+Q.", title="lopdesk afsluiten?")

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Textual's English system commands (Keys, Quit, Screenshot, Theme, ...) are
        replaced by these; the actions of the screen come from ActionsProvider."""
        yield SystemCommand("Systeem: stoppen", "lopdesk afsluiten (Ctrl+Q)", self.action_quit,
                            discover=False)  # found by typing, not listed first


def make_app(db: Database | Settings, **kwargs: Any) -> LopdeskApp:
    """The app on a database (or on settings, for which a database is opened)."""
    if isinstance(db, Settings):
        db = Database(db)
    return LopdeskApp(db, **kwargs)
