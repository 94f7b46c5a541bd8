"""`govwatch serve [--host 127.0.0.1 --port 8000]`: the scheduler and the dashboard, one process.

The scheduler (scheduler.py: nightly crawls, probes, repost watch, reports, notifications)
starts only if this process gets the database's scheduler lock; otherwise another `serve`
schedules and this one says so on stderr and serves the dashboard only. The dashboard is
`web.app.create_app(settings)` run by uvicorn in the main thread.

SIGTERM or SIGINT (Ctrl-C) stops cleanly, exit 0: uvicorn finishes the requests in flight;
then no job starts any more, running crawl processes get SIGTERM (each writes the batch it holds
and ends `interrupted`), and the scheduler is shut down waiting for its running jobs, so that
every result already fetched is stored and no crawl run is left `running`. Last, the scheduler
lock is released so that the next `serve` schedules at once.
"""

from __future__ import annotations

import argparse
import logging
import signal
import socket
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING, Any

from core.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from web.recrawl import Launcher, RecrawlQueue

log = logging.getLogger("govwatch.serve")

ASGIApp = Callable[..., Any]


def configure_logging() -> None:
    """govwatch's own log lines on stderr (uvicorn configures its own)."""
    logger = logging.getLogger("govwatch")
    if not any(getattr(h, "_govwatch", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("[govwatch] %(asctime)s %(levelname)s %(message)s",
                                               "%Y-%m-%d %H:%M:%S"))
        handler._govwatch = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000, *,
          app: ASGIApp | None = None) -> int:
    """Run the service until SIGTERM/SIGINT; 0 on a clean stop, 1 when it could not start.

    `app` replaces the dashboard (tests); by default web.app.create_app(settings)."""
    from store.session import current_revision, make_engine

    configure_logging()
    engine = make_engine(settings.database_url)
    try:
        try:
            revision = current_revision(engine)
        except Exception as exc:
            print(f"错误: 无法连接数据库: {' '.join(str(exc).split())[:300]}", file=sys.stderr)
            return 1
        if revision is None:
            print("错误: 数据库尚未初始化，请先运行 govwatch init", file=sys.stderr)
            return 1
        if app is None:
            from store.session import session_factory
            from web.app import create_app

            app = create_app(settings, recrawler=recrawler_for(settings,
                                                               session_factory(engine)))
        return _run(settings, host, port, app, engine)
    finally:
        engine.dispose()


def recrawler_for(settings: Settings, factory: sessionmaker[Session]
                  ) -> Launcher | RecrawlQueue:
    """Who runs the dashboard's 重新抓取本站: with `[workers] enabled` the workers (the site's
    crawl job is queued, as the nightly crawl's is), else this process, as the scheduler
    runs each site's crawl (govwatch.jobs)."""
    if settings.workers.enabled:
        from govwatch.dispatch import load_queue

        queued: RecrawlQueue = load_queue().QueuedRecrawler(settings)
        return queued
    from govwatch.jobs import SiteRecrawler

    return SiteRecrawler(settings, factory)


def uvicorn_config(app: ASGIApp, host: str, port: int, lifespan: str = "auto") -> Any:
    """How uvicorn serves the dashboard. `proxy_headers=False`: uvicorn would otherwise take
    the client's address from X-Forwarded-For whenever the connection comes from loopback
    (its default FORWARDED_ALLOW_IPS), letting anyone behind a same-host tunnel pick a fresh
    address for every login attempt; the dashboard decides itself, trusting the header only
    from `[web] trusted_proxies` (web.auth.client_address)."""
    import uvicorn

    return uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False,
                          lifespan=lifespan, proxy_headers=False)  # type: ignore[arg-type]


def _run(settings: Settings, host: str, port: int, app: ASGIApp, engine: Any) -> int:
    import uvicorn

    from govwatch import jobs
    from scheduler import SchedulerService, lock_state
    from store.session import session_factory

    # Listen before anything is scheduled: a port in use must not leave jobs started.
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.create_server((host, port), family=family)
    except OSError as exc:
        print(f"错误: 无法在 {host}:{port} 上监听: {exc.strerror or exc}", file=sys.stderr)
        return 1
    stopping = threading.Event()
    server: uvicorn.Server | None = None

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("收到停止信号 %s，正在停止（等待抓取进程保存数据）", signal.Signals(signum).name)
        stopping.set()
        if server is not None:
            server.should_exit = True

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    factory = session_factory(engine)
    runtime = jobs.Runtime(settings, factory)
    jobs.install(runtime)
    service: SchedulerService | None = None
    scheduling = False
    try:
        if not settings.scheduler.enabled:
            print("调度已关闭（scheduler.enabled = false），本进程只提供看板", file=sys.stderr)
        else:
            def lost() -> None:
                # The scheduler that took over owns the work now: running crawls are
                # stopped (they keep what they stored), nothing new starts here.
                print("警告: 调度锁已被另一个 govwatch serve 接管，本进程停止调度，只提供看板",
                      file=sys.stderr)
                runtime.request_stop()

            service = SchedulerService(engine, factory, settings.scheduler, settings.timezone,
                                       on_lost=lost)
            scheduling = service.start()
            if not scheduling:
                state = lock_state(factory)
                who = f"{state.holder}，心跳 {state.heartbeat_at.isoformat(timespec='seconds')}" \
                    if state is not None else "未知"
                print(f"另一个 govwatch serve 正在调度本数据库（{who}），本进程不调度，"
                      "只提供看板", file=sys.stderr)
                service = None
            else:
                print(f"调度已启动: {'、'.join(s.id for s in service.specs)}", file=sys.stderr)
        server = uvicorn.Server(uvicorn_config(app, host, port))
        if stopping.is_set():
            server.should_exit = True
        print(f"看板: http://{host}:{port}/", file=sys.stderr, flush=True)
        server.run(sockets=[sock])
    finally:
        sock.close()
        runtime.request_stop()
        if service is not None:
            print("正在停止调度（等待正在运行的任务结束）…", file=sys.stderr, flush=True)
            service.stop(wait=True)
        jobs.install(None)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print(f"govwatch serve 已停止（{'调度并' if scheduling else ''}提供看板 {host}:{port}）")
    return 0


def add_serve_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `govwatch serve [--host 127.0.0.1 --port 8000]`."""
    p = sub.add_parser("serve", help="调度（夜间抓取、可用性探测、转载监测、报告）与看板")
    p.add_argument("--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1）")
    p.add_argument("--port", type=int, default=8000, help="监听端口（默认 8000）")
    p.set_defaults(func=cmd_serve)


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    return serve(settings, args.host, args.port)
