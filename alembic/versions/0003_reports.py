"""reports: spot-check samples

Revision ID: 0003
Revises: 0002 (0002_timeliness)
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('report_samples',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('period', sa.String(length=16), nullable=False),
    sa.Column('rate', sa.Double(), nullable=False),
    sa.Column('seed', sa.String(length=64), nullable=False),
    sa.Column('method', sa.String(length=32), nullable=False),
    sa.Column('population', sa.JSON(), nullable=False),
    sa.Column('site_ids', sa.JSON(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_samples'))
    )
    with op.batch_alter_table('report_samples', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_samples_digest'), ['digest'], unique=False)
        batch_op.create_index('ix_report_samples_kind_period', ['kind', 'period'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('report_samples', schema=None) as batch_op:
        batch_op.drop_index('ix_report_samples_kind_period')
        batch_op.drop_index(batch_op.f('ix_report_samples_digest'))

    op.drop_table('report_samples')
