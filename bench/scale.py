#!/usr/bin/env python3
"""Scale-out benchmark: `govwatch worker` processes over one PostgreSQL queue.

It PRINTS figures; it is not a test (nothing here asserts a timing). See bench/README.md.

What it measures:
1. Speed-up: the same world crawled and checked by 1, 2 and 4 `govwatch worker` processes
   (`--workers`), each with concurrency 1 (one site crawl at a time, as one worker per core
   would run), started together on an empty queue filled by `govwatch crawl --enqueue`.
   Every site is bound by per-host politeness: one request at a time with a download delay
   (`--delay`, Scrapy's randomised 0.5-1.5x), so a site's crawl is I/O bound as a real
   government site's is, and the cluster's pages/s should grow with the workers. Printed:
   pages/s (stored pages of the finished runs / wall time until the queue is empty: crawls
   and check passes), the speed-up against 1 worker, and each worker's peak RSS (the worker
   and the processes it runs: the crawl process and its extraction workers, sampled).
2. Cost against size (`--sizes`, default none: they take long): the same with `--size-workers`
   workers on worlds of 10,000, 50,000 and 100,000 pages (10 sites of N/10 pages): pages/s and
   peak RSS per worker at each size, which should stay within about 15% of each other.

The world is bench/crawl.py's generator (deterministic, one loopback address per site),
served by nginx. The DATABASE IS EMPTIED before each run (`DROP SCHEMA public CASCADE`):
give a scratch PostgreSQL database (`--database-url`, default GOVWATCH_TEST_POSTGRES_URL).

    python bench/scale.py --database-url postgresql://postgres:pw@127.0.0.1/gw_bench
    python bench/scale.py --sizes 10000,50000,100000 --workers none
"""

from __future__ import annotations

import argparse
import contextlib
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
    pages: int = 0
    seconds: float = 0.0
    peak_rss_mib: list[float] = field(default_factory=list)  # per worker
    cpu_s: float = 0.0  # all workers and their children
    jobs_failed: int = 0
    note: str = ""

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0


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
    """bench/crawl.py's registry with every site polite: one request at a time, `delay`."""
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
    out = Outcome(label, workers)
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
    peaks = [0] * workers
    cpu_last = [0.0] * workers  # each worker's, with the crawls it has finished
    started = time.monotonic()
    try:
        for i in range(workers):
            with (work / f"worker-{workers}-{i}.log").open("wb") as err:
                procs.append(subprocess.Popen([*gw, "worker", "--concurrency", "1"], env=env,
                                              stdout=subprocess.DEVNULL, stderr=err, cwd=work))
        while time.monotonic() - started < TIMEOUT:
            for i, proc in enumerate(procs):
                members = tree(proc.pid)
                peaks[i] = max(peaks[i], rss(members))
                if members:
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
    out.pages = int(scalar(url, "SELECT count(*) FROM pages p JOIN crawl_runs r "
                                "ON r.id = p.crawl_run_id WHERE r.status = 'finished'") or 0)
    out.jobs_failed = int(scalar(url, "SELECT count(*) FROM procrastinate_jobs "
                                      "WHERE status = 'failed'") or 0)
    log(f"{label}: {out.pages} pages in {out.seconds:.1f} s = {out.pages_per_s:.1f} pages/s; "
        f"peak RSS per worker {', '.join(f'{m:.0f}' for m in out.peak_rss_mib)} MiB")
    return out


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
    p.add_argument("--sites", type=int, default=10)
    p.add_argument("--pages-per-site", type=int, default=100,
                   help="pages per site of the speed-up world (default 100)")
    p.add_argument("--delay", type=float, default=0.1,
                   help="each site's download delay in seconds (politeness; default 0.1)")
    p.add_argument("--sizes", default="none",
                   help="total pages of the cost-against-size worlds, e.g. 10000,50000,100000")
    p.add_argument("--size-workers", type=int, default=4)
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
    for size in parse_list(args.sizes):
        per_site = max(1, size // args.sites)
        world_dir = root / f"world-{args.sites}x{per_site}"
        with served_world(cb, world_dir, args.sites, per_site) as world:
            results.append(run_workers(cb, world, f"{size:,} pages", args.size_workers,
                                       args.database_url, world_dir, args.delay))
    print_table(results, args)
    if args.json:
        args.json.write_text(json.dumps([r.__dict__ | {"pages_per_s": r.pages_per_s}
                                         for r in results], indent=2))
    return 0


def print_table(results: list[Outcome], args: argparse.Namespace) -> None:
    base = next((r.pages_per_s for r in results if r.label == "speed-up" and r.workers == 1),
                None)
    print(f"govwatch workers on {args.sites} polite sites (delay {args.delay} s, one request at "
          f"a time per site), {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.1f} at the end")
    print("| run | workers | pages | seconds | pages/s | speed-up | peak RSS per worker (MiB) "
          "| CPU s | failed jobs |")
    print("|---|---:|---:|---:|---:|---:|---|---:|---:|")
    for r in results:
        speed = (f"{r.pages_per_s / base:.2f}x" if base and r.label == "speed-up" else "")
        peaks = " / ".join(f"{m:.0f}" for m in r.peak_rss_mib)
        print(f"| {r.label} | {r.workers} | {r.pages:,} | {r.seconds:.1f} | "
              f"{r.pages_per_s:.1f} | {speed} | {peaks} | {r.cpu_s:.0f} | {r.jobs_failed}"
              f"{' — ' + r.note if r.note else ''} |")


if __name__ == "__main__":
    sys.exit(main())
