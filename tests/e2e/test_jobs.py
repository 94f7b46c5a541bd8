"""`govwatch crawl --jobs N` on the demo world: disjoint sites in N crawl processes at once give
exactly the findings of one process (SQLite and PostgreSQL, no "database is locked"); SIGTERM
stops every process gracefully; a crawl process that dies fails only its own sites."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from govwatch.crawls import partition, workers_per_crawl
from govwatch.demo.run import demo_settings_text
from govwatch.demo.world import AS_OF, World
from store import models as m
from store.session import make_engine, session_factory
from tests.conftest import PG_URL, _reset_postgres, init_and_import

pytestmark = pytest.mark.e2e

WAIT = 300.0


@dataclass
class Served:
    world: World
    port: int
    tmp: Path
    log: list[tuple[str, str, str]]  # the server's request log: (method, host, path?query)


@pytest.fixture(scope="module")
def served(demo_served: Served) -> Served:
    return demo_served  # one world and server for the session (tests/e2e/conftest.py)


def setup_db(served: Served, name: str, db_url: str, registry: str | None = None
             ) -> dict[str, str]:
    settings = served.tmp / f"{name}.toml"
    settings.write_text(demo_settings_text(served.world, served.port, db_url), encoding="utf-8")
    env = dict(os.environ, GOVWATCH_SETTINGS=str(settings), GOVWATCH_DATABASE_URL=db_url)
    env.pop("GOVWATCH_DEBUG", None)
    path = served.world.registry_path
    if registry is not None:
        path = served.tmp / f"{name}.yaml"
        path.write_text(registry, encoding="utf-8")
    init_and_import(db_url, path)
    return env


def gw(env: dict[str, str], *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "govwatch.cli", *args], env=env,
                          capture_output=True, text=True, timeout=WAIT)
    if ok:
        assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


@dataclass
class Crawl:
    """One `govwatch crawl --jobs N` of the world, done."""
    env: dict[str, str]
    db_url: str
    proc: subprocess.CompletedProcess[str]
    findings: list[tuple[Any, ...]]
    runs: list[m.CrawlRun]
    asked: Counter[tuple[str, str, str]]  # requests the server saw during the crawl


def crawl_jobs(served: Served, name: str, db_url: str, jobs: int, extra: str = "") -> Crawl:
    """Crawl the world with `jobs` processes into `db_url` (set up afresh); `extra`: lines
    added to the settings' [crawler] table."""
    env = setup_db(served, name, db_url)
    if extra:
        settings = Path(env["GOVWATCH_SETTINGS"])
        text = settings.read_text(encoding="utf-8")
        settings.write_text(text.replace("[crawler]\n", f"[crawler]\n{extra}\n", 1),
                            encoding="utf-8")
    mark = len(served.log)
    proc = gw(env, "crawl", "--as-of", AS_OF, "--jobs", str(jobs))
    # CONNECT opens a tunnel to an https host: one per connection, not per URL (each process
    # keeps its own connections), so not counted.
    asked = Counter(entry for entry in served.log[mark:] if entry[0] != "CONNECT")
    return Crawl(env, db_url, proc, findings(env), runs(db_url), asked)


def findings(env: dict[str, str]) -> list[tuple[Any, ...]]:
    out = gw(env, "findings", "--format", "json", "--status", "all").stdout
    return sorted((f["site"], f["check"], f["url"], f["page"], f["severity"], f["status"],
                   f["message"], json.dumps(f["evidence"], sort_keys=True, ensure_ascii=False))
                  for f in map(json.loads, out.splitlines()))


def runs(db_url: str) -> list[m.CrawlRun]:
    engine = make_engine(db_url)
    with session_factory(engine)() as s:
        rows = list(s.scalars(select(m.CrawlRun).order_by(m.CrawlRun.id)))
    engine.dispose()
    return rows


def page_count(db_url: str, site_ids: list[str]) -> int:
    engine = make_engine(db_url)
    with session_factory(engine)() as s:
        n = len(list(s.scalars(select(m.Page.id).where(m.Page.site_id.in_(site_ids)))))
    engine.dispose()
    return n


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"] if PG_URL else ["sqlite"])
def test_two_jobs_give_exactly_the_findings_of_one(served: Served, backend: str,
                                                   sqlite_crawls: dict[int, Crawl]) -> None:
    """Two processes on each backend give the findings of one process on SQLite (the one
    crawl with one process of the session: tests/e2e/conftest.py)."""
    got = {1: sqlite_crawls[1]}
    if backend == "postgresql":
        assert PG_URL is not None
        _reset_postgres(PG_URL)
        got[2] = crawl_jobs(served, "postgresql-2", PG_URL, 2)
    else:
        got[2] = sqlite_crawls[2]
    for jobs, crawl in got.items():
        proc, crawl_runs = crawl.proc, crawl.runs
        assert "database is locked" not in proc.stderr
        assert [r.status for r in crawl_runs] == ["finished"] * jobs
        groups = [list(r.site_ids) for r in crawl_runs]
        sites = [s for g in groups for s in g]
        assert len(sites) == len(set(sites)) == 10  # disjoint, all of them
        # The summary adds up every process's pages (their own counts), and names the runs.
        pages = int(re.search(r"页面 (\d+)", proc.stdout).group(1))  # type: ignore[union-attr]
        assert pages == sum(r.stats["pages"] for r in crawl_runs) > 300
        if jobs == 2:
            assert all(groups) and f"#{crawl_runs[0].id}–#{crawl_runs[1].id}" in proc.stdout
            # progress lines name their process
            assert {f"[govwatch #{r.id}]" for r in crawl_runs} <= set(
                re.findall(r"\[govwatch #\d+\]", proc.stderr))
    assert len(got[1].findings) >= 70
    assert got[2].findings == got[1].findings


def slow_registry(world: World, slow: set[str]) -> str:
    """The world's registry with the sites in `slow` crawled one request a second."""
    text = world.registry_path.read_text(encoding="utf-8")
    out, current = [], None
    for line in text.splitlines():
        if line.startswith("- id: "):
            current = line.removeprefix("- id: ").strip()
        if current in slow and line.strip().startswith("crawl:"):
            line = re.sub(r"delay: [\d.]+, concurrency: \d+", "delay: 1, concurrency: 1", line)
        out.append(line)
    return "\n".join(out) + "\n"


def wait_for(what: str, condition: Callable[[], Any], proc: subprocess.Popen[str]) -> Any:
    deadline = time.monotonic() + WAIT
    try:
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            assert proc.poll() is None, f"crawl exited ({proc.returncode}) before {what}"
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what}")
    except AssertionError:
        proc.kill()  # a failed wait leaves no crawl running and no pipe open
        proc.communicate()
        raise


def crawling(db_url: str, err: Path, count: int,
             site: str | None = None) -> Callable[[], list[m.CrawlRun] | None]:
    """Condition: `count` runs exist and their crawl processes are crawling (the progress
    line is out, so the reactor runs and a signal reaches Scrapy's graceful shutdown). With
    `site`, only the process crawling that site must have printed: the others may finish
    before their first progress line."""
    def check() -> list[m.CrawlRun] | None:
        rows = runs(db_url)
        printed = set(re.findall(r"\[govwatch (#\d+)\] 页面", err.read_text(encoding="utf-8")))
        watched = [r for r in rows if site is None or site in r.site_ids]
        if len(rows) == count and watched and {f"#{r.id}" for r in watched} <= printed:
            return rows
        return None
    return check


def start_crawl(env: dict[str, str], jobs: int, out: Path) -> subprocess.Popen[str]:
    # Progress lines (which `crawling` waits for) every half second, not every two.
    settings = Path(env["GOVWATCH_SETTINGS"])
    settings.write_text(settings.read_text(encoding="utf-8").replace(
        "progress_interval = 2.0", "progress_interval = 0.5"), encoding="utf-8")
    with out.open("wb") as stderr:  # the child keeps its own copy
        return subprocess.Popen(
            [sys.executable, "-m", "govwatch.cli", "crawl", "--as-of", AS_OF, "--jobs",
             str(jobs)], env=env, stdout=subprocess.PIPE, stderr=stderr, text=True)


def test_sigterm_stops_every_crawl_process_gracefully(served: Served) -> None:
    db_url = f"sqlite:///{served.tmp / 'sigterm.db'}"
    registry = slow_registry(served.world, {"govcn", "hunan", "changsha", "zhuzhou", "hnfgw",
                                            "hnqx", "yongzhou", "lingling", "qiyang", "xiangtan"})
    env = setup_db(served, "sigterm", db_url, registry)
    err = served.tmp / "sigterm.err"
    proc = start_crawl(env, 2, err)
    rows = wait_for("both crawls to run", crawling(db_url, err, 2), proc)
    assert len({r.pid for r in rows}) == 2  # two crawl processes
    proc.send_signal(signal.SIGTERM)
    stdout, _ = proc.communicate(timeout=WAIT)
    stderr = err.read_text(encoding="utf-8")
    assert proc.returncode == 1, stderr[-2000:]
    assert "已中断" in stderr and "未运行检查" in stderr and "抓取完成" not in stdout
    assert [r.status for r in runs(db_url)] == ["interrupted", "interrupted"]


def test_a_crawl_process_that_dies_fails_only_its_own_sites(served: Served) -> None:
    db_url = f"sqlite:///{served.tmp / 'dies.db'}"
    env = setup_db(served, "dies", db_url, slow_registry(served.world, {"govcn"}))
    err = served.tmp / "dies.err"
    proc = start_crawl(env, 2, err)
    rows = wait_for("govcn's crawl to run", crawling(db_url, err, 2, site="govcn"), proc)
    victim = next(r for r in rows if "govcn" in r.site_ids)
    os.kill(victim.pid, signal.SIGKILL)  # type: ignore[arg-type]
    stdout, _ = proc.communicate(timeout=WAIT)
    stderr = err.read_text(encoding="utf-8")
    assert proc.returncode == 1, stderr[-2000:]
    survivor = next(r for r in runs(db_url) if r.id != victim.id)
    statuses = {r.id: r.status for r in runs(db_url)}
    assert statuses == {victim.id: "failed", survivor.id: "finished"}
    # The other sites were crawled and checked; the error names the failed run's sites.
    first, last = sorted((victim.id, survivor.id))
    assert f"抓取完成 #{first}–#{last}" in stdout
    assert f"{len(survivor.site_ids)} 个站点" in stdout
    assert f"抓取任务 #{victim.id} 失败（{', '.join(victim.site_ids)}）" in stderr
    checked = {f[0] for f in findings(env)}
    assert checked and checked <= set(survivor.site_ids)


def test_partition_balances_by_pages_and_keeps_groups_disjoint() -> None:
    sites = ["a", "b", "c", "d", "e"]
    groups = partition(sites, {"a": 900, "b": 100, "c": 100, "d": 500, "e": 300}, 2)
    assert groups == [["a", "c"], ["b", "d", "e"]]  # 1,000 and 900 pages
    # never crawled: the average of the known; no history at all: alternate
    assert partition(sites, {}, 2) == [["a", "c", "e"], ["b", "d"]]
    assert partition(sites, {}, 9) == [[s] for s in sites]
    assert partition(sites, {"a": 5}, 1) == [sites]
    assert workers_per_crawl(2, 1) == 2 and workers_per_crawl(2, 2) == 1
    assert workers_per_crawl(2, 4) == 1 and workers_per_crawl(0, 2) == 0
    assert workers_per_crawl(8, 2) == 4
