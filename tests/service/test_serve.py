"""`govwatch serve` as a process against the demo world: it crawls every site, probes, watches
reposts and serves HTTP; a second serve on the same database refuses to schedule; SIGTERM
stops it cleanly (exit 0) with no crawl run left `running`, also in the middle of a crawl."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text

from core.settings import Settings
from govwatch.demo.run import demo_settings_text
from govwatch.demo.server import DemoServer
from govwatch.demo.sites import SITES as DEMO_SITES
from govwatch.demo.world import World, build_world
from store.session import make_engine
from tests.conftest import REPO, init_and_import
from tests.service.servers import free_port

pytestmark = pytest.mark.e2e

WAIT = 300.0  # seconds: the most any step may take on a slow machine before the test fails
SITES = 10


@dataclass
class Demo:
    world: World
    env: dict[str, str]
    engine: Engine
    tmp: Path


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    world = build_world(tmp_path / "world")
    with DemoServer(world) as server:
        db_url = f"sqlite:///{tmp_path / 'gw.db'}"
        env = dict(os.environ, GOVWATCH_DATABASE_URL=db_url,
                   GOVWATCH_SETTINGS=str(tmp_path / "settings.toml"))
        env.pop("GOVWATCH_DEBUG", None)
        demo = Demo(world, env, make_engine(db_url), tmp_path)
        write_settings(demo, server.port, db_url)
        init_and_import(db_url, world.registry_path)
        yield demo
        demo.engine.dispose()


def write_settings(demo: Demo, port: int, db_url: str, extra: str = "") -> None:
    text_ = demo_settings_text(demo.world, port, db_url)
    text_ += ("\n[scheduler]\n"
              'run_on_start = ["crawl.nightly", "probe.home", "repost.watch"]\n'
              "crawl_concurrency = 2\n" + extra)
    if "web" in {f.name for f in dataclasses.fields(Settings)}:
        text_ += '\n[web]\nsecret_key = "' + "s" * 48 + '"\n'
    (demo.tmp / "settings.toml").write_text(text_, encoding="utf-8")


def start_serve(demo: Demo, name: str) -> tuple[subprocess.Popen[bytes], int, Path, Path]:
    port = free_port()
    out, err = demo.tmp / f"{name}.out", demo.tmp / f"{name}.err"
    with out.open("wb") as stdout, err.open("wb") as stderr:  # the child keeps its own copies
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.service.serve_main", "--port", str(port)],
            env=demo.env, cwd=REPO, stdout=stdout, stderr=stderr)
    return proc, port, out, err


def wait_for(what: str, condition: Callable[[], Any], proc: subprocess.Popen[bytes],
             err: Path) -> Any:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if proc.poll() is not None:
            raise AssertionError(f"serve exited ({proc.returncode}) before {what}: "
                                 + err.read_text(encoding="utf-8")[-3000:])
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}: "
                         + err.read_text(encoding="utf-8")[-3000:])


def scalar(engine: Engine, sql: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(text(sql)).scalar()


def runs(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return dict(conn.execute(text(  # type: ignore[arg-type]
            "SELECT status, COUNT(*) FROM crawl_runs GROUP BY status")).all())


def answers(port: int) -> int:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/", timeout=5).status_code
    except httpx.HTTPError:
        return 0


def stop(proc: subprocess.Popen[bytes]) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(WAIT)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise


def test_serve_crawls_probes_serves_and_stops_cleanly(demo: Demo) -> None:
    proc, port, out, err = start_serve(demo, "first")
    try:
        wait_for("every site crawled", lambda: runs(demo.engine).get("finished") == SITES,
                 proc, err)
        wait_for("probes stored", lambda: scalar(demo.engine, "SELECT COUNT(*) FROM probes")
                 >= SITES, proc, err)
        wait_for("the dashboard answers", lambda: 0 < answers(port) < 500, proc, err)
        assert scalar(demo.engine, "SELECT COUNT(*) FROM findings WHERE status = 'open'") > 0
        assert scalar(demo.engine, "SELECT COUNT(*) FROM item_sightings") > 0
        # every home page answered, but the demo site showing another host's certificate
        # fails its probe's verification (https.missing and availability count it)
        wrong_host = [s for s in DEMO_SITES if s.tls == "wrong-host"]
        assert scalar(demo.engine, "SELECT COUNT(*) FROM probes WHERE ok") == (
            SITES - len(wrong_host))
        assert scalar(demo.engine, "SELECT COUNT(DISTINCT site_id) FROM probes WHERE NOT ok "
                      "AND error_kind = 'tls'") == len(wrong_host) == 1

        # A second serve on the same database: dashboard only, says so, stops cleanly.
        other, other_port, other_out, other_err = start_serve(demo, "second")
        try:
            wait_for("the second serve's refusal",
                     lambda: "不调度" in other_err.read_text(encoding="utf-8"), other, other_err)
            wait_for("the second dashboard", lambda: 0 < answers(other_port) < 500, other,
                     other_err)
        finally:
            assert stop(other) == 0
        assert "已停止" in other_out.read_text(encoding="utf-8")
        assert runs(demo.engine) == {"finished": SITES}  # it started no crawl
        assert scalar(demo.engine, "SELECT COUNT(*) FROM scheduler_lock") == 1  # not its lock
    finally:
        code = stop(proc)
    assert code == 0, err.read_text(encoding="utf-8")[-3000:]
    assert "govwatch serve 已停止" in out.read_text(encoding="utf-8")
    assert runs(demo.engine) == {"finished": SITES}
    assert scalar(demo.engine, "SELECT COUNT(*) FROM scheduler_lock") == 0  # released
    ids = {r for r in scalar_all(demo.engine, "SELECT id FROM apscheduler_jobs")}
    assert {"crawl.nightly", "probe.home", "repost.watch"} <= ids


def scalar_all(engine: Engine, sql: str) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(text(sql)).scalars())


def test_sigterm_in_the_middle_of_a_crawl_keeps_what_was_stored(demo: Demo) -> None:
    # Small batches: pages reach the database while the crawl is still running.
    settings = (demo.tmp / "settings.toml").read_text(encoding="utf-8")
    settings = settings.replace("[crawler]\n", "[crawler]\nbatch_size = 5\n", 1)
    settings = settings.replace("crawl_concurrency = 2\n", "crawl_concurrency = 1\n")
    (demo.tmp / "settings.toml").write_text(settings, encoding="utf-8")
    proc, _, out, err = start_serve(demo, "interrupted")
    try:
        run_id = wait_for("pages stored by a running crawl", lambda: scalar(
            demo.engine, "SELECT r.id FROM crawl_runs r JOIN pages p ON p.crawl_run_id = r.id "
                         "WHERE r.status = 'running' LIMIT 1"), proc, err)
    finally:
        code = stop(proc)
    assert code == 0, err.read_text(encoding="utf-8")[-3000:]
    statuses = runs(demo.engine)
    assert "running" not in statuses
    assert set(statuses) <= {"finished", "interrupted"}
    assert sum(statuses.values()) < SITES  # the sites not started were not started
    status = scalar(demo.engine, f"SELECT status FROM crawl_runs WHERE id = {int(run_id)}")
    assert status in ("interrupted", "finished")
    pages = scalar(demo.engine, f"SELECT COUNT(*) FROM pages WHERE crawl_run_id = {int(run_id)}")
    assert pages > 0  # what the crawl had stored is still there
    assert "已停止" in out.read_text(encoding="utf-8")


def test_serve_refuses_a_busy_port_before_scheduling(sqlite_url: str,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    from govwatch.serve import serve
    from tests.service.stub_app import stub_app

    settings = dataclasses.replace(Settings(), database_url=sqlite_url)
    with socket.create_server(("127.0.0.1", 0)) as busy:
        code = serve(settings, "127.0.0.1", busy.getsockname()[1], app=stub_app)
    assert code == 1
    assert "无法在 127.0.0.1:" in capsys.readouterr().err
    engine = make_engine(sqlite_url)
    try:
        assert scalar(engine, "SELECT COUNT(*) FROM scheduler_lock") == 0
        assert scalar(engine, "SELECT COUNT(*) FROM apscheduler_jobs") == 0
    finally:
        engine.dispose()


def test_serve_needs_an_initialised_database(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    from govwatch.serve import serve
    from tests.service.stub_app import stub_app

    settings = dataclasses.replace(Settings(), database_url=f"sqlite:///{tmp_path / 'new.db'}")
    assert serve(settings, "127.0.0.1", free_port(), app=stub_app) == 1
    assert "govwatch init" in capsys.readouterr().err
