"""Rows -> check inputs, so that checks never import the ORM (GUIDE: data flows one way)."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from checks.base import LinkRef, LinkResult, PageRef, SiteSnapshot
from crawler.facts import PageFacts
from govwatch.site import SiteEntry
from store import models as m


def load_site_entry(session: Session, site_id: str) -> SiteEntry | None:
    row = session.get(m.Site, site_id)
    return SiteEntry.from_dict(row.config) if row is not None else None


def load_registry(session: Session) -> dict[str, SiteEntry]:
    rows = session.scalars(select(m.Site).where(m.Site.active.is_(True)).order_by(m.Site.id))
    return {row.id: SiteEntry.from_dict(row.config) for row in rows}


def _same_page(a: str, b: str) -> bool:
    return a.rstrip("/") == b.rstrip("/")


def _join_redirects(results: dict[str, LinkResult], session: Session, crawl_run_id: int
                    ) -> dict[str, LinkResult]:
    """A redirect the crawler did not follow (its target was verified by another request)
    is stored as the 3xx itself; give it the target's verdict, with the chains joined."""
    pending = {url: r for url, r in results.items()
               if r.status is not None and 300 <= r.status < 400 and r.final_url}
    if not pending:
        return results
    targets: dict[str, LinkResult] = dict(results)
    wanted = {r.final_url for r in pending.values() if r.final_url not in targets}
    if wanted:
        for row in session.scalars(select(m.LinkResult).where(
                m.LinkResult.crawl_run_id == crawl_run_id, m.LinkResult.url.in_(wanted))):
            targets[row.url] = LinkResult(
                url=row.url, status=row.status, final_url=row.final_url,
                redirects=tuple(row.redirects or ()), error_kind=row.error_kind,
                error=row.error, method=row.method, elapsed_ms=row.elapsed_ms,
                soft404=row.soft404)
    out = dict(results)
    for url, result in pending.items():
        target = targets.get(result.final_url or "")
        if target is None or (target.status is not None and 300 <= target.status < 400):
            continue  # unknown or itself unresolved: keep the 3xx as recorded
        out[url] = replace(
            result,
            status=target.status,
            final_url=target.final_url or target.url,
            redirects=result.redirects + target.redirects,
            error_kind=target.error_kind,
            error=target.error,
            soft404=target.soft404,
        )
    return out


def build_snapshot(session: Session, crawl_run_id: int, site: SiteEntry) -> SiteSnapshot:
    """Everything one crawl run stored about one site."""
    page_rows = session.execute(
        select(m.Page, m.PageFactsRow.data)
        .outerjoin(m.PageFactsRow, m.PageFactsRow.page_id == m.Page.id)
        .where(m.Page.crawl_run_id == crawl_run_id, m.Page.site_id == site.id)
        .order_by(m.Page.depth, m.Page.url)
    ).all()
    pages = tuple(
        PageRef(
            url=row.url,
            status=row.status,
            depth=row.depth,
            final_url=row.final_url,
            content_type=row.content_type,
            error_kind=row.error_kind,
            facts=PageFacts.from_dict(data) if data is not None else None,
            parent_url=row.parent_url,
        )
        for row, data in page_rows
    )
    home = next((p for p in pages if p.depth == 0 and _same_page(p.url, site.url)), None)
    if home is None:
        home = next((p for p in pages if _same_page(p.url, site.url)), None)

    link_rows = session.execute(
        select(m.Link.page_url, m.Link.url, m.Link.kind, m.Link.text)
        .where(m.Link.crawl_run_id == crawl_run_id, m.Link.site_id == site.id)
        .order_by(m.Link.page_url, m.Link.url, m.Link.kind)
    ).all()
    links = tuple(LinkRef(page_url=p, url=u, kind=k, text=t) for p, u, k, t in link_rows)

    wanted = select(m.Link.url).where(
        m.Link.crawl_run_id == crawl_run_id, m.Link.site_id == site.id
    )
    result_rows = session.scalars(
        select(m.LinkResult).where(
            m.LinkResult.crawl_run_id == crawl_run_id, m.LinkResult.url.in_(wanted)
        )
    )
    results = _join_redirects({
        r.url: LinkResult(
            url=r.url,
            status=r.status,
            final_url=r.final_url,
            redirects=tuple(r.redirects or ()),
            error_kind=r.error_kind,
            error=r.error,
            method=r.method,
            elapsed_ms=r.elapsed_ms,
            soft404=r.soft404,
        )
        for r in result_rows
    }, session, crawl_run_id)
    return SiteSnapshot(
        site=site,
        crawl_run_id=crawl_run_id,
        home=home,
        pages=pages,
        links=links,
        results=results,
    )
