"""Shared fixtures: a migrated database on SQLite and, when GOVWATCH_TEST_POSTGRES_URL is set
(CI sets it), on PostgreSQL too."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from core.registry import load_registry
from store.repo import upsert_sites
from store.session import make_engine, session_factory, upgrade

REPO = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("GOVWATCH_TEST_POSTGRES_URL")


# What the schema of the test database looked like right after `_migrated_postgres` ran the
# migrations (empty: unknown, e.g. after `_reset_postgres`): while it still looks so, emptying
# its tables is as good as migrating again, and far quicker.
_PG_AT_HEAD: list[tuple[Any, ...]] = []
_PG_SHAPE = text("""
    SELECT 'class', relname, relkind::text FROM pg_class
     WHERE relnamespace = 'public'::regnamespace
    UNION ALL SELECT 'proc', proname, '' FROM pg_proc WHERE pronamespace = 'public'::regnamespace
    UNION ALL SELECT 'type', typname, '' FROM pg_type WHERE typnamespace = 'public'::regnamespace
    UNION ALL SELECT 'column', table_name || '.' || column_name, data_type
      FROM information_schema.columns WHERE table_schema = 'public'
    UNION ALL SELECT 'version', version_num, '' FROM alembic_version
    ORDER BY 1, 2, 3""")


def _reset_postgres(url: str) -> None:
    _PG_AT_HEAD.clear()
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def _migrated_postgres(url: str) -> None:
    """Leave the PostgreSQL database at `alembic upgrade head` with no rows: by emptying
    every table (identities restarted) when its schema is exactly what the migrations left
    last time (no migration stores rows), else by dropping everything and migrating."""
    engine = make_engine(url)
    try:
        if _PG_AT_HEAD:
            try:
                with engine.begin() as conn:
                    if [tuple(row) for row in conn.execute(_PG_SHAPE)] == _PG_AT_HEAD:
                        tables = [name for kind, name, relkind in _PG_AT_HEAD if kind == "class"
                                  and relkind == "r" and name != "alembic_version"]
                        conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables)
                                          + " RESTART IDENTITY CASCADE"))
                        return
            except DBAPIError:  # no alembic_version table any more, say: start afresh
                pass
        _reset_postgres(url)
        upgrade(url)
        with engine.connect() as conn:
            _PG_AT_HEAD.extend(tuple(row) for row in conn.execute(_PG_SHAPE))
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def _sqlite_at_head(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file at `alembic upgrade head`, migrated once: tests get copies of it."""
    path = tmp_path_factory.mktemp("schema") / "head.db"
    upgrade(f"sqlite:///{path}")
    conn = sqlite3.connect(path)  # everything in the main file, none in a -wal beside it
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return path


def _migrated_sqlite(template: Path, path: Path) -> str:
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


def _backends() -> list[str]:
    return ["sqlite", "postgresql"] if PG_URL else ["sqlite"]


@pytest.fixture(params=_backends())
def db_url(request: pytest.FixtureRequest, tmp_path: Path, _sqlite_at_head: Path
           ) -> Iterator[str]:
    """An empty database at `alembic upgrade head`, on each configured backend."""
    if request.param == "postgresql":
        assert PG_URL is not None
        _migrated_postgres(PG_URL)
        url = PG_URL
    else:
        url = _migrated_sqlite(_sqlite_at_head, tmp_path / "govwatch.db")
    yield url


@pytest.fixture(params=_backends())
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database (no schema), on each configured backend: for migration tests."""
    if request.param == "postgresql":
        assert PG_URL is not None
        _reset_postgres(PG_URL)
        yield PG_URL
    else:
        yield f"sqlite:///{tmp_path / 'm.db'}"


@pytest.fixture
def sqlite_url(tmp_path: Path, _sqlite_at_head: Path) -> str:
    return _migrated_sqlite(_sqlite_at_head, tmp_path / "govwatch.db")


@pytest.fixture
def factory(db_url: str) -> Iterator[sessionmaker[Session]]:
    """A session factory on `db_url`; its engine is disposed after the test."""
    engine = make_engine(db_url)
    yield session_factory(engine)
    engine.dispose()


def init_and_import(db_url: str, registry: Path) -> None:
    """What `govwatch init` and `govwatch sites import REGISTRY` do, in this process: for
    tests that need a database with sites and are not about those commands (tests/test_cli.py
    runs them), without two command start-ups."""
    upgrade(db_url)
    engine = make_engine(db_url)
    try:
        with session_factory(engine).begin() as session:
            upsert_sites(session, load_registry(registry))
    finally:
        engine.dispose()


def interrupt_and_reap(proc: subprocess.Popen[str], timeout: float) -> None:
    """Ctrl-C a served command (`govwatch demo --serve`) and assert it exits 0 within
    `timeout`; whatever happens, the process is gone and its pipe closed afterwards."""
    proc.send_signal(signal.SIGINT)
    try:
        assert proc.wait(timeout=timeout) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
