"""The workers' queue: procrastinate's schema (PostgreSQL only) and crawl_runs.heartbeat_at

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03

`govwatch worker` processes on any number of machines take site crawls from a procrastinate
queue kept in the same PostgreSQL database (govwatch/queue.py). On PostgreSQL this installs
procrastinate's schema (its tables, types, functions and triggers, all named procrastinate_*)
as shipped with the installed procrastinate 3.x, so that `govwatch init` leaves a working
queue; a later procrastinate release that changes its schema gets its own migration applying
procrastinate's migration files. On SQLite (no workers: everything runs in-process) it adds
only the column.

crawl_runs.heartbeat_at is renewed by the process driving a run (a worker, or serve's nightly
crawl); a run whose heartbeat stopped is marked interrupted from any host.
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('crawl_runs') as batch:
        batch.add_column(sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True))
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    from procrastinate.schema import SchemaManager

    exists = bind.exec_driver_sql("SELECT to_regclass('procrastinate_jobs') IS NOT NULL"
                                  ).scalar()
    if exists:  # installed by hand before (procrastinate schema --apply)
        return
    # Through the driver's own cursor without parameters: the schema is many statements
    # (psycopg's simple query protocol) and its "%" are literal.
    with bind.connection.driver_connection.cursor() as cursor:  # type: ignore[union-attr]
        cursor.execute(SchemaManager.get_schema())


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        bind.exec_driver_sql(
            "DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers, "
            "procrastinate_jobs, procrastinate_workers, procrastinate_version CASCADE")
        prefix = {"prefix": "procrastinate\\_%"}
        functions = bind.execute(sa.text(
            "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n "
            "ON n.oid = p.pronamespace WHERE n.nspname = current_schema() "
            "AND p.proname LIKE :prefix"), prefix).scalars().all()
        for function in functions:
            bind.exec_driver_sql(f"DROP FUNCTION IF EXISTS {function} CASCADE")
        types = bind.execute(sa.text(
            "SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
            "WHERE n.nspname = current_schema() AND t.typname LIKE :prefix "
            "AND t.typtype IN ('e', 'c')"), prefix).scalars().all()
        for name in types:
            bind.exec_driver_sql(f'DROP TYPE IF EXISTS "{name}" CASCADE')
    with op.batch_alter_table('crawl_runs') as batch:
        batch.drop_column('heartbeat_at')
