"""Link results shared by every crawl process on the database (`crawler.link_share_hours`).

Within one crawl process every URL is requested once (SiteSpider.seen). Across processes (the
groups of `govwatch crawl --jobs N`, the scheduler's one process per site, workers on other
machines) the database is the shared memory (store.shared_links): before verifying a link
target that is not one of its own sites' URLs, a crawl
- reuses a fresh result another crawl published (stored as its own run's link result, so the
  check pass reads it like any other: a result from another site's crawl is still the truth
  about that URL);
- or claims the target, checks it, and publishes the result (crawler.pipelines);
- or, when another crawl holds a fresh claim, waits for its result, looking again every
  `crawler.link_share_poll` seconds for all the URLs it waits for at once, and checks the
  target itself when that claim goes stale (its claimant died: at once when it was a process
  of this machine, else after `crawler.link_claim_timeout`),
  or after MAX_WAIT_CLAIMS claim timeouts of waiting in any case.

Lookups are batched: the targets of every page that finishes while a batch is at the database
go together in the next one (one transaction, a few statements). The statements run in one
thread of their own, never in the reactor's.

Politeness across processes: each claimed target reserves a slot on its host
(store.shared_links.reserve, `crawler.link_host_interval` apart for all crawls together), and
its request is handed to Scrapy no earlier than that slot. The first request of a check and
each redirect hop it claims reserve a slot (not its GET fallback or retries).

Redirect hops (`hop`). A link check follows its redirects itself, so that its result carries
the whole chain and loops are named (crawler.spiders.site). A hop to a URL of another host
than the crawl's own sites, requested with HEAD, is claimed like any target before it is
requested, one URL per database round (hops are few next to links):
- claimed by this crawl: the chain goes on with that request (after the host's slot), and
  the hop's verdict is published with the chain's (as the rest of the chain from there);
- a fresh result published by another crawl: the hop is not requested; the spider composes
  the chain's verdict from that result, applying its own loop and length rules to the joined
  chain, so the verdict is the one following the chain here would give;
- held by another crawl: the chain waits (in its callback, looking again every
  `link_share_poll` seconds) for that result, as long as the crawl runs and at most
  MAX_WAIT_CLAIMS claim timeouts, then requests the hop itself. A chain holds claims while
  it waits (its origin, its earlier hops), so two chains could wait on each other for ever
  (l1 -> l2 -> l1 linked as l1 by one crawl and as l2 by another): a chain waits only for a
  hop whose URL sorts after every URL of the chain before it. A cycle of waits would need
  those URLs to increase all the way round, so none can form; a chain that may not wait
  requests the hop itself (the one case where a hop is requested twice: two crawls reaching
  it at the same moment from chains that sort the other way).
Hops requested with GET (after a 303, in a GET fallback or an attachment's read) are not
shared: a hop's verdict depends on its method (a GET also reads the body: soft 404s), and
the shared results are those of HEAD-first checks, so sharing them would change verdicts.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from sqlalchemy.orm import Session, sessionmaker

from core.settings import CrawlerSettings
from store import shared_links as sl

log = logging.getLogger(__name__)

# A slot this close (seconds) counts as now.
SLOT_SLACK = 0.005
# A target another crawl holds (and keeps renewing) is waited for at most this many claim
# timeouts; then this crawl checks it too, rather than wait on a claimant stuck behind a
# slow host.
MAX_WAIT_CLAIMS = 5


def host_of(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()[:255]
    except ValueError:
        return ""


def _logged(future: asyncio.Future[Any]) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.error("renewing shared link claims failed: %s", future.exception())


@dataclass(slots=True)
class _Outcome:
    """What one database round found (computed in the thread, applied in the reactor)."""

    claims: sl.Claims
    slots: dict[str, float] = field(default_factory=dict)  # host -> first slot reserved


class LinkShare:
    """The crawl process's side of the shared link results. `schedule` hands a request to
    Scrapy from outside a callback; `reused(url, result)` tells the spider about a result
    another crawl published (it returns requests the spider wants made because of it, e.g.
    the target of a redirect); `shareable(request)` says whether a request goes through
    here (link checks of targets that are not the process's own sites' URLs)."""

    def __init__(self, factory: sessionmaker[Session], run_id: int, gw: CrawlerSettings,
                 schedule: Callable[[Request], None],
                 reused: Callable[[str, dict[str, Any]], Iterable[Request]],
                 shareable: Callable[[Request], bool],
                 stopping: Callable[[], bool] = lambda: False) -> None:
        self.factory = factory
        self.run_id = run_id
        self.me = sl.claimant(run_id)
        self.ttl = gw.link_share_hours * 3600.0
        self.claim_timeout = gw.link_claim_timeout
        self.poll = gw.link_share_poll
        self.interval = gw.link_host_interval
        self.schedule = schedule
        self.reused = reused
        self.shareable = shareable
        self.stopping = stopping  # the crawl is stopping: hops stop waiting
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="govwatch-share")
        self.batch: list[tuple[list[Request], asyncio.Future[list[Request]]]] = []
        self.waiting: dict[str, Request] = {}
        self.waiting_since: dict[str, float] = {}  # monotonic time the wait began
        self.in_flight = False  # a lookup is at the database
        self.delayed = 0  # requests held until their host slot
        self.timers: set[asyncio.TimerHandle] = set()
        self.poll_due = False
        self.poll_timer: asyncio.TimerHandle | None = None
        self.renew_timer: asyncio.TimerHandle | None = None
        self.closed = False
        # Counted for the run's stats.
        self.hops_claimed = 0  # redirect hops claimed and requested here
        self.reused_count = 0
        self.waited_count = 0
        self.taken_over = 0

    # -- database work (in the share thread) ---------------------------------------------

    def _round(self, urls: Sequence[str], host_of_url: dict[str, str]) -> _Outcome:
        now = time.time()
        with self.factory() as session, session.begin():
            claims = sl.claim(session, urls, me=self.me, now=now, ttl=self.ttl,
                              claim_timeout=self.claim_timeout)
            if claims.fresh:
                sl.copy_results(session, self.run_id, claims.fresh)
            slots: dict[str, float] = {}
            if claims.mine and self.interval > 0:
                counts: dict[str, int] = {}
                for url in claims.mine:
                    host = host_of_url.get(url, "")
                    if host:
                        counts[host] = counts.get(host, 0) + 1
                slots = sl.reserve(session, counts, self.interval, now)
        return _Outcome(claims, slots)

    def _renew(self) -> None:
        with self.factory() as session, session.begin():
            sl.renew(session, self.me, time.time())

    def claim_pages(self, urls: Sequence[str]) -> None:
        """Claim pages this process fetches anyway (its sites' home pages), synchronously;
        drop the results nobody can reuse any more (older than the TTL, unclaimed)."""
        with self.factory() as session, session.begin():
            sl.expire(session, time.time() - self.ttl)
            sl.claim_always(session, sorted({u[:2048] for u in urls}), me=self.me,
                            now=time.time())

    def close(self) -> None:
        """Stop: cancel what waits, give up the claims still held (others take them now)."""
        self.closed = True
        for timer in self.timers:
            timer.cancel()
        for handle in (self.poll_timer, self.renew_timer):
            if handle is not None:
                handle.cancel()
        for _requests, future in self.batch:
            if not future.done():
                future.set_result([])
        self.executor.shutdown(wait=True)
        try:
            with self.factory() as session, session.begin():
                sl.release(session, self.me)
        except Exception:  # the run is ending; stale claims expire by themselves
            log.exception("releasing shared link claims failed")

    # -- reactor side --------------------------------------------------------------------

    def start(self) -> None:
        """Renew this process's claims every quarter of the claim timeout, as long as it
        runs, so that a check queued behind a slow host is not taken for abandoned."""
        loop = asyncio.get_running_loop()
        period = self.claim_timeout / 4

        def tick() -> None:
            if self.closed:
                return
            loop.run_in_executor(self.executor, self._renew).add_done_callback(_logged)
            self.renew_timer = loop.call_later(period, tick)

        self.renew_timer = loop.call_later(period, tick)

    def busy(self) -> bool:
        """Work still pending here (the spider must not close yet)."""
        return bool(self.batch or self.waiting or self.in_flight or self.delayed)

    async def resolve(self, requests: list[Request]) -> list[Request]:
        """Of these link checks, those to send now; the broker takes care of the others
        (reused results stored, waits, requests held until their host's slot)."""
        if not requests or self.closed:
            return requests
        future: asyncio.Future[list[Request]] = asyncio.get_running_loop().create_future()
        self.batch.append((requests, future))
        self._kick()
        return await future

    async def hop(self, request: Request, before: Sequence[str]
                  ) -> tuple[str, dict[str, Any] | None]:
        """A redirect hop of a chain whose URLs before it are `before` (see the module
        docstring): ("mine", None) when this crawl requests it (its host slot, if claimed
        here, has come), ("fresh", result) with another crawl's result, ("stopped", None)
        when the crawl stops while waiting for it."""
        url = request.url[:2048]
        may_wait = all(url > held[:2048] for held in before)
        host = host_of(url)
        loop = asyncio.get_running_loop()
        started = time.monotonic()
        waited = False
        while True:
            if self.closed or self.stopping():
                return "stopped", None
            try:
                outcome = await loop.run_in_executor(self.executor, self._round, [url],
                                                     {url: host})
            except RuntimeError:  # the executor is shut down: the crawl is closing
                return "stopped", None
            except Exception:
                log.exception("shared link lookup of a redirect hop failed; requesting it")
                return "mine", None
            claims = outcome.claims
            if url in claims.fresh:
                self.reused_count += 1
                return "fresh", claims.fresh[url][0]
            if url in claims.mine:
                self.hops_claimed += 1
                slot = outcome.slots.get(host)
                if slot is not None and slot - time.time() > SLOT_SLACK:
                    await asyncio.sleep(slot - time.time())
                return "mine", None
            if not may_wait:
                return "mine", None  # waiting could close a cycle of waits: request it here
            if not waited:
                waited = True
                self.waited_count += 1
            if time.monotonic() - started > MAX_WAIT_CLAIMS * self.claim_timeout:
                return "mine", None  # waited long enough: request it here
            await asyncio.sleep(self.poll)

    def submit(self, requests: Iterable[Request]) -> None:
        """Like `resolve`, from outside a spider callback: what is to be sent goes to
        Scrapy through `schedule`."""
        direct: list[Request] = []
        shared: list[Request] = []
        for request in requests:
            (shared if self.shareable(request) else direct).append(request)
        for request in direct:
            self.schedule(request)
        if not shared or self.closed:
            for request in shared:
                self.schedule(request)
            return
        future: asyncio.Future[list[Request]] = asyncio.get_running_loop().create_future()
        future.add_done_callback(
            lambda f: [self.schedule(r) for r in f.result()] if not f.cancelled() else None)
        self.batch.append((shared, future))
        self._kick()

    def _kick(self) -> None:
        if self.in_flight or self.closed:
            return
        batch, self.batch = self.batch, []
        polled = list(self.waiting) if self.poll_due else []
        self.poll_due = False
        if not batch and not polled:
            return
        by_url: dict[str, Request] = {}
        for requests, _future in batch:
            for request in requests:
                by_url.setdefault(request.url[:2048], request)
        urls = list(dict.fromkeys([*by_url, *polled]))
        hosts = {url: host_of(url) for url in urls}
        self.in_flight = True
        loop = asyncio.get_running_loop()
        job = loop.run_in_executor(self.executor, self._round, urls, hosts)
        job.add_done_callback(lambda f: self._done(f, batch, by_url))

    def _done(self, job: asyncio.Future[_Outcome],
              batch: list[tuple[list[Request], asyncio.Future[list[Request]]]],
              by_url: dict[str, Request]) -> None:
        self.in_flight = False
        if self.closed:
            return
        try:
            outcome = job.result()
        except Exception:
            # The database failed us: check these ourselves rather than lose them.
            log.exception("shared link lookup failed; checking the targets here")
            for requests, future in batch:
                if not future.done():
                    future.set_result(requests)
            for url in list(self.waiting):
                self.schedule(self.waiting.pop(url))
            self._kick()
            return
        claims = outcome.claims
        now = time.time()
        send_now: set[str] = set()
        next_slot = dict(outcome.slots)
        loop = asyncio.get_running_loop()
        for url in claims.mine:
            request = by_url.get(url) or self.waiting.pop(url, None)
            if request is None:
                continue
            if url not in by_url:
                self.taken_over += 1  # a claim of a crawl that died, or was released
            host = host_of(url)
            slot = next_slot.get(host)
            if slot is not None:
                next_slot[host] = slot + self.interval
            if slot is None or slot - now <= SLOT_SLACK:
                if url in by_url:
                    send_now.add(url)
                else:
                    self.schedule(request)
                continue
            self._hold(loop, request, slot - now)
        follow: list[Request] = []
        for url, (result, _at) in claims.fresh.items():
            self.reused_count += 1
            self.waiting.pop(url, None)
            follow.extend(self.reused(url, result))
        started = time.monotonic()
        for url in claims.waiting:
            if url in by_url and url not in self.waiting:
                self.waited_count += 1
                self.waiting[url] = by_url[url]
                self.waiting_since[url] = started
            elif started - self.waiting_since.get(url, started) > (
                    MAX_WAIT_CLAIMS * self.claim_timeout):
                self.schedule(self.waiting.pop(url))  # waited long enough: check it here
        for url in list(self.waiting_since):
            if url not in self.waiting:
                del self.waiting_since[url]
        for requests, future in batch:
            if not future.done():
                future.set_result([r for r in requests if r.url[:2048] in send_now])
        if follow:
            self.submit(follow)
        if self.waiting and self.poll_timer is None:
            self.poll_timer = loop.call_later(self.poll, self._poll)
        self._kick()

    def _hold(self, loop: asyncio.AbstractEventLoop, request: Request, delay: float) -> None:
        """Hand `request` to Scrapy once its host slot comes."""
        self.delayed += 1

        def due() -> None:
            self.timers.discard(timer)
            self.delayed -= 1
            if not self.closed:
                self.schedule(request)

        timer = loop.call_later(delay, due)
        self.timers.add(timer)

    def _poll(self) -> None:
        self.poll_timer = None
        if self.closed or not self.waiting:
            return
        self.poll_due = True
        self._kick()
        if self.poll_due and self.poll_timer is None:  # a lookup was in flight: try again
            self.poll_timer = asyncio.get_running_loop().call_later(self.poll, self._poll)
