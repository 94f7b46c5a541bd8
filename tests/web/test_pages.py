"""What the dashboard shows: site status and scores, filters, a finding's evidence, and the
files it hands out (a site's 整改清单, the period reports)."""

from __future__ import annotations

import io
import re
import zipfile
from html import unescape

from openpyxl import load_workbook
from starlette.testclient import TestClient

from web.queries import Filters

from .conftest import World, login, make_client


def rows(html: str) -> list[str]:
    """The text of each <tbody> row, tags removed."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    return [" ".join(unescape(re.sub(r"<[^>]+>", " ", r)).split())
            for r in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)]


def test_supervisor_overview_shows_every_site_worst_first(client: TestClient) -> None:
    login(client, "sup")
    table = rows(client.get("/").text)
    assert [r.split()[0] for r in table] == ["乙县人民政府", "甲市人民政府", "丙省人民政府"]
    beta, alpha, gamma = table
    # beta: a veto (home.stale) and one dead link (0.1): 99.9 but failed outright.
    assert "99.9" in beta and "不合格" in beta and " 是 " in f" {beta} "
    # alpha: links.dead 0.1 + links.dead-home 1 + identity.icp-missing 2 = 3.1 deducted; the
    # fixed dead link counts for nothing.
    assert "96.9" in alpha and "合格" in alpha and "不合格" not in alpha
    assert "未检查" in gamma and "—" in gamma


def test_overview_filters_by_level(client: TestClient) -> None:
    login(client, "sup")
    table = rows(client.get("/?level=county").text)
    assert len(table) == 1 and table[0].startswith("乙县人民政府")
    assert len(rows(client.get("/?level=bogus").text)) == 3  # an unknown level is ignored


def test_findings_filters(client: TestClient, world: World) -> None:
    login(client, "sup")

    def listed(query: str) -> list[str]:
        return rows(client.get(f"/findings?{query}").text)

    assert len(listed("")) == 5  # open findings of every site
    assert len(listed("status=all")) == 6
    fixed = listed("status=fixed")
    assert len(fixed) == 1 and "old.html" in fixed[0] and "已整改" in fixed[0]
    dead = listed("check=links.dead")
    assert len(dead) == 2 and all("links.dead" in r and "dead-home" not in r for r in dead)
    veto = listed("severity=veto")
    assert len(veto) == 1 and "home.stale" in veto[0] and "单项否决" in veto[0]
    assert [r for r in listed("level=city")] == [r for r in listed("site=alpha")]
    assert len(listed("site=alpha&check=links.dead&status=all")) == 2
    assert len(listed("check=no.such-check&severity=bogus&status=bogus")) == 5  # ignored
    site = rows(client.get("/sites/alpha?severity=deduct&check=identity.icp-missing").text)
    assert len(site) == 1 and "identity.icp-missing" in site[0]


def test_filter_form_keeps_the_selection() -> None:
    f = Filters.parse({"site": "alpha", "check": "links.dead", "status": "all", "page": "3",
                       "severity": "veto", "level": "city"}, ["links.dead"])
    assert f.query(page=4) == {"site": "alpha", "check": "links.dead", "status": "all",
                               "page": "4", "severity": "veto", "level": "city"}
    assert Filters.parse({"page": "-5"}, []).page == 1
    assert Filters.parse({"page": "x"}, []).query() == {"status": "open"}


def test_findings_are_paged(db_url: str, target: object) -> None:
    from .conftest import build_world

    world = build_world(db_url, target, page_size=2)  # type: ignore[arg-type]
    try:
        with make_client(world) as client:
            login(client, "sup")
            first = client.get("/findings?status=all")
            assert "第 1 / 3 页" in first.text and len(rows(first.text)) == 2
            last = client.get("/findings?status=all&page=3")
            assert "第 3 / 3 页" in last.text and len(rows(last.text)) == 2
            assert "上一页" in last.text and "下一页" not in last.text
            beyond = client.get("/findings?status=all&page=99")
            assert "第 3 / 3 页" in beyond.text
    finally:
        world.factory.kw["bind"].dispose()


def test_a_finding_page_shows_its_evidence_rule_and_fix(client: TestClient,
                                                        world: World) -> None:
    login(client, "alice")
    page = client.get(f"/findings/{world.ids['alpha-dead']}").text
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", page)).split())
    assert "页面存在不可用链接 links.dead" in text  # the title with its code beside it
    assert "HTTP 状态码 404" in text and "链接文字 通知全文" in text
    assert "《永州市政府网站建设管理办法》第十九条（四）" in text
    assert "修改或删除错误链接" in text  # the catalogue's fix
    assert "立即复核" in text
    stale = client.get(f"/findings/{world.ids['alpha-icp']}").text
    assert "立即复核" in stale


def test_deferred_and_fixed_findings_offer_no_recheck_button(client: TestClient,
                                                             world: World) -> None:
    login(client, "sup")
    stale = client.get(f"/findings/{world.ids['beta-stale']}").text
    assert "需等待下次抓取复核" in stale and "立即复核" not in stale
    old = client.get(f"/findings/{world.ids['alpha-old']}").text
    assert "该问题已整改" in old and "立即复核" not in old


def test_hostile_text_is_escaped_and_javascript_urls_are_not_links(client: TestClient,
                                                                   world: World) -> None:
    from store import models as m

    with world.factory() as session, session.begin():
        row = session.get(m.Finding, world.ids["alpha-dead"])
        assert row is not None
        row.message = "<script>alert(1)</script>"
        row.url = "javascript:alert(1)"
        row.evidence = {"anchor": "<img src=x onerror=alert(1)>"}
    login(client, "alice")
    page = client.get(f"/findings/{world.ids['alpha-dead']}").text
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page
    assert "<img src=x" not in page
    assert 'href="javascript:' not in page


def test_a_webmaster_with_one_site_lands_on_it(client: TestClient) -> None:
    login(client, "alice")
    response = client.get("/")
    assert response.status_code == 303 and response.headers["location"] == "/sites/alpha"
    page = client.get("/sites/alpha").text
    assert "甲市人民政府" in page and "下载整改清单" in page and "报告下载" not in page


def test_webmaster_downloads_the_rectification_list(client: TestClient, world: World) -> None:
    login(client, "alice")
    response = client.get("/sites/alpha/rectification.xlsx")
    assert response.status_code == 200
    assert "spreadsheetml" in response.headers["content-type"]
    assert "attachment" in response.headers["content-disposition"]
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    sheet = book["整改清单"]
    table = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert table[0][:5] == ["序号", "检查项", "代码", "性质", "问题描述"]
    codes = sorted(r[2] for r in table[1:])
    assert codes == ["identity.icp-missing", "links.dead", "links.dead-home"]  # open only
    assert all("beta" not in str(cell) for r in table for cell in r)
    about = dict(book["说明"].iter_rows(values_only=True))
    assert about["网站名称"] == "甲市人民政府" and about["需整改问题"] == 3


def test_supervisor_downloads_period_reports(client: TestClient) -> None:
    login(client, "sup")
    xlsx = client.get("/reports/download?kind=monthly&period=2026-10&format=xlsx")
    assert xlsx.status_code == 200, xlsx.text[:300]
    book = load_workbook(io.BytesIO(xlsx.content), read_only=True)
    scores = list(book["网站得分"].iter_rows(values_only=True))
    assert sorted(r[2] for r in scores[1:]) == ["alpha", "beta"]
    html = client.get("/reports/download?kind=monthly&period=2026-10&format=html")
    assert html.status_code == 200 and html.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(html.content)).namelist()
    assert "monthly-2026-10/report.html" in names
    assert {"monthly-2026-10/sites/alpha.html", "monthly-2026-10/sites/beta.html"} <= set(names)
    bundle = client.get("/reports/download?kind=quarterly&period=2026-Q4&format=xlsx-all")
    assert bundle.status_code == 200
    assert "quarterly-2026-Q4/sites/alpha.xlsx" in \
        zipfile.ZipFile(io.BytesIO(bundle.content)).namelist()


def test_report_errors_are_shown_on_the_form(client: TestClient) -> None:
    login(client, "sup")
    bad = client.get("/reports/download?kind=monthly&period=2026-13&format=xlsx")
    assert bad.status_code == 400 and "月份 13 无效" in bad.text
    empty = client.get("/reports/download?kind=monthly&period=2025-01&format=xlsx")
    assert empty.status_code == 400 and "没有检查记录" in empty.text
    assert client.get("/reports/download?kind=weekly&period=2026&format=xlsx").status_code == 400


def test_errors_are_pages_in_chinese(client: TestClient) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404 and "页面不存在" in response.text
    assert client.get("/healthz").text == "ok"
