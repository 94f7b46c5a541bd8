"""What makes a link dead, and the one walk over a site's links both link checks share.

`links.dead` and `links.dead-home` differ only in which pages they look at (every page but the
home page, or only the home page), so a link is reported by exactly one of them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from checks.base import Context, Finding, LinkRef, LinkResult, Rule, SiteSnapshot
from crawler.errors import ERROR_KINDS, NOT_DEAD

SOFT404_REASON = "软404（页面显示不存在但返回200）"


def dead_reason(result: LinkResult) -> str | None:
    """A short Chinese reason why the link is dead, or None when it is not dead.

    Dead: a final status >= 400 (after redirects and retries, so a 429 that finally answered
    200 is alive), a failed fetch other than the kinds in `crawler.errors.NOT_DEAD` (which say
    nothing about the target), or a soft 404. A 3xx that led to a 200 page is alive.
    """
    if result.status is not None and result.status >= 400:
        return f"HTTP {result.status}"
    if result.error_kind is not None and result.error_kind not in NOT_DEAD:
        return ERROR_KINDS.get(result.error_kind, f"请求失败（{result.error_kind}）")
    if result.soft404:
        return SOFT404_REASON
    return None


def home_urls(site: SiteSnapshot) -> frozenset[str]:
    """The URLs under which the home page's links were recorded (as requested, and final)."""
    if site.home is None:
        return frozenset()
    return frozenset(u for u in (site.home.url, site.home.final_url) if u)


def dead_link_findings(
    rule: Rule, site: SiteSnapshot, ctx: Context, *, on_home: bool
) -> Iterator[Finding]:
    """One finding per (target, page) whose target is dead, on the home page or elsewhere.

    A link never checked (no result) is not reported. Several occurrences of one target on one
    page (an image and a text link, say) make one finding; its anchor is the first non-empty
    text. Order: by page, then target.
    """
    home = home_urls(site)
    # Judge each target once and sort and group only the links to dead ones: most links are
    # alive, and sorting every link of the site was most of this check's time.
    reasons: dict[str, str | None] = {}  # per target: why it is dead, None when it is not
    dead: list[LinkRef] = []
    for link in site.links:
        if (link.page_url in home) != on_home:
            continue
        if link.url not in reasons:
            result = site.result(link.url)
            reasons[link.url] = dead_reason(result) if result is not None else None
        if reasons[link.url] is not None:
            dead.append(link)
    groups: dict[tuple[str, str], list[LinkRef]] = {}
    for link in sorted(dead, key=lambda x: (x.page_url, x.url, x.kind, x.text)):
        groups.setdefault((link.page_url, link.url), []).append(link)
    for (page, url), refs in groups.items():
        result, reason = site.result(url), reasons[url]
        assert result is not None and reason is not None  # only dead targets were grouped
        yield rule.finding(
            ctx,
            url=url,
            page=page,
            message=f"链接不可用: {reason}",
            evidence=_evidence(result, reason, refs),
        )


def _evidence(result: LinkResult, reason: str, refs: list[LinkRef]) -> dict[str, Any]:
    anchor = next((ref.text for ref in refs if ref.text), "")
    return {
        "reason": reason,
        "status": result.status,
        "error_kind": result.error_kind,
        "error": result.error,
        "anchor": anchor,
        "kind": refs[0].kind,
        "final_url": result.final_url,
        "redirects": list(result.redirects),
        "method": result.method,
        "soft404": result.soft404,
    }
