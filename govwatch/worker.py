"""`govwatch worker [--concurrency N]`: take site crawls from the queue (govwatch.queue) on the
production PostgreSQL; start one on each machine that should crawl, as many as wanted.

Each job is one site's crawl in its own crawl process (or that site's check pass), exactly as
`govwatch serve`'s nightly crawl runs it; the worker logs one line per job on stderr. At most
N jobs at once (default `[workers] concurrency`). SIGTERM or Ctrl-C stops it gracefully: no
new job is taken, running crawls are told to stop (each writes what it holds and ends
`interrupted`) and their jobs go back to the queue for another worker, running check passes
finish; then the worker unregisters and exits 0. Until then, however long the running jobs take
to end (a crawl writing its batch), the worker keeps renewing its heartbeat (procrastinate's
stops with the worker's fetching, so the worker renews it itself) and the crawl runs' (the
loop driving them), so that no other worker takes a job still winding down for stalled. A
worker killed outright is noticed by the others through its stopped heartbeat
(govwatch.queue.recover_stalled).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
from concurrent.futures import ThreadPoolExecutor

from core.errors import UserError
from core.settings import Settings
from govwatch import jobs
from store.database import open_factory

log = logging.getLogger("govwatch.worker")


def add_worker_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `govwatch worker [--concurrency N]`."""
    p = sub.add_parser("worker", help="从共享队列领取站点抓取任务（多台机器共用生产 PostgreSQL）")
    p.add_argument("--concurrency", type=int, metavar="N",
                   help="同时进行的站点抓取数（默认: 设置 [workers] concurrency）")
    p.set_defaults(func=cmd_worker)


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    from govwatch.serve import configure_logging

    if not settings.workers.enabled:
        raise UserError("未启用 worker: 请在设置文件中写 [workers] enabled = true"
                        "（需要 PostgreSQL），否则抓取在本进程内运行（govwatch crawl / serve）")
    concurrency = settings.workers.concurrency if args.concurrency is None \
        else args.concurrency
    if concurrency < 1:
        raise UserError("--concurrency 必须是正整数")
    from govwatch.dispatch import load_queue

    queue = load_queue()
    factory = open_factory(settings)
    if not queue.queue_installed(factory):
        raise UserError("数据库中还没有任务队列，请先运行 govwatch init")
    configure_logging()
    logging.getLogger("govwatch.jobs").setLevel(logging.WARNING)  # one line per job: ours
    # procrastinate's own lines repeat ours; its warnings and errors stay visible.
    logging.getLogger("procrastinate").setLevel(logging.WARNING)
    logging.getLogger("procrastinate.worker").setLevel(logging.CRITICAL)  # job outcomes
    logging.getLogger("procrastinate.worker.govwatch").setLevel(logging.WARNING)
    runtime = jobs.Runtime(settings, factory)
    jobs.install(runtime)
    name = f"{socket.gethostname()}:{os.getpid()}"
    print(f"govwatch worker {name} 已启动: 并发 {concurrency}", file=sys.stderr, flush=True)
    try:
        asyncio.run(_work(settings, runtime, concurrency))
    finally:
        jobs.install(None)
        factory.kw["bind"].dispose()
    print(f"govwatch worker {name} 已停止")
    return 0


async def _work(settings: Settings, runtime: jobs.Runtime, concurrency: int) -> None:
    from procrastinate.worker import Worker

    from govwatch.queue import QUEUE, queue_app, recover_stalled

    loop = asyncio.get_running_loop()
    # Each job runs in a thread (procrastinate runs synchronous tasks there); room for all.
    loop.set_default_executor(ThreadPoolExecutor(max_workers=concurrency + 2,
                                                 thread_name_prefix="job"))
    workers = settings.workers
    with queue_app(settings) as qapp:
        async with qapp.open_async():
            worker = Worker(
                qapp, queues=[QUEUE], concurrency=concurrency, name="govwatch",
                install_signal_handlers=False, delete_jobs="successful",
                update_heartbeat_interval=workers.heartbeat_seconds,
                stalled_worker_timeout=workers.stalled_seconds,
                fetch_job_polling_interval=min(5.0, workers.check_retry_seconds))
            work = asyncio.create_task(worker.run())  # type: ignore[no-untyped-call]

            async def recover() -> None:
                while True:
                    try:
                        await recover_stalled(qapp, settings, runtime.factory)
                    except Exception:  # the database is away: try again next time
                        log.exception("looking for stalled jobs failed")
                    await asyncio.sleep(workers.recover_interval_seconds)

            async def beat() -> None:
                # procrastinate stops its own heartbeat as soon as a worker stops, then
                # waits for the running jobs: a crawl winding down (writing its batch) would
                # look stalled to the other workers, which would run its job a second time.
                # This heartbeat lasts until the worker has unregistered, every job ended.
                while True:
                    await asyncio.sleep(workers.heartbeat_seconds)
                    worker_id = worker.worker_id
                    if worker_id is None:
                        continue
                    try:
                        await qapp.job_manager.update_heartbeat(worker_id)
                    except Exception as exc:  # the database is away: the next beat may do
                        log.warning("worker heartbeat failed: %s", exc)

            side = [asyncio.create_task(recover()), asyncio.create_task(beat())]

            def stop() -> None:
                if runtime.stop.is_set():
                    return  # once
                print("govwatch worker 正在停止（正在运行的抓取将中断并重新排队）…",
                      file=sys.stderr, flush=True)
                runtime.request_stop()  # running crawls get SIGTERM
                worker.stop()  # type: ignore[no-untyped-call]  # stop fetching, wait for jobs

            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(signum, stop)
            try:
                await work
            finally:
                for task in side:
                    task.cancel()
                for task in side:
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
                for signum in (signal.SIGTERM, signal.SIGINT):
                    loop.remove_signal_handler(signum)
