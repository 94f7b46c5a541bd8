"""Rows -> check inputs, so that checks never import the ORM (GUIDE: data flows one way)."""

from __future__ import annotations

from dataclasses import replace
from itertools import starmap
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from checks.base import AttachmentRef, LinkCap, LinkRef, LinkResult, PageRef, SiteSnapshot
from core.site import SiteEntry
from crawler.facts import STYLESHEET_KEY, PageFacts, PersonalNumber
from store import models as m


def load_site_entry(session: Session, site_id: str) -> SiteEntry | None:
    row = session.get(m.Site, site_id)
    return SiteEntry.from_dict(row.config) if row is not None else None


def load_registry(session: Session) -> dict[str, SiteEntry]:
    rows = session.scalars(select(m.Site).where(m.Site.active.is_(True)).order_by(m.Site.id))
    return {row.id: SiteEntry.from_dict(row.config) for row in rows}


def _same_page(a: str, b: str) -> bool:
    return a.rstrip("/") == b.rstrip("/")


# The columns of a stored link result, in LinkResult's field order.
_RESULT_COLUMNS = (
    m.LinkResult.url, m.LinkResult.status, m.LinkResult.final_url, m.LinkResult.redirects,
    m.LinkResult.error_kind, m.LinkResult.error, m.LinkResult.method, m.LinkResult.elapsed_ms,
    m.LinkResult.soft404,
)


def _link_result(row: Any) -> LinkResult:
    url, status, final_url, redirects, error_kind, error, method, elapsed_ms, soft404 = row
    return LinkResult(
        url=url, status=status, final_url=final_url, redirects=tuple(redirects or ()),
        error_kind=error_kind, error=error, method=method, elapsed_ms=elapsed_ms,
        soft404=soft404,
    )


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
        for row in session.connection().execute(select(*_RESULT_COLUMNS).where(
                m.LinkResult.crawl_run_id == crawl_run_id, m.LinkResult.url.in_(wanted))):
            targets[row[0]] = _link_result(row)
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
    """Everything one crawl run stored about one site.

    Reads plain rows through the session's connection rather than ORM entities: nothing here
    is modified, and the ORM's per-row bookkeeping (identity map, instance state) was most of
    the cost of a snapshot, which has a row per page and per link.
    """
    conn = session.connection()
    page_rows = conn.execute(
        select(m.Page.url, m.Page.status, m.Page.depth, m.Page.final_url, m.Page.content_type,
               m.Page.error_kind, m.Page.parent_url, m.PageFactsRow.data)
        .outerjoin(m.PageFactsRow, m.PageFactsRow.page_id == m.Page.id)
        .where(m.Page.crawl_run_id == crawl_run_id, m.Page.site_id == site.id)
        .order_by(m.Page.depth, m.Page.url)
    ).all()  # fetchall: iterating a result fetches row by row, several times slower
    shared: dict[Any, Any] = {}  # equal links etc. of different pages built once (from_dict)
    # A stylesheet's stored facts are its hiding rules (crawler.spam.stylesheet_facts): the
    # sheet is no page with facts, its rules go to the snapshot's `stylesheets`.
    stylesheets: dict[str, dict[str, str]] = {}
    for url, *_, data in page_rows:
        if data is not None and STYLESHEET_KEY in data:
            stylesheets[url] = dict(data[STYLESHEET_KEY])
    pages = tuple(
        PageRef(
            url=url,
            status=status,
            depth=depth,
            final_url=final_url,
            content_type=content_type,
            error_kind=error_kind,
            facts=PageFacts.from_dict(data, shared)
            if data is not None and url not in stylesheets else None,
            parent_url=parent_url,
        )
        for url, status, depth, final_url, content_type, error_kind, parent_url, data
        in page_rows
    )
    del shared
    home = next((p for p in pages if p.depth == 0 and _same_page(p.url, site.url)), None)
    if home is None:
        home = next((p for p in pages if _same_page(p.url, site.url)), None)

    # In no particular order: sorting a site's links cost the database more than anything
    # else here, and the one check that reads them sorts the few it reports.
    link_rows = conn.execute(
        select(m.Link.page_url, m.Link.url, m.Link.kind, m.Link.text)
        .where(m.Link.crawl_run_id == crawl_run_id, m.Link.site_id == site.id)
    ).all()
    links = tuple(starmap(LinkRef, link_rows))  # (page_url, url, kind, text); a C loop

    wanted = select(m.Link.url).where(
        m.Link.crawl_run_id == crawl_run_id, m.Link.site_id == site.id
    )
    result_rows = conn.execute(
        select(*_RESULT_COLUMNS).where(
            m.LinkResult.crawl_run_id == crawl_run_id, m.LinkResult.url.in_(wanted)
        )
    ).all()
    results = _join_redirects({row[0]: _link_result(row) for row in result_rows},
                              session, crawl_run_id)
    stats = session.get(m.CrawlRun, crawl_run_id)
    cap = ((stats.stats or {}).get("link_caps") or {}).get(site.id) if stats else None
    attachment_rows = conn.execute(
        select(m.AttachmentText.url, m.AttachmentText.page_url, m.AttachmentText.format,
               m.AttachmentText.text_chars, m.AttachmentText.personal, m.AttachmentText.error)
        .where(m.AttachmentText.crawl_run_id == crawl_run_id,
               m.AttachmentText.site_id == site.id)
        .order_by(m.AttachmentText.url)
    ).all()
    attachments = tuple(
        AttachmentRef(url=url, page_url=page_url, format=fmt, text_chars=chars,
                      personal=tuple(PersonalNumber(**n) for n in personal or ()),
                      error=error or "")
        for url, page_url, fmt, chars, personal, error in attachment_rows
    )
    return SiteSnapshot(
        site=site,
        crawl_run_id=crawl_run_id,
        home=home,
        pages=pages,
        links=links,
        results=results,
        link_cap=LinkCap.from_dict(cap) if cap else None,
        stylesheets=stylesheets,
        attachments=attachments,
    )
