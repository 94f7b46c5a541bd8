"""notices to each site's webmasters and to the supervisors

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03

- sites.contacts: the registry's `contacts` (the site's webmasters), filled for existing
  rows from sites.config, where the registry entry is kept whole.
- notifications: one row per (finding, recipient) instead of per (finding, channel), with
  the attempts, the time of the next retry and whether the send was given up. Rows of the
  former global channels are kept with recipient "email:（旧版全局渠道）" or
  "webhook:（旧版全局渠道）"; they stand for no address of the new settings, so a veto
  finding first seen within `[notify] max_age_days` before the upgrade may be announced once
  more to the supervisors.
- digest_sends: the daily digests and supervisor summaries, once per (day, recipient).
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa

from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def _key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def upgrade() -> None:
    with op.batch_alter_table('sites') as batch:
        batch.add_column(sa.Column('contacts', sa.JSON(), nullable=True))
    sites = sa.table('sites', sa.column('id', sa.String()), sa.column('config', sa.JSON()),
                     sa.column('contacts', sa.JSON()))
    conn = op.get_bind()
    for site_id, config in conn.execute(sa.select(sites.c.id, sites.c.config)).all():
        contacts = config.get('contacts') if isinstance(config, dict) else None
        conn.execute(sites.update().where(sites.c.id == site_id)
                     .values(contacts=contacts if isinstance(contacts, list) else []))

    with op.batch_alter_table('notifications') as batch:
        batch.add_column(sa.Column('recipient', sa.Text(), nullable=True))
        batch.add_column(sa.Column('recipient_key', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('attempts', sa.Integer(), nullable=False,
                                   server_default='1'))
        batch.add_column(sa.Column('retry_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('gave_up', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    notes = sa.table('notifications', sa.column('id', sa.Integer()),
                     sa.column('channel', sa.String()), sa.column('recipient', sa.Text()),
                     sa.column('recipient_key', sa.String()))
    for channel in ('email', 'webhook'):
        recipient = f'{channel}:（旧版全局渠道）'
        conn.execute(notes.update().where(notes.c.channel == channel)
                     .values(recipient=recipient, recipient_key=_key(recipient)))
    with op.batch_alter_table('notifications') as batch:
        batch.drop_constraint('uq_notifications_finding_id', type_='unique')
        batch.alter_column('recipient', existing_type=sa.Text(), nullable=False)
        batch.alter_column('recipient_key', existing_type=sa.String(length=64), nullable=False)
        batch.create_unique_constraint('uq_notifications_finding_recipient',
                                       ['finding_id', 'recipient_key'])

    op.create_table('digest_sends',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('site_id', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('recipient', sa.Text(), nullable=False),
    sa.Column('recipient_key', sa.String(length=64), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('retry_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('gave_up', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_digest_sends')),
    sa.UniqueConstraint('day', 'kind', 'site_id', 'recipient_key',
                        name='uq_digest_sends_day_recipient')
    )


def downgrade() -> None:
    op.drop_table('digest_sends')
    conn = op.get_bind()
    notes = sa.table('notifications', sa.column('id', sa.Integer()),
                     sa.column('finding_id', sa.Integer()), sa.column('channel', sa.String()))
    # One row per (finding, channel) again: keep the lowest id of each.
    keep = sa.select(sa.func.min(notes.c.id)).group_by(notes.c.finding_id, notes.c.channel)
    conn.execute(notes.delete().where(notes.c.id.not_in(keep)))
    with op.batch_alter_table('notifications') as batch:
        batch.drop_constraint('uq_notifications_finding_recipient', type_='unique')
        batch.create_unique_constraint('uq_notifications_finding_id', ['finding_id', 'channel'])
        batch.drop_column('gave_up')
        batch.drop_column('retry_at')
        batch.drop_column('attempts')
        batch.drop_column('recipient_key')
        batch.drop_column('recipient')
    # Not in batch mode: SQLite would copy `sites`, which other tables refer to; its
    # ALTER TABLE DROP COLUMN (3.35+) does it in place.
    op.drop_column('sites', 'contacts')
