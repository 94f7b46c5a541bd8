"""crawl_runs.pid_started: when the run's process started, beside its pid and host

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03

A command that finds a run `running` checks whether its process still lives before starting
another crawl of the same site (store.repo.reap_dead_runs). The pid alone cannot say: after
a crash the pid may belong to an unrelated process. The start time (epoch seconds, from
/proc; null where unknown, and for the runs before this migration) tells them apart.
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('crawl_runs') as batch:
        batch.add_column(sa.Column('pid_started', sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('crawl_runs') as batch:
        batch.drop_column('pid_started')
