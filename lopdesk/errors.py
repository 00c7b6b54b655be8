"""Errors shared by the domain and the matching engine: a Dutch message, the rule that refused
and the field concerned (one error type for the CLI exit codes and the screens' messages)."""

from __future__ import annotations


def sentence(text: str) -> str:
    """A message as the user reads it (the app's error place, form errors, the CLI): its
    first letter a capital. Only a plain first word is changed: a file name, an id or a rule
    id at the start ('x.csv, regel 3', 'K003', 'MED-02:') stays as it is."""
    word = text.split(" ", 1)[0].rstrip(",:;")
    if word.isalpha() and word[:1].islower():
        return text[:1].upper() + text[1:]
    return text


class DomainError(Exception):
    """Base class: something the user asked could not be done."""

    exit_code = 1

    def __init__(self, message: str, *, rule: str | None = None, field: str | None = None):
        self.message = message
        self.rule = rule
        self.field = field
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.rule}: {self.message}" if self.rule else self.message

    def shown(self) -> str:
        """As the CLI prints it: the rule, then the message as a sentence."""
        text = sentence(self.message)
        return f"{self.rule}: {text}" if self.rule else text


class RuleViolation(DomainError):
    """A rule of domain.md refuses the action (CLI exit code 1)."""


class NeedsConfirmation(RuleViolation):
    """The action is allowed but unusual: it is done only when the user confirms it.
    `confirm` names what the caller passes to confirm: the domain call's keyword
    `confirm_<confirm>` (the CLI's flag `--confirm-<confirm>`, with dashes)."""

    def __init__(self, message: str, *, confirm: str, rule: str | None = None,
                 field: str | None = None):
        self.confirm = confirm
        super().__init__(message, rule=rule, field=field)


class NotFound(DomainError):
    """An id that does not exist (CLI exit code 2: bad input)."""

    exit_code = 2


class InvalidInput(DomainError):
    """A value of the wrong form (CLI exit code 2)."""

    exit_code = 2


class ImportError_(InvalidInput):
    """A CSV file could not be imported: names file, line and column; nothing was written."""

    def __init__(self, file: str, line: int, column: str | None, message: str):
        self.file = file
        self.line = line
        self.column = column
        where = f"{file}, regel {line}" + (f", kolom '{column}'" if column else "")
        super().__init__(f"{where}: {message}", field=column)


class Conflict(DomainError):
    """Someone else changed the same record first (optimistic version check)."""

    def __init__(self, what: str):
        super().__init__(
            f"{what} werd intussen door iemand anders gewijzigd. "
            "Uw invoer is bewaard; de gegevens zijn opnieuw ingelezen, probeer opnieuw."
        )


class PermissionDenied(DomainError):
    """The user's role does not allow the action."""


class Busy(DomainError):
    """The database stayed locked or silent longer than the set time (CLI exit code 1)."""
