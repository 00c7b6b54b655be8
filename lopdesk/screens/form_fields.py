"""The fields of a form (FormDialog): their kinds, and their check in place with
lopdesk.parse, whose Dutch messages name the field and the expected form."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from textual.validation import ValidationResult, Validator

from lopdesk.errors import InvalidInput

FIELD_KINDS = ("text", "day", "moment", "whole", "choice", "check", "child", "level", "school")
PICKERS = ("child", "level", "school")


@dataclass
class FormField:
    """One field of a form. Kinds: text (optionally with a `validator`), day, moment, whole
    (at least `minimum`), choice (from `options`, or from `load(db)` read when the dialog
    opens), check, and the pickers child, level and school (searchable, value = the id).

    Typed values are checked in place with lopdesk.parse (Dutch failure descriptions); the
    form returns what was typed (stripped), the chosen option or the picked id."""

    key: str
    label: str
    kind: str = "text"
    value: Any = ""
    options: Sequence[tuple[str, Any]] = field(default_factory=list)
    placeholder: str = ""
    required: bool = False
    minimum: int | None = None
    validator: Callable[[str], Any] | None = None
    load: Callable[[Any], Sequence[tuple[str, Any]]] | None = None
    required_unless: tuple[str, ...] = ()  # required unless all these fields are filled
    # What a picker's prefilled value (an id) reads as, e.g. the child's name with the id:
    # shown at once, before the picker's list is read.
    value_label: str = ""

    def __post_init__(self) -> None:
        if self.kind == "select":  # the older name of a choice
            self.kind = "choice"
        if self.kind not in FIELD_KINDS:
            raise ValueError(f"unknown field kind {self.kind!r}")

    def parse(self, text: str) -> Any:
        """The typed text read as this field's kind; ParseError (Dutch) when it is not."""
        from lopdesk import parse

        if self.kind == "day":
            return parse.day(text, self.label)
        if self.kind == "moment":
            return parse.moment(text, self.label)
        if self.kind == "whole":
            return parse.whole(text, self.label, minimum=self.minimum) if text else None
        if self.validator is not None and text:
            return self.validator(text)
        return text


class FieldValidator(Validator):
    """A Textual validator around FormField.parse: the failure description is the Dutch
    message of lopdesk.parse (it names the field and the expected form)."""

    def __init__(self, form_field: FormField) -> None:
        super().__init__()
        self.form_field = form_field

    def validate(self, value: str) -> ValidationResult:
        try:
            self.form_field.parse(value.strip())
        except InvalidInput as exc:
            return self.failure(exc.shown(), value)  # as a sentence, like every message
        return self.success()
