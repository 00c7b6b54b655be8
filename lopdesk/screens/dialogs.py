"""Typed dialogs: confirm (bool), a form of typed fields (dict | None), a list to pick from,
a text view.

Every dialog closes with Escape (cancel) and confirms from the keyboard alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from textual import events
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from lopdesk.errors import sentence
from lopdesk.parse import DAY_FORM, MOMENT_FORM
from lopdesk.screens.form_fields import PICKERS, FieldValidator, FormField
from lopdesk.screens.form_save import SavingForm
from lopdesk.screens.keys import key_table
from lopdesk.screens.simple_dialogs import (  # noqa: F401 (the dialogs' public names)
    DIALOG_CSS,
    ConfirmDialog,
    TextDialog,
)
from lopdesk.screens.widgets.check import CheckField
from lopdesk.screens.widgets.picker import PLACEHOLDER, SOURCES, Choice, Picker

FORM_CSS = """
FormDialog { align: center middle; }
FormDialog .dialog { max-height: 100%; }
FormDialog .body { height: auto; max-height: 70vh; }
FormDialog .intro { height: auto; max-height: 8; }
FormDialog .with-intro .body { max-height: 8; }
FormDialog .field-error { color: $error; height: auto; display: none; }
FormDialog .field-error.shown { display: block; }
FormDialog #form-error { color: $error; height: auto; display: none; }
FormDialog #form-error.shown { display: block; }
"""


class FormDialog(SavingForm, ModalScreen[dict | None]):
    """A few fields; Enter in the last field or Ctrl+S submits, Escape cancels.

    The first field has the focus as soon as the dialog is mounted, so keys typed right
    after the key that opened it land in it. A field of the wrong form shows its Dutch
    message under it and the dialog stays open with the input kept; `check(values)` may
    refuse a combination of fields the same way (it returns (field key, message) or None).

    With `save(values)` the form stays open while it saves: a domain call the save starts
    (screens.base.db_work) is tied to the form, which closes when that call succeeds (then
    its callback runs) and stays open with everything typed when the domain refuses: the
    Dutch message under the field the error names (DomainError.field: a field's key or
    label), or above the buttons, and the focus on that field. Without `save` the form
    closes with its values (the push_screen callback; for forms that only show something).
    """


    # Tab and Enter move the focus as the key arrives (priority): keys typed after them
    # in one burst then go to the next field, not to the one still busy with earlier keys.
    BINDINGS = key_table("form", """
    escape      cancel          Annuleren | Niets bewaren en terug
    ctrl+s      submit          Bewaren | Het formulier bewaren
    tab         next_field      Volgend veld | Naar het volgende veld | hidden, priority
    shift+tab   previous_field  Vorig veld | Naar het vorige veld | hidden, priority
    enter       enter           Volgend veld
                | Naar het volgende veld; in het laatste: bewaren | hidden, priority
    pagedown    preview_down    Voorbeeld verder | Het voorbeeld een bladzijde verder
                | hidden
    pageup      preview_up      Voorbeeld terug | Het voorbeeld een bladzijde terug | hidden
    """)
    DEFAULT_CSS = DIALOG_CSS + FORM_CSS

    def __init__(self, title: str, fields: Sequence[FormField], *, intro: str = "",
                 submit: str = "Bewaren",
                 check: Callable[[dict], tuple[str, str] | None] | None = None,
                 save: Callable[[dict], None] | None = None) -> None:
        super().__init__()
        self._title, self._fields, self._intro, self._submit = title, list(fields), intro, submit
        self._check, self._save = check, save
        self.errors: dict[str, str] = {}  # field key -> the message shown under it

    def compose(self) -> ComposeResult:
        # A preview (the intro) scrolls on its own above the fields: it opens at its top
        # and the focused field stays in view below it, however long the preview is.
        with Vertical(classes="dialog with-intro" if self._intro else "dialog"):
            yield Label(self._title, classes="title")
            if self._intro:
                with VerticalScroll(classes="intro"):
                    yield Static(self._intro, markup=False)
            with VerticalScroll(classes="body"):
                for f in self._fields:
                    yield from self._compose_field(f)
            yield Static("", id="form-error", markup=False)
            yield Label(self.hint(), classes="hint", id="form-hint")
            with Horizontal(classes="buttons"):
                yield Button("Annuleren", id="cancel")
                yield Button(self._submit, id="submit", variant="primary")

    def hint(self, pages: bool = False) -> str:
        """The keys of this form: Enter saves only when the last field is typed in, and
        PgUp/PgDn only when the preview is longer than its room (`pages`)."""
        last = self._fields[-1] if self._fields else None
        typed = last is not None and last.kind not in ("choice", "check", *PICKERS)
        keys = ["Ctrl+S" + (" of Enter in het laatste veld" if typed else "")
                + f": {self._submit.lower()}", "Esc: annuleren"]
        if pages:
            keys.append("PgUp/PgDn: voorbeeld bladeren")
        return " · ".join(keys)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("preview_down", "preview_up"):
            return self._pages()
        return True

    def _pages(self) -> bool:
        """The preview is longer than the room it has (PgUp/PgDn page it)."""
        for intro in self.query(".intro"):
            return intro.virtual_size.height > intro.scrollable_content_region.height
        return False

    def _compose_field(self, f: FormField) -> ComposeResult:
        if f.kind == "check":
            yield CheckField(f.label, bool(f.value), id=f"f-{f.key}")
            yield Static("", classes="field-error", id=f"e-{f.key}", markup=False)
            return
        label = f.label + (" *" if f.required else "")
        if f.kind in PICKERS:
            known = Choice(str(f.value), f.value_label) if f.value and f.value_label else None
            yield Picker(str(f.value or ""), placeholder=f.placeholder or PLACEHOLDER[f.kind],
                         id=f"f-{f.key}",
                         label=label, not_found=self._new_instead(f), known=known)
            yield Static("", classes="field-error", id=f"e-{f.key}", markup=False)
            return
        yield Label(label, classes="field-label", id=f"l-{f.key}")
        if f.kind == "choice":
            options = list(f.options)
            value = f.value if f.value is not None and any(v == f.value for _, v in options) \
                else Select.NULL
            yield Select(options, value=value, allow_blank=not f.required or not options,
                         id=f"f-{f.key}", prompt="(kies)")
        else:
            yield Input(str(f.value or ""), placeholder=f.placeholder or _PLACEHOLDER.get(
                f.kind, ""), id=f"f-{f.key}", validators=[FieldValidator(f)],
                validate_on=["blur", "submitted"])
        yield Static("", classes="field-error", id=f"e-{f.key}", markup=False)

    def _new_instead(self, f: FormField) -> str:
        """For a picker that may stay empty when other fields describe a new one."""
        names = " en ".join(f"'{self._field(k).label}'" for k in f.required_unless)
        return f"Nieuw? Vul {names} in." if names else ""

    def on_mount(self) -> None:
        for widget in self.query(Input):
            widget.cursor_blink = False  # no animation over SSH (house style)
        self._share_height()
        if self._fields:
            # set_focus now (not focus(), which waits a turn): keys typed in one burst
            # after the key that opened the dialog go to the first field.
            self.set_focus(self._focus_target(self._fields[0].key))
        for f in self._fields:
            if f.kind in PICKERS or f.load is not None:
                self._load(f)

    # Title, hint, buttons and the border: the lines a form has besides its two areas.
    FRAME_LINES = 7

    def on_resize(self) -> None:
        self._share_height()

    def _share_height(self, measured: bool = False) -> None:
        """Split the height between the preview and the fields, in lines (a vh height in
        an auto-sized dialog is measured before it is capped, and leaves a gap): the
        preview gets what it needs up to half, the fields the rest."""
        if not self._intro or not self.is_mounted:
            return
        room = max(6, self.size.height - self.FRAME_LINES)
        intro = self.query_one(".intro", VerticalScroll)
        body = self.query_one(".body", VerticalScroll)
        need, fields = intro.virtual_size.height, body.virtual_size.height
        # the fields what they need (at least 3 lines), the preview all the rest
        fields_shown = max(3, min(fields or room // 2, room - 3))
        shown = max(3, min(need or room, room - fields_shown))
        intro.styles.max_height = shown
        body.styles.max_height = room - shown
        if (not need or not fields) and not measured:  # heights are known after layout
            self.call_after_refresh(self._share_height, True)
        self.call_after_refresh(self._show_hint)

    def _show_hint(self) -> None:
        if self.is_attached:
            self.query_one("#form-hint", Label).update(self.hint(self._pages()))
            self.refresh_bindings()

    def action_preview_down(self) -> None:
        for intro in self.query(".intro"):
            intro.scroll_page_down(animate=False)

    def action_preview_up(self) -> None:
        for intro in self.query(".intro"):
            intro.scroll_page_up(animate=False)

    def set_focus(self, widget: Widget | None, scroll_visible: bool = True,
                  from_app_focus: bool = False) -> None:
        """A focused field comes into view at once with its label (not animated alone)."""
        super().set_focus(widget, scroll_visible=False, from_app_focus=from_app_focus)
        if scroll_visible and widget is not None:
            widget.scroll_visible(animate=False)
            if (key := self._key_of(widget)) is not None:
                self.call_after_refresh(self._label_in_view, key)

    def _label_in_view(self, key: str) -> None:
        """The label above the focused field and a message under it in view too, the field
        itself last (a field taller than the form's area shows its own lines)."""
        focused = self.focused
        if focused is not None and self._key_of(focused) == key and self.is_attached:
            for label in self.query(f"#l-{key}, #f-{key} > .field-label, #e-{key}.shown"):
                label.scroll_visible(animate=False, immediate=True)
            focused.scroll_visible(animate=False, immediate=True)

    def _focus_target(self, key: str) -> Widget:
        widget = self.query_one(f"#f-{key}")
        return widget.input if isinstance(widget, Picker) else widget

    def _load(self, f: FormField) -> None:
        """Read a picker's choices or a choice field's options off the UI thread."""
        db = getattr(self.app, "db", None)
        source = f.load if f.load is not None else SOURCES[f.kind]

        def job() -> None:
            result = source(db)
            self.app.call_from_thread(self._loaded, f, result)

        self.run_worker(job, thread=True, group="form-load", exit_on_error=False)

    def _loaded(self, f: FormField, result: Any) -> None:
        if not self.is_attached:
            return
        widget = self.query_one(f"#f-{f.key}")
        if isinstance(widget, Picker):
            widget.set_choices(result)
        elif isinstance(widget, Select):
            current = widget.value
            widget.set_options(list(result))
            keep = f.value if current is Select.NULL else current
            if keep is not None and any(v == keep for _, v in result):
                widget.value = keep
        if f.key in self.errors:
            self._show_error(f, self._field_error(f))

    # -- values and their checks -------------------------------------------------------

    def _field(self, key: str) -> FormField:
        return next(f for f in self._fields if f.key == key)

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in self._fields:
            widget = self.query_one(f"#f-{f.key}")
            if isinstance(widget, Input):
                out[f.key] = widget.value.strip()
            elif isinstance(widget, Select):
                out[f.key] = None if widget.value is Select.NULL else widget.value
            elif isinstance(widget, Checkbox):
                out[f.key] = widget.value
            elif isinstance(widget, Picker):
                out[f.key] = widget.value
        return out

    def _field_error(self, f: FormField) -> str | None:
        """The Dutch message for this field as it is now, or None when it is right."""
        widget = self.query_one(f"#f-{f.key}")
        if f.required_unless and self.values()[f.key] in ("", None) and not (
                isinstance(widget, Picker) and widget.text):
            others = [self._field(k) for k in f.required_unless]
            if not all(self.values()[o.key] for o in others):
                names = " en ".join(f"'{o.label}'" for o in others)
                return f"Kies '{f.label}', of vul {names} in."
        if isinstance(widget, Picker):
            if widget.text and not widget.loaded:
                return None  # matched when the list arrives
            if widget.text and widget.value is None and not self._described_apart(f):
                return (f"{f.label}: niets gevonden voor '{widget.text}' (zoek op naam, "
                        "geboortedatum of id).")
            if f.required and widget.value is None:
                return f"'{f.label}' is verplicht."
            return None
        value = self.values()[f.key]
        if f.required and value in ("", None):
            return f"'{f.label}' is verplicht."
        if isinstance(widget, Input):
            result = widget.validate(widget.value)
            if result is not None and not result.is_valid:
                return result.failure_descriptions[0]
        return None

    def _described_apart(self, f: FormField) -> bool:
        """The fields that make this one optional are all filled (e.g. a new child)."""
        values = self.values()
        return bool(f.required_unless) and all(values[k] for k in f.required_unless)

    def _show_error(self, f: FormField, message: str | None) -> None:
        label = self.query_one(f"#e-{f.key}", Static)
        if message:
            message = sentence(message)
            self.errors[f.key] = message
            label.update(message)
            label.add_class("shown")
        else:
            self.errors.pop(f.key, None)
            label.update("")
            label.remove_class("shown")

    def _key_of(self, widget: Widget) -> str | None:
        for node in (widget, *widget.ancestors):
            if node.id and node.id.startswith("f-"):
                return node.id[2:]
        return None

    def on_input_blurred(self, event: Input.Blurred) -> None:
        key = self._key_of(event.input)
        if key is not None and self.is_attached:
            f = self._field(key)
            if self._field_error(f) is None or event.input.value.strip():
                self._show_error(f, self._field_error(f))

    def on_input_changed(self, event: Input.Changed) -> None:
        key = self._key_of(event.input)
        if key in self.errors:
            f = self._field(key)
            self._show_error(f, self._field_error(f))

    def action_next_field(self) -> None:
        self.focus_next()

    def action_previous_field(self) -> None:
        self.focus_previous()

    def action_enter(self) -> None:
        """Enter in a field that is not the last one goes to the next field; in the last
        one (and on buttons, lists, checkboxes) it does what the widget does."""
        inputs = list(self.query(Input))
        if not isinstance(self.focused, Input) or self.focused is inputs[-1]:
            raise SkipAction()
        self.focus_next()

    def on_key(self, event: events.Key) -> None:
        """A character that reached the dialog itself (typed before the first field had
        the focus) goes into the field that has it now."""
        focused = self.focused
        if isinstance(focused, Input) and event.is_printable and event.character:
            event.stop()
            event.prevent_default()
            focused.insert_text_at_cursor(event.character)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        inputs = list(self.query(Input))
        if inputs and event.input is inputs[-1]:
            self.action_submit()
        else:
            self.focus_next()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "submit":
            self.action_submit()
        else:
            self.action_cancel()

    def action_submit(self) -> None:
        first: FormField | None = None
        for f in self._fields:
            message = self._field_error(f)
            self._show_error(f, message)
            if message and first is None:
                first = f
        pending = [f for f in self._fields if f.kind in PICKERS
                   and not self.query_one(f"#f-{f.key}", Picker).ready]
        if first is None and pending:
            self.notify("De keuzelijst wordt nog geladen; probeer zo opnieuw.",
                        severity="warning")
            return
        values = self.values()
        if first is None and self._check is not None:
            refused = self._check(values)
            if refused is not None:
                first = self._field(refused[0])
                self._show_error(first, refused[1])
        if first is not None:  # checked in place: the field, its message in view
            self._show_form_error("")
            self.set_focus(self._focus_target(first.key))
            return
        if self._save is None:
            self.dismiss(values)
        elif not self.busy:
            self._run_save(values)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def ask_confirmation(self, message: str) -> None:
        def answered(ok: bool | None) -> None:
            if ok and self.is_attached:
                self._run_save({**self.values(), "confirmed": True})
            elif self.is_attached:
                self._show_form_error("Niet bewaard: niet bevestigd (Ctrl+S vraagt opnieuw).")

        self.app.push_screen(ConfirmDialog("Bevestigen", sentence(message),
                                           yes=f"Toch {self._submit.lower()}",
                                           no="Terug"), answered)


_PLACEHOLDER = {"day": DAY_FORM,
                "moment": MOMENT_FORM,
                "whole": "een geheel getal"}
