"""The availability view: uptime over 7 and 30 days, incidents (runs of consecutive failed
probes), the response-time chart, on a site's page and as a column of the overview."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

from starlette.testclient import TestClient

from store import models as m
from web.availability import ProbePoint, incidents, site_availability, summarize, uptimes

from .conftest import World, login

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=TZ)


def ok(at: datetime, ms: int = 300) -> ProbePoint:
    return ProbePoint(at, True, 200, None, ms)


def bad(at: datetime, kind: str | None = "timeout", status: int | None = None) -> ProbePoint:
    return ProbePoint(at, False, status, kind, None)


def hourly(days: int, fail: set[int] | None = None) -> list[ProbePoint]:
    """One probe an hour for `days` days up to NOW; hours (counted back from NOW) in
    `fail` failed with a timeout."""
    out = []
    for back in range(days * 24 - 1, -1, -1):
        at = NOW - timedelta(hours=back)
        out.append(bad(at) if fail and back in fail else ok(at, 200 + back % 50))
    return out


def test_uptime_counts_probes_in_each_window() -> None:
    # 30 days of hourly probes: 10 failures 20 days ago, 6 failures in the last week
    probes = hourly(30, fail={*range(480, 490), *range(10, 16)})
    got = summarize(probes, NOW, TZ)
    week, month = got.uptimes
    assert (week.days, week.probes, week.ok) == (7, 168, 162)
    assert (month.days, month.probes, month.ok) == (30, 720, 704)
    assert week.text == "96.43%" and month.text == "97.78%"
    assert got.incidents_total == 2
    # probes after "now" are not seen (the view is as of an instant)
    later = summarize([*probes, bad(NOW + timedelta(minutes=5))], NOW, TZ)
    assert later.uptimes == got.uptimes


def test_no_probes_is_no_figure_not_zero() -> None:
    got = summarize([], NOW, TZ)
    assert [u.text for u in got.uptimes] == ["—", "—"]
    assert got.chart == "" and got.incidents == () and got.median_ms is None


def test_incidents_group_consecutive_failures_with_start_end_and_cause() -> None:
    t = NOW - timedelta(days=2)
    probes = [
        ok(t),
        bad(t + timedelta(hours=1), "refused"),
        bad(t + timedelta(hours=2), "timeout"),
        bad(t + timedelta(hours=3), "timeout"),
        ok(t + timedelta(hours=4)),  # recovery closes the first incident
        bad(t + timedelta(hours=5), None, status=503),
        ok(t + timedelta(hours=6)),
        bad(t + timedelta(hours=7), "dns"),  # still failing at the last probe
    ]
    found = incidents(probes, NOW, TZ)
    assert [(i.start, i.end, i.probes, i.cause) for i in found] == [
        ("2026-11-28 19:00", "", 1, "域名无法解析"),
        ("2026-11-28 17:00", "2026-11-28 18:00", 1, "HTTP 503"),
        ("2026-11-28 13:00", "2026-11-28 16:00", 3, "请求超时"),  # most frequent cause
    ]
    assert found[2].duration == "3 小时"
    assert found[0].duration == "1 天 17 小时"  # ongoing: up to now
    # a threshold of 2 consecutive failures leaves only the real outage
    only = incidents(probes, NOW, TZ, min_failures=2)
    assert [i.start for i in only] == ["2026-11-28 13:00"]


def test_chart_is_deterministic_and_marks_failures() -> None:
    probes = hourly(10, fail={3, 4})
    first = summarize(probes, NOW, TZ)
    again = summarize(list(probes), NOW, TZ)
    assert first.chart == again.chart
    svg = str(first.chart)
    assert svg.startswith("<svg") and "首页响应时间" in svg
    assert svg.count('class="failed"') == 2  # only the last 7 days are drawn
    assert "11-30" in svg and "11-24" in svg
    # the line breaks at the failures: two polylines
    assert svg.count("<polyline") == 2
    shifted = summarize(probes, NOW + timedelta(hours=1), TZ)
    assert shifted.chart != first.chart


def _store_probes(world: World, site_id: str, probes: list[ProbePoint]) -> None:
    with world.factory() as session, session.begin():
        for p in probes:
            session.add(m.Probe(site_id=site_id, url="http://x/", started_at=p.started_at,
                                ok=p.ok, status=p.status, error_kind=p.error_kind,
                                elapsed_ms=p.elapsed_ms))


def test_store_queries_agree_with_summary(world: World) -> None:
    probes = hourly(31, fail={*range(200, 203), 5})
    _store_probes(world, "alpha", probes)
    _store_probes(world, "beta", hourly(2, fail={0}))
    with world.factory() as session:
        got = site_availability(session, "alpha", NOW, TZ)
        many = uptimes(session, ["alpha", "beta", "gamma"], NOW)
    assert got == summarize(probes, NOW, TZ)
    assert many["alpha"] == got.uptimes
    assert [(u.probes, u.ok) for u in many["beta"]] == [(48, 47), (48, 47)]
    assert "gamma" not in many  # never probed
    assert got.uptimes[0].probes == 168 and got.uptimes[1].probes == 720


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_site_page_and_overview_show_availability(client: TestClient, world: World) -> None:
    now = datetime.now(UTC)
    probes = [ok(now - timedelta(hours=h), 250) for h in range(30, 3, -1)]
    probes += [bad(now - timedelta(hours=3), "refused"), bad(now - timedelta(hours=2), "refused"),
               ok(now - timedelta(hours=1), 260)]
    _store_probes(world, "alpha", probes)
    login(client, "sup")
    page = client.get("/sites/alpha").text
    section = _text(page.split('class="card availability"', 1)[1])
    assert "首页可用性" in section
    assert "93.33% 近 7 天可用率（28/30 次探测成功）" in section
    assert "近 30 天故障次数" in section and "连接被拒绝" in section
    assert "<svg" in page and 'class="failed"' in page
    overview = _text(client.get("/").text)
    assert "可用率 7天 / 30天" in overview and "93.33% / 93.33%" in overview
    # a site never probed says so instead of showing 0%
    gamma = _text(client.get("/sites/gamma").text)
    assert "近 7 天没有首页探测记录" in gamma and "— 近 7 天可用率" in gamma


def test_webmaster_sees_only_own_sites_availability(client: TestClient, world: World) -> None:
    now = datetime.now(UTC)
    _store_probes(world, "beta", [bad(now - timedelta(hours=1), "dns")])
    login(client, "alice")
    assert client.get("/sites/beta").status_code == 404
    page = _text(client.get("/sites/alpha").text)
    assert "域名无法解析" not in page
