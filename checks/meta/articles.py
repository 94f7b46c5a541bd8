"""The article pages the 要素完整 checks look at, and their capped one-finding-per-page output.

`meta.source-missing` and `meta.pubdate-missing` differ only in the field they ask for, so
they share the walk: loaded pages (2xx with facts) the extractor judged articles
(`page_kind == "article"`), the home page excluded, by URL; at most `max_pages` findings, each
carrying how many pages lack the field in all, so a template fault across 5000 articles is
200 findings plus a count rather than 5000 findings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from checks.base import Context, Finding, PageRef, Rule, SiteSnapshot
from crawler.facts import PageFacts


def article_pages(site: SiteSnapshot) -> list[tuple[PageRef, PageFacts]]:
    home = site.home
    home_urls = {u for u in (home.url, home.final_url) if u} if home is not None else set()
    out: dict[str, tuple[PageRef, PageFacts]] = {}
    for page in site.pages:
        facts = page.facts
        if (
            facts is None
            or facts.page_kind != "article"
            or page.url in home_urls
            or page.status is None
            or not 200 <= page.status < 300
        ):
            continue
        out.setdefault(page.url, (page, facts))
    return [out[url] for url in sorted(out)]


def lacking(
    rule: Rule,
    site: SiteSnapshot,
    ctx: Context,
    missing: Callable[[PageFacts], bool],
    message: str,
) -> Iterator[Finding]:
    faulty = [(page, facts) for page, facts in article_pages(site) if missing(facts)]
    limit = max(int(ctx.options["max_pages"]), 0)
    for page, facts in faulty[:limit]:
        yield rule.finding(
            ctx,
            url=page.url,
            page=page.url,
            message=message,
            evidence={
                "title": facts.meta.get("articletitle") or facts.title,
                "published": facts.published,
                "published_from": facts.published_from,
                "source": facts.source,
                "meta_pubdate": facts.meta.get("pubdate", ""),
                "meta_contentsource": facts.meta.get("contentsource", ""),
                "pages_total": len(faulty),
                "pages_listed": min(len(faulty), limit),
            },
        )
