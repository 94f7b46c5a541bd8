"""“立即复核”: one finding re-verified on request, against a loopback server whose answers
the tests change (the link is broken, then repaired; the footer lacks the ICP number, then
shows it)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import select
from starlette.testclient import TestClient

from checks.base import Finding, Severity
from crawler.probe import http_client
from store import models as m
from store import repo
from tests.crawler.hostile import CanaryServer
from web import audit
from web.recheck import Outcome, recheck

from .conftest import (
    HOME_WITH_ICP,
    NOT_FOUND_PAGE,
    OK_PAGE,
    TZ,
    World,
    csrf_of,
    login,
)

NOW = datetime(2026, 10, 16, 9, 30, tzinfo=TZ)


def history(world: World, name: str) -> list[audit.Recheck]:
    with world.factory() as session:
        return audit.history(session, world.ids[name])


def run(world: World, name: str, user: str = "alice",
        scope: frozenset[str] | None = None) -> Outcome | None:
    return recheck(world.factory, world.settings, world.ids[name],
                   scope=scope if scope is not None else frozenset({"alpha"}), user=user,
                   client_factory=http_client, now=NOW)


def test_a_dead_link_stays_open_until_it_answers_then_is_fixed(world: World) -> None:
    before = world.finding("alpha-dead")
    first = run(world, "alpha-dead")
    assert first is not None and first.result == "open"
    assert "HTTP 404" in first.message
    row = world.finding("alpha-dead")
    assert row.status == "open" and row.fixed_at is None
    world.target.set("/gone.html", 200, OK_PAGE)
    second = run(world, "alpha-dead")
    assert second is not None and second.result == "fixed"
    row = world.finding("alpha-dead")
    assert row.status == "fixed" and row.fixed_at == NOW
    # History kept: the lifecycle times are untouched, every attempt is in the audit trail.
    assert (row.first_seen, row.last_seen) == (before.first_seen, before.last_seen)
    assert row.evidence == before.evidence  # the crawl's evidence stays as it was
    trail = history(world, "alpha-dead")
    assert [(t.user_name, t.result) for t in trail] == [("alice", "fixed"), ("alice", "open")]
    assert trail[0].checked_at == NOW and trail[0].detail == "HTTP 200，GET 请求"
    assert ("HEAD", "/gone.html") in world.target.requests
    again = run(world, "alpha-dead")
    assert again is not None and again.result == "not-open"


def test_a_later_crawl_reopens_a_fixed_finding_and_the_trail_survives(world: World) -> None:
    world.target.set("/gone.html", 200, OK_PAGE)
    assert (outcome := run(world, "alpha-dead")) is not None and outcome.result == "fixed"
    seen_again = Finding(site="alpha", check="links.dead", severity=Severity.DEDUCT,
                         url=world.target.url("/gone.html"),
                         page=world.target.url("/alpha/zwgk/"), message="链接不可用: HTTP 404",
                         rule="r", evidence={"status": 404})
    with world.factory() as session, session.begin():
        counts = repo.record_findings(session, [seen_again], site_id="alpha",
                                      checks_run=["links.dead"], seen_at=NOW, crawl_run_id=None)
    assert counts.reopened == 1
    assert world.finding("alpha-dead").status == "open"
    assert [t.result for t in history(world, "alpha-dead")] == ["fixed"]


def test_head_refused_falls_back_to_get(world: World) -> None:
    world.target.set("/gone.html", 200, "", content_type="application/pdf", head_status=405)
    outcome = run(world, "alpha-dead")
    assert outcome is not None and outcome.result == "fixed"
    assert world.target.requests[-2:] == [("HEAD", "/gone.html"), ("GET", "/gone.html")]


def test_a_soft_404_is_still_dead(world: World) -> None:
    world.target.set("/soft.html", 200, NOT_FOUND_PAGE)
    outcome = run(world, "alpha-soft")
    assert outcome is not None and outcome.result == "open" and "软404" in outcome.message
    assert world.finding("alpha-soft").status == "open"
    world.target.set("/soft.html", 200, OK_PAGE)
    outcome = run(world, "alpha-soft")
    assert outcome is not None and outcome.result == "fixed"


def test_redirects_are_followed_to_the_final_answer(world: World) -> None:
    world.target.set("/gone.html", 301, "", location="/moved.html")
    outcome = run(world, "alpha-dead")
    assert outcome is not None and outcome.result == "open"  # /moved.html is a 404
    world.target.set("/moved.html", 200, OK_PAGE)
    outcome = run(world, "alpha-dead")
    assert outcome is not None and outcome.result == "fixed"
    assert ("GET", "/moved.html") in world.target.requests


def test_an_unreachable_link_stays_open(world: World) -> None:
    with world.factory() as session, session.begin():
        row = session.get(m.Finding, world.ids["alpha-dead"])
        assert row is not None
        row.url = "http://127.0.0.1:9/nothing-listens-here"
    # An intranet deployment that allows loopback (else it is refused: the next test).
    world.settings = replace(world.settings, crawler=replace(
        world.settings.crawler, egress_allow=("127.0.0.0/8",)))
    outcome = run(world, "alpha-dead")
    assert outcome is not None and outcome.result == "open"
    assert "连接被拒绝" in outcome.message
    assert world.finding("alpha-dead").status == "open"


def test_a_recheck_never_requests_an_internal_address(world: World) -> None:
    """Issue 11 (SSRF): a webmaster who controls a link or a redirect on their registered
    site cannot make "re-check now" scan the server's network: a loopback port that is not
    a registered site is refused, as a literal and after a redirect, and never connected to.
    """
    with CanaryServer() as canary:
        for url in (*canary.ssrf_urls(), f"http://127.0.0.1:{canary.port}/"):
            with world.factory() as session, session.begin():
                row = session.get(m.Finding, world.ids["alpha-dead"])
                assert row is not None
                row.url = url
            outcome = run(world, "alpha-dead")
            assert outcome is not None and outcome.result == "open", url
            # (httpx does not even parse some spellings, e.g. 0177.0.0.1: malformed, then)
            assert "内网地址，公众无法访问" in outcome.message \
                or "URL 格式错误" in outcome.message, (url, outcome.message)
        # a redirect on the registered site (allowed) to the canary (refused)
        world.target.set("/to-canary.html", 302, "",
                         location=f"http://127.0.0.1:{canary.port}/admin")
        with world.factory() as session, session.begin():
            row = session.get(m.Finding, world.ids["alpha-dead"])
            assert row is not None
            row.url = world.target.url("/to-canary.html")
        outcome = run(world, "alpha-dead")
        assert outcome is not None and outcome.result == "open"
        assert "内网地址" in outcome.message
        assert ("HEAD", "/to-canary.html") in world.target.requests \
            or ("GET", "/to-canary.html") in world.target.requests
        assert canary.hits == 0


def test_identity_finding_is_rechecked_on_the_refetched_home_page(world: World) -> None:
    outcome = run(world, "alpha-icp")
    assert outcome is not None and outcome.result == "open"
    assert "页脚未发现ICP备案编号" in outcome.message
    other = HOME_WITH_ICP.replace("湘ICP备05009375号", "湘ICP备99999999号")
    world.target.set("/alpha/", 200, other)
    outcome = run(world, "alpha-icp")
    assert outcome is not None and outcome.result == "open"  # shown, but not the registered one
    assert "与登记不一致" in outcome.message
    world.target.set("/alpha/", 200, HOME_WITH_ICP)
    outcome = run(world, "alpha-icp")
    assert outcome is not None and outcome.result == "fixed"
    assert world.finding("alpha-icp").status == "fixed"


def test_a_page_that_does_not_load_is_never_fixed(world: World) -> None:
    world.target.set("/alpha/", 500, "oops")
    outcome = run(world, "alpha-icp")
    assert outcome is not None and outcome.result == "failed"
    assert "HTTP 500" in outcome.message
    assert world.finding("alpha-icp").status == "open"
    assert [t.result for t in history(world, "alpha-icp")] == ["failed"]


def test_site_wide_findings_wait_for_the_next_crawl(world: World) -> None:
    outcome = run(world, "beta-stale", user="bob", scope=frozenset({"beta"}))
    assert outcome is not None and outcome.result == "deferred"
    assert "需等待下次抓取复核" in outcome.message
    assert world.finding("beta-stale").status == "open"
    assert history(world, "beta-stale") == []


def test_out_of_scope_or_missing_findings_are_none(world: World) -> None:
    assert run(world, "beta-dead") is None
    assert recheck(world.factory, world.settings, 10_000, scope=None, user="sup",
                   client_factory=http_client) is None


def _page_finding(world: World, check: str, url: str, message: str) -> int:
    finding = Finding(site="alpha", check=check, severity=Severity.DEDUCT, url=url, page=url,
                      message=message, rule="r", evidence={"title": "旧文章"})
    with world.factory() as session, session.begin():
        repo.record_findings(session, [finding], site_id="alpha", checks_run=[check],
                             seen_at=NOW, crawl_run_id=None)
    with world.factory() as session:
        return session.scalars(select(m.Finding.id).where(m.Finding.check == check)).one()


ARTICLE = """<!doctype html><html><head><meta charset="utf-8"><title>关于某事的通知</title></head>
<body><div class="article"><h1>关于某事的通知</h1><div class="info">发布时间：2026-10-01 10:00
{source}</div><p>正文内容。</p></div></body></html>"""


def test_meta_source_missing_is_rechecked_on_the_article(world: World) -> None:
    url = world.target.url("/zwgk/t20261001_1.html")
    world.target.set("/zwgk/t20261001_1.html", 200, ARTICLE.format(source=""))
    world.ids["article"] = _page_finding(world, "meta.source-missing", url, "文章页未标注信息来源")
    outcome = run(world, "article")
    assert outcome is not None and outcome.result == "open"
    world.target.set("/zwgk/t20261001_1.html", 200, ARTICLE.format(source="来源：甲市办公室"))
    outcome = run(world, "article")
    assert outcome is not None and outcome.result == "fixed"


ARCHIVED = """<!doctype html><html><head><meta charset="utf-8"><title>旧文章</title></head>
<body><div class="header">甲市</div>{label}<div class="article"><h1>旧文章</h1><p>内容</p>
</div></body></html>"""


def test_archive_label_missing_is_rechecked_on_the_archived_page(world: World) -> None:
    url = world.target.url("/old/a.html")
    world.target.set("/old/a.html", 200, ARCHIVED.format(label=""))
    world.ids["archived"] = _page_finding(world, "archive.label-missing", url,
                                          "归档页面未在显著位置标注“已归档”")
    outcome = run(world, "archived")
    assert outcome is not None and outcome.result == "open"
    world.target.set("/old/a.html", 200, ARCHIVED.format(
        label='<div class="tip">本页面已归档 归档时间：2026年1月5日</div>'))
    outcome = run(world, "archived")
    assert outcome is not None and outcome.result == "fixed"


def test_the_recheck_button_marks_a_repaired_link_fixed(client: TestClient,
                                                        world: World) -> None:
    login(client, "alice")
    path = f"/findings/{world.ids['alpha-dead']}"
    token = csrf_of(client, path)
    response = client.post(f"{path}/recheck", data={"csrf": token})
    assert response.status_code == 303 and response.headers["location"] == path
    page = client.get(path).text
    assert "链接仍不可用: HTTP 404" in page and "仍存在" in page
    world.target.set("/gone.html", 200, OK_PAGE)
    client.post(f"{path}/recheck", data={"csrf": token})
    page = client.get(path).text
    assert "问题已标记为已整改" in page and "st-fixed" in page and "立即复核" not in page
    assert world.finding("alpha-dead").status == "fixed"
    listing = client.get("/sites/alpha").text
    assert "gone.html" not in listing  # the open list no longer shows it
