"""The one generic spider: crawls registered sites and verifies every link they hold.

Parameterised by registry entries (`SiteEntry`), it
- asks each host first for a URL that cannot exist, to learn its "not found" answer (a host
  that answers 200 there serves soft-404s, recognised later by likeness);
- crawls each site's own pages (same host(s), depth and page limits from the registry) with
  GET, conditional on the previous crawl's ETag / Last-Modified;
- verifies every other link target (resources, attachments, other sites, pages beyond the
  limits) with HEAD, falling back to GET where HEAD is refused or unreliable;
- requests every URL at most once per crawl, however many pages or sites link to it, and,
  with `crawler.link_share_hours`, link targets other than its own sites' URLs at most once
  per period across every crawl process on the database (crawler.sharing);
- follows redirects itself, so each result carries its whole redirect chain and loops are
  named as such;
- verifies the attachments (PDF, Word, Excel) of a site's own pages with a GET capped at
  `crawler.attachment_max_bytes` instead of HEAD, and reads their text in a thread
  (crawler.attachments) for content.privacy-leak; one over the cap is verified by HEAD.

Scrapy's own redirect handling and duplicate filter are off for this reason; retries of
transient failures stay with Scrapy's RetryMiddleware, Retry-After with
crawler.middlewares.RetryAfterMiddleware.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from sqlalchemy import select
from twisted.python.failure import Failure

from core.settings import CrawlerSettings
from core.site import SiteEntry
from crawler import extract
from crawler.attachments import read_attachment
from crawler.egress import policy_of, refusal_for
from crawler.egress_policy import EgressPolicy, EgressRefused
from crawler.errors import ERROR_KINDS
from crawler.items import AttachmentItem, PageItem, ResultItem
from crawler.pipelines import page_record, write_pages
from crawler.pool import Analyser, StoreTarget, Verdict
from crawler.records import PageRecord
from crawler.sharing import LinkShare
from crawler.spam import stylesheet_facts
from store import models as m

log = logging.getLogger(__name__)

PAGE_KINDS = frozenset({"a", "area", "frame", "iframe"})
HTML_TYPES = ("text/html", "application/xhtml+xml")
# Path shapes that only crawler traps produce: endless calendars, repeated segments.
MAX_URL_LENGTH = 1024
MAX_QUERY_PARAMS = 8
# Pages named in the run's record of the per-page link cap (the rest are counted).
MAX_CAPPED_PAGES_LISTED = 20
# GET fallbacks of link checks read at most this much (enough to recognise a 404 page).
CHECK_GET_MAXSIZE = 1024 * 1024


# Error kinds whose text ends with the redirect chain (SiteSpider._follow_redirect).
CHAIN_ERRORS = frozenset({"bad_redirect", "redirect_loop", "too_many_redirects",
                          "private_address"})


@dataclass(slots=True)
class _Hop:
    """A redirect hop to claim before requesting it (SiteSpider._shared_hop); `status`: the
    answer that redirected to it."""

    request: Request
    status: int


@dataclass(slots=True)
class HostProbe:
    status: int | None = None
    digest: str = ""
    length: int = 0


@dataclass(slots=True)
class SiteState:
    entry: SiteEntry
    max_pages: int
    max_depth: int
    scheduled: int = 0
    attachments: int = 0  # attachments scheduled for reading (crawler.attachment_max_bytes)
    probes_pending: int = 0
    # Link checks: at most check_cap per site, per_page distinct new targets per page.
    check_cap: int = 0
    per_page: int = 0
    checks: int = 0
    skipped: int = 0  # targets left unverified by the site cap
    pages_capped: int = 0
    page_skipped: int = 0  # targets left unverified by the page cap
    capped_pages: list[str] = field(default_factory=list)  # the first few
    # url -> (etag, last_modified, body sha256) of the previous crawl, for conditional GETs.
    previous: dict[str, tuple[str | None, str | None, str | None]] = field(default_factory=dict)


@dataclass(slots=True)
class Counters:
    pages: int = 0
    checks: int = 0
    errors: int = 0
    # Requests the egress policy refused (crawler.egress_policy), bodies over the size limit.
    refused: int = 0
    too_large: int = 0
    # Link results taken from other crawls (crawler.sharing), targets waited for.
    shared: int = 0
    waited: int = 0
    started: float = field(default_factory=time.monotonic)


def _hop_result(hop: str, origin: str, chain: list[str], common: dict[str, Any]
                ) -> ResultItem:
    """The verdict on redirect hop `hop` of the chain origin -> *chain: the rest of the
    chain from there, and an error about the chain told from the hop (other crawls take it
    as the hop's own result: crawler.sharing). A loop closes, from a hop inside it, at the
    hop itself."""
    rest = chain[chain.index(hop) + 1:]
    kind, error = common["error_kind"], common["error"]
    fields = dict(common)
    if kind == "redirect_loop" and chain:
        seq = [origin, *chain[:-1]]  # every URL requested, in order
        start, at = seq.index(chain[-1]), seq.index(hop)
        if at >= start:  # the hop is inside the loop: round it back to the hop
            rest = seq[at + 1:] + seq[start:at + 1]
            fields["final_url"] = hop
    if kind in CHAIN_ERRORS and error:
        suffix = " -> ".join([origin, *chain])
        if error.endswith(suffix):
            fields["error"] = error[:-len(suffix)] + " -> ".join([hop, *rest])
    return ResultItem(url=hop, redirects=rest, **fields)


def error_kind(failure: Failure) -> tuple[str, str]:
    """Map a download failure to (error kind, detail)."""
    exc = failure.value
    request = getattr(failure, "request", None)
    refused = exc if isinstance(exc, EgressRefused) else (
        refusal_for(request.url) if request is not None else None)
    if refused is not None:
        return "private_address", f"{ERROR_KINDS['private_address']}: {refused}"[:500]
    name = type(exc).__name__
    text = f"{name}: {exc}".strip()
    lowered = text.lower()
    table = (
        (("timeout", "timedout", "timed out"), "timeout"),
        (("cannotresolve", "dnslookup", "dns", "nodename", "name or service"), "dns"),
        (("refused",), "refused"),
        (("ssl", "tls", "certificate"), "tls"),
        (("cancel", "larger than download max size", "exceeded download", "max size",
          "decompress"), "too_large"),
        (("ignorerequest", "forbidden by robots"), "robots"),
        (("connectionlost", "connectiondone", "responsefailed", "dataloss", "reset",
          "responseneverreceived", "downloadfailed", "aborted"), "connection"),
        (("unsupportedurlscheme", "invalid url", "valueerror"), "invalid_url"),
    )
    for needles, kind in table:
        if any(n in lowered for n in needles):
            return kind, text[:500]
    return "other", text[:500]


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _is_html(response: Response) -> bool:
    ctype = (_header(response, "Content-Type") or "").split(";")[0].strip().lower()
    return not ctype or ctype in HTML_TYPES


def _charset(response: Response) -> str | None:
    ctype = _header(response, "Content-Type") or ""
    for part in ctype.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip("\"'")
    return None


def referer_headers(source: str | None, target: str) -> dict[str, str]:
    """Referer for a request to `target` found on page `source`: sent unless it would leak
    an https page to plain http (no-referrer-when-downgrade, what browsers and Scrapy's
    default policy do). Some sites refuse images and attachments requested without one."""
    if not source or (source.startswith("https:") and not target.startswith("https:")):
        return {}
    return {"Referer": source}


def is_stylesheet(url: str) -> bool:
    try:
        return urlsplit(url).path.lower().endswith(".css")
    except ValueError:
        return False


def looks_like_trap(url: str) -> bool:
    if len(url) > MAX_URL_LENGTH:
        return True
    parts = urlsplit(url)
    if parts.query.count("&") + 1 > MAX_QUERY_PARAMS:
        return True
    segments = [s for s in parts.path.split("/") if s]
    # the same segment three or more times (/a/b/a/b/a/...) is a relative-link loop
    return any(segments.count(s) >= 3 for s in set(segments))


class SiteSpider(Spider):
    name = "site"

    def __init__(
        self,
        sites: list[SiteEntry],
        gw: CrawlerSettings,
        previous: dict[str, dict[str, tuple[str | None, str | None, str | None]]] | None = None,
        max_pages: int | None = None,
        body_loader: Any = None,
        session_factory: Any = None,
        run_id: int = 0,
        database_url: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        # Read by crawler.pipelines.StorePipeline.
        self.session_factory = session_factory
        self.run_id = run_id
        self.gw = gw
        self.sites: dict[str, SiteState] = {}
        self.host_site: dict[str, str] = {}
        for entry in sites:
            pages = entry.crawl.max_pages if max_pages is None else max_pages
            state = SiteState(
                entry=entry,
                max_pages=pages,
                max_depth=entry.crawl.max_depth,
                previous=(previous or {}).get(entry.id, {}),
                check_cap=gw.link_check_factor * max(pages, 1),
                per_page=gw.max_links_per_page,
            )
            self.sites[entry.id] = state
            for host in entry.all_hosts:
                self.host_site.setdefault(host, entry.id)
        self.probes: dict[str, HostProbe] = {}
        # Claimed up front: home pages are fetched as pages once their host's probe answers,
        # so links to them from other sites must not verify them separately meanwhile.
        self.seen: set[str] = {entry.url for entry in sites}
        self.counters = Counters()
        self._egress: EgressPolicy | None = None
        # Loads a stored body by sha256 (for 304 answers); supplied by crawler.run.
        self.body_loader = body_loader
        # Decoding, extraction and storing of fetched pages, in worker processes
        # (crawler.pool), which write to the run's database when it is given.
        target = (StoreTarget(database_url, run_id, gw.batch_size)
                  if database_url and session_factory is not None else None)
        self.analyser = Analyser(gw.extract_workers, target, write=self._write_records,
                                 content=gw.content_extraction)
        # Link results shared with the other crawl processes on the database.
        self.share: LinkShare | None = None
        if gw.link_share_hours > 0 and session_factory is not None:
            self.share = LinkShare(session_factory, run_id, gw, schedule=self._schedule,
                                   reused=self._reused, shareable=self._shareable,
                                   stopping=self._stopping)

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> SiteSpider:
        spider: SiteSpider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._idle, signal=signals.spider_idle)
        return spider

    def _idle(self) -> None:
        """Not done while shared link checks wait for another crawl or a host slot."""
        if self.share is not None and self.share.busy():
            raise DontCloseSpider

    def _stopping(self) -> bool:
        """The crawl is stopping (SIGTERM): a hop waiting for another crawl gives up."""
        engine = getattr(getattr(self, "crawler", None), "engine", None)
        return engine is not None and not engine.running

    def _schedule(self, request: Request) -> None:
        self.crawler.engine.crawl(request)

    def _shareable(self, request: Request) -> bool:
        """Link checks of targets that are not this crawl's own sites' URLs (those are
        always checked here, so that a fix shows at the site's next crawl)."""
        meta = request.meta
        return (meta.get("gw") == "check" and "gw_read" not in meta
                and "gw_fallback" not in meta and self._owner(request.url) is None)

    def _reused(self, url: str, result: dict[str, Any]) -> list[Request]:
        """Another crawl's result for `url` was stored as this run's. A redirect it did not
        follow (its target was verified by a request of its own) needs that target's
        result too (store.snapshot joins the two): verify it, unless already done here."""
        self.counters.shared += 1
        status, target = result.get("status"), result.get("final_url")
        if (status is None or not 300 <= status < 400 or not target
                or target in self.seen):
            return []
        self.seen.add(target)
        return [self._check_request(target, "HEAD")]

    @property
    def egress(self) -> EgressPolicy:
        """The run's egress policy (crawler.egress.policy_of), read once."""
        if self._egress is None:
            self._egress = policy_of(self.crawler.settings)
        return self._egress

    def _write_records(self, records: Sequence[PageRecord]) -> None:
        """Store pages now: those a dead extraction worker had not reported committed. A
        worker that died between its commit and its report did store them: skip those."""
        with self.session_factory() as session, session.begin():
            urls = [r.row["url"][:2048] for r in records]  # as write_pages stores them
            done = set(session.scalars(select(m.Page.url).where(
                m.Page.crawl_run_id == self.run_id, m.Page.url.in_(urls))))
            write_pages(session, self.run_id,
                        [r for r, url in zip(records, urls, strict=True) if url not in done],
                        datetime.now(UTC))

    def closed(self, reason: str) -> None:
        if self.share is not None:
            self.counters.waited = self.share.waited_count
            self.share.close()
        self.analyser.close()

    # -- start ---------------------------------------------------------------------------

    async def start(self) -> Any:  # Scrapy >= 2.13
        for request in self._start_requests():
            yield request

    def start_requests(self) -> Iterator[Request]:  # older Scrapy
        yield from self._start_requests()

    def _start_requests(self) -> Iterator[Request]:
        if self.share is not None:
            # Other crawls linking to these wait for this crawl's fetch of them.
            self.share.claim_pages([state.entry.url for state in self.sites.values()])
            self.share.start()
        for state in self.sites.values():
            entry = state.entry
            if not self.gw.soft404_probe:
                yield from self._home(state)
                continue
            for host in entry.all_hosts[:1]:
                state.probes_pending += 1
                token = hashlib.sha1(f"{entry.id}:{host}".encode()).hexdigest()[:12]
                home = urlsplit(entry.url)
                netloc = f"{host}:{home.port}" if home.port else host
                if ":" in host:  # an IPv6 literal
                    netloc = f"[{host}]:{home.port}" if home.port else f"[{host}]"
                url = f"{home.scheme}://{netloc}/govwatch-{token}-not-found.html"
                yield Request(
                    url,
                    callback=self.on_probe,
                    errback=self.on_probe_error,
                    priority=100,
                    dont_filter=True,
                    meta={"gw_site": entry.id, "gw_host": host, "dont_redirect": True,
                          "handle_httpstatus_all": True, "dont_retry": True},
                )

    def _home(self, state: SiteState) -> Iterator[Request]:
        url = state.entry.url
        state.scheduled += 1
        yield self._page_request(state, url, depth=0)

    def on_probe(self, response: Response) -> Iterator[Request]:
        probe = HostProbe(status=response.status)
        if response.status == 200 and _is_html(response) and response.body:
            text, _ = extract.decode_html(response.body, _charset(response))
            facts = extract.extract(response.url, text)
            probe.digest, probe.length = facts.text_digest, facts.text_length
        self.probes[response.meta["gw_host"]] = probe
        yield from self._probe_done(response.meta["gw_site"])

    def on_probe_error(self, failure: Failure) -> Iterator[Request]:
        request = failure.request  # type: ignore[attr-defined]
        self.probes[request.meta["gw_host"]] = HostProbe()
        yield from self._probe_done(request.meta["gw_site"])

    def _probe_done(self, site_id: str) -> Iterator[Request]:
        state = self.sites[site_id]
        state.probes_pending -= 1
        if state.probes_pending == 0:
            yield from self._home(state)

    # -- requests ------------------------------------------------------------------------

    def _page_request(self, state: SiteState, url: str, depth: int,
                      parent: str | None = None) -> Request:
        headers = referer_headers(parent, url)
        previous = state.previous.get(url)
        if previous is not None and previous[2] and self.body_loader is not None:
            etag, last_modified, _ = previous
            if etag:
                headers["If-None-Match"] = etag
            if last_modified:
                headers["If-Modified-Since"] = last_modified
        return Request(
            url,
            headers=headers,
            callback=self.on_response,
            errback=self.on_error,
            priority=-depth,
            dont_filter=True,
            meta={"gw": "page", "gw_site": state.entry.id, "gw_depth": depth,
                  "gw_origin": url, "gw_chain": [], "gw_start": time.monotonic(),
                  "gw_parent": parent,
                  "dont_redirect": True, "handle_httpstatus_all": True},
        )

    def _check_request(self, url: str, method: str, meta: dict[str, Any] | None = None,
                       referer: str | None = None) -> Request:
        base: dict[str, Any] = {
            "gw": "check", "gw_origin": url, "gw_chain": [], "gw_method": method,
            "gw_referer": referer, "gw_start": time.monotonic(), "dont_redirect": True,
            "handle_httpstatus_all": True, "dont_obey_robotstxt": True,
        }
        if method == "GET":
            base["download_maxsize"] = min(CHECK_GET_MAXSIZE, self.gw.max_body_bytes)
        base.update(meta or {})
        return Request(url, method=method, callback=self.on_response, errback=self.on_error,
                       priority=-20, dont_filter=True, meta=base,
                       headers=referer_headers(referer, url))

    def _owner(self, url: str) -> str | None:
        return self.host_site.get((urlsplit(url).hostname or "").lower())

    def _schedule_links(self, state: SiteState, verdict: Verdict, depth: int,
                        page_url: str) -> Iterator[Request]:
        """Requests for the page's links not requested yet: pages of the site within its
        limits, link checks of the rest. Bounded: at most `per_page` distinct new targets
        from one page, `check_cap` link checks per site; what the caps leave out is counted
        (crawl_runs.stats "link_caps", the links.check-cap notice) and never reported dead."""
        seen, site_id = self.seen, state.entry.id
        taken: set[str] = set()  # this page's distinct new targets
        links = verdict.links
        for index, (url, kind) in enumerate(links):
            if url in seen or url in taken:
                continue
            if len(taken) >= state.per_page:
                rest = {u for u, _k in links[index:] if u not in seen and u not in taken}
                state.pages_capped += 1
                state.page_skipped += len(rest)
                if len(state.capped_pages) < MAX_CAPPED_PAGES_LISTED:
                    state.capped_pages.append(page_url)
                return
            taken.add(url)
            internal = self._owner(url) == site_id
            if (
                internal
                and kind in PAGE_KINDS
                and depth + 1 <= state.max_depth
                and state.scheduled < state.max_pages
                and not looks_like_trap(url)
            ):
                seen.add(url)
                state.scheduled += 1
                yield self._page_request(state, url, depth + 1, parent=page_url)
            elif internal and kind == "link" and is_stylesheet(url) and (
                state.scheduled < state.max_pages
            ):
                # The site's own stylesheets are fetched (not only verified): their hiding
                # rules are what content.spam-injected applies to a page's blocks.
                seen.add(url)
                state.scheduled += 1
                yield self._page_request(state, url, depth + 1, parent=page_url)
            elif state.checks < state.check_cap:
                seen.add(url)
                state.checks += 1
                if (internal and kind == "attachment" and self.gw.attachment_max_bytes > 0
                        and state.attachments < self.gw.attachments_per_site):
                    # Verified with the GET that reads it: still one request per URL.
                    state.attachments += 1
                    yield self._check_request(url, "GET", {
                        "gw_read": (site_id, page_url),
                        "download_maxsize": self.gw.attachment_max_bytes,
                    }, referer=page_url)
                else:
                    yield self._check_request(url, "HEAD", referer=page_url)
            else:
                state.skipped += 1

    def link_caps(self) -> dict[str, dict[str, Any]]:
        """Per site whose link checks a cap cut: the caps and what they left out."""
        return {
            site_id: {"site_cap": st.check_cap, "per_page": st.per_page, "checks": st.checks,
                      "skipped": st.skipped, "pages_capped": st.pages_capped,
                      "page_skipped": st.page_skipped, "pages": st.capped_pages}
            for site_id, st in self.sites.items() if st.skipped or st.pages_capped
        }

    # -- responses -----------------------------------------------------------------------

    async def on_response(self, response: Response) -> AsyncIterator[Any]:
        meta = response.meta
        status = response.status
        if 300 <= status < 400 and status != 304 and response.headers.get("Location"):
            for out in self._follow_redirect(response):
                if isinstance(out, _Hop):
                    async for shared in self._shared_hop(out):
                        yield shared
                else:
                    yield out
            return
        if meta["gw"] == "check":
            method = meta["gw_method"]
            if method == "HEAD" and status in self.gw.head_fallback_statuses:
                self._forget_hops(meta)
                yield self._check_request(meta["gw_origin"], "GET", {"gw_fallback": status},
                                          referer=meta.get("gw_referer"))
                return
            soft404 = False
            if method == "GET" and status == 200 and _is_html(response) and response.body:
                verdict, _ = await self.analyser.analyse_page(response.url, response.body,
                                                              _charset(response))
                soft404 = verdict.says_not_found
            for out in self._results(meta, status=status, final_url=response.url,
                                     soft404=soft404):
                yield out
            if (method == "GET" and status == 200 and "gw_read" in meta and response.body
                    and not _is_html(response)):
                yield await self._read_attachment(response)
            return
        async for out in self._page_done(response):
            yield out

    def _follow_redirect(self, response: Response) -> Iterator[Any]:
        meta = response.meta
        location = (response.headers.get("Location") or b"").decode("latin-1").strip()
        target = urljoin(response.url, location).split("#", 1)[0]
        chain = [*meta["gw_chain"], target]
        visited = {meta["gw_origin"], *meta["gw_chain"]}
        kind = None
        detail = ""
        if urlsplit(target).scheme not in ("http", "https"):
            kind = "bad_redirect"
        elif target in visited:
            kind = "redirect_loop"
        elif len(chain) > self.gw.max_redirects:
            kind = "too_many_redirects"
        else:
            try:  # a hop to a forbidden address: recorded, never requested (nor its robots)
                self.egress.check_url(target)
            except EgressRefused as refused:
                kind, detail = "private_address", f"{ERROR_KINDS['private_address']}: {refused}"
                self.counters.refused += 1
        if kind is not None:
            detail = f"{detail or ERROR_KINDS[kind]}: {' -> '.join([meta['gw_origin'], *chain])}"
            yield from self._results(meta, status=None, final_url=target, error_kind=kind,
                               error=detail, chain=chain)
            if meta["gw"] == "page":
                yield self._page_item(meta, status=None, error_kind=kind, error=detail,
                                      final_url=target)
            return
        if target in self.seen:
            # Another request verifies the target: stop here; checks.snapshot joins this
            # 3xx result with the target's own, so the target is requested only once.
            yield from self._results(meta, status=response.status, final_url=target,
                                     chain=chain)
            if meta["gw"] == "page":
                yield self._page_item(meta, status=response.status, final_url=target)
            return
        self.seen.add(target)
        method = meta.get("gw_method", "GET")
        if response.status == 303:
            method = "GET"
        # The hop keeps the original request's Referer, as browsers do.
        referer = response.request.headers.get("Referer") if response.request else None
        hop = self._hop_request(meta, target, method, chain,
                                referer.decode("latin-1") if referer else None,
                                response.request.priority if response.request else 0)
        if self._hop_shared(hop):
            yield _Hop(hop, response.status)
        else:
            yield hop

    def _forget_hops(self, meta: dict[str, Any]) -> None:
        """A check starts again from its origin (a GET fallback): the hops its first attempt
        reached, for which it would have given the verdicts, are followed again, else the
        new attempt would stop at them (seen) and nobody would give those verdicts."""
        for hop in meta.get("gw_claimed", []):
            self.seen.discard(hop)

    def _hop_request(self, meta: dict[str, Any], target: str, method: str, chain: list[str],
                     referer: str | None, priority: int) -> Request:
        """The request of redirect hop `target` of the chain `meta` follows."""
        new_meta = {k: v for k, v in meta.items() if k.startswith("gw") or k in (
            "dont_redirect", "handle_httpstatus_all", "dont_obey_robotstxt", "download_maxsize")}
        new_meta["gw_chain"] = chain
        new_meta["gw_claimed"] = [*meta.get("gw_claimed", []), target]
        if meta["gw"] == "check":
            new_meta["gw_method"] = method
        return Request(target, method=method, meta=new_meta, callback=self.on_response,
                       errback=self.on_error, priority=priority, dont_filter=True,
                       headers=referer_headers(referer, target))

    def _hop_shared(self, request: Request) -> bool:
        """A hop claimed like any shared target (crawler.sharing, "Redirect hops"): of a link
        check, with HEAD, to a host that is none of this crawl's sites'."""
        meta = request.meta
        return (self.share is not None and meta.get("gw") == "check" and "gw_read" not in meta
                and request.method == "HEAD" and self._owner(request.url) is None)

    async def _shared_hop(self, hop: _Hop) -> AsyncIterator[Any]:
        """Follow a chain through a shared hop: request it (claimed here), or take another
        crawl's result for it and compose the chain's verdict as following it here would."""
        assert self.share is not None
        request, status = hop.request, hop.status
        while True:
            before = [request.meta["gw_origin"], *request.meta["gw_chain"][:-1]]
            decision, result = await self.share.hop(request, before)
            if decision == "mine":
                yield request
                return
            meta = dict(request.meta)
            target = request.url
            chain = list(meta["gw_chain"])  # ends with the hop
            # Not requested here: its result is another crawl's (stored as this run's).
            meta["gw_claimed"] = [h for h in meta.get("gw_claimed", []) if h != target]
            if decision == "stopped" or result is None:
                for out in self._results(meta, status=status, final_url=target, chain=chain):
                    yield out
                return
            self.counters.shared += 1
            origin = meta["gw_origin"]
            visited = {origin, *chain}
            rest = [str(u) for u in result.get("redirects") or []]
            full = list(chain)
            for url in rest:  # the joined chain, under this chain's own rules
                full.append(url)
                kind = ("redirect_loop" if url in visited else "too_many_redirects"
                        if len(full) > self.gw.max_redirects else None)
                if kind is not None:
                    detail = f"{ERROR_KINDS[kind]}: {' -> '.join([origin, *full])}"
                    for out in self._results(meta, status=None, final_url=url,
                                             error_kind=kind, error=detail, chain=full):
                        yield out
                    return
                visited.add(url)
            final, code = result.get("final_url"), result.get("status")
            kind, error = result.get("error_kind"), result.get("error")
            if kind is None and code is not None and 300 <= code < 400 and final:
                # The other crawl stopped at a hop it verified separately: go on from there.
                status = code
                if final in self.seen:
                    for out in self._results(meta, status=code, final_url=final, chain=full):
                        yield out
                    return
                self.seen.add(final)
                referer = request.headers.get("Referer")
                request = self._hop_request(
                    meta, final, "GET" if code == 303 else "HEAD", full,
                    referer.decode("latin-1") if referer else None, request.priority)
                if not self._hop_shared(request):
                    yield request
                    return
                continue
            if kind in CHAIN_ERRORS and error:
                suffix = " -> ".join([target, *rest])
                if error.endswith(suffix):  # its chain text, from this chain's origin
                    error = error[:-len(suffix)] + " -> ".join([origin, *full])
            meta["gw_method"] = result.get("method") or meta.get("gw_method")
            for out in self._results(meta, status=code, final_url=final, error_kind=kind,
                                     error=error, soft404=bool(result.get("soft404")),
                                     chain=full):
                yield out
            return

    async def _page_done(self, response: Response) -> AsyncIterator[Any]:
        meta = response.meta
        state = self.sites[meta["gw_site"]]
        status = response.status
        body = response.body
        not_modified = False
        if status == 304:
            previous = state.previous.get(meta["gw_origin"])
            stored = self.body_loader(previous[2]) if previous and self.body_loader else None
            if stored is not None:
                body, status, not_modified = stored, 200, True
        self.counters.pages += 1
        item = self._page_item(
            meta,
            status=status,
            final_url=response.url,
            content_type=_header(response, "Content-Type"),
            etag=_header(response, "ETag"),
            last_modified=_header(response, "Last-Modified"),
            not_modified=not_modified,
        )
        internal = self._owner(response.url) == state.entry.id
        if not (status == 200 and internal and body and _is_html(response)
                and not extract.looks_binary(body)):
            for out in self._results(meta, status=status, final_url=response.url):
                yield out
            if status == 200 and internal and body and is_stylesheet(meta["gw_origin"]):
                yield PageRecord(row=page_record(item).row,
                                 facts_data=stylesheet_facts(body, _charset(response)))
                return
            yield item
            return
        # An HTML page of the site: analysed (and stored, by a worker or the pipeline).
        verdict, record = await self.analyser.analyse_page(response.url, body,
                                                           _charset(response), dict(item))
        soft404 = verdict.says_not_found or self._like_not_found(response.url,
                                                                  verdict.text_digest)
        for out in self._results(meta, status=status, final_url=response.url, soft404=soft404):
            yield out
        if record is not None:
            yield record
        if not soft404:
            shared: list[Request] = []
            for request in self._schedule_links(state, verdict, meta["gw_depth"],
                                                meta["gw_origin"]):
                if self.share is not None and self._shareable(request):
                    shared.append(request)
                else:
                    yield request
            if shared and self.share is not None:
                for request in await self.share.resolve(shared):
                    yield request

    # -- attachments ---------------------------------------------------------------------

    async def _read_attachment(self, response: Response) -> AttachmentItem:
        """What an attachment holds (crawler.attachments). Parsing a PDF or a workbook is pure
        Python and can take a while: a thread keeps the reactor downloading meanwhile."""
        meta = response.meta
        site_id, page_url = meta["gw_read"]
        body = response.body
        read = await asyncio.get_running_loop().run_in_executor(None, read_attachment, body)
        return AttachmentItem(
            site_id=site_id, url=meta["gw_origin"], page_url=page_url, format=read.format,
            size=len(body), text_chars=read.text_chars,
            personal=[{"kind": n.kind, "masked": n.masked, "before": n.before}
                      for n in read.personal],
            error=read.error or None)

    def _like_not_found(self, url: str, text_digest: str) -> bool:
        """Does this page look like the host's answer to a URL that cannot exist?"""
        probe = self.probes.get((urlsplit(url).hostname or "").lower())
        if probe is None or probe.status != 200 or not probe.digest:
            return False
        state_home = any(url == s.entry.url for s in self.sites.values())
        if state_home:
            return False  # a host that answers unknown URLs with its home page
        return text_digest == probe.digest

    def on_error(self, failure: Failure) -> Iterator[Any]:
        request = failure.request  # type: ignore[attr-defined]
        meta = request.meta
        kind, detail = error_kind(failure)
        if meta["gw"] == "check" and "gw_read" in meta and kind == "too_large":
            # An attachment over the reading cap: not read, verified by HEAD instead.
            self._forget_hops(meta)
            yield self._check_request(meta["gw_origin"], "HEAD", referer=meta.get("gw_referer"))
            return
        if kind == "private_address":
            self.counters.refused += 1
        elif kind == "too_large":
            self.counters.too_large += 1
        if meta["gw"] == "check" and meta.get("gw_method") == "HEAD" and kind in (
            "connection", "other"
        ):
            self._forget_hops(meta)
            yield self._check_request(meta["gw_origin"], "GET", {"gw_fallback": kind},
                                      referer=meta.get("gw_referer"))
            return
        self.counters.errors += 1
        yield from self._results(meta, status=None, final_url=None, error_kind=kind, error=detail)
        if meta["gw"] == "page":
            self.counters.pages += 1
            yield self._page_item(meta, status=None, error_kind=kind, error=detail)

    # -- items ---------------------------------------------------------------------------

    def _results(self, meta: dict[str, Any], *, status: int | None, final_url: str | None,
                 error_kind: str | None = None, error: str | None = None,
                 soft404: bool = False, chain: list[str] | None = None
                 ) -> Iterator[ResultItem]:
        """The verdict for the requested URL, and for every redirect hop this request was
        the first to reach (each with the rest of the chain from there)."""
        self.counters.checks += 1
        if error_kind is None and status is not None and status >= 400:
            self.counters.errors += 1
        start = meta.get("gw_start")
        chain = list(chain if chain is not None else meta["gw_chain"])
        common = {
            "method": meta.get("gw_method", "GET"),
            "status": status,
            "final_url": final_url,
            "error_kind": error_kind,
            "error": error,
            "elapsed_ms": int((time.monotonic() - start) * 1000) if start else None,
            "soft404": soft404,
            "attempts": int(meta.get("retry_times", 0)) + int(meta.get("retry_after_times", 0))
            + 1,
        }
        origin = meta["gw_origin"]
        yield ResultItem(url=origin, redirects=chain, **common)
        for hop in meta.get("gw_claimed", []):
            if hop in chain:
                yield _hop_result(hop, origin, chain, common)

    def _page_item(self, meta: dict[str, Any], **fields: Any) -> PageItem:
        item = PageItem(
            site_id=meta["gw_site"],
            url=meta["gw_origin"],
            depth=meta["gw_depth"],
            final_url=None,
            content_type=None,
            encoding=None,
            etag=None,
            last_modified=None,
            not_modified=False,
            error_kind=None,
            error=None,
            parent_url=meta.get("gw_parent"),
        )
        item.update(fields)
        start = meta.get("gw_start")
        item["elapsed_ms"] = int((time.monotonic() - start) * 1000) if start else None
        return item
