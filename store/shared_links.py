"""Link results shared across crawl processes: the statements behind crawler.sharing.

The database is the shared memory (SQLite on one machine, PostgreSQL for a cluster). A crawl
about to verify a link target
- reuses the target's published result when it is fresh (checked less than `ttl` seconds ago);
- otherwise claims it: an INSERT of its row, or a conditional UPDATE of a row whose result is
  stale and whose claim is absent, older than `claim_timeout` (its claimant died somewhere),
  or held by a process of this machine that is gone (`claimant_gone`: taken over at once, not
  after the timeout). Each statement is atomic per row, so of two crawls claiming at once
  exactly one wins;
- else waits for another crawl's claim to turn into a result (the caller looks again later).

The claimant renews its claims while they are pending (`renew`), publishes each result
(`publish`, which clears the claim) and gives up what it still holds when it stops (`release`).

Per-host politeness across processes: `reserve` moves a host's next-allowed time on by one
interval per request, atomically, and hands back the slots reserved, so that the link checks
all crawls send to one host are spaced by at least that interval.

Every function takes a session whose transaction the caller owns; a batch of URLs costs a few
statements, never one per URL. Times are epoch seconds.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, case, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from store import models as m

LINKS: Any = m.SharedLink.__table__
HOSTS: Any = m.SharedLinkHost.__table__
RESULTS: Any = m.LinkResult.__table__
CHUNK = 500  # URLs per statement (bound parameters stay well under every backend's limit)
# The fields of a result, as link_results stores them (crawler.items.ResultItem).
RESULT_FIELDS = ("method", "status", "final_url", "redirects", "error_kind", "error",
                 "elapsed_ms", "soft404", "attempts")


@dataclass(slots=True)
class Claims:
    """What `claim` found for each URL asked about."""

    fresh: dict[str, tuple[dict[str, Any], float]] = field(default_factory=dict)  # result, when
    mine: list[str] = field(default_factory=list)  # claimed by the caller: check them
    waiting: list[str] = field(default_factory=list)  # claimed by another crawl


def claimant(run_id: int) -> str:
    """Who holds a claim: machine, process and run (`claimant_gone` reads the first two)."""
    return f"{socket.gethostname()}:{os.getpid()}:{run_id}"[:255]


def claimant_gone(who: str) -> bool:
    """Whether `who` (a `claimant`) is a process of this machine that no longer runs.

    False whenever that cannot be known (another machine, a malformed value): such claims
    are taken over only once they are older than the claim timeout. A zombie (killed, not
    yet reaped by its parent) counts as gone."""
    parts = who.split(":")
    if len(parts) < 3 or ":".join(parts[:-2]) != socket.gethostname()[:255]:
        return False
    try:
        pid = int(parts[-2])
    except ValueError:
        return False
    if pid <= 0 or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # EPERM: alive under another user
        return False
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rpartition(")")[2].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def _gone(cache: dict[str, bool], who: str | None) -> bool:
    if who is None:
        return False
    if who not in cache:
        cache[who] = claimant_gone(who)
    return cache[who]


def _insert(session: Session, table: Any) -> Any:
    module: Any = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return module.insert(table)


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start:start + CHUNK]


def claim(session: Session, urls: Sequence[str], *, me: str, now: float, ttl: float,
          claim_timeout: float) -> Claims:
    """For each of `urls` (distinct, at most 2048 characters): its fresh result, or a claim
    for `me`, or another crawl's claim to wait for."""
    out = Claims()
    rows: dict[str, Any] = {}
    for chunk in _chunks(urls):
        for found in session.execute(
                select(LINKS.c.url, LINKS.c.claimed_by, LINKS.c.claimed_at, LINKS.c.checked_at,
                       LINKS.c.result).where(LINKS.c.url.in_(chunk))):
            rows[found.url] = found
    fresh_after, claim_after = now - ttl, now - claim_timeout
    missing: list[str] = []
    stale: list[str] = []
    gone: dict[str, bool] = {}  # claimant -> claimant_gone, asked once per claimant
    for url in urls:
        row = rows.get(url)
        if row is None:
            missing.append(url)
        elif row.result is not None and row.checked_at is not None and (
                row.checked_at >= fresh_after):
            out.fresh[url] = (row.result, row.checked_at)
        elif row.claimed_by == me and row.claimed_at is not None:
            out.mine.append(url)  # asked again (a redirect hop): still ours
        elif (row.claimed_at is None or row.claimed_at < claim_after
              or _gone(gone, row.claimed_by)):
            stale.append(url)
        else:
            out.waiting.append(url)
    won: set[str] = set()
    for chunk in _chunks(missing):
        won.update(session.execute(
            _insert(session, LINKS).values(
                [{"url": url, "claimed_by": me, "claimed_at": now} for url in chunk])
            .on_conflict_do_nothing().returning(LINKS.c.url)).scalars())
    for chunk in _chunks(stale):
        # Re-tested row by row by the UPDATE itself: of two crawls, one wins.
        won.update(session.execute(
            update(LINKS)
            .where(LINKS.c.url.in_(chunk),
                   or_(LINKS.c.result.is_(None), LINKS.c.checked_at.is_(None),
                       LINKS.c.checked_at < fresh_after),
                   or_(LINKS.c.claimed_at.is_(None), LINKS.c.claimed_at < claim_after,
                       LINKS.c.claimed_by.in_([who for who, dead in gone.items() if dead])))
            .values(claimed_by=me, claimed_at=now)
            .returning(LINKS.c.url)).scalars())
    for url in (*missing, *stale):
        (out.mine if url in won else out.waiting).append(url)
    return out


def claim_always(session: Session, urls: Sequence[str], *, me: str, now: float) -> None:
    """Claim `urls` whatever their state: pages the caller fetches anyway (its sites' home
    pages), so that other crawls linking to them wait for that fetch instead of their own."""
    for chunk in _chunks(urls):
        stmt = _insert(session, LINKS).values(
            [{"url": url, "claimed_by": me, "claimed_at": now} for url in chunk])
        session.execute(stmt.on_conflict_do_update(
            index_elements=[LINKS.c.url],
            set_={"claimed_by": stmt.excluded.claimed_by,
                  "claimed_at": stmt.excluded.claimed_at}))


def publish(session: Session, results: Sequence[Mapping[str, Any]], now: float) -> None:
    """Store each result (a ResultItem's fields and its `url`) as its URL's shared verdict,
    checked `now`, and clear the URL's claim."""
    rows = {r["url"][:2048]: {name: r[name] for name in RESULT_FIELDS} for r in results}
    items = [{"url": url, "result": result, "checked_at": now, "claimed_by": None,
              "claimed_at": None} for url, result in rows.items()]
    if not items:
        return
    # Parameters passed apart from the statement (executemany): its compiled form is cached,
    # where a multi-VALUES statement is compiled anew for each batch; the driver batches the
    # rows itself, so no CHUNK is needed here.
    stmt = _insert(session, LINKS)
    stmt = stmt.on_conflict_do_update(
        index_elements=[LINKS.c.url],
        set_={"result": stmt.excluded.result, "checked_at": stmt.excluded.checked_at,
              "claimed_by": None, "claimed_at": None})
    session.execute(stmt, items)


def renew(session: Session, me: str, now: float) -> None:
    """Keep the caller's pending claims alive."""
    session.execute(update(LINKS).where(LINKS.c.claimed_by == me,
                                        LINKS.c.claimed_at.is_not(None))
                    .values(claimed_at=now))


def release(session: Session, me: str) -> None:
    """Give up every claim the caller still holds (it stops): others take them at once."""
    session.execute(update(LINKS).where(LINKS.c.claimed_by == me)
                    .values(claimed_by=None, claimed_at=None))


def copy_results(session: Session, run_id: int,
                 found: Mapping[str, tuple[Mapping[str, Any], float]]) -> None:
    """Store shared results as the run's own link results (the check pass reads a run's),
    each with the time it was checked."""
    rows = [{"crawl_run_id": run_id, "url": url, "checked_at": datetime.fromtimestamp(at, UTC),
             **{name: result.get(name) for name in RESULT_FIELDS}}
            for url, (result, at) in found.items()]
    for row in rows:
        row["redirects"] = row["redirects"] or []
        row["attempts"] = row["attempts"] or 1
        row["soft404"] = bool(row["soft404"])
    for chunk in _chunks(rows):
        session.execute(_insert(session, RESULTS).on_conflict_do_nothing(), list(chunk))


def reserve(session: Session, counts: Mapping[str, int], interval: float,
            now: float) -> dict[str, float]:
    """Reserve `counts[host]` request slots on each host, `interval` apart, after whatever
    every crawl reserved before: the time of each host's first slot (the next ones follow
    at `interval`)."""
    first: dict[str, float] = {}
    hosts = sorted(counts)  # one order for every process: no deadlock between two batches
    for chunk in _chunks(hosts):
        session.execute(_insert(session, HOSTS).values(
            [{"host": host, "next_at": 0.0} for host in chunk]).on_conflict_do_nothing())
    for host in hosts:
        span = counts[host] * interval
        end = session.execute(
            update(HOSTS).where(HOSTS.c.host == host)
            .values(next_at=case((HOSTS.c.next_at > now, HOSTS.c.next_at), else_=now) + span)
            .returning(HOSTS.c.next_at)).scalar_one()
        first[host] = float(end) - span
    return first


def expire(session: Session, before: float) -> int:
    """Delete results checked before `before` that nobody claims (housekeeping)."""
    result: Any = session.execute(delete(LINKS).where(
        and_(LINKS.c.claimed_by.is_(None),
             or_(LINKS.c.checked_at.is_(None), LINKS.c.checked_at < before))))
    return int(result.rowcount)
