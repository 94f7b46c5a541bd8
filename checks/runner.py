"""Run every enabled check over stored crawls and merge the findings into the store.

Checks are pure; this is the only place that reads settings and the database for them. A
check that raises aborts the whole pass (nothing half-recorded): in a compliance product a
check that silently vanishes is worse than a crash.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from checks import items
from checks.base import Column, Context, Finding, SiteSnapshot
from checks.catalogue import CheckSpec, load_catalogue, resolve_options
from checks.columns.discover import discover_columns
from checks.regulations import binding
from checks.snapshot import build_snapshot, load_registry
from core.regulations import NATIONAL
from core.settings import Settings
from core.site import SiteEntry
from store import repo
from store.workdays import Deadlines


class CheckError(Exception):
    pass


# Pages of portals' snapshots pass 1 keeps in memory for pass 2 (~30 MB per 1,000 pages); the
# snapshots of portals beyond this are rebuilt from the database in pass 2 instead. WHY:
# holding every site's snapshot made checking 50 sites of 1,000 pages take 1.6 GB; rebuilding
# one costs about a second per 1,000 pages, so small runs keep everything and large ones stay
# bounded. Sites no other site reposts from are built once, in pass 2.
KEEP_PAGES = 12_000


@dataclass(frozen=True, slots=True)
class PlannedCheck:
    spec: CheckSpec
    options: Mapping[str, Any]


@dataclass(slots=True)
class RunSummary:
    sites: int = 0
    skipped: list[str] = field(default_factory=list)  # sites with no finished crawl
    counts: repo.FindingCounts = field(default_factory=repo.FindingCounts)
    by_check: dict[str, int] = field(default_factory=dict)


def plan(settings: Settings, catalogue: Mapping[str, CheckSpec] | None = None
         ) -> list[PlannedCheck]:
    """The enabled checks with validated options; unknown codes in settings are errors."""
    catalogue = catalogue if catalogue is not None else load_catalogue()
    unknown = sorted(set(settings.checks) - set(catalogue))
    if unknown:
        raise CheckError(f"{settings.source}: 未知的检查代码 {', '.join(unknown)}")
    planned = []
    for code, spec in catalogue.items():
        if not settings.check_enabled(code):
            continue
        options = resolve_options(spec.rule, settings.check_overrides(code))
        planned.append(PlannedCheck(spec, options))
    return planned


def site_regulations(site_id: str, registry: Mapping[str, SiteEntry], settings: Settings
                     ) -> frozenset[str]:
    """The regulations binding a site: national ones plus those its authorities adopt."""
    parents = {sid: entry.parent for sid, entry in registry.items()}
    return binding(site_id, parents, settings.adopt)


def evaluate(snapshot: SiteSnapshot, planned: Iterable[PlannedCheck], now: datetime,
             registry: Mapping[str, Any], regulations: frozenset[str] = NATIONAL
             ) -> list[Finding]:
    """Pure: the findings of the planned checks on one site's snapshot; they cite the
    `regulations` binding the site."""
    findings: list[Finding] = []
    for item in planned:
        ctx = Context(now=now, site=snapshot.site, options=item.options, registry=registry,
                      regulations=regulations)
        try:
            findings.extend(item.spec.check(snapshot, ctx))
        except Exception as exc:
            raise CheckError(
                f"检查 {item.spec.rule.code} 在站点 {snapshot.site.id} 上出错: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
    return findings


@contextmanager
def _collect_between_sites() -> Iterator[None]:
    """Automatic cyclic garbage collection off for the block; the caller calls
    `gc.collect(1)` after each site.

    WHY: a pass allocates millions of objects (each site's snapshot) and keeps many of them
    (KEEP_PAGES), and every automatic full collection traverses all that is kept: they were
    about 40% of a pass's CPU. Snapshots hold no reference cycles, so reference counting
    frees them; collecting the young generations after each site frees whatever cyclic
    garbage that site left (keeping memory bounded) at the cost of one traversal of what it
    allocated.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def run_checks(
    factory: sessionmaker[Session],
    settings: Settings,
    *,
    site_ids: Sequence[str],
    now: datetime,
    crawl_run_id: int | None = None,
    keep_pages: int = KEEP_PAGES,
    crawl_runs: Mapping[str, int] | None = None,
) -> RunSummary:
    """Check each site on `crawl_run_id` (or its own run in `crawl_runs`, when several crawl
    processes crawled the sites), or on its latest finished crawl.

    `keep_pages` bounds the pages of snapshots held between the two passes (see KEEP_PAGES).
    """
    planned = plan(settings)
    codes = [p.spec.rule.code for p in planned]
    summary = RunSummary()
    deadlines = Deadlines(settings.rectify.deadline_working_days, settings.timezone)
    new = persisting = reopened = fixed = 0
    with _collect_between_sites(), factory() as session, session.begin():
        registry = load_registry(session)
        runs: dict[str, int] = {}  # site -> the crawl run it is checked on
        for site_id in site_ids:
            if site_id not in registry:
                raise CheckError(f"站点 {site_id} 未登记")
            run_id = crawl_run_id if crawl_runs is None else crawl_runs.get(site_id)
            if run_id is None:
                run = repo.latest_finished_run(session, site_id)
                if run is None:
                    summary.skipped.append(site_id)
                    continue
                run_id = run.id
            runs[site_id] = run_id

        def prepared(site_id: str) -> SiteSnapshot:
            """The site's snapshot with its columns, its columns and sightings recorded."""
            run_id = runs[site_id]
            snapshot = build_snapshot(session, run_id, registry[site_id])
            columns = discover_columns(snapshot, now, settings.columns.single_page_text_min)
            snapshot = replace(snapshot, columns=columns)
            items.record_columns(session, run_id, site_id, snapshot.columns)
            items.record_sightings(session, site_id, items.sightings_from(snapshot, now), now,
                                   crawl_run_id=run_id)
            return snapshot

        # Pass 1, portals only: derive the columns of every site others repost from and
        # record the items it showed, so that a portal's important items are known before
        # any site below it is checked. Nothing else reads another site's records, so every
        # other site is prepared and checked in one go in pass 2 (one snapshot build each).
        portals = {p for s in runs for p in registry[s].repost_from if p in runs}
        held: dict[str, SiteSnapshot | tuple[SiteEntry, tuple[Column, ...]]] = {}
        kept_pages = 0
        for site_id in runs:
            if site_id not in portals:
                continue
            snapshot = prepared(site_id)
            if kept_pages + len(snapshot.pages) <= keep_pages:
                kept_pages += len(snapshot.pages)
                held[site_id] = snapshot
            else:  # rebuilt in pass 2 (bounded memory)
                held[site_id] = (registry[site_id], snapshot.columns)
            del snapshot
            gc.collect(1)
        session.flush()
        # Pass 2: the checks, each site's snapshot released once it is checked.
        for site_id, run_id in runs.items():
            kept = held.pop(site_id, None)
            if kept is None:
                snapshot = prepared(site_id)
                session.flush()
            elif isinstance(kept, tuple):
                entry, columns = kept
                snapshot = replace(build_snapshot(session, run_id, entry), columns=columns)
            else:
                snapshot = kept
            snapshot = replace(
                snapshot,
                items=items.load_items(session, site_id),
                sources=items.load_sources(session, snapshot.site, registry),
                probes=items.load_probes(session, site_id, now),
            )
            findings = evaluate(snapshot, planned, now, registry,
                                site_regulations(site_id, registry, settings))
            for f in findings:
                summary.by_check[f.check] = summary.by_check.get(f.check, 0) + 1
            counts = repo.record_findings(
                session, findings, site_id=site_id, checks_run=codes, seen_at=now,
                crawl_run_id=snapshot.crawl_run_id, deadlines=deadlines,
            )
            new += counts.new
            persisting += counts.persisting
            reopened += counts.reopened
            fixed += counts.fixed
            summary.sites += 1
            del snapshot, kept, findings
            gc.collect(1)
    summary.counts = repo.FindingCounts(new, persisting, reopened, fixed)
    return summary
