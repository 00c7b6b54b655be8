"""`lopdesk init`, `lopdesk db upgrade`, `lopdesk demo`: creating and filling a database."""

from __future__ import annotations

import typer

from lopdesk.commands.common import JSON_OPTION, echo, emit, fail, handle_errors, open_db

db_app = typer.Typer(help="Databankbeheer.", no_args_is_help=True)


@handle_errors
def init_cmd() -> None:
    """De databank aanmaken of bijwerken naar de huidige schemaversie."""
    from lopdesk.domain.setup import initialise

    db = open_db(check=False)
    try:
        created = initialise(db)
    finally:
        db.dispose()
    where = db.settings.sqlite_path or db.url
    echo(f"databank {'aangemaakt' if created else 'bijgewerkt'}: {where}"
               + (f" (beheerder: {db.user})" if created else ""))


@db_app.command("upgrade")
@handle_errors
def db_upgrade() -> None:
    """De databank migreren naar de schemaversie van deze lopdesk."""
    from lopdesk.domain.setup import initialise

    db = open_db(check=False)
    try:
        if db.revision() is None:
            raise fail("de databank bestaat nog niet: gebruik 'lopdesk init'.")
        initialise(db)
    finally:
        db.dispose()
    echo("databank bijgewerkt")


@db_app.command("grant")
@handle_errors
def db_grant(as_json: bool = JSON_OPTION) -> None:
    """PostgreSQL: de groepsrollen lopdesk_viewer, _mediation, _expert en _admin aanmaken en
    hun rechten toekennen (door de eigenaar van de databank, na init en elke upgrade)."""
    from lopdesk.domain import pg_roles

    db = open_db(check=True)
    try:
        result = pg_roles.grant(db)
    finally:
        db.dispose()
    if as_json:
        emit(result, True)
    else:
        typer.echo(f"rechten toegekend op {result.database}: {', '.join(result.groups)}")


@handle_errors
def demo_cmd(size: str = typer.Option("normal", "--size", help="small, normal of large."),
             seed: int = typer.Option(2027, "--seed", help="Zaad: zelfde zaad, zelfde gebied."),
             today: str | None = typer.Option(
                 None, "--today", help="De dag waarop het demogebied gebouwd wordt (JJJJ-MM-DD; "
                 "standaard vandaag). De databank loopt dan op een oefenklok vanaf die dag."),
             as_json: bool = JSON_OPTION) -> None:
    """Het demogebied laden (een Gents LOP basisonderwijs met secundair deelgebied), in een
    nieuwe databank: een oefenomgeving rond vandaag of de dag van --today."""
    from datetime import date

    from lopdesk import demo
    from lopdesk.domain.setup import initialise

    day = None
    if today is not None:
        try:
            day = date.fromisoformat(today)
        except ValueError:
            raise fail(f"--today: '{today}' is geen datum (JJJJ-MM-DD).", 2) from None

    db = open_db(check=False)
    try:
        if db.revision() is None:
            initialise(db)
        if demo.has_demo(db):
            raise fail("het demogebied staat al in deze databank.", 1)
        summary = demo.generate(db, size=size, seed=seed, today=day)
    finally:
        db.dispose()
    if as_json:
        emit(summary, True)
    else:
        echo(f"demogebied ({summary.size}, zaad {summary.seed}): {summary.schools} "
                   f"scholen, {summary.levels} capaciteitsniveaus, {summary.children} kinderen, "
                   f"{summary.entries} registerlijnen in {summary.seconds} s; oefenomgeving "
                   f"op {summary.day}")


def install(app: typer.Typer) -> None:
    app.command("init")(init_cmd)
    app.add_typer(db_app, name="db")
    app.command("demo")(demo_cmd)
