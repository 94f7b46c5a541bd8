"""crawler.pipelines.StorePipeline: what a batch writes, for analysed and other pages."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy import func, select

from core.site import SiteEntry
from crawler.facts import PageFacts
from crawler.items import PageItem, ResultItem
from crawler.pipelines import StorePipeline
from crawler.pool import analyse
from crawler.records import PageRecord
from store import models as m
from store import repo
from store.session import make_engine, session_factory, upgrade

SITE = SiteEntry.from_dict({"id": "yongzhou", "name": "永州市人民政府", "level": "city",
                            "url": "http://www.yongzhou.gov.cn/"})
HTML = ("<html><head><title>通知公告</title></head><body><a href='/a.html'>甲</a>"
        "<a href='http://other.gov.cn/'>乙</a><img src='/logo.png'></body></html>").encode()


def page(url: str, *, analysed: bool) -> PageItem | PageRecord:
    item = PageItem(site_id=SITE.id, url=url, depth=1, final_url=url, status=200,
                    content_type="text/html", etag=None, last_modified=None,
                    not_modified=False, encoding=None, error_kind=None, error=None,
                    elapsed_ms=5, parent_url=SITE.url)
    if not analysed:
        return item
    # as the spider hands over a page analysed in the crawl process
    record = analyse(url, HTML, None, dict(item))[1]
    assert record is not None
    return record


def result(url: str) -> ResultItem:
    return ResultItem(url=url, method="HEAD", status=404, final_url=url, redirects=[],
                      error_kind=None, error=None, elapsed_ms=3, soft404=False, attempts=1)


def test_pages_facts_links_and_results_batches(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'gw.db'}"
    upgrade(url)
    engine = make_engine(url)
    factory = session_factory(engine)
    with factory.begin() as s:
        repo.upsert_sites(s, [SITE])
        run_id = repo.create_run(s, [SITE.id], datetime(2026, 11, 21, tzinfo=UTC)).id
    pipeline = StorePipeline(SimpleNamespace(), batch_size=1000)  # type: ignore[arg-type]
    pipeline.open_spider(SimpleNamespace(session_factory=factory, run_id=run_id))  # type: ignore[arg-type]
    items: list[Any] = [page("http://www.yongzhou.gov.cn/a.html", analysed=True),
                        page("http://www.yongzhou.gov.cn/b.html", analysed=True),
                        page("http://www.yongzhou.gov.cn/c.pdf", analysed=False),
                        result("http://www.yongzhou.gov.cn/a.html")]
    for item in items:
        pipeline.process_item(item)
    pipeline.flush()
    # A batch of results only (the last one of a crawl often is) must be written too.
    pipeline.process_item(result("http://other.gov.cn/"))
    pipeline.close_spider()

    with factory() as s:
        pages = s.execute(select(m.Page.url, m.Page.id, m.Page.body_sha256, m.Page.encoding,
                                 m.Page.content_type).order_by(m.Page.url)).all()
        assert [p.url for p in pages] == ["http://www.yongzhou.gov.cn/a.html",
                                          "http://www.yongzhou.gov.cn/b.html",
                                          "http://www.yongzhou.gov.cn/c.pdf"]
        # Both pages have the same body: stored once, shared by hash.
        assert pages[0].body_sha256 == pages[1].body_sha256 and pages[0].encoding == "utf-8"
        assert s.scalar(select(func.count()).select_from(m.PageBody)) == 1
        # a page that was not analysed: its row only
        assert pages[2].body_sha256 is None and pages[2].content_type == "text/html"
        body = s.get(m.PageBody, pages[0].body_sha256)
        assert body is not None and zlib.decompress(body.data) == HTML
        assert body.size == len(HTML)
        facts = {i: d for i, d in s.execute(select(m.PageFactsRow.page_id,
                                                     m.PageFactsRow.data))}
        assert set(facts) == {pages[0].id, pages[1].id}
        for p in pages[:2]:
            assert PageFacts.from_dict(facts[p.id]).title == "通知公告"
        links = s.execute(select(m.Link.page_url, m.Link.url, m.Link.kind)
                          .order_by(m.Link.page_url, m.Link.url)).all()
        assert [tuple(r) for r in links][:3] == [
            ("http://www.yongzhou.gov.cn/a.html", "http://other.gov.cn/", "a"),
            ("http://www.yongzhou.gov.cn/a.html", "http://www.yongzhou.gov.cn/a.html", "a"),
            ("http://www.yongzhou.gov.cn/a.html", "http://www.yongzhou.gov.cn/logo.png", "img"),
        ]
        assert len(links) == 6
        assert sorted(s.scalars(select(m.LinkResult.url))) == [
            "http://other.gov.cn/", "http://www.yongzhou.gov.cn/a.html"]
    engine.dispose()
