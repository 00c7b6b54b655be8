"""A form that saves while it is open (FormDialog's `save`): the domain call its save starts
runs with the form on screen; a refusal keeps the form open with everything typed, the Dutch
message under the field the error names and the focus there; success closes it. A save the
domain allows only when confirmed (NeedsConfirmation) asks, and on yes runs again with
`confirmed` True among the values."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, ClassVar

from textual.widgets import Button, Label, Static

from lopdesk.errors import Conflict, DomainError, NeedsConfirmation
from lopdesk.parse import ParseError
from lopdesk.screens.form_fields import FormField


class SavingForm:
    """Mixin of FormDialog: its save, the domain call that save starts, and the refusal."""

    # The form whose save is running now (UI thread only): db_work ties its call to it.
    saving: ClassVar[SavingForm | None] = None
    waiting = 0  # domain calls started by saves of this form
    busy = False  # a save's domain call is running
    _save: Callable[[dict], None] | None
    _fields: list[FormField]

    def _run_save(self, values: dict) -> None:
        """Run the save with this form open; it closes now when the save started no domain
        call, else when that call succeeds (`saved`), and stays open on a refusal."""
        assert self._save is not None
        self._show_form_error("")
        started = self.waiting
        SavingForm.saving = self
        try:
            self._save(values)
        except DomainError as exc:  # a typed value the save itself refused (lopdesk.parse)
            self.refused(exc)
            return
        finally:
            SavingForm.saving = None
        if self.waiting == started:
            self._close(values)
        else:
            self._set_busy(True)

    def wait_for_call(self) -> None:
        """A save of this form started a domain call (screens.base.db_work)."""
        self.waiting += 1

    def tie(self, on_done: Callable[[Any], None] | None,
            on_error: Callable[[BaseException], None] | None
            ) -> tuple[Callable[[Any], None], Callable[[BaseException], None]]:
        """The callbacks of a domain call this form's save started: success closes the
        form first, then runs `on_done`; a refusal goes back into the form."""

        def done(result: Any) -> None:
            self.saved()
            if on_done is not None:
                on_done(result)

        def failed(exc: BaseException) -> None:
            self.refused(exc)
            if on_error is not None:
                on_error(exc)

        return done, failed

    def saved(self) -> None:
        """The save's domain call succeeded: the form closes (its callback runs next)."""
        self._set_busy(False)
        self._close(None)

    def _close(self, result: dict | None) -> None:
        if self.is_attached and self.app.screen is self:
            self.dismiss(result)

    def refused(self, exc: BaseException) -> None:
        """The save was refused: the form stays open with everything typed, the message
        under the field it names (or above the buttons) and the focus on that field. A
        conflict closes it: the screen reads the data again and keeps the input (draft)."""
        self._set_busy(False)
        if not isinstance(exc, DomainError) or isinstance(exc, Conflict):
            if isinstance(exc, Conflict):
                self._close(None)
            self.app.report_error(exc)  # type: ignore[attr-defined]
            return
        if not self.is_attached:  # closed (Esc) while its save ran: the app's error place
            self.app.report_error(exc)  # type: ignore[attr-defined]
            return
        # under a field and in a confirmation it reads as a sentence (their own display)
        message = exc.message + (f" ({exc.rule})" if exc.rule else "")
        if isinstance(exc, NeedsConfirmation):  # allowed once the user confirms
            self.ask_confirmation(message)
            return
        f = self._field_named(exc.field)
        if f is None and len(self._fields) == 1:  # a form of one field: it is that one
            f = self._fields[0]
        if f is None:
            self._show_form_error(f"Niet bewaard: {message}")
            return
        self._show_error(f, message)
        # one short line above the buttons; the message itself is under the field
        name = f.label.split(" (")[0].rstrip(" *")
        self._show_form_error(f"Niet bewaard: zie '{name}'.")
        self.set_focus(self._focus_target(f.key))

    def ask_confirmation(self, message: str) -> None:
        """Ask whether to save all the same (FormDialog shows the question); yes saves
        again with `confirmed` True among the values."""
        raise NotImplementedError

    def _field_named(self, name: str | None) -> FormField | None:
        """The field an error names: by key, or by (the start of) its label."""
        if not name:
            return None
        low = name.lower()
        # a label's last part counts too: 'Geboortedatum' is 'Nieuw kind: geboortedatum'
        for test in (lambda f: f.key == name, lambda f: f.label.lower() == low,
                     lambda f: f.label.lower().startswith(low),
                     lambda f: f.label.lower().rsplit(": ", 1)[-1].startswith(low)):
            found = next((f for f in self._fields if test(f)), None)
            if found is not None:
                return found
        return None

    def _show_form_error(self, message: str) -> None:
        line = self.query_one("#form-error", Static)
        line.update(message)
        line.set_class(bool(message), "shown")

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        if self.is_attached:
            self.query_one("#submit", Button).disabled = busy
            self.query_one("#form-hint", Label).update(
                "Bezig met bewaren…" if busy else self.hint(self._pages()))


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
