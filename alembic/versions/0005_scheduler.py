"""scheduler: APScheduler's job store table

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21

The table APScheduler 3.x's SQLAlchemyJobStore keeps its jobs in, with exactly the schema it
would create itself (apscheduler/jobstores/sqlalchemy.py): created here so that every table of
the database comes from a migration and `govwatch serve` needs no DDL rights. The job store
then finds the table and leaves it alone. Not in store.models: the ORM never touches it.
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('apscheduler_jobs',
    # 191 = the longest indexable key in MySQL utf8mb4; 25 = an 8-byte float (APScheduler's own)
    sa.Column('id', sa.Unicode(length=191), nullable=False),
    sa.Column('next_run_time', sa.Float(precision=25), nullable=True),
    sa.Column('job_state', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_apscheduler_jobs'))
    )
    op.create_index('ix_apscheduler_jobs_next_run_time', 'apscheduler_jobs', ['next_run_time'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_apscheduler_jobs_next_run_time', table_name='apscheduler_jobs')
    op.drop_table('apscheduler_jobs')
