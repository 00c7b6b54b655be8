"""register counts: a covering index for the counters and the request hot path

Revision ID: 0004_register_counts
Revises: 0003_mediation

`area_counters` groups every register line by (level, status, contingent) and add_request
counts the realised lines of one level per contingent; with this index both read the index
alone (no table rows, no sort), on SQLite and PostgreSQL alike.
"""
from collections.abc import Sequence

from alembic import op

revision: str = "0004_register_counts"
down_revision: str | None = "0003_mediation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_register_counts"
COLUMNS = ["level_id", "status", "contingent", "overcapacity_category", "status_changed_at"]


def upgrade() -> None:
    op.create_index(INDEX, "register_entry", COLUMNS, unique=False)


def downgrade() -> None:
    op.drop_index(INDEX, table_name="register_entry")
