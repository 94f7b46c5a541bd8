"""“立即复核”: re-verify ONE finding now, at a webmaster's request, and mark it fixed when
it is.

How each kind of finding is re-verified (the same judgement as the nightly crawl, on the
one thing at fault):
- links.*: the broken target is requested again as the crawler does (HEAD; GET when HEAD is
  refused or fails, and GET for HTML answers, to recognise a soft 404), and judged by
  `checks.links.common.dead_reason`: fixed when it now answers < 400 and is no soft 404.
- identity.*, meta.*, archive.*: the page at fault (and, for a non-home page's
  meta.page-tags-missing, the home page too) is fetched again, run through
  `crawler.extract.extract`, and the finding's own check is re-run on a snapshot of just
  those pages: fixed when the check no longer reports this (site, check, url, page). An
  archived page stays archived for the re-run (its path is treated as an archive path): the
  finding already established that, and one page alone cannot show how it was reached.
- anything else (columns, home.stale, repost, domain, availability, and a page-tags summary
  that counts pages not listed) needs the whole site or a time series: "需等待下次抓取复核".
A page that does not load is "无法复核", never "fixed": a webmaster's server being down
must not close a finding.

All the fetching of one re-check ends within `[web] recheck_timeout` in total
(crawler.deadline: connect, headers and every body read count), however slowly the target
answers. Network work happens outside any database transaction; the result is then applied to the
row if it is still open. Every attempt that reached a verdict (fixed, still there, or
failed) is recorded in the audit trail (web.audit: who, when, what was seen); the finding
keeps its lifecycle (first_seen, last_seen, evidence untouched; status fixed and fixed_at
now), so a later crawl that sees the fault again reopens it as usual.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from checks.base import Context, LinkResult, PageRef, SiteSnapshot
from checks.links.common import dead_reason
from checks.snapshot import load_registry
from core.settings import Settings
from core.site import SiteEntry
from crawler.deadline import total_deadline
from crawler.egress_policy import EgressRefused
from crawler.errors import ERROR_KINDS
from crawler.extract import decode_html, extract, looks_binary
from store import models as m
from web import audit


class ClientFactory(Protocol):
    """crawler.probe.http_client's shape: `sites` are the registered sites the egress
    policy allows whatever they resolve to."""

    def __call__(self, settings: Settings, timeout: float, *,
                 sites: Iterable[SiteEntry] = ...) -> httpx.Client: ...

LINK_CHECKS = frozenset({"links.dead", "links.dead-home"})
PAGE_PREFIXES = ("identity.", "meta.", "archive.")
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", ""})
LINK_GET_MAX = 1024 * 1024  # as crawler.spiders.site.CHECK_GET_MAXSIZE
DEFERRED = "该类问题需等待下次抓取复核（需要全站或一段时间的数据，无法单独复核）"


@dataclass(frozen=True, slots=True)
class Outcome:
    result: str  # fixed | open | failed | deferred | not-open
    message: str  # for the person who asked (Chinese)
    detail: str = ""  # what was observed, stored in the audit trail


@dataclass(frozen=True, slots=True)
class Fetched:
    status: int | None
    final_url: str | None
    redirects: tuple[str, ...]
    content_type: str
    charset: str | None
    body: bytes
    method: str
    error_kind: str | None = None
    error: str | None = None

    @property
    def is_html(self) -> bool:
        return self.content_type in HTML_TYPES


def default_client_factory() -> ClientFactory:
    """crawler.probe.http_client: connect_to and proxy exactly as the probes use them."""
    from crawler.probe import http_client

    return http_client


# -- fetching ---------------------------------------------------------------------------------


def _error_kind(exc: Exception) -> str:
    cause: BaseException | None = exc
    for _ in range(8):  # refused by the egress policy (crawler.egress_policy), however wrapped
        if cause is None:
            break
        if isinstance(cause, EgressRefused):
            return "private_address"
        cause = cause.__cause__ or cause.__context__
    text = str(exc).lower()
    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    if isinstance(exc, httpx.TooManyRedirects):
        return "too_many_redirects"
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return "invalid_url"
    if isinstance(exc, httpx.ConnectError):
        if "ssl" in text or "certificate" in text:
            return "tls"
        if "name or service" in text or "nodename" in text or "getaddrinfo" in text \
                or "name resolution" in text:
            return "dns"
        return "refused"
    if isinstance(exc, httpx.TransportError):
        return "connection"
    return "other"


def _content_type(headers: httpx.Headers) -> tuple[str, str | None]:
    raw = headers.get("content-type", "")
    main = raw.split(";")[0].strip().lower()
    charset = None
    for part in raw.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip("\"'")
    return main, charset


def fetch(client: httpx.Client, method: str, url: str, max_bytes: int,
          *, truncate: bool) -> Fetched:
    """One request, redirects followed; the body read up to `max_bytes` (beyond it: cut
    when `truncate`, else the error kind too_large, as the crawler records it)."""
    try:
        with client.stream(method, url, follow_redirects=True) as response:
            ctype, charset = _content_type(response.headers)
            chain = tuple(str(r.url) for r in response.history[1:])
            if response.history:
                chain = (*chain, str(response.url))
            body = b""
            if method == "GET":
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_bytes():
                    chunks.append(chunk)
                    size += len(chunk)
                    if size > max_bytes:
                        if not truncate:
                            return Fetched(response.status_code, str(response.url), chain,
                                           ctype, charset, b"", method, "too_large",
                                           f"响应体超过 {max_bytes} 字节")
                        break
                body = b"".join(chunks)[:max_bytes]
            return Fetched(response.status_code, str(response.url), chain, ctype, charset,
                           body, method)
    except (httpx.HTTPError, httpx.InvalidURL) as exc:  # hostile links: any URL
        kind = _error_kind(exc)
        return Fetched(None, None, (), "", None, b"", method, kind,
                       f"{ERROR_KINDS.get(kind, kind)}: {exc}"[:500])


def verify_link(client: httpx.Client, url: str, settings: Settings) -> LinkResult:
    """The link's verdict as the crawl would record it (see the module docstring)."""
    head = fetch(client, "HEAD", url, 0, truncate=True)
    fallback = (head.status in settings.crawler.head_fallback_statuses
                or head.error_kind in ("connection", "other")
                or (head.status is not None and head.status < 400 and head.is_html))
    got = fetch(client, "GET", url, LINK_GET_MAX, truncate=True) if fallback else head
    soft404 = False
    if got.method == "GET" and got.status == 200 and got.is_html and got.body:
        text, _ = decode_html(got.body, got.charset)
        soft404 = extract(got.final_url or url, text).says_not_found
    return LinkResult(url=url, status=got.status, final_url=got.final_url,
                      redirects=got.redirects, error_kind=got.error_kind, error=got.error,
                      method=got.method, soft404=soft404)


def fetch_page(client: httpx.Client, url: str, settings: Settings, depth: int
               ) -> tuple[PageRef | None, str]:
    """The page as a PageRef with fresh facts, or (None, why it could not be read)."""
    got = fetch(client, "GET", url, settings.crawler.max_body_bytes, truncate=False)
    if got.error_kind is not None:
        return None, got.error or ERROR_KINDS.get(got.error_kind, got.error_kind)
    if got.status is None or not 200 <= got.status < 300:
        return None, f"页面返回 HTTP {got.status}"
    if not got.is_html or not got.body or looks_binary(got.body):
        return None, "页面不是 HTML 网页"
    text, _ = decode_html(got.body, got.charset)
    final = got.final_url or url
    return PageRef(url=url, status=got.status, depth=depth, final_url=final,
                   content_type=got.content_type, facts=extract(final, text)), f"HTTP {got.status}"


# -- judging -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Target:
    """The finding as the re-check needs it (read in one short transaction)."""

    id: int
    site_id: str
    check: str
    url: str
    page: str
    status: str
    evidence: dict[str, Any]


def strategy(check: str, evidence: dict[str, Any], page: str, home: str) -> str:
    """"link", "page" or "deferred" for a finding."""
    if check in LINK_CHECKS:
        return "link"
    if check == "meta.page-tags-missing" and page == home and \
            int(evidence.get("pages_not_listed") or 0) > 0:
        return "deferred"  # the home finding also counts pages one fetch cannot see
    if check.startswith(PAGE_PREFIXES):
        return "page"
    return "deferred"


def _judge_link(client: httpx.Client, target: Target, settings: Settings) -> Outcome:
    result = verify_link(client, target.url, settings)
    seen = f"HTTP {result.status}" if result.status is not None else (result.error or "无响应")
    if result.method == "GET" and result.status is not None:
        seen = f"{seen}，GET 请求"
    reason = dead_reason(result)
    if reason is None:
        return Outcome("fixed", f"链接已可访问（{seen}），问题已标记为已整改", seen)
    return Outcome("open", f"链接仍不可用: {reason}", reason)


def _judge_page(client: httpx.Client, target: Target, settings: Settings,
                session_factory: sessionmaker[Session], now: datetime) -> Outcome:
    from checks.runner import plan, site_regulations

    planned = next((p for p in plan(settings) if p.spec.rule.code == target.check), None)
    if planned is None:
        return Outcome("deferred", "该检查项当前未启用，无法复核")
    with session_factory() as session:
        registry = load_registry(session)
    entry = registry.get(target.site_id)
    if entry is None:
        return Outcome("deferred", "站点已停用或未登记，无法复核")
    is_home = target.page.rstrip("/") == entry.url.rstrip("/")
    page, seen = fetch_page(client, target.page, settings, 0 if is_home else 1)
    if page is None:
        return Outcome("failed", f"页面无法读取（{seen}），需等待下次抓取复核", seen)
    home: PageRef | None = page if is_home else None
    pages = [page]
    if target.check == "meta.page-tags-missing" and not is_home:
        home, home_seen = fetch_page(client, entry.url, settings, 0)
        if home is None:
            return Outcome("failed", f"首页无法读取（{home_seen}），需等待下次抓取复核",
                           home_seen)
        pages.insert(0, home)
    site = entry
    if target.check.startswith("archive."):
        site = replace(entry, archive_paths=(urlsplit(target.page).path or "/",))
    snapshot = SiteSnapshot(site=site, crawl_run_id=0, home=home, pages=tuple(pages),
                            links=(), results={})
    ctx = Context(now=now, site=site, options=planned.options, registry=registry,
                  regulations=site_regulations(target.site_id, registry, settings))
    key = (target.site_id, target.check, target.url, target.page)
    still = [f for f in planned.spec.check(snapshot, ctx) if f.key == key]
    if still:
        return Outcome("open", f"问题仍存在: {still[0].message}", still[0].message)
    return Outcome("fixed", f"重新读取页面（{seen}）后检查通过，问题已标记为已整改", seen)


# -- the whole re-check --------------------------------------------------------------------------


def load_target(session: Session, finding_id: int, scope: Collection[str] | None
                ) -> Target | None:
    row = session.get(m.Finding, finding_id)
    if row is None or (scope is not None and row.site_id not in scope):
        return None
    return Target(row.id, row.site_id, row.check, row.url, row.page, row.status,
                  dict(row.evidence or {}))


@contextmanager
def _client(factory: ClientFactory, settings: Settings, sites: list[SiteEntry]
            ) -> Iterator[httpx.Client]:
    client = factory(settings, settings.web.recheck_timeout, sites=sites)
    try:
        yield client
    finally:
        client.close()


def recheck(
    session_factory: sessionmaker[Session],
    settings: Settings,
    finding_id: int,
    *,
    scope: Collection[str] | None,
    user: str,
    client_factory: ClientFactory | None = None,
    now: datetime | None = None,
) -> Outcome | None:
    """Re-verify one finding; None when it does not exist or is outside `scope` (404)."""
    with session_factory() as session:
        target = load_target(session, finding_id, scope)
        site = session.get(m.Site, target.site_id) if target is not None else None
        home = site.url if site is not None else ""
        registered = [SiteEntry.from_dict(row.config) for row in session.scalars(select(m.Site))]
    if target is None:
        return None
    if target.status != "open":
        return Outcome("not-open", "该问题已是已整改状态，无需复核")
    how = strategy(target.check, target.evidence, target.page, home)
    if how == "deferred":
        return Outcome("deferred", DEFERRED)
    moment = now or datetime.now(UTC)
    factory = client_factory or default_client_factory()
    # One deadline for everything the re-check fetches (crawler.deadline).
    with total_deadline(settings.web.recheck_timeout), \
            _client(factory, settings, registered) as client:
        if how == "link":
            outcome = _judge_link(client, target, settings)
        else:
            outcome = _judge_page(client, target, settings, session_factory, moment)
    if outcome.result in ("fixed", "open", "failed"):
        outcome = _record(session_factory, target.id, outcome, user, moment)
    return outcome


def _record(session_factory: sessionmaker[Session], finding_id: int, outcome: Outcome,
            user: str, now: datetime) -> Outcome:
    with session_factory() as session, session.begin():
        row = session.get(m.Finding, finding_id, with_for_update=True)
        if row is None:  # nothing is ever deleted; defensive only
            return outcome
        if row.status != "open":  # fixed meanwhile (a crawl, another re-check)
            return Outcome("not-open", "该问题已是已整改状态，无需复核")
        audit.record(session, finding_id, now, user, outcome.result, outcome.detail)
        if outcome.result == "fixed":
            row.status = "fixed"
            row.fixed_at = now
    return outcome
