"""availability.unreachable on stored probe series, through the check runner: the veto just
above 5% of the week's probes, none just below, and fixed once the failures age out."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from checks.runner import run_checks
from core.settings import Settings
from core.site import SiteEntry
from store import models as m
from store import repo

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=TZ)
SITE = SiteEntry.from_dict({"id": "yongzhou", "name": "永州市人民政府", "level": "city",
                            "url": "http://www.yongzhou.gov.cn/"})


def store_series(factory: sessionmaker[Session], total: int, failed: int,
                 end: datetime = NOW) -> None:
    """`total` probes evenly over the 7 days before `end`, the first `failed` of them failed
    (refused, or HTTP 500), plus probes outside the window that must not count."""
    step = timedelta(days=7) / total
    with factory.begin() as s:
        for i in range(total):
            at = end - timedelta(days=7) + step * (i + 0.5)
            bad = i < failed
            s.add(m.Probe(site_id=SITE.id, url=SITE.url, started_at=at, ok=not bad,
                          status=(500 if i % 2 else None) if bad else 200,
                          error_kind="refused" if bad and not i % 2 else None,
                          error=("HTTP 500" if i % 2 else "连接被拒绝") if bad else None,
                          elapsed_ms=900, size=5000 if not bad else None))
        for days in (8, 30):  # older failures: outside the 7-day window
            s.add(m.Probe(site_id=SITE.id, url=SITE.url, started_at=end - timedelta(days=days),
                          ok=False, error_kind="timeout", error="超时"))
        s.add(m.Probe(site_id=SITE.id, url=SITE.url, started_at=end + timedelta(minutes=5),
                      ok=False, error_kind="timeout", error="超时"))  # after --as-of


def crawl_and_check(factory: sessionmaker[Session], now: datetime) -> list[m.Finding]:
    with factory.begin() as s:
        run = repo.create_run(s, [SITE.id], now)
        repo.finish_run(s, run.id, repo.FINISHED, {"pages": 0})
    run_checks(factory, Settings(), site_ids=[SITE.id], now=now)
    with factory() as s:
        return list(s.scalars(select(m.Finding).where(
            m.Finding.check == "availability.unreachable")))


@pytest.fixture
def site(factory: sessionmaker[Session]) -> sessionmaker[Session]:
    with factory.begin() as s:
        repo.upsert_sites(s, [SITE])
    return factory


def test_just_above_five_percent_is_the_veto(site: sessionmaker[Session]) -> None:
    store_series(site, total=159, failed=8)  # 5.03% (at least 20 a day: a full sample)
    (finding,) = crawl_and_check(site, NOW)
    assert finding.severity == "veto" and finding.status == "open"
    assert finding.url == finding.page == SITE.url
    assert "探测 159 次，无法访问 8 次（5.0%）" in finding.message
    evidence = finding.evidence
    assert evidence["probes"] == 159 and evidence["failures"] == 8
    failed = evidence["failed_probes"]
    assert len(failed) == 8  # every failed probe, with its time, status and error
    assert {f["error"] for f in failed} == {"HTTP 500", "连接被拒绝"}
    assert {f["status"] for f in failed} == {500, None}
    assert all(f["time"].endswith("+08:00") for f in failed)
    assert failed == sorted(failed, key=lambda f: f["time"])


def test_just_below_five_percent_is_nothing(site: sessionmaker[Session]) -> None:
    store_series(site, total=161, failed=8)  # 4.97%
    assert crawl_and_check(site, NOW) == []


def test_fixed_when_the_failures_leave_the_window(site: sessionmaker[Session]) -> None:
    store_series(site, total=140, failed=10)
    (finding,) = crawl_and_check(site, NOW)
    assert finding.status == "open"
    later = NOW + timedelta(days=7)
    store_series(site, total=140, failed=0, end=later)
    (finding,) = crawl_and_check(site, later)
    assert finding.status == "fixed"
