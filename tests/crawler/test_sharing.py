"""Link results shared across crawl processes (crawler.sharing, store.shared_links): real
`govwatch crawl` processes against a loopback server that counts every request.

A small world: sites s1..s4 whose home pages all link to the same targets on one host that is
no registered site (links.share-test.gov.cn, standing for beian.miit.gov.cn or www.gov.cn),
one of them dead, plus an image of their own."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from store import models as m
from store import shared_links as sl
from store.session import make_engine, session_factory

AS_OF = "2026-11-21T12:00:00+08:00"
SHARED = "links.share-test.gov.cn"
TARGETS = [f"/p{i}.html" for i in range(6)]  # /p0.html is dead (404)
SITES = ("s1", "s2", "s3", "s4")
WAIT = 300


def site_host(site: str) -> str:
    return f"www.{site}-share.gov.cn"


REDIRECTING = "redirect.share-test.gov.cn"  # a host of redirects (hops), no registered site


def home_page(site: str, extra: list[str] | None = None) -> bytes:
    links = "".join(f'<li><a href="{url}">链接{i}</a></li>' for i, url in enumerate(
        [f"http://{SHARED}{path}" for path in TARGETS] + (extra or [])))
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{site}测试网站</title>
</head><body><h1>{site}测试网站</h1><img src="/logo.png" alt="标志">
<ul>{links}</ul><a href="/a.html">关于</a></body></html>""".encode()


class Server:
    """Every test host on one loopback port (the crawler reaches them through connect_to, in
    HTTP proxy form); records (time, method, host, path) of every request."""

    def __init__(self) -> None:
        self.log: list[tuple[float, str, str, str]] = []
        self.delay = 0.0  # seconds before answering a request to the shared host
        # REDIRECTING's answers: path -> (status, Location); any other path is 200 (or a
        # 404 when it starts with /h9).
        self.redirects: dict[str, tuple[int, str]] = {}
        self.extra: dict[str, list[str]] = {}  # site -> more links on its home page
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_HEAD(self) -> None:
                self.answer(head=True)

            def do_GET(self) -> None:
                self.answer(head=False)

            def answer(self, head: bool) -> None:
                parts = urlsplit(self.path)
                host = (parts.hostname or self.headers.get("Host", "")).split(":")[0]
                path = parts.path if parts.scheme else self.path.split("?")[0]
                with outer.lock:
                    outer.log.append((time.monotonic(), self.command, host, path))
                status, ctype, body = 404, "text/html; charset=utf-8", b"<p>not found</p>"
                location = None
                if host == REDIRECTING:
                    if path in outer.redirects:
                        status, location = outer.redirects[path]
                        body = b""
                    elif not path.startswith("/h9"):
                        status, body = 200, b"<html><body><p>ok</p></body></html>"
                elif host == SHARED:
                    if outer.delay:
                        time.sleep(outer.delay)
                    if path in TARGETS[1:]:
                        status, body = 200, b"<html><body><p>ok</p></body></html>"
                elif host.endswith("-share.gov.cn"):
                    site = host.split(".")[1].removesuffix("-share")
                    if path == "/":
                        status, body = 200, home_page(site, outer.extra.get(site))
                    elif path == "/a.html":
                        status, body = 200, b"<html><body><p>about</p></body></html>"
                    elif path == "/logo.png":
                        status, ctype, body = 200, "image/png", b"\x89PNG\r\n\x1a\n"
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                if location is not None:
                    self.send_header("Location", location)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if not head:
                    self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def since(self, mark: int) -> list[tuple[float, str, str, str]]:
        with self.lock:
            return list(self.log[mark:])

    def mark(self) -> int:
        with self.lock:
            return len(self.log)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    srv = Server()
    yield srv
    srv.close()


@dataclass
class World:
    env: dict[str, str]
    db_url: str


def make_world(tmp: Path, server: Server, db_url: str, extra: str = "") -> World:
    tmp.mkdir(parents=True, exist_ok=True)
    sites = "".join(f"""  - id: {site}
    name: {site}测试网站
    url: http://{site_host(site)}/
    level: county
    crawl: {{delay: 0, concurrency: 4}}
""" for site in SITES)
    (tmp / "sites.yaml").write_text(f"sites:\n{sites}", encoding="utf-8")
    hosts = "".join(f'"{site_host(s)}" = "127.0.0.1:{server.port}"\n' for s in SITES)
    (tmp / "settings.toml").write_text(f"""[crawler]
download_timeout = 10.0
retries = 0
robots = "ignore"
{extra}
[crawler.connect_to]
{hosts}"{SHARED}" = "127.0.0.1:{server.port}"
"{REDIRECTING}" = "127.0.0.1:{server.port}"
""", encoding="utf-8")
    env = dict(os.environ, GOVWATCH_SETTINGS=str(tmp / "settings.toml"),
               GOVWATCH_DATABASE_URL=db_url)
    gw(env, "init")
    gw(env, "sites", "import", str(tmp / "sites.yaml"))
    return World(env, db_url)


def gw(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "govwatch.cli", *args], env=env,
                          capture_output=True, text=True, timeout=WAIT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def crawl(world: World, *args: str) -> subprocess.CompletedProcess[str]:
    return gw(world.env, "crawl", "--as-of", AS_OF, *args)


def findings(world: World) -> list[tuple[Any, ...]]:
    out = gw(world.env, "findings", "--format", "json", "--status", "all").stdout
    return sorted((f["site"], f["check"], f["url"], f["page"], f["severity"], f["message"],
                   json.dumps(f["evidence"], sort_keys=True, ensure_ascii=False))
                  for f in map(json.loads, out.splitlines()))


def shared_checks(log: list[tuple[float, str, str, str]]) -> dict[str, list[float]]:
    """When each shared target's check began (its HEAD), by path."""
    out: dict[str, list[float]] = {}
    for when, method, host, path in log:
        if host == SHARED and method == "HEAD":
            out.setdefault(path, []).append(when)
    return out


def run_stats(db_url: str) -> list[dict[str, Any]]:
    engine = make_engine(db_url)
    with session_factory(engine)() as s:
        rows = [dict(r.stats or {}) for r in s.scalars(select(m.CrawlRun)
                                                        .order_by(m.CrawlRun.id))]
    engine.dispose()
    return rows


def results_of(db_url: str, run_index: int) -> dict[str, tuple[int | None, str | None]]:
    engine = make_engine(db_url)
    with session_factory(engine)() as s:
        run_ids = list(s.scalars(select(m.CrawlRun.id).order_by(m.CrawlRun.id)))
        rows = {r.url: (r.status, r.method) for r in s.scalars(
            select(m.LinkResult).where(m.LinkResult.crawl_run_id == run_ids[run_index]))}
    engine.dispose()
    return rows


def test_n_processes_request_each_shared_target_once_spaced_per_host(
        tmp_path: Path, server: Server, db_url: str) -> None:
    interval = 0.5
    extra = f"link_host_interval = {interval}\n"
    # One process: the reference findings.
    one = make_world(tmp_path / "one", server, f"sqlite:///{tmp_path / 'one.db'}", extra)
    crawl(one, "--jobs", "1")
    # Four processes on the database under test: one site each.
    four = make_world(tmp_path / "four", server, db_url, extra)
    mark = server.mark()
    crawl(four, "--jobs", "4")
    log = server.since(mark)
    checks = shared_checks(log)
    assert sorted(checks) == sorted(TARGETS)
    assert all(len(times) == 1 for times in checks.values()), checks  # once, not 4 times
    # Per-host politeness across the processes: each check of the shared host waits for the
    # slot it reserved, `interval` after the one before (a request handed to Scrapy a little
    # late, under load, comes closer to the next one, but never brings the rest forward).
    starts = sorted(t for times in checks.values() for t in times)
    for k, when in enumerate(starts):
        assert when - starts[0] >= k * interval - 0.3, starts
    for k in range(len(starts) - 2):
        assert starts[k + 2] - starts[k] >= interval, starts  # never 3 within one interval
    # The other processes took the results (and the dead one is still found dead).
    stats = run_stats(db_url)
    assert len(stats) == 4
    assert sum(s["shared"] for s in stats) == 3 * len(TARGETS)
    assert findings(four) == findings(one)
    dead = [f for f in findings(four) if f[1] == "links.dead-home"]
    assert {f[0] for f in dead} == set(SITES)
    assert all(f[2] == f"http://{SHARED}/p0.html" for f in dead)
    # Each site's own image is its own crawl's to check: requested by every process.
    own = [(host, path) for _t, _meth, host, path in log if path == "/logo.png"]
    assert sorted(own) == sorted((site_host(s), "/logo.png") for s in SITES)


def test_without_sharing_each_process_checks_every_target(tmp_path: Path,
                                                         server: Server) -> None:
    world = make_world(tmp_path, server, f"sqlite:///{tmp_path / 'off.db'}",
                       "link_share_hours = 0\n")
    mark = server.mark()
    crawl(world, "--jobs", "4")
    checks = shared_checks(server.since(mark))
    assert sorted(checks) == sorted(TARGETS)
    assert all(len(times) == 4 for times in checks.values()), checks


def test_results_are_reused_until_they_expire(tmp_path: Path, server: Server,
                                              db_url: str) -> None:
    world = make_world(tmp_path, server, db_url, "link_share_hours = 12\n")
    crawl(world, "--site", "s1")
    mark = server.mark()
    crawl(world, "--site", "s2")
    log = server.since(mark)
    assert not [r for r in log if r[2] == SHARED]  # nothing asked again within 12 hours
    assert (site_host("s2"), "/logo.png") in {(h, p) for _t, _m, h, p in log}
    reused = results_of(db_url, 1)
    assert reused[f"http://{SHARED}/p0.html"][0] == 404  # the dead one stays dead
    assert reused[f"http://{SHARED}/p1.html"][0] == 200
    assert run_stats(db_url)[1]["shared"] == len(TARGETS)
    # s1 crawled again: its own image is checked again, the shared targets are not.
    mark = server.mark()
    crawl(world, "--site", "s1")
    log = server.since(mark)
    assert (site_host("s1"), "/logo.png") in {(h, p) for _t, _m, h, p in log}
    assert not [r for r in log if r[2] == SHARED]
    # Older than the TTL: checked again.
    engine = make_engine(db_url)
    with session_factory(engine).begin() as s:
        s.execute(update(m.SharedLink).values(checked_at=m.SharedLink.checked_at - 12 * 3600 - 1))
    engine.dispose()
    mark = server.mark()
    crawl(world, "--site", "s3")
    assert sorted(shared_checks(server.since(mark))) == sorted(TARGETS)
    assert run_stats(db_url)[3]["shared"] == 0


def test_a_claim_of_a_killed_crawl_is_taken_over_at_once(tmp_path: Path, server: Server,
                                                         db_url: str) -> None:
    """A crawl of this machine killed outright leaves its claims behind: the next crawl
    sees that their process is gone and takes them over when it first meets them (the claim
    timeout is far longer than the test may take)."""
    world = make_world(tmp_path, server, db_url,
                       "link_claim_timeout = 600\nlink_share_poll = 0.2\n")
    engine = make_engine(db_url)
    factory = session_factory(engine)
    try:
        server.delay = 20.0  # the shared host hangs: the first crawl dies holding its claims
        try:
            proc = subprocess.Popen(
                [sys.executable, "-m", "govwatch.cli", "crawl", "--as-of", AS_OF, "--site",
                 "s1"], env=world.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                start_new_session=True)
            deadline = time.monotonic() + WAIT
            claimed: list[str] = []
            while time.monotonic() < deadline and proc.poll() is None:
                claimed = shared_claims(factory)
                if len(claimed) == len(TARGETS) and shared_checks(server.since(0)):
                    break
                time.sleep(0.2)
            assert len(claimed) == len(TARGETS), "the first crawl never claimed the targets"
            os.killpg(proc.pid, signal.SIGKILL)  # the command and its crawl process, outright
            proc.wait()
        finally:
            server.delay = 0.0
        assert len(shared_claims(factory)) == len(TARGETS)  # still held by the dead crawl
        mark = server.mark()
        crawl(world, "--site", "s2")
        # s2 took them over when it met them (nothing waited for) and checked every target
        # itself, once.
        checks = shared_checks(server.since(mark))
        assert sorted(checks) == sorted(TARGETS) and all(len(t) == 1 for t in checks.values())
        stats = run_stats(db_url)
        assert stats[-1]["waited"] == 0 and stats[-1]["shared"] == 0, (stats[-1], checks)
        assert_published(db_url, factory, len(stats) - 1)
    finally:
        engine.dispose()


def test_a_claim_held_on_another_machine_is_waited_for_until_stale(
        tmp_path: Path, server: Server) -> None:
    """Claims of another machine's crawl (whose process cannot be looked up from here) that
    stop being renewed are waited for until they are `link_claim_timeout` old, then taken
    over. SQLite only: this is the crawler's waiting; the store's takeover of stale claims
    runs on both backends in tests/store/test_shared_links.py."""
    timeout = 10.0
    db_url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    world = make_world(tmp_path, server, db_url,
                       f"link_claim_timeout = {timeout}\nlink_share_poll = 0.2\n")
    urls = [f"http://{SHARED}{path}" for path in TARGETS]
    engine = make_engine(db_url)
    factory = session_factory(engine)
    with factory.begin() as s:
        assert sl.claim(s, urls, me="another-machine:1:1", now=time.time(), ttl=12 * 3600.0,
                        claim_timeout=timeout).mine == urls
    # The other machine's crawl renews its claims until s2 is under way (its home page
    # asked for), then no more: it died.
    renewed = [0.0]
    stop = threading.Event()

    def renew() -> None:
        while not stop.is_set():
            now = time.time()
            with factory.begin() as s:
                sl.renew(s, "another-machine:1:1", now)
            renewed[0] = now
            if any(host == site_host("s2") for _t, _m, host, _p in server.since(mark)):
                return
            stop.wait(0.2)

    mark = server.mark()
    renewer = threading.Thread(target=renew)
    renewer.start()
    try:
        crawl(world, "--site", "s2")
    finally:
        stop.set()
        renewer.join()
    try:
        clock = time.time() - time.monotonic()  # the server's log times to epoch seconds
        checks = shared_checks(server.since(mark))
        assert sorted(checks) == sorted(TARGETS) and all(len(t) == 1 for t in checks.values())
        # Fresh when s2 met them: it waited, and checked each target once they went stale.
        stats = run_stats(db_url)
        assert stats[-1]["waited"] == len(TARGETS), (stats[-1], checks)
        assert stats[-1]["shared"] == 0
        first = min(t for times in checks.values() for t in times) + clock
        assert first >= renewed[0] + timeout - 0.5, (first, renewed)
        assert_published(db_url, factory, len(stats) - 1)
    finally:
        engine.dispose()


def shared_claims(factory: sessionmaker[Session]) -> list[str]:
    with factory() as s:
        return list(s.scalars(select(m.SharedLink.url).where(
            m.SharedLink.claimed_by.is_not(None), m.SharedLink.url.like(f"%{SHARED}%"))))


def assert_published(db_url: str, factory: sessionmaker[Session], run_index: int) -> None:
    """The run's results of the shared targets are right, and none is left claimed."""
    got = results_of(db_url, run_index)
    assert got[f"http://{SHARED}/p0.html"][0] == 404
    assert all(got[f"http://{SHARED}{p}"][0] == 200 for p in TARGETS[1:])
    assert not shared_claims(factory)


def hops(log: list[tuple[float, str, str, str]]) -> dict[str, int]:
    """Requests to the redirecting host, by path and method ("/a4 GET": a HEAD answered 404
    is asked again with GET, as every link check is)."""
    out: dict[str, int] = {}
    for _when, method, host, path in log:
        if host == REDIRECTING:
            key = path if method == "HEAD" else f"{path} {method}"
            out[key] = out.get(key, 0) + 1
    return out


@pytest.fixture
def redirecting(server: Server) -> Iterator[Server]:
    """Chains on REDIRECTING: /a1 -> /h1 -> /h2 (200); /a2 -> /h1; /a3 -> /h2; /a4 -> /h9
    (404); a loop /a5 -> /h5 -> /a5. s1 links /a1, /a2, /a4 and /a5; s2 links /a1, /a3, /a4
    and /h5 (the loop from its other end)."""
    base = f"http://{REDIRECTING}"
    server.redirects = {"/a1": (301, f"{base}/h1"), "/h1": (302, f"{base}/h2"),
                        "/a2": (301, f"{base}/h1"), "/a3": (301, f"{base}/h2"),
                        "/a4": (301, f"{base}/h9"), "/a5": (301, f"{base}/h5"),
                        "/h5": (302, f"{base}/a5")}
    server.extra = {"s1": [f"{base}/a1", f"{base}/a2", f"{base}/a4", f"{base}/a5"],
                    "s2": [f"{base}/a1", f"{base}/a3", f"{base}/a4", f"{base}/h5"]}
    yield server
    server.redirects, server.extra = {}, {}


def link_findings(world: World) -> list[tuple[Any, ...]]:
    return [f for f in findings(world) if REDIRECTING in f[2]]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_redirect_hops_are_claimed_and_requested_once_across_crawls(
        tmp_path: Path, redirecting: Server, db_url: str, jobs: str) -> None:
    server = redirecting
    # Without sharing: the reference verdicts, every chain followed by each crawl.
    alone = make_world(tmp_path / "alone", server, f"sqlite:///{tmp_path / 'alone.db'}",
                       "link_share_hours = 0\n")
    mark = server.mark()
    crawl(alone, "--site", "s1", "--site", "s2", "--jobs", "2")
    assert hops(server.since(mark))["/h1"] == 2  # by each crawl (s1's /a2 joins its /a1)
    reference = link_findings(alone)
    dead = {(f[0], f[2]) for f in reference if f[1].startswith("links.dead")}
    assert dead == {(site, f"http://{REDIRECTING}{path}") for site, path in (
        ("s1", "/a4"), ("s2", "/a4"), ("s1", "/a5"), ("s2", "/h5"))}, reference
    # Shared: the two crawls one after the other (--jobs 1 per command: s2 takes s1's
    # results) and at once (--jobs 2: two processes, chains met while under way).
    world = make_world(tmp_path / "shared", server, db_url)
    mark = server.mark()
    if jobs == "1":
        crawl(world, "--site", "s1")
        crawl(world, "--site", "s2")
    else:
        crawl(world, "--site", "s1", "--site", "s2", "--jobs", "2")
    asked = hops(server.since(mark))
    paths = ["/a1", "/a2", "/a3", "/a4", "/a5", "/h1", "/h2", "/h5", "/h9", "/a4 GET",
             "/h9 GET"]
    if jobs == "2":
        # The loop, entered from both ends at once, may be followed by both (a chain does
        # not wait for a hop that sorts before it: crawler.sharing, "Redirect hops").
        assert asked.pop("/a5") <= 2 and asked.pop("/h5") <= 2, asked
        paths.remove("/a5")
        paths.remove("/h5")
    # Every hop requested once across both crawls, as is every origin.
    assert asked == dict.fromkeys(paths, 1), asked
    # The same verdicts as each crawl following every chain itself.
    assert link_findings(world) == reference
