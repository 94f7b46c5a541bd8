"""The job table of `govwatch serve` (the scheduler only schedules; see GUIDE.md).

Each job names its callable by textual reference and has a stable id, so that APScheduler's
SQLAlchemy job store can be re-synchronised with `replace_existing=True` on every start
without duplicating jobs. The service that runs this table (nightly crawls in their own
processes, probes, repost watch, reports) is built on top of it; until then this table is
the agreed schedule and is validated by the tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TIMEZONE = "Asia/Shanghai"


@dataclass(frozen=True, slots=True)
class JobSpec:
    id: str  # stable; never renamed (the job store keys on it)
    func: str  # "module:callable"
    trigger: str  # "cron" | "interval"
    trigger_args: dict[str, Any]
    misfire_grace_time: int = 3600
    coalesce: bool = True
    max_instances: int = 1


JOBS: tuple[JobSpec, ...] = (
    # Every registered site, every night, staggered by the service.
    JobSpec("crawl.nightly", "govwatch.jobs:crawl_all", "cron", {"hour": 2, "minute": 0}),
    # Home-page availability: at least 20 probes a day (checks.md availability.unreachable).
    JobSpec("probe.home", "govwatch.jobs:probe_all", "interval", {"minutes": 60},
            misfire_grace_time=600),
    # Important columns of portals and repost columns below them, hourly (12-hour rule).
    JobSpec("repost.watch", "govwatch.jobs:repost_watch", "interval", {"minutes": 60},
            misfire_grace_time=600),
    JobSpec("report.monthly", "govwatch.jobs:report_monthly", "cron", {"day": 1, "hour": 6}),
    JobSpec("report.quarterly", "govwatch.jobs:report_quarterly", "cron",
            {"month": "1,4,7,10", "day": 1, "hour": 7}),
    JobSpec("report.annual", "govwatch.jobs:report_annual", "cron",
            {"month": 1, "day": 1, "hour": 8}),
)
