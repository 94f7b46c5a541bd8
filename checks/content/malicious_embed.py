"""content.malicious-embed — 网页被挂马：隐藏框架、异常外部脚本或跳转到站外.

Rule: 检查指标 (单项否决: 安全、泄密事故等严重问题); 山西办法 第十七条 (监测网站挂马).
Measured per page:
- a hidden iframe/frame (zero or 1-pixel size, or inside a hidden element) whose source is
  neither the site's own hosts nor an allowed host (a same-site hidden frame is a form target);
- a script or iframe loaded from a non-government host that is not allowed and that no other
  page of the site loads (the site "does not normally load" it); judged only when the site has
  at least `min_pages` parsed pages to compare with;
- an inline script (location.href = ..., location.replace(...)) or a meta refresh that sends
  visitors to a non-government host that is not allowed.
Allowed: the hosts of every registered site, government hosts (.gov.cn), `allowed_hosts`
(a host or any subdomain of it; the default lists common statistics, map and share services),
and the ad networks of content.commercial-ads (checks/content/data/ad_hosts.txt), which that
check reports as advertising.
One finding per page, evidence: the element's selector, why, the target URL and host.
Fix: remove the frame, script or redirect from the page and its template, find how it was
planted (web shell, tampered include, compromised account), patch it and re-check.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

from checks.base import Context, Finding, Rule, Severity, SiteSnapshot
from checks.content.commercial_ads import default_hosts as ad_network_hosts
from checks.content.spam_injected import hidden_why
from crawler.spam import host_of, is_gov_host

RULE = Rule(
    code="content.malicious-embed",
    title="网页被挂马（隐藏框架、异常外部脚本或站外跳转）",
    severity=Severity.VETO,
    reference="zhibiao-2019 （单项否决：安全、泄密事故等严重问题）; "
    "shanxi-2018 第十七条",
    scope="page",
    options=MappingProxyType({
        "allowed_hosts": (
            "hm.baidu.com", "api.map.baidu.com", "map.baidu.com", "bdimg.share.baidu.com",
            "s.cnzz.com", "c.cnzz.com", "js.users.51.la", "conac.cn", "beian.gov.cn",
            "res.wx.qq.com", "map.qq.com", "webapi.amap.com",
        ),
        "extra_allowed_hosts": (),  # added to allowed_hosts (per authority or site)
        "min_pages": 3,  # parsed pages needed to say a host is not normally loaded
        "offscreen_px": 500.0,
        "text_indent_px": 500.0,
        "font_px": 1.0,
        "max_items": 10,  # embeds shown as evidence per page
    }),
    fix="删除页面及模板中的隐藏框架、异常外部脚本或跳转代码，排查网页木马和被篡改的公共引用文件并修补漏洞，"
    "修复后重新检测。",
)


def _allowed(host: str, allowed: tuple[str, ...]) -> bool:
    return any(host == a or host.endswith("." + a) for a in allowed)


class _Collector:
    def __init__(self, items: list[dict[str, str]]) -> None:
        self.items = items
        self.seen: set[tuple[str, str]] = set()

    def add(self, kind: str, url: str, why: str, selector: str = "", snippet: str = "") -> None:
        if (kind, url) in self.seen:
            return
        self.seen.add((kind, url))
        self.items.append({"kind": kind, "url": url, "host": host_of(url), "why": why,
                           "selector": selector, "snippet": snippet})


def check(site: SiteSnapshot, ctx: Context) -> Iterator[Finding]:
    opts: Mapping[str, Any] = ctx.options
    own = {h.lower() for entry in (ctx.site, *ctx.registry.values()) for h in entry.all_hosts}
    # Known ad networks are content.commercial-ads' (a deduction), not 挂马.
    allowed = tuple(h.lower() for h in (*opts["allowed_hosts"], *opts["extra_allowed_hosts"],
                                        *ad_network_hosts()))

    def foreign(host: str) -> bool:
        return bool(host) and host not in own and not _allowed(host, allowed)

    pages = sorted((p for p in site.pages if p.facts is not None), key=lambda p: p.url)
    loaded: Counter[str] = Counter()
    for page in pages:
        assert page.facts is not None
        loaded.update({host_of(x.url) for x in page.facts.links if x.kind in ("script", "iframe",
                                                                            "frame")})
    compare = len(pages) >= int(opts["min_pages"])
    limit = int(opts["max_items"])
    for page in pages:
        facts = page.facts
        assert facts is not None
        items: list[dict[str, str]] = []
        add = _Collector(items).add
        spam = facts.spam
        if spam is not None:
            for frame in spam.frames:
                host = host_of(frame.url)
                why = ("尺寸为0或1像素" if frame.hidden == "zero-size"
                       else hidden_why(frame.hidden, opts))
                if why and foreign(host):
                    add("hidden-frame", frame.url, f"隐藏的框架（{why}）加载站外地址",
                        frame.selector, frame.snippet)
            for target in spam.redirects:
                host = host_of(target)
                if foreign(host) and not is_gov_host(host):
                    add("redirect", target, "脚本或 meta refresh 将访问者跳转到非政府网站")
        if compare:
            for link in facts.links:
                if link.kind not in ("script", "iframe", "frame"):
                    continue
                host = host_of(link.url)
                if foreign(host) and not is_gov_host(host) and loaded[host] <= 1:
                    what = "脚本" if link.kind == "script" else "框架"
                    add(link.kind, link.url,
                        f"从本站其他页面均未加载的非政府网站加载{what}")
        if not items:
            continue
        hosts = list(dict.fromkeys(i["host"] for i in items))
        yield RULE.finding(
            ctx,
            url=page.url,
            page=page.url,
            message=f"网页疑似被挂马：{items[0]['why']}（{items[0]['host']}）",
            evidence={
                "why": items[0]["why"],
                "url": items[0]["url"],
                "selector": items[0]["selector"],
                "snippet": items[0]["snippet"],
                "hosts": hosts,
                "embeds_total": len(items),
                "embeds": items[:limit],
            },
        )
