"""End to end: `govwatch crawl` of a hostile site (tests/crawler/hostile.py) beside a canary.

The site hangs, trickles, loops and chains redirects, serves a 10 MB gzip that inflates to
10 GB, binary junk, bad encodings, traps, XSS and spreadsheet-formula payloads, and links and
redirects to a canary server on loopback in every spelling of a loopback address. A second
registered site lives on 127.0.0.1 itself (as every test and demo site does) and links to the
canary's unregistered port. The crawl must finish, stay within a memory bound, never touch
the canary, and leave every problem as a finding or a line of its output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from store import models as m
from store.session import make_engine, session_factory
from tests.conftest import init_and_import
from tests.crawler.hostile import FORBIDDEN_ELSEWHERE, CanaryServer, HostileServer

pytestmark = pytest.mark.e2e

AS_OF = "2026-11-21T12:00:00+08:00"
HOME = "http://www.hostile.gov.cn/"
# Resident memory of any one process of the crawl (the command, the crawler, its extraction
# workers). The crawler idles at ~120 MB; a body inflated in memory would be 10 GB.
RSS_BOUND_MB = 450


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _descendants(root: int) -> set[int]:
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                    stat = f.read()
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    tree, grew = {root}, True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in tree and pid not in tree:
                tree.add(pid)
                grew = True
    return tree


class PeakRss(threading.Thread):
    """Samples the RSS of a process and its descendants until stopped."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_kb = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.2):
            for pid in _descendants(self.pid):
                self.peak_kb = max(self.peak_kb, _rss_kb(pid))


def test_a_hostile_site_cannot_crash_bloat_or_steer_the_crawler(tmp_path: Path) -> None:
    with CanaryServer() as canary, HostileServer(canary) as server:
        loop_home = f"http://127.0.0.1:{server.port}/"
        (tmp_path / "sites.yaml").write_text(f"""sites:
  - id: hostile
    name: 恶意测试站
    url: {HOME}
    level: county
    crawl: {{concurrency: 8, max_depth: 30, delay: 0.05}}
  - id: loopsite
    name: 回环测试站
    url: {loop_home}
    level: county
    crawl: {{max_depth: 0}}
""", encoding="utf-8")
        (tmp_path / "settings.toml").write_text(f"""[crawler]
download_timeout = 3.0
retries = 1
[crawler.connect_to]
"www.hostile.gov.cn" = "127.0.0.1:{server.port}"
""", encoding="utf-8")
        env = dict(os.environ, GOVWATCH_SETTINGS=str(tmp_path / "settings.toml"),
                   GOVWATCH_DATABASE_URL=f"sqlite:///{tmp_path / 'gw.db'}")

        def gw(*args: str) -> subprocess.CompletedProcess[str]:
            proc = subprocess.run([sys.executable, "-m", "govwatch.cli", *args], env=env,
                                  capture_output=True, text=True, timeout=300)
            assert proc.returncode == 0, proc.stderr[-3000:]
            return proc

        init_and_import(env["GOVWATCH_DATABASE_URL"], tmp_path / "sites.yaml")
        started = time.monotonic()
        # One crawl process (one run, one summary line, one process's memory to bound).
        crawl = subprocess.Popen([sys.executable, "-m", "govwatch.cli", "crawl", "--as-of",
                                  AS_OF, "--jobs", "1"], env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
        sampler = PeakRss(crawl.pid)
        sampler.start()
        out, err = crawl.communicate(timeout=300)
        sampler.stop.set()
        sampler.join()
        seconds = time.monotonic() - started
        hits = dict(server.hits)
        canary_hits = canary.hits
        ssrf = canary.ssrf_urls()
        canary_port = canary.port

    (tmp_path / "crawl.err").write_text(err, encoding="utf-8")
    assert crawl.returncode == 0, err[-3000:]
    assert "Traceback" not in err, err[-3000:]
    assert "抓取完成" in out
    print(f"hostile crawl: {seconds:.1f} s, peak RSS {sampler.peak_kb / 1024:.0f} MB")
    assert 0 < sampler.peak_kb < RSS_BOUND_MB * 1024
    # Not one request (not even a connection) reached the canary.
    assert canary_hits == 0

    engine = make_engine(env["GOVWATCH_DATABASE_URL"])
    with session_factory(engine)() as s:
        results = {r.url: r for r in s.scalars(select(m.LinkResult))}
        pages = {p.url: p for p in s.scalars(select(m.Page))}
        facts = {p.url: d for p, d in s.execute(
            select(m.Page, m.PageFactsRow.data).join(m.PageFactsRow))}
        run = s.scalars(select(m.CrawlRun)).one()
    engine.dispose()

    # Every SSRF link and redirect: recorded as an internal address, never requested.
    for url in [*ssrf, *FORBIDDEN_ELSEWHERE, f"http://127.0.0.1:{canary_port}/from-home"]:
        assert results[url].error_kind == "private_address", (url, results[url].error)
    for hop in ("ssrf/redirect", "ssrf/redirect-decimal", "ssrf/redirect-v6"):
        assert results[HOME + hop].error_kind == "private_address"
        assert results[HOME + hop].redirects  # the hop that was refused is named
    assert results[HOME + "ssrf/chain"].redirects == [HOME + "ssrf/redirect"]
    assert run.stats["refused"] >= len(ssrf) + len(FORBIDDEN_ELSEWHERE)
    # The site registered on 127.0.0.1 itself was crawled (its own origin is allowed).
    assert pages[loop_home].status == 200

    # Hangs and trickles end at the download timeout; the bombs at the size limit.
    assert results[HOME + "hang.html"].error_kind == "timeout"
    assert results[HOME + "trickle.html"].error_kind == "timeout"
    for bomb in ("bomb.html", "bomb-small.html", "bomb-head.html"):
        assert results[HOME + bomb].error_kind in ("too_large", "timeout"), bomb
    assert results[HOME + "bomb-small.html"].error_kind == "too_large"
    assert run.stats["too_large"] >= 2
    assert "too_large" in err and "private_address" in err  # the crawl's summary line
    # Redirects: a loop named, a 4-hop chain followed to its page.
    assert results[HOME + "loop/a"].error_kind == "redirect_loop"
    assert results[HOME + "chain/1"].status == 200
    assert len(results[HOME + "chain/1"].redirects) == 4
    # The trap stops; bad encodings and payloads are stored as text, not obeyed.
    assert sum(n for (_m, path), n in hits.items() if path.startswith("/trap/")) <= 4
    assert pages[HOME + "badenc.html"].status == 200
    assert pages[HOME + "latin.html"].status == 200
    assert "<script>" in facts[HOME + "nasty.html"]["title"]
    assert facts[HOME + "xss.html"]["title"].startswith("<img src=x")

    # Every problem is a finding (or, for what is not the site's fault, a line above).
    found = [json.loads(line) for line in gw("findings", "--format", "json", "--status",
                                             "all").stdout.splitlines()]
    by_url: dict[str, set[str]] = {}
    for f in found:
        by_url.setdefault(str(f["url"]), set()).add(str(f["message"]))
    for url in [*ssrf, *FORBIDDEN_ELSEWHERE]:
        assert any("内网地址，公众无法访问" in msg for msg in by_url[url]), url
    for problem in ("hang.html", "trickle.html", "loop/a", "ssrf/redirect"):
        assert HOME + problem in by_url, problem

    # Reports escape what the pages said (HTML autoescaped; spreadsheets keep formulas text).
    out_dir = tmp_path / "reports"
    gw("report", "monthly", "--period", "2026-11", "--out", str(out_dir))
    html = "\n".join(p.read_text(encoding="utf-8") for p in out_dir.rglob("*.html"))
    assert html and "<script>alert(1)</script>" not in html and "<img src=x" not in html


def test_the_dashboard_answers_healthz_throughout_a_hostile_crawl(tmp_path: Path) -> None:
    """The dashboard serves the database a hostile crawl is writing to: /healthz answers
    within 1 s every time it is asked while the crawl runs (hangs, trickles and bombs
    included)."""
    from core.settings import Settings, WebSettings
    from tests.web.live import serve
    from web.app import create_app

    with CanaryServer() as canary, HostileServer(canary) as server:
        (tmp_path / "sites.yaml").write_text(f"""sites:
  - id: hostile
    name: 恶意测试站
    url: {HOME}
    level: county
    crawl: {{delay: 0.05}}
""", encoding="utf-8")
        (tmp_path / "settings.toml").write_text(f"""[crawler]
download_timeout = 3.0
retries = 1
[crawler.connect_to]
"www.hostile.gov.cn" = "127.0.0.1:{server.port}"
""", encoding="utf-8")
        db = f"sqlite:///{tmp_path / 'gw.db'}"
        env = dict(os.environ, GOVWATCH_SETTINGS=str(tmp_path / "settings.toml"),
                   GOVWATCH_DATABASE_URL=db)
        init_and_import(db, tmp_path / "sites.yaml")
        app = create_app(Settings(database_url=db, web=WebSettings(secret_key="s" * 40)))
        with serve(app) as base, httpx.Client(timeout=5.0) as client:
            crawl = subprocess.Popen([sys.executable, "-m", "govwatch.cli", "crawl",
                                      "--as-of", AS_OF], env=env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
            latencies: list[float] = []
            while crawl.poll() is None:
                started = time.monotonic()
                answer = client.get(f"{base}/healthz")
                latencies.append(time.monotonic() - started)
                assert answer.status_code == 200 and answer.text == "ok"
                time.sleep(0.2)
            assert crawl.wait() == 0
        assert canary.hits == 0
    latencies.sort()
    print(f"/healthz during the crawl: {len(latencies)} asked, "
          f"p50 {latencies[len(latencies) // 2] * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms")
    assert len(latencies) >= 20  # asked throughout a crawl of several seconds
    assert latencies[-1] < 1.0
