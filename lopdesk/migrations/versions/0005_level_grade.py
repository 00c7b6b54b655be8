"""capacity level grade: the year of an administrative group (CAP-06)

Revision ID: 0005_level_grade
Revises: 0004_register_counts

A full declaration applies only to administrative groups of the 2nd to 7th year of
secondary education; the administrative-group code alone does not say the year.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_level_grade"
down_revision: str | None = "0004_register_counts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("capacity_level", sa.Column("grade", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("capacity_level") as batch_op:
        batch_op.drop_column("grade")
