"""sites.sponsor (主办单位) and the indexes the reports page uses to list periods with data

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03

`sponsor` is the registry's optional 主办单位 (shown in the reports); it was already kept in
`sites.config` when given, so existing rows are filled from there. The two indexes let
reports.available find the months with finding events without scanning the findings.
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sites') as batch:
        batch.add_column(sa.Column('sponsor', sa.String(length=255), nullable=True))
    op.create_index('ix_findings_last_seen', 'findings', ['last_seen'], unique=False)
    op.create_index('ix_findings_fixed_at', 'findings', ['fixed_at'], unique=False)
    sites = sa.table('sites', sa.column('id', sa.String()), sa.column('config', sa.JSON()),
                     sa.column('sponsor', sa.String()))
    conn = op.get_bind()
    for site_id, config in conn.execute(sa.select(sites.c.id, sites.c.config)).all():
        sponsor = config.get('sponsor') if isinstance(config, dict) else None
        if isinstance(sponsor, str) and sponsor:
            conn.execute(sites.update().where(sites.c.id == site_id).values(sponsor=sponsor))


def downgrade() -> None:
    op.drop_index('ix_findings_fixed_at', table_name='findings')
    op.drop_index('ix_findings_last_seen', table_name='findings')
    with op.batch_alter_table('sites') as batch:
        batch.drop_column('sponsor')
