#!/usr/bin/env python3
"""Report benchmark: the annual report over 1,000 sites, 12 monthly crawls and 1,000,000
findings, on SQLite and on PostgreSQL.

It PRINTS figures; it is not a test (nothing here asserts a timing). Target: the annual report
in under 30 s on each backend (issue 4).

    python3 bench/reports.py                               # SQLite, and PostgreSQL if a URL is set
    python3 bench/reports.py --postgres-url postgresql://postgres:govwatch@127.0.0.1:5432/govwatch_bench_reports
    GOVWATCH_BENCH_POSTGRES_URL=... python3 bench/reports.py --skip-sqlite
    python3 bench/reports.py --reuse                      # keep an already filled database

The PostgreSQL database is emptied (DROP SCHEMA public CASCADE): give it a database of its own.

Why the data looks like this: a year of monthly crawls (the 15th of each month, 02:00 +08:00)
of 1,000 sites — 30 province, 200 city, 600 county and 170 department sites. Each finding is
born in some month and lives a random number of months (geometric, mean about 3), then is
fixed by the next crawl, or is still open in December; checks are drawn with the weights real
crawls show (dead links dominate; a few vetoes). Evidence is small JSON as the checks write it.
The rows are inserted in bulk (COPY on PostgreSQL, executemany on SQLite): filling is not what
is measured. What is measured is `reports.cli.generate`, i.e. `govwatch report annual --period
2026` minus argument parsing: SQL aggregates, scoring, and writing the report plus every site's
整改清单 (1,000 files).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, text  # noqa: E402

from core.settings import Settings  # noqa: E402
from reports.cli import generate  # noqa: E402
from store import models as m  # noqa: E402
from store.session import make_engine, upgrade  # noqa: E402
from store.workdays import Deadlines  # noqa: E402

TZ = ZoneInfo("Asia/Shanghai")
YEAR = 2026
TARGET_SECONDS = 30.0
LEVELS = (("province", 30), ("city", 200), ("county", 600), ("department", 170))
# (check, severity, weight)
CHECKS = (
    ("links.dead", "deduct", 640),
    ("links.dead", "notice", 20),  # downgraded by the check (e.g. an external host)
    ("links.dead-home", "deduct", 40),
    ("columns.stale", "deduct", 60),
    ("columns.blank", "deduct", 15),
    ("meta.page-tags-missing", "notice", 90),
    ("meta.source-missing", "deduct", 50),
    ("meta.pubdate-missing", "deduct", 40),
    ("archive.label-missing", "deduct", 20),
    ("repost.lapse", "deduct", 15),
    ("identity.icp-missing", "deduct", 3),
    ("identity.police-missing", "deduct", 3),
    ("home.stale", "veto", 2),
    ("columns.stale", "veto", 2),
)
CLASSES = ("news", "notice", "policy", "personnel", "plan")


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def run_time(month: int) -> datetime:
    return datetime(YEAR, month, 15, 2, 0, tzinfo=TZ).astimezone(UTC)


def sites(count: int) -> list[dict[str, Any]]:
    out = []
    total = sum(n for _, n in LEVELS)
    now = datetime(YEAR, 1, 1, tzinfo=UTC)
    index = 0
    for level, share in LEVELS:
        for _ in range(max(1, round(count * share / total))):
            if index >= count:
                break
            sid = f"s{index:04d}"
            out.append({
                "id": sid, "name": f"基准测试{level}网站{index:04d}", "url": f"https://{sid}.gov.cn/",
                "level": level, "kind": "department" if level == "department" else "portal",
                "parent_id": None, "config": {"id": sid}, "active": True,
                "created_at": now, "updated_at": now,
            })
            index += 1
    return out


def findings(site_ids: list[str], total: int, seed: int = 20261) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    population = [(c, s) for c, s, _ in CHECKS]
    weights = [w for _, _, w in CHECKS]
    per_site = total // len(site_ids)
    extra = total - per_site * len(site_ids)
    number = 0
    deadlines = Deadlines()
    for position, sid in enumerate(site_ids):
        for _ in range(per_site + (1 if position < extra else 0)):
            check, severity = rng.choices(population, weights)[0]
            born = rng.randint(1, 12)
            life = 1
            while rng.random() < 0.67 and born + life <= 12:
                life += 1
            last = born + life - 1
            fixed = last + 1 if last < 12 and rng.random() < 0.9 else None
            if fixed is None and last < 12:  # gone from the crawls but never confirmed fixed
                last = 12
            url = f"https://{sid}.gov.cn/p/{number}.html"
            page = f"https://{sid}.gov.cn/c/{number % 97}/"
            evidence: dict[str, Any]
            if check.startswith("links."):
                evidence = {"status": 404, "anchor": f"链接{number % 50}", "kind": "a"}
            elif check == "columns.stale":
                evidence = {"name": "政务动态", "class": CLASSES[number % 5],
                            "newest": "2026-01-05", "items": 20}
            else:
                evidence = {"missing": ["SiteName"]}
            # The 整改 loop: every finding has its deadline; about 1 % are waived until the
            # year's end and 0.5 % dismissed as 误报 (reports leave both out and list them).
            draw = rng.random()
            review = "waived" if draw < 0.01 else "dismissed" if draw < 0.015 else ""
            yield {
                "deadline": deadlines.deadline(run_time(born), severity),
                "review": review, "review_reason": "基准测试" if review else None,
                "review_at": run_time(born) if review else None,
                "waived_until": date(YEAR, 12, 31) if review == "waived" else None,
                "fingerprint": hashlib.sha256(f"{sid}|{number}".encode()).hexdigest(),
                "site_id": sid, "check": check, "url": url, "page": page,
                "severity": severity, "message": "基准测试问题", "evidence": evidence,
                "rule": "bench", "first_seen": run_time(born), "last_seen": run_time(last),
                "status": "open" if fixed is None else "fixed",
                "fixed_at": run_time(fixed) if fixed is not None else None,
                "crawl_run_id": last,
            }
            number += 1


def reset(url: str) -> None:
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    else:
        path = engine.url.database
        engine.dispose()
        for suffix in ("", "-wal", "-shm"):
            if path:
                Path(f"{path}{suffix}").unlink(missing_ok=True)
    engine.dispose()


def fill(url: str, n_sites: int, n_findings: int) -> None:
    reset(url)
    upgrade(url)
    engine = make_engine(url)
    rows = sites(n_sites)
    ids = [r["id"] for r in rows]
    with engine.begin() as conn:
        conn.execute(insert(m.Site), rows)
        for month in range(1, 13):
            at = run_time(month)
            conn.execute(insert(m.CrawlRun), [{
                "id": month, "started_at": at, "finished_at": at, "status": "finished",
                "as_of": at, "site_ids": ids, "stats": {}, "pid": None, "host": "bench",
                "error": None,
            }])
    start = time.perf_counter()
    if engine.dialect.name == "postgresql":
        _copy_postgres(engine, ids, n_findings)
    else:
        batch: list[dict[str, Any]] = []
        with engine.begin() as conn:
            for row in findings(ids, n_findings):
                batch.append(row)
                if len(batch) >= 20000:
                    conn.execute(insert(m.Finding), batch)
                    batch.clear()
            if batch:
                conn.execute(insert(m.Finding), batch)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    log(f"filled {n_findings:,} findings in {time.perf_counter() - start:.1f} s")
    engine.dispose()


def _copy_postgres(engine: Any, ids: list[str], total: int) -> None:
    columns = ("fingerprint", "site_id", "check", "url", "page", "severity", "message",
               "evidence", "rule", "first_seen", "last_seen", "status", "fixed_at",
               "crawl_run_id", "deadline", "review", "review_reason", "review_at",
               "waived_until")
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        quoted = ", ".join(f'"{c}"' for c in columns)
        with cur.copy(f"COPY findings ({quoted}) FROM STDIN") as copy:
            for row in findings(ids, total):
                copy.write_row([
                    json.dumps(row[c], ensure_ascii=False) if c == "evidence" else row[c]
                    for c in columns
                ])
        raw.commit()
    finally:
        raw.close()


def count_findings(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM findings")).scalar_one())
    except Exception:
        return -1
    finally:
        engine.dispose()


def time_report(url: str, kind: str, period: str, fmt: str, out: Path
                ) -> tuple[float, float, str]:
    """Wall seconds, this process's CPU seconds (user + sys; on SQLite that includes the
    database engine, on PostgreSQL the server's share is not in it) and a summary."""
    settings = Settings(database_url=url)
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    done = generate(settings, kind, period, fmt=fmt, out=out)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    used = after.ru_utime - cpu.ru_utime + after.ru_stime - cpu.ru_stime
    return seconds, used, (f"{done.inspected} sites, 合格率 {done.pass_rate}, "
                           f"{done.site_lists} 整改清单")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sites", type=int, default=1000)
    parser.add_argument("--findings", type=int, default=1_000_000)
    parser.add_argument("--sqlite", default=str(ROOT / "bench" / "out" / "reports.db"),
                        metavar="PATH", help="SQLite file (default bench/out/reports.db)")
    parser.add_argument("--postgres-url", default=os.environ.get("GOVWATCH_BENCH_POSTGRES_URL"),
                        help="PostgreSQL URL of a database of its own (or "
                             "GOVWATCH_BENCH_POSTGRES_URL); emptied first")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--reuse", action="store_true",
                        help="keep a database that already holds --findings rows")
    parser.add_argument("--formats", default="html,xlsx", help="report formats to time")
    parser.add_argument("--also", default="quarterly:2026-Q4,monthly:2026-12",
                        help="other reports to time (kind:period,...; empty for none)")
    parser.add_argument("--out", help="where reports are written (default: a temporary dir)")
    args = parser.parse_args(argv)

    backends: list[tuple[str, str]] = []
    if not args.skip_sqlite:
        Path(args.sqlite).parent.mkdir(parents=True, exist_ok=True)
        backends.append(("sqlite", f"sqlite:///{Path(args.sqlite).resolve()}"))
    if not args.skip_postgres:
        if args.postgres_url:
            backends.append(("postgresql", args.postgres_url))
        else:
            log("no --postgres-url / GOVWATCH_BENCH_POSTGRES_URL: PostgreSQL skipped")
    out_root = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="govwatch-bench-"))
    jobs = [("annual", str(YEAR))] + [
        tuple(item.split(":", 1)) for item in args.also.split(",") if item  # type: ignore[misc]
    ]
    results = []
    try:
        for name, url in backends:
            if args.reuse and count_findings(url) == args.findings:
                log(f"{name}: reusing the filled database")
                upgrade(url)  # a migration added since it was filled
            else:
                log(f"{name}: filling {args.sites} sites, 12 crawls, {args.findings:,} findings")
                fill(url, args.sites, args.findings)
            for kind, period in jobs:
                for fmt in args.formats.split(","):
                    out = out_root / name / fmt
                    load = os.getloadavg()[0]
                    seconds, cpu, summary = time_report(url, kind, period, fmt, out)
                    results.append((name, kind, period, fmt, seconds, cpu, load, summary))
                    log(f"{name} {kind} {period} {fmt}: {seconds:.1f} s ({summary})")
    finally:
        if not args.out:
            shutil.rmtree(out_root, ignore_errors=True)
    print(f"{args.sites} sites, {args.findings:,} findings; machine: {os.cpu_count()} CPUs")
    print(f"{'backend':<11} {'report':<10} {'period':<8} {'format':<6} {'seconds':>8} "
          f"{'cpu s':>6} {'load':>5}  {'target':<8} result")
    for name, kind, period, fmt, seconds, cpu, load, summary in results:
        verdict = ("met" if seconds < TARGET_SECONDS else "MISSED") if kind == "annual" else ""
        print(f"{name:<11} {kind:<10} {period:<8} {fmt:<6} {seconds:>8.1f} {cpu:>6.1f} "
              f"{load:>5.1f}  {verdict:<8} {summary}")
    print("seconds: wall clock; cpu s: this process (on SQLite the engine too); load: the "
          "1-minute load average when the report started (other work on the machine)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
