"""What every main screen shares: database calls in thread workers and refresh on change.

A screen never touches the database on the UI thread: `db_call` runs a domain service in a
thread worker and hands the result back to a callback on the UI thread; any error goes to
the app's one error handler (a Dutch notification, Conflict as a warning).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.screen import Screen
from textual.worker import Worker, get_current_worker

if TYPE_CHECKING:
    from lopdesk.app import LopdeskApp


class DataScreen(Screen):
    """A main screen that loads its data with `reload()` and refreshes on every change."""

    seen_version: int | None = None
    loading_now: bool = False

    @property
    def lapp(self) -> LopdeskApp:
        return self.app  # type: ignore[return-value]

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

    def mark_loaded(self) -> None:
        self.seen_version = self.lapp.data_version

    def on_screen_resume(self) -> None:
        if self.seen_version is not None and self.seen_version != self.lapp.data_version:
            self.reload()

    def data_changed(self) -> None:
        """Someone (maybe another user) committed: refresh what is shown."""
        self.reload()
