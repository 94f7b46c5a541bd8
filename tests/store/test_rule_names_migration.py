"""Migration 0011: findings stored with seed file names in `rule` cite documents by title."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import sqlalchemy as sa

from store.session import make_engine, upgrade

PG_URL = os.environ.get("GOVWATCH_TEST_POSTGRES_URL")
OLD = ("001_d42a7317affeaaf8.txt 第十九条(四); 000_bbadca5fb3fd911a.txt 第四十一条(四); "
       "2015评分表")
NEW = ("《永州市政府网站建设管理办法》第十九条（四）；《德州市政府网站管理办法》第四十一条（四）；"
       "《全国政府网站普查评分表》")


def test_0011_names_the_documents_of_stored_findings(empty_url: str) -> None:
    upgrade(empty_url, "0010")
    engine = make_engine(empty_url)
    now = datetime(2026, 11, 20, tzinfo=UTC)
    rules = {"a": OLD, "b": "检查指标; 发展指引", "c": "《政府网站发展指引》", "d": "r"}
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO sites (id, name, url, level, kind, config, active, created_at, "
                "updated_at) VALUES ('s', '站', 'http://s/', 'city', 'portal', '{}', true, "
                ":t, :t)"), {"t": now})
            for i, (key, rule) in enumerate(rules.items()):
                conn.execute(sa.text(
                    "INSERT INTO findings (fingerprint, site_id, \"check\", url, page, severity, "
                    "message, evidence, rule, first_seen, last_seen, status) VALUES (:fp, 's', "
                    "'links.dead', :u, :u, 'deduct', 'm', '{}', :rule, :t, :t, 'open')"),
                    {"fp": f"fp{i}", "u": f"http://s/{key}", "rule": rule, "t": now})
        upgrade(empty_url)
        with engine.connect() as conn:
            got = dict(conn.execute(sa.text("SELECT url, rule FROM findings")).all())
        assert got == {
            "http://s/a": NEW,
            "http://s/b": "《政府网站与政务新媒体检查指标》；《政府网站发展指引》",
            "http://s/c": "《政府网站发展指引》",  # already by name: untouched
            "http://s/d": "r",
        }
    finally:
        engine.dispose()
