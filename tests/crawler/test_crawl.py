"""A real crawl (the `govwatch` CLI, Scrapy, a loopback server) of hostile behaviours."""

from __future__ import annotations

import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from store import models as m
from store import process, repo
from store.session import make_engine, session_factory
from tests.conftest import init_and_import
from tests.crawler.hostile import HostileServer

AS_OF = "2026-11-21T12:00:00+08:00"
HOME = "http://www.hostile.gov.cn/"


def write_world(tmp: Path, port: int, *, delay: float = 0, extra: str = "") -> dict[str, str]:
    (tmp / "sites.yaml").write_text(
        f"""sites:
  - id: hostile
    name: 恶意测试站
    url: {HOME}
    level: county
    crawl: {{delay: {delay}, concurrency: 4, max_depth: 30}}
  - id: unreachable
    name: 不可达站
    url: http://www.unreachable.gov.cn/
    level: county
""",
        encoding="utf-8",
    )
    (tmp / "settings.toml").write_text(
        f"""[crawler]
download_timeout = 3.0
retries = 1
{extra}
[crawler.connect_to]
"www.hostile.gov.cn" = "127.0.0.1:{port}"
"www.unreachable.gov.cn" = "127.0.0.1:1"
""",
        encoding="utf-8",
    )
    env = dict(os.environ)
    env["GOVWATCH_SETTINGS"] = str(tmp / "settings.toml")
    env["GOVWATCH_DATABASE_URL"] = f"sqlite:///{tmp / 'gw.db'}"
    return env


def gw(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "govwatch.cli", *args], env=env,
                          capture_output=True, text=True, timeout=300)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def prepare(env: dict[str, str], tmp: Path) -> None:
    init_and_import(env["GOVWATCH_DATABASE_URL"], tmp / "sites.yaml")


def findings(env: dict[str, str]) -> list[dict[str, object]]:
    out = gw(env, "findings", "--format", "json", "--status", "all").stdout
    return [json.loads(line) for line in out.splitlines()]


def test_hostile_site_never_breaks_the_crawl(tmp_path: Path) -> None:
    with HostileServer() as server:
        env = write_world(tmp_path, server.port)
        prepare(env, tmp_path)
        proc = gw(env, "crawl", "--as-of", AS_OF)
        assert "抓取完成" in proc.stdout
        hits = dict(server.hits)
        agents = set(server.agents)
        referers = dict(server.referers)
    engine = make_engine(env["GOVWATCH_DATABASE_URL"])
    with session_factory(engine)() as s:
        results = {r.url: r for r in s.scalars(select(m.LinkResult))}
        pages = {p.url: p for p in s.scalars(select(m.Page))}
        facts = {p.url: d for p, d in s.execute(
            select(m.Page, m.PageFactsRow.data).join(m.PageFactsRow))}
    engine.dispose()

    # binary junk served as HTML: stored, not parsed, no crash
    assert pages[HOME + "binary.html"].status == 200
    assert HOME + "binary.html" not in facts
    # 19 MB of HTML: over the body limit, recorded as such, not called dead
    assert results[HOME + "huge.html"].error_kind == "too_large"
    # an endless redirect chain is cut and named
    assert results[HOME + "redirect/1"].error_kind == "too_many_redirects"
    assert len(results[HOME + "redirect/1"].redirects) == 11
    # GBK declared only in the HTTP header decodes correctly
    assert facts[HOME + "gbk.html"]["title"] == "国务院办公厅关于印发通知"
    assert pages[HOME + "gbk.html"].encoding in ("gb18030", "gbk")
    # 429 with Retry-After: asked again later, not failed
    assert results[HOME + "busy.html"].status == 200
    # the relative-link trap is cut off (by the repeated-segment rule)
    assert sum(n for (meth, path), n in hits.items() if path.startswith("/trap/")) <= 4
    # one request per URL however many pages link to it (home, a.html, b.html, twice each)
    assert hits.get(("HEAD", "/shared.png"), 0) + hits.get(("GET", "/shared.png"), 0) == 1
    # a transient 503 is retried before anything is called dead
    assert results[HOME + "flaky.html"].status == 200
    assert results[HOME + "flaky.html"].attempts == 2
    # robots.txt is obeyed: the disallowed page is not fetched, and not reported dead
    assert not any(path.startswith("/private/") for _m, path in hits)
    assert results[HOME + "private/secret.html"].error_kind == "robots"
    # the crawler says who it is and how to reach its operator
    assert all("govwatch" in ua and "mailto:" in ua for ua in agents)
    # and, like a browser, which page a link was found on (some sites refuse images without)
    assert referers[("GET", "/")] == ""
    shared = referers.get(("HEAD", "/shared.png"), referers.get(("GET", "/shared.png")))
    assert shared in (HOME, HOME + "a.html", HOME + "b.html")
    assert referers[("GET", "/redirect/5")] == HOME
    # the unreachable site: connection refused, recorded; the other site was crawled anyway
    assert results["http://www.unreachable.gov.cn/"].error_kind == "refused"
    assert pages["http://www.unreachable.gov.cn/"].status is None

    found = {(f["check"], f["url"]) for f in findings(env) if str(f["check"]).startswith("links.")}
    assert ("links.dead-home", HOME + "redirect/1") in found
    assert ("links.dead-home", "http://www.unreachable.gov.cn/") in found
    for healthy in ("huge.html", "busy.html", "binary.html", "gbk.html", "shared.png",
                    "flaky.html", "private/secret.html"):
        assert not any(url == HOME + healthy for _, url in found), healthy


@pytest.mark.parametrize("workers", [0, 2], ids=["in-process", "2-workers"])
def test_recrawl_uses_conditional_requests(tmp_path: Path, workers: int) -> None:
    # Extraction and storing in the crawl process (the pipeline) or in two workers.
    with HostileServer() as server:
        env = write_world(tmp_path, server.port, extra=f"extract_workers = {workers}")
        prepare(env, tmp_path)
        gw(env, "crawl", "--site", "hostile", "--as-of", AS_OF)
        first = sorted(f["id"] for f in findings(env))
        gw(env, "crawl", "--site", "hostile", "--as-of", "2026-11-22T12:00:00+08:00")
    engine = make_engine(env["GOVWATCH_DATABASE_URL"])
    with session_factory(engine)() as s:
        homes = list(s.scalars(select(m.Page).where(m.Page.url == HOME).order_by(m.Page.id)))
        n_bodies = s.scalar(select(func.count()).select_from(m.PageBody))
        n_facts = s.scalar(select(func.count()).select_from(m.PageFactsRow).join(
            m.Page).where(m.Page.crawl_run_id == homes[1].crawl_run_id))
    engine.dispose()
    assert [h.not_modified for h in homes] == [False, True]
    assert homes[1].body_sha256 == homes[0].body_sha256  # the stored body was reused
    assert n_facts and n_facts >= 3  # and still extracted
    assert n_bodies is not None and n_bodies < 10  # unchanged bodies are stored once
    again = findings(env)
    assert sorted(f["id"] for f in again) == first  # same findings, same identities
    assert all(f["last_seen"].startswith("2026-11-22") for f in again if f["status"] == "open")


def test_ctrl_c_leaves_a_consistent_database(tmp_path: Path) -> None:
    with HostileServer() as server:
        env = write_world(tmp_path, server.port, delay=0.3, extra="batch_size = 2")
        (tmp_path / "sites.yaml").write_text(
            (tmp_path / "sites.yaml").read_text(encoding="utf-8").replace(
                f"url: {HOME}", f"url: {HOME}many/0.html"), encoding="utf-8")
        prepare(env, tmp_path)
        proc = subprocess.Popen(
            [sys.executable, "-m", "govwatch.cli", "crawl", "--site", "hostile"], env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and sum(server.hits.values()) < 8:
            time.sleep(0.1)
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, (out, err)
    assert "中断" in err
    engine = make_engine(env["GOVWATCH_DATABASE_URL"])
    with session_factory(engine)() as s:
        run = s.scalars(select(m.CrawlRun)).one()
        pages = s.scalar(select(func.count()).select_from(m.Page))
        ok = s.execute(select(func.count()).select_from(m.Finding)).scalar()
    with engine.connect() as conn:
        integrity = conn.exec_driver_sql("PRAGMA integrity_check").scalar()
    engine.dispose()
    assert run.status == "interrupted"
    assert pages and pages >= 1  # what was crawled before the stop is kept
    assert ok == 0  # no checks ran on a partial crawl
    assert integrity == "ok"
    # the interrupted crawl is never used as "the last crawl"
    proc2 = gw(env, "check", "--site", "hostile", check=False)
    assert proc2.returncode == 1 and "govwatch crawl" in proc2.stderr


@pytest.mark.parametrize("bad", ["--as-of nonsense", "--site nosuch", "--jobs 0"])
def test_bad_arguments_give_one_line_errors(tmp_path: Path, bad: str) -> None:
    env = write_world(tmp_path, 1)
    prepare(env, tmp_path)
    proc = gw(env, "crawl", *bad.split(), check=False)
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("错误: ")


class _V6Server(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6


def test_ipv6_literal_hosts_are_fetched_and_internal_ones_refused(tmp_path: Path) -> None:
    """Issue 11 (8): a site at http://[::1]:port/ is crawled like any other (it used to be
    "域名无法解析" without a request); an IPv6 literal that is not a registered site's
    origin is refused by the egress policy (2001:db8::/32 is documentation space)."""
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            requests.append(self.path)
            if self.path == "/":
                body = ('<html><head><meta charset="utf-8"><title>六站</title></head><body>'
                        f'<a href="/a.html">甲</a><a href="http://[::1]:{port}/b.html">乙</a>'
                        '<a href="http://[2001:db8::1]/">文档地址</a>'
                        '<div class="footer">湘ICP备05009375号</div></body></html>').encode()
                status = 200
            elif self.path in ("/a.html", "/b.html"):
                body, status = "<html><title>页</title></html>".encode(), 200
            else:
                body, status = b"not found", 404
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_HEAD = do_GET

    server = _V6Server(("::1", 0), Handler)
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        home = f"http://[::1]:{port}/"
        (tmp_path / "sites.yaml").write_text(
            f"sites:\n  - id: six\n    name: 六站\n    url: \"{home}\"\n    level: county\n",
            encoding="utf-8")
        (tmp_path / "settings.toml").write_text("[crawler]\ndownload_timeout = 3.0\n",
                                                encoding="utf-8")
        env = dict(os.environ, GOVWATCH_SETTINGS=str(tmp_path / "settings.toml"),
                   GOVWATCH_DATABASE_URL=f"sqlite:///{tmp_path / 'gw.db'}")
        prepare(env, tmp_path)
        gw(env, "crawl", "--as-of", AS_OF)
    finally:
        server.shutdown()
        server.server_close()
    engine = make_engine(env["GOVWATCH_DATABASE_URL"])
    with session_factory(engine)() as s:
        pages = {p.url: p for p in s.scalars(select(m.Page))}
        results = {r.url: r for r in s.scalars(select(m.LinkResult))}
    engine.dispose()
    assert pages[home].status == 200
    assert pages[home + "a.html"].status == 200 and pages[home + "b.html"].status == 200
    assert "/" in requests and "/a.html" in requests
    assert results["http://[2001:db8::1]/"].error_kind == "private_address"


def test_link_checks_are_capped_per_page_and_per_site(tmp_path: Path) -> None:
    """Issue 11 (7): link checks are bounded, however many links the pages hold. Five pages
    with 80 distinct images each would be 400 HEAD requests; with 30 per page and at most
    2 x max_pages (60) per site, at most 60 are made, and the run says so (its stats, a
    line of output, a links.check-cap notice)."""
    with HostileServer(wide=80) as server:
        env = write_world(tmp_path, server.port,
                          extra="link_check_factor = 2\nmax_links_per_page = 30")
        prepare(env, tmp_path)
        proc = gw(env, "crawl", "--site", "hostile", "--max-pages", "30", "--as-of", AS_OF)
        hits = dict(server.hits)
    images = sum(n for (_meth, path), n in hits.items() if path.startswith("/w/"))
    assert 0 < images <= 60
    assert "links.check-cap" in proc.stderr
    engine = make_engine(env["GOVWATCH_DATABASE_URL"])
    with session_factory(engine)() as s:
        run = s.scalars(select(m.CrawlRun)).one()
        checked = s.scalar(select(func.count()).select_from(m.LinkResult).where(
            m.LinkResult.url.like("%/w/%")))
    engine.dispose()
    cap = run.stats["link_caps"]["hostile"]
    assert cap["site_cap"] == 60 and cap["per_page"] == 30 and cap["checks"] == 60
    assert cap["pages_capped"] == 5 and cap["page_skipped"] == 5 * 50
    assert cap["skipped"] > 0 and checked == images
    notices = [f for f in findings(env) if f["check"] == "links.check-cap"]
    assert len(notices) == 1 and notices[0]["severity"] == "notice"
    assert "未检查" in str(notices[0]["message"])


def test_kill_9_of_the_command_stops_its_crawl_and_the_next_crawl_proceeds(
        tmp_path: Path) -> None:
    """`kill -9` of `govwatch crawl` (its process only, not its group): the crawl process
    must not live on as an orphan; the next crawl finds the run ended and goes ahead."""
    with HostileServer() as server:
        env = write_world(tmp_path, server.port, delay=0.3, extra="batch_size = 2")
        (tmp_path / "sites.yaml").write_text(
            (tmp_path / "sites.yaml").read_text(encoding="utf-8").replace(
                f"url: {HOME}", f"url: {HOME}many/0.html"), encoding="utf-8")
        prepare(env, tmp_path)
        parent = subprocess.Popen(
            [sys.executable, "-m", "govwatch.cli", "crawl", "--site", "hostile"], env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        engine = make_engine(env["GOVWATCH_DATABASE_URL"])
        factory = session_factory(engine)
        child = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (child is None or sum(server.hits.values()) < 6):
            with factory() as s:
                run = s.scalars(select(m.CrawlRun)).first()
                if run is not None and run.pid not in (None, parent.pid):
                    child = run.pid
            time.sleep(0.1)
        assert child is not None and process.alive(child)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=10)
        deadline = time.monotonic() + 60
        while process.alive(child) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not process.alive(child), "the crawl process outlived its command"
        hits = sum(server.hits.values())
        time.sleep(1.0)
        assert sum(server.hits.values()) == hits  # and nothing crawls on
        again = gw(env, "crawl", "--site", "hostile", "--max-pages", "3")
        assert "抓取完成 #2" in again.stdout
    with factory() as s:
        runs = list(s.scalars(select(m.CrawlRun).order_by(m.CrawlRun.id)))
    engine.dispose()
    assert [r.status for r in runs] == ["interrupted", "finished"]


def test_a_run_whose_process_lives_blocks_a_second_crawl_of_its_site(tmp_path: Path) -> None:
    env = write_world(tmp_path, 1)
    prepare(env, tmp_path)
    engine = make_engine(env["GOVWATCH_DATABASE_URL"])
    factory = session_factory(engine)
    with factory.begin() as s:  # a crawl of hostile by this (live) process
        run = repo.create_run(s, ["hostile"], datetime.now(UTC))
        run_id = run.id
    proc = gw(env, "crawl", "--site", "hostile", check=False)
    assert proc.returncode == 1
    assert proc.stderr == (f"错误: 站点 hostile 正由抓取任务 #{run_id} 抓取中（主机 "
                           f"{socket.gethostname()}，进程 {os.getpid()}），请等待其结束后再抓取\n")
    with factory.begin() as s:  # the same pid, but not the process that started the run
        row = s.get(m.CrawlRun, run_id)
        assert row is not None
        row.pid_started = (row.pid_started or 0) - 3600
    proc = gw(env, "crawl", "--site", "unreachable", "--max-pages", "1", check=False)
    with factory() as s:
        row = s.get(m.CrawlRun, run_id)
        assert row is not None and row.status == "interrupted"
        assert row.error == "crawl process vanished (killed?)"
    engine.dispose()
