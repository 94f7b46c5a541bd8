#!/usr/bin/env python3
"""Scale-out benchmark: `govwatch worker` processes over one PostgreSQL queue.

It PRINTS figures; it is not a test (nothing here asserts a timing). See bench/README.md.

What it measures:
1. Speed-up: the same world (`--sites`, default 20 alike sites of `--pages-per-site` 100:
   1, 2 and 4 workers each get an equal share, so the figure measures the workers, not how
   the sites pack onto them) crawled and checked by 1, 2 and 4 `govwatch worker` processes
   (`--workers`), each with concurrency 1 (one site crawl at a time, as one worker per core
   would run), started together on an empty queue filled by `govwatch crawl --enqueue`.
   Every site is bound by per-host politeness: one request at a time with a download delay
   (`--delay`, Scrapy's randomised 0.5-1.5x), so a site's crawl is I/O bound as a real
   government site's is, and the cluster's pages/s should grow with the workers. Printed:
   pages/s (stored pages of the finished runs / wall time until the queue is empty: crawls
   and check passes), the speed-up against 1 worker, and each worker's peak RSS (the worker
   and the processes it runs: the crawl process and its extraction workers, sampled).
2. Cost against size (`--sizes`, default none: they take long): the same with `--size-workers`
   workers on worlds of e.g. 10,000, 50,000 and 100,000 pages that grow as a province does,
   by more sites of a fixed size (`--site-pages`, default 1,000: 10, 50 and 100 sites), with
   no delay (`--size-delay 0`: CPU-bound, so pages/s measures the cost of a page). Printed
   per size: pages/s per worker, peak RSS per worker, the worker process's own RSS (peak and
   at the end: it runs the check passes), the largest crawl process tree and CPU ms per
   page; they should stay within about 15% of each other.

The world is bench/crawl.py's generator (deterministic, one loopback address per site),
served by nginx. The DATABASE IS EMPTIED before each run (`DROP SCHEMA public CASCADE`):
give a scratch PostgreSQL database (`--database-url`, default GOVWATCH_TEST_POSTGRES_URL).

    python bench/scale.py --database-url postgresql://postgres:pw@127.0.0.1/gw_bench
    python bench/scale.py --sizes 10000,50000,100000 --workers none --size-workers 2
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SAMPLE = 0.5  # seconds between RSS samples
TIMEOUT = 4 * 3600.0


def log(msg: str) -> None:
    print(f"[scale] {msg}", file=sys.stderr, flush=True)


def crawl_bench() -> ModuleType:
    """bench/crawl.py (its world generator and nginx), imported by path."""
    spec = importlib.util.spec_from_file_location("bench_crawl", REPO / "bench" / "crawl.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_crawl"] = module
    spec.loader.exec_module(module)
    return module


@dataclass
class Outcome:
    label: str
    workers: int
    sites: int = 0
    pages: int = 0
    seconds: float = 0.0
    peak_rss_mib: list[float] = field(default_factory=list)  # per worker, its whole tree
    own_rss_mib: list[float] = field(default_factory=list)  # per worker, its own process
    end_rss_mib: list[float] = field(default_factory=list)  # its own process, at the end
    child_rss_mib: float = 0.0  # the largest crawl process + extraction process seen
    cpu_s: float = 0.0  # all workers and their children
    load: list[float] = field(default_factory=list)  # 1-minute load average, sampled
    jobs_failed: int = 0
    note: str = ""

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0

    @property
    def pages_per_s_per_worker(self) -> float:
        return self.pages_per_s / self.workers if self.workers else 0.0

    @property
    def load_mean(self) -> float:
        return sum(self.load) / len(self.load) if self.load else 0.0


def reset_database(url: str) -> None:
    from sqlalchemy import text

    from store.session import make_engine

    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def scalar(url: str, sql: str) -> Any:
    from sqlalchemy import text

    from store.session import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        value = conn.execute(text(sql)).scalar()
    engine.dispose()
    return value


def registry(cb: ModuleType, world: Any, delay: float) -> str:
    """bench/crawl.py's registry of `world.sites`, every site polite: one request at a time,
    `delay`."""
    text = cb.registry_yaml(world)
    return re.sub(r"crawl: \{[^}]*\}",
                  f"crawl: {{max_pages: 100000, max_depth: 20, delay: {delay}, "
                  "concurrency: 1}", text)


def settings_text(url: str) -> str:
    return "\n".join([
        f"database_url = {json.dumps(url)}",
        "[crawler]",
        'robots = "ignore"',
        "extract_workers = 1  # one extraction process per crawl: workers share the cores",
        "progress_interval = 30.0",
        "[workers]",
        "enabled = true",
        "heartbeat_seconds = 5.0",
        "stalled_seconds = 30.0",
        "check_retry_seconds = 1.0",
        "",
    ])


def tree(pid: int) -> list[Any]:
    import psutil

    try:
        proc = psutil.Process(pid)
        return [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return []


def rss(procs: Sequence[Any]) -> int:
    import psutil

    total = 0
    for p in procs:
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total


def cpu(proc: Any) -> float:
    """CPU seconds of a process and of the children it has reaped (its crawl processes)."""
    t = proc.cpu_times()
    return float(t.user + t.system + t.children_user + t.children_system)


def run_workers(cb: ModuleType, world: Any, label: str, workers: int, url: str, work: Path,
                delay: float) -> Outcome:
    """`world.sites` queued, then `workers` workers until the queue is empty."""
    out = Outcome(label, workers, sites=len(world.sites))
    reset_database(url)
    settings = work / "settings.toml"
    settings.write_text(settings_text(url), encoding="utf-8")
    reg = work / "sites.yaml"
    reg.write_text(registry(cb, world, delay), encoding="utf-8")
    env = dict(os.environ, GOVWATCH_SETTINGS=str(settings), GOVWATCH_DATABASE_URL=url)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    gw = [sys.executable, "-m", "govwatch.cli"]
    for step in (["init"], ["sites", "import", str(reg)], ["crawl", "--enqueue"]):
        r = subprocess.run([*gw, *step], env=env, capture_output=True, text=True, cwd=work,
                           timeout=600)
        if r.returncode != 0:
            out.note = f"`{' '.join(step)}` failed: {r.stderr.strip()[-300:]}"
            return out
    log(f"{label}: {workers} worker(s) on {len(world.sites)} queued sites")
    procs: list[subprocess.Popen[bytes]] = []
    peaks = [0] * workers  # each worker's tree
    own = [0] * workers  # each worker's own process
    last_own = [0] * workers
    child_peak = 0  # one job's crawl process and its extraction process
    cpu_last = [0.0] * workers  # each worker's, with the crawls it has finished
    started = time.monotonic()
    try:
        for i in range(workers):
            with (work / f"worker-{len(world.sites)}s-{workers}w-{i}.log").open("wb") as err:
                procs.append(subprocess.Popen([*gw, "worker", "--concurrency", "1"], env=env,
                                              stdout=subprocess.DEVNULL, stderr=err, cwd=work))
        while time.monotonic() - started < TIMEOUT:
            out.load.append(os.getloadavg()[0])
            for i, proc in enumerate(procs):
                members = tree(proc.pid)
                peaks[i] = max(peaks[i], rss(members))
                if members:
                    last_own[i] = rss(members[:1])
                    own[i] = max(own[i], last_own[i])
                    child_peak = max(child_peak, crawl_rss(members))
                    with contextlib.suppress(Exception):
                        cpu_last[i] = cpu(members[0])
            busy = scalar(url, "SELECT count(*) FROM procrastinate_jobs "
                               "WHERE status IN ('todo', 'doing')")
            if busy == 0:
                break
            if any(p.poll() is not None for p in procs):
                out.note = "a worker exited early"
                break
            time.sleep(SAMPLE)
        out.seconds = time.monotonic() - started
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    out.cpu_s = sum(cpu_last)
    out.peak_rss_mib = [p / 2**20 for p in peaks]
    out.own_rss_mib = [p / 2**20 for p in own]
    out.end_rss_mib = [p / 2**20 for p in last_own]
    out.child_rss_mib = child_peak / 2**20
    out.pages = int(scalar(url, "SELECT count(*) FROM pages p JOIN crawl_runs r "
                                "ON r.id = p.crawl_run_id WHERE r.status = 'finished'") or 0)
    out.jobs_failed = int(scalar(url, "SELECT count(*) FROM procrastinate_jobs "
                                      "WHERE status = 'failed'") or 0)
    log(f"{label}: {out.pages} pages in {out.seconds:.1f} s = {out.pages_per_s:.1f} pages/s; "
        f"peak RSS per worker {', '.join(f'{m:.0f}' for m in out.peak_rss_mib)} MiB (own "
        f"process {', '.join(f'{m:.0f}' for m in out.own_rss_mib)}, at the end "
        f"{', '.join(f'{m:.0f}' for m in out.end_rss_mib)}; largest crawl "
        f"{out.child_rss_mib:.0f}); load {out.load_mean:.1f}")
    return out


def crawl_rss(members: Sequence[Any]) -> int:
    """RSS of the largest job subtree under a worker: a crawl process with its extraction
    process (the worker's direct children and what they run)."""
    import psutil

    best = 0
    for child in members[1:]:
        with contextlib.suppress(psutil.Error):
            if child.ppid() == members[0].pid:
                best = max(best, rss(tree(child.pid)))
    return best


@contextlib.contextmanager
def served_world(cb: ModuleType, root: Path, sites: int, pages_per_site: int
                 ) -> Iterator[Any]:
    addrs = [s.addr for s in cb.make_sites(sites)] + [cb.BEIAN_ADDR]
    port = cb.saved_port(root)
    if port is None or not cb._port_free(addrs, port):
        port = cb.free_port(addrs)
    world = cb.build_world(root, sites, pages_per_site, port)
    nginx = cb.Nginx(world, root / "nginx")
    nginx.start()
    try:
        yield world
    finally:
        nginx.stop()


def parse_list(text: str) -> list[int]:
    return [] if text in ("", "none") else [int(x) for x in text.split(",")]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--database-url", default=os.environ.get("GOVWATCH_TEST_POSTGRES_URL"),
                   help="a scratch PostgreSQL database: EMPTIED before each run")
    p.add_argument("--workers", default="1,2,4", help="worker counts for the speed-up "
                   "(comma-separated, or none)")
    p.add_argument("--sites", type=int, default=20,
                   help="sites of the speed-up world (default 20: 1, 2 and 4 workers each "
                   "get an equal share)")
    p.add_argument("--pages-per-site", type=int, default=100,
                   help="pages per site of the speed-up world (default 100)")
    p.add_argument("--delay", type=float, default=0.1,
                   help="each site's download delay in the speed-up, seconds (politeness; "
                   "default 0.1)")
    p.add_argument("--sizes", default="none",
                   help="total pages of the cost-against-size worlds, e.g. 10000,50000,100000")
    p.add_argument("--site-pages", type=int, default=1000,
                   help="pages per site of the cost-against-size worlds (default 1,000): a "
                   "world grows by sites, as a province does")
    p.add_argument("--size-delay", type=float, default=0.0,
                   help="each site's download delay in the cost-against-size runs (default 0: "
                   "CPU-bound, so pages/s measures the cost per page)")
    p.add_argument("--size-workers", type=int, default=2,
                   help="workers of the cost-against-size runs (default 2: one per core of "
                   "the bench machine; 10, 50 and 100 sites divide evenly over them)")
    p.add_argument("--out", type=Path, help="keep the worlds and logs here (default: temp)")
    p.add_argument("--json", type=Path, help="also write the figures as JSON")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.database_url or not args.database_url.startswith("postgres"):
        raise SystemExit("bench/scale.py needs --database-url postgresql://… (scratch database)")
    sys.path.insert(0, str(REPO))
    cb = crawl_bench()
    root = args.out or Path(tempfile.mkdtemp(prefix="govwatch-scale-"))
    root.mkdir(parents=True, exist_ok=True)
    results: list[Outcome] = []
    counts = parse_list(args.workers)
    if counts:
        world_dir = root / f"world-{args.sites}x{args.pages_per_site}"
        with served_world(cb, world_dir, args.sites, args.pages_per_site) as world:
            log(f"speed-up world: {world.html_pages} pages on {args.sites} sites, "
                f"delay {args.delay} s per site")
            for n in counts:
                results.append(run_workers(cb, world, "speed-up", n, args.database_url,
                                           world_dir, args.delay))
    sizes = parse_list(args.sizes)
    if sizes:
        # One world of the largest size's sites; a smaller size crawls its first sites (a
        # site's pages do not depend on how many sites there are; only the 5 links each page
        # has to other sites' home pages may point past the crawled ones: link checks).
        per_site = args.site_pages
        most = max(1, -(-max(sizes) // per_site))
        world_dir = root / f"world-{most}x{per_site}"
        with served_world(cb, world_dir, most, per_site) as world:
            for size in sizes:
                n = max(1, -(-size // per_site))
                part = dataclasses.replace(world, sites=world.sites[:n])
                log(f"{size:,} pages: {n} sites of {per_site} pages, delay {args.size_delay} s")
                results.append(run_workers(cb, part, f"{size:,} pages", args.size_workers,
                                           args.database_url, world_dir, args.size_delay))
    print_table(results, args)
    if args.json:
        args.json.write_text(json.dumps([r.__dict__ | {
            "pages_per_s": r.pages_per_s, "pages_per_s_per_worker": r.pages_per_s_per_worker,
            "load_mean": r.load_mean, "load": None} for r in results], indent=2))
    return 0


def print_table(results: list[Outcome], args: argparse.Namespace) -> None:
    base = next((r.pages_per_s for r in results if r.label == "speed-up" and r.workers == 1),
                None)
    print(f"govwatch workers; speed-up: {args.sites} polite sites of {args.pages_per_site} "
          f"pages (delay {args.delay} s, one request at a time per site); sizes: sites of "
          f"{args.site_pages} pages, delay {args.size_delay} s; {os.cpu_count()} CPUs")
    print("| run | workers | sites | pages | seconds | pages/s | pages/s per worker | speed-up "
          "| peak RSS per worker (MiB) | worker process peak / end (MiB) | largest crawl (MiB) "
          "| CPU s | CPU ms/page | load | failed jobs |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|---|---:|---:|---:|---:|---:|")
    for r in results:
        speed = (f"{r.pages_per_s / base:.2f}x" if base and r.label == "speed-up" else "")
        peaks = " / ".join(f"{m:.0f}" for m in r.peak_rss_mib)
        own = " / ".join(f"{a:.0f}–{b:.0f}" for a, b in zip(r.own_rss_mib, r.end_rss_mib,
                                                              strict=True))
        ms = 1000 * r.cpu_s / r.pages if r.pages else 0.0
        print(f"| {r.label} | {r.workers} | {r.sites} | {r.pages:,} | {r.seconds:.1f} | "
              f"{r.pages_per_s:.1f} | {r.pages_per_s_per_worker:.1f} | {speed} | {peaks} | "
              f"{own} | {r.child_rss_mib:.0f} | {r.cpu_s:.0f} | {ms:.1f} | {r.load_mean:.1f} | "
              f"{r.jobs_failed}{' — ' + r.note if r.note else ''} |")


if __name__ == "__main__":
    sys.exit(main())
