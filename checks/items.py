"""Columns and item sightings: what the timeliness checks need beyond one crawl's pages.

Columns are derived per crawl (checks.columns.discover) and stored for reports and the
dashboard. Item sightings persist across crawls: an item's first_seen is the earliest
`--as-of` at which any crawl (or, later, the hourly repost watch) saw it, which is what the
12-hour repost rule falls back on when a page shows no publication time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, cast
from urllib.parse import urlsplit

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from checks.base import PROBE_DAYS, Column, ProbeResult, SiteSnapshot, TrackedItem
from checks.timeutil import local_date, resolve
from core.site import SiteEntry
from store import models as m

_COLUMNS = cast(Table, m.ColumnRow.__table__)
_COLUMN_ITEMS = cast(Table, m.ColumnItemRow.__table__)
_SIGHTINGS = cast(Table, m.ItemSighting.__table__)
# What recording a sighting again may change.
_MOVED = ("title", "column_url", "published", "first_seen", "last_seen", "previous_published",
          "date_changed_run")


def _day(moment: datetime | None) -> object:
    return None if moment is None else local_date(moment)


def record_columns(session: Session, crawl_run_id: int, site_id: str,
                   columns: Iterable[Column]) -> int:
    """Store the columns one check pass derived (replacing an earlier pass on the same crawl,
    whose `--as-of` may have resolved year-less dates differently).

    Plain inserts, a column's items in one statement: nothing reads these rows back as ORM
    objects, and adding them one by one through the unit of work cost more than deriving them.
    """
    old = select(m.ColumnRow.id).where(m.ColumnRow.crawl_run_id == crawl_run_id,
                                        m.ColumnRow.site_id == site_id)
    session.execute(delete(m.ColumnItemRow).where(m.ColumnItemRow.column_id.in_(old)))
    session.execute(delete(m.ColumnRow).where(m.ColumnRow.crawl_run_id == crawl_run_id,
                                              m.ColumnRow.site_id == site_id))
    count = 0
    for column in columns:
        column_id = session.execute(insert(_COLUMNS).values(
            crawl_run_id=crawl_run_id, site_id=site_id, url=column.url[:2048],
            name=column.name[:255], type=column.type, level=column.level,
            source=column.source, archived=column.archived, status=column.status,
            placeholder=column.placeholder, newest=column.newest,
            newest_from=column.newest_from, item_count=len(column.items),
        ).returning(_COLUMNS.c.id)).scalar_one()
        if column.items:
            session.execute(insert(_COLUMN_ITEMS), [
                {"column_id": column_id, "title": item.title[:512], "url": item.url[:2048],
                 "date": item.date}
                for item in column.items
            ])
        count += 1
    return count


def sightings_from(snapshot: SiteSnapshot, now: datetime) -> dict[str, TrackedItem]:
    """The items this crawl saw on one site: every column item, and every article page.

    An item's publication time is its own article page's (minute precision) when that page
    was crawled, else the date its list showed."""
    site = snapshot.site.id
    published: dict[str, datetime | None] = {}
    titles: dict[str, str] = {}
    for page in snapshot.pages:
        facts = page.facts
        if facts is None or facts.page_kind != "article":
            continue
        published[page.url] = resolve(facts.published, now) if facts.published else None
        titles[page.url] = facts.meta.get("articletitle") or facts.title
    out: dict[str, TrackedItem] = {}
    for column in snapshot.columns:
        for item in column.items:
            if not item.url or item.url in out:  # a list entry without a link of its own
                continue
            out[item.url] = TrackedItem(
                site=site, url=item.url, title=item.title, column_url=column.url,
                published=published.get(item.url) or item.date, first_seen=now)
    for url, when in published.items():
        if url not in out and titles[url]:
            out[url] = TrackedItem(site=site, url=url, title=titles[url], column_url="",
                                   published=when, first_seen=now)
    return out


def record_sightings(session: Session, site_id: str, items: Mapping[str, TrackedItem],
                     now: datetime, crawl_run_id: int | None = None) -> None:
    """Insert the items never seen before, and move first_seen, last_seen (and title, column,
    publication time when known) of the others.

    When `crawl_run_id` is given (a check pass over that crawl) and an item's publication
    time moves to another day, the earlier time and the run are kept (previous_published,
    date_changed_run) for content.fake-dates; recording the same crawl again keeps them.

    Plain rows and statements rather than ORM objects: a check pass records every item of
    every site each time, and the unit of work's bookkeeping for them was a tenth of its CPU.
    """
    existing: dict[str, dict[str, Any]] = {
        row.url: dict(row._mapping) for row in session.execute(
            select(_SIGHTINGS.c.id, _SIGHTINGS.c.url, *(_SIGHTINGS.c[k] for k in _MOVED))
            .where(_SIGHTINGS.c.site_id == site_id)).all()
    }
    added: list[dict[str, Any]] = []
    changed: dict[int, tuple[dict[str, Any], set[str]]] = {}  # by id: row, columns changed
    for url, item in items.items():
        row = existing.get(url[:2048])
        if row is None:
            added.append({"site_id": site_id, "url": url[:2048], "title": item.title[:512],
                          "column_url": item.column_url[:2048], "published": item.published,
                          "first_seen": now, "last_seen": now})
            continue
        moved = {
            "title": item.title[:512] or row["title"],
            "column_url": item.column_url[:2048] or row["column_url"],
            "published": row["published"] if item.published is None else item.published,
            "first_seen": min(row["first_seen"], now),
            "last_seen": max(row["last_seen"], now),
            "previous_published": row["previous_published"],
            "date_changed_run": row["date_changed_run"],
        }
        if (crawl_run_id is not None and row["published"] is not None
                and item.published is not None
                and _day(item.published) != _day(row["published"])):
            moved["previous_published"] = row["published"]
            moved["date_changed_run"] = crawl_run_id
        columns = {k for k in _MOVED if moved[k] != row[k]}
        if columns:
            row.update(moved)
            changed.setdefault(row["id"], (row, set()))[1].update(columns)
    if added:
        session.execute(insert(_SIGHTINGS), added)
    # One statement per set of changed columns (usually one set: last_seen), each setting
    # only those: binding unchanged datetimes for every row cost more than the update.
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row_id, (row, columns) in changed.items():
        names = tuple(k for k in _MOVED if k in columns)
        by_columns.setdefault(names, []).append(
            {"row_id": row_id, **{k: row[k] for k in names}})
    for names, params in by_columns.items():
        session.execute(
            update(_SIGHTINGS).where(_SIGHTINGS.c.id == bindparam("row_id"))
            .values({k: bindparam(k) for k in names}),
            params,
        )


def load_probes(session: Session, site_id: str, now: datetime) -> tuple[ProbeResult, ...]:
    """The site's probes in the PROBE_DAYS before `now` (none after it: --as-of rules)."""
    rows = session.scalars(
        select(m.Probe)
        .where(m.Probe.site_id == site_id,
               m.Probe.started_at > now - timedelta(days=PROBE_DAYS),
               m.Probe.started_at <= now)
        .order_by(m.Probe.started_at, m.Probe.id))
    return tuple(ProbeResult(started_at=r.started_at, ok=r.ok, status=r.status,
                             error_kind=r.error_kind, error=r.error, elapsed_ms=r.elapsed_ms,
                             final_url=r.final_url, tls_not_after=r.tls_not_after,
                             tls_issuer=r.tls_issuer)
                 for r in rows)


def load_items(session: Session, site_id: str) -> tuple[TrackedItem, ...]:
    t = _SIGHTINGS.c
    rows = session.execute(
        select(t.site_id, t.url, t.title, t.column_url, t.published, t.first_seen,
               t.previous_published, t.date_changed_run)
        .where(t.site_id == site_id).order_by(t.url)).all()
    return tuple(TrackedItem(site=site, url=url, title=title, column_url=column_url,
                             published=published, first_seen=first_seen,
                             previous_published=previous, date_changed_run=changed_run)
                 for site, url, title, column_url, published, first_seen, previous, changed_run
                 in rows)


def _under(url: str, paths: Iterable[str]) -> bool:
    path = urlsplit(url).path or "/"
    return any(path.startswith(p) for p in paths)


def load_sources(session: Session, site: SiteEntry, registry: Mapping[str, SiteEntry]
                 ) -> dict[str, tuple[TrackedItem, ...]]:
    """The important items of each portal this site must repost from."""
    out: dict[str, tuple[TrackedItem, ...]] = {}
    for portal_id in site.repost_from:
        portal = registry.get(portal_id)
        if portal is None or not portal.important_columns:
            out[portal_id] = ()
            continue
        out[portal_id] = tuple(
            item for item in load_items(session, portal_id)
            if _under(item.column_url or item.url, portal.important_columns)
        )
    return out
