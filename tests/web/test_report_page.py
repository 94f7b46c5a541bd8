"""The dashboard's report page: only periods with data are listed, each offered as PDF and
DOCX besides XLSX and HTML; the DOCX download is the official document."""

from __future__ import annotations

import io
from datetime import datetime

from docx import Document
from starlette.testclient import TestClient

from reports.available import months_with_data, periods_with_data

from .conftest import TZ, World, login


def test_periods_with_data_are_those_with_a_crawl_or_finding_event(world: World) -> None:
    # the world: crawls and findings on 2026-10-14 and 2026-10-15 only
    now = datetime(2027, 2, 10, 12, 0, tzinfo=TZ)
    with world.factory() as session:
        months = [p.code for p in months_with_data(session, now, "Asia/Shanghai")]
        found = periods_with_data(session, now, "Asia/Shanghai")
        # nothing before the first crawl, nothing older than the look-back
        early = months_with_data(session, datetime(2026, 9, 30, tzinfo=TZ), "Asia/Shanghai")
        late = months_with_data(session, datetime(2029, 1, 1, tzinfo=TZ), "Asia/Shanghai")
    assert months == ["2026-10"]
    assert {k: [p.code for p in v] for k, v in found.items()} == {
        "monthly": ["2026-10"], "quarterly": ["2026-Q4"], "annual": ["2026"]}
    assert early == [] and late == []


def test_report_page_lists_only_periods_with_data_with_pdf_and_docx(
        client: TestClient) -> None:
    login(client, "sup")
    page = client.get("/reports").text
    assert "period=2026-10&amp;format=docx" in page and "period=2026-10&amp;format=pdf" in page
    assert "Word 公文（DOCX）" in page and "PDF 报告" in page
    assert "period=2026-Q4" in page and "period=2026&amp;" in page
    # months without any crawl or finding are not offered
    assert "period=2026-09" not in page and "period=2026-11" not in page


def test_docx_download_is_the_official_document(client: TestClient) -> None:
    login(client, "sup")
    got = client.get("/reports/download?kind=quarterly&period=2026-Q4&format=docx")
    assert got.status_code == 200, got.text[:300]
    assert got.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    assert "filename*=utf-8''" in got.headers["content-disposition"]
    doc = Document(io.BytesIO(got.content))
    lines = [p.text for p in doc.paragraphs if p.text.strip()]
    assert "各有关单位：" in lines and lines[-1] != ""
    assert any(t.startswith("四、整改要求") for t in lines)
    ranking = next(t for t in doc.tables if t.rows[0].cells[0].text == "排名")
    assert sorted(r.cells[1].text for r in ranking.rows[1:-1]) == ["乙县人民政府", "甲市人民政府"]
    assert ranking.rows[-1].cells[0].text == "合计"  # with the 超期未整改 total


def test_webmaster_cannot_download_reports(client: TestClient) -> None:
    login(client, "alice")
    assert client.get("/reports").status_code == 404
    assert client.get(
        "/reports/download?kind=quarterly&period=2026-Q4&format=docx").status_code == 404
