"""content.fake-dates — 疑似伪造发稿日期（需人工确认）.

Rule: 检查指标 (伪造发稿日期，单项否决); reported as a notice because a person must confirm
it before it fails a site. Two signals:
- a list (a column page's list or a home-page block) of at least `min_items` items, every one
  of them dated the crawl day (the local day of `--as-of`): lists whose dates a template
  stamps with "today" rather than the items' own dates;
- at least `min_changed` items of one column whose publication day changed between the
  previous crawl and this one (item sightings keep the earlier time when a later crawl shows
  another day: checks.items.record_sightings): dates that move on every visit.
One finding per page (the list's page, or the column whose items' dates moved).
Fix: show each item's real first-publication date; never let the template stamp lists with
the current date or re-date items when they are edited.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import MappingProxyType

from checks.base import Context, Finding, Rule, Severity, SiteSnapshot
from checks.timeutil import fmt, local_date, resolve

RULE = Rule(
    code="content.fake-dates",
    title="疑似伪造发稿日期",
    severity=Severity.NOTICE,
    reference="zhibiao-2019 (伪造发稿日期)",
    scope="page",
    options=MappingProxyType({"min_items": 8, "min_changed": 3, "max_items_listed": 10}),
    fix="列表和文章应显示信息的真实首次发布日期，不得由模板自动套用当天日期，也不得在修改"
    "信息时改动发布日期。",
)


def check(site: SiteSnapshot, ctx: Context) -> Iterator[Finding]:
    today = local_date(ctx.now)
    min_items = max(int(ctx.options["min_items"]), 1)
    listed = max(int(ctx.options["max_items_listed"]), 0)
    reported: set[str] = set()
    for page in site.pages:
        facts = page.facts
        if facts is None or page.url in reported:
            continue
        for block in facts.lists:
            if len(block.items) < min_items:
                continue
            days = [resolve(item.date, ctx.now) if item.date else None for item in block.items]
            if any(day is None or local_date(day) != today for day in days):
                continue
            reported.add(page.url)
            yield RULE.finding(
                ctx, url=page.url, page=page.url,
                message=f"列表“{block.heading or '（无标题）'}”的全部 {len(block.items)} 条信息"
                f"均标注为抓取当日 {today.isoformat()}，疑似伪造发稿日期（需人工确认）",
                evidence={
                    "signal": "all-today",
                    "list": block.heading,
                    "day": today.isoformat(),
                    "items": len(block.items),
                    "examples": [{"title": item.title, "url": item.url, "date": item.date}
                                 for item in block.items[:listed]],
                },
            )
            break
    changed: dict[str, list[dict[str, str | None]]] = {}
    for item in site.items:
        if item.date_changed_run != site.crawl_run_id or item.previous_published is None:
            continue
        changed.setdefault(item.column_url, []).append({
            "title": item.title, "url": item.url,
            "before": fmt(item.previous_published), "now": fmt(item.published),
        })
    home = site.home.url if site.home is not None else site.site.url
    for column_url in sorted(changed):
        moved = sorted(changed[column_url], key=lambda entry: str(entry["url"]))
        if len(moved) < max(int(ctx.options["min_changed"]), 1):
            continue
        url = column_url or home
        if url in reported:
            continue
        yield RULE.finding(
            ctx, url=url, page=url,
            message=f"栏目中 {len(moved)} 条信息的发布日期在两次抓取之间发生变化，疑似伪造"
            "发稿日期（需人工确认）",
            evidence={"signal": "dates-changed", "items": len(moved),
                      "examples": moved[:listed]},
        )
