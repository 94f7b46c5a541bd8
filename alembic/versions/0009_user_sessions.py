"""user_sessions: dashboard logins held server-side, so that logout really ends them

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03

Until now a session lived only in its signed cookie: a cookie saved before POST /logout kept
working until `session_max_age`. Each login now has a row here (the SHA-256 of the random
token its cookie carries); logging out deletes the row, a password change or disabling the
user deletes all of the user's rows. Sessions open before this migration have no row and
so end: everyone logs in again once.
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('user_sessions',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_sessions_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_sessions'))
    )
    op.create_index('ix_user_sessions_user_id', 'user_sessions', ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_user_sessions_user_id', table_name='user_sessions')
    op.drop_table('user_sessions')
