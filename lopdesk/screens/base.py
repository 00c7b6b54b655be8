"""What every main screen shares: database calls in thread workers and refresh on change.

A screen never touches the database on the UI thread: `db_call` runs a domain service in a
thread worker and hands the result back to a callback on the UI thread; any error goes to
the app's one error handler (a Dutch notification, Conflict as a warning).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from textual.screen import Screen
from textual.widgets import Input
from textual.worker import Worker, get_current_worker

from lopdesk.parse import ParseError
from lopdesk.screens.dialogs import FormDialog, FormField
from lopdesk.screens.widgets.table import VirtualTable

if TYPE_CHECKING:
    from lopdesk.app import LopdeskApp


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


class DataScreen(Screen):
    """A main screen that loads its data with `reload()` and refreshes on every change."""

    # The title bar(s) of every main screen.
    DEFAULT_CSS = """
    DataScreen #title, DataScreen .title {
        height: 1; background: $primary 40%; text-style: bold;
    }
    DataScreen #training { dock: top; height: 1; background: $warning 40%; text-style: bold; }
    """

    seen_version: int | None = None
    _audited: bool = False

    @property
    def lapp(self) -> LopdeskApp:
        return self.app  # type: ignore[return-value]

    def on_mount(self) -> None:
        """A demo database says so above every main screen, with its training date."""
        label = self.lapp.training_label
        if label is not None and not self.query("#training"):
            from textual.widgets import Static

            self.mount(Static(f" {label}", id="training"))

    def db_call(self, fn: Callable[..., Any], *args: Any,
                on_done: Callable[[Any], None] | None = None,
                on_error: Callable[[BaseException], None] | None = None,
                group: str = "db", exclusive: bool = False, **kwargs: Any) -> Worker:
        """Run `fn(db, *args, **kwargs)` off the UI thread; callbacks run on the UI thread."""
        app = self.lapp

        def job() -> None:
            worker = get_current_worker()
            try:
                result = fn(app.db, *args, **kwargs)
            except Exception as exc:  # every error ends in one place (app.report_error)
                if not worker.is_cancelled:
                    app.call_from_thread(self._failed, exc, on_error)
                return
            if on_done is not None and not worker.is_cancelled:
                app.call_from_thread(self._done, on_done, result)

        return self.run_worker(job, thread=True, group=group, exclusive=exclusive,
                               exit_on_error=False, description=getattr(fn, "__name__", "db"))

    def _done(self, callback: Callable[[Any], None], result: Any) -> None:
        if self.is_attached:
            callback(result)

    def _failed(self, exc: BaseException, on_error: Callable[[BaseException], None] | None
                ) -> None:
        self.lapp.report_error(exc)
        if on_error is not None and self.is_attached:
            on_error(exc)

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
