#!/usr/bin/env python3
"""Dashboard load benchmark: 50 logged-in sessions against `govwatch serve` while a crawl
writes to the same database. It PRINTS figures (latency percentiles, errors); it asserts
nothing about time. See bench/README.md.

What it does, all on loopback:
1. builds the demo world (govwatch.demo) and serves it;
2. prepares the database (`--database-url`, default a fresh SQLite file in the work dir;
   a PostgreSQL database given here is WIPED: give it one of its own): init, sites import, one
   crawl so the dashboard has findings to show, and users (1 supervisor, 9 webmasters);
3. starts `govwatch serve` (the real command: uvicorn, the scheduler, its thread pools);
4. logs in `--sessions` sessions (5 per user), then for `--duration` seconds each session
   walks the dashboard (site list, findings lists with filters and pages, a site, a finding,
   /healthz) as fast as answers come back, while `govwatch crawl` runs again and again,
   writing pages, links and findings to the same database;
5. prints requests, throughput, p50/p95/p99/max latency, 5xx and transport errors, and how
   often "database is locked" appeared in the server's or the crawls' output.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from govwatch.demo.run import DEMO_AS_OF, demo_settings_text  # noqa: E402
from govwatch.demo.server import DemoServer  # noqa: E402
from govwatch.demo.world import build_world  # noqa: E402

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
FINDING = re.compile(r'href="/findings/(\d+)"')
SITE = re.compile(r'href="/sites/([a-z0-9-]+)"')
PASSWORD = "bench-password-1234"
LOCKED = "database is locked"


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def gw(env: dict[str, str], *args: str, **kw: object) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "govwatch.cli", *args], env=env,
                            cwd=ROOT, **kw)  # type: ignore[call-overload]


def run(env: dict[str, str], *args: str) -> None:
    proc = gw(env, *args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, err = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"govwatch {' '.join(args)} failed: {err.decode()[-500:]}")


def prepare(env: dict[str, str], db_url: str, registry: Path) -> list[str]:
    from sqlalchemy import select, text

    from store import models as m
    from store.session import make_engine, session_factory
    from web.users import add_user

    engine = make_engine(db_url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    run(env, "init")
    run(env, "sites", "import", str(registry))
    t0 = time.monotonic()
    run(env, "crawl", "--as-of", DEMO_AS_OF, "--quiet")
    log(f"first crawl: {time.monotonic() - t0:.1f} s")
    factory = session_factory(engine)
    with factory.begin() as session:
        sites = list(session.scalars(select(m.Site.id).order_by(m.Site.id)))
        add_user(session, "sup", PASSWORD, "supervisor")
        names = ["sup"]
        for i in range(9):
            mine = sites[i % len(sites)::9] or sites[:1]
            add_user(session, f"wm{i}", PASSWORD, "webmaster", mine)
            names.append(f"wm{i}")
    engine.dispose()
    return names


@dataclass
class Figures:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    statuses: dict[int, int] = field(default_factory=dict)
    transport_errors: int = 0
    login_seconds: list[float] = field(default_factory=list)

    def add(self, kind: str, seconds: float, status: int) -> None:
        self.latencies.setdefault(kind, []).append(seconds)
        self.statuses[status] = self.statuses.get(status, 0) + 1


async def login(base: str, name: str, figures: Figures) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=base, timeout=60, follow_redirects=False)
    page = await client.get("/login")
    token = CSRF.search(page.text)
    assert token, page.text[:300]
    t0 = time.monotonic()
    answer = await client.post("/login", data={"name": name, "password": PASSWORD,
                                               "csrf": token.group(1), "next": "/"})
    figures.login_seconds.append(time.monotonic() - t0)
    if answer.status_code != 303:
        raise SystemExit(f"login of {name} failed: HTTP {answer.status_code}")
    return client


async def walk(client: httpx.AsyncClient, until: float, figures: Figures) -> None:
    """One session: pages a person would open, in a loop, as fast as they come back."""
    findings: list[str] = []
    sites: list[str] = []
    i = 0
    while time.monotonic() < until:
        i += 1
        paths = [("home", "/"), ("findings", "/findings"),
                 ("findings", f"/findings?status=all&page={1 + i % 3}"),
                 ("findings", "/findings?severity=veto"), ("healthz", "/healthz")]
        if sites:
            paths.append(("site", f"/sites/{sites[i % len(sites)]}"))
        if findings:
            paths.append(("finding", f"/findings/{findings[i % len(findings)]}"))
        for kind, path in paths:
            t0 = time.monotonic()
            try:
                answer = await client.get(path, follow_redirects=True)
            except httpx.HTTPError:
                figures.transport_errors += 1
                continue
            figures.add(kind, time.monotonic() - t0, answer.status_code)
            if kind == "findings" and not findings:
                findings = FINDING.findall(answer.text)[:20]
            if kind == "home":
                sites = sites or SITE.findall(answer.text)[:10]
            if time.monotonic() >= until:
                break


def crawl_loop(env: dict[str, str], stop: threading.Event, logs: Path) -> list[int]:
    """Crawls one after another until `stop`; the last is stopped with SIGINT (it saves what
    it holds, as Ctrl-C would). Returns the exit codes."""
    codes: list[int] = []
    n = 0
    while not stop.is_set():
        n += 1
        with (logs / f"crawl-{n}.log").open("wb") as out:
            proc = gw(env, "crawl", "--as-of", DEMO_AS_OF, stdout=out, stderr=out,
                      start_new_session=True)
            while proc.poll() is None:
                if stop.wait(0.2):
                    os.killpg(proc.pid, signal.SIGINT)
                    proc.wait(timeout=120)
                    break
            codes.append(proc.returncode)
    return codes


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: SQLite in the work dir; a "
                        "PostgreSQL database given here is wiped")
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--out", type=Path, help="work dir (default: a temporary one)")
    args = parser.parse_args()

    work = args.out or Path(tempfile.mkdtemp(prefix="gw-dash-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    db_url = args.database_url or f"sqlite:///{work / 'bench.db'}"
    world = build_world(work / "world")
    server = DemoServer(world)
    port = server.start()
    settings = work / "settings.toml"
    settings.write_text(demo_settings_text(world, port, db_url)
                        + '\n[web]\nsecret_key = "bench-secret-key-0123456789abcdefghijkl"\n',
                        encoding="utf-8")
    env = dict(os.environ, GOVWATCH_SETTINGS=str(settings), GOVWATCH_DATABASE_URL=db_url,
               PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH"))
                                          if p))
    serve: subprocess.Popen[bytes] | None = None
    stop = threading.Event()
    try:
        backend = db_url.split(":", 1)[0]
        log(f"work dir {work}; database {backend}")
        names = prepare(env, db_url, world.registry_path)
        dash = free_port()
        serve_log = (work / "serve.log").open("wb")
        serve = gw(env, "serve", "--port", str(dash), stdout=serve_log, stderr=serve_log)
        base = f"http://127.0.0.1:{dash}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or serve.poll() is not None:
                raise SystemExit("govwatch serve did not come up; see " + str(work))
            time.sleep(0.2)
        figures = Figures()

        async def load() -> None:
            clients = []
            for i in range(args.sessions):  # one at a time: a login costs an argon2 hash
                clients.append(await login(base, names[i % len(names)], figures))
            log(f"{len(clients)} sessions logged in; load for {args.duration:g} s")
            crawls.start()
            until = time.monotonic() + args.duration
            await asyncio.gather(*(walk(c, until, figures) for c in clients))
            for c in clients:
                await c.aclose()

        codes: list[int] = []
        crawls = threading.Thread(target=lambda: codes.extend(crawl_loop(env, stop, work)))
        asyncio.run(load())
        stop.set()
        crawls.join()
    finally:
        stop.set()
        if serve is not None:
            serve.send_signal(signal.SIGTERM)
            serve.wait(timeout=120)
        server.stop()

    logs = [work / "serve.log", *sorted(work.glob("crawl-*.log"))]
    locked = sum(p.read_text("utf-8", "replace").count(LOCKED) for p in logs)
    every = [s for values in figures.latencies.values() for s in values]
    total = len(every)
    errors_5xx = sum(n for status, n in figures.statuses.items() if status >= 500)
    print(f"dashboard load: {backend}, {args.sessions} sessions, {args.duration:g} s, "
          f"crawls during the load: {len(codes)} (exit codes {codes})")
    print(f"{'requests':>10} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
          f"{'max ms':>8} {'5xx':>5} {'conn err':>8} {'locked':>6}")
    print(f"{total:>10} {total / args.duration:>7.1f} {percentile(every, 0.5):>8.0f} "
          f"{percentile(every, 0.95):>8.0f} {percentile(every, 0.99):>8.0f} "
          f"{max(every) * 1000:>8.0f} {errors_5xx:>5} {figures.transport_errors:>8} "
          f"{locked:>6}")
    for kind, values in sorted(figures.latencies.items()):
        print(f"  {kind:<9} n={len(values):<6} p50 {percentile(values, 0.5):6.0f} ms  "
              f"p95 {percentile(values, 0.95):6.0f} ms")
    print(f"  login     n={len(figures.login_seconds):<6} median "
          f"{statistics.median(figures.login_seconds) * 1000:6.0f} ms (argon2, before the load)")
    print(f"statuses: {dict(sorted(figures.statuses.items()))}")
    return 1 if errors_5xx or locked or figures.transport_errors else 0


if __name__ == "__main__":
    sys.exit(main())
