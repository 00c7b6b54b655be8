"""lopdesk command line: every action scriptable; bare `lopdesk` opens the app.

Commands live in lopdesk/commands/<area>.py; each module has `install(app)` that adds its
commands or sub-groups. Textual is imported only when the app opens.
"""

from __future__ import annotations

import importlib
from typing import Any

import typer

from lopdesk import __version__
from lopdesk.commands.common import State

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
    "lopdesk.commands.ops",  # users, audit verify, backup, restore
)

app = typer.Typer(
    name="lopdesk",
    help="lopdesk: inschrijvingsregisters, capaciteit, aanmeldingen en bemiddeling voor een LOP.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@app.callback(invoke_without_command=True)
def root(
    ctx: typer.Context,
    db: str | None = typer.Option(
        None, "--db", help="Databank: pad naar SQLite-bestand of URL (ook via LOPDESK_DB)."
    ),
    user: str | None = typer.Option(
        None, "--user", hidden=True, help="Gebruiker (enkel voor scripts en tests)."
    ),
    version: bool = typer.Option(False, "--version", help="Toon de versie."),
) -> None:
    State.db = db
    State.user = user
    if version:
        typer.echo(__version__)
        raise typer.Exit(0)
    if ctx.invoked_subcommand is None:
        open_app()


def open_app() -> None:
    from lopdesk.commands.common import open_db

    db = open_db(check=True)
    from lopdesk.app import make_app  # Textual only now

    make_app(db).run()


def _install_all(target: typer.Typer) -> None:
    for name in COMMAND_MODULES:
        if importlib.util.find_spec(name) is None:  # module not written yet
            continue
        module: Any = importlib.import_module(name)
        module.install(target)


_install_all(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
