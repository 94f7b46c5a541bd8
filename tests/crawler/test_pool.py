"""crawler.pool: workers analyse and store pages, and nothing is lost when a process dies."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.site import SiteEntry
from crawler.facts import PageFacts
from crawler.pipelines import write_pages
from crawler.pool import Analyser, StoreTarget, analyse, worker_pids
from crawler.records import PageRecord
from store import models as m
from store import repo
from store.session import make_engine, session_factory, upgrade

SITE = SiteEntry.from_dict({"id": "yongzhou", "name": "永州市人民政府", "level": "city",
                            "url": "http://www.yongzhou.gov.cn/"})


def html(n: int) -> bytes:
    return (f"<html><head><title>第{n}号通知</title></head><body>"
            f"<a href='/a{n}.html'>甲</a><img src='/logo.png' alt='标志'>"
            f"<p>网站标识码4311000001</p></body></html>").encode()


def row(n: int) -> dict[str, Any]:
    return {"site_id": SITE.id, "url": f"{SITE.url}p{n}.html", "final_url": None,
            "status": 200, "depth": 1, "content_type": "text/html", "encoding": None,
            "etag": None, "last_modified": None, "not_modified": False, "elapsed_ms": 3,
            "error_kind": None, "error": None, "parent_url": SITE.url}


def database(tmp_path: Path) -> tuple[str, sessionmaker[Session], int]:
    url = f"sqlite:///{tmp_path / 'gw.db'}"
    upgrade(url)
    factory = session_factory(make_engine(url))
    with factory.begin() as s:
        repo.upsert_sites(s, [SITE])
        run_id = repo.create_run(s, [SITE.id], datetime(2026, 11, 21, tzinfo=UTC)).id
    return url, factory, run_id


def stored(factory: sessionmaker[Session]) -> tuple[Counter[str], dict[str, Any]]:
    with factory() as s:
        urls = Counter(s.scalars(select(m.Page.url)))
        facts = {u: d for u, d in s.execute(
            select(m.Page.url, m.PageFactsRow.data).join(m.PageFactsRow))}
    return urls, facts


def writer(factory: sessionmaker[Session], run_id: int) -> Any:
    def write(records: list[PageRecord]) -> None:
        with factory.begin() as s:
            write_pages(s, run_id, records, datetime.now(UTC))
    return write


def test_workers_store_what_they_analyse(tmp_path: Path) -> None:
    url, factory, run_id = database(tmp_path)
    analyser = Analyser(2, StoreTarget(url, run_id, batch_size=3),
                        write=writer(factory, run_id))

    async def crawl() -> list[Any]:
        return await asyncio.gather(*(analyser.analyse_page(f"{SITE.url}p{n}.html", html(n),
                                                            None, row(n)) for n in range(10)))

    try:
        answers = asyncio.run(crawl())
    finally:
        analyser.close()
    for n, (verdict, record) in enumerate(answers):
        assert record is None  # a worker stored it
        # the verdict is exactly what analysing in this process gives
        assert verdict == analyse(f"{SITE.url}p{n}.html", html(n), None)[0]
        assert (f"{SITE.url}a{n}.html", "a") in verdict.links
    urls, facts = stored(factory)
    assert urls == Counter(f"{SITE.url}p{n}.html" for n in range(10))
    facts3 = PageFacts.from_dict(facts[f"{SITE.url}p3.html"])
    assert facts3.title == "第3号通知" and facts3.site_codes == ("4311000001",)
    with factory() as s:
        links = s.execute(select(m.Link.url, m.Link.kind, m.Link.text)
                          .where(m.Link.page_url == f"{SITE.url}p3.html")).all()
        page = s.scalars(select(m.Page).where(m.Page.url == f"{SITE.url}p3.html")).one()
    assert sorted(tuple(r) for r in links) == [(f"{SITE.url}a3.html", "a", "甲"),
                                              (f"{SITE.url}logo.png", "img", "标志")]
    assert page.encoding == "utf-8" and page.body_sha256 and page.parent_url == SITE.url


def test_analysis_only_and_in_process(tmp_path: Path) -> None:
    url, factory, run_id = database(tmp_path)
    # No row: analysed, nothing stored.
    analyser = Analyser(1, StoreTarget(url, run_id, batch_size=3))
    try:
        verdict, record = asyncio.run(analyser.analyse_page(
            f"{SITE.url}x.html", "<title>404 页面不存在</title>".encode(), None))
    finally:
        analyser.close()
    assert verdict.says_not_found and record is None
    assert stored(factory)[0] == Counter()
    # No workers, or workers with nowhere to store: the caller gets the record to store.
    for workers in (0, 1):
        local = Analyser(workers)
        try:
            verdict, record = asyncio.run(local.analyse_page(f"{SITE.url}p1.html", html(1),
                                                             None, row(1)))
        finally:
            local.close()
        assert record is not None and record.row["encoding"] == "utf-8"
        assert record.facts_data is not None and record.facts_data["title"] == "第1号通知"
        assert record.links == ((f"{SITE.url}a1.html", "a", "甲"),
                                (f"{SITE.url}logo.png", "img", "标志"))


def test_a_killed_worker_loses_no_page(tmp_path: Path) -> None:
    url, factory, run_id = database(tmp_path)
    # A batch larger than the crawl: the worker commits nothing before it is killed.
    analyser = Analyser(1, StoreTarget(url, run_id, batch_size=1000),
                        write=writer(factory, run_id))

    async def crawl() -> list[PageRecord | None]:
        records = [(await analyser.analyse_page(f"{SITE.url}p{n}.html", html(n), None,
                                                row(n)))[1] for n in range(5)]
        os.kill(worker_pids(analyser)[0], signal.SIGKILL)
        deadline = time.monotonic() + 30
        while analyser.workers[0].alive and time.monotonic() < deadline:
            await asyncio.sleep(0.05)  # the reactor notices the closed pipe
        assert not analyser.workers[0].alive
        # later pages are analysed here and handed back to be stored by the caller
        for n in range(5, 8):
            verdict, record = await analyser.analyse_page(f"{SITE.url}p{n}.html", html(n),
                                                          None, row(n))
            assert record is not None and (f"{SITE.url}a{n}.html", "a") in verdict.links
            records.append(record)
        return records

    try:
        records = asyncio.run(crawl())
    finally:
        analyser.close()
    assert records[:5] == [None] * 5
    writer(factory, run_id)([r for r in records if r is not None])
    urls, facts = stored(factory)
    # the 5 pages the dead worker held were recovered: every page once, with its facts
    assert urls == Counter(f"{SITE.url}p{n}.html" for n in range(8))
    assert set(facts) == set(urls)


def test_workers_keep_their_pages_when_the_crawl_process_vanishes(tmp_path: Path) -> None:
    url, factory, run_id = database(tmp_path)
    analyser = Analyser(1, StoreTarget(url, run_id, batch_size=1000))

    async def crawl() -> None:
        for n in range(4):
            await analyser.analyse_page(f"{SITE.url}p{n}.html", html(n), None, row(n))

    asyncio.run(crawl())
    worker = analyser.workers[0]
    # What a SIGKILL of the crawl process amounts to for the worker: its pipe closes.
    worker.outbox.put(None)
    worker.sender.join()
    worker.conn.close()
    worker.process.join(timeout=60)
    assert worker.process.exitcode == 0
    assert stored(factory)[0] == Counter(f"{SITE.url}p{n}.html" for n in range(4))


def test_recovered_pages_a_worker_did_commit_are_not_written_twice(tmp_path: Path) -> None:
    from core.settings import CrawlerSettings
    from crawler.spiders.site import SiteSpider

    _url, factory, run_id = database(tmp_path)
    spider = SiteSpider(sites=[SITE], gw=CrawlerSettings(extract_workers=0),
                        session_factory=factory, run_id=run_id)
    records = [analyse(f"{SITE.url}p{n}.html", html(n), None, row(n))[1] for n in range(3)]
    # the worker committed pages 0 and 1, then died before saying so
    writer(factory, run_id)([r for r in records[:2] if r is not None])
    spider._write_records([r for r in records if r is not None])
    spider.closed("finished")
    assert stored(factory)[0] == Counter(f"{SITE.url}p{n}.html" for n in range(3))
