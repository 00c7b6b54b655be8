"""mediation cell: refusal notices, LOP notifications, cases, timeline, proposals (NGI, MED)

Revision ID: 0003_mediation
Revises: 0002_append_only
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

import lopdesk.domain.types

revision: str = "0003_mediation"
down_revision: str | None = "0002_append_only"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> operations refused. The case timeline is append-only (MED-02, as REG-02);
# cases, notices, notifications and proposals change but are never deleted.
GUARDED = {
    "case_event": ("UPDATE", "DELETE"),
    "mediation_case": ("DELETE",),
    "refusal_notice": ("DELETE",),
    "lop_notification": ("DELETE",),
    "case_proposal": ("DELETE",),
}


def upgrade() -> None:
    op.create_table('case_auto_reason',
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('code')
    )
    op.create_table('mediation_case',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('child_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('area_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('trigger', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('request_on', sa.Date(), nullable=True),
    sa.Column('requested_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('opened_at', lopdesk.domain.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('opened_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('clr_complaint_on', sa.Date(), nullable=True),
    sa.Column('clr_complaint_note', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('outcome_school_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('closed_at', lopdesk.domain.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], ),
    sa.ForeignKeyConstraint(['child_id'], ['child.id'], ),
    sa.ForeignKeyConstraint(['outcome_school_id'], ['school.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_case_status', 'mediation_case', ['status'], unique=False)
    op.create_index(op.f('ix_mediation_case_area_id'), 'mediation_case', ['area_id'], unique=False)
    op.create_index(op.f('ix_mediation_case_child_id'), 'mediation_case', ['child_id'],
                    unique=False)
    op.create_table('case_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('at', lopdesk.domain.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('user', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=True),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('ref_id', sa.Integer(), nullable=True),
    sa.Column('rule_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['mediation_case.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_case_event_case_id'), 'case_event', ['case_id'], unique=False)
    op.create_table('case_party',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('contact', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('added_at', lopdesk.domain.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('added_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['mediation_case.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_case_party_case_id'), 'case_party', ['case_id'], unique=False)
    op.create_table('case_proposal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('level_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('school_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('proposed_at', lopdesk.domain.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('proposed_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('free_places', sa.Integer(), nullable=True),
    sa.Column('distance_m', sa.Float(), nullable=True),
    sa.Column('answer', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('answered_at', lopdesk.domain.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('answered_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('entry_id', sa.Integer(), nullable=True),
    sa.Column('overcapacity_category', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['mediation_case.id'], ),
    sa.ForeignKeyConstraint(['entry_id'], ['register_entry.id'], ),
    sa.ForeignKeyConstraint(['level_id'], ['capacity_level.id'], ),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_case_proposal_case_id'), 'case_proposal', ['case_id'], unique=False)
    op.create_table('case_refusal',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['mediation_case.id'], ),
    sa.ForeignKeyConstraint(['entry_id'], ['register_entry.id'], ),
    sa.PrimaryKeyConstraint('case_id', 'entry_id')
    )
    op.create_table('refusal_notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('child_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('level_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('school_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('sent_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('refused_at', lopdesk.domain.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('delivery_mode', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('delivered_on', sa.Date(), nullable=False),
    sa.Column('late', sa.Boolean(), nullable=False),
    sa.Column('clr_deadline', sa.Date(), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('recorded_at', lopdesk.domain.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['child_id'], ['child.id'], ),
    sa.ForeignKeyConstraint(['entry_id'], ['register_entry.id'], ),
    sa.ForeignKeyConstraint(['level_id'], ['capacity_level.id'], ),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('entry_id')
    )
    op.create_index(op.f('ix_refusal_notice_child_id'), 'refusal_notice', ['child_id'],
                    unique=False)
    op.create_index(op.f('ix_refusal_notice_school_id'), 'refusal_notice', ['school_id'],
                    unique=False)
    op.create_table('lop_notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('child_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('school_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('refused_at', lopdesk.domain.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=True),
    sa.Column('sent_under_mandate', sa.Boolean(), nullable=False),
    sa.Column('created_at', lopdesk.domain.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['child_id'], ['child.id'], ),
    sa.ForeignKeyConstraint(['entry_id'], ['register_entry.id'], ),
    sa.ForeignKeyConstraint(['notice_id'], ['refusal_notice.id'], ),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('entry_id')
    )
    op.create_index(op.f('ix_lop_notification_child_id'), 'lop_notification', ['child_id'],
                    unique=False)
    op.create_index(op.f('ix_lop_notification_school_id'), 'lop_notification', ['school_id'],
                    unique=False)

    # MED-01: the configured grounds that open a case automatically (default: exclusion).
    auto = sa.table("case_auto_reason", sa.column("code", sa.String),
                    sa.column("label", sa.String), sa.column("active", sa.Boolean))
    op.bulk_insert(auto, [{"code": "exclusion", "label": "uitsluiting na tuchtprocedure",
                           "active": True}])
    _guards()


def _guards() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for table, ops in GUARDED.items():
            for verb in ops:
                op.execute(
                    f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only (MED-02)'); END"
                )
    else:
        op.execute(
            "CREATE OR REPLACE FUNCTION lopdesk_case_append_only() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION '% is append-only (MED-02)', TG_TABLE_NAME; END $$ "
            "LANGUAGE plpgsql"
        )
        for table, ops in GUARDED.items():
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE {' OR '.join(ops)} ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION lopdesk_case_append_only()"
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
        op.execute("DROP FUNCTION IF EXISTS lopdesk_case_append_only()")

    op.drop_index(op.f('ix_lop_notification_school_id'), table_name='lop_notification')
    op.drop_index(op.f('ix_lop_notification_child_id'), table_name='lop_notification')
    op.drop_table('lop_notification')
    op.drop_index(op.f('ix_refusal_notice_school_id'), table_name='refusal_notice')
    op.drop_index(op.f('ix_refusal_notice_child_id'), table_name='refusal_notice')
    op.drop_table('refusal_notice')
    op.drop_table('case_refusal')
    op.drop_index(op.f('ix_case_proposal_case_id'), table_name='case_proposal')
    op.drop_table('case_proposal')
    op.drop_index(op.f('ix_case_party_case_id'), table_name='case_party')
    op.drop_table('case_party')
    op.drop_index(op.f('ix_case_event_case_id'), table_name='case_event')
    op.drop_table('case_event')
    op.drop_index(op.f('ix_mediation_case_child_id'), table_name='mediation_case')
    op.drop_index(op.f('ix_mediation_case_area_id'), table_name='mediation_case')
    op.drop_index('ix_case_status', table_name='mediation_case')
    op.drop_table('mediation_case')
    op.drop_table('case_auto_reason')
