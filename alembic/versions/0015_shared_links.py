"""shared_links, shared_link_hosts: link results shared across crawl processes

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03

A link target's verdict is kept for `crawler.link_share_hours` and reused by every crawl on the
database (crawler.sharing), with the claim that makes one process check it while the others
wait; shared_link_hosts spaces the link checks sent to one host by all processes.
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('shared_links',
    sa.Column('url', sa.String(length=2048), nullable=False),
    sa.Column('claimed_by', sa.String(length=255), nullable=True),
    sa.Column('claimed_at', sa.Float(), nullable=True),
    sa.Column('checked_at', sa.Float(), nullable=True),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('url', name=op.f('pk_shared_links'))
    )
    with op.batch_alter_table('shared_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shared_links_checked_at'), ['checked_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_shared_links_claimed_by'), ['claimed_by'], unique=False)
    op.create_table('shared_link_hosts',
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('next_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('host', name=op.f('pk_shared_link_hosts'))
    )


def downgrade() -> None:
    op.drop_table('shared_link_hosts')
    with op.batch_alter_table('shared_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shared_links_claimed_by'))
        batch_op.drop_index(batch_op.f('ix_shared_links_checked_at'))
    op.drop_table('shared_links')
