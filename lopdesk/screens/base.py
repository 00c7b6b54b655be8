"""What every screen shares: the one worker helper for database work, typed messages for
what a load brought, the breadcrumb in the title, and refresh on change.

No screen touches the database on the UI thread: `db_work` runs a domain service in a thread
worker and posts the result back as a typed message (`DbDone`) to the node that asked, whose
handler runs the callback on the UI thread; any error goes to the app's one error handler (a
Dutch notification, Conflict as a warning). Screens, dialogs and the palette all use it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import ComposeResult, ScreenStackError
from textual.dom import DOMNode
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, Static
from textual.worker import Worker, get_current_worker

from lopdesk import clock as clocks
from lopdesk.labels import SCREEN_TITLE
from lopdesk.screens.dialogs import FormDialog, FormField
from lopdesk.screens.form_save import SavingForm
from lopdesk.screens.keys import key_of, key_table
from lopdesk.screens.widgets.footer import KeyFooter
from lopdesk.screens.widgets.table import Column, VirtualTable

if TYPE_CHECKING:
    from lopdesk.app import LopdeskApp


class DbDone(Message):
    """A database call finished: `what` is the service's name, `result` what it returned."""

    def __init__(self, what: str, result: Any, callback: Callable[[Any], None] | None) -> None:
        super().__init__()
        self.what = what
        self.result = result
        self.callback = callback


class DbFailed(Message):
    """A database call failed; the app reports it, the node may react (`on_error`)."""

    def __init__(self, what: str, error: BaseException,
                 callback: Callable[[BaseException], None] | None, *,
                 report: bool = True) -> None:
        super().__init__()
        self.what = what
        self.error = error
        self.callback = callback
        self.report = report  # False: the callback shows it (a form that stays open)


def db_work(node: DOMNode, fn: Callable[..., Any], *args: Any,
            on_done: Callable[[Any], None] | None = None,
            on_error: Callable[[BaseException], None] | None = None,
            group: str = "db", exclusive: bool = False, **kwargs: Any) -> Worker:
    """Run `fn(db, *args, **kwargs)` in a thread worker of `node` (a screen, or the app for
    work that outlives a dialog). The result comes back as `DbDone`, an error as `DbFailed`;
    nothing is delivered once the worker is cancelled (an exclusive newer load replaced it)."""
    app: Any = node.app
    what = getattr(fn, "__name__", "db")
    target = node
    form = SavingForm.saving
    if form is not None:  # a form's save started it: the form stays open until it ends
        form.wait_for_call()
        on_done, on_error = form.tie(on_done, on_error)

    def job() -> None:
        worker = get_current_worker()
        try:
            # The app's clock (a demo's training clock, a test's) for the whole call: a
            # domain default such as `at or utcnow()` is taken before any session opens.
            with clocks.using(app.now):
                result = fn(app.db, *args, **kwargs)
        except Exception as exc:  # every error ends in one place (app.report_error)
            if not worker.is_cancelled:
                app.call_from_thread(_deliver, target, DbFailed(what, exc, on_error,
                                                                report=form is None))
            return
        if not worker.is_cancelled:
            app.call_from_thread(_deliver, target, DbDone(what, result, on_done))

    return node.run_worker(job, thread=True, group=group, exclusive=exclusive,
                           exit_on_error=False, description=what)


def db_then_dialog(node: DOMNode, fn: Callable[..., Any], *args: Any,
                   on_done: Callable[[Any], None], **kwargs: Any) -> Worker:
    """`db_work` for a read whose result opens a dialog: the keys typed meanwhile wait for
    that dialog (typeahead.TypeAhead) instead of reaching the screen below it."""
    app: Any = node.app
    expect = getattr(app, "expect_dialog", None)
    settled = getattr(app, "dialog_settled", lambda: None)
    if expect is not None:
        expect()

    def done(result: Any) -> None:
        try:
            on_done(result)
        finally:
            settled()

    return db_work(node, fn, *args, on_done=done, on_error=lambda _e: settled(), **kwargs)


def _deliver(node: DOMNode, message: Message) -> None:
    """Hand a worker's message to its node; a screen already closed gets nothing, but an
    error is reported all the same."""
    if isinstance(message, DbFailed):
        if message.report:
            node.app.report_error(message.error)  # type: ignore[attr-defined]
        if message.callback is not None and _attached(node):
            message.callback(message.error)
        return
    if isinstance(message, DbDone) and message.callback is not None and _attached(node):
        node.post_message(message)


def _attached(node: DOMNode) -> bool:
    return node is node.app or bool(getattr(node, "is_attached", False))


def run_callback(event: DbDone) -> None:
    """Run the callback of a finished database call (the handler of `DbDone`)."""
    if event.callback is not None:
        event.callback(event.result)


def set_text(line: Static, text: str, display: bool | None = None) -> None:
    """Show `text` on a line (and show or hide it), leaving alone what is already so:
    Static.update and setting `display` each ask for a layout pass even when nothing
    changes."""
    if line.content != text:
        line.update(text)
    if display is not None and line.display != display:
        line.display = display


class DbResults:
    """Mixin for a node that uses `db_work`: runs the callbacks its finished calls carry."""

    def on_db_done(self, event: DbDone) -> None:
        event.stop()
        run_callback(event)
        try:
            self.refresh_bindings()  # what a key may do depends on what was loaded
        except ScreenStackError:  # a result that arrives while the app is closing
            pass


class DataScreen(DbResults, Screen):
    """A screen that loads its data with `reload()` and refreshes on every change.

    `SCREEN_ID` names it in code (binding ids `<screen>.<action>`, `labels.SCREEN_TITLE`);
    `crumb` is its step in the breadcrumb when it is opened on top of another screen.
    `KEYS` is its key table (screens/keys.py): the bindings, with their ids and tooltips,
    are made from it once, when the class is defined; a key marked `row` is refused
    without a row under the cursor, any other state rule is the screen's `allows`."""

    KEYS: ClassVar[str] = ""
    _needs_row: ClassVar[frozenset[str]] = frozenset()
    # Enter acts as it arrives (priority), so that the keys typed after it in one burst go
    # to what it opens: the row's screen or dialog, or the table after the search line.
    BINDINGS = key_table("screen", """
    enter   open=enter  Openen | De gekozen lijn openen | hidden, priority
    """)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        if "KEYS" in cls.__dict__:  # before Textual merges the bindings of the class
            cls.BINDINGS = key_table(cls.SCREEN_ID, cls.KEYS)
            keys = [key_of(b) for b in cls.BINDINGS]
            cls._needs_row = frozenset(k.action_name for k in keys if k and k.needs_row)
        super().__init_subclass__(**kwargs)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys the state refuses are not offered (footer, help, palette) and do nothing."""
        if action == "enter":  # else Enter goes to the focused widget
            return self._enter_target() is not None
        if action in self._needs_row:
            row = self.current_row()
            if row is None or row.data is None:  # none, or a line still being read
                return False
        return self.allows(action)

    def _enter_target(self) -> Callable[[], None] | None:
        focused = self.focused
        selected = getattr(self, "on_virtual_table_selected", None)
        if isinstance(focused, VirtualTable) and focused.current is not None and selected:
            return lambda: selected(VirtualTable.Selected(focused, focused.current))
        if isinstance(focused, Input) and focused.id == "search":
            return lambda: self.set_focus(self.query_one(VirtualTable))
        return None

    def action_enter(self) -> None:
        target = self._enter_target()
        if target is not None:
            target()

    def allows(self, action: str) -> bool:
        """The screen's own state rules for its keys (override)."""
        return True

    def current_row(self) -> Any:
        """The row under the cursor of the focused table (else of the first), or None."""
        if not self.is_mounted or not self.query(VirtualTable):
            return None
        focused = self.focused
        table = focused if isinstance(focused, VirtualTable) else self.query_one(VirtualTable)
        return table.current

    # The title bar(s) of every main screen: a title longer than the width wraps (never
    # cut), up to three lines.
    DEFAULT_CSS = """
    DataScreen #title, DataScreen .title {
        height: auto; max-height: 3; background: $primary 40%; text-style: bold;
    }
    DataScreen #training { dock: top; height: 1; background: $warning 40%; text-style: bold; }
    """

    SCREEN_ID: str = ""
    # The focus is set while the screen is composed, before its first key is handled
    # (a focus() in on_mount would wait a turn, and keys typed meanwhile go astray).
    AUTO_FOCUS = "VirtualTable"
    crumb: str = ""
    seen_version: int | None = None
    _audited: bool = False
    # "laden…" is on the title line until the screen names what it shows (or has loaded).
    _title_pending: bool = False

    @property
    def lapp(self) -> LopdeskApp:
        return self.app  # type: ignore[return-value]

    @property
    def screen_title(self) -> str:
        return SCREEN_TITLE.get(self.SCREEN_ID, "")

    def db_call(self, fn: Callable[..., Any], *args: Any,
                on_done: Callable[[Any], None] | None = None,
                on_error: Callable[[BaseException], None] | None = None,
                group: str = "db", exclusive: bool = False, **kwargs: Any) -> Worker:
        """Run `fn(db, *args, **kwargs)` off the UI thread; callbacks run on the UI thread."""
        return db_work(self, fn, *args, on_done=on_done, on_error=on_error, group=group,
                       exclusive=exclusive, **kwargs)

    def db_dialog(self, fn: Callable[..., Any], *args: Any, on_done: Callable[[Any], None],
                  **kwargs: Any) -> Worker:
        """`db_call` whose result opens a dialog: keys typed meanwhile wait for it."""
        return db_then_dialog(self, fn, *args, on_done=on_done, **kwargs)

    def on_virtual_table_highlighted(self, event: VirtualTable.Highlighted) -> None:
        self.refresh_bindings()  # keys that need a row under the cursor

    # -- where am I ---------------------------------------------------------------------

    def breadcrumb(self) -> str:
        """'Overzicht › BAO003 › leerjaar 1': the main screen of the mode, then the steps
        of the screens opened on top of it, up to this one."""
        stack = [s for s in self.app.screen_stack if isinstance(s, DataScreen)]
        if self not in stack:
            return self.crumb or self.screen_title
        parts = []
        for s in stack[: stack.index(self) + 1]:
            step = s.screen_title if s is stack[0] else (s.crumb or s.screen_title)
            if step:
                parts.append(step)
        return " › ".join(parts)

    def on_mount(self) -> None:
        """A demo database says so above every screen, with its training date; a screen
        opened on top shows its breadcrumb at once, before its data is in; then the data
        is read."""
        if not self.query("#training"):
            self.mount_all(self.compose_training())
        if self._on_top() and self.query("#title"):
            self.show_title("laden…")
            self._title_pending = True
        self.reload()

    def _on_top(self) -> bool:
        """Opened on top of another screen (it shows its breadcrumb)."""
        stack = self.app.screen_stack
        return self in stack and stack.index(self) > 0

    def compose_training(self) -> ComposeResult:
        """The line that says a demo database is shown (none for a real one)."""
        label = self.lapp.training_label
        if label is not None:
            yield Static(f" {label}", id="training")

    def title_line(self, text: str = "") -> str:
        """The title line: the breadcrumb, then what this screen shows."""
        line = " · ".join(p for p in (self.breadcrumb(), text) if p)
        return f" {line}"

    def show_title(self, text: str = "", selector: str = "#title") -> None:
        """The title line: the breadcrumb, then what this screen shows."""
        set_text(self.query_one(selector, Static), self.title_line(text))
        if selector == "#title":
            self._title_pending = False

    # -- refresh ----------------------------------------------------------------------

    def reload(self) -> None:
        """Load the screen's data again (override); called on mount and on every change."""

    def load(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Worker:
        """The screen's main read: `fn(db, *args, **kwargs)` off the UI thread into
        `self.loaded`; a newer load replaces one still running."""
        return self.db_call(fn, *args, on_done=self.loaded, group="load", exclusive=True,
                            **kwargs)

    def loaded(self, data: Any) -> None:
        """Show what `load` read (override)."""

    def load_audited(self, fn: Callable[..., Any], key: Any) -> Worker:
        """`load` of personal data: the first read is the audited opening (domain §10)."""
        return self.load(fn, key, at=self.lapp.now(), audit_read=self.first_read())

    def first_read(self) -> bool:
        """True on the screen's first load only: that read of personal data is the audited
        opening (domain §10); its refreshes are not new openings."""
        first = not self._audited
        self._audited = True
        return first

    def mark_loaded(self) -> None:
        self.seen_version = self.lapp.data_version
        if self._title_pending:  # loaded without naming more: the breadcrumb alone
            self.show_title()

    def on_screen_resume(self) -> None:
        if self.seen_version is not None and self.seen_version != self.lapp.data_version:
            self.reload()

    def data_changed(self) -> None:
        """Someone (maybe another user) committed: refresh what is shown."""
        self.reload()

    def action_back(self) -> None:
        """One step back: the screen this one was opened on."""
        self.app.pop_screen()


class TableScreen(DataScreen):
    """A screen of one VirtualTable: the title line, the lines named in ABOVE, the table
    (`make_table`, override), the lines named in BELOW, the footer. Each screen declares
    only what is its own."""

    DEFAULT_CSS = """
    TableScreen #summary { height: auto; max-height: 2; color: $text-muted; }
    """

    ABOVE: ClassVar[tuple[str, ...]] = ()
    BELOW: ClassVar[tuple[str, ...]] = ()
    COMPACT_FOOTER: ClassVar[bool] = False
    # The table of `make_table` when the screen does not make its own.
    COLUMNS: ClassVar[list[Column]] = []
    TABLE_ID: ClassVar[str] = ""
    EMPTY: ClassVar[str] = "Geen gegevens."
    WRAP: ClassVar[bool] = True  # long names wrap over more lines of their row
    LEGEND: ClassVar[tuple[str, ...]] = ()  # the table's abbreviations, under it when room

    def first_title(self) -> str:
        """The title line until the data is in."""
        return f"{self.screen_title} · laden…"

    def make_table(self) -> VirtualTable:
        return VirtualTable(self.COLUMNS, id=self.TABLE_ID, empty=self.EMPTY, wrap=self.WRAP,
                            legend=self.LEGEND)

    def compose(self) -> ComposeResult:
        # Composed as on_mount would show it (the breadcrumb on a screen opened on top, the
        # demo line): no widget changes before the first paint, one layout pass less.
        first = self.title_line("laden…") if self._on_top() else f" {self.first_title()}"
        yield Static(first, id="title")
        for line in self.ABOVE:
            yield Static("", id=line)
        yield from self.compose_search()
        yield self.make_table()
        for line in self.BELOW:
            yield Static("", id=line)
        yield KeyFooter(compact=self.COMPACT_FOOTER)
        yield from self.compose_training()

    def compose_search(self) -> ComposeResult:
        yield from ()

    @property
    def table(self) -> VirtualTable:
        return self.query_one(VirtualTable)


class SearchScreen(TableScreen):
    """A table screen with a hidden search line (Input #search) above its table: `/` shows
    it, typing filters the table (`apply_filter`, override), Enter goes back to the table.
    SEARCH_ON says what can be searched."""

    DEFAULT_CSS = """
    SearchScreen #search { height: 1; border: none; padding: 0 1; display: none; }
    """

    SEARCH_ON: ClassVar[str] = ""
    text: str = ""

    def compose_search(self) -> ComposeResult:
        yield Input(placeholder=f"zoek {self.SEARCH_ON}… (Enter: naar de tabel)", id="search")

    def apply_filter(self) -> None:
        """Filter the table on `self.text` and the screen's other filters (override)."""

    def search_changed(self, text: str) -> None:
        self.text = text
        self.apply_filter()

    def filter_rows(self, keep: Callable[[Any], bool] | None = None) -> VirtualTable:
        """Show the rows whose search text holds the typed words and whose data `keep`
        accepts (None: every row); the table, for its counts."""
        table = self.table
        text = table.text_filter(self.text)
        if keep is None:
            table.set_filter(text)
        elif text is None:
            table.set_filter(lambda r: keep(r.data))
        else:
            table.set_filter(lambda r: keep(r.data) and text(r))
        return table

    def on_input_changed(self, event: Input.Changed) -> None:
        self.search_changed(event.value)

    # The focus moves with set_focus, at once (focus() waits a turn): the keys typed right
    # after `/` or Enter go to the search line or the table, as meant.
    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.set_focus(self.table)

    def action_search(self) -> None:
        search = self.query_one("#search", Input)
        search.display = True  # at once: a widget that is not displayed cannot take the focus
        self.set_focus(search)

    def hide_search(self) -> None:
        """Empty and hide the search line (its Changed event filters again) and go back to
        the table."""
        search = self.query_one("#search", Input)
        search.value = ""
        search.display = False
        self.set_focus(self.table)

    def current_data(self, missing: str) -> Any:
        """The data of the row under the cursor; without one, warn with `missing`."""
        row = self.query_one(VirtualTable).current
        if row is None:
            self.notify(missing, severity="warning")
            return None
        return row.data


class FormScreen(DataScreen):
    """A main screen whose forms keep their input after a refusal or a conflict: a draft
    per form key, dropped once the form's action is saved."""

    def __init__(self) -> None:
        super().__init__()
        self._drafts: dict[str, dict] = {}

    def _form(self, key: str, title: str, fields: list[FormField], intro: str, submit: str,
              run: Callable[[dict], None]) -> None:
        draft = self._drafts.get(key, {})
        for f in fields:
            if f.key in draft:
                f.value = draft[f.key]

        def keep_and_run(values: dict) -> None:
            self._drafts[key] = values
            run(values)

        self.app.push_screen(FormDialog(title, fields, intro=intro, submit=submit,
                                        save=keep_and_run))

    def _after(self, key: str, message: str) -> None:
        self._drafts.pop(key, None)
        self.notify(message, title="Bewaard")
        self.reload()
