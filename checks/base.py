"""The vocabulary every check speaks: rules, findings, the context and the snapshot.

A check is a pure function `check(site: SiteSnapshot, ctx: Context) -> Iterable[Finding]`.
It sees only what the crawl stored (rebuilt by `store.snapshot`), the moment "now" (`--as-of`)
and its validated options; it never fetches, reads settings or looks at the clock, so that the
same crawl and `--as-of` always give the same findings.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

from crawler.facts import PageFacts
from govwatch.site import SiteEntry


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
            rule=self.reference,
            evidence=dict(evidence or {}),
        )


@dataclass(frozen=True, slots=True)
class Context:
    now: datetime  # --as-of, timezone-aware
    site: SiteEntry
    options: Mapping[str, Any]  # this check's options, defaults merged with settings
    # Every registered site, for checks that look across sites (repost, parents).
    registry: Mapping[str, SiteEntry] = field(default_factory=dict)


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


@dataclass(frozen=True, slots=True)
class LinkRef:
    """One occurrence of a link: `page_url` links to `url`."""

    page_url: str
    url: str
    kind: str
    text: str = ""


@dataclass(frozen=True, slots=True)
class SiteSnapshot:
    site: SiteEntry
    crawl_run_id: int
    home: PageRef | None
    pages: tuple[PageRef, ...]
    links: tuple[LinkRef, ...]
    results: Mapping[str, LinkResult]  # by URL; shared across sites within one crawl run

    def result(self, url: str) -> LinkResult | None:
        return self.results.get(url)


CheckFunc = Callable[[SiteSnapshot, Context], Iterable[Finding]]
