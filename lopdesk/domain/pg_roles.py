"""PostgreSQL roles: what each kind of lopdesk user may do, enforced by the server itself.

On PostgreSQL the acting user is the session user, so a colleague who connects with psql
is held to the same grants as lopdesk. Four group roles (NOLOGIN), one per lopdesk role:

| group | lopdesk role | privileges |
|---|---|---|
| lopdesk_viewer | viewer | SELECT on every table |
| lopdesk_mediation | mediation | + INSERT/UPDATE/DELETE on ordinary tables |
| lopdesk_expert | lop_expert | as lopdesk_mediation (finer rules are lopdesk's) |
| lopdesk_admin | admin | + INSERT/UPDATE on app_user (roles) |

Append-only tables (those with an `*_append_only` trigger) get INSERT and SELECT only, plus
UPDATE where the trigger allows it (a register entry's status); nobody but the owner role
may UPDATE or DELETE them, and only the owner (or a superuser) can drop or disable their
triggers. Each lopdesk user is a LOGIN role that is a member of exactly one group.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Connection

from lopdesk.db import Database
from lopdesk.domain.errors import InvalidInput

GROUPS = {"viewer": "lopdesk_viewer", "mediation": "lopdesk_mediation",
          "lop_expert": "lopdesk_expert", "admin": "lopdesk_admin"}
USERS_TABLE = "app_user"

# Which operations each append-only trigger refuses (tgtype bits of pg_trigger).
_TRIGGERS = text("""
    SELECT c.relname, (t.tgtype & 16) <> 0 AS refuses_update
    FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = current_schema() AND t.tgname LIKE '%append_only' AND NOT t.tgisinternal
""")
_TABLES = text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")


def _q(name: str) -> str:
    """A quoted identifier (role and table names come from our catalogue or the admin)."""
    return '"' + name.replace('"', '""') + '"'


def grant_statements(conn: Connection) -> list[str]:
    """The SQL that sets up the four groups on the current database (idempotent)."""
    database = conn.execute(text("SELECT current_database()")).scalar_one()
    tables = sorted(r[0] for r in conn.execute(_TABLES))
    guarded = {name: refuses_update for name, refuses_update in conn.execute(_TRIGGERS)}
    out: list[str] = []
    for group in GROUPS.values():
        out.append(f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = "
                   f"'{group}') THEN CREATE ROLE {group} NOLOGIN; END IF; END $$")
        out.append(f"GRANT CONNECT ON DATABASE {_q(database)} TO {group}")
        out.append(f"GRANT USAGE ON SCHEMA {_q(_schema(conn))} TO {group}")
        out.append(f"REVOKE ALL ON ALL TABLES IN SCHEMA {_q(_schema(conn))} FROM {group}")
        out.append(f"GRANT SELECT ON ALL TABLES IN SCHEMA {_q(_schema(conn))} TO {group}")
    writers = f"{GROUPS['mediation']}, {GROUPS['lop_expert']}, {GROUPS['admin']}"
    out.append(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {_q(_schema(conn))} "
               f"TO {writers}")
    for table in tables:
        if table == USERS_TABLE:
            out.append(f"GRANT INSERT, UPDATE ON {_q(table)} TO {GROUPS['admin']}")
        elif table in guarded:
            verbs = "INSERT" if guarded[table] else "INSERT, UPDATE"
            out.append(f"GRANT {verbs} ON {_q(table)} TO {writers}")
        elif table != "alembic_version":
            out.append(f"GRANT INSERT, UPDATE, DELETE ON {_q(table)} TO {writers}")
    return out


def _schema(conn: Connection) -> str:
    return str(conn.execute(text("SELECT current_schema()")).scalar_one())


@dataclass
class GrantResult:
    database: str
    groups: list[str]
    statements: int


def grant(db: Database) -> GrantResult:
    """Create the groups and grant their privileges; run by the database's owner role after
    `init` and after each `db upgrade` (new tables get their grants then)."""
    if db.is_sqlite:
        raise InvalidInput("'lopdesk db grant' is er enkel voor PostgreSQL; een SQLite-"
                           "bestand beschermt u met de rechten van de map (docs/operations.md).",
                           field="--db")
    with db.writer.begin() as conn:
        statements = grant_statements(conn)
        for sql in statements:
            conn.exec_driver_sql(sql)
        name = conn.execute(text("SELECT current_database()")).scalar_one()
    return GrantResult(str(name), list(GROUPS.values()), len(statements))


def membership_statements(name: str, role: str) -> list[str]:
    """SQL that makes login `name` a member of exactly the group of `role`."""
    group = GROUPS[role]
    others = [g for g in GROUPS.values() if g != group]
    return [
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = "
        f"'{name.replace(chr(39), chr(39) * 2)}') THEN CREATE ROLE {_q(name)} LOGIN; "
        "END IF; END $$",
        f"REVOKE {', '.join(others)} FROM {_q(name)}",
        f"GRANT {group} TO {_q(name)}",
    ]


def map_user(db: Database, name: str, role: str) -> list[str]:
    """Make the PostgreSQL login `name` a member of its group. Returns the statements that
    could not be run for lack of rights (to be run by the server's administrator)."""
    if db.is_sqlite:
        return []
    statements = membership_statements(name, role)
    with db.reader.connect() as conn:
        present = conn.execute(text("SELECT count(*) FROM pg_roles WHERE rolname = ANY(:g)"),
                               {"g": list(GROUPS.values())}).scalar_one()
    if present < len(GROUPS):  # `lopdesk db grant` has not run: nothing to join yet
        return ["-- eerst: lopdesk db grant", *statements]
    try:
        with db.writer.begin() as conn:
            for sql in statements:
                conn.exec_driver_sql(sql)
    except Exception as exc:  # no CREATEROLE / ADMIN OPTION: the administrator does it
        if getattr(getattr(exc, "orig", None), "sqlstate", None) != "42501":
            raise
        return statements
    return []
