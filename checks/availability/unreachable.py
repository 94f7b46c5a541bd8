"""availability.unreachable — 首页无法访问（可用性不达标）.

Rule: 检查指标 (首页无法访问: 监测1周，每天间隔一定时间访问网站首页不少于20次，超过15秒网页
仍打不开的次数累计占总监测次数的5%(含)以上，即单项否决); 2015评分表 (站点无法访问).
Measured on the stored home-page probes (`govwatch probe`, the scheduler's probe.home job) in
[T − `window_days`, T]: a probe failed when the whole home page had not loaded within 15 s, on a
DNS, connect or TLS error, a status >= 400 or an empty body (decided when probing). Veto when
failures / probes >= `min_failure_share` (5%, inclusive). The rule asks for at least
`min_probes_per_day` probes a day: when the window holds fewer than `min_probes_per_day` ×
`window_days` probes, the sample is too thin to judge and the finding is a notice saying so
(with the failures seen), never the veto. No probe at all in the window: nothing is said
(availability was not measured). One finding at the home page; its evidence lists every failed
probe (time, status, error kind, error).
Fix: find why the home page failed at the listed times (server load, network, certificate,
DNS) and make it answer within 15 seconds at all times; keep a standby server or CDN.
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from types import MappingProxyType

from checks.availability.common import (
    home_url,
    in_window,
    local_time,
    percent,
    probe_evidence,
)
from checks.base import Context, Finding, Rule, Severity, SiteSnapshot
from checks.timeutil import window_start

RULE = Rule(
    code="availability.unreachable",
    title="首页无法访问（可用性不达标）",
    severity=Severity.VETO,
    reference="zhibiao-2019; pucha-2015",
    scope="site",
    options=MappingProxyType(
        {"window_days": 7, "min_failure_share": 0.05, "min_probes_per_day": 20}
    ),
    fix="排查所列时间首页无法访问的原因（服务器负载、网络线路、证书、域名解析等），保证首页在"
    "任何时间15秒内完整打开；必要时配置备用服务器或内容分发网络。",
)


def check(site: SiteSnapshot, ctx: Context) -> Iterator[Finding]:
    days = int(ctx.options["window_days"])
    share_limit = Fraction(float(ctx.options["min_failure_share"])).limit_denominator(10**6)
    per_day = int(ctx.options["min_probes_per_day"])
    probes = in_window(site, ctx.now, days)
    if not probes:
        return
    failed = [p for p in probes if not p.ok]
    share = Fraction(len(failed), len(probes))
    needed = per_day * days
    url = home_url(site)
    evidence = {
        "window_start": local_time(window_start(ctx.now, days)),
        "window_end": local_time(ctx.now),
        "probes": len(probes),
        "failures": len(failed),
        "failure_share": round(float(share), 4),
        "threshold": float(share_limit),
        "required_probes": needed,
        "failed_probes": [probe_evidence(p) for p in failed],
    }
    if len(probes) < needed:
        yield RULE.finding(
            ctx, url=url, page=url, severity=Severity.NOTICE,
            message=f"近{days}天仅探测首页 {len(probes)} 次（要求每天至少 {per_day} 次，共 "
            f"{needed} 次），样本不足，未作可用性判定；其中失败 {len(failed)} 次",
            evidence={**evidence, "sample_too_thin": True},
        )
        return
    if not failed or share < share_limit:
        return
    yield RULE.finding(
        ctx, url=url, page=url,
        message=f"近{days}天首页探测 {len(probes)} 次，无法访问 {len(failed)} 次"
        f"（{percent(float(share))}），达到 {percent(float(share_limit))} 的单项否决线",
        evidence={**evidence, "sample_too_thin": False},
    )
