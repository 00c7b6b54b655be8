"""`lopdesk users …`, `lopdesk audit …`, `lopdesk backup`, `lopdesk restore`: running a server."""

from __future__ import annotations

from pathlib import Path

import typer

from lopdesk.commands import common

users_app = typer.Typer(help="Gebruikers en rollen (beheerder).", no_args_is_help=True)
audit_app = typer.Typer(help="Het auditspoor: nazien en opvragen.", no_args_is_help=True)

USER_COLUMNS = [("name", "gebruiker"), ("role_label", "rol"), ("role", "rolcode"),
                ("full_name", "naam"), ("active", "actief")]
AUDIT_COLUMNS = [("id", "nr"), ("at", "tijdstip"), ("user", "gebruiker"), ("action", "actie"),
                 ("entity", "object"), ("entity_id", "id"), ("detail", "details")]
ROLE_HELP = "Rol: lop_expert, mediation, viewer of admin."


def _warn_permissions(db) -> None:
    from lopdesk.domain.file_modes import permission_warnings

    for line in permission_warnings(db):
        common.echo(line, err=True)


def _map_pg_role(db, name: str, role: str) -> None:
    """PostgreSQL: the login joins the group of its role (or: what the DBA must run)."""
    from lopdesk.domain.pg_roles import map_user

    todo = map_user(db, name, role)
    if todo and todo[0].startswith("--"):
        common.echo("let op: de groepsrollen bestaan nog niet op de databaseserver; voer eerst "
                    "'lopdesk db grant' uit en daarna:", err=True)
        todo = todo[1:]
    elif todo:
        common.echo("let op: u mag de rollen op de databaseserver niet wijzigen; laat een "
                    "beheerder van de server dit uitvoeren (psql):", err=True)
    for sql in todo:
        common.echo(f"  {sql};", err=True)


def _user_line(row) -> str:
    state = "" if row.active else " (gedeactiveerd)"
    return f"{row.name}: {row.role_label} ({row.role}){state}"


@users_app.command("add")
@common.handle_errors
def users_add(name: str = typer.Argument(..., help="Login op de server."),
              role: str = typer.Option(..., "--role", "-r", help=ROLE_HELP),
              full_name: str = typer.Option("", "--name", help="Volledige naam."),
              as_json: bool = common.JSON_OPTION) -> None:
    """Een gebruiker toevoegen (of opnieuw activeren) met een rol."""
    from lopdesk.domain import ops

    with common.database() as db:
        row = ops.add_user(db, name, role, full_name)
        _map_pg_role(db, name, role)
    common.emit(row, True) if as_json else common.echo(f"toegevoegd: {_user_line(row)}")


@users_app.command("list")
@common.handle_errors
def users_list(show_all: bool = typer.Option(False, "--all", help="Ook gedeactiveerde."),
               as_json: bool = common.JSON_OPTION) -> None:
    """Alle gebruikers en hun rol."""
    from lopdesk.domain import ops

    with common.database() as db:
        rows = ops.list_users(db, include_inactive=show_all)
    if as_json:
        common.emit(rows, True)
        return
    from lopdesk.labels import yes_no

    common.emit([{**r.__dict__, "active": yes_no(r.active)} for r in rows], False, USER_COLUMNS)


@users_app.command("role")
@common.handle_errors
def users_role(name: str = typer.Argument(...),
               role: str = typer.Argument(..., help=ROLE_HELP),
               as_json: bool = common.JSON_OPTION) -> None:
    """De rol van een gebruiker wijzigen."""
    from lopdesk.domain import ops

    with common.database() as db:
        row = ops.set_role(db, name, role)
        _map_pg_role(db, name, role)
    common.emit(row, True) if as_json else common.echo(_user_line(row))


@users_app.command("deactivate")
@common.handle_errors
def users_deactivate(name: str = typer.Argument(...), as_json: bool = common.JSON_OPTION) -> None:
    """Een gebruiker deactiveren (blijft in het auditspoor staan, kan niets meer doen)."""
    from lopdesk.domain import ops

    with common.database() as db:
        row = ops.deactivate_user(db, name)
    common.emit(row, True) if as_json else common.echo(_user_line(row))


@audit_app.command("verify")
@common.handle_errors
def audit_verify(anchor: Path | None = typer.Option(
        None, "--anchor", help="Anker van 'audit anchor': de keten moet die kop nog bevatten."),
        as_json: bool = common.JSON_OPTION) -> None:
    """De hashketen en de inhoud van de tabellen nazien: meldt elk gewijzigd, toegevoegd of
    verwijderd record en elke rij die buiten lopdesk veranderde (exit 1)."""
    from lopdesk.domain import ops

    with common.database() as db:
        _warn_permissions(db)
        report = ops.verify_audit(db, anchor)
    if as_json:
        common.emit({"ok": report.ok, "records": report.records, "problems": report.problems}, True)
    first = report.first
    if first is None:
        if not as_json:
            common.echo(f"auditspoor in orde: {report.records} records, keten ongeschonden")
        return
    def describe(p) -> str:  # record 0: a register whose state differs from its history
        if p.kind.startswith("row_") or p.kind == "anchor":
            return p.message
        if p.record_id == 0:
            return f"register: {p.message}"
        what = "gewijzigd" if p.kind == "edited" else "verwijderd"
        return f"record {p.record_id} {what} ({p.message})"

    common.echo(common.error_line(f"auditspoor geschonden: {describe(first)}"), err=True)
    for p in report.problems[1:]:
        common.echo(f"  ook {describe(p)}", err=True)
    raise typer.Exit(common.EXIT_RULE)


@audit_app.command("anchor")
@common.handle_errors
def audit_anchor(path: Path = typer.Argument(..., help="Bestand buiten de databank."),
                 as_json: bool = common.JSON_OPTION) -> None:
    """De kop van de keten (id en hash) in een bestand buiten de databank bewaren (0640)."""
    from lopdesk.domain import ops

    with common.database() as db:
        rec_id, digest = ops.write_anchor(db, path)
    if as_json:
        common.emit({"id": rec_id, "hash": digest, "file": str(path)}, True)
        return
    common.echo(f"anker geschreven naar {path}: record {rec_id}, hash {digest}")


@audit_app.command("list")
@common.handle_errors
def audit_list(entity: str | None = typer.Option(None, "--entity",
                                                 help="Soort object, bv. register_entry."),
               entity_id: str | None = typer.Option(None, "--id", help="Id van het object."),
               limit: int = typer.Option(200, "--limit", help="Hoogstens zoveel records."),
               as_json: bool = common.JSON_OPTION) -> None:
    """De laatste records van het auditspoor (van één object met --entity/--id)."""
    from lopdesk.domain import ops
    from lopdesk.labels import fmt_datetime

    with common.database() as db:
        rows = ops.list_audit(db, entity, entity_id, limit)
    if as_json:
        common.emit(rows, True)
        return
    common.emit([{**r.__dict__, "at": fmt_datetime(r.at), "detail": _readable(r.detail)}
                 for r in rows], False, AUDIT_COLUMNS)


def _readable(detail: str) -> str:
    """The detail for a terminal: the row digests (for `audit verify`) only counted."""
    import json

    try:
        data = json.loads(detail)
    except ValueError:
        return detail
    if not isinstance(data, dict) or "_rows" not in data:
        return detail
    rows = data.pop("_rows") or {}
    data["_rows"] = {table: len(keys) for table, keys in rows.items()}
    return json.dumps(data, sort_keys=True, ensure_ascii=False)


@common.handle_errors
def backup_cmd(path: str = typer.Argument(..., help="Bestand voor de back-up."),
               force: bool = typer.Option(False, "--force", help="Bestaand bestand vervangen."),
               as_json: bool = common.JSON_OPTION) -> None:
    """Een consistente kopie van de SQLite-databank maken terwijl anderen verder werken."""
    from lopdesk.domain import ops

    with common.database() as db:
        _warn_permissions(db)
        result = ops.backup(db, path, force=force)
    common.emit(result, True) if as_json else common.echo(
        f"back-up gemaakt: {result.path} ({result.bytes} bytes, schemaversie "
        f"{result.revision}, {result.audit_records} auditrecords)")


@common.handle_errors
def restore_cmd(path: str = typer.Argument(..., help="Back-upbestand."),
                force: bool = typer.Option(False, "--force",
                                           help="De bestaande databank overschrijven."),
                as_json: bool = common.JSON_OPTION) -> None:
    """Een back-up terugzetten (enkel een lopdesk-databank met een gekende schemaversie)."""
    from lopdesk.db import Database
    from lopdesk.domain import ops

    db = Database(common.settings(), create=False)  # a refused restore leaves no empty file behind
    try:
        info = ops.restore(db, path, force=force)
    finally:
        db.dispose()
    if as_json:
        common.emit(info, True)
        return
    common.echo(f"teruggezet uit {info.path} (schemaversie {info.revision}, "
               f"{info.audit_records} auditrecords)")
    if not info.current:
        common.echo("let op: de teruggezette databank is ouder; voer 'lopdesk db upgrade' uit.",
                   err=True)


def install(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
    app.add_typer(audit_app, name="audit")
    app.command("backup")(backup_cmd)
    app.command("restore")(restore_cmd)
