"""Page analysis and storage in worker processes.

WHY: a crawl is CPU-bound. Scrapy and Twisted need most of one core for the downloading
alone; decoding and extracting a page (~4 ms for 25 kB), converting its facts to JSON and
writing its page, facts, body and link rows cost as much again. So the reactor thread only
downloads and schedules: each fetched HTML page goes to a worker process, which analyses it,
keeps its rows and writes them in batches with its own database connection, and answers
with the little the spider needs to go on (a `Verdict`: the links to schedule and whether
the page says "not found"). With two workers the analysis uses both cores while the reactor
thread keeps downloading.

Protocol: one duplex pipe per worker; messages are pickled tuples.
  spider -> worker  ("page", task, url, body, charset, row)   row None: analyse only
                    ("stop",)                                 flush, answer, exit
  worker -> spider  ("done", task, verdict, record)           record None: stored (or no
                                                              row); else store it yourself
                    ("failed", task, "Type: message")
                    ("flushed", [task, ...])                  those pages are committed
Sending happens on one thread per worker (a pipe write blocks while the worker is busy and
its buffer is full, which must not stall the reactor); answers are read on the reactor
thread when the pipe is readable (asyncio add_reader), so nothing polls.

Nothing is lost when a process dies:
- the crawl process killed outright: each worker reads EOF, writes what it holds, exits;
- Ctrl-C: workers ignore SIGINT; the spider closes gracefully and `close()` makes each
  worker flush and waits for it;
- a worker killed (out of memory, SIGKILL): the crawl process still holds every page it
  sent that the worker had not yet reported committed; it analyses and writes those itself
  and carries on in-process (a page could be written twice only if the worker died between
  its commit and its answer, a window of microseconds).
`crawler.extract_workers` = 0 analyses in the crawl process and leaves storing to the
pipeline (crawler.pipelines), as does any page analysed in-process.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import logging
import multiprocessing
import pickle
import queue
import signal
import threading
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from typing import Any

from crawler import extract
from crawler.facts import PageFacts
from crawler.records import PageRecord, StoredBody

log = logging.getLogger(__name__)

# zlib level of stored bodies. WHY 1: on HTML its output is ~10% larger than level 6's at
# half the CPU, and compressing every page is on the crawl's critical path.
BODY_ZLIB_LEVEL = 1
# A worker writes its pending pages once they hold this many bytes of bodies (or
# crawler.batch_size pages), whichever comes first.
MAX_BATCH_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the spider needs of an analysed page; everything else goes to the database."""

    encoding: str
    says_not_found: bool
    text_digest: str
    links: tuple[tuple[str, str], ...]  # (url, kind) in page order


@dataclass(frozen=True, slots=True)
class StoreTarget:
    """Where workers write pages: the run's database and batch size."""

    database_url: str
    run_id: int
    batch_size: int


def stored_body(body: bytes) -> StoredBody:
    return StoredBody(hashlib.sha256(body).hexdigest(), len(body),
                      zlib.compress(body, BODY_ZLIB_LEVEL))


def verdict_of(facts: PageFacts, encoding: str) -> Verdict:
    return Verdict(encoding, facts.says_not_found, facts.text_digest,
                   tuple((link.url, link.kind) for link in facts.links))


def analyse(url: str, body: bytes, charset: str | None,
            row: dict[str, Any] | None = None, *, content: bool = True
            ) -> tuple[Verdict, PageRecord | None]:
    """Pure: the verdict on one HTML body and, given its page row, its record to store
    (`content`: extract the content checks' facts too; crawler.extract.extract)."""
    text, encoding = extract.decode_html(body, charset)
    facts = extract.extract(url, text, content=content)
    verdict = verdict_of(facts, encoding)
    if row is None:
        return verdict, None
    record = PageRecord(
        row={**row, "encoding": encoding},
        body=stored_body(body),
        facts_data=facts.to_dict(),
        links=tuple((link.url, link.kind, link.text) for link in facts.links),
    )
    return verdict, record


# -- the worker process ------------------------------------------------------------------


def _worker_main(conn: Connection, target: StoreTarget | None, content: bool = True) -> None:
    # Ctrl-C goes to the whole foreground process group; only the crawl process handles it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    writer = _BatchWriter(target) if target is not None else None
    try:
        while True:
            try:
                message = pickle.loads(conn.recv_bytes())
            except (EOFError, OSError):
                break  # the crawl process is gone: keep what was analysed
            if message[0] == "stop":
                break
            _, task, url, body, charset, row = message
            try:
                verdict, record = analyse(url, body, charset, row, content=content)
            except Exception as exc:  # extract() never raises; this is a bug, not a page
                conn.send_bytes(pickle.dumps(("failed", task, f"{type(exc).__name__}: {exc}")))
                continue
            if record is not None and writer is not None:
                conn.send_bytes(pickle.dumps(("done", task, verdict, None),
                                             pickle.HIGHEST_PROTOCOL))
                writer.add(task, record)
                if writer.full():
                    _report(conn, writer.flush())
            else:  # nowhere to store it: the record goes back with the verdict
                conn.send_bytes(pickle.dumps(("done", task, verdict, record),
                                             pickle.HIGHEST_PROTOCOL))
    finally:
        if writer is not None:
            _report(conn, writer.flush())
            writer.close()
        conn.close()


def _report(conn: Connection, tasks: list[int]) -> None:
    if tasks:
        with contextlib.suppress(OSError):  # nobody left to tell
            conn.send_bytes(pickle.dumps(("flushed", tasks)))


class _BatchWriter:
    """A worker's pending pages, written one transaction per batch."""

    def __init__(self, target: StoreTarget) -> None:
        from store.session import make_engine, session_factory

        self.target = target
        self.engine = make_engine(target.database_url)
        self.factory = session_factory(self.engine)
        self.tasks: list[int] = []
        self.records: list[PageRecord] = []
        self.bytes = 0

    def add(self, task: int, record: PageRecord) -> None:
        self.tasks.append(task)
        self.records.append(record)
        self.bytes += record.body.size if record.body else 0

    def full(self) -> bool:
        # Bounded by bytes too: the crawl process keeps every uncommitted body (see above).
        return len(self.records) >= self.target.batch_size or self.bytes >= MAX_BATCH_BYTES

    def flush(self) -> list[int]:
        if not self.records:
            return []
        from crawler.pipelines import write_pages

        tasks, records = self.tasks, self.records
        self.tasks, self.records, self.bytes = [], [], 0
        with self.factory() as session, session.begin():
            write_pages(session, self.target.run_id, records, datetime.now(UTC))
        return tasks

    def close(self) -> None:
        self.engine.dispose()


# -- the crawl process's side ------------------------------------------------------------


class WorkerDied(Exception):
    pass


class WorkerFailed(Exception):
    pass


class _Worker:
    """One worker process, its pipe, its sending thread and the pages it has not committed."""

    def __init__(self, index: int, target: StoreTarget | None,
                 context: Any, on_message: Callable[[_Worker, tuple[Any, ...]], None],
                 on_death: Callable[[_Worker], None], content: bool = True) -> None:
        self.index = index
        self.conn, child = context.Pipe(duplex=True)
        self.process = context.Process(target=_worker_main, args=(child, target, content),
                                       name=f"govwatch-extract-{index}", daemon=True)
        self.process.start()
        child.close()
        self.on_message = on_message
        self.on_death = on_death
        self.alive = True
        self.loop: asyncio.AbstractEventLoop | None = None  # reading answers on it
        # task -> (url, body, charset, row): sent, row not None, not yet committed.
        self.unflushed: dict[int, tuple[str, bytes, str | None, dict[str, Any]]] = {}
        self.in_flight: dict[int, asyncio.Future[tuple[Verdict, PageRecord | None]]] = {}
        self.outbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self.sender = threading.Thread(target=self._send_loop, daemon=True,
                                       name=f"govwatch-extract-send-{index}")
        self.sender.start()

    def _send_loop(self) -> None:
        while True:
            data = self.outbox.get()
            if data is None:
                return
            try:
                self.conn.send_bytes(data)
            except OSError:
                return  # the reader sees EOF and handles the death

    def send(self, message: tuple[Any, ...]) -> None:
        self.outbox.put(pickle.dumps(message, pickle.HIGHEST_PROTOCOL))

    def start_reading(self, loop: asyncio.AbstractEventLoop) -> None:
        if self.loop is None:
            self.loop = loop
            loop.add_reader(self.conn.fileno(), self._readable)

    def stop_reading(self) -> None:
        if self.loop is not None:
            self.loop.remove_reader(self.conn.fileno())
            self.loop = None

    def _readable(self) -> None:
        try:
            while self.conn.poll():
                self.on_message(self, pickle.loads(self.conn.recv_bytes()))
        except (EOFError, OSError):
            self.stop_reading()
            self.alive = False
            self.on_death(self)


class Analyser:
    """Analyses pages in `workers` processes, which also store them (0: in this process).

    `analyse_page` returns the verdict and, when the page was analysed in this process, the
    record the caller must store; None when a worker stores it.
    """

    def __init__(self, workers: int, target: StoreTarget | None = None,
                 write: Callable[[Sequence[PageRecord]], None] | None = None,
                 content: bool = True) -> None:
        self.target = target
        self.content = content  # [crawler] content_extraction
        # Writes records synchronously (pages a dead worker had not committed).
        self.write = write
        self.workers: list[_Worker] = []
        self.tasks = itertools.count(1)
        if workers > 0:
            context = multiprocessing.get_context("spawn")
            self.workers = [_Worker(i, target, context, self._on_message, self._on_death,
                                    content) for i in range(workers)]

    def _alive(self) -> list[_Worker]:
        return [w for w in self.workers if w.alive]

    async def analyse_page(self, url: str, body: bytes, charset: str | None,
                           row: dict[str, Any] | None = None
                           ) -> tuple[Verdict, PageRecord | None]:
        # A worker stores only if it has somewhere to store.
        stores = row is not None and self.target is not None
        workers = self._alive()
        if workers:
            worker = min(workers, key=lambda w: len(w.in_flight))
            loop = asyncio.get_running_loop()
            worker.start_reading(loop)
            task = next(self.tasks)
            future: asyncio.Future[tuple[Verdict, PageRecord | None]] = loop.create_future()
            worker.in_flight[task] = future
            if stores:
                assert row is not None
                worker.unflushed[task] = (url, body, charset, row)
            worker.send(("page", task, url, body, charset, row))
            try:
                return await future
            except WorkerDied:
                if stores:  # written with the dead worker's other uncommitted pages
                    return analyse(url, body, charset, content=self.content)[0], None
            except WorkerFailed as exc:
                log.error("%s (%s); analysing it in the crawl process", exc, url)
        return analyse(url, body, charset, row, content=self.content)

    def _on_message(self, worker: _Worker, message: tuple[Any, ...]) -> None:
        kind = message[0]
        if kind == "flushed":
            for task in message[1]:
                worker.unflushed.pop(task, None)
            return
        task = message[1]
        future = worker.in_flight.pop(task, None)
        if kind == "failed":
            worker.unflushed.pop(task, None)  # the worker keeps nothing of a failed page
        if future is None or future.done():
            return
        if kind == "done":
            future.set_result((message[2], message[3]))
        else:
            future.set_exception(WorkerFailed(f"extraction failed in a worker: {message[2]}"))

    def _on_death(self, worker: _Worker) -> None:
        log.warning("extraction worker %d stopped (exit code %s); its pages are analysed in "
                    "the crawl process", worker.index, worker.process.exitcode)
        worker.outbox.put(None)
        self._recover(worker)
        in_flight, worker.in_flight = worker.in_flight, {}
        for future in in_flight.values():
            if not future.done():
                future.set_exception(WorkerDied())

    def _recover(self, worker: _Worker) -> None:
        """Analyse and write the pages a worker took but never reported committed."""
        lost = list(worker.unflushed.values())
        worker.unflushed.clear()
        if lost and self.write is not None:
            self.write([record for url, body, charset, row in lost
                        if (record := analyse(url, body, charset, row,
                                              content=self.content)[1]) is not None])

    def close(self) -> None:
        """Make every worker write what it holds, and wait for it (graceful close)."""
        for worker in self.workers:
            worker.stop_reading()
            if worker.alive:
                worker.send(("stop",))
            worker.outbox.put(None)
        for worker in self.workers:
            worker.sender.join(timeout=60)
            # Read the last answers (the "flushed" reports) until the worker closes its end.
            while worker.alive:
                try:
                    if not worker.conn.poll(60):
                        break
                    self._on_message(worker, pickle.loads(worker.conn.recv_bytes()))
                except (EOFError, OSError):
                    worker.alive = False
            worker.process.join(timeout=60)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            self._recover(worker)
            worker.conn.close()
        self.workers = []


def worker_pids(analyser: Analyser) -> list[int]:
    """The worker processes' ids (tests kill them)."""
    return [w.process.pid for w in analyser.workers if w.process.pid is not None]

