"""The repost watch on the demo world: the portals' important items and the sites' reposts are
recorded with minute-precision publication times and first-seen times of the poll, enough for
repost.lapse to reach the world's expected verdicts; a second poll moves only last_seen."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from checks import items
from checks.base import Context, SiteSnapshot
from checks.catalogue import load_catalogue, resolve_options
from checks.snapshot import load_registry as stored_registry
from core.registry import load_registry
from core.settings import Settings, apply_mapping
from govwatch.demo.server import DemoServer
from govwatch.demo.timeliness import REPOSTS, SOURCES
from govwatch.demo.world import AS_OF, World, build_world, connect_to_map
from govwatch.watch import repost_watch, summary_line, targets
from store import models as m
from store import repo
from tests.service.servers import free_port

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime.fromisoformat(AS_OF)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[World, int]]:
    world = build_world(tmp_path_factory.mktemp("watch") / "world")
    with DemoServer(world) as server:
        yield world, server.port


@pytest.fixture
def watched(world: tuple[World, int], factory: sessionmaker[Session]
            ) -> tuple[World, Settings, sessionmaker[Session]]:
    demo, port = world
    settings = apply_mapping(Settings(), {"crawler": {
        "connect_to": connect_to_map(demo, port), "download_timeout": 5.0}}, "test")
    with factory.begin() as s:
        repo.upsert_sites(s, load_registry(demo.registry_path))
    return demo, settings, factory


def sightings(factory: sessionmaker[Session], site_id: str) -> dict[str, m.ItemSighting]:
    with factory() as s:
        return {r.title: r for r in s.scalars(
            select(m.ItemSighting).where(m.ItemSighting.site_id == site_id))}


def test_watch_records_sources_and_reposts_to_the_minute(
        watched: tuple[World, Settings, sessionmaker[Session]]) -> None:
    _, settings, factory = watched
    results = repost_watch(factory, settings, NOW)
    assert [(r.target.site.id, r.ok) for r in results] == [
        ("govcn", True), ("hunan", True), ("changsha", True), ("yongzhou", True)]
    assert summary_line(results).startswith("转载监测完成: 4 个栏目")

    for portal, column in (("govcn", "http://www.govcn-demo.gov.cn/zxwj/"),
                           ("hunan", "http://www.hunan-demo.gov.cn/zwgk/zcwj/")):
        seen = sightings(factory, portal)
        for source in (s for s in SOURCES if s.portal == portal):
            row = seen[source.title]
            assert row.column_url == column
            assert row.published == source.published.replace(tzinfo=TZ)  # from its article
            assert row.first_seen == NOW == row.last_seen
    reposted = sightings(factory, "changsha")
    for repost in (r for r in REPOSTS if r.site == "changsha" and r.column == "sjwj"):
        source = next(s for s in SOURCES if s.key == repost.source)
        row = reposted[repost.title]
        assert row.published == (source.published + repost.delay).replace(tzinfo=TZ)
        assert row.column_url.startswith("http://www.changsha-demo.gov.cn/col/col19096/")


def test_watched_items_give_the_expected_repost_verdicts(
        watched: tuple[World, Settings, sessionmaker[Session]]) -> None:
    """repost.lapse on nothing but what the watch recorded agrees with the demo world's
    expected findings for the site with a repost column."""
    demo, settings, factory = watched
    repost_watch(factory, settings, NOW)
    spec = load_catalogue(include_plugins=False)["repost.lapse"]
    with factory() as s:
        registry = stored_registry(s)
        site = registry["changsha"]
        snapshot = SiteSnapshot(site=site, crawl_run_id=0, home=None, pages=(), links=(),
                                results={}, items=items.load_items(s, "changsha"),
                                sources=items.load_sources(s, site, registry))
    ctx = Context(now=NOW, site=site, options=resolve_options(spec.rule, {}), registry=registry)
    got = sorted((f.url, f.page) for f in spec.check(snapshot, ctx))
    expected = json.loads(Path(demo.expected_path).read_text(encoding="utf-8"))
    want = sorted((f["url"], f["page"]) for f in expected["findings"]
                  if f["site"] == "changsha" and f["check"] == "repost.lapse")
    assert want and got == want


def test_a_second_poll_moves_only_last_seen(
        watched: tuple[World, Settings, sessionmaker[Session]]) -> None:
    _, settings, factory = watched
    repost_watch(factory, settings, NOW)
    before = {k: (r.first_seen, r.published, r.column_url)
              for k, r in sightings(factory, "govcn").items()}
    later = NOW + timedelta(hours=1)
    results = repost_watch(factory, settings, later)
    assert sum(r.new for r in results) == 0
    after = sightings(factory, "govcn")
    assert {k: (r.first_seen, r.published, r.column_url) for k, r in after.items()} == before
    assert all(r.last_seen == later for r in after.values())


def test_targets_are_important_and_repost_columns_else_the_home_page(
        watched: tuple[World, Settings, sessionmaker[Session]]) -> None:
    _, _, factory = watched
    with factory() as s:
        registry = stored_registry(s)
    got = [(t.site.id, t.url) for t in targets(registry)]
    assert got == [
        ("govcn", "http://www.govcn-demo.gov.cn/zxwj/"),
        ("hunan", "http://www.hunan-demo.gov.cn/zwgk/zcwj/"),
        ("changsha", "http://www.changsha-demo.gov.cn/col/col19096/index.html"),
        ("yongzhou", "http://www.yongzhou-demo.gov.cn/"),
    ]


def test_unreachable_column_is_reported_not_fatal(
        watched: tuple[World, Settings, sessionmaker[Session]]) -> None:
    _, settings, factory = watched
    broken = replace(settings, crawler=replace(settings.crawler, connect_to={
        **settings.crawler.connect_to, "www.hunan-demo.gov.cn": f"127.0.0.1:{free_port()}"}))
    results = repost_watch(factory, broken, NOW)
    by_site = {r.target.site.id: r for r in results}
    assert not by_site["hunan"].ok and by_site["hunan"].error == "refused"
    assert by_site["govcn"].ok and sightings(factory, "govcn")
    assert not sightings(factory, "hunan")
