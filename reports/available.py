"""Which report periods have data, so that the dashboard offers only reports that can be
generated (a period with no finished crawl and no finding event makes no report).

A month has data when a finished crawl run's as_of, or a finding's last_seen or fixed_at,
lies in it (the same events reports.queries counts as an inspection); a quarter or a year
has data when one of its months does. One small query for the crawl runs and two indexed
range probes per month for the findings, so the page stays quick over a million findings.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from reports.periods import Period
from store import models as m
from store.repo import FINISHED

# Months looked back over for data (two years: the reports page lists the newest few).
LOOKBACK_MONTHS = 24


def months_with_data(session: Session, now: datetime, tz: str, *,
                     lookback: int = LOOKBACK_MONTHS) -> list[Period]:
    """The months (newest first) of the last `lookback`, the current one included, that
    have data."""
    local = now.astimezone(ZoneInfo(tz))
    current = Period("monthly", local.year, local.month, tz)
    months = current.last(lookback)
    since, until = months[0].start, months[-1].end
    runs = [at for at in session.scalars(
        select(m.CrawlRun.as_of).where(m.CrawlRun.status == FINISHED,
                                       m.CrawlRun.as_of >= since, m.CrawlRun.as_of < until))
        if at is not None]
    found: list[Period] = []
    F = m.Finding
    for month in reversed(months):
        start, end = month.start, month.end
        if any(start <= at < end for at in runs) or session.scalar(select(
                exists().where(F.last_seen >= start, F.last_seen < end))) or session.scalar(
                select(exists().where(F.fixed_at >= start, F.fixed_at < end))):
            found.append(month)
    return found


def periods_with_data(session: Session, now: datetime, tz: str, *, months: int = 6,
                      quarters: int = 4, years: int = 2) -> dict[str, list[Period]]:
    """The newest periods of each kind that have data, newest first."""
    have = months_with_data(session, now, tz)
    out: dict[str, list[Period]] = {"monthly": have[:months], "quarterly": [], "annual": []}
    for kind, limit in (("quarterly", quarters), ("annual", years)):
        seen: list[Period] = []
        for month in have:
            number = (month.index - 1) // 3 + 1 if kind == "quarterly" else 1
            period = Period(kind, month.year, number, tz)
            if period not in seen:
                seen.append(period)
        out[kind] = seen[:limit]
    return out
