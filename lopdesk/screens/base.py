"""What every screen shares: the one worker helper for database work, typed messages for
what a load brought, the breadcrumb in the title, and refresh on change.

No screen touches the database on the UI thread: `db_work` runs a domain service in a thread
worker and posts the result back as a typed message (`DbDone`) to the node that asked, whose
handler runs the callback on the UI thread; any error goes to the app's one error handler (a
Dutch notification, Conflict as a warning). Screens, dialogs and the palette all use it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from textual.app import ScreenStackError
from textual.dom import DOMNode
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, Static
from textual.worker import Worker, get_current_worker

from lopdesk.labels import SCREEN_TITLE
from lopdesk.parse import ParseError
from lopdesk.screens.dialogs import FormDialog, FormField
from lopdesk.screens.widgets.table import VirtualTable

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
                 callback: Callable[[BaseException], None] | None) -> None:
        super().__init__()
        self.what = what
        self.error = error
        self.callback = callback


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

    def job() -> None:
        worker = get_current_worker()
        try:
            result = fn(app.db, *args, **kwargs)
        except Exception as exc:  # every error ends in one place (app.report_error)
            if not worker.is_cancelled:
                app.call_from_thread(_deliver, target, DbFailed(what, exc, on_error))
            return
        if not worker.is_cancelled:
            app.call_from_thread(_deliver, target, DbDone(what, result, on_done))

    return node.run_worker(job, thread=True, group=group, exclusive=exclusive,
                           exit_on_error=False, description=what)


def _deliver(node: DOMNode, message: Message) -> None:
    """Hand a worker's message to its node; a screen already closed gets nothing, but an
    error is reported all the same."""
    if isinstance(message, DbFailed):
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


def form_done(app: Any, run: Callable[[dict], None]) -> Callable[[dict | None], None]:
    """A form dialog's callback: nothing on cancel; a typed value of the wrong form
    (lopdesk.parse) is reported in the app's one error place, like every refusal."""

    @wraps(run)
    def done(values: dict | None) -> None:
        if values is None:
            return
        try:
            run(values)
        except ParseError as exc:
            app.report_error(exc)

    return done


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
    `crumb` is its step in the breadcrumb when it is opened on top of another screen."""

    # The title bar(s) of every main screen.
    DEFAULT_CSS = """
    DataScreen #title, DataScreen .title {
        height: 1; background: $primary 40%; text-style: bold;
    }
    DataScreen #training { dock: top; height: 1; background: $warning 40%; text-style: bold; }
    """

    SCREEN_ID: str = ""
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
        opened on top shows its breadcrumb at once, before its data is in."""
        label = self.lapp.training_label
        if label is not None and not self.query("#training"):
            self.mount(Static(f" {label}", id="training"))
        stack = self.app.screen_stack
        if self in stack and stack.index(self) > 0 and self.query("#title"):
            self.show_title("laden…")
            self._title_pending = True

    def show_title(self, text: str = "", selector: str = "#title") -> None:
        """The title line: the breadcrumb, then what this screen shows."""
        crumb = self.breadcrumb()
        line = " · ".join(p for p in (crumb, text) if p)
        self.query_one(selector, Static).update(f" {line}")
        if selector == "#title":
            self._title_pending = False

    # -- refresh ----------------------------------------------------------------------

    def reload(self) -> None:
        """Load the screen's data again (override); called on mount and on every change."""

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


class SearchScreen(DataScreen):
    """A main screen with one VirtualTable and a hidden search line (Input #search) above it.

    Typing filters the table (`apply_filter`, override); Enter goes back to the table.
    """

    DEFAULT_CSS = """
    SearchScreen #search { height: 1; border: none; padding: 0 1; display: none; }
    SearchScreen #search.shown { display: block; }
    """

    text: str = ""

    def apply_filter(self) -> None:
        """Filter the table on `self.text` and the screen's other filters (override)."""

    def search_changed(self, text: str) -> None:
        self.text = text
        self.apply_filter()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.search_changed(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.query_one(VirtualTable).focus()

    def action_search(self) -> None:
        search = self.query_one("#search", Input)
        search.add_class("shown")
        search.focus()

    def hide_search(self) -> None:
        """Empty and hide the search line (its Changed event filters again) and go back to
        the table."""
        search = self.query_one("#search", Input)
        search.value = ""
        search.remove_class("shown")
        self.query_one(VirtualTable).focus()

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

        self.app.push_screen(FormDialog(title, fields, intro=intro, submit=submit),
                             form_done(self.app, keep_and_run))

    def _after(self, key: str, message: str) -> None:
        self._drafts.pop(key, None)
        self.notify(message, title="Bewaard")
        self.reload()
