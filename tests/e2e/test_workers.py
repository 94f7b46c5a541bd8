"""`govwatch worker` processes over one PostgreSQL queue (govwatch.queue) on the demo world:
two workers give exactly the findings of one in-process `govwatch crawl`; a worker killed
with everything it ran (a machine gone) loses nothing: another retries its site, the run is
marked interrupted, the findings are the same; the queueing lock; `crawl --enqueue`; a
report built by another process from the workers' crawl; SQLite with workers enabled is a
one-line error.

PostgreSQL only (GOVWATCH_TEST_POSTGRES_URL); without it these skip, except under CI, which
has it and where they must run."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from govwatch.demo.world import AS_OF
from store import repo
from store.session import make_engine, session_factory
from tests.conftest import PG_URL, _reset_postgres, init_and_import
from tests.e2e.test_jobs import Crawl, Served, findings, gw, runs, served, setup_db, slow_registry
from web.recrawl import Refused

__all__ = ["served"]  # the module-scoped demo world fixture

pytestmark = pytest.mark.e2e

if not PG_URL and os.environ.get("CI"):
    raise RuntimeError("CI must set GOVWATCH_TEST_POSTGRES_URL: the worker tests need it")
needs_pg = pytest.mark.skipif(not PG_URL, reason="govwatch worker needs PostgreSQL "
                              "(set GOVWATCH_TEST_POSTGRES_URL)")

WAIT = 300.0
SLOW = "hunan"  # crawled one request every 0.3 s, so that a worker can be killed mid-crawl
# Fast heartbeats so that a dead worker is noticed in seconds, not a minute.
WORKERS = """
[workers]
enabled = true
heartbeat_seconds = 1.0
stalled_seconds = 4.0
recover_interval_seconds = 1.0
check_retry_seconds = 1.0
"""


def registry(served: Served) -> str:
    text_ = slow_registry(served.world, {SLOW})
    return re.sub(r"delay: 1, concurrency: 1", "delay: 0.3, concurrency: 1", text_)


def pg_env(served: Served, name: str, *, workers: bool, slow: bool = True) -> dict[str, str]:
    """Settings for a fresh PostgreSQL database with the world's sites, `SLOW` crawled
    slowly unless not `slow` (for tests that need not catch its crawl under way)."""
    assert PG_URL is not None
    _reset_postgres(PG_URL)
    env = setup_db(served, name, PG_URL, registry(served) if slow else None)
    settings = Path(env["GOVWATCH_SETTINGS"])
    # One extraction process per crawl: light on a shared machine.
    text_ = settings.read_text(encoding="utf-8").replace(
        "[crawler]\n", "[crawler]\nextract_workers = 1\n", 1)
    settings.write_text(text_ + (WORKERS if workers else ""), encoding="utf-8")
    return env


def query(sql: str) -> list[Any]:
    assert PG_URL is not None
    engine = make_engine(PG_URL)
    with engine.connect() as conn:
        rows = list(conn.execute(text(sql)))
    engine.dispose()
    return rows


def execute(sql: str) -> None:
    assert PG_URL is not None
    engine = make_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text(sql))
    engine.dispose()


def queue_busy() -> int:
    return int(query("SELECT count(*) FROM procrastinate_jobs "
                     "WHERE status IN ('todo', 'doing')")[0][0])


class Worker:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log
        with log.open("wb") as err:
            self.proc = subprocess.Popen([sys.executable, "-m", "govwatch.cli", "worker"],
                                         env=env, stdout=subprocess.PIPE, stderr=err,
                                         text=True)

    def lines(self) -> str:
        return self.log.read_text(encoding="utf-8")

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        out, _ = self.proc.communicate(timeout=WAIT)
        return out


@pytest.fixture
def workers() -> Iterator[list[Worker]]:
    started: list[Worker] = []
    yield started
    for worker in started:  # never leave one running
        if worker.proc.poll() is None:
            worker.proc.kill()
            worker.proc.communicate()


def wait_for(what: str, condition: Callable[[], Any], crew: list[Worker]) -> Any:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        for worker in crew:
            if worker.proc.returncode is None and worker.proc.poll() is not None:
                raise AssertionError(f"a worker exited ({worker.proc.returncode}) before "
                                     f"{what}: {worker.lines()[-2000:]}")
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def reference(sqlite_crawls: dict[int, Crawl]) -> list[tuple[Any, ...]]:
    """The findings of one in-process `govwatch crawl` of the same world (the session's, on
    SQLite: tests/e2e/conftest.py); the workers' on PostgreSQL must be the same."""
    if not PG_URL:
        pytest.skip("govwatch worker needs PostgreSQL (set GOVWATCH_TEST_POSTGRES_URL)")
    got = sqlite_crawls[1].findings
    assert len(got) >= 70
    return got


def finished_runs_per_site() -> dict[str, int]:
    assert PG_URL is not None
    out: dict[str, int] = {}
    for run in runs(PG_URL):
        if run.status == "finished":
            for site in run.site_ids:
                out[site] = out.get(site, 0) + 1
    return out


@needs_pg
def test_two_workers_give_exactly_the_single_process_findings(
        served: Served, reference: list[tuple[Any, ...]], workers: list[Worker]) -> None:
    env = pg_env(served, "two", workers=True, slow=False)
    queued = gw(env, "crawl", "--enqueue", "--as-of", AS_OF).stdout
    assert "已加入队列: 10 个站点" in queued
    workers += [Worker(env, served.tmp / f"two-{i}.err") for i in range(2)]
    wait_for("the queue to empty", lambda: queue_busy() == 0 and len(finished_runs_per_site())
             == 10, workers)
    logs = [w.lines() for w in workers]
    outs = [w.stop() for w in workers]
    assert all(w.proc.returncode == 0 for w in workers), logs
    assert all("已停止" in out for out in outs)
    # Both took jobs; one line per job (crawl and checks of each site).
    crawled = [re.findall(r"crawl of (\S+) finished", log) for log in logs]
    assert all(crawled) and sorted(s for c in crawled for s in c) == sorted(
        {s for c in crawled for s in c}) and len({s for c in crawled for s in c}) == 10
    assert sum(log.count("checks of") for log in logs) == 10
    assert finished_runs_per_site() == dict.fromkeys(finished_runs_per_site(), 1)
    assert findings(env) == reference
    # The check pass and the reports read only the database: another process builds the
    # report from what the workers stored.
    out = served.tmp / "report"
    proc = gw(env, "report", "monthly", "--period", "2026-11", "--format", "html", "--out",
              str(out))
    assert proc.returncode == 0
    html = next(out.rglob("*.html")).read_text(encoding="utf-8")
    assert "永州" in html and "湖南" in html


@needs_pg
def test_a_worker_gone_with_its_crawl_loses_nothing(
        served: Served, reference: list[tuple[Any, ...]], workers: list[Worker]) -> None:
    env = pg_env(served, "killed", workers=True)
    gw(env, "crawl", "--enqueue", "--as-of", AS_OF)
    workers += [Worker(env, served.tmp / f"killed-{i}.err") for i in range(2)]
    assert PG_URL is not None

    victim_run = wait_for(f"{SLOW}'s crawl to be under way", running_run_of(SLOW, 6),
                          workers)
    with open(f"/proc/{victim_run.pid}/stat", encoding="ascii") as f:
        parent = int(f.read().rsplit(")", 1)[1].split()[1])
    victim = next(w for w in workers if w.proc.pid == parent)
    survivor = next(w for w in workers if w is not victim)
    # The machine is gone: the worker and the crawl process (and its extraction workers, one
    # process group) die at once, nobody writes anything.
    os.killpg(victim_run.pid, signal.SIGKILL)
    victim.proc.kill()
    victim.proc.communicate()
    # Caught under way: its retry need not be slow (the registry is read when a crawl starts).
    init_and_import(PG_URL, served.world.registry_path)
    wait_for("the survivor to finish every site", lambda: queue_busy() == 0
             and len(finished_runs_per_site()) == 10, [survivor])
    log = survivor.lines()
    survivor.stop()
    assert survivor.proc.returncode == 0
    statuses = {r.id: (r.status, r.error) for r in runs(PG_URL)}
    status, error = statuses[victim_run.id]
    # On this host the crawl's pid is seen gone first; from another host, the run's stopped
    # heartbeat says it (tests/store/test_store.py).
    assert status == "interrupted" and ("vanished" in (error or "")
                                        or "heartbeat" in (error or "")), statuses
    assert re.search(rf"\(govwatch.crawl_site of {SLOW}\) stalled: its worker stopped "
                     "beating; requeued", log), log[-3000:]
    assert re.search(rf"crawl of {SLOW} finished \(run #\d+, \d+ pages, attempt 2\)", log)
    # Each site has one complete crawl; the findings are those of the clean run.
    assert finished_runs_per_site() == dict.fromkeys(finished_runs_per_site(), 1)
    assert len(finished_runs_per_site()) == 10
    assert findings(env) == reference


def running_run_of(site: str, seconds: float) -> Callable[[], Any]:
    """Condition: a run of `site` has been running for `seconds` (its crawl process has
    started and is crawling: the slow site takes about 15 s more)."""
    def check() -> Any:
        for run in runs(PG_URL or ""):
            if site in run.site_ids and run.status == "running" and run.pid and (
                    datetime.now(UTC) - run.started_at).total_seconds() >= seconds:
                return run
        return None
    return check


@needs_pg
def test_sigterm_interrupts_the_crawl_and_requeues_its_job(served: Served,
                                                            workers: list[Worker]) -> None:
    env = pg_env(served, "sigterm", workers=True)
    gw(env, "crawl", "--enqueue", "--site", SLOW, "--as-of", AS_OF)
    workers.append(Worker(env, served.tmp / "sigterm.err"))
    run = wait_for(f"{SLOW}'s crawl to be under way", running_run_of(SLOW, 6), workers)
    out = workers[0].stop()
    log = workers[0].lines()
    assert workers[0].proc.returncode == 0 and "已停止" in out, log[-2000:]
    assert "正在停止" in log and f"crawl of {SLOW} interrupted (run #{run.id}, attempt 1)" in log
    assert {r.id: r.status for r in runs(PG_URL or "")} == {run.id: "interrupted"}
    # The job is back in the queue for any worker, the site still locked to one at a time;
    # the worker left the cluster.
    assert query("SELECT status, attempts, lock FROM procrastinate_jobs") == [
        ("todo", 1, f"site:{SLOW}")]
    assert query("SELECT count(*) FROM procrastinate_workers") == [(0,)]


@needs_pg
def test_serve_nightly_crawl_enqueues_when_workers_are_enabled(served: Served) -> None:
    from core.settings import load_settings
    from govwatch import dispatch, jobs
    from store.session import session_factory

    env = pg_env(served, "nightly", workers=True)
    settings = load_settings(env["GOVWATCH_SETTINGS"])
    engine = make_engine(PG_URL or "")
    jobs.install(jobs.Runtime(settings, session_factory(engine)))
    try:
        report = dispatch.crawl_all()
        again = dispatch.crawl_all()  # the next night, before any worker ran: nothing doubled
    finally:
        jobs.install(None)
        engine.dispose()
    assert len(report.queued) == 10 and not report.runs and not report.skipped
    assert again.queued == [] and len(again.skipped) == 10
    assert "已加入队列: 0 个站点（已在队列中而跳过 10）" in again.line()
    # In-process, every site skipped (still being crawled) is not "queued".
    assert jobs.CrawlReport(skipped=["hunan"]).line().startswith("夜间抓取完成")
    assert query("SELECT count(*) FROM procrastinate_jobs") == [(10,)]
    assert runs(PG_URL or "") == []  # nothing crawled in-process


@needs_pg
def test_enqueue_is_refused_for_a_site_already_queued(served: Served) -> None:
    env = pg_env(served, "lock", workers=True)
    first = gw(env, "crawl", "--enqueue", "--site", "yongzhou", "--site", "govcn").stdout
    assert "已加入队列: 2 个站点的抓取任务（" in first
    again = gw(env, "crawl", "--enqueue").stdout
    assert "已加入队列: 8 个站点的抓取任务，2 个站点已在队列中而跳过" in again
    jobs = query("SELECT args->>'site_id', lock, queueing_lock, priority FROM "
                 "procrastinate_jobs WHERE status = 'todo' ORDER BY id")
    assert len(jobs) == 10
    by_site = {site: (lock, qlock, priority) for site, lock, qlock, priority in jobs}
    assert by_site["yongzhou"][:2] == ("site:yongzhou", "crawl:yongzhou")
    assert by_site["govcn"][2] > by_site["hunan"][2] > by_site["yongzhou"][2]  # portals first
    # Mistakes are one line each.
    proc = gw(env, "crawl", "--enqueue", "--jobs", "2", ok=False)
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1 and "--jobs" in proc.stderr
    proc = gw(env, "crawl", "--enqueue", "--site", "nowhere", ok=False)
    assert proc.returncode == 1 and "nowhere" in proc.stderr


@needs_pg
def test_without_workers_enabled_enqueue_and_worker_are_errors(served: Served) -> None:
    env = pg_env(served, "disabled", workers=False)
    for args in (("crawl", "--enqueue"), ("worker",)):
        proc = gw(env, *args, ok=False)
        assert proc.returncode == 1 and proc.stderr.count("\n") == 1
        assert "[workers] enabled = true" in proc.stderr


def test_sqlite_with_workers_enabled_is_a_one_line_error(tmp_path: Path) -> None:
    settings = tmp_path / "settings.toml"
    settings.write_text(f'database_url = "sqlite:///{tmp_path}/g.db"\n{WORKERS}',
                        encoding="utf-8")
    env = dict(os.environ, GOVWATCH_SETTINGS=str(settings))
    env.pop("GOVWATCH_DATABASE_URL", None)
    for args in (("crawl",), ("worker",), ("init",)):
        proc = subprocess.run([sys.executable, "-m", "govwatch.cli", *args], env=env,
                              capture_output=True, text=True, timeout=WAIT)
        assert proc.returncode == 1
        assert proc.stderr.count("\n") == 1 and "需要 PostgreSQL" in proc.stderr
        assert "sqlite" in proc.stderr


def test_without_procrastinate_the_queue_is_a_one_line_error(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from core.errors import UserError
    from govwatch.dispatch import load_queue

    monkeypatch.setitem(sys.modules, "procrastinate", None)  # not installed
    monkeypatch.delitem(sys.modules, "govwatch.queue", raising=False)
    with pytest.raises(UserError, match=r"procrastinate.*pip install 'govwatch\[postgres\]'"):
        load_queue()


# A worker stopped by SIGTERM keeps beating until its crawl has wound down; the others look
# for stalled jobs often and call a worker dead after 1.5 s without a heartbeat, less than
# a crawl takes to stop (measured and printed below).
QUICK_STALL = """
[workers]
enabled = true
heartbeat_seconds = 0.3
stalled_seconds = 1.5
recover_interval_seconds = 0.3
check_retry_seconds = 1.0
"""


@needs_pg
def test_a_stopping_worker_keeps_its_job_until_the_crawl_has_wound_down(
        served: Served, workers: list[Worker]) -> None:
    env = pg_env(served, "winddown", workers=False)
    settings = Path(env["GOVWATCH_SETTINGS"])
    settings.write_text(settings.read_text(encoding="utf-8") + QUICK_STALL, encoding="utf-8")
    gw(env, "crawl", "--enqueue", "--site", SLOW, "--as-of", AS_OF)
    stopping = Worker(env, served.tmp / "winddown-0.err")
    workers.append(stopping)
    run = wait_for(f"{SLOW}'s crawl to be under way", running_run_of(SLOW, 6), workers)
    other = Worker(env, served.tmp / "winddown-1.err")
    workers.append(other)
    wait_for("the second worker to register",
             lambda: query("SELECT count(*) FROM procrastinate_workers")[0][0] == 2, workers)
    time.sleep(1.0)  # it has looked for stalled jobs a few times: none
    # Caught under way: its retry need not be slow (the registry is read when a crawl starts).
    assert PG_URL is not None
    init_and_import(PG_URL, served.world.registry_path)
    started = time.monotonic()
    stopping.stop()
    wound_down = time.monotonic() - started
    print(f"\nSIGTERM to the worker's exit (its crawl winding down): {wound_down:.1f} s")
    assert stopping.proc.returncode == 0
    wait_for("the other worker to crawl the site again",
             lambda: queue_busy() == 0 and finished_runs_per_site().get(SLOW) == 1, [other])
    log, other_log = stopping.lines(), other.lines()
    other.stop()
    # The stopping worker's job was never taken for stalled: it went back to the queue once,
    # by the worker itself, and the other worker ran it as attempt 2.
    assert f"crawl of {SLOW} interrupted (run #{run.id}, attempt 1)" in log
    assert "stalled" not in other_log, other_log[-3000:]
    retried = re.findall(rf"crawl of {SLOW} finished \(run #(\d+), (\d+) pages, attempt (\d)\)",
                         other_log)
    assert len(retried) == 1 and retried[0][2] == "2", other_log[-3000:]
    statuses = {r.id: (r.status, r.error) for r in runs(PG_URL or "")}
    again = int(retried[0][0])
    assert set(statuses) == {run.id, again}
    assert statuses[run.id][0] == "interrupted" and "heartbeat" not in (statuses[run.id][1]
                                                                        or "")
    assert statuses[again][0] == "finished"
    # Nothing counted twice: the complete run holds each page once, and every open finding
    # of the site comes from it.
    pages = query(f"SELECT url FROM pages WHERE crawl_run_id = {again}")
    assert len(pages) == len({p[0] for p in pages}) >= int(retried[0][1]) > 10
    assert query(f"SELECT DISTINCT crawl_run_id FROM findings WHERE site_id = '{SLOW}' "
                 "AND status = 'open'") == [(again,)]


# -- 重新抓取本站 with workers: queued, crawled by a worker under the dashboard's run ---------

RECRAWL_WEB = f"""
[web]
secret_key = "test-secret-key-0123456789abcdefghijklmnop"
as_of = "{AS_OF}"
"""


class Dashboard:
    """The dashboard as `govwatch serve` builds it with workers enabled, in this process,
    logged in as a supervisor."""

    def __init__(self, env: dict[str, str]) -> None:
        from starlette.testclient import TestClient

        from core.settings import load_settings
        from govwatch.jobs import SiteRecrawler
        from govwatch.queue import QueuedRecrawler
        from govwatch.serve import recrawler_for
        from web.app import create_app
        from web.users import add_user

        self.settings = load_settings(env["GOVWATCH_SETTINGS"])
        engine = make_engine(PG_URL or "")
        with engine.begin() as conn:
            from sqlalchemy.orm import Session

            with Session(bind=conn) as session:
                add_user(session, "sup", "supervisor-pass-1", "supervisor")
        recrawler = recrawler_for(self.settings, session_factory(engine))
        assert isinstance(recrawler, QueuedRecrawler)  # serve's choice with workers enabled
        off = replace(self.settings, workers=replace(self.settings.workers, enabled=False))
        assert isinstance(recrawler_for(off, session_factory(engine)), SiteRecrawler)
        engine.dispose()
        self.app = create_app(self.settings, recrawler=recrawler)
        self.client = TestClient(self.app, follow_redirects=False)
        self.client.__enter__()
        self.client.post("/login", data={"name": "sup", "password": "supervisor-pass-1",
                                         "csrf": self.csrf("/login"), "next": "/"})

    def csrf(self, path: str) -> str:
        found = re.search(r'name="csrf" value="([^"]+)"', self.client.get(path).text)
        assert found
        return found.group(1)

    def recrawl(self, site: str) -> str:
        """Ask for 重新抓取本站; the site's page after it (with the flash)."""
        page = f"/sites/{site}"
        r = self.client.post(f"{page}/recrawl", data={"csrf": self.csrf(page)})
        assert r.status_code == 303
        return self.client.get(page).text

    def status(self, site: str) -> str:
        page = self.client.get(f"/sites/{site}").text
        found = re.search(r'<p class="recrawl-status[^"]*">(.*?)</p>', page, re.S)
        assert found, page[:3000]
        return re.sub(r"<[^>]+>", "", found.group(1))

    def close(self) -> None:
        self.client.__exit__(None, None, None)


def site_events(site: str) -> list[tuple[str, int | None, str]]:
    return [(a, r, d) for a, r, d in query(
        "SELECT action, crawl_run_id, detail FROM finding_events WHERE site_id = "
        f"'{site}' ORDER BY id")]


def recrawl_env(served: Served, name: str) -> dict[str, str]:
    env = pg_env(served, name, workers=True)
    settings = Path(env["GOVWATCH_SETTINGS"])
    settings.write_text(settings.read_text(encoding="utf-8") + RECRAWL_WEB, encoding="utf-8")
    return env


@needs_pg
def test_dashboard_recrawl_is_queued_and_crawled_by_a_worker_under_its_run(
        served: Served, workers: list[Worker]) -> None:
    env = recrawl_env(served, "recrawl")
    site = "yongzhou"
    board = Dashboard(env)
    try:
        shown = board.recrawl(site)
        assert "已将本站加入抓取队列（抓取编号 #" in shown
        [(run_id, status, pid)] = [(r.id, r.status, r.pid) for r in runs(PG_URL or "")]
        assert status == "running" and pid == os.getpid()
        # Queued with the nightly crawl's job and queueing lock, for this very run.
        assert query("SELECT task_name, status, lock, queueing_lock, args->'recrawl'->>'run' "
                     "FROM procrastinate_jobs") == [
            ("govwatch.crawl_site", "todo", f"site:{site}", f"crawl:{site}", str(run_id))]
        # A second request while it is queued (past the rate limit: the first one is made
        # an hour old): refused in Chinese, nothing written.
        execute("UPDATE finding_events SET at = at - interval '1 hour'")
        again = board.recrawl(site)
        assert "本站的抓取任务已在队列中或正在进行" in again
        assert len(runs(PG_URL or "")) == 1 and len(site_events(site)) == 1
        assert query("SELECT count(*) FROM procrastinate_jobs") == [(1,)]
        # So is one while the nightly crawl's job of the site waits in the queue.
        gw(env, "crawl", "--enqueue", "--site", "govcn")
        assert "已在队列中" in board.recrawl("govcn")
        assert site_events("govcn") == []
        # The job row is part of the request's transaction: refused by the queueing lock
        # (a nightly job queued in between), or rolled back, nothing of it stays.
        from govwatch.queue import QueuedRecrawler

        recrawler = QueuedRecrawler(board.settings)
        engine = make_engine(PG_URL or "")
        factory = session_factory(engine)
        moment = datetime.fromisoformat(AS_OF)
        with factory() as session, pytest.raises(Refused, match="已在队列中"), \
                session.begin():
            run = repo.create_run(session, ["govcn"], moment)
            recrawler.enqueue(session, "govcn", run.id, moment, "sup")
        execute("DELETE FROM procrastinate_jobs WHERE args->>'site_id' = 'govcn'")
        with factory() as session, pytest.raises(RuntimeError, match="rolled back"), \
                session.begin():
            run = repo.create_run(session, ["govcn"], moment)
            recrawler.enqueue(session, "govcn", run.id, moment, "sup")
            raise RuntimeError("rolled back")
        engine.dispose()
        assert query("SELECT count(*) FROM procrastinate_jobs") == [(1,)]
        assert len(runs(PG_URL or "")) == 1
        # Nothing ran in the dashboard's process.
        assert board.app.state.gw.recrawls.threads == []
        assert "进行中" in board.status(site)

        workers.append(Worker(env, served.tmp / "recrawl.err"))
        wait_for("the recrawl to be done", lambda: len(site_events(site)) == 2, workers)
        log = workers[0].lines()
        workers[0].stop()
        assert f"crawl of {site} finished (run #{run_id}," in log
        # The run the dashboard created and showed is the one crawled and checked.
        assert [r.id for r in runs(PG_URL or "")] == [run_id]
        assert runs(PG_URL or "")[0].status == "finished"
        events = site_events(site)
        assert [(a, r) for a, r, _d in events] == [("recrawl", run_id),
                                                  ("recrawl-done", run_id)]
        assert re.fullmatch(r"抓取完成（\d+ 个页面）并已重新检查", events[1][2])
        assert query(f"SELECT DISTINCT crawl_run_id FROM findings WHERE site_id = '{site}'") \
            == [(run_id,)]
        status = board.status(site)
        assert "已完成" in status and "并已重新检查" in status
    finally:
        board.close()



@needs_pg
def test_a_recrawl_whose_worker_died_is_retried_and_its_status_follows_the_retry(
        served: Served, workers: list[Worker]) -> None:
    env = recrawl_env(served, "recrawl-killed")
    board = Dashboard(env)
    try:
        board.recrawl(SLOW)
        [first] = [r.id for r in runs(PG_URL or "")]
        workers.append(Worker(env, served.tmp / "recrawl-killed-0.err"))
        victim_run = wait_for(f"{SLOW}'s recrawl to be under way", running_run_of(SLOW, 6),
                              workers)
        assert victim_run.id == first  # adopted: the dashboard's run is the one crawled
        # The worker's machine is gone: it and its crawl die at once.
        os.killpg(victim_run.pid, signal.SIGKILL)
        workers[0].proc.kill()
        workers[0].proc.communicate()
        # Caught under way: the retry need not be slow (the registry is read when a crawl
        # starts).
        init_and_import(PG_URL or "", served.world.registry_path)
        survivor = Worker(env, served.tmp / "recrawl-killed-1.err")
        workers.append(survivor)
        wait_for("the retry's recrawl-done", lambda: any(
            a == "recrawl-done" for a, _r, _d in site_events(SLOW)), [survivor])
        log = survivor.lines()
        survivor.stop()
        statuses = {r.id: r.status for r in runs(PG_URL or "")}
        [retry] = [i for i in statuses if i != first]
        assert statuses == {first: "interrupted", retry: "finished"}
        assert f"recrawl #{first} of {SLOW} retried as run #{retry}" in log
        events = site_events(SLOW)
        assert [(a, r) for a, r, _d in events] == [
            ("recrawl", first), ("recrawl-retry", retry), ("recrawl-done", retry)]
        assert f"抓取 #{first} 未完成（已中断），第 2 次尝试改用抓取 #{retry}" == events[1][2]
        assert query(f"SELECT DISTINCT crawl_run_id FROM findings WHERE site_id = '{SLOW}'") \
            == [(retry,)]
        # The dashboard's status follows the retry's run to its end.
        status = board.status(SLOW)
        assert "已完成" in status and f"重试的抓取 #{retry}" in status, status
    finally:
        board.close()
