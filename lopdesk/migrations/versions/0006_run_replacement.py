"""run replacement: what a replacing run replaces and why, superseded notices, ended offers

Revision ID: 0006_run_replacement
Revises: 0005_level_grade

A replacing allocation run names the run it replaces and the reason (ALC-05, the
proces-verbaal); a refusal notice of a replaced line is marked superseded instead of
counting twice; an open offer on a replaced line ends with its reason (WL-01).
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lopdesk.domain.types

revision: str = "0006_run_replacement"
down_revision: str | None = "0005_level_grade"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("allocation_run", sa.Column("replaces", sa.Integer(), nullable=True))
    op.add_column("allocation_run", sa.Column("replace_reason", sa.String(), nullable=False,
                                              server_default=""))
    op.add_column("allocation_run", sa.Column("adjustments", sa.Text(), nullable=False,
                                              server_default="{}"))
    op.add_column("refusal_notice", sa.Column(
        "superseded_at", lopdesk.domain.types.UTCDateTime(), nullable=True))
    op.add_column("refusal_notice", sa.Column("superseded_by_run", sa.Integer(), nullable=True))
    op.add_column("offer", sa.Column("end_reason", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("offer") as batch_op:
        batch_op.drop_column("end_reason")
    with op.batch_alter_table("refusal_notice") as batch_op:
        batch_op.drop_column("superseded_by_run")
        batch_op.drop_column("superseded_at")
    with op.batch_alter_table("allocation_run") as batch_op:
        batch_op.drop_column("adjustments")
        batch_op.drop_column("replace_reason")
        batch_op.drop_column("replaces")
