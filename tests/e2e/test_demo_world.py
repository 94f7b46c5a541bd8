"""End to end: the govwatch CLI crawls the demo world over loopback and must produce exactly
the findings the world planted — every fault found, nothing on the healthy pages and links —
on SQLite and (in CI) PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from core.settings import load_settings
from govwatch.demo.probes import probe_demo_sites
from govwatch.demo.run import demo_settings_text
from govwatch.demo.server import DemoServer
from govwatch.demo.world import AS_OF, World, build_world
from store import models as m
from store.session import make_engine, session_factory
from tests.conftest import PG_URL, _reset_postgres, init_and_import, interrupt_and_reap

pytestmark = pytest.mark.e2e


@dataclass
class Crawled:
    env: dict[str, str]
    world: World
    expected: dict[str, Any]
    requests: list[tuple[str, str, str]]
    crawl_stdout: str


def run_gw(env: dict[str, str], *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "govwatch.cli", *args], env=env,
                          capture_output=True, text=True, timeout=600)
    if ok:
        assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def findings(env: dict[str, str], *extra: str) -> list[dict[str, Any]]:
    out = run_gw(env, "findings", "--format", "json", *extra).stdout
    return [json.loads(line) for line in out.splitlines()]


def keys(rows: list[dict[str, Any]], checks: list[str]) -> list[tuple[str, str, str, str]]:
    return sorted((r["site"], r["check"], r["url"], r["page"]) for r in rows
                  if r["check"] in checks)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"] if PG_URL else ["sqlite"])
def crawled(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[Crawled]:
    tmp = tmp_path_factory.mktemp(f"e2e-{request.param}")
    world = build_world(tmp / "world")
    expected = json.loads(world.expected_path.read_text(encoding="utf-8"))
    if request.param == "postgresql":
        assert PG_URL is not None
        _reset_postgres(PG_URL)
        db_url = PG_URL
    else:
        db_url = f"sqlite:///{tmp / 'gw.db'}"
    with DemoServer(world) as server:
        settings = tmp / "settings.toml"
        settings.write_text(demo_settings_text(world, server.port, db_url), encoding="utf-8")
        yield_env = dict(os.environ, GOVWATCH_SETTINGS=str(settings),
                         GOVWATCH_DATABASE_URL=db_url)
        init_and_import(db_url, world.registry_path)
        # The demo's probe pass (https.missing judges it), as `govwatch demo` makes it.
        probe_demo_sites(load_settings(settings), datetime.fromisoformat(AS_OF))
        probed = len(server.request_log)
        # One crawl process: "every URL once" is per process (with --jobs N a home page that
        # sites of other groups link to is asked once by each; tests/e2e/test_jobs.py).
        proc = run_gw(yield_env, "crawl", "--as-of", AS_OF, "--jobs", "1")
        requests = list(server.request_log[probed:])  # the crawl's requests
        yield Crawled(yield_env, world, expected, requests, proc.stdout)


def test_exact_findings(crawled: Crawled) -> None:
    checks = crawled.expected["checks"]
    got = keys(findings(crawled.env), checks)
    want = sorted(tuple(f[k] for k in ("site", "check", "url", "page"))
                  for f in crawled.expected["findings"])
    missing = sorted(set(want) - set(got))
    extra = sorted(set(got) - set(want))
    assert not missing and not extra, {"missing": missing, "extra": extra}
    assert len(got) == len(want)  # and no duplicates


def test_no_finding_on_healthy_urls(crawled: Crawled) -> None:
    reported = {f["url"] for f in findings(crawled.env, "--status", "all")}
    assert not reported & set(crawled.expected["healthy_urls"])


def test_findings_carry_fixing_evidence(crawled: Crawled) -> None:
    rows = findings(crawled.env)
    dead = [r for r in rows if r["check"] in ("links.dead", "links.dead-home")]
    assert dead
    for row in dead:
        assert row["severity"] == "deduct" and row["status"] == "open"
        assert row["rule"] and row["message"].startswith("链接不可用")
        ev = row["evidence"]
        assert ev.get("status") is not None or ev.get("error_kind") or ev.get("soft404")
        assert row["first_seen"] == "2026-11-21T12:00:00+08:00"
    loops = [r for r in dead if r["evidence"].get("error_kind") == "redirect_loop"]
    assert loops and all(len(r["evidence"]["redirects"]) >= 2 for r in loops)


def test_findings_cite_the_regulations_binding_their_site(crawled: Crawled) -> None:
    rows = findings(crawled.env, "--status", "all")
    assert rows
    yongzhou = "《永州市政府网站建设管理办法》"
    for row in rows:
        assert row["rule"].startswith("《") and not re.search(r"\d{3}_[0-9a-f]{16}", row["rule"])
        # 永州 adopts its 办法 (demo settings): it binds 永州 and 江华 below it, no one else
        bound = row["site"] in ("yongzhou", "jianghua")
        if row["check"] in ("links.dead", "columns.stale", "archive.label-missing"):
            assert (yongzhou in row["rule"]) == bound, row
        elif not bound:
            assert yongzhou not in row["rule"], row
    assert any(yongzhou in r["rule"] for r in rows if r["site"] == "jianghua")


def test_every_evidence_key_of_the_demo_has_a_label(crawled: Crawled) -> None:
    from reports.evidence import HIDDEN, evidence_pairs, label_for

    rows = findings(crawled.env, "--status", "all")
    unlabelled = sorted({(r["check"], key) for r in rows for key in r["evidence"]
                         if key not in HIDDEN and label_for(r["check"], key) is None})
    assert not unlabelled
    for row in rows:
        for label, text in evidence_pairs(row["evidence"], row["check"]):
            assert not re.match(r"^[a-z_]+$", label) and not re.search(r"\dT\d\d:", text)


def test_every_url_is_requested_once(crawled: Crawled) -> None:
    engine = make_engine(crawled.env["GOVWATCH_DATABASE_URL"])
    with session_factory(engine)() as s:
        plain = [r.url for r in s.scalars(select(m.LinkResult).where(
            m.LinkResult.status == 200, m.LinkResult.attempts == 1))
            if not r.redirects and r.method == "HEAD"]
        pages = list(s.scalars(select(m.Page.url).join(
            m.LinkResult, (m.LinkResult.url == m.Page.url)
            & (m.LinkResult.crawl_run_id == m.Page.crawl_run_id)).where(
            m.Page.status == 200, m.LinkResult.attempts == 1)))
        retried = list(s.scalars(select(m.LinkResult.url).where(
            m.LinkResult.attempts > 1, m.LinkResult.status == 200)))
    engine.dispose()
    counts = Counter((host, path) for _method, host, path in crawled.requests)

    def requested(url: str) -> int:
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        return counts[(parts.hostname or "", target)]

    assert plain and pages
    # the 429-once page was asked again after its Retry-After, and only then
    assert retried == ["http://www.hunan-demo.gov.cn/sjfb/tjsj.html"]
    assert requested(retried[0]) == 2
    # resources verified by HEAD: one request each, though many pages link to them
    assert {url: requested(url) for url in plain} == dict.fromkeys(plain, 1)
    # pages crawled: one GET each (no 304s on a first crawl)
    over = {url: requested(url) for url in pages if requested(url) != 1}
    assert not over


def test_recheck_is_idempotent(crawled: Crawled) -> None:
    before = findings(crawled.env, "--status", "all")
    proc = run_gw(crawled.env, "check", "--as-of", AS_OF)
    assert "新增 0" in proc.stdout and "已修复 0" in proc.stdout
    assert findings(crawled.env, "--status", "all") == before


def test_output_formats(crawled: Crawled) -> None:
    rows = findings(crawled.env)
    csv_text = run_gw(crawled.env, "findings", "--format", "csv").stdout
    assert csv_text.startswith("\ufeff")  # UTF-8 with a BOM: Excel reads it as UTF-8
    csv_rows = list(csv.DictReader(io.StringIO(csv_text[1:])))
    assert [int(r["编号"]) for r in csv_rows] == [r["id"] for r in rows]
    assert json.loads(csv_rows[0]["证据"]) == rows[0]["evidence"]
    table = run_gw(crawled.env, "findings", "--check", "domain.not-gov")
    lines = table.stdout.splitlines()
    assert len(lines) == 2 and lines[0].startswith("编号\t") and "domain.not-gov" in lines[1]
    # the contract's fields (interfaces.md section 3), then the 整改 loop's (store.review)
    assert list(rows[0])[:12] == ["id", "site", "check", "severity", "url", "page",
                                  "message", "evidence", "rule", "first_seen", "last_seen",
                                  "status"]
    assert list(rows[0])[12:] == ["deadline", "state", "overdue", "waived_until"]


class _Rows(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows = 0
        self.links: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows += 1
        if tag == "a":
            self.links += [v or "" for k, v in attrs if k == "href"]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_govwatch_demo_command(tmp_path: Path) -> None:
    """The README's first command, as a user runs it: one process, offline, prints the path."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("GOVWATCH_SETTINGS", "GOVWATCH_DATABASE_URL")}
    proc = subprocess.run([sys.executable, "-m", "govwatch.cli", "demo", "--out",
                           str(tmp_path / "out")], env=env, capture_output=True, text=True,
                          timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    done = next(line for line in proc.stdout.splitlines() if line.startswith("演示完成，报告: "))
    index = Path(done.split("报告: ")[1])
    # then the next steps: the settings to export, a report of a period that has data
    assert "export GOVWATCH_SETTINGS=" in proc.stdout
    assert "govwatch report quarterly --period 2026-Q4" in proc.stdout
    assert "govwatch demo --serve --out" in proc.stdout
    assert index.is_file()
    parser = _Rows()
    parser.feed(index.read_text(encoding="utf-8"))
    site_pages = [link for link in parser.links if link.startswith("site-")]
    assert len(site_pages) == 10 and parser.rows == 11  # header + one row per site
    expected = json.loads((tmp_path / "out" / "world" / "expected.json").read_text("utf-8"))
    per_site = Counter(f["site"] for f in expected["findings"])
    for site, count in per_site.items():
        page = _Rows()
        page.feed((index.parent / f"site-{site}.html").read_text(encoding="utf-8"))
        # a table header per check group, then one row per finding
        assert page.rows - "".join(page.text).count("首次发现") == count, site


def test_severities_follow_the_site_level_rules(crawled: Crawled) -> None:
    got = {f"{r['site']}|{r['check']}|{r['url']}|{r['page']}": r["severity"]
           for r in findings(crawled.env)}
    want = crawled.expected["severities"]
    assert {k: got.get(k) for k in want} == want


def test_changing_thresholds_in_settings_changes_the_findings(crawled: Crawled) -> None:
    """Re-judge the same crawl with other thresholds, then restore (runs last in the module)."""
    columns = [c for c in crawled.expected["columns"]
               if c["type"] == "news" and not c["stale"] and not c["blank"]
               and not c["archived"] and c["newest"]]
    newest = min(c["newest"][:10] for c in columns)  # the freshest news column's edge
    inside = [c["url"] for c in columns if c["newest"][:10] == newest]
    late = [r for r in crawled.expected["reposts"]
            if r.get("reposted") and r["reposted"] > r["source_published"]]
    settings = Path(crawled.env["GOVWATCH_SETTINGS"])
    original = settings.read_text(encoding="utf-8")
    stale_before = {r["url"] for r in findings(crawled.env, "--check", "columns.stale")}
    lapses_before = findings(crawled.env, "--check", "repost.lapse")
    assert not set(inside) & stale_before
    try:
        settings.write_text(original + '\n[checks."columns.stale".cycles]\nnews = "10d"\n'
                            '\n[checks."repost.lapse"]\nwindow_hours = 24\n', encoding="utf-8")
        run_gw(crawled.env, "check", "--as-of", AS_OF)
        stale_after = {r["url"] for r in findings(crawled.env, "--check", "columns.stale")}
        lapses_after = findings(crawled.env, "--check", "repost.lapse")
    finally:
        settings.write_text(original, encoding="utf-8")
        run_gw(crawled.env, "check", "--as-of", AS_OF)
    assert set(inside) <= stale_after - stale_before  # a shorter cycle makes them stale
    assert late and len(lapses_after) < len(lapses_before)  # a 24 h window forgives 12h01
    assert {r["url"] for r in findings(crawled.env, "--check", "repost.lapse")} == {
        r["url"] for r in lapses_before}


def test_checks_that_rebuild_snapshots_find_the_same(crawled: Crawled) -> None:
    """checks.runner keeps pass 1's snapshots only up to a page budget and rebuilds the rest
    from the database for pass 2: with no budget at all the findings must not change."""

    from checks.runner import run_checks
    from core.settings import load_settings
    from govwatch.cli import parse_as_of

    before = findings(crawled.env, "--status", "all")
    settings = load_settings(crawled.env["GOVWATCH_SETTINGS"])
    engine = make_engine(crawled.env["GOVWATCH_DATABASE_URL"])
    factory = session_factory(engine)
    with factory() as session:
        site_ids = list(session.scalars(select(m.Site.id).order_by(m.Site.id)))
    now: datetime = parse_as_of(AS_OF, settings)
    try:
        rebuilt = run_checks(factory, settings, site_ids=site_ids, now=now, keep_pages=0)
        kept = run_checks(factory, settings, site_ids=site_ids, now=now, keep_pages=10**9)
    finally:
        engine.dispose()
    assert rebuilt.sites == kept.sites == len(site_ids) > 1
    assert rebuilt.by_check == kept.by_check and sum(kept.by_check.values()) > 0
    for summary in (rebuilt, kept):
        assert (summary.counts.new, summary.counts.reopened, summary.counts.fixed) == (0, 0, 0)
    assert findings(crawled.env, "--status", "all") == before


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_demo_serve_next_steps_work_as_printed(tmp_path: Path) -> None:
    """`govwatch demo --serve`, then what it prints: the settings to export, a report for a
    period with data, the dashboard with the demo webmaster, a fix of the demo world
    re-checked from the dashboard and by a new crawl."""
    import shlex
    import time

    import httpx

    env = {k: v for k, v in os.environ.items()
           if k not in ("GOVWATCH_SETTINGS", "GOVWATCH_DATABASE_URL")}
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "govwatch.cli", "demo", "--serve", "--out",
                             str(tmp_path / "out"), "--port", str(port)], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        printed: list[str] = []
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            assert line, "demo ended early: " + "".join(printed)
            printed.append(line)
            if "按 Ctrl-C 结束演示" in line:
                break
        text = "".join(printed)
        commands = [line.strip() for line in printed if line.startswith("       ")]
        export = next(c for c in commands if c.startswith("export "))
        user_env = dict(env)
        for pair in shlex.split(export)[1:]:
            key, _, value = pair.partition("=")
            user_env[key] = value

        def run(command: str) -> subprocess.CompletedProcess[str]:
            done = subprocess.run(command, shell=True, env=user_env, cwd=tmp_path,
                                  capture_output=True, text=True, timeout=600)
            assert done.returncode == 0, (command, done.stderr[-2000:])
            return done

        report = next(c for c in commands if c.startswith("govwatch report quarterly"))
        assert "合格率" in run(report).stdout
        assert "yongzhou" in run(next(c for c in commands
                                      if c.startswith("govwatch findings --site"))).stdout
        mismatch = json.loads(run("govwatch findings --site yongzhou --check "
                                  "identity.site-code-mismatch --format json").stdout)
        finding_id = mismatch["id"]

        base = f"http://127.0.0.1:{port}"
        assert f"看板: {base}/" in text
        name, password = re.search(r"网站管理员 用户名 (\S+)  密码 (\S+)（", text).groups()  # type: ignore[union-attr]
        with httpx.Client(base_url=base, timeout=30, trust_env=False) as client:
            for _ in range(100):
                try:
                    page = client.get("/login")
                    break
                except httpx.TransportError:
                    time.sleep(0.2)
            token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
            login = client.post("/login", data={"name": name, "password": password,
                                                "csrf": token, "next": "/"})
            assert login.status_code == 303
            page = client.get(f"/findings/{finding_id}")
            assert page.status_code == 200 and "网站标识码" in page.text
            # the fix, exactly as printed, then 立即复核
            run(next(c for c in commands if c.startswith("sed -i")))
            token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
            done = client.post(f"/findings/{finding_id}/recheck", data={"csrf": token})
            assert done.status_code == 303
            assert "已整改" in client.get(f"/findings/{finding_id}").text
        rows = json.loads(run("govwatch findings --status all --check "
                              "identity.site-code-mismatch --site yongzhou --format json").stdout)
        assert rows["status"] == "fixed"
        # and the printed re-crawl works on the edited world
        crawl = run(next(c for c in commands if c.startswith("govwatch crawl --site")))
        assert "抓取完成" in crawl.stdout
        assert run("govwatch findings --check identity.site-code-mismatch").stdout.count(
            "yongzhou") == 0
    finally:
        interrupt_and_reap(proc, timeout=60)
