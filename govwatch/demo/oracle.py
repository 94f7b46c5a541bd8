"""The timeliness findings the demo world must produce, judged from what it rendered.

`world.py` describes every rendered column, home page, archived page, article and repost as
the plain facts below (taken from the same objects the templates were filled from); the rules
here turn them into expected findings, the way checks.md states them. They are written
independently of `checks/` on purpose: an oracle that imported the checks would agree with
their bugs.

Severity (the `severities` map of expected.json): `home.stale` is always veto; a stale column
is veto when its site has 5 or more stale columns among 动态要闻 (any level) and top-level
通知公告/政策文件 and the column is one of them, or when the site has 10 or more stale and
blank columns together; a blank column is veto when its site has 5 or more blank columns (or
the 10 rule holds); everything else is deduct. The world keeps these unambiguous: a site under
the 5-column veto has no other stale column (asserted), and no site reaches 10.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from govwatch.demo.timeliness import AS_OF_LOCAL, HOME_WINDOW, cutoff

REPOST_WINDOW = timedelta(hours=12)
STALE_VETO = 5  # counted stale columns (news at any level, top-level notice/policy)
BLANK_VETO = 5
STALE_AND_BLANK_VETO = 10

Key = tuple[str, str, str, str]  # (site, check, url, page)

_DATE = re.compile(r"\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}")


def has_date(text: str) -> bool:
    return _DATE.search(text) is not None


@dataclass(frozen=True, slots=True)
class ColumnFacts:
    site: str
    url: str  # as the navigation links it
    name: str
    type: str  # registry class, else the class of its name; "other" when none
    level: int  # 1: main navigation; 2: a sub-column listed on its parent's page
    archived: bool  # name says 历史/归档/旧版, or its page shows an 已归档 label
    newest: datetime | None  # newest item; None: the column has no item (blank)
    single_page: bool = False  # a page of content, no list: neither blank nor stale


@dataclass(frozen=True, slots=True)
class HomeFacts:
    site: str
    url: str
    nav_only: bool
    dated: tuple[datetime, ...]  # items of the home page with a date
    second_level: tuple[datetime, ...]  # dated items of the pages its navigation links to


@dataclass(frozen=True, slots=True)
class ArchivedFacts:
    site: str
    url: str
    label: str | None  # the visible label's text


@dataclass(frozen=True, slots=True)
class ArticleFacts:
    site: str
    url: str
    source: bool  # a 来源 is shown
    pubdate: bool  # a publication time is shown, or given by the PubDate meta


@dataclass(frozen=True, slots=True)
class RepostFacts:
    site: str
    page: str  # the site's repost column, or its home page
    source_url: str
    source_published: datetime
    reposted: datetime | None  # the repost's publication time where it counts; None: none


@dataclass(slots=True)
class Verdict:
    findings: set[Key]
    severities: dict[Key, str]

    def add(self, key: Key, severity: str) -> None:
        self.findings.add(key)
        self.severities[key] = severity


def is_stale(column: ColumnFacts, now: datetime = AS_OF_LOCAL) -> bool:
    limit = cutoff(column.type, now)
    if column.archived or column.single_page or column.newest is None or limit is None:
        return False
    return column.newest < limit


def counts_for_stale_veto(column: ColumnFacts) -> bool:
    return column.type == "news" or (column.type in ("notice", "policy") and column.level == 1)


def judge(
    columns: Iterable[ColumnFacts],
    homes: Iterable[HomeFacts],
    archived: Iterable[ArchivedFacts],
    articles: Iterable[ArticleFacts],
    reposts: Iterable[RepostFacts],
    now: datetime = AS_OF_LOCAL,
) -> Verdict:
    verdict = Verdict(set(), {})
    by_site: dict[str, list[ColumnFacts]] = {}
    for column in columns:
        by_site.setdefault(column.site, []).append(column)
    for site, site_columns in sorted(by_site.items()):
        stale = [c for c in site_columns if is_stale(c, now)]
        blank = [c for c in site_columns if c.newest is None and not c.single_page]
        counted = [c for c in stale if counts_for_stale_veto(c)]
        veto_all = len(stale) + len(blank) >= STALE_AND_BLANK_VETO
        veto_stale = len(counted) >= STALE_VETO
        if veto_stale and len(counted) != len(stale):
            raise AssertionError(f"{site}: a stale column outside the veto makes it ambiguous")
        if veto_all:
            raise AssertionError(f"{site}: the 10-column veto is not planted anywhere")
        for column in stale:
            severity = "veto" if veto_all or (veto_stale and column in counted) else "deduct"
            verdict.add((site, "columns.stale", column.url, column.url), severity)
        for column in blank:
            severity = "veto" if veto_all or len(blank) >= BLANK_VETO else "deduct"
            verdict.add((site, "columns.blank", column.url, column.url), severity)
    for home in homes:
        dates = home.second_level if home.nav_only else home.dated
        if not any(now - HOME_WINDOW <= d <= now for d in dates):
            verdict.add((home.site, "home.stale", home.url, home.url), "veto")
    for page in archived:
        if page.label is None:
            verdict.add((page.site, "archive.label-missing", page.url, page.url), "deduct")
        elif not has_date(page.label):
            verdict.add((page.site, "archive.time-missing", page.url, page.url), "deduct")
    for article in articles:
        if not article.source:
            verdict.add((article.site, "meta.source-missing", article.url, article.url), "deduct")
        if not article.pubdate:
            verdict.add((article.site, "meta.pubdate-missing", article.url, article.url), "deduct")
    for repost in reposts:
        if repost.reposted is None:
            lapse = repost.source_published + REPOST_WINDOW < now
        else:
            lapse = repost.reposted - repost.source_published > REPOST_WINDOW
        if lapse:
            verdict.add((repost.site, "repost.lapse", repost.source_url, repost.page), "deduct")
    return verdict


# Certificate modes of govwatch.demo.tls that fail a browser or are about to: "expiring" ends 25
# days after the world's instant (within the 30 days of https.missing), "wrong-host" names
# another host. "" is a site without HTTPS at all.
_HTTPS_FAULTS = frozenset({"", "expiring", "wrong-host"})


def https_missing(tls: str) -> bool:
    """Whether a site served with HTTPS set up as `tls` (SiteSpec.tls) raises https.missing:
    no HTTPS, a certificate that does not verify for the host, or one expiring within 30 days
    of the world's instant; a valid certificate for the host says nothing."""
    return tls in _HTTPS_FAULTS

