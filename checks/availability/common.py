"""What both availability checks share: the probe window and how a probe is shown."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from checks.base import ProbeResult, SiteSnapshot
from checks.timeutil import TZ, aware, window_start


def in_window(site: SiteSnapshot, now: datetime, days: float) -> list[ProbeResult]:
    """The probes started in [now − days, now], oldest first."""
    start, end = window_start(now, days), aware(now)
    return sorted(
        (p for p in site.probes if start <= aware(p.started_at) <= end),
        key=lambda p: aware(p.started_at),
    )


def local_time(moment: datetime) -> str:
    """A probe's time as evidence shows it: local ISO 8601 to the second."""
    return aware(moment).astimezone(TZ).isoformat(timespec="seconds")


def probe_evidence(probe: ProbeResult) -> dict[str, Any]:
    return {
        "time": local_time(probe.started_at),
        "status": probe.status,
        "error_kind": probe.error_kind,
        "error": probe.error,
        "elapsed_ms": probe.elapsed_ms,
    }


def home_url(site: SiteSnapshot) -> str:
    """Site-level findings name the home page in both url and page (the contract)."""
    return site.home.url if site.home is not None else site.site.url


def percent(share: float) -> str:
    return f"{share * 100:.1f}%"


def median(values: Sequence[int]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2
