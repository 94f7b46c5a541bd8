"""content.commercial-ads — 页面含商业广告.

Rule: 山西办法 第十条 (严禁发布商业广告等经营性信息); 德州办法 第三十七条
(政府网站不得从事商业活动).
Measured on every page that loaded: a script, frame, image or link served by an advertising
network (checks/content/data/ad_hosts.txt, a host or any sub-domain of it, plus
`extra_ad_hosts`), or a block labelled as advertising by a short text of its own whose label is
one of `labels` (广告, 推广, 广告位招租 ..., as the extractor recorded it with brackets and close
marks trimmed). Near misses stay silent: a 公益广告 (a label or block holding a word of
`exempt_words`), the government's own banners (no ad label, no ad-network host) and headlines
that merely mention advertising (texts longer than a label are never recorded). An ad the home
page shows is reported once, at the home page; other pages report only the ads the home page
does not show, the first `max_pages` of them by URL.
Fix: remove the advertising (the ad-network code from the template, the labelled ad slots).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import lru_cache
from importlib import resources
from types import MappingProxyType
from typing import Any

from checks.base import Context, Finding, PageRef, Rule, Severity, SiteSnapshot
from crawler.spam import host_of

RULE = Rule(
    code="content.commercial-ads",
    title="页面含商业广告",
    severity=Severity.DEDUCT,
    reference="shanxi-2018 第十条; dezhou-2013 第三十七条; zhiyin-2017",
    scope="page",
    options=MappingProxyType({
        "labels": ("广告", "推广", "广告位", "广告位招租", "招租广告", "商业广告", "推广链接",
                   "赞助", "赞助商", "赞助商链接", "广告投放", "广告合作"),
        "exempt_words": ("公益",),
        "use_default_hosts": True,
        "extra_ad_hosts": (),
        "max_pages": 100,
    }),
    fix="删除页面中的商业广告：移除模板中的广告联盟代码、带“广告/推广”标识的广告位；"
    "公益广告应明确标注“公益广告”。",
)
_AD_KINDS = frozenset({"script", "iframe", "frame", "img", "a", "area"})


@lru_cache(maxsize=1)
def default_hosts() -> tuple[str, ...]:
    text = resources.files("checks.content").joinpath("data/ad_hosts.txt").read_text("utf-8")
    return tuple(line.strip().lower() for line in text.splitlines()
                 if line.strip() and not line.lstrip().startswith("#"))


def _hosts(options: Mapping[str, Any]) -> frozenset[str]:
    hosts = set(default_hosts()) if options["use_default_hosts"] else set()
    hosts.update(str(h).strip().lower().lstrip(".") for h in options["extra_ad_hosts"])
    hosts.discard("")
    return frozenset(hosts)


def _ad_host(url: str, hosts: frozenset[str]) -> str:
    host = host_of(url)  # memoised: a site's pages repeat their links
    while host:
        if host in hosts:
            return host
        _, _, host = host.partition(".")
    return ""


def _signatures(page: PageRef, options: Mapping[str, Any], hosts: frozenset[str]
                ) -> dict[str, dict[str, str]]:
    """What on `page` is advertising, keyed by a signature shared by the same ad on other
    pages: "label:<label>|<context>" or "host:<ad host>"."""
    facts = page.facts
    if facts is None:
        return {}
    labels = set(options["labels"])
    exempt = tuple(options["exempt_words"])
    found: dict[str, dict[str, str]] = {}
    for entry in facts.ad_labels:
        label, _, context = entry.partition("|")
        if label not in labels or any(w in label or w in context for w in exempt):
            continue
        found.setdefault(f"label:{entry}", {"type": "label", "label": label,
                                            "context": context})
    for link in facts.links:
        if link.kind not in _AD_KINDS:
            continue
        host = _ad_host(link.url, hosts)
        if host:
            found.setdefault(f"host:{host}", {"type": "ad-host", "host": host,
                                               "url": link.url[:300], "element": link.kind})
    return found


def _describe(ads: list[dict[str, str]]) -> str:
    parts = []
    for ad in ads[:3]:
        if ad["type"] == "label":
            parts.append(f"标注“{ad['label']}”的广告位")
        else:
            parts.append(f"广告联盟 {ad['host']} 的{_ELEMENTS.get(ad['element'], '内容')}")
    more = f"等 {len(ads)} 处" if len(ads) > 3 else ""
    return "、".join(parts) + more


_ELEMENTS = {"script": "脚本", "iframe": "框架", "frame": "框架", "img": "图片", "a": "链接",
             "area": "链接"}


def check(site: SiteSnapshot, ctx: Context) -> Iterator[Finding]:
    hosts = _hosts(ctx.options)
    home_ads = _signatures(site.home, ctx.options, hosts) if site.home is not None else {}
    if site.home is not None and home_ads:
        ads = list(home_ads.values())
        yield RULE.finding(
            ctx, url=site.home.url, page=site.home.url,
            message=f"首页含商业广告：{_describe(ads)}（全站模板中的广告只在首页报告一次）",
            evidence={"ads": ads},
        )
    faulty = []
    for page in site.pages:
        if site.home is not None and page.url == site.home.url:
            continue
        ads = [ad for key, ad in _signatures(page, ctx.options, hosts).items()
               if key not in home_ads]
        if ads:
            faulty.append((page, ads))
    faulty.sort(key=lambda pair: pair[0].url)
    limit = max(int(ctx.options["max_pages"]), 0)
    for page, ads in faulty[:limit]:
        yield RULE.finding(
            ctx, url=page.url, page=page.url,
            message=f"页面含商业广告：{_describe(ads)}",
            evidence={"ads": ads, "pages_total": len(faulty)},
        )
