"""https.missing — 未启用HTTPS或证书无效.

Rule: 发展指引 (安全防护: 支持HTTPS); 贵阳实施意见 八 (安全防护).
Judged on the latest home-page probe
before `--as-of` that got an answer or failed on TLS (govwatch probe records the certificate of
the final HTTPS answer: its expiry and issuer; the probe verifies it against the public CAs and
`[probe] ca_file`). A notice when the home page is served over plain HTTP (the final address
after redirects is http://), when the certificate did not verify (invalid, self-signed,
wrong host name, expired at the probe: the probe's TLS error), when it has expired by
`--as-of`, or when it expires within `expiring_days` days. Sites never probed say nothing.
Fix: serve the site over HTTPS with a certificate from a trusted CA, redirect http:// to
https://, and renew certificates well before they expire.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from types import MappingProxyType

from checks.base import Context, Finding, ProbeResult, Rule, Severity, SiteSnapshot
from checks.timeutil import fmt

RULE = Rule(
    code="https.missing",
    title="未启用HTTPS或证书无效",
    severity=Severity.NOTICE,
    reference="zhiyin-2017 (安全防护); guiyang-2018 八",
    scope="site",
    options=MappingProxyType({"expiring_days": 30}),
    fix="为网站部署由可信机构签发的HTTPS证书，将http://访问重定向到https://，并在证书到期前"
    "及时续期。",
)


def _latest(site: SiteSnapshot, ctx: Context) -> ProbeResult | None:
    answered = [p for p in site.probes if p.started_at <= ctx.now
                and (p.status is not None or p.error_kind == "tls")]
    return answered[-1] if answered else None


def check(site: SiteSnapshot, ctx: Context) -> Iterator[Finding]:
    probe = _latest(site, ctx)
    if probe is None:
        return
    home = site.home.url if site.home is not None else site.site.url
    evidence = {"probed_at": fmt(probe.started_at), "final_url": probe.final_url or home}
    if probe.error_kind == "tls":
        yield RULE.finding(ctx, url=home, page=home,
                           message="首页HTTPS证书无效（未通过验证）",
                           evidence={**evidence, "problem": "invalid", "error": probe.error})
        return
    final = (probe.final_url or home).lower()
    if final.startswith("http://"):
        yield RULE.finding(ctx, url=home, page=home,
                           message="首页未启用HTTPS（以明文HTTP提供）",
                           evidence={**evidence, "problem": "no-https"})
        return
    if probe.tls_not_after is None:
        return
    left = probe.tls_not_after - ctx.now
    cert = {**evidence, "not_after": fmt(probe.tls_not_after), "issuer": probe.tls_issuer}
    if left <= timedelta(0):
        yield RULE.finding(ctx, url=home, page=home,
                           message=f"首页HTTPS证书已于 {fmt(probe.tls_not_after)} 过期",
                           evidence={**cert, "problem": "expired"})
    elif left <= timedelta(days=int(ctx.options["expiring_days"])):
        yield RULE.finding(ctx, url=home, page=home,
                           message=f"首页HTTPS证书将于 {left.days} 天后"
                           f"（{fmt(probe.tls_not_after)}）过期",
                           evidence={**cert, "problem": "expiring", "days_left": left.days})
