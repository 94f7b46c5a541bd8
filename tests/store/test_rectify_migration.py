"""Migration 0016 (the 整改 loop) upgrades, backfills deadlines and downgrades cleanly."""

from __future__ import annotations

from sqlalchemy import inspect, text

from alembic import command
from store.session import alembic_config, current_revision, make_engine, upgrade


def test_0016_adds_the_review_columns_backfills_deadlines_and_downgrades(
        empty_url: str) -> None:
    engine = make_engine(empty_url)
    try:
        upgrade(empty_url, "0015")
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO sites (id, name, url, level, kind, config, active, created_at, "
                "updated_at) VALUES ('a', '甲', 'http://a/', 'city', 'portal', '{}', :t, "
                ":at, :at)"), {"t": True, "at": "2026-09-30 01:00:00+00:00"})
            for i, (severity, seen) in enumerate((
                    ("veto", "2026-09-30 01:00:00+00:00"),  # Wednesday 09:00 local
                    ("deduct", "2026-09-30 01:00:00+00:00"),
                    ("veto", "2026-09-30 17:00:00+00:00"))):  # already 1 October local
                conn.execute(text(
                    "INSERT INTO findings (fingerprint, site_id, \"check\", url, page, "
                    "severity, message, evidence, rule, first_seen, last_seen, status) VALUES "
                    "(:fp, 'a', 'links.dead', :u, :u, :sev, 'm', '{}', 'r', :seen, :seen, "
                    "'open')"), {"fp": f"fp{i}", "u": f"http://a/{i}", "sev": severity,
                                 "seen": seen})
        upgrade(empty_url, "0016")
        assert current_revision(engine) == "0016"
        columns = {c["name"] for c in inspect(engine).get_columns("findings")}
        assert {"deadline", "review", "review_reason", "review_at",
                "waived_until"} <= columns
        assert "finding_events" in inspect(engine).get_table_names()
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT fingerprint, deadline, review FROM findings ORDER BY fingerprint"))
            got = [(fp, str(d), r) for fp, d, r in rows]
        assert got == [("fp0", "2026-10-13", ""), ("fp1", "2026-10-27", ""),
                       ("fp2", "2026-10-13", "")]
        command.downgrade(alembic_config(empty_url), "0015")
        columns = {c["name"] for c in inspect(engine).get_columns("findings")}
        assert "deadline" not in columns and "review" not in columns
        assert "finding_events" not in inspect(engine).get_table_names()
        upgrade(empty_url)  # and on to head
        assert "finding_events" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
