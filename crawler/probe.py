"""Home-page availability probes, for `govwatch probe` (govwatch.probing) and the scheduler.

One probe is one GET of a site's registered home page, followed through its redirects and read
to the last byte of the body. It fails (检查指标: 首页无法访问) when the whole page has not loaded
within `[probe] timeout` seconds (15), on DNS, connect and TLS errors, on a final status >= 400,
or when the body is empty. Each probe is stored as a `probes` row (status, final URL, timings,
size, error kind from crawler.errors); `availability.unreachable` judges the stored series.

`http_client(settings, timeout)` is also the one HTTP client for everything outside the crawl
(the dashboard's "re-check now", notifications' webhooks): it sends govwatch's User-Agent,
honours `crawler.connect_to` and `crawler.proxy` exactly as the crawler does, and applies the
egress policy (crawler.egress_policy) to every request and redirect hop, connecting to the address
it checked.
"""

from __future__ import annotations

import errno
import fnmatch
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpcore
import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.settings import CrawlerSettings, Settings
from core.site import SiteEntry
from crawler.deadline import install as install_deadline
from crawler.deadline import total_deadline
from crawler.egress_policy import EgressPolicy, EgressRefused
from crawler.errors import ERROR_KINDS

__all__ = [
    "ProbeOutcome",
    "classify_error",
    "http_client",
    "probe_site",
    "probe_sites",
    "probe_url",
]


# -- the HTTP client -------------------------------------------------------------------------

_SSL_LOCK = threading.Lock()
_SSL_CONTEXTS: dict[str, ssl.SSLContext] = {}


def _ssl_context(ca_file: str = "") -> ssl.SSLContext:
    """One certificate-verifying context per extra CA file (`[probe] ca_file`, "" none) for
    every client: building one reads the CA bundle (tens of milliseconds), which would
    otherwise be paid, and timed, by every probe."""
    with _SSL_LOCK:
        context = _SSL_CONTEXTS.get(ca_file)
        if context is None:
            import certifi

            context = ssl.create_default_context(cafile=certifi.where())
            if ca_file:
                context.load_verify_locations(cafile=ca_file)
            _SSL_CONTEXTS[ca_file] = context
        return context



class PinnedBackend(httpcore.SyncBackend):
    """Connects to an address the egress policy checked: the host is resolved once here, its
    forbidden addresses dropped, and the connection made to an address that passed (no
    second lookup a rebinding name could answer differently). TLS still verifies and sends
    SNI for the URL's host: httpcore passes that to start_tls, not the address."""

    def __init__(self, policy: EgressPolicy) -> None:
        self.policy = policy

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        try:
            addresses = self.policy.resolve(host, port)
        except EgressRefused as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        except OSError as exc:  # socket.gaierror: the name does not resolve
            raise httpcore.ConnectError(str(exc)) from exc
        failure: Exception = httpcore.ConnectError(f"no address for {host}")
        for address in addresses:
            try:
                return super().connect_tcp(address, port, timeout, local_address,
                                           socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        raise failure


def _pinned_transport(policy: EgressPolicy, limits: httpx.Limits,
                      context: ssl.SSLContext) -> httpx.HTTPTransport:
    """httpx's transport with its connection pool on a PinnedBackend. WHY replace `_pool`:
    httpx has no parameter for httpcore's network backend; the pool is built with the very
    arguments HTTPTransport would give it."""
    transport = httpx.HTTPTransport(limits=limits, verify=context)
    transport._pool = httpcore.ConnectionPool(
        ssl_context=context, max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry, network_backend=PinnedBackend(policy))
    return transport


def egress_policy(settings: Settings, sites: Iterable[SiteEntry] = (),
                  webhooks: Iterable[str] = ()) -> EgressPolicy:
    """The policy of govwatch's own HTTP client: the registered `sites` (the caller knows
    which matter), connect_to, the proxy, the allowlist, the supervisors' webhooks
    (`[notify]`) and `webhooks` (the sites' contacts' ones, for the notices)."""
    crawler = settings.crawler
    webhook = [c.webhook for c in settings.notify.supervisor_contacts if c.webhook]
    webhook += list(webhooks)
    entries = list(sites)
    return EgressPolicy.build(site_urls=[e.url for e in entries],
                              site_hosts=[(h, e.url) for e in entries for h in e.all_hosts],
                              connect_to=crawler.connect_to,
                              proxy=crawler.proxy, allow=crawler.egress_allow,
                              extra_urls=webhook)


class ConnectToTransport(httpx.BaseTransport):
    """Routes each request by its host, with the crawler's `connect_to` semantics.

    A host mapped in `crawler.connect_to` (exactly, or by an fnmatch pattern such as
    "*.example.gov.cn") goes to that `address:port` as an HTTP proxy hop, keeping the URL and
    Host header (what crawler.middlewares.ConnectToMiddleware does for Scrapy); any other host
    uses `crawler.proxy`, else connects directly. WHY a router and not httpx `mounts`: mount
    patterns only know a leading "*." (and give "*x" a different meaning), so the same
    settings could send the crawler and this client to different places.

    Every request not mapped by connect_to passes the egress policy first (a forbidden
    address literal is refused before anything is sent); direct connections go through a
    PinnedBackend; through `crawler.proxy` the proxy resolves, so the name is checked by
    resolving it here too (the proxy may still see another answer: see crawler.egress_policy).
    """

    def __init__(self, crawler: CrawlerSettings, *, keepalive: bool = True,
                 policy: EgressPolicy | None = None, ca_file: str = "") -> None:
        self.exact = {k.lower(): v for k, v in crawler.connect_to.items() if "*" not in k}
        self.patterns = [(k.lower(), v) for k, v in crawler.connect_to.items() if "*" in k]
        self.policy = policy or EgressPolicy.build(
            connect_to=crawler.connect_to, proxy=crawler.proxy, allow=crawler.egress_allow)
        limits = httpx.Limits() if keepalive else httpx.Limits(max_keepalive_connections=0)
        context = _ssl_context(ca_file)
        # Each transport honours crawler.deadline.total_deadline (see that module).
        self._make: Callable[[str | None], httpx.HTTPTransport] = (
            lambda proxy: install_deadline(
                httpx.HTTPTransport(proxy=proxy, limits=limits, verify=context)
                if proxy else _pinned_transport(self.policy, limits, context)))
        self._default_proxy = crawler.proxy or None
        self._transports: dict[str | None, httpx.HTTPTransport] = {}
        self._lock = threading.Lock()

    def target(self, host: str) -> str | None:
        """The `address:port` that `host` is sent to, or None (proxy / direct)."""
        host = host.lower()
        if host in self.exact:
            return self.exact[host]
        for pattern, target in self.patterns:
            if fnmatch.fnmatchcase(host, pattern):
                return target
        return None

    def _transport(self, host: str) -> httpx.HTTPTransport:
        target = self.target(host)
        proxy = f"http://{target}" if target is not None else self._default_proxy
        with self._lock:
            transport = self._transports.get(proxy)
            if transport is None:
                transport = self._transports[proxy] = self._make(proxy)
            return transport

    def _check(self, request: httpx.Request) -> None:
        url = request.url
        try:
            self.policy.check_url(str(url))
            if self._default_proxy:
                self.policy.resolve(url.host, url.port or (443 if url.scheme == "https" else 80))
        except EgressRefused as exc:
            raise httpx.ConnectError(str(exc), request=request) from exc
        except OSError as exc:
            raise httpx.ConnectError(str(exc), request=request) from exc

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.target(request.url.host) is None:
            self._check(request)
        return self._transport(request.url.host).handle_request(request)

    def close(self) -> None:
        with self._lock:
            transports, self._transports = list(self._transports.values()), {}
        for transport in transports:
            transport.close()


def user_agent(settings: Settings) -> str:
    crawler = settings.crawler
    return crawler.user_agent.format(contact=crawler.contact)


def http_client(settings: Settings, timeout: float, *, keepalive: bool = True,
                follow_redirects: bool = True, sites: Iterable[SiteEntry] = (),
                webhooks: Iterable[str] = ()) -> httpx.Client:
    """An httpx client that reaches hosts the way the crawler does (see ConnectToTransport).

    Sends govwatch's User-Agent; `timeout` applies to each connect/read/write (for a bound on
    the whole request, make it inside `crawler.deadline.total_deadline`); environment
    proxies are ignored (the settings decide). Redirects are followed (at most
    `crawler.max_redirects`) unless `follow_redirects=False` (per request: `client.get(url,
    follow_redirects=False)`). `keepalive=False` opens a fresh connection per request, so that
    connect times are measured each time (the probe). `sites`: the registered sites whose
    origins the egress policy allows whatever they resolve to (see egress_policy); `webhooks`:
    the notice webhooks allowed likewise.
    """
    return httpx.Client(
        transport=ConnectToTransport(settings.crawler, keepalive=keepalive,
                                     policy=egress_policy(settings, sites, webhooks),
                                     ca_file=settings.probe.ca_file),
        headers={"User-Agent": user_agent(settings)},
        timeout=httpx.Timeout(timeout),
        follow_redirects=follow_redirects,
        max_redirects=settings.crawler.max_redirects,
        trust_env=False,
    )


# -- one probe -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProbeOutcome:
    """What one probe of one home page found (stored as one `probes` row)."""

    site_id: str
    url: str
    started_at: datetime  # timezone-aware
    ok: bool
    status: int | None = None  # the final answer's status; None when there was no answer
    final_url: str | None = None
    error_kind: str | None = None  # crawler.errors.ERROR_KINDS; None for HTTP-level failures
    error: str | None = None  # human-readable (Chinese) reason of a failure
    elapsed_ms: int | None = None  # until the whole body had loaded (or the probe gave up)
    connect_ms: int | None = None  # until the first connection was open (TCP, and TLS)
    ttfb_ms: int | None = None  # until the final answer's headers arrived
    size: int | None = None  # bytes of the (decoded) body read
    # The certificate of the final answer when it came over HTTPS (verified: the client
    # verifies): its expiry and issuer, for https.missing.
    tls_not_after: datetime | None = None
    tls_issuer: str | None = None


def peer_certificate(response: httpx.Response) -> tuple[datetime | None, str | None]:
    """(notAfter, issuer) of the verified certificate `response` came with; (None, None)
    over plain HTTP or when the connection does not say."""
    stream = response.extensions.get("network_stream")
    if stream is None:
        return None, None
    ssl_object = stream.get_extra_info("ssl_object")
    if ssl_object is None:
        return None, None
    cert = ssl_object.getpeercert()
    if not cert or "notAfter" not in cert:
        return None, None
    not_after = datetime.fromtimestamp(ssl.cert_time_to_seconds(cert["notAfter"]), UTC)
    issuer = ", ".join(f"{key}={value}" for rdn in cert.get("issuer", ())
                       for key, value in rdn if key in ("organizationName", "commonName"))
    return not_after, issuer[:255] or None


def _chain(exc: BaseException) -> Iterable[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def classify_error(exc: BaseException) -> str:
    """The crawler.errors kind of a failed request."""
    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    if isinstance(exc, httpx.TooManyRedirects):
        return "too_many_redirects"
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return "invalid_url"
    for cause in _chain(exc):
        if isinstance(cause, EgressRefused):
            return "private_address"
        if isinstance(cause, ssl.SSLError | ssl.CertificateError):
            return "tls"
        if isinstance(cause, socket.gaierror):
            return "dns"
        if isinstance(cause, ConnectionRefusedError):
            return "refused"
        if isinstance(cause, TimeoutError | socket.timeout):
            return "timeout"
    text = " ".join(str(c) for c in _chain(exc)).lower()
    if any(s in text for s in ("name or service not known", "nodename nor servname",
                               "temporary failure in name resolution", "getaddrinfo",
                               "no address associated")):
        return "dns"
    if "connection refused" in text or f"errno {errno.ECONNREFUSED}" in text:
        return "refused"
    if any(s in text for s in ("ssl", "certificate", "tls")):
        return "tls"
    if isinstance(exc, httpx.TransportError):
        return "connection"
    return "other"


class _Timings:
    """Connection and header timestamps from httpcore's trace events."""

    def __init__(self, start: float) -> None:
        self.start = start
        self.connect_ms: int | None = None
        self.ttfb_ms: int | None = None
        self._connecting = True

    def _ms(self) -> int:
        return round((time.monotonic() - self.start) * 1000)

    def __call__(self, name: str, info: Mapping[str, Any]) -> None:
        if self._connecting and name.endswith(("connect_tcp.complete", "start_tls.complete")):
            self.connect_ms = self._ms()  # a TLS handshake, when there is one, comes last
        elif name.endswith("send_request_headers.started"):
            self._connecting = False  # later hops (redirects) do not move connect_ms
        elif name.endswith("receive_response_headers.complete"):
            self.ttfb_ms = self._ms()


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:500] if text else type(exc).__name__


def probe_url(client: httpx.Client, site_id: str, url: str, timeout: float,
              max_redirects: int = 10) -> ProbeOutcome:
    """GET `url`, following redirects, and read the whole body within `timeout` seconds.

    The whole probe (every connect, TLS handshake, header and body read of every redirect
    hop) runs under one total deadline (crawler.deadline): not loaded within `timeout` =
    failed, and a server trickling its answer a byte at a time is cut off at `timeout`.
    """
    with total_deadline(timeout):
        return _probe_url(client, site_id, url, timeout, max_redirects)


def _probe_url(client: httpx.Client, site_id: str, url: str, timeout: float,
               max_redirects: int) -> ProbeOutcome:
    started_at = datetime.now(UTC)
    start = time.monotonic()
    deadline = start + timeout
    timings = _Timings(start)
    visited: list[str] = [url]
    status: int | None = None
    final_url: str | None = None
    size = 0
    tls: tuple[datetime | None, str | None] = (None, None)

    def outcome(ok: bool, kind: str | None = None, error: str | None = None) -> ProbeOutcome:
        return ProbeOutcome(
            site_id=site_id, url=url, started_at=started_at, ok=ok, status=status,
            final_url=final_url, error_kind=kind, error=error,
            elapsed_ms=round((time.monotonic() - start) * 1000),
            connect_ms=timings.connect_ms, ttfb_ms=timings.ttfb_ms,
            size=size if status is not None else None,
            tls_not_after=tls[0], tls_issuer=tls[1])

    def too_slow() -> ProbeOutcome:
        return outcome(False, "timeout", f"首页未能在 {timeout:g} 秒内完整加载")

    try:
        request = client.build_request("GET", url, extensions={"trace": timings})
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return too_slow()
            request.extensions["timeout"] = httpx.Timeout(left).as_dict()
            response = client.send(request, stream=True, follow_redirects=False)
            try:
                status, final_url = response.status_code, str(response.url)
                tls = peer_certificate(response)
                following = response.next_request
                if following is None:
                    for chunk in response.iter_bytes():
                        size += len(chunk)
                        if time.monotonic() > deadline:
                            return too_slow()
                    break
            finally:
                response.close()
            target = str(following.url)
            if target in visited:
                return outcome(False, "redirect_loop", f"重定向循环: {target}")
            if len(visited) > max_redirects:
                return outcome(False, "too_many_redirects",
                               f"重定向次数超过 {max_redirects} 次")
            visited.append(target)
            following.extensions["trace"] = timings
            request = following
    except httpx.HTTPError as exc:
        kind = classify_error(exc)
        if kind == "timeout":
            return too_slow()
        return outcome(False, kind, f"{ERROR_KINDS.get(kind, kind)}: {_one_line(exc)}")
    if time.monotonic() > deadline:
        return too_slow()
    if status >= 400:
        return outcome(False, None, f"HTTP {status}")
    if size == 0:
        return outcome(False, None, "首页内容为空")
    return outcome(True)


def probe_site(entry: SiteEntry, settings: Settings) -> ProbeOutcome:
    """One probe of `entry`'s home page (not stored; see probe_sites)."""
    with http_client(settings, settings.probe.timeout, keepalive=False,
                     sites=[entry]) as client:
        return probe_url(client, entry.id, entry.url, settings.probe.timeout,
                         settings.crawler.max_redirects)


# -- many probes, stored ---------------------------------------------------------------------


def store_outcome(session: Session, outcome: ProbeOutcome) -> None:
    from store import models as m

    session.add(m.Probe(
        site_id=outcome.site_id, url=outcome.url[:2048], started_at=outcome.started_at,
        ok=outcome.ok, status=outcome.status,
        final_url=outcome.final_url[:2048] if outcome.final_url else None,
        error_kind=outcome.error_kind, error=outcome.error, elapsed_ms=outcome.elapsed_ms,
        connect_ms=outcome.connect_ms, ttfb_ms=outcome.ttfb_ms, size=outcome.size,
        tls_not_after=outcome.tls_not_after, tls_issuer=outcome.tls_issuer))


def active_sites(session: Session, site_ids: Sequence[str] | None = None) -> list[SiteEntry]:
    """The registry entries of the active sites (all, or those named, in that order)."""
    from store import models as m

    rows = {row.id: row for row in session.scalars(
        select(m.Site).where(m.Site.active.is_(True)).order_by(m.Site.id))}
    ids = list(dict.fromkeys(site_ids)) if site_ids else list(rows)
    unknown = [s for s in ids if s not in rows]
    if unknown:
        raise LookupError(f"未登记的站点: {', '.join(unknown)}")
    return [SiteEntry.from_dict(rows[s].config) for s in ids]


def probe_sites(factory: sessionmaker[Session], settings: Settings,
                site_ids: Sequence[str] | None = None,
                stop: threading.Event | None = None) -> list[ProbeOutcome]:
    """Probe each active site (all, or `site_ids`) once, in parallel (at most
    `[probe] concurrency` at a time), storing every outcome as soon as it is known.

    `stop` (set on shutdown) keeps probes not yet started from starting."""
    with factory() as session:
        entries = active_sites(session, site_ids)
    outcomes: list[ProbeOutcome] = []
    if not entries:
        return outcomes

    def run(entry: SiteEntry) -> ProbeOutcome | None:
        if stop is not None and stop.is_set():
            return None
        return probe_site(entry, settings)

    workers = max(1, min(settings.probe.concurrency, len(entries)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="probe") as pool:
        futures = [pool.submit(run, entry) for entry in entries]
        for future in as_completed(futures):
            outcome = future.result()
            if outcome is None:
                continue
            with factory.begin() as session:
                store_outcome(session, outcome)
            outcomes.append(outcome)
    order = {entry.id: i for i, entry in enumerate(entries)}
    outcomes.sort(key=lambda o: order[o.site_id])
    return outcomes


def summary_line(outcomes: Sequence[ProbeOutcome]) -> str:
    failed = [o for o in outcomes if not o.ok]
    line = f"探测完成: {len(outcomes)} 个站点，失败 {len(failed)}"
    if failed:
        line += "（" + "；".join(f"{o.site_id}: {o.error}" for o in failed[:5])
        line += "；…）" if len(failed) > 5 else "）"
    return line
