"""certificate facts on probes, date changes on item sightings

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03

https.missing reads the certificate each home-page probe saw (its expiry and issuer), so
that the check stays a pure function of stored facts. content.fake-dates reads the
publication time an earlier crawl showed for an item whose date a later crawl showed
changed, and the crawl run that saw the change.
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('probes') as batch:
        batch.add_column(sa.Column('tls_not_after', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('tls_issuer', sa.String(length=255), nullable=True))
    with op.batch_alter_table('item_sightings') as batch:
        batch.add_column(sa.Column('previous_published', sa.DateTime(timezone=True),
                                   nullable=True))
        batch.add_column(sa.Column('date_changed_run', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('item_sightings') as batch:
        batch.drop_column('date_changed_run')
        batch.drop_column('previous_published')
    with op.batch_alter_table('probes') as batch:
        batch.drop_column('tls_issuer')
        batch.drop_column('tls_not_after')
