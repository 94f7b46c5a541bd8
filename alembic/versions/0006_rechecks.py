"""rechecks: the audit trail of the dashboard's “立即复核”

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21

One row per re-check a user asked for (web.recheck): who, when, what was seen, and whether it
closed the finding. Kept apart from `findings.evidence`, which every check pass rewrites, so
that a finding reopened by a later crawl still shows who marked it fixed and why. Not in
store.models: only web.audit reads and writes it (SQLAlchemy Core).
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('finding_rechecks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('finding_id', sa.Integer(), nullable=False),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_name', sa.String(length=64), nullable=False),
    sa.Column('result', sa.String(length=16), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['finding_id'], ['findings.id'], name=op.f('fk_finding_rechecks_finding_id_findings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_finding_rechecks'))
    )
    op.create_index('ix_finding_rechecks_finding_id', 'finding_rechecks', ['finding_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_finding_rechecks_finding_id', table_name='finding_rechecks')
    op.drop_table('finding_rechecks')
