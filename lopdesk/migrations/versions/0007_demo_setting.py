"""demo setting: a key-value `setting` table; a demo database keeps its training day there

Revision ID: 0007_demo_setting
Revises: 0006_run_replacement

`lopdesk demo` writes the demo day and the training clock's offset into a new database
(lopdesk.clock); a database without them runs on the system clock.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_demo_setting"
down_revision: str | None = "0006_run_replacement"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "setting",
        sa.Column("key", sa.String(), primary_key=True),
        sa.Column("value", sa.String(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("setting")
