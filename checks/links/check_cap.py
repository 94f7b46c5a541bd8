"""links.check-cap — 链接检查达到上限，部分链接未检查.

Rule: 永州办法 第十九条(四) (daily patrol of 链接可用情况) asks for every link; a crawl bounds the
link checks one site can cause (`crawler.link_check_factor` x the site's max_pages per site,
`crawler.max_links_per_page` distinct new targets per page), so that a page of 10,000 links
or a link trap cannot turn one crawl into an unbounded number of requests.
Measured: the crawl run's record of the caps it applied to this site (crawl_runs.stats
"link_caps"); one notice per site when either cap was reached, naming the caps, how many
link targets went unverified and the pages whose links were cut. Links not verified are
never reported dead (they have no result), so the findings of such a crawl are incomplete.
Fix: look at the pages named — very many links on one page, or an endless family of URLs
(calendars, session ids), are worth fixing on the site; where the links are genuine, raise
the caps in the settings.
"""

from __future__ import annotations

from collections.abc import Iterator

from checks.base import Context, Finding, Rule, Severity, SiteSnapshot

RULE = Rule(
    code="links.check-cap",
    title="链接检查达到上限，部分链接未检查",
    severity=Severity.NOTICE,
    reference="yongzhou-2021 第十九条(四); zhiyin-2017",
    scope="site",
    fix="检查所列页面是否链接过多或存在无穷链接（日历、会话参数等）并加以整改；链接确属正常时，"
    "由监测方调高 crawler.link_check_factor / crawler.max_links_per_page 后重新抓取。",
)


def check(site: SiteSnapshot, ctx: Context) -> Iterator[Finding]:
    cap = site.link_cap
    if cap is None or (cap.skipped == 0 and cap.pages_capped == 0):
        return
    parts = []
    if cap.skipped:
        parts.append(f"全站链接检查已达上限 {cap.site_cap} 个，另有 {cap.skipped} 个链接未检查")
    if cap.pages_capped:
        parts.append(f"{cap.pages_capped} 个页面的链接超过每页上限 {cap.per_page} 个，"
                     f"其中 {cap.page_skipped} 个链接未检查")
    home = site.home.url if site.home is not None else site.site.url
    page = cap.pages[0] if cap.pages else home
    yield RULE.finding(
        ctx, url=home, page=page,
        message="；".join(parts) + "。本次链接检查结果不完整（links.check-cap）",
        evidence={"site_cap": cap.site_cap, "per_page": cap.per_page, "checks": cap.checks,
                  "skipped": cap.skipped, "pages_capped": cap.pages_capped,
                  "page_skipped": cap.page_skipped, "pages": list(cap.pages)},
    )
