"""repost.lapse — 未在规定时限内转载上级政府网站重要政策信息.

Rule: 永州办法 第十九条(三), 山西办法 第十条 and 贵阳实施意见 九(一)
(中国政府网、省和市政府门户网站发布的重要政策 信息，应在12小时内转载).
Measured for a site with `repost_from`: every important item S of each of those portals
(`snapshot.sources`: items listed in the portal's `important_columns`) against this site's
tracked items (in its `repost_columns` if it has any, else anywhere crawled). A repost is an
item whose title matches S's after normalisation (NFKC, 【…】 tags, 转载/转发/转自 prefixes and
suffixes, punctuation, spaces and case removed) with a difflib ratio >= `title_similarity`;
among matches the earliest counts, ignoring items more than `lookback_hours` older than S
(a same-titled document of an earlier year). Times: S and R are each the published time, else
when govwatch first saw the item. A source showing only a day counts from the latest moment
it can have appeared (the day's end, or when it was first seen if earlier), and a repost
showing only a day from that day's start, so a day-precision list never makes a repost late
that was not. Lapse: R − S > window (late), or no repost while S + window is already past
`--as-of` (missing); nothing for an item whose window is still open.
Window: `window_hours` (12), unless `authority_windows` maps the site, or the nearest
supervising portal up its `parent` chain, to other hours (national spot checks used 24,
福建 8). One finding per source item: url the source item, page the site's first repost
column (else its home page); evidence both URLs, both times, the delay and the window.
Fix: repost the item within the window, in the column for reposts from higher-level portals.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from difflib import SequenceMatcher
from types import MappingProxyType
from typing import Any
from urllib.parse import urljoin, urlsplit

from checks.base import Context, Finding, Rule, Severity, SiteSnapshot, TrackedItem
from checks.timeutil import TZ, aware, fmt

RULE = Rule(
    code="repost.lapse",
    title="未在规定时限内转载上级重要政策信息",
    severity=Severity.DEDUCT,
    reference="yongzhou-2021 第十九条(三); shanxi-2018 第十条; guiyang-2018 九(一); zhiyin-2017",
    scope="page",
    options=MappingProxyType(
        {
            "window_hours": 12.0,
            "authority_windows": {},
            "title_similarity": 0.9,
            "lookback_hours": 168.0,
        }
    ),
    fix="建立上级政府网站重要政策信息转载机制，专人值守，在规定时限（一般为12小时）内于"
    "指定栏目转载，标题与原文保持一致并注明来源。",
)

_TAGS = re.compile(r"【[^】]*】")
_PREFIX = re.compile(r"^(?:转载|转发|转自)(?:[^:]{0,20}:)?")
_SUFFIX = re.compile(r"(?:转载|转发)$")


def normalise_title(title: str) -> str:
    """A title as reposts are compared: no tags, repost markers, punctuation, spaces or case."""
    text = unicodedata.normalize("NFKC", title or "")
    text = _TAGS.sub("", text).strip()
    text = _PREFIX.sub("", text)
    text = "".join(
        ch for ch in text if not unicodedata.category(ch).startswith(("P", "S", "Z", "C"))
    )
    return _SUFFIX.sub("", text).lower()


@dataclass(frozen=True, slots=True)
class _Moment:
    at: datetime
    source: str  # "published" | "first_seen"
    day_only: bool  # the published time showed only a day (00:00)


def _moment(item: TrackedItem, *, as_source: bool) -> _Moment:
    first_seen = aware(item.first_seen)
    if item.published is None:
        return _Moment(first_seen, "first_seen", False)
    published = aware(item.published).astimezone(TZ)
    if published.timetz().replace(tzinfo=None) != time(0, 0):
        return _Moment(published, "published", False)
    if as_source:  # the latest moment a day-only source can have appeared
        end_of_day = published + timedelta(days=1) - timedelta(minutes=1)
        return _Moment(min(end_of_day, first_seen), "published", True)
    return _Moment(published, "published", True)


@dataclass(frozen=True, slots=True)
class _Candidate:
    item: TrackedItem
    key: str
    moment: _Moment


def window_for(ctx: Context) -> tuple[float, str]:
    """The repost window in hours and who set it: the site or its nearest supervising portal
    in `authority_windows`, else `window_hours` ("")."""
    windows: Mapping[str, Any] = ctx.options["authority_windows"]
    for site_id, hours in windows.items():
        if isinstance(hours, bool) or not isinstance(hours, int | float) or hours <= 0:
            raise ValueError(
                f"repost.lapse 的 authority_windows.{site_id} 应为正数小时，而不是 {hours!r}"
            )
    current: str | None = ctx.site.id
    seen: set[str] = set()
    while current is not None and current not in seen:
        seen.add(current)
        if current in windows:
            return float(windows[current]), current
        entry = ctx.registry.get(current) or (ctx.site if current == ctx.site.id else None)
        current = entry.parent if entry is not None else None
    return float(ctx.options["window_hours"]), ""


def _in_paths(url: str, paths: Sequence[str]) -> bool:
    path = urlsplit(url).path or "/"
    return any(path.startswith(p if p.startswith("/") else f"/{p}") for p in paths)


def _candidates(site: SiteSnapshot) -> list[_Candidate]:
    paths = site.site.repost_columns
    out = []
    for item in site.items:
        if paths and not (
            (item.column_url and _in_paths(item.column_url, paths)) or _in_paths(item.url, paths)
        ):
            continue
        key = normalise_title(item.title)
        if key:
            out.append(_Candidate(item, key, _moment(item, as_source=False)))
    return out


def _best_match(
    key: str, earliest: datetime, candidates: Iterable[_Candidate], threshold: float
) -> tuple[_Candidate, float] | None:
    matcher = SequenceMatcher(None, autojunk=False)
    matcher.set_seq2(key)
    best: tuple[datetime, float, str, _Candidate] | None = None
    for candidate in candidates:
        if candidate.moment.at < earliest:
            continue
        if candidate.key == key:
            ratio = 1.0
        else:
            matcher.set_seq1(candidate.key)
            if matcher.real_quick_ratio() < threshold or matcher.quick_ratio() < threshold:
                continue
            ratio = matcher.ratio()
            if ratio < threshold:
                continue
        rank = (candidate.moment.at, -ratio, candidate.item.url, candidate)
        if best is None or rank[:3] < best[:3]:
            best = rank
    return (best[3], -best[1]) if best is not None else None


def _hours(value: float) -> str:
    return f"{value:g}"


def _split(delta: timedelta) -> tuple[int, int, int]:
    total = math.floor(delta.total_seconds() / 60)
    hours, minutes = divmod(abs(total), 60)
    return total, hours, minutes


def check(site: SiteSnapshot, ctx: Context) -> Iterator[Finding]:
    entry = site.site
    if not entry.repost_from:
        return
    hours, window_from = window_for(ctx)
    window = timedelta(hours=hours)
    lookback = timedelta(hours=float(ctx.options["lookback_hours"]))
    threshold = float(ctx.options["title_similarity"])
    now = aware(ctx.now)
    if entry.repost_columns:
        page = urljoin(entry.url, entry.repost_columns[0])
    else:
        page = site.home.url if site.home is not None else entry.url
    candidates = _candidates(site)
    done: set[str] = set()
    for portal_id in entry.repost_from:
        portal = ctx.registry.get(portal_id)
        portal_name = portal.name if portal is not None else portal_id
        sources = [
            (_moment(item, as_source=True), item) for item in site.sources.get(portal_id, ())
        ]
        for source_time, source in sorted(sources, key=lambda p: (p[0].at, p[1].url)):
            if source.url in done:
                continue
            done.add(source.url)
            key = normalise_title(source.title)
            earliest = source_time.at - lookback
            match = _best_match(key, earliest, candidates, threshold) if key else None
            if match is None:
                if source_time.at + window >= now:
                    continue  # the window is still open
                repost = None
                delay = now - source_time.at
            else:
                repost = match[0]
                delay = repost.moment.at - source_time.at
                if delay <= window:
                    continue
            total, h, m = _split(delay)
            evidence: dict[str, Any] = {
                "status": "missing" if repost is None else "late",
                "portal": portal_id,
                "portal_name": portal_name,
                "source_url": source.url,
                "source_title": source.title,
                "source_time": fmt(source_time.at),
                "source_time_from": source_time.source,
                "source_day_only": source_time.day_only,
                "repost_url": repost.item.url if repost else None,
                "repost_title": repost.item.title if repost else None,
                "repost_time": fmt(repost.moment.at) if repost else None,
                "repost_time_from": repost.moment.source if repost else None,
                "similarity": round(match[1], 3) if match else None,
                "delay_hours": h,
                "delay_minutes": m,
                "delay_total_minutes": total,
                "window_hours": hours,
                "window_from": window_from or "default",
            }
            shown = f"{source_time.at.astimezone(TZ):%Y-%m-%d %H:%M}"
            if repost is None:
                message = (
                    f"{portal_name}重要政策信息《{source.title}》于 {shown} 发布，"
                    f"已过 {h} 小时 {m} 分钟仍未转载（时限 {_hours(hours)} 小时）"
                )
            else:
                message = (
                    f"{portal_name}重要政策信息《{source.title}》于 {shown} 发布，"
                    f"本网站于 {repost.moment.at.astimezone(TZ):%Y-%m-%d %H:%M} 转载，"
                    f"延迟 {h} 小时 {m} 分钟，超过 {_hours(hours)} 小时时限"
                )
            yield RULE.finding(ctx, url=source.url, page=page, message=message, evidence=evidence)
