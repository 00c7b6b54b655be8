"""lopdesk command line: every action scriptable; bare `lopdesk` opens the app.

Commands live in lopdesk/commands/<area>.py; each module has `install(app)` that adds its
commands or sub-groups. Textual is imported only when the app opens.
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Sequence
from typing import Any

import typer

# typer 0.29 vendors click as typer._click (no separate click package): its usage errors.
from typer._click import exceptions as click_errors
from typer.core import TyperGroup

from lopdesk import __version__
from lopdesk.commands import dutch_help, plain_params
from lopdesk.commands.common import EXIT_INPUT, State, broken_pipe, error_line

dutch_help.install()
plain_params.install()

# Each module adds its commands to the root app; order is the order of `lopdesk --help`.
COMMAND_MODULES = (
    "lopdesk.commands.setup",  # init, db upgrade, demo
    "lopdesk.commands.data",  # import, schools, levels, counters, children
    "lopdesk.commands.register",  # register add|list|show|withdraw|status, period, fill, offer
    "lopdesk.commands.capacity",  # capacity set|request-raise|decide|..., full declare|lift
    "lopdesk.commands.calendar",  # calendar fifth-school-day|first-school-day-of-march|...
    "lopdesk.commands.allocate",  # allocate INPUT_DIR --out ..., explain, hague
    "lopdesk.commands.rounds",  # round create|level|apply|import|run|runs (database rounds)
    "lopdesk.commands.mediation",  # case ..., notice ...
    "lopdesk.commands.extract",  # extract register|notice|report|pv|case
    "lopdesk.commands.export",  # export board|results (xlsx, csv)
    "lopdesk.commands.ops",  # users, audit verify, backup, restore
)

# Click's own English messages (usage errors), as Dutch: (pattern, replacement).
_USAGE_MESSAGES = (
    (r"No such command '(.+?)'\.(?: Did you mean (.+)\?)?",
     lambda m: f"onbekende opdracht '{m[1]}'." + (f" Bedoelde u {m[2]}?" if m[2] else "")),
    (r"Got unexpected extra argument(?:\(s\)|s)? \((.+)\)",
     lambda m: f"onverwacht extra argument: {m[1]}."),
    (r"Option '(.+?)' requires an argument\.", lambda m: f"optie '{m[1]}' verwacht een waarde."),
    (r"Option '(.+?)' requires (\d+) arguments\.",
     lambda m: f"optie '{m[1]}' verwacht {m[2]} waarden."),
    (r"Option '(.+?)' does not take a value\.",
     lambda m: f"optie '{m[1]}' neemt geen waarde."),
    (r"Missing command\.", lambda m: "ontbrekende opdracht."),
)
# What typer says about a value that does not convert (pydantic-style messages).
_VALUE_MESSAGES = (
    (r"Input should be a valid integer.*", lambda m: "verwacht een geheel getal."),
    (r"Input should be a valid number.*", lambda m: "verwacht een getal."),
    (r"Input should be a valid boolean.*", lambda m: "verwacht true of false."),
    (r"Input should be greater than or equal to (\S+)", lambda m: f"moet minstens {m[1]} zijn."),
    (r"Input should be less than or equal to (\S+)", lambda m: f"mag hoogstens {m[1]} zijn."),
    (r"Input should be greater than (\S+)", lambda m: f"moet groter zijn dan {m[1]}."),
    (r"Input should be less than (\S+)", lambda m: f"moet kleiner zijn dan {m[1]}."),
    (r"(.+?) is not one of (.+?)\.?$", lambda m: f"{m[1]} is geen van {m[2]}."),
    (r"Value (.+?) is not a valid (.+?)\.", lambda m: f"{m[1]} is geen geldige {m[2]}."),
    (r"(?:File|Directory|Path) (.+?) does not exist\.", lambda m: f"{m[1]} bestaat niet."),
    (r"(?:File|Directory|Path) (.+?) is a directory\.", lambda m: f"{m[1]} is een map."),
    (r"(?:File|Directory|Path) (.+?) is not readable\.",
     lambda m: f"{m[1]} kan niet gelezen worden."),
)


def _translate(message: str, table: Sequence[tuple[str, Any]]) -> str | None:
    for pattern, make in table:
        match = re.fullmatch(pattern, message.strip(), flags=re.DOTALL)
        if match:
            return make(match)
    return None


def _param_hint(exc: click_errors.BadParameter) -> str:
    hint: Any = exc.param_hint
    if hint is None and exc.param is not None:
        hint = exc.param.get_error_hint()
    if hint is not None and not isinstance(hint, str):
        hint = " / ".join(repr(x) for x in hint)
    return hint or ""


def misplaced_db(command_path: str) -> str:
    """--db belongs to lopdesk itself: 'lopdesk demo --db X' says where it goes."""
    program, _, command = command_path.partition(" ")
    return (f"--db hoort vóór de opdracht: {program} --db PAD {command} … "
            "(of zet de databank in LOPDESK_DB).")


def dutch_usage_error(exc: click_errors.UsageError) -> str:
    """The one-line Dutch message for a usage error of click (the English one as fallback)."""
    if isinstance(exc, click_errors.MissingParameter):
        kind = exc.param_type or (exc.param.param_type_name if exc.param else "parameter")
        noun = {"argument": "ontbrekend argument", "option": "ontbrekende optie"}.get(
            kind, "ontbrekende waarde")
        hint = _param_hint(exc)
        return f"{noun} {hint}.".replace(" .", ".")
    if isinstance(exc, click_errors.NoSuchOption):
        if exc.option_name == "--db" and exc.ctx is not None and exc.ctx.parent is not None:
            return misplaced_db(exc.ctx.command_path)
        extra = (f" (mogelijk: {', '.join(sorted(exc.possibilities))})"
                 if exc.possibilities else "")
        return f"onbekende optie: {exc.option_name}{extra}"
    if isinstance(exc, click_errors.BadParameter):
        hint = _param_hint(exc)
        why = _translate(exc.message, _VALUE_MESSAGES) or exc.message
        return f"ongeldige waarde voor {hint}: {why}" if hint else f"ongeldige waarde: {why}"
    return _translate(exc.message, _USAGE_MESSAGES) or exc.format_message()


def _show_usage_error(exc: click_errors.UsageError) -> None:
    ctx = exc.ctx
    if ctx is not None:
        typer.echo(ctx.get_usage(), err=True)
        if ctx.command.get_help_option(ctx) is not None:
            typer.echo(f"Zie '{ctx.command_path} {ctx.help_option_names[0]}' voor hulp.\n",
                       err=True)
    typer.echo(error_line(dutch_usage_error(exc)), err=True)


class DutchGroup(TyperGroup):
    """The root command: click's usage errors come out in Dutch (exit code 2 as before)."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             **extra: Any) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except click_errors.NoArgsIsHelpError as exc:  # `lopdesk capacity`: the help text
            exc.show()
            sys.exit(exc.exit_code)
        except click_errors.UsageError as exc:
            _show_usage_error(exc)
            sys.exit(exc.exit_code or EXIT_INPUT)
        except click_errors.ClickException as exc:
            typer.echo(error_line(exc.format_message()), err=True)
            sys.exit(exc.exit_code)
        except typer.Abort:
            typer.echo(error_line("afgebroken"), err=True)
            sys.exit(1)
        except BrokenPipeError:  # outside a command (help text into `| head`)
            sys.exit(broken_pipe().exit_code)
        sys.exit(code if isinstance(code, int) else 0)


# The top-level commands of each module (tests/test_cli_core.py checks it against install):
# `lopdesk counters` builds the command line of lopdesk.commands.data alone, not all ~80
# commands (typer reads every signature; about a third of a quick command's process).
COMMANDS_OF = {
    "lopdesk.commands.setup": ("init", "demo", "db"),
    "lopdesk.commands.data": ("schools", "levels", "children", "counters", "import", "area"),
    "lopdesk.commands.register": ("fill", "register", "period", "offer"),
    "lopdesk.commands.capacity": ("capacity", "full"),
    "lopdesk.commands.calendar": ("calendar",),
    "lopdesk.commands.allocate": ("allocate",),
    "lopdesk.commands.rounds": ("round",),
    "lopdesk.commands.mediation": ("case", "notice", "child"),
    "lopdesk.commands.extract": ("extract",),
    "lopdesk.commands.export": ("export",),
    "lopdesk.commands.ops": ("backup", "restore", "users", "audit"),
}
MODULE_OF = {name: module for module, names in COMMANDS_OF.items() for name in names}


def root(
    ctx: typer.Context,
    db: str | None = typer.Option(
        None, "--db", help="Databank: pad naar SQLite-bestand of URL (ook via LOPDESK_DB)."
    ),
    version: bool = typer.Option(False, "--version", help="Toon de versie."),
) -> None:
    State.db = db
    if version:
        typer.echo(__version__)
        raise typer.Exit(0)
    if ctx.invoked_subcommand is None:
        open_app()


def make_cli(modules: Sequence[str] = COMMAND_MODULES) -> typer.Typer:
    """The root command with the commands of `modules` (all of them by default)."""
    cli = typer.Typer(
        cls=DutchGroup,
        name="lopdesk",
        help="lopdesk: inschrijvingsregisters, capaciteit, aanmeldingen en bemiddeling voor "
             "een LOP.",
        no_args_is_help=False,
        add_completion=True,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
    )
    cli.callback(invoke_without_command=True)(root)
    for name in modules:
        module: Any = importlib.import_module(name)
        module.install(cli)
    return cli


def modules_for(argv: Sequence[str]) -> tuple[str, ...]:
    """The command modules a command line needs: the one of its command, none for bare
    `lopdesk` (the app), all for help, an unknown command or anything unusual."""
    args = list(argv)
    while args and args[0].startswith("-"):
        if args[0] == "--db" and len(args) > 1:
            args = args[2:]
        elif args[0].startswith("--db="):
            args = args[1:]
        else:  # --help, --version, completion: the whole command line
            return COMMAND_MODULES
    if not args:
        return ()
    module = MODULE_OF.get(args[0])
    return (module,) if module else COMMAND_MODULES


def __getattr__(name: str) -> Any:
    """`lopdesk.cli.app`: the whole command line, built at first use (tests, completion)."""
    if name == "app":
        globals()["app"] = cli = make_cli()
        return cli
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def open_app() -> None:
    from lopdesk.commands.common import open_db

    db = open_db(check=True)
    from lopdesk.app import make_app  # Textual only now

    make_app(db).run()


def main() -> None:
    make_cli(modules_for(sys.argv[1:]))()


if __name__ == "__main__":
    main()
