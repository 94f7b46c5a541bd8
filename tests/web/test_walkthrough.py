"""The 整改 loop tried as a new user would, in headless Chromium against `govwatch demo
--serve` (a real process: the demo world on loopback, the dashboard under uvicorn, re-crawls
run by govwatch.jobs as the service runs them):

- the demo webmaster of 永州 logs in and sees a veto finding (a hidden iframe loading an
  outside site, content.malicious-embed) with its 整改期限;
- fixes the demo page (the world is served from files), asks for 重新抓取本站, and sees the
  finding fixed once the background crawl and check pass end; a second request within the
  hour is refused with the time it is allowed again;
- appeals another veto as 误报; the demo supervisor rejects the appeal with a reason and
  waives a third finding until a date; the steps are on the finding's page.

Screenshots (viewport, 1280 px wide) go to tests/_artifacts/walkthrough/; a few of them are
checked in under docs/screenshots/ (docs/rectification.md).
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.conftest import interrupt_and_reap

from .conftest import ARTIFACTS

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = ARTIFACTS / "walkthrough"
WEBMASTER = ("demo-yongzhou", "demo-yongzhou-pass")
SUPERVISOR = ("demo-admin", "demo-admin-pass")
HOST = "www.yongzhou-demo.gov.cn"
EMBED_PAGE = "art/2025/11/20/art_7345_10553120.html"  # content.malicious-embed (veto)

pytestmark = pytest.mark.e2e


@dataclass
class Demo:
    base: str
    out: Path
    env: dict[str, str]

    def findings(self, *args: str) -> list[dict[str, object]]:
        proc = subprocess.run([sys.executable, "-m", "govwatch.cli", "findings", "--format",
                               "json", *args], env=self.env, capture_output=True, text=True,
                              timeout=120)
        assert proc.returncode == 0, proc.stderr
        return [json.loads(line) for line in proc.stdout.splitlines()]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("GOVWATCH_SETTINGS", "GOVWATCH_DATABASE_URL")}
    port = _free_port()
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "govwatch.cli", "demo", "--serve", "--out",
                             str(out), "--port", str(port)], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            assert line, "the demo ended early"
            if "按 Ctrl-C 结束演示" in line:
                break
        user_env = dict(env, GOVWATCH_SETTINGS=str(out / "settings.toml"),
                        GOVWATCH_DATABASE_URL=f"sqlite:///{out / 'govwatch-demo.db'}")
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):  # uvicorn listens a moment after the last line
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield Demo(base, out, user_env)
    finally:
        interrupt_and_reap(proc, timeout=90)


@pytest.fixture
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def log_in(page: Page, base: str, who: tuple[str, str]) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=name]", who[0])
    page.fill("input[name=password]", who[1])
    page.click("form[action='/login'] button[type=submit]")


def finding_id(demo: Demo, check: str, url_part: str) -> int:
    rows = demo.findings("--site", "yongzhou", "--check", check)
    return int(next(r["id"] for r in rows if url_part in str(r["url"])))  # type: ignore[call-overload]


def test_webmaster_fixes_a_veto_by_recrawl_and_supervisor_rejects_and_waives(
        demo: Demo, browser: Browser) -> None:
    base = demo.base
    embed = finding_id(demo, "content.malicious-embed", EMBED_PAGE)
    guide1 = finding_id(demo, "service.guide-incomplete", "/bszn/1.html")
    guide2 = finding_id(demo, "service.guide-incomplete", "/bszn/2.html")
    page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")

    # The webmaster logs in, lands on their site, filters the vetoes: each has a deadline.
    log_in(page, base, WEBMASTER)
    expect(page).to_have_url(f"{base}/sites/yongzhou")
    page.select_option("select[name=severity]", "veto")
    page.click("form.filters button[type=submit]")
    row = page.locator("table.findings tbody tr", has=page.locator(f"a[href='/findings/{embed}']"))
    # Found on Saturday 21 November 2026: 5 working days is Friday the 27th.
    expect(row.locator("td.deadline")).to_have_text("2026-11-27")
    expect(row).to_contain_text("待整改")
    shot(page, "01-webmaster-vetoes-with-deadlines")

    page.click(f"a[href='/findings/{embed}']")
    expect(page.locator("h1 code")).to_have_text("content.malicious-embed")
    expect(page.locator("dd.deadline")).to_have_text("2026-11-27")
    expect(page.locator("section.card").nth(2)).to_contain_text("重新抓取本站")
    shot(page, "02-webmaster-veto-finding")

    # The fix: the hidden iframe goes from the page (the demo world serves its files).
    path = demo.out / "world" / "www" / HOST / EMBED_PAGE
    text = path.read_text(encoding="utf-8")
    assert "tongji-union" in text
    path.write_text("\n".join(line for line in text.splitlines()
                              if "tongji-union" not in line) + "\n", encoding="utf-8")

    # 重新抓取本站: the dashboard answers at once; the crawl runs in the background.
    page.goto(f"{base}/sites/yongzhou")
    started = time.monotonic()
    page.click("section.recrawl button[type=submit]")
    expect(page.locator(".flash.info")).to_contain_text("已开始重新抓取本站")
    assert time.monotonic() - started < 10
    expect(page.locator(".recrawl-status")).to_contain_text("demo-yongzhou")
    for _ in range(960):
        status = page.locator(".recrawl-status").inner_text()
        if "进行中" not in status:
            break
        time.sleep(0.25)
        page.reload()
    expect(page.locator(".recrawl-status")).to_contain_text("已完成")
    expect(page.locator(".recrawl-status")).to_contain_text("并已重新检查")
    shot(page, "03-webmaster-recrawl-done")
    page.goto(f"{base}/findings/{embed}")
    expect(page.locator("h1 + div .st-fixed")).to_have_text("已整改")
    shot(page, "04-webmaster-veto-fixed")
    assert next(r for r in demo.findings("--status", "all", "--check",
                                         "content.malicious-embed", "--site", "yongzhou")
                if r["id"] == embed)["status"] == "fixed"

    # A second re-crawl within the hour is refused, saying when it is allowed.
    page.goto(f"{base}/sites/yongzhou")
    page.click("section.recrawl button[type=submit]")
    expect(page.locator(".flash.warn")).to_contain_text("每 60 分钟最多一次")
    assert re.search(r"请于 \d{4}-\d\d-\d\d \d\d:\d\d 之后再试",
                     page.locator(".flash.warn").inner_text())

    # The webmaster appeals another veto as a false alarm, with a reason.
    page.goto(f"{base}/findings/{guide1}")
    page.fill("form.appeal textarea[name=reason]", "该事项已取消，办事指南页面仅作历史留存")
    page.click("form.appeal button[type=submit]")
    expect(page.locator(".flash.ok")).to_contain_text("已提交误报申诉")
    expect(page.locator("h1 + div .st-appealed")).to_have_text("误报申诉中")
    expect(page.locator("form.waive")).to_have_count(0)  # a webmaster cannot waive
    page.click("button:text('退出')")

    # The supervisor rejects the appeal, with a reason ...
    log_in(page, base, SUPERVISOR)
    page.goto(f"{base}/findings/{guide1}")
    expect(page.locator("section.review")).to_contain_text("该事项已取消")
    page.fill("form.decide textarea[name=reason]", "该事项仍在办理，指南须补全要素")
    page.click("form.decide button[value=reject]")
    expect(page.locator(".flash.ok")).to_contain_text("已驳回误报申诉")
    expect(page.locator("h1 + div .st-open")).to_have_text("待整改")
    expect(page.locator("table.events tbody tr")).to_have_count(2)
    expect(page.locator("table.events")).to_contain_text("该事项仍在办理，指南须补全要素")
    expect(page.locator("dd.deadline")).to_have_text("2026-11-27")  # unchanged
    page.locator("section.review").scroll_into_view_if_needed()
    shot(page, "05-supervisor-rejected-appeal")

    # ... and waives another finding until a date, with a reason.
    page.goto(f"{base}/findings/{guide2}")
    page.fill("form.waive textarea[name=reason]", "该事项由省级平台统一发布，待省级平台改版")
    page.fill("form.waive input[name=until]", "2026-12-31")
    page.click("form.waive button[type=submit]")
    expect(page.locator(".flash.ok")).to_contain_text("已豁免至 2026-12-31")
    expect(page.locator("h1 + div .st-waived")).to_have_text("已豁免至 2026-12-31")
    expect(page.locator("table.events")).to_contain_text("待省级平台改版")
    page.locator("section.review").scroll_into_view_if_needed()
    shot(page, "06-supervisor-waived")
    page.goto(f"{base}/findings?site=yongzhou&status=excluded")
    expect(page.locator("table.findings tbody tr")).to_have_count(1)
    page.goto(f"{base}/")
    shot(page, "07-supervisor-overview")

    rows = {r["id"]: r for r in demo.findings("--site", "yongzhou", "--status", "all",
                                             "--as-of", "2026-11-21T12:00:00+08:00")}
    assert (rows[guide1]["state"], rows[guide2]["state"]) == ("open", "waived")
    assert rows[guide2]["waived_until"] == "2026-12-31"
