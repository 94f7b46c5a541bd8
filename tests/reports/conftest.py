"""A fixture world with known findings for the report tests.

Ten inspected sites (2 province, 3 city, 3 county, 2 department) plus one registered county
that no finished crawl covered; a finished crawl of all ten on the 15th of every month from
April to October 2026 at 02:00 (+08:00), and one failed crawl in August naming the eleventh.
Findings are recorded month by month through store.repo.record_findings, exactly as the check
runner does, from the table PLAN below: (site, check, how many, severity, column class, months
present). The expected numbers in the tests were worked out by hand from this table (see the
comments in test_build.py); they are not recomputed by report code.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session, sessionmaker

from checks.base import Finding, Severity
from core.settings import Settings
from core.site import SiteEntry
from store import repo
from store.session import make_engine, session_factory

TZ = ZoneInfo("Asia/Shanghai")
MONTHS = (4, 5, 6, 7, 8, 9, 10)
Q3 = (7, 8, 9)
ALL = MONTHS


def run_time(month: int) -> datetime:
    return datetime(2026, month, 15, 2, 0, tzinfo=TZ)


SITES = (
    SiteEntry(id="p1", name="湖南省人民政府", url="https://www.hunan.gov.cn/", level="province"),
    SiteEntry(id="p2", name="湖北省人民政府", url="https://www.hubei.gov.cn/", level="province"),
    SiteEntry(id="c1", name="长沙市人民政府", url="https://www.changsha.gov.cn/", level="city"),
    SiteEntry(id="c2", name="株洲市人民政府", url="https://www.zhuzhou.gov.cn/", level="city"),
    SiteEntry(id="c3", name="湘潭市人民政府", url="https://www.xiangtan.gov.cn/", level="city"),
    SiteEntry(id="x1", name="长沙县人民政府", url="https://www.csx.gov.cn/", level="county"),
    SiteEntry(id="x2", name="浏阳市人民政府", url="https://www.liuyang.gov.cn/", level="county"),
    SiteEntry(id="x3", name="宁乡市人民政府", url="https://www.ningxiang.gov.cn/",
              level="county"),
    SiteEntry(id="d1", name="湖南省教育厅", url="http://jyt.hunan.gov.cn/", level="department",
              kind="department"),
    SiteEntry(id="d2", name="湖南省财政厅", url="http://czt.hunan.gov.cn/", level="department",
              kind="department"),
    SiteEntry(id="x9", name="未检查县人民政府", url="https://www.x9.gov.cn/", level="county"),
)
INSPECTED = tuple(s.id for s in SITES if s.id != "x9")
NAMES = {s.id: s.name for s in SITES}


@dataclass(frozen=True, slots=True)
class Planned:
    site: str
    check: str
    count: int
    severity: Severity
    months: tuple[int, ...]
    column_class: str | None = None
    tag: str = ""  # keeps the URLs of two groups of one check apart


V, D, N = Severity.VETO, Severity.DEDUCT, Severity.NOTICE
PLAN = (
    # p1: nothing, ever.
    Planned("p2", "home.stale", 1, V, (7,)),
    Planned("c1", "links.dead", 25, D, (5, 6, 7, 8, 9, 10)),
    Planned("c1", "links.dead-home", 1, D, (7, 8, 9, 10)),
    Planned("c2", "links.dead", 150, D, (6, 7, 8, 9, 10)),
    Planned("c2", "identity.icp-missing", 1, D, ALL),
    Planned("c3", "columns.stale", 5, D, (7, 8, 9, 10), "news", "a"),
    Planned("c3", "columns.stale", 3, D, (7, 8, 9, 10), "notice", "b"),
    Planned("c3", "columns.stale", 2, D, (7, 8, 9, 10), None, "c"),
    Planned("c3", "meta.page-tags-missing", 2, N, (7, 8, 9)),
    Planned("x1", "columns.stale", 2, D, ALL, "personnel"),
    Planned("x1", "identity.icp-missing", 1, D, (4, 5, 6, 7)),
    Planned("x2", "columns.stale", 8, D, (7, 8, 9, 10), "notice"),
    Planned("x2", "links.dead-home", 8, D, (7, 8, 9, 10)),
    Planned("x3", "links.dead", 3, N, (7, 8, 9, 10), None, "soft"),  # downgraded by the check
    Planned("x3", "links.dead", 1, D, (9, 10)),
    Planned("d1", "identity.icp-missing", 1, D, (6, 7, 8, 9, 10)),
    Planned("d1", "home.stale", 1, V, (6, 7, 8, 9, 10)),
    Planned("d2", "links.dead", 1, D, (4, 5, 6), None, "old"),
    Planned("d2", "links.dead", 2, D, (8,), None, "aug"),
)
CHECKS_RUN = sorted({p.check for p in PLAN})


def _findings(plan: Planned) -> list[Finding]:
    site = next(s for s in SITES if s.id == plan.site)
    out = []
    for i in range(plan.count):
        evidence: dict[str, Any] = {}
        page = site.url
        if plan.check.startswith("links."):
            url = f"{site.url}missing/{plan.tag or 'x'}{i:03d}.html"
            page = site.url if plan.check == "links.dead-home" else f"{site.url}zwgk/"
            evidence = {"status": 404, "anchor": f"通知{i}"}
            message = "链接不可用: HTTP 404"
        elif plan.check == "columns.stale":
            url = f"{site.url}col{plan.tag}{i}/"
            page = url
            if plan.column_class:
                evidence["class"] = plan.column_class
            evidence["newest"] = "2026-01-05"
            message = "栏目超过更新周期未更新"
        elif plan.check == "meta.page-tags-missing":
            url = page = f"{site.url}art{i}.html"
            evidence = {"missing": ["SiteName", "SiteIDCode"]}
            message = "缺少网页标签"
        else:
            url = site.url
            message = {"home.stale": "首页两周内无更新", "identity.icp-missing":
                       "页脚未发现ICP备案编号"}[plan.check]
            evidence = {"footer": "版权所有 =HYPERLINK(\"http://evil\")"} \
                if plan.check == "identity.icp-missing" else {}
        out.append(Finding(site=plan.site, check=plan.check, severity=plan.severity, url=url,
                           page=page, message=message, rule="《政府网站与政务新媒体检查指标》",
                           evidence=evidence))
    return out


def build_world(factory: sessionmaker[Session]) -> None:
    with factory.begin() as s:
        repo.upsert_sites(s, SITES)
    for month in MONTHS:
        at = run_time(month)
        with factory.begin() as s:
            run = repo.create_run(s, list(INSPECTED), at)
            repo.finish_run(s, run.id, repo.FINISHED, {"pages": 1})
            run_id = run.id
            if month == 8:
                failed = repo.create_run(s, ["x9"], at)
                repo.finish_run(s, failed.id, repo.FAILED, {}, error="boom")
            for site in INSPECTED:
                found = [f for p in PLAN if p.site == site and month in p.months
                         for f in _findings(p)]
                repo.record_findings(s, found, site_id=site, checks_run=CHECKS_RUN,
                                     seen_at=at, crawl_run_id=run_id)


@dataclass(frozen=True, slots=True)
class World:
    url: str
    settings: Settings
    factory: sessionmaker[Session]


@pytest.fixture
def world(db_url: str) -> Iterator[World]:
    engine = make_engine(db_url)
    factory = session_factory(engine)
    build_world(factory)
    yield World(db_url, Settings(database_url=db_url), factory)
    engine.dispose()


@pytest.fixture
def artifacts() -> Path:
    path = Path(__file__).resolve().parents[1] / "_artifacts"
    path.mkdir(exist_ok=True)
    return path
