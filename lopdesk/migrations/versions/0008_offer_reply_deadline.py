"""offer reply deadline: the LOP's reply term for freed places and each offer's deadline

Revision ID: 0008_offer_reply_deadline
Revises: 0007_demo_setting

An offered freed place waits for the parents' answer until a deadline (WL-01); the number
of school days they get is a setting of the LOP area (default 5, see docs/decisions.md),
and every offer carries the deadline computed when it was made.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lopdesk.domain.types

revision: str = "0008_offer_reply_deadline"
down_revision: str | None = "0007_demo_setting"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("area", sa.Column("offer_reply_days", sa.Integer(), nullable=False,
                                    server_default="5"))
    op.add_column("offer", sa.Column("reply_by", lopdesk.domain.types.UTCDateTime(),
                                     nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("offer") as batch_op:
        batch_op.drop_column("reply_by")
    with op.batch_alter_table("area") as batch_op:
        batch_op.drop_column("offer_reply_days")
