"""attachment_texts: what the crawl read from the attachments of a site's pages

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03

One row per attachment (PDF, Word, Excel) a crawl downloaded and read for the content checks
(crawler.attachments): its format, size, how much text it held and the personal numbers found
in it, masked — never the text or a whole number.
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('attachment_texts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('crawl_run_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.String(length=64), nullable=False),
    sa.Column('url', sa.String(length=2048), nullable=False),
    sa.Column('page_url', sa.String(length=2048), nullable=False),
    sa.Column('format', sa.String(length=16), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('text_chars', sa.Integer(), nullable=False),
    sa.Column('personal', sa.JSON(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['crawl_run_id'], ['crawl_runs.id'], name=op.f('fk_attachment_texts_crawl_run_id_crawl_runs')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_attachment_texts_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachment_texts')),
    sa.UniqueConstraint('crawl_run_id', 'site_id', 'url', name=op.f('uq_attachment_texts_crawl_run_id'))
    )
    with op.batch_alter_table('attachment_texts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachment_texts_crawl_run_id'), ['crawl_run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachment_texts_site_id'), ['site_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('attachment_texts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachment_texts_site_id'))
        batch_op.drop_index(batch_op.f('ix_attachment_texts_crawl_run_id'))
    op.drop_table('attachment_texts')
