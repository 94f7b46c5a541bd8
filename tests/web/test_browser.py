"""The dashboard in headless Chromium (Playwright driving Debian's /usr/bin/chromium), served
by uvicorn on a loopback port: a supervisor logs in, filters and opens a finding; a webmaster
logs in, re-checks a link that a loopback server first answers 404 and then 200, and sees it
marked fixed. Screenshots go to tests/_artifacts/ (look at them: they are the product)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from crawler.probe import http_client
from web.app import create_app

from .conftest import ARTIFACTS, OK_PAGE, PASSWORDS, Target, World, build_world
from .live import serve

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = ARTIFACTS / "web"


@pytest.fixture(scope="module")  # one Chromium for the module; a context per page
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def live(sqlite_url: str, target: Target) -> Iterator[tuple[str, World]]:
    world = build_world(sqlite_url, target)
    SHOTS.mkdir(parents=True, exist_ok=True)
    with serve(create_app(world.settings, client_factory=http_client)) as base:
        yield base, world
    world.factory.kw["bind"].dispose()


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def log_in(page: Page, base: str, name: str) -> None:
    page.goto(f"{base}/")
    expect(page).to_have_url(f"{base}/login?next=%2F")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORDS[name])
    page.click("form[action='/login'] button[type=submit]")


def body_rows(page: Page) -> int:
    return page.locator("table.grid tbody tr").count()


def test_supervisor_logs_in_filters_and_reads_a_finding(browser: Browser,
                                                        live: tuple[str, World]) -> None:
    base, world = live
    page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page.goto(f"{base}/")
    shot(page, "01-login")
    log_in(page, base, "sup")
    expect(page.locator("h1")).to_have_text("站点概览")
    assert body_rows(page) == 3
    expect(page.locator("table.sites tbody tr").first).to_contain_text("乙县人民政府")
    shot(page, "02-supervisor-sites")

    page.select_option("select[name=level]", "county")
    page.click("form.filters button[type=submit]")
    expect(page).to_have_url(f"{base}/?level=county")
    assert body_rows(page) == 1

    page.click("nav.main >> text=问题")
    page.select_option("select[name=check]", "links.dead")
    page.select_option("select[name=status]", "all")
    page.click("form.filters button[type=submit]")
    expect(page.locator("p.count")).to_have_text("共 3 个问题")
    shot(page, "03-supervisor-findings-filtered")

    page.click("table.findings a:text('链接不可用: HTTP 404') >> nth=0")
    expect(page.locator("h1")).to_contain_text("页面存在不可用链接")
    expect(page.locator("h1 code")).to_have_text("links.dead")
    expect(page.locator("table.evidence")).to_contain_text("HTTP 状态")
    shot(page, "04-supervisor-finding")

    page.goto(f"{base}/reports")
    shot(page, "05-supervisor-reports")
    with page.expect_download() as info:
        page.click("table.periods a[href*='period=2026-10'][href*='format=xlsx'] >> nth=0")
    assert info.value.suggested_filename.endswith(".xlsx")

    page.click("button:text('退出')")
    expect(page).to_have_url(f"{base}/login")
    expect(page.locator(".flash")).to_have_text("已退出登录")
    page.goto(f"{base}/findings/{world.ids['beta-dead']}")
    expect(page).to_have_url(f"{base}/login?next=%2Ffindings%2F{world.ids['beta-dead']}")


def test_webmaster_rechecks_a_repaired_link_and_sees_it_fixed(browser: Browser,
                                                              live: tuple[str, World]) -> None:
    base, world = live
    page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    log_in(page, base, "alice")
    expect(page).to_have_url(f"{base}/sites/alpha")  # one site: straight to it
    assert body_rows(page) == 3
    shot(page, "06-webmaster-site")

    with page.expect_download() as info:
        page.click("text=下载整改清单（XLSX）")
    assert info.value.suggested_filename.startswith("整改清单-alpha-")

    page.click("table.findings a:text('链接不可用: HTTP 404')")
    finding = f"{base}/findings/{world.ids['alpha-dead']}"
    expect(page).to_have_url(finding)
    page.click("button:text('立即复核')")  # the target still answers 404
    expect(page.locator(".flash")).to_have_text("链接仍不可用: HTTP 404")
    expect(page.locator(".st-open")).to_be_visible()
    shot(page, "07-webmaster-recheck-still-broken")

    world.target.set("/gone.html", 200, OK_PAGE)  # the webmaster repairs the link
    page.click("button:text('立即复核')")
    expect(page.locator(".flash.ok")).to_contain_text("问题已标记为已整改")
    expect(page.locator("h1 + div .st-fixed")).to_have_text("已整改")
    expect(page.locator("table.history tbody tr")).to_have_count(2)
    expect(page.locator("table.history tbody tr").first).to_contain_text("已整改")
    shot(page, "08-webmaster-recheck-fixed")
    assert world.finding("alpha-dead").status == "fixed"

    page.click(".crumbs a")
    expect(page.locator("p.count")).to_have_text("共 2 个问题")

    page.goto(f"{base}/findings/{world.ids['beta-dead']}")  # another site's finding
    expect(page.locator(".errorbox h1")).to_have_text("404")
    shot(page, "09-webmaster-foreign-finding-404")

