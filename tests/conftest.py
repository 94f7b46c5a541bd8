"""Shared fixtures: a migrated database on SQLite and, when GOVWATCH_TEST_POSTGRES_URL is set
(CI sets it), on PostgreSQL too."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from core.registry import load_registry
from store.repo import upsert_sites
from store.session import make_engine, session_factory, upgrade

REPO = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("GOVWATCH_TEST_POSTGRES_URL")


def _reset_postgres(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def _backends() -> list[str]:
    return ["sqlite", "postgresql"] if PG_URL else ["sqlite"]


@pytest.fixture(params=_backends())
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database at `alembic upgrade head`, on each configured backend."""
    if request.param == "postgresql":
        assert PG_URL is not None
        _reset_postgres(PG_URL)
        url = PG_URL
    else:
        url = f"sqlite:///{tmp_path / 'govwatch.db'}"
    upgrade(url)
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
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'govwatch.db'}"
    upgrade(url)
    return url


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
