"""content.fake-dates through the check runner over two stored crawls: the second crawl shows
the items of a column on other days than the first (re-dated on every visit), and the runner's
item sightings carry the change to the check; re-checking the same crawl keeps the finding,
and a third crawl showing the same dates again fixes it."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from checks.runner import run_checks
from core.settings import Settings
from core.site import SiteEntry
from crawler.extract import extract
from store import models as m
from store import repo

TZ = ZoneInfo("Asia/Shanghai")
SITE = SiteEntry.from_dict({"id": "yongzhou", "name": "永州市人民政府", "level": "city",
                            "url": "http://www.yongzhou.gov.cn/"})
HOME = ("<html><head><title>永州市人民政府</title></head><body>"
        "<div class='nav'><a href='/'>首页</a><a href='/zwdt/'>政务动态</a>"
        "<a href='/tzgg/'>通知公告</a></div><p>永州市人民政府门户网站</p></body></html>")


def column_page(dates: list[str]) -> str:
    items = "".join(f"<li><a href='/zwdt/{i}.html'>永州市召开第{i}次工作推进会</a>"
                    f"<span>{date}</span></li>" for i, date in enumerate(dates, start=1))
    return (f"<html><head><title>政务动态</title></head><body><h2>政务动态</h2>"
            f"<ul class='list'>{items}</ul></body></html>")


def crawl(factory: sessionmaker[Session], now: datetime, dates: list[str]) -> int:
    """A finished crawl of the home page and the 政务动态 list showing `dates`."""
    with factory.begin() as s:
        run = repo.create_run(s, [SITE.id], now)
        for depth, path, html in ((0, "/", HOME), (1, "/zwdt/", column_page(dates))):
            url = SITE.url.rstrip("/") + path
            page = m.Page(crawl_run_id=run.id, site_id=SITE.id, url=url, status=200,
                          depth=depth, content_type="text/html", fetched_at=now)
            s.add(page)
            s.flush()
            facts = extract(url, html).to_dict()
            s.add(m.PageFactsRow(page_id=page.id, version=facts["_version"], data=facts))
        repo.finish_run(s, run.id, repo.FINISHED, {"pages": 2})
        return run.id


def fake_dates(factory: sessionmaker[Session]) -> list[m.Finding]:
    with factory() as s:
        return list(s.scalars(select(m.Finding).where(m.Finding.check == "content.fake-dates")))


def test_items_re_dated_between_two_crawls(factory: sessionmaker[Session]) -> None:
    with factory.begin() as s:
        repo.upsert_sites(s, [SITE])
    first = datetime(2026, 11, 19, 2, 0, tzinfo=TZ)
    second = first + timedelta(days=1)
    old = ["2026-11-12", "2026-11-10", "2026-11-06", "2026-11-02"]
    moved = ["2026-11-19", "2026-11-18", "2026-11-17", "2026-11-02"]  # three moved

    crawl(factory, first, old)
    run_checks(factory, Settings(), site_ids=[SITE.id], now=first)
    assert fake_dates(factory) == []

    crawl(factory, second, moved)
    run_checks(factory, Settings(), site_ids=[SITE.id], now=second)
    (finding,) = fake_dates(factory)
    assert finding.severity == "notice" and finding.status == "open"
    assert finding.url == finding.page == "http://www.yongzhou.gov.cn/zwdt/"
    assert finding.evidence["signal"] == "dates-changed" and finding.evidence["items"] == 3
    assert [(e["before"][:10], e["now"][:10]) for e in finding.evidence["examples"]] == [
        ("2026-11-12", "2026-11-19"), ("2026-11-10", "2026-11-18"),
        ("2026-11-06", "2026-11-17")]

    run_checks(factory, Settings(), site_ids=[SITE.id], now=second)  # the same crawl again
    assert [f.status for f in fake_dates(factory)] == ["open"]

    third = second + timedelta(days=1)
    crawl(factory, third, moved)  # the dates hold still: fixed
    run_checks(factory, Settings(), site_ids=[SITE.id], now=third)
    assert [f.status for f in fake_dates(factory)] == ["fixed"]
