"""Migration 0003 (report_samples) upgrades and downgrades cleanly on each backend."""

from __future__ import annotations

import os

from sqlalchemy import inspect

from alembic import command
from store.session import alembic_config, current_revision, make_engine, upgrade

PG_URL = os.environ.get("GOVWATCH_TEST_POSTGRES_URL")


def test_0003_upgrades_from_0002_and_downgrades(empty_url: str) -> None:
    engine = make_engine(empty_url)
    try:
        upgrade(empty_url, "0002")
        assert "report_samples" not in inspect(engine).get_table_names()
        upgrade(empty_url, "0003")
        assert current_revision(engine) == "0003"
        columns = {c["name"] for c in inspect(engine).get_columns("report_samples")}
        assert columns == {"id", "kind", "period", "rate", "seed", "method", "population",
                           "site_ids", "digest", "created_at"}
        indexes = {i["name"] for i in inspect(engine).get_indexes("report_samples")}
        assert indexes == {"ix_report_samples_digest", "ix_report_samples_kind_period"}
        command.downgrade(alembic_config(empty_url), "0002")
        assert "report_samples" not in inspect(engine).get_table_names()
        upgrade(empty_url)  # and on to head
        assert "report_samples" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
