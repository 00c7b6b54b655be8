"""What every CLI command shares: the database from --db, output as table or JSON, exit codes.

Exit codes are a contract: 0 success, 1 a rule refused (message names the rule),
2 bad input (unknown id, malformed value, CSV error). stdout = data, stderr = diagnostics.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass
from datetime import date, datetime
from functools import wraps
from typing import Any, TypeVar

import typer

from lopdesk.config import Settings

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK, EXIT_RULE, EXIT_INPUT = 0, 1, 2
# The reader of our output went away (`lopdesk … | head`): 128 + SIGPIPE, as the shell reports
# for `yes | head` under pipefail; quiet, no message.
EXIT_PIPE = 141


class State:
    """Global options of the root command (set by the callback in cli.py)."""

    db: str | None = None
    # Never set from the command line or the environment: the acting user is the OS account
    # (SQLite) or the session user (PostgreSQL). In-process callers (the test suite) may
    # set it to act as another user, as they could through Settings.user.
    user: str | None = None


def settings() -> Settings:
    return Settings.from_cli(State.db, State.user)


# Escape sequences (CSI, OSC, other ESC pairs), then every other C0/C1 control and the
# bidi embeddings, overrides and isolates: nothing a name holds may steer a terminal.
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
                      r"|\x1b[@-_]|\x9b[0-?]*[ -/]*[@-~]")
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def safe_text(value: object, *, one_line: bool = False) -> str:
    """Text fit for a terminal: escape sequences and control characters removed (newlines
    and tabs kept unless one_line, for table cells)."""
    text = str(value)
    if text.isprintable():  # no control, format or escape character: nothing to remove
        return text
    text = _CONTROLS.sub("", _ESCAPES.sub("", text))
    return text.replace("\n", " ").replace("\t", " ") if one_line else text


def echo(message: object = "", err: bool = False, nl: bool = True) -> None:
    """typer.echo for the CLI's own text output: always through safe_text."""
    typer.echo(safe_text(message), err=err, nl=nl)


def acting_user() -> str:
    """Who runs a command that needs no database (file allocations): the OS account."""
    from lopdesk.config import process_user

    return State.user or process_user()


def error_line(message: str) -> str:
    """The CLI's one error line: 'fout: ' and the message as a sentence (lopdesk.errors)."""
    from lopdesk.errors import sentence

    return f"fout: {sentence(message)}"


def fail(message: str, code: int = EXIT_INPUT) -> typer.Exit:
    echo(error_line(message), err=True)
    return typer.Exit(code)


def warn(message: str) -> None:
    echo(f"waarschuwing: {message}", err=True)


def broken_pipe() -> typer.Exit:
    """Stdout was closed by the reader: point it at /dev/null (no flush error at exit)."""
    if sys.stdout is sys.__stdout__:  # the process's own stdout, not a test's capture
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
        except (OSError, ValueError, AttributeError):
            pass
    return typer.Exit(EXIT_PIPE)


def open_db(check: bool = True):
    """Open the configured database; refuse clearly when it is missing or too old.

    With check (every command but init/demo/restore) nothing is created: a wrong --db path
    gets a message, not a new empty file.
    """
    from lopdesk.db import Database, SchemaError

    db = Database(settings(), create=not check)
    if check:
        try:
            db.check_schema()
        except SchemaError as exc:
            db.dispose()
            raise fail(str(exc), EXIT_INPUT) from None
    if db.is_sqlite:  # children's files: warn when others than owner and group may read
        from lopdesk.domain.file_modes import permission_warnings

        for warning in permission_warnings(db, folder=False):
            typer.echo(warning, err=True)
    return db


@contextmanager
def database(check: bool = True) -> Iterator[Any]:
    from lopdesk import clock as clocks

    db = open_db(check)
    try:
        with clocks.using(db.now):  # a demo database's training clock for the whole command
            yield db
    finally:
        db.dispose()


# Plausible bounds of options and arguments by parameter name (docs/decisions.md); every
# other integer must fit in 64 bits, every text is free of NUL bytes, ids ≤ 64 characters.
INT64 = (-(2**63), 2**63 - 1)
INT_BOUNDS: dict[str, tuple[int, int]] = {
    "capacity": (0, 10_000), "indicator": (0, 10_000), "non_indicator": (0, 10_000),
    "reserved_indicator": (0, 10_000), "reserved_non_indicator": (0, 10_000),
    "year": (2000, 2100),
}
ID_PARAMS = frozenset({"level", "levels", "child", "area", "area_arg", "area_id", "school",
                       "entry", "round_id", "level_id", "child_id", "school_id"})
MAX_ID_LENGTH = 64


def _param_label(name: str) -> str:
    """How the user wrote the parameter: its option (--non-indicator) or its metavar."""
    from typer._click.globals import get_current_context  # typer vendors click

    ctx = get_current_context(silent=True)
    for param in ctx.command.params if ctx is not None else ():
        if param.name == name:
            longs = [o for o in param.opts if o.startswith("--")]
            return longs[0] if longs else str(getattr(param, "display_name_raw", name.upper()))
    return name


def check_params(values: dict[str, Any]) -> None:
    """Refuse values no command can use (exit 2, naming the option) before any work."""
    for name, value in values.items():
        for item in value if isinstance(value, list | tuple) else (value,):
            if isinstance(item, bool):
                continue
            if isinstance(item, int):
                low, high = INT_BOUNDS.get(name, INT64)
                if not low <= item <= high:
                    shown = str(item) if len(str(item)) <= 30 else f"{str(item)[:20]}…"
                    raise fail(f"{_param_label(name)}: {shown} ligt buiten {low}–{high}")
            elif isinstance(item, str):
                if "\x00" in item:
                    raise fail(f"{_param_label(name)}: een NUL-teken is niet toegelaten")
                if name in ID_PARAMS and len(item) > MAX_ID_LENGTH:
                    raise fail(f"{_param_label(name)}: een id heeft hoogstens "
                               f"{MAX_ID_LENGTH} tekens ({len(item)} gegeven)")


def handle_errors(func: F) -> F:
    """Turn domain errors into a message on stderr and the right exit code, never a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from lopdesk.domain.errors import DomainError

        try:
            check_params(kwargs)
            result = func(*args, **kwargs)
            sys.stdout.flush()  # a closed pipe shows here, not as a flush error at exit
            return result
        except DomainError as exc:
            raise fail(exc.shown() + confirm_hint(exc), exc.exit_code) from None
        except BrokenPipeError:
            raise broken_pipe() from None
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            raise fail("onderbroken", 130) from None
        except OverflowError:  # a value the checks above let through: still bad input
            raise fail("een opgegeven getal of datum ligt buiten het bereik dat lopdesk "
                       "aanvaardt (zie docs/formats-lopdesk.md, 'Grenzen')") from None
        except Exception as exc:  # an unexpected failure: one clear line, no traceback
            from sqlalchemy.exc import OperationalError

            if isinstance(exc, OperationalError):
                raise fail(f"databankfout: {exc.orig}", EXIT_RULE) from None
            raise fail(f"onverwachte fout ({type(exc).__name__}): {exc}", EXIT_RULE) from None

    return wrapper  # type: ignore[return-value]


def confirm_hint(exc: Exception) -> str:
    """A refusal the user may confirm (NeedsConfirmation): the flag of the running command
    that confirms it, named after the message; nothing for other errors (the app's dialogs
    ask instead and never name a flag)."""
    from typer._click.globals import get_current_context  # typer vendors click

    from lopdesk.errors import NeedsConfirmation

    if not isinstance(exc, NeedsConfirmation):
        return ""
    flag = "--confirm-" + exc.confirm.replace("_", "-")
    ctx = get_current_context(silent=True)
    options = {o for p in (ctx.command.params if ctx else []) for o in p.opts}
    return f" Bevestig met {flag}." if flag in options else ""


_PLAIN = (str, int, float, type(None))  # bool is an int


def to_jsonable(value: Any) -> Any:
    if isinstance(value, _PLAIN):  # most cells of a listing: first and cheap
        return value
    if is_dataclass(value) and not isinstance(value, type):
        return to_jsonable(asdict(value))
    if hasattr(value, "model_dump"):
        return to_jsonable(value.model_dump())
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def emit_json(value: Any) -> None:
    sys.stdout.write(json.dumps(to_jsonable(value), ensure_ascii=False, indent=2) + "\n")


def emit_table(rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str]],
               title: str | None = None) -> None:
    """Print rows as a plain aligned table (columns: (key, header)): two spaces between
    columns, each cell padded to its column's width in terminal cells; the header bold and
    the title italic on a terminal. Written directly: rich's table layout took most of the
    time of a command that lists a few hundred levels."""
    from rich.cells import cell_len

    def cell(value: object) -> str:
        return safe_text("" if value is None else to_jsonable(value), one_line=True)

    def width(text: str) -> int:  # terminal cells; ASCII (controls removed) one cell each
        return len(text) if text.isascii() else cell_len(text)

    headers = [cell(header) for _key, header in columns]
    body = [[cell(row.get(key)) for key, _header in columns] for row in rows]
    widths = [max([width(h)] + [width(r[i]) for r in body])
              for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        return "  ".join(c + " " * (w - width(c)) for c, w in zip(cells, widths, strict=True))

    terminal = sys.stdout.isatty()
    out = []
    if title is not None:
        text = cell(title)
        out.append(f"\x1b[3m{text}\x1b[0m" if terminal else text)
    head = line(headers)
    out.append(f"\x1b[1m{head}\x1b[0m" if terminal else head)
    out.extend(line(r) for r in body)
    try:
        sys.stdout.write("\n".join(out) + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        raise broken_pipe() from None


def emit(value: Any, as_json: bool, columns: Sequence[tuple[str, str]] | None = None,
         title: str | None = None, shown: Callable[[Any], dict[str, Any]] | None = None
         ) -> None:
    """Print a result: as JSON as it is (codes, for scripts); with columns a list as a table,
    each row first turned by `shown` into cells a person reads (Dutch labels, local dates)."""
    if as_json:
        emit_json(value)
    elif columns is not None:
        rows = [to_jsonable(shown(v) if shown else v) for v in value]
        emit_table(rows, columns, title)
    else:
        data = to_jsonable(value)
        if isinstance(data, dict):
            width = max((len(k) for k in data), default=0)
            for k, v in data.items():
                echo(f"{k.ljust(width)}  {v}")
        else:
            echo(str(data))


JSON_OPTION = typer.Option(False, "--json", help="Uitvoer als JSON.")
AT_OPTION = typer.Option(None, "--at", help="Tijdstip (ISO 8601 of dd/mm/jjjj uu:mm; "
                         "standaard nu, op de klok van de databank).")


def parse_when(value: str | None, option: str = "--at") -> datetime | None:
    """Parse --at: ISO 8601 or dd/mm/jjjj [uu:mm[:ss]] (Brussels time when no zone is given),
    within fifty years of today."""
    from lopdesk import parse
    from lopdesk.matching.csvin import MOMENT_SPAN_YEARS, moment_in_span

    try:
        moment = parse.moment(value, option)
    except parse.ParseError as exc:
        raise fail(str(exc)) from None
    if moment is not None and not moment_in_span(moment):
        raise fail(f"{option}: tijdstip '{value}' ligt niet binnen {MOMENT_SPAN_YEARS} jaar "
                   "van vandaag")
    return moment
