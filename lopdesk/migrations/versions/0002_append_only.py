"""append-only guards: history, audit trail and register entries cannot be deleted (REG-02)

Revision ID: 0002_append_only
Revises: 0001_initial
"""
from collections.abc import Sequence

from alembic import op

revision: str = "0002_append_only"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> operations refused. Register entries change status but are never deleted.
GUARDED = {
    "register_event": ("UPDATE", "DELETE"),
    "audit_record": ("UPDATE", "DELETE"),
    "register_entry": ("DELETE",),
}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for table, ops in GUARDED.items():
            for verb in ops:
                op.execute(
                    f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only (REG-02)'); END"
                )
    else:
        op.execute(
            "CREATE OR REPLACE FUNCTION lopdesk_append_only() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION '% is append-only (REG-02)', TG_TABLE_NAME; END $$ "
            "LANGUAGE plpgsql"
        )
        for table, ops in GUARDED.items():
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE {' OR '.join(ops)} ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION lopdesk_append_only()"
            )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table, ops in GUARDED.items():
        if dialect == "sqlite":
            for verb in ops:
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{verb.lower()}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    if dialect != "sqlite":
        op.execute("DROP FUNCTION IF EXISTS lopdesk_append_only()")
