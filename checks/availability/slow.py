"""availability.slow — 首页打开缓慢.

Rule: 检查指标 (首页可用性: 15秒内打开); 发展指引 (网站访问速度); a notice ahead of the
availability veto, so that a home page drifting towards the 15-second limit is seen early.
Measured on the successful home-page probes in [T − `window_days`, T]: a notice when their
median full-load time (`elapsed_ms`: until the last byte of the page) exceeds `slow_ms`, given
at least `min_probes` successful probes (fewer say nothing). Failed probes are
availability.unreachable's. A separate code, not a notice of availability.unreachable,
because a finding is identified by (site, check, url, page) and both are site-level findings
at the home page: slowness and unreachability must be able to stand side by side.
Fix: find what slows the home page down (page weight, server time, database queries,
bandwidth) and bring it well under 15 seconds.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import MappingProxyType

from checks.availability.common import home_url, in_window, local_time, median
from checks.base import Context, Finding, Rule, Severity, SiteSnapshot
from checks.timeutil import window_start

RULE = Rule(
    code="availability.slow",
    title="首页打开缓慢",
    severity=Severity.NOTICE,
    reference="zhibiao-2019; zhiyin-2017",
    scope="site",
    options=MappingProxyType({"window_days": 7, "slow_ms": 8000, "min_probes": 20}),
    fix="排查首页加载缓慢的原因（页面体积、服务器响应、数据库查询、带宽等），使首页完整打开"
    "时间远低于15秒。",
)
_SLOWEST = 10


def check(site: SiteSnapshot, ctx: Context) -> Iterator[Finding]:
    days = int(ctx.options["window_days"])
    limit = int(ctx.options["slow_ms"])
    timed = [
        p for p in in_window(site, ctx.now, days) if p.ok and p.elapsed_ms is not None
    ]
    if not timed or len(timed) < int(ctx.options["min_probes"]):
        return
    typical = median([p.elapsed_ms for p in timed if p.elapsed_ms is not None])
    if typical <= limit:
        return
    slowest = sorted(timed, key=lambda p: (-(p.elapsed_ms or 0), p.started_at))[:_SLOWEST]
    url = home_url(site)
    yield RULE.finding(
        ctx, url=url, page=url,
        message=f"近{days}天首页完整打开用时中位数 {typical / 1000:.1f} 秒，超过 "
        f"{limit / 1000:g} 秒",
        evidence={
            "window_start": local_time(window_start(ctx.now, days)),
            "window_end": local_time(ctx.now),
            "probes": len(timed),
            "median_ms": typical,
            "slow_ms": limit,
            "slowest": [{"time": local_time(p.started_at), "elapsed_ms": p.elapsed_ms}
                        for p in slowest],
        },
    )
