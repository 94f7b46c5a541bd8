"""The vocabulary every check speaks: rules, findings, the context and the snapshot.

A check is a pure function `check(site: SiteSnapshot, ctx: Context) -> Iterable[Finding]`.
It sees only what the crawl stored (rebuilt by `checks.snapshot`), the moment "now" (`--as-of`)
and its validated options; it never fetches, reads settings or looks at the clock, so that the
same crawl and `--as-of` always give the same findings.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

from checks.regulations import cite
from core.regulations import NATIONAL
from core.site import SiteEntry
from crawler.facts import PageFacts, PersonalNumber


class Severity(enum.StrEnum):
    VETO = "veto"  # 单项否决: one such finding fails the site for the period
    DEDUCT = "deduct"  # 扣分
    NOTICE = "notice"  # reported, not scored


@dataclass(frozen=True, slots=True)
class Finding:
    site: str
    check: str
    severity: Severity
    url: str
    page: str
    message: str
    rule: str
    evidence: Mapping[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str, str, str]:
        """The identity of a finding across crawls (see the findings contract)."""
        return (self.site, self.check, self.url, self.page)


@dataclass(frozen=True, slots=True)
class Rule:
    """A check's catalogue entry: stable code, Chinese title, severity, rule reference.

    `options` holds the defaults of every tunable threshold; settings may override them
    (per supervising authority or per site) and are validated against these keys and types.
    """

    code: str
    title: str
    severity: Severity
    reference: str
    scope: str = "site"  # "site": one finding per site; "page"/"link": per page or per link
    options: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    fix: str = ""  # how a webmaster fixes it, shown in reports (Chinese)
    # Run by `checks.catalogue.resolve_options` on the merged options, once per check pass:
    # loads what the options name (e.g. the lexicon files of the content checks) so that the
    # check itself reads nothing. Returns the options to use (what it adds under keys that
    # start with "_", never among `options`); raises ValueError or OSError with a
    # one-line message on a bad value.
    prepare: Callable[[dict[str, Any]], dict[str, Any]] | None = None

    def finding(
        self,
        ctx: Context,
        *,
        url: str,
        page: str,
        message: str,
        evidence: Mapping[str, Any] | None = None,
        severity: Severity | None = None,
    ) -> Finding:
        return Finding(
            site=ctx.site.id,
            check=self.code,
            severity=severity or self.severity,
            url=url,
            page=page,
            message=message,
            rule=_cite(self.reference, ctx.regulations),
            evidence=dict(evidence or {}),
        )


@functools.lru_cache(maxsize=1024)
def _cite(reference: str, regulations: frozenset[str]) -> str:
    return cite(reference, regulations)


@dataclass(frozen=True, slots=True)
class Context:
    now: datetime  # --as-of, timezone-aware
    site: SiteEntry
    options: Mapping[str, Any]  # this check's options, defaults merged with settings
    # Every registered site, for checks that look across sites (repost, parents).
    registry: Mapping[str, SiteEntry] = field(default_factory=dict)
    # The regulations binding this site (checks.regulations.binding): a finding cites only
    # these. Default: the national documents.
    regulations: frozenset[str] = NATIONAL


@dataclass(frozen=True, slots=True)
class LinkResult:
    """What one request (HEAD, GET fallback, or the page fetch itself) said about a URL."""

    url: str
    status: int | None  # final HTTP status after redirects; None when no response
    final_url: str | None = None
    redirects: tuple[str, ...] = ()  # every URL visited after `url`, in order
    error_kind: str | None = None  # see crawler.errors.ERROR_KINDS
    error: str | None = None  # human-readable detail
    method: str = "HEAD"
    elapsed_ms: int | None = None
    soft404: bool = False  # 200 but the page says it does not exist / looks like the 404 page


@dataclass(frozen=True, slots=True)
class PageRef:
    """A page fetched (and parsed, if HTML) during the crawl."""

    url: str
    status: int | None
    depth: int
    final_url: str | None = None
    content_type: str | None = None
    error_kind: str | None = None
    facts: PageFacts | None = None  # None when the page was not HTML or did not load
    parent_url: str | None = None  # the page through which the crawl first reached it


@dataclass(frozen=True, slots=True)
class AttachmentRef:
    """An attachment of one of the site's pages that the crawl downloaded and read."""

    url: str
    page_url: str  # the page that links it
    format: str  # pdf | docx | xlsx | xls | rtf | xml-xls | doc | unknown
    text_chars: int = 0
    personal: tuple[PersonalNumber, ...] = ()  # masked
    error: str = ""  # why it was not (fully) read


@dataclass(frozen=True, slots=True)
class LinkRef:
    """One occurrence of a link: `page_url` links to `url`."""

    page_url: str
    url: str
    kind: str
    text: str = ""


@dataclass(frozen=True, slots=True)
class ColumnItem:
    title: str
    url: str
    date: datetime | None  # resolved against --as-of when the page shows no year


@dataclass(frozen=True, slots=True)
class Column:
    """A 栏目 of a site as this crawl saw it (derived by checks.columns.discover)."""

    url: str
    name: str
    type: str  # one of core.site.COLUMN_TYPES, or "other"
    level: int  # 1: linked from the home page navigation (一级栏目); 2: a sub-column
    source: str  # "nav" | "registry"
    archived: bool  # marked 历史/归档/旧版, or its page carries an 已归档 label
    status: int | None  # HTTP status of the column page; None when it was not fetched
    placeholder: bool  # the page shows 暂无信息 / 正在建设中 / ...
    items: tuple[ColumnItem, ...] = ()
    newest: datetime | None = None  # newest item date (list, else newest article)
    newest_from: str = ""  # "list" | "article" | ""
    # A single-page column (联系我们, 机构职能, 网站声明: one piece of content, not a list of
    # items; see checks.columns.common.is_single_page): never blank, no update cycle.
    single_page: bool = False


@dataclass(frozen=True, slots=True)
class TrackedItem:
    """An item (article or list entry) of a site with when govwatch first saw it."""

    site: str
    url: str
    title: str
    column_url: str  # the column it was listed in ("" for an article found elsewhere)
    published: datetime | None
    first_seen: datetime
    # The publication time an earlier crawl showed when a later crawl showed another day,
    # and that later crawl's run id (content.fake-dates); None when it never changed.
    previous_published: datetime | None = None
    date_changed_run: int | None = None


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """One availability probe of the home page (govwatch probe / the scheduler)."""

    started_at: datetime
    ok: bool
    status: int | None = None
    error_kind: str | None = None
    error: str | None = None
    elapsed_ms: int | None = None
    final_url: str | None = None  # where the home page was finally served from
    # The certificate of the final HTTPS answer (verified, since the probe verifies);
    # None for plain HTTP or when no answer came.
    tls_not_after: datetime | None = None
    tls_issuer: str | None = None


@dataclass(frozen=True, slots=True)
class LinkCap:
    """The link-check caps a crawl applied to one site (crawl_runs.stats["link_caps"]).

    `site_cap` link checks at most per site, `per_page` distinct new targets per page;
    `checks` verified, `skipped` targets left unverified by the site cap, `pages_capped`
    pages whose links were cut by the page cap (`page_skipped` targets), `pages` the first
    of those pages."""

    site_cap: int
    per_page: int
    checks: int = 0
    skipped: int = 0
    pages_capped: int = 0
    page_skipped: int = 0
    pages: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LinkCap:
        return cls(site_cap=int(data["site_cap"]), per_page=int(data["per_page"]),
                   checks=int(data.get("checks", 0)), skipped=int(data.get("skipped", 0)),
                   pages_capped=int(data.get("pages_capped", 0)),
                   page_skipped=int(data.get("page_skipped", 0)),
                   pages=tuple(str(p) for p in data.get("pages", ())))


@dataclass(frozen=True, slots=True)
class SiteSnapshot:
    site: SiteEntry
    crawl_run_id: int
    home: PageRef | None
    pages: tuple[PageRef, ...]
    links: tuple[LinkRef, ...]  # in no particular order
    results: Mapping[str, LinkResult]  # by URL; shared across sites within one crawl run
    columns: tuple[Column, ...] = ()  # filled by the runner (checks.columns.discover)
    items: tuple[TrackedItem, ...] = ()  # this site's items ever seen, with first-seen times
    # For repost.lapse: the important items of each portal in site.repost_from.
    sources: Mapping[str, tuple[TrackedItem, ...]] = field(default_factory=dict)
    # Home-page probes of the last PROBE_DAYS days before --as-of, oldest first.
    probes: tuple[ProbeResult, ...] = ()
    # The link-check caps the crawl reached for this site (None: none reached).
    link_cap: LinkCap | None = None
    # The site's own stylesheets fetched in the crawl: URL -> their hiding rules on simple
    # selectors ({".class" or "#id": reason}, crawler.spam.stylesheet_rules).
    stylesheets: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # Attachments of the site's pages the crawl read (crawler.attachments), by URL.
    attachments: tuple[AttachmentRef, ...] = ()

    def result(self, url: str) -> LinkResult | None:
        return self.results.get(url)


PROBE_DAYS = 31


CheckFunc = Callable[[SiteSnapshot, Context], Iterable[Finding]]
