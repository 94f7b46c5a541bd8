"""The 整改 loop in the dashboard over HTTP: deadlines and 超期未整改, appeals and their
decision, waivers, permissions (another site's finding, the wrong role, CSRF), the audit
trail on the finding's page, and 重新抓取本站 with its rate limit."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from crawler.probe import http_client
from store import models as m
from store import repo
from web.app import create_app

from .conftest import OK_PAGE, Target, World, build_world, csrf_of, login

# The world's findings were first seen on Wednesday 14 October 2026: beta's home.stale veto
# is due on 21 October (5 working days), alpha's deductions on 4 November (15).
BEFORE = "2026-10-20T12:00:00+08:00"
AFTER_VETO = "2026-10-22T12:00:00+08:00"


class FakeLauncher:
    """Stands in for govwatch.jobs.SiteRecrawler: finishes the run at once."""

    def __init__(self, world_factory: object) -> None:
        self.factory = world_factory
        self.calls: list[tuple[str, int, datetime]] = []

    def run(self, site_id: str, run_id: int, as_of: datetime) -> str:
        self.calls.append((site_id, run_id, as_of))
        with self.factory() as session, session.begin():  # type: ignore[operator]
            repo.finish_run(session, run_id, repo.FINISHED, {"pages": 3})
        return "抓取完成（3 个页面）并已重新检查"

    def stop(self) -> None:
        pass


def app_client(world: World, launcher: FakeLauncher | None = None) -> TestClient:
    return TestClient(create_app(world.settings, client_factory=http_client,
                                 recrawler=launcher), follow_redirects=False)


@pytest.fixture
def late(db_url: str, target: Target) -> Iterator[World]:
    """The world judged on 22 October: the veto is overdue, the deductions are not."""
    w = build_world(db_url, target, as_of=AFTER_VETO)
    yield w
    w.factory.kw["bind"].dispose()


def post(client: TestClient, path: str, data: dict[str, str], page: str) -> object:
    return client.post(path, data={**data, "csrf": csrf_of(client, page)})


def test_overdue_findings_are_flagged_counted_and_filtered(late: World) -> None:
    with app_client(late) as client:
        login(client, "sup")
        overview = client.get("/").text
        assert "超期未整改" in overview
        assert re.search(r'href="/findings\?site=beta&amp;status=overdue" class="late">1<',
                         overview)
        site = client.get("/sites/beta").text
        assert re.search(r"<b>1</b></a><span>超期未整改</span>", site)
        listed = client.get("/findings?status=overdue").text
        assert "共 1 个问题" in listed or listed.count('class="overdue"') == 1
        assert f"/findings/{late.ids['beta-stale']}" in listed
        assert f"/findings/{late.ids['alpha-dead']}" not in listed
        detail = client.get(f"/findings/{late.ids['beta-stale']}").text
        assert "2026-10-21" in detail and "超期未整改" in detail
        calm = client.get(f"/findings/{late.ids['alpha-dead']}").text
        assert "2026-11-04" in calm and "st-overdue" not in calm


def test_webmaster_appeals_and_supervisor_rejects_with_a_reason(late: World) -> None:
    fid = late.ids["alpha-dead"]
    page = f"/findings/{fid}"
    with app_client(late) as alice:
        login(alice, "alice")
        assert "申诉为误报" in alice.get(page).text
        empty = post(alice, f"{page}/appeal", {"reason": "  "}, page)
        assert empty.status_code == 400 and "请填写申诉理由" in empty.text  # type: ignore[attr-defined]
        done = post(alice, f"{page}/appeal", {"reason": "该链接指向的页面已迁移"}, page)
        assert done.status_code == 303  # type: ignore[attr-defined]
        shown = alice.get(page).text
        assert "误报申诉中" in shown and "该链接指向的页面已迁移" in shown
        assert "等待督查人员审核" in shown and "驳回申诉" not in shown
    assert late.finding("alpha-dead").review == "appealed"
    with app_client(late) as sup:
        login(sup, "sup")
        form = sup.get(page).text
        assert "认定误报" in form and "驳回申诉" in form
        bare = post(sup, f"{page}/decide", {"decision": "reject", "reason": ""}, page)
        assert bare.status_code == 400 and "请填写驳回理由" in bare.text  # type: ignore[attr-defined]
        ok = post(sup, f"{page}/decide", {"decision": "reject",
                                          "reason": "页面上仍有该链接"}, page)
        assert ok.status_code == 303  # type: ignore[attr-defined]
        trail = sup.get(page).text
    row = late.finding("alpha-dead")
    assert (row.review, row.status) == ("", "open")
    assert row.deadline is not None and row.deadline.isoformat() == "2026-11-04"
    # the audit trail, on the finding's page: who, what, why
    events = trail[trail.index("处理记录"):]
    assert events.index("申诉误报") < events.index("驳回申诉")
    assert "alice" in events and "sup" in events and "页面上仍有该链接" in events
    assert "误报申诉中 → 待整改" in events


def test_accepting_an_appeal_closes_the_finding_out_of_the_score(late: World) -> None:
    fid = late.ids["alpha-icp"]
    page = f"/findings/{fid}"
    with app_client(late) as alice:
        login(alice, "alice")
        before = alice.get("/sites/alpha").text
        assert "96.9" in before  # 100 - 0.1 - 1 - 2
        post(alice, f"{page}/appeal", {"reason": "页脚已有备案号，为图片"}, page)
    with app_client(late) as sup:
        login(sup, "sup")
        ok = post(sup, f"{page}/decide", {"decision": "accept", "reason": ""}, page)
        assert ok.status_code == 303  # type: ignore[attr-defined]
        assert "误报（已核销）" in sup.get(page).text
        after = sup.get("/sites/alpha").text
        assert "98.9" in after
        excluded = sup.get("/findings?status=excluded").text
        assert page in excluded


def test_waiver_leaves_the_score_until_it_expires(db_url: str, target: Target) -> None:
    world = build_world(db_url, target, as_of=BEFORE)
    try:
        fid = world.ids["alpha-icp"]
        page = f"/findings/{fid}"
        with app_client(world) as sup:
            login(sup, "sup")
            bad = post(sup, f"{page}/waive", {"reason": "改版中", "until": "2026-10-20"},
                       page)
            assert bad.status_code == 400 and "晚于今天" in bad.text  # type: ignore[attr-defined]
            nodate = post(sup, f"{page}/waive", {"reason": "改版中", "until": "x"}, page)
            assert nodate.status_code == 400  # type: ignore[attr-defined]
            ok = post(sup, f"{page}/waive", {"reason": "网站改版中，经批准暂缓",
                                             "until": "2026-10-31"}, page)
            assert ok.status_code == 303  # type: ignore[attr-defined]
            assert "已豁免至 2026-10-31" in sup.get(page).text
            assert "98.9" in sup.get("/sites/alpha").text
            assert page in sup.get("/findings?site=alpha&status=excluded").text
            assert page not in sup.get("/findings?site=alpha").text
    finally:
        world.factory.kw["bind"].dispose()
    # After the expiry it counts again (judged on 1 November).
    later = replace(world.settings, web=replace(world.settings.web,
                                                as_of="2026-11-01T09:00:00+08:00"))
    with TestClient(create_app(later), follow_redirects=False) as sup:
        login(sup, "sup")
        assert "96.9" in sup.get("/sites/alpha").text
        assert page in sup.get("/findings?site=alpha").text
        assert "待整改" in sup.get(page).text


def test_forbidden_steps_answer_403_and_change_nothing(late: World) -> None:
    alpha, beta = late.ids["alpha-dead"], late.ids["beta-dead"]
    with app_client(late, FakeLauncher(late.factory)) as alice:
        login(alice, "alice")
        own = f"/findings/{alpha}"
        # another site's finding, whether it exists or not
        for fid in (beta, 987654):
            r = post(alice, f"/findings/{fid}/appeal", {"reason": "x"}, own)
            assert r.status_code == 403  # type: ignore[attr-defined]
        # a webmaster cannot waive or decide
        r = post(alice, f"{own}/waive", {"reason": "x", "until": "2026-11-30"}, own)
        assert r.status_code == 403 and "督查" in r.text  # type: ignore[attr-defined]
        r = post(alice, f"{own}/decide", {"decision": "accept"}, own)
        assert r.status_code == 403  # type: ignore[attr-defined]
        # nor re-crawl another site
        r = post(alice, "/sites/beta/recrawl", {}, "/sites/alpha")
        assert r.status_code == 403  # type: ignore[attr-defined]
        # no CSRF token: refused before anything else
        r = alice.post(f"{own}/appeal", data={"reason": "x"})
        assert r.status_code == 403
    with app_client(late) as sup:
        login(sup, "sup")
        r = post(sup, f"/findings/{beta}/appeal", {"reason": "x"}, f"/findings/{beta}")
        assert r.status_code == 403  # supervisors decide; they do not appeal
    with app_client(late) as anonymous:
        r = anonymous.post(f"/findings/{alpha}/appeal", data={"reason": "x"})
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
    with late.factory() as session:
        assert session.scalars(select(m.FindingEvent)).all() == []
        assert {f.review for f in session.scalars(select(m.Finding))} == {""}


def test_recrawl_runs_in_the_background_is_audited_and_rate_limited(late: World) -> None:
    launcher = FakeLauncher(late.factory)
    app = create_app(late.settings, client_factory=http_client, recrawler=launcher)
    with TestClient(app, follow_redirects=False) as alice:
        login(alice, "alice")
        site = alice.get("/sites/alpha").text
        assert "重新抓取本站" in site
        r = post(alice, "/sites/alpha/recrawl", {}, "/sites/alpha")
        assert r.status_code == 303  # type: ignore[attr-defined]
        app.state.gw.recrawls.join(10)
        assert len(launcher.calls) == 1
        site_id, run_id, as_of = launcher.calls[0]
        assert site_id == "alpha" and as_of == datetime.fromisoformat(AFTER_VETO)
        shown = alice.get("/sites/alpha").text
        assert "已完成" in shown and "抓取完成（3 个页面）并已重新检查" in shown
        again = post(alice, "/sites/alpha/recrawl", {}, "/sites/alpha")
        assert again.status_code == 303  # type: ignore[attr-defined]
        flash = alice.get("/sites/alpha").text
        assert "每 60 分钟最多一次" in flash and "之后再试" in flash
        assert len(launcher.calls) == 1
    with late.factory() as session:
        events = session.scalars(select(m.FindingEvent).order_by(m.FindingEvent.id)).all()
        run = session.get(m.CrawlRun, run_id)
    assert [(e.action, e.user_name, e.site_id, e.crawl_run_id) for e in events] == [
        ("recrawl", "alice", "alpha", run_id), ("recrawl-done", "alice", "alpha", run_id)]
    assert run is not None and run.site_ids == ["alpha"] and run.as_of == as_of
    # Without a launcher (a dashboard not run by govwatch serve) there is no button.
    with app_client(late) as sup:
        login(sup, "sup")
        assert "重新抓取本站" not in sup.get("/sites/alpha").text


def test_marking_fixed_rechecks_and_records_the_verdict(late: World) -> None:
    fid = late.ids["alpha-dead"]
    page = f"/findings/{fid}"
    with app_client(late) as alice:
        login(alice, "alice")
        assert "已整改，立即复核" in alice.get(page).text
        post(alice, f"{page}/recheck", {}, page)
        late.target.set("/gone.html", 200, OK_PAGE)
        post(alice, f"{page}/recheck", {}, page)
        shown = alice.get(page).text
    trail = shown[shown.index("处理记录"):]
    assert "复核未通过，问题仍存在" in trail and "复核通过" in trail
    assert "待整改 → 已整改" in trail
    assert late.finding("alpha-dead").status == "fixed"


def _findings(world: World, tmp: Path, *args: str) -> list[dict[str, object]]:
    env = dict(os.environ, GOVWATCH_DATABASE_URL=world.settings.database_url)
    env.pop("GOVWATCH_SETTINGS", None)
    proc = subprocess.run([sys.executable, "-m", "govwatch.cli", "findings", "--format",
                           "json", *args], env=env, cwd=tmp, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines()]


def test_findings_json_carries_deadline_state_and_overdue(late: World, tmp_path: Path) -> None:
    rows = _findings(late, tmp_path, "--as-of", AFTER_VETO)
    stale = next(r for r in rows if r["check"] == "home.stale")
    assert (stale["deadline"], stale["state"], stale["overdue"]) == ("2026-10-21", "open", True)
    dead = next(r for r in rows if r["site"] == "alpha" and r["check"] == "links.dead")
    assert (dead["deadline"], dead["overdue"]) == ("2026-11-04", False)
    assert _findings(late, tmp_path, "--overdue", "--as-of", BEFORE) == []
    overdue = _findings(late, tmp_path, "--overdue", "--as-of", AFTER_VETO)
    assert [r["check"] for r in overdue] == ["home.stale"]
