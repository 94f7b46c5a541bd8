"""interaction.unanswered — 政务咨询留言长期未回复或互动渠道不可用.

Rule: 检查指标 (互动回应差，单项否决); 德州办法 第九条(三) (领导信箱、咨询投诉等渠道，及时办理和
反馈); 贵阳实施意见 六(四). Two faults, each a veto:
- a message of a 领导信箱/咨询/建言 list (the extractor's `messages`: tables whose header row
  names 提问/留言/来信时间 and 回复时间 or 状态 columns, or entries labelled so) asked within
  `window` before `--as-of` and still unanswered `answer_within` after it was asked: no 回复时间
  and no status among `answered_status`, or a status among `pending_status`. Lists that show
  neither answer times nor statuses say nothing and are not judged. One finding per list page
  (a message listed on several pages counts on the first), the messages as evidence;
- no working consultation channel: the home page links to entries named by `channel_words`
  (领导信箱, 我要咨询, 建言献策 ...), and every one of them failed to load (HTTP >= 400, no
  answer, or a page saying it does not exist). One finding, its url the first entry (by URL),
  its page the home page.
Fix: answer every message publicly within the time limit (and show the answer and its time
on the list); repair the 领导信箱/咨询 entry and its form.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from types import MappingProxyType

from checks.base import Context, Finding, LinkResult, Rule, Severity, SiteSnapshot
from checks.timeutil import describe_period, fmt, period_start, resolve

RULE = Rule(
    code="interaction.unanswered",
    title="政务咨询留言长期未回复或互动渠道不可用",
    severity=Severity.VETO,
    reference="zhibiao-2019 (互动回应差); dezhou-2013 第九条(三); "
    "guiyang-2018 六(四)",
    scope="page",
    options=MappingProxyType({
        "window": "12m",
        "answer_within": "3m",
        "answered_status": ("已回复", "已答复", "已办结", "已处理", "已反馈", "办结", "已回",
                            "已公开"),
        "pending_status": ("未回复", "待回复", "未答复", "待答复", "办理中", "处理中", "未办结",
                           "待处理", "未处理", "受理中", "已受理", "转办中", "待办"),
        "channel_words": ("领导信箱", "书记信箱", "市长信箱", "县长信箱", "区长信箱", "局长信箱",
                          "主任信箱", "厅长信箱", "我要写信", "我要咨询", "政务咨询", "在线咨询",
                          "咨询投诉", "建言献策", "我要建言", "留言板", "网上信访"),
        "max_listed": 20,
    }),
    fix="对公众留言及时公开答复（在列表中显示回复内容和回复时间），超过时限的留言应尽快"
    "办结；领导信箱、咨询等入口及其表单页面应保持可用。",
)


def _answered(status: str, answered: str, ctx: Context) -> bool:
    if any(word in status for word in ctx.options["pending_status"]):
        return False
    return bool(answered) or any(word in status for word in ctx.options["answered_status"])


def _overdue(asked: datetime, ctx: Context) -> bool:
    """Asked within the window, and the answer time limit has passed as of now."""
    if asked > ctx.now or asked < period_start(ctx.now, ctx.options["window"]):
        return False
    # The limit has passed when `asked` lies before (now - answer_within).
    return asked <= period_start(ctx.now, ctx.options["answer_within"])


def _dead(result: LinkResult | None) -> bool:
    if result is None:
        return False  # not verified: says nothing
    return result.status is None or result.status >= 400 or result.soft404


def check(site: SiteSnapshot, ctx: Context) -> Iterator[Finding]:
    window = describe_period(ctx.options["window"])
    limit = describe_period(ctx.options["answer_within"])
    listed = max(int(ctx.options["max_listed"]), 0)
    seen: set[tuple[str, str, str]] = set()
    for page in sorted(site.pages, key=lambda p: p.url):
        facts = page.facts
        if facts is None or not facts.messages:
            continue
        overdue = []
        for message in facts.messages:
            key = (message.url, message.title, message.asked)
            if key in seen:
                continue
            seen.add(key)
            asked = resolve(message.asked, ctx.now)
            if asked is None or not _overdue(asked, ctx):
                continue
            if _answered(message.status, message.answered, ctx):
                continue
            overdue.append({"subject": message.title, "url": message.url,
                            "asked": fmt(asked), "state": message.status})
        if not overdue:
            continue
        oldest = min(str(m["asked"]) for m in overdue)
        yield RULE.finding(
            ctx, url=page.url, page=page.url,
            message=f"留言列表中有 {len(overdue)} 条近{window}内的留言超过{limit}仍未回复"
            f"（最早提问于 {oldest[:10]}）",
            evidence={"unanswered": len(overdue), "window": window, "answer_within": limit,
                      "messages": overdue[:listed]},
        )
    yield from _channel(site, ctx)


def _channel(site: SiteSnapshot, ctx: Context) -> Iterator[Finding]:
    home = site.home
    if home is None or home.facts is None:
        return
    words = tuple(ctx.options["channel_words"])
    entries: dict[str, str] = {}
    for link in home.facts.links:
        if link.kind in ("a", "area") and any(word in link.text for word in words):
            entries.setdefault(link.url, link.text)
    if not entries:
        return
    broken: list[tuple[str, str, LinkResult]] = []
    for url, text in sorted(entries.items()):
        result = site.result(url)
        if result is None or not _dead(result):
            return  # a channel that works (or was not verified): nothing to say
        broken.append((url, text, result))
    yield RULE.finding(
        ctx, url=broken[0][0], page=home.url,
        message=f"首页的互动交流入口（{'、'.join(text for _, text, _ in broken[:3])}）均无法"
        "打开，无可用的政务咨询渠道",
        evidence={"entries": [{"url": url, "text": text, "status": result.status,
                               "error": result.error or ("页面不存在" if result.soft404 else "")}
                              for url, text, result in broken]},
    )
