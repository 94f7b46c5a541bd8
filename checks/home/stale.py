"""home.stale — 首页长期未更新（网站不更新）.

Rule: 检查指标 and 2015评分表 (网站不更新: 监测2周首页栏目无信息更新即单项否决; 如首页仅为网站
栏目导航入口，则检查所有二级页面栏目信息的更新情况; 未注明发布时间的视为不更新);
永州办法 第十九条(四); 德州办法 第四十一条(一).
Measured on the home page's list blocks: at least one item dated within [T − `days`, T]
(compared by calendar day; T is `--as-of`; an item dated after T's day is outside it) is an
update. Items without a date count as not updated. A home page with no list item at all is
navigation only: then the list items of every loaded second-level page (crawl depth 1) are
examined instead. Nothing is reported when the home page did not load (availability covers
that), or when it is navigation only and no second-level page loaded (nothing to judge). One
veto finding at the home page.
Fix: publish new items to the home page's columns (动态、要闻、通知公告 blocks) at least every
two weeks, each with its publication date.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime
from types import MappingProxyType

from checks.base import Context, Finding, PageRef, Rule, Severity, SiteSnapshot
from checks.timeutil import fmt, local_date, resolve, window_start
from crawler.facts import ListItem

RULE = Rule(
    code="home.stale",
    title="首页两周内无信息更新",
    severity=Severity.VETO,
    reference="zhibiao-2019; pucha-2015; yongzhou-2021 第十九条(四); dezhou-2013 第四十一条(一)",
    scope="site",
    options=MappingProxyType({"days": 14}),
    fix="保持首页栏目（动态要闻、通知公告等）持续更新，至少每两周发布新信息，并标注发布时间；"
    "首页仅为导航入口的，各二级页面栏目须及时更新。",
)
_SAMPLE = 20


def _items(page: PageRef) -> list[ListItem]:
    if page.facts is None:
        return []
    return [item for block in page.facts.lists for item in block.items]


def check(site: SiteSnapshot, ctx: Context) -> Iterator[Finding]:
    home = site.home
    if home is None or home.facts is None:
        return
    days = ctx.options["days"]
    first, last = local_date(window_start(ctx.now, days)), local_date(ctx.now)
    home_urls = {u for u in (home.url, home.final_url) if u}
    examined: Sequence[PageRef] = [home]
    navigation_only = not _items(home)
    if navigation_only:
        examined = [
            page
            for page in site.pages
            if page.depth == 1
            and page.facts is not None
            and page.url not in home_urls
            and page.status is not None
            and 200 <= page.status < 300
        ]
        if not examined:
            return
    dated: list[tuple[datetime, ListItem]] = []
    undated = 0
    for page in examined:
        for item in _items(page):
            when = resolve(item.date, ctx.now) if item.date else None
            if when is None:
                undated += 1
            else:
                dated.append((when, item))
    if any(_within(local_date(when), first, last) for when, _ in dated):
        return
    newest = max(dated, key=lambda pair: pair[0], default=None)
    where = "首页仅为栏目导航，二级页面" if navigation_only else "首页"
    if newest is not None:
        detail = f"最新信息日期为 {local_date(newest[0]).isoformat()}"
    elif dated or undated:
        detail = "信息均未标注发布时间，视为未更新"
    else:
        detail = "没有任何信息条目"
    yield RULE.finding(
        ctx,
        url=home.url,
        page=home.url,
        message=f"{where}在 {first.isoformat()} 至 {last.isoformat()} 的{days}天内无信息更新"
        f"（{detail}）",
        evidence={
            "navigation_only": navigation_only,
            "window_start": first.isoformat(),
            "window_end": last.isoformat(),
            "days": days,
            "newest": fmt(newest[0]) if newest else None,
            "newest_title": newest[1].title if newest else None,
            "newest_url": newest[1].url if newest else None,
            "dated_items": len(dated),
            "undated_items": undated,
            "pages_examined": len(examined),
            "pages_sample": [page.url for page in examined[:_SAMPLE]],
        },
    )


def _within(day: date, first: date, last: date) -> bool:
    return first <= day <= last
