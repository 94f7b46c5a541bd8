"""rectify: the 整改 loop — deadlines, appeals and waivers on findings, and their audit trail

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03

findings gains `deadline` (the 整改期限, a local date counted in working days from first_seen
by severity), `review` ("" | appealed | dismissed | waived), `review_reason`, `review_at` and
`waived_until`; `finding_events` is the append-only audit trail of every step (store/review.py).
Existing findings get their deadline with the default working days frozen here (veto 5,
deduct 15, notice 30; the settings are not visible to a migration): the next check pass that
sees a finding rewrites it with the days in force. Downgrade drops all of it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from alembic import op
from store.workdays import add_working_days

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

DAYS = {"veto": 5, "deduct": 15, "notice": 30}
TZ = ZoneInfo("Asia/Shanghai")


def upgrade() -> None:
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deadline', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('review', sa.String(length=16), server_default='',
                                      nullable=False))
        batch_op.add_column(sa.Column('review_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('review_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('waived_until', sa.Date(), nullable=True))
    op.create_table('finding_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.String(length=64), nullable=False),
    sa.Column('finding_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_name', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('state_from', sa.String(length=16), nullable=False),
    sa.Column('state_to', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('waived_until', sa.Date(), nullable=True),
    sa.Column('crawl_run_id', sa.Integer(), nullable=True),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['crawl_run_id'], ['crawl_runs.id'], name=op.f('fk_finding_events_crawl_run_id_crawl_runs')),
    sa.ForeignKeyConstraint(['finding_id'], ['findings.id'], name=op.f('fk_finding_events_finding_id_findings')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_finding_events_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_finding_events'))
    )
    with op.batch_alter_table('finding_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_finding_events_finding_id'), ['finding_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_finding_events_site_id'), ['site_id'], unique=False)
    _backfill_deadlines()


def _aware(value: object) -> datetime:
    if isinstance(value, str):  # SQLite's stored text
        value = datetime.fromisoformat(value.replace(" ", "T", 1))
    assert isinstance(value, datetime)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _backfill_deadlines() -> None:
    """One UPDATE per distinct (first_seen, severity): a check pass stamps all its new
    findings with one first_seen, so there are few."""
    # first_seen untyped: the stored value as it is (SQLite's text, PostgreSQL's timestamptz),
    # so that the WHERE below matches it exactly.
    findings = sa.table("findings", sa.column("first_seen"),
                        sa.column("severity", sa.String), sa.column("deadline", sa.Date))
    bind = op.get_bind()
    pairs = list(bind.execute(sa.select(findings.c.first_seen, findings.c.severity).distinct()))
    for first_seen, severity in pairs:
        day = _aware(first_seen).astimezone(TZ).date()
        due = add_working_days(day, DAYS.get(severity, DAYS["deduct"]))
        bind.execute(findings.update()
                     .where(findings.c.first_seen == first_seen,
                            findings.c.severity == severity)
                     .values(deadline=due))


def downgrade() -> None:
    with op.batch_alter_table('finding_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_finding_events_site_id'))
        batch_op.drop_index(batch_op.f('ix_finding_events_finding_id'))
    op.drop_table('finding_events')
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.drop_column('waived_until')
        batch_op.drop_column('review_at')
        batch_op.drop_column('review')
        batch_op.drop_column('review_reason')
        batch_op.drop_column('deadline')
