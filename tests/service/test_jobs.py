"""The nightly crawl job: staggered crawl processes, a hung crawl killed after the limit while
the others go on, each finished crawl checked, and a clean stop on shutdown."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.settings import Settings, apply_mapping
from core.site import SiteEntry
from govwatch import dispatch, jobs
from store import models as m
from store import repo

TZ = ZoneInfo("Asia/Shanghai")


def site(site_id: str, level: str = "city") -> SiteEntry:
    return SiteEntry.from_dict({"id": site_id, "name": f"{site_id}市人民政府", "level": level,
                                "url": f"http://www.{site_id}.gov.cn/"})


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, db_url: str,
         factory: sessionmaker[Session]) -> Iterator[tuple[Settings, Path]]:
    monkeypatch.setattr(jobs, "crawl_command", lambda run_id, settings, max_pages=None: [
        sys.executable, "-m", "tests.service.fake_crawl", "--run-id", str(run_id)])
    monkeypatch.setattr(jobs, "POLL", 0.05)
    monkeypatch.setattr(jobs, "KILL_GRACE", 0.5)
    monkeypatch.setenv("FAKE_CRAWL_DIR", str(tmp_path))
    settings = replace(apply_mapping(Settings(), {"scheduler": {
        "crawl_concurrency": 2, "crawl_timeout_minutes": 0.15}}, "test"), database_url=db_url)
    yield settings, tmp_path
    jobs.install(None)


def modes(monkeypatch: pytest.MonkeyPatch, **by_site: str) -> None:
    monkeypatch.setenv("FAKE_CRAWL_MODES", json.dumps(by_site))


def runs(factory: sessionmaker[Session]) -> dict[str, m.CrawlRun]:
    with factory() as s:
        return {r.site_ids[0]: r for r in s.scalars(select(m.CrawlRun))}


def test_hung_crawl_is_killed_and_the_others_go_on(
        fake: tuple[Settings, Path], factory: sessionmaker[Session],
        monkeypatch: pytest.MonkeyPatch) -> None:
    settings, _ = fake
    with factory.begin() as s:
        repo.upsert_sites(s, [site("hang"), site("done"), site("broken"), site("nation",
                                                                              "national")])
    modes(monkeypatch, hang="hang", done="finish", broken="fail", nation="finish")
    jobs.install(jobs.Runtime(settings, factory))
    import checks.runner

    checked: list[tuple[list[str], int | None, datetime]] = []
    real = checks.runner.run_checks

    def spy(*args: object, **kwargs: object) -> object:
        checked.append((list(kwargs["site_ids"]), kwargs["crawl_run_id"], kwargs["now"]))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(checks.runner, "run_checks", spy)

    report = dispatch.crawl_all()

    assert sorted(report.finished) == ["done", "nation"]
    assert sorted(report.failed) == ["broken", "hang"]
    assert report.check_errors == [] and report.skipped == []
    by_site = runs(factory)
    assert by_site["hang"].status == repo.FAILED
    assert "抓取超时（超过 0.15 分钟）" in (by_site["hang"].error or "")
    assert by_site["broken"].status == repo.FAILED
    assert all(r.status != repo.RUNNING and r.finished_at is not None for r in by_site.values())
    # Portals first: the national portal's crawl was created before the cities'.
    assert by_site["nation"].id == min(r.id for r in by_site.values())
    # Each finished crawl, and only those, was checked on its own run, as of that run.
    assert sorted((sites, run_id, now) for sites, run_id, now in checked) == sorted(
        ([name], by_site[name].id, by_site[name].as_of) for name in ("done", "nation"))
    assert "完成 2，失败 2" in report.line()


def test_shutdown_stops_running_crawls_once_and_starts_no_more(
        fake: tuple[Settings, Path], factory: sessionmaker[Session],
        monkeypatch: pytest.MonkeyPatch) -> None:
    settings, marks = fake
    settings = replace(settings, scheduler=replace(settings.scheduler, crawl_concurrency=1,
                                                   crawl_timeout_minutes=60.0))
    with factory.begin() as s:
        repo.upsert_sites(s, [site("first"), site("second")])
    modes(monkeypatch, first="graceful", second="finish")
    runtime = jobs.Runtime(settings, factory)
    jobs.install(runtime)
    result: list[jobs.CrawlReport] = []
    worker = threading.Thread(target=lambda: result.append(dispatch.crawl_all()))
    worker.start()
    ready = marks / "first.ready"
    for _ in range(600):
        if ready.exists():
            break
        threading.Event().wait(0.05)
    assert ready.exists(), "the crawl process never started"

    runtime.request_stop()
    worker.join(60)
    assert not worker.is_alive()

    (report,) = result
    assert report.interrupted == ["first"] and report.skipped == ["second"]
    assert (marks / "first.signals").read_text().split() == ["15"]  # one SIGTERM, not two
    by_site = runs(factory)
    assert set(by_site) == {"first"} and by_site["first"].status == repo.INTERRUPTED


def test_previous_period() -> None:
    def at(y: int, mo: int, d: int = 1) -> datetime:
        return datetime(y, mo, d, 6, tzinfo=TZ)

    assert jobs.previous_period("monthly", at(2026, 11)) == "2026-10"
    assert jobs.previous_period("monthly", at(2027, 1)) == "2026-12"
    assert jobs.previous_period("quarterly", at(2026, 10)) == "2026-Q3"
    assert jobs.previous_period("quarterly", at(2027, 1)) == "2026-Q4"
    assert jobs.previous_period("annual", at(2027, 1)) == "2026"


def test_report_job_without_data_logs_and_skips(
        fake: tuple[Settings, Path], factory: sessionmaker[Session], tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    settings, _ = fake
    settings = replace(settings, scheduler=replace(settings.scheduler,
                                                   report_dir=str(tmp_path / "reports")))
    jobs.install(jobs.Runtime(settings, factory))
    with caplog.at_level("WARNING", logger="govwatch.jobs"):
        jobs.report_monthly()
    assert "not written" in caplog.text or "unavailable" in caplog.text
    assert not (tmp_path / "reports").exists() or not any((tmp_path / "reports").iterdir())
